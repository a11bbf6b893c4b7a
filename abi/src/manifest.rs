//! The manifest: what a designer reads to list a plugin's actions and draw their forms.
//!
//! A plugin generates it from its action definitions and returns it as JSON text from
//! `PluginMod::manifest`; the same text ships beside the library as `plugin.json`.
//! Each field carries a JSON Schema 2020-12 fragment, so a generic host can validate and
//! draw it without knowing the plugin.

use crate::typed;
use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A string in the two languages every manifest carries: the one bilingual text type of the
/// workspace, for labels, help, error messages and hints alike.
///
/// Its fields are named, and the [`text!`](crate::text) macro names them too, so the two
/// languages cannot be swapped by argument order. Literals cost nothing (`Cow::Borrowed`), so a
/// field table can hold its texts in `const` items.
///
/// ```
/// use rpa_plugin_abi::{Text, text};
///
/// const LABEL: Text = text!(en: "User IDs", zh: "用户 ID 列表");
/// let n = 3;
/// let message = text!(en: format!("{n} IDs"), zh: format!("{n} 个 ID"));
/// assert_eq!(LABEL.get("zh-CN"), "用户 ID 列表");
/// assert_eq!(message.get("en"), "3 IDs");
/// ```
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, Default)]
pub struct Text {
    /// Simplified Chinese.
    #[serde(rename = "zh-CN")]
    pub zh_cn: Cow<'static, str>,
    /// English.
    pub en: Cow<'static, str>,
}

impl Text {
    /// The text in `lang` (`zh-CN`, otherwise English).
    pub fn get(&self, lang: &str) -> &str {
        if lang == "zh-CN" { &self.zh_cn } else { &self.en }
    }

    /// Whether either language is empty.
    pub fn is_incomplete(&self) -> bool {
        self.en.trim().is_empty() || self.zh_cn.trim().is_empty()
    }
}

/// Builds a [`Text`] with both languages named: `text!(en: "...", zh: "...")`.
///
/// With string literals the result is a constant expression; any other expression is
/// converted with `Cow::from` (a `String`, a `&'static str`).
#[macro_export]
macro_rules! text {
    (en: $en:literal, zh: $zh:literal $(,)?) => {
        $crate::Text { en: ::std::borrow::Cow::Borrowed($en), zh_cn: ::std::borrow::Cow::Borrowed($zh) }
    };
    (en: $en:expr, zh: $zh:expr $(,)?) => {
        $crate::Text { en: ::std::borrow::Cow::from($en), zh_cn: ::std::borrow::Cow::from($zh) }
    };
}

/// One choice of a field whose schema has an `enum`, with the label a form shows for it.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Choice {
    /// The value the action receives.
    pub value: Value,
    /// What the form shows.
    pub label: Text,
}

/// One input or output of an action.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct FieldSpec {
    /// The key in the params (or outputs) JSON object.
    pub name: String,
    /// The field's label on the form.
    pub label: Text,
    /// A sentence or two under the field: what to enter and where to find it.
    pub help: Text,
    /// Whether the form refuses to run without it. A field with a `default` is never
    /// required, as in JSON Schema: left out, it takes its default
    /// ([`FieldSpec::value_or_default`]).
    pub required: bool,
    /// A JSON Schema 2020-12 fragment: type, format, enum, bounds, `default`.
    pub schema: Value,
    /// Labels for the values of an `enum` schema, in the schema's order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<Choice>,
    /// Show the field only while each named field holds one of the listed values
    /// (e.g. `{"msgType": ["markdown"]}`); always shown when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visible_when: Option<BTreeMap<String, Vec<Value>>>,
}

impl FieldSpec {
    /// Whether the value is a secret: write-only, masked on screen and in logs.
    pub fn is_secret(&self) -> bool {
        self.schema.get("writeOnly") == Some(&Value::Bool(true))
    }

    /// The schema's `default`, if any.
    pub fn default_value(&self) -> Option<&Value> {
        self.schema.get("default")
    }

