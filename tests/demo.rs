//! `host-sim demo`, the README's first command, run as a user runs it: exit 0, every step
//! and its outputs shown, what the emulator received listed, and no secret printed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code)]
mod support;

use std::process::Command;

#[test]
fn the_demo_runs_end_to_end() {
    for (lang, abi) in [("en", "abi-stable"), ("zh-CN", "abi-stable"), ("en", "c")] {
        let out = Command::new(support::host_sim_exe()).args(["demo", "--lang", lang, "--abi", abi]).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "exit {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}", out.status.code());
        for expected in [
            "--- Step 1: Connect",
            "--- Step 2: Text to three users",
            "--- Step 3: Markdown with a title",
            "--- Step 4: Local file",
            r#"invalidUserIds         ["manger01"]"#,
            r#"flowControlledUserIds  ["busy04"]"#,
            "appSecret              \"******\"",
            "1. sampleText      to manager01",
            "2. sampleMarkdown  to manager01, staff02",
            "3. sampleFile      to staff03",
            "\"fileName\":\"季度报告 Q3.pdf\"",
            "\"tokenRequests\":1",
            "Demo finished",
        ] {
            assert!(stdout.contains(expected), "{lang}/{abi}: missing {expected:?} in:\n{stdout}");
        }
        let forms = if lang == "zh-CN" { "建立钉钉机器人连接" } else { "Create DingTalk robot connection" };
        assert!(stdout.contains(forms), "{lang}/{abi}: the forms are drawn");
        for text in [&stdout, &stderr] {
            assert!(!text.contains("demo-secret-kept-out-of-every-output"), "the demo's AppSecret leaked");
        }
    }
}

#[test]
fn a_demo_that_cannot_load_its_plugin_exits_1_with_an_error_document() {
    let out = Command::new(support::host_sim_exe()).args(["demo", "--plugin", "/no/such/libx.so"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["error"]["code"], "LOAD_FAILED", "{doc}");
}
