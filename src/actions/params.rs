//! [`Params`]: reading one action's inputs, with the user-facing error for every way a value
//! can be wrong. Messages name the field by its label in both languages.

use std::collections::BTreeMap;

use rpa_plugin_abi::ActionSpec;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::error::{Error, Result, Words};

/// The most JSON one field's value may take (a 20,000-character content, every character
/// escaped, fits); a larger value is refused before it is parsed.
pub const MAX_FIELD_JSON_BYTES: usize = 256 * 1024;

/// The inputs of one call, checked against the action's fields.
pub struct Params<'a> {
    map: Map<String, Value>,
    spec: &'a ActionSpec,
    cancelled: Option<&'a (dyn Fn() -> bool + 'a)>,
}

impl<'a> Params<'a> {
    /// Parses the params document: it must be a JSON object whose keys are all fields of
    /// the action (a misspelt name is refused, not ignored).
    pub fn parse(json: &str, spec: &'a ActionSpec) -> Result<Self> {
        // First as raw JSON per field, so that a huge value is refused by its size, naming its
        // field, before any work is done on it.
        let raw: BTreeMap<String, Box<RawValue>> = match serde_json::from_str(json) {
            Ok(raw) => raw,
            Err(e) => {
                let value: Value = serde_json::from_str(json).map_err(|e| Error::InvalidParams(e.to_string()))?;
                return Err(Error::InvalidParams(match value {
                    Value::Object(_) => e.to_string(),
                    other => format!("got {}", type_name(&other).0),
                }));
            }
        };
        if let Some((name, value)) = raw.iter().find(|(_, v)| v.get().len() > MAX_FIELD_JSON_BYTES) {
            let bytes = value.get().len();
            return Err(Error::input(
                name,
                Words::new(
                    format!("The value of `{name}` is {bytes} bytes long; at most {MAX_FIELD_JSON_BYTES} are read."),
                    format!("`{name}` 的值长 {bytes} 字节，最多读取 {MAX_FIELD_JSON_BYTES} 字节。"),
                    "Shorten it; no field of this action needs that much.",
                    "请缩短该值；本动作的字段都不需要这么长的内容。",
                ),
            ));
        }
        let mut map = Map::new();
        for (name, value) in raw {
            let value: Value = serde_json::from_str(value.get()).map_err(|e| Error::InvalidParams(e.to_string()))?;
            map.insert(name, value);
        }
        if let Some(unknown) = map.keys().find(|k| spec.input(k).is_none()) {
            let names: Vec<&str> = spec.inputs.all().map(|f| f.name.as_str()).collect();
            let close = names.iter().find(|n| n.eq_ignore_ascii_case(unknown.trim()));
            let (hint_en, hint_zh) = match close {
                Some(n) => (format!("Did you mean `{n}`?"), format!("是否应为 `{n}`？")),
                None => (format!("Known fields: {}.", names.join(", ")), format!("可用字段：{}。", names.join("、"))),
            };
            return Err(Error::input(
                unknown,
                Words::new(
                    format!("`{unknown}` is not a field of this action."),
                    format!("`{unknown}` 不是该动作的字段。"),
                    hint_en,
                    hint_zh,
                ),
            ));
        }
        Ok(Params { map, spec, cancelled: None })
    }

