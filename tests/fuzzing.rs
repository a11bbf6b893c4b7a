//! Fuzzing: whatever a designer, a user or a server hands over, the plugin and host-sim answer
//! with a success or a structured error, never a panic or a crash (and never an `INTERNAL`
//! error, which is what a caught panic becomes).
//!
//! * what users type (256 cases each): params of both actions holding any JSON, params text
//!   that is not JSON at all, any bytes through the C entry point (with and without a host,
//!   which may have cancelled), whole flows with plausible or arbitrary params (a send that
//!   failed reached DingTalk only if DingTalk's answer is in its error), flow files of any
//!   text or with bytes cut, doubled or replaced, and variable substitution;
//! * what servers answer (40 cases each): any status and bytes for the token request, the
//!   send or the upload.
//!
//! Nothing reaches the internet: every params object handed to connect gets base URLs of a
//! local emulator or server, and the other cases fail before any network. 11 properties.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code)]
mod support;

use std::ffi::{CString, c_char, c_int, c_void};
use std::sync::{Arc, Mutex, OnceLock};

use dingtalk_emulator::Emulator;
use dingtalk_robot::names::{connect, send};
use host_sim::{Flow, SimHost, run_flow};
use proptest::prelude::*;
use rpa_plugin_abi::ErrorPayload;
use serde_json::{Map, Value, json};
use support::any_json::any_json;
use support::flows::plugin;
use support::hostile::{Hostile, Reply};
use support::{APP_KEY, APP_SECRET, TestHost, assert_no_secrets, connect_params, invoke, org, unlimited_org};

/// Cases per property of what users type.
const CASES: u32 = 256;
/// Cases per property of what servers answer (each starts a server).
const SERVER_CASES: u32 = 40;

/// Words users type into these forms, mixed into the arbitrary JSON.
const TYPED: &[&str] = &["", " ", "text", "markdown", "image", "file", "http://127.0.0.1:1/a.png", "${bot}"];

/// The inputs of connect.
const CONNECT_FIELDS: &[&str] = &[
    connect::APP_KEY,
    connect::APP_SECRET,
    connect::ROBOT_CODE,
    connect::API_BASE_URL,
    connect::OAPI_BASE_URL,
    connect::TIMEOUT_SECONDS,
    connect::QPS_LIMIT,
];
/// The inputs of send.
const SEND_FIELDS: &[&str] = &[send::ROBOT, send::USER_IDS, send::MSG_TYPE, send::CONTENT, send::TITLE];

/// A params object that uses only the action's real field names, holding anything.
fn params_for(names: &'static [&'static str]) -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::vec((prop::sample::select(names), any_json(TYPED)), 0..8)
        .prop_map(|pairs| pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

/// A params object: mostly the action's real field names, sometimes a stranger, any values.
fn params_of(names: &'static [&'static str]) -> impl Strategy<Value = Map<String, Value>> {
    let name = prop_oneof![4 => prop::sample::select(names).prop_map(String::from), 1 => "[a-zA-Z ]{1,10}"];
    prop::collection::vec((name, any_json(TYPED)), 0..7).prop_map(|pairs| pairs.into_iter().collect())
}

/// A params object in which each field is absent, one of its plausible values, or anything.
fn plausible(fields: &'static [(&'static str, &'static [&'static str])]) -> impl Strategy<Value = Map<String, Value>> {
    let value = |choices: &'static [&'static str]| {
        prop_oneof![
            1 => Just(None),
            5 => prop::sample::select(choices).prop_map(|v| Some(serde_json::from_str(v).unwrap_or_else(|_| json!(v)))),
            2 => any_json(TYPED).prop_map(Some),
        ]
    };
    let strategies: Vec<_> =
        fields.iter().map(|(name, choices)| value(choices).prop_map(move |v| (*name, v))).collect();
    strategies.prop_map(|pairs| pairs.into_iter().filter_map(|(k, v)| Some((k.to_string(), v?))).collect())
}

