//! Reliability, end to end through host-sim's library and the built cdylib: cancellation
//! mid-send, and no secret in anything printed or logged along the way.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code)]
mod support;

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use dingtalk_emulator::{Emulator, Endpoint, Fault, FaultRule};
use host_sim::{Flow, Plugin, SimHost, run_flow};
use serde_json::{Map, Value, json};
use support::*;

const CONNECT: &str = "dingtalk.robot.connect";
const SEND: &str = "dingtalk.robot.send_single_chat";

fn plugin() -> Arc<dyn Plugin> {
    host_sim::load(&host_sim::default_plugin_path()).expect("the built cdylib loads")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("reliability-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// connect -> send, with the given changes to each step's params.
fn two_steps(emu: &Emulator, connect: Value, send: Value) -> Value {
    let mut c = connect_params(emu);
    let mut s = json!({ "robot": "${bot}", "userIds": ["manager01"], "msgType": "text", "content": "hello" });
    for (target, changes) in [(&mut c, connect), (&mut s, send)] {
        for (k, v) in changes.as_object().cloned().unwrap_or_default() {
            match v {
                Value::Null if k != "robot" && k != "appSecret" && k != "content" => {
                    target.as_object_mut().unwrap().remove(&k);
                }
                v => target[k] = v,
            }
        }
    }
    json!({ "steps": [
        { "action": CONNECT, "params": c, "outputs": { "robot": "bot" } },
        { "action": SEND, "params": s, "outputs": { "invalidUserIds": "invalid" } },
    ]})
}

#[test]
fn a_flow_cancelled_during_a_slow_send_stops_promptly() {
    let emu = org();
    let plugin = plugin();
    let flag = Arc::new(AtomicBool::new(false));
    let host = SimHost::silent().with_capture().with_cancel_flag(flag.clone());
    let mut flow = two_steps(&emu, json!({}), json!({}));
    let third = json!({ "action": SEND, "params": { "robot": "${bot}", "userIds": ["staff03"], "msgType": "text", "content": "never" } });
    flow["steps"].as_array_mut().unwrap().push(third);
    let flow = Flow::parse(&flow.to_string(), "cancel".as_ref()).unwrap();
    emu.inject(FaultRule {
        endpoint: Some(Endpoint::BatchSend),
        fault: Fault::Delay(Duration::from_secs(5)),
        times: None,
    });
    let canceller = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(400));
        flag.store(true, std::sync::atomic::Ordering::Release);
    });
    let started = Instant::now();
    let err = run_flow(plugin.as_ref(), &flow, &host, Map::new()).unwrap_err();
    canceller.join().unwrap();
    assert_eq!(err.error.code, "CANCELLED");
    assert_eq!(err.step, 2, "cancelled in the send, the third step never ran");
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    assert_eq!(emu.stats().batch_send_requests, 1);
}

#[test]
fn nothing_printed_or_logged_holds_a_secret() {
    let emu = org();
    let dir = scratch("secrets");
    let exe = host_sim_exe();
    let file = dir.join("report.pdf");
    std::fs::write(&file, b"%PDF").unwrap();
    let flows = [
        two_steps(&emu, json!({}), json!({ "msgType": "file", "content": file.to_str().unwrap() })),
        two_steps(&emu, json!({}), json!({ "userIds": ["ghost", FLOW_CONTROLLED] })),
        two_steps(&emu, json!({ "appSecret": format!("{APP_SECRET}x") }), json!({})),
        two_steps(&emu, json!({}), json!({ "robot": { "type": "dingtalk.robot", "id": "x" } })),
    ];
    let mut printed = String::new();
    for (i, flow) in flows.iter().enumerate() {
        let path = dir.join(format!("flow{i}.json"));
        std::fs::write(&path, flow.to_string()).unwrap();
        for lang in ["en", "zh-CN"] {
            let out =
                Command::new(&exe).args(["run", "--log-level", "debug", "--lang", lang]).arg(&path).output().unwrap();
            printed.push_str(&String::from_utf8_lossy(&out.stdout));
            printed.push_str(&String::from_utf8_lossy(&out.stderr));
        }
    }
    emu.revoke_tokens();
    let out = Command::new(&exe).args(["run", "--log-level", "debug"]).arg(dir.join("flow1.json")).output().unwrap();
    printed.push_str(&String::from_utf8_lossy(&out.stdout));
    printed.push_str(&String::from_utf8_lossy(&out.stderr));
    assert!(printed.contains("batchSend -> HTTP 200"), "the debug log was captured: {printed}");
    assert!(tokens_seen(&emu).len() >= 2, "tokens were issued and used");
    assert_no_secrets(&emu, &[&printed]);
}
