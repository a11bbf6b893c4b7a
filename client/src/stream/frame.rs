//! Stream frames as DingTalk sends them, the acknowledgement each one gets, and a robot
//! message (or a click on an interactive card) read into a [`Reply`].

use serde::Deserialize;
use serde_json::{Value, json};

use super::Reply;

/// The topic of robot messages (subscribed as a CALLBACK).
pub(crate) const BOT_TOPIC: &str = "/v1.0/im/bot/messages/get";
/// The topic of clicks on interactive cards (subscribed as a CALLBACK).
pub(crate) const CARD_TOPIC: &str = "/v1.0/card/instances/callback";

/// One frame from DingTalk: `{"type", "headers": {"topic", "messageId", ...}, "data"}`.
#[derive(Debug, Deserialize)]
struct Frame {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    headers: Headers,
    /// A JSON document as a string.
    #[serde(default)]
    data: Option<String>,
}

/// The headers of a frame that matter here.
#[derive(Debug, Default, Deserialize)]
struct Headers {
    #[serde(default)]
    topic: String,
    #[serde(rename = "messageId", default)]
    message_id: String,
}

/// What a text frame comes to.
#[derive(Debug, PartialEq)]
pub(crate) enum Incoming {
    /// Not a frame (not JSON, no messageId): nothing to acknowledge.
    Unreadable,
    /// A frame, and the acknowledgement to send back; `reply` when it carried a robot
    /// message, `disconnect` when DingTalk says it will close this socket.
    Frame {
        /// The acknowledgement, as text.
        ack: String,
        /// The frame's messageId (for dropping repeats).
        message_id: String,
        /// The robot message it carried.
        reply: Option<Box<Reply>>,
        /// A SYSTEM `disconnect`.
        disconnect: bool,
    },
}

/// Reads one text frame and makes its acknowledgement in DingTalk's shape: a CALLBACK gets
/// `{"response": "OK"}`, an EVENT `{"status": "SUCCESS"}`, a SYSTEM frame (`ping`) its own
/// data echoed.
pub(crate) fn read(text: &str) -> Incoming {
    let Ok(frame) = serde_json::from_str::<Frame>(text) else { return Incoming::Unreadable };
    if frame.headers.message_id.is_empty() {
        return Incoming::Unreadable;
    }
    let data = frame.data.unwrap_or_default();
    let (ack_data, reply, disconnect) = match frame.kind.as_str() {
        "SYSTEM" => (data.clone(), None, frame.headers.topic == "disconnect"),
        "EVENT" => (json!({"status": "SUCCESS"}).to_string(), None, false),
        _ => {
            let reply = match frame.headers.topic.as_str() {
                BOT_TOPIC => bot_message(&data),
                CARD_TOPIC => card_click(&data),
                _ => None,
            };
            (json!({"response": "OK"}).to_string(), reply.map(Box::new), false)
        }
    };
    let ack = ack(&frame.headers.message_id, ack_data);
    Incoming::Frame { ack, message_id: frame.headers.message_id, reply, disconnect }
}

/// The acknowledgement of frame `message_id`, carrying `data` (JSON as text).
fn ack(message_id: &str, data: String) -> String {
    json!({
        "code": 200,
        "headers": {"messageId": message_id, "contentType": "application/json"},
        "message": "OK",
        "data": data,
    })
    .to_string()
}

/// The acknowledgement of a CALLBACK whose `response` is `response` (a card click's: the
/// card's new data, which DingTalk shows at once).
pub(crate) fn callback_ack(message_id: &str, response: &Value) -> String {
    ack(message_id, json!({ "response": response }).to_string())
}

/// A card click's data (`/v1.0/card/instances/callback`): `outTrackId`, `userId`, and
/// `content`, a JSON text whose `cardPrivateData.params.choice` is the button's choice (empty
/// when it has none); `None` without an outTrackId.
fn card_click(data: &str) -> Option<Reply> {
    let v: Value = serde_json::from_str(data).ok()?;
    let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
    let content: Value = match v.get("content") {
        Some(Value::String(text)) => serde_json::from_str(text).unwrap_or_default(),
        Some(other) => other.clone(),
        None => Value::Null,
    };
    let choice = content.pointer("/cardPrivateData/params/choice").and_then(Value::as_str).unwrap_or_default();
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    let reply = Reply {
        msg_type: "cardCallback".into(),
        text: choice.to_string(),
        sender_user_id: s("userId"),
        created_at_ms: now_ms,
        out_track_id: s("outTrackId"),
        ..Reply::default()
    };
    reply.is_card_click().then_some(reply)
}

