//! Fuzzing what comes back from the network: whatever status and bytes a server answers to
//! the token request, the send or the upload, the action ends in outputs or a structured
//! error, never a panic (`INTERNAL`). (Fuzzing of what users type is in `properties.rs` and
//! `fuzz_edges.rs`.)

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code)]
mod support;

use std::sync::{Arc, Mutex};

use dingtalk_robot::actions::{connect, send};
use proptest::prelude::*;
use serde_json::{Value, json};
use support::hostile::{Hostile, Reply};
use support::{APP_KEY, APP_SECRET, TestHost, invoke};

/// What the server answers to the call under test.
#[derive(Debug, Clone)]
struct Answer {
    status: u16,
    body: Vec<u8>,
}

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

fn params(url: &str) -> Value {
    json!({ connect::APP_KEY: APP_KEY, connect::APP_SECRET: APP_SECRET, connect::API_BASE_URL: url,
            connect::OAPI_BASE_URL: url, connect::TIMEOUT_SECONDS: 2, connect::QPS_LIMIT: 0 })
}

fn not_a_panic(result: Result<Value, rpa_plugin_abi::ErrorPayload>) -> Result<(), TestCaseError> {
    if let Err(e) = result {
        prop_assert_ne!(e.code.as_str(), "INTERNAL", "{:?}", e);
        prop_assert!(!e.message.is_empty());
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn any_token_answer_ends_cleanly(a in answer()) {
        let server = server(a, true);
        not_a_panic(invoke(&TestHost::default(), connect::ID, &params(&server.url())))?;
    }

    #[test]
    fn any_send_or_upload_answer_ends_cleanly(a in answer(), file in any::<bool>()) {
        let server = server(a, false);
        let host = TestHost::default();
        let robot = invoke(&host, connect::ID, &params(&server.url())).map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        let path = std::env::temp_dir().join(format!("fuzz-upload-{}.pdf", std::process::id()));
        std::fs::write(&path, b"%PDF-1.4").map_err(|e| TestCaseError::fail(e.to_string()))?;
        let (msg_type, content) = if file { ("file", path.to_string_lossy().into_owned()) } else { ("text", "hi".to_string()) };
        let send = json!({ send::ROBOT: robot[connect::ROBOT], send::USER_IDS: ["u1"], send::MSG_TYPE: msg_type, send::CONTENT: content });
        not_a_panic(invoke(&host, send::ID, &send))?;
    }
}
