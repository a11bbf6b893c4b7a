//! "Create custom robot connection" (`dingtalk.robot.connect_webhook`): a group chat's custom
//! robot, by its webhook URL (or just its `access_token`) and signing secret, -> a robot
//! handle of its own kind, holding no secret. Everything is checked here and nothing is sent:
//! the URL's shape, the secret's shape (`SEC...`), stray spaces (trimmed, and said so in the
//! log), the keywords.

use std::time::Duration;

use dingtalk_client::{DINGTALK_PER_MINUTE, Secret, WebhookSettings};
use reqwest::Url;
use rpa_plugin_abi::{LogLevel, Text, text};
use serde_json::{Value, json};

use super::field::{Entry, Field, Integer, Kind, Output, ShortList};
use super::{Action, Execution, Params, Runs};
use crate::error::Result;
use crate::robots;

pub use dingtalk_client::set_minute_for_tests;

/// The action id.
pub const ID: &str = "dingtalk.robot.connect_webhook";
/// Input: the webhook URL, or its `access_token`.
pub const WEBHOOK_URL: &str = "webhookUrl";
/// Input: the signing secret (`SEC...`).
pub const SECRET: &str = "secret";
/// Input (advanced): the robot's security keywords.
pub const KEYWORDS: &str = "keywords";
/// Input (advanced): messages a minute the plugin lets the robot send.
pub const MESSAGES_PER_MINUTE: &str = "messagesPerMinute";
/// Input (advanced): per-send timeout in seconds, waiting for the budget included.
pub const TIMEOUT_SECONDS: &str = super::connect::TIMEOUT_SECONDS;
/// Output: the custom robot handle.
pub const ROBOT: &str = "robot";

/// Where a bare `access_token` sends to.
pub const DEFAULT_WEBHOOK: &str = "https://oapi.dingtalk.com/robot/send";
/// The most security keywords a custom robot has (DingTalk: 10).
pub const MAX_KEYWORDS: usize = 10;
/// The longest webhook URL read.
const MAX_URL_CHARS: usize = 2048;
/// The longest secret read.
const MAX_SECRET_CHARS: usize = 256;

/// The action: its form, generated into the manifest, and how it runs.
pub(crate) const ACTION: Action = Action {
    id: ID,
    title: text!(en: "Create custom robot connection", zh: "建立自定义机器人连接"),
    description: text!(
        en: "Connects to a group chat's custom robot by its webhook URL and signing secret (no enterprise app needed) and outputs a robot object for \"Send custom robot message\". Nothing is sent yet.",
        zh: "通过群自定义机器人的 Webhook 地址和加签密钥建立连接（无需企业内部应用），输出机器人对象供“自定义机器人发送群消息”使用。此步骤不发送任何内容。"
    ),
    basic: &[&form::WEBHOOK_URL, &form::SECRET],
    advanced: &[&form::KEYWORDS, &form::MESSAGES_PER_MINUTE, &form::TIMEOUT_SECONDS],
    at_least_one_of: &[],
    outputs: &[form::ROBOT],
    prepare,
    same_params_memo: None,
    runs: Runs::OnHostThread,
};

/// The fields, each declared once.
pub(crate) mod form {
    use super::*;

    pub(super) const WEBHOOK_URL: Field<WebhookUrl> = Field {
        name: super::WEBHOOK_URL,
        label: text!(en: "Webhook URL", zh: "Webhook 地址"),
        help: text!(
            en: "The custom robot's webhook URL (group settings > robots > the custom robot), such as https://oapi.dingtalk.com/robot/send?access_token=..., or just its access_token. Keep it private: anyone with it can post to the group.",
            zh: "自定义机器人的 Webhook 地址（群设置 > 机器人 > 该自定义机器人），如 https://oapi.dingtalk.com/robot/send?access_token=...，也可只填 access_token。请妥善保管：得到它的人都能向该群发消息。"
        ),
        kind: WebhookUrl,
        visible_when: None,
    };

    pub(super) const SECRET: Field<SigningSecret> = Field {
        name: super::SECRET,
        label: text!(en: "Signing secret", zh: "加签密钥"),
        help: text!(
            en: "The robot's signing secret, if its security settings use 加签: the text starting with SEC. Leave empty for a robot that uses only keywords or an IP allow-list. Never shown or logged.",
            zh: "机器人安全设置使用“加签”时的密钥：以 SEC 开头的文本。只用关键词或 IP 白名单的机器人请留空。不会被显示或记录。"
        ),
        kind: SigningSecret,
        visible_when: None,
    };

