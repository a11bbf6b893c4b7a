//! The four actions after a send (query read status, recall, send group message, get user
//! IDs by mobile number) through the built library, loaded through both ABIs (the abi_stable
//! root module and the plain C entry points), against the emulator: the exact request each
//! makes (path, query encoding, body), its outputs, every refusal DingTalk gives as a
//! structured error, and the flow send -> read status -> recall -> read status.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code)]
mod support;

use std::sync::Arc;
use std::time::Duration;

use dingtalk_emulator::{
    Emulator, EmulatorConfig, GroupConfig, PERM_BASE, PERM_MEMBER_BY_MOBILE, PERM_ROBOT_SEND, RecordedRequest,
};
use dingtalk_robot::names::{
    ask, connect, connect_webhook, group_send, lookup, read_status, recall, send, send_webhook, wait_for_reply,
};
use host_sim::{Abi, Flow, Plugin, SimHost, load_with, run_flow};
use rpa_plugin_abi::ErrorPayload;
use serde_json::{Map, Value, json};
use support::*;

/// A group the app's robot is in, and one it is not in.
const GROUP: &str = "cidTeamGroup8xK2+aB/Q==";
const GROUP_WITHOUT_ROBOT: &str = "cidOtherGroupZ7==";
/// Mobile numbers of the org.
const MOBILES: [(&str, &str); 2] = [("13800000001", "manager01"), ("13800000002", "staff02")];

fn org_with_groups(change: impl FnOnce(&mut EmulatorConfig)) -> Emulator {
    let mut config = EmulatorConfig {
        groups: vec![GroupConfig::new(GROUP, [APP_KEY]), GroupConfig::new(GROUP_WITHOUT_ROBOT, ["another-robot"])],
        mobiles: MOBILES.iter().map(|(m, u)| (m.to_string(), u.to_string())).collect(),
        ..org_config()
    };
    change(&mut config);
    Emulator::start(config).expect("emulator starts")
}

/// The built library, through one ABI, with a host that keeps its log lines.
struct Designer {
    abi: Abi,
    plugin: Arc<dyn Plugin>,
    host: SimHost,
}

impl Designer {
    fn call(&self, action: &str, params: Value) -> Result<Value, ErrorPayload> {
        self.plugin.invoke(action, &params, &self.host)
    }

    fn connect(&self, emu: &Emulator) -> Value {
        self.call(connect::ID, connect_params(emu)).expect("connect")["robot"].clone()
    }

    /// A text to `users`; its processQueryKey.
    fn send_text(&self, robot: &Value, users: &[&str]) -> String {
        let params = json!({ send::ROBOT: robot, send::USER_IDS: users, send::MSG_TYPE: "text", send::CONTENT: "hi" });
        let out = self.call(send::ID, params).expect("send");
        out[send::PROCESS_QUERY_KEY].as_str().unwrap().to_string()
    }

    fn read_status(&self, robot: &Value, key: &str) -> Result<Value, ErrorPayload> {
        self.call(read_status::ID, json!({ read_status::ROBOT: robot, read_status::PROCESS_QUERY_KEY: key }))
    }

    fn log(&self) -> String {
        self.host.captured().join("\n")
    }
}

/// Runs `test` once through each ABI, each with its own emulated org.
fn each_abi(mut test: impl FnMut(&Designer)) {
    for abi in [Abi::AbiStable, Abi::C] {
        let plugin = load_with(&host_sim::default_plugin_path(), abi).expect("the built plugin loads");
        test(&Designer { abi, plugin, host: SimHost::silent().with_capture() });
    }
}

/// The requests the emulator recorded on `path`.
fn requests_to(emu: &Emulator, path: &str) -> Vec<RecordedRequest> {
    emu.requests().into_iter().filter(|r| r.path == path).collect()
}

/// How a form-urlencoded query carries a base64 key.
fn url_encoded(key: &str) -> String {
    key.replace('+', "%2B").replace('/', "%2F").replace('=', "%3D")
}

