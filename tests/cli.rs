//! The `host-sim` binary over the built cdylib against the emulator, as a user runs it:
//!
//! * `host-sim run`: connect prints a robot handle; connect -> send delivers once for every
//!   template; bad connections end in exit 1 and a structured error;
//! * `host-sim bench`: throughput and latencies, every message sent once, failed runs
//!   reported beside the successful ones;
//! * `host-sim demo`, the README's first command: exit 0, every step and its outputs shown,
//!   what the emulator received listed, and no secret printed; a demo that cannot load its
//!   plugin exits 1 with an error document.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code)]
mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use dingtalk_robot::names::{connect, send};
use serde_json::{Value, json};
use support::{
    APP_KEY, APP_SECRET, FLOW_CONTROLLED, assert_no_secrets, connect_params, host_sim_exe, org, org_config, scratch,
};

fn write_flow(dir: &Path, name: &str, steps: Value) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, json!({ "steps": steps }).to_string()).unwrap();
    path
}

fn run(flow: &Path) -> (Output, Value) {
    let out = Command::new(host_sim_exe()).arg("run").arg(flow).output().unwrap();
    let doc = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is one JSON document ({e}): {}", String::from_utf8_lossy(&out.stdout)));
    (out, doc)
}

#[test]
fn connect_prints_a_robot_handle() {
    let emu = org();
    let dir = scratch("connect");
    let flow = write_flow(
        &dir,
        "connect.json",
        json!([{ "action": connect::ID, "params": connect_params(&emu), "outputs": { connect::ROBOT: "bot" } }]),
    );
    let (out, doc) = run(&flow);
    assert!(out.status.success(), "{doc}");
    assert_eq!(doc["bot"]["type"], "dingtalk.robot");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_no_secrets(&emu, &[&doc.to_string(), &stderr]);
}

#[test]
fn every_template_is_delivered_once() {
    let dir = scratch("templates");
    let file = dir.join("周报.pdf");
    std::fs::write(&file, b"%PDF").unwrap();
    for (msg_type, content, msg_key) in [
        ("text", "hello", "sampleText"),
        ("markdown", "# Title\nbody", "sampleMarkdown"),
        ("image", "https://example.com/a.png", "sampleImageMsg"),
        ("file", file.to_str().unwrap(), "sampleFile"),
    ] {
        let emu = org();
        let flow = write_flow(
            &dir,
            &format!("{msg_type}.json"),
            json!([
                { "action": connect::ID, "params": connect_params(&emu), "outputs": { connect::ROBOT: "bot" } },
                { "action": send::ID,
                  "params": {
                      send::ROBOT: "${bot}", send::USER_IDS: ["manager01", "ghost", FLOW_CONTROLLED],
                      send::MSG_TYPE: msg_type, send::CONTENT: content,
                  },
                  "outputs": {
                      send::INVALID_USER_IDS: "invalid", send::FLOW_CONTROLLED_USER_IDS: "limited",
                      send::PROCESS_QUERY_KEY: "key",
                  } }
            ]),
        );
        let (out, doc) = run(&flow);
        assert!(out.status.success(), "{msg_type}: {doc}");
        assert_eq!(doc["invalid"], json!(["ghost"]), "{msg_type}");
        assert_eq!(doc["limited"], json!([FLOW_CONTROLLED]), "{msg_type}");
        let delivered = emu.delivered();
        assert_eq!(delivered.len(), 1, "{msg_type}: delivered once");
        assert_eq!(delivered[0].msg_key, msg_key);
        assert_eq!(doc["key"], delivered[0].process_query_key.as_str(), "{msg_type}");
        assert_eq!(emu.stats().messages, 1, "{msg_type}");
    }
}

#[test]
fn bad_connections_exit_1_with_a_structured_error() {
    let emu = org();
    let dir = scratch("bad");
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let cases = [
        (connect::APP_SECRET, json!("wrong"), "AUTH_FAILED", None),
        (connect::API_BASE_URL, json!(format!("http://127.0.0.1:{dead}")), "NETWORK", None),
        (connect::API_BASE_URL, json!("htp:/broken"), "INVALID_INPUT", Some(connect::API_BASE_URL)),
        (connect::APP_KEY, json!(""), "INVALID_INPUT", Some(connect::APP_KEY)),
    ];
    for (i, (name, value, code, field)) in cases.into_iter().enumerate() {
        let mut params = connect_params(&emu);
        params[name] = value;
        let flow = write_flow(&dir, &format!("bad{i}.json"), json!([{ "action": connect::ID, "params": params }]));
        let (out, doc) = run(&flow);
        assert_eq!(out.status.code(), Some(1), "{name}");
        let err = &doc["error"];
        assert_eq!(err["code"], code, "{name}: {doc}");
        assert_eq!(err["step"], 1);
        assert!(err["message"].as_str().is_some_and(|m| !m.is_empty()));
        assert!(err["hint"].as_str().is_some_and(|m| !m.is_empty()), "{name}: {doc}");
        if let Some(field) = field {
            assert_eq!(err["field"], field);
        }
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_no_secrets(&emu, &[&doc.to_string(), &stderr]);
    }
}

