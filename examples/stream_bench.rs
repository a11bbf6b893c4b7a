//! Stream benchmark (issue 26, item 6): "Wait for a reply" through the plugin's own entry
//! (`dingtalk_robot::run`, the code the cdylib exports) against the embedded emulator's Stream
//! mode, everything on 127.0.0.1.
//!
//! `cargo run --example stream_bench -- [--waiters N] [--storm-seconds S] [--quick]`
//!
//! * latency: N waiters at once (N threads, each running the action for its own user), then
//!   one reply per user, paced; per waiter the time from `user_says` returning to its `run`
//!   returning; p50 and p99 (goal: p99 < 50 ms);
//! * memory: VmRSS before the waits and while all N wait (goal: growth < 20 MB), beside the
//!   growth for N idle threads alone (the host's share: each waiter is a thread of its own);
//! * throughput: N new waiters, N replies sent as fast as the emulator takes them; messages/s
//!   from the first `user_says` to the last waiter's return, all on one connection;
//! * reconnect storm: 100 waiters re-waiting in a loop, `disconnect` every 5 s for S seconds
//!   (default 60; `--quick` 15), 1,000 replies per minute spread over it; every reply must
//!   reach its waiter exactly once.
//!
//! Prints a JSON report, then a short table.

use std::collections::HashMap;
use std::error::Error;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use abi_stable::sabi_trait::TD_Opaque;
use abi_stable::std_types::RStr;
use dingtalk_emulator::{AppConfig, Emulator, EmulatorConfig};
use dingtalk_robot::names::{connect, wait_for_reply as w};
use rpa_plugin_abi::{Host, Host_TO, LogLevel};
use serde_json::{Value, json};

/// The bench org's app.
const APP_KEY: &str = "benchstreamkey01";
/// Its secret.
const APP_SECRET: &str = "bench-stream-secret-0123456789";
/// Waiters in the reconnect storm.
const STORM_WAITERS: usize = 100;
/// Replies per minute of storm.
const STORM_REPLIES_PER_MINUTE: usize = 1000;
/// How often the storm sends `disconnect`.
const STORM_DISCONNECT_EVERY: Duration = Duration::from_secs(5);

type AnyResult<T> = Result<T, Box<dyn Error>>;

/// A designer that drops the plugin's log lines and stops every flow when told to.
#[derive(Default)]
struct BenchHost {
    cancelled: AtomicBool,
}

impl Host for BenchHost {
    fn log(&self, _: LogLevel, _: RStr<'_>) {}

    fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Acquire)
    }
}

/// Runs one action as a designer does; the error as "CODE message".
fn invoke(host: &BenchHost, action: &str, params: &Value) -> Result<Value, String> {
    let host_ref = Host_TO::from_ptr(host, TD_Opaque);
    dingtalk_robot::run(action, params, &host_ref).map(Value::Object).map_err(|e| format!("{} {}", e.code, e.message))
}

/// Command-line settings.
struct Settings {
    waiters: usize,
    storm: Duration,
    settle: Duration,
    pace: Duration,
}

impl Settings {
    fn from_args() -> AnyResult<Self> {
        let mut s = Self {
            waiters: 1000,
            storm: Duration::from_secs(60),
            settle: Duration::from_secs(2),
            pace: Duration::from_millis(2),
        };
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            let mut number = |name: &str| -> AnyResult<u64> {
                let v = args.next().ok_or_else(|| format!("{name} needs a number"))?;
                Ok(v.parse().map_err(|_| format!("{name}: not a number: {v}"))?)
            };
            match arg.as_str() {
                "--waiters" => s.waiters = usize::try_from(number("--waiters")?.max(1))?,
                "--storm-seconds" => s.storm = Duration::from_secs(number("--storm-seconds")?.max(5)),
                "--settle-ms" => s.settle = Duration::from_millis(number("--settle-ms")?),
                "--pace-us" => s.pace = Duration::from_micros(number("--pace-us")?),
                "--quick" => s.storm = Duration::from_secs(15),
                "-h" | "--help" => {
                    println!(
                        "stream_bench [--waiters N (1000)] [--storm-seconds S (60)] [--quick (storm 15 s)] \
                         [--settle-ms MS (2000)] [--pace-us US between latency replies (2000)]"
                    );
                    std::process::exit(0);
                }
                other => return Err(format!("unknown argument {other}; try --help").into()),
            }
        }
        Ok(s)
    }
}

