//! The org the emulator pretends to be: apps, users, limits.

use std::time::Duration;

/// Permission (scope) needed by the one-to-one robot endpoints: 企业内机器人发送消息权限.
pub const PERM_ROBOT_SEND: &str = "qyapi_robot_sendmsg";
/// Permission needed by the old-API media upload: 企业API基础权限 (enterprise API base access).
pub const PERM_BASE: &str = "qyapi_base";
/// Permission to read member info (成员信息读权限); granted by default, checked by no endpoint here.
pub const PERM_MEMBER_READ: &str = "qyapi_get_member";
/// Permission needed by the old-API `topapi/v2/user/getbymobile` (根据手机号获取成员基本信息权限,
/// listed among the member-info read permissions in the console).
pub const PERM_MEMBER_BY_MOBILE: &str = "qyapi_get_member_by_mobile";
/// Permission needed by the interactive-card endpoints (createAndDeliver, update): 互动卡片实例写权限.
pub const PERM_CARD_WRITE: &str = "Card.Instance.Write";

/// Default access-token lifetime (DingTalk: 7200 s).
pub const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(7200);
/// Default per-app, per-API limit of calls in any one-second window (DingTalk's standard 20).
pub const DEFAULT_QPS_LIMIT: u32 = 20;
/// How long after a send its `processQueryKey` can be queried or recalled (DingTalk: 24 hours).
pub const MESSAGE_WINDOW: Duration = Duration::from_secs(24 * 3600);
/// Most `processQueryKeys` per recall (DingTalk: 20).
pub const MAX_RECALL_KEYS: usize = 20;
/// How long a Stream ticket from `connections/open` may wait for its connection (DingTalk: 90 s).
pub const STREAM_TICKET_TTL: Duration = Duration::from_secs(90);
/// How long after a Stream `disconnect` frame the socket is closed (DingTalk: about 10 s).
pub const DEFAULT_STREAM_DISCONNECT_GRACE: Duration = Duration::from_secs(10);
/// How long the `sessionWebhook` of a robot message stays valid (DingTalk: about an hour and a
/// half; `sessionWebhookExpiredTime` says when it ends).
pub const DEFAULT_SESSION_WEBHOOK_TTL: Duration = Duration::from_secs(90 * 60);
/// Default bound on the recorded requests, deliveries and uploads kept in memory.
pub const DEFAULT_MAX_RECORDED: usize = 100_000;
/// Messages a custom (webhook) robot may send in any one window (DingTalk: 20 a minute).
pub const DEFAULT_WEBHOOK_LIMIT: u32 = 20;
/// The custom robots' rate window (DingTalk: a minute).
pub const DEFAULT_WEBHOOK_WINDOW: Duration = Duration::from_secs(60);
/// How long a custom robot that went past its limit is refused (DingTalk: 10 minutes).
pub const DEFAULT_WEBHOOK_BAN: Duration = Duration::from_secs(600);

/// One enterprise-internal app registered in the fake org.
#[derive(Clone, PartialEq, Eq)]
pub struct AppConfig {
    /// The app's AppKey (client id).
    pub app_key: String,
    /// The app's AppSecret (client secret). Never printed by `Debug`.
    pub app_secret: String,
    /// The code of the app's robot; for an enterprise-internal app it equals the AppKey.
    pub robot_code: String,
    /// Permissions (scopes) granted to the app, e.g. [`PERM_ROBOT_SEND`].
    pub permissions: Vec<String>,
}

impl AppConfig {
    /// An app whose robot code equals its AppKey and that holds every permission the
    /// emulated endpoints check ([`PERM_ROBOT_SEND`], [`PERM_BASE`], [`PERM_MEMBER_READ`],
    /// [`PERM_MEMBER_BY_MOBILE`], [`PERM_CARD_WRITE`]).
    pub fn new(app_key: impl Into<String>, app_secret: impl Into<String>) -> Self {
        let app_key = app_key.into();
        AppConfig {
            robot_code: app_key.clone(),
            app_key,
            app_secret: app_secret.into(),
            permissions: vec![
                PERM_ROBOT_SEND.to_owned(),
                PERM_BASE.to_owned(),
                PERM_MEMBER_READ.to_owned(),
                PERM_MEMBER_BY_MOBILE.to_owned(),
                PERM_CARD_WRITE.to_owned(),
            ],
        }
    }

