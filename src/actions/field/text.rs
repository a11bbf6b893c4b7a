//! Text fields: required, secret and optional text, base URLs, and the Redis URL.

use dingtalk_client::Secret;
use rpa_plugin_abi::{Text, text};
use serde_json::{Value, json};

use super::*;
use crate::actions::params::Params;
use crate::error::Result;

/// Text the user must fill in: at most `max_chars`, an identifier ([`RequiredText::id`]) or
/// text kept as typed ([`RequiredText::as_typed`]).
pub(crate) struct RequiredText {
    max_chars: usize,
    /// No whitespace inside (credentials: a copy-paste slip).
    no_inner_space: bool,
    /// Kept as typed (message content), else trimmed.
    keep_spaces: bool,
}

impl RequiredText {
    /// An identifier (a key, a code, an ID): trimmed, and refused with whitespace inside.
    pub(crate) const fn id(max_chars: usize) -> RequiredText {
        RequiredText { max_chars, no_inner_space: true, keep_spaces: false }
    }

    /// Text kept as typed, spaces and line breaks included (message content).
    pub(crate) const fn as_typed(max_chars: usize) -> RequiredText {
        RequiredText { max_chars, no_inner_space: false, keep_spaces: true }
    }
}

impl Kind for RequiredText {
    type Value = String;
    const REQUIRED: bool = true;

    fn schema(&self) -> Value {
        json!({ "type": "string", "minLength": 1, "maxLength": self.max_chars })
    }

    fn read(&self, name: &str, raw: Option<&Value>, p: &Params<'_>) -> Result<String> {
        let text = read_text(name, raw, self.max_chars, p)?.ok_or_else(|| p.missing(name))?;
        let text = if self.keep_spaces { text.to_string() } else { text.trim().to_string() };
        if self.no_inner_space && text.chars().any(char::is_whitespace) {
            return Err(p.error(
                name,
                {
                    let label = p.label(name);
                    text!(en: format!("\"{}\" contains spaces or line breaks.", label.en), zh: format!("「{}」中含有空格或换行。", label.zh_cn))
                },
            ));
        }
        Ok(text)
    }
}

/// The URL of a Redis server robot processes share (`redis://` or `rediss://`, perhaps with
/// a password): a secret, masked and never shown with its password. Left empty, the
/// environment variable [`REDIS_URL_ENV`](dingtalk_client::fleet::REDIS_URL_ENV) gives it;
/// with neither, `None` (no Redis).
pub(crate) struct RedisUrl {
    pub(crate) max_chars: usize,
}

impl Kind for RedisUrl {
    type Value = Option<Secret>;
    const REQUIRED: bool = false;

    fn schema(&self) -> Value {
        json!({ "type": "string", "format": "password", "writeOnly": true, "maxLength": self.max_chars })
    }

    fn read(&self, name: &str, raw: Option<&Value>, p: &Params<'_>) -> Result<Option<Secret>> {
        use dingtalk_client::fleet::{REDIS_URL_ENV, UrlProblem, check_url};
        let typed = read_text(name, raw, self.max_chars, p)?.map(str::trim).filter(|t| !t.is_empty());
        let from_env = std::env::var(REDIS_URL_ENV).ok().filter(|v| !v.trim().is_empty());
        let (url, source) = match (typed, from_env) {
            (Some(t), _) => (t.to_string(), text!(en: "", zh: "")),
            (None, Some(v)) => (
                v.trim().to_string(),
                text!(
                    en: format!(" (from the environment variable {REDIS_URL_ENV})"),
                    zh: format!("（来自环境变量 {REDIS_URL_ENV}）")
                ),
            ),
            (None, None) => return Ok(None),
        };
        let why = match check_url(&url) {
            Ok(_) => return Ok(Some(Secret::new(url))),
            Err(UrlProblem::Scheme) => {
                text!(en: "it must start with redis:// or rediss://", zh: "必须以 redis:// 或 rediss:// 开头")
            }
            Err(UrlProblem::NoHost) => text!(en: "it has no host", zh: "缺少主机名"),
            Err(UrlProblem::Unreadable) => text!(en: "it does not parse as a Redis URL", zh: "无法解析为 Redis 地址"),
        };
        // Shown without its user info (the password).
        let shown = crate::redact::url(&url);
        Err(p.error(
            name,
            text!(
                en: format!("\"{shown}\"{} is not a usable Redis URL: {}.", source.en, why.en),
                zh: format!("“{shown}”{}不是可用的 Redis 地址：{}。", source.zh_cn, why.zh_cn)
            ),
        ))
    }
}

