//! Flows: steps run one after another, each step's outputs stored in variables that later
//! steps' params refer to as `"${name}"`.
//!
//! ```json
//! {"steps": [
//!   {"action": "dingtalk.robot.connect", "params": {"appKey": "${appKey}", "appSecret": "${appSecret}"},
//!    "outputs": {"robot": "bot"}},
//!   {"action": "dingtalk.robot.send_single_chat",
//!    "params": {"robot": "${bot}", "userIds": ["u1"], "msgType": "text", "content": "Hello ${name}"},
//!    "outputs": {"invalidUserIds": "bad"}}
//! ]}
//! ```
//!
//! A param that is exactly `"${name}"` becomes the variable's value, whatever its JSON type;
//! `${name}` inside a longer string is replaced by the variable's text (strings, numbers
//! and booleans only); `$${` writes a literal `${`. Substitution reaches into lists and
//! objects. Variable names are letters, digits, `_` and `-`.
//!
//! `${env:NAME}` is the text of the environment variable `NAME` (letters, digits and `_`,
//! not starting with a digit), alone or inside a longer string: the way to keep a secret
//! out of a flow file (`APP_SECRET=... host-sim run flow.json`). An unset one stops the flow
//! before its first step, like an unknown variable.
//!
//! A flow read from text has at most [`MAX_STEPS`] steps.
//!
//! Steps are numbered from 1, as a designer shows them; [`FlowError::step`] and the CLI's
//! `step` field use that number.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::ControlFlow;
use std::path::Path;
use std::time::Instant;

use rpa_plugin_abi::{ActionSpec, ErrorPayload, Manifest, Text, text};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::codes;
use crate::error::HostError;
use crate::form::mask_secrets;
use crate::host::{Host, LogLevel, log_line};
use crate::plugin::Plugin;
use crate::validate::{did_you_mean, validate_step};

mod substitute;

pub(crate) use substitute::references;
use substitute::*;
pub use substitute::{SubstituteError, substitute};

/// The most steps a flow may have. A designer's flow has tens; a thousand is plenty, and
/// keeps the studio's check of a flow (which every edit on its page sends) to a fraction
/// of a second.
pub const MAX_STEPS: usize = 1000;

/// What to do with a flow of more than [`MAX_STEPS`] steps, in both languages.
pub(crate) fn split_the_flow() -> Text {
    text!(
        en: format!("Split it into flows of at most {MAX_STEPS} steps and run them one after another."),
        zh: format!("请将其拆分为几个不超过 {MAX_STEPS} 个步骤的流程，依次运行。"),
    )
}

/// A flow: variables to start with, then steps run in order.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct Flow {
    /// A name for logs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Variables defined before the first step (the caller's `initial_vars` override them).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub variables: Map<String, Value>,
    /// The steps, run in order.
    pub steps: Vec<Step>,
}

/// One action dropped on the canvas, with its form filled in.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// The action id, as in the manifest.
    pub action: String,
    /// The form: field name -> value, where strings may refer to variables as `${name}`.
    #[serde(default)]
    pub params: Map<String, Value>,
    /// Output name -> the variable that receives it.
    #[serde(default)]
    pub outputs: BTreeMap<String, String>,
}

/// A step that failed, or a flow that cannot run: the error document and the step at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("step {step}: {error}")]
pub struct FlowError {
    /// The 1-based number of the step at fault.
    pub step: usize,
    /// What went wrong (the plugin's own error when the action failed).
    pub error: ErrorPayload,
}

impl Flow {
    /// Parses a flow from JSON text; `origin` (usually the file's path) names it in errors,
    /// which say the line and column of the problem. A flow of more than [`MAX_STEPS`] steps
    /// is refused ([`HostError::TooManySteps`]), wherever its text comes from: a file for
    /// `host-sim run` or the studio's page.
    pub fn parse(text: &str, origin: &Path) -> Result<Flow, HostError> {
        let flow: Flow = serde_json::from_str(text).map_err(|e| {
            let suffix = format!(" at line {} column {}", e.line(), e.column());
            let cause = e.to_string();
            let cause = cause.strip_suffix(&suffix).unwrap_or(&cause).to_string();
            HostError::InvalidFlow { path: origin.to_path_buf(), line: e.line(), column: e.column(), cause }
        })?;
        if flow.steps.len() > MAX_STEPS {
            return Err(HostError::TooManySteps { path: origin.to_path_buf(), steps: flow.steps.len() });
        }
        Ok(flow)
    }

