//! Bad input a careless user or an attacker gives: each is refused with a structured error
//! naming its field (or, for a broken flow, its culprit), in English and Chinese with a hint,
//! quickly, and nothing is sent.
//!
//! * through the plugin's entry point: a million user IDs, invisible characters, image URLs
//!   with spaces, files that are not documents, a cancel during the checks, and host-sim's
//!   form check agreeing with the plugin on every value;
//! * through host-sim's library and its `host-sim run` binary with the built cdylib: a table
//!   of bad field values (48 cases) and a table of bad flows and flow files (variables, stray
//!   spaces, wrong handles, too-long values, every field empty, malformed JSON...), each a
//!   structured error from the library and from the binary (exit 1), the emulator's send
//!   counters unchanged.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code)]
mod support;

use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use abi_stable::std_types::RStr;
use dingtalk_emulator::{Emulator, Stats};
use dingtalk_robot::names::{connect, send};
use host_sim::{Flow, SimHost, run_flow};
use rpa_plugin_abi::{ErrorPayload, Host, LogLevel};
use serde_json::{Map, Value, json};
use support::flows::{Transcript, connect_step, connect_then_send, flow, plugin, send_step};
use support::{
    TestHost, assert_no_secrets, connect, connect_params, host_sim_exe, invoke, org, scratch, unlimited_org,
};

/// A generous bound for refusing input that is too large: the point is "not seconds or
/// minutes", as before this was bounded.
const QUICK: Duration = Duration::from_secs(1);

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
    ];
    let mut changes: Vec<Value> = cases.into_iter().map(|(field, value)| json!({ field: value })).collect();
    // The title shows only for Markdown (a hidden field's value is not checked by the plugin).
    changes.push(json!({ send::MSG_TYPE: "markdown", send::TITLE: "t".repeat(129) }));
    let base =
        json!({ send::ROBOT: robot, send::USER_IDS: ["manager01"], send::MSG_TYPE: "text", send::CONTENT: "hi" });
    let spec = manifest.action(send::ID).unwrap();
    for change in changes {
        let mut params = base.clone();
        for (k, v) in change.as_object().unwrap() {
            params[k] = v.clone();
        }
        let by_host = host_sim::validate::validate_params(spec, params.clone()).err().and_then(|e| e.field);
        let by_plugin = match invoke(&host, send::ID, &params) {
            Err(e) if e.code == "INVALID_INPUT" => e.field,
            Err(e) => panic!("{change}: {e:?}"),
            Ok(_) => None,
        };
        assert_eq!(by_host, by_plugin, "{change}: host-sim and the plugin disagree");
    }
    let connect_spec = manifest.action(connect::ID).unwrap();
    for value in [json!("20"), json!(" 20 "), json!(20.0), json!("twenty"), json!(1001), json!("1.5")] {
        let params = json!({ connect::APP_KEY: support::APP_KEY, connect::APP_SECRET: support::APP_SECRET,
                             connect::API_BASE_URL: emu.url(), connect::OAPI_BASE_URL: emu.url(), connect::QPS_LIMIT: value });
        let by_host = host_sim::validate::validate_params(connect_spec, params.clone()).err().and_then(|e| e.field);
        let by_plugin = invoke(&host, connect::ID, &params).err().and_then(|e| e.field);
        assert_eq!(by_host, by_plugin, "qpsLimit={value}: host-sim and the plugin disagree");
    }
}

