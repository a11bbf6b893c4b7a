//! "Create DingTalk robot connection" against the emulator, over real HTTP.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code)]
mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use dingtalk_emulator::{Endpoint, Fault, FaultRule};
use dingtalk_robot::names::{connect, send};
use serde_json::{Value, json};
use support::*;

fn refused(params: Value) -> rpa_plugin_abi::ErrorPayload {
    let host = TestHost::default();
    invoke(&host, connect::ID, &params).expect_err("connect must fail")
}

#[test]
fn connect_outputs_an_opaque_handle_and_reuses_the_token() {
    let emu = org();
    let host = TestHost::default();
    let first = invoke(&host, connect::ID, &connect_params(&emu)).unwrap();
    let robot = &first[connect::ROBOT];
    assert_eq!(robot["type"], "dingtalk.robot");
    assert!(robot["id"].as_str().is_some_and(|id| !id.is_empty()));
    assert_eq!(robot.as_object().unwrap().len(), 2, "the handle holds a type and an id only: {robot}");
    // Connecting again in every flow run costs no token request, and gives the same handle.
    for _ in 0..5 {
        let again = invoke(&host, connect::ID, &connect_params(&emu)).unwrap();
        assert_eq!(again, first);
    }
    assert_eq!(emu.stats().token_requests, 1);
    assert!(host.text().contains("/v1.0/oauth2/accessToken -> HTTP 200"), "{}", host.text());
    assert_no_secrets(&emu, &[&first.to_string(), &host.text()]);
}

#[test]
fn wrong_secret_is_auth_failed_with_dingtalks_words() {
    let emu = org();
    let mut params = connect_params(&emu);
    params[connect::APP_SECRET] = json!("not-the-secret");
    let err = refused(params);
    assert_eq!(err.code, "AUTH_FAILED");
    let upstream = err.upstream.as_ref().expect("DingTalk's answer is kept");
    assert_eq!(upstream.http_status, Some(400));
    assert!(upstream.code.is_some() && upstream.request_id.is_some(), "{upstream:?}");
    assert!(err.hint.as_deref().unwrap_or_default().contains("AppSecret"));
    assert!(err.zh_cn.is_some());
    assert_no_secrets(&emu, &[&err.to_json()]);
}

