//! `host-sim demo`, the README's first command, run as a user runs it: exit 0, every step
//! (one message of every template, one to a mobile number) and its outputs shown, what the
//! emulator received listed, the second part (read status, recall, read status again, a group
//! message, a lookup by mobile number) with its outputs, and no secret printed.

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
            "--- Step 10: Text to mobile numbers",
            r#"invalidUserIds         ["manger01"]"#,
            r#"flowControlledUserIds  ["busy04"]"#,
            r#"unresolvedMobiles      ["13900000000"]"#,
            "appSecret              \"******\"",
            "1. sampleText        to manager01",
            "2. sampleMarkdown    to manager01, staff02",
            "3. sampleFile        to staff03",
            "4. sampleImageMsg    to staff02",
            "5. sampleLink        to staff02",
            "6. sampleActionCard6 to manager01",
            "7. sampleAudio       to staff02",
            "8. sampleVideo       to staff02",
            "9. sampleText        to staff03",
            "\"fileName\":\"季度报告 Q3.pdf\"",
            "\"duration\":\"1500\"",
            "\"videoType\":\"mp4\"",
            "as voice media",
            "\"tokenRequests\":1",
            "\"mobileLookups\":2",
            "Demo finished",
            "=== Part 2: after the send (6 steps)",
            "--- Step 11: Send a notice to read and recall  [dingtalk.robot.send_single_chat]",
            "(emulator) staff02 opens the message",
            "--- Step 12: Query the read status  [dingtalk.robot.query_read_status]",
            r#"read                   ["staff02"]"#,
            r#"unread                 ["manager01"]"#,
            "--- Step 13: Recall the notice  [dingtalk.robot.recall]",
            r#"notRecalled            []"#,
            r#"statusAfter            "RECALLED""#,
            "--- Step 15: Send to a group  [dingtalk.robot.send_group_message]",
            "group cidDemoSalesTeam8Kx2== received sampleMarkdown",
            "--- Step 16: Look up user IDs by mobile number  [dingtalk.robot.get_user_ids_by_mobile]",
            r#"foundUserIds           ["staff03"]"#,
            r#"notFound               ["13900000000"]"#,
            "\"groupMessages\":1",
            "\"mobileLookups\":3",
            "Part 2 finished",
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
