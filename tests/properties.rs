//! Property tests: whatever a designer or a user types, the plugin and the host answer with
//! a success or a structured error, never a panic or a crash. Nothing here can reach the
//! internet: base URLs point at the emulator, and the other cases fail before any network.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code)]
mod support;

use std::ffi::{CString, c_char};
use std::sync::OnceLock;

use dingtalk_emulator::Emulator;
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use support::*;

const CASES: u32 = 256;

/// Any JSON value, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        ".{0,40}".prop_map(Value::from),
        "[ ,\n\\[\\]\"a-z0-9]{0,30}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..25).prop_map(Value::from),
            prop::collection::btree_map(".{0,8}", inner, 0..5).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Params objects that use the real field names, holding anything.
fn params_for(names: &'static [&'static str]) -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::vec((prop::sample::select(names), any_json()), 0..8)
        .prop_map(|pairs| pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

/// One emulator for the whole file, so that connects that happen to be valid answer fast.
fn emulator() -> &'static Emulator {
    static EMU: OnceLock<Emulator> = OnceLock::new();
    EMU.get_or_init(org)
}

fn assert_structured(out: Result<Value, rpa_plugin_abi::ErrorPayload>) -> Result<(), TestCaseError> {
    match out {
        Ok(v) => prop_assert!(v.is_object()),
        Err(e) => prop_assert!(!e.code.is_empty() && !e.message.is_empty(), "{e:?}"),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: CASES, ..ProptestConfig::default() })]

    #[test]
    fn connect_with_anything_is_a_success_or_a_structured_error(mut params in params_for(&[
        "appKey", "appSecret", "robotCode", "timeoutSeconds", "qpsLimit", "apiBaseUrl", "oapiBaseUrl",
    ])) {
        let url = emulator().url();
        params.insert("apiBaseUrl".into(), json!(url));
        params.insert("oapiBaseUrl".into(), json!(url));
        let host = TestHost::default();
        assert_structured(invoke(&host, "dingtalk.robot.connect", &Value::Object(params)))?;
    }

    #[test]
    fn send_with_anything_is_a_success_or_a_structured_error(
        params in params_for(&["robot", "userIds", "msgType", "content", "title"]),
        real_robot in any::<bool>(),
    ) {
        let host = TestHost::default();
        let mut params = params;
        if real_robot {
            params.insert("robot".into(), connect(&host, emulator()));
        }
        assert_structured(invoke(&host, "dingtalk.robot.send_single_chat", &Value::Object(params)))?;
    }

    #[test]
    fn flow_files_of_any_text_parse_or_fail_cleanly(text in prop_oneof![
        ".{0,200}",
        any_json().prop_map(|v| v.to_string()),
        any_json().prop_map(|v| json!({ "steps": [{ "action": "dingtalk.robot.connect", "params": v }] }).to_string()),
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
}
