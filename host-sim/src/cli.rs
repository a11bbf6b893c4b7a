//! The `host-sim` command line: one `Args` struct per subcommand with an `execute` method,
//! dispatched by [`Command`]. Adding a subcommand is one struct, one variant and one match
//! arm; what it does lives in the library ([`crate::flow`], [`crate::form`], and the
//! crate's own `demo` and `bench` modules). Only [`main`] is public: the binary is the interface.
//!
//! ```text
//! host-sim inspect [--plugin PATH] [--lang zh-CN|en] [--abi abi-stable|c] [--json]
//! host-sim run     [--plugin PATH] FLOW.json [--var name=value]... [--var-json name=JSON]... [--log-level L]
//! host-sim demo    [--plugin PATH] [--lang zh-CN|en] [--abi abi-stable|c] [--log-level L]
//! host-sim bench   [--plugin PATH] FLOW.json --iterations N --threads T [--var name=value]...
//! host-sim studio  [--plugin PATH] [--abi abi-stable|c] [--port N] [--lang zh-CN|en] [--no-emulator]
//! ```
//!
//! Exit codes: 0 success; 1 any failure (load, flow file, validation, the action's own
//! error), after printing `{"error":{...}}` on stdout (see `error_document`); 2 a usage
//! error (from clap, on stderr). Logs and a one-line summary of a failure (`one_line`) go to
//! stderr.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand, ValueEnum};
use rpa_plugin_abi::{ErrorPayload, codes, text};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::bench::{Size, load_timed, run_bench};
use crate::demo::run_demo;
use crate::error::HostError;
use crate::flow::{Flow, FlowError, run_flow_logging};
use crate::form::{MASK, render_manifest};
use crate::host::{LogLevel, SimHost};
use crate::plugin::{self, Plugin};
use crate::progress::TerminalProgress;
use crate::studio::{Studio, StudioOptions};

/// host-sim: a stand-in for a drag-and-drop RPA designer. It loads a plugin library through
/// the stable ABI, draws its action forms, and runs flows of its actions.
#[derive(Debug, Parser)]
#[command(name = "host-sim", version)]
pub(crate) struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Draw each action's form as a designer would, or print the manifest with --json.
    Inspect(InspectArgs),
    /// Run a flow file: steps of actions, outputs wired into later params as "${variable}".
    Run(RunArgs),
    // Its help counts the demo's steps and parts from the demo itself.
    #[command(about = crate::demo::about())]
    Demo(DemoArgs),
    /// Run a flow many times over many threads; print throughput and latency as JSON.
    Bench(BenchArgs),
    /// Serve a drag-and-drop designer for the plugin on 127.0.0.1, with the embedded emulator.
    Studio(StudioArgs),
}

impl Command {
    /// Runs the subcommand, writing its result to `out`.
    pub(crate) fn execute(&self, out: &mut dyn Write) -> Result<(), Failure> {
        match self {
            Command::Inspect(args) => args.execute(out),
            Command::Run(args) => args.execute(out),
            Command::Demo(args) => args.execute(out),
            Command::Bench(args) => args.execute(out),
            Command::Studio(args) => args.execute(out),
        }
    }

    /// The language the subcommand reports in.
    pub(crate) fn lang(&self) -> Lang {
        match self {
            Command::Inspect(args) => args.plugin.lang,
            Command::Run(args) => args.plugin.lang,
            Command::Demo(args) => args.plugin.lang,
            Command::Bench(args) => args.plugin.lang,
            Command::Studio(args) => args.plugin.lang,
        }
    }
}

/// `host-sim inspect`: draws each action's form, or prints the manifest exactly as the plugin
/// returned it.
#[derive(Debug, Clone, Args)]
pub(crate) struct InspectArgs {
    /// Which plugin, and the language.
    #[command(flatten)]
    pub(crate) plugin: PluginArgs,

    /// Print the manifest's JSON text exactly as the plugin returned it, instead of the forms.
    #[arg(long)]
    pub(crate) json: bool,
}

