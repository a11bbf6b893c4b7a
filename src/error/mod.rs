//! [`Error`]: everything that can go wrong in an action, and how each case is told to the user.
//!
//! Every variant knows its stable code, the input field at fault (if any), and a message and
//! hint in English and Chinese ([`words`]); [`Error::to_payload`] turns it into the ABI's
//! error document. What can go wrong talking to DingTalk is the client's
//! ([`dingtalk_client::Error`], facts only), held by [`Error::Client`] and told here. No
//! variant ever holds a secret: AppSecrets and tokens live in [`dingtalk_client::Secret`] and
//! never reach an error, and URLs with a token in their query are never formatted.

mod cause;
#[cfg(test)]
pub(crate) mod codes_doc;
#[cfg(test)]
pub(crate) mod english;
#[cfg(test)]
mod scan;
mod words;

#[cfg(test)]
pub(crate) use words::{SCOPES, scope_words};

use dingtalk_client::Error as ClientError;
pub(crate) use dingtalk_client::{Effect, Rejection, WebhookRefusal};
use rpa_plugin_abi::{ErrorPayload, Text, codes, error::Localized, error::Upstream};
use serde_json::Value;

/// The error codes this plugin adds to the ABI's shared ones.
pub(crate) mod code {
    #[cfg(test)]
    pub(crate) use rpa_plugin_abi::codes::{CANCELLED, INTERNAL};
    pub(crate) use rpa_plugin_abi::codes::{INVALID_PARAMS, UNKNOWN_ACTION};
    /// An input is missing, blank, of the wrong type, out of range, or names a bad file.
    pub(crate) const INVALID_INPUT: &str = "INVALID_INPUT";
    /// The robot handle was not made by "connect" in this process.
    pub(crate) const ROBOT_NOT_CONNECTED: &str = "ROBOT_NOT_CONNECTED";
    /// DingTalk refused the AppKey/AppSecret.
    pub(crate) const AUTH_FAILED: &str = "AUTH_FAILED";
    /// The app lacks a permission the call needs.
    pub(crate) const PERMISSION_DENIED: &str = "PERMISSION_DENIED";
    /// This machine's IP is not on the app's allow-list.
    pub(crate) const IP_NOT_ALLOWED: &str = "IP_NOT_ALLOWED";
    /// The robot code is unknown, or the robot is not enabled.
    pub(crate) const ROBOT_CODE_INVALID: &str = "ROBOT_CODE_INVALID";
    /// DingTalk kept throttling the app after our retries.
    pub(crate) const THROTTLED: &str = "THROTTLED";
    /// DingTalk could not be reached (refused, unknown host, reset before sending).
    pub(crate) const NETWORK: &str = "NETWORK";
    /// DingTalk did not answer in time (for calls that are safe to repeat).
    pub(crate) const TIMEOUT: &str = "TIMEOUT";
    /// DingTalk answered with something we cannot read (5xx, HTML, broken JSON).
    pub(crate) const BAD_RESPONSE: &str = "BAD_RESPONSE";
    /// The server answered with a redirect, which is never followed: nothing was sent on.
    pub(crate) const REDIRECTED: &str = "REDIRECTED";
    /// The base URL (or a proxy in between) answers, but not as DingTalk's API does.
    pub(crate) const WRONG_ENDPOINT: &str = "WRONG_ENDPOINT";
    /// A send reached DingTalk but its answer was lost: it may or may not have been delivered.
    pub(crate) const SEND_OUTCOME_UNKNOWN: &str = "SEND_OUTCOME_UNKNOWN";
    /// Any other refusal by DingTalk, with its own code under `upstream`.
    pub(crate) const DINGTALK_ERROR: &str = "DINGTALK_ERROR";
    /// A send in several batches stopped after some batches went out: `details` says who got
    /// it (`sentUserIds`), who did not (`unsentUserIds`) and whose batch may or may not have
    /// gone out (`unknownUserIds`).
    pub(crate) const PARTIALLY_SENT: &str = "PARTIALLY_SENT";
    /// A custom robot refused the signature: a wrong secret, or this machine's clock is off.
    pub(crate) const SIGNATURE_MISMATCH: &str = "SIGNATURE_MISMATCH";
    /// The message contains none of the custom robot's security keywords.
    pub(crate) const KEYWORD_MISSING: &str = "KEYWORD_MISSING";
    /// A recall reached DingTalk but its answer was lost: the messages may or may not have
    /// been recalled.
    pub(crate) const RECALL_OUTCOME_UNKNOWN: &str = "RECALL_OUTCOME_UNKNOWN";
    /// DingTalk knows no message by the processQueryKey given.
    pub(crate) const UNKNOWN_PROCESS_QUERY_KEY: &str = "UNKNOWN_PROCESS_QUERY_KEY";
    /// The message was sent more than 24 hours ago: its read status and recall are closed.
    pub(crate) const PROCESS_QUERY_KEY_EXPIRED: &str = "PROCESS_QUERY_KEY_EXPIRED";
    /// The robot is not in the group (it must be added to the group to post or recall there).
    pub(crate) const ROBOT_NOT_IN_GROUP: &str = "ROBOT_NOT_IN_GROUP";
    /// DingTalk knows no group by the openConversationId given.
    pub(crate) const GROUP_NOT_FOUND: &str = "GROUP_NOT_FOUND";
    /// DingTalk knows no interactive card template by the cardTemplateId given.
    pub(crate) const CARD_TEMPLATE_NOT_FOUND: &str = "CARD_TEMPLATE_NOT_FOUND";
    /// "Wait for a reply" with onTimeout=error: no reply came within its timeout.
    pub(crate) const REPLY_TIMEOUT: &str = "REPLY_TIMEOUT";
    /// A single-chat send with failIfNoneDelivered on reached no one: every receiver was
    /// invalid, flow-controlled or filtered by DingTalk.
    pub(crate) const NONE_DELIVERED: &str = "NONE_DELIVERED";
}

