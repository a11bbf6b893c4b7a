//! The loader and the CLI against small test plugins built from `tests/fixtures/`: a good
//! one (`echo`), one exporting another interface (`alien`), one built for another ABI
//! version, one with a broken manifest, and one whose manifest names another ABI version.

// A test's failures are panics: unwrap, expect and panic are how it reports them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;

use common::{fixture, run, s, scratch_file};
use host_sim::{Abi, Flow, HostError, LogLevel, Plugin, PluginHost, SimHost, codes, plugin, run_flow};
use serde_json::{Map, Value, json};

fn echo() -> std::sync::Arc<dyn Plugin> {
    plugin::load(&fixture("echo_plugin")).expect("the echo plugin loads")
}

fn load_err(name: &str) -> HostError {
    load_err_with(name, Abi::AbiStable)
}

fn load_err_with(name: &str, abi: Abi) -> HostError {
    match plugin::load_with(&fixture(name), abi) {
        Ok(_) => panic!("{name} loaded through {abi:?}"),
        Err(e) => e,
    }
}

#[test]
fn another_interface_is_incompatible() {
    let e = load_err("alien_plugin");
    assert!(matches!(e, HostError::Incompatible { .. }), "{e:?}");
    let message = e.to_string();
    assert!(message.contains("libalien_plugin") && message.contains("AlienMod"), "{message}");
    assert!(message.contains("PluginMod (rpa-plugin-abi"), "{message}");
}

#[test]
fn another_abi_version_is_refused() {
    let e = load_err("wrong_version_plugin");
    assert!(matches!(e, HostError::AbiVersion { found: 999, expected: 1, .. }), "{e:?}");
    assert!(e.to_string().contains("libwrong_version_plugin"), "{e}");
}

#[test]
fn every_loader_checks_the_abi_version_first() {
    // Through C the library's manifest function aborts the process: it must not be called.
    for abi in [Abi::AbiStable, Abi::C] {
        let e = load_err_with("wrong_version_plugin", abi);
        assert!(matches!(e, HostError::AbiVersion { found: 999, expected: 1, .. }), "{abi:?}: {e:?}");
    }
}

#[test]
fn every_loader_checks_the_manifests_abi_version() {
    for abi in [Abi::AbiStable, Abi::C] {
        let e = load_err_with("mismatched_manifest_plugin", abi);
        assert!(matches!(e, HostError::BadManifest { .. }), "{abi:?}: {e:?}");
        assert!(e.to_string().contains("abiVersion 2"), "{abi:?}: {e}");
    }
}

#[test]
fn a_library_that_is_no_plugin_is_named_so_by_every_loader() {
    for abi in [Abi::AbiStable, Abi::C] {
        let e = load_err_with("not_a_plugin", abi);
        assert!(matches!(e, HostError::NotAPlugin { .. }), "{abi:?}: {e:?}");
        assert!(e.to_string().contains("not an RPA plugin"), "{abi:?}: {e}");
    }
    let path = fixture("not_a_plugin");
    let e = run(&["inspect", "--json", "--plugin", s(&path)]).error();
    assert_eq!(e["code"], "LOAD_FAILED");
    assert!(e["message"].as_str().unwrap_or_default().contains(s(&path)), "{e}");
}

#[test]
fn the_c_loader_names_the_missing_entry_point() {
    let e = load_err_with("alien_plugin", Abi::C);
    assert!(matches!(e, HostError::NotAPlugin { .. }), "{e:?}");
    assert!(e.to_string().contains("rpa_plugin_abi_version"), "{e}");
}

#[test]
fn a_broken_manifest_is_refused() {
    let e = load_err("bad_manifest_plugin");
    assert!(matches!(e, HostError::BadManifest { .. }), "{e:?}");
    assert!(e.to_string().contains("libbad_manifest_plugin"), "{e}");
}

#[test]
fn the_cli_reports_each_bad_plugin() {
    for (name, cause) in [
        ("alien_plugin", "incompatible"),
        ("wrong_version_plugin", "ABI version 999"),
        ("bad_manifest_plugin", "manifest is not valid"),
    ] {
        let path = fixture(name);
        let e = run(&["inspect", "--json", "--plugin", s(&path)]).error();
        assert_eq!(e["code"], "LOAD_FAILED");
        let message = e["message"].as_str().unwrap_or_default();
        assert!(message.contains(s(&path)) && message.contains(cause), "{message}");
    }
}

