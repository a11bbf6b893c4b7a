//! "Send single-chat message" against the emulator: what DingTalk receives, field by field,
//! every refusal before sending, upload retries and cancellation. The fault table (what a
//! user sees and how many messages arrive for each kind of failure) is in `faults.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code)]
mod support;

use std::time::Duration;

use dingtalk_emulator::{Emulator, Endpoint, Fault, FaultRule};
use dingtalk_robot::actions::{connect, send};
use serde_json::{Value, json};
use support::*;

fn send(
    host: &TestHost,
    robot: &Value,
    msg_type: &str,
    content: &str,
    extra: Value,
) -> Result<Value, rpa_plugin_abi::ErrorPayload> {
    let mut params = json!({ send::ROBOT: robot, send::USER_IDS: ["manager01", "staff02"], send::MSG_TYPE: msg_type, send::CONTENT: content });
    if let Value::Object(extra) = extra {
        for (k, v) in extra {
            params[k] = v;
        }
    }
    invoke(host, send::ID, &params)
}

/// The one batchSend body the emulator recorded.
fn batch_send_body(emu: &Emulator) -> Value {
    let bodies: Vec<Value> = emu
        .requests()
        .into_iter()
        .filter(|r| r.path == "/v1.0/robot/oToMessages/batchSend")
        .filter_map(|r| r.body)
        .collect();
    assert_eq!(bodies.len(), 1, "exactly one batchSend: {bodies:?}");
    bodies[0].clone()
}

/// `msgParam` must be a JSON *string* holding the template's fields.
fn msg_param(body: &Value) -> Value {
    let text = body["msgParam"].as_str().expect("msgParam is a string");
    serde_json::from_str(text).expect("msgParam holds JSON")
}

#[test]
fn text_on_the_wire() {
    let emu = org();
    let host = TestHost::default();
    let robot = connect(&host, &emu);
    let out = send(&host, &robot, "text", "Daily report 日报 is ready", json!({})).unwrap();
    let body = batch_send_body(&emu);
    assert_eq!(body["msgKey"], "sampleText");
    assert_eq!(body["robotCode"], APP_KEY, "robotCode defaults to the AppKey");
    assert_eq!(body["userIds"], json!(["manager01", "staff02"]));
    assert_eq!(msg_param(&body), json!({ "content": "Daily report 日报 is ready" }));
    assert_eq!(body.as_object().unwrap().len(), 4, "{body}");
    assert_eq!(out[send::INVALID_USER_IDS], json!([]));
    assert_eq!(out[send::FLOW_CONTROLLED_USER_IDS], json!([]));
    assert!(out[send::PROCESS_QUERY_KEY].as_str().is_some_and(|k| !k.is_empty()));
    assert_eq!(emu.stats().messages, 2);
    assert_no_secrets(&emu, &[&out.to_string(), &host.text()]);
}

#[test]
fn markdown_carries_its_title_or_the_first_line() {
    let emu = org();
    let host = TestHost::default();
    let robot = connect(&host, &emu);
    send(&host, &robot, "markdown", "# Sales\n* up 5%", json!({ send::TITLE: " Weekly sales " })).unwrap();
    assert_eq!(msg_param(&batch_send_body(&emu)), json!({ "title": "Weekly sales", "text": "# Sales\n* up 5%" }));

    let emu = org();
    let robot = connect(&host, &emu);
    send(&host, &robot, "markdown", "\n## 周报 \n内容", json!({ send::TITLE: "" })).unwrap();
    assert_eq!(msg_param(&batch_send_body(&emu)), json!({ "title": "周报", "text": "\n## 周报 \n内容" }));
}

#[test]
fn image_sends_the_url() {
    let emu = org();
    let host = TestHost::default();
    let robot = connect(&host, &emu);
    send(&host, &robot, "image", " https://example.com/chart.png ", json!({})).unwrap();
    let body = batch_send_body(&emu);
    assert_eq!(body["msgKey"], "sampleImageMsg");
    assert_eq!(msg_param(&body), json!({ "photoURL": "https://example.com/chart.png" }));
}