/// The emulator in `slot`, started by `start` on first use. The two properties of the
/// params of each action share the standard org (DingTalk's rate limit on), so that connects
/// that happen to be valid answer fast; each other property has its own org without the
/// limit, so that it can count what reached it.
fn emulator(slot: &'static OnceLock<Emulator>, start: fn() -> Emulator) -> &'static Emulator {
    slot.get_or_init(start)
}

static PARAMS_EMU: OnceLock<Emulator> = OnceLock::new();
static INVOKE_EMU: OnceLock<Emulator> = OnceLock::new();
static C_EMU: OnceLock<Emulator> = OnceLock::new();
static FLOW_EMU: OnceLock<Emulator> = OnceLock::new();
static TEXT_EMU: OnceLock<Emulator> = OnceLock::new();

/// Points a connect params object at `emu`, so that nothing can reach the internet.
fn local(mut params: Map<String, Value>, emu: &Emulator) -> Map<String, Value> {
    params.insert(connect::API_BASE_URL.into(), json!(emu.url()));
    params.insert(connect::OAPI_BASE_URL.into(), json!(emu.url()));
    params
}

/// A success is an object; an error has a code and a message.
fn assert_structured(out: Result<Value, ErrorPayload>) -> Result<(), TestCaseError> {
    match out {
        Ok(v) => prop_assert!(v.is_object()),
        Err(e) => prop_assert!(!e.code.is_empty() && !e.message.is_empty(), "{e:?}"),
    }
    Ok(())
}

const CODES: &[&str] = &[
    "INVALID_INPUT",
    "INVALID_PARAMS",
    "UNKNOWN_ACTION",
    "AUTH_FAILED",
    "ROBOT_NOT_CONNECTED",
    "PERMISSION_DENIED",
    "IP_NOT_ALLOWED",
    "ROBOT_CODE_INVALID",
    "THROTTLED",
    "NETWORK",
    "TIMEOUT",
    "BAD_RESPONSE",
    "SEND_OUTCOME_UNKNOWN",
    "DINGTALK_ERROR",
    "CANCELLED",
];

/// A structured error: a known code (never `INTERNAL`, which is what a caught panic becomes),
/// a message, the user's words in Chinese, and a field only among `fields`.
fn check_error(err: &ErrorPayload, fields: &[String]) -> Result<(), TestCaseError> {
    prop_assert!(CODES.contains(&err.code.as_str()), "unexpected code: {err:?}");
    prop_assert!(!err.message.trim().is_empty(), "{err:?}");
    prop_assert!(err.zh_cn.is_some(), "{err:?}");
    if let Some(field) = &err.field {
        prop_assert!(fields.contains(field), "field {field} is not in {fields:?}: {err:?}");
    }
    Ok(())
}

fn field_names(action: &str, params: Option<&Map<String, Value>>) -> Vec<String> {
    let spec = dingtalk_robot::manifest().actions.into_iter().find(|a| a.id == action);
    let mut names: Vec<String> = spec.map(|s| s.inputs.all().map(|f| f.name.clone()).collect()).unwrap_or_default();
    names.extend(params.into_iter().flat_map(|p| p.keys().cloned()));
    names
}

/// Calls the C entry point with NUL-free bytes and a host that records log lines.
fn invoke_c(action: &[u8], params: &[u8], cancelled: bool) -> (c_int, String, Vec<String>) {
    struct Sink {
        lines: Mutex<Vec<String>>,
        cancelled: bool,
    }
    unsafe extern "C" fn log(user_data: *mut c_void, _level: c_int, message: *const c_char) {
        // SAFETY: `user_data` is the `Sink` below, alive for the call; `message` is a C string.
        let (sink, text) = unsafe { (&*(user_data as *const Sink), std::ffi::CStr::from_ptr(message)) };
        sink.lines.lock().unwrap().push(text.to_string_lossy().into_owned());
    }
    unsafe extern "C" fn is_cancelled(user_data: *mut c_void) -> c_int {
        // SAFETY: as above.
        c_int::from(unsafe { &*(user_data as *const Sink) }.cancelled)
    }
    let sink = Sink { lines: Mutex::new(Vec::new()), cancelled };
    let host = dingtalk_robot::capi::RpaHost {
        user_data: &sink as *const Sink as *mut c_void,
        log: Some(log),
        is_cancelled: Some(is_cancelled),
    };
    let (action, params) = (CString::new(action).unwrap(), CString::new(params).unwrap());
    let mut out: *mut c_char = std::ptr::null_mut();
    // SAFETY: NUL-terminated strings, a host valid for the call, a writable out pointer.
    let status = unsafe { dingtalk_robot::capi::rpa_plugin_invoke(action.as_ptr(), params.as_ptr(), &host, &mut out) };
    assert!(!out.is_null(), "the plugin always answers");
    // SAFETY: the plugin's own string, released once through its own free.
    let text = unsafe { std::ffi::CStr::from_ptr(out) }.to_str().expect("answers are UTF-8").to_string();
    unsafe { dingtalk_robot::capi::rpa_plugin_free(out) };
    (status, text, sink.lines.into_inner().unwrap())
}

/// A valid flow to mutate.
fn flow_text(emu: &Emulator) -> String {
    json!({ "name": "fuzz", "variables": { "who": "manager01" }, "steps": [
        { "action": connect::ID, "params": connect_params(emu), "outputs": { connect::ROBOT: "bot" } },
        { "action": send::ID,
          "params": { send::ROBOT: "${bot}", send::USER_IDS: ["${who}"], send::MSG_TYPE: "text", send::CONTENT: "hi $${x} ${who}" },
          "outputs": { send::INVALID_USER_IDS: "bad" } }
    ]})
    .to_string()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: CASES, ..ProptestConfig::default() })]

    #[test]
    fn connect_with_anything_is_a_success_or_a_structured_error(params in params_for(CONNECT_FIELDS)) {
        let params = local(params, emulator(&PARAMS_EMU, org));
        let host = TestHost::default();
        assert_structured(invoke(&host, connect::ID, &Value::Object(params)))?;
    }

    #[test]
    fn send_with_anything_is_a_success_or_a_structured_error(
        params in params_for(SEND_FIELDS),
        real_robot in any::<bool>(),
    ) {
        let host = TestHost::default();
        let mut params = params;
        if real_robot {
            params.insert(send::ROBOT.into(), support::connect(&host, emulator(&PARAMS_EMU, org)));
        }
        assert_structured(invoke(&host, send::ID, &Value::Object(params)))?;
    }

    #[test]
    fn flow_files_of_any_text_parse_or_fail_cleanly(text in prop_oneof![
        ".{0,200}",
        any_json(TYPED).prop_map(|v| v.to_string()),
        any_json(TYPED).prop_map(|v| json!({ "steps": [{ "action": connect::ID, "params": v }] }).to_string()),
    ]) {
        let _ = host_sim::Flow::parse(&text, "fuzz.json".as_ref());
    }

    #[test]
    fn the_c_entry_point_survives_any_bytes(
        action in prop::collection::vec(1u8..=255, 0..40),
        params in prop::collection::vec(1u8..=255, 0..200),
    ) {
        let action = CString::new(action).unwrap();
        let params = CString::new(params).unwrap();
        let mut out: *mut c_char = std::ptr::null_mut();
        // SAFETY: NUL-terminated buffers, no host, a writable out pointer.
        let status = unsafe {
            dingtalk_robot::capi::rpa_plugin_invoke(action.as_ptr(), params.as_ptr(), std::ptr::null(), &mut out)
        };
        prop_assert!(!out.is_null());
        // SAFETY: the plugin's own string, released once through its own free.
        let text = unsafe { std::ffi::CStr::from_ptr(out) }.to_string_lossy().into_owned();
        unsafe { dingtalk_robot::capi::rpa_plugin_free(out) };
        prop_assert!(status == 1 || status == 2, "random bytes cannot make a valid call: {status} {text}");
        let err: rpa_plugin_abi::ErrorPayload = serde_json::from_str(&text).unwrap();
        prop_assert!(!err.code.is_empty());
    }

    /// `invoke` with any params text: not only objects, but every JSON type and text that is
    /// not JSON at all, for both actions and for actions that do not exist.
    #[test]
    fn invoke_with_any_params_text_answers_in_structure(
        action in prop_oneof![Just(connect::ID.to_string()), Just(send::ID.to_string()), "[a-z.]{0,20}"],
        text in prop_oneof![
            any_json(TYPED).prop_map(|v| v.to_string()),
            ".{0,60}",
            params_of(CONNECT_FIELDS).prop_map(|p| Value::Object(p).to_string()),
            params_of(SEND_FIELDS).prop_map(|p| Value::Object(p).to_string()),
        ],
    ) {
        let emu = emulator(&INVOKE_EMU, unlimited_org);
        let object = serde_json::from_str::<Map<String, Value>>(&text).ok();
        let text = match (&object, action == connect::ID) {
            (Some(map), true) => Value::Object(local(map.clone(), emu)).to_string(),
            _ => text,
        };
        let host = TestHost::default();
        let host_ref = rpa_plugin_abi::Host_TO::from_ptr(&host, abi_stable::sabi_trait::TD_Opaque);
        match dingtalk_robot::invoke(&action, &text, &host_ref) {
            Ok(out) => {
                let out: Value = serde_json::from_str(&out).unwrap();
                prop_assert!(out.is_object(), "{out}");
            }
            Err(err) => {
                let err: ErrorPayload = serde_json::from_str(&err).expect("errors are ErrorPayload JSON");
                check_error(&err, &field_names(&action, object.as_ref()))?;
            }
        }
        assert_no_secrets(emu, &[&host.text()]);
    }

    /// The C entry point with a real action and any bytes (invalid UTF-8 included), and with
    /// any params object, under a host that may have cancelled.
    #[test]
    fn the_c_entry_point_answers_any_params_for_real_actions(
        send_action in any::<bool>(),
        params in prop_oneof![
            prop::collection::vec(1u8..=255, 0..120).prop_map(Err),
            params_of(CONNECT_FIELDS).prop_map(Ok),
            params_of(SEND_FIELDS).prop_map(Ok),
        ],
        cancelled in prop::bool::weighted(0.1),
    ) {
        let emu = emulator(&C_EMU, unlimited_org);
        let action = if send_action { send::ID } else { connect::ID };
        let bytes = match &params {
            Ok(map) if !send_action => Value::Object(local(map.clone(), emu)).to_string().into_bytes(),
            Ok(map) => Value::Object(map.clone()).to_string().into_bytes(),
            Err(bytes) => {
                prop_assume!(serde_json::from_slice::<Map<String, Value>>(bytes).is_err());
                bytes.clone()
            }
        };
        let (status, text, logs) = invoke_c(action.as_bytes(), &bytes, cancelled);
        let doc: Value = serde_json::from_str(&text).expect("the answer is JSON");
        match status {
            0 => prop_assert!(doc.is_object() && doc.get("code").is_none(), "{doc}"),
            1 | 2 => {
                let err: ErrorPayload = serde_json::from_value(doc).unwrap();
                prop_assert!(status == 1 || err.code == "INVALID_PARAMS", "{err:?}");
                if status == 1 {
                    let fields = field_names(action, params.as_ref().ok());
                    check_error(&err, &fields)?;
                }
                let refused_before_running = ["INVALID_INPUT", "INVALID_PARAMS", "ROBOT_NOT_CONNECTED"];
                if cancelled && status == 1 && !refused_before_running.contains(&err.code.as_str()) {
                    prop_assert_eq!(err.code.as_str(), "CANCELLED");
                }
            }
            other => prop_assert!(false, "status {other}: {text}"),
        }
        prop_assert!(!cancelled || status != 0, "a cancelled host gets no success");
        assert_no_secrets(emu, &[&text, &logs.join("\n")]);
    }

    /// Whole flows with plausible or arbitrary params run through host-sim's validation and
    /// the plugin against the emulator: a success or a structured error at a real step, and
    /// a send that failed reached DingTalk only if DingTalk's answer is in its error.
    #[test]
    fn flows_with_any_params_fail_cleanly_and_only_send_when_they_succeed(
        connect_fields in plausible(&[
            (connect::APP_KEY, &[APP_KEY, "dingother"]), (connect::APP_SECRET, &[APP_SECRET, "wrong"]),
            (connect::ROBOT_CODE, &["", APP_KEY, "no-such-robot"]), (connect::TIMEOUT_SECONDS, &["5"]),
            (connect::QPS_LIMIT, &["0"]),
        ]),
        send_fields in plausible(&[
            (send::ROBOT, &["${bot}"]), (send::USER_IDS, &["manager01", "staff02, ghost", "[\"busy04\"]"]),
            (send::MSG_TYPE, &["text", "markdown", "image"]),
            (send::CONTENT, &["hi", "# T\nbody", "http://127.0.0.1:1/a.png"]), (send::TITLE, &["", "Weekly"]),
        ]),
    ) {
        let emu = emulator(&FLOW_EMU, unlimited_org);
        let host = SimHost::silent().with_capture();
        let mut first = connect_params(emu);
        first[connect::QPS_LIMIT] = json!(0);
        let flows = [
            json!({ "steps": [
                { "action": connect::ID, "params": local(connect_fields, emu), "outputs": { connect::ROBOT: "bot" } },
            ]}),
            json!({ "steps": [
                { "action": connect::ID, "params": first, "outputs": { connect::ROBOT: "bot" } },
                { "action": send::ID, "params": send_fields, "outputs": { send::PROCESS_QUERY_KEY: "key" } },
            ]}),
        ];
        for (i, doc) in flows.iter().enumerate() {
            let flow = Flow::parse(&doc.to_string(), "fuzz.json".as_ref())
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            let before = emu.stats().batch_send_requests;
            let result = run_flow(plugin().as_ref(), &flow, &host, Map::new());
            let calls = emu.stats().batch_send_requests - before;
            match &result {
                Ok(vars) => {
                    prop_assert!(vars["bot"]["type"] == "dingtalk.robot", "{vars:?}");
                    if i == 1 {
                        prop_assert!(vars["key"].as_str().is_some_and(|k| !k.is_empty()));
                    }
                    prop_assert_eq!(calls, i as u64, "one send per successful send step");
                }
                Err(e) => {
                    prop_assert!((1..=flow.steps.len()).contains(&e.step), "{e:?}");
                    prop_assert!(!e.error.code.is_empty() && !e.error.message.is_empty(), "{e:?}");
                    prop_assert!(e.error.code != "INTERNAL", "{e:?}");
                    prop_assert!(e.error.hint.is_some() || e.error.zh_cn.is_some(), "{e:?}");
                    let answered = e.error.upstream.is_some();
                    prop_assert_eq!(calls, u64::from(i == 1 && e.step == 2 && answered), "{:?}", e.error);
                }
            }
            assert_no_secrets(emu, &[&host.captured().join("\n"), &format!("{result:?}")]);
        }
    }

    /// A valid flow file with bytes cut, doubled or replaced parses or fails with a file
    /// error, and what parses can be checked and run without a panic.
    #[test]
    fn damaged_flow_files_fail_cleanly(
        edits in prop::collection::vec(
            (any::<prop::sample::Index>(), 0usize..12, "[{}\\[\\]\",:$ a-z0-9]{0,3}"),
            1..4,
        ),
    ) {
        let emu = emulator(&TEXT_EMU, unlimited_org);
        let mut text = flow_text(emu).into_bytes();
        for (at, cut, insert) in &edits {
            let start = at.index(text.len() + 1);
            let end = (start + cut).min(text.len());
            text.splice(start..end, insert.bytes());
        }
        let text = String::from_utf8_lossy(&text).into_owned();
        match Flow::parse(&text, "damaged.json".as_ref()) {
            Ok(mut flow) => {
                // A damaged URL could name another host, or fall back to DingTalk's: keep
                // every connect on the emulator.
                for step in flow.steps.iter_mut().filter(|s| s.action == connect::ID) {
                    step.params = local(std::mem::take(&mut step.params), emu);
                }
                let host = SimHost::silent();
                if let Err(e) = run_flow(plugin().as_ref(), &flow, &host, Map::new()) {
                    prop_assert!(!e.error.code.is_empty() && e.error.code != "INTERNAL", "{e:?}");
                }
            }
            Err(e) => {
                let err = e.to_payload();
                prop_assert_eq!(err.code.as_str(), "INVALID_FLOW");
                prop_assert!(err.message.contains("damaged.json"), "{}", err.message);
            }
        }
    }

    /// Variable substitution on any text: never a panic; text without `$` is left alone;
    /// `$${` is a literal `${`.
    #[test]
    fn substitution_of_any_text_is_safe(text in "[ab$\\{\\}_x-]{0,24}", plain in "[^$]{0,24}") {
        let vars: Map<String, Value> = json!({ "a": "A", "b": 2, "x": ["list"] }).as_object().cloned().unwrap();
        let _ = host_sim::flow::substitute(&json!(text), &vars);
        prop_assert_eq!(host_sim::flow::substitute(&json!(plain), &vars).unwrap(), json!(plain));
        let escaped = format!("{plain}$${{a}}");
        prop_assert_eq!(host_sim::flow::substitute(&json!(escaped), &vars).unwrap(), json!(format!("{plain}${{a}}")));
    }
}

