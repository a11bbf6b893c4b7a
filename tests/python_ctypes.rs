//! The ctypes example (`examples/python/dingtalk_ctypes.py`) loads the built library through
//! its C entry points and runs connect -> send against the emulator. Skipped only where no
//! `python3` exists; CI has one.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code)]
mod support;

use std::path::Path;
use std::process::Command;

use support::*;

#[test]
fn python_ctypes_example_runs_connect_then_send() {
    if Command::new("python3").arg("--version").output().is_err() {
        eprintln!("skipped: no python3 on this machine");
        return;
    }
    let lib = host_sim::default_plugin_path();
    assert!(lib.exists(), "the cdylib is built beside the tests: {}", lib.display());
    let emu = org();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/python/dingtalk_ctypes.py");
    let out = Command::new("python3")
        .arg(script)
        .args(["--lib", lib.to_str().unwrap(), "--base-url", &emu.url()])
        .args(["--app-key", APP_KEY, "--app-secret", APP_SECRET, "--users", "manager01,nobody,busy04"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "stdout: {stdout}\nstderr: {stderr}");
    let result: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(result["actions"][1], "dingtalk.robot.send_single_chat");
    assert_eq!(result["send"]["invalidUserIds"], serde_json::json!(["nobody"]));
    assert_eq!(result["send"]["flowControlledUserIds"], serde_json::json!([FLOW_CONTROLLED]));
    assert_eq!(emu.stats().messages, 1);
    assert!(stderr.contains("batchSend -> HTTP 200"), "the plugin's logs reach the Python host: {stderr}");
    assert_no_secrets(&emu, &[&stdout, &stderr]);
}
