//! Flows through host-sim (its library and its `host-sim run` binary) with the built cdylib:
//! flows built from a few changes to a standard connect -> send, a transcript of everything
//! printed and logged that is finally searched for secrets, and runs of many sends at once.

use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};

use dingtalk_emulator::Emulator;
use dingtalk_robot::names::{connect, send};
use host_sim::{Flow, FlowError, Plugin, SimHost, run_flow};
use serde_json::{Map, Value, json};

use super::{assert_no_secrets, connect_params, host_sim_exe};

/// The built cdylib, loaded once through host-sim's library, as a designer loads it.
pub(crate) fn plugin() -> Arc<dyn Plugin> {
    static PLUGIN: OnceLock<Arc<dyn Plugin>> = OnceLock::new();
    PLUGIN
        .get_or_init(|| {
            let path = host_sim::default_plugin_path();
            host_sim::load(&path).unwrap_or_else(|e| panic!("the built cdylib {} loads: {e}", path.display()))
        })
        .clone()
}

/// `base` with `changes` applied: a key set to `"<absent>"` is removed.
pub(crate) fn changed(mut base: Value, changes: &Value) -> Value {
    for (k, v) in changes.as_object().cloned().unwrap_or_default() {
        if v == "<absent>" {
            base.as_object_mut().unwrap().remove(&k);
        } else {
            base[k] = v;
        }
    }
    base
}

/// The connect step against `emu`, with changes to its params; its robot goes to `${bot}`.
pub(crate) fn connect_step(emu: &Emulator, changes: Value) -> Value {
    json!({ "action": connect::ID, "params": changed(connect_params(emu), &changes), "outputs": { connect::ROBOT: "bot" } })
}

/// A text send to one user with the robot of the connect step, with changes to its params.
pub(crate) fn send_step(changes: Value) -> Value {
    let base =
        json!({ send::ROBOT: "${bot}", send::USER_IDS: ["manager01"], send::MSG_TYPE: "text", send::CONTENT: "hello" });
    json!({ "action": send::ID, "params": changed(base, &changes), "outputs": { send::INVALID_USER_IDS: "invalid" } })
}

/// connect -> send, each step with its changes.
pub(crate) fn connect_then_send(emu: &Emulator, connect: Value, send: Value) -> Value {
    json!({ "steps": [connect_step(emu, connect), send_step(send)] })
}

/// Parses a flow document as host-sim does.
pub(crate) fn flow(doc: &Value) -> Flow {
    Flow::parse(&doc.to_string(), "test-flow.json".as_ref()).unwrap_or_else(|e| panic!("{e}: {doc}"))
}

/// Everything printed and logged by the runs of one test, searched for secrets at the end.
#[derive(Default)]
pub(crate) struct Transcript(Mutex<String>);

impl Transcript {
    /// Records `text`.
    pub(crate) fn add(&self, text: &str) {
        let mut all = self.0.lock().unwrap();
        all.push_str(text);
        all.push('\n');
    }

    /// Everything recorded so far.
    pub(crate) fn text(&self) -> String {
        self.0.lock().unwrap().clone()
    }

    /// Fails if the AppSecret, `extra` secrets or any token `emu` saw is in the transcript.
    pub(crate) fn assert_clean(&self, emu: &Emulator, extra: &[&str]) {
        let text = self.text();
        assert_no_secrets(emu, &[&text]);
        for secret in extra {
            assert!(!text.contains(secret), "a secret leaked: {secret}");
        }
    }

    /// Runs `doc` through host-sim's library with a capturing host; records the logs, the
    /// result and its `Debug` form.
    pub(crate) fn run(&self, doc: &Value, vars: Map<String, Value>) -> Result<Map<String, Value>, FlowError> {
        let host = SimHost::silent().with_capture();
        self.run_with(&host, doc, vars)
    }

    /// [`Transcript::run`] with the caller's host (which must capture).
    pub(crate) fn run_with(
        &self,
        host: &SimHost,
        doc: &Value,
        vars: Map<String, Value>,
    ) -> Result<Map<String, Value>, FlowError> {
        let result = run_flow(plugin().as_ref(), &flow(doc), host, vars);
        self.add(&host.captured().join("\n"));
        match &result {
            Ok(vars) => self.add(&Value::Object(vars.clone()).to_string()),
            Err(e) => self.add(&format!("{e}\n{e:?}\n{}", e.error.to_json())),
        }
        result
    }

    /// Runs `host-sim run --log-level debug [args] FLOW` on `doc`; records stdout and stderr.
    pub(crate) fn run_cli(&self, dir: &Path, name: &str, doc: &Value, args: &[&str]) -> CliRun {
        let file = dir.join(format!("{name}.json"));
        std::fs::write(&file, doc.to_string()).unwrap();
        self.run_cli_file(&file, args)
    }

    /// [`Transcript::run_cli`] on a flow file as it is.
    pub(crate) fn run_cli_file(&self, file: &Path, args: &[&str]) -> CliRun {
        let out = Command::new(host_sim_exe())
            .args(["run", "--log-level", "debug"])
            .args(args)
            .arg(file)
            .output()
            .expect("host-sim runs");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        self.add(&stdout);
        self.add(&stderr);
        let doc = serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("stdout is one JSON document ({e}): {stdout}\nstderr: {stderr}"));
        CliRun { code: out.status.code(), doc, stderr }
    }
}

/// What one `host-sim run` did.
pub(crate) struct CliRun {
    /// The exit code.
    pub(crate) code: Option<i32>,
    /// stdout, one JSON document.
    pub(crate) doc: Value,
    /// stderr.
    pub(crate) stderr: String,
}

/// `{"content": text}` as a variable map.
pub(crate) fn content_var(text: String) -> Map<String, Value> {
    Map::from_iter([("content".to_string(), Value::String(text))])
}

/// The outcome of every send of a many-thread run: (content, Ok or the error code).
pub(crate) type Outcomes = Vec<(String, Result<(), String>)>;

/// Runs `flow_doc` (whose content is `${content}`) `per_thread` times on each of `threads`
/// threads through the one loaded plugin, each run with a unique content, and returns every
/// outcome.
pub(crate) fn send_concurrently(flow_doc: &Value, threads: usize, per_thread: usize, tag: &str) -> Outcomes {
    let flow = flow(flow_doc);
    let plugin = plugin();
    let outcomes = Mutex::new(Vec::with_capacity(threads * per_thread));
    std::thread::scope(|scope| {
        for t in 0..threads {
            let (flow, plugin, outcomes) = (&flow, &plugin, &outcomes);
            scope.spawn(move || {
                let host = SimHost::silent();
                for i in 0..per_thread {
                    let content = format!("{tag}-t{t}-m{i}");
                    let result = run_flow(plugin.as_ref(), flow, &host, content_var(content.clone()))
                        .map(|_| ())
                        .map_err(|e| e.error.code);
                    outcomes.lock().unwrap().push((content, result));
                }
            });
        }
    });
    outcomes.into_inner().unwrap()
}

/// The text contents the emulator delivered, sorted; fails on a duplicate.
pub(crate) fn delivered_once(emu: &Emulator) -> Vec<String> {
    let mut contents: Vec<String> =
        emu.delivered().iter().map(|d| d.msg_param["content"].as_str().unwrap_or_default().to_string()).collect();
    contents.sort();
    let before = contents.len();
    contents.dedup();
    assert_eq!(contents.len(), before, "a message was delivered twice");
    contents
}
