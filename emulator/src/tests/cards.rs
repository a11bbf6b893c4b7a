//! Interactive cards over the wire: createAndDeliver and update with every strict check, the
//! records, a click pushed on Stream and its ack updating the card.

use serde_json::{Value, json};

use super::stream::{OPEN, Ws, ack, connect_with, data, next_frame, open_body, until};
use super::{KEY, SECRET, T, config};
use crate::{CardSpace, CardUpdateSource, EmulatorConfig, EmulatorError, GroupConfig, PERM_CARD_WRITE};

const CREATE: &str = "/v1.0/card/instances/createAndDeliver";
const UPDATE: &str = "/v1.0/card/instances";
const TEMPLATE: &str = "8f2c1e6a-approval.schema";
const GROUP: &str = "cidCardGroup==";
const OTHER_GROUP: &str = "cidNoRobot==";
const CARD_TOPIC: &str = "/v1.0/card/instances/callback";

/// Users u1 u2, the template known, a group with the robot and one without.
fn card_config() -> EmulatorConfig {
    EmulatorConfig {
        card_templates: vec![TEMPLATE.to_owned()],
        groups: vec![GroupConfig::new(GROUP, [KEY]), GroupConfig::new(OTHER_GROUP, ["another-robot"])],
        ..config()
    }
}

/// A one-to-one card to `user`, as the notes shape it.
fn to_user(out_track_id: &str, user: &str) -> Value {
    json!({
        "cardTemplateId": TEMPLATE,
        "outTrackId": out_track_id,
        "callbackType": "STREAM",
        "cardData": {"cardParamMap": {"title": "审批", "question": "同意订单 PO-1？", "choices": "[\"同意\",\"拒绝\"]", "status": ""}},
        "openSpaceId": format!("dtv1.card//IM_ROBOT.{user}"),
        "imRobotOpenDeliverModel": {"spaceType": "IM_ROBOT", "robotCode": KEY},
        "userIdType": 1,
    })
}

/// A card to the group `group`.
fn to_group(out_track_id: &str, group: &str) -> Value {
    json!({
        "cardTemplateId": TEMPLATE,
        "outTrackId": out_track_id,
        "callbackType": "STREAM",
        "cardData": {"cardParamMap": {"title": "审批", "status": ""}},
        "openSpaceId": format!("dtv1.card//IM_GROUP.{group}"),
        "imGroupOpenDeliverModel": {"robotCode": KEY},
        "imGroupOpenSpaceModel": {},
        "userIdType": 1,
    })
}

/// An update of `out_track_id` with `map`, merged by key or not.
fn update(out_track_id: &str, map: Value, by_key: bool) -> Value {
    json!({
        "outTrackId": out_track_id,
        "cardData": {"cardParamMap": map},
        "cardUpdateOptions": {"updateCardDataByKey": by_key},
    })
}

/// Removes the field at `path` (dot-separated) from a copy of `body`.
fn without(body: &Value, path: &str) -> Value {
    let mut b = body.clone();
    let (parent, last) = match path.rsplit_once('.') {
        Some((p, l)) => (p.split('.').fold(&mut b, |v, k| &mut v[k]), l),
        None => (&mut b, path),
    };
    parent.as_object_mut().unwrap().remove(last);
    b
}

/// A copy of `body` with the field at `path` set to `value`.
fn with(body: &Value, path: &str, value: Value) -> Value {
    let mut b = body.clone();
    *path.split('.').fold(&mut b, |v, k| &mut v[k]) = value;
    b
}

/// A Stream connection subscribed to these topics.
async fn connect_to(t: &T, topics: &[&str]) -> Ws {
    let mut body = open_body(SECRET);
    body["subscriptions"] = topics.iter().map(|topic| json!({"type": "CALLBACK", "topic": topic})).collect();
    let r = t.post(OPEN, None, &body).await;
    assert_eq!(r.status, 200, "{r:?}");
    connect_with(r.json["endpoint"].as_str().unwrap(), r.json["ticket"].as_str().unwrap()).await.expect("connected")
}