fn assert_refused(abi: Abi, err: &ErrorPayload, code: &str, field: &str, dingtalk_code: &str) {
    assert_eq!(err.code, code, "{abi:?}: {err:?}");
    assert_eq!(err.field.as_deref(), Some(field), "{abi:?}: {err:?}");
    let upstream = err.upstream.as_ref().expect("DingTalk's answer is kept");
    assert_eq!(upstream.code.as_deref(), Some(dingtalk_code), "{abi:?}: {err:?}");
    assert_eq!(upstream.http_status, Some(400));
    assert!(upstream.request_id.as_deref().is_some_and(|r| !r.is_empty()), "{abi:?}: {err:?}");
    assert!(err.hint.as_deref().is_some_and(|h| !h.is_empty()), "{abi:?}: {err:?}");
    assert!(err.zh_cn.as_ref().is_some_and(|z| !z.message.is_empty()), "{abi:?}: {err:?}");
}

#[test]
fn read_status_sends_the_key_url_encoded_and_splits_readers() {
    each_abi(|d| {
        let emu = org_with_groups(|_| {});
        let robot = d.connect(&emu);
        let key = d.send_text(&robot, &["manager01", "staff02", "nobody"]);
        assert!(key.contains('+') && key.contains('/') && key.ends_with('='), "{key}");
        assert!(emu.mark_read(&key, "staff02"));

        let out = d.read_status(&robot, &key).unwrap();
        assert_eq!(
            out,
            json!({ "sendStatus": "SUCCESS", "readUserIds": ["staff02"], "unreadUserIds": ["manager01"] }),
            "{:?}",
            d.abi
        );
        let sent = requests_to(&emu, "/v1.0/robot/oToMessages/readStatus");
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].method, "GET");
        assert_eq!(sent[0].query, format!("robotCode={APP_KEY}&processQueryKey={}", url_encoded(&key)));
        assert!(sent[0].access_token.as_deref().is_some_and(|t| !t.is_empty()), "the token goes in the header");
        assert_eq!(sent[0].body, None);
        assert_no_secrets(&emu, &[&out.to_string(), &d.log()]);
    });
}

#[test]
fn send_status_is_passed_through_as_dingtalk_spells_it() {
    each_abi(|d| {
        let emu = org_with_groups(|c| c.send_status_as_sample = true);
        let robot = d.connect(&emu);
        let key = d.send_text(&robot, &["manager01"]);
        let out = d.read_status(&robot, &key).unwrap();
        assert_eq!(out["sendStatus"], "SUCESS", "the docs' sample spelling, untouched");
        assert_eq!(out["unreadUserIds"], json!(["manager01"]));
    });
}

