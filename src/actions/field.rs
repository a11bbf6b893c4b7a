//! Fields, each declared once: a [`Field`] constant carries its name, bilingual label and help,
//! `visibleWhen`, and its [`Kind`], which holds the bounds and default and knows the field's
//! JSON Schema and how to read a value into the Rust type it declares. The manifest entry and
//! the typed read both come from that one constant, so a bound cannot be written twice, and a
//! default outside its bounds does not compile ([`Integer::new`] is `const`).
//!
//! ```ignore
//! pub(crate) const TIMEOUT_SECONDS: Field<Integer> = Field {
//!     name: "timeoutSeconds",
//!     label: text!(en: "Timeout (seconds)", zh: "超时（秒）"),
//!     help: text!(en: "...", zh: "..."),
//!     kind: Integer::new(1, 300, 30),
//!     visible_when: None,
//! };
//! let seconds: i64 = TIMEOUT_SECONDS.read(form)?;
//! ```

use std::collections::BTreeMap;

use dingtalk_client::Secret;
use rpa_plugin_abi::manifest::Choice as ChoiceSpec;
use rpa_plugin_abi::{FieldSpec, Text, text, typed};
use serde_json::{Value, json};

use std::sync::Arc;

use super::connect::robot_schema;
use super::media::{self, LocalFile, MediaSpec};
use super::params::Params;
use crate::error::{Error, Result};
use crate::robots::{self, Robot};

/// One input of an action.
pub(crate) struct Field<K> {
    /// The key in the params object, as in the manifest.
    pub(crate) name: &'static str,
    /// The label on the form.
    pub(crate) label: Text,
    /// A sentence or two under the field; also the hint of errors about it.
    pub(crate) help: Text,
    /// What it holds: type, bounds, default.
    pub(crate) kind: K,
    /// Shown only while another field holds one of these values.
    pub(crate) visible_when: Option<(&'static str, &'static [&'static str])>,
}

/// What a field holds: its schema, and how a value is read and checked.
pub(crate) trait Kind {
    /// The Rust type a read gives.
    type Value;
    /// Whether the form refuses to run without it.
    const REQUIRED: bool;
    /// The JSON Schema 2020-12 fragment for the manifest.
    fn schema(&self) -> Value;
    /// Labels of the choices of an `enum` schema.
    fn choices(&self) -> Vec<ChoiceSpec> {
        Vec::new()
    }
    /// Reads the field's value (`None` when absent, `null` or blank).
    fn read(&self, name: &str, raw: Option<&Value>, p: &Params<'_>) -> Result<Self::Value>;
}

/// Any field, for an action's list of fields.
pub(crate) trait Declared: Sync {
    /// The manifest entry.
    fn spec(&self) -> FieldSpec;
}

impl<K: Kind + Sync> Declared for Field<K> {
    fn spec(&self) -> FieldSpec {
        FieldSpec {
            name: self.name.to_string(),
            label: self.label.clone(),
            help: self.help.clone(),
            required: K::REQUIRED,
            schema: self.kind.schema(),
            choices: self.kind.choices(),
            visible_when: self.visible_when.map(|(other, values)| {
                BTreeMap::from([(other.to_string(), values.iter().map(|v| Value::from(*v)).collect())])
            }),
        }
    }
}

impl<K: Kind> Field<K> {
    /// Reads this field from the params, as the Rust type its kind declares. A field the
    /// action does not declare is an internal error (a unit test reads every field).
    pub(crate) fn read(&self, p: &Params<'_>) -> Result<K::Value> {
        if !p.declares(self.name) {
            return Err(Error::Internal(format!("the field `{}` is read but not declared", self.name)));
        }
        self.kind.read(self.name, p.value(self.name), p)
    }
}

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
                text!(en: format!("\"{name}\" contains spaces or line breaks."), zh: format!("“{name}”中含有空格或换行。")),
            ));
        }
        Ok(text)
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

/// A robot handle output by "connect" in this process.
pub(crate) struct RobotHandle;

impl Kind for RobotHandle {
    type Value = Arc<Robot>;
    const REQUIRED: bool = true;

    fn schema(&self) -> Value {
        robot_schema()
    }

    fn read(&self, name: &str, raw: Option<&Value>, p: &Params<'_>) -> Result<Arc<Robot>> {
        robots::lookup(name, raw.ok_or_else(|| p.missing(name))?)
    }
}

/// The robot object every action after "connect" takes, declared once.
pub(crate) const ROBOT: Field<RobotHandle> = Field {
    name: "robot",
    label: text!(en: "Robot object", zh: "钉钉机器人对象"),
    help: text!(
        en: "The robot object output by \"Create DingTalk robot connection\".",
        zh: "“建立钉钉机器人连接”输出的机器人对象。"
    ),
    kind: RobotHandle,
    visible_when: None,
};

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

/// A whole number in `min..=max`, `default` when left empty. The one rule for numbers typed
/// into forms: a JSON integer, a number with no fraction (`30.0`), or text holding a whole
/// number (`" 30 "`) are all accepted; host-sim's form check follows the same rule.
pub(crate) struct Integer {
    min: i64,
    max: i64,
    default: i64,
}

impl Integer {
    /// The bounds and default; a default outside the bounds fails to compile where the
    /// field is declared (`const`).
    pub(crate) const fn new(min: i64, max: i64, default: i64) -> Self {
        assert!(min <= default && default <= max, "the default must lie within the bounds");
        Integer { min, max, default }
    }
}

