//! [`Error`]: what can go wrong talking to DingTalk, as data. The words a user reads (in
//! English and Chinese, with a hint) are the caller's to choose: this crate only says what
//! happened, with what DingTalk answered. No variant ever holds a secret: AppSecrets and
//! tokens live in [`crate::Secret`], and URLs with a token in their query are never kept.

/// What DingTalk (or whatever answered in its place) said, kept verbatim so support can
/// trace it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Upstream {
    /// The HTTP status.
    pub http_status: Option<u16>,
    /// DingTalk's own error code (`code`, or `errcode` of the old API).
    pub code: Option<String>,
    /// DingTalk's own message (with any secret it echoed replaced by `******`).
    pub message: Option<String>,
    /// The request id DingTalk gave the call.
    pub request_id: Option<String>,
}

/// What a call that is never repeated does: an outcome that cannot be known (its answer
/// lost, or the call stopped while it was on the wire) is told by what it may have done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// It sends a message (a batch of one-to-one messages, a group message).
    Message,
    /// It recalls messages.
    Recall,
}

impl Effect {
    /// "the send" / "the recall", for logs and `Display`.
    pub fn noun(self) -> &'static str {
        match self {
            Effect::Message => "the send",
            Effect::Recall => "the recall",
        }
    }
}

/// A refusal by DingTalk of something the caller named (a processQueryKey, a group).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// No message has that processQueryKey (`invalid.processQueryKey`).
    UnknownKey,
    /// The message was sent more than 24 hours ago (`processQueryKey.expireTime`,
    /// `robot.processQueryKey.expired`).
    KeyExpired,
    /// The robot is not in the group (a group API's `invalidParameter.robotCode...`).
    RobotNotInGroup,
    /// No group has that openConversationId (`invalid.openConversationId`, `group.disbanded`).
    GroupNotFound,
    /// No interactive card template has that ID, or not one of this app's (a card API's
    /// refusal naming the template).
    UnknownTemplate,
}

/// How a custom (webhook) robot refused a message: DingTalk's errcode, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookRefusal {
    /// 310000 `sign not match` or `invalid timestamp`.
    Signature {
        /// DingTalk named the timestamp (more than an hour off its clock).
        timestamp: bool,
        /// Whether the request was signed (the robot has a secret).
        signed: bool,
        /// This machine's clock minus DingTalk's, in seconds, from the answer's `Date` header.
        skew_seconds: Option<i64>,
    },
    /// 310000 `ip X not in whitelist`.
    IpNotAllowed {
        /// The address DingTalk saw.
        ip: Option<String>,
    },
    /// 410100: more than 20 messages in a minute; the robot is banned for 10 minutes.
    TooFast,
    /// 300001, 300005, 400101: DingTalk does not know the webhook's `access_token`.
    TokenUnknown,
    /// 400102, 400106, 400013: the robot is disabled or gone, or the group is dissolved.
    RobotUnusable,
    /// 430101 to 430104: DingTalk found the content unsafe.
    Content,
}

