//! Reliability, end to end through host-sim's library and the built cdylib: a table of bad
//! inputs that all end in a structured error with nothing sent; a table of faults with the
//! outcome a user wants and the exact number of messages delivered; many threads sending at
//! once with one token per lifetime and no duplicate; cancellation mid-send; and no secret
//! in anything printed or logged along the way.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

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

/// (what is wrong, the flow, the code, what the error must name: a field or a word of the message)
type Case = (&'static str, Value, &'static str, &'static str);

fn bad_input_cases(emu: &Emulator, dir: &std::path::Path) -> Vec<Case> {
    let big = dir.join("big.zip");
    std::fs::File::create(&big).unwrap().set_len(20 * 1024 * 1024 + 1).unwrap();
    let exe = dir.join("setup.exe");
    std::fs::write(&exe, b"MZ").unwrap();
    let empty = dir.join("empty.docx");
    std::fs::write(&empty, b"").unwrap();
    let path = |p: &PathBuf| p.to_str().unwrap().to_string();
    let c = |changes: Value| two_steps(emu, changes, json!({}));
    let s = |changes: Value| two_steps(emu, json!({}), changes);
    let ids: Vec<String> = (0..21).map(|i| format!("user{i}")).collect();
    let invalid = "INVALID_INPUT";
    vec![
        ("empty AppKey", c(json!({ "appKey": "" })), invalid, "appKey"),
        ("blank AppKey", c(json!({ "appKey": "   " })), invalid, "appKey"),
        ("AppKey as a number", c(json!({ "appKey": 123 })), invalid, "appKey"),
        ("space inside the AppKey", c(json!({ "appKey": "ding abc" })), invalid, "appKey"),
        ("AppKey too long", c(json!({ "appKey": "k".repeat(129) })), invalid, "appKey"),
        ("AppSecret missing", c(json!({ "appSecret": Value::Null })), invalid, "appSecret"),
        ("AppSecret empty", c(json!({ "appSecret": "" })), invalid, "appSecret"),
        ("AppSecret as a list", c(json!({ "appSecret": ["s"] })), invalid, "appSecret"),
        ("API URL not a URL", c(json!({ "apiBaseUrl": "not a url" })), invalid, "apiBaseUrl"),
        ("API URL ftp", c(json!({ "apiBaseUrl": "ftp://127.0.0.1" })), invalid, "apiBaseUrl"),
        ("API URL a number", c(json!({ "apiBaseUrl": 80 })), invalid, "apiBaseUrl"),
        ("old API URL without host", c(json!({ "oapiBaseUrl": "http://" })), invalid, "oapiBaseUrl"),
        ("old API URL with a query", c(json!({ "oapiBaseUrl": "http://127.0.0.1/?a=1" })), invalid, "oapiBaseUrl"),
        ("timeout 0", c(json!({ "timeoutSeconds": 0 })), invalid, "timeoutSeconds"),
        ("timeout 301", c(json!({ "timeoutSeconds": 301 })), invalid, "timeoutSeconds"),
        ("timeout text", c(json!({ "timeoutSeconds": "soon" })), invalid, "timeoutSeconds"),
        ("timeout true", c(json!({ "timeoutSeconds": true })), invalid, "timeoutSeconds"),
        ("qpsLimit negative", c(json!({ "qpsLimit": -1 })), invalid, "qpsLimit"),
        ("qpsLimit too high", c(json!({ "qpsLimit": 1001 })), invalid, "qpsLimit"),
        ("robotCode a number", c(json!({ "robotCode": 5 })), invalid, "robotCode"),
        ("misspelt field", c(json!({ "appkey": "x" })), invalid, "appkey"),
        ("robot missing", s(json!({ "robot": Value::Null })), invalid, "robot"),
        (
            "robot made up",
            s(json!({ "robot": { "type": "dingtalk.robot", "id": "robot-1" } })),
            "ROBOT_NOT_CONNECTED",
            "robot",
        ),
        ("robot as text", s(json!({ "robot": "my robot" })), invalid, "robot"),
        ("no user IDs", s(json!({ "userIds": [] })), invalid, "userIds"),
        ("21 user IDs", s(json!({ "userIds": ids })), invalid, "userIds"),
        ("user IDs as numbers", s(json!({ "userIds": [1, 2] })), invalid, "userIds"),
        ("user IDs empty text", s(json!({ "userIds": "" })), invalid, "userIds"),
        ("a blank user ID", s(json!({ "userIds": ["a", " "] })), invalid, "userIds"),
        ("an empty ID between commas", s(json!({ "userIds": "a,,b" })), invalid, "userIds"),
        ("user IDs as an object", s(json!({ "userIds": { "a": 1 } })), invalid, "userIds"),
        ("unknown template", s(json!({ "msgType": "video" })), invalid, "msgType"),
        ("template as a number", s(json!({ "msgType": 1 })), invalid, "msgType"),
        ("empty content", s(json!({ "content": "" })), invalid, "content"),
        ("content as a number", s(json!({ "content": 5 })), invalid, "content"),
        ("content too long", s(json!({ "content": "x".repeat(20_001) })), invalid, "content"),
        ("image without a URL", s(json!({ "msgType": "image", "content": "chart.png" })), invalid, "content"),
        ("image over ftp", s(json!({ "msgType": "image", "content": "ftp://h/a.png" })), invalid, "content"),
        ("missing file", s(json!({ "msgType": "file", "content": path(&dir.join("nope.pdf")) })), invalid, "content"),
        (
            "a folder as the file",
            s(json!({ "msgType": "file", "content": path(&dir.to_path_buf()) })),
            invalid,
            "content",
        ),
        ("a file type DingTalk refuses", s(json!({ "msgType": "file", "content": path(&exe) })), invalid, "content"),
        ("a file over 20 MB", s(json!({ "msgType": "file", "content": path(&big) })), invalid, "content"),
        ("an empty file", s(json!({ "msgType": "file", "content": path(&empty) })), invalid, "content"),
        ("Markdown title too long", s(json!({ "msgType": "markdown", "title": "t".repeat(129) })), invalid, "title"),
        ("title as a number", s(json!({ "msgType": "markdown", "title": 7 })), invalid, "title"),
        (
            "unknown action",
            json!({ "steps": [{ "action": "dingtalk.robot.call", "params": {} }] }),
            "UNKNOWN_ACTION",
            "dingtalk.robot.call",
        ),
        ("unknown variable", s(json!({ "robot": "${robt}" })), "UNKNOWN_VARIABLE", "robt"),
        (
            "unknown output",
            json!({ "steps": [{ "action": CONNECT, "params": connect_params(emu), "outputs": { "bot": "x" } }] }),
            "UNKNOWN_OUTPUT",
            "bot",
        ),
    ]
}

/// Whether the error names `culprit`, as its field or in its message.
fn names(err: &rpa_plugin_abi::ErrorPayload, culprit: &str) -> bool {
    err.field.as_deref() == Some(culprit) || err.message.contains(culprit)
}

#[test]
fn every_bad_input_is_a_structured_error_and_sends_nothing() {
    let emu = org();
    let plugin = plugin();
    let dir = scratch("bad-input");
    // Warm up: the token is cached, so a connect step that passes costs no request.
    let host = SimHost::silent().with_capture();
    let warm = Flow::parse(&two_steps(&emu, json!({}), json!({})).to_string(), "warm".as_ref()).unwrap();
    run_flow(plugin.as_ref(), &warm, &host, Map::new()).unwrap();
    let before = emu.stats();

    let cases = bad_input_cases(&emu, &dir);
    assert!(cases.len() >= 40, "{} cases", cases.len());
    for (what, flow, code, culprit) in &cases {
        let flow = Flow::parse(&flow.to_string(), "case".as_ref()).unwrap();
        let err = run_flow(plugin.as_ref(), &flow, &host, Map::new()).expect_err(what);
        assert_eq!(err.error.code, *code, "{what}: {:?}", err.error);
        assert!(names(&err.error, culprit), "{what}: the error names {culprit}: {:?}", err.error);
        assert!(err.error.hint.is_some(), "{what}: a hint");
        assert!(err.error.zh_cn.is_some(), "{what}: in Chinese too");
    }
    assert_eq!(emu.stats(), before, "no bad input reached DingTalk");
    assert_no_secrets(&emu, &[&host.captured().join("\n")]);

    // The same through the binary: exit 1 and one error document on stdout.
    let exe = host_sim_exe();
    for (i, (what, flow, code, _)) in cases.iter().enumerate().step_by(6) {
        let file = dir.join(format!("case{i}.json"));
        std::fs::write(&file, flow.to_string()).unwrap();
        let out = Command::new(&exe).args(["run", "--log-level", "debug"]).arg(&file).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{what}");
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(doc["error"]["code"], *code, "{what}: {doc}");
        assert!(doc["error"]["step"].is_u64(), "{what}: {doc}");
        assert_no_secrets(&emu, &[&doc.to_string(), &String::from_utf8_lossy(&out.stderr)]);
    }
    // A flow file that is not JSON.
    let file = dir.join("broken.json");
    std::fs::write(&file, "{\"steps\": [ {\"action\": ").unwrap();
    let out = Command::new(&exe).arg("run").arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["error"]["code"], "INVALID_FLOW");
    assert!(doc["error"]["message"].as_str().unwrap().contains("broken.json"), "{doc}");
    // Each host-sim process connects afresh (its own token), but sends and uploads nothing.
    let after = emu.stats();
    assert_eq!(
        (after.batch_send_requests, after.messages, after.uploads),
        (before.batch_send_requests, before.messages, before.uploads)
    );
}

