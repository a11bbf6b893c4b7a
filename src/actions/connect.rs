//! "Create DingTalk robot connection" (`dingtalk.robot.connect`): AppKey + AppSecret of an
//! enterprise-internal app -> a robot handle, after DingTalk has accepted the credentials.

use std::cell::RefCell;
use std::time::Duration;

use dingtalk_client::{CallOptions, Error as ClientError};
use rpa_plugin_abi::{LogLevel, text};
use serde_json::json;

use super::field::{BaseUrl, Field, Integer, OptionalText, Output, RedisUrl, RequiredText, SecretText};
use super::{Action, Execution, Params, Runs};
use crate::error::Result;
use crate::robots::{self, RobotSettings};

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
/// Input (advanced): how often a throttled call (or one that never left) is tried again.
pub const RETRIES: &str = "retries";
/// Field name: minutes a Stream connection stays open after its last wait (0 = never closed).
pub const STREAM_IDLE_MINUTES: &str = "streamIdleMinutes";
/// Input (advanced): the Redis server robot processes of one app share their budget and token through.
pub const REDIS_URL: &str = "redisUrl";
/// Output: the robot handle.
pub const ROBOT: &str = "robot";

/// The longest base URL accepted.
const MAX_URL_CHARS: usize = 2048;

/// The action: its form, generated into the manifest, and how it runs.
pub(crate) const ACTION: Action = Action {
    id: ID,
    title: text!(en: "Create DingTalk robot connection", zh: "建立钉钉机器人连接"),
    description: text!(
        en: "Connects to DingTalk with the AppKey and AppSecret of an enterprise-internal app and outputs a robot object for the robot actions that follow (send, read status, recall, group message, user lookup). The app needs the robot permission qyapi_robot_sendmsg (enterprise robot: send messages); sending files, images, audio or video also needs qyapi_base (basic access to the enterprise API), and finding users by mobile number qyapi_get_member_by_mobile (get a member's basic info by mobile number). The app must be published.",
        zh: "用企业内部应用的 AppKey 和 AppSecret 连接钉钉，输出机器人对象供后续的机器人动作（发送消息、查询已读状态、撤回、发送群消息、按手机号查用户）使用。应用需开通企业内机器人发送消息权限（qyapi_robot_sendmsg）；发送文件、图片、语音或视频还需调用企业API基础权限（qyapi_base），按手机号查找用户还需根据手机号获取成员基本信息权限（qyapi_get_member_by_mobile）。应用须已发布。"
    ),
    basic: &[&form::APP_KEY, &form::APP_SECRET],
    advanced: &[
        &form::ROBOT_CODE,
        &form::API_BASE_URL,
        &form::OAPI_BASE_URL,
        &form::TIMEOUT_SECONDS,
        &form::QPS_LIMIT,
        &form::RETRIES,
        &form::STREAM_IDLE_MINUTES,
        &form::REDIS_URL,
    ],
    at_least_one_of: &[],
    outputs: &[form::ROBOT],
    prepare,
    same_params_memo: Some(same_params),
    runs: Runs::OnHostThread,
};

/// The fields, each declared once.
pub(crate) mod form {
    use super::*;

    pub(crate) const APP_KEY: Field<RequiredText> = Field {
        name: super::APP_KEY,
        label: text!(en: "AppKey", zh: "AppKey"),
        help: text!(
            en: "The app's AppKey (Client ID), from the DingTalk developer console > app > credentials.",
            zh: "钉钉开发者后台 > 应用 > 凭证与基础信息中的 AppKey（Client ID）。"
        ),
        kind: RequiredText::id(128),
        visible_when: None,
    };

    pub(crate) const APP_SECRET: Field<SecretText> = Field {
        name: super::APP_SECRET,
        label: text!(en: "AppSecret", zh: "AppSecret"),
        help: text!(
            en: "The AppSecret (Client Secret) from the same page; never shown or logged.",
            zh: "同一页面中的 AppSecret（Client Secret），不会被显示或记录。"
        ),
        kind: SecretText { max_chars: 256 },
        visible_when: None,
    };

    pub(crate) const ROBOT_CODE: Field<OptionalText> = Field {
        name: super::ROBOT_CODE,
        label: text!(en: "Robot code", zh: "机器人编码"),
        help: text!(
            en: "The robot's code; leave empty to use the AppKey, as for an enterprise-internal app's robot.",
            zh: "企业内部应用机器人的编码，留空则等于 AppKey。"
        ),
        kind: OptionalText::trimmed(128),
        visible_when: None,
    };

    pub(crate) const API_BASE_URL: Field<BaseUrl> = Field {
        name: super::API_BASE_URL,
        label: text!(en: "API base URL", zh: "新版接口地址"),
        help: text!(en: "Base URL of DingTalk's new API; rarely changed.", zh: "钉钉新版开放接口的地址，一般无需修改。"),
        kind: BaseUrl { default: "https://api.dingtalk.com", max_chars: MAX_URL_CHARS },
        visible_when: None,
    };

