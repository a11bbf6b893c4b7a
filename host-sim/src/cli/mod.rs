//! The `host-sim` command line: one module per subcommand, each an `Args` struct with an
//! `execute` method, dispatched by [`Command`]. Adding a subcommand is one module, one
//! variant and one match arm.
//!
//! Exit codes: 0 success; 1 any failure (load, flow file, validation, the action's own
//! error), after printing `{"error":{...}}` on stdout (see [`error_document`]); 2 a usage
//! error (from clap, on stderr). Logs and a one-line summary of a failure go to stderr.

pub mod bench;
pub mod demo;
pub mod inspect;
pub mod run;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand, ValueEnum};
use rpa_plugin_abi::ErrorPayload;
use serde::Serialize;

use crate::error::HostError;
use crate::flow::FlowError;
use crate::host::LogLevel;
use crate::plugin::{self, Plugin};

/// host-sim: a stand-in for a drag-and-drop RPA designer. It loads a plugin library through
/// the stable ABI, draws its action forms, and runs flows of its actions.
#[derive(Debug, Parser)]
#[command(name = "host-sim", version)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Draw each action's form as a designer would, or print the manifest with --json.
    Inspect(inspect::InspectArgs),
    /// Run a flow file: steps of actions, outputs wired into later params as "${variable}".
    Run(run::RunArgs),
    /// Run the demo: the embedded DingTalk emulator, the forms, and a four-step flow.
    Demo(demo::DemoArgs),
    /// Run a flow many times over many threads; print throughput and latency as JSON.
    Bench(bench::BenchArgs),
}

impl Command {
    /// Runs the subcommand, writing its result to `out`.
    pub fn execute(&self, out: &mut dyn Write) -> Result<(), Failure> {
        match self {
            Command::Inspect(args) => args.execute(out),
            Command::Run(args) => args.execute(out),
            Command::Demo(args) => args.execute(out),
            Command::Bench(args) => args.execute(out),
        }
    }

    /// The language the subcommand reports in.
    pub fn lang(&self) -> Lang {
        match self {
            Command::Inspect(args) => args.plugin.lang,
            Command::Run(args) => args.plugin.lang,
            Command::Demo(args) => args.plugin.lang,
            Command::Bench(args) => args.plugin.lang,
        }
    }
}

/// The options every subcommand that loads a plugin shares.
#[derive(Debug, Clone, Args)]
pub struct PluginArgs {
    /// The plugin library [default: libdingtalk_robot.so beside host-sim, or in its parent directory].
    #[arg(long, value_name = "PATH")]
    pub plugin: Option<PathBuf>,

    /// The language of forms and error messages.
    #[arg(long, value_enum, default_value_t = Lang::En)]
    pub lang: Lang,

    /// How to load the library: its abi_stable root module, or its plain C entry points.
    #[arg(long, value_enum, default_value_t = plugin::Abi::AbiStable)]
    pub abi: plugin::Abi,
}

impl PluginArgs {
    /// The library to load: `--plugin`, or [`plugin::default_plugin_path`].
    pub fn plugin_path(&self) -> PathBuf {
        self.plugin.clone().unwrap_or_else(plugin::default_plugin_path)
    }

    /// Loads the plugin.
    pub fn load(&self) -> Result<Arc<dyn Plugin>, HostError> {
        plugin::load_with(&self.plugin_path(), self.abi)
    }
}

/// A language of the interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Lang {
    /// English.
    #[value(name = "en")]
    En,
    /// Simplified Chinese.
    #[value(name = "zh-CN")]
    ZhCn,
}

impl Lang {
    /// The tag the manifest and error documents use: `en` or `zh-CN`.
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::ZhCn => "zh-CN",
        }
    }
}

/// The least important log lines shown on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogLevelArg {
    /// No log lines.
    Off,
    /// Errors only.
    Error,
    /// Errors and warnings.
    Warn,
    /// One line per step and per network call.
    Info,
    /// Everything, including each step's params with secrets masked.
    Debug,
}

impl LogLevelArg {
    /// The level for [`crate::SimHost::with_stderr`].
    pub fn level(self) -> Option<LogLevel> {
        match self {
            LogLevelArg::Off => None,
            LogLevelArg::Error => Some(LogLevel::Error),
            LogLevelArg::Warn => Some(LogLevel::Warn),
            LogLevelArg::Info => Some(LogLevel::Info),
            LogLevelArg::Debug => Some(LogLevel::Debug),
        }
    }
}

/// Why a subcommand failed: the error document, and the 1-based step at fault if any.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// What went wrong.
    pub error: Box<ErrorPayload>,
    /// The step at fault, when the failure belongs to one.
    pub step: Option<usize>,
}

