//! The same library serves both kinds of designer: the same flows, loaded through the
//! abi_stable root module and through the plain C entry points, give the same results and
//! put the same messages on the wire.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code)]
mod support;

use std::process::Command;

use host_sim::{Abi, Flow, SimHost, load_with, run_flow};
use serde_json::{Value, json};
use support::*;

/// connect -> text -> Markdown -> file, with an unknown and a flow-controlled user.
fn flow(emu: &dingtalk_emulator::Emulator, file: &std::path::Path) -> Value {
    let send = |msg_type: &str, content: &str, out: &str| {
        json!({
            "action": "dingtalk.robot.send_single_chat",
            "params": { "robot": "${bot}", "userIds": ["manager01", "nobody", FLOW_CONTROLLED], "msgType": msg_type, "content": content, "title": "Report" },
            "outputs": { "invalidUserIds": format!("{out}Invalid"), "flowControlledUserIds": format!("{out}Limited") }
        })
    };
    json!({ "steps": [
        { "action": "dingtalk.robot.connect", "params": connect_params(emu), "outputs": { "robot": "bot" } },
        send("text", "hello", "text"),
        send("markdown", "# Weekly\n- done", "md"),
        send("file", file.to_str().unwrap(), "file"),
    ]})
}

/// What DingTalk received, without the parts that differ per run (keys, media ids).
fn received(emu: &dingtalk_emulator::Emulator) -> Vec<Value> {
    emu.delivered()
        .into_iter()
        .map(|d| {
            let mut param = d.msg_param.clone();
            if let Some(m) = param.get_mut("mediaId") {
                *m = json!("<media>");
            }
            json!({ "msgKey": d.msg_key, "msgParam": param, "users": d.user_ids })
        })
        .collect()
}

#[test]
fn both_abis_give_the_same_results() {
    let dir = std::env::temp_dir().join(format!("both-abis-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("报告.xlsx");
    std::fs::write(&file, b"xlsx").unwrap();

    let mut results = Vec::new();
    for abi in [Abi::AbiStable, Abi::C] {
        let emu = org();
        let plugin = load_with(&host_sim::default_plugin_path(), abi).expect("the built plugin loads");
        let flow = Flow::parse(&flow(&emu, &file).to_string(), "flow.json".as_ref()).unwrap();
        let host = SimHost::silent().with_capture();
        let mut vars = run_flow(plugin.as_ref(), &flow, &host, Default::default()).expect("the flow runs");
        vars.remove("bot");
        let log = host.captured().join("\n");
        assert!(log.contains("batchSend -> HTTP 200"), "{abi:?} relays the plugin's log lines: {log}");
        assert_no_secrets(&emu, &[&log, &Value::Object(vars.clone()).to_string()]);
        results.push((vars, received(&emu), emu.stats()));
    }
    assert_eq!(results[0], results[1]);
    let (vars, wire, stats) = &results[0];
    assert_eq!(vars["fileInvalid"], json!(["nobody"]));
    assert_eq!(vars["mdLimited"], json!([FLOW_CONTROLLED]));
    assert_eq!(wire.len(), 3);
    assert_eq!(stats.messages, 3);
    assert_eq!(plugin_manifest(Abi::C), plugin_manifest(Abi::AbiStable));
}

fn plugin_manifest(abi: Abi) -> String {
    load_with(&host_sim::default_plugin_path(), abi).unwrap().manifest_json().to_string()
}

#[test]
fn host_sim_run_with_the_c_abi_prints_the_same_error_document() {
    let exe = host_sim_exe();
    let emu = org();
    let dir = std::env::temp_dir().join(format!("both-abis-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut params = connect_params(&emu);
    params["appSecret"] = json!("wrong-secret");
    let flow = dir.join("flow.json");
    std::fs::write(&flow, json!({ "steps": [{ "action": "dingtalk.robot.connect", "params": params }] }).to_string())
        .unwrap();
    let mut outputs = Vec::new();
    for abi in ["abi-stable", "c"] {
        let out = Command::new(&exe).args(["run", "--abi", abi, "--log-level", "off"]).arg(&flow).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{abi}");
        let mut doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        doc["error"]["upstream"]["requestId"] = json!("<varies>");
        outputs.push(doc);
    }
    assert_eq!(outputs[0], outputs[1]);
    assert_eq!(outputs[0]["error"]["code"], "AUTH_FAILED");
    assert_eq!(outputs[0]["error"]["step"], 1);
}
