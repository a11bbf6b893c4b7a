//! Checking a flow the way the studio's form shows it: every problem at once, each beside
//! its field, with host-sim's own rules ([`Flow::check`] for actions, outputs and
//! variables, [`validate_params`] for each field's schema), and masking secrets in what
//! goes back to the page.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::ops::ControlFlow;

use aho_corasick::{AhoCorasick, MatchKind};
use rpa_plugin_abi::error::Upstream;
use rpa_plugin_abi::{ActionSpec, ErrorPayload, FieldSpec, Manifest, Text, text};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::codes;
use crate::flow::{Flow, SubstituteError, references, substitute, suggest};
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

    // Actions, outputs and variable references: every problem the engine's own check looks
    // for, in one pass over the steps.
    flow.problems(manifest, [], |problem| {
        if let Some(check) = report.get_mut(problem.step.wrapping_sub(1)) {
            let doc = match problem.error.field.as_deref() {
                Some(param) if problem.error.code == codes::UNKNOWN_VARIABLE => {
                    unknown_variable_in_page(manifest, flow, problem.step - 1, param)
                        .unwrap_or_else(|| Doc::from(&problem.error))
                }
                _ => Doc::from(&problem.error),
            };
            match problem.error.field.clone() {
                Some(field) if problem.error.code == codes::UNKNOWN_OUTPUT => {
                    check.fields.insert(format!("outputs.{field}"), doc);
                }
                Some(field) => {
                    check.fields.insert(field, doc);
                }
                None => {
                    check.error.get_or_insert(doc);
                }
            }
        }
        ControlFlow::Continue(())
    });

    // Each field against its schema, as the form shows it.
    for (i, step) in flow.steps.iter().enumerate() {
        let Some(spec) = manifest.action(&step.action) else { continue };
        for (name, value) in &step.params {
            if report[i].error.is_none() && spec.input(name).is_none() && !report[i].fields.contains_key(name) {
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

/// The studio's words for the param `param` of step `index` (0-based) that refers to a
/// variable no earlier step defines: the field named by its label, and a hint that a person in
/// the page can follow (no command-line flag): a close name, or the action whose output would
/// define it, named by their labels; or for an unset environment variable, what to do in the
/// page. `None` when neither is found (the engine's words are kept).
fn unknown_variable_in_page(manifest: &Manifest, flow: &Flow, index: usize, param: &str) -> Option<Doc> {
    let step = flow.steps.get(index)?;
    let mut defined: BTreeSet<&str> = flow.variables.keys().map(String::as_str).collect();
    defined.extend(flow.steps[..index].iter().flat_map(|s| s.outputs.values().map(String::as_str)));
    let value = step.params.get(param)?;
    let field = manifest.action(&step.action).and_then(|spec| spec.input(param));
    let label = field.map_or_else(|| text!(en: param.to_string(), zh: param.to_string()), |f| f.label.clone());
    let (en, zh) = (&label.en, &label.zh_cn);
    let Some(name) = references(value).into_iter().find(|n| !defined.contains(n.as_str())) else {
        // An environment variable the studio's process does not have.
        let name = env_names(value).into_iter().find(|n| std::env::var_os(n).is_none())?;
        let message = text!(
            en: format!("\"{en}\" reads the environment variable {name}, which is not set where the studio runs"),
            zh: format!("「{zh}」读取的环境变量 {name} 在设计器运行的环境中未设置"),
        );
        let hint = text!(
            en: format!("Type the value into the field instead, or set {name} and start the studio again."),
            zh: format!("请直接在此填写该值，或设置环境变量 {name} 后重新启动设计器。"),
        );
        let code = codes::UNKNOWN_VARIABLE.to_string();
        return Some(Doc { code, field: Some(param.to_string()), message, hint: Some(hint), upstream: None });
    };
    let message = text!(
        en: format!("\"{en}\" uses the variable ${{{name}}}, which no earlier step outputs"),
        zh: format!("「{zh}」用到的变量 ${{{name}}} 没有在前面的步骤中输出"),
    );
    let maker = manifest
        .actions
        .iter()
        .find_map(|action| action.outputs.iter().find(|o| o.name == name).map(|output| (action, output)));
    let hint = match (suggest(&name, &defined), maker) {
        (Some(close), _) => text!(en: format!("Did you mean ${{{close}}}?"), zh: format!("是否应为 ${{{close}}}？")),
        (None, Some((action, output))) => {
            let (title, out) = (&action.title, &output.label);
            text!(
                en: format!("Add \"{}\" before this step and keep its output \"{}\" in this variable.", title.en, out.en),
                zh: format!("请在此步骤之前添加“{}”，并把它的输出「{}」保存到这个变量。", title.zh_cn, out.zh_cn),
            )
        }
        (None, None) => text!(
            en: "Add a step before this one and keep one of its outputs in this variable, or choose a variable that an earlier step outputs.",
            zh: "请在此步骤之前添加一个步骤并把它的某个输出保存到这个变量，或改选前面步骤输出的变量。",
        ),
    };
    Some(Doc {
        code: codes::UNKNOWN_VARIABLE.to_string(),
        field: Some(param.to_string()),
        message,
        hint: Some(hint),
        upstream: None,
    })
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
///
/// All the secrets are looked for in one pass over each string (Aho-Corasick, the longest
/// secret where several start at one place), so that masking an answer costs its size plus
/// the secrets' size, not the one times the other.
pub(crate) fn scrub(value: Value, secrets: &[String]) -> Value {
    Masker::new(secrets).value(value)
}

/// The secrets of one answer, ready to be looked for in each of its strings.
struct Masker<'a> {
    /// Every secret: a string equal to one of them is masked whole.
    whole: HashSet<&'a str>,
    /// The secrets of four characters or more, masked wherever they appear.
    inside: Inside<'a>,
}

/// How the secrets that are masked inside strings are found.
enum Inside<'a> {
    /// None to find.
    Nothing,
    /// One automaton for all of them.
    Automaton(AhoCorasick),
    /// One search per secret, longest first: only if the automaton could not be built.
    OneByOne(Vec<&'a str>),
}

impl<'a> Masker<'a> {
    fn new(secrets: &'a [String]) -> Masker<'a> {
        let whole = secrets.iter().map(String::as_str).collect();
        let mut long: Vec<&str> = secrets.iter().map(String::as_str).filter(|s| s.chars().count() >= 4).collect();
        long.sort_by_key(|s| std::cmp::Reverse(s.len()));
        let inside = if long.is_empty() {
            Inside::Nothing
        } else {
            match AhoCorasick::builder().match_kind(MatchKind::LeftmostLongest).build(&long) {
                Ok(automaton) => Inside::Automaton(automaton),
                Err(_) => Inside::OneByOne(long),
            }
        };
        Masker { whole, inside }
    }

    fn text(&self, s: String) -> String {
        if self.whole.contains(s.as_str()) {
            return MASK.to_string();
        }
        match &self.inside {
            Inside::Nothing => s,
            Inside::Automaton(automaton) => {
                if !automaton.is_match(&s) {
                    return s;
                }
                let mut out = String::with_capacity(s.len());
                automaton.replace_all_with(&s, &mut out, |_, _, out| {
                    out.push_str(MASK);
                    true
                });
                out
            }
            Inside::OneByOne(secrets) => {
                let mut s = s;
                for secret in secrets {
                    if s.contains(secret) {
                        s = s.replace(secret, MASK);
                    }
                }
                s
            }
        }
    }

    fn value(&self, value: Value) -> Value {
        match value {
            Value::String(s) => Value::String(self.text(s)),
            Value::Array(items) => Value::Array(items.into_iter().map(|v| self.value(v)).collect()),
            Value::Object(map) => Value::Object(map.into_iter().map(|(k, v)| (self.text(k), self.value(v))).collect()),
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::Flow;
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
    fn many_secrets_are_masked_in_one_pass_each_whole() {
        let secrets: Vec<String> = (0..5000).map(|i| format!("secret-{i:05}")).chain(["secret-0000".into()]).collect();
        let mut secrets = secrets;
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        let value = json!({"a": "x secret-04999 y secret-0000z", "secret-00007": ["secret-00012", "secre"]});
        assert_eq!(
            scrub(value, &secrets),
            json!({"a": format!("x {MASK} y {MASK}z"), MASK: [MASK, "secre"]}),
            "the longest secret where two start at one place, and the shorter elsewhere"
        );
    }

    /// A plugin of [`crate::test_support`]'s demo action, that is never run.
    struct DemoPlugin(rpa_plugin_abi::Manifest);

    impl crate::plugin::Plugin for DemoPlugin {
        fn manifest(&self) -> &rpa_plugin_abi::Manifest {
            &self.0
        }

        fn manifest_json(&self) -> &str {
            "{}"
        }

        fn invoke(&self, _: &str, _: &Value, _: &dyn crate::Host) -> Result<Value, ErrorPayload> {
            Err(ErrorPayload::new("NOT_RUN", "the check's tests run nothing"))
        }
    }

    fn state() -> StudioState {
        let plugin = std::sync::Arc::new(DemoPlugin(crate::test_support::manifest()));
        StudioState::new(plugin, "en", None, None, 0)
    }

    /// `n` steps, each with a problem in a param (a variable no step defines) and in an
    /// output (one the action does not have), and every tenth with an unknown action.
    fn faulty_flow(n: usize) -> Flow {
        let steps = (0..n)
            .map(|i| {
                let action = if i % 10 == 9 { "demo.sned" } else { "demo.send" };
                json!({"action": action, "params": {"content": format!("${{missing{i}}}"), "userIds": ["u"]},
                       "outputs": {"invalidUserIds": format!("bad{i}"), "nope": format!("v{i}")}})
            })
            .collect::<Vec<_>>();
        serde_json::from_value(json!({"steps": steps})).unwrap()
    }

    #[test]
    fn the_check_looks_at_each_step_once_however_many_problems_it_finds() {
        let state = state();
        for n in [10, 100, 400] {
            let flow = faulty_flow(n);
            let before = crate::flow::step_visits::so_far();
            let checks = check_flow(&state, &flow);
            assert_eq!(crate::flow::step_visits::so_far() - before, n, "one visit per step for {n} steps");
            assert_eq!(checks.len(), n);
            for (i, check) in checks.iter().enumerate() {
                if i % 10 == 9 {
                    let error = check.error.as_ref().unwrap();
                    assert_eq!((error.code.as_str(), check.fields.len()), (codes::UNKNOWN_ACTION, 0), "step {i}");
                    continue;
                }
                assert_eq!(check.fields["content"].code, codes::UNKNOWN_VARIABLE, "step {i}");
                assert!(check.fields["content"].message.en.contains(&format!("${{missing{i}}}")), "step {i}");
                assert_eq!(check.fields["outputs.nope"].code, codes::UNKNOWN_OUTPUT, "step {i}");
                assert!(check.error.is_none(), "step {i}: {:?}", check.error);
            }
        }
    }

    #[test]
    fn an_unknown_actions_outputs_may_be_used_by_later_steps_only() {
        let state = state();
        let flow: Flow = serde_json::from_value(json!({"steps": [
            {"action": "demo.send", "params": {"content": "${early}", "userIds": ["u"]}},
            {"action": "demo.sned", "params": {"content": "${nothing}"}, "outputs": {"x": "early"}},
            {"action": "demo.send", "params": {"content": "${early}", "userIds": ["u"]}},
        ]}))
        .unwrap();
        let checks = check_flow(&state, &flow);
        assert_eq!(checks[0].fields["content"].code, codes::UNKNOWN_VARIABLE);
        assert_eq!(checks[1].error.as_ref().map(|e| e.code.as_str()), Some(codes::UNKNOWN_ACTION));
        assert!(checks[1].fields.is_empty(), "its params are not looked at: {:?}", checks[1].fields);
        assert!(!checks[2].fields.contains_key("content"), "{:?}", checks[2].fields);
    }

    #[test]
    fn an_unknown_variable_is_told_in_the_pages_words() {
        let state = state();
        let flow: Flow = serde_json::from_value(json!({"steps": [
            {"action": "demo.send", "params": {"content": "x", "userIds": ["u"]}, "outputs": {"invalidUserIds": "bad"}},
            {"action": "demo.send", "params": {"content": "${invalidUserIds}", "userIds": "${bads}"}},
            {"action": "demo.send", "params": {"content": "${nothingLikeIt}", "userIds": ["u"]}},
            {"action": "demo.send", "params": {"content": "${env:HOST_SIM_NO_SUCH_VARIABLE}", "userIds": ["u"]}},
        ]}))
        .unwrap();
        let checks = check_flow(&state, &flow);
        // An action outputs a value of that name: the hint names the action and its output by
        // their labels, and the message names the field by its label.
        let doc = &checks[1].fields["content"];
        assert_eq!(doc.code, codes::UNKNOWN_VARIABLE);
        assert!(doc.message.zh_cn.starts_with("「消息内容」用到的变量 ${invalidUserIds}"), "{doc:?}");
        let hint = doc.hint.as_ref().unwrap();
        assert_eq!(hint.zh_cn, "请在此步骤之前添加“发送消息”，并把它的输出「无效用户ID」保存到这个变量。");
        assert_eq!(
            hint.en,
            "Add \"Send message\" before this step and keep its output \"Invalid user IDs\" in this variable."
        );
        // A close name: did you mean.
        assert_eq!(checks[1].fields["userIds"].hint.as_ref().unwrap().en, "Did you mean ${bad}?");
        // Neither: what to do in the page. Never a command-line flag.
        let hint = checks[2].fields["content"].hint.as_ref().unwrap();
        assert!(hint.zh_cn.starts_with("请在此步骤之前添加一个步骤"), "{hint:?}");
        let doc = &checks[3].fields["content"];
        assert!(doc.message.zh_cn.starts_with("「消息内容」读取的环境变量 HOST_SIM_NO_SUCH_VARIABLE"), "{doc:?}");
        for check in &checks {
            for doc in check.fields.values() {
                let hint = doc.hint.as_ref().unwrap();
                assert!(!hint.en.contains("--var") && !hint.zh_cn.contains("--var"), "{hint:?}");
                assert!(!hint.en.contains("host-sim run") && !hint.zh_cn.contains("host-sim run"), "{hint:?}");
            }
        }
    }

    /// How long the check of an `/api/check` takes (parsed flow in, masked answer out) for
    /// flows past the cap that parsing puts on a flow: a benchmark, run by hand with
    /// `cargo test --release -p host-sim check_timing -- --ignored --nocapture`. By default
    /// the demo action's faulty flows of 1,000, 2,000 and 8,000 steps; with
    /// `STUDIO_CHECK_PLUGIN=lib.so STUDIO_CHECK_FLOWS=a.json,b.json`, those flows with that plugin.
    #[test]
    #[ignore = "a benchmark, run by hand"]
    fn check_timing() {
        let (state, flows): (StudioState, Vec<(String, Flow)>) =
            match (std::env::var("STUDIO_CHECK_PLUGIN"), std::env::var("STUDIO_CHECK_FLOWS")) {
                (Ok(plugin), Ok(files)) => {
                    let plugin = crate::plugin::load(std::path::Path::new(&plugin)).unwrap();
                    let flows = files
                        .split(',')
                        .map(|file| {
                            let text = std::fs::read_to_string(file).unwrap();
                            (file.to_string(), serde_json::from_str(&text).unwrap())
                        })
                        .collect();
                    (StudioState::new(plugin, "en", None, None, 0), flows)
                }
                _ => (state(), [1000, 2000, 8000].map(|n| (format!("demo, {n} steps"), faulty_flow(n))).into()),
            };
        for (name, flow) in flows {
            let n = flow.steps.len();
            let mut times: Vec<f64> = (0..5)
                .map(|_| {
                    let started = std::time::Instant::now();
                    let secrets = secrets_of(&state, &flow);
                    let checks = check_flow(&state, &flow);
                    let answer = scrub(serde_json::json!({ "checks": checks }), &secrets);
                    let _ = serde_json::to_vec(&answer).unwrap();
                    assert_eq!(answer["checks"].as_array().map(Vec::len), Some(n));
                    started.elapsed().as_secs_f64() * 1000.0
                })
                .collect();
            times.sort_by(f64::total_cmp);
            println!(
                "{name} ({n} steps): median {:.1} ms, min {:.1}, max {:.1} (5 runs)",
                times[2], times[0], times[4]
            );
        }
    }

    #[test]
    fn environment_references_are_found() {
        assert_eq!(env_names(&json!(["${env:A_1}", {"k": "x ${env:B} ${c}"}])), ["A_1", "B"]);
    }
}