impl From<HostError> for Failure {
    fn from(e: HostError) -> Self {
        Failure { error: Box::new(e.to_payload()), step: None }
    }
}

impl From<FlowError> for Failure {
    fn from(e: FlowError) -> Self {
        Failure { error: Box::new(e.error), step: Some(e.step) }
    }
}

impl From<ErrorPayload> for Failure {
    fn from(error: ErrorPayload) -> Self {
        Failure { error: Box::new(error), step: None }
    }
}

/// The JSON text printed on stdout for a failure:
/// `{"error":{"code","message","field"?,"hint"?,"step"?,"upstream"?}}`, with the message and
/// hint in `lang`; `step` (1-based) is present when the failure belongs to a step.
pub fn error_document(error: &ErrorPayload, step: Option<usize>, lang: Lang) -> String {
    let body = ErrorBody {
        code: &error.code,
        message: error.message_in(lang.as_str()),
        field: error.field.as_deref(),
        hint: error.hint_in(lang.as_str()),
        step,
        upstream: error.upstream.as_deref(),
    };
    // Plain strings and numbers always serialize; the fallback keeps the contract anyway.
    serde_json::to_string(&ErrorDocument { error: body })
        .unwrap_or_else(|_| format!(r#"{{"error":{{"code":"{}","message":"unserializable error"}}}}"#, error.code))
}

/// `{"error": ...}`, with the keys in the order a reader expects.
#[derive(Serialize)]
struct ErrorDocument<'a> {
    error: ErrorBody<'a>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hint: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    step: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    upstream: Option<&'a rpa_plugin_abi::error::Upstream>,
}

/// Parses the process's arguments and runs; the whole of `main`.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    execute(&cli, &mut std::io::stdout().lock(), &mut std::io::stderr())
}

/// Runs `cli`, writing results and error documents to `out` and a failure's one-line
/// summary to `err` (log lines go to the process's stderr).
pub fn execute(cli: &Cli, out: &mut dyn Write, err: &mut dyn Write) -> ExitCode {
    match cli.command.execute(out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            let lang = cli.command.lang();
            let doc = error_document(&failure.error, failure.step, lang);
            let _ = writeln!(out, "{doc}");
            let _ = out.flush();
            let at = failure.step.map(|s| format!("step {s}: ")).unwrap_or_default();
            let _ = writeln!(err, "error: {at}{}: {}", failure.error.code, failure.error.message_in(lang.as_str()));
            ExitCode::FAILURE
        }
    }
}

/// Writes `text` (and a final newline if it lacks one) to `out`; a closed stdout is a failure.
pub(crate) fn write_out(out: &mut dyn Write, text: &str) -> Result<(), Failure> {
    let newline = if text.ends_with('\n') { "" } else { "\n" };
    write!(out, "{text}{newline}").and_then(|()| out.flush()).map_err(|e| Failure {
        error: Box::new(ErrorPayload::new(rpa_plugin_abi::codes::INTERNAL, format!("cannot write the output: {e}"))),
        step: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;
    use serde_json::{Value, json};

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn error_documents_pick_the_language_and_omit_what_is_absent() {
        let mut e = ErrorPayload::new("X", "english").with_hint("do this");
        e.zh_cn = Some(Box::new(rpa_plugin_abi::error::Localized {
            message: "中文".into(),
            hint: Some("这样做".into()),
        }));
        let text = error_document(&e, None, Lang::En);
        assert_eq!(text, r#"{"error":{"code":"X","message":"english","hint":"do this"}}"#);
        let doc: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(doc, json!({"error": {"code": "X", "message": "english", "hint": "do this"}}));
        let doc: Value =
            serde_json::from_str(&error_document(&e.clone().with_field("f"), Some(2), Lang::ZhCn)).unwrap();
        assert_eq!(doc, json!({"error": {"code": "X", "message": "中文", "hint": "这样做", "field": "f", "step": 2}}));
    }

    #[test]
    fn load_errors_are_documents_with_exit_1() {
        let cli = Cli::parse_from(["host-sim", "inspect", "--json", "--plugin", "/no/such/libx.so"]);
        let (mut out, mut err) = (Vec::new(), Vec::new());
        assert_eq!(execute(&cli, &mut out, &mut err), ExitCode::FAILURE);
        assert!(String::from_utf8_lossy(&err).starts_with("error: LOAD_FAILED: "));
        let doc: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(doc["error"]["code"], "LOAD_FAILED");
        assert!(doc["error"]["message"].as_str().unwrap_or_default().contains("/no/such/libx.so"), "{doc}");
    }
}
