//! Property tests beyond `properties.rs`: whatever bytes, JSON or flows a designer hands
//! over, the plugin and host-sim answer with a success or a structured error (never a panic,
//! never an `INTERNAL` error hiding one), a send that fails never reaches DingTalk unless
//! DingTalk's own answer is in the error, and the parsing of user IDs and whole numbers
//! agrees with a model of what the README promises.
//!
//! Nothing reaches the internet: every params object handed to connect gets base URLs of a
//! local emulator, and raw text that happens to parse as an object is skipped.
//! 7 properties x 256 cases.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code)]
mod support;

use std::ffi::{CString, c_char, c_int, c_void};
use std::sync::{Mutex, OnceLock};

use dingtalk_emulator::{Emulator, EmulatorConfig};
use host_sim::{Flow, SimHost, run_flow};
use proptest::prelude::*;
use rpa_plugin_abi::ErrorPayload;
use serde_json::{Map, Value, json};
use support::flows::plugin;
use support::*;

const CONNECT: &str = "dingtalk.robot.connect";
const SEND: &str = "dingtalk.robot.send_single_chat";

const CASES: u32 = 256;

/// Any JSON value, a few levels deep, with strings that look like what users type.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        ".{0,24}".prop_map(Value::from),
        "[ ,;\n\t\\[\\]\"a-z0-9${}:/.]{0,30}".prop_map(Value::from),
        prop::sample::select(vec!["", " ", "text", "markdown", "image", "file", "http://127.0.0.1:1/a.png", "${bot}"])
            .prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..24).prop_map(Value::from),
            prop::collection::btree_map("[a-zA-Z]{0,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

const CONNECT_FIELDS: &[&str] =
    &["appKey", "appSecret", "robotCode", "apiBaseUrl", "oapiBaseUrl", "timeoutSeconds", "qpsLimit"];
const SEND_FIELDS: &[&str] = &["robot", "userIds", "msgType", "content", "title"];

/// A params object: mostly the action's real field names, sometimes a stranger, any values.
fn params_of(names: &'static [&'static str]) -> impl Strategy<Value = Map<String, Value>> {
    let name = prop_oneof![4 => prop::sample::select(names).prop_map(String::from), 1 => "[a-zA-Z ]{1,10}"];
    prop::collection::vec((name, any_json()), 0..7).prop_map(|pairs| pairs.into_iter().collect())
}

/// A params object in which each field is absent, one of its plausible values, or anything.
fn plausible(fields: &'static [(&'static str, &'static [&'static str])]) -> impl Strategy<Value = Map<String, Value>> {
    let value = |choices: &'static [&'static str]| {
        prop_oneof![
            1 => Just(None),
            5 => prop::sample::select(choices).prop_map(|v| Some(serde_json::from_str(v).unwrap_or_else(|_| json!(v)))),
            2 => any_json().prop_map(Some),
        ]
    };
    let strategies: Vec<_> =
        fields.iter().map(|(name, choices)| value(choices).prop_map(move |v| (*name, v))).collect();
    strategies.prop_map(|pairs| pairs.into_iter().filter_map(|(k, v)| Some((k.to_string(), v?))).collect())
}

/// The emulator of one property, so that each can count what reached it.
fn emulator(slot: &'static OnceLock<Emulator>) -> &'static Emulator {
    slot.get_or_init(|| Emulator::start(EmulatorConfig { qps_limit: 0, ..org_config() }).unwrap())
}

/// Points a connect params object at `emu`, so that nothing can reach the internet.
fn local(mut params: Map<String, Value>, emu: &Emulator) -> Map<String, Value> {
    params.insert("apiBaseUrl".into(), json!(emu.url()));
    params.insert("oapiBaseUrl".into(), json!(emu.url()));
    params
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
        { "action": CONNECT, "params": connect_params(emu), "outputs": { "robot": "bot" } },
        { "action": SEND,
          "params": { "robot": "${bot}", "userIds": ["${who}"], "msgType": "text", "content": "hi $${x} ${who}" },
          "outputs": { "invalidUserIds": "bad" } }
    ]})
    .to_string()
}

static INVOKE_EMU: OnceLock<Emulator> = OnceLock::new();
static C_EMU: OnceLock<Emulator> = OnceLock::new();
static FLOW_EMU: OnceLock<Emulator> = OnceLock::new();
static TEXT_EMU: OnceLock<Emulator> = OnceLock::new();

proptest! {
    #![proptest_config(ProptestConfig { cases: CASES, ..ProptestConfig::default() })]

    /// `invoke` with any params text: not only objects, but every JSON type and text that is
    /// not JSON at all, for both actions and for actions that do not exist.
    #[test]
    fn invoke_with_any_params_text_answers_in_structure(
        action in prop_oneof![Just(CONNECT.to_string()), Just(SEND.to_string()), "[a-z.]{0,20}"],
        text in prop_oneof![
            any_json().prop_map(|v| v.to_string()),
            ".{0,60}",
            params_of(CONNECT_FIELDS).prop_map(|p| Value::Object(p).to_string()),
            params_of(SEND_FIELDS).prop_map(|p| Value::Object(p).to_string()),
        ],
    ) {
        let emu = emulator(&INVOKE_EMU);
        let object = serde_json::from_str::<Map<String, Value>>(&text).ok();
        let text = match (&object, action == CONNECT) {
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
        let emu = emulator(&C_EMU);
        let action = if send_action { SEND } else { CONNECT };
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
        connect in plausible(&[
            ("appKey", &[APP_KEY, "dingother"]), ("appSecret", &[APP_SECRET, "wrong"]),
            ("robotCode", &["", APP_KEY, "no-such-robot"]), ("timeoutSeconds", &["5"]), ("qpsLimit", &["0"]),
        ]),
        send in plausible(&[
            ("robot", &["${bot}"]), ("userIds", &["manager01", "staff02, ghost", "[\"busy04\"]"]),
            ("msgType", &["text", "markdown", "image"]), ("content", &["hi", "# T\nbody", "http://127.0.0.1:1/a.png"]),
            ("title", &["", "Weekly"]),
        ]),
    ) {
        let emu = emulator(&FLOW_EMU);
        let host = SimHost::silent().with_capture();
        let mut first = connect_params(emu);
        first["qpsLimit"] = json!(0);
        let flows = [
            json!({ "steps": [{ "action": CONNECT, "params": local(connect, emu), "outputs": { "robot": "bot" } }] }),
            json!({ "steps": [
                { "action": CONNECT, "params": first, "outputs": { "robot": "bot" } },
                { "action": SEND, "params": send, "outputs": { "processQueryKey": "key" } },
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
        let emu = emulator(&TEXT_EMU);
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
                for step in flow.steps.iter_mut().filter(|s| s.action == CONNECT) {
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