    /// Reads and parses the flow file at `path`.
    pub fn from_file(path: &Path) -> Result<Flow, HostError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| HostError::FlowUnreadable { path: path.to_path_buf(), source })?;
        Flow::parse(&text, path)
    }

    /// Checks what can be checked before anything runs, as a designer does when the user
    /// presses "run": every action exists, every mapped output is declared by its action,
    /// and every `${variable}` is defined by `known` or by an earlier step's outputs.
    pub fn check<'a>(&self, manifest: &Manifest, known: impl IntoIterator<Item = &'a str>) -> Result<(), FlowError> {
        let mut first = None;
        self.problems(manifest, known, |problem| {
            first = Some(problem);
            ControlFlow::Break(())
        });
        first.map_or(Ok(()), Err)
    }

    /// Every problem [`Flow::check`] looks for, in step order, each handed to `each` until it
    /// answers [`ControlFlow::Break`]: the studio shows them all at once, `check` stops at
    /// the first. One pass over the steps, so the work grows with the flow's size and not
    /// with its size times the number of its problems.
    ///
    /// After a problem the walk goes on as if the thing at fault were left out: a step whose
    /// action is unknown still defines the variables it maps (later steps may use them) but
    /// its params are not looked at; a param that refers to an unknown variable or an unset
    /// environment variable is reported once (its first such reference); an output the action
    /// does not declare defines no variable.
    pub(crate) fn problems<'a>(
        &self,
        manifest: &Manifest,
        known: impl IntoIterator<Item = &'a str>,
        mut each: impl FnMut(FlowError) -> ControlFlow<()>,
    ) {
        let mut defined: BTreeSet<&str> = known.into_iter().collect();
        defined.extend(self.variables.keys().map(String::as_str));
        let mut suggestions = Suggestions::default();
        for (index, step) in self.steps.iter().enumerate() {
            #[cfg(test)]
            step_visits::count();
            let n = index + 1;
            let mut report = |error: ErrorPayload| each(FlowError { step: n, error });
            let spec = match action_spec(manifest, step) {
                Ok(spec) => spec,
                Err(error) => {
                    if report(error).is_break() {
                        return;
                    }
                    defined.extend(step.outputs.values().map(String::as_str));
                    continue;
                }
            };
            for (param, value) in &step.params {
                let problem = match references(value).into_iter().find(|name| !defined.contains(name.as_str())) {
                    Some(name) => Some(suggestions.unknown_variable(param, &name, &defined)),
                    None => env_references(value)
                        .into_iter()
                        .find(|name| process_env(name).is_none())
                        .map(|name| unset_env(param, &name)),
                };
                if let Some(error) = problem
                    && report(error).is_break()
                {
                    return;
                }
            }
            for (output, variable) in &step.outputs {
                if spec.outputs.iter().any(|o| &o.name == output) {
                    defined.insert(variable);
                } else if report(unknown_output(spec, output)).is_break() {
                    return;
                }
            }
        }
    }

    /// The variables whose values feed a secret (write-only) field as a whole, so that a
    /// host printing the final variables can mask them.
    pub fn secret_variables(&self, manifest: &Manifest) -> BTreeSet<String> {
        let mut secrets = BTreeSet::new();
        for step in &self.steps {
            let Some(spec) = manifest.action(&step.action) else { continue };
            for (param, value) in &step.params {
                if spec.input(param).is_some_and(|f| f.is_secret())
                    && let Some(name) = value.as_str().and_then(whole_reference)
                {
                    secrets.insert(name.to_string());
                }
            }
        }
        secrets
    }
}

/// Runs `flow` with `plugin`, lending `host` to every step, and returns the final variables.
///
/// The variables start as the flow's `variables` overridden by `initial_vars`. Before
/// anything runs, [`Flow::check`] checks the actions, outputs and variable references.
/// Then each step in turn: stop if `host` is cancelled, substitute variables into the
/// params, check them against the action's form and put each in the shape its field
/// declares ([`validate_params`](crate::validate::validate_params)), invoke with those
/// values, and store the mapped outputs (an output the action did not return is an error).
/// The first failure stops the flow; no later step runs.
///
/// Holds no state between calls: run it as often as needed, from as many threads as needed,
/// with the same plugin and flow.
pub fn run_flow(
    plugin: &dyn Plugin,
    flow: &Flow,
    host: &dyn Host,
    initial_vars: Map<String, Value>,
) -> Result<Map<String, Value>, FlowError> {
    run_flow_logging(plugin, flow, host, initial_vars, "en", Some(LogLevel::Debug))
}

/// [`run_flow`], with host-sim's own log lines in `lang` (`zh-CN`, or English), built only at
/// `kept` and more important levels (`None`: none), for a host that drops the others ([`SimHost::kept`](crate::SimHost::kept)
/// says which it keeps): a debug line's masked copy of the params, and the steps' info lines,
/// cost nothing when nobody reads them.
pub fn run_flow_logging(
    plugin: &dyn Plugin,
    flow: &Flow,
    host: &dyn Host,
    initial_vars: Map<String, Value>,
    lang: &str,
    kept: Option<LogLevel>,
) -> Result<Map<String, Value>, FlowError> {
    let mut vars = flow.variables.clone();
    vars.extend(initial_vars);
    flow.check(plugin.manifest(), vars.keys().map(String::as_str))?;
    run_checked(plugin, flow, host, vars, lang, kept)
}

