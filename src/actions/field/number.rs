//! Whole numbers, choices and yes/no fields.

use rpa_plugin_abi::manifest::Choice as ChoiceSpec;
use rpa_plugin_abi::{Text, text, typed};
use serde_json::{Value, json};

use super::*;
use crate::actions::params::Params;
use crate::error::Result;

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
                zh: format!("「{label_zh}」应在 {min} 到 {max} 之间，当前为 {n}。")
            ),
        )),
        None => Err(p.error(
            name,
            text!(
                en: format!("\"{label_en}\" must be a whole number between {min} and {max}."),
                zh: format!("「{label_zh}」应为 {min} 到 {max} 之间的整数。")
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
                        zh: format!("「{}」应为 true 或 false，而不是{}。", label.zh_cn, got.zh_cn)
                    ),
                ))
            }
        }
    }
}
