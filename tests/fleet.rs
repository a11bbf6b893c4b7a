//! Many robots, one app (issue 30): robot processes (`host-sim run` with the built cdylib)
//! sharing their rate budget and token through a real `redis-server` of the test's own,
//! against the emulator's strict one-second window.
//!
//! * 8 processes started at once send 2,000 one-user messages at qpsLimit 20: DingTalk
//!   throttles none, never more than 20 sends in any 1,000 ms, each delivered once, and one
//!   token request for all;
//! * Redis killed mid-run and started again: nothing lost or sent twice, a warning shown;
//! * a wrong password, an unreachable server, a URL that is not Redis's: the documented
//!   fallback (a warning, sends go on) or an error naming `redisUrl`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code)]
mod support;

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime};

use dingtalk_emulator::{Emulator, EmulatorConfig, Endpoint};
use dingtalk_robot::names::{connect, send};
use serde_json::{Value, json};
use support::flows::{connect_step, delivered_once, send_step};
use support::redis_server::TestRedis;
use support::{APP_SECRET, TestHost, connect_params, host_sim_exe, invoke, org_config, scratch};

/// DingTalk's standard limit, which the emulator and the connects use.
const QPS: u32 = 20;

/// A flow file in `dir`: connect (with `changes`), then `count` sends to one user, each with
/// its own text `{tag}-m{i}`.
fn sender_flow(emu: &Emulator, dir: &std::path::Path, tag: &str, count: usize, changes: Value) -> PathBuf {
    let mut steps = vec![connect_step(emu, changes)];
    let users = ["manager01", "staff02", "staff03"];
    for i in 0..count {
        steps
            .push(send_step(json!({ send::USER_IDS: [users[i % users.len()]], send::CONTENT: format!("{tag}-m{i}") })));
    }
    let path = dir.join(format!("{tag}.json"));
    std::fs::write(&path, json!({ "steps": steps }).to_string()).unwrap();
    path
}

/// Runs one `host-sim run` per flow, all at once, with the fleet's Redis URL in the
/// environment; `during` runs while they do. Their outputs, in order.
fn run_processes(flows: &[PathBuf], redis_url: &str, during: impl FnOnce()) -> Vec<Output> {
    let exe = host_sim_exe();
    let children: Vec<_> = flows
        .iter()
        .map(|flow| {
            Command::new(&exe)
                .args(["run", "--log-level", "info"])
                .arg(flow)
                .env("DINGTALK_ROBOT_REDIS_URL", redis_url)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("host-sim runs")
        })
        .collect();
    during();
    children.into_iter().map(|c| c.wait_with_output().unwrap()).collect()
}

/// Fails unless every process ended well; returns everything they printed.
fn all_succeeded(outputs: &[Output]) -> String {
    let mut all = String::new();
    for (i, out) in outputs.iter().enumerate() {
        let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "process {i} failed: {stdout}\n{stderr}");
        all.push_str(&stdout);
        all.push_str(&stderr);
    }
    all
}

/// The receive times of the sends DingTalk accepted, sorted.
fn accepted_sends(emu: &Emulator) -> Vec<SystemTime> {
    let mut at: Vec<SystemTime> = emu
        .requests()
        .iter()
        .filter(|r| r.endpoint == Some(Endpoint::BatchSend) && r.status == 200)
        .map(|r| r.at)
        .collect();
    at.sort();
    at
}

/// The most of `times` (sorted) within any 1,000 ms.
fn most_in_a_second(times: &[SystemTime]) -> usize {
    let second = Duration::from_millis(1000);
    (0..times.len()).map(|i| times[i..].iter().take_while(|t| **t < times[i] + second).count()).max().unwrap_or(0)
}