impl InspectArgs {
    /// Loads the plugin and writes its forms (or manifest) to `out`.
    pub(crate) fn execute(&self, out: &mut dyn Write) -> Result<(), Failure> {
        let plugin = self.plugin.load()?;
        if self.json {
            write_out(out, plugin.manifest_json())
        } else {
            write_out(out, &render_manifest(plugin.manifest(), self.plugin.lang.as_str()))
        }
    }
}

/// `host-sim run`: runs a flow and prints the final variables as one JSON object.
#[derive(Debug, Clone, Args)]
pub(crate) struct RunArgs {
    /// Which plugin, and the language of error messages.
    #[command(flatten)]
    pub(crate) plugin: PluginArgs,

    /// The flow file: {"steps":[{"action":ID,"params":{...},"outputs":{"output":"variable"}}]}.
    #[arg(value_name = "FLOW.json")]
    pub(crate) flow: PathBuf,

    /// Defines a variable as a string before the first step (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_string_var)]
    pub(crate) vars: Vec<(String, Value)>,

    /// Defines a variable as any JSON value (a list, a number, an object...) (repeatable).
    #[arg(long = "var-json", value_name = "NAME=JSON", value_parser = parse_json_var)]
    pub(crate) json_vars: Vec<(String, Value)>,

    /// The least important log lines shown on stderr.
    #[arg(long, value_enum, default_value_t = LogLevelArg::Info)]
    pub(crate) log_level: LogLevelArg,
}

