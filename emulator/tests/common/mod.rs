//! What the official-SDK wire tests share: the Python interpreter with the DingTalk SDK, and
//! running a check script against an emulator.
//!
//! The interpreter is `$DINGTALK_SDK_PYTHON` (default `python3`). When the SDK cannot be
//! imported a test fails if `$CI` is set and is skipped (with a note) otherwise.

use std::path::Path;
use std::process::Command;

/// `$DINGTALK_SDK_PYTHON` or `python3`. A relative path with a directory part (CI passes
/// `.venv/bin/python`) is tried against the current directory, then the workspace root,
/// since `cargo test` runs these tests from the crate's own directory.
fn python_interpreter() -> String {
    let python = std::env::var("DINGTALK_SDK_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let path = Path::new(&python);
    if path.is_relative() && path.components().count() > 1 && !path.exists() {
        let from_root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path);
        if from_root.exists() {
            return from_root.to_string_lossy().into_owned();
        }
    }
    python
}

/// The interpreter, when it can import `modules` (comma-separated, as `import` takes them);
/// `None` (the test is skipped, with a note) when it cannot and `$CI` is not set.
pub(crate) fn sdk_python(modules: &str) -> Option<String> {
    let python = python_interpreter();
    let probe = Command::new(&python).args(["-c", &format!("import {modules}")]).output();
    if matches!(&probe, Ok(out) if out.status.success()) {
        return Some(python);
    }
    let why = match &probe {
        Ok(out) => String::from_utf8_lossy(&out.stderr).into_owned(),
        Err(e) => e.to_string(),
    };
    assert!(std::env::var_os("CI").is_none(), "CI is set but the DingTalk SDK is not importable with {python}: {why}");
    xtask::skips::record(
        "dingtalk-emulator: official Python SDK wire checks (tests/python_sdk.rs, tests/card_sdk.rs)",
        &format!(
            "the DingTalk Python SDK is not importable with {python} ({})",
            why.lines().last().unwrap_or("").trim()
        ),
        "cargo xtask test (makes .venv with the pinned SDK), or DINGTALK_SDK_PYTHON=<a python with alibabacloud-dingtalk>",
    );
    None
}

/// Runs `tests/<script>` with `args` and returns its output; fails unless it exits 0 and
/// prints `passed` (stdout and stderr are in the failure).
pub(crate) fn run_check(python: &str, script: &str, args: &[String], passed: &str) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join(script);
    let out = Command::new(python).arg(&script).args(args).output().expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(out.status.success() && stdout.contains(passed), "SDK check failed ({}):\n{stdout}\n{stderr}", out.status);
    stdout
}