/// The fleet's whole guarantee for `processes` x `each` messages started at once.
fn fleet_sends(processes: usize, each: usize) {
    let Some(redis) = TestRedis::start(None) else { return };
    let emu = Emulator::start(EmulatorConfig { qps_limit: QPS, ..org_config() }).unwrap();
    let dir = scratch(&format!("fleet-{processes}x{each}"));
    let flows: Vec<_> = (0..processes).map(|p| sender_flow(&emu, &dir, &format!("p{p}"), each, json!({}))).collect();
    let started = Instant::now();
    let outputs = run_processes(&flows, &redis.url(None), || {});
    let elapsed = started.elapsed();
    let printed = all_succeeded(&outputs);
    let total = processes * each;
    assert_eq!(delivered_once(&emu).len(), total, "each message delivered once");
    let stats = emu.stats();
    assert_eq!(stats.throttled, 0, "DingTalk throttled none");
    assert_eq!(stats.token_requests, 1, "one token for the fleet");
    let sends = accepted_sends(&emu);
    assert_eq!(sends.len(), total);
    assert!(most_in_a_second(&sends) <= QPS as usize, "{} sends in one second", most_in_a_second(&sends));
    assert!(!printed.contains(APP_SECRET));
    let span = sends[total - 1].duration_since(sends[0]).unwrap().as_secs_f64();
    eprintln!(
        "fleet: {processes} processes x {each} sends in {:.1} s (first to last send {span:.1} s): {:.2} sends/s",
        elapsed.as_secs_f64(),
        (total - 1) as f64 / span
    );
}

#[test]
fn eight_processes_share_one_budget_and_one_token() {
    fleet_sends(8, 250);
}

#[test]
fn redis_killed_mid_run_loses_and_repeats_nothing() {
    let Some(mut redis) = TestRedis::start(None) else { return };
    let emu = Emulator::start(EmulatorConfig { qps_limit: QPS, ..org_config() }).unwrap();
    let dir = scratch("fleet-outage");
    // While Redis is away each process keeps its own 20/s, so DingTalk throttles some: retried.
    let changes = json!({ connect::RETRIES: 5 });
    let flows: Vec<_> = (0..2).map(|p| sender_flow(&emu, &dir, &format!("o{p}"), 150, changes.clone())).collect();
    let outputs = run_processes(&flows, &redis.url(None), || {
        std::thread::sleep(Duration::from_secs(3));
        redis.kill();
        std::thread::sleep(Duration::from_secs(3));
        redis.restart();
    });
    let printed = all_succeeded(&outputs);
    assert_eq!(delivered_once(&emu).len(), 300, "nothing lost, nothing twice");
    assert!(printed.contains("cannot be used") && printed.contains("本进程改用自己的限流和令牌"), "{printed}");
    assert!(printed.contains("answers again"), "back to Redis: {printed}");
}

#[test]
fn a_wrong_password_or_no_redis_goes_on_alone_and_says_so() {
    let Some(redis) = TestRedis::start(Some("right-pass")) else { return };
    let emu = Emulator::start(org_config()).unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let unreachable = format!("redis://:other-pass@127.0.0.1:{closed}");
    for (url, why) in [(redis.url(Some("wrong-pass")), "authentication failed"), (unreachable, "cannot be used")] {
        let host = TestHost::default();
        let mut params = connect_params(&emu);
        params[connect::REDIS_URL] = json!(url);
        let robot = invoke(&host, connect::ID, &params).expect("connect goes on without Redis")[connect::ROBOT].clone();
        let sent =
            json!({ send::ROBOT: robot, send::USER_IDS: ["manager01"], send::MSG_TYPE: "text", send::CONTENT: "hi" });
        invoke(&host, send::ID, &sent).expect("the send goes on alone");
        let logs = host.text();
        assert!(logs.contains(why) && logs.contains("Redis"), "{logs}");
        assert!(!logs.contains("wrong-pass") && !logs.contains("other-pass"), "{logs}");
    }
    let mut params = connect_params(&emu);
    params[connect::REDIS_URL] = json!("http://:pw@cache.example");
    let err = invoke(&TestHost::default(), connect::ID, &params).unwrap_err();
    assert_eq!(err.field.as_deref(), Some(connect::REDIS_URL));
    assert!(err.message.contains("redis://") && !err.message.contains("pw@"), "{}", err.message);
}