    pub(crate) const KEYWORDS: Field<ShortList> = Field {
        name: super::KEYWORDS,
        label: text!(en: "Security keywords", zh: "自定义关键词"),
        help: text!(
            en: "The robot's security keywords (自定义关键词), if it uses them, as a list or comma- or line-separated text, at most 10: each message is checked to contain one before it is sent.",
            zh: "机器人设置的自定义关键词（如有），列表或逗号、换行分隔的文本，最多 10 个；每条消息发送前都会检查是否包含其中之一。"
        ),
        kind: ShortList { of: Entry::Keyword, max: MAX_KEYWORDS },
        visible_when: None,
    };

    pub(super) const MESSAGES_PER_MINUTE: Field<Integer> = Field {
        name: super::MESSAGES_PER_MINUTE,
        label: text!(en: "Messages per minute", zh: "每分钟消息上限"),
        help: text!(
            en: "Messages a minute the plugin lets this robot send; past 20 DingTalk bans it for 10 minutes, so a send waits (within the timeout) for room instead. Lower it when other programs use the same webhook.",
            zh: "插件允许该机器人每分钟发送的消息数；超过 20 条钉钉会限流 10 分钟，所以发送会在超时内等待余量。若其他程序也使用同一 Webhook，请调低。"
        ),
        kind: Integer::new(1, DINGTALK_PER_MINUTE as i64, DINGTALK_PER_MINUTE as i64),
        visible_when: None,
    };

    pub(super) const TIMEOUT_SECONDS: Field<Integer> = super::super::connect::timeout_field(text!(
        en: "How long each send may take, waiting for room in the per-minute budget included.",
        zh: "每次发送最多可用的时间，包括等待每分钟限额空出的时间。"
    ));

    pub(super) const ROBOT: Output = Output {
        name: super::ROBOT,
        label: text!(en: "Custom robot object", zh: "自定义机器人对象"),
        help: text!(
            en: "The custom robot object to pass to \"Send custom robot message\".",
            zh: "传给“自定义机器人发送群消息”的自定义机器人对象。"
        ),
        schema: robots::webhook_robot_schema,
    };
}

/// A webhook, read: where it posts, its token, and what was tidied.
pub(crate) struct Webhook {
    endpoint: Url,
    extra_query: Vec<(String, String)>,
    token: Secret,
    /// Stray spaces around the text were removed.
    trimmed: bool,
    /// A stale `timestamp`/`sign` copied with the URL was dropped.
    dropped_signature: bool,
}

/// A webhook URL (any http(s) URL with an `access_token`), or a bare `access_token`, which
/// posts to [`DEFAULT_WEBHOOK`]. Shown in messages without its token.
pub(crate) struct WebhookUrl;

impl Kind for WebhookUrl {
    type Value = Webhook;
    const REQUIRED: bool = true;

    fn schema(&self) -> Value {
        json!({ "type": "string", "format": "password", "writeOnly": true, "minLength": 1, "maxLength": MAX_URL_CHARS })
    }

    fn read(&self, name: &str, raw: Option<&Value>, p: &Params<'_>) -> Result<Webhook> {
        let typed = super::field::RequiredText::as_typed(MAX_URL_CHARS).read(name, raw, p)?;
        let text = typed.trim();
        let trimmed = text.len() != typed.len();
        let shown = crate::redact::url(text);
        let bad = |why: Text| {
            p.error(
                name,
                text!(
                    en: format!("\"{shown}\" is not a custom robot's webhook: {}.", why.en),
                    zh: format!("“{shown}”不是自定义机器人的 Webhook：{}。", why.zh_cn)
                ),
            )
        };
        if text.chars().any(char::is_whitespace) {
            return Err(bad(text!(en: "it has spaces or line breaks inside", zh: "中间含有空格或换行")));
        }
        if !text.contains("://") && !text.contains('?') && !text.contains('/') {
            // A bare access_token.
            if !text.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
                return Err(bad(
                    text!(en: "an access_token has only letters and digits", zh: "access_token 只含字母和数字"),
                ));
            }
            let endpoint = Url::parse(DEFAULT_WEBHOOK).map_err(|e| crate::Error::Internal(e.to_string()))?;
            let token = Secret::new(text);
            return Ok(Webhook { endpoint, extra_query: Vec::new(), token, trimmed, dropped_signature: false });
        }
        let url = Url::parse(text).map_err(|_| bad(text!(en: "it does not parse as a URL", zh: "无法解析为 URL")))?;
        let local_http = url.scheme() == "http" && dingtalk_client::is_loopback(&url);
        if !(url.scheme() == "https" || local_http) || url.host_str().is_none_or(str::is_empty) {
            return Err(bad(text!(
                en: "it must start with https:// (http:// is taken only for a test server on this computer: localhost, 127.0.0.1 or [::1])",
                zh: "应以 https:// 开头（仅本机测试服务器 localhost、127.0.0.1 或 [::1] 可用 http://）"
            )));
        }
        if !url.username().is_empty() || url.password().is_some() || url.fragment().is_some() {
            return Err(bad(text!(en: "it must not carry a user name or a fragment", zh: "不能包含账号信息或锚点")));
        }
        let mut token = None;
        let mut extra_query = Vec::new();
        let mut dropped_signature = false;
        for (k, v) in url.query_pairs() {
            match k.as_ref() {
                "access_token" if token.is_none() => token = Some(v.into_owned()),
                "timestamp" | "sign" => dropped_signature = true,
                _ => extra_query.push((k.into_owned(), v.into_owned())),
            }
        }
        let Some(token) = token.filter(|t| !t.is_empty()) else {
            return Err(bad(text!(
                en: "it has no access_token (copy the whole URL, ?access_token=... included)",
                zh: "缺少 access_token（请完整复制地址，包括 ?access_token=...）"
            )));
        };
        let mut endpoint = url.clone();
        endpoint.set_query(None);
        Ok(Webhook { endpoint, extra_query, token: Secret::new(token), trimmed, dropped_signature })
    }
}

