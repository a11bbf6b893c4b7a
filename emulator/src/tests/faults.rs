//! Faults on demand, from the library and over the admin endpoint.

use std::time::{Duration, Instant};

use serde_json::json;

use super::{T, config, text_message};
use crate::{Endpoint, Fault, FaultRule};

const SEND: &str = "/v1.0/robot/oToMessages/batchSend";

#[tokio::test]
async fn idle_keep_alive_connections_are_closed_and_busy_ones_are_not() {
    let t = T::start(config());
    let token = t.token().await;
    t.emu.set_close_idle_after(Some(Duration::from_millis(50)));
    // Mid-request, however slow, a connection is not idle.
    t.emu.inject(FaultRule::next(Endpoint::BatchSend, Fault::Delay(Duration::from_millis(200)), 1));
    assert_eq!(t.send(&token, &["u1"]).await.status, 200);
    assert_eq!(t.emu.stats().idle_closed, 0);
    // Idle after its answer, it is closed; the client's next request goes on a new one.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stats = t.emu.stats();
    assert_eq!((stats.idle_closed, stats.connections), (1, 1), "{stats:?}");
    assert_eq!(t.send(&token, &["u1"]).await.status, 200);
    assert_eq!(t.emu.stats().connections, 2);
    // Off again: an idle connection stays.
    t.emu.set_close_idle_after(None);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(t.send(&token, &["u1"]).await.status, 200);
    let stats = t.emu.stats();
    assert_eq!((stats.idle_closed, stats.connections, stats.messages), (1, 2, 3), "{stats:?}");
}

#[tokio::test]
async fn delay_processes_then_waits() {
    let t = T::start(config());
    let token = t.token().await;
    t.emu.inject(FaultRule::next(Endpoint::BatchSend, Fault::Delay(Duration::from_millis(300)), 1));
    let started = Instant::now();
    let r = t.send(&token, &["u1"]).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(r.status, 200);
    assert_eq!(t.emu.delivered().len(), 1);
    // A client that gives up early still caused a delivery.
    t.emu.inject(FaultRule::next(Endpoint::BatchSend, Fault::Delay(Duration::from_millis(500)), 1));
    let timed_out = t
        .http
        .post(t.url(SEND))
        .header("x-acs-dingtalk-access-token", &token)
        .json(&text_message(&["u1"]))
        .timeout(Duration::from_millis(100))
        .send()
        .await;
    assert!(timed_out.is_err());
    assert_eq!(t.emu.delivered().len(), 2);
    // Used up: the next one is fast.
    let started = Instant::now();
    assert_eq!(t.send(&token, &["u1"]).await.status, 200);
    assert!(started.elapsed() < Duration::from_millis(300));
}

#[tokio::test]
async fn http500_and_bad_gateway_are_not_processed() {
    let t = T::start(config());
    let token = t.token().await;
    t.emu.inject(FaultRule::next(Endpoint::BatchSend, Fault::Http500, 1));
    t.send(&token, &["u1"]).await.assert_new_error(500, "ServiceUnavailable");
    t.emu.inject(FaultRule::next(Endpoint::BatchSend, Fault::BadGatewayHtml, 1));
    let r = t.send(&token, &["u1"]).await;
    assert_eq!(r.status, 502);
    assert!(r.header("content-type").starts_with("text/html"));
    assert!(r.text.contains("502 Bad Gateway"));
    assert!(!r.header("x-acs-request-id").is_empty());
    assert!(t.emu.delivered().is_empty());
    let s = t.emu.stats();
    assert_eq!((s.batch_send_requests, s.messages), (2, 0));
    assert_eq!(t.send(&token, &["u1"]).await.status, 200);
}

#[tokio::test]
async fn close_mid_answer_is_processed_and_cut() {
    let t = T::start(config());
    let token = t.token().await;
    t.emu.inject(FaultRule::next(Endpoint::BatchSend, Fault::CloseMidAnswer, 1));
    let resp = t
        .http
        .post(t.url(SEND))
        .header("x-acs-dingtalk-access-token", &token)
        .json(&text_message(&["u1"]))
        .send()
        .await;
    let resp = resp.expect("status line and headers arrive");
    assert_eq!(resp.status(), 200);
    assert!(!resp.headers()["x-acs-request-id"].is_empty());
    assert!(resp.text().await.is_err(), "the body must not arrive whole");
    assert_eq!(t.emu.delivered().len(), 1, "processed before the cut");
    // The client recovers on a new connection.
    assert_eq!(t.send(&token, &["u1"]).await.status, 200);
}

#[tokio::test]
async fn malformed_json_is_processed() {
    let t = T::start(config());
    let token = t.token().await;
    t.emu.inject(FaultRule::next(Endpoint::BatchSend, Fault::MalformedJson, 1));
    let r = t.send(&token, &["u1"]).await;
    assert_eq!(r.status, 200);
    assert!(!r.text.is_empty());
    assert!(serde_json::from_str::<serde_json::Value>(&r.text).is_err());
    assert_eq!(t.emu.delivered().len(), 1);
}

