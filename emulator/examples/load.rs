//! Load tool: how many batchSend/s the emulator answers to keep-alive clients.
//!
//! `cargo run --release -p dingtalk-emulator --example load -- [CONCURRENCY] [SECONDS] [URL]`
//!
//! Without URL it starts an emulator in-process (2 worker threads, no rate limit) and
//! drives it over loopback; with URL it drives a running emulator whose app is
//! `load-key`/`load-secret` (start the binary with `--qps-limit 0`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use dingtalk_emulator::{AppConfig, Emulator, EmulatorConfig};
use serde_json::json;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let concurrency: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(32);
    let seconds: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(5);
    let external = args.next();
    let (_emu, url) = match external {
        Some(url) => (None, url),
        None => {
            let emu = Emulator::start(EmulatorConfig {
                apps: vec![AppConfig::new("load-key", "load-secret")],
                users: (0..20).map(|i| format!("u{i}")).collect(),
                flow_controlled: vec!["u19".into()],
                qps_limit: 0,
                max_recorded: 10_000,
                ..EmulatorConfig::default()
            })?;
            let url = emu.url();
            (Some(emu), url)
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build()?;
    rt.block_on(run(url, concurrency, Duration::from_secs(seconds)))
}

async fn run(url: String, concurrency: usize, duration: Duration) -> Result<(), Box<dyn std::error::Error>> {
    // The workspace builds reqwest without a default TLS crypto provider.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder().no_proxy().pool_max_idle_per_host(concurrency).build()?;
    let token: serde_json::Value = http
        .post(format!("{url}/v1.0/oauth2/accessToken"))
        .json(&json!({"appKey": "load-key", "appSecret": "load-secret"}))
        .send()
        .await?
        .json()
        .await?;
    let token = token["accessToken"].as_str().unwrap_or_default().to_owned();
    let body = serde_json::to_vec(&json!({
        "robotCode": "load-key",
        "userIds": ["u1", "u2", "u19", "nobody"],
        "msgKey": "sampleText",
        "msgParam": "{\"content\":\"load test\"}",
    }))?;
    let ok = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let send_url = format!("{url}/v1.0/robot/oToMessages/batchSend");
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (http, token, body, url) = (http.clone(), token.clone(), body.clone(), send_url.clone());
        let (ok, failed, stop) = (ok.clone(), failed.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let r = http
                    .post(&url)
                    .header("content-type", "application/json")
                    .header("x-acs-dingtalk-access-token", &token)
                    .body(body.clone())
                    .send()
                    .await;
                match r {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                        ok.fetch_add(1, Ordering::Relaxed);
                    }
                    _ => {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    tokio::time::sleep(duration).await;
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        let _ = t.await;
    }
    let secs = started.elapsed().as_secs_f64();
    let n = ok.load(Ordering::Relaxed);
    println!(
        "{n} batchSend in {secs:.2}s with {concurrency} keep-alive clients: {:.0} requests/s ({} failed)",
        n as f64 / secs,
        failed.load(Ordering::Relaxed)
    );
    Ok(())
}