#[test]
fn each_file_is_checked_on_its_own() {
    // abi_stable's `load_from_file` would hand back the first module for every later path
    // (abi_stable issue #92); each of these must be judged by its own content.
    let first = echo();
    assert_eq!(first.manifest().id, "echo-plugin");
    assert!(matches!(load_err("wrong_version_plugin"), HostError::AbiVersion { .. }));
    assert!(matches!(load_err("alien_plugin"), HostError::Incompatible { .. }));
    assert!(matches!(load_err("bad_manifest_plugin"), HostError::BadManifest { .. }));
    // Loading the same file again is fine and gives the same plugin.
    assert_eq!(echo().manifest_json(), first.manifest_json());
}

#[test]
fn inspect_json_prints_the_manifest_exactly() {
    let expected =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/echo-plugin/manifest.json"))
            .expect("the fixture's manifest");
    let r = run(&["inspect", "--json", "--plugin", s(&fixture("echo_plugin"))]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(r.stdout, expected);
}

#[test]
fn inspect_draws_the_forms() {
    let r = run(&["inspect", "--plugin", s(&fixture("echo_plugin"))]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    for expected in [
        "=== Echo  [echo.echo]",
        "--- Basic ---",
        "  * Text  (text)",
        "--- Advanced ---",
        "takes: one of the choices; `plain` (Plain), `shout` (Shout)",
        "shown when mode is shout",
        "takes: secret text (masked, never logged)",
        "--- Outputs ---",
        "=== Fail  [echo.fail]",
    ] {
        assert!(r.stdout.contains(expected), "missing {expected:?} in\n{}", r.stdout);
    }
    let r = run(&["inspect", "--lang", "zh-CN", "--plugin", s(&fixture("echo_plugin"))]);
    for expected in
        ["=== 回声  [echo.echo]", "--- 基本 ---", "--- 高级 ---", "--- 输出 ---", "仅当 mode 为 shout 时显示"]
    {
        assert!(r.stdout.contains(expected), "missing {expected:?} in\n{}", r.stdout);
    }
}

const TWO_STEPS: &str = r#"{"steps": [
  {"action": "echo.echo", "params": {"text": "${greeting}", "times": 2, "tags": ["${who}", "b"], "password": "${pw}"},
   "outputs": {"text": "first", "count": "n", "tags": "tags"}},
  {"action": "echo.echo", "params": {"text": "${first} x${n}", "mode": "shout", "suffix": "!"},
   "outputs": {"text": "second"}}
]}"#;

#[test]
fn run_prints_the_final_variables() {
    let flow = scratch_file("two-steps.json", TWO_STEPS);
    let plugin = fixture("echo_plugin");
    let r = run(&[
        "run",
        "--plugin",
        s(&plugin),
        s(&flow),
        "--var",
        "greeting=hi",
        "--var",
        "pw=hunter2",
        "--var-json",
        "who=\"ann\"",
    ]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(
        r.json(),
        json!({"greeting": "hi", "who": "ann", "pw": "******", "first": "hihi", "n": 2, "tags": ["ann", "b"], "second": "HIHI X2!"})
    );
    assert!(r.stderr.contains("step 2/2"), "{}", r.stderr);
    assert!(r.stderr.contains("echo: echo.echo"), "the plugin's log lines go to stderr: {}", r.stderr);
    assert!(!r.stderr.contains("hunter2") && !r.stdout.contains("hunter2"), "{}\n{}", r.stdout, r.stderr);
}

#[test]
fn run_stops_at_the_first_invalid_step() {
    let flow = scratch_file(
        "invalid-second.json",
        r#"{"steps": [
        {"action": "echo.echo", "params": {"text": "a"}, "outputs": {"text": "t"}},
        {"action": "echo.echo", "params": {"text": "${t}", "times": 9}},
        {"action": "echo.echo", "params": {"text": "never"}}]}"#,
    );
    let r = run(&["run", "--plugin", s(&fixture("echo_plugin")), s(&flow)]);
    let e = r.error();
    assert_eq!(e["code"], codes::INVALID_INPUT);
    assert_eq!(e["field"], "times");
    assert_eq!(e["step"], 2);
    assert!(e["message"].as_str().unwrap_or_default().contains("at most 5"), "{e}");
    assert!(!r.stderr.contains("step 3/3"), "{}", r.stderr);
}

#[test]
fn run_checks_every_step_before_running_any() {
    let flow = scratch_file(
        "unknown-action.json",
        r#"{"steps": [
        {"action": "echo.echo", "params": {"text": "a"}},
        {"action": "echo.ecko"}]}"#,
    );
    let r = run(&["run", "--plugin", s(&fixture("echo_plugin")), s(&flow)]);
    let e = r.error();
    assert_eq!(e["code"], codes::UNKNOWN_ACTION);
    assert_eq!(e["step"], 2);
    assert_eq!(e["hint"], "Did you mean \"echo.echo\"?");
    assert!(!r.stderr.contains("echo: echo.echo"), "step 1 must not run: {}", r.stderr);
}