    /// Whether `value` is filled in: not `null` and not blank text (what an empty form field
    /// sends). The one rule hosts and plugins share for "left out".
    pub fn is_filled(value: &Value) -> bool {
        !(value.is_null() || value.as_str().is_some_and(|s| s.trim().is_empty()))
    }

    /// The value the field takes: `given` when [filled in](FieldSpec::is_filled), else the
    /// schema's `default` (`None` when it has none). Hosts decide "required" by it and plugins
    /// read it, so a field left out takes its default in both, and a field with a default is
    /// never missing.
    ///
    /// ```
    /// use rpa_plugin_abi::FieldSpec;
    /// use serde_json::json;
    ///
    /// let field: FieldSpec = serde_json::from_value(json!({
    ///     "name": "buttonLayout", "label": {"en": "Button layout", "zh-CN": "按钮排列"},
    ///     "help": {"en": "", "zh-CN": ""}, "required": false,
    ///     "schema": {"type": "string", "enum": ["vertical", "horizontal"], "default": "vertical"}
    /// })).unwrap();
    /// assert_eq!(field.value_or_default(None), Some(&json!("vertical")));
    /// assert_eq!(field.value_or_default(Some(&json!(" "))), Some(&json!("vertical")));
    /// assert_eq!(field.value_or_default(Some(&json!("horizontal"))), Some(&json!("horizontal")));
    /// ```
    pub fn value_or_default<'a>(&'a self, given: Option<&'a Value>) -> Option<&'a Value> {
        given.filter(|v| Self::is_filled(v)).or_else(|| self.default_value())
    }

    /// The value a form holds for this field, in the shape its schema declares: what a host
    /// validates and a plugin reads, so that both accept the same values. Hosts call it on
    /// each param before checking it against [`FieldSpec::schema`]; plugins before reading it.
    ///
    /// The rules, by the field's kind (read from the schema's `type`, `enum` and `items`):
    ///
    /// * **integer** (`type` allows `"integer"` but not `"string"`): text that is a whole
    ///   number once surrounding whitespace is trimmed (`"20"`, `" -3 "`, `"+7"`) becomes that
    ///   integer, and a number without a fraction (`20.0`) becomes the integer `20`. Anything
    ///   else (`"soon"`, `"1.5"`, a number beyond 64 bits) is left as it is, for the check to refuse.
    /// * **list of text** (`type` allows `"array"` and `items` is `{"type": "string", ...}`):
    ///   text becomes a list: a JSON list (`'["u1","u2"]'`) is parsed; other text is split at
    ///   `,` `，` `;` `；` `、` and line breaks, and also at spaces when the items' `pattern`
    ///   is [`NO_SPACES`] (user IDs; a mobile number may hold spaces);
    ///   the blank pieces between separators (blank lines, `a,,b`) are skipped, as people
    ///   paste lists. The
    ///   items of the list (given or parsed) that are text are trimmed and lose zero-width
    ///   characters and byte-order marks, so a blank item of a real list becomes `""` for
    ///   `minLength` to refuse. Blank text stays as it is (a field left empty), and so does
    ///   text that starts with `[` but is not a JSON list.
    /// * anything else is returned unchanged. Text is checked as typed (a Markdown body may
    ///   start with meaningful spaces); a plugin that wants a text trimmed trims it when it
    ///   reads it, after the check. A **choice** (an `enum`) must be typed exactly: `" text"`
    ///   and `"Text"` are not `"text"`.
    ///
    /// `null` and blank text mean "not filled in" for every kind and are never changed.
    /// Normalizing twice gives the same value as normalizing once.
    ///
    /// ```
    /// use rpa_plugin_abi::FieldSpec;
    /// use serde_json::json;
    ///
    /// let field: FieldSpec = serde_json::from_value(json!({
    ///     "name": "timeoutSeconds", "label": {"en": "Timeout", "zh-CN": "超时"},
    ///     "help": {"en": "", "zh-CN": ""}, "required": false,
    ///     "schema": {"type": "integer", "minimum": 1, "maximum": 300}
    /// })).unwrap();
    /// assert_eq!(field.normalize(json!(" 20 ")), json!(20));
    /// assert_eq!(field.normalize(json!("soon")), json!("soon"));
    /// ```
    pub fn normalize(&self, value: Value) -> Value {
        if !Self::is_filled(&value) {
            return value;
        }
        let ty = self.schema.get("type");
        if allows(ty, "integer") && !allows(ty, "string") {
            return whole_number(value);
        }
        if allows(ty, "array") {
            let items = self.schema.get("items");
            if items.and_then(|items| items.get("type")).and_then(Value::as_str) == Some("string") {
                // Items that may not hold a space are split at spaces too.
                let no_spaces = items.and_then(|i| i.get("pattern")).and_then(Value::as_str) == Some(NO_SPACES);
                return text_list(value, no_spaces);
            }
        }
        value
    }
}