#[test]
fn file_is_uploaded_then_sent_with_its_own_name() {
    let dir = tempdir();
    let path = dir.join("季度报告 Q3.PDF");
    std::fs::write(&path, b"%PDF-1.4 fake but fine").unwrap();
    let emu = org();
    let host = TestHost::default();
    let robot = connect(&host, &emu);
    send(&host, &robot, "file", path.to_str().unwrap(), json!({})).unwrap();
    let uploads = emu.uploaded();
    assert_eq!(uploads.len(), 1);
    assert_eq!(uploads[0].filename, "季度报告 Q3.PDF");
    assert_eq!(uploads[0].size, 22);
    let body = batch_send_body(&emu);
    assert_eq!(body["msgKey"], "sampleFile");
    assert_eq!(
        msg_param(&body),
        json!({ "mediaId": uploads[0].media_id, "fileName": "季度报告 Q3.PDF", "fileType": "pdf" })
    );
    let upload = emu.requests().into_iter().find(|r| r.path == "/media/upload").unwrap();
    assert!(upload.query.contains("type=file"), "{}", upload.query);
    assert_no_secrets(&emu, &[&host.text()]);
}

#[test]
fn invalid_and_flow_controlled_users_come_back() {
    let emu = org();
    let host = TestHost::default();
    let robot = connect(&host, &emu);
    let params = json!({ send::ROBOT: robot, send::USER_IDS: "manager01, nobody99\nbusy04", send::MSG_TYPE: "text", send::CONTENT: "hi" });
    let out = invoke(&host, send::ID, &params).unwrap();
    assert_eq!(out[send::INVALID_USER_IDS], json!(["nobody99"]));
    assert_eq!(out[send::FLOW_CONTROLLED_USER_IDS], json!([FLOW_CONTROLLED]));
    assert_eq!(emu.stats().messages, 1);
    assert!(host.text().contains("stray spaces"), "{}", host.text());
}

fn tempdir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "dingtalk-robot-test-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn every_bad_input_is_refused_before_anything_is_sent() {
    let dir = tempdir();
    let big = dir.join("big.zip");
    std::fs::File::create(&big).unwrap().set_len(20 * 1024 * 1024 + 1).unwrap();
    let exe = dir.join("tool.exe");
    std::fs::write(&exe, b"MZ").unwrap();
    let empty = dir.join("empty.pdf");
    std::fs::write(&empty, b"").unwrap();
    let missing = dir.join("missing.pdf");

    let emu = org();
    let host = TestHost::default();
    let robot = connect(&host, &emu);
    let before = emu.stats();
    let ok = json!({ send::ROBOT: robot, send::USER_IDS: ["manager01"], send::MSG_TYPE: "text", send::CONTENT: "hi" });
    let cases: Vec<(Value, &str)> = vec![
        (json!({ send::MSG_TYPE: "video" }), send::MSG_TYPE),
        (json!({ send::MSG_TYPE: 3 }), send::MSG_TYPE),
        (json!({ send::CONTENT: "" }), send::CONTENT),
        (json!({ send::CONTENT: "   " }), send::CONTENT),
        (json!({ send::CONTENT: Value::Null }), send::CONTENT),
        (json!({ send::CONTENT: 12 }), send::CONTENT),
        (json!({ send::CONTENT: ["a"] }), send::CONTENT),
        (json!({ send::CONTENT: "x".repeat(20_001) }), send::CONTENT),
        (json!({ send::MSG_TYPE: "image", send::CONTENT: "chart.png" }), send::CONTENT),
        (json!({ send::MSG_TYPE: "image", send::CONTENT: "file:///tmp/chart.png" }), send::CONTENT),
        (json!({ send::MSG_TYPE: "file", send::CONTENT: missing.to_str().unwrap() }), send::CONTENT),
        (json!({ send::MSG_TYPE: "file", send::CONTENT: dir.to_str().unwrap() }), send::CONTENT),
        (json!({ send::MSG_TYPE: "file", send::CONTENT: big.to_str().unwrap() }), send::CONTENT),
        (json!({ send::MSG_TYPE: "file", send::CONTENT: exe.to_str().unwrap() }), send::CONTENT),
        (json!({ send::MSG_TYPE: "file", send::CONTENT: empty.to_str().unwrap() }), send::CONTENT),
        (json!({ send::MSG_TYPE: "markdown", send::CONTENT: "x", send::TITLE: "t".repeat(129) }), send::TITLE),
        (json!({ send::USER_IDS: [] }), send::USER_IDS),
        (json!({ send::USER_IDS: ["a", ""] }), send::USER_IDS),
        (json!({ send::USER_IDS: (0..21).map(|i| format!("u{i}")).collect::<Vec<_>>() }), send::USER_IDS),
        (json!({ send::ROBOT: Value::Null }), send::ROBOT),
        (json!({ send::ROBOT: "" }), send::ROBOT),
        (json!({ "userid": ["a"] }), "userid"),
    ];
    for (change, field) in cases {
        let mut params = ok.clone();
        for (k, v) in change.as_object().unwrap() {
            params[k] = v.clone();
        }
        let err = invoke(&host, send::ID, &params).unwrap_err();
        assert!(err.code == "INVALID_INPUT" || err.code == "ROBOT_NOT_CONNECTED", "{change}: {err:?}");
        assert_eq!(err.field.as_deref(), Some(field), "{change}");
        assert!(err.hint.is_some(), "{change}");
    }
    assert_eq!(emu.stats(), before, "nothing was uploaded or sent");
}