impl Kind for Integer {
    type Value = i64;
    const REQUIRED: bool = false;

    fn schema(&self) -> Value {
        json!({ "type": "integer", "minimum": self.min, "maximum": self.max, "default": self.default })
    }

    fn read(&self, name: &str, raw: Option<&Value>, p: &Params<'_>) -> Result<i64> {
        Ok(whole_number(name, raw, self.min, self.max, p)?.unwrap_or(self.default))
    }
}

/// A whole number in `min..=max` that may be left empty (`None`), read by [`Integer`]'s rule.
pub(crate) struct OptionalInteger {
    min: i64,
    max: i64,
}

impl OptionalInteger {
    /// The bounds; an empty range fails to compile where the field is declared.
    pub(crate) const fn new(min: i64, max: i64) -> Self {
        assert!(min <= max, "the bounds must not be empty");
        OptionalInteger { min, max }
    }
}

impl Kind for OptionalInteger {
    type Value = Option<i64>;
    const REQUIRED: bool = false;

    fn schema(&self) -> Value {
        json!({ "type": "integer", "minimum": self.min, "maximum": self.max })
    }

    fn read(&self, name: &str, raw: Option<&Value>, p: &Params<'_>) -> Result<Option<i64>> {
        whole_number(name, raw, self.min, self.max, p)
    }
}

/// A number typed into a form (see [`Integer`]), read by the rule hosts share
/// ([`typed::whole_number`]) and checked against its bounds; `None` when left empty.
fn whole_number(name: &str, raw: Option<&Value>, min: i64, max: i64, p: &Params<'_>) -> Result<Option<i64>> {
    let Some(raw) = raw else { return Ok(None) };
    let n = typed::whole_number(raw);
    let Text { en: label_en, zh_cn: label_zh } = p.label(name);
    match n {
        Some(n) if (min..=max).contains(&n) => Ok(Some(n)),
        Some(n) => Err(p.error(
            name,
            text!(
                en: format!("\"{label_en}\" must be between {min} and {max}; got {n}."),
                zh: format!("“{label_zh}”应在 {min} 到 {max} 之间，当前为 {n}。")
            ),
        )),
        None => Err(p.error(
            name,
            text!(
                en: format!("\"{label_en}\" must be a whole number between {min} and {max}."),
                zh: format!("“{label_zh}”应为 {min} 到 {max} 之间的整数。")
            ),
        )),
    }
}

/// One choice of a [`Choice`] field: the value sent, its label, and the Rust value it reads as.
pub(crate) struct Pick<E: 'static> {
    pub(crate) value: &'static str,
    pub(crate) label: Text,
    pub(crate) item: E,
}

/// One of a fixed list of choices, `default` when left empty.
pub(crate) struct Choice<E: 'static> {
    pub(crate) options: &'static [Pick<E>],
    pub(crate) default: E,
}

impl<E: Copy + PartialEq + 'static> Kind for Choice<E> {
    type Value = E;
    // Left out, it is its default.
    const REQUIRED: bool = false;

    fn schema(&self) -> Value {
        let values: Vec<&str> = self.options.iter().map(|o| o.value).collect();
        let default = self.options.iter().find(|o| o.item == self.default).map(|o| o.value);
        let longest = values.iter().map(|v| v.chars().count()).max().unwrap_or(0);
        json!({ "type": "string", "enum": values, "maxLength": longest, "default": default })
    }

    fn choices(&self) -> Vec<ChoiceSpec> {
        self.options.iter().map(|o| ChoiceSpec { value: Value::from(o.value), label: o.label.clone() }).collect()
    }

    fn read(&self, name: &str, raw: Option<&Value>, p: &Params<'_>) -> Result<E> {
        // Exactly one of the values, as a host's form check takes it too.
        let Some(text) = read_text(name, raw, 64, p)? else { return Ok(self.default) };
        self.options.iter().find(|o| o.value == text).map(|o| o.item).ok_or_else(|| {
            let names: Vec<&str> = self.options.iter().map(|o| o.value).collect();
            let shown: String = text.chars().take(40).collect();
            p.error(
                name,
                text!(
                    en: format!("\"{shown}\" is not one of the choices; use {}.", names.join(", ")),
                    zh: format!("“{shown}”不是可选值，可选 {}。", names.join("、"))
                ),
            )
        })
    }
}

/// The most different receivers one send takes, user IDs and resolved mobiles together: sent
/// in batches of [`BATCH_SIZE`].
pub const MAX_RECIPIENTS: usize = 1000;
/// DingTalk's limit on receivers per batchSend.
pub const BATCH_SIZE: usize = 20;
/// The most entries a receiver list may have before duplicates are dropped.
pub const MAX_RECIPIENT_ITEMS: usize = 2 * MAX_RECIPIENTS;
/// The longest receiver text read (bytes): room for the entries above with separators.
pub const MAX_RECIPIENTS_TEXT: usize = 128 * 1024;
/// The longest user ID DingTalk issues.
pub const MAX_USER_ID_LEN: usize = 64;
/// The longest mobile number read (characters, separators included).
pub const MAX_MOBILE_LEN: usize = 24;
/// The longest processQueryKey read (DingTalk's are 44 characters of base64).
pub(crate) const MAX_QUERY_KEY_LEN: usize = 256;
/// The longest security keyword read.
pub(crate) const MAX_KEYWORD_LEN: usize = 32;