/// Whether a schema's `type` (`ty`) allows `wanted`.
fn allows(ty: Option<&Value>, wanted: &str) -> bool {
    match ty {
        Some(Value::String(ty)) => ty == wanted,
        Some(Value::Array(types)) => types.iter().any(|t| t == wanted),
        _ => false,
    }
}

/// The integer rule of [`FieldSpec::normalize`]: [`typed::whole_number`], or the value as it is.
fn whole_number(value: Value) -> Value {
    typed::whole_number(&value).map_or(value, Value::from)
}

/// The `pattern` of list items that never hold a space (user IDs): text for such a list is
/// split at spaces as well as at separators.
pub const NO_SPACES: &str = "^\\S+$";

/// The list-of-text rule of [`FieldSpec::normalize`]: text that is not JSON becomes its
/// [`typed::entries`]; the text items of a list (given or parsed) are [cleaned](typed::clean).
fn text_list(value: Value, split_at_spaces: bool) -> Value {
    let items = match value {
        Value::String(text) => {
            let trimmed = typed::clean(&text);
            // Text that looks like a JSON object is left as it is, for the check to refuse.
            if trimmed.starts_with('{') {
                return Value::String(text);
            }
            if !trimmed.starts_with('[') {
                return typed::entries(&trimmed, split_at_spaces).map(Value::from).collect();
            } else if let Ok(Value::Array(items)) = serde_json::from_str::<Value>(&trimmed) {
                items
            } else {
                return Value::String(text);
            }
        }
        Value::Array(items) => items,
        other => return other,
    };
    let tidy = |item: Value| match item {
        Value::String(s) => Value::from(typed::clean(&s)),
        other => other,
    };
    Value::Array(items.into_iter().map(tidy).collect())
}

/// An action's inputs, as a designer splits them into two tabs.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct Inputs {
    /// What every user fills in.
    pub basic: Vec<FieldSpec>,
    /// What most users leave at its default.
    pub advanced: Vec<FieldSpec>,
    /// Groups of optional fields of which at least one must be filled in, each group by its
    /// fields' names (e.g. `[["userIds", "mobiles"]]`: user IDs, mobile numbers, or both). A
    /// form refuses to run while every field of a group is empty (absent, `null`, blank text
    /// or an empty list); fields hidden by `visibleWhen` count as empty. Absent when none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub at_least_one_of: Vec<Vec<String>>,
}

impl Inputs {
    /// Every input, basic first.
    pub fn all(&self) -> impl Iterator<Item = &FieldSpec> {
        self.basic.iter().chain(self.advanced.iter())
    }
}

/// One action a user can drag onto the canvas.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct ActionSpec {
    /// A dotted, stable id such as `dingtalk.robot.connect`.
    pub id: String,
    /// The name in the action palette.
    pub title: Text,
    /// What the action does, for the palette's tooltip.
    pub description: Text,
    /// The form.
    pub inputs: Inputs,
    /// What the action hands to later steps.
    pub outputs: Vec<FieldSpec>,
}

impl ActionSpec {
    /// The input field named `name`, on either tab.
    pub fn input(&self, name: &str) -> Option<&FieldSpec> {
        self.inputs.all().find(|f| f.name == name)
    }
}