#[tokio::test]
async fn a_card_is_delivered_to_a_user_and_recorded() {
    let t = T::start(card_config());
    let tok = t.token().await;
    let r = t.post(CREATE, Some(&tok), &to_user("po-1", "u1")).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.json["success"], true);
    assert_eq!(r.json["result"]["outTrackId"], "po-1");
    let delivered = &r.json["result"]["deliverResults"];
    assert_eq!(delivered.as_array().map(Vec::len), Some(1));
    assert_eq!((delivered[0]["spaceType"].as_str(), delivered[0]["spaceId"].as_str()), (Some("IM_ROBOT"), Some("u1")));
    assert_eq!(delivered[0]["success"], true);
    assert!(delivered[0]["carrierId"].as_str().is_some_and(|c| !c.is_empty()));

    let cards = t.emu.cards();
    assert_eq!(cards.len(), 1);
    let card = &cards[0];
    assert_eq!((card.app_key.as_str(), card.card_template_id.as_str()), (KEY, TEMPLATE));
    assert_eq!(card.space, CardSpace::ImRobot { user_id: "u1".into() });
    assert_eq!(card.card_param_map["question"], "同意订单 PO-1？");
    assert_eq!(card.carrier_id, delivered[0]["carrierId"].as_str().unwrap());
    assert!(card.updates.is_empty());
    let listed = t.get("/_emulator/cards", None).await;
    assert_eq!(listed.json[0]["outTrackId"], "po-1");
    assert_eq!(listed.json[0]["space"], json!({"spaceType": "IM_ROBOT", "userId": "u1"}));
}

#[tokio::test]
async fn a_card_is_delivered_to_a_group_the_robot_is_in() {
    let t = T::start(card_config());
    let tok = t.token().await;
    let r = t.post(CREATE, Some(&tok), &to_group("g-1", GROUP)).await;
    assert_eq!(r.status, 200, "{r:?}");
    let delivered = &r.json["result"]["deliverResults"][0];
    assert_eq!((delivered["spaceType"].as_str(), delivered["spaceId"].as_str()), (Some("IM_GROUP"), Some(GROUP)));
    assert_eq!(t.emu.card("g-1").unwrap().space, CardSpace::ImGroup { open_conversation_id: GROUP.into() });
    // The group space model may carry the SDK's options.
    let with_options = with(&to_group("g-2", GROUP), "imGroupOpenSpaceModel", json!({"supportForward": false}));
    assert_eq!(t.post(CREATE, Some(&tok), &with_options).await.status, 200);
}

#[tokio::test]
async fn every_missing_field_is_named() {
    let t = T::start(card_config());
    let tok = t.token().await;
    let one = to_user("m", "u1");
    for field in [
        "cardTemplateId",
        "outTrackId",
        "callbackType",
        "cardData",
        "cardData.cardParamMap",
        "openSpaceId",
        "userIdType",
        "imRobotOpenDeliverModel",
        "imRobotOpenDeliverModel.robotCode",
    ] {
        let code = format!("Missing{field}");
        t.post(CREATE, Some(&tok), &without(&one, field)).await.assert_new_error(400, &code);
    }
    let group = to_group("m", GROUP);
    for field in ["imGroupOpenDeliverModel", "imGroupOpenDeliverModel.robotCode", "imGroupOpenSpaceModel"] {
        let code = format!("Missing{field}");
        t.post(CREATE, Some(&tok), &without(&group, field)).await.assert_new_error(400, &code);
    }
    assert!(t.emu.cards().is_empty(), "nothing refused was recorded");
}

