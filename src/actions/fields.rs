//! Small builders for the manifest's field entries, so each action's form reads as a table.

use std::collections::BTreeMap;

use rpa_plugin_abi::manifest::Choice;
use rpa_plugin_abi::{FieldSpec, text};
use serde_json::Value;

/// A field with its labels, help and schema; optional and always shown until told otherwise.
pub fn field(name: &str, label: (&str, &str), help: (&str, &str), schema: Value) -> FieldSpec {
    FieldSpec {
        name: name.to_string(),
        label: text!(en: label.1.to_string(), zh: label.0.to_string()),
        help: text!(en: help.1.to_string(), zh: help.0.to_string()),
        required: false,
        schema,
        choices: Vec::new(),
        visible_when: None,
    }
}

/// Chainable tweaks of a [`FieldSpec`].
pub trait FieldExt {
    /// The form refuses to run without this field.
    fn required(self) -> Self;
    /// Shown only while `other` holds one of `values`.
    fn visible_when(self, other: &str, values: &[&str]) -> Self;
    /// Labels for the schema's `enum` values: `(value, zh-CN, en)`.
    fn choices(self, choices: &[(&str, &str, &str)]) -> Self;
}

impl FieldExt for FieldSpec {
    fn required(mut self) -> Self {
        self.required = true;
        self
    }

    fn visible_when(mut self, other: &str, values: &[&str]) -> Self {
        let values = values.iter().map(|v| Value::from(*v)).collect();
        self.visible_when = Some(BTreeMap::from([(other.to_string(), values)]));
        self
    }

    fn choices(mut self, choices: &[(&str, &str, &str)]) -> Self {
        self.choices = choices
            .iter()
            .map(|(value, zh, en)| Choice {
                value: Value::from(*value),
                label: text!(en: en.to_string(), zh: zh.to_string()),
            })
            .collect();
        self
    }
}