#[tokio::test]
async fn throttle_fault_is_not_processed_and_counted() {
    let t = T::start(config());
    t.emu.inject(FaultRule::next(Endpoint::Token, Fault::Throttle, 1));
    let r = t.post("/v1.0/oauth2/accessToken", None, &json!({"appKey": super::KEY, "appSecret": super::SECRET})).await;
    r.assert_new_error(403, "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi");
    let token = t.token().await;
    t.emu.inject(FaultRule::next(Endpoint::BatchSend, Fault::Throttle, 2));
    for _ in 0..2 {
        t.send(&token, &["u1"]).await.assert_new_error(403, "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi");
    }
    assert_eq!(t.send(&token, &["u1"]).await.status, 200);
    let s = t.emu.stats();
    assert_eq!((s.throttled, s.messages, s.token_requests), (3, 1, 2));
}

#[tokio::test]
async fn ip_not_allowed_in_both_generations_is_not_processed() {
    let t = T::start(config());
    let token = t.token().await;
    t.emu.inject(FaultRule::always(Endpoint::BatchSend, Fault::IpNotAllowed));
    t.send(&token, &["u1"]).await.assert_new_error(403, "Forbidden.AccessDenied.IpNotInWhiteList");
    t.emu.inject(FaultRule::next(Endpoint::GetToken, Fault::IpNotAllowed, 1));
    let r = t.get(&format!("/gettoken?appkey={}&appsecret={}", super::KEY, super::SECRET), None).await;
    r.assert_old_error(60020);
    assert_eq!(t.emu.stats().messages, 0);
}

#[tokio::test]
async fn rules_for_every_endpoint_until_cleared() {
    let t = T::start(config());
    t.emu.inject(FaultRule { endpoint: None, fault: Fault::Http500, times: None });
    for _ in 0..3 {
        t.get("/gettoken?appkey=a&appsecret=b", None).await.assert_new_error(500, "ServiceUnavailable");
    }
    t.emu.clear_faults();
    assert_eq!(t.token().await.len(), 32);
}

#[tokio::test]
async fn admin_endpoints_steer_the_server() {
    let t = T::start(config());
    let token = t.token().await;
    let admin = |p: &str| t.url(&format!("/_emulator/{p}"));
    let r = t
        .http
        .post(admin("faults"))
        .json(&json!({"endpoint": "batchSend", "fault": "http500", "times": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(t.send(&token, &["u1"]).await.status, 500);
    assert_eq!(t.send(&token, &["u1"]).await.status, 200);

    t.http.post(admin("faults")).json(&json!({"fault": "badGatewayHtml"})).send().await.unwrap();
    assert_eq!(t.send(&token, &["u1"]).await.status, 502);
    t.http.delete(admin("faults")).send().await.unwrap();
    assert_eq!(t.send(&token, &["u1"]).await.status, 200);
    let bad = t.http.post(admin("faults")).json(&json!({"fault": "delay"})).send().await.unwrap();
    assert_eq!(bad.status(), 400);

    t.http.post(admin("permissions")).json(&json!({"appKey": super::KEY, "permissions": []})).send().await.unwrap();
    assert_eq!(t.send(&token, &["u1"]).await.status, 403);
    t.http
        .post(admin("permissions"))
        .json(&json!({"appKey": super::KEY, "permissions": ["qyapi_robot_sendmsg"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(t.send(&token, &["u1"]).await.status, 200);

    t.http.post(admin("revoke-tokens")).send().await.unwrap();
    assert_eq!(t.send(&token, &["u1"]).await.status, 400);

    let stats: serde_json::Value = t.http.get(admin("stats")).send().await.unwrap().json().await.unwrap();
    assert_eq!(
        stats,
        json!({"tokenRequests": 1, "batchSendRequests": 7, "messages": 3,
               "messagesByTemplate": {"sampleText": 3}, "groupMessages": 0, "uploads": 0, "mobileLookups": 0,
               "throttled": 0, "robotSendRequests": 0, "webhookMessages": 0, "webhookBans": 0, "connections": 1,
               "idleClosed": 0, "streamOpenRequests": 0, "streamConnections": 0, "streamPushed": 0, "streamAcks": 0,
               "streamPingsAnswered": 0, "sessionWebhookRequests": 0, "sessionWebhookMessages": 0})
    );
    let requests: Vec<serde_json::Value> = t.http.get(admin("requests")).send().await.unwrap().json().await.unwrap();
    assert_eq!(requests.len(), 8, "admin calls are not recorded");
    assert_eq!(requests[1]["status"], 500);
    assert_eq!(requests[1]["endpoint"], "batchSend");
    assert!(requests[1]["at"].as_u64().unwrap() > 0);

    // The 24-hour window, passed on demand.
    let key = t.emu.delivered()[0].process_query_key.clone();
    let at = t.emu.delivered()[0].at;
    let r = t.http.post(admin("backdate")).json(&json!({"processQueryKey": key, "seconds": 90_000})).send().await;
    assert_eq!(r.unwrap().status(), 200);
    assert_eq!(at.duration_since(t.emu.delivered()[0].at).unwrap().as_secs(), 90_000);
    let r = t.http.post(admin("backdate")).json(&json!({"processQueryKey": "nope", "seconds": 1})).send().await;
    assert_eq!(r.unwrap().status(), 400);
}