/// What the user is told about an error: what went wrong, and what to do about it, each
/// in English and Chinese.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Explanation {
    /// What went wrong.
    pub message: Text,
    /// What to do about it.
    pub hint: Text,
}

/// Everything that can go wrong in an action.
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum Error {
    /// The host asked for an action this plugin does not have.
    #[error("unknown action `{0}`")]
    UnknownAction(String),

    /// The params document is not a JSON object.
    #[error("params are not a JSON object: {0}")]
    InvalidParams(String),

    /// An input is wrong; `words` say how, in the user's words.
    #[error("invalid input `{field}`: {}", words.message.en)]
    InvalidInput {
        /// The field's name, as in the manifest.
        field: String,
        /// Message and hint.
        words: Box<Explanation>,
    },

    /// The robot handle was not issued by this process's "connect".
    #[error("the robot handle in `{field}` is not a live connection")]
    RobotNotConnected {
        /// The field holding the handle.
        field: String,
    },

    /// A call to DingTalk failed: what happened, as the client says it.
    #[error(transparent)]
    Client(ClientError),

    /// The user stopped the flow.
    #[error("cancelled")]
    Cancelled {
        /// What the request that was on the wire when the flow stopped does, if one was (a
        /// send or a recall, which are never repeated).
        in_flight: Option<Effect>,
    },

    /// A send in several batches failed after some of them went out.
    #[error("sent to {sent} of {total} receivers, then: {cause}")]
    PartiallySent {
        /// Why the next batch did not go out (or may not have).
        cause: Box<Error>,
        /// How many receivers the batches that went out held.
        sent: usize,
        /// How many receivers there were in all.
        total: usize,
        /// The batch that failed (1-based) and how many batches there were.
        batch: (usize, usize),
    },

    /// The handle names a custom robot that was not connected in this process.
    #[error("the custom robot handle in `{field}` is not a live connection")]
    WebhookNotConnected {
        /// The field holding the handle.
        field: String,
    },

    /// The message contains none of the custom robot's security keywords, so it was refused
    /// before sending (DingTalk's own refusal is [`ClientError::KeywordMissing`]).
    #[error("the message contains none of the robot's keywords")]
    KeywordMissing {
        /// The field to put a keyword in.
        field: String,
        /// The keywords configured on the connection.
        keywords: Vec<String>,
    },

    /// Another error, with structured facts for the flow (the error document's `details`).
    #[error("{error}")]
    Detailed {
        /// The error itself: its code, field, words and upstream are the document's.
        error: Box<Error>,
        /// A JSON object.
        details: Box<Value>,
    },

    /// No reply came within the wait's timeout, and the step was told to fail then.
    #[error("no reply within {seconds} s")]
    ReplyTimeout {
        /// The wait's timeout.
        seconds: u64,
    },

    /// A send with failIfNoneDelivered on went out, but DingTalk delivered it to no one.
    #[error("delivered to none of {total} receivers")]
    NoneDelivered {
        /// How many receivers the send had.
        total: usize,
    },

    /// A bug.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// An [`Error::InvalidInput`] for `field`.
    pub(crate) fn input(field: &str, words: Explanation) -> Self {
        Error::InvalidInput { field: field.to_string(), words: Box::new(words) }
    }

    /// This error with structured `details` (a JSON object) in its document.
    pub(crate) fn with_details(self, details: Value) -> Self {
        Error::Detailed { error: Box::new(self), details: Box::new(details) }
    }

    /// The error under any [`Error::Detailed`] wrapping.
    pub(crate) fn inner(&self) -> &Error {
        match self {
            Error::Detailed { error, .. } => error.inner(),
            other => other,
        }
    }

    /// The stable code of this error.
    pub(crate) fn code(&self) -> &'static str {
        match self {
            Error::PartiallySent { .. } => code::PARTIALLY_SENT,
            Error::Detailed { error, .. } => error.code(),
            Error::UnknownAction(_) => code::UNKNOWN_ACTION,
            Error::InvalidParams(_) => code::INVALID_PARAMS,
            Error::InvalidInput { .. } => code::INVALID_INPUT,
            Error::RobotNotConnected { .. } | Error::WebhookNotConnected { .. } => code::ROBOT_NOT_CONNECTED,
            Error::KeywordMissing { .. } => code::KEYWORD_MISSING,
            Error::ReplyTimeout { .. } => code::REPLY_TIMEOUT,
            Error::NoneDelivered { .. } => code::NONE_DELIVERED,
            Error::Client(e) => client_code(e),
            Error::Cancelled { .. } => codes::CANCELLED,
            Error::Internal(_) => codes::INTERNAL,
        }
    }

    /// The input field at fault, if one is.
    pub(crate) fn field(&self) -> Option<&str> {
        match self {
            Error::InvalidInput { field, .. }
            | Error::RobotNotConnected { field }
            | Error::WebhookNotConnected { field }
            | Error::KeywordMissing { field, .. } => Some(field),
            Error::Client(ClientError::Rejected { field, .. }) => Some(field),
            Error::PartiallySent { cause: error, .. } | Error::Detailed { error, .. } => error.field(),
            _ => None,
        }
    }

    /// What DingTalk answered, when the error came from an answer.
    fn upstream(&self) -> Option<&dingtalk_client::Upstream> {
        match self {
            Error::Client(e) => e.upstream(),
            Error::PartiallySent { cause: error, .. } | Error::Detailed { error, .. } => error.upstream(),
            _ => None,
        }
    }

    /// The raw cause behind the words, in a library's or the client's own terms, for the
    /// document's `technical` field: what a transport said, an internal error's detail. The
    /// message tells it in the user's words; nothing here is a secret (the client never puts
    /// one in a reason, and URLs with a token are never formatted).
    fn technical(&self) -> Option<String> {
        match self {
            Error::InvalidParams(why) | Error::Internal(why) => Some(why.clone()),
            Error::Client(
                ClientError::Network { reason, .. }
                | ClientError::BadResponse { reason, .. }
                | ClientError::SendOutcomeUnknown { reason, .. },
            ) => Some(reason.clone()),
            Error::Client(ClientError::Internal(why)) => Some(why.clone()),
            Error::PartiallySent { cause: error, .. } | Error::Detailed { error, .. } => error.technical(),
            _ => None,
        }
    }

    /// The ABI's error document for this error.
    pub(crate) fn to_payload(&self) -> ErrorPayload {
        let Explanation { message, hint } = self.words();
        ErrorPayload {
            code: self.code().to_string(),
            message: message.en.into_owned(),
            field: self.field().map(str::to_string),
            hint: Some(hint.en.into_owned()),
            zh_cn: Some(Box::new(Localized {
                message: message.zh_cn.into_owned(),
                hint: Some(hint.zh_cn.into_owned()),
            })),
            upstream: self
                .upstream()
                .map(|u| Upstream {
                    http_status: u.http_status,
                    code: u.code.clone(),
                    message: u.message.clone(),
                    request_id: u.request_id.clone(),
                })
                .filter(|u| *u != Upstream::default())
                .map(Box::new),
            details: match self {
                Error::Detailed { details, .. } => Some(details.clone()),
                _ => None,
            },
            technical: self.technical(),
        }
    }
}

