//! Checking a flow the way the studio's form shows it: every problem at once, each beside
//! its field, with host-sim's own rules ([`Flow::check`] for actions, outputs and
//! variables, [`validate_params`] for each field's schema), and masking secrets in what
//! goes back to the page.

use std::collections::{BTreeMap, BTreeSet};

use rpa_plugin_abi::error::Upstream;
use rpa_plugin_abi::{ActionSpec, ErrorPayload, FieldSpec, Text, text};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::codes;
use crate::flow::{Flow, SubstituteError, substitute};
use crate::form::MASK;
use crate::validate::{is_visible, validate_params};

use super::StudioState;

/// An error as the page shows it, in both languages.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub(crate) struct Doc {
    pub(crate) code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) field: Option<String>,
    pub(crate) message: Text,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) hint: Option<Text>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) upstream: Option<Upstream>,
}

impl From<&ErrorPayload> for Doc {
    fn from(e: &ErrorPayload) -> Doc {
        Doc {
            code: e.code.clone(),
            field: e.field.clone(),
            message: text!(en: e.message_in("en").to_string(), zh: e.message_in("zh-CN").to_string()),
            hint: e.hint_in("en").map(|en| text!(en: en.to_string(), zh: e.hint_in("zh-CN").unwrap_or(en).to_string())),
            upstream: e.upstream.as_deref().cloned(),
        }
    }
}

/// One step's problems: its own (an unknown action, an unknown param) and its fields'
/// (keyed by input name, or `outputs.<name>` for an output mapping).
#[derive(Serialize, Debug, Clone, Default, PartialEq)]
pub(crate) struct StepCheck {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) error: Option<Doc>,
    pub(crate) fields: BTreeMap<String, Doc>,
}

impl StepCheck {
    pub(crate) fn is_ok(&self) -> bool {
        self.error.is_none() && self.fields.is_empty()
    }

    /// The first problem, as the step's error when the flow cannot run.
    pub(crate) fn first(&self) -> Option<&Doc> {
        self.error.as_ref().or_else(|| self.fields.values().next())
    }
}

/// Checks every step of `flow`, as far as it can be checked before it runs.
///
/// A value that refers to a variable is checked once the variable has a value, when the flow
/// runs; `${env:NAME}` is read from this process's environment and checked as the value.
pub(crate) fn check_flow(state: &StudioState, flow: &Flow) -> Vec<StepCheck> {
    let manifest = state.plugin.manifest();
    let mut report = vec![StepCheck::default(); flow.steps.len()];

    // Actions, outputs and variable references: the engine's own check, run again without
    // each param or output it refused, so that every problem is found and not only the first.
    let mut working = flow.clone();
    let unknown_actions: Vec<usize> =
        (0..flow.steps.len()).filter(|&i| manifest.action(&flow.steps[i].action).is_none()).collect();
    for &i in &unknown_actions {
        let alone = Flow { name: None, variables: Map::new(), steps: vec![flow.steps[i].clone()] };
        if let Err(e) = alone.check(manifest, []) {
            report[i].error = Some(Doc::from(&e.error));
        }
        // Later steps may still use what it would output; its params cannot be checked.
        working.steps[i].params.clear();
        working.steps[i].outputs.clear();
    }
    let known: BTreeSet<String> =
        unknown_actions.iter().flat_map(|&i| flow.steps[i].outputs.values().cloned()).collect();
    let limit = flow.steps.iter().map(|s| s.params.len() + s.outputs.len()).sum::<usize>() + 1;
    for _ in 0..limit {
        let mut steps = working.clone();
        steps.steps.retain(|s| manifest.action(&s.action).is_some());
        let index_of = |n: usize| {
            (0..working.steps.len()).filter(|&i| manifest.action(&working.steps[i].action).is_some()).nth(n - 1)
        };
        let Err(e) = steps.check(manifest, known.iter().map(String::as_str)) else { break };
        let (Some(i), Some(field)) = (index_of(e.step), e.error.field.clone()) else { break };
        if e.error.code == codes::UNKNOWN_OUTPUT {
            working.steps[i].outputs.remove(&field);
            report[i].fields.insert(format!("outputs.{field}"), Doc::from(&e.error));
        } else if working.steps[i].params.remove(&field).is_some() {
            report[i].fields.insert(field, Doc::from(&e.error));
        } else {
            break;
        }
    }

    // Each field against its schema, as the form shows it.
    for (i, step) in flow.steps.iter().enumerate() {
        let Some(spec) = manifest.action(&step.action) else { continue };
        for (name, value) in &step.params {
            if spec.input(name).is_none() && !report[i].fields.contains_key(name) {
                if let Err(e) = validate_params(spec, Value::Object(Map::from_iter([(name.clone(), value.clone())]))) {
                    report[i].error.get_or_insert_with(|| Doc::from(&e));
                }
            }
        }
        for field in spec.inputs.all() {
            if report[i].fields.contains_key(&field.name) {
                continue;
            }
            if let Some(e) = check_field(state, spec, field, &step.params) {
                report[i].fields.insert(field.name.clone(), Doc::from(&e));
            }
        }
    }
    report
}