/// send -> read status -> recall -> read status, as a designer runs it step by step (a
/// reader is marked in between), through both ABIs: the same outputs, and sendStatus goes
/// from SUCCESS to RECALLED.
#[test]
fn send_then_read_status_then_recall_then_read_status() {
    let mut results = Vec::new();
    each_abi(|d| {
        let emu = org_with_groups(|_| {});
        let step = |action: &str, params: Value, outputs: Value| json!({ "action": action, "params": params, "outputs": outputs });
        let steps = [
            step(connect::ID, connect_params(&emu), json!({ "robot": "bot" })),
            step(
                send::ID,
                json!({ "robot": "${bot}", "userIds": ["manager01", "staff02"], "msgType": "text", "content": "Meeting at 3" }),
                json!({ "processQueryKey": "key" }),
            ),
            step(
                read_status::ID,
                json!({ "robot": "${bot}", "processQueryKey": "${key}" }),
                json!({ "sendStatus": "before", "readUserIds": "readBefore", "unreadUserIds": "unreadBefore" }),
            ),
            step(
                recall::ID,
                json!({ "robot": "${bot}", "processQueryKeys": "${key}" }),
                json!({ "recalledKeys": "recalled", "failedKeys": "failed", "failureReasons": "reasons" }),
            ),
            step(
                read_status::ID,
                json!({ "robot": "${bot}", "processQueryKey": "${key}" }),
                json!({ "sendStatus": "after", "readUserIds": "readAfter" }),
            ),
        ];
        let mut vars = Map::new();
        for (i, s) in steps.into_iter().enumerate() {
            let flow = Flow::parse(&json!({ "steps": [s] }).to_string(), "flow.json".as_ref()).unwrap();
            vars = run_flow(d.plugin.as_ref(), &flow, &d.host, vars).unwrap_or_else(|e| panic!("step {i}: {e:?}"));
            if i == 1 {
                // staff02 opens the message.
                assert!(emu.mark_read(vars["key"].as_str().unwrap(), "staff02"));
            }
        }
        let key = vars.remove("key").unwrap();
        vars.remove("bot");
        assert_eq!(vars["recalled"], json!([key]), "{:?}", d.abi);
        assert!(emu.delivered()[0].recalled);
        assert_no_secrets(&emu, &[&d.log(), &Value::Object(vars.clone()).to_string()]);
        vars.remove("recalled");
        results.push(vars);
    });
    assert_eq!(results[0], results[1], "both ABIs give the same outputs");
    let expected = json!({
        "before": "SUCCESS", "readBefore": ["staff02"], "unreadBefore": ["manager01"],
        "failed": [], "reasons": {},
        "after": "RECALLED", "readAfter": ["staff02"],
    });
    assert_eq!(Value::Object(results.remove(0)), expected);
}

#[test]
fn recall_one_to_one_and_in_a_group_with_exact_requests() {
    each_abi(|d| {
        let emu = org_with_groups(|_| {});
        let robot = d.connect(&emu);
        let (k1, k2) = (d.send_text(&robot, &["manager01"]), d.send_text(&robot, &["staff02"]));
        let old = d.send_text(&robot, &["staff03"]);
        assert!(emu.backdate(&old, Duration::from_secs(25 * 3600)));
        let unknown = "NoSuchKey0000+abc/def==";
        let out = d
            .call(
                recall::ID,
                json!({ recall::ROBOT: robot, recall::PROCESS_QUERY_KEYS: [&k1, unknown, &k2, &old, &k1] }),
            )
            .unwrap();
        assert_eq!(out[recall::RECALLED_KEYS], json!([k1, k2]), "{:?}", d.abi);
        assert_eq!(out[recall::FAILED_KEYS], json!([unknown, old]), "failed keys in input order");
        let reasons = out[recall::FAILURE_REASONS].as_object().unwrap();
        assert_eq!(reasons.len(), 2);
        assert!(reasons[unknown].as_str().unwrap().contains("无效"), "DingTalk's reason: {reasons:?}");
        assert!(reasons[&old].as_str().unwrap().contains("过期"), "DingTalk's reason: {reasons:?}");
        let sent = requests_to(&emu, "/v1.0/robot/otoMessages/batchRecall");
        assert_eq!(sent.len(), 1);
        assert_eq!(
            sent[0].body,
            Some(json!({ "robotCode": APP_KEY, "processQueryKeys": [k1, unknown, k2, old] })),
            "duplicates dropped, order kept, no openConversationId"
        );
        assert!(d.log().contains("not recalled"), "{}", d.log());

        // A group message, recalled in its group.
        let params = json!({ group_send::ROBOT: robot, group_send::OPEN_CONVERSATION_ID: GROUP,
                             send::MSG_TYPE: "text", send::CONTENT: "Wrong room, sorry" });
        let group_key =
            d.call(group_send::ID, params).unwrap()[group_send::PROCESS_QUERY_KEY].as_str().unwrap().to_string();
        let out = d
            .call(
                recall::ID,
                json!({ recall::ROBOT: robot, recall::PROCESS_QUERY_KEYS: group_key, recall::OPEN_CONVERSATION_ID: format!(" {GROUP} ") }),
            )
            .unwrap();
        assert_eq!(out, json!({ "recalledKeys": [group_key], "failedKeys": [], "failureReasons": {} }));
        let sent = requests_to(&emu, "/v1.0/robot/groupMessages/recall");
        assert_eq!(sent.len(), 1);
        assert_eq!(
            sent[0].body,
            Some(json!({ "openConversationId": GROUP, "robotCode": APP_KEY, "processQueryKeys": [group_key] }))
        );
        assert!(emu.delivered().iter().find(|m| m.process_query_key == group_key).unwrap().recalled);
    });
}