/// The label of a robot-object field as its form shows it (for the Chinese words, which
/// name a field by its label in 「」): the custom robot's action's when `webhook`, else the
/// enterprise robot's actions'; the field's name when no action has it.
pub(crate) fn label_of(field: &str, webhook: bool) -> String {
    use crate::actions::{send, send_webhook};
    let action = if webhook { send_webhook::ID } else { send::ID };
    crate::manifest()
        .actions
        .iter()
        .filter(|a| a.id == action)
        .flat_map(|a| a.inputs.basic.iter().chain(&a.inputs.advanced))
        .find(|f| f.name == field)
        .map_or_else(|| field.to_string(), |f| f.label.zh_cn.to_string())
}

/// The stable code of a failed call to DingTalk.
fn client_code(e: &ClientError) -> &'static str {
    match e {
        ClientError::AuthFailed(_) => code::AUTH_FAILED,
        ClientError::PermissionDenied { .. } => code::PERMISSION_DENIED,
        ClientError::IpNotAllowed(_) => code::IP_NOT_ALLOWED,
        ClientError::RobotCodeInvalid(_) => code::ROBOT_CODE_INVALID,
        ClientError::Throttled { .. } => code::THROTTLED,
        ClientError::Network { .. } => code::NETWORK,
        ClientError::Timeout { .. } => code::TIMEOUT,
        ClientError::BadResponse { .. } => code::BAD_RESPONSE,
        ClientError::Redirected { .. } => code::REDIRECTED,
        ClientError::WrongEndpoint { .. } | ClientError::StreamEndpointRefused { .. } => code::WRONG_ENDPOINT,
        ClientError::SendOutcomeUnknown { effect: Effect::Message, .. } => code::SEND_OUTCOME_UNKNOWN,
        ClientError::SendOutcomeUnknown { effect: Effect::Recall, .. } => code::RECALL_OUTCOME_UNKNOWN,
        ClientError::Rejected { kind, .. } => rejection_code(*kind),
        ClientError::DingTalk(_) => code::DINGTALK_ERROR,
        ClientError::KeywordMissing { .. } => code::KEYWORD_MISSING,
        ClientError::WebhookBudget { .. } => code::THROTTLED,
        ClientError::WebhookRefused { refusal, .. } => match refusal {
            WebhookRefusal::Signature { .. } => code::SIGNATURE_MISMATCH,
            WebhookRefusal::IpNotAllowed { .. } => code::IP_NOT_ALLOWED,
            WebhookRefusal::TooFast => code::THROTTLED,
            WebhookRefusal::TokenUnknown => code::AUTH_FAILED,
            WebhookRefusal::RobotUnusable | WebhookRefusal::Content => code::DINGTALK_ERROR,
        },
        ClientError::Cancelled { .. } => codes::CANCELLED,
        ClientError::Internal(_) => codes::INTERNAL,
    }
}

