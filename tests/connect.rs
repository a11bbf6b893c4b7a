//! "Create DingTalk robot connection" against the emulator, over real HTTP.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use dingtalk_emulator::{Endpoint, Fault, FaultRule};
use serde_json::{Value, json};
use support::*;

const CONNECT: &str = "dingtalk.robot.connect";
const SEND: &str = "dingtalk.robot.send_single_chat";

fn refused(params: Value) -> rpa_plugin_abi::ErrorPayload {
    let host = TestHost::default();
    invoke(&host, CONNECT, &params).expect_err("connect must fail")
}

#[test]
fn connect_outputs_an_opaque_handle_and_reuses_the_token() {
    let emu = org();
    let host = TestHost::default();
    let first = invoke(&host, CONNECT, &connect_params(&emu)).unwrap();
    let robot = &first["robot"];
    assert_eq!(robot["type"], "dingtalk.robot");
    assert!(robot["id"].as_str().is_some_and(|id| !id.is_empty()));
    assert_eq!(robot.as_object().unwrap().len(), 2, "the handle holds a type and an id only: {robot}");
    // Connecting again in every flow run costs no token request, and gives the same handle.
    for _ in 0..5 {
        let again = invoke(&host, CONNECT, &connect_params(&emu)).unwrap();
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
    params["appSecret"] = json!("not-the-secret");
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
    let err = refused(json!({ "appKey": APP_KEY, "appSecret": APP_SECRET, "apiBaseUrl": url }));
    assert_eq!(err.code, "NETWORK");
    assert!(err.message.contains(&url), "{}", err.message);
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn slow_token_endpoint_is_a_timeout() {
    let emu = org();
    emu.inject(FaultRule { endpoint: Some(Endpoint::Token), fault: Fault::Delay(Duration::from_secs(3)), times: None });
    let mut params = connect_params(&emu);
    params["timeoutSeconds"] = json!(1);
    let err = refused(params);
    assert_eq!(err.code, "TIMEOUT");
}

#[test]
fn bad_inputs_name_their_field_and_send_nothing() {
    let emu = org();
    let base = connect_params(&emu);
    let cases: Vec<(&str, Value, &str)> = vec![
        ("appKey", json!(""), "appKey"),
        ("appKey", json!("   "), "appKey"),
        ("appKey", json!("ding key"), "appKey"),
        ("appKey", json!(42), "appKey"),
        ("appSecret", Value::Null, "appSecret"),
        ("apiBaseUrl", json!("not a url"), "apiBaseUrl"),
        ("apiBaseUrl", json!("ftp://127.0.0.1"), "apiBaseUrl"),
        ("apiBaseUrl", json!("http://127.0.0.1:1/?x=1"), "apiBaseUrl"),
        ("oapiBaseUrl", json!("127.0.0.1:8080"), "oapiBaseUrl"),
        ("timeoutSeconds", json!(0), "timeoutSeconds"),
        ("timeoutSeconds", json!(301), "timeoutSeconds"),
        ("timeoutSeconds", json!("soon"), "timeoutSeconds"),
        ("timeoutSeconds", json!(1.5), "timeoutSeconds"),
        ("qpsLimit", json!(-1), "qpsLimit"),
        ("qpsLimit", json!(1001), "qpsLimit"),
        ("robotCode", json!(["x"]), "robotCode"),
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
        "appKey": format!("  {APP_KEY} "), "appSecret": format!("{APP_SECRET}\n"),
        "apiBaseUrl": format!("{}/", emu.url()), "oapiBaseUrl": emu.url(),
        "timeoutSeconds": "10", "qpsLimit": "0", "robotCode": ""
    });
    invoke(&host, CONNECT, &params).unwrap();
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
        let params = json!({ "robot": fake, "userIds": ["manager01"], "msgType": "text", "content": "hi" });
        let err = invoke(&host, SEND, &params).unwrap_err();
        assert_eq!(err.code, "ROBOT_NOT_CONNECTED", "{fake}");
        assert_eq!(err.field.as_deref(), Some("robot"));
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
                let params = json!({ "robot": robot, "userIds": ["manager01"], "msgType": "text", "content": format!("hello {i}") });
                invoke(&host, SEND, &params).unwrap();
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
    let params =
        json!({ "robot": robot, "userIds": ["manager01", "staff02"], "msgType": "text", "content": "after revoke" });
    let out = invoke(&host, SEND, &params).unwrap();
    assert!(out["processQueryKey"].as_str().is_some_and(|k| !k.is_empty()));
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
    params["qpsLimit"] = json!(10);
    let robot = invoke(&host, CONNECT, &params).unwrap()["robot"].clone();
    let threads: Vec<_> = (0..6)
        .map(|_| {
            let robot = robot.clone();
            std::thread::spawn(move || {
                let host = TestHost::default();
                for _ in 0..4 {
                    let p = json!({ "robot": robot, "userIds": ["staff03"], "msgType": "text", "content": "tick" });
                    invoke(&host, SEND, &p).unwrap();
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
    let err = invoke(&host, CONNECT, &connect_params(&emu)).unwrap_err();
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
        let params = json!({ "robot": robot, "userIds": ["staff02"], "msgType": "text", "content": "from async" });
        invoke(&host, SEND, &params).unwrap();
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

/// Runs `each` on 16 threads released at once, and returns what each returned.
fn sixteen_at_once<T: Send + 'static>(each: impl Fn(usize) -> T + Send + Sync + 'static) -> Vec<T> {
    let barrier = Arc::new(std::sync::Barrier::new(16));
    let each = Arc::new(each);
    let threads: Vec<_> = (0..16)
        .map(|i| {
            let (barrier, each) = (barrier.clone(), each.clone());
            std::thread::spawn(move || {
                barrier.wait();
                each(i)
            })
        })
        .collect();
    threads.into_iter().map(|t| t.join().unwrap()).collect()
}

#[test]
fn sixteen_threads_connecting_with_a_wrong_secret_make_one_token_request() {
    let emu = Arc::new(org());
    // The refusal comes after a while, so every thread asks while the one request is out.
    emu.inject(FaultRule::next(Endpoint::Token, Fault::Delay(Duration::from_millis(300)), 1));
    let url = emu.url();
    let codes = sixteen_at_once(move |_| {
        let params = json!({ "appKey": APP_KEY, "appSecret": "not-the-secret", "apiBaseUrl": url, "oapiBaseUrl": url });
        invoke(&TestHost::default(), CONNECT, &params).unwrap_err().code
    });
    assert!(codes.iter().all(|c| c == "AUTH_FAILED"), "{codes:?}");
    assert_eq!(emu.stats().token_requests, 1, "the failed fetch is shared like a good one");
    // A connect that comes afterwards asks again (the secret may have been fixed meanwhile).
    let err = refused(
        json!({ "appKey": APP_KEY, "appSecret": "not-the-secret", "apiBaseUrl": emu.url(), "oapiBaseUrl": emu.url() }),
    );
    assert_eq!(err.code, "AUTH_FAILED");
    assert_eq!(emu.stats().token_requests, 2);
}

#[test]
fn a_token_refused_to_sixteen_threads_at_once_is_refreshed_once() {
    let emu = Arc::new(org());
    let robot = connect(&TestHost::default(), &emu);
    emu.revoke_tokens();
    // The new token comes after a while, so every thread finds the old one refused first.
    emu.inject(FaultRule::next(Endpoint::Token, Fault::Delay(Duration::from_millis(300)), 1));
    let outcomes = sixteen_at_once(move |i| {
        let params = json!({ "robot": robot, "userIds": ["manager01"], "msgType": "text", "content": format!("after revoke {i}") });
        invoke(&TestHost::default(), SEND, &params).map(|_| ()).map_err(|e| e.code)
    });
    assert!(outcomes.iter().all(Result::is_ok), "{outcomes:?}");
    let stats = emu.stats();
    assert_eq!(stats.token_requests, 2, "one token at connect, one shared refresh");
    assert_eq!(stats.messages, 16);
    assert!(stats.batch_send_requests >= 17, "at least one send was refused for the old token: {stats:?}");
}

#[test]
fn two_connects_of_one_app_share_one_limiter_at_the_lower_limit() {
    for limits in [[20, 5], [5, 20], [0, 5]] {
        let mut config = org_config();
        config.qps_limit = 0;
        let emu = Arc::new(dingtalk_emulator::Emulator::start(config).unwrap());
        let host = TestHost::default();
        let robots: Vec<Value> = limits
            .iter()
            .map(|qps| {
                let mut params = connect_params(&emu);
                params["qpsLimit"] = json!(qps);
                invoke(&host, CONNECT, &params).unwrap()["robot"].clone()
            })
            .collect();
        // 12 sends from 4 threads through the robot of either connect: at most 5 in any second.
        let started = Instant::now();
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let robot = robots[t % 2].clone();
                std::thread::spawn(move || {
                    for i in 0..3 {
                        let p = json!({ "robot": robot, "userIds": ["staff03"], "msgType": "text", "content": format!("{t}-{i}") });
                        invoke(&TestHost::default(), SEND, &p).unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let mut at: Vec<_> =
            emu.requests().iter().filter(|r| r.endpoint == Some(Endpoint::BatchSend)).map(|r| r.at).collect();
        at.sort();
        assert_eq!(at.len(), 12, "{limits:?}");
        for (i, first) in at.iter().enumerate() {
            let in_a_second = at[i..]
                .iter()
                .take_while(|t| t.duration_since(*first).unwrap_or_default() < Duration::from_secs(1))
                .count();
            assert!(in_a_second <= 5, "{limits:?}: {in_a_second} sends within a second");
        }
        assert!(started.elapsed() >= Duration::from_secs(2), "{limits:?}: 12 sends at 5 a second take two windows");
    }
}
