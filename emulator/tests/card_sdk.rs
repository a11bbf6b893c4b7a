//! Drives the emulator's interactive-card endpoints with the official DingTalk Python SDK's
//! `card_1_0` models (`card_sdk_check.py`), then checks the wire they made against the
//! emulator's record (the interpreter and skipping: `common`).

// A test's failures are panics: unwrap, expect and panic are how it reports them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use dingtalk_emulator::{AppConfig, CardSpace, CardUpdateSource, Emulator, EmulatorConfig, GroupConfig};
use serde_json::json;

const TEMPLATE: &str = "sdk-approval.schema";

#[test]
fn official_python_sdk_card_models_are_accepted_and_read_the_answers() {
    let Some(python) = common::sdk_python("alibabacloud_dingtalk.card_1_0.client") else { return };

    let emu = Emulator::start(EmulatorConfig {
        apps: vec![AppConfig::new("sdk-app-key", "sdk-app-secret")],
        users: vec!["u1".into()],
        groups: vec![GroupConfig::new("cidSdkGroup==", ["sdk-app-key"])],
        card_templates: vec![TEMPLATE.to_owned()],
        ..EmulatorConfig::default()
    })
    .expect("emulator starts");
    let args = [emu.port().to_string(), "sdk-app-key".to_owned(), "sdk-app-secret".to_owned(), TEMPLATE.to_owned()];
    common::run_check(&python, "card_sdk_check.py", &args, "ALL CARD SDK CHECKS PASSED");

    let cards = emu.cards();
    assert_eq!(cards.len(), 2, "{cards:?}");
    let one = &cards[0];
    assert_eq!((one.out_track_id.as_str(), one.card_template_id.as_str()), ("sdk-card-1", TEMPLATE));
    assert_eq!(one.space, CardSpace::ImRobot { user_id: "u1".into() });
    assert_eq!(one.card_param_map["status"], "同意");
    assert_eq!(one.card_param_map["choices"], r#"["同意", "拒绝"]"#);
    assert_eq!(one.updates.len(), 1);
    assert_eq!((one.updates[0].source.clone(), one.updates[0].by_key), (CardUpdateSource::Api, true));
    assert_eq!(cards[1].space, CardSpace::ImGroup { open_conversation_id: "cidSdkGroup==".into() });

    // The wire the SDK's models made: exactly the fields of the notes, camelCase.
    let requests = emu.requests();
    let create = requests.iter().find(|r| r.path == "/v1.0/card/instances/createAndDeliver").unwrap();
    let body = create.body.as_ref().expect("a JSON body");
    assert_eq!(
        body,
        &json!({
            "cardTemplateId": TEMPLATE,
            "outTrackId": "sdk-card-1",
            "callbackType": "STREAM",
            "cardData": {"cardParamMap": {"title": "审批", "question": "同意订单 PO-1？", "choices": r#"["同意", "拒绝"]"#, "status": ""}},
            "openSpaceId": "dtv1.card//IM_ROBOT.u1",
            "imRobotOpenDeliverModel": {"spaceType": "IM_ROBOT", "robotCode": "sdk-app-key"},
            "userIdType": 1,
        })
    );
    let update = requests.iter().find(|r| r.path == "/v1.0/card/instances").unwrap();
    assert_eq!(update.method, "PUT");
    assert_eq!(
        update.body.as_ref().unwrap(),
        &json!({
            "outTrackId": "sdk-card-1",
            "cardData": {"cardParamMap": {"status": "同意"}},
            "cardUpdateOptions": {"updateCardDataByKey": true},
        })
    );
}
