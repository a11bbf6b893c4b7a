//! host-sim against the real DingTalk robot plugin (the workspace's cdylib), when it has been
//! built: `$HOST_SIM_PLUGIN`, or `libdingtalk_robot.so` in this target directory (as after
//! `cargo build` or `cargo test --workspace`). Without it these tests say so on stderr and
//! pass, unless `HOST_SIM_REQUIRE_PLUGIN=1`, when its absence fails them.
//! Nothing here leaves the machine: the host refuses the bad flows before calling the plugin,
//! and the good one runs against the embedded DingTalk emulator on loopback.

// A test's failures are panics: unwrap, expect and panic are how it reports them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{real_plugin, run, s, scratch_file};
use dingtalk_emulator::{AppConfig, Emulator, EmulatorConfig};
use serde_json::{Value, json};

#[test]
fn inspect_json_prints_the_shipped_manifest() {
    let Some(plugin) = real_plugin() else { return };
    let r = run(&["inspect", "--json", "--plugin", s(&plugin)]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let shipped: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../plugin.json")).expect("plugin.json"),
    )
    .expect("plugin.json is JSON");
    assert_eq!(r.json(), shipped);

    let r = run(&["inspect", "--lang", "zh-CN", "--plugin", s(&plugin)]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(r.stdout.contains("建立钉钉机器人连接") && r.stdout.contains("钉钉机器人发送单聊消息"), "{}", r.stdout);
    assert!(r.stdout.contains("仅当 msgType 为 markdown 或 link 或 actionCard 时显示"), "{}", r.stdout);
}

#[test]
fn the_host_refuses_bad_forms_before_calling_the_plugin() {
    let Some(plugin) = real_plugin() else { return };
    let flow = scratch_file(
        "real-bad-msgtype.json",
        r#"{"steps": [{"action": "dingtalk.robot.send_single_chat",
            "params": {"robot": {"type": "dingtalk.robot", "id": "x"}, "userIds": ["u1"], "msgType": "html", "content": "hi"}}]}"#,
    );
    let e = run(&["run", "--plugin", s(&plugin), s(&flow)]).error();
    assert_eq!((&e["code"], &e["field"], &e["step"]), (&"INVALID_INPUT".into(), &"msgType".into(), &1.into()), "{e}");

    let ids: Vec<String> = (0..1001).map(|i| format!("u{i}")).collect();
    let flow = scratch_file(
        "real-too-many.json",
        &format!(
            r#"{{"steps": [{{"action": "dingtalk.robot.send_single_chat",
                "params": {{"robot": {{"type": "dingtalk.robot", "id": "x"}}, "userIds": {}, "msgType": "text", "content": "hi"}}}}]}}"#,
            serde_json::to_string(&ids).expect("JSON")
        ),
    );
    let e = run(&["run", "--plugin", s(&plugin), s(&flow)]).error();
    assert_eq!((&e["code"], &e["field"], &e["step"]), (&"INVALID_INPUT".into(), &"userIds".into(), &1.into()), "{e}");
    assert!(e["message"].as_str().unwrap_or_default().contains("at most 1000"), "{e}");
}

#[test]
fn host_and_plugin_accept_the_same_values() {
    // Whole numbers typed as text and user IDs typed as a comma list: the form check reads
    // them as the plugin does (rpa_plugin_abi's FieldSpec::normalize), so the flow runs.
    let Some(plugin) = real_plugin() else { return };
    let config = EmulatorConfig {
        apps: vec![AppConfig::new("dingnumbersastext", "numbers-as-text-secret")],
        users: vec!["u1".into(), "u2".into()],
        ..EmulatorConfig::default()
    };
    let emulator = Emulator::start(config).expect("the emulator starts");
    let url = emulator.url();
    let flow = json!({"steps": [
        {"action": "dingtalk.robot.connect",
         "params": {"appKey": "dingnumbersastext", "appSecret": "numbers-as-text-secret", "apiBaseUrl": url,
                    "oapiBaseUrl": url, "timeoutSeconds": " 30 ", "qpsLimit": "20"},
         "outputs": {"robot": "bot"}},
        {"action": "dingtalk.robot.send_single_chat",
         "params": {"robot": "${bot}", "userIds": " u1 , u2 ", "msgType": "text", "content": "hi"},
         "outputs": {"invalidUserIds": "invalid"}}
    ]});
    let flow = scratch_file("real-values-as-text.json", &flow.to_string());
    let r = run(&["run", "--plugin", s(&plugin), s(&flow)]);
    assert_eq!(r.code, Some(0), "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.json()["invalid"], json!([]));
    assert_eq!(emulator.stats().messages, 2, "one message to each of the two users");
}