impl RunArgs {
    /// Loads the plugin, runs the flow, and writes the final variables to `out`; variables
    /// that fed a secret field are shown masked.
    pub(crate) fn execute(&self, out: &mut dyn Write) -> Result<(), Failure> {
        let plugin = self.plugin.load()?;
        let flow = Flow::from_file(&self.flow)?;
        let initial: Map<String, Value> = self.vars.iter().chain(&self.json_vars).cloned().collect();
        let mut host = SimHost::new().with_stderr(self.log_level.level()).with_language(self.plugin.lang.as_str());
        // Progress shows with the info lines: a bar on a terminal, plain lines in a pipe.
        if host.logs(LogLevel::Info) {
            host = host.with_progress(Arc::new(TerminalProgress::stderr()));
        }
        let mut vars =
            run_flow_logging(plugin.as_ref(), &flow, &host, initial, self.plugin.lang.as_str(), host.kept())?;
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

/// `host-sim demo`: runs the demo ([`crate::demo`]) on the embedded emulator.
#[derive(Debug, Clone, Args)]
pub(crate) struct DemoArgs {
    /// Which plugin, how to load it, and the language.
    #[command(flatten)]
    pub(crate) plugin: PluginArgs,

    /// The least important plugin log lines shown on stderr.
    #[arg(long, value_enum, default_value_t = LogLevelArg::Warn)]
    pub(crate) log_level: LogLevelArg,
}

impl DemoArgs {
    /// Loads the plugin and runs the demo, writing its report to `out`.
    pub(crate) fn execute(&self, out: &mut dyn Write) -> Result<(), Failure> {
        let plugin = self.plugin.load()?;
        let host = SimHost::new().with_stderr(self.log_level.level()).with_language(self.plugin.lang.as_str());
        run_demo(plugin.as_ref(), self.plugin.lang.as_str(), &host, out).map_err(|e| Failure {
            // Step 0 is the demo's own set-up or final check, not a step of the flow.
            step: (e.step > 0).then_some(e.step),
            error: Box::new(e.error),
        })
    }
}

/// `host-sim bench`: runs the flow N times over T threads; progress on stderr, one JSON report
/// on stdout.
#[derive(Debug, Clone, Args)]
pub(crate) struct BenchArgs {
    /// Which plugin, and how to load it.
    #[command(flatten)]
    pub(crate) plugin: PluginArgs,

    /// The flow to run, as for `run`.
    #[arg(value_name = "FLOW.json")]
    pub(crate) flow: PathBuf,

    /// How many times to run the flow in all.
    #[arg(long, default_value_t = 1000)]
    pub(crate) iterations: usize,

    /// How many threads share the runs.
    #[arg(long, default_value_t = 1)]
    pub(crate) threads: usize,

    /// Runs the flow this many times on each thread before the clock starts, not counted
    /// (each thread's connection and the token are made then); 0 measures a cold start.
    #[arg(long, default_value_t = 0)]
    pub(crate) warmup: usize,

    /// Defines a variable as a string before the first step (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_string_var)]
    pub(crate) vars: Vec<(String, Value)>,

    /// Defines a variable as any JSON value (repeatable).
    #[arg(long = "var-json", value_name = "NAME=JSON", value_parser = parse_json_var)]
    pub(crate) json_vars: Vec<(String, Value)>,
}

impl BenchArgs {
    /// How much to run.
    fn size(&self) -> Size {
        Size { iterations: self.iterations, threads: self.threads, warmup: self.warmup }
    }

    /// Loads the plugin (timing it), runs the benchmark with progress on stderr every 10%,
    /// and writes the JSON report to `out`.
    pub(crate) fn execute(&self, out: &mut dyn Write) -> Result<(), Failure> {
        let (plugin, load_ms) = load_timed(&self.plugin.plugin_path(), self.plugin.abi)?;
        let flow = Flow::from_file(&self.flow)?;
        let vars: Map<String, Value> = self.vars.iter().chain(&self.json_vars).cloned().collect();
        let tenth = (self.iterations / 10).max(1);
        let lang = self.plugin.lang.as_str();
        let progress = |done: usize| {
            if done % tenth == 0 || done == self.iterations {
                let all = self.iterations;
                let words = text!(en: format!("bench: {done}/{all} flow runs"), zh: format!("压测：已运行流程 {done}/{all} 次"));
                eprintln!("{}", words.get(lang));
            }
        };
        let mut report =
            run_bench(plugin.as_ref(), &flow, self.size(), &vars, &SimHost::silent(), self.plugin.lang, &progress);
        report.load_ms = Some(load_ms);
        if report.peak_rss_kb.is_none() {
            let words = text!(
                en: "bench: peak memory not measured on this system (peakRssKb is null)",
                zh: "压测：此系统上无法测量内存峰值（peakRssKb 为 null）",
            );
            eprintln!("{}", words.get(lang));
        }
        write_out(out, &serde_json::to_string(&report).unwrap_or_default())
    }
}

/// `host-sim studio`: serves the studio ([`crate::studio`]) until killed.
#[derive(Debug, Clone, Args)]
pub(crate) struct StudioArgs {
    /// Which plugin, how to load it, and the page's first language.
    #[command(flatten)]
    pub(crate) plugin: PluginArgs,

    /// The port on 127.0.0.1 (0 = a free one).
    #[arg(long, default_value_t = 0)]
    pub(crate) port: u16,

    /// Do not start the embedded DingTalk emulator (nor pre-fill base URLs with it).
    #[arg(long)]
    pub(crate) no_emulator: bool,
}

impl StudioArgs {
    /// Loads the plugin, starts the studio, writes its address as the end of the first line
    /// (`studio on http://127.0.0.1:PORT`, or `设计器地址 http://…` in Chinese), then the
    /// emulator's address and credentials and its custom robot's, and serves until killed.
    pub(crate) fn execute(&self, out: &mut dyn Write) -> Result<(), Failure> {
        let plugin = self.plugin.load()?;
        let options = StudioOptions {
            lang: self.plugin.lang.as_str(),
            port: self.port,
            emulator: !self.no_emulator,
            ..StudioOptions::default()
        };
        let studio = Studio::start(plugin, options)?;
        let lang = self.plugin.lang.as_str();
        let url = studio.url();
        write_out(out, text!(en: format!("studio on {url}"), zh: format!("设计器地址 {url}")).get(lang))?;
        // The rest is for a person; a reader that stopped after the first line (a script that
        // only wanted the address) must not stop the studio.
        if let Some(url) = studio.emulator_url() {
            let (key, secret) = (crate::studio::EMULATOR_APP_KEY, crate::studio::EMULATOR_APP_SECRET);
            let users = crate::studio::EMULATOR_USERS;
            let (some, limited) = (users[..3].join(", "), users[3]);
            let words = text!(
                en: format!("emulator on {url}: AppKey {key}, AppSecret {secret}, users {some} (flow-controlled: {limited})"),
                zh: format!("模拟器地址 {url}：AppKey {key}，AppSecret {secret}，用户 {some}（被限流：{limited}）"),
            );
            let _ = write_out(out, words.get(lang));
            let webhook = crate::studio::emulator_webhook_url(&url);
            let secret = crate::studio::EMULATOR_WEBHOOK_SECRET;
            let words = text!(
                en: format!("custom robot: webhook URL {webhook}, signing secret {secret}"),
                zh: format!("自定义机器人：Webhook 地址 {webhook}，加签密钥 {secret}"),
            );
            let _ = write_out(out, words.get(lang));
        }
        let words = text!(
            en: "open the address above in a browser; stop it with Ctrl-C",
            zh: "请在浏览器中打开上面的地址；按 Ctrl-C 停止",
        );
        let _ = write_out(out, words.get(lang));
        Ok(studio.wait()?)
    }
}

/// The options every subcommand that loads a plugin shares.
#[derive(Debug, Clone, Args)]
pub(crate) struct PluginArgs {
    /// The plugin library [default: the dingtalk_robot library (libdingtalk_robot.so,
    /// libdingtalk_robot.dylib or dingtalk_robot.dll) beside host-sim, in its parent directory or
    /// in deps/].
    #[arg(long, value_name = "PATH")]
    pub(crate) plugin: Option<PathBuf>,

    /// The language of forms, error messages and the plugin's log lines [default: the
    /// system's: LANG, LC_ALL or LC_MESSAGES, or the Windows UI language].
    #[arg(long, value_enum, default_value_t = Lang::system(), hide_default_value = true)]
    pub(crate) lang: Lang,

    /// How to load the library: its abi_stable root module, or its plain C entry points.
    #[arg(long, value_enum, default_value_t = plugin::Abi::AbiStable)]
    pub(crate) abi: plugin::Abi,
}

impl PluginArgs {
    /// The library to load: `--plugin`, or [`plugin::default_plugin_path`].
    pub(crate) fn plugin_path(&self) -> PathBuf {
        self.plugin.clone().unwrap_or_else(plugin::default_plugin_path)
    }

    /// Loads the plugin.
    pub(crate) fn load(&self) -> Result<Arc<dyn Plugin>, HostError> {
        plugin::load_with(&self.plugin_path(), self.abi)
    }
}

/// A language of the interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Lang {
    /// English.
    #[value(name = "en")]
    En,
    /// Simplified Chinese.
    #[value(name = "zh-CN")]
    ZhCn,
}

impl Lang {
    /// The system's language, as the plugin takes it when a host says nothing.
    pub(crate) fn system() -> Lang {
        if rpa_plugin_abi::lang::system() == rpa_plugin_abi::lang::ZH_CN { Lang::ZhCn } else { Lang::En }
    }

