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

use rpa_plugin_abi::manifest::Choice as ChoiceSpec;
use rpa_plugin_abi::{FieldSpec, Text, text};
use serde_json::{Value, json};

use super::params::{Params, type_name};
use crate::error::{Error, Result};
use crate::secret::Secret;

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

/// Text the user must fill in: at most `max_chars`, trimmed unless `keep_spaces`.
pub(crate) struct RequiredText {
    pub(crate) max_chars: usize,
    /// No whitespace inside (credentials: a copy-paste slip).
    pub(crate) no_inner_space: bool,
    /// Kept as typed (message content), else trimmed.
    pub(crate) keep_spaces: bool,
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
        let inner = RequiredText { max_chars: self.max_chars, no_inner_space: true, keep_spaces: false };
        inner.read(name, raw, p).map(Secret::new)
    }
}

/// Text that may be left empty; trimmed.
pub(crate) struct OptionalText {
    pub(crate) max_chars: usize,
}

impl Kind for OptionalText {
    type Value = Option<String>;
    const REQUIRED: bool = false;

    fn schema(&self) -> Value {
        json!({ "type": "string", "maxLength": self.max_chars })
    }

    fn read(&self, name: &str, raw: Option<&Value>, p: &Params<'_>) -> Result<Option<String>> {
        Ok(read_text(name, raw, self.max_chars, p)?.map(|t| t.trim().to_string()))
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
        let bad = |en: &str, zh: &str| {
            // Shown without user info or credential-like query values.
            let shown = crate::redact::url(text);
            p.error(
                name,
                text!(
                    en: format!("\"{shown}\" is not a usable base URL: {en}."),
                    zh: format!("“{shown}”不是可用的接口地址：{zh}。")
                ),
            )
        };
        let url = reqwest::Url::parse(text).map_err(|_| bad("it does not parse as a URL", "无法解析为 URL"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(bad("it must start with http:// or https://", "必须以 http:// 或 https:// 开头"));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(bad("it has no host", "缺少主机名"));
        }
        if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() || url.password().is_some() {
            return Err(bad(
                "it must not carry a query, a fragment or credentials",
                "不能包含查询参数、锚点或账号信息",
            ));
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
        let (min, max) = (self.min, self.max);
        let n = match raw {
            None => return Ok(self.default),
            Some(Value::Number(n)) => {
                n.as_i64().or_else(|| n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9e15).map(|f| f as i64))
            }
            Some(Value::String(s)) => s.trim().parse::<i64>().ok(),
            Some(_) => None,
        };
        let label = p.label(name);
        let (label_en, label_zh) = (&label.en, &label.zh_cn);
        match n {
            Some(n) if (min..=max).contains(&n) => Ok(n),
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
    const REQUIRED: bool = true;

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

/// A string read as text: the wrong type and over-long text are refused.
fn read_text<'v>(name: &str, raw: Option<&'v Value>, max_chars: usize, p: &Params<'_>) -> Result<Option<&'v str>> {
    match raw {
        None => Ok(None),
        Some(Value::String(s)) => {
            p.check_length(name, s, max_chars)?;
            Ok(Some(s))
        }
        Some(other) => {
            let (label, got) = (p.label(name), type_name(other));
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

/// The schema of a list of IDs or keys, for outputs.
pub(crate) fn string_list() -> Value {
    json!({ "type": "array", "items": { "type": "string" } })
}

/// The schema of a single string, for outputs.
pub(crate) fn string() -> Value {
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