#[tokio::test]
async fn every_wrong_value_is_refused_naming_its_field() {
    let t = T::start(card_config());
    let tok = t.token().await;
    let one = to_user("w", "u1");
    let cases: Vec<(Value, &str, &str)> = vec![
        (with(&one, "callbackType", json!("HTTP")), "param.invalid", "callbackType"),
        (
            with(&one, "cardData.cardParamMap.choices", json!(["同意", "拒绝"])),
            "param.invalid",
            "cardData.cardParamMap.choices",
        ),
        (with(&one, "cardData.cardParamMap", json!("{}")), "param.invalid", "cardData.cardParamMap"),
        (with(&one, "openSpaceId", json!("IM_ROBOT.u1")), "param.invalid", "openSpaceId"),
        (with(&one, "openSpaceId", json!("dtv1.card//IM_SINGLE.u1")), "param.invalid", "openSpaceId"),
        (with(&one, "userIdType", json!(2)), "param.invalid", "userIdType"),
        (
            with(&one, "imRobotOpenDeliverModel.spaceType", json!("IM_GROUP")),
            "param.invalid",
            "imRobotOpenDeliverModel.spaceType",
        ),
        (with(&one, "imRobotOpenDeliverModel.robotCode", json!("not-my-robot")), "param.robotCodeInvalid", "robotCode"),
        (with(&one, "imGroupOpenDeliverModel", json!({"robotCode": KEY})), "param.invalid", "imGroupOpenDeliverModel"),
        (with(&one, "cardParamMap", json!({})), "param.invalid", "cardParamMap"),
        (with(&one, "outtrackid", json!("x")), "param.invalid", "outtrackid"),
        (
            with(&one, "privateData", json!({"u1": {"cardParamMap": {"n": 1}}})),
            "param.invalid",
            "privateData.u1.cardParamMap.n",
        ),
        (with(&one, "outTrackId", json!("  ")), "param.invalid", "outTrackId"),
        (with(&one, "cardTemplateId", json!(7)), "param.invalid", "cardTemplateId"),
        (
            with(&one, "imRobotOpenDeliverModel.robotCode", json!(7)),
            "param.invalid",
            "imRobotOpenDeliverModel.robotCode",
        ),
        (with(&one, "openSpaceId", json!("dtv1.card//IM_ROBOT.ghost")), "param.userNotExist", "ghost"),
        (with(&one, "cardTemplateId", json!("unknown.schema")), "param.templateNotExist", "unknown.schema"),
        (to_group("w", "cidNoSuchGroup=="), "param.openConversationIdInvalid", "cidNoSuchGroup=="),
        (to_group("w", OTHER_GROUP), "param.robotCodeInvalid", OTHER_GROUP),
    ];
    for (body, code, names) in cases {
        let r = t.post(CREATE, Some(&tok), &body).await;
        r.assert_new_error(400, code);
        assert!(r.json["message"].as_str().unwrap().contains(names), "{names}: {r:?}");
    }
    assert!(t.emu.cards().is_empty());
    // The SDK always sends privateData, empty or with per-user maps: that is fine.
    let sdk_like = with(&one, "privateData", json!({"u1": {"cardParamMap": {"mine": "x"}}}));
    assert_eq!(t.post(CREATE, Some(&tok), &sdk_like).await.status, 200);
}

#[tokio::test]
async fn an_out_track_id_is_used_once_per_app() {
    let t = T::start(card_config());
    let tok = t.token().await;
    assert_eq!(t.post(CREATE, Some(&tok), &to_user("dup", "u1")).await.status, 200);
    let again = t.post(CREATE, Some(&tok), &to_user("dup", "u2")).await;
    again.assert_new_error(400, "param.outTrackIdDuplicate");
    assert!(again.json["message"].as_str().unwrap().contains("dup"));
    assert_eq!(t.emu.cards().len(), 1);
    assert_eq!(t.emu.card("dup").unwrap().space, CardSpace::ImRobot { user_id: "u1".into() }, "the first one stays");
}