/// What a [`Recipients`] list holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Receiver {
    /// DingTalk user IDs (staff IDs): no spaces, at most 64 characters.
    UserId,
    /// Mobile numbers: digits, an optional leading `+` and `-` between groups; spaces and
    /// brackets are dropped and a `+86` prefix is removed from mainland numbers.
    Mobile,
    /// processQueryKeys of sent messages (not receivers, but read the same way).
    QueryKey,
    /// Words (a custom robot's security keywords): any text of at most 32 characters.
    Keyword,
}

impl Receiver {
    /// "User ID #3" / "Mobile number #3".
    fn nth(self, i: usize) -> Text {
        match self {
            Receiver::UserId => text!(en: format!("User ID #{i}"), zh: format!("第 {i} 个用户 ID")),
            Receiver::Mobile => text!(en: format!("Mobile number #{i}"), zh: format!("第 {i} 个手机号")),
            Receiver::QueryKey => {
                text!(en: format!("processQueryKey #{i}"), zh: format!("第 {i} 个 processQueryKey"))
            }
            Receiver::Keyword => text!(en: format!("Keyword #{i}"), zh: format!("第 {i} 个关键词")),
        }
    }

    /// The longest entry.
    fn max_len(self) -> usize {
        match self {
            Receiver::UserId => MAX_USER_ID_LEN,
            Receiver::Mobile => MAX_MOBILE_LEN,
            Receiver::QueryKey => MAX_QUERY_KEY_LEN,
            Receiver::Keyword => MAX_KEYWORD_LEN,
        }
    }

    fn plural(self) -> Text {
        match self {
            Receiver::UserId => text!(en: "user IDs", zh: "用户 ID"),
            Receiver::Mobile => text!(en: "mobile numbers", zh: "手机号"),
            Receiver::QueryKey => text!(en: "processQueryKeys", zh: "processQueryKey"),
            Receiver::Keyword => text!(en: "keywords", zh: "关键词"),
        }
    }
}

/// A list of receivers (user IDs, mobile numbers) or of processQueryKeys, read as people paste
/// them: a JSON list, text holding a JSON list, or text with entries separated by commas,
/// semicolons, `、` or line breaks (and, for IDs and keys, spaces). Blank lines and blank
/// pieces of text are skipped; a blank item of a real list is refused; text that is JSON but
/// not a list of text (an object, a nested list) is refused. Each entry is trimmed and loses
/// invisible characters; duplicates are dropped (order kept); the result has at most `max`
/// entries. Optional lists may be empty; a `REQUIRED` one may not.
///
/// The work is bounded before it starts: text longer than [`MAX_RECIPIENTS_TEXT`] bytes or a
/// list of more than twice `max` entries is refused at once, and duplicates are found with a
/// hash set.
pub(crate) struct Recipients<const REQUIRED: bool = false> {
    pub(crate) of: Receiver,
    /// The most different entries taken.
    pub(crate) max: usize,
    /// What takes them, for messages ("one send").
    pub(crate) per: Text,
}

/// [`Recipients::per`] of a send.
pub(crate) const PER_SEND: Text = text!(en: "one send", zh: "一次发送");

impl<const R: bool> Kind for Recipients<R> {
    type Value = Vec<String>;
    const REQUIRED: bool = R;

    fn schema(&self) -> Value {
        let items = match self.of {
            // An ID never holds a space; the form refuses one as the plugin does.
            Receiver::UserId => {
                json!({ "type": "string", "minLength": 1, "maxLength": MAX_USER_ID_LEN, "pattern": rpa_plugin_abi::manifest::NO_SPACES })
            }
            Receiver::Mobile => json!({ "type": "string", "minLength": 1, "maxLength": MAX_MOBILE_LEN }),
            Receiver::QueryKey => {
                json!({ "type": "string", "minLength": 1, "maxLength": MAX_QUERY_KEY_LEN, "pattern": rpa_plugin_abi::manifest::NO_SPACES })
            }
            Receiver::Keyword => json!({ "type": "string", "minLength": 1, "maxLength": MAX_KEYWORD_LEN }),
        };
        let mut schema = json!({
            "type": ["array", "string"],
            "items": items,
            "maxLength": MAX_RECIPIENTS_TEXT,
            "maxItems": self.max
        });
        if R {
            schema["minItems"] = json!(1);
            schema["minLength"] = json!(1);
        }
        schema
    }

    fn read(&self, name: &str, raw: Option<&Value>, p: &Params<'_>) -> Result<Vec<String>> {
        let list = match raw {
            None => Vec::new(),
            Some(value) => recipients(name, value, self, p)?,
        };
        if R && list.is_empty() {
            return Err(p.missing(name));
        }
        Ok(list)
    }
}