#[test]
fn bench_reports_throughput_and_sends_every_message_once() {
    // The bench flow sends to `u1`; the platform limit is off, as is the flow's.
    let mut config = org_config();
    config.users.push("u1".into());
    config.qps_limit = 0;
    let emu = dingtalk_emulator::Emulator::start(config).unwrap();
    let flow = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/flows/text.json");
    let out = Command::new(host_sim_exe())
        .args(["bench", "--iterations", "40", "--threads", "4", "--var-json", "qps=0"])
        .args(["--var", &format!("url={}", emu.url()), "--var", &format!("appKey={APP_KEY}")])
        .args(["--var", &format!("appSecret={APP_SECRET}")])
        .arg(&flow)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in ["opsPerSec", "p50Ms", "p99Ms", "errors", "iterations", "threads", "loadMs"] {
        assert!(report.get(key).is_some(), "{key} missing: {report}");
    }
    assert_eq!(
        (report["errors"].as_u64(), report["iterations"].as_u64(), report["threads"].as_u64()),
        (Some(0), Some(40), Some(4))
    );
    assert!(report["opsPerSec"].as_f64().is_some_and(|v| v > 0.0));
    assert!(stderr.contains("40/40"), "progress on stderr: {stderr}");
    let stats = emu.stats();
    assert_eq!((stats.token_requests, stats.batch_send_requests, stats.messages), (1, 40, 40));
    assert_no_secrets(&emu, &[&stderr, &String::from_utf8_lossy(&out.stdout)]);

    // Warm-up runs (2 per thread) go out too, but are not counted in the report.
    let out = Command::new(host_sim_exe())
        .args(["bench", "--iterations", "10", "--threads", "3", "--warmup", "2", "--var-json", "qps=0"])
        .args(["--var", &format!("url={}", emu.url()), "--var", &format!("appKey={APP_KEY}")])
        .args(["--var", &format!("appSecret={APP_SECRET}")])
        .arg(&flow)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((report["errors"].as_u64(), report["iterations"].as_u64()), (Some(0), Some(10)), "{report}");
    assert_eq!(emu.stats().messages, 40 + 10 + 3 * 2);
}

#[test]
fn bench_reports_failed_runs_beside_the_successful_ones() {
    let emu = dingtalk_emulator::Emulator::start(org_config()).unwrap();
    let flow = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/flows/text.json");
    let out = Command::new(host_sim_exe())
        .args(["bench", "--iterations", "6", "--threads", "2", "--var-json", "qps=0"])
        .args(["--var", &format!("url={}", emu.url()), "--var", &format!("appKey={APP_KEY}")])
        .args(["--var", "appSecret=not-the-secret"])
        .arg(&flow)
        .output()
        .unwrap();
    let report: Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!((report["errors"].as_u64(), report["iterations"].as_u64()), (Some(6), Some(6)), "{report}");
    assert_eq!(report["opsPerSec"].as_f64(), Some(0.0), "failed runs are not counted as done: {report}");
    assert!(report["failedP50Ms"].as_f64().is_some() && report["failedP99Ms"].as_f64().is_some(), "{report}");
    assert!(report["firstError"].as_str().is_some_and(|e| e.contains("AUTH_FAILED")), "{report}");
}