#[tokio::test]
async fn a_template_can_be_added_while_running() {
    let t = T::start(card_config());
    let tok = t.token().await;
    let other = with(&to_user("t", "u1"), "cardTemplateId", json!("later.schema"));
    t.post(CREATE, Some(&tok), &other).await.assert_new_error(400, "param.templateNotExist");
    t.emu.add_card_template("later.schema");
    assert_eq!(t.post(CREATE, Some(&tok), &other).await.status, 200);
    let admin = t.post("/_emulator/cards/templates", None, &json!({"cardTemplateId": "admin.schema"})).await;
    assert_eq!(admin.status, 200);
    let third = with(&to_user("t2", "u1"), "cardTemplateId", json!("admin.schema"));
    assert_eq!(t.post(CREATE, Some(&tok), &third).await.status, 200);
}

#[tokio::test]
async fn without_card_write_both_calls_are_forbidden_naming_the_scope() {
    let t = T::start(card_config());
    let tok = t.token().await;
    assert_eq!(t.post(CREATE, Some(&tok), &to_user("p", "u1")).await.status, 200);
    t.emu.set_permissions(KEY, vec![crate::PERM_ROBOT_SEND.to_owned()]);
    for r in [
        t.post(CREATE, Some(&tok), &to_user("p2", "u1")).await,
        t.put(UPDATE, Some(&tok), &update("p", json!({"status": "x"}), true)).await,
    ] {
        r.assert_new_error(403, "Forbidden.AccessDenied.AccessTokenPermissionDenied");
        assert_eq!(r.json["accessdenieddetail"]["requiredScopes"], json!([PERM_CARD_WRITE]));
    }
    assert!(t.emu.card("p").unwrap().updates.is_empty());
    // And no token at all.
    t.post(CREATE, None, &to_user("p3", "u1")).await.assert_new_error(400, "InvalidAuthentication");
}

#[tokio::test]
async fn an_update_merges_by_key_or_replaces_and_is_recorded_in_order() {
    let t = T::start(card_config());
    let tok = t.token().await;
    t.post(CREATE, Some(&tok), &to_user("u-1", "u1")).await;
    let r = t.put(UPDATE, Some(&tok), &update("u-1", json!({"status": "同意"}), true)).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.json, json!({"success": true, "result": true}));
    let card = t.emu.card("u-1").unwrap();
    assert_eq!((card.card_param_map["status"].as_str(), card.card_param_map["title"].as_str()), ("同意", "审批"));
    // Without updateCardDataByKey the map is replaced, as DingTalk's default is.
    let whole = without(&update("u-1", json!({"status": "已过期"}), false), "cardUpdateOptions");
    assert_eq!(t.put(UPDATE, Some(&tok), &whole).await.status, 200);
    let card = t.emu.card("u-1").unwrap();
    assert_eq!(card.card_param_map.len(), 1);
    let updates: Vec<(&str, bool)> =
        card.updates.iter().map(|u| (u.card_param_map["status"].as_str(), u.by_key)).collect();
    assert_eq!(updates, [("同意", true), ("已过期", false)]);
    assert!(card.updates.iter().all(|u| u.source == CardUpdateSource::Api));
}

#[tokio::test]
async fn an_update_is_checked_strictly_too() {
    let t = T::start(card_config());
    let tok = t.token().await;
    t.post(CREATE, Some(&tok), &to_user("s-1", "u1")).await;
    let good = update("s-1", json!({"status": "x"}), true);
    let unknown = t.put(UPDATE, Some(&tok), &update("no-such-card", json!({}), true)).await;
    unknown.assert_new_error(400, "param.cardNotExist");
    assert!(unknown.json["message"].as_str().unwrap().contains("no-such-card"));
    t.put(UPDATE, Some(&tok), &without(&good, "outTrackId")).await.assert_new_error(400, "MissingoutTrackId");
    t.put(UPDATE, Some(&tok), &without(&good, "cardData")).await.assert_new_error(400, "MissingcardData");
    for (body, names) in [
        (with(&good, "cardData.cardParamMap.status", json!(true)), "cardData.cardParamMap.status"),
        (with(&good, "cardUpdateOptions.updateCardDataByKey", json!("yes")), "cardUpdateOptions.updateCardDataByKey"),
        (with(&good, "cardUpdateOptions.byKey", json!(true)), "cardUpdateOptions.byKey"),
        (with(&good, "cardTemplateId", json!(TEMPLATE)), "cardTemplateId"),
    ] {
        let r = t.put(UPDATE, Some(&tok), &body).await;
        r.assert_new_error(400, "param.invalid");
        assert!(r.json["message"].as_str().unwrap().contains(names), "{names}: {r:?}");
    }
    // Nothing refused changed the card.
    assert!(t.emu.card("s-1").unwrap().updates.is_empty());
    // POST is not the update's method.
    t.post(UPDATE, Some(&tok), &good).await.assert_new_error(404, "InvalidAction.NotFound");
}