fn recipients<const R: bool>(name: &str, value: &Value, list: &Recipients<R>, p: &Params<'_>) -> Result<Vec<String>> {
    let Recipients { of, max, per } = list;
    let (of, max) = (*of, *max);
    let max_items = 2 * max;
    let bad = |message: Text| p.error(name, message);
    let kind = of.plural();
    let too_many = || {
        bad(text!(
            en: format!("More than {max_items} {} are given; {} takes at most {max}.", kind.en, per.en),
            zh: format!("{}超过 {max_items} 个；{}最多 {max} 个。", kind.zh_cn, per.zh_cn)
        ))
    };
    let not_a_list = |got: Text| {
        bad(text!(
            en: format!("The {} must be a list of text such as [\"a\",\"b\"], not {}.", kind.en, got.en),
            zh: format!("{}应为文本列表，如 [\"a\",\"b\"]，而不是{}。", kind.zh_cn, got.zh_cn)
        ))
    };
    // (entry, from a real list): blanks of a real list are refused, of text skipped.
    let raw: Vec<Value> = match value {
        Value::Array(items) if items.len() > max_items => return Err(too_many()),
        Value::Array(items) => items.clone(),
        Value::String(text) => {
            if text.len() > MAX_RECIPIENTS_TEXT {
                return Err(bad(text!(
                    en: format!("The {} text is {} bytes long; at most {MAX_RECIPIENTS_TEXT} are read.", kind.en, text.len()),
                    zh: format!("{}文本长 {} 字节，最多读取 {MAX_RECIPIENTS_TEXT} 字节。", kind.zh_cn, text.len())
                )));
            }
            let text = &typed::clean(text);
            if text.starts_with('[') || text.starts_with('{') {
                match serde_json::from_str::<Value>(text) {
                    Ok(Value::Array(items)) if items.len() > max_items => return Err(too_many()),
                    Ok(Value::Array(items)) => items,
                    Ok(other) => return Err(not_a_list(typed::kind_of(&other))),
                    Err(_) => {
                        return Err(bad(text!(
                            en: format!(
                                "The {} start with \"{}\" but are not a valid JSON list such as [\"a\",\"b\"].",
                                kind.en,
                                &text[..1]
                            ),
                            zh: format!("{}以“{}”开头，但不是合法的列表，应形如 [\"a\",\"b\"]。", kind.zh_cn, &text[..1])
                        )));
                    }
                }
            } else {
                let mut items: Vec<Value> = Vec::new();
                // IDs and keys never hold a space: split there too, as the host does.
                let split_at_spaces = matches!(of, Receiver::UserId | Receiver::QueryKey);
                for entry in typed::entries(text, split_at_spaces) {
                    if items.len() == max_items {
                        return Err(too_many());
                    }
                    items.push(Value::from(entry));
                }
                items
            }
        }
        other => return Err(not_a_list(typed::kind_of(other))),
    };
    let mut list: Vec<String> = Vec::with_capacity(raw.len().min(max + 1));
    let mut seen = std::collections::HashSet::with_capacity(raw.len());
    for (i, item) in raw.iter().enumerate() {
        // "User ID #3", made only for a message.
        let nth = || of.nth(i + 1);
        let Value::String(entry) = item else {
            let got = typed::kind_of(item);
            return Err(bad(text!(
                en: format!("{} is {}, not text; write each entry in quotes.", nth().en, got.en),
                zh: format!("{}是{}而不是文本，请给每一项加上引号。", nth().zh_cn, got.zh_cn)
            )));
        };
        let entry = typed::clean(entry);
        let entry = entry.as_str();
        if entry.is_empty() {
            return Err(bad(text!(en: format!("{} is blank.", nth().en), zh: format!("{}为空。", nth().zh_cn))));
        }
        let entry = match of {
            Receiver::UserId => user_id(entry, &nth).map_err(bad)?,
            Receiver::Mobile => mobile(entry, &nth).map_err(bad)?,
            Receiver::QueryKey => query_key(entry, &nth).map_err(bad)?,
            Receiver::Keyword if entry.chars().count() > MAX_KEYWORD_LEN => {
                return Err(bad(text!(
                    en: format!("{} is longer than {MAX_KEYWORD_LEN} characters.", nth().en),
                    zh: format!("{}超过 {MAX_KEYWORD_LEN} 个字符。", nth().zh_cn)
                )));
            }
            Receiver::Keyword => entry.to_string(),
        };
        if seen.insert(entry.clone()) {
            list.push(entry);
        }
    }
    if list.len() > max {
        return Err(bad(text!(
            en: format!("{} different {}; {} takes at most {max}.", list.len(), kind.en, per.en),
            zh: format!("共 {} 个不同的{}，{}最多 {max} 个。", list.len(), kind.zh_cn, per.zh_cn)
        )));
    }
    Ok(list)
}

/// A user ID as DingTalk issues them: at most 64 characters, no spaces.
fn user_id(id: &str, nth: &dyn Fn() -> Text) -> std::result::Result<String, Text> {
    if id.chars().count() > MAX_USER_ID_LEN {
        return Err(text!(
            en: format!("{} is longer than {MAX_USER_ID_LEN} characters.", nth().en),
            zh: format!("{}超过 {MAX_USER_ID_LEN} 个字符。", nth().zh_cn)
        ));
    }
    if id.chars().any(char::is_whitespace) {
        let shown = shorten(id);
        return Err(text!(
            en: format!("{} (\"{shown}\") has a space inside; an ID never does.", nth().en),
            zh: format!("{}（“{shown}”）中间有空格，用户 ID 不含空格。", nth().zh_cn)
        ));
    }
    Ok(id.to_string())
}

