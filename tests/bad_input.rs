//! Bad input a careless user or an attacker gives: each is refused with a structured error
//! naming its field, quickly, and nothing is sent. (More bad input, through host-sim and the
//! binary, is in `reliability.rs` and `reliability_edges.rs`.)

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use abi_stable::std_types::RStr;
use dingtalk_emulator::Emulator;
use dingtalk_robot::actions::send;
use rpa_plugin_abi::{ErrorPayload, Host, LogLevel};
use serde_json::{Value, json};
use support::{TestHost, connect, invoke, org};

/// A generous bound for refusing input that is too large: the point is "not seconds or
/// minutes", as before this was bounded.
const QUICK: Duration = Duration::from_secs(1);

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("bad-input-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn send_with(emu: &Emulator, changes: Value) -> Result<Value, ErrorPayload> {
    let host = TestHost::default();
    let robot = connect(&host, emu);
    let mut params =
        json!({ send::ROBOT: robot, send::USER_IDS: ["manager01"], send::MSG_TYPE: "text", send::CONTENT: "hi" });
    for (k, v) in changes.as_object().unwrap() {
        params[k] = v.clone();
    }
    invoke(&host, send::ID, &params)
}

fn refused(emu: &Emulator, changes: Value, field: &str) -> ErrorPayload {
    let err = send_with(emu, changes.clone()).expect_err("refused");
    assert_eq!(err.code, "INVALID_INPUT", "{changes}: {err:?}");
    assert_eq!(err.field.as_deref(), Some(field), "{changes}: {err:?}");
    err
}

#[test]
fn a_million_user_ids_are_refused_at_once() {
    let emu = org();
    let host = TestHost::default();
    let robot = connect(&host, &emu);
    let text: String = (0..1_000_000).map(|i| format!("u{i}")).collect::<Vec<_>>().join(",");
    let list: Vec<String> = (0..1_000_000).map(|i| format!("u{i}")).collect();
    let json_text = serde_json::to_string(&list).unwrap();
    let just_over: Vec<String> = (0..=send::MAX_USER_ID_ITEMS).map(|i| format!("u{i}")).collect();
    for (what, value) in
        [("text", json!(text)), ("list", json!(list)), ("JSON text", json!(json_text)), ("201 items", json!(just_over))]
    {
        let params = json!({ send::ROBOT: robot, send::USER_IDS: value, send::MSG_TYPE: "text", send::CONTENT: "hi" })
            .to_string();
        let host_ref = rpa_plugin_abi::Host_TO::from_ptr(&host, abi_stable::sabi_trait::TD_Opaque);
        let started = Instant::now();
        let err = dingtalk_robot::invoke(send::ID, &params, &host_ref).unwrap_err();
        let took = started.elapsed();
        let err: ErrorPayload = serde_json::from_str(&err).unwrap();
        assert_eq!(
            (err.code.as_str(), err.field.as_deref()),
            ("INVALID_INPUT", Some(send::USER_IDS)),
            "{what}: {err:?}"
        );
        assert!(took < QUICK, "{what}: took {took:?}");
    }
    // 200 items that are all one ID are fine to read, and make one receiver.
    let repeated: Vec<&str> = std::iter::repeat_n("manager01", send::MAX_USER_ID_ITEMS).collect();
    assert!(send_with(&emu, json!({ send::USER_IDS: repeated })).is_ok());
    assert_eq!(emu.delivered().len(), 1);
}

#[test]
fn invisible_characters_and_inner_spaces_in_ids() {
    let emu = org();
    send_with(&emu, json!({ send::USER_IDS: "\u{FEFF}manager01,\u{200B}staff02\u{200D}" })).unwrap();
    send_with(&emu, json!({ send::USER_IDS: "manager01 staff02\tstaff03" })).unwrap();
    let got: Vec<Vec<String>> = emu.delivered().iter().map(|d| d.user_ids.clone()).collect();
    assert_eq!(got, vec![vec!["manager01", "staff02"], vec!["manager01", "staff02", "staff03"]]);
    let err = refused(&emu, json!({ send::USER_IDS: ["manager01 staff02"] }), send::USER_IDS);
    assert!(err.message.contains("space"), "{}", err.message);
    assert_eq!(emu.delivered().len(), 2, "nothing more was sent");
}

#[test]
fn an_image_url_with_spaces_is_percent_encoded() {
    let emu = org();
    send_with(&emu, json!({ send::MSG_TYPE: "image", send::CONTENT: " https://img.example.com/weekly chart.png " }))
        .unwrap();
    assert_eq!(emu.delivered()[0].msg_param["photoURL"], "https://img.example.com/weekly%20chart.png");
}