#[tokio::test]
async fn a_click_is_pushed_on_the_card_topic_and_its_ack_updates_the_card() {
    let t = T::start(card_config());
    let tok = t.token().await;
    t.post(CREATE, Some(&tok), &to_user("c-1", "u1")).await;
    let mut bot_only = connect_to(&t, &["/v1.0/im/bot/messages/get"]).await;
    let mut ws = connect_to(&t, &[CARD_TOPIC]).await;
    let message_id = t.emu.user_clicks("u1", "c-1", "同意").unwrap();
    let frame = next_frame(&mut ws).await;
    assert_eq!((frame["type"].as_str(), frame["headers"]["topic"].as_str()), (Some("CALLBACK"), Some(CARD_TOPIC)));
    assert_eq!(frame["headers"]["messageId"], message_id.as_str());
    let d = data(&frame);
    assert_eq!(
        (d["outTrackId"].as_str(), d["userId"].as_str(), d["type"].as_str()),
        (Some("c-1"), Some("u1"), Some("actionCallback"))
    );
    assert!(d["corpId"].as_str().is_some_and(|c| !c.is_empty()));
    let content: Value = serde_json::from_str(d["content"].as_str().unwrap()).unwrap();
    assert_eq!(content["cardPrivateData"]["params"]["choice"], "同意");
    assert!(content["cardPrivateData"]["actionIds"][0].as_str().is_some_and(|a| a.starts_with("button_node_")));

    let response =
        json!({"cardData": {"cardParamMap": {"status": "同意"}}, "cardUpdateOptions": {"updateCardDataByKey": true}});
    ack(&mut ws, &frame, &json!({"response": response})).await;
    until("the ack updates the card", || !t.emu.card("c-1").unwrap().updates.is_empty()).await;
    let card = t.emu.card("c-1").unwrap();
    assert_eq!((card.card_param_map["status"].as_str(), card.card_param_map["title"].as_str()), ("同意", "审批"));
    assert_eq!(
        card.updates[0].source,
        CardUpdateSource::ClickAck { user_id: "u1".into(), message_id: message_id.clone() }
    );

    // A plain "OK" ack updates nothing.
    let second = t.emu.user_clicks("u1", "c-1", "拒绝").unwrap();
    let frame = next_frame(&mut ws).await;
    assert_eq!(frame["headers"]["messageId"], second.as_str());
    ack(&mut ws, &frame, &json!({"response": "OK"})).await;
    until("the ack is recorded", || t.emu.stream_acks().iter().any(|a| a.message_id == second)).await;
    assert_eq!(t.emu.card("c-1").unwrap().updates.len(), 1);

    // The connection that did not subscribe the card topic got nothing: a ping is its first frame.
    t.emu.stream_ping();
    assert_eq!(next_frame(&mut bot_only).await["headers"]["topic"], "ping");
}

