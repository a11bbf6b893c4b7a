//! [`Params`]: reading one action's inputs, with the user-facing error for every way a value
//! can be wrong. Messages name the field by its label in both languages.

use std::collections::BTreeMap;

use rpa_plugin_abi::{ActionSpec, Text, text};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::error::{Error, Explanation, Result};

/// The most JSON one field's value may take (a 20,000-character content, every character
/// escaped, fits); a larger value is refused before it is parsed.
pub(crate) const MAX_FIELD_JSON_BYTES: usize = 256 * 1024;

/// The inputs of one call, checked against the action's fields.
pub(crate) struct Params<'a> {
    /// The params document as it came.
    text: &'a str,
    map: Map<String, Value>,
    spec: &'a ActionSpec,
    cancelled: Option<&'a (dyn Fn() -> bool + 'a)>,
}

impl<'a> Params<'a> {
    /// Parses the params document: it must be a JSON object whose keys are all fields of
    /// the action (a misspelt name is refused, not ignored).
    pub(crate) fn parse(json: &'a str, spec: &'a ActionSpec) -> Result<Self> {
        let values: Map<String, Value> = if json.len() <= MAX_FIELD_JSON_BYTES {
            // No field's value can be larger than the whole document: one pass.
            serde_json::from_str(json).map_err(|e| not_an_object(json, e))?
        } else {
            // First as raw JSON per field, so that a huge value is refused by its size, naming
            // its field, before any work is done on it.
            let raw: BTreeMap<String, Box<RawValue>> =
                serde_json::from_str(json).map_err(|e| not_an_object(json, e))?;
            if let Some((name, value)) = raw.iter().find(|(_, v)| v.get().len() > MAX_FIELD_JSON_BYTES) {
                let bytes = value.get().len();
                return Err(Error::input(
                    name,
                    Explanation {
                        message: text!(en: format!("The value of `{name}` is {bytes} bytes long; at most {MAX_FIELD_JSON_BYTES} are read."), zh: format!("`{name}` 的值长 {bytes} 字节，最多读取 {MAX_FIELD_JSON_BYTES} 字节。")),
                        hint: text!(en: "Shorten it; no field of this action needs that much.", zh: "请缩短该值；本动作的字段都不需要这么长的内容。"),
                    },
                ));
            }
            let mut values = Map::new();
            for (name, value) in raw {
                let value = serde_json::from_str(value.get()).map_err(|e| Error::InvalidParams(e.to_string()))?;
                values.insert(name, value);
            }
            values
        };
        // Each value in the shape its field declares, by the rule hosts follow too
        // (`FieldSpec::normalize`), so that host and plugin accept the same values.
        let mut map = values;
        for (name, value) in &mut map {
            // Lists typed as text are read by their field's kind, which also strips quotes and
            // refuses JSON that is not a list (rules `normalize` cannot express by itself).
            match spec.input(name) {
                Some(field) if !value.is_string() || !allows_array(&field.schema) => {
                    *value = field.normalize(std::mem::take(value));
                }
                _ => {}
            }
        }
        if let Some(unknown) = map.keys().find(|k| spec.input(k).is_none()) {
            let names: Vec<&str> = spec.inputs.all().map(|f| f.name.as_str()).collect();
            let close = names.iter().find(|n| n.eq_ignore_ascii_case(unknown.trim()));
            let hint = match close {
                Some(n) => text!(en: format!("Did you mean `{n}`?"), zh: format!("是否应为 `{n}`？")),
                None => {
                    text!(en: format!("Known fields: {}.", names.join(", ")), zh: format!("可用字段：{}。", names.join("、")))
                }
            };
            return Err(Error::input(
                unknown,
                Explanation {
                    message: text!(en: format!("`{unknown}` is not a field of this action."), zh: format!("`{unknown}` 不是该动作的字段。")),
                    hint,
                },
            ));
        }
        Ok(Params { text: json, map, spec, cancelled: None })
    }

    /// The params document as it came, before it was read.
    pub(crate) fn text(&self) -> &str {
        self.text
    }

    /// Lets long input checks (reading a file) stop when `cancelled` says the user stopped
    /// the flow.
    pub(crate) fn with_cancel(mut self, cancelled: &'a (dyn Fn() -> bool + 'a)) -> Self {
        self.cancelled = Some(cancelled);
        self
    }

    /// Fails with [`Error::Cancelled`] when the host's flag is set: called during checks that
    /// can take long.
    pub(crate) fn check_cancelled(&self) -> Result<()> {
        match self.cancelled {
            Some(cancelled) if cancelled() => Err(Error::Cancelled { in_flight: None }),
            _ => Ok(()),
        }
    }

    /// The field's label, for messages.
    pub(crate) fn label(&self, name: &str) -> Text {
        match self.spec.input(name) {
            Some(f) => f.label.clone(),
            None => text!(en: name.to_string(), zh: name.to_string()),
        }
    }

    /// An error about `name`: `message` says what is wrong; the hint is the field's help.
    pub(crate) fn error(&self, name: &str, message: Text) -> Error {
        let hint = self.spec.input(name).map(|f| f.help.clone()).unwrap_or_default();
        Error::input(name, Explanation { message, hint })
    }

    /// An error about `name` with its own hint.
    pub(crate) fn error_with_hint(&self, name: &str, message: Text, hint: Text) -> Error {
        Error::input(name, Explanation { message, hint })
    }

    /// The raw value of the declared field `name`; when absent, `null` or blank text (what an
    /// empty form field sends), the field's default, as the host decides it
    /// ([`FieldSpec::value_or_default`]); `None` when it has none. A field the action does not
    /// declare is an internal error (a unit test reads every field).
    pub(crate) fn value(&self, name: &str) -> Result<Option<&Value>> {
        let field = self
            .spec
            .input(name)
            .ok_or_else(|| Error::Internal(format!("the field `{name}` is read but not declared")))?;
        Ok(field.value_or_default(self.map.get(name)))
    }

    /// The error for a required field left empty.
    pub(crate) fn missing(&self, name: &str) -> Error {
        let label = self.label(name);
        self.error(
            name,
            text!(en: format!("\"{}\" is required.", label.en), zh: format!("请填写「{}」。", label.zh_cn)),
        )
    }

    /// Refuses text longer than `max` characters (counted only when the byte length could
    /// exceed it).
    pub(crate) fn check_length(&self, name: &str, text: &str, max: usize) -> Result<()> {
        if text.len() <= max || text.chars().count() <= max {
            return Ok(());
        }
        let label = self.label(name);
        Err(self.error(
            name,
            text!(
                en: format!("\"{}\" is longer than {max} characters.", label.en),
                zh: format!("「{}」超过 {max} 个字符。", label.zh_cn)
            ),
        ))
    }
}

/// The error for a params document that `serde_json` could not read as an object (`error`):
/// its syntax error, or the type it is instead.
fn not_an_object(json: &str, error: serde_json::Error) -> Error {
    match serde_json::from_str::<Value>(json) {
        Err(e) => Error::InvalidParams(e.to_string()),
        Ok(Value::Object(_)) => Error::InvalidParams(error.to_string()),
        Ok(other) => Error::InvalidParams(format!("got {}", rpa_plugin_abi::typed::kind_of(&other).en)),
    }
}

/// Whether a schema's `type` allows a list.
fn allows_array(schema: &Value) -> bool {
    match schema.get("type") {
        Some(Value::String(t)) => t == "array",
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "array"),
        _ => false,
    }
}
