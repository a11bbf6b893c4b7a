//! The custom robot's `robot/send`: signature and timestamp, keywords, IP allow-list, message
//! fields, the per-minute limit and its ban, what each group received.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use super::{Resp, T, config};
use crate::webhook::signature;
use crate::{EmulatorConfig, Endpoint, Fault, FaultRule, WebhookConfig};

const SIGNED: &str = "signedtoken01";
const PLAIN: &str = "plaintoken02";
const SECRET: &str = "SECtest";

fn hooks() -> EmulatorConfig {
    EmulatorConfig {
        webhooks: vec![
            WebhookConfig::new(SIGNED, "ops").with_secret(SECRET).with_keywords(["告警", "alert"]),
            WebhookConfig::new(PLAIN, "sales"),
            WebhookConfig::new("fenced", "fenced").with_allowed_ips(["10.0.0.0/8"]),
        ],
        webhook_limit: 3,
        webhook_window: Duration::from_millis(600),
        webhook_ban: Duration::from_secs(3),
        ..config()
    }
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as i64
}

/// The query of a signed send, the sign URL-encoded as DingTalk's samples do.
fn signed(token: &str, secret: &str, ts: i64) -> String {
    let sign: String = form_urlencoded::byte_serialize(signature(secret, &ts.to_string()).as_bytes()).collect();
    format!("access_token={token}&timestamp={ts}&sign={sign}")
}

async fn send(t: &T, query: &str, body: &Value) -> Resp {
    let r = t.http.post(t.url(&format!("/robot/send?{query}"))).json(body).send().await.unwrap();
    Resp::read(r).await
}

fn text(content: &str) -> Value {
    json!({"msgtype": "text", "text": {"content": content}, "at": {"atMobiles": ["13800138000"], "isAtAll": false}})
}

#[tokio::test]
async fn a_signed_message_with_a_keyword_reaches_its_group() {
    let t = T::start(hooks());
    let r = send(&t, &signed(SIGNED, SECRET, now_ms()), &text("CPU 告警 @13800138000")).await;
    assert_eq!((r.status, r.json["errcode"].as_i64(), r.json["errmsg"].as_str()), (200, Some(0), Some("ok")), "{r:?}");
    let got = t.emu.group_messages();
    assert_eq!(got.len(), 1);
    assert_eq!((got[0].group.as_str(), got[0].msgtype.as_str()), ("ops", "text"));
    assert_eq!(got[0].body["at"]["atMobiles"][0], "13800138000");
    assert_eq!(t.emu.stats().webhook_messages, 1);
    // No secret: no signature needed, no keyword either.
    send(&t, &format!("access_token={PLAIN}"), &text("hello")).await.assert_old_error(0);
    assert_eq!(t.emu.group_messages()[1].group, "sales");
}