    pub(crate) const OAPI_BASE_URL: Field<BaseUrl> = Field {
        name: super::OAPI_BASE_URL,
        label: text!(en: "Old API base URL", zh: "旧版接口地址"),
        help: text!(
            en: "Base URL of DingTalk's old API (file upload); rarely changed.",
            zh: "钉钉旧版接口（上传文件）的地址，一般无需修改。"
        ),
        kind: BaseUrl { default: "https://oapi.dingtalk.com", max_chars: MAX_URL_CHARS },
        visible_when: None,
    };

    pub(crate) const TIMEOUT_SECONDS: Field<Integer> = timeout_field(text!(
        en: "How long each call to DingTalk may take, retries included.",
        zh: "每次调用钉钉（含重试）最多可用的时间。"
    ));

    pub(crate) const QPS_LIMIT: Field<Integer> = Field {
        name: super::QPS_LIMIT,
        label: text!(en: "Calls per second", zh: "每秒调用上限"),
        help: text!(
            en: "Calls per second per API this app allows itself; 20 is DingTalk's standard limit, 0 means no limit.",
            zh: "本应用每个接口每秒最多调用次数，默认 20（钉钉标准限额），0 表示不限制。"
        ),
        kind: Integer::new(0, 1000, 20),
        visible_when: None,
    };

    pub(crate) const RETRIES: Field<Integer> = Field {
        name: super::RETRIES,
        label: text!(en: "Retries", zh: "重试次数"),
        help: text!(
            en: "How often a call DingTalk throttled is tried again, about a second apart (one that could not connect, one time fewer); always within the timeout.",
            zh: "被钉钉限流的调用最多重试几次，每次间隔约 1 秒（连接失败的调用少重试一次）；所有重试都在超时时间内完成。"
        ),
        kind: Integer::new(0, 5, 3),
        visible_when: None,
    };

    pub(crate) const STREAM_IDLE_MINUTES: Field<Integer> = Field {
        name: super::STREAM_IDLE_MINUTES,
        label: text!(en: "Keep listening (minutes)", zh: "保持监听（分钟）"),
        help: text!(
            en: "How long the connection that receives replies (Stream mode) stays open after the last \"Wait for a reply\" ends, so that the next wait starts at once; 0 keeps it open while the plugin is loaded. The first wait of an app in this process sets it.",
            zh: "最后一个“等待用户回复”结束后，接收回复的连接（Stream 模式）再保持多少分钟，以便下一次等待立即开始；0 表示插件加载期间一直保持。同一进程中某个应用的第一次等待决定该值。"
        ),
        kind: Integer::new(0, 1440, 10),
        visible_when: None,
    };

    pub(crate) const REDIS_URL: Field<RedisUrl> = Field {
        name: super::REDIS_URL,
        label: text!(en: "Shared Redis (many robots, one app)", zh: "共用 Redis（多个机器人共用一个应用）"),
        help: text!(
            en: "redis:// or rediss:// URL (with its password, if any) of a Redis server that every robot of this app uses, so that together they keep DingTalk's call limit and share one access token; empty uses the environment variable DINGTALK_ROBOT_REDIS_URL, or no Redis. When Redis cannot be reached, each robot goes on alone and says so once. Never shown or logged.",
            zh: "本应用所有机器人共用的 Redis 地址（redis:// 或 rediss://，如有密码一并填写），让它们一起遵守钉钉的调用频率限制并共用一个访问令牌；留空则使用环境变量 DINGTALK_ROBOT_REDIS_URL，都没有则不用 Redis。连不上 Redis 时，各机器人各自继续运行，并提示一次。不会被显示或记录。"
        ),
        kind: RedisUrl { max_chars: MAX_URL_CHARS },
        visible_when: None,
    };

    pub(crate) const ROBOT: Output = Output {
        name: super::ROBOT,
        label: text!(en: "Robot object", zh: "钉钉机器人对象"),
        help: text!(
            en: "The robot object to pass to \"Send single-chat message\".",
            zh: "传给“钉钉机器人发送单聊消息”的机器人对象。"
        ),
        schema: robots::robot_schema,
    };
}

/// The timeout field of a connection (its name, label and bounds), with the help that says
/// what its time covers.
pub(crate) const fn timeout_field(help: rpa_plugin_abi::Text) -> Field<Integer> {
    Field {
        name: TIMEOUT_SECONDS,
        label: text!(en: "Timeout (seconds)", zh: "超时（秒）"),
        help,
        kind: Integer::new(1, 300, 30),
        visible_when: None,
    }
}

/// Connect's inputs, read and checked.
pub(crate) struct ConnectInput {
    /// Everything that decides how the robot talks to DingTalk.
    pub(crate) settings: RobotSettings,
}