/// The problem with one field of a step, if any.
fn check_field(
    state: &StudioState,
    spec: &ActionSpec,
    field: &FieldSpec,
    params: &Map<String, Value>,
) -> Option<ErrorPayload> {
    let alone = state.single_fields.get(&(spec.id.clone(), field.name.clone()))?;
    let given = params.get(&field.name).filter(|v| !is_blank(v));
    let value = match given {
        None if !is_visible(field, params, spec) => return None,
        None => Value::Object(Map::new()),
        Some(value) => match substitute(value, &Map::new()) {
            // A variable has no value before the run; the run checks it.
            Err(SubstituteError::UnknownVariable(_) | SubstituteError::NotText(_)) => return None,
            Err(SubstituteError::UnsetEnv(_)) => return None,
            Ok(value) => Value::Object(Map::from_iter([(field.name.clone(), value)])),
        },
    };
    validate_params(alone, value).err()
}

fn is_blank(value: &Value) -> bool {
    value.is_null() || value.as_str().is_some_and(|s| s.trim().is_empty())
}

/// The secrets a flow carries: the values of its secret fields (as typed, and with
/// variables and `${env:NAME}` filled in) and the value of every environment variable it
/// names. None of them may go back to the page.
pub(crate) fn secrets_of(state: &StudioState, flow: &Flow) -> Vec<String> {
    let manifest = state.plugin.manifest();
    let mut secrets = BTreeSet::new();
    let mut add = |value: &Value| {
        let mut strings = Vec::new();
        collect_strings(value, &mut strings);
        secrets.extend(strings.into_iter().filter(|s| !s.trim().is_empty()));
    };
    for step in &flow.steps {
        let spec = manifest.action(&step.action);
        for (name, value) in &step.params {
            if spec.and_then(|s| s.input(name)).is_some_and(FieldSpec::is_secret) {
                add(value);
                if let Ok(filled) = substitute(value, &flow.variables) {
                    add(&filled);
                }
            }
            for env in env_names(value) {
                if let Ok(v) = std::env::var(&env) {
                    add(&Value::String(v));
                }
            }
        }
    }
    let mut secrets: Vec<String> = secrets.into_iter().collect();
    // The longest first, so that a secret inside another is masked as part of the longer one.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    secrets
}

/// The names of the environment variables a value refers to as `${env:NAME}`.
fn env_names(value: &Value) -> Vec<String> {
    let mut strings = Vec::new();
    collect_strings(value, &mut strings);
    let mut names = Vec::new();
    for s in strings {
        let mut rest = s.as_str();
        while let Some(at) = rest.find("${env:") {
            let after = &rest[at + 6..];
            let Some(end) = after.find('}') else { break };
            names.push(after[..end].to_string());
            rest = &after[end..];
        }
    }
    names
}

fn collect_strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| collect_strings(v, out)),
        Value::Object(map) => map.values().for_each(|v| collect_strings(v, out)),
        _ => {}
    }
}

/// `value` with every occurrence of each secret in its strings (and keys) replaced by
/// [`MASK`]. A secret of fewer than four characters is masked only where a whole string
/// equals it, so that a one-letter secret cannot blank out every message.
pub(crate) fn scrub(value: Value, secrets: &[String]) -> Value {
    let scrub_str = |s: String| -> String {
        let mut s = s;
        for secret in secrets {
            if s == *secret {
                return MASK.to_string();
            }
            if secret.chars().count() >= 4 && s.contains(secret.as_str()) {
                s = s.replace(secret.as_str(), MASK);
            }
        }
        s
    };
    match value {
        Value::String(s) => Value::String(scrub_str(s)),
        Value::Array(items) => Value::Array(items.into_iter().map(|v| scrub(v, secrets)).collect()),
        Value::Object(map) => Value::Object(map.into_iter().map(|(k, v)| (scrub_str(k), scrub(v, secrets))).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_are_masked_wherever_they_appear() {
        let secrets = vec!["hunter22".to_string(), "abc".to_string()];
        let value = json!({"a": "x hunter22 y", "hunter22": ["abc", "abcd", 3], "b": {"c": "hunter22"}});
        assert_eq!(
            scrub(value, &secrets),
            json!({"a": format!("x {MASK} y"), MASK: [MASK, "abcd", 3], "b": {"c": MASK}})
        );
    }

    #[test]
    fn environment_references_are_found() {
        assert_eq!(env_names(&json!(["${env:A_1}", {"k": "x ${env:B} ${c}"}])), ["A_1", "B"]);
    }
}