/// What the server answers to the call under test.
#[derive(Debug, Clone)]
struct Answer {
    status: u16,
    body: Vec<u8>,
}

/// Any status, with any bytes or answers that are almost right.
fn answer() -> impl Strategy<Value = Answer> {
    let status = prop_oneof![Just(200u16), Just(400), Just(403), Just(404), Just(500), Just(502), 200u16..=599];
    let body = prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..200),
        Just(br#"{"accessToken":"t","expireIn":18446744073709551615}"#.to_vec()),
        Just(br#"{"accessToken":"t","expireIn":-1}"#.to_vec()),
        Just(br#"{"accessToken":"","expireIn":0}"#.to_vec()),
        Just(br#"{"accessToken":7,"expireIn":"x"}"#.to_vec()),
        Just(br#"{"errcode":"0","media_id":null}"#.to_vec()),
        Just(br#"{"errcode":1e400}"#.to_vec()),
        Just(br#"{"processQueryKey":[],"invalidStaffIdList":"x"}"#.to_vec()),
        Just(br#"{"code":"Forbidden.AccessDenied.AccessTokenPermissionDenied","accessdenieddetail":{"requiredScopes":7}}"#.to_vec()),
        "[ -~]{0,80}".prop_map(String::into_bytes),
    ];
    (status, body).prop_map(|(status, body)| Answer { status, body })
}

/// A server that answers the token request well (unless `token` is fuzzed) and every other
/// request with the fuzzed answer.
fn server(fuzzed: Answer, token: bool) -> Hostile {
    let fuzzed = Arc::new(Mutex::new(fuzzed));
    Hostile::start(move |req| {
        let a = fuzzed.lock().unwrap().clone();
        if req.target.starts_with("/v1.0/oauth2/accessToken") && !token {
            return Reply::token("fuzz-token");
        }
        Reply { status: a.status, headers: vec![("Content-Type".into(), "application/json".into())], body: a.body }
    })
}

/// Connect params pointing at a hostile server, with a short timeout and no limiter.
fn hostile_connect_params(url: &str) -> Value {
    json!({ connect::APP_KEY: APP_KEY, connect::APP_SECRET: APP_SECRET, connect::API_BASE_URL: url,
            connect::OAPI_BASE_URL: url, connect::TIMEOUT_SECONDS: 2, connect::QPS_LIMIT: 0 })
}

/// An error, if any, is not a caught panic and says something.
fn not_a_panic(result: Result<Value, rpa_plugin_abi::ErrorPayload>) -> Result<(), TestCaseError> {
    if let Err(e) = result {
        prop_assert_ne!(e.code.as_str(), "INTERNAL", "{:?}", e);
        prop_assert!(!e.message.is_empty());
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: SERVER_CASES, ..ProptestConfig::default() })]

    #[test]
    fn any_token_answer_ends_cleanly(a in answer()) {
        let server = server(a, true);
        not_a_panic(invoke(&TestHost::default(), connect::ID, &hostile_connect_params(&server.url())))?;
    }

    #[test]
    fn any_send_or_upload_answer_ends_cleanly(a in answer(), file in any::<bool>()) {
        let server = server(a, false);
        let host = TestHost::default();
        let robot = invoke(&host, connect::ID, &hostile_connect_params(&server.url())).map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        let path = std::env::temp_dir().join(format!("fuzz-upload-{}.pdf", std::process::id()));
        std::fs::write(&path, b"%PDF-1.4").map_err(|e| TestCaseError::fail(e.to_string()))?;
        let (msg_type, content) = if file { ("file", path.to_string_lossy().into_owned()) } else { ("text", "hi".to_string()) };
        let send = json!({ send::ROBOT: robot[connect::ROBOT], send::USER_IDS: ["u1"], send::MSG_TYPE: msg_type, send::CONTENT: content });
        not_a_panic(invoke(&host, send::ID, &send))?;
    }
}
