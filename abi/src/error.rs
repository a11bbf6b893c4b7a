//! The error document a plugin returns from `invoke`, and the codes every plugin shares.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Text;

/// Error codes that any plugin or host may produce. Plugins add their own codes beside these.
pub mod codes {
    /// A bug: the plugin panicked or broke an invariant. The message says what to report.
    pub const INTERNAL: &str = "INTERNAL";
    /// The host asked for an action id the plugin does not have.
    pub const UNKNOWN_ACTION: &str = "UNKNOWN_ACTION";
    /// The params document was not a JSON object, or a field had the wrong shape.
    pub const INVALID_PARAMS: &str = "INVALID_PARAMS";
    /// The host's cancellation flag was set; the action stopped between two steps.
    pub const CANCELLED: &str = "CANCELLED";
}

/// The same words in Chinese, for hosts showing a zh-CN interface.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, Default)]
pub struct Localized {
    /// What went wrong.
    pub message: String,
    /// What the user can do about it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

/// What a remote service said, kept verbatim so support can trace it.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct Upstream {
    /// The HTTP status, when the answer came over HTTP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    /// The service's own error code (`code` or `errcode`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The service's own message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The request id the service gave this call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// A structured error: a stable `code` a flow can branch on, a `message` and a `hint` in the
/// user's words (English, with the Chinese under `zh-CN`), the input `field` at fault when
/// there is one, the remote service's own answer under `upstream`, and, when the action has
/// more to say than words, structured `details` a flow can read (an action documents the
/// shape of its own details; e.g. which receivers a partly sent message reached).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ErrorPayload {
    /// A stable, upper-case code such as `INVALID_INPUT` or `AUTH_FAILED`.
    pub code: String,
    /// What went wrong, in English.
    pub message: String,
    /// The name of the input field at fault, as in the manifest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// What the user can do about it, in English.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// The message and hint in Chinese.
    #[serde(default, rename = "zh-CN", skip_serializing_if = "Option::is_none")]
    pub zh_cn: Option<Box<Localized>>,
    /// What the remote service answered, when it answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream: Option<Box<Upstream>>,
    /// Structured facts about the failure for a flow to act on, as a JSON object whose keys
    /// the action documents (absent when there are none). Hosts that do not know them show
    /// the message and ignore this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<Box<Value>>,
    /// The raw cause in a library's or a transport's own words (e.g. "end of file before
    /// message length reached"), for support: the `message` says it in the user's words, in
    /// both languages, and this keeps what a developer would search for. Never holds a
    /// secret; absent when there is nothing more to say than the message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub technical: Option<String>,
}

impl ErrorPayload {
    /// An error with just a code and an English message.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        ErrorPayload {
            code: code.into(),
            message: message.into(),
            field: None,
            hint: None,
            zh_cn: None,
            upstream: None,
            details: None,
            technical: None,
        }
    }

    /// An error whose message is in both languages: the English as `message`, the Chinese
    /// under `zh-CN`.
    pub fn bilingual(code: impl Into<String>, message: Text) -> Self {
        let mut payload = ErrorPayload::new(code, message.en);
        payload.zh_cn = Some(Box::new(Localized { message: message.zh_cn.into_owned(), hint: None }));
        payload
    }

    /// Adds a hint in both languages (the Chinese message falls back to the English one when
    /// the error had none).
    pub fn with_bilingual_hint(mut self, hint: Text) -> Self {
        self.hint = Some(hint.en.into_owned());
        let message = &self.message;
        let zh = self.zh_cn.get_or_insert_with(|| Box::new(Localized { message: message.clone(), hint: None }));
        zh.hint = Some(hint.zh_cn.into_owned());
        self
    }

    /// Names the input field at fault.
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// Adds structured details (a JSON object) for flows to read.
    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(Box::new(details));
        self
    }

    /// Adds an English hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// The message in the given language (`zh-CN` falls back to English when absent).
    pub fn message_in(&self, lang: &str) -> &str {
        match (&self.zh_cn, lang) {
            (Some(zh), "zh-CN") => &zh.message,
            _ => &self.message,
        }
    }

    /// The hint in the given language (`zh-CN` falls back to English when absent).
    pub fn hint_in(&self, lang: &str) -> Option<&str> {
        match (self.zh_cn.as_deref(), lang) {
            (Some(Localized { hint: Some(h), .. }), "zh-CN") => Some(h),
            _ => self.hint.as_deref(),
        }
    }

    /// The JSON text of this error; serializing plain strings cannot fail.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self)
            .unwrap_or_else(|_| format!(r#"{{"code":"{}","message":"unserializable error"}}"#, codes::INTERNAL))
    }
}