/// (what is wrong, the flow, the code, what the error must name: a field or a word of the message)
type FieldCase = (&'static str, Value, &'static str, &'static str);

/// Connect -> send flows with one bad field value each.
fn bad_field_cases(emu: &Emulator, dir: &std::path::Path) -> Vec<FieldCase> {
    use connect::{API_BASE_URL, APP_KEY, APP_SECRET, OAPI_BASE_URL, QPS_LIMIT, ROBOT_CODE, TIMEOUT_SECONDS};
    use send::{CONTENT, MSG_TYPE, ROBOT, TITLE, USER_IDS};
    let big = dir.join("big.zip");
    std::fs::File::create(&big).unwrap().set_len(20 * 1024 * 1024 + 1).unwrap();
    let exe = dir.join("setup.exe");
    std::fs::write(&exe, b"MZ").unwrap();
    let empty = dir.join("empty.docx");
    std::fs::write(&empty, b"").unwrap();
    let path = |p: &std::path::PathBuf| p.to_str().unwrap().to_string();
    let c = |changes: Value| connect_then_send(emu, changes, json!({}));
    let s = |changes: Value| connect_then_send(emu, json!({}), changes);
    let ids: Vec<String> = (0..1001).map(|i| format!("user{i}")).collect();
    let invalid = "INVALID_INPUT";
    vec![
        ("empty AppKey", c(json!({ APP_KEY: "" })), invalid, APP_KEY),
        ("blank AppKey", c(json!({ APP_KEY: "   " })), invalid, APP_KEY),
        ("AppKey as a number", c(json!({ APP_KEY: 123 })), invalid, APP_KEY),
        ("space inside the AppKey", c(json!({ APP_KEY: "ding abc" })), invalid, APP_KEY),
        ("AppKey too long", c(json!({ APP_KEY: "k".repeat(129) })), invalid, APP_KEY),
        ("AppSecret missing", c(json!({ APP_SECRET: Value::Null })), invalid, APP_SECRET),
        ("AppSecret empty", c(json!({ APP_SECRET: "" })), invalid, APP_SECRET),
        ("AppSecret as a list", c(json!({ APP_SECRET: ["s"] })), invalid, APP_SECRET),
        ("API URL not a URL", c(json!({ API_BASE_URL: "not a url" })), invalid, API_BASE_URL),
        ("API URL ftp", c(json!({ API_BASE_URL: "ftp://127.0.0.1" })), invalid, API_BASE_URL),
        ("API URL a number", c(json!({ API_BASE_URL: 80 })), invalid, API_BASE_URL),
        ("old API URL without host", c(json!({ OAPI_BASE_URL: "http://" })), invalid, OAPI_BASE_URL),
        ("old API URL with a query", c(json!({ OAPI_BASE_URL: "http://127.0.0.1/?a=1" })), invalid, OAPI_BASE_URL),
        ("timeout 0", c(json!({ TIMEOUT_SECONDS: 0 })), invalid, TIMEOUT_SECONDS),
        ("timeout 301", c(json!({ TIMEOUT_SECONDS: 301 })), invalid, TIMEOUT_SECONDS),
        ("timeout text", c(json!({ TIMEOUT_SECONDS: "soon" })), invalid, TIMEOUT_SECONDS),
        ("timeout true", c(json!({ TIMEOUT_SECONDS: true })), invalid, TIMEOUT_SECONDS),
        ("qpsLimit negative", c(json!({ QPS_LIMIT: -1 })), invalid, QPS_LIMIT),
        ("qpsLimit too high", c(json!({ QPS_LIMIT: 1001 })), invalid, QPS_LIMIT),
        ("robotCode a number", c(json!({ ROBOT_CODE: 5 })), invalid, ROBOT_CODE),
        ("misspelt field", c(json!({ "appkey": "x" })), invalid, "appkey"),
        ("robot missing", s(json!({ ROBOT: Value::Null })), invalid, ROBOT),
        (
            "robot made up",
            s(json!({ ROBOT: { "type": "dingtalk.robot", "id": "robot-1" } })),
            "ROBOT_NOT_CONNECTED",
            ROBOT,
        ),
        ("robot as text", s(json!({ ROBOT: "my robot" })), invalid, ROBOT),
        ("no user IDs", s(json!({ USER_IDS: [] })), invalid, USER_IDS),
        ("1,001 user IDs", s(json!({ USER_IDS: ids })), invalid, USER_IDS),
        ("user IDs as numbers", s(json!({ USER_IDS: [1, 2] })), invalid, USER_IDS),
        ("user IDs empty text", s(json!({ USER_IDS: "" })), invalid, USER_IDS),
        ("a blank user ID", s(json!({ USER_IDS: ["a", " "] })), invalid, USER_IDS),
        ("a JSON object as user ID text", s(json!({ USER_IDS: "{\"a\": 1}" })), invalid, USER_IDS),
        ("user IDs as an object", s(json!({ USER_IDS: { "a": 1 } })), invalid, USER_IDS),
        ("unknown template", s(json!({ MSG_TYPE: "sms" })), invalid, MSG_TYPE),
        ("template as a number", s(json!({ MSG_TYPE: 1 })), invalid, MSG_TYPE),
        ("empty content", s(json!({ CONTENT: "" })), invalid, CONTENT),
        ("content as a number", s(json!({ CONTENT: 5 })), invalid, CONTENT),
        ("content too long", s(json!({ CONTENT: "x".repeat(20_001) })), invalid, CONTENT),
        ("image without a URL", s(json!({ MSG_TYPE: "image", CONTENT: "chart.png" })), invalid, CONTENT),
        ("image over ftp", s(json!({ MSG_TYPE: "image", CONTENT: "ftp://h/a.png" })), invalid, CONTENT),
        ("missing file", s(json!({ MSG_TYPE: "file", CONTENT: path(&dir.join("nope.pdf")) })), invalid, CONTENT),
        ("a folder as the file", s(json!({ MSG_TYPE: "file", CONTENT: path(&dir.to_path_buf()) })), invalid, CONTENT),
        ("a file type DingTalk refuses", s(json!({ MSG_TYPE: "file", CONTENT: path(&exe) })), invalid, CONTENT),
        ("a file over 20 MB", s(json!({ MSG_TYPE: "file", CONTENT: path(&big) })), invalid, CONTENT),
        ("an empty file", s(json!({ MSG_TYPE: "file", CONTENT: path(&empty) })), invalid, CONTENT),
        ("Markdown title too long", s(json!({ MSG_TYPE: "markdown", TITLE: "t".repeat(129) })), invalid, TITLE),
        ("title as a number", s(json!({ MSG_TYPE: "markdown", TITLE: 7 })), invalid, TITLE),
        (
            "unknown action",
            json!({ "steps": [{ "action": "dingtalk.robot.call", "params": {} }] }),
            "UNKNOWN_ACTION",
            "dingtalk.robot.call",
        ),
        ("unknown variable", s(json!({ ROBOT: "${robt}" })), "UNKNOWN_VARIABLE", "robt"),
        (
            "unknown output",
            json!({ "steps": [{ "action": connect::ID, "params": connect_params(emu), "outputs": { "bot": "x" } }] }),
            "UNKNOWN_OUTPUT",
            "bot",
        ),
    ]
}

/// Whether the error names `culprit`, as its field or in its message.
fn names(err: &ErrorPayload, culprit: &str) -> bool {
    err.field.as_deref() == Some(culprit) || err.message.contains(culprit)
}

#[test]
fn every_bad_field_value_in_a_flow_is_a_structured_error_and_sends_nothing() {
    let emu = org();
    let plugin = plugin();
    let dir = scratch("field-table");
    // Warm up: the token is cached, so a connect step that passes costs no request.
    let host = SimHost::silent().with_capture();
    run_flow(plugin.as_ref(), &flow(&connect_then_send(&emu, json!({}), json!({}))), &host, Map::new()).unwrap();
    let before = emu.stats();

    let cases = bad_field_cases(&emu, &dir);
    assert!(cases.len() >= 40, "{} cases", cases.len());
    for (what, doc, code, culprit) in &cases {
        let err = run_flow(plugin.as_ref(), &flow(doc), &host, Map::new()).expect_err(what);
        assert_eq!(err.error.code, *code, "{what}: {:?}", err.error);
        assert!(names(&err.error, culprit), "{what}: the error names {culprit}: {:?}", err.error);
        assert!(err.error.hint.is_some(), "{what}: a hint");
        assert!(err.error.zh_cn.is_some(), "{what}: in Chinese too");
    }
    assert_eq!(emu.stats(), before, "no bad input reached DingTalk");
    assert_no_secrets(&emu, &[&host.captured().join("\n")]);

    // The same through the binary: exit 1 and one error document on stdout.
    let exe = host_sim_exe();
    for (i, (what, doc, code, _)) in cases.iter().enumerate().step_by(6) {
        let file = dir.join(format!("case{i}.json"));
        std::fs::write(&file, doc.to_string()).unwrap();
        let out = Command::new(&exe).args(["run", "--log-level", "debug"]).arg(&file).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{what}");
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(doc["error"]["code"], *code, "{what}: {doc}");
        assert!(doc["error"]["step"].is_u64(), "{what}: {doc}");
        assert_no_secrets(&emu, &[&doc.to_string(), &String::from_utf8_lossy(&out.stderr)]);
    }
    // A flow file that is not JSON.
    let file = dir.join("broken.json");
    std::fs::write(&file, "{\"steps\": [ {\"action\": ").unwrap();
    let out = Command::new(&exe).arg("run").arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["error"]["code"], "INVALID_FLOW");
    assert!(doc["error"]["message"].as_str().unwrap().contains("broken.json"), "{doc}");
    // Each host-sim process connects afresh (its own token), but sends and uploads nothing.
    let after = emu.stats();
    assert_eq!(sent(after), sent(before));
}