    /// The tag the manifest and error documents use: `en` or `zh-CN`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::ZhCn => "zh-CN",
        }
    }
}

/// The least important log lines shown on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum LogLevelArg {
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
    pub(crate) fn level(self) -> Option<LogLevel> {
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
pub(crate) struct Failure {
    /// What went wrong.
    pub(crate) error: Box<ErrorPayload>,
    /// The step at fault, when the failure belongs to one.
    pub(crate) step: Option<usize>,
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
/// `{"error":{"code","message","field"?,"hint"?,"step"?,"upstream"?,"details"?}}`, with the
/// message and hint in `lang`; `step` (1-based) is present when the failure belongs to a
/// step, and `details` when the action gave some (what a hint such as `PARTIALLY_SENT`'s
/// "run the step again with only details.unsentUserIds" points to).
pub(crate) fn error_document(error: &ErrorPayload, step: Option<usize>, lang: Lang) -> String {
    let body = ErrorBody {
        code: &error.code,
        message: error.message_in(lang.as_str()),
        field: error.field.as_deref(),
        hint: error.hint_in(lang.as_str()),
        step,
        upstream: error.upstream.as_deref(),
        details: error.details.as_deref(),
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
    #[serde(skip_serializing_if = "Option::is_none")]
    details: Option<&'a Value>,
}

/// A failure in one line, as the summary on stderr and a bench report's `firstError` show it:
/// `CODE: message [field name]` in `lang` (`[字段 name]` in Chinese), the field left out when
/// the error names none. The Robot Framework library words its failures the same way.
pub(crate) fn one_line(error: &ErrorPayload, lang: Lang) -> String {
    let mut line = format!("{}: {}", error.code, error.message_in(lang.as_str()));
    if let Some(field) = &error.field {
        let words = text!(en: format!("[field {field}]"), zh: format!("[字段 {field}]"));
        line.push(' ');
        line.push_str(words.get(lang.as_str()));
    }
    line
}

/// Parses the process's arguments and runs; the whole of `main`.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    execute(&cli, &mut std::io::stdout().lock(), &mut std::io::stderr())
}

/// Runs `cli`, writing results and error documents to `out` and a failure's one-line
/// summary to `err` (log lines go to the process's stderr).
pub(crate) fn execute(cli: &Cli, out: &mut dyn Write, err: &mut dyn Write) -> ExitCode {
    match cli.command.execute(out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            let lang = cli.command.lang();
            let doc = error_document(&failure.error, failure.step, lang);
            let _ = writeln!(out, "{doc}");
            let _ = out.flush();
            let summary = one_line(&failure.error, lang);
            let words = match failure.step {
                Some(n) => text!(en: format!("error: step {n}: {summary}"), zh: format!("错误：步骤 {n}：{summary}")),
                None => text!(en: format!("error: {summary}"), zh: format!("错误：{summary}")),
            };
            let _ = writeln!(err, "{}", words.get(lang.as_str()));
            ExitCode::FAILURE
        }
    }
}

/// Writes `text` (and a final newline if it lacks one) to `out`; a closed stdout is a failure.
pub(crate) fn write_out(out: &mut dyn Write, text: &str) -> Result<(), Failure> {
    let newline = if text.ends_with('\n') { "" } else { "\n" };
    write!(out, "{text}{newline}").and_then(|()| out.flush()).map_err(|e| Failure {
        error: Box::new(ErrorPayload::new(codes::INTERNAL, format!("cannot write the output: {e}"))),
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
        let e = ErrorPayload::bilingual("X", rpa_plugin_abi::text!(en: "english", zh: "中文"))
            .with_bilingual_hint(rpa_plugin_abi::text!(en: "do this", zh: "这样做"));
        let text = error_document(&e, None, Lang::En);
        assert_eq!(text, r#"{"error":{"code":"X","message":"english","hint":"do this"}}"#);
        let doc: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(doc, json!({"error": {"code": "X", "message": "english", "hint": "do this"}}));
        let doc: Value =
            serde_json::from_str(&error_document(&e.clone().with_field("f"), Some(2), Lang::ZhCn)).unwrap();
        assert_eq!(doc, json!({"error": {"code": "X", "message": "中文", "hint": "这样做", "field": "f", "step": 2}}));
    }

    #[test]
    fn error_documents_carry_the_details() {
        let details = json!({"sentUserIds": ["u1"], "unsentUserIds": ["u2"]});
        let e = ErrorPayload::new("PARTIALLY_SENT", "sent to some").with_details(details.clone());
        let doc: Value = serde_json::from_str(&error_document(&e, Some(2), Lang::En)).unwrap();
        assert_eq!(
            doc,
            json!({"error": {"code": "PARTIALLY_SENT", "message": "sent to some", "step": 2, "details": details}})
        );
    }

    #[test]
    fn one_line_names_the_field_in_the_language() {
        let e =
            ErrorPayload::bilingual("INVALID_INPUT", rpa_plugin_abi::text!(en: "No receivers.", zh: "没有接收人。"));
        assert_eq!(one_line(&e, Lang::En), "INVALID_INPUT: No receivers.");
        let e = e.with_field("userIds");
        assert_eq!(one_line(&e, Lang::En), "INVALID_INPUT: No receivers. [field userIds]");
        assert_eq!(one_line(&e, Lang::ZhCn), "INVALID_INPUT: 没有接收人。 [字段 userIds]");
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