/// A processQueryKey as DingTalk issues them (base64-like: letters, digits, `+`, `/`, `=`):
/// at most [`MAX_QUERY_KEY_LEN`] characters, no spaces or control characters. Other
/// characters are let through, since DingTalk documents no format.
fn query_key(key: &str, nth: &dyn Fn() -> Text) -> std::result::Result<String, Text> {
    if key.chars().count() > MAX_QUERY_KEY_LEN {
        return Err(text!(
            en: format!("{} is longer than {MAX_QUERY_KEY_LEN} characters.", nth().en),
            zh: format!("{}超过 {MAX_QUERY_KEY_LEN} 个字符。", nth().zh_cn)
        ));
    }
    if key.chars().any(|c| c.is_whitespace() || c.is_control()) {
        let shown = shorten(key);
        return Err(text!(
            en: format!("{} (\"{shown}\") has a space or a control character inside; a key never does.", nth().en),
            zh: format!("{}（“{shown}”）中含有空格或控制字符，processQueryKey 不含这些字符。", nth().zh_cn)
        ));
    }
    Ok(key.to_string())
}

/// A mobile number as getbymobile takes it: spaces and brackets dropped, `+86` removed from
/// an 11-digit mainland number; digits with an optional leading `+` and `-` between groups,
/// 5 to 20 digits.
fn mobile(typed: &str, nth: &dyn Fn() -> Text) -> std::result::Result<String, Text> {
    let shown = shorten(typed);
    let compact: String = typed.chars().filter(|c| !c.is_whitespace() && !"()（）".contains(*c)).collect();
    let rest = compact.strip_prefix('+').unwrap_or(&compact);
    let digits = rest.chars().filter(char::is_ascii_digit).count();
    let well_formed = compact.chars().count() <= MAX_MOBILE_LEN
        && rest.chars().all(|c| c.is_ascii_digit() || c == '-')
        && !rest.starts_with('-')
        && !rest.ends_with('-')
        && !rest.contains("--")
        && (5..=20).contains(&digits);
    if !well_formed {
        return Err(text!(
            en: format!("{} (\"{shown}\") is not a mobile number: use digits, as 13800138000 or +852-61234567.", nth().en),
            zh: format!("{}（“{shown}”）不是手机号：请只填数字，如 13800138000 或 +852-61234567。", nth().zh_cn)
        ));
    }
    let mainland = compact.strip_prefix("+86").map(|m| m.trim_start_matches('-').replace('-', ""));
    match mainland {
        Some(m) if m.len() == 11 && m.starts_with('1') => Ok(m),
        _ if compact.starts_with('+') => Ok(compact),
        _ => Ok(compact.replace('-', "")),
    }
}

fn shorten(s: &str) -> String {
    if s.chars().count() > 80 { format!("{}…", s.chars().take(80).collect::<String>()) } else { s.to_string() }
}

/// The longest link (button, link message) accepted.
pub(crate) const MAX_LINK_CHARS: usize = 2048;

/// A link a message opens: http(s) with a host (sent as the parsed URL, so spaces and the
/// like are percent-encoded), or DingTalk's own `dingtalk://` links (sent as typed), which
/// open a page inside DingTalk or in the system browser.
pub(crate) struct WebLink;

impl Kind for WebLink {
    type Value = String;
    const REQUIRED: bool = true;

    fn schema(&self) -> Value {
        json!({ "type": "string", "format": "uri", "minLength": 1, "maxLength": MAX_LINK_CHARS })
    }

    fn read(&self, name: &str, raw: Option<&Value>, p: &Params<'_>) -> Result<String> {
        let text = read_text(name, raw, MAX_LINK_CHARS, p)?.ok_or_else(|| p.missing(name))?;
        link(text.trim()).ok_or_else(|| {
            let shown = crate::redact::url(text.trim());
            p.error(
                name,
                text!(
                    en: format!("\"{shown}\" is not a web link: it must start with https:// or http:// (or dingtalk://)."),
                    zh: format!("“{shown}”不是网页链接：应以 https:// 或 http://（或 dingtalk://）开头。")
                ),
            )
        })
    }
}

/// `text` as a link a message may open, or `None`.
pub(crate) fn link(text: &str) -> Option<String> {
    let url = reqwest::Url::parse(text).ok()?;
    match url.scheme() {
        "http" | "https" if url.host_str().is_some_and(|h| !h.is_empty()) => Some(url.to_string()),
        "dingtalk" if text.len() > "dingtalk://".len() => Some(text.to_string()),
        _ => None,
    }
}

/// `text` as an http(s) image URL, or `None`.
pub(crate) fn web_url(text: &str) -> Option<String> {
    let url = reqwest::Url::parse(text).ok()?;
    (matches!(url.scheme(), "http" | "https") && url.host_str().is_some_and(|h| !h.is_empty())).then(|| url.to_string())
}

/// A picture: an http(s) URL DingTalk fetches, or a local image file to upload.
pub(crate) enum ImageRef {
    /// An online picture.
    Url(String),
    /// A local picture, read and checked.
    File(LocalFile),
}

impl ImageRef {
    /// Reads `text` (the value of field `name`) as a picture URL or a local image path.
    pub(crate) fn parse(name: &str, text: &str, p: &Params<'_>) -> Result<ImageRef> {
        let text = text.trim();
        if media::is_path(text) {
            return media::load(p, name, text, &media::IMAGE).map(ImageRef::File);
        }
        web_url(text).map(ImageRef::Url).ok_or_else(|| {
            let shown = crate::redact::url(text);
            p.error_with_hint(
                name,
                text!(
                    en: format!("\"{shown}\" is neither an http(s) image URL nor a local file path."),
                    zh: format!("“{shown}”既不是 http(s) 图片链接，也不是本地文件路径。")
                ),
                text!(
                    en: "Give an online image such as https://example.com/chart.png, or the path of a jpg, png, gif or bmp file on this machine.",
                    zh: "请填写网络图片地址，如 https://example.com/chart.png，或本机上 jpg、png、gif、bmp 图片的路径。"
                ),
            )
        })
    }
}