#[tokio::test]
async fn a_click_finds_the_latest_card_of_a_template_and_is_refused_where_it_cannot_happen() {
    let t = T::start(card_config());
    let tok = t.token().await;
    t.post(CREATE, Some(&tok), &to_user("old", "u1")).await;
    t.post(CREATE, Some(&tok), &to_user("new", "u1")).await;
    t.post(CREATE, Some(&tok), &to_group("grp", GROUP)).await;
    // No connection yet: lost, and listed.
    let lost = t.emu.user_clicks("u1", "new", "同意").unwrap_err();
    assert!(matches!(lost, EmulatorError::NoStreamConnection { .. }), "{lost:?}");
    assert_eq!(t.emu.stream_undelivered()[0].topic, CARD_TOPIC);

    let mut ws = connect_to(&t, &[CARD_TOPIC]).await;
    t.emu.user_clicks_latest("u1", TEMPLATE, "拒绝").unwrap();
    assert_eq!(data(&next_frame(&mut ws).await)["outTrackId"], "new");
    // Anyone may click a group card; a one-to-one card only its user.
    t.emu.user_clicks("u2", "grp", "同意").unwrap();
    assert_eq!(data(&next_frame(&mut ws).await)["userId"], "u2");
    assert!(matches!(t.emu.user_clicks("u2", "new", "同意"), Err(EmulatorError::NotCardViewer { .. })));
    assert!(matches!(t.emu.user_clicks("ghost", "grp", "同意"), Err(EmulatorError::UnknownUser(_))));
    assert!(matches!(t.emu.user_clicks("u1", "nope", "同意"), Err(EmulatorError::UnknownCard(_))));
    assert!(matches!(t.emu.user_clicks_latest("u2", TEMPLATE, "同意"), Err(EmulatorError::UnknownCard(_))));

    // The admin route: by outTrackId or by template.
    let by_id =
        t.post("/_emulator/cards/click", None, &json!({"userId": "u1", "outTrackId": "old", "choice": "同意"})).await;
    assert_eq!(by_id.status, 200, "{by_id:?}");
    let frame = next_frame(&mut ws).await;
    assert_eq!(frame["headers"]["messageId"], by_id.json["messageId"]);
    assert_eq!(data(&frame)["outTrackId"], "old");
    let by_template = t
        .post("/_emulator/cards/click", None, &json!({"userId": "u1", "cardTemplateId": TEMPLATE, "choice": "x"}))
        .await;
    assert_eq!(by_template.status, 200, "{by_template:?}");
    assert_eq!(data(&next_frame(&mut ws).await)["outTrackId"], "new");
    let neither = t.post("/_emulator/cards/click", None, &json!({"userId": "u1", "choice": "x"})).await;
    assert_eq!(neither.status, 400);
    let unknown =
        t.post("/_emulator/cards/click", None, &json!({"userId": "u1", "outTrackId": "nope", "choice": "x"})).await;
    assert_eq!(unknown.status, 400);
    drop(ws);
    until("the connection is gone", || t.emu.stream_connection_count(KEY) == 0).await;
    let lost =
        t.post("/_emulator/cards/click", None, &json!({"userId": "u1", "outTrackId": "old", "choice": "x"})).await;
    assert_eq!(lost.status, 409, "{lost:?}");
}

#[tokio::test]
async fn the_card_endpoints_can_be_faulted_and_throttled_like_any_other() {
    use crate::{Endpoint, Fault, FaultRule};
    let t = T::start(card_config());
    let tok = t.token().await;
    t.emu.inject(FaultRule::next(Endpoint::CardCreateAndDeliver, Fault::Http500, 1));
    t.post(CREATE, Some(&tok), &to_user("f-1", "u1")).await.assert_new_error(500, "ServiceUnavailable");
    assert!(t.emu.cards().is_empty(), "a 500 is not processed");
    assert_eq!(t.post(CREATE, Some(&tok), &to_user("f-1", "u1")).await.status, 200, "so the same outTrackId goes");
    t.emu.inject(FaultRule::next(Endpoint::CardUpdate, Fault::Throttle, 1));
    let body = update("f-1", json!({"status": "x"}), true);
    t.put(UPDATE, Some(&tok), &body).await.assert_new_error(403, crate::reply::QPS_LIMIT_CODE);
    assert!(t.emu.card("f-1").unwrap().updates.is_empty(), "a throttled update is not processed");
    assert_eq!(t.put(UPDATE, Some(&tok), &body).await.status, 200);
    assert_eq!(t.emu.card("f-1").unwrap().updates.len(), 1);
}