    /// The same app with another robot code.
    pub fn with_robot_code(mut self, robot_code: impl Into<String>) -> Self {
        self.robot_code = robot_code.into();
        self
    }

    /// The same app with exactly these permissions.
    pub fn with_permissions<I, S>(mut self, permissions: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.permissions = permissions.into_iter().map(Into::into).collect();
        self
    }
}

impl std::fmt::Debug for AppConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppConfig")
            .field("app_key", &self.app_key)
            .field("app_secret", &"<redacted>")
            .field("robot_code", &self.robot_code)
            .field("permissions", &self.permissions)
            .finish()
    }
}

/// One custom (webhook) robot added to a group chat, with its security settings (安全设置).
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookConfig {
    /// The `access_token` of its webhook URL.
    pub access_token: String,
    /// The group it posts to (how [`crate::GroupMessage::group`] names it).
    pub group: String,
    /// The signing secret (`SEC...`, 加签); `None` = no signature required. Never printed by
    /// `Debug`.
    pub secret: Option<String>,
    /// Security keywords (自定义关键词, at most 10): a message must contain one; empty = none.
    pub keywords: Vec<String>,
    /// The IP addresses or CIDR ranges (IPv4) allowed to send; empty = any.
    pub allowed_ips: Vec<String>,
}

impl WebhookConfig {
    /// A robot of `group` with this token and no security setting.
    pub fn new(access_token: impl Into<String>, group: impl Into<String>) -> Self {
        WebhookConfig {
            access_token: access_token.into(),
            group: group.into(),
            secret: None,
            keywords: Vec::new(),
            allowed_ips: Vec::new(),
        }
    }

    /// The same robot, signing with `secret`.
    pub fn with_secret(mut self, secret: impl Into<String>) -> Self {
        self.secret = Some(secret.into());
        self
    }

    /// The same robot, requiring one of `keywords`.
    pub fn with_keywords<I: IntoIterator<Item = S>, S: Into<String>>(mut self, keywords: I) -> Self {
        self.keywords = keywords.into_iter().map(Into::into).collect();
        self
    }

    /// The same robot, accepting only these addresses or CIDR ranges.
    pub fn with_allowed_ips<I: IntoIterator<Item = S>, S: Into<String>>(mut self, ips: I) -> Self {
        self.allowed_ips = ips.into_iter().map(Into::into).collect();
        self
    }
}

impl std::fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookConfig")
            .field("access_token", &"<redacted>")
            .field("group", &self.group)
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .field("keywords", &self.keywords)
            .field("allowed_ips", &self.allowed_ips)
            .finish()
    }
}

/// A group chat (an internal group or a scene group) of the fake org, for the group-message
/// endpoints: its `openConversationId` and the codes of the robots that were added to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupConfig {
    /// The group's `openConversationId` (DingTalk's look like `cid6KeBBLoveMJOGXoYKF5x7EeiodoA==`).
    pub open_conversation_id: String,
    /// The robots in the group; a robot that is not here cannot send to it or recall in it.
    pub robot_codes: Vec<String>,
}

impl GroupConfig {
    /// A group with these robots in it.
    pub fn new<I, S>(open_conversation_id: impl Into<String>, robot_codes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        GroupConfig {
            open_conversation_id: open_conversation_id.into(),
            robot_codes: robot_codes.into_iter().map(Into::into).collect(),
        }
    }
}

