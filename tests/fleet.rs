//! Many robots, one app (issue 30): robot processes (`host-sim run` with the built cdylib)
//! sharing their rate budget and token through a real `redis-server` of the test's own,
//! against the emulator's strict one-second window.
//!
//! * 8 processes started at once send 2,000 one-user messages at qpsLimit 20: DingTalk
//!   throttles none, never more than 20 sends in any 1,000 ms, each delivered once, and one
//!   token request for all;
//! * 4 processes wait for 25 users each; the emulator pushes the 100 replies to the 4
//!   connections at random: each reaches its waiter once (the fleet's Redis Stream and claims);
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
use dingtalk_robot::names::{connect, send, wait_for_reply as wait};
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
    assert!(printed.contains("cannot be used") && printed.contains("with its own rate limit and token"), "{printed}");
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

/// Set only in the child processes of [`each_reply_reaches_its_waiter_once_across_four_processes`]:
/// `emulator URL|Redis URL|first user|users`.
const WAITER_ENV: &str = "FLEET_TEST_WAITER_PROCESS";

/// Milliseconds since the Unix epoch.
fn now_ms() -> u128 {
    SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_millis()
}

/// One robot process of the test below (run by it as a child; alone, it does nothing): waits
/// for one reply from each of its users at once, one thread each, and prints
/// `REPLY <user> <text> <ms since the epoch>` for each.
#[test]
fn waiter_process() {
    let Ok(spec) = std::env::var(WAITER_ENV) else { return };
    let parts: Vec<&str> = spec.split('|').collect();
    let (emu_url, redis_url, first, users) =
        (parts[0], parts[1], parts[2].parse::<usize>().unwrap(), parts[3].parse::<usize>().unwrap());
    let params = json!({
        connect::APP_KEY: support::APP_KEY, connect::APP_SECRET: APP_SECRET, connect::API_BASE_URL: emu_url,
        connect::OAPI_BASE_URL: emu_url, connect::REDIS_URL: redis_url,
    });
    let robot = invoke(&TestHost::default(), connect::ID, &params).unwrap()[connect::ROBOT].clone();
    std::thread::scope(|s| {
        for u in first..first + users {
            let robot = robot.clone();
            s.spawn(move || {
                let user = format!("u{u}");
                let wait = json!({ wait::ROBOT: robot, wait::USER_ID: user, wait::TIMEOUT_SECONDS: 60 });
                let out = invoke(&TestHost::default(), wait::ID, &wait).unwrap();
                if out[wait::REPLIED] == json!(true) {
                    println!("REPLY {user} {} {}", out[wait::REPLY_TEXT].as_str().unwrap(), now_ms());
                }
            });
        }
    });
}

#[test]
fn each_reply_reaches_its_waiter_once_across_four_processes() {
    let Some(redis) = TestRedis::start(None) else { return };
    let (processes, per_process) = (4, 25);
    let users: Vec<String> = (0..processes * per_process).map(|u| format!("u{u}")).collect();
    let emu = Emulator::start(EmulatorConfig { users: users.clone(), ..org_config() }).unwrap();
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..processes)
        .map(|p| {
            Command::new(&exe)
                .args(["--exact", "waiter_process", "--nocapture", "--test-threads", "1"])
                .env(WAITER_ENV, format!("{}|{}|{}|{per_process}", emu.url(), redis.url(None), p * per_process))
                .env_remove("DINGTALK_ROBOT_REDIS_URL")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let started = Instant::now();
    while emu.stream_connection_count(support::APP_KEY) < processes {
        assert!(started.elapsed() < Duration::from_secs(60), "the {processes} processes did not all connect");
        std::thread::sleep(Duration::from_millis(50));
    }
    // Every wait registered, and every reader reading.
    std::thread::sleep(Duration::from_secs(2));
    let mut order = users.clone();
    // A fixed shuffle: the emulator picks the connection at random anyway.
    order.sort_by_key(|u| (u.len() * 7919 + u.bytes().map(usize::from).sum::<usize>() * 31) % 101);
    let mut said = std::collections::HashMap::new();
    for u in &order {
        said.insert(u.clone(), now_ms());
        emu.user_says_to(support::APP_KEY, u, &format!("answer-of-{u}")).unwrap();
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut got: Vec<(String, String)> = Vec::new();
    let mut latencies = Vec::new();
    for child in children {
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
        // libtest's "test waiter_process ... " may start the line of the first reply.
        for line in stdout.lines().filter_map(|l| l.find("REPLY ").map(|i| &l[i + 6..])) {
            let f: Vec<&str> = line.split(' ').collect();
            latencies.push(f[2].parse::<u128>().unwrap().saturating_sub(said[f[0]]));
            got.push((f[0].to_string(), f[1].to_string()));
        }
    }
    got.sort();
    let expected: Vec<(String, String)> = {
        let mut e: Vec<_> = users.iter().map(|u| (u.clone(), format!("answer-of-{u}"))).collect();
        e.sort();
        e
    };
    assert_eq!(got, expected, "every reply reached its waiter, once");
    assert_eq!(emu.stats().stream_pushed, 100);
    latencies.sort();
    eprintln!(
        "fleet Stream fan-out: {} replies, latency p50 {} ms, p99 {} ms, max {} ms",
        latencies.len(),
        latencies[latencies.len() / 2],
        latencies[latencies.len() * 99 / 100],
        latencies[latencies.len() - 1]
    );
}
