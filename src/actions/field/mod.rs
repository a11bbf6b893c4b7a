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
use rpa_plugin_abi::{FieldSpec, Text, text, typed};
use serde_json::{Value, json};

use super::params::Params;
use crate::error::Result;
mod handle;
mod link;
mod list;
mod number;
mod text;

pub(crate) use handle::*;
pub(crate) use link::*;
pub(crate) use list::*;
pub use list::{BATCH_SIZE, MAX_MOBILE_LEN, MAX_RECIPIENT_ITEMS, MAX_RECIPIENTS, MAX_RECIPIENTS_TEXT, MAX_USER_ID_LEN};
pub(crate) use number::*;
pub(crate) use text::*;

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
pub(crate) trait AnyField: Sync {
    /// The manifest entry.
    fn spec(&self) -> FieldSpec;
}

impl<K: Kind + Sync> AnyField for Field<K> {
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
        self.kind.read(self.name, p.value(self.name)?, p)
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
                    zh: format!("「{}」应为文本，而不是{}。", label.zh_cn, got.zh_cn)
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

    /// An output holding yes or no.
    pub(crate) const fn flag(name: &'static str, label: Text, help: Text) -> Output {
        Output { name, label, help, schema: boolean }
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

fn boolean() -> Value {
    json!({ "type": "boolean" })
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
