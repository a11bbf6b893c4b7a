//! Fleet benchmark (issue 30, item 7): what sharing the budget and token through Redis costs
//! one call. One-user sends through the plugin's own entry (`dingtalk_robot::run`) against
//! the embedded emulator with no rate limit of its own, one after another, alternating
//! between a connect without Redis and one with a `redis-server` this program starts on
//! loopback (no persistence); everything on 127.0.0.1.
//!
//! `cargo run --example fleet_bench -- [--sends N]` (default 500 of each)
//!
//! Prints p50 and p99 of a send's time without and with Redis, and their differences.

use std::error::Error;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use abi_stable::sabi_trait::TD_Opaque;
use abi_stable::std_types::RStr;
use dingtalk_emulator::{AppConfig, Emulator, EmulatorConfig};
use dingtalk_robot::names::{connect, send};
use rpa_plugin_abi::{Host, Host_TO, LogLevel};
use serde_json::{Value, json};

/// The bench org's app.
const APP_KEY: &str = "benchfleetkey01";
/// Its secret.
const APP_SECRET: &str = "bench-fleet-secret-0123456789";

type AnyResult<T> = Result<T, Box<dyn Error>>;

/// A designer that drops the plugin's log lines.
struct QuietHost;

impl Host for QuietHost {
    fn log(&self, _: LogLevel, _: RStr<'_>) {}

    fn is_cancelled(&self) -> bool {
        false
    }
}

/// Runs one action; its outputs, or its error as text.
fn run(action: &str, params: &Value) -> AnyResult<Value> {
    let host = QuietHost;
    let host = Host_TO::from_ptr(&host, TD_Opaque);
    dingtalk_robot::run(action, params, &host)
        .map(Value::Object)
        .map_err(|e| format!("{}: {}", e.code, e.message).into())
}

/// The `q` quantile of sorted `ms`.
fn quantile(ms: &[f64], q: f64) -> f64 {
    let i = ((ms.len() as f64 - 1.0) * q).round() as usize;
    ms[i.min(ms.len() - 1)]
}

fn main() -> AnyResult<()> {
    let mut sends = 500usize;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--sends" => sends = args.next().ok_or("--sends N")?.parse()?,
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    // Connect reads it when redisUrl is empty: "without Redis" must mean that.
    if std::env::var_os("DINGTALK_ROBOT_REDIS_URL").is_some() {
        return Err("unset DINGTALK_ROBOT_REDIS_URL first".into());
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let mut redis = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| format!("redis-server cannot be started ({e}): apt-get install redis-server"))?;
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if started.elapsed() > Duration::from_secs(10) {
            return Err("redis-server did not start".into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let emu = Emulator::start(EmulatorConfig {
        apps: vec![AppConfig::new(APP_KEY, APP_SECRET)],
        users: vec!["u1".into()],
        qps_limit: 0,
        ..EmulatorConfig::default()
    })?;
    let base = json!({
        connect::APP_KEY: APP_KEY, connect::APP_SECRET: APP_SECRET, connect::API_BASE_URL: emu.url(),
        connect::OAPI_BASE_URL: emu.url(), connect::QPS_LIMIT: 1000,
    });
    let mut with_redis = base.clone();
    with_redis[connect::REDIS_URL] = json!(format!("redis://127.0.0.1:{port}"));
    let (mut alone, mut shared) = (Vec::with_capacity(sends), Vec::with_capacity(sends));
    // Alternating rounds of 50, so that both see the same machine load.
    let round = 50;
    for r in 0..sends.div_ceil(round) * 2 {
        let (params, times) = if r % 2 == 0 { (&base, &mut alone) } else { (&with_redis, &mut shared) };
        let robot = run(connect::ID, params)?[connect::ROBOT].clone();
        for i in 0..round {
            let msg = json!({ send::ROBOT: robot, send::USER_IDS: ["u1"], send::MSG_TYPE: "text", send::CONTENT: format!("m{r}-{i}") });
            let t = Instant::now();
            run(send::ID, &msg)?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
    }
    let _ = redis.kill();
    let _ = redis.wait();
    for v in [&mut alone, &mut shared] {
        v.sort_by(f64::total_cmp);
    }
    let (a50, a99, s50, s99) =
        (quantile(&alone, 0.5), quantile(&alone, 0.99), quantile(&shared, 0.5), quantile(&shared, 0.99));
    let report = json!({
        "sends": alone.len(),
        "without_redis_ms": { "p50": a50, "p99": a99 },
        "with_redis_ms": { "p50": s50, "p99": s99 },
        "extra_ms": { "p50": s50 - a50, "p99": s99 - a99 },
    });
    println!("{}", serde_json::to_string_pretty(&report)?);
    println!("send time, ms     p50      p99");
    println!("without Redis  {a50:7.2}  {a99:7.2}");
    println!("with Redis     {s50:7.2}  {s99:7.2}");
    println!("extra          {:7.2}  {:7.2}", s50 - a50, s99 - a99);
    Ok(())
}
