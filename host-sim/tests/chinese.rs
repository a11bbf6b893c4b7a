//! The test of issue 28: a person who runs host-sim in Chinese reads no English sentence
//! outside user data, identifiers and DingTalk's own codes ([`common::english_runs`]). The
//! demo's whole report and `host-sim run`'s own lines are scanned here; the studio page is
//! scanned by the browser tests (`studio_browser.rs`).

// A test's failures are panics: unwrap, expect and panic are how it reports them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::english_runs;
use dingtalk_emulator::{AppConfig, Emulator, EmulatorConfig};
use serde_json::json;

#[test]
fn english_runs_are_found_outside_data_and_identifiers() {
    let none = Vec::<String>::new();
    assert_eq!(english_runs("--- 步骤 1：连接钉钉  [dingtalk.robot.connect]"), none);
    assert_eq!(english_runs("  输入 content                \"The daily sales report is ready.\""), none);
    assert_eq!(english_runs("AppKey 和 AppSecret；processQueryKey，INVALID_INPUT，Stream 模式，用户 ID"), none);
    assert_eq!(english_runs("  1. sampleText        发给 manager01, staff02"), none);
    assert_eq!(english_runs("请打开 http://127.0.0.1:1/robot/send?access_token=x 查看"), none);
    assert_eq!(english_runs("取值：`text`（文本）或 `markdown`"), none);
    assert_eq!(english_runs("warn: DingTalk does not know 1 user ID(s)").len(), 1);
    assert_eq!(english_runs("第 1 部分完成：AppSecret 和 access token 始终没有显示").len(), 1);
    assert_eq!(english_runs("Log of the last run"), ["\"Log of the last run\" in \"Log of the last run\""]);
}

#[test]
fn the_chinese_demo_has_no_english_sentences() {
    let Some(plugin) = common::real_plugin() else { return };
    let out = common::host_sim()
        .args(["demo", "--lang", "zh-CN", "--log-level", "off", "--plugin"])
        .arg(&plugin)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("第 4 部分完成"), "the whole demo ran: {stdout}");
    let found = english_runs(&stdout);
    assert!(found.is_empty(), "English in the Chinese demo:\n{}", found.join("\n"));
    // The English demo stays English (and the scan sees it).
    let out = common::host_sim().args(["demo", "--log-level", "off", "--plugin"]).arg(&plugin).output().unwrap();
    assert!(english_runs(&String::from_utf8_lossy(&out.stdout)).len() > 50);
}

/// `host-sim run --lang zh-CN --log-level info` of a flow whose send names an unknown user,
/// against an emulator: (stdout, stderr).
fn chinese_run(plugin: &std::path::Path) -> (String, String) {
    let emulator = Emulator::start(EmulatorConfig {
        apps: vec![AppConfig::new("dingzh01", "zh-secret")],
        users: vec!["manager01".into()],
        ..EmulatorConfig::default()
    })
    .unwrap();
    let url = emulator.url();
    let flow = json!({"steps": [
        {"action": "dingtalk.robot.connect",
         "params": {"appKey": "dingzh01", "appSecret": "zh-secret", "apiBaseUrl": url, "oapiBaseUrl": url},
         "outputs": {"robot": "robot"}},
        {"action": "dingtalk.robot.send_single_chat",
         "params": {"robot": "${robot}", "userIds": ["manager01", "manger01"], "msgType": "text", "content": "你好"},
         "outputs": {"invalidUserIds": "bad"}},
    ]});
    let file = common::scratch_file("chinese-run.json", &flow.to_string());
    let out = common::host_sim()
        .args(["run", "--lang", "zh-CN", "--log-level", "info", "--plugin"])
        .arg(plugin)
        .arg(&file)
        .output()
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    (stdout.into_owned(), stderr.into_owned())
}

#[test]
fn host_sims_own_lines_of_a_chinese_run_are_chinese() {
    let Some(plugin) = common::real_plugin() else { return };
    let (stdout, stderr) = chinese_run(&plugin);
    let own: Vec<&str> = stderr.lines().filter(|l| l.contains("步骤")).collect();
    assert_eq!(own.len(), 4, "two lines per step:\n{stderr}");
    assert!(own[0].contains("步骤 1/2：建立钉钉机器人连接（dingtalk.robot.connect）"), "{stderr}");
    let found = english_runs(&format!("{stdout}\n{}", own.join("\n")));
    assert!(found.is_empty(), "English in the Chinese run:\n{}", found.join("\n"));
}

#[test]
fn every_line_of_a_chinese_run_and_demo_is_chinese_the_plugins_warnings_too() {
    let Some(plugin) = common::real_plugin() else { return };
    let (_, stderr) = chinese_run(&plugin);
    let found = english_runs(&stderr);
    assert!(found.is_empty(), "English in the Chinese run's warnings:\n{}", found.join("\n"));
    let out = common::host_sim().args(["demo", "--lang", "zh-CN", "--plugin"]).arg(&plugin).output().unwrap();
    let found = english_runs(&String::from_utf8_lossy(&out.stderr));
    assert!(found.is_empty(), "English in the Chinese demo's warnings:\n{}", found.join("\n"));
}
