//! Stream frames on the wire, as DingTalk's gateway writes them, and the acks clients send back.

use std::time::SystemTime;

use serde_json::{Value, json};

use super::StreamConnection;
use crate::record::unix_ms;

/// A frame from DingTalk: `{"specVersion","type","headers":{topic, messageId, contentType,
/// time, appId, connectionId},"data": "<JSON as a string>"}`. The app's id in `appId` is its
/// AppKey.
pub(crate) fn frame(kind: &str, topic: &str, message_id: &str, conn: &StreamConnection, data: &Value) -> String {
    json!({
        "specVersion": "1.0",
        "type": kind,
        "headers": {
            "topic": topic,
            "messageId": message_id,
            "contentType": "application/json",
            "time": unix_ms(SystemTime::now()).to_string(),
            "appId": conn.app_key,
            "connectionId": conn.connection_id,
        },
        "data": data.to_string(),
    })
    .to_string()
}

/// An ack as a client sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Ack {
    /// `headers.messageId`: the frame acknowledged.
    pub(crate) message_id: String,
    /// `code`; 0 when absent or not a whole number.
    pub(crate) code: i64,
    /// `message`; empty when absent.
    pub(crate) message: String,
    /// `data` as sent: the JSON document as a string (an object sent in its place is written
    /// out as text, so the record still shows it).
    pub(crate) data: String,
}

/// The ack in a client's text frame: a JSON object with `headers.messageId`. Anything else
/// is not an ack.
pub(crate) fn read_ack(text: &str) -> Option<Ack> {
    let v: Value = serde_json::from_str(text).ok()?;
    let message_id = v.get("headers")?.get("messageId")?.as_str()?.to_owned();
    let code = v.get("code").and_then(Value::as_i64).unwrap_or(0);
    let message = v.get("message").and_then(Value::as_str).unwrap_or("").to_owned();
    let data = match v.get("data") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    Some(Ack { message_id, code, message, data })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn() -> StreamConnection {
        StreamConnection {
            app_key: "key".to_owned(),
            connection_id: "c-1".to_owned(),
            subscriptions: Vec::new(),
            draining: false,
        }
    }

    #[test]
    fn a_frame_has_every_header_and_data_as_a_string() {
        let text = frame("SYSTEM", "ping", "m-1", &conn(), &json!({"opaque": "o"}));
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["specVersion"], "1.0");
        assert_eq!(v["type"], "SYSTEM");
        let h = &v["headers"];
        assert_eq!((h["topic"].as_str(), h["messageId"].as_str()), (Some("ping"), Some("m-1")));
        assert_eq!(h["contentType"], "application/json");
        assert_eq!((h["appId"].as_str(), h["connectionId"].as_str()), (Some("key"), Some("c-1")));
        let ms: u64 = h["time"].as_str().unwrap().parse().unwrap();
        assert!(ms > 1_600_000_000_000);
        let data: Value = serde_json::from_str(v["data"].as_str().unwrap()).unwrap();
        assert_eq!(data, json!({"opaque": "o"}));
    }

    #[test]
    fn acks_are_read_and_other_frames_are_not() {
        let ack = read_ack(
            r#"{"code":200,"headers":{"messageId":"m-1","contentType":"application/json"},"message":"OK","data":"{\"response\":\"OK\"}"}"#,
        )
        .unwrap();
        assert_eq!(
            ack,
            Ack { message_id: "m-1".into(), code: 200, message: "OK".into(), data: r#"{"response":"OK"}"#.into() }
        );
        let bare = read_ack(r#"{"headers":{"messageId":"m-2"},"data":{"opaque":"o"}}"#).unwrap();
        assert_eq!((bare.code, bare.message.as_str(), bare.data.as_str()), (0, "", r#"{"opaque":"o"}"#));
        assert_eq!(read_ack("not json"), None);
        assert_eq!(read_ack(r#"{"code":200}"#), None);
        assert_eq!(read_ack(r#"{"headers":{"messageId":7}}"#), None);
    }
}