/// VmRSS of this process in KiB.
fn vm_rss_kib() -> AnyResult<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).ok_or("no VmRSS in /proc/self/status")?;
    let kib = line.split_whitespace().nth(1).ok_or("VmRSS without a number")?;
    Ok(kib.parse()?)
}

/// CPU time this process used so far (user + system), from /proc/self/stat, in clock ticks
/// (100 per second on Linux).
fn cpu_ticks() -> AnyResult<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat")?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).ok_or("odd /proc/self/stat")?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let (utime, stime) = (fields.get(11).ok_or("no utime")?, fields.get(12).ok_or("no stime")?);
    Ok(utime.parse::<u64>()? + stime.parse::<u64>()?)
}

fn user(i: usize) -> String {
    format!("user{i:04}")
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// What one waiter saw: its user's index, when its `run` returned, and the outputs.
type Waited = (usize, Instant, Result<Value, String>);

/// Starts `n` waiters, one thread each, for users `0..n`; returns once every thread is about
/// to call the action, the app's connection is open and `settle` has passed (a wait takes only
/// messages that arrive after it registered; each also looks back 10 s, so that a reply sent
/// before its registration is still its own and shows up as latency, not as a loss).
fn start_waiters(
    host: &'static BenchHost,
    emu: &Emulator,
    robot: &Value,
    n: usize,
    settle: Duration,
) -> AnyResult<Vec<JoinHandle<Waited>>> {
    let ready = Arc::new(AtomicUsize::new(0));
    let mut handles = Vec::with_capacity(n);
    for i in 0..n {
        let params = json!({ w::ROBOT: robot, w::USER_ID: user(i), w::TIMEOUT_SECONDS: 120, w::LOOKBACK_SECONDS: 10 });
        let ready = Arc::clone(&ready);
        handles.push(std::thread::Builder::new().name(format!("waiter{i}")).spawn(move || {
            ready.fetch_add(1, Ordering::AcqRel);
            let out = invoke(host, w::ID, &params);
            (i, Instant::now(), out)
        })?);
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while ready.load(Ordering::Acquire) < n || emu.stream_connection_count(APP_KEY) == 0 {
        if Instant::now() > deadline {
            return Err("the waiters did not start or no Stream connection opened within 60 s".into());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(settle);
    Ok(handles)
}

/// Joins waiters; checks each got its own user's reply `"{prefix} {i}"`. Returns each
/// waiter's return time by index, and how many got something else.
fn join_waiters(handles: Vec<JoinHandle<Waited>>, prefix: &str) -> (HashMap<usize, Instant>, Vec<String>) {
    let mut returned = HashMap::new();
    let mut wrong = Vec::new();
    for h in handles {
        match h.join() {
            Ok((i, at, Ok(out))) => {
                let expected = format!("{prefix} {i}");
                if out[w::REPLIED] == true
                    && out[w::REPLY_TEXT] == expected.as_str()
                    && out[w::SENDER_USER_ID] == user(i).as_str()
                {
                    returned.insert(i, at);
                } else {
                    wrong.push(format!("{}: {out}", user(i)));
                }
            }
            Ok((i, _, Err(e))) => wrong.push(format!("{}: {e}", user(i))),
            Err(_) => wrong.push("a waiter thread panicked".to_owned()),
        }
    }
    (returned, wrong)
}

/// RSS growth of `n` threads that only wait on a barrier: the host's own share of a waiter.
fn idle_threads_rss_kib(n: usize) -> AnyResult<u64> {
    let before = vm_rss_kib()?;
    let gate = Arc::new(Barrier::new(n + 1));
    let parked = Arc::new(Barrier::new(n + 1));
    let mut handles = Vec::with_capacity(n);
    for _ in 0..n {
        let (gate, parked) = (Arc::clone(&gate), Arc::clone(&parked));
        handles.push(std::thread::Builder::new().spawn(move || {
            parked.wait();
            gate.wait();
        })?);
    }
    parked.wait();
    let during = vm_rss_kib()?;
    gate.wait();
    for h in handles {
        let _ = h.join();
    }
    Ok(during.saturating_sub(before))
}

/// RSS growth of `n` threads that each ran one connect (the plugin's loop and HTTP client of
/// that thread made, no wait) and then wait on a barrier.
fn connected_threads_rss_kib(connect_params: &Value, n: usize) -> AnyResult<u64> {
    let host: &'static BenchHost = Box::leak(Box::default());
    let before = vm_rss_kib()?;
    let gate = Arc::new(Barrier::new(n + 1));
    let parked = Arc::new(Barrier::new(n + 1));
    let mut handles = Vec::with_capacity(n);
    for _ in 0..n {
        let (gate, parked, params) = (Arc::clone(&gate), Arc::clone(&parked), connect_params.clone());
        handles.push(std::thread::Builder::new().spawn(move || {
            let ok = invoke(host, connect::ID, &params).is_ok();
            parked.wait();
            gate.wait();
            ok
        })?);
    }
    parked.wait();
    let during = vm_rss_kib()?;
    gate.wait();
    let mut failed = 0;
    for h in handles {
        if !h.join().unwrap_or(false) {
            failed += 1;
        }
    }
    if failed > 0 {
        return Err(format!("{failed} connects failed").into());
    }
    Ok(during.saturating_sub(before))
}

fn latency_and_memory(
    host: &'static BenchHost,
    emu: &Emulator,
    robot: &Value,
    connect_params: &Value,
    s: &Settings,
) -> AnyResult<Value> {
    let idle_kib = idle_threads_rss_kib(s.waiters)?;
    let connected_kib = connected_threads_rss_kib(connect_params, s.waiters)?;
    let rss_before = vm_rss_kib()?;
    let handles = start_waiters(host, emu, robot, s.waiters, s.settle)?;
    let rss_waiting = vm_rss_kib()?;
    // What 1,000 idle waits cost in CPU: one second with nothing to deliver.
    let (ticks, since) = (cpu_ticks()?, Instant::now());
    std::thread::sleep(Duration::from_secs(1));
    let idle_cpu_percent = (cpu_ticks()?.saturating_sub(ticks) as f64 / since.elapsed().as_secs_f64()).round();
    let mut sent_at = HashMap::new();
    let mut send_errors = Vec::new();
    for i in 0..s.waiters {
        match emu.user_says(&user(i), &format!("lat {i}")) {
            Ok(_) => {
                sent_at.insert(i, Instant::now());
            }
            Err(e) => send_errors.push(e.to_string()),
        }
        std::thread::sleep(s.pace);
    }
    let (returned, wrong) = join_waiters(handles, "lat");
    // In sending order, to see whether the slow ones cluster.
    let in_order: Vec<Duration> =
        (0..s.waiters).filter_map(|i| Some(returned.get(&i)?.saturating_duration_since(*sent_at.get(&i)?))).collect();
    let max_per_hundred: Vec<f64> =
        in_order.chunks(100).map(|c| ms(c.iter().max().copied().unwrap_or_default())).collect();
    let mut latencies = in_order;
    latencies.sort();
    let (p50, p99) = (percentile(&latencies, 50.0), percentile(&latencies, 99.0));
    Ok(json!({
        "waiters": s.waiters,
        "replies_paced_us": s.pace.as_micros() as u64,
        "replied_ok": latencies.len(),
        "wrong_or_missing": wrong.len() + send_errors.len(),
        "wrong_examples": wrong.iter().chain(&send_errors).take(3).collect::<Vec<_>>(),
        "latency_ms": {
            "p50": ms(p50), "p90": ms(percentile(&latencies, 90.0)), "p99": ms(p99),
            "max": ms(latencies.last().copied().unwrap_or_default()),
            "max_per_hundred_in_sending_order": max_per_hundred,
        },
        "latency_goal_p99_ms": 50, "latency_pass": p99 < Duration::from_millis(50) && wrong.is_empty() && send_errors.is_empty(),
        "rss_kib": { "before": rss_before, "waiting": rss_waiting, "growth": rss_waiting.saturating_sub(rss_before),
            "idle_threads_growth": idle_kib, "connected_threads_growth": connected_kib },
        "rss_growth_mb": (rss_waiting.saturating_sub(rss_before) as f64 / 1024.0 * 10.0).round() / 10.0,
        "rss_goal_mb": 20, "rss_pass": rss_waiting.saturating_sub(rss_before) < 20 * 1024,
        "cpu_percent_of_one_core_while_all_wait_idle": idle_cpu_percent,
        "stream_connections_open": emu.stream_connection_count(APP_KEY),
    }))
}

fn throughput(host: &'static BenchHost, emu: &Emulator, robot: &Value, s: &Settings) -> AnyResult<Value> {
    let handles = start_waiters(host, emu, robot, s.waiters, s.settle)?;
    let first = Instant::now();
    let mut send_errors = 0usize;
    for i in 0..s.waiters {
        if emu.user_says(&user(i), &format!("tp {i}")).is_err() {
            send_errors += 1;
        }
    }
    let sent = first.elapsed();
    let (returned, wrong) = join_waiters(handles, "tp");
    let last = returned.values().max().map(|t| t.saturating_duration_since(first)).unwrap_or_default();
    let rate = if last.is_zero() { 0.0 } else { returned.len() as f64 / last.as_secs_f64() };
    Ok(json!({
        "waiters": s.waiters, "replies": s.waiters, "received": returned.len(),
        "wrong_or_missing": wrong.len() + send_errors,
        "sending_ms": ms(sent), "first_say_to_last_return_ms": ms(last),
        "messages_per_s": rate.round(),
        "stream_connections_open": emu.stream_connection_count(APP_KEY),
    }))
}

/// One storm waiter: waits for its user again and again until the host stops it; records
/// every reply text it got, and every error other than the final CANCELLED.
fn storm_waiter(
    host: &'static BenchHost,
    robot: Value,
    i: usize,
    got: Arc<Mutex<Vec<(usize, String)>>>,
) -> Vec<String> {
    let params = json!({ w::ROBOT: robot, w::USER_ID: user(i), w::TIMEOUT_SECONDS: 30, w::LOOKBACK_SECONDS: 60 });
    let mut errors = Vec::new();
    while !host.is_cancelled() {
        match invoke(host, w::ID, &params) {
            Ok(out) if out[w::REPLIED] == true => {
                let text = out[w::REPLY_TEXT].as_str().unwrap_or_default().to_owned();
                got.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push((i, text));
            }
            Ok(_) => {}
            Err(e) if e.starts_with("CANCELLED") => break,
            Err(e) => errors.push(e),
        }
    }
    errors
}

fn storm(emu: &Emulator, robot: &Value, s: &Settings) -> AnyResult<Value> {
    // A host of its own: stopping the storm's waiters stops no one else's.
    let host: &'static BenchHost = Box::leak(Box::default());
    let stats_before = emu.stats();
    let got = Arc::new(Mutex::new(Vec::new()));
    let handles: Vec<_> = (0..STORM_WAITERS)
        .map(|i| {
            let (robot, got) = (robot.clone(), Arc::clone(&got));
            std::thread::Builder::new().spawn(move || storm_waiter(host, robot, i, got))
        })
        .collect::<Result<_, _>>()?;
    std::thread::sleep(s.settle);
    let replies = (STORM_REPLIES_PER_MINUTE as u128 * s.storm.as_millis() / 60_000) as usize;
    let every = s.storm / u32::try_from(replies.max(1))?;
    let start = Instant::now();
    let mut next_disconnect = STORM_DISCONNECT_EVERY;
    let (mut disconnects, mut told) = (0usize, 0usize);
    let mut lost_at_server = Vec::new();
    for k in 0..replies {
        let due = every * u32::try_from(k)?;
        loop {
            let now = start.elapsed();
            if now >= next_disconnect && next_disconnect < s.storm {
                told += emu.stream_disconnect();
                disconnects += 1;
                next_disconnect += STORM_DISCONNECT_EVERY;
            }
            if now >= due {
                break;
            }
            std::thread::sleep((due - now).min(Duration::from_millis(5)));
        }
        if let Err(e) = emu.user_says(&user(k % STORM_WAITERS), &format!("storm {k}")) {
            lost_at_server.push(format!("storm {k}: {e}"));
        }
    }
    let sent_in = start.elapsed();
    // Every reply the emulator pushed should arrive; allow 30 s for the last ones.
    let expected = replies - lost_at_server.len();
    let deadline = Instant::now() + Duration::from_secs(30);
    while got.lock().map(|g| g.len()).unwrap_or(0) < expected && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    // A little longer, so that a duplicate delivered late would still be counted.
    std::thread::sleep(Duration::from_millis(500));
    host.cancelled.store(true, Ordering::Release);
    let mut errors = Vec::new();
    for h in handles {
        match h.join() {
            Ok(e) => errors.extend(e),
            Err(_) => errors.push("a storm waiter panicked".to_owned()),
        }
    }
    let got = got.lock().map(|g| g.clone()).unwrap_or_default();
    let mut times: HashMap<String, usize> = HashMap::new();
    let mut wrong_waiter = 0usize;
    for (i, text) in &got {
        *times.entry(text.clone()).or_default() += 1;
        let k: Option<usize> = text.strip_prefix("storm ").and_then(|n| n.parse().ok());
        if k.map(|k| k % STORM_WAITERS) != Some(*i) {
            wrong_waiter += 1;
        }
    }
    let once = (0..replies).filter(|k| times.get(&format!("storm {k}")) == Some(&1)).count();
    let duplicated = times.values().filter(|&&n| n > 1).count();
    let missing = (0..replies).filter(|k| !times.contains_key(&format!("storm {k}"))).count();
    let stats = emu.stats();
    Ok(json!({
        "seconds": s.storm.as_secs(), "waiters": STORM_WAITERS, "replies": replies,
        "disconnects_sent": disconnects, "connections_told": told,
        "connections_opened": stats.stream_connections - stats_before.stream_connections,
        "sending_ms": ms(sent_in),
        "received_exactly_once": once, "duplicated": duplicated, "missing": missing,
        "to_wrong_waiter": wrong_waiter, "lost_at_server": lost_at_server.len(),
        "lost_examples": lost_at_server.iter().take(3).collect::<Vec<_>>(),
        "waiter_errors": errors.len(), "waiter_error_examples": errors.iter().take(3).collect::<Vec<_>>(),
        "pass": once == replies && duplicated == 0 && wrong_waiter == 0,
    }))
}

fn main() -> AnyResult<()> {
    let s = Settings::from_args()?;
    let emu = Emulator::start(EmulatorConfig {
        apps: vec![AppConfig::new(APP_KEY, APP_SECRET)],
        users: (0..s.waiters.max(STORM_WAITERS)).map(user).collect(),
        qps_limit: 0,
        ..EmulatorConfig::default()
    })?;
    let host: &'static BenchHost = Box::leak(Box::default());
    let connect_params = json!({ connect::APP_KEY: APP_KEY, connect::APP_SECRET: APP_SECRET,
                                 connect::API_BASE_URL: emu.url(), connect::OAPI_BASE_URL: emu.url() });
    let connected = invoke(host, connect::ID, &connect_params)?;
    let robot = connected[connect::ROBOT].clone();

    eprintln!("latency and memory: {} waiters ...", s.waiters);
    let latency = latency_and_memory(host, &emu, &robot, &connect_params, &s)?;
    eprintln!("throughput: {} waiters, {} replies at once ...", s.waiters, s.waiters);
    let throughput = throughput(host, &emu, &robot, &s)?;
    eprintln!("reconnect storm: {} s ...", s.storm.as_secs());
    let storm = storm(&emu, &robot, &s)?;

    let report = json!({
        "build": if cfg!(debug_assertions) { "debug" } else { "release" },
        "latency_and_memory": latency, "throughput": throughput, "reconnect_storm": storm,
    });
    println!("{}", serde_json::to_string_pretty(&report)?);

    let verdict = |pass: &Value| if pass == &Value::Bool(true) { "PASS" } else { "FAIL" };
    let l = &report["latency_and_memory"];
    let t = &report["throughput"];
    let r = &report["reconnect_storm"];
    println!();
    println!("| figure | measured | goal | result |");
    println!("|---|---|---|---|");
    println!(
        "| reply-to-output latency, {} waiters: p50 / p99 ms | {} / {} ({} of {} right) | p99 < 50 | {} |",
        l["waiters"],
        l["latency_ms"]["p50"],
        l["latency_ms"]["p99"],
        l["replied_ok"],
        l["waiters"],
        verdict(&l["latency_pass"])
    );
    println!(
        "| RSS growth, {} waiters, MB (as many idle threads: {} KiB; threads that ran a connect: {} KiB) | {} | < 20 | {} |",
        l["waiters"],
        l["rss_kib"]["idle_threads_growth"],
        l["rss_kib"]["connected_threads_growth"],
        l["rss_growth_mb"],
        verdict(&l["rss_pass"])
    );
    println!(
        "| messages/s on one connection ({} replies to {} waiters, sent in {} ms; connections open {}) | {} | | |",
        t["replies"], t["waiters"], t["sending_ms"], t["stream_connections_open"], t["messages_per_s"]
    );
    println!(
        "| reconnect storm, {} s: replies received exactly once / sent (dup {}, missing {}, disconnects {}) | {} / {} | all once | {} |",
        r["seconds"],
        r["duplicated"],
        r["missing"],
        r["disconnects_sent"],
        r["received_exactly_once"],
        r["replies"],
        verdict(&r["pass"])
    );
    emu.shutdown();
    Ok(())
}
