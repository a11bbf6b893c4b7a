//! A robot message's `sessionWebhook`: answers through it, the record of them, and expiry.

use std::time::Duration;

use serde_json::{Value, json};

use super::stream::{OPEN, Ws, connect_with, data, next_frame, open_body};
use super::{KEY, Resp, SECRET, T, config};
use crate::{EmulatorConfig, GroupConfig};

/// A Stream connection of the app (robot messages subscribed).
async fn connect(t: &T) -> Ws {
    let r = t.post(OPEN, None, &open_body(SECRET)).await;
    connect_with(r.json["endpoint"].as_str().unwrap(), r.json["ticket"].as_str().unwrap()).await.expect("connected")
}

/// The data of the robot message `user` says, as the connection got it.
async fn says(t: &T, ws: &mut Ws, user: &str, text: &str) -> Value {
    t.emu.user_says(user, text).unwrap();
    data(&next_frame(ws).await)
}

/// POSTs `body` to a message's `sessionWebhook`.
async fn answer(t: &T, message: &Value, body: &Value) -> Resp {
    let url = message["sessionWebhook"].as_str().expect("a sessionWebhook");
    Resp::read(t.http.post(url).json(body).send().await.expect("send")).await
}

fn text(content: &str) -> Value {
    json!({"msgtype": "text", "text": {"content": content}})
}

#[tokio::test]
async fn a_robot_answers_through_the_session_webhook_and_it_is_recorded() {
    let t = T::start(EmulatorConfig { groups: vec![GroupConfig::new("cidS==", [KEY])], ..config() });
    let mut ws = connect(&t).await;
    let message = says(&t, &mut ws, "u1", "PO-1?").await;
    let r = answer(&t, &message, &text("请回复 同意 或 拒绝")).await;
    assert_eq!((r.status, r.json["errcode"].as_i64(), r.json["errmsg"].as_str()), (200, Some(0), Some("ok")), "{r:?}");
    let md = json!({"msgtype": "markdown", "markdown": {"title": "选项", "text": "**同意** / **拒绝**"}});
    assert_eq!(answer(&t, &message, &md).await.json["errcode"], 0);

    t.emu.user_says_in_group("cidS==", "u2", "@robot hi").unwrap();
    let in_group = data(&next_frame(&mut ws).await);
    assert_eq!(answer(&t, &in_group, &text("群里回复")).await.json["errcode"], 0);

    let sent = t.emu.session_messages();
    assert_eq!(sent.len(), 3);
    assert_eq!((sent[0].user_id.as_str(), sent[0].app_key.as_str(), sent[0].robot_code.as_str()), ("u1", KEY, KEY));
    assert_eq!(sent[0].conversation_id, message["conversationId"].as_str().unwrap());
    assert_eq!(
        (sent[0].msgtype.as_str(), sent[0].body["text"]["content"].as_str()),
        ("text", Some("请回复 同意 或 拒绝"))
    );
    assert_eq!((sent[1].msgtype.as_str(), sent[1].body["markdown"]["title"].as_str()), ("markdown", Some("选项")));
    assert_eq!((sent[2].conversation_type.as_str(), sent[2].conversation_id.as_str()), ("2", "cidS=="));
    assert!(message["sessionWebhook"].as_str().unwrap().contains(&sent[0].session));
    let stats = t.emu.stats();
    assert_eq!((stats.session_webhook_requests, stats.session_webhook_messages), (3, 3));
    assert_eq!(t.get("/_emulator/session-messages", None).await.json.as_array().map(Vec::len), Some(3));
}

#[tokio::test]
async fn a_bad_message_or_session_is_refused_as_dingtalk_does() {
    let t = T::start(config());
    let mut ws = connect(&t).await;
    let message = says(&t, &mut ws, "u1", "hi").await;
    answer(&t, &message, &json!({"msgtype": "text", "text": {}})).await.assert_old_error(40035);
    answer(&t, &message, &json!({"msgtype": "markdown", "markdown": {"text": "x"}})).await.assert_old_error(40035);
    answer(&t, &message, &json!({"msgtype": "voice", "voice": {}})).await.assert_old_error(400105);
    let forged = json!({"sessionWebhook": format!("{}/robot/sendBySession?session=0123456789abcdef", t.emu.url())});
    answer(&t, &forged, &text("x")).await.assert_old_error(300001);
    let none = json!({"sessionWebhook": format!("{}/robot/sendBySession", t.emu.url())});
    answer(&t, &none, &text("x")).await.assert_old_error(300001);
    assert!(t.emu.session_messages().is_empty(), "nothing refused is recorded");
}

#[tokio::test]
async fn a_session_webhook_expires_at_its_expired_time() {
    let t = T::start(EmulatorConfig { session_webhook_ttl: Duration::from_millis(300), ..config() });
    let mut ws = connect(&t).await;
    let message = says(&t, &mut ws, "u1", "hi").await;
    let lifetime = message["sessionWebhookExpiredTime"].as_u64().unwrap() - message["createAt"].as_u64().unwrap();
    assert_eq!(lifetime, 300, "sessionWebhookExpiredTime says the configured lifetime");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let r = answer(&t, &message, &text("too late")).await;
    r.assert_old_error(300001);
    assert_eq!(r.json["errmsg"], "session 不存在");

    // Longer for later messages; and all of them can be expired at once.
    t.emu.set_session_webhook_ttl(crate::DEFAULT_SESSION_WEBHOOK_TTL);
    let fresh = says(&t, &mut ws, "u1", "again").await;
    assert_eq!(fresh["sessionWebhookExpiredTime"].as_u64().unwrap() - fresh["createAt"].as_u64().unwrap(), 5_400_000);
    assert_eq!(answer(&t, &fresh, &text("in time")).await.json["errcode"], 0);
    assert_eq!(t.emu.expire_session_webhooks(), 1);
    answer(&t, &fresh, &text("expired now")).await.assert_old_error(300001);
    assert_eq!(t.emu.session_messages().len(), 1);

    // The admin routes do the same.
    let next = says(&t, &mut ws, "u2", "third").await;
    assert_eq!(t.post("/_emulator/sessions/expire", None, &json!({})).await.json["sessions"], 1);
    answer(&t, &next, &text("x")).await.assert_old_error(300001);
    assert_eq!(t.post("/_emulator/sessions/ttl", None, &json!({"ttlMs": 1000})).await.status, 200);
    let short = says(&t, &mut ws, "u2", "fourth").await;
    assert_eq!(short["sessionWebhookExpiredTime"].as_u64().unwrap() - short["createAt"].as_u64().unwrap(), 1000);
}
