//! Variables in params: `${name}` and `${env:NAME}` substituted into a step's params
//! (whole-value references keep the variable's JSON type; references inside text take its
//! text), and the references a value makes, for the flow's checks.

use rpa_plugin_abi::{ErrorPayload, text};
use serde_json::{Map, Value};

use super::*;

/// Substitutes variables into a step's params; an error names the param (as `field`).
pub(crate) fn substitute_params(params: &Map<String, Value>, vars: &Map<String, Value>) -> Result<Value, ErrorPayload> {
    let mut out = Map::new();
    for (name, value) in params {
        out.insert(name.clone(), substitute(value, vars).map_err(|e| e.into_payload(name, vars))?);
    }
    Ok(Value::Object(out))
}

/// Why a value could not be substituted.
#[derive(Debug, Clone, PartialEq)]
pub enum SubstituteError {
    /// `${name}` names no variable.
    UnknownVariable(String),
    /// `${name}` inside a longer string names a list, object or null, which has no text.
    NotText(String),
    /// `${env:NAME}` names an environment variable that is not set (or is not text).
    UnsetEnv(String),
}

impl SubstituteError {
    fn into_payload(self, param: &str, vars: &Map<String, Value>) -> ErrorPayload {
        match self {
            SubstituteError::UnknownVariable(name) => {
                let defined: BTreeSet<&str> = vars.keys().map(String::as_str).collect();
                unknown_variable(param, &name, &defined)
            }
            SubstituteError::NotText(name) => about(
                codes::INVALID_INPUT,
                param,
                text!(
                    en: format!("Param \"{param}\" embeds ${{{name}}} in a text, but the variable is not text"),
                    zh: format!("参数 \"{param}\" 在文本中引用了 ${{{name}}}，但该变量不是文本"),
                ),
                text!(
                    en: format!("Use \"${{{name}}}\" alone as the whole value to pass a list or object."),
                    zh: format!("要传入列表或对象，请单独使用 \"${{{name}}}\" 作为整个值。"),
                ),
            ),
            SubstituteError::UnsetEnv(name) => unset_env(param, &name),
        }
    }
}

/// Substitutes variables (and `${env:NAME}`, from this process's environment) into one
/// value, recursively into lists and objects.
pub fn substitute(value: &Value, vars: &Map<String, Value>) -> Result<Value, SubstituteError> {
    substitute_with(value, vars, &process_env)
}

/// An environment: the value of a variable, if it is set and is text.
pub(super) type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// This process's environment.
pub(super) fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

pub(super) fn substitute_with(
    value: &Value,
    vars: &Map<String, Value>,
    env: Env<'_>,
) -> Result<Value, SubstituteError> {
    match value {
        Value::String(s) => substitute_str(s, vars, env),
        Value::Array(items) => {
            items.iter().map(|v| substitute_with(v, vars, env)).collect::<Result<_, _>>().map(Value::Array)
        }
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| Ok((k.clone(), substitute_with(v, vars, env)?)))
            .collect::<Result<Map<_, _>, _>>()
            .map(Value::Object),
        other => Ok(other.clone()),
    }
}

pub(super) fn substitute_str(s: &str, vars: &Map<String, Value>, env: Env<'_>) -> Result<Value, SubstituteError> {
    if let Some(name) = whole_reference(s) {
        return vars.get(name).cloned().ok_or_else(|| SubstituteError::UnknownVariable(name.to_string()));
    }
    let mut out = String::with_capacity(s.len());
    for piece in pieces(s) {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Env(name) => out.push_str(&env(name).ok_or_else(|| SubstituteError::UnsetEnv(name.to_string()))?),
            Piece::Var(name) => match vars.get(name) {
                None => return Err(SubstituteError::UnknownVariable(name.to_string())),
                Some(Value::String(v)) => out.push_str(v),
                Some(v @ (Value::Number(_) | Value::Bool(_))) => out.push_str(&v.to_string()),
                Some(_) => return Err(SubstituteError::NotText(name.to_string())),
            },
        }
    }
    Ok(Value::String(out))
}

/// The variable named when `s` is exactly `${name}`.
pub(super) fn whole_reference(s: &str) -> Option<&str> {
    let name = s.strip_prefix("${")?.strip_suffix('}')?;
    is_variable_name(name).then_some(name)
}

pub(super) fn is_variable_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

/// The environment variable named by the inside of `${env:NAME}`.
pub(super) fn env_name(inside: &str) -> Option<&str> {
    let name = inside.strip_prefix("env:")?;
    let valid = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    valid.then_some(name)
}

/// A piece of a string: literal text, a `${name}` reference, or an `${env:NAME}` one.
pub(super) enum Piece<'a> {
    Text(&'a str),
    Var(&'a str),
    Env(&'a str),
}

/// Splits `s` into literal text and references; `$${` is a literal `${`, and a `${` not
/// followed by a valid name and `}` is literal text.
pub(super) fn pieces(s: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(at) = rest.find("${") {
        if rest[..at].ends_with('$') {
            // `$${`: the text up to the first `$`, then a literal `${`.
            out.push(Piece::Text(&rest[..at - 1]));
            out.push(Piece::Text("${"));
            rest = &rest[at + 2..];
            continue;
        }
        let after = &rest[at + 2..];
        // Only the characters a name can hold are read up to the `}`, so that a long run of
        // `${` without one costs one pass over the text, not one pass per `${`.
        let length =
            after.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-' || c == ':')).unwrap_or(after.len());
        let inside = after[length..].starts_with('}').then(|| &after[..length]);
        let piece = inside.and_then(|inside| {
            if is_variable_name(inside) { Some(Piece::Var(inside)) } else { env_name(inside).map(Piece::Env) }
        });
        match (inside, piece) {
            (Some(inside), Some(piece)) => {
                out.push(Piece::Text(&rest[..at]));
                out.push(piece);
                rest = &after[inside.len() + 1..];
            }
            _ => {
                out.push(Piece::Text(&rest[..at + 2]));
                rest = after;
            }
        }
    }
    out.push(Piece::Text(rest));
    out
}

/// Every variable a value refers to.
pub(crate) fn references(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => match whole_reference(s) {
            Some(name) => vec![name.to_string()],
            None => pieces(s)
                .into_iter()
                .filter_map(|p| match p {
                    Piece::Var(name) => Some(name.to_string()),
                    Piece::Text(_) | Piece::Env(_) => None,
                })
                .collect(),
        },
        Value::Array(items) => items.iter().flat_map(references).collect(),
        Value::Object(map) => map.values().flat_map(references).collect(),
        _ => Vec::new(),
    }
}

/// Every environment variable a value refers to as `${env:NAME}`.
pub(super) fn env_references(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => pieces(s)
            .into_iter()
            .filter_map(|p| match p {
                Piece::Env(name) => Some(name.to_string()),
                Piece::Text(_) | Piece::Var(_) => None,
            })
            .collect(),
        Value::Array(items) => items.iter().flat_map(env_references).collect(),
        Value::Object(map) => map.values().flat_map(env_references).collect(),
        _ => Vec::new(),
    }
}
