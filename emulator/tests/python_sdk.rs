//! Drives the emulator with the official DingTalk Python SDK (`alibabacloud-dingtalk`).
//!
//! The interpreter is `$DINGTALK_SDK_PYTHON` (default `python3`). When the SDK cannot be
//! imported the test fails if `$CI` is set and is skipped (with a note) otherwise.

// A test's failures are panics: unwrap, expect and panic are how it reports them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Command;

use dingtalk_emulator::{AppConfig, Emulator, EmulatorConfig, GroupConfig};

/// `$DINGTALK_SDK_PYTHON` or `python3`. A relative path with a directory part (CI passes
/// `.venv/bin/python`) is tried against the current directory, then the workspace root,
/// since `cargo test` runs this test from the crate's own directory.
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

#[test]
fn official_python_sdk_accepts_the_emulator() {
    let python = python_interpreter();
    let probe = Command::new(&python)
        .args(["-c", "import alibabacloud_dingtalk.robot_1_0.client, alibabacloud_dingtalk.oauth2_1_0.client"])
        .output();
    let importable = matches!(&probe, Ok(out) if out.status.success());
    if !importable {
        let why = match &probe {
            Ok(out) => String::from_utf8_lossy(&out.stderr).into_owned(),
            Err(e) => e.to_string(),
        };
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but the DingTalk SDK is not importable with {python}: {why}"
        );
        xtask::skips::record(
            "dingtalk-emulator: official Python SDK wire check (tests/python_sdk.rs)",
            &format!(
                "the DingTalk Python SDK is not importable with {python} ({})",
                why.lines().last().unwrap_or("").trim()
            ),
            "cargo xtask test (makes .venv with the pinned SDK), or DINGTALK_SDK_PYTHON=<a python with alibabacloud-dingtalk>",
        );
        return;
    }

    let emu = Emulator::start(EmulatorConfig {
        apps: vec![AppConfig::new("sdk-app-key", "sdk-app-secret")],
        users: vec!["u1".into(), "u2".into()],
        flow_controlled: vec!["u3".into()],
        groups: vec![GroupConfig::new("cidSdkGroup==", ["sdk-app-key"])],
        ..EmulatorConfig::default()
    })
    .expect("emulator starts");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sdk_check.py");
    let out = Command::new(&python)
        .arg(&script)
        .arg(emu.port().to_string())
        .args(["sdk-app-key", "sdk-app-secret"])
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(
        out.status.success() && stdout.contains("ALL SDK CHECKS PASSED"),
        "SDK check failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    let stats = emu.stats();
    // The first text to u1 (u3 is flow-controlled), one more past the 24-hour window, then one
    // message of each of the 13 templates to u1; and one group message.
    assert!(stdout.contains("TEMPLATES SENT 13"), "{stdout}");
    assert_eq!(stats.messages, 1 + 1 + 13, "one delivered recipient per send: {stats:?}");
    assert_eq!(stats.group_messages, 1, "{stats:?}");
    assert_eq!(stats.messages_by_template.len(), 13, "{stats:?}");
    assert_eq!(stats.uploads, 4);
    assert!(stats.token_requests >= 3);
}