/// The steps of [`run_flow_logging`], for a flow already [checked](Flow::check) against
/// `plugin`'s manifest with the names of `vars` (its own variables and the initial ones, as
/// given here): a host that runs one flow many times checks it once. Its log lines are in
/// `lang`.
pub(crate) fn run_checked(
    plugin: &dyn Plugin,
    flow: &Flow,
    host: &dyn Host,
    mut vars: Map<String, Value>,
    lang: &str,
    kept: Option<LogLevel>,
) -> Result<Map<String, Value>, FlowError> {
    let manifest = plugin.manifest();

    let total = flow.steps.len();
    for (index, step) in flow.steps.iter().enumerate() {
        let n = index + 1;
        let fail = |error: ErrorPayload| FlowError { step: n, error };
        if host.is_cancelled() {
            return Err(fail(cancelled()));
        }
        let spec = action_spec(manifest, step).map_err(fail)?;
        let params = substitute_params(&step.params, &vars).map_err(fail)?;
        let params = validate_step(manifest, plugin.validators(), spec, params).map_err(fail)?;

        let keeps = |level: LogLevel| kept.is_some_and(|kept| level <= kept);
        if keeps(LogLevel::Info) {
            let (title, id) = (spec.title.get(lang), &spec.id);
            let line = text!(en: format!("step {n}/{total}: {title} ({id})"), zh: format!("步骤 {n}/{total}：{title}（{id}）"));
            log_line(host, LogLevel::Info, line.get(lang));
        }
        if keeps(LogLevel::Debug) {
            let params = mask_secrets(spec, &params);
            let line = text!(en: format!("step {n} params: {params}"), zh: format!("步骤 {n} 的参数：{params}"));
            log_line(host, LogLevel::Debug, line.get(lang));
        }
        let started = Instant::now();
        let outputs = plugin.invoke(&step.action, &params, host).map_err(fail)?;
        let elapsed = started.elapsed().as_millis();
        if keeps(LogLevel::Info) {
            let line = text!(
                en: format!("step {n}/{total}: done in {elapsed} ms"),
                zh: format!("步骤 {n}/{total}：完成，用时 {elapsed} 毫秒"),
            );
            log_line(host, LogLevel::Info, line.get(lang));
        }

        for (output, variable) in &step.outputs {
            let value = outputs.get(output).ok_or_else(|| fail(missing_output(spec, output)))?;
            vars.insert(variable.clone(), value.clone());
        }
    }
    Ok(vars)
}

fn action_spec<'m>(manifest: &'m Manifest, step: &Step) -> Result<&'m ActionSpec, ErrorPayload> {
    if let Some(spec) = manifest.action(&step.action) {
        return Ok(spec);
    }
    let ids: Vec<&str> = manifest.actions.iter().map(|a| a.id.as_str()).collect();
    let hint = match did_you_mean(&step.action, ids.iter().copied()) {
        Some(id) => text!(en: format!("Did you mean \"{id}\"?"), zh: format!("是否应为 \"{id}\"？")),
        None => text!(
            en: format!("The plugin's actions are: {}.", ids.join(", ")),
            zh: format!("插件的动作有：{}。", ids.join("、")),
        ),
    };
    Err(ErrorPayload::bilingual(
        codes::UNKNOWN_ACTION,
        text!(
            en: format!("The plugin {} has no action \"{}\"", manifest.id, step.action),
            zh: format!("插件 {} 没有动作 \"{}\"", manifest.id, step.action),
        ),
    )
    .with_bilingual_hint(hint))
}

/// The error of a param that refers to an unknown variable, suggesting the closest defined one.
fn unknown_variable(param: &str, name: &str, defined: &BTreeSet<&str>) -> ErrorPayload {
    unknown_variable_suggesting(param, name, suggest(name, defined))
}

/// Names longer than this get no did-you-mean: comparing two names costs the product of their
/// lengths, and a name this long is pasted, not mistyped.
const LONGEST_SUGGESTED_NAME: usize = 64;

/// The defined variable that `name` is most likely a typo of. Only names within two
/// characters of its length can be two edits away, so only they are compared.
pub(crate) fn suggest<'a>(name: &str, defined: &BTreeSet<&'a str>) -> Option<&'a str> {
    let length = name.chars().count();
    if length > LONGEST_SUGGESTED_NAME {
        return None;
    }
    let close =
        defined.iter().copied().filter(|d| d.len() <= 4 * (length + 2) && d.chars().count().abs_diff(length) <= 2);
    did_you_mean(name, close)
}

/// How many unknown names one walk over a flow suggests a variable for: each suggestion
/// compares the name with every defined variable, so a walk that reports every problem
/// ([`Flow::problems`]) would otherwise do work that grows with the number of problems times
/// the number of variables. Past it, a problem gets the hint that says how to define it.
const SUGGESTED_NAMES: usize = 50;

/// The did-you-mean suggestions of one walk over a flow: each unknown name's found once,
/// at most [`SUGGESTED_NAMES`] of them.
#[derive(Default)]
struct Suggestions {
    found: HashMap<String, Option<String>>,
}

