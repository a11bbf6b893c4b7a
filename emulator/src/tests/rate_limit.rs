//! The platform's per-app, per-API one-second window.

use std::time::Duration;

use serde_json::json;

use super::{KEY, SECRET, T, config};
use crate::EmulatorConfig;

#[tokio::test]
async fn call_past_the_limit_is_throttled_and_not_processed() {
    let t = T::start(EmulatorConfig { qps_limit: 5, ..config() });
    let token = t.token().await;
    for _ in 0..5 {
        assert_eq!(t.send(&token, &["u1"]).await.status, 200);
    }
    let r = t.send(&token, &["u1"]).await;
    r.assert_new_error(403, "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi");
    // Another API of the same app has its own window.
    let key = t.emu.delivered()[0].process_query_key.clone();
    let recall = t
        .post(
            "/v1.0/robot/otoMessages/batchRecall",
            Some(&token),
            &json!({"robotCode": KEY, "processQueryKeys": [key]}),
        )
        .await;
    assert_eq!(recall.status, 200);
    let s = t.emu.stats();
    assert_eq!((s.batch_send_requests, s.messages, s.throttled), (6, 5, 1));
    assert_eq!(t.emu.delivered().len(), 5);
    tokio::time::sleep(Duration::from_millis(1050)).await;
    assert_eq!(t.send(&token, &["u1"]).await.status, 200);
    // Turned off at run time.
    t.emu.set_qps_limit(0);
    for _ in 0..10 {
        assert_eq!(t.send(&token, &["u1"]).await.status, 200);
    }
}

#[tokio::test]
async fn token_endpoints_are_limited_too() {
    let t = T::start(EmulatorConfig { qps_limit: 2, ..config() });
    let body = json!({"appKey": KEY, "appSecret": SECRET});
    assert_eq!(t.post("/v1.0/oauth2/accessToken", None, &body).await.status, 200);
    assert_eq!(t.post("/v1.0/oauth2/accessToken", None, &body).await.status, 200);
    t.post("/v1.0/oauth2/accessToken", None, &body)
        .await
        .assert_new_error(403, "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi");
    let q = format!("/gettoken?appkey={KEY}&appsecret={SECRET}");
    assert_eq!(t.get(&q, None).await.json["errcode"], 0);
    assert_eq!(t.get(&q, None).await.json["errcode"], 0);
    t.get(&q, None).await.assert_old_error(90018);
    let s = t.emu.stats();
    assert_eq!((s.token_requests, s.throttled), (6, 2));
}
