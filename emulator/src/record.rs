//! What the emulator remembers: requests received, messages delivered, files stored.

use std::collections::VecDeque;
use std::time::{SystemTime, UNIX_EPOCH};

use parking_lot::Mutex;
use serde::{Serialize, Serializer};

use crate::faults::Endpoint;

/// The parts a handler read from a multipart body, handed back to the server's layer in the
/// answer's extensions so that the request's record lists them.
#[derive(Debug, Clone)]
pub(crate) struct RecordedParts(pub(crate) Vec<RecordedPart>);

/// One part of a multipart body, as received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordedPart {
    /// The part's form name (e.g. `media`, `type`).
    pub name: String,
    /// The part's filename, if it had one.
    pub filename: Option<String>,
    /// The part's own `Content-Type`, if any.
    pub content_type: Option<String>,
    /// The part's size in bytes.
    pub size: u64,
    /// The part's text, for small text fields without a filename (e.g. `type=file`).
    pub value: Option<String>,
}

/// One request received, with the status it was answered with.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordedRequest {
    /// HTTP method.
    pub method: String,
    /// Path without the query.
    pub path: String,
    /// Raw query string (empty when none); `appsecret` values are redacted.
    pub query: String,
    /// The emulated endpoint it reached; `None` for unknown paths.
    pub endpoint: Option<Endpoint>,
    /// The `Content-Type` header.
    pub content_type: Option<String>,
    /// The `x-acs-dingtalk-access-token` header.
    pub access_token: Option<String>,
    /// The body, when it was JSON (`appSecret` and `clientSecret` redacted).
    pub body: Option<serde_json::Value>,
    /// The multipart parts, for uploads.
    pub parts: Vec<RecordedPart>,
    /// The HTTP status answered (before any fault that cuts or breaks the body).
    pub status: u16,
    /// The request id sent back in `x-acs-request-id`.
    pub request_id: String,
    /// When it was received (serialized as milliseconds since the Unix epoch).
    #[serde(serialize_with = "ser_time")]
    pub at: SystemTime,
}

/// One processed batchSend or group send: what was delivered, to whom.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveredMessage {
    /// The key returned to the caller.
    pub process_query_key: String,
    /// The robot that sent it.
    pub robot_code: String,
    /// The template.
    pub msg_key: String,
    /// The template's parameters, parsed from the `msgParam` string.
    pub msg_param: serde_json::Value,
    /// The recipients it was delivered to (invalid and flow-controlled ones excluded); empty
    /// for a group message.
    pub user_ids: Vec<String>,
    /// The group it was sent to (`groupMessages/send`); `None` for a one-to-one batchSend.
    pub open_conversation_id: Option<String>,
    /// True once recalled.
    pub recalled: bool,
    /// When it was delivered (milliseconds since the Unix epoch when serialized).
    #[serde(serialize_with = "ser_time")]
    pub at: SystemTime,
}

/// One file stored by `media/upload`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadedMedia {
    /// The `media_id` handed back.
    pub media_id: String,
    /// The part's filename.
    pub filename: String,
    /// Size in bytes.
    pub size: u64,
    /// The media type (`file`, `image`, `voice`, `video`).
    #[serde(rename = "type")]
    pub media_type: String,
}

/// Milliseconds since the Unix epoch.
pub(crate) fn unix_ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)).unwrap_or(0)
}

/// Serializes a time as milliseconds since the Unix epoch.
pub(crate) fn ser_time<S: Serializer>(t: &SystemTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(unix_ms(*t))
}

/// A bounded log: the oldest entries are dropped past `cap`.
#[derive(Debug)]
pub(crate) struct Ring<T> {
    cap: usize,
    items: Mutex<VecDeque<T>>,
}

impl<T: Clone> Ring<T> {
    pub(crate) fn new(cap: usize) -> Self {
        Ring { cap: cap.max(1), items: Mutex::new(VecDeque::new()) }
    }

    pub(crate) fn push(&self, item: T) {
        let mut items = self.items.lock();
        if items.len() >= self.cap {
            items.pop_front();
        }
        items.push_back(item);
    }

    /// The newest entry that `pred` accepts, mapped by it.
    pub(crate) fn find_map<R>(&self, pred: impl Fn(&T) -> Option<R>) -> Option<R> {
        self.items.lock().iter().rev().find_map(pred)
    }

    pub(crate) fn snapshot(&self) -> Vec<T> {
        self.items.lock().iter().cloned().collect()
    }
}
