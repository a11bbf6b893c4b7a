//! `host-sim run [--plugin PATH] FLOW.json [--var name=value]... [--var-json name=JSON]...`:
//! runs a flow and prints the final variables as one JSON object.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use serde_json::{Map, Value};

use super::{Failure, LogLevelArg, PluginArgs, write_out};
use crate::flow::{Flow, run_flow};
use crate::form::MASK;
use crate::host::SimHost;

/// The options of `run`.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Which plugin, and the language of error messages.
    #[command(flatten)]
    pub plugin: PluginArgs,

    /// The flow file: {"steps":[{"action":ID,"params":{...},"outputs":{"output":"variable"}}]}.
    #[arg(value_name = "FLOW.json")]
    pub flow: PathBuf,

    /// Defines a variable as a string before the first step (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_string_var)]
    pub vars: Vec<(String, Value)>,

    /// Defines a variable as any JSON value (a list, a number, an object...) (repeatable).
    #[arg(long = "var-json", value_name = "NAME=JSON", value_parser = parse_json_var)]
    pub json_vars: Vec<(String, Value)>,

    /// The least important log lines shown on stderr.
    #[arg(long, value_enum, default_value_t = LogLevelArg::Info)]
    pub log_level: LogLevelArg,
}

impl RunArgs {
    /// Loads the plugin, runs the flow, and writes the final variables to `out`; variables
    /// that fed a secret field are shown masked.
    pub fn execute(&self, out: &mut dyn Write) -> Result<(), Failure> {
        let plugin = self.plugin.load()?;
        let flow = Flow::from_file(&self.flow)?;
        let initial: Map<String, Value> = self.vars.iter().chain(&self.json_vars).cloned().collect();
        let host = SimHost::new().with_stderr(self.log_level.level());
        let mut vars = run_flow(plugin.as_ref(), &flow, &host, initial)?;
        for name in flow.secret_variables(plugin.manifest()) {
            if let Some(value) = vars.get_mut(&name) {
                *value = Value::String(MASK.to_string());
            }
        }
        let text = serde_json::to_string_pretty(&Value::Object(vars)).unwrap_or_default();
        write_out(out, &text)
    }
}

fn split_var(s: &str) -> Result<(&str, &str), String> {
    let (name, value) = s.split_once('=').ok_or_else(|| format!("expected NAME=VALUE, got {s:?}"))?;
    let valid = !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-');
    if !valid {
        return Err(format!("{name:?} is not a variable name (letters, digits, _ and -)"));
    }
    Ok((name, value))
}

pub(crate) fn parse_string_var(s: &str) -> Result<(String, Value), String> {
    let (name, value) = split_var(s)?;
    Ok((name.to_string(), Value::String(value.to_string())))
}

pub(crate) fn parse_json_var(s: &str) -> Result<(String, Value), String> {
    let (name, value) = split_var(s)?;
    let value = serde_json::from_str(value).map_err(|e| format!("the value of {name} is not JSON: {e}"))?;
    Ok((name.to_string(), value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn variables_from_the_command_line() {
        assert_eq!(parse_string_var("uid=012345").unwrap(), ("uid".into(), json!("012345")));
        assert_eq!(parse_string_var("x=a=b").unwrap(), ("x".into(), json!("a=b")));
        assert_eq!(parse_string_var("empty=").unwrap(), ("empty".into(), json!("")));
        assert_eq!(parse_json_var("ids=[\"a\",\"b\"]").unwrap(), ("ids".into(), json!(["a", "b"])));
        assert_eq!(parse_json_var("n=5").unwrap(), ("n".into(), json!(5)));
        assert!(parse_json_var("n=nope").is_err());
        assert!(parse_string_var("novalue").is_err());
        assert!(parse_string_var("bad name=1").is_err());
        assert!(parse_string_var("=1").is_err());
    }
}