/// Everything the emulator needs to start.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// Registered apps.
    pub apps: Vec<AppConfig>,
    /// User IDs (staff IDs) of the org; anything else lands in `invalidStaffIdList`.
    pub users: Vec<String>,
    /// Users that got too many robot messages: they land in `flowControlledStaffIdList` and
    /// receive nothing. They count as users of the org even when absent from `users`.
    pub flow_controlled: Vec<String>,
    /// Mobile numbers of the org's users, as `(mobile, userId)`, for `getbymobile`; a number
    /// not listed answers errcode 60121 (no such user).
    pub mobiles: Vec<(String, String)>,
    /// Answer a successful `getbymobile` with `"errcode": "0"` (text), as one of DingTalk's
    /// samples shows, instead of the number its field table documents.
    pub errcode_as_text: bool,
    /// Group chats, for `groupMessages/send` and `groupMessages/recall`; an
    /// `openConversationId` not listed answers `invalid.openConversationId`.
    pub groups: Vec<GroupConfig>,
    /// Answer readStatus with `"sendStatus": "SUCESS"`, as the read-status page's sample
    /// spells it, instead of `SUCCESS` as its field table does.
    pub send_status_as_sample: bool,
    /// Access-token lifetime; the same token is handed back until it expires.
    pub token_ttl: Duration,
    /// Calls allowed per app and per API in any 1,000 ms window; 0 = no limit.
    pub qps_limit: u32,
    /// Port to listen on at 127.0.0.1; 0 = any free port.
    pub port: u16,
    /// Most recorded requests (and deliveries, and uploads) kept; the oldest are dropped.
    pub max_recorded: usize,
    /// Custom (webhook) robots, served at `POST /robot/send?access_token=...`.
    pub webhooks: Vec<WebhookConfig>,
    /// Messages each custom robot may send in any [`EmulatorConfig::webhook_window`]; past it
    /// the robot is refused (errcode 410100) for [`EmulatorConfig::webhook_ban`].
    pub webhook_limit: u32,
    /// The custom robots' rate window (a minute; shorter in tests).
    pub webhook_window: Duration,
    /// How long a robot that went past its limit is refused (10 minutes; shorter in tests).
    pub webhook_ban: Duration,
    /// A fault: close a keep-alive connection once it has sat idle this long after an
    /// answer, as a server with a short keep-alive timeout does; `None` = never (the default).
    /// Never mid-request, never with a request waiting to be read. Also
    /// [`crate::Emulator::set_close_idle_after`].
    pub close_idle_after: Option<Duration>,
    /// How long a Stream ticket stays valid ([`STREAM_TICKET_TTL`]; shorter in tests).
    pub stream_ticket_ttl: Duration,
    /// How long after `disconnect` a Stream socket is closed
    /// ([`DEFAULT_STREAM_DISCONNECT_GRACE`]; shorter in tests). Also
    /// [`crate::Emulator::set_stream_disconnect_grace`].
    pub stream_disconnect_grace: Duration,
    /// The interactive-card templates made in the card platform (卡片平台), by template ID
    /// (e.g. `a1b2c3d4-....schema`): createAndDeliver refuses any other, naming it. Also
    /// [`crate::Emulator::add_card_template`].
    pub card_templates: Vec<String>,
    /// How long a robot message's `sessionWebhook` stays valid
    /// ([`DEFAULT_SESSION_WEBHOOK_TTL`]; shorter in tests). Also
    /// [`crate::Emulator::set_session_webhook_ttl`].
    pub session_webhook_ttl: Duration,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            apps: Vec::new(),
            users: Vec::new(),
            flow_controlled: Vec::new(),
            mobiles: Vec::new(),
            errcode_as_text: false,
            groups: Vec::new(),
            send_status_as_sample: false,
            token_ttl: DEFAULT_TOKEN_TTL,
            qps_limit: DEFAULT_QPS_LIMIT,
            port: 0,
            max_recorded: DEFAULT_MAX_RECORDED,
            webhooks: Vec::new(),
            webhook_limit: DEFAULT_WEBHOOK_LIMIT,
            webhook_window: DEFAULT_WEBHOOK_WINDOW,
            webhook_ban: DEFAULT_WEBHOOK_BAN,
            close_idle_after: None,
            stream_ticket_ttl: STREAM_TICKET_TTL,
            stream_disconnect_grace: DEFAULT_STREAM_DISCONNECT_GRACE,
            card_templates: Vec::new(),
            session_webhook_ttl: DEFAULT_SESSION_WEBHOOK_TTL,
        }
    }
}

impl EmulatorConfig {
    /// A config with one app and the given users (other fields default).
    pub fn with_app(app: AppConfig, users: &[&str]) -> Self {
        EmulatorConfig {
            apps: vec![app],
            users: users.iter().map(|u| (*u).to_owned()).collect(),
            ..EmulatorConfig::default()
        }
    }
}