#[test]
fn files_that_are_not_documents_are_refused_in_plain_words() {
    let emu = org();
    let dir = scratch("files");
    let file = |name: &str, len: usize| {
        let path = dir.join(name);
        std::fs::write(&path, vec![b'x'; len]).unwrap();
        path.to_string_lossy().into_owned()
    };
    let too_big = file("big.pdf", 20 * 1024 * 1024 + 1);
    let err = refused(&emu, json!({ send::MSG_TYPE: "file", send::CONTENT: too_big }), send::CONTENT);
    assert!(err.message.contains("20971521 bytes") && err.message.contains("20971520 bytes"), "{}", err.message);
    let no_ext = file("README", 10);
    let err = refused(&emu, json!({ send::MSG_TYPE: "file", send::CONTENT: no_ext }), send::CONTENT);
    assert!(err.message.contains("has no extension"), "{}", err.message);
    for name in ["line1\nline2.pdf", "x\r\nContent-Type: evil\r\nY: z.pdf"] {
        let path = file(name, 10);
        let err = refused(&emu, json!({ send::MSG_TYPE: "file", send::CONTENT: path }), send::CONTENT);
        assert!(err.message.contains("control character"), "{}", err.message);
    }
    #[cfg(unix)]
    {
        let fifo = dir.join("pipe.pdf");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status().is_ok_and(|s| s.success());
        assert!(made, "mkfifo works");
        for path in [fifo.to_string_lossy().into_owned(), "/dev/zero".to_string()] {
            let err = refused(&emu, json!({ send::MSG_TYPE: "file", send::CONTENT: path }), send::CONTENT);
            assert!(err.message.contains("not a regular file"), "{}", err.message);
        }
    }
    assert!(emu.uploaded().is_empty() && emu.delivered().is_empty(), "nothing was uploaded or sent");
}

#[test]
fn a_backslash_in_a_file_name_arrives_as_one_backslash() {
    let emu = org();
    let dir = scratch("backslash");
    let name = if cfg!(windows) { "报告 2026.pdf" } else { "back\\slash 报告.pdf" };
    let path = dir.join(name);
    std::fs::write(&path, b"%PDF-1.4").unwrap();
    send_with(&emu, json!({ send::MSG_TYPE: "file", send::CONTENT: path.to_string_lossy() })).unwrap();
    assert_eq!(emu.uploaded()[0].filename, name);
    assert_eq!(emu.delivered()[0].msg_param["fileName"], name);
}

/// A host whose user presses "stop" after it has been asked `after` times.
struct StopsAfter {
    after: usize,
    asked: AtomicUsize,
}

