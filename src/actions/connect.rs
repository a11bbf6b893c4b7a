//! "Create DingTalk robot connection" (`dingtalk.robot.connect`): AppKey + AppSecret of an
//! enterprise-internal app -> a robot handle, after DingTalk has accepted the credentials.

use std::time::Duration;

use rpa_plugin_abi::{ActionSpec, Inputs, LogLevel, text};
use serde_json::{Value, json};

use super::fields::{FieldExt, field};
use super::{Job, Params};
use crate::dingtalk::{RobotSettings, registry};
use crate::error::{Error, Result};
use crate::redact;
use crate::secret::Secret;

/// The action id.
pub const ID: &str = "dingtalk.robot.connect";
/// Input: the app's AppKey.
pub const APP_KEY: &str = "appKey";
/// Input: the app's AppSecret.
pub const APP_SECRET: &str = "appSecret";
/// Input (advanced): the robot code; defaults to the AppKey.
pub const ROBOT_CODE: &str = "robotCode";
/// Input (advanced): base URL of the new API generation.
pub const API_BASE_URL: &str = "apiBaseUrl";
/// Input (advanced): base URL of the old API generation.
pub const OAPI_BASE_URL: &str = "oapiBaseUrl";
/// Input (advanced): per-call timeout in seconds.
pub const TIMEOUT_SECONDS: &str = "timeoutSeconds";
/// Input (advanced): calls per second per API the plugin allows itself.
pub const QPS_LIMIT: &str = "qpsLimit";
/// Output: the robot handle.
pub const ROBOT: &str = "robot";

/// The longest base URL accepted.
pub const MAX_URL_CHARS: usize = 2048;

/// The schema of a robot handle, shared by connect's output and send's input.
pub fn robot_schema() -> Value {
    json!({
        "type": "object",
        "x-rpa-type": registry::ROBOT_TYPE,
        "properties": { "type": { "const": registry::ROBOT_TYPE }, "id": { "type": "string" } },
        "required": ["type", "id"]
    })
}

/// The manifest entry.
pub fn spec() -> ActionSpec {
    ActionSpec {
        id: ID.into(),
        title: text!(en: "Create DingTalk robot connection", zh: "建立钉钉机器人连接"),
        description: text!(en: "Connects to DingTalk with the AppKey and AppSecret of an enterprise-internal app and outputs a robot object for \"Send single-chat message\". The app needs the member-info read, enterprise API base and enterprise robot message permissions, and must be published.", zh: "用企业内部应用的 AppKey 和 AppSecret 连接钉钉，输出机器人对象供后续“发送单聊消息”使用。应用需开通成员信息读权限、企业 API 基础权限和企业内机器人发送消息权限，并已发布。"),
        inputs: Inputs {
            basic: vec![
                field(
                    APP_KEY,
                    ("AppKey", "AppKey"),
                    ("钉钉开发者后台 > 应用 > 凭证与基础信息中的 AppKey（Client ID）。", "The app's AppKey (Client ID), from the DingTalk developer console > app > credentials."),
                    json!({ "type": "string", "minLength": 1, "maxLength": 128 }),
                )
                .required(),
                field(
                    APP_SECRET,
                    ("AppSecret", "AppSecret"),
                    ("同一页面中的 AppSecret（Client Secret），不会被显示或记录。", "The AppSecret (Client Secret) from the same page; never shown or logged."),
                    json!({ "type": "string", "format": "password", "writeOnly": true, "minLength": 1, "maxLength": 256 }),
                )
                .required(),
            ],
            advanced: vec![
                field(
                    ROBOT_CODE,
                    ("机器人编码", "Robot code"),
                    ("企业内部应用机器人的编码，留空则等于 AppKey。", "The robot's code; leave empty to use the AppKey, as for an enterprise-internal app's robot."),
                    json!({ "type": "string", "maxLength": 128 }),
                ),
                field(
                    API_BASE_URL,
                    ("新版接口地址", "API base URL"),
                    ("钉钉新版开放接口的地址，一般无需修改。", "Base URL of DingTalk's new API; rarely changed."),
                    json!({ "type": "string", "format": "uri", "maxLength": MAX_URL_CHARS, "default": "https://api.dingtalk.com" }),
                ),
                field(
                    OAPI_BASE_URL,
                    ("旧版接口地址", "Old API base URL"),
                    ("钉钉旧版接口（上传文件）的地址，一般无需修改。", "Base URL of DingTalk's old API (file upload); rarely changed."),
                    json!({ "type": "string", "format": "uri", "maxLength": MAX_URL_CHARS, "default": "https://oapi.dingtalk.com" }),
                ),
                field(
                    TIMEOUT_SECONDS,
                    ("超时（秒）", "Timeout (seconds)"),
                    ("每次调用钉钉等待响应的最长时间。", "How long each call to DingTalk may wait for its answer."),
                    json!({ "type": "integer", "minimum": 1, "maximum": 300, "default": 30 }),
                ),
                field(
                    QPS_LIMIT,
                    ("每秒调用上限", "Calls per second"),
                    ("本应用每个接口每秒最多调用次数，默认 20（钉钉标准限额），0 表示不限制。", "Calls per second per API this app allows itself; 20 is DingTalk's standard limit, 0 means no limit."),
                    json!({ "type": "integer", "minimum": 0, "maximum": 1000, "default": 20 }),
                ),
            ],
        },
        outputs: vec![field(
            ROBOT,
            ("机器人对象", "Robot object"),
            ("传给“钉钉机器人发送单聊消息”的机器人对象。", "The robot object to pass to \"Send single-chat message\"."),
            robot_schema(),
        )],
    }
}

