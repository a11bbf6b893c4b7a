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

/// A send to the custom robot that must be refused before anything reaches DingTalk.
fn webhook_refused(emu: &Emulator, host: &TestHost, robot: &Value, changes: Value) -> ErrorPayload {
    use dingtalk_robot::actions::send_webhook as wh;
    let mut params = json!({ wh::ROBOT: robot, wh::MSG_TYPE: "text", wh::CONTENT: "Disk full" });
    params.as_object_mut().unwrap().extend(changes.as_object().unwrap().clone());
    let before = emu.stats().robot_send_requests;
    let err = invoke(host, wh::ID, &params).expect_err("refused");
    assert_eq!(emu.stats().robot_send_requests, before, "nothing was sent: {err:?}");
    err
}

#[test]
fn custom_robot_messages_are_refused_before_sending_in_the_users_words() {
    use dingtalk_robot::actions::send_webhook as wh;
    let emu = support::webhook_org(|r| r);
    let host = TestHost::default();
    let keyed = support::connect_webhook(&host, &emu, json!({ "keywords": ["告警", "alert"] }));
    // No keyword in the message (nor in its title): DingTalk would refuse it with 310000.
    let err = webhook_refused(&emu, &host, &keyed, json!({ wh::MSG_TYPE: "markdown", wh::TITLE: "Disk" }));
    assert_eq!((err.code.as_str(), err.field.as_deref()), ("KEYWORD_MISSING", Some(wh::CONTENT)), "{err:?}");
    assert!(err.message.contains("告警, alert") && err.message.contains("Nothing was sent"), "{}", err.message);
    let err = webhook_refused(
        &emu,
        &host,
        &keyed,
        json!({ wh::MSG_TYPE: "feedCard",
        wh::FEED_LINKS: [{"title": "Q3", "url": "https://example.com", "picUrl": "https://example.com/a.png"}] }),
    );
    assert_eq!(err.field.as_deref(), Some(wh::FEED_LINKS), "{err:?}");
    // A keyword in a title or a button passes.
    invoke(
        &host,
        wh::ID,
        &json!({ wh::ROBOT: keyed, wh::MSG_TYPE: "markdown", wh::CONTENT: "disk", wh::TITLE: "alert: disk" }),
    )
    .unwrap();

    let robot = support::connect_webhook(&host, &emu, json!({}));
    for (changes, field, says) in [
        (
            json!({ wh::MSG_TYPE: "link", wh::LINK_URL: "https://example.com", wh::AT_USER_IDS: ["manager01"] }),
            wh::AT_USER_IDS,
            "cannot mention",
        ),
        (
            json!({ wh::MSG_TYPE: "feedCard", wh::IS_AT_ALL: true, wh::FEED_LINKS: "[]" }),
            wh::IS_AT_ALL,
            "cannot mention",
        ),
        (json!({ wh::IS_AT_ALL: "yes" }), wh::IS_AT_ALL, "true or false"),
        (
            json!({ wh::AT_MOBILES: (0..30).map(|i| format!("1380013{i:04}")).collect::<Vec<_>>(),
                 wh::AT_USER_IDS: (0..21).map(|i| format!("u{i}")).collect::<Vec<_>>() }),
            wh::AT_USER_IDS,
            "at most 50",
        ),
        (
            json!({ wh::MSG_TYPE: "link", wh::LINK_URL: "https://example.com", wh::PIC_URL: "C:\\pics\\a.png" }),
            wh::PIC_URL,
            "cannot upload",
        ),
        (
            json!({ wh::MSG_TYPE: "feedCard", wh::FEED_LINKS: [{"title": "Q3", "url": "https://example.com"}] }),
            wh::FEED_LINKS,
            "no \"picUrl\"",
        ),
        (
            json!({ wh::MSG_TYPE: "feedCard", wh::FEED_LINKS: [{"title": "Q3", "url": "https://x", "picUrl": "https://x/a.png", "messageURL": "https://x"}] }),
            wh::FEED_LINKS,
            "messageURL",
        ),
        (
            json!({ wh::MSG_TYPE: "actionCard", wh::BUTTONS: [{"title": "a", "url": "https://a"}], wh::BUTTON_LAYOUT: "horizontal" }),
            wh::BUTTON_LAYOUT,
            "exactly 2",
        ),
        (json!({ wh::MSG_TYPE: "image" }), wh::MSG_TYPE, "not one of the choices"),
    ] {
        let err = webhook_refused(&emu, &host, &robot, changes.clone());
        assert_eq!(err.field.as_deref(), Some(field), "{changes}: {err:?}");
        assert!(err.message.contains(says), "{changes}: {}", err.message);
    }
}