#[test]
fn a_failed_upload_is_retried_because_it_only_makes_a_media_id() {
    let dir = tempdir();
    let path = dir.join("retry.docx");
    std::fs::write(&path, b"docx bytes").unwrap();
    let emu = org();
    emu.inject(FaultRule { endpoint: Some(Endpoint::MediaUpload), fault: Fault::Http500, times: Some(1) });
    let host = TestHost::default();
    let robot = connect(&host, &emu);
    send(&host, &robot, "file", path.to_str().unwrap(), json!({})).unwrap();
    let stats = emu.stats();
    assert_eq!(stats.messages, 2);
    assert_eq!(stats.batch_send_requests, 1);
}

#[test]
fn missing_permission_names_the_scope() {
    let emu = org();
    let host = TestHost::default();
    let robot = connect(&host, &emu);
    emu.set_permissions(APP_KEY, vec![]);
    let err = send(&host, &robot, "text", "hi", json!({})).unwrap_err();
    assert_eq!(err.code, "PERMISSION_DENIED");
    let hint = err.hint.unwrap();
    assert!(hint.contains("qyapi_robot_sendmsg") && hint.contains("publish"), "{hint}");
    assert_eq!(err.upstream.unwrap().http_status, Some(403));
    assert_eq!(emu.stats().messages, 0);
}

#[test]
fn an_unknown_robot_code_says_so() {
    let emu = org();
    let host = TestHost::default();
    let mut params = connect_params(&emu);
    params[connect::ROBOT_CODE] = json!("no-such-robot");
    let robot = invoke(&host, connect::ID, &params).unwrap()[connect::ROBOT].clone();
    let err = send(&host, &robot, "text", "hi", json!({})).unwrap_err();
    assert_eq!(err.code, "ROBOT_CODE_INVALID", "{err:?}");
    assert_eq!(emu.stats().messages, 0);
}

#[test]
fn cancelling_during_a_slow_send_returns_promptly() {
    let emu = org();
    let host = std::sync::Arc::new(TestHost::default());
    let robot = connect(&host, &emu);
    emu.inject(FaultRule {
        endpoint: Some(Endpoint::BatchSend),
        fault: Fault::Delay(Duration::from_secs(5)),
        times: None,
    });
    let canceller = {
        let host = host.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            host.cancelled.store(true, std::sync::atomic::Ordering::Release);
        })
    };
    let started = std::time::Instant::now();
    let err = send(&host, &robot, "text", "slow", json!({})).unwrap_err();
    canceller.join().unwrap();
    assert_eq!(err.code, "CANCELLED");
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    assert!(err.message.contains("may still arrive"), "{}", err.message);
    assert_eq!(emu.stats().batch_send_requests, 1);
}
