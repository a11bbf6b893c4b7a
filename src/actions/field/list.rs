//! Lists people type or paste: receivers, processQueryKeys, keywords, buttons and other
//! lists of objects.

use rpa_plugin_abi::{Text, text, typed};
use serde_json::{Value, json};

use super::*;
use crate::actions::params::Params;
use crate::error::Result;

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
/// The longest choice label (an ask's button or link).
pub(crate) const MAX_LABEL_LEN: usize = 20;

/// What the entries of an [`EntryList`] are: the receivers of a message (user IDs, mobile
/// numbers), or other lists people paste the same way (processQueryKeys, keywords).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Entry {
    /// DingTalk user IDs (staff IDs): no spaces, at most 64 characters.
    UserId,
    /// Mobile numbers: digits, an optional leading `+` and `-` between groups; spaces and
    /// brackets are dropped and a `+86` prefix is removed from mainland numbers.
    Mobile,
    /// processQueryKeys of sent messages.
    QueryKey,
    /// Words (a custom robot's security keywords): any text of at most 32 characters.
    Keyword,
    /// Choice labels (an ask's answers): text of at most 20 characters, no two the same once
    /// [`fold`]ed (a duplicate is refused, not dropped: a person could not tell them apart).
    Label,
}

/// A label or a reply as an ask compares them: full-width ASCII forms (U+FF01 to U+FF5E) as
/// their half-width ones and the ideographic space as a space, then trimmed and lower-cased,
/// so that "ＹＥＳ " and "yes" are the same answer.
pub(crate) fn fold(text: &str) -> String {
    let half: String = text
        .chars()
        .map(|c| match c {
            '\u{3000}' => ' ',
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            c => c,
        })
        .collect();
    half.trim().to_lowercase()
}

impl Entry {
    /// "User ID #3" / "Mobile number #3".
    fn nth(self, i: usize) -> Text {
        match self {
            Entry::UserId => text!(en: format!("User ID #{i}"), zh: format!("第 {i} 个用户 ID")),
            Entry::Mobile => text!(en: format!("Mobile number #{i}"), zh: format!("第 {i} 个手机号")),
            Entry::QueryKey => {
                text!(en: format!("processQueryKey #{i}"), zh: format!("第 {i} 个 processQueryKey"))
            }
            Entry::Keyword => text!(en: format!("Keyword #{i}"), zh: format!("第 {i} 个关键词")),
            Entry::Label => text!(en: format!("Choice #{i}"), zh: format!("第 {i} 个选项")),
        }
    }

    /// The longest entry.
    fn max_len(self) -> usize {
        match self {
            Entry::UserId => MAX_USER_ID_LEN,
            Entry::Mobile => MAX_MOBILE_LEN,
            Entry::QueryKey => MAX_QUERY_KEY_LEN,
            Entry::Keyword => MAX_KEYWORD_LEN,
            Entry::Label => MAX_LABEL_LEN,
        }
    }

    fn plural(self) -> Text {
        match self {
            Entry::UserId => text!(en: "user IDs", zh: "用户 ID"),
            Entry::Mobile => text!(en: "mobile numbers", zh: "手机号"),
            Entry::QueryKey => text!(en: "processQueryKeys", zh: "processQueryKey"),
            Entry::Keyword => text!(en: "keywords", zh: "关键词"),
            Entry::Label => text!(en: "choices", zh: "选项"),
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
pub(crate) struct EntryList<const REQUIRED: bool = false> {
    pub(crate) of: Entry,
    /// The most different entries taken.
    pub(crate) max: usize,
    /// What takes them, for messages ("one send").
    pub(crate) per: Text,
}

/// [`EntryList::per`] of a send.
pub(crate) const PER_SEND: Text = text!(en: "one send", zh: "一次发送");

impl<const R: bool> Kind for EntryList<R> {
    type Value = Vec<String>;
    const REQUIRED: bool = R;

    fn schema(&self) -> Value {
        let items = match self.of {
            // An ID never holds a space; the form refuses one as the plugin does.
            Entry::UserId => {
                json!({ "type": "string", "minLength": 1, "maxLength": MAX_USER_ID_LEN, "pattern": rpa_plugin_abi::manifest::NO_SPACES })
            }
            Entry::Mobile => json!({ "type": "string", "minLength": 1, "maxLength": MAX_MOBILE_LEN }),
            Entry::QueryKey => {
                json!({ "type": "string", "minLength": 1, "maxLength": MAX_QUERY_KEY_LEN, "pattern": rpa_plugin_abi::manifest::NO_SPACES })
            }
            Entry::Keyword => json!({ "type": "string", "minLength": 1, "maxLength": MAX_KEYWORD_LEN }),
            Entry::Label => json!({ "type": "string", "minLength": 1, "maxLength": MAX_LABEL_LEN }),
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

fn recipients<const R: bool>(name: &str, value: &Value, list: &EntryList<R>, p: &Params<'_>) -> Result<Vec<String>> {
    let EntryList { of, max, per } = list;
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
                let split_at_spaces = matches!(of, Entry::UserId | Entry::QueryKey);
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
            Entry::UserId => user_id(entry, &nth).map_err(bad)?,
            Entry::Mobile => mobile(entry, &nth).map_err(bad)?,
            Entry::QueryKey => query_key(entry, &nth).map_err(bad)?,
            Entry::Keyword if entry.chars().count() > MAX_KEYWORD_LEN => {
                return Err(bad(text!(
                    en: format!("{} is longer than {MAX_KEYWORD_LEN} characters.", nth().en),
                    zh: format!("{}超过 {MAX_KEYWORD_LEN} 个字符。", nth().zh_cn)
                )));
            }
            Entry::Keyword => entry.to_string(),
            Entry::Label if entry.chars().count() > MAX_LABEL_LEN => {
                return Err(bad(text!(
                    en: format!("{} (\"{}\") is longer than {MAX_LABEL_LEN} characters.", nth().en, shorten(entry)),
                    zh: format!("{}（“{}”）超过 {MAX_LABEL_LEN} 个字符。", nth().zh_cn, shorten(entry))
                )));
            }
            Entry::Label => {
                if let Some(same) = list.iter().position(|l| fold(l) == fold(entry)) {
                    let (first, shown) = (same + 1, shorten(entry));
                    return Err(bad(text!(
                        en: format!("{} (\"{shown}\") is the same as choice #{first}: letter case, spaces around and full-width forms do not tell answers apart.", nth().en),
                        zh: format!("{}（“{shown}”）与第 {first} 个选项相同：大小写、首尾空格和全角半角不区分答案。", nth().zh_cn)
                    )));
                }
                entry.to_string()
            }
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

/// A list of text read by the receiver-list rules ([`EntryList`]) that holds at most `max`
/// entries: the people a message mentions, a robot's keywords.
pub(crate) struct ShortList {
    pub(crate) of: Entry,
    pub(crate) max: usize,
}

impl ShortList {
    /// The list read by the receiver-list rules, with their bounds; the entries past `max` are
    /// refused afterwards, in this list's words.
    fn all(&self) -> EntryList {
        EntryList { of: self.of, max: MAX_RECIPIENTS, per: PER_SEND }
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