/// The signing secret: optional, write-only, `SEC` and letters and digits.
pub(crate) struct SigningSecret;

impl Kind for SigningSecret {
    type Value = Option<(Secret, bool)>;
    const REQUIRED: bool = false;

    fn schema(&self) -> Value {
        json!({ "type": "string", "format": "password", "writeOnly": true, "maxLength": MAX_SECRET_CHARS })
    }

    fn read(&self, name: &str, raw: Option<&Value>, p: &Params<'_>) -> Result<Option<(Secret, bool)>> {
        let Some(Value::String(typed)) = raw else {
            return super::field::OptionalText::trimmed(MAX_SECRET_CHARS).read(name, raw, p).map(|_| None);
        };
        p.check_length(name, typed, MAX_SECRET_CHARS)?;
        let text = typed.trim();
        let trimmed = text.len() != typed.len();
        let refuse = |what: Text| {
            p.error(
                name,
                text!(en: format!("The signing secret {}.", what.en), zh: format!("加签密钥{}。", what.zh_cn)),
            )
        };
        if text.contains("://") || text.contains("access_token") {
            return Err(refuse(text!(
                en: "holds a URL; the webhook URL goes in \"Webhook URL\" and the secret (SEC...) here",
                zh: "中填写了网址；Webhook 地址应填在“Webhook 地址”中，这里填写以 SEC 开头的密钥"
            )));
        }
        if text.chars().any(char::is_whitespace) {
            return Err(refuse(text!(en: "has spaces or line breaks inside", zh: "中间含有空格或换行")));
        }
        if !text.starts_with("SEC") || text.len() < 8 || !text.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(refuse(text!(
                en: "is not one: it starts with SEC followed by letters and digits (robot settings > security settings > 加签)",
                zh: "格式不对：应以 SEC 开头，后跟字母和数字（机器人设置 > 安全设置 > 加签）"
            )));
        }
        Ok(Some((Secret::new(text), trimmed)))
    }
}

/// Reads and checks the connection's settings without touching the network; also says what
/// was tidied (for the log).
pub(crate) fn read(p: &Params<'_>) -> Result<(WebhookSettings, Vec<Text>)> {
    let webhook = form::WEBHOOK_URL.read(p)?;
    let secret = form::SECRET.read(p)?;
    let mut notes = Vec::new();
    if webhook.trimmed {
        notes.push(text!(
            en: "The webhook URL had spaces around it; they were removed.",
            zh: "Webhook 地址前后有空格，已去掉。"
        ));
    }
    if webhook.dropped_signature {
        notes.push(text!(
            en: "The webhook URL carried a timestamp and sign from an earlier send; they were dropped (each send signs anew).",
            zh: "Webhook 地址里带有之前发送时的 timestamp 和 sign，已去掉（每次发送都会重新签名）。"
        ));
    }
    if secret.as_ref().is_some_and(|(_, trimmed)| *trimmed) {
        notes.push(text!(en: "The signing secret had spaces around it; they were removed.", zh: "加签密钥前后有空格，已去掉。"));
    }
    let settings = WebhookSettings {
        endpoint: webhook.endpoint,
        extra_query: webhook.extra_query,
        token: webhook.token,
        secret: secret.map(|(s, _)| s),
        keywords: form::KEYWORDS.read(p)?,
        per_minute: u32::try_from(form::MESSAGES_PER_MINUTE.read(p)?).unwrap_or(DINGTALK_PER_MINUTE),
        timeout: Duration::from_secs(form::TIMEOUT_SECONDS.read(p)?.unsigned_abs()),
    };
    Ok((settings, notes))
}