/// A robot message's data (`/v1.0/im/bot/messages/get`), read into a [`Reply`]; `None` when it
/// is not one (no conversation or sender).
fn bot_message(data: &str) -> Option<Reply> {
    let v: Value = serde_json::from_str(data).ok()?;
    let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
    let msg_type = s("msgtype");
    let text = match msg_type.as_str() {
        "text" => v.pointer("/text/content").and_then(Value::as_str).unwrap_or_default().to_string(),
        "richText" => v
            .pointer("/content/richText")
            .and_then(Value::as_array)
            .map(|parts| parts.iter().filter_map(|p| p.get("text").and_then(Value::as_str)).collect::<String>())
            .unwrap_or_default(),
        _ => String::new(),
    };
    let ms = |k: &str| match v.get(k) {
        Some(Value::Number(n)) => n.as_i64().unwrap_or(0),
        Some(Value::String(t)) => t.trim().parse().unwrap_or(0),
        _ => 0,
    };
    let session_webhook = Some(s("sessionWebhook")).filter(|u| !u.is_empty()).map(crate::secret::Secret::new);
    let reply = Reply {
        msg_type,
        text,
        sender_user_id: s("senderStaffId"),
        sender_nick: s("senderNick"),
        created_at_ms: ms("createAt"),
        conversation_id: s("conversationId"),
        group: s("conversationType") == "2",
        message_id: s("msgId"),
        session_webhook,
        session_webhook_expires_ms: ms("sessionWebhookExpiredTime"),
        out_track_id: String::new(),
    };
    (!reply.conversation_id.is_empty() || !reply.sender_user_id.is_empty()).then_some(reply)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(kind: &str, topic: &str, data: &str) -> String {
        json!({"specVersion": "1.0", "type": kind, "headers": {"topic": topic, "messageId": "m-1"}, "data": data})
            .to_string()
    }

    fn ack_data(incoming: &Incoming) -> Value {
        let Incoming::Frame { ack, .. } = incoming else { panic!("no ack: {incoming:?}") };
        let ack: Value = serde_json::from_str(ack).unwrap();
        assert_eq!(ack["code"], 200);
        assert_eq!(ack["headers"]["messageId"], "m-1");
        serde_json::from_str(ack["data"].as_str().unwrap()).unwrap()
    }

    #[test]
    fn each_kind_of_frame_gets_its_ack() {
        assert_eq!(ack_data(&read(&frame("SYSTEM", "ping", r#"{"opaque":"x-7"}"#))), json!({"opaque": "x-7"}));
        assert_eq!(ack_data(&read(&frame("EVENT", "some/event", "{}"))), json!({"status": "SUCCESS"}));
        assert_eq!(ack_data(&read(&frame("CALLBACK", "/other", "{}"))), json!({"response": "OK"}));
        assert!(matches!(read(&frame("SYSTEM", "disconnect", "{}")), Incoming::Frame { disconnect: true, .. }));
        assert_eq!(read("not json"), Incoming::Unreadable);
        assert_eq!(read(r#"{"type":"SYSTEM","headers":{}}"#), Incoming::Unreadable);
    }

    proptest::proptest! {
        /// Whatever a frame holds, reading it never panics, and a frame with a messageId is
        /// acknowledged with that messageId.
        #[test]
        fn any_frame_is_read_or_skipped(kind in "SYSTEM|EVENT|CALLBACK|[A-Z]{0,8}", topic in ".{0,40}",
                                        id in "[ -~]{0,20}", data in ".{0,200}", raw in ".{0,200}") {
            let _ = read(&raw);
            let text = json!({"type": kind, "headers": {"topic": topic, "messageId": id}, "data": data}).to_string();
            match read(&text) {
                Incoming::Unreadable => proptest::prop_assert!(id.is_empty()),
                Incoming::Frame { ack, message_id, .. } => {
                    let ack: Value = serde_json::from_str(&ack).unwrap();
                    proptest::prop_assert_eq!(&ack["headers"]["messageId"], &Value::from(id.clone()));
                    proptest::prop_assert_eq!(message_id, id);
                }
            }
        }
    }

    #[test]
    fn robot_messages_are_read() {
        let data = json!({"conversationId": "cid1", "conversationType": "1", "senderStaffId": "u1",
            "senderNick": "Li", "msgId": "x", "createAt": 1_700_000_000_123_i64, "msgtype": "richText",
            "content": {"richText": [{"text": "PO "}, {"downloadCode": "d", "type": "picture"}, {"text": "42"}]}})
        .to_string();
        let Incoming::Frame { reply: Some(r), .. } = read(&frame("CALLBACK", BOT_TOPIC, &data)) else { panic!() };
        assert_eq!((r.text.as_str(), r.msg_type.as_str(), r.created_at_ms), ("PO 42", "richText", 1_700_000_000_123));
        assert!(!r.group);
        let data = json!({"conversationId": "c", "conversationType": "2", "msgtype": "picture",
            "senderStaffId": "u", "createAt": "5", "content": {"downloadCode": "d"}})
        .to_string();
        let Incoming::Frame { reply: Some(r), .. } = read(&frame("CALLBACK", BOT_TOPIC, &data)) else { panic!() };
        assert_eq!((r.text.as_str(), r.created_at_ms, r.group), ("", 5, true));
    }

    #[test]
    fn card_clicks_are_read_and_their_ack_carries_a_response() {
        let content = json!({"cardPrivateData": {"actionIds": ["a"], "params": {"choice": "同意"}}}).to_string();
        let data = json!({"outTrackId": "t-1", "userId": "u1", "corpId": "c", "type": "actionCallback",
            "content": content})
        .to_string();
        let Incoming::Frame { reply: Some(r), .. } = read(&frame("CALLBACK", CARD_TOPIC, &data)) else { panic!() };
        assert_eq!((r.text.as_str(), r.sender_user_id.as_str(), r.out_track_id.as_str()), ("同意", "u1", "t-1"));
        assert!(r.is_card_click());
        let no_track = json!({"userId": "u1", "content": content}).to_string();
        assert!(matches!(read(&frame("CALLBACK", CARD_TOPIC, &no_track)), Incoming::Frame { reply: None, .. }));
        let ack: Value = serde_json::from_str(&callback_ack("m-9", &json!({"cardData": {}}))).unwrap();
        assert_eq!(ack["headers"]["messageId"], "m-9");
        let data: Value = serde_json::from_str(ack["data"].as_str().unwrap()).unwrap();
        assert_eq!(data, json!({"response": {"cardData": {}}}));
    }
}