/// The longest file path read.
pub(crate) const MAX_PATH_CHARS: usize = 4096;

/// An optional picture: an http(s) URL or a local image file (uploaded as `image`).
pub(crate) struct Picture;

impl Kind for Picture {
    type Value = Option<ImageRef>;
    const REQUIRED: bool = false;

    fn schema(&self) -> Value {
        json!({ "type": "string", "maxLength": MAX_PATH_CHARS, "x-rpa-file": file_hint(&media::IMAGE) })
    }

    fn read(&self, name: &str, raw: Option<&Value>, p: &Params<'_>) -> Result<Option<ImageRef>> {
        read_text(name, raw, MAX_PATH_CHARS, p)?.map(|t| ImageRef::parse(name, t, p)).transpose()
    }
}

/// A local file of one upload type, read and checked when the action is prepared.
pub(crate) struct LocalFilePath {
    pub(crate) spec: &'static MediaSpec,
}

impl Kind for LocalFilePath {
    type Value = LocalFile;
    const REQUIRED: bool = true;

    fn schema(&self) -> Value {
        json!({ "type": "string", "minLength": 1, "maxLength": MAX_PATH_CHARS, "x-rpa-file": file_hint(self.spec) })
    }

    fn read(&self, name: &str, raw: Option<&Value>, p: &Params<'_>) -> Result<LocalFile> {
        let text = read_text(name, raw, MAX_PATH_CHARS, p)?.ok_or_else(|| p.missing(name))?;
        media::load(p, name, text, self.spec)
    }
}

/// What a designer's file picker may filter on: the extensions and the size limit.
pub(crate) fn file_hint(spec: &MediaSpec) -> Value {
    json!({ "extensions": spec.types, "maxBytes": spec.max_bytes })
}

/// One button of an action card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Button {
    /// Its caption.
    pub(crate) title: String,
    /// The link it opens.
    pub(crate) url: String,
}

/// The most buttons a card has (DingTalk's templates: `sampleActionCard` to `sampleActionCard5`).
pub(crate) const MAX_BUTTONS: usize = 5;
/// The longest button caption accepted (DingTalk documents none; a card shows a few words).
pub(crate) const MAX_BUTTON_TITLE_CHARS: usize = 64;
/// The longest button list text read.
const MAX_BUTTONS_TEXT: usize = 16 * 1024;

/// Buttons of an action card: a list of `{"title": "...", "url": "..."}`, 1 to 5, or the same
/// as JSON text (a single object is one button).
pub(crate) struct Buttons;

/// The buttons' words in messages.
const BUTTON_ITEMS: Items = Items {
    noun: text!(en: "Button", zh: "按钮"),
    keys: &["title", "url"],
    max: MAX_BUTTONS,
    max_text: MAX_BUTTONS_TEXT,
    example: text!(
        en: "Buttons must be a list such as [{\"title\": \"Open\", \"url\": \"https://example.com\"}].",
        zh: "按钮应为列表，如 [{\"title\": \"查看\", \"url\": \"https://example.com\"}]。"
    ),
    whole: text!(en: "An action card", zh: "卡片"),
};

impl Kind for Buttons {
    type Value = Vec<Button>;
    const REQUIRED: bool = true;

    fn schema(&self) -> Value {
        BUTTON_ITEMS.schema(&[("title", MAX_BUTTON_TITLE_CHARS), ("url", MAX_LINK_CHARS)])
    }

    fn read(&self, name: &str, raw: Option<&Value>, p: &Params<'_>) -> Result<Vec<Button>> {
        let items = BUTTON_ITEMS.read(name, raw, p)?;
        let mut buttons = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let title = BUTTON_ITEMS.text(name, i + 1, item, "title", MAX_BUTTON_TITLE_CHARS, p)?;
            let url = BUTTON_ITEMS.link(name, i + 1, item, "url", link, p)?;
            buttons.push(Button { title, url });
        }
        Ok(buttons)
    }
}

/// A list of small objects typed into a form (buttons, feed links): a JSON list of objects
/// with exactly `keys`, or the same as JSON text; a single object is one item.
pub(crate) struct Items {
    /// What one item is called ("Button").
    pub(crate) noun: Text,
    /// Its keys, each text.
    pub(crate) keys: &'static [&'static str],
    /// The most items.
    pub(crate) max: usize,
    /// The longest JSON text read.
    pub(crate) max_text: usize,
    /// The list's shape, as an example.
    pub(crate) example: Text,
    /// What holds the items ("An action card"), for the count message.
    pub(crate) whole: Text,
}

impl Items {
    /// The schema: a list (or JSON text) of objects with these text keys and lengths.
    pub(crate) fn schema(&self, keys: &[(&str, usize)]) -> Value {
        let properties: serde_json::Map<String, Value> = keys
            .iter()
            .map(|(k, max)| (k.to_string(), json!({ "type": "string", "minLength": 1, "maxLength": max })))
            .collect();
        json!({
            "type": ["array", "string"],
            "items": { "type": "object", "properties": properties, "required": self.keys, "additionalProperties": false },
            "minItems": 1,
            "maxItems": self.max,
            "maxLength": self.max_text
        })
    }