/// Checks the inputs; the execution registers the robot (nothing is sent).
fn prepare(p: &Params<'_>) -> Result<Execution> {
    let (settings, notes) = read(p)?;
    Ok(Box::new(move |ctx| {
        Box::pin(async move {
            for note in notes {
                ctx.log(LogLevel::Warn, note);
            }
            let (at, keywords, per_minute) = (settings.shown(), settings.keywords.len(), settings.per_minute);
            let (signed, signed_zh) =
                if settings.secret.is_some() { ("signed", "加签") } else { ("unsigned", "未加签") };
            ctx.log(
                LogLevel::Info,
                text!(
                    en: format!("custom robot at {at} ({signed}, {keywords} keywords, {per_minute} messages a minute)"),
                    zh: format!("自定义机器人 {at}（{signed_zh}，{keywords} 个关键词，每分钟最多 {per_minute} 条）")
                ),
            );
            Ok(json!({ ROBOT: robots::register_webhook(settings) }))
        })
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(params: Value) -> Result<(WebhookSettings, Vec<Text>)> {
        let spec = ACTION.spec();
        let params = params.to_string();
        let p = Params::parse(&params, &spec)?;
        read(&p)
    }

    #[test]
    fn a_url_or_a_bare_token_both_work() {
        let (s, notes) = settings(
            json!({ WEBHOOK_URL: " https://oapi.dingtalk.com/robot/send?access_token=abc123&timestamp=1&sign=x \n",
                                           SECRET: "SECabcdef12", KEYWORDS: "告警, alert", MESSAGES_PER_MINUTE: 10 }),
        )
        .unwrap();
        assert_eq!((s.endpoint.as_str(), s.token.expose()), (DEFAULT_WEBHOOK, "abc123"));
        assert_eq!(s.keywords, ["告警", "alert"]);
        assert_eq!((s.per_minute, s.timeout.as_secs()), (10, 30));
        assert_eq!(notes.len(), 2, "{notes:?}");
        let (s, notes) = settings(json!({ WEBHOOK_URL: "abc123" })).unwrap();
        assert_eq!((s.endpoint.as_str(), s.token.expose(), s.secret.is_none()), (DEFAULT_WEBHOOK, "abc123", true));
        assert!(notes.is_empty());
        assert_eq!(ACTION.spec().inputs.all().count(), 5);
        for local in
            ["http://127.0.0.1:9/robot/send?access_token=abc123", "http://localhost:9/robot/send?access_token=abc123"]
        {
            let (s, _) = settings(json!({ WEBHOOK_URL: local })).unwrap();
            assert_eq!((s.endpoint.scheme(), s.token.expose()), ("http", "abc123"), "{local}");
        }
    }

    #[test]
    fn bad_urls_and_secrets_are_refused_in_words_without_the_token() {
        for (params, says) in [
            (json!({ WEBHOOK_URL: "https://oapi.dingtalk.com/robot/send" }), "no access_token"),
            (json!({ WEBHOOK_URL: "ftp://oapi.dingtalk.com/robot/send?access_token=tok999" }), "https://"),
            (
                json!({ WEBHOOK_URL: "http://oapi.dingtalk.com/robot/send?access_token=tok999" }),
                "only for a test server",
            ),
            (json!({ WEBHOOK_URL: "http://192.168.1.5:8080/robot/send?access_token=tok999" }), "localhost, 127.0.0.1"),
            (json!({ WEBHOOK_URL: "https://oapi.dingtalk.com/robot/send?access_token=tok\n999" }), "line breaks"),
            (
                json!({ WEBHOOK_URL: "tok999", SECRET: "https://oapi.dingtalk.com/robot/send?access_token=tok999" }),
                "holds a URL",
            ),
            (json!({ WEBHOOK_URL: "tok999", SECRET: "0123456789abcdef" }), "starts with SEC"),
            (json!({ WEBHOOK_URL: "tok999", SECRET: "SEC0123 456789" }), "spaces"),
        ] {
            let e = settings(params.clone()).err().unwrap().to_payload();
            assert!(e.message.contains(says), "{params}: {}", e.message);
            assert!(!e.message.contains("tok999") && !e.message.contains("0123456789"), "{}", e.message);
        }
    }
}