#[test]
fn group_send_takes_every_template_with_the_same_fields_and_uploads_as_the_single_chat_send() {
    let dir = support::media::dir("actions-group");
    let pdf = support::media::write(&dir, "周报 W12.pdf", b"%PDF-1.4 weekly");
    each_abi(|d| {
        let emu = org_with_groups(|_| {});
        let robot = d.connect(&emu);
        let group = |template: Value| {
            let mut params = json!({ group_send::ROBOT: robot, group_send::OPEN_CONVERSATION_ID: GROUP });
            for (k, v) in template.as_object().unwrap() {
                params[k] = v.clone();
            }
            d.call(group_send::ID, params)
        };
        let out = group(json!({ "msgType": "text", "content": "Stand-up moved to 10:30" })).unwrap();
        let key = out[group_send::PROCESS_QUERY_KEY].as_str().unwrap();
        assert_eq!(out.as_object().unwrap().len(), 1, "{out}");
        let sent = requests_to(&emu, "/v1.0/robot/groupMessages/send");
        assert_eq!(
            sent[0].body,
            Some(json!({ "msgParam": "{\"content\":\"Stand-up moved to 10:30\"}", "msgKey": "sampleText",
                         "openConversationId": GROUP, "robotCode": APP_KEY })),
            "{:?}",
            d.abi
        );
        assert!(sent[0].access_token.is_some());
        assert_eq!(emu.delivered()[0].process_query_key, key);

        group(json!({ "msgType": "file", "content": pdf })).unwrap();
        let upload = &emu.uploaded()[0];
        assert_eq!((upload.filename.as_str(), upload.media_type.as_str()), ("周报 W12.pdf", "file"));
        group(json!({ "msgType": "actionCard", "content": "## Approve?", "title": "PO 4711",
                      "buttons": [{ "title": "Yes", "url": "https://example.com/y" }, { "title": "No", "url": "https://example.com/n" }],
                      "buttonLayout": "horizontal" }))
        .unwrap();
        group(json!({ "msgType": "markdown", "content": "# Release 2.1\n- faster" })).unwrap();
        let delivered: Vec<(String, Value)> = emu.delivered().into_iter().map(|m| (m.msg_key, m.msg_param)).collect();
        assert_eq!(
            delivered[1],
            (
                "sampleFile".to_string(),
                json!({ "mediaId": upload.media_id, "fileName": "周报 W12.pdf", "fileType": "pdf" })
            )
        );
        assert_eq!(delivered[2].0, "sampleActionCard6");
        assert_eq!(delivered[2].1["buttonUrl2"], "https://example.com/n");
        assert_eq!(
            delivered[3],
            ("sampleMarkdown".to_string(), json!({ "title": "Release 2.1", "text": "# Release 2.1\n- faster" }))
        );
        assert!(emu.delivered().iter().all(|m| m.open_conversation_id.as_deref() == Some(GROUP)));
        assert_eq!(emu.stats().group_messages, 4);
    });
}