/// The whole manifest of a plugin.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// The plugin's id.
    pub id: String,
    /// The plugin's version (semver).
    pub version: String,
    /// The [`crate::ABI_VERSION`] it was built against.
    pub abi_version: u32,
    /// The plugin's name in the palette.
    pub name: Text,
    /// Its actions, in palette order.
    pub actions: Vec<ActionSpec>,
}

impl Manifest {
    /// The action with this id.
    pub fn action(&self, id: &str) -> Option<&ActionSpec> {
        self.actions.iter().find(|a| a.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field(schema: Value) -> FieldSpec {
        FieldSpec {
            name: "f".into(),
            label: crate::text!(en: "F", zh: "F"),
            help: Text::default(),
            required: false,
            schema,
            choices: Vec::new(),
            visible_when: None,
        }
    }

    #[test]
    fn integers_typed_as_text_become_integers() {
        let f = field(json!({"type": "integer", "minimum": 0}));
        for (given, expected) in [
            (json!("20"), json!(20)),
            (json!(" 20\t"), json!(20)),
            (json!("-3"), json!(-3)),
            (json!("+7"), json!(7)),
            (json!(20.0), json!(20)),
            (json!(20), json!(20)),
            (json!("soon"), json!("soon")),
            (json!("1.5"), json!("1.5")),
            (json!("20 s"), json!("20 s")),
            (json!("99999999999999999999"), json!("99999999999999999999")),
            (json!(1.5), json!(1.5)),
            (json!(1e300), json!(1e300)),
            (json!(true), json!(true)),
            (json!("  "), json!("  ")),
            (Value::Null, Value::Null),
        ] {
            assert_eq!(f.normalize(given.clone()), expected, "{given}");
        }
        // A field that also takes text keeps text as text.
        assert_eq!(field(json!({"type": ["integer", "string"]})).normalize(json!("20")), json!("20"));
        // Text fields are never touched, not even trimmed.
        assert_eq!(field(json!({"type": "string"})).normalize(json!(" 20 ")), json!(" 20 "));
    }

    #[test]
    fn choices_must_be_typed_exactly() {
        let f = field(json!({"type": "string", "enum": ["text", "markdown"]}));
        for typed in [json!(" markdown\n"), json!("Markdown"), json!(1)] {
            assert_eq!(f.normalize(typed.clone()), typed);
        }
    }

    #[test]
    fn text_lists_become_lists_of_trimmed_items() {
        let f = field(json!({"type": ["array", "string"], "items": {"type": "string", "minLength": 1}}));
        for (given, expected) in [
            (json!("u1,u2"), json!(["u1", "u2"])),
            (json!(" u1 ， u2；u3;u4\r\n u5 "), json!(["u1", "u2", "u3", "u4", "u5"])),
            (json!(r#" ["u1", " u2 "] "#), json!(["u1", "u2"])),
            (json!("u1"), json!(["u1"])),
            (json!("a,,b"), json!(["a", "b"])),
            (json!("a\n\n  \r\nb、c\n"), json!(["a", "b", "c"])),
            (json!(["a", " "]), json!(["a", ""])),
            (json!([" u1 ", "u2\t", 7]), json!(["u1", "u2", 7])),
            (json!(r#"["u1", "#), json!(r#"["u1", "#)),
            (json!(""), json!("")),
            (json!({"a": 1}), json!({"a": 1})),
        ] {
            assert_eq!(f.normalize(given.clone()), expected, "{given}");
        }
        // A list of anything but text is left alone.
        assert_eq!(field(json!({"type": "array"})).normalize(json!("u1,u2")), json!("u1,u2"));
    }

    #[test]
    fn normalizing_twice_changes_nothing_more() {
        let cases = [
            (json!({"type": "integer"}), json!(" 12 ")),
            (json!({"type": ["array", "string"], "items": {"type": "string"}}), json!("x, y ,z")),
        ];
        for (schema, value) in cases {
            let f = field(schema);
            let once = f.normalize(value);
            assert_eq!(f.normalize(once.clone()), once);
        }
    }
}