/// Reads and checks the connection's settings without touching the network.
pub(crate) fn read(p: &Params<'_>) -> Result<ConnectInput> {
    let app_key = form::APP_KEY.read(p)?;
    let app_secret = form::APP_SECRET.read(p)?;
    let robot_code = form::ROBOT_CODE.read(p)?.unwrap_or_else(|| app_key.clone());
    let options = CallOptions {
        robot_code,
        api_base: form::API_BASE_URL.read(p)?,
        oapi_base: form::OAPI_BASE_URL.read(p)?,
        timeout: Duration::from_secs(form::TIMEOUT_SECONDS.read(p)?.unsigned_abs()),
        retries: u32::try_from(form::RETRIES.read(p)?).unwrap_or(0),
        stream_idle: match form::STREAM_IDLE_MINUTES.read(p)?.unsigned_abs() {
            0 => None,
            minutes => Some(Duration::from_secs(minutes * 60)),
        },
    };
    let qps_limit = u32::try_from(form::QPS_LIMIT.read(p)?).unwrap_or(0);
    let redis_url = form::REDIS_URL.read(p)?;
    let settings = RobotSettings { app_key, app_secret, qps_limit, options, redis_url };
    Ok(ConnectInput { settings })
}

thread_local! {
    /// The params text this thread's last connect read, and the settings read from it.
    static LAST_PARAMS: RefCell<Option<(String, RobotSettings)>> = const { RefCell::new(None) };
}

/// Checks the inputs; the execution fetches (or reuses) the token and registers the robot.
fn prepare(p: &Params<'_>) -> Result<Execution> {
    let ConnectInput { settings } = read(p)?;
    LAST_PARAMS.with_borrow_mut(|last| *last = Some((p.text().to_string(), settings.clone())));
    Ok(execution(settings))
}

/// The execution for the same params text as this thread's last connect: reading it again would
/// give the same settings (connect's checks look at the text alone).
fn same_params(params_json: &str) -> Option<Execution> {
    let settings = LAST_PARAMS.with_borrow(|last| match last {
        Some((text, settings)) if text == params_json => Some(settings.clone()),
        _ => None,
    })?;
    Some(execution(settings))
}

/// Fetches (or reuses) the token and registers the robot.
fn execution(s: RobotSettings) -> Execution {
    Box::new(move |ctx| {
        Box::pin(async move {
            let conn = robots::connection(&s)?;
            let (app, base) = (conn.shown_key(), &s.options.api_base);
            ctx.log(
                LogLevel::Info,
                text!(en: format!("connecting app {app} at {base}"), zh: format!("正在连接应用 {app}（{base}）")),
            );
            robots::share_through_redis(&s, &conn, ctx.call()).await?;
            match conn.authenticate(ctx.call(), &s.options).await {
                Ok(()) => {}
                Err(e @ ClientError::AuthFailed(_)) => {
                    robots::forget(&s, &conn);
                    return Err(e.into());
                }
                Err(e) => return Err(e.into()),
            }
            let robot = robots::register(&s, conn);
            Ok(json!({ ROBOT: robot }))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_is_declared_and_read() {
        let spec = ACTION.spec();
        let json = json!({ APP_KEY: "k", APP_SECRET: "s", ROBOT_CODE: "r", API_BASE_URL: "http://127.0.0.1:1",
                           OAPI_BASE_URL: "http://127.0.0.1:2", TIMEOUT_SECONDS: "7", QPS_LIMIT: 3, RETRIES: 5,
                           STREAM_IDLE_MINUTES: 0 });
        let json = json.to_string();
        let p = Params::parse(&json, &spec).unwrap();
        let s = read(&p).unwrap().settings;
        assert_eq!((s.options.robot_code.as_str(), s.options.timeout.as_secs(), s.qps_limit), ("r", 7, 3));
        assert_eq!((s.options.retries, s.options.stream_idle), (5, None));
        assert_eq!(spec.inputs.all().count(), 10);
        let json = json!({ APP_KEY: "k", APP_SECRET: "s" }).to_string();
        let s = read(&Params::parse(&json, &spec).unwrap()).unwrap().settings;
        assert_eq!(s.options.stream_idle, Some(Duration::from_secs(600)), "10 minutes by default");
    }

    #[test]
    fn only_a_text_that_passed_its_checks_is_reused_and_only_as_it_is() {
        let good = json!({ APP_KEY: "reuse-key", APP_SECRET: "s", QPS_LIMIT: 0 }).to_string();
        let bad = json!({ APP_KEY: "reuse-key", APP_SECRET: "s", QPS_LIMIT: "lots" }).to_string();
        let never = || false;
        // Each test runs on its own thread: nothing read yet here.
        assert!(same_params(&good).is_none());
        assert!(crate::actions::prepare(ID, &bad, &never).is_err());
        assert!(same_params(&bad).is_none(), "a text that failed is checked again every time");
        assert!(crate::actions::prepare(ID, &good, &never).is_ok());
        assert!(same_params(&good).is_some());
        assert!(same_params(&format!("{good} ")).is_none(), "any other text is read again");
        let read_again = LAST_PARAMS.with_borrow(|last| last.as_ref().map(|(_, s)| (s.app_key.clone(), s.qps_limit)));
        assert_eq!(read_again, Some(("reuse-key".to_string(), 0)));
    }
}