impl Host for StopsAfter {
    fn log(&self, _level: LogLevel, _message: RStr<'_>) {}

    fn is_cancelled(&self) -> bool {
        self.asked.fetch_add(1, Ordering::SeqCst) >= self.after
    }
}

#[test]
fn a_cancel_during_input_checks_is_honoured_before_anything_is_sent() {
    use abi_stable::sabi_trait::TD_Opaque;
    let emu = org();
    let robot = connect(&TestHost::default(), &emu);
    let dir = scratch("cancel");
    let path = dir.join("large.pdf");
    std::fs::write(&path, vec![b'%'; 20 * 1024 * 1024]).unwrap();
    let params = json!({ send::ROBOT: robot, send::USER_IDS: ["manager01"], send::MSG_TYPE: "file", send::CONTENT: path.to_string_lossy() });
    // Asked once before the checks, then as the file is read: stop while reading it.
    let host = StopsAfter { after: 2, asked: AtomicUsize::new(0) };
    let host_ref = rpa_plugin_abi::Host_TO::from_ptr(&host, TD_Opaque);
    let err = dingtalk_robot::invoke(send::ID, &params.to_string(), &host_ref).unwrap_err();
    let err: ErrorPayload = serde_json::from_str(&err).unwrap();
    assert_eq!(err.code, "CANCELLED");
    assert!(host.asked.load(Ordering::SeqCst) >= 3, "the flag was read during the checks");
    assert!(emu.uploaded().is_empty() && emu.delivered().is_empty());
}

/// Every field the templates and receivers added, given wrongly: each is refused naming its
/// field, before any lookup, upload or send.
#[test]
fn bad_input_for_every_new_field_is_refused_by_name_before_any_call() {
    use support::media;
    let emu = org();
    let dir = media::dir("bad-new-fields");
    let png = media::write(&dir, "ok.png", &media::png());
    let amr = media::write(&dir, "ok.amr", &media::amr(5));
    let mp4 = media::write(&dir, "ok.mp4", &media::mp4(1000, 3000));
    let fake_png = media::write(&dir, "fake.png", b"not a picture");
    let fake_amr = media::write(&dir, "fake.amr", b"RIFF....WAVE");
    let tiff = media::write(&dir, "scan.tiff", b"II*\0");
    let ogg = media::write(&dir, "note.ogg", b"OggS");
    let big_amr = media::write(&dir, "big.amr", &media::amr(2 * 1024 * 1024 / 32 + 1));
    let no_moov = media::write(&dir, "nomoov.mp4", b"\0\0\0\x10ftypisom\0\0\0\0");
    let avi = media::write(&dir, "clip.avi", b"RIFF....AVI ");
    let missing = dir.join("missing.png").to_string_lossy().into_owned();
    let buttons = |n: usize| -> Value {
        json!((0..n).map(|i| json!({ "title": format!("b{i}"), "url": "https://example.com" })).collect::<Vec<_>>())
    };
    let link = json!({ send::MSG_TYPE: "link", send::LINK_URL: "https://example.com" });
    let card = json!({ send::MSG_TYPE: "actionCard", send::BUTTONS: buttons(1) });
    let video = json!({ send::MSG_TYPE: "video", send::CONTENT: mp4, send::COVER_IMAGE: png });
    let with = |base: &Value, more: Value| {
        let mut v = base.clone();
        for (k, x) in more.as_object().unwrap() {
            v[k] = x.clone();
        }
        v
    };
    let cases: Vec<(Value, &str, &str)> = vec![
        // Receivers.
        (json!({ send::USER_IDS: [] }), send::USER_IDS, "No receivers"),
        (json!({ send::USER_IDS: "", send::MOBILES: " \n " }), send::USER_IDS, "No receivers"),
        (json!({ send::USER_IDS: r#"{"id": "u1"}"# }), send::USER_IDS, "not an object"),
        (json!({ send::USER_IDS: "[[\"manager01\"]]" }), send::USER_IDS, "#1 is a list"),
        (json!({ send::MOBILES: r#"{"mobile": "13800000001"}"# }), send::MOBILES, "not an object"),
        (json!({ send::MOBILES: [13800000001u64] }), send::MOBILES, "#1 is a number"),
        (json!({ send::MOBILES: ["138-0000-000x"] }), send::MOBILES, "not a mobile number"),
        (json!({ send::MOBILES: "12345678901234567890123" }), send::MOBILES, "not a mobile number"),
        (json!({ send::MOBILES: 13800000001u64 }), send::MOBILES, "not a number"),
        (json!({ send::MOBILES: vec!["13800000001"; 2001] }), send::MOBILES, "More than 2000"),
        (
            json!({ send::USER_IDS: (0..1001).map(|i| format!("u{i}")).collect::<Vec<_>>() }),
            send::USER_IDS,
            "1001 different",
        ),
        // Templates and their fields.
        (json!({ send::MSG_TYPE: "sms" }), send::MSG_TYPE, "not one of the choices"),
        (json!({ send::MSG_TYPE: "markdown", send::CONTENT: "字".repeat(5_001) }), send::CONTENT, "15000 bytes"),
        (json!({ send::MSG_TYPE: "markdown", send::TITLE: "t".repeat(129) }), send::TITLE, "longer than 128"),
        (json!({ send::MSG_TYPE: "image", send::CONTENT: tiff }), send::CONTENT, "\".tiff\""),
        (json!({ send::MSG_TYPE: "image", send::CONTENT: fake_png }), send::CONTENT, "not a .png file"),
        (json!({ send::MSG_TYPE: "image", send::CONTENT: "ftp://example.com/a.png" }), send::CONTENT, "neither"),
        (json!({ send::MSG_TYPE: "link" }), send::LINK_URL, "is required"),
        (with(&link, json!({ send::LINK_URL: "ftp://example.com" })), send::LINK_URL, "not a web link"),
        (with(&link, json!({ send::LINK_URL: "example.com/page" })), send::LINK_URL, "not a web link"),
        (with(&link, json!({ send::PIC_URL: missing })), send::PIC_URL, "does not exist"),
        (with(&link, json!({ send::PIC_URL: "ftp://example.com/a.png" })), send::PIC_URL, "neither"),
        (with(&link, json!({ send::PIC_URL: 5 })), send::PIC_URL, "must be text"),
        (json!({ send::MSG_TYPE: "actionCard" }), send::BUTTONS, "is required"),
        (with(&card, json!({ send::BUTTONS: [] })), send::BUTTONS, "1 to 5 buttons; got 0"),
        (with(&card, json!({ send::BUTTONS: buttons(6) })), send::BUTTONS, "1 to 5 buttons; got 6"),
        (with(&card, json!({ send::BUTTONS: [{ "title": "Go" }] })), send::BUTTONS, "no \"url\""),
        (with(&card, json!({ send::BUTTONS: [{ "url": "https://a.example" }] })), send::BUTTONS, "no \"title\""),
        (
            with(&card, json!({ send::BUTTONS: [{ "title": "Go", "actionURL": "https://a.example" }] })),
            send::BUTTONS,
            "\"actionURL\"",
        ),
        (
            with(&card, json!({ send::BUTTONS: [{ "title": "Go", "url": "javascript:alert(1)" }] })),
            send::BUTTONS,
            "not a web link",
        ),
        (
            with(&card, json!({ send::BUTTONS: [{ "title": "x".repeat(65), "url": "https://a.example" }] })),
            send::BUTTONS,
            "longer than 64",
        ),
        (with(&card, json!({ send::BUTTONS: "Go: https://a.example" })), send::BUTTONS, "must be a list"),
        (with(&card, json!({ send::BUTTONS: 3 })), send::BUTTONS, "must be a list"),
        (
            with(&card, json!({ send::BUTTONS: buttons(3), send::BUTTON_LAYOUT: "horizontal" })),
            send::BUTTON_LAYOUT,
            "exactly 2",
        ),
        (with(&card, json!({ send::BUTTON_LAYOUT: "diagonal" })), send::BUTTON_LAYOUT, "not one of the choices"),
        (json!({ send::MSG_TYPE: "audio", send::CONTENT: ogg }), send::CONTENT, "\".ogg\""),
        (json!({ send::MSG_TYPE: "audio", send::CONTENT: big_amr }), send::CONTENT, "2097152 bytes"),
        (json!({ send::MSG_TYPE: "audio", send::CONTENT: fake_amr }), send::CONTENT, "not a .amr file"),
        (
            json!({ send::MSG_TYPE: "audio", send::CONTENT: amr.clone(), send::DURATION_SECONDS: 0 }),
            send::DURATION_SECONDS,
            "between 1 and 86400",
        ),
        (
            json!({ send::MSG_TYPE: "audio", send::CONTENT: amr.clone(), send::DURATION_SECONDS: "1.5" }),
            send::DURATION_SECONDS,
            "whole number",
        ),
        (
            json!({ send::MSG_TYPE: "audio", send::CONTENT: amr, send::DURATION_SECONDS: 86_401 }),
            send::DURATION_SECONDS,
            "got 86401",
        ),
        (json!({ send::MSG_TYPE: "video", send::CONTENT: avi, send::COVER_IMAGE: png }), send::CONTENT, "\".avi\""),
        (with(&video, json!({ send::CONTENT: no_moov })), send::DURATION_SECONDS, "cannot be read"),
        (json!({ send::MSG_TYPE: "video", send::CONTENT: mp4 }), send::COVER_IMAGE, "is required"),
        (with(&video, json!({ send::COVER_IMAGE: mp4 })), send::COVER_IMAGE, "\".mp4\""),
        (with(&video, json!({ send::COVER_IMAGE: missing })), send::COVER_IMAGE, "does not exist"),
        (with(&video, json!({ send::DURATION_SECONDS: true })), send::DURATION_SECONDS, "whole number"),
    ];
    let before = emu.stats();
    for (change, field, says) in cases {
        let err = refused(&emu, change.clone(), field);
        assert!(err.message.contains(says), "{change}: expected \"{says}\" in {:?}", err.message);
        assert!(err.hint.is_some() && err.zh_cn.is_some(), "{change}: {err:?}");
    }
    let after = emu.stats();
    assert_eq!(
        (after.mobile_lookups, after.uploads, after.batch_send_requests),
        (before.mobile_lookups, before.uploads, before.batch_send_requests),
        "nothing was looked up, uploaded or sent"
    );
    assert!(emu.requests().iter().all(|r| !r.path.contains("getbymobile") && r.path != "/media/upload"));
}

/// Every field of the four actions after a send (read status, recall, group message, user
/// lookup), given wrongly, and a robot that is not one: each is refused naming its field,
/// before any call to DingTalk.
#[test]
fn bad_input_for_the_read_status_recall_group_and_lookup_fields_is_refused_by_name_before_any_call() {
    use dingtalk_robot::actions::{group_send, lookup, read_status, recall};
    let emu = org();
    let host = TestHost::default();
    let robot = connect(&host, &emu);
    let missing = support::media::dir("bad-four-actions").join("missing.pdf").to_string_lossy().into_owned();
    let keys = |n: usize| -> Vec<String> { (0..n).map(|i| format!("key{i}+/=")).collect() };
    let mobiles = |n: usize| -> Vec<String> { (0..n).map(|i| format!("138{i:08}")).collect() };
    let base = |action: &str| -> Value {
        match action {
            read_status::ID => json!({ "robot": robot, read_status::PROCESS_QUERY_KEY: "Ab+cd/EF==" }),
            recall::ID => json!({ "robot": robot, recall::PROCESS_QUERY_KEYS: ["Ab+cd/EF=="] }),
            group_send::ID => json!({ "robot": robot, group_send::OPEN_CONVERSATION_ID: "cidGroup==",
                                      send::MSG_TYPE: "text", send::CONTENT: "hi" }),
            _ => json!({ "robot": robot, lookup::MOBILES: ["13800000001"] }),
        }
    };
    let (rs, rc, gs, lu) = (read_status::ID, recall::ID, group_send::ID, lookup::ID);
    let cases: Vec<(&str, Value, &str, &str)> = vec![
        // Read status: one key.
        (rs, json!({ read_status::PROCESS_QUERY_KEY: "" }), read_status::PROCESS_QUERY_KEY, "is required"),
        (rs, json!({ read_status::PROCESS_QUERY_KEY: Value::Null }), read_status::PROCESS_QUERY_KEY, "is required"),
        (rs, json!({ read_status::PROCESS_QUERY_KEY: 12 }), read_status::PROCESS_QUERY_KEY, "must be text"),
        (rs, json!({ read_status::PROCESS_QUERY_KEY: ["Ab+cd/EF=="] }), read_status::PROCESS_QUERY_KEY, "must be text"),
        (rs, json!({ read_status::PROCESS_QUERY_KEY: "Ab+cd /EF==" }), read_status::PROCESS_QUERY_KEY, "spaces"),
        (
            rs,
            json!({ read_status::PROCESS_QUERY_KEY: "k".repeat(257) }),
            read_status::PROCESS_QUERY_KEY,
            "longer than 256",
        ),
        // Recall: keys, and the group.
        (rc, json!({ recall::PROCESS_QUERY_KEYS: [] }), recall::PROCESS_QUERY_KEYS, "is required"),
        (rc, json!({ recall::PROCESS_QUERY_KEYS: " ,\n " }), recall::PROCESS_QUERY_KEYS, "is required"),
        (
            rc,
            json!({ recall::PROCESS_QUERY_KEYS: keys(21) }),
            recall::PROCESS_QUERY_KEYS,
            "21 different processQueryKeys",
        ),
        (rc, json!({ recall::PROCESS_QUERY_KEYS: keys(41) }), recall::PROCESS_QUERY_KEYS, "More than 40"),
        (rc, json!({ recall::PROCESS_QUERY_KEYS: ["k1", "k 2"] }), recall::PROCESS_QUERY_KEYS, "space"),
        (rc, json!({ recall::PROCESS_QUERY_KEYS: ["k1", 5] }), recall::PROCESS_QUERY_KEYS, "#2 is a number"),
        (rc, json!({ recall::PROCESS_QUERY_KEYS: ["k1", ""] }), recall::PROCESS_QUERY_KEYS, "#2 is blank"),
        (rc, json!({ recall::PROCESS_QUERY_KEYS: ["k".repeat(257)] }), recall::PROCESS_QUERY_KEYS, "longer than 256"),
        (rc, json!({ recall::PROCESS_QUERY_KEYS: r#"{"key": "k1"}"# }), recall::PROCESS_QUERY_KEYS, "not an object"),
        (rc, json!({ recall::PROCESS_QUERY_KEYS: "[[\"k1\"]]" }), recall::PROCESS_QUERY_KEYS, "#1 is a list"),
        (rc, json!({ recall::PROCESS_QUERY_KEYS: 7 }), recall::PROCESS_QUERY_KEYS, "not a number"),
        (rc, json!({ recall::OPEN_CONVERSATION_ID: "cid Group" }), recall::OPEN_CONVERSATION_ID, "spaces"),
        (rc, json!({ recall::OPEN_CONVERSATION_ID: 5 }), recall::OPEN_CONVERSATION_ID, "must be text"),
        (rc, json!({ recall::OPEN_CONVERSATION_ID: "c".repeat(129) }), recall::OPEN_CONVERSATION_ID, "longer than 128"),
        // Group message: the group, then the template's fields, checked as the send checks them.
        (gs, json!({ group_send::OPEN_CONVERSATION_ID: "" }), group_send::OPEN_CONVERSATION_ID, "is required"),
        (gs, json!({ group_send::OPEN_CONVERSATION_ID: "cid\tGroup" }), group_send::OPEN_CONVERSATION_ID, "spaces"),
        (gs, json!({ group_send::OPEN_CONVERSATION_ID: true }), group_send::OPEN_CONVERSATION_ID, "must be text"),
        (
            gs,
            json!({ group_send::OPEN_CONVERSATION_ID: "c".repeat(129) }),
            group_send::OPEN_CONVERSATION_ID,
            "longer than 128",
        ),
        (gs, json!({ send::MSG_TYPE: "sms" }), send::MSG_TYPE, "not one of the choices"),
        (gs, json!({ send::CONTENT: "" }), send::CONTENT, "is required"),
        (gs, json!({ send::MSG_TYPE: "markdown", send::CONTENT: "字".repeat(5_001) }), send::CONTENT, "15000 bytes"),
        (gs, json!({ send::MSG_TYPE: "link" }), send::LINK_URL, "is required"),
        (gs, json!({ send::MSG_TYPE: "actionCard", send::BUTTONS: [] }), send::BUTTONS, "got 0"),
        (gs, json!({ send::MSG_TYPE: "file", send::CONTENT: missing }), send::CONTENT, "does not exist"),
        (
            gs,
            json!({ send::MSG_TYPE: "audio", send::CONTENT: "x.amr", send::DURATION_SECONDS: 0 }),
            send::CONTENT,
            "amr",
        ),
        (gs, json!({ send::USER_IDS: ["manager01"] }), send::USER_IDS, "not a field"),
        // User lookup: the numbers.
        (lu, json!({ lookup::MOBILES: [] }), lookup::MOBILES, "is required"),
        (lu, json!({ lookup::MOBILES: "" }), lookup::MOBILES, "is required"),
        (
            lu,
            json!({ lookup::MOBILES: mobiles(101) }),
            lookup::MOBILES,
            "101 different mobile numbers; one lookup takes at most 100",
        ),
        (lu, json!({ lookup::MOBILES: mobiles(201) }), lookup::MOBILES, "More than 200"),
        (lu, json!({ lookup::MOBILES: ["12ab"] }), lookup::MOBILES, "not a mobile number"),
        (lu, json!({ lookup::MOBILES: [13800000001u64] }), lookup::MOBILES, "#1 is a number"),
        (lu, json!({ lookup::MOBILES: r#"{"mobile": "13800000001"}"# }), lookup::MOBILES, "not an object"),
        (lu, json!({ lookup::MOBILES: 13800000001u64 }), lookup::MOBILES, "not a number"),
    ];
    let before = emu.requests().len();
    for (action, change, field, says) in cases {
        let mut params = base(action);
        for (k, v) in change.as_object().unwrap() {
            params[k] = v.clone();
        }
        let err = invoke(&host, action, &params).expect_err("refused");
        assert_eq!(
            (err.code.as_str(), err.field.as_deref()),
            ("INVALID_INPUT", Some(field)),
            "{action} {change}: {err:?}"
        );
        assert!(err.message.contains(says), "{action} {change}: expected \"{says}\" in {:?}", err.message);
        assert!(err.hint.is_some() && err.zh_cn.is_some(), "{action} {change}: {err:?}");
    }
    // A robot that is not one, for every action.
    for action in [rs, rc, gs, lu] {
        for bad in [Value::Null, json!("robot"), json!({ "type": "dingtalk.robot", "id": "forged" })] {
            let mut params = base(action);
            params["robot"] = bad.clone();
            let err = invoke(&host, action, &params).expect_err("refused");
            assert!(matches!(err.code.as_str(), "INVALID_INPUT" | "ROBOT_NOT_CONNECTED"), "{action} {bad}: {err:?}");
            assert_eq!(err.field.as_deref(), Some("robot"), "{action} {bad}: {err:?}");
        }
    }
    assert_eq!(emu.requests().len(), before, "nothing reached DingTalk");
}