/// The stable code of DingTalk's refusal of what an input names.
fn rejection_code(kind: Rejection) -> &'static str {
    match kind {
        Rejection::UnknownKey => code::UNKNOWN_PROCESS_QUERY_KEY,
        Rejection::KeyExpired => code::PROCESS_QUERY_KEY_EXPIRED,
        Rejection::RobotNotInGroup => code::ROBOT_NOT_IN_GROUP,
        Rejection::GroupNotFound => code::GROUP_NOT_FOUND,
        Rejection::UnknownTemplate => code::CARD_TEMPLATE_NOT_FOUND,
    }
}

impl From<ClientError> for Error {
    /// A failed call as the plugin's error; a cancellation is the plugin's own
    /// [`Error::Cancelled`], whoever noticed it first.
    fn from(e: ClientError) -> Self {
        match e {
            ClientError::Cancelled { in_flight } => Error::Cancelled { in_flight },
            e => Error::Client(e),
        }
    }
}

/// This crate's result type.
pub(crate) type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_carries_code_field_and_both_languages() {
        let e = Error::RobotNotConnected { field: "robot".into() };
        let p = e.to_payload();
        assert_eq!(p.code, "ROBOT_NOT_CONNECTED");
        assert_eq!(p.field.as_deref(), Some("robot"));
        assert!(p.hint.is_some());
        assert!(p.zh_cn.is_some_and(|z| z.message.contains("「钉钉机器人对象」")));
    }

    #[test]
    fn details_and_partial_sends_keep_the_cause() {
        let cause = Error::Client(ClientError::Throttled {
            retries: 3,
            upstream: Box::new(dingtalk_client::Upstream { code: Some("Q".into()), ..Default::default() }),
        });
        let e = Error::PartiallySent { cause: Box::new(cause), sent: 20, total: 45, batch: (2, 3) }
            .with_details(serde_json::json!({"sentUserIds": ["u1"]}));
        let p = e.to_payload();
        assert_eq!(p.code, "PARTIALLY_SENT");
        assert!(p.message.contains("20 of 45") && p.message.contains("batch 2"), "{}", p.message);
        assert!(p.message.contains("kept throttling"), "{}", p.message);
        assert_eq!(p.upstream.and_then(|u| u.code).as_deref(), Some("Q"));
        assert_eq!(p.details.as_deref(), Some(&serde_json::json!({"sentUserIds": ["u1"]})));
        assert!(matches!(e.inner(), Error::PartiallySent { .. }));
        let plain = Error::Cancelled { in_flight: None }.with_details(serde_json::json!({}));
        assert_eq!(plain.code(), "CANCELLED");
    }

    #[test]
    fn a_lost_answer_is_told_in_our_words_and_kept_raw_under_technical() {
        let raw = "the answer broke off: end of file before message length reached";
        let e = Error::from(ClientError::SendOutcomeUnknown {
            effect: Effect::Message,
            reason: raw.into(),
            upstream: Box::default(),
        });
        let p = e.to_payload();
        let zh = p.zh_cn.as_ref().map(|z| z.message.clone()).unwrap_or_default();
        assert!(zh.contains("响应还没传完，连接就被关闭了"), "{zh}");
        assert!(!zh.contains("end of file") && !p.message.contains("end of file"), "{p:?}");
        assert_eq!(p.technical.as_deref(), Some(raw));
        assert!(p.upstream.is_none(), "an empty upstream is left out: {p:?}");
        assert!(!p.to_json().contains("upstream"));

        let status = Error::from(ClientError::SendOutcomeUnknown {
            effect: Effect::Message,
            reason: "DingTalk answered HTTP 500".into(),
            upstream: Box::new(dingtalk_client::Upstream { http_status: Some(500), ..Default::default() }),
        })
        .to_payload();
        assert!(status.zh_cn.is_some_and(|z| z.message.contains("HTTP 500（服务器内部错误）")));
        assert_eq!(status.upstream.and_then(|u| u.http_status), Some(500));
    }

    #[test]
    fn permission_hint_names_the_scope() {
        let e = Error::Client(ClientError::PermissionDenied {
            scopes: vec!["qyapi_robot_sendmsg".into()],
            upstream: Box::default(),
        });
        let p = e.to_payload();
        assert!(p.hint.as_deref().is_some_and(|h| h.contains("qyapi_robot_sendmsg") && h.contains("publish")));
    }

    #[test]
    fn a_custom_robots_refusals_have_the_codes_of_their_kind() {
        let code = |refusal| Error::from(ClientError::WebhookRefused { refusal, upstream: Box::default() }).code();
        let signature = WebhookRefusal::Signature { timestamp: false, signed: true, skew_seconds: None };
        assert_eq!(code(signature), "SIGNATURE_MISMATCH");
        assert_eq!(code(WebhookRefusal::IpNotAllowed { ip: None }), "IP_NOT_ALLOWED");
        assert_eq!(code(WebhookRefusal::TooFast), "THROTTLED");
        assert_eq!(code(WebhookRefusal::TokenUnknown), "AUTH_FAILED");
        assert_eq!(code(WebhookRefusal::RobotUnusable), "DINGTALK_ERROR");
        let keywords = ClientError::KeywordMissing { keywords: vec![], upstream: Box::default() };
        assert_eq!(Error::from(keywords).code(), "KEYWORD_MISSING");
        let stopped = Error::from(ClientError::Cancelled { in_flight: Some(Effect::Recall) });
        assert!(matches!(stopped, Error::Cancelled { in_flight: Some(Effect::Recall) }), "{stopped:?}");
    }
}