    /// The items, each an object with no key but `keys`, 1 to `max` of them.
    pub(crate) fn read(
        &self,
        name: &str,
        raw: Option<&Value>,
        p: &Params<'_>,
    ) -> Result<Vec<serde_json::Map<String, Value>>> {
        let raw = raw.ok_or_else(|| p.missing(name))?;
        let shape = || p.error(name, self.example.clone());
        let parsed;
        let value = match raw {
            Value::String(text) => {
                p.check_length(name, text, self.max_text)?;
                parsed = serde_json::from_str::<Value>(text.trim()).map_err(|_| shape())?;
                &parsed
            }
            other => other,
        };
        let items: Vec<&Value> = match value {
            Value::Array(items) => items.iter().collect(),
            Value::Object(_) => vec![value],
            _ => return Err(shape()),
        };
        let (noun, whole, max) = (&self.noun, &self.whole, self.max);
        if items.is_empty() || items.len() > max {
            let got = items.len();
            return Err(p.error(
                name,
                text!(
                    en: format!("{} has 1 to {max} {}s; got {got}.", whole.en, noun.en.to_lowercase()),
                    zh: format!("{}{}应为 1 到 {max} 个，当前为 {got} 个。", whole.zh_cn, noun.zh_cn)
                ),
            ));
        }
        let keys = self.keys.iter().map(|k| format!("\"{k}\"")).collect::<Vec<_>>();
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.into_iter().enumerate() {
            let n = i + 1;
            let Value::Object(fields) = item else { return Err(shape()) };
            if let Some(other) = fields.keys().find(|k| !self.keys.contains(&k.as_str())) {
                let other = shorten(other);
                return Err(p.error(
                    name,
                    text!(
                        en: format!("{} #{n} has \"{other}\"; a {} has exactly {}.", noun.en, noun.en.to_lowercase(), keys.join(" and ")),
                        zh: format!("第 {n} 个{}含有“{other}”；{}只有 {} 这几项。", noun.zh_cn, noun.zh_cn, keys.join("、"))
                    ),
                ));
            }
            out.push(fields.clone());
        }
        Ok(out)
    }

    /// Item `n`'s text under `key`, trimmed, at most `max_chars`.
    pub(crate) fn text(
        &self,
        name: &str,
        n: usize,
        item: &serde_json::Map<String, Value>,
        key: &str,
        max_chars: usize,
        p: &Params<'_>,
    ) -> Result<String> {
        let noun = &self.noun;
        let Some(value) = item.get(key).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()) else {
            return Err(p.error(
                name,
                text!(en: format!("{} #{n} has no \"{key}\" text.", noun.en), zh: format!("第 {n} 个{}缺少 \"{key}\" 文本。", noun.zh_cn)),
            ));
        };
        if value.chars().count() > max_chars {
            return Err(p.error(
                name,
                text!(
                    en: format!("The {key} of {} #{n} is longer than {max_chars} characters.", noun.en.to_lowercase()),
                    zh: format!("第 {n} 个{}的 {key} 超过 {max_chars} 个字符。", noun.zh_cn)
                ),
            ));
        }
        Ok(value.to_string())
    }

    /// Item `n`'s link under `key`, as `check` accepts it (a web link, an image URL).
    pub(crate) fn link(
        &self,
        name: &str,
        n: usize,
        item: &serde_json::Map<String, Value>,
        key: &str,
        check: fn(&str) -> Option<String>,
        p: &Params<'_>,
    ) -> Result<String> {
        let text = self.text(name, n, item, key, MAX_LINK_CHARS, p)?;
        check(&text).ok_or_else(|| {
            let shown = crate::redact::url(&shorten(&text));
            let noun = &self.noun;
            p.error(
                name,
                text!(
                    en: format!(
                        "The {key} of {} #{n} (\"{shown}\") is not a web link: it must start with https:// or http://{}.",
                        noun.en.to_lowercase(),
                        if key == "url" { " (or dingtalk://)" } else { "" }
                    ),
                    zh: format!(
                        "第 {n} 个{}的 {key}（“{shown}”）不是网页链接：应以 https:// 或 http://{}开头。",
                        noun.zh_cn,
                        if key == "url" { "（或 dingtalk://）" } else { "" }
                    )
                ),
            )
        })
    }
}

/// A list of text read by the receiver-list rules ([`Recipients`]) that holds at most `max`
/// entries: the people a message mentions, a robot's keywords.
pub(crate) struct ShortList {
    pub(crate) of: Receiver,
    pub(crate) max: usize,
}

impl ShortList {
    /// The list read by the receiver-list rules, with their bounds; the entries past `max` are
    /// refused afterwards, in this list's words.
    fn all(&self) -> Recipients {
        Recipients { of: self.of, max: MAX_RECIPIENTS, per: PER_SEND }
    }
}

impl Kind for ShortList {
    type Value = Vec<String>;
    const REQUIRED: bool = false;

    fn schema(&self) -> Value {
        let mut schema = self.all().schema();
        schema["maxItems"] = json!(self.max);
        schema["maxLength"] = json!(self.max * (self.of.max_len() + 4) + 16);
        schema
    }

    fn read(&self, name: &str, raw: Option<&Value>, p: &Params<'_>) -> Result<Vec<String>> {
        let list = self.all().read(name, raw, p)?;
        if list.len() > self.max {
            let (kind, max, got) = (self.of.plural(), self.max, list.len());
            return Err(p.error(
                name,
                text!(
                    en: format!("{got} different {} are given; at most {max} are taken.", kind.en),
                    zh: format!("共 {got} 个不同的{}，最多 {max} 个。", kind.zh_cn)
                ),
            ));
        }
        Ok(list)
    }
}