#[test]
fn dead_port_is_a_network_error_fast() {
    // Bind and drop a listener to get a port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    let err =
        refused(json!({ connect::APP_KEY: APP_KEY, connect::APP_SECRET: APP_SECRET, connect::API_BASE_URL: url }));
    assert_eq!(err.code, "NETWORK");
    assert!(err.message.contains(&url), "{}", err.message);
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn slow_token_endpoint_is_a_timeout() {
    let emu = org();
    emu.inject(FaultRule { endpoint: Some(Endpoint::Token), fault: Fault::Delay(Duration::from_secs(3)), times: None });
    let mut params = connect_params(&emu);
    params[connect::TIMEOUT_SECONDS] = json!(1);
    let err = refused(params);
    assert_eq!(err.code, "TIMEOUT");
}

#[test]
fn bad_inputs_name_their_field_and_send_nothing() {
    let emu = org();
    let base = connect_params(&emu);
    let cases: Vec<(&str, Value, &str)> = vec![
        (connect::APP_KEY, json!(""), connect::APP_KEY),
        (connect::APP_KEY, json!("   "), connect::APP_KEY),
        (connect::APP_KEY, json!("ding key"), connect::APP_KEY),
        (connect::APP_KEY, json!(42), connect::APP_KEY),
        (connect::APP_SECRET, Value::Null, connect::APP_SECRET),
        (connect::API_BASE_URL, json!("not a url"), connect::API_BASE_URL),
        (connect::API_BASE_URL, json!("ftp://127.0.0.1"), connect::API_BASE_URL),
        (connect::API_BASE_URL, json!("http://127.0.0.1:1/?x=1"), connect::API_BASE_URL),
        (connect::OAPI_BASE_URL, json!("127.0.0.1:8080"), connect::OAPI_BASE_URL),
        (connect::TIMEOUT_SECONDS, json!(0), connect::TIMEOUT_SECONDS),
        (connect::TIMEOUT_SECONDS, json!(301), connect::TIMEOUT_SECONDS),
        (connect::TIMEOUT_SECONDS, json!("soon"), connect::TIMEOUT_SECONDS),
        (connect::TIMEOUT_SECONDS, json!(1.5), connect::TIMEOUT_SECONDS),
        (connect::QPS_LIMIT, json!(-1), connect::QPS_LIMIT),
        (connect::QPS_LIMIT, json!(1001), connect::QPS_LIMIT),
        (connect::ROBOT_CODE, json!(["x"]), connect::ROBOT_CODE),
    ];
    for (name, value, field) in cases {
        let mut params = base.clone();
        params[name] = value.clone();
        let err = refused(params);
        assert_eq!(err.code, "INVALID_INPUT", "{name}={value}: {err:?}");
        assert_eq!(err.field.as_deref(), Some(field), "{name}={value}");
        assert!(err.hint.is_some() && err.zh_cn.is_some(), "{name}={value}");
    }
    assert_eq!(emu.stats().token_requests, 0, "nothing reached DingTalk");
}

#[test]
fn numbers_typed_as_text_and_stray_spaces_are_accepted() {
    let emu = org();
    let host = TestHost::default();
    let params = json!({
        connect::APP_KEY: format!("  {APP_KEY} "), connect::APP_SECRET: format!("{APP_SECRET}\n"),
        connect::API_BASE_URL: format!("{}/", emu.url()), connect::OAPI_BASE_URL: emu.url(),
        connect::TIMEOUT_SECONDS: "10", connect::QPS_LIMIT: "0", connect::ROBOT_CODE: ""
    });
    invoke(&host, connect::ID, &params).unwrap();
}

#[test]
fn a_handle_this_process_never_issued_is_refused() {
    let emu = org();
    let host = TestHost::default();
    let real = connect(&host, &emu);
    for fake in [
        json!({ "type": "dingtalk.robot", "id": "robot-0000000000000000" }),
        json!({ "type": "other", "id": real["id"] }),
        json!("robot-1"),
        json!({ "id": real["id"] }),
        json!([real.clone()]),
    ] {
        let params =
            json!({ send::ROBOT: fake, send::USER_IDS: ["manager01"], send::MSG_TYPE: "text", send::CONTENT: "hi" });
        let err = invoke(&host, send::ID, &params).unwrap_err();
        assert_eq!(err.code, "ROBOT_NOT_CONNECTED", "{fake}");
        assert_eq!(err.field.as_deref(), Some(send::ROBOT));
    }
    assert_eq!(emu.stats().batch_send_requests, 0);
}

#[test]
fn sixteen_threads_connecting_at_once_make_one_token_request() {
    let emu = Arc::new(org());
    let barrier = Arc::new(std::sync::Barrier::new(16));
    let threads: Vec<_> = (0..16)
        .map(|i| {
            let (emu, barrier) = (emu.clone(), barrier.clone());
            std::thread::spawn(move || {
                let host = TestHost::default();
                barrier.wait();
                let robot = connect(&host, &emu);
                let params = json!({ send::ROBOT: robot, send::USER_IDS: ["manager01"], send::MSG_TYPE: "text", send::CONTENT: format!("hello {i}") });
                invoke(&host, send::ID, &params).unwrap();
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let stats = emu.stats();
    assert_eq!(stats.token_requests, 1);
    assert_eq!(stats.messages, 16);
}

#[test]
fn a_revoked_token_is_refreshed_once_and_the_send_goes_through_once() {
    let emu = org();
    let host = TestHost::default();
    let robot = connect(&host, &emu);
    emu.revoke_tokens();
    let params = json!({ send::ROBOT: robot, send::USER_IDS: ["manager01", "staff02"], send::MSG_TYPE: "text", send::CONTENT: "after revoke" });
    let out = invoke(&host, send::ID, &params).unwrap();
    assert!(out[send::PROCESS_QUERY_KEY].as_str().is_some_and(|k| !k.is_empty()));
    let stats = emu.stats();
    assert_eq!(stats.token_requests, 2);
    assert_eq!(stats.batch_send_requests, 2, "one refused for the token, one delivered");
    assert_eq!(stats.messages, 2);
}

#[test]
fn the_limiter_keeps_a_busy_app_under_dingtalks_limit() {
    let mut config = org_config();
    config.qps_limit = 10;
    let emu = Arc::new(dingtalk_emulator::Emulator::start(config).unwrap());
    let host = TestHost::default();
    let mut params = connect_params(&emu);
    params[connect::QPS_LIMIT] = json!(10);
    let robot = invoke(&host, connect::ID, &params).unwrap()[connect::ROBOT].clone();
    let threads: Vec<_> = (0..6)
        .map(|_| {
            let robot = robot.clone();
            std::thread::spawn(move || {
                let host = TestHost::default();
                for _ in 0..4 {
                    let p = json!({ send::ROBOT: robot, send::USER_IDS: ["staff03"], send::MSG_TYPE: "text", send::CONTENT: "tick" });
                    invoke(&host, send::ID, &p).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let stats = emu.stats();
    assert_eq!(stats.throttled, 0);
    assert_eq!(stats.messages, 24);
}

#[test]
fn a_cancelled_host_stops_before_the_network() {
    let emu = org();
    let host = TestHost::default();
    host.cancelled.store(true, std::sync::atomic::Ordering::Release);
    let err = invoke(&host, connect::ID, &connect_params(&emu)).unwrap_err();
    assert_eq!(err.code, "CANCELLED");
    assert_eq!(emu.stats().token_requests, 0);
}

#[test]
fn an_async_host_can_call_from_inside_its_own_runtime() {
    // A designer written with tokio calls the plugin from a runtime thread, where the plugin
    // cannot `block_on`; it must still work (and still relay logs).
    let emu = org();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let host = TestHost::default();
        let robot = connect(&host, &emu);
        let params = json!({ send::ROBOT: robot, send::USER_IDS: ["staff02"], send::MSG_TYPE: "text", send::CONTENT: "from async" });
        invoke(&host, send::ID, &params).unwrap();
        assert!(host.text().contains("batchSend -> HTTP 200"), "{}", host.text());
    });
    assert_eq!(emu.stats().messages, 1);
}

#[test]
fn an_ip_outside_the_allow_list_is_told_so_at_connect() {
    let emu = org();
    emu.inject(FaultRule { endpoint: Some(Endpoint::Token), fault: Fault::IpNotAllowed, times: None });
    let err = refused(connect_params(&emu));
    assert_eq!(err.code, "IP_NOT_ALLOWED");
    assert!(err.hint.as_deref().unwrap_or_default().contains("allow-list"), "{err:?}");
    assert_eq!(err.upstream.unwrap().code.as_deref(), Some("Forbidden.AccessDenied.IpNotInWhiteList"));
}
