//! Token reuse, expiry and revocation.

use std::time::Duration;

use serde_json::json;

use super::{KEY, SECRET, T, config};

#[tokio::test]
async fn same_token_until_expiry_then_a_new_one() {
    let t = T::start(crate::EmulatorConfig { token_ttl: Duration::from_secs(2), ..config() });
    let first = t.post("/v1.0/oauth2/accessToken", None, &json!({"appKey": KEY, "appSecret": SECRET})).await;
    assert_eq!(first.json["expireIn"], 2);
    let tok = first.json["accessToken"].as_str().unwrap().to_owned();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let second = t.post("/v1.0/oauth2/accessToken", None, &json!({"appKey": KEY, "appSecret": SECRET})).await;
    assert_eq!(second.json["accessToken"], tok.as_str(), "handed back until expiry");
    assert_eq!(second.json["expireIn"], 1, "remaining seconds");
    assert_eq!(t.send(&tok, &["u1"]).await.status, 200);

    tokio::time::sleep(Duration::from_millis(1000)).await;
    // Expired: new API 400 InvalidAuthentication, old API 42001.
    t.send(&tok, &["u1"]).await.assert_new_error(400, "InvalidAuthentication");
    let old = t.http.post(t.url(&format!("/media/upload?access_token={tok}"))).send().await.unwrap();
    super::Resp::read(old).await.assert_old_error(42001);
    let fresh = t.token().await;
    assert_ne!(fresh, tok);
    assert_eq!(t.send(&fresh, &["u1"]).await.status, 200);
}

#[tokio::test]
async fn revoked_tokens_are_rejected_in_both_generations() {
    let t = T::start(config());
    let tok = t.token().await;
    t.emu.revoke_tokens();
    t.send(&tok, &["u1"]).await.assert_new_error(400, "InvalidAuthentication");
    let old = t.http.post(t.url(&format!("/media/upload?access_token={tok}"))).send().await.unwrap();
    super::Resp::read(old).await.assert_old_error(40014);
    let fresh = t.token().await;
    assert_ne!(fresh, tok);
    assert_eq!(t.send(&fresh, &["u1"]).await.status, 200);
    assert_eq!(t.emu.stats().messages, 1);
}
