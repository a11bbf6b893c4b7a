//! The raw ceiling for the benchmarks: a bare keep-alive HTTP client (reqwest) making the
//! same batchSend call as the plugin, one at a time on one thread, with no plugin, no host
//! and no validation in between.
//!
//! `raw_batch_send URL APP_KEY APP_SECRET COUNT [current|multi]` prints `{"opsPerSec": N, "sends": COUNT}`.
//!
//! `current` (the default) runs everything on one thread's event loop: the ceiling. `multi`
//! drives the same calls with `block_on` from the main thread on a 2-worker multi-thread
//! runtime, where the pooled connection's task lives on a worker thread: the plugin's own
//! arrangement, to measure what that arrangement costs by itself.

use std::time::Instant;

use serde_json::{Value, json};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (url, key, secret, count, mode) = match args.as_slice() {
        [_, url, key, secret, count] => (url, key, secret, count, "current"),
        [_, url, key, secret, count, mode] => (url, key, secret, count, mode.as_str()),
        _ => return Err("usage: raw_batch_send URL APP_KEY APP_SECRET COUNT [current|multi]".into()),
    };
    let count: usize = count.parse()?;
    // The workspace builds reqwest without a default TLS crypto provider.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = match mode {
        "current" => tokio::runtime::Builder::new_current_thread().enable_all().build()?,
        "multi" => tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?,
        other => return Err(format!("unknown mode {other:?}: current or multi").into()),
    };
    runtime.block_on(async {
        let http = reqwest::Client::builder().no_proxy().tcp_nodelay(true).build()?;
        let token: Value = http
            .post(format!("{url}/v1.0/oauth2/accessToken"))
            .json(&json!({ "appKey": key, "appSecret": secret }))
            .send()
            .await?
            .json()
            .await?;
        let token = token["accessToken"].as_str().ok_or("no accessToken")?.to_string();
        let body = serde_json::to_vec(&json!({
            "msgKey": "sampleText",
            "msgParam": json!({ "content": "benchmark message" }).to_string(),
            "robotCode": key,
            "userIds": ["u1"],
        }))?;
        let started = Instant::now();
        for _ in 0..count {
            let resp = http
                .post(format!("{url}/v1.0/robot/oToMessages/batchSend"))
                .header("x-acs-dingtalk-access-token", &token)
                .header("content-type", "application/json")
                .body(body.clone())
                .send()
                .await?;
            if !resp.status().is_success() {
                return Err(format!("HTTP {}", resp.status()).into());
            }
            resp.bytes().await?;
        }
        let secs = started.elapsed().as_secs_f64();
        println!("{}", json!({ "opsPerSec": count as f64 / secs, "sends": count }));
        Ok(())
    })
}
