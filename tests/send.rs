//! "Send single-chat message" against the emulator: what DingTalk receives, field by field and
//! template by template (units included), uploads of each type, receivers by mobile number and
//! in batches, every refusal before sending, upload retries and cancellation. The fault table (what a
//! user sees and how many messages arrive for each kind of failure) is in `faults.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code)]
mod support;

use std::time::Duration;

use dingtalk_emulator::{Emulator, Endpoint, Fault, FaultRule};
use dingtalk_robot::names::{connect, send};
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

/// A send that reached no one succeeds with a warning saying so, unless failIfNoneDelivered
/// is on: then it fails with NONE_DELIVERED and the lists in its details.
#[test]
fn a_send_that_reached_no_one_warns_or_fails_as_asked() {
    let emu = org();
    let host = TestHost::default();
    let robot = connect(&host, &emu);
    let nobody = json!({ send::USER_IDS: ["nobody99", FLOW_CONTROLLED] });
    let out = send(&host, &robot, "text", "hi", nobody.clone()).expect("by default the send succeeds");
    assert_eq!(out[send::INVALID_USER_IDS], json!(["nobody99"]));
    assert!(host.text().contains("Delivered to 0 of 2 receivers."), "{}", host.text());

    let mut strict = nobody;
    strict[send::FAIL_IF_NONE_DELIVERED] = json!(true);
    let err = send(&host, &robot, "text", "hi", strict).unwrap_err();
    assert_eq!(err.code, "NONE_DELIVERED", "{err:?}");
    let details = err.details.as_deref().expect("details");
    assert_eq!(details[send::INVALID_USER_IDS], json!(["nobody99"]));
    assert_eq!(details[send::FLOW_CONTROLLED_USER_IDS], json!([FLOW_CONTROLLED]));
    assert!(err.zh_cn.as_ref().is_some_and(|z| z.message.contains("没有送达任何人")), "{err:?}");

    // One receiver reached is enough, and the warning says how many of how many.
    let mut one = json!({ send::USER_IDS: ["manager01", "nobody99"] });
    one[send::FAIL_IF_NONE_DELIVERED] = json!(true);
    send(&host, &robot, "text", "hi", one).expect("one receiver reached");
    assert!(host.text().contains("Delivered to 1 of 2 receivers."), "{}", host.text());
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
        (json!({ send::MSG_TYPE: "sms" }), send::MSG_TYPE),
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
        (json!({ send::USER_IDS: (0..1001).map(|i| format!("u{i}")).collect::<Vec<_>>() }), send::USER_IDS),
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

// ---- Every template, field by field (DingTalk's "robot message types" page) ----

/// Sends one message to manager01 and returns the one batchSend body's `msgKey` and parsed
/// `msgParam`, checking that `msgParam` is a JSON string whose values are all text.
fn sent_as(emu: &Emulator, host: &TestHost, robot: &Value, params: Value) -> (String, Value) {
    let mut all = json!({ "robot": robot, "userIds": ["manager01"] });
    for (k, v) in params.as_object().unwrap() {
        all[k] = v.clone();
    }
    invoke(host, send::ID, &all).unwrap_or_else(|e| panic!("{params}: {e:?}"));
    let body = emu
        .requests()
        .into_iter()
        .rev()
        .filter(|r| r.path == "/v1.0/robot/oToMessages/batchSend")
        .find_map(|r| r.body)
        .expect("a batchSend");
    let param = msg_param(&body);
    for (k, v) in param.as_object().unwrap() {
        assert!(v.is_string(), "msgParam.{k} is text: {param}");
    }
    (body["msgKey"].as_str().unwrap().to_string(), param)
}

/// The uploads the emulator recorded, as (form `type`, query `type`, filename).
fn upload_types(emu: &Emulator) -> Vec<(String, String, String)> {
    emu.requests()
        .into_iter()
        .filter(|r| r.path == "/media/upload")
        .map(|r| {
            let part = |name: &str| r.parts.iter().find(|p| p.name == name).cloned();
            let query_type = r.query.split('&').find_map(|kv| kv.strip_prefix("type=")).unwrap_or("").to_string();
            (
                part("type").and_then(|p| p.value).unwrap_or_default(),
                query_type,
                part("media").and_then(|p| p.filename).unwrap_or_default(),
            )
        })
        .collect()
}

#[test]
fn link_on_the_wire_with_an_online_or_a_local_picture() {
    let emu = org();
    let host = TestHost::default();
    let robot = connect(&host, &emu);
    let (key, param) = sent_as(
        &emu,
        &host,
        &robot,
        json!({ "msgType": "link", "content": "Q3 numbers are in", "title": "Sales", "linkUrl": " https://example.com/q3 report ",
                "picUrl": "https://example.com/q3.png" }),
    );
    assert_eq!(key, "sampleLink");
    assert_eq!(
        param,
        json!({ "text": "Q3 numbers are in", "title": "Sales", "messageUrl": "https://example.com/q3%20report",
                "picUrl": "https://example.com/q3.png" })
    );

    let dir = media::dir("link");
    let pic = media::write(&dir, "cover.png", &media::png());
    let (_, param) = sent_as(
        &emu,
        &host,
        &robot,
        json!({ "msgType": "link", "content": "# Weekly\nmore", "linkUrl": "dingtalk://dingtalkclient/page/link?url=x", "picUrl": pic }),
    );
    let uploads = emu.uploaded();
    assert_eq!((uploads.len(), uploads[0].media_type.as_str()), (1, "image"));
    assert_eq!(
        param,
        json!({ "text": "# Weekly\nmore", "title": "Weekly", "messageUrl": "dingtalk://dingtalkclient/page/link?url=x",
                "picUrl": uploads[0].media_id }),
        "the title defaults to the first line; picUrl is the uploaded image's media id"
    );
    assert_eq!(upload_types(&emu), vec![("image".into(), "image".into(), "cover.png".into())]);

    // No picture: the key is left out (DingTalk's link message has it optional).
    let (_, param) = sent_as(
        &emu,
        &host,
        &robot,
        json!({ "msgType": "link", "content": "text", "title": "t", "linkUrl": "http://example.com" }),
    );
    assert_eq!(param, json!({ "text": "text", "title": "t", "messageUrl": "http://example.com/" }));
}

#[test]
fn action_cards_on_the_wire_by_number_and_layout_of_buttons() {
    let emu = org();
    let host = TestHost::default();
    let robot = connect(&host, &emu);
    let buttons = |n: usize| -> Vec<Value> {
        (1..=n).map(|i| json!({ "title": format!("Button {i}"), "url": format!("https://example.com/{i}") })).collect()
    };
    let card = |buttons: Value, layout: Option<&str>| {
        let mut p = json!({ "msgType": "actionCard", "content": "## Approve?\nPO 4711", "title": "Approval", "buttons": buttons });
        if let Some(l) = layout {
            p["buttonLayout"] = json!(l);
        }
        p
    };

    let (key, param) = sent_as(&emu, &host, &robot, card(json!(buttons(1)), None));
    assert_eq!(key, "sampleActionCard");
    assert_eq!(
        param,
        json!({ "title": "Approval", "text": "## Approve?\nPO 4711", "singleTitle": "Button 1", "singleURL": "https://example.com/1" })
    );

    for n in 2..=5 {
        let (key, param) = sent_as(&emu, &host, &robot, card(json!(buttons(n)), Some("vertical")));
        assert_eq!(key, format!("sampleActionCard{n}"));
        let mut want = json!({ "title": "Approval", "text": "## Approve?\nPO 4711" });
        for i in 1..=n {
            want[format!("actionTitle{i}")] = json!(format!("Button {i}"));
            want[format!("actionURL{i}")] = json!(format!("https://example.com/{i}"));
        }
        assert_eq!(param, want, "{n} vertical buttons: actionTitleN / actionURLN");
    }

    // Two side by side, given as JSON text as a form field holds it.
    let (key, param) = sent_as(&emu, &host, &robot, card(json!(json!(buttons(2)).to_string()), Some("horizontal")));
    assert_eq!(key, "sampleActionCard6");
    assert_eq!(
        param,
        json!({ "title": "Approval", "text": "## Approve?\nPO 4711",
                "buttonTitle1": "Button 1", "buttonUrl1": "https://example.com/1",
                "buttonTitle2": "Button 2", "buttonUrl2": "https://example.com/2" }),
        "buttonUrlN, not buttonURLN"
    );
    let stats = emu.stats();
    assert_eq!(stats.messages_by_template.len(), 6, "{stats:?}");
}

#[test]
fn a_local_image_is_uploaded_as_an_image_and_sent_by_its_media_id() {
    let emu = org();
    let host = TestHost::default();
    let robot = connect(&host, &emu);
    let dir = media::dir("image");
    for (name, bytes, uploaded_as) in
        [("chart.png", media::png(), "chart.png"), ("照片 1.JPEG", media::jpg(), "照片 1.jpg")]
    {
        let path = media::write(&dir, name, &bytes);
        let (key, param) = sent_as(&emu, &host, &robot, json!({ "msgType": "image", "content": path }));
        let upload = emu.uploaded().pop().unwrap();
        assert_eq!(key, "sampleImageMsg");
        assert_eq!(param, json!({ "photoURL": upload.media_id }));
        assert_eq!((upload.media_type.as_str(), upload.filename.as_str()), ("image", uploaded_as));
        assert_eq!(upload.size, bytes.len() as u64);
    }
    let types = upload_types(&emu);
    assert_eq!(types.len(), 2);
    assert!(types.iter().all(|(form, query, _)| form == "image" && query == "image"), "{types:?}");
}

#[test]
fn audio_is_uploaded_as_voice_with_its_length_in_milliseconds_read_from_the_file() {
    let emu = org();
    let host = TestHost::default();
    let robot = connect(&host, &emu);
    let dir = media::dir("audio");
    let cases = [
        ("note.amr", media::amr(150), "3000"),
        ("note.wav", media::wav(12_000), "1500"),
        ("note.mp3", media::mp3(115), "3004"),
    ];
    assert_eq!(media::mp3_millis(115), 3004);
    for (name, bytes, millis) in cases {
        let path = media::write(&dir, name, &bytes);
        let (key, param) = sent_as(&emu, &host, &robot, json!({ "msgType": "audio", "content": path }));
        let upload = emu.uploaded().pop().unwrap();
        assert_eq!(key, "sampleAudio");
        assert_eq!(param, json!({ "mediaId": upload.media_id, "duration": millis }), "{name}: milliseconds, as text");
        assert_eq!((upload.media_type.as_str(), upload.filename.as_str()), ("voice", name));
    }
    // A length typed in seconds wins over the file's, and goes out in milliseconds.
    let path = media::write(&dir, "typed.amr", &media::amr(10));
    let (_, param) =
        sent_as(&emu, &host, &robot, json!({ "msgType": "audio", "content": path, "durationSeconds": "7" }));
    assert_eq!(param["duration"], "7000");
    let types = upload_types(&emu);
    assert_eq!(types.len(), 4);
    assert!(types.iter().all(|(form, query, _)| form == "voice" && query == "voice"), "{types:?}");
}

#[test]
fn video_is_uploaded_with_its_cover_and_its_length_in_seconds_read_from_the_mp4() {
    let emu = org();
    let host = TestHost::default();
    let robot = connect(&host, &emu);
    let dir = media::dir("video");
    // 4,230 units of 600 per second: 7.05 s, sent as "7".
    let video = media::write(&dir, "demo.mp4", &media::mp4(600, 4_230));
    let cover = media::write(&dir, "cover.png", &media::png());
    let (key, param) =
        sent_as(&emu, &host, &robot, json!({ "msgType": "video", "content": video, "coverImage": cover }));
    let uploads = emu.uploaded();
    assert_eq!(key, "sampleVideo");
    let (film, picture) = (&uploads[0], &uploads[1]);
    assert_eq!((film.media_type.as_str(), picture.media_type.as_str()), ("video", "image"));
    assert_eq!(
        param,
        json!({ "duration": "7", "videoMediaId": film.media_id, "videoType": "mp4", "picMediaId": picture.media_id }),
        "seconds, as text"
    );
    assert_eq!(
        upload_types(&emu),
        vec![("video".into(), "video".into(), "demo.mp4".into()), ("image".into(), "image".into(), "cover.png".into())]
    );
    let (_, param) = sent_as(
        &emu,
        &host,
        &robot,
        json!({ "msgType": "video", "content": video, "coverImage": cover, "durationSeconds": 95 }),
    );
    assert_eq!(param["duration"], "95");
}

// ---- Receivers: mobile numbers, and more than 20 ----

/// The standard org, with mobile numbers for two of its users.
fn org_with_mobiles() -> Emulator {
    Emulator::start(dingtalk_emulator::EmulatorConfig {
        mobiles: vec![("13800000001".into(), "manager01".into()), ("13800000002".into(), "staff02".into())],
        ..org_config()
    })
    .unwrap()
}

#[test]
fn mobiles_are_resolved_once_per_connection_and_unknown_ones_reported() {
    let emu = org_with_mobiles();
    let host = TestHost::default();
    let robot = connect(&host, &emu);
    let params = json!({ "robot": robot, "userIds": "manager01", "mobiles": "13800000001\n+86 138-0000-0002\n\n13900000009",
                         "msgType": "text", "content": "hi" });
    let out = invoke(&host, send::ID, &params).unwrap();
    assert_eq!(out["unresolvedMobiles"], json!(["13900000009"]));
    assert_eq!(
        emu.delivered()[0].user_ids,
        vec!["manager01", "staff02"],
        "user IDs first, then mobiles, no duplicates"
    );
    let lookups = |emu: &Emulator| -> Vec<String> {
        emu.requests()
            .into_iter()
            .filter(|r| r.path == "/topapi/v2/user/getbymobile")
            .map(|r| r.body.unwrap()["mobile"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(lookups(&emu), vec!["13800000001", "13800000002", "13900000009"], "normalized, as JSON bodies");

    // The same robot (connection) again: resolved numbers are not looked up twice.
    let out = invoke(&host, send::ID, &params).unwrap();
    assert_eq!(out["unresolvedMobiles"], json!(["13900000009"]));
    assert_eq!(
        lookups(&emu),
        vec!["13800000001", "13800000002", "13900000009"],
        "one lookup per mobile across two sends, the one that named no one included"
    );
    assert_eq!(emu.stats().messages, 4);
    assert!(
        emu.requests().iter().filter(|r| r.path.contains("getbymobile")).all(|r| r.query.starts_with("access_token="))
    );
    assert_no_secrets(&emu, &[&out.to_string(), &host.text()]);
}

#[test]
fn only_unknown_mobiles_means_no_one_to_send_to() {
    let emu = org_with_mobiles();
    let host = TestHost::default();
    let robot = connect(&host, &emu);
    let params =
        json!({ "robot": robot, "mobiles": ["13900000008", "13900000009"], "msgType": "text", "content": "hi" });
    let err = invoke(&host, send::ID, &params).unwrap_err();
    assert_eq!((err.code.as_str(), err.field.as_deref()), ("INVALID_INPUT", Some("mobiles")), "{err:?}");
    assert_eq!(err.details.unwrap()["unresolvedMobiles"], json!(["13900000008", "13900000009"]));
    assert_eq!(emu.stats().batch_send_requests, 0);
}

#[test]
fn a_missing_member_read_permission_is_named() {
    let emu = org_with_mobiles();
    let host = TestHost::default();
    let robot = connect(&host, &emu);
    emu.set_permissions(APP_KEY, vec!["qyapi_robot_sendmsg".into(), "qyapi_base".into()]);
    let params = json!({ "robot": robot, "mobiles": ["13800000001"], "msgType": "text", "content": "hi" });
    let err = invoke(&host, send::ID, &params).unwrap_err();
    assert_eq!(err.code, "PERMISSION_DENIED", "{err:?}");
    let hint = err.hint.unwrap();
    assert!(hint.contains("qyapi_get_member_by_mobile") && hint.contains("by mobile number"), "{hint}");
    assert_eq!(err.upstream.unwrap().code.as_deref(), Some("60011"));
    assert_eq!(emu.stats().batch_send_requests, 0);
}

/// An org of 45 users `p00`..`p44`; `p07` and `p33` are flow-controlled.
fn org_of_45() -> Emulator {
    Emulator::start(dingtalk_emulator::EmulatorConfig {
        users: (0..45).map(|i| format!("p{i:02}")).collect(),
        flow_controlled: vec!["p07".into(), "p33".into()],
        ..org_config()
    })
    .unwrap()
}

#[test]
fn forty_five_receivers_go_out_as_three_batches_with_merged_outputs() {
    let emu = org_of_45();
    let host = TestHost::default();
    let robot = connect(&host, &emu);
    let mut ids: Vec<String> = (0..44).map(|i| format!("p{i:02}")).collect();
    ids.insert(25, "ghost".into()); // not in the org: DingTalk says invalid
    ids.push("p00".into()); // a duplicate does not count
    let params = json!({ "robot": robot, "userIds": ids, "msgType": "markdown", "content": "# All hands\nFriday" });
    let out = invoke(&host, send::ID, &params).unwrap();
    let bodies: Vec<Value> = emu
        .requests()
        .into_iter()
        .filter(|r| r.path == "/v1.0/robot/oToMessages/batchSend")
        .filter_map(|r| r.body)
        .collect();
    let batches: Vec<Vec<String>> =
        bodies.iter().map(|b| serde_json::from_value(b["userIds"].clone()).unwrap()).collect();
    let unique: Vec<String> = ids[..45].to_vec();
    assert_eq!(batches, vec![unique[..20].to_vec(), unique[20..40].to_vec(), unique[40..].to_vec()], "in order");
    assert!(bodies.iter().all(|b| b["msgParam"] == bodies[0]["msgParam"] && b["msgKey"] == "sampleMarkdown"));
    assert_eq!(out["invalidUserIds"], json!(["ghost"]));
    assert_eq!(out["flowControlledUserIds"], json!(["p07", "p33"]));
    let delivered = emu.delivered();
    let keys: Vec<&str> = delivered.iter().map(|d| d.process_query_key.as_str()).collect();
    assert_eq!(out["processQueryKeys"], json!(keys));
    assert_eq!(out["processQueryKey"], json!(keys[0]));
    assert_eq!(out["unresolvedMobiles"], json!([]));
    assert_eq!(emu.stats().messages, 42, "45 receivers less one invalid and two flow-controlled");
    assert!(host.text().contains("45 receivers in 3 batches"), "{}", host.text());
}

#[test]
fn a_getbymobile_answer_with_errcode_as_text_is_read_too() {
    // One of DingTalk's samples writes `"errcode": "0"`; its field table says a number.
    let emu = Emulator::start(dingtalk_emulator::EmulatorConfig {
        mobiles: vec![("13800000002".into(), "staff02".into())],
        errcode_as_text: true,
        ..org_config()
    })
    .unwrap();
    let host = TestHost::default();
    let robot = connect(&host, &emu);
    let params = json!({ "robot": robot, "mobiles": "13800000002", "msgType": "text", "content": "hi" });
    let out = invoke(&host, send::ID, &params).unwrap();
    assert_eq!(out["unresolvedMobiles"], json!([]));
    assert_eq!(emu.delivered()[0].user_ids, vec!["staff02"]);
}

#[test]
fn fields_left_out_take_their_defaults_in_the_host_and_the_plugin() {
    use host_sim::{SimHost, run_flow};
    use support::flows::{connect_then_send, flow, plugin};
    let emu = unlimited_org();
    let host = SimHost::silent();
    // A one-button card with no buttonLayout, and a text with no msgType: the form's check
    // and the plugin both take the default (vertical, text).
    let card = json!({ send::MSG_TYPE: "actionCard", send::CONTENT: "Sign off", send::TITLE: "PO 4711",
                       send::BUTTONS: [{"title": "Open", "url": "https://example.com"}], send::BUTTON_LAYOUT: "<absent>" });
    run_flow(plugin().as_ref(), &flow(&connect_then_send(&emu, json!({}), card)), &host, Default::default())
        .unwrap_or_else(|e| panic!("{:?}", e.error));
    let text = json!({ send::MSG_TYPE: "<absent>", send::CONTENT: "hello" });
    run_flow(plugin().as_ref(), &flow(&connect_then_send(&emu, json!({}), text)), &host, Default::default())
        .unwrap_or_else(|e| panic!("{:?}", e.error));
    let delivered = emu.delivered();
    assert_eq!(delivered.len(), 2);
    assert!(delivered[0].msg_key.starts_with("sampleActionCard"), "{}", delivered[0].msg_key);
    assert_eq!(delivered[1].msg_key, "sampleText");
}