#[test]
fn the_demo_runs_end_to_end() {
    for (lang, abi) in [("en", "abi-stable"), ("zh-CN", "abi-stable"), ("en", "c")] {
        let out = Command::new(host_sim_exe()).args(["demo", "--lang", lang, "--abi", abi]).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "exit {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}", out.status.code());
        // What the demo says, in its language; the data it shows is the same in both.
        let said: &[&str] = if lang == "zh-CN" {
            &[
                "--- 步骤 1：连接钉钉",
                "--- 步骤 2：给三位用户发文本",
                "--- 步骤 3：带标题的 Markdown",
                "--- 步骤 4：本地文件",
                "--- 步骤 10：按手机号发文本",
                "1. sampleText        发给 manager01",
                "9. sampleText        发给 staff03",
                "媒体类型 voice",
                "第 1 部分完成",
                "=== 第 2 部分：发送之后（共 6 步）",
                "--- 步骤 11：发送一条通知（随后查询已读并撤回）  [dingtalk.robot.send_single_chat]",
                "（模拟器）staff02 打开了这条消息",
                "--- 步骤 16：按手机号查询用户 ID  [dingtalk.robot.get_user_ids_by_mobile]",
                "群 cidDemoSalesTeam8Kx2== 收到 sampleMarkdown",
                "第 2 部分完成",
                "=== 第 3 部分：群自定义机器人",
                "--- 步骤 18：向群发送带 @ 提醒的 Markdown",
                "第 3 部分完成",
                r#"replyText              "是 PO 4711，谢谢""#,
                r#"content                "今日销售日报已生成。""#,
            ]
        } else {
            &[
                "--- Step 1: Connect",
                "--- Step 2: Text to three users",
                "--- Step 3: Markdown with a title",
                "--- Step 4: Local file",
                "--- Step 10: Text to mobile numbers",
                "1. sampleText        to manager01",
                "2. sampleMarkdown    to manager01, staff02",
                "3. sampleFile        to staff03",
                "4. sampleImageMsg    to staff02",
                "5. sampleLink        to staff02",
                "6. sampleActionCard6 to manager01",
                "7. sampleAudio       to staff02",
                "8. sampleVideo       to staff02",
                "9. sampleText        to staff03",
                "as voice media",
                "Part 1 finished",
                "=== Part 2: after the send (6 steps)",
                "--- Step 11: Send a notice to read and recall  [dingtalk.robot.send_single_chat]",
                "(emulator) staff02 opens the message",
                "--- Step 12: Query the read status  [dingtalk.robot.query_read_status]",
                "--- Step 13: Recall the notice  [dingtalk.robot.recall]",
                "--- Step 15: Send to a group  [dingtalk.robot.send_group_message]",
                "group cidDemoSalesTeam8Kx2== received sampleMarkdown",
                "--- Step 16: Look up user IDs by mobile number  [dingtalk.robot.get_user_ids_by_mobile]",
                "Part 2 finished",
                "=== Part 3: a group's custom robot",
                "--- Step 17: Connect the group's custom robot  [dingtalk.robot.connect_webhook]",
                "--- Step 18: Markdown to the group with @mentions",
                "Part 3 finished",
                r#"replyText              "It is PO 4711, thanks""#,
            ]
        };
        let shown = [
            r#"invalidUserIds         ["manger01"]"#,
            r#"flowControlledUserIds  ["busy04"]"#,
            r#"unresolvedMobiles      ["13900000000"]"#,
            "appSecret              \"******\"",
            "\"fileName\":\"季度报告 Q3.pdf\"",
            "\"duration\":\"1500\"",
            "\"videoType\":\"mp4\"",
            "\"tokenRequests\":1",
            "\"mobileLookups\":2",
            r#"read                   ["staff02"]"#,
            r#"unread                 ["manager01"]"#,
            r#"notRecalled            []"#,
            r#"statusAfter            "RECALLED""#,
            r#"foundUserIds           ["staff03"]"#,
            r#"notFound               ["13900000000"]"#,
            "\"groupMessages\":1",
            "webhookUrl             \"******\"",
            "ops-alerts <- markdown",
            "@13800000003 @manager01",
            "[dingtalk.robot.wait_for_reply]",
            "managerReplied         false",
        ];
        for expected in said.iter().chain(&shown) {
            assert!(stdout.contains(expected), "{lang}/{abi}: missing {expected:?} in:\n{stdout}");
        }
        let listened = if lang == "zh-CN" { "第 4 部分完成" } else { "Part 4 finished" };
        assert!(stdout.contains(listened), "{lang}/{abi}: part 4 in the demo's language");
        let asked = if lang == "zh-CN" { "第 5 部分完成" } else { "Part 5 finished" };
        assert!(stdout.contains(asked), "{lang}/{abi}: part 5 in the demo's language");
        for expected in ["[dingtalk.robot.ask]", r#"answer                 "同意""#, "managerAnswered        false"] {
            assert!(stdout.contains(expected), "{lang}/{abi}: missing {expected:?} in:\n{stdout}");
        }
        let forms = if lang == "zh-CN" { "建立钉钉机器人连接" } else { "Create DingTalk robot connection" };
        assert!(stdout.contains(forms), "{lang}/{abi}: the forms are drawn");
        for text in [&stdout, &stderr] {
            assert!(!text.contains("demo-secret-kept-out-of-every-output"), "the demo's AppSecret leaked");
            assert!(
                !text.contains("demowebhooktoken") && !text.contains("SECdemo0"),
                "the webhook's token or secret leaked"
            );
        }
    }
}

#[test]
fn a_demo_that_cannot_load_its_plugin_exits_1_with_an_error_document() {
    let out = Command::new(host_sim_exe()).args(["demo", "--plugin", "/no/such/libx.so"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["error"]["code"], "LOAD_FAILED", "{doc}");
}
