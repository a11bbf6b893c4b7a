//! Bad input a careless user or an attacker gives: each is refused with a structured error
//! naming its field, quickly, and nothing is sent. (More bad input, through host-sim and the
//! binary, is in `reliability.rs` and `reliability_edges.rs`.)

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code)]
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

/// host-sim's form check (what a designer runs before a step) and the plugin accept exactly
/// the same values: each case is accepted by both or refused by both, naming the same field.
#[test]
fn host_and_plugin_agree_on_every_value() {
    let emu = org();
    let host = TestHost::default();
    let robot = connect(&host, &emu);
    let manifest = dingtalk_robot::manifest();
    let cases: Vec<(&str, Value)> = vec![
        (send::USER_IDS, json!(" manager01 , staff02 ")),
        (send::USER_IDS, json!("manager01 staff02")),
        (send::USER_IDS, json!("manager01、staff02")),
        (send::USER_IDS, json!("\u{FEFF}manager01")),
        (send::USER_IDS, json!(["manager01 staff02"])),
        (send::USER_IDS, json!(["manager01", ""])),
        (send::USER_IDS, json!("manager01,,staff02")),
        (send::USER_IDS, json!(["x".repeat(65)])),
        (send::USER_IDS, json!(7)),
        (send::MSG_TYPE, json!("text")),
        (send::MSG_TYPE, json!(" text")),
        (send::MSG_TYPE, json!("Text")),
        (send::CONTENT, json!("x".repeat(send::MAX_CONTENT_CHARS + 1))),
        (send::TITLE, json!("t".repeat(129))),
    ];
    let base =
        json!({ send::ROBOT: robot, send::USER_IDS: ["manager01"], send::MSG_TYPE: "text", send::CONTENT: "hi" });
    let spec = manifest.action(send::ID).unwrap();
    for (field, value) in cases {
        let mut params = base.clone();
        params[field] = value.clone();
        let by_host = host_sim::validate::validate_params(spec, params.clone()).err().and_then(|e| e.field);
        let by_plugin = match invoke(&host, send::ID, &params) {
            Err(e) if e.code == "INVALID_INPUT" => e.field,
            Err(e) => panic!("{field}={value}: {e:?}"),
            Ok(_) => None,
        };
        assert_eq!(by_host, by_plugin, "{field}={value}: host-sim and the plugin disagree");
    }
    let connect_spec = manifest.action(dingtalk_robot::actions::connect::ID).unwrap();
    for value in [json!("20"), json!(" 20 "), json!(20.0), json!("twenty"), json!(1001), json!("1.5")] {
        let params = json!({ "appKey": support::APP_KEY, "appSecret": support::APP_SECRET,
                             "apiBaseUrl": emu.url(), "oapiBaseUrl": emu.url(), "qpsLimit": value });
        let by_host = host_sim::validate::validate_params(connect_spec, params.clone()).err().and_then(|e| e.field);
        let by_plugin = invoke(&host, dingtalk_robot::actions::connect::ID, &params).err().and_then(|e| e.field);
        assert_eq!(by_host, by_plugin, "qpsLimit={value}: host-sim and the plugin disagree");
    }
}
