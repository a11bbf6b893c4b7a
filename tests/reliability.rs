//! Reliability, end to end through host-sim's library and the built cdylib: many threads
//! sending at once with one token per lifetime and no duplicate; cancellation mid-send; and
//! no secret in anything printed or logged along the way.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code)]
mod support;

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use dingtalk_emulator::{Emulator, EmulatorConfig, Endpoint, Fault, FaultRule};
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

/// Sends `per_thread` messages from each of `threads` threads through one loaded plugin,
/// each a whole connect -> send flow with a unique content; returns the elapsed time.
fn send_from_threads(
    plugin: &Arc<dyn Plugin>,
    emu: &Emulator,
    threads: usize,
    per_thread: usize,
    tag: &str,
) -> Duration {
    let started = Instant::now();
    std::thread::scope(|scope| {
        for t in 0..threads {
            let flow = two_steps(emu, json!({ "qpsLimit": 0 }), json!({ "content": "${content}" }));
            let flow = Flow::parse(&flow.to_string(), "soak".as_ref()).unwrap();
            scope.spawn(move || {
                let host = SimHost::silent();
                for i in 0..per_thread {
                    let vars = Map::from_iter([("content".to_string(), json!(format!("{tag}-t{t}-m{i}")))]);
                    run_flow(plugin.as_ref(), &flow, &host, vars).unwrap_or_else(|e| panic!("t{t} m{i}: {e:?}"));
                }
            });
        }
    });
    started.elapsed()
}

/// Every content delivered exactly once.
fn assert_each_delivered_once(emu: &Emulator, expected: usize) {
    let mut contents: Vec<String> =
        emu.delivered().iter().map(|d| d.msg_param["content"].as_str().unwrap_or_default().to_string()).collect();
    assert_eq!(contents.len(), expected);
    contents.sort();
    contents.dedup();
    assert_eq!(contents.len(), expected, "a message was delivered twice");
}

fn unlimited_org(ttl: Option<Duration>) -> Emulator {
    let mut config: EmulatorConfig = org_config();
    config.qps_limit = 0;
    config.max_recorded = 200_000;
    if let Some(ttl) = ttl {
        config.token_ttl = ttl;
    }
    Emulator::start(config).unwrap()
}

#[test]
fn sixteen_threads_send_once_each_with_one_token() {
    let emu = unlimited_org(None);
    send_from_threads(&plugin(), &emu, 16, 100, "ci");
    let stats = emu.stats();
    assert_eq!((stats.token_requests, stats.batch_send_requests, stats.messages), (1, 1600, 1600));
    assert_each_delivered_once(&emu, 1600);
}

#[test]
fn with_a_short_token_lifetime_refreshes_stay_single_flight() {
    let ttl = Duration::from_secs(2);
    let emu = unlimited_org(Some(ttl));
    let plugin = plugin();
    let started = Instant::now();
    let mut sent = 0;
    while started.elapsed() < Duration::from_secs(5) {
        send_from_threads(&plugin, &emu, 16, 5, &format!("round{sent}"));
        sent += 80;
    }
    let lifetimes = (started.elapsed().as_secs_f64() / ttl.as_secs_f64()).ceil() as u64;
    let stats = emu.stats();
    // One request per lifetime, and at most one more where DingTalk handed the same token
    // back near its end; never one per thread.
    assert!(stats.token_requests >= lifetimes.saturating_sub(1), "{stats:?}, {lifetimes} lifetimes");
    assert!(stats.token_requests <= 2 * lifetimes + 1, "{stats:?}, {lifetimes} lifetimes");
    assert_eq!(stats.messages, sent);
    assert_each_delivered_once(&emu, sent as usize);
}

/// The full soak: 16 threads x 10,000 sends. Run with
/// `cargo test --release --test reliability -- --ignored --nocapture`.
#[test]
#[ignore = "bench-sized: 160,000 sends"]
fn soak_sixteen_threads_ten_thousand_sends_each() {
    let emu = unlimited_org(None);
    let elapsed = send_from_threads(&plugin(), &emu, 16, 10_000, "soak");
    let stats = emu.stats();
    eprintln!("soak: {stats:?} in {elapsed:?} ({:.0} sends/s)", 160_000.0 / elapsed.as_secs_f64());
    assert_eq!((stats.token_requests, stats.messages), (1, 160_000));
    assert_each_delivered_once(&emu, 160_000);
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