#[test]
fn run_passes_the_plugins_error_through() {
    let flow = scratch_file("fail.json", r#"{"steps": [{"action": "echo.fail", "params": {"how": "error"}}]}"#);
    let plugin = fixture("echo_plugin");
    let e = run(&["run", "--plugin", s(&plugin), s(&flow)]).error();
    assert_eq!(
        e,
        json!({"code": "ECHO_FAILED", "message": "Echo failed on purpose", "field": "how", "hint": "Choose another way",
               "step": 1, "upstream": {"httpStatus": 418, "code": "teapot"}})
    );
    let e = run(&["run", "--lang", "zh-CN", "--plugin", s(&plugin), s(&flow)]).error();
    assert_eq!((&e["message"], &e["hint"]), (&json!("按要求失败"), &json!("换一种方式")));
}

#[test]
fn malformed_plugin_answers_are_internal_errors() {
    for how in ["garbage", "garbage-ok"] {
        let flow = scratch_file(
            &format!("{how}.json"),
            &format!(r#"{{"steps": [{{"action": "echo.fail", "params": {{"how": "{how}"}}}}]}}"#),
        );
        let e = run(&["run", "--plugin", s(&fixture("echo_plugin")), s(&flow)]).error();
        assert_eq!(e["code"], codes::INTERNAL, "{e}");
        assert_eq!(e["step"], 1);
        assert!(e["message"].as_str().unwrap_or_default().contains("echo.fail"), "{e}");
    }
}

#[test]
fn run_reports_flow_file_problems() {
    let plugin = fixture("echo_plugin");
    let flow = scratch_file("broken.json", "{\"steps\": [\n  {\"action\": \"echo.echo\" \"params\": {}}\n]}");
    let e = run(&["run", "--plugin", s(&plugin), s(&flow)]).error();
    assert_eq!(e["code"], codes::INVALID_FLOW);
    let message = e["message"].as_str().unwrap_or_default();
    assert!(message.contains(s(&flow)) && message.contains("line 2, column 26"), "{message}");

    let e = run(&["run", "--plugin", s(&plugin), "/no/such/flow.json"]).error();
    assert_eq!(e["code"], codes::INVALID_FLOW);
    assert!(e["message"].as_str().unwrap_or_default().contains("/no/such/flow.json"), "{e}");

    let flow = scratch_file(
        "missing-output.json",
        r#"{"steps": [{"action": "echo.echo", "params": {"text": "a"}, "outputs": {"tags": "t"}}]}"#,
    );
    let e = run(&["run", "--plugin", s(&plugin), s(&flow)]).error();
    assert_eq!((&e["code"], &e["field"], &e["step"]), (&json!(codes::MISSING_OUTPUT), &json!("tags"), &json!(1)));
}

#[test]
fn the_plugin_sees_the_hosts_log_and_cancel_flag() {
    let plugin = echo();
    let host = SimHost::silent().with_capture();
    let out = plugin.invoke("echo.fail", &json!({"how": "cancel"}), &host).expect("the call succeeds");
    assert_eq!(out, json!({"cancelled": false}));
    host.cancel();
    let out = plugin.invoke("echo.fail", &json!({"how": "cancel"}), &host).expect("the call succeeds");
    assert_eq!(out, json!({"cancelled": true}));
    assert_eq!(host.captured(), ["info: echo: echo.fail", "info: echo: echo.fail"]);
    host.log(LogLevel::Debug, "mine".into());
    assert_eq!(host.captured().len(), 3);

    let e = plugin.invoke("no.such", &json!({}), &host).expect_err("unknown action");
    assert_eq!(e.code, codes::UNKNOWN_ACTION);
}

#[test]
fn flows_run_from_many_threads_at_once() {
    let plugin = echo();
    let flow = Flow::parse(TWO_STEPS, Path::new("two-steps.json")).expect("the flow parses");
    std::thread::scope(|scope| {
        for i in 0..4 {
            let (plugin, flow) = (plugin.as_ref(), &flow);
            scope.spawn(move || {
                let host = SimHost::silent();
                for j in 0..25 {
                    let vars: Map<String, Value> = json!({"greeting": format!("g{i}.{j}"), "who": "w", "pw": "p"})
                        .as_object()
                        .cloned()
                        .unwrap_or_default();
                    let out = run_flow(plugin, flow, &host, vars).expect("the flow runs");
                    assert_eq!(out["second"], format!("G{i}.{j}G{i}.{j} X2!"));
                }
            });
        }
    });
}