/// Yes or no: `true`/`false`, or the same as text; `default` when left empty.
pub(crate) struct Flag {
    pub(crate) default: bool,
}

impl Kind for Flag {
    type Value = bool;
    const REQUIRED: bool = false;

    fn schema(&self) -> Value {
        json!({ "type": "boolean", "default": self.default })
    }

    fn read(&self, name: &str, raw: Option<&Value>, p: &Params<'_>) -> Result<bool> {
        match raw {
            None => Ok(self.default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(Value::String(s)) if s.trim().eq_ignore_ascii_case("true") => Ok(true),
            Some(Value::String(s)) if s.trim().eq_ignore_ascii_case("false") => Ok(false),
            Some(other) => {
                let (label, got) = (p.label(name), typed::kind_of(other));
                Err(p.error(
                    name,
                    text!(
                        en: format!("\"{}\" must be true or false, not {}.", label.en, got.en),
                        zh: format!("“{}”应为 true 或 false，而不是{}。", label.zh_cn, got.zh_cn)
                    ),
                ))
            }
        }
    }
}

/// An optional online picture: an http(s) URL DingTalk fetches (nothing is uploaded).
pub(crate) struct WebPicture;

impl Kind for WebPicture {
    type Value = Option<String>;
    const REQUIRED: bool = false;

    fn schema(&self) -> Value {
        json!({ "type": "string", "format": "uri", "maxLength": MAX_LINK_CHARS })
    }

    fn read(&self, name: &str, raw: Option<&Value>, p: &Params<'_>) -> Result<Option<String>> {
        let Some(text) = read_text(name, raw, MAX_LINK_CHARS, p)? else { return Ok(None) };
        web_url(text.trim()).map(Some).ok_or_else(|| {
            let shown = crate::redact::url(text.trim());
            p.error(
                name,
                text!(
                    en: format!("\"{shown}\" is not an http(s) image URL; a custom robot cannot upload a local picture."),
                    zh: format!("“{shown}”不是 http(s) 图片链接；自定义机器人无法上传本地图片。")
                ),
            )
        })
    }
}

/// A string read as text: the wrong type and over-long text are refused.
fn read_text<'v>(name: &str, raw: Option<&'v Value>, max_chars: usize, p: &Params<'_>) -> Result<Option<&'v str>> {
    match raw {
        None => Ok(None),
        Some(Value::String(s)) => {
            p.check_length(name, s, max_chars)?;
            Ok(Some(s))
        }
        Some(other) => {
            let (label, got) = (p.label(name), typed::kind_of(other));
            Err(p.error(
                name,
                text!(
                    en: format!("\"{}\" must be text, not {}.", label.en, got.en),
                    zh: format!("“{}”应为文本，而不是{}。", label.zh_cn, got.zh_cn)
                ),
            ))
        }
    }
}

/// An output of an action: what it hands to later steps.
pub(crate) struct Output {
    /// The key in the outputs object.
    pub(crate) name: &'static str,
    /// Its label where a designer lists variables.
    pub(crate) label: Text,
    /// What it holds.
    pub(crate) help: Text,
    /// Its JSON Schema.
    pub(crate) schema: fn() -> Value,
}

impl Output {
    /// An output holding one text (a key, a status). `label` names it in a few words; `help`
    /// says what it holds.
    pub(crate) const fn text(name: &'static str, label: Text, help: Text) -> Output {
        Output { name, label, help, schema: string }
    }

    /// An output holding a list of IDs or keys.
    pub(crate) const fn list(name: &'static str, label: Text, help: Text) -> Output {
        Output { name, label, help, schema: string_list }
    }

    /// An output holding an object of text values (key -> text).
    pub(crate) const fn map(name: &'static str, label: Text, help: Text) -> Output {
        Output { name, label, help, schema: string_map }
    }

    /// The manifest entry.
    pub(crate) fn spec(&self) -> FieldSpec {
        FieldSpec {
            name: self.name.to_string(),
            label: self.label.clone(),
            help: self.help.clone(),
            required: false,
            schema: (self.schema)(),
            choices: Vec::new(),
            visible_when: None,
        }
    }
}

/// The schema of a list of IDs or keys.
fn string_list() -> Value {
    json!({ "type": "array", "items": { "type": "string" } })
}

/// The schema of an object of text values (key -> text).
fn string_map() -> Value {
    json!({ "type": "object", "additionalProperties": { "type": "string" } })
}

/// The schema of a single string.
fn string() -> Value {
    json!({ "type": "string" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_choice_schema_lists_values_default_and_labels() {
        #[derive(Clone, Copy, PartialEq, Debug)]
        enum Ab {
            A,
            B,
        }
        const OPTIONS: [Pick<Ab>; 2] = [
            Pick { value: "a", label: text!(en: "A", zh: "甲"), item: Ab::A },
            Pick { value: "b", label: text!(en: "B", zh: "乙"), item: Ab::B },
        ];
        let kind = Choice { options: &OPTIONS, default: Ab::B };
        assert_eq!(kind.schema(), json!({ "type": "string", "enum": ["a", "b"], "maxLength": 1, "default": "b" }));
        assert_eq!(kind.choices()[0].label.zh_cn, "甲");
    }
}