#[tokio::test]
async fn security_settings_refuse_with_310000_and_deliver_nothing() {
    let t = T::start(hooks());
    let said = |r: &Resp| r.json["errmsg"].as_str().unwrap_or_default().to_owned();
    let good = text("alert: disk full");
    let r = send(&t, &signed(SIGNED, "SECwrong", now_ms()), &good).await;
    r.assert_old_error(310000);
    assert!(said(&r).starts_with("sign not match"), "{r:?}");
    let r = send(&t, &signed(SIGNED, SECRET, now_ms() - 3_700_000), &good).await;
    assert!(said(&r).starts_with("invalid timestamp"), "{r:?}");
    let r = send(&t, &format!("access_token={SIGNED}"), &good).await;
    assert!(said(&r).starts_with("invalid timestamp"), "{r:?}");
    // A sign sent without URL encoding: its '+' reads as a space.
    let ts = (now_ms()..).find(|ts| signature(SECRET, &ts.to_string()).contains('+')).unwrap();
    let raw = format!("access_token={SIGNED}&timestamp={ts}&sign={}", signature(SECRET, &ts.to_string()));
    assert!(said(&send(&t, &raw, &good).await).starts_with("sign not match"));
    assert_eq!(
        signature("SEC0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "1735689600005"),
        "AwQk6TpBcslOFOJgZ+jUW/KjBRMFwmFuirtNJsQ3OsY=",
        "as Python's hmac computes it"
    );
    let r = send(&t, &signed(SIGNED, SECRET, now_ms()), &text("no keyword here")).await;
    assert!(said(&r).starts_with("keywords not in content"), "{r:?}");
    let r = send(&t, "access_token=fenced", &text("x")).await;
    r.assert_old_error(310000);
    assert!(said(&r).starts_with("ip 127.0.0.1 not in whitelist"), "{r:?}");
    send(&t, "access_token=unknown", &good).await.assert_old_error(300001);
    assert!(t.emu.group_messages().is_empty());
}

#[tokio::test]
async fn the_servers_clock_decides_and_its_date_header_tells_it() {
    let t = T::start(hooks());
    t.emu.set_clock_skew_ms(2 * 3_600_000);
    let r = send(&t, &signed(SIGNED, SECRET, now_ms()), &text("alert")).await;
    assert!(r.json["errmsg"].as_str().unwrap().starts_with("invalid timestamp"), "{r:?}");
    let date = httpdate::parse_http_date(r.header("date")).unwrap();
    let ahead = date.duration_since(SystemTime::now()).unwrap();
    assert!(ahead > Duration::from_secs(7190) && ahead < Duration::from_secs(7210), "{ahead:?}");
    // A timestamp on the server's clock passes.
    send(&t, &signed(SIGNED, SECRET, now_ms() + 2 * 3_600_000), &text("alert")).await.assert_old_error(0);
}

#[tokio::test]
async fn field_names_are_exact_and_values_text() {
    let t = T::start(EmulatorConfig { webhook_limit: 0, ..hooks() });
    let q = format!("access_token={PLAIN}");
    for (body, code) in [
        (json!({"msgtype": "text", "text": {"Content": "x"}}), 40035),
        (json!({"msgtype": "markdown", "markdown": {"title": "t"}}), 40035),
        (json!({"msgtype": "link", "link": {"title": "t", "text": "x", "messageURL": "https://a"}}), 40035),
        (json!({"msgtype": "actionCard", "actionCard": {"title": "t", "text": "x", "btns": []}}), 40035),
        (
            json!({"msgtype": "actionCard", "actionCard": {"title": "t", "text": "x", "btns": [{"title": "a", "actionUrl": "https://a"}]}}),
            40035,
        ),
        (json!({"msgtype": "feedCard", "feedCard": {"links": [{"title": "a", "messageURL": "https://a"}]}}), 40035),
        (json!({"msgtype": "text", "text": {"content": "x"}, "at": {"isAtAll": "true"}}), 40035),
        (json!({"msgtype": "image", "image": {}}), 400105),
        (json!({"msgtype": "text", "text": {"content": 7}}), 40035),
    ] {
        send(&t, &q, &body).await.assert_old_error(code);
    }
    let r = t.http.post(t.url(&format!("/robot/send?{q}"))).body("msgtype=text").send().await.unwrap();
    Resp::read(r).await.assert_old_error(43004);
    for body in [
        json!({"msgtype": "link", "link": {"title": "t", "text": "x", "messageUrl": "https://a", "picUrl": "https://p"}}),
        json!({"msgtype": "actionCard", "actionCard": {"title": "t", "text": "x", "singleTitle": "go", "singleURL": "https://a"}}),
        json!({"msgtype": "actionCard", "actionCard": {"title": "t", "text": "x", "btnOrientation": "1",
               "btns": [{"title": "a", "actionURL": "https://a"}, {"title": "b", "actionURL": "https://b"}]}}),
        json!({"msgtype": "feedCard", "feedCard": {"links": [{"title": "a", "messageURL": "https://a", "picURL": "https://p"}]}}),
    ] {
        send(&t, &q, &body).await.assert_old_error(0);
    }
}

#[tokio::test]
async fn past_the_limit_a_robot_is_banned_then_serves_again() {
    let t = T::start(hooks());
    let q = format!("access_token={PLAIN}");
    for _ in 0..3 {
        send(&t, &q, &text("x")).await.assert_old_error(0);
    }
    let r = send(&t, &q, &text("x")).await;
    r.assert_old_error(410100);
    assert!(r.json["errmsg"].as_str().unwrap().contains("too fast"));
    // Banned though the window passed; other robots are not.
    tokio::time::sleep(Duration::from_millis(700)).await;
    send(&t, &q, &text("x")).await.assert_old_error(410100);
    send(&t, "access_token=signedtoken01", &text("alert")).await.assert_old_error(310000);
    let stats = t.emu.stats();
    assert_eq!((stats.webhook_bans, stats.webhook_messages, stats.robot_send_requests), (1, 3, 6));
    tokio::time::sleep(Duration::from_millis(2400)).await;
    send(&t, &q, &text("x")).await.assert_old_error(0);
}

#[tokio::test]
async fn faults_apply_to_the_webhook_in_its_own_words() {
    let t = T::start(hooks());
    let q = format!("access_token={PLAIN}");
    t.emu.inject(FaultRule::next(Endpoint::RobotSend, Fault::Throttle, 1));
    send(&t, &q, &text("x")).await.assert_old_error(410100);
    t.emu.inject(FaultRule::next(Endpoint::RobotSend, Fault::IpNotAllowed, 1));
    send(&t, &q, &text("x")).await.assert_old_error(310000);
    assert!(t.emu.group_messages().is_empty());
}