impl std::fmt::Display for ErrorPayload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)?;
        if let Some(field) = &self.field {
            write!(f, " (field `{field}`)")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_omits_empty_parts() {
        let e = ErrorPayload::new("INVALID_INPUT", "AppKey is empty")
            .with_field("appKey")
            .with_hint("Copy the AppKey from the developer console");
        let json = e.to_json();
        assert!(!json.contains("upstream"), "{json}");
        assert!(!json.contains("zh-CN"), "{json}");
        assert!(!json.contains("details"), "{json}");
        assert!(!json.contains("technical"), "{json}");
        let back: ErrorPayload = serde_json::from_str(&json).unwrap();
        assert_eq!(back, e);
    }

    #[test]
    fn details_travel_as_a_json_object() {
        let e = ErrorPayload::new("PARTIALLY_SENT", "sent to some")
            .with_details(serde_json::json!({"sentUserIds": ["u1"], "unsentUserIds": ["u2"]}));
        let json = e.to_json();
        assert!(json.contains(r#""details":{"sentUserIds":["u1"],"unsentUserIds":["u2"]}"#), "{json}");
        let back: ErrorPayload = serde_json::from_str(&json).unwrap();
        assert_eq!(back, e);
        // A document from an older plugin, without details, still reads.
        let old: ErrorPayload = serde_json::from_str(r#"{"code":"X","message":"m"}"#).unwrap();
        assert!(old.details.is_none());
    }

    #[test]
    fn the_technical_cause_travels_beside_the_words() {
        let mut e = ErrorPayload::bilingual("X", crate::text!(en: "The answer broke off.", zh: "响应中途断开。"));
        e.technical = Some("end of file before message length reached".into());
        let json = e.to_json();
        assert!(json.contains(r#""technical":"end of file before message length reached""#), "{json}");
        let back: ErrorPayload = serde_json::from_str(&json).unwrap();
        assert_eq!(back, e);
    }

    #[test]
    fn bilingual_messages_and_hints() {
        let e = ErrorPayload::bilingual("X", crate::text!(en: "broken", zh: "坏了"))
            .with_bilingual_hint(crate::text!(en: "fix it", zh: "修好它"));
        assert_eq!((e.message_in("en"), e.message_in("zh-CN")), ("broken", "坏了"));
        assert_eq!((e.hint_in("en"), e.hint_in("zh-CN")), (Some("fix it"), Some("修好它")));

        let e = ErrorPayload::new("X", "english only").with_bilingual_hint(crate::text!(en: "hint", zh: "提示"));
        assert_eq!((e.message_in("zh-CN"), e.hint_in("zh-CN")), ("english only", Some("提示")));
    }

    #[test]
    fn chinese_falls_back_to_english() {
        let mut e = ErrorPayload::new("X", "english").with_hint("hint");
        assert_eq!(e.message_in("zh-CN"), "english");
        e.zh_cn = Some(Box::new(Localized { message: "中文".into(), hint: None }));
        assert_eq!(e.message_in("zh-CN"), "中文");
        assert_eq!(e.hint_in("zh-CN"), Some("hint"));
        assert_eq!(e.message_in("en"), "english");
    }
}
