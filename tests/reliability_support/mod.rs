//! Helpers for the reliability tests that go through host-sim (the library and the `host-sim
//! run` binary) with the built cdylib: flows built from a few changes, a transcript of
//! everything printed and logged that is finally searched for secrets, and runs of many
//! sends at once. The emulated org and the plugin's own entry point are in `tests/support`.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};

use dingtalk_emulator::Emulator;
use host_sim::{Flow, FlowError, Plugin, SimHost, run_flow};
use serde_json::{Map, Value, json};

use crate::support::{assert_no_secrets, connect_params};

pub(crate) const CONNECT: &str = "dingtalk.robot.connect";
pub(crate) const SEND: &str = "dingtalk.robot.send_single_chat";

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

/// The `host-sim` binary of this build: beside the cdylib, or above it when the cdylib was
/// found in `target/<profile>/deps` (`cargo build -p host-sim` builds it).
pub(crate) fn host_sim_binary() -> PathBuf {
    let plugin = host_sim::default_plugin_path();
    let dir = plugin.parent().expect("the cdylib lies in a directory");
    let name = format!("host-sim{}", std::env::consts::EXE_SUFFIX);
    let candidates = [Some(dir.join(&name)), dir.parent().map(|up| up.join(&name))];
    candidates.into_iter().flatten().find(|exe| exe.is_file()).unwrap_or_else(|| {
        panic!(
            "the host-sim binary is missing beside {}: build it with `cargo build -p host-sim` \
             (cargo test --workspace does)",
            plugin.display()
        )
    })
}

/// A fresh scratch directory for one test.
pub(crate) fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("reliability-edges-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A URL where nothing listens.
pub(crate) fn dead_url() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    format!("http://127.0.0.1:{port}")
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

/// The connect step against `emu`, with changes to its params.
pub(crate) fn connect_step(emu: &Emulator, changes: Value) -> Value {
    json!({ "action": CONNECT, "params": changed(connect_params(emu), &changes), "outputs": { "robot": "bot" } })
}

/// A text send to one user with the robot of the connect step, with changes to its params.
pub(crate) fn send_step(changes: Value) -> Value {
    let base = json!({ "robot": "${bot}", "userIds": ["manager01"], "msgType": "text", "content": "hello" });
    json!({ "action": SEND, "params": changed(base, &changes), "outputs": { "invalidUserIds": "invalid" } })
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
    pub(crate) fn add(&self, text: &str) {
        let mut all = self.0.lock().unwrap();
        all.push_str(text);
        all.push('\n');
    }

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

    pub(crate) fn run_cli_file(&self, file: &Path, args: &[&str]) -> CliRun {
        let out = Command::new(host_sim_binary())
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
    pub(crate) code: Option<i32>,
    pub(crate) doc: Value,
    pub(crate) stderr: String,
}

/// `{"content": text}` as a variable map.
pub(crate) fn content_var(text: String) -> Map<String, Value> {
    Map::from_iter([("content".to_string(), Value::String(text))])
}

/// The outcome of every send of a many-thread run: (content, Ok or the error code).
pub(crate) type Outcomes = Vec<(String, Result<(), String>)>;

/// Runs `flow_doc` (whose content is `${content}`) `per_thread` times on each of `threads`
/// threads, each run with a unique content, and returns every outcome.
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