impl Suggestions {
    /// [`unknown_variable`], with a suggestion while the walk's budget lasts.
    fn unknown_variable(&mut self, param: &str, name: &str, defined: &BTreeSet<&str>) -> ErrorPayload {
        let suggestion = match self.found.get(name) {
            Some(found) => found.clone(),
            None if self.found.len() < SUGGESTED_NAMES => {
                let found = suggest(name, defined).map(str::to_string);
                self.found.insert(name.to_string(), found.clone());
                found
            }
            None => None,
        };
        unknown_variable_suggesting(param, name, suggestion.as_deref())
    }
}

/// The error of a param that refers to an unknown variable, with `suggestion` as its hint
/// or, without one, how to define the variable.
fn unknown_variable_suggesting(param: &str, name: &str, suggestion: Option<&str>) -> ErrorPayload {
    let hint = match suggestion {
        Some(v) => text!(en: format!("Did you mean ${{{v}}}?"), zh: format!("是否应为 ${{{v}}}？")),
        None => text!(
            en: format!(
                "Define {name} with --var {name}=VALUE, in the flow's \"variables\", or as an earlier step's output."
            ),
            zh: format!("请用 --var {name}=值、流程的 \"variables\" 或前面步骤的输出来定义 {name}。"),
        ),
    };
    about(
        codes::UNKNOWN_VARIABLE,
        param,
        text!(
            en: format!("Param \"{param}\" refers to the unknown variable ${{{name}}}"),
            zh: format!("参数 \"{param}\" 引用了未定义的变量 ${{{name}}}"),
        ),
        hint,
    )
}

fn unset_env(param: &str, name: &str) -> ErrorPayload {
    about(
        codes::UNKNOWN_VARIABLE,
        param,
        text!(
            en: format!("Param \"{param}\" refers to the environment variable {name}, which is not set"),
            zh: format!("参数 \"{param}\" 引用的环境变量 {name} 未设置"),
        ),
        text!(
            en: format!("Set {name} where host-sim runs, for example: {name}=... host-sim run flow.json"),
            zh: format!("请在运行 host-sim 的环境中设置 {name}，例如：{name}=... host-sim run flow.json"),
        ),
    )
}

fn unknown_output(spec: &ActionSpec, output: &str) -> ErrorPayload {
    let names: Vec<&str> = spec.outputs.iter().map(|o| o.name.as_str()).collect();
    let hint =
        text!(en: format!("Its outputs are: {}.", names.join(", ")), zh: format!("它的输出有：{}。", names.join("、")));
    let message = text!(
        en: format!("The action {} has no output \"{output}\"", spec.id),
        zh: format!("动作 {} 没有输出 \"{output}\"", spec.id),
    );
    about(codes::UNKNOWN_OUTPUT, output, message, hint)
}

fn missing_output(spec: &ActionSpec, output: &str) -> ErrorPayload {
    let message = text!(
        en: format!("The action {} did not return its output \"{output}\"", spec.id),
        zh: format!("动作 {} 没有返回输出 \"{output}\"", spec.id),
    );
    about(codes::MISSING_OUTPUT, output, message, MAP_RETURNED_OUTPUTS)
}

/// An error about one param or output of a step (its `field`), with a hint.
fn about(code: &str, field: &str, message: Text, hint: Text) -> ErrorPayload {
    ErrorPayload::bilingual(code, message).with_field(field).with_bilingual_hint(hint)
}

/// The hint for an output that was declared but not returned.
const MAP_RETURNED_OUTPUTS: Text = text!(
    en: "Map only the outputs the action returns in this case, or report it to the plugin's author.",
    zh: "请只映射该动作在此情况下会返回的输出，或联系插件作者。",
);

fn cancelled() -> ErrorPayload {
    ErrorPayload::bilingual(
        codes::CANCELLED,
        text!(en: "The flow was stopped before this step", zh: "流程在此步骤之前被停止"),
    )
    .with_bilingual_hint(text!(en: "Run the flow again to finish it.", zh: "如需完成，请重新运行流程。"))
}

/// How many steps [`Flow::problems`] has looked at on this thread: the unit of a check's
/// work, counted so that tests can see it grow with the flow and not faster.
#[cfg(test)]
pub(crate) mod step_visits {
    use std::cell::Cell;

    thread_local! {
        static VISITS: Cell<usize> = const { Cell::new(0) };
    }

    /// One more step looked at.
    pub(crate) fn count() {
        VISITS.with(|v| v.set(v.get() + 1));
    }