#[test]
fn each_kind_of_robot_is_refused_by_the_other_kinds_actions_naming_the_field() {
    use dingtalk_robot::actions::send_webhook as wh;
    let emu = support::webhook_org(|r| r);
    let host = TestHost::default();
    let enterprise = connect(&host, &emu);
    let custom = support::connect_webhook(&host, &emu, json!({}));
    let err = webhook_refused(&emu, &host, &enterprise, json!({}));
    assert_eq!((err.code.as_str(), err.field.as_deref()), ("INVALID_INPUT", Some(wh::ROBOT)), "{err:?}");
    assert!(
        err.message.contains("enterprise app's robot") && err.hint.unwrap().contains("Create custom robot connection")
    );
    let params =
        json!({ send::ROBOT: custom, send::USER_IDS: ["manager01"], send::MSG_TYPE: "text", send::CONTENT: "x" });
    let err = invoke(&host, send::ID, &params).unwrap_err();
    assert_eq!((err.code.as_str(), err.field.as_deref()), ("INVALID_INPUT", Some(send::ROBOT)), "{err:?}");
    assert!(err.message.contains("custom (webhook) robot"), "{}", err.message);
    assert_eq!(emu.stats().batch_send_requests, 0);
    // A made-up custom robot handle.
    let err = webhook_refused(&emu, &host, &json!({"type": "dingtalk.webhook_robot", "id": "webhook-0"}), json!({}));
    assert_eq!(err.code, "ROBOT_NOT_CONNECTED", "{err:?}");
}

#[test]
fn past_the_per_minute_budget_a_send_waits_within_its_timeout_or_is_refused_unsent() {
    use dingtalk_robot::actions::{connect_webhook as c, send_webhook as wh};
    let emu = support::webhook_org(|r| r);
    let host = TestHost::default();
    // One message a minute, a 2 s timeout: the second cannot go out in time.
    let robot = support::connect_webhook(&host, &emu, json!({ c::MESSAGES_PER_MINUTE: 1, c::TIMEOUT_SECONDS: 2 }));
    invoke(&host, wh::ID, &json!({ wh::ROBOT: robot, wh::CONTENT: "first" })).unwrap();
    let started = Instant::now();
    let err = webhook_refused(&emu, &host, &robot, json!({ wh::CONTENT: "second" }));
    assert!(started.elapsed() < QUICK, "refused at once, not after waiting: {:?}", started.elapsed());
    assert_eq!(err.code, "THROTTLED", "{err:?}");
    assert!(err.message.contains("1 messages a minute") && err.message.contains("Nothing was sent"), "{}", err.message);
    assert!(err.hint.as_deref().unwrap_or_default().contains("10 minutes"), "{err:?}");
    assert_eq!(emu.group_messages().len(), 1);
    // Another connection to the same webhook shares its budget (DingTalk counts per robot).
    let again = support::connect_webhook(&host, &emu, json!({ c::MESSAGES_PER_MINUTE: 1, c::TIMEOUT_SECONDS: 3 }));
    assert_eq!(webhook_refused(&emu, &host, &again, json!({})).code, "THROTTLED");
}

#[test]
fn a_bad_webhook_url_or_secret_is_refused_at_connect_without_echoing_it() {
    use dingtalk_robot::actions::connect_webhook as c;
    let host = TestHost::default();
    for (params, field) in [
        (json!({ c::WEBHOOK_URL: "https://oapi.dingtalk.com/robot/send?token=Leak-Me-123" }), c::WEBHOOK_URL),
        (json!({ c::WEBHOOK_URL: "Leak-Me-123", c::SECRET: "Leak-Me-456" }), c::SECRET),
        (
            json!({ c::WEBHOOK_URL: "Leak-Me-123", c::KEYWORDS: (0..11).map(|i| format!("k{i}")).collect::<Vec<_>>() }),
            c::KEYWORDS,
        ),
        (json!({ c::WEBHOOK_URL: "Leak-Me-123", c::MESSAGES_PER_MINUTE: 21 }), c::MESSAGES_PER_MINUTE),
    ] {
        let err = invoke(&host, c::ID, &params).unwrap_err();
        assert_eq!((err.code.as_str(), err.field.as_deref()), ("INVALID_INPUT", Some(field)), "{params}: {err:?}");
        assert!(!format!("{err:?}").contains("Leak-Me"), "{err:?}");
    }
}