/// What a bad flow's error must name: its field, or (host-level errors) a word of its message.
#[derive(Clone, Copy, Debug)]
enum Culprit {
    Field(&'static str),
    Says(&'static str),
}

fn assert_names(what: &str, code: &str, message: &str, field: Option<&str>, culprit: Culprit) {
    match culprit {
        Culprit::Field(f) => assert_eq!(field, Some(f), "{what}: the error names the field ({code}: {message})"),
        Culprit::Says(word) => assert!(message.contains(word), "{what}: the message names {word}: {message}"),
    }
}

/// Flow documents that are valid JSON flows but bad inputs: (what, flow, code, culprit).
fn bad_flows(emu: &Emulator, dir: &std::path::Path) -> Vec<(&'static str, Value, &'static str, Culprit)> {
    use Culprit::{Field, Says};
    use connect::{API_BASE_URL, APP_KEY, APP_SECRET, OAPI_BASE_URL, QPS_LIMIT, ROBOT_CODE, TIMEOUT_SECONDS};
    use send::{CONTENT, MSG_TYPE, ROBOT, TITLE, USER_IDS};
    let readme = dir.join("README");
    std::fs::write(&readme, b"no extension").unwrap();
    let readme = readme.to_str().unwrap().to_string();
    let c = |changes: Value| connect_then_send(emu, changes, json!({}));
    let s = |changes: Value| connect_then_send(emu, json!({}), changes);
    let steps = |steps: Value| json!({ "steps": steps });
    let invalid = "INVALID_INPUT";
    let handle = json!({ "type": "dingtalk.robot", "id": "robot-1" });
    vec![
        ("empty action id", steps(json!([{ "action": "" }])), "UNKNOWN_ACTION", Says("\"\"")),
        (
            "action id in the wrong case",
            steps(json!([{ "action": "DingTalk.Robot.Connect", "params": connect_params(emu) }])),
            "UNKNOWN_ACTION",
            Says("DingTalk.Robot.Connect"),
        ),
        ("unknown variable inside a text", s(json!({ CONTENT: "hello ${who}" })), "UNKNOWN_VARIABLE", Field(CONTENT)),
        (
            "unknown variable inside a list",
            s(json!({ USER_IDS: ["manager01", "${who}"] })),
            "UNKNOWN_VARIABLE",
            Field(USER_IDS),
        ),
        (
            "a list variable inside a text",
            s(json!({ CONTENT: "to ${ids}" })).pipe(|mut f| {
                f["variables"] = json!({ "ids": ["a"] });
                f
            }),
            invalid,
            Field(CONTENT),
        ),
        (
            "a variable used before the step that outputs it",
            steps(json!([send_step(json!({})), connect_step(emu, json!({}))])),
            "UNKNOWN_VARIABLE",
            Field(ROBOT),
        ),
        (
            "an output the action does not have",
            steps(json!([
                connect_step(emu, json!({})),
                send_step(json!({})).pipe(|mut st| {
                    st["outputs"] = json!({ "invalidUserId": "bad" });
                    st
                })
            ])),
            "UNKNOWN_OUTPUT",
            Field("invalidUserId"),
        ),
        (
            "every connect field empty",
            c(json!({ APP_KEY: "", APP_SECRET: "", ROBOT_CODE: "" })),
            invalid,
            Field(APP_KEY),
        ),
        ("no connect params at all", steps(json!([{ "action": connect::ID, "params": {} }])), invalid, Field(APP_KEY)),
        (
            "every send field empty",
            s(json!({ ROBOT: "", USER_IDS: "", MSG_TYPE: "", CONTENT: "", TITLE: "" })),
            invalid,
            Field(ROBOT),
        ),
        (
            "no send params at all",
            steps(json!([connect_step(emu, json!({})), { "action": send::ID }])),
            invalid,
            Field(ROBOT),
        ),
        ("a stray space before the template", s(json!({ MSG_TYPE: " text" })), invalid, Field(MSG_TYPE)),
        ("template in the wrong case", s(json!({ MSG_TYPE: "Text" })), invalid, Field(MSG_TYPE)),
        ("template given as a number", s(json!({ MSG_TYPE: 3 })), invalid, Field(MSG_TYPE)),
        ("misspelt send field", s(json!({ "msgtype": "text" })), invalid, Field("msgtype")),
        ("a space inside the AppSecret", c(json!({ APP_SECRET: "abc def" })), invalid, Field(APP_SECRET)),
        ("a tab inside the AppKey", c(json!({ APP_KEY: "ding\tkey" })), invalid, Field(APP_KEY)),
        ("AppSecret too long", c(json!({ APP_SECRET: "s".repeat(257) })), invalid, Field(APP_SECRET)),
        ("robot code too long", c(json!({ ROBOT_CODE: "r".repeat(129) })), invalid, Field(ROBOT_CODE)),
        ("AppSecret a number", c(json!({ APP_SECRET: 12345 })), invalid, Field(APP_SECRET)),
        (
            "API URL with credentials",
            c(json!({ API_BASE_URL: "http://user:pw@127.0.0.1:1" })),
            invalid,
            Field(API_BASE_URL),
        ),
        (
            "old API URL with a fragment",
            c(json!({ OAPI_BASE_URL: "http://127.0.0.1:1/#x" })),
            invalid,
            Field(OAPI_BASE_URL),
        ),
        ("API URL without a host", c(json!({ API_BASE_URL: "https://" })), invalid, Field(API_BASE_URL)),
        ("API URL a list", c(json!({ API_BASE_URL: ["http://127.0.0.1:1"] })), invalid, Field(API_BASE_URL)),
        ("timeout with a fraction", c(json!({ TIMEOUT_SECONDS: 1.5 })), invalid, Field(TIMEOUT_SECONDS)),
        ("timeout of 1e10 seconds", c(json!({ TIMEOUT_SECONDS: 1e10 })), invalid, Field(TIMEOUT_SECONDS)),
        ("qpsLimit past u64", c(json!({ QPS_LIMIT: 18_446_744_073_709_551_616.0 })), invalid, Field(QPS_LIMIT)),
        ("qpsLimit as words", c(json!({ QPS_LIMIT: "twenty" })), invalid, Field(QPS_LIMIT)),
        ("handle id a number", s(json!({ ROBOT: { "type": "dingtalk.robot", "id": 5 } })), invalid, Field(ROBOT)),
        ("handle of another plugin", s(json!({ ROBOT: { "type": "other", "id": "robot-1" } })), invalid, Field(ROBOT)),
        ("handle inside a list", s(json!({ ROBOT: [handle] })), invalid, Field(ROBOT)),
        (
            "handle taken from a text variable",
            json!({ "variables": { "other": "robot-1" }, "steps": [send_step(json!({ ROBOT: "${other}" }))] }),
            invalid,
            Field(ROBOT),
        ),
        ("a user ID of 65 characters", s(json!({ USER_IDS: ["u".repeat(65)] })), invalid, Field(USER_IDS)),
        ("user IDs: a broken list in text", s(json!({ USER_IDS: "[\"manager01\", " })), invalid, Field(USER_IDS)),
        (
            "user IDs: 1,001 in comma text",
            s(json!({ USER_IDS: (0..1001).map(|i| format!("u{i}")).collect::<Vec<_>>().join(",") })),
            invalid,
            Field(USER_IDS),
        ),
        ("user IDs: only separators", s(json!({ USER_IDS: " , ;\n " })), invalid, Field(USER_IDS)),
        ("user IDs: a null inside", s(json!({ USER_IDS: ["manager01", null] })), invalid, Field(USER_IDS)),
        ("image URL without a host", s(json!({ MSG_TYPE: "image", CONTENT: "https://" })), invalid, Field(CONTENT)),
        (
            "image URL a script",
            s(json!({ MSG_TYPE: "image", CONTENT: "javascript:alert(1)" })),
            invalid,
            Field(CONTENT),
        ),
        ("file without an extension", s(json!({ MSG_TYPE: "file", CONTENT: readme })), invalid, Field(CONTENT)),
        (
            "a quoted path to a missing file",
            s(json!({ MSG_TYPE: "file", CONTENT: "\"/no/such/dir/report.pdf\"" })),
            invalid,
            Field(CONTENT),
        ),
        ("Markdown too long", s(json!({ MSG_TYPE: "markdown", CONTENT: "m".repeat(20_001) })), invalid, Field(CONTENT)),
        ("content an object", s(json!({ CONTENT: { "text": "hi" } })), invalid, Field(CONTENT)),
        ("title a list", s(json!({ MSG_TYPE: "markdown", TITLE: ["t"] })), invalid, Field(TITLE)),
    ]
}

/// Flow files that are not flows: (what, text, what the error names).
fn bad_files() -> Vec<(&'static str, String, &'static str)> {
    let id = connect::ID;
    vec![
        ("an empty file", String::new(), "EOF"),
        ("not JSON", "steps: [connect, send]".into(), "line 1"),
        ("no steps", "{}".into(), "missing field `steps`"),
        ("steps not a list", format!(r#"{{"steps": {{"action": "{id}"}}}}"#), "expected a sequence"),
        ("a step without an action", r#"{"steps": [{"params": {}}]}"#.into(), "missing field `action`"),
        ("params as a list", format!(r#"{{"steps": [{{"action": "{id}", "params": []}}]}}"#), "map"),
        ("outputs as a list", format!(r#"{{"steps": [{{"action": "{id}", "outputs": ["robot"]}}]}}"#), "map"),
        ("an unknown key", r#"{"steps": [], "step": []}"#.into(), "unknown field `step`"),
        ("a trailing comma", format!(r#"{{"steps": [{{"action": "{id}"}},]}}"#), "line 1"),
    ]
}

/// `f(self)`, so that table rows can be built in one expression.
trait Pipe: Sized {
    fn pipe(self, f: impl FnOnce(Self) -> Self) -> Self {
        f(self)
    }
}

impl Pipe for Value {}

/// The counters that bad input must never move through the binary (each process fetches its
/// own token, so token requests do move).
fn sent(stats: Stats) -> (u64, u64, u64) {
    (stats.batch_send_requests, stats.messages, stats.uploads)
}

#[test]
fn bad_flows_and_flow_files_are_structured_errors_naming_their_culprit_and_send_nothing() {
    // No platform limit: each host-sim process asks for its own token.
    let emu = unlimited_org();
    let dir = scratch("flow-table");
    let transcript = Transcript::default();
    // Warm up: from now on a valid connect step costs nothing (the token is cached).
    transcript.run(&connect_then_send(&emu, json!({}), json!({})), Map::new()).unwrap();
    let flows = bad_flows(&emu, &dir);
    let files = bad_files();
    assert!(flows.len() + files.len() >= 50, "{} cases", flows.len() + files.len());

    for (what, doc, code, culprit) in &flows {
        let before = emu.stats();
        let err = transcript.run(doc, Map::new()).expect_err(what).error;
        assert_eq!(err.code, *code, "{what}: {err:?}");
        assert_names(what, code, &err.message, err.field.as_deref(), *culprit);
        assert!(err.hint.as_deref().is_some_and(|h| !h.is_empty()), "{what}: a hint: {err:?}");
        assert!(err.zh_cn.is_some(), "{what}: in Chinese too");
        assert_eq!(emu.stats(), before, "{what}: nothing reached DingTalk");
    }
    for (what, text, culprit) in &files {
        let err = Flow::parse(text, "bad.json".as_ref()).expect_err(what).to_payload();
        assert_eq!(err.code, "INVALID_FLOW", "{what}: {err:?}");
        assert!(err.message.contains("bad.json") && err.message.contains(culprit), "{what}: {}", err.message);
    }

    // Every case again through `host-sim run`: exit 1, one error document naming the culprit.
    let before = sent(emu.stats());
    for (i, (what, doc, code, culprit)) in flows.iter().enumerate() {
        let run = transcript.run_cli(&dir, &format!("flow{i}"), doc, &[]);
        assert_eq!(run.code, Some(1), "{what}: {}", run.stderr);
        let err = &run.doc["error"];
        assert_eq!(err["code"], *code, "{what}: {err}");
        assert!(err["step"].as_u64().is_some_and(|s| s >= 1), "{what}: {err}");
        assert_names(what, code, err["message"].as_str().unwrap_or_default(), err["field"].as_str(), *culprit);
    }
    for (i, (what, text, culprit)) in files.iter().enumerate() {
        let file = dir.join(format!("file{i}.json"));
        std::fs::write(&file, text).unwrap();
        let run = transcript.run_cli_file(&file, &[]);
        assert_eq!(run.code, Some(1), "{what}");
        assert_eq!(run.doc["error"]["code"], "INVALID_FLOW", "{what}: {}", run.doc);
        assert!(run.doc["error"]["message"].as_str().is_some_and(|m| m.contains(culprit)), "{what}: {}", run.doc);
    }
    assert_eq!(sent(emu.stats()), before, "the binary sent nothing either");
    transcript.assert_clean(&emu, &[]);
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
    use dingtalk_robot::names::send_webhook as wh;
    let mut params = json!({ wh::ROBOT: robot, wh::MSG_TYPE: "text", wh::CONTENT: "Disk full" });
    params.as_object_mut().unwrap().extend(changes.as_object().unwrap().clone());
    let before = emu.stats().robot_send_requests;
    let err = invoke(host, wh::ID, &params).expect_err("refused");
    assert_eq!(emu.stats().robot_send_requests, before, "nothing was sent: {err:?}");
    err
}

#[test]
fn custom_robot_messages_are_refused_before_sending_in_the_users_words() {
    use dingtalk_robot::names::send_webhook as wh;
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
    use dingtalk_robot::names::send_webhook as wh;
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
    use dingtalk_robot::names::{connect_webhook as c, send_webhook as wh};
    let emu = support::webhook_org(|r| r);
    let host = TestHost::default();
    // One message a minute, a 2 s timeout: the second cannot go out in time.
    let robot = support::connect_webhook(&host, &emu, json!({ c::MESSAGES_PER_MINUTE: 1, c::TIMEOUT_SECONDS: 2 }));
    invoke(&host, wh::ID, &json!({ wh::ROBOT: robot, wh::CONTENT: "first" })).unwrap();
    let started = Instant::now();
    let err = webhook_refused(&emu, &host, &robot, json!({ wh::CONTENT: "second" }));
    assert!(started.elapsed() < QUICK, "refused at once, not after waiting: {:?}", started.elapsed());
    assert_eq!(err.code, "THROTTLED", "{err:?}");
    assert!(err.message.contains("1 message a minute") && err.message.contains("Nothing was sent"), "{}", err.message);
    assert!(err.hint.as_deref().unwrap_or_default().contains("10 minutes"), "{err:?}");
    assert_eq!(emu.group_messages().len(), 1);
    // Another connection to the same webhook shares its budget (DingTalk counts per robot).
    let again = support::connect_webhook(&host, &emu, json!({ c::MESSAGES_PER_MINUTE: 1, c::TIMEOUT_SECONDS: 3 }));
    assert_eq!(webhook_refused(&emu, &host, &again, json!({})).code, "THROTTLED");
}

#[test]
fn a_bad_webhook_url_or_secret_is_refused_at_connect_without_echoing_it() {
    use dingtalk_robot::names::connect_webhook as c;
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

/// Every field of the four actions after a send (read status, recall, group message, user
/// lookup), given wrongly, and a robot that is not one: each is refused naming its field,
/// before any call to DingTalk.
#[test]
fn bad_input_for_the_read_status_recall_group_and_lookup_fields_is_refused_by_name_before_any_call() {
    use dingtalk_robot::names::{group_send, lookup, read_status, recall};
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