    /// The steps looked at on this thread so far.
    pub(crate) fn so_far() -> usize {
        VISITS.with(Cell::get)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn vars() -> Map<String, Value> {
        json!({"name": "Ann", "n": 3, "ok": true, "list": ["a", "b"], "obj": {"k": 1}, "nothing": null})
            .as_object()
            .cloned()
            .unwrap_or_default()
    }

    #[test]
    fn whole_references_keep_the_json_type() {
        for name in ["name", "n", "ok", "list", "obj", "nothing"] {
            assert_eq!(substitute(&json!(format!("${{{name}}}")), &vars()).unwrap(), vars()[name]);
        }
    }

    #[test]
    fn embedded_references_are_interpolated() {
        let v = substitute(&json!("Hello ${name}, you have ${n} (${ok})!"), &vars()).unwrap();
        assert_eq!(v, json!("Hello Ann, you have 3 (true)!"));
        let v = substitute(&json!("${name}${name}"), &vars()).unwrap();
        assert_eq!(v, json!("AnnAnn"));
    }

    #[test]
    fn literal_dollars() {
        assert_eq!(substitute(&json!("cost: $5, $${name}"), &vars()).unwrap(), json!("cost: $5, ${name}"));
        assert_eq!(substitute(&json!("$${name}"), &vars()).unwrap(), json!("${name}"));
        assert_eq!(substitute(&json!("${ not a name } ${"), &vars()).unwrap(), json!("${ not a name } ${"));
        assert_eq!(substitute(&json!("${}"), &vars()).unwrap(), json!("${}"));
    }

    #[test]
    fn reaches_into_lists_and_objects() {
        let v = substitute(&json!({"a": ["${name}", {"b": "${list}"}], "c": 1}), &vars()).unwrap();
        assert_eq!(v, json!({"a": ["Ann", {"b": ["a", "b"]}], "c": 1}));
    }

    #[test]
    fn unknown_and_untextual_variables() {
        assert_eq!(substitute(&json!("${who}"), &vars()), Err(SubstituteError::UnknownVariable("who".into())));
        assert_eq!(substitute(&json!("hi ${who}"), &vars()), Err(SubstituteError::UnknownVariable("who".into())));
        assert_eq!(substitute(&json!("hi ${list}"), &vars()), Err(SubstituteError::NotText("list".into())));

        let params = json!({"content": "hi ${nmae}"}).as_object().cloned().unwrap_or_default();
        let e = substitute_params(&params, &vars()).unwrap_err();
        assert_eq!(e.code, codes::UNKNOWN_VARIABLE);
        assert_eq!(e.field.as_deref(), Some("content"));
        assert!(e.message.contains("${nmae}"), "{}", e.message);
        assert_eq!(e.hint.as_deref(), Some("Did you mean ${name}?"));
    }

    #[test]
    fn environment_variables() {
        let env = |name: &str| (name == "APP_SECRET").then(|| "s3cr3t ${name}".to_string());
        let sub = |v: Value| substitute_with(&v, &vars(), &env);
        assert_eq!(sub(json!("${env:APP_SECRET}")), Ok(json!("s3cr3t ${name}")), "taken as it is, never substituted");
        assert_eq!(sub(json!(["a ${env:APP_SECRET} ${name}"])), Ok(json!(["a s3cr3t ${name} Ann"])));
        assert_eq!(sub(json!("${env:OTHER}")), Err(SubstituteError::UnsetEnv("OTHER".into())));
        for literal in ["$${env:APP_SECRET}", "${env:}", "${env:1X}", "${env:A-B}", "${ env:APP_SECRET}"] {
            let expected = literal.replacen("$${", "${", 1);
            assert_eq!(sub(json!(literal)), Ok(json!(expected)), "{literal}");
        }
        assert_eq!(env_references(&json!({"a": ["${env:X}", "${y} ${env:Y_2}"]})), ["X", "Y_2"]);
        assert!(references(&json!("${env:X}")).is_empty());
    }

    #[test]
    fn an_unset_environment_variable_stops_the_flow_before_it_starts() {
        let plugin = FakePlugin::new();
        let unset = "HOST_SIM_UNIT_TEST_NEVER_SET_7F3A";
        let f = flow(&format!(
            r#"{{"steps": [{{"action": "t.upper", "params": {{"text": "a"}}}},
                           {{"action": "t.upper", "params": {{"text": "a", "key": "${{env:{unset}}}"}}}}]}}"#
        ));
        let e = run_flow(&plugin, &f, &crate::SimHost::silent(), Map::new()).unwrap_err();
        assert_eq!(
            (e.step, e.error.code.as_str(), e.error.field.as_deref()),
            (2, codes::UNKNOWN_VARIABLE, Some("key"))
        );
        assert!(e.error.message.contains(unset) && e.error.hint_in("zh-CN").is_some_and(|h| h.contains(unset)));
        assert_eq!(plugin.calls(), 0);
    }

    #[test]
    fn references_are_found_everywhere() {
        let mut found = references(&json!({"a": ["${x}", "hi ${y} $${z}"], "b": "${w}"}));
        found.sort();
        assert_eq!(found, ["w", "x", "y"]);
    }

    #[test]
    fn parse_errors_name_the_file_line_and_column() {
        let e = Flow::parse("{\"steps\": [\n  {\"action\": \"a\",, }\n]}", Path::new("my-flow.json")).unwrap_err();
        match &e {
            HostError::InvalidFlow { path, line, column, .. } => {
                assert_eq!(path, Path::new("my-flow.json"));
                assert_eq!((*line, *column), (2, 18));
            }
            other => panic!("{other:?}"),
        }
        assert!(e.to_string().contains("my-flow.json"), "{e}");

        let e = Flow::parse(r#"{"steps": [{"action": "a", "param": {}}]}"#, Path::new("f.json")).unwrap_err();
        assert!(e.to_string().contains("unknown field `param`"), "{e}");
        let e = Flow::parse(r#"{}"#, Path::new("f.json")).unwrap_err();
        assert!(e.to_string().contains("missing field `steps`"), "{e}");
        let e = Flow::from_file(Path::new("/no/such/flow.json")).unwrap_err();
        assert_eq!(e.code(), codes::INVALID_FLOW);
        assert!(e.to_string().contains("/no/such/flow.json"), "{e}");
    }

    #[test]
    fn a_flow_of_more_than_max_steps_is_refused_when_read() {
        let text = |n: usize| format!(r#"{{"steps": [{}]}}"#, vec![r#"{"action": "a"}"#; n].join(","));
        assert_eq!(Flow::parse(&text(MAX_STEPS), Path::new("f.json")).unwrap().steps.len(), MAX_STEPS);
        let e = Flow::parse(&text(MAX_STEPS + 1), Path::new("f.json")).unwrap_err();
        assert!(matches!(e, HostError::TooManySteps { steps: 1001, .. }), "{e:?}");
        let doc = e.to_payload();
        assert_eq!(doc.code, codes::INVALID_FLOW);
        assert_eq!(doc.message, "flow file f.json has 1001 steps; a flow holds at most 1000");
        assert_eq!(doc.message_in("zh-CN"), "流程文件 f.json 共有 1001 个步骤，而一个流程最多只能包含 1000 个步骤");
        assert!(doc.hint_in("zh-CN").is_some_and(|h| h.contains("1000")), "{doc:?}");
        assert!(doc.hint.is_some_and(|h| h.contains("at most 1000 steps")));
    }

    #[test]
    fn a_long_run_of_unclosed_references_is_text() {
        assert_eq!(substitute(&json!("${a${name}"), &vars()).unwrap(), json!("${aAnn"));
        assert_eq!(substitute(&json!("${name ${name}}"), &vars()).unwrap(), json!("${name Ann}"));
        assert_eq!(substitute(&json!("${env:X ${n}"), &vars()).unwrap(), json!("${env:X 3"));
        // Read once, not once per `${`: 200,000 of them would take minutes otherwise.
        let long = "${".repeat(200_000) + " }";
        assert_eq!(substitute(&json!(long), &vars()).unwrap(), json!(long));
        assert!(references(&json!(long)).is_empty());
    }

    #[test]
    fn a_walk_suggests_a_variable_for_a_bounded_number_of_unknown_names() {
        let plugin = FakePlugin::new();
        let variables: Map<String, Value> = (0..80).map(|i| (format!("alpha{i:02}"), json!("x"))).collect();
        let steps: Vec<Value> = (0..80)
            .chain([0])
            .map(|i| json!({"action": "t.upper", "params": {"text": format!("${{alpha{i:02}x}}")}}))
            .collect();
        let f: Flow = serde_json::from_value(json!({"variables": variables, "steps": steps})).unwrap();
        let mut hints = Vec::new();
        f.problems(plugin.manifest(), [], |problem| {
            hints.push(problem.error.hint.unwrap_or_default());
            ControlFlow::Continue(())
        });
        assert_eq!(hints.len(), 81);
        for (i, hint) in hints.iter().enumerate().take(SUGGESTED_NAMES) {
            assert_eq!(hint, &format!("Did you mean ${{alpha{i:02}}}?"));
        }
        assert!(hints[SUGGESTED_NAMES..80].iter().all(|h| h.starts_with("Define alpha")), "{hints:?}");
        assert_eq!(hints[80], "Did you mean ${alpha00}?", "a name already suggested for keeps its suggestion");

        // A name too long to be a typo gets none, and Flow::check still suggests one.
        let long = "b".repeat(LONGEST_SUGGESTED_NAME + 1);
        let defined = BTreeSet::from([long.as_str(), "beta"]);
        assert_eq!(suggest(&format!("{long}b"), &defined), None);
        assert_eq!(suggest("betta", &defined), Some("beta"));
        let e =
            flow(r#"{"variables": {"alpha": 1}, "steps": [{"action": "t.upper", "params": {"text": "${alpah}"}}]}"#)
                .check(plugin.manifest(), [])
                .unwrap_err();
        assert_eq!(e.error.hint.as_deref(), Some("Did you mean ${alpha}?"));
    }

    #[test]
    fn parses_the_documented_shape() {
        let flow = Flow::parse(
            r#"{"steps":[{"action":"x.y","params":{"a":"${v}"},"outputs":{"out":"var"}},{"action":"x.z"}]}"#,
            Path::new("f.json"),
        )
        .unwrap();
        assert_eq!(flow.steps.len(), 2);
        assert_eq!(flow.steps[0].outputs["out"], "var");
        assert!(flow.steps[1].params.is_empty());
    }

    /// A plugin in memory: `t.upper` upper-cases `text`; `t.fail` fails; every call is counted.
    struct FakePlugin {
        manifest: Manifest,
        calls: std::sync::atomic::AtomicUsize,
    }

    impl FakePlugin {
        fn new() -> Self {
            let field = |name: &str, required: bool, schema: Value| {
                json!({"name": name, "label": {"zh-CN": name, "en": name}, "help": {"zh-CN": "", "en": ""},
                       "required": required, "schema": schema})
            };
            let manifest = json!({
                "id": "fake", "version": "0.0.1", "abiVersion": 1, "name": {"zh-CN": "假", "en": "Fake"},
                "actions": [
                    {"id": "t.upper", "title": {"zh-CN": "大写", "en": "Upper"}, "description": {"zh-CN": "", "en": ""},
                     "inputs": {"basic": [field("text", true, json!({"type": "string"}))],
                                "advanced": [field("key", false, json!({"type": "string", "writeOnly": true}))]},
                     "outputs": [field("text", true, json!({"type": "string"})), field("extra", false, json!({"type": "string"}))]},
                    {"id": "t.fail", "title": {"zh-CN": "失败", "en": "Fail"}, "description": {"zh-CN": "", "en": ""},
                     "inputs": {"basic": [], "advanced": []}, "outputs": []}
                ]
            });
            FakePlugin { manifest: serde_json::from_value(manifest).unwrap(), calls: Default::default() }
        }

        fn calls(&self) -> usize {
            self.calls.load(std::sync::atomic::Ordering::SeqCst)
        }
    }

    impl Plugin for FakePlugin {
        fn manifest(&self) -> &Manifest {
            &self.manifest
        }

        fn manifest_json(&self) -> &str {
            "{}"
        }

        fn invoke(&self, action: &str, params: &Value, host: &dyn Host) -> Result<Value, ErrorPayload> {
            self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            log_line(host, LogLevel::Info, &format!("fake {action}"));
            match action {
                "t.upper" => Ok(json!({"text": params["text"].as_str().unwrap_or_default().to_uppercase()})),
                _ => Err(ErrorPayload::new("BOOM", "it failed")),
            }
        }
    }

    fn flow(text: &str) -> Flow {
        Flow::parse(text, Path::new("test.json")).unwrap()
    }

    fn initial(pairs: Value) -> Map<String, Value> {
        pairs.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn runs_steps_and_wires_outputs() {
        let plugin = FakePlugin::new();
        let host = crate::SimHost::silent().with_capture();
        let f = flow(
            r#"{"variables": {"who": "ann"}, "steps": [
                {"action": "t.upper", "params": {"text": "hi ${who}"}, "outputs": {"text": "a"}},
                {"action": "t.upper", "params": {"text": "${a}!"}, "outputs": {"text": "b"}}]}"#,
        );
        let vars = run_flow(&plugin, &f, &host, initial(json!({"extra": 1}))).unwrap();
        assert_eq!(Value::Object(vars), json!({"who": "ann", "extra": 1, "a": "HI ANN", "b": "HI ANN!"}));
        assert_eq!(plugin.calls(), 2);
        let log = host.captured();
        assert!(log.contains(&"info: fake t.upper".to_string()), "{log:?}");
        assert!(log.iter().any(|l| l.starts_with("info: step 2/2")), "{log:?}");
    }

    #[test]
    fn initial_vars_override_the_flows() {
        let plugin = FakePlugin::new();
        let f = flow(
            r#"{"variables": {"who": "ann"}, "steps": [{"action": "t.upper", "params": {"text": "${who}"}, "outputs": {"text": "out"}}]}"#,
        );
        let vars = run_flow(&plugin, &f, &crate::SimHost::silent(), initial(json!({"who": "bob"}))).unwrap();
        assert_eq!(vars["out"], "BOB");
    }

    #[test]
    fn nothing_runs_when_a_later_step_is_wrong() {
        let plugin = FakePlugin::new();
        let host = crate::SimHost::silent();
        let cases = [
            (r#"{"action": "t.uper"}"#, codes::UNKNOWN_ACTION, None, Some("Did you mean \"t.upper\"?")),
            (r#"{"action": "t.upper", "params": {"text": "${nope}"}}"#, codes::UNKNOWN_VARIABLE, Some("text"), None),
            (
                r#"{"action": "t.upper", "params": {"text": "x"}, "outputs": {"txt": "v"}}"#,
                codes::UNKNOWN_OUTPUT,
                Some("txt"),
                None,
            ),
        ];
        for (second, code, field, hint) in cases {
            let f = flow(&format!(r#"{{"steps": [{{"action": "t.upper", "params": {{"text": "a"}}}}, {second}]}}"#));
            let e = run_flow(&plugin, &f, &host, Map::new()).unwrap_err();
            assert_eq!((e.step, e.error.code.as_str(), e.error.field.as_deref()), (2, code, field), "{e}");
            if let Some(hint) = hint {
                assert_eq!(e.error.hint.as_deref(), Some(hint));
            }
            assert!(e.error.zh_cn.is_some());
        }
        assert_eq!(plugin.calls(), 0);
    }

    #[test]
    fn a_failing_step_stops_the_flow() {
        let plugin = FakePlugin::new();
        let f = flow(
            r#"{"steps": [{"action": "t.upper", "params": {"text": "a"}}, {"action": "t.fail"}, {"action": "t.upper", "params": {"text": "b"}}]}"#,
        );
        let e = run_flow(&plugin, &f, &crate::SimHost::silent(), Map::new()).unwrap_err();
        assert_eq!((e.step, e.error.code.as_str()), (2, "BOOM"));
        assert_eq!(plugin.calls(), 2);
    }

    #[test]
    fn invalid_params_stop_before_the_call() {
        let plugin = FakePlugin::new();
        let f = flow(r#"{"steps": [{"action": "t.upper", "params": {"text": "${n}"}}]}"#);
        let e = run_flow(&plugin, &f, &crate::SimHost::silent(), initial(json!({"n": 5}))).unwrap_err();
        assert_eq!((e.step, e.error.code.as_str(), e.error.field.as_deref()), (1, codes::INVALID_INPUT, Some("text")));
        assert_eq!(plugin.calls(), 0);
    }

    #[test]
    fn a_declared_output_that_is_not_returned() {
        let plugin = FakePlugin::new();
        let f = flow(r#"{"steps": [{"action": "t.upper", "params": {"text": "a"}, "outputs": {"extra": "e"}}]}"#);
        let e = run_flow(&plugin, &f, &crate::SimHost::silent(), Map::new()).unwrap_err();
        assert_eq!(
            (e.step, e.error.code.as_str(), e.error.field.as_deref()),
            (1, codes::MISSING_OUTPUT, Some("extra"))
        );
    }

    #[test]
    fn a_cancelled_host_runs_nothing() {
        let plugin = FakePlugin::new();
        let host = crate::SimHost::silent();
        host.cancel();
        let f = flow(r#"{"steps": [{"action": "t.upper", "params": {"text": "a"}}]}"#);
        let e = run_flow(&plugin, &f, &host, Map::new()).unwrap_err();
        assert_eq!((e.step, e.error.code.as_str()), (1, codes::CANCELLED));
        assert_eq!(plugin.calls(), 0);
    }

    #[test]
    fn secrets_are_logged_masked_and_listed() {
        let plugin = FakePlugin::new();
        let host = crate::SimHost::silent().with_capture();
        let f = flow(r#"{"steps": [{"action": "t.upper", "params": {"text": "a", "key": "${k}"}}]}"#);
        run_flow(&plugin, &f, &host, initial(json!({"k": "hunter2"}))).unwrap();
        assert!(host.captured().iter().all(|l| !l.contains("hunter2")), "{:?}", host.captured());
        assert_eq!(f.secret_variables(plugin.manifest()), BTreeSet::from(["k".to_string()]));
    }

    #[test]
    fn log_lines_are_built_only_at_the_levels_kept() {
        let plugin = FakePlugin::new();
        let f = flow(r#"{"steps": [{"action": "t.upper", "params": {"text": "a", "key": "${k}"}}]}"#);
        let lines = |kept: Option<LogLevel>| {
            let host = crate::SimHost::silent().with_capture();
            run_flow_logging(&plugin, &f, &host, initial(json!({"k": "hunter2"})), "en", kept).unwrap();
            let captured = host.captured();
            let count = |prefix: &str| captured.iter().filter(|l| l.starts_with(prefix)).count();
            (count("debug: step 1 params:"), count("info: step 1/1"))
        };
        assert_eq!(lines(Some(LogLevel::Debug)), (1, 2));
        assert_eq!(lines(Some(LogLevel::Info)), (0, 2));
        assert_eq!(lines(Some(LogLevel::Warn)), (0, 0));
        assert_eq!(lines(None), (0, 0));
        assert_eq!(crate::SimHost::silent().with_capture().kept(), Some(LogLevel::Debug));
        assert_eq!(crate::SimHost::silent().kept(), None);
        assert_eq!(crate::SimHost::new().kept(), Some(LogLevel::Info));
        assert!(!crate::SimHost::new().logs(LogLevel::Debug));
        assert!(crate::SimHost::new().with_stderr(Some(LogLevel::Debug)).logs(LogLevel::Debug));
    }

    #[test]
    fn one_flow_from_many_threads() {
        let plugin = FakePlugin::new();
        let host = crate::SimHost::silent();
        let f = flow(r#"{"steps": [{"action": "t.upper", "params": {"text": "${x}"}, "outputs": {"text": "y"}}]}"#);
        std::thread::scope(|scope| {
            for i in 0..8 {
                let (plugin, host, f) = (&plugin, &host, &f);
                scope.spawn(move || {
                    for j in 0..50 {
                        let vars = run_flow(plugin, f, host, initial(json!({"x": format!("t{i}-{j}")}))).unwrap();
                        assert_eq!(vars["y"], format!("T{i}-{j}"));
                    }
                });
            }
        });
        assert_eq!(plugin.calls(), 400);
    }
}