/// Everything that can go wrong talking to DingTalk.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// DingTalk refused the AppKey/AppSecret.
    #[error("DingTalk refused the AppKey/AppSecret")]
    AuthFailed(Box<Upstream>),

    /// The app lacks a permission.
    #[error("the app lacks the permission {scopes:?}")]
    PermissionDenied {
        /// The scopes DingTalk named (e.g. `qyapi_robot_sendmsg`), or the call's own.
        scopes: Vec<String>,
        /// DingTalk's answer.
        upstream: Box<Upstream>,
    },

    /// This machine's IP is not on the app's allow-list.
    #[error("this machine's IP address is not on the app's allow-list")]
    IpNotAllowed(Box<Upstream>),

    /// Unknown robot code, or a robot that is not enabled.
    #[error("DingTalk does not know the robot code")]
    RobotCodeInvalid(Box<Upstream>),

    /// Still throttled after retrying.
    #[error("DingTalk throttled the app after {retries} retries")]
    Throttled {
        /// How many times the call was tried again.
        retries: u32,
        /// DingTalk's last answer.
        upstream: Box<Upstream>,
    },

    /// The server (or the proxy in between) could not be reached; nothing was sent.
    #[error("cannot reach {url}: {reason}")]
    Network {
        /// The base URL (never with a token).
        url: String,
        /// The proxy the connection went to, shown without credentials.
        via_proxy: Option<String>,
        /// What the connection attempt said.
        reason: String,
    },

    /// No answer in time, for a call that is safe to repeat, or no time left to send.
    #[error("{url} did not answer within {seconds} s")]
    Timeout {
        /// The base URL.
        url: String,
        /// The timeout in force.
        seconds: u64,
        /// Whether the time ran out before the request could leave.
        nothing_sent: bool,
    },

    /// A 3xx answer: redirects are never followed, so no credential reaches another host.
    #[error("{url} answered with a redirect, which was not followed")]
    Redirected {
        /// The base URL.
        url: String,
        /// Where it pointed: scheme, host and port only.
        to: Option<String>,
        /// The answer's status and request id.
        upstream: Box<Upstream>,
    },

    /// A 404, or a page that is not DingTalk's JSON: the base URL or a proxy is wrong.
    #[error("{url} does not answer as DingTalk's API does")]
    WrongEndpoint {
        /// The base URL.
        url: String,
        /// The proxy in between, if any.
        via_proxy: Option<String>,
        /// What answered.
        upstream: Box<Upstream>,
    },

    /// An answer that cannot be read.
    #[error("unreadable answer from {url}: {reason}")]
    BadResponse {
        /// The base URL.
        url: String,
        /// What was wrong with it.
        reason: String,
        /// What DingTalk said, as far as it could be read.
        upstream: Box<Upstream>,
    },

    /// A send (or a recall) reached DingTalk but its answer was lost.
    #[error("{} may or may not have taken effect: {reason}", effect.noun())]
    SendOutcomeUnknown {
        /// What the call does.
        effect: Effect,
        /// What happened after the request left.
        reason: String,
        /// What DingTalk said, as far as it could be read.
        upstream: Box<Upstream>,
    },

    /// DingTalk refused what a parameter names (a processQueryKey, a group).
    #[error("DingTalk refused `{field}`: {kind:?}")]
    Rejected {
        /// Why.
        kind: Rejection,
        /// DingTalk's parameter at fault (`processQueryKey`, `processQueryKeys`,
        /// `openConversationId`).
        field: &'static str,
        /// DingTalk's answer.
        upstream: Box<Upstream>,
    },

    /// Any other refusal by DingTalk.
    #[error("DingTalk refused the call: {}", .0.message.as_deref().unwrap_or("?"))]
    DingTalk(Box<Upstream>),

    /// The caller stopped the call ([`crate::Call::cancel`]).
    #[error("cancelled")]
    Cancelled {
        /// What the request that was on the wire then does, if one was (a send or a recall,
        /// which are never repeated).
        in_flight: Option<Effect>,
    },

    /// A custom robot's message contains none of its security keywords (errcode 310000).
    #[error("the message contains none of the robot's keywords")]
    KeywordMissing {
        /// The keywords the robot was connected with.
        keywords: Vec<String>,
        /// DingTalk's answer.
        upstream: Box<Upstream>,
    },

    /// A custom robot refused the message.
    #[error("the custom robot refused the message: {refusal:?}")]
    WebhookRefused {
        /// What DingTalk's errcode means.
        refusal: WebhookRefusal,
        /// DingTalk's answer.
        upstream: Box<Upstream>,
    },

    /// Sending now would pass the custom robot's per-minute budget, and no room frees within
    /// the timeout: nothing was sent.
    #[error("no room in the robot's {per_minute} messages a minute within {timeout_seconds} s")]
    WebhookBudget {
        /// The messages a minute allowed.
        per_minute: u32,
        /// How long until room frees, when known.
        wait_seconds: Option<u64>,
        /// The timeout in force.
        timeout_seconds: u64,
    },

    /// The Stream endpoint DingTalk handed out is not `wss://` (plain `ws://` is allowed on
    /// loopback only): nothing connected to it.
    #[error("the Stream endpoint {endpoint} is not wss://")]
    StreamEndpointRefused {
        /// Its scheme, host and port.
        endpoint: String,
    },

    /// A bug, or a machine that cannot set up TLS.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// What DingTalk answered, when the error came from an answer.
    pub fn upstream(&self) -> Option<&Upstream> {
        match self {
            Error::AuthFailed(u)
            | Error::IpNotAllowed(u)
            | Error::RobotCodeInvalid(u)
            | Error::DingTalk(u)
            | Error::PermissionDenied { upstream: u, .. }
            | Error::Throttled { upstream: u, .. }
            | Error::BadResponse { upstream: u, .. }
            | Error::Redirected { upstream: u, .. }
            | Error::WrongEndpoint { upstream: u, .. }
            | Error::SendOutcomeUnknown { upstream: u, .. }
            | Error::Rejected { upstream: u, .. }
            | Error::WebhookRefused { upstream: u, .. }
            | Error::KeywordMissing { upstream: u, .. } => Some(u.as_ref()),
            Error::Network { .. }
            | Error::Timeout { .. }
            | Error::Cancelled { .. }
            | Error::WebhookBudget { .. }
            | Error::StreamEndpointRefused { .. }
            | Error::Internal(_) => None,
        }
    }
}

/// This crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
