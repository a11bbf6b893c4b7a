//! The manifest: what a designer reads to list a plugin's actions and draw their forms.
//!
//! A plugin generates it from its action definitions and returns it as JSON text from
//! `PluginMod::manifest`; the same text ships beside the library as `plugin.json`.
//! Each field carries a JSON Schema 2020-12 fragment, so a generic host can validate and
//! draw it without knowing the plugin.

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
    /// Whether the form refuses to run without it.
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
}

/// An action's inputs, as a designer splits them into two tabs.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
pub struct Inputs {
    /// What every user fills in.
    pub basic: Vec<FieldSpec>,
    /// What most users leave at its default.
    pub advanced: Vec<FieldSpec>,
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