/// How a fault is set up: on the emulator, before the send step.
enum Setup {
    Rule(FaultRule),
    RevokeTokens,
    RemovePermission,
    ServerGone,
}

#[test]
fn every_fault_ends_the_way_a_user_wants_and_never_sends_twice() {
    let plugin = plugin();
    let send =
        |e: Endpoint, fault: Fault, times: Option<u32>| Setup::Rule(FaultRule { endpoint: Some(e), fault, times });
    // (fault, setup, expected code or None for success, messages delivered, batchSend calls)
    let table: Vec<(&str, Setup, Option<&str>, u64, u64)> = vec![
        (
            "slow past the timeout",
            send(Endpoint::BatchSend, Fault::Delay(Duration::from_secs(3)), Some(1)),
            Some("SEND_OUTCOME_UNKNOWN"),
            1,
            1,
        ),
        ("HTTP 500", send(Endpoint::BatchSend, Fault::Http500, Some(1)), Some("SEND_OUTCOME_UNKNOWN"), 0, 1),
        (
            "HTTP 502 with HTML",
            send(Endpoint::BatchSend, Fault::BadGatewayHtml, Some(1)),
            Some("SEND_OUTCOME_UNKNOWN"),
            0,
            1,
        ),
        (
            "closed mid-answer",
            send(Endpoint::BatchSend, Fault::CloseMidAnswer, Some(1)),
            Some("SEND_OUTCOME_UNKNOWN"),
            1,
            1,
        ),
        (
            "malformed JSON",
            send(Endpoint::BatchSend, Fault::MalformedJson, Some(1)),
            Some("SEND_OUTCOME_UNKNOWN"),
            1,
            1,
        ),
        ("token revoked mid-run", Setup::RevokeTokens, None, 1, 2),
        ("throttled burst", send(Endpoint::BatchSend, Fault::Throttle, Some(2)), None, 1, 3),
        ("throttled for good", send(Endpoint::BatchSend, Fault::Throttle, None), Some("THROTTLED"), 0, 4),
        ("permission removed", Setup::RemovePermission, Some("PERMISSION_DENIED"), 0, 1),
        (
            "IP not on the allow-list",
            send(Endpoint::BatchSend, Fault::IpNotAllowed, None),
            Some("IP_NOT_ALLOWED"),
            0,
            1,
        ),
        ("server gone", Setup::ServerGone, Some("NETWORK"), 0, 0),
    ];
    for (what, setup, code, messages, calls) in table {
        let emu = org();
        let host = SimHost::silent().with_capture();
        // A short timeout; throttling is waited out a second at a time, within the timeout.
        let timeout = if matches!(&setup, Setup::Rule(r) if r.fault == Fault::Throttle) { 10 } else { 1 };
        let connect = Flow::parse(
            &json!({ "steps": [{ "action": CONNECT, "params": { "appKey": APP_KEY, "appSecret": APP_SECRET, "apiBaseUrl": emu.url(), "oapiBaseUrl": emu.url(), "timeoutSeconds": timeout }, "outputs": { "robot": "bot" } }] }).to_string(),
            "connect".as_ref(),
        )
        .unwrap();
        let vars = run_flow(plugin.as_ref(), &connect, &host, Map::new()).unwrap();
        let send_step = Flow::parse(
            &json!({ "steps": [{ "action": SEND, "params": { "robot": "${bot}", "userIds": ["staff02"], "msgType": "text", "content": what } }] }).to_string(),
            "send".as_ref(),
        )
        .unwrap();
        let tokens = tokens_seen(&emu);
        let mut emu = Some(emu);
        match setup {
            Setup::Rule(rule) => emu.as_ref().unwrap().inject(rule),
            Setup::RevokeTokens => emu.as_ref().unwrap().revoke_tokens(),
            Setup::RemovePermission => emu.as_ref().unwrap().set_permissions(APP_KEY, vec![]),
            // Gone the moment before the send: the pooled connection it closed is seen as
            // closed, and the send is tried on a new one, which is refused.
            Setup::ServerGone => emu.take().unwrap().shutdown(),
        }
        let result = run_flow(plugin.as_ref(), &send_step, &host, vars);
        match (code, &result) {
            (None, Ok(_)) => {}
            (Some(code), Err(e)) => assert_eq!(e.error.code, code, "{what}: {:?}", e.error),
            _ => panic!("{what}: expected {code:?}, got {result:?}"),
        }
        let log = host.captured().join("\n");
        for t in &tokens {
            assert!(!log.contains(t.as_str()) && !log.contains(APP_SECRET), "{what}: a secret leaked");
        }
        if let Some(emu) = emu {
            let stats = emu.stats();
            assert_eq!(stats.messages, messages, "{what}: messages delivered");
            assert_eq!(stats.batch_send_requests, calls, "{what}: batchSend calls");
            assert_no_secrets(&emu, &[&log, &format!("{result:?}")]);
        }
    }
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

#[test]
fn connections_the_server_closes_while_idle_neither_lose_nor_repeat_a_send() {
    let mut config = org_config();
    config.qps_limit = 0;
    let emu = Emulator::start(config).unwrap();
    let plugin = plugin();
    let flow = two_steps(&emu, json!({ "qpsLimit": 0 }), json!({ "content": "${content}" }));
    let flow = Flow::parse(&flow.to_string(), "stale".as_ref()).unwrap();
    // One thread, then 16, each 2,000 sends in all. After every 8 sends of each thread (a few
    // milliseconds), all stop while the server closes every idle keep-alive connection, so
    // that each thread's pooled connection is dead when it sends again. The closes are made
    // while no send is under way: a close that crosses a request on the wire is a truly
    // unknown outcome, which no client can tell from a lost answer.
    for threads in [1, 16] {
        let before = emu.stats();
        let failures = std::sync::Mutex::new(Vec::new());
        let barrier = std::sync::Barrier::new(threads);
        std::thread::scope(|scope| {
            for t in 0..threads {
                let (plugin, flow, failures, barrier, emu) = (&plugin, &flow, &failures, &barrier, &emu);
                scope.spawn(move || {
                    let host = SimHost::silent();
                    for i in 0..2000 / threads {
                        if i > 0 && i % 8 == 0 && barrier.wait().is_leader() {
                            close_idle_connections(emu, threads);
                        }
                        if i > 0 && i % 8 == 0 {
                            barrier.wait();
                        }
                        let content = format!("stale-{threads}-t{t}-m{i}");
                        let vars = Map::from_iter([("content".to_string(), json!(content))]);
                        if let Err(e) = run_flow(plugin.as_ref(), flow, &host, vars) {
                            failures.lock().unwrap().push(format!("{content}: {}: {}", e.error.code, e.error.message));
                        }
                    }
                });
            }
        });
        let failures = failures.into_inner().unwrap();
        assert!(
            failures.is_empty(),
            "{threads} threads: {} failed: {:?}",
            failures.len(),
            &failures[..failures.len().min(5)]
        );
        let stats = emu.stats();
        assert_eq!(stats.messages - before.messages, 2000, "{threads} threads");
        assert_eq!(stats.batch_send_requests - before.batch_send_requests, 2000, "{threads} threads: none repeated");
        let rounds = (2000 / threads).div_ceil(8) as u64 - 1;
        assert!(stats.idle_closed - before.idle_closed >= rounds * threads as u64, "{threads} threads: {stats:?}");
    }
    assert_each_delivered_once(&emu, 4000);
}

/// Has the emulator close every idle keep-alive connection (at least `expected` of them) and
/// waits until it has; then lets connections idle again.
fn close_idle_connections(emu: &Emulator, expected: usize) {
    let before = emu.stats().idle_closed;
    emu.set_close_idle_after(Some(Duration::from_millis(1)));
    let started = Instant::now();
    while emu.stats().idle_closed < before + expected as u64 {
        assert!(started.elapsed() < Duration::from_secs(10), "the idle connections were not closed");
        std::thread::sleep(Duration::from_micros(200));
    }
    emu.set_close_idle_after(None);
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