/// A secret the user must fill in (write-only, masked): no whitespace inside.
pub(crate) struct SecretText {
    pub(crate) max_chars: usize,
}

impl Kind for SecretText {
    type Value = Secret;
    const REQUIRED: bool = true;

    fn schema(&self) -> Value {
        json!({ "type": "string", "format": "password", "writeOnly": true, "minLength": 1, "maxLength": self.max_chars })
    }

    fn read(&self, name: &str, raw: Option<&Value>, p: &Params<'_>) -> Result<Secret> {
        let inner = RequiredText::id(self.max_chars);
        inner.read(name, raw, p).map(Secret::new)
    }
}

/// Text that may be left empty: at most `max_chars`, trimmed ([`OptionalText::trimmed`]), or an
/// identifier also refused with whitespace inside ([`OptionalText::id`]).
pub(crate) struct OptionalText {
    max_chars: usize,
    /// No whitespace inside, as [`RequiredText::id`].
    no_inner_space: bool,
}

impl OptionalText {
    /// Text, trimmed (a title, a robot code).
    pub(crate) const fn trimmed(max_chars: usize) -> OptionalText {
        OptionalText { max_chars, no_inner_space: false }
    }

    /// An identifier (an openConversationId): trimmed, and refused with whitespace inside.
    pub(crate) const fn id(max_chars: usize) -> OptionalText {
        OptionalText { max_chars, no_inner_space: true }
    }
}

impl Kind for OptionalText {
    type Value = Option<String>;
    const REQUIRED: bool = false;

    fn schema(&self) -> Value {
        json!({ "type": "string", "maxLength": self.max_chars })
    }

    fn read(&self, name: &str, raw: Option<&Value>, p: &Params<'_>) -> Result<Option<String>> {
        let Some(text) = read_text(name, raw, self.max_chars, p)? else { return Ok(None) };
        if self.no_inner_space {
            RequiredText::id(self.max_chars).read(name, Some(&Value::from(text)), p).map(Some)
        } else {
            Ok(Some(text.trim().to_string()))
        }
    }
}

/// An http(s) base URL with a host and nothing else (no query, fragment or user info);
/// `default` when left empty. Read without its trailing slash.
pub(crate) struct BaseUrl {
    pub(crate) default: &'static str,
    pub(crate) max_chars: usize,
}

impl Kind for BaseUrl {
    type Value = String;
    const REQUIRED: bool = false;

    fn schema(&self) -> Value {
        json!({ "type": "string", "format": "uri", "maxLength": self.max_chars, "default": self.default })
    }

    fn read(&self, name: &str, raw: Option<&Value>, p: &Params<'_>) -> Result<String> {
        let text = read_text(name, raw, self.max_chars, p)?.map_or(self.default, str::trim);
        let bad = |why: Text| {
            // Shown without user info or credential-like query values.
            let shown = crate::redact::url(text);
            p.error(
                name,
                text!(
                    en: format!("\"{shown}\" is not a usable base URL: {}.", why.en),
                    zh: format!("“{shown}”不是可用的接口地址：{}。", why.zh_cn)
                ),
            )
        };
        let url = reqwest::Url::parse(text)
            .map_err(|_| bad(text!(en: "it does not parse as a URL", zh: "无法解析为 URL")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(bad(
                text!(en: "it must start with http:// or https://", zh: "必须以 http:// 或 https:// 开头"),
            ));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(bad(text!(en: "it has no host", zh: "缺少主机名")));
        }
        if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() || url.password().is_some() {
            return Err(bad(text!(
                en: "it must not carry a query, a fragment or credentials",
                zh: "不能包含查询参数、锚点或账号信息"
            )));
        }
        Ok(text.trim_end_matches('/').to_string())
    }
}