#[test]
fn a_group_message_over_15000_bytes_is_refused_before_anything_is_sent() {
    each_abi(|d| {
        let emu = org_with_groups(|_| {});
        let robot = d.connect(&emu);
        let before = emu.requests().len();
        let params = json!({ group_send::ROBOT: robot, group_send::OPEN_CONVERSATION_ID: GROUP,
                             send::MSG_TYPE: "text", send::CONTENT: "长".repeat(5_001) });
        let err = d.call(group_send::ID, params).unwrap_err();
        assert_eq!((err.code.as_str(), err.field.as_deref()), ("INVALID_INPUT", Some(send::CONTENT)), "{err:?}");
        assert!(err.message.contains("15000 bytes"), "{}", err.message);
        assert_eq!(emu.requests().len(), before, "nothing was sent");
    });
}

#[test]
fn user_ids_by_mobile_in_input_order_through_the_send_actions_cache() {
    each_abi(|d| {
        let emu = org_with_groups(|_| {});
        let robot = d.connect(&emu);
        let mobiles = "138 0000 0002\n+86 138-0000-0001, 13900000000；13800000002";
        let out = d.call(lookup::ID, json!({ lookup::ROBOT: robot, lookup::MOBILES: mobiles })).unwrap();
        assert_eq!(
            out,
            json!({ "userIds": ["staff02", "manager01"],
                    "userIdByMobile": { "13800000002": "staff02", "13800000001": "manager01" },
                    "unresolvedMobiles": ["13900000000"] }),
            "{:?}",
            d.abi
        );
        let sent = requests_to(&emu, "/topapi/v2/user/getbymobile");
        let bodies: Vec<Value> = sent.iter().map(|r| r.body.clone().unwrap()).collect();
        assert_eq!(
            bodies,
            [
                json!({ "mobile": "13800000002" }),
                json!({ "mobile": "13800000001" }),
                json!({ "mobile": "13900000000" })
            ]
        );
        assert!(sent.iter().all(|r| r.method == "POST" && r.query.starts_with("access_token=")));
        assert!(d.log().contains("13900000000"), "the unresolved number is logged");

        // The send's mobile receivers use the same memory: no new lookup for a known number.
        let params =
            json!({ send::ROBOT: robot, send::MOBILES: ["13800000001"], send::MSG_TYPE: "text", send::CONTENT: "hi" });
        d.call(send::ID, params).unwrap();
        assert_eq!(emu.stats().mobile_lookups, 3);
        assert_eq!(emu.delivered()[0].user_ids, ["manager01"]);
        // And the other way round; a number that named no one is not asked again either
        // (for 10 minutes).
        let out = d
            .call(lookup::ID, json!({ lookup::ROBOT: robot, lookup::MOBILES: ["13800000001", "13900000000"] }))
            .unwrap();
        assert_eq!(out["userIds"], json!(["manager01"]));
        assert_eq!(out["unresolvedMobiles"], json!(["13900000000"]));
        assert_eq!(emu.stats().mobile_lookups, 3);
    });
}