/// Checks a base URL: http(s), a host, no query, no user info. Returns it without a
/// trailing slash.
fn base_url(p: &Params<'_>, name: &str) -> Result<String> {
    let text = match p.string(name)? {
        Some(t) => t,
        None => p.default_string(name).ok_or_else(|| Error::Internal(format!("no default for {name}")))?,
    };
    // Shown without user info or credential-like query values.
    let shown = redact::url(&text);
    let bad = |why_en: &str, why_zh: &str| {
        p.error(
            name,
            format!("\"{shown}\" is not a usable base URL: {why_en}."),
            format!("“{shown}”不是可用的接口地址：{why_zh}。"),
        )
    };
    let url = reqwest::Url::parse(&text).map_err(|_| bad("it does not parse as a URL", "无法解析为 URL"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("it must start with http:// or https://", "必须以 http:// 或 https:// 开头"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("it has no host", "缺少主机名"));
    }
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() || url.password().is_some() {
        return Err(bad("it must not carry a query, a fragment or credentials", "不能包含查询参数、锚点或账号信息"));
    }
    Ok(text.trim_end_matches('/').to_string())
}

/// A credential: trimmed, and with no whitespace inside (a common copy-paste slip).
fn credential(p: &Params<'_>, name: &str) -> Result<String> {
    let value = p.required_string(name)?;
    if value.chars().any(char::is_whitespace) {
        return Err(p.error(
            name,
            format!("\"{name}\" contains spaces or line breaks."),
            format!("“{name}”中含有空格或换行。"),
        ));
    }
    Ok(value)
}

/// Reads and checks the connection's settings without touching the network.
pub fn settings(p: &Params<'_>) -> Result<RobotSettings> {
    let app_key = credential(p, APP_KEY)?;
    let app_secret = Secret::new(credential(p, APP_SECRET)?);
    let robot_code = p.string(ROBOT_CODE)?.unwrap_or_else(|| app_key.clone());
    Ok(RobotSettings {
        api_base: base_url(p, API_BASE_URL)?,
        oapi_base: base_url(p, OAPI_BASE_URL)?,
        timeout: Duration::from_secs(p.integer(TIMEOUT_SECONDS)?.unsigned_abs()),
        qps_limit: u32::try_from(p.integer(QPS_LIMIT)?).unwrap_or(0),
        app_key,
        app_secret,
        robot_code,
    })
}

/// Checks the inputs; the job fetches (or reuses) the token and registers the robot.
pub fn prepare(p: &Params<'_>) -> Result<Job> {
    let s = settings(p)?;
    Ok(Box::new(move |ctx| {
        Box::pin(async move {
            let conn = registry::connection(&s)?;
            ctx.log(LogLevel::Info, format!("connecting app {} at {}", redact::app_key(&s.app_key), s.api_base));
            match conn.token(&ctx, s.timeout).await {
                Ok(_) => {}
                Err(e @ Error::AuthFailed(_)) => {
                    registry::forget(&s, &conn);
                    return Err(e);
                }
                Err(e) => return Err(e),
            }
            let robot = registry::register(&s, conn);
            Ok(json!({ ROBOT: robot }))
        })
    }))
}