    /// Lets long input checks (reading a file) stop when `cancelled` says the user stopped
    /// the flow.
    pub fn with_cancel(mut self, cancelled: &'a (dyn Fn() -> bool + 'a)) -> Self {
        self.cancelled = Some(cancelled);
        self
    }

    /// Fails with [`Error::Cancelled`] when the host's flag is set: called during checks that
    /// can take long.
    pub fn check_cancelled(&self) -> Result<()> {
        match self.cancelled {
            Some(cancelled) if cancelled() => Err(Error::Cancelled { send_in_flight: false }),
            _ => Ok(()),
        }
    }

    /// The field's (zh-CN, en) label, for messages.
    fn label(&self, name: &str) -> (String, String) {
        match self.spec.input(name) {
            Some(f) => (f.label.zh_cn.to_string(), f.label.en.to_string()),
            None => (name.to_string(), name.to_string()),
        }
    }

    /// The field's help text, as the hint of errors about it.
    fn help(&self, name: &str) -> (String, String) {
        match self.spec.input(name) {
            Some(f) => (f.help.zh_cn.to_string(), f.help.en.to_string()),
            None => (String::new(), String::new()),
        }
    }

    /// An error about `name`: `en`/`zh` say what is wrong; the hint is the field's help.
    pub fn error(&self, name: &str, en: impl Into<String>, zh: impl Into<String>) -> Error {
        let (help_zh, help_en) = self.help(name);
        Error::input(name, Words::new(en, zh, help_en, help_zh))
    }

    /// An error about `name` with its own hint.
    pub fn error_with_hint(&self, name: &str, en: String, zh: String, hint_en: &str, hint_zh: &str) -> Error {
        Error::input(name, Words::new(en, zh, hint_en, hint_zh))
    }

    /// The raw value, or `None` when absent, `null`, or a blank string (what an empty form
    /// field sends).
    pub fn value(&self, name: &str) -> Option<&Value> {
        match self.map.get(name) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.trim().is_empty() => None,
            Some(v) => Some(v),
        }
    }

    fn missing(&self, name: &str) -> Error {
        let (zh, en) = self.label(name);
        self.error(name, format!("\"{en}\" is required."), format!("请填写“{zh}”。"))
    }

    fn wrong_type(&self, name: &str, value: &Value, want_en: &str, want_zh: &str) -> Error {
        let (zh, en) = self.label(name);
        let (got_en, got_zh) = type_name(value);
        self.error(
            name,
            format!("\"{en}\" must be {want_en}, not {got_en}."),
            format!("“{zh}”应为{want_zh}，而不是{got_zh}。"),
        )
    }

    /// A string field, trimmed; `None` when left empty. Longer than the schema's `maxLength`
    /// is refused before anything else is done with it.
    pub fn string(&self, name: &str) -> Result<Option<String>> {
        match self.value(name) {
            None => Ok(None),
            Some(Value::String(s)) => {
                self.check_length(name, s)?;
                Ok(Some(s.trim().to_string()))
            }
            Some(other) => Err(self.wrong_type(name, other, "text", "文本")),
        }
    }

    /// Refuses text longer than the field's `maxLength` (in characters; counted only when
    /// the byte length could exceed it).
    pub fn check_length(&self, name: &str, text: &str) -> Result<()> {
        let max = self.spec.input(name).and_then(|f| f.schema.get("maxLength")).and_then(Value::as_u64);
        let Some(max) = max.and_then(|m| usize::try_from(m).ok()) else { return Ok(()) };
        if text.len() <= max || text.chars().count() <= max {
            return Ok(());
        }
        let (zh, en) = self.label(name);
        Err(self.error(
            name,
            format!("\"{en}\" is longer than {max} characters."),
            format!("“{zh}”超过 {max} 个字符。"),
        ))
    }

    /// A string field that must be filled in, trimmed.
    pub fn required_string(&self, name: &str) -> Result<String> {
        self.string(name)?.ok_or_else(|| self.missing(name))
    }

    /// A required value of any JSON type.
    pub fn required_value(&self, name: &str) -> Result<&Value> {
        self.value(name).ok_or_else(|| self.missing(name))
    }

    /// A whole number within `min..=max` (the schema's bounds and default); a number typed
    /// as text (`"30"`) is accepted, as forms often send text.
    pub fn integer(&self, name: &str) -> Result<i64> {
        let schema = self.spec.input(name).map(|f| &f.schema);
        let bound = |key: &str| schema.and_then(|s| s.get(key)).and_then(Value::as_i64);
        let (min, max) = (bound("minimum").unwrap_or(i64::MIN), bound("maximum").unwrap_or(i64::MAX));
        let n = match self.value(name) {
            None => return bound("default").ok_or_else(|| self.missing(name)),
            Some(Value::Number(n)) => n.as_i64().or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
            Some(Value::String(s)) => s.trim().parse::<i64>().ok(),
            Some(_) => None,
        };
        let (zh, en) = self.label(name);
        match n {
            Some(n) if (min..=max).contains(&n) => Ok(n),
            Some(n) => Err(self.error(
                name,
                format!("\"{en}\" must be between {min} and {max}; got {n}."),
                format!("“{zh}”应在 {min} 到 {max} 之间，当前为 {n}。"),
            )),
            None => Err(self.error(
                name,
                format!("\"{en}\" must be a whole number between {min} and {max}."),
                format!("“{zh}”应为 {min} 到 {max} 之间的整数。"),
            )),
        }
    }

    /// A string's schema default (e.g. a base URL).
    pub fn default_string(&self, name: &str) -> Option<String> {
        self.spec.input(name)?.default_value()?.as_str().map(str::to_string)
    }
}

/// How a JSON value's type is named in messages: (English, Chinese).
pub fn type_name(v: &Value) -> (&'static str, &'static str) {
    match v {
        Value::Null => ("null", "空值"),
        Value::Bool(_) => ("a true/false value", "布尔值"),
        Value::Number(_) => ("a number", "数字"),
        Value::String(_) => ("text", "文本"),
        Value::Array(_) => ("a list", "列表"),
        Value::Object(_) => ("an object", "对象"),
    }
}