#[test]
fn dingtalk_refusals_are_structured_errors_naming_their_input() {
    each_abi(|d| {
        let emu = org_with_groups(|_| {});
        let robot = d.connect(&emu);
        let abi = d.abi;

        let err = d.read_status(&robot, "NoSuchKey0000+abc/def==").unwrap_err();
        assert_refused(
            abi,
            &err,
            "UNKNOWN_PROCESS_QUERY_KEY",
            read_status::PROCESS_QUERY_KEY,
            "invalid.processQueryKey",
        );

        let key = d.send_text(&robot, &["manager01"]);
        assert!(emu.backdate(&key, Duration::from_secs(24 * 3600 + 60)));
        let err = d.read_status(&robot, &key).unwrap_err();
        assert_refused(
            abi,
            &err,
            "PROCESS_QUERY_KEY_EXPIRED",
            read_status::PROCESS_QUERY_KEY,
            "processQueryKey.expireTime",
        );
        assert!(err.message.contains("24 hours"), "{}", err.message);

        let group_text = |group: &str| json!({ group_send::ROBOT: robot, group_send::OPEN_CONVERSATION_ID: group, send::MSG_TYPE: "text", send::CONTENT: "hi" });
        let err = d.call(group_send::ID, group_text(GROUP_WITHOUT_ROBOT)).unwrap_err();
        assert_refused(
            abi,
            &err,
            "ROBOT_NOT_IN_GROUP",
            group_send::OPEN_CONVERSATION_ID,
            "invalidParameter.robotCode.empty",
        );
        assert!(err.hint.as_deref().unwrap().contains("Add the robot to the group"), "{err:?}");
        let err = d.call(group_send::ID, group_text("cidNoSuchGroup==")).unwrap_err();
        assert_refused(abi, &err, "GROUP_NOT_FOUND", group_send::OPEN_CONVERSATION_ID, "invalid.openConversationId");
        let recall_in = |group: &str| json!({ recall::ROBOT: robot, recall::PROCESS_QUERY_KEYS: ["k1"], recall::OPEN_CONVERSATION_ID: group });
        let err = d.call(recall::ID, recall_in(GROUP_WITHOUT_ROBOT)).unwrap_err();
        assert_refused(abi, &err, "ROBOT_NOT_IN_GROUP", recall::OPEN_CONVERSATION_ID, "invalidParameter.robotCode");
        let err = d.call(recall::ID, recall_in("cidNoSuchGroup==")).unwrap_err();
        assert_refused(abi, &err, "GROUP_NOT_FOUND", recall::OPEN_CONVERSATION_ID, "invalid.openConversationId");
        assert_eq!(emu.stats().group_messages, 0);

        // Permissions: the robot actions need qyapi_robot_sendmsg, the lookup its own.
        let fresh = d.send_text(&robot, &["manager01"]);
        emu.set_permissions(APP_KEY, vec![PERM_BASE.into(), PERM_MEMBER_BY_MOBILE.into()]);
        for (action, params) in [
            (read_status::ID, json!({ "robot": robot, "processQueryKey": fresh })),
            (recall::ID, json!({ "robot": robot, "processQueryKeys": [fresh] })),
            (group_send::ID, group_text(GROUP)),
        ] {
            let err = d.call(action, params).unwrap_err();
            assert_eq!(err.code, "PERMISSION_DENIED", "{abi:?} {action}: {err:?}");
            assert!(err.hint.as_deref().unwrap().contains(PERM_ROBOT_SEND), "{action}: {err:?}");
            assert_eq!(err.upstream.as_ref().unwrap().http_status, Some(403));
        }
        emu.set_permissions(APP_KEY, vec![PERM_BASE.into(), PERM_ROBOT_SEND.into()]);
        let err = d.call(lookup::ID, json!({ "robot": robot, "mobiles": ["13800000001"] })).unwrap_err();
        assert_eq!(err.code, "PERMISSION_DENIED", "{err:?}");
        assert!(err.hint.as_deref().unwrap().contains(PERM_MEMBER_BY_MOBILE), "{err:?}");
        assert_no_secrets(&emu, &[&d.log()]);
    });
}

/// The C ABI and the abi_stable module serve the same manifest, with six actions.
#[test]
fn both_abis_see_every_action() {
    let manifests: Vec<String> = [Abi::AbiStable, Abi::C]
        .into_iter()
        .map(|abi| load_with(&host_sim::default_plugin_path(), abi).unwrap().manifest_json().to_string())
        .collect();
    assert_eq!(manifests[0], manifests[1]);
    let manifest: Value = serde_json::from_str(&manifests[0]).unwrap();
    let ids: Vec<&str> = manifest["actions"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            connect::ID,
            send::ID,
            read_status::ID,
            recall::ID,
            group_send::ID,
            lookup::ID,
            connect_webhook::ID,
            send_webhook::ID,
            wait_for_reply::ID,
            ask::ID
        ]
    );
}
