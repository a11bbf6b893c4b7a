//! The raw ceiling for the benchmarks: bare keep-alive HTTP clients (reqwest) making the same
//! batchSend call as the plugin, one at a time per client, with no plugin, no host and no
//! validation in between.
//!
//! `raw_batch_send URL APP_KEY APP_SECRET COUNT [current|multi] [THREADS]` prints
//! `{"opsPerSec": N, "sends": COUNT, "threads": THREADS}`.
//!
//! `current` (the default) runs each client on its own thread's event loop: the ceiling.
//! With THREADS (default 1) clients, each on its own thread, the COUNT sends are shared out
//! among them and timed from the moment all are ready. `multi` drives the calls with
//! `block_on` from the main thread on a 2-worker multi-thread runtime, where the pooled
//! connection's task lives on a worker thread, to measure what that arrangement costs by
//! itself (one thread only).

use std::sync::{Arc, Barrier};
use std::time::Instant;

use serde_json::{Value, json};

type Failure = Box<dyn std::error::Error + Send + Sync>;

fn main() -> Result<(), Failure> {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: raw_batch_send URL APP_KEY APP_SECRET COUNT [current|multi] [THREADS]";
    let (url, key, secret, count) = match args.get(1..5) {
        Some([url, key, secret, count]) => (url.clone(), key.clone(), secret.clone(), count.parse::<usize>()?),
        _ => return Err(usage.into()),
    };
    let mode = args.get(5).map_or("current", String::as_str);
    let threads: usize = args.get(6).map_or(Ok(1), |t| t.parse())?;
    if threads == 0 || args.len() > 7 {
        return Err(usage.into());
    }
    // The workspace builds reqwest without a default TLS crypto provider.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = Client { url, key, secret };
    let secs = match (mode, threads) {
        ("current", _) => {
            let ready = Arc::new(Barrier::new(threads + 1));
            let workers: Vec<_> = (0..threads)
                .map(|i| {
                    let (client, ready) = (client.clone(), ready.clone());
                    let sends = count / threads + usize::from(i < count % threads);
                    std::thread::spawn(move || -> Result<(), Failure> {
                        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
                        runtime.block_on(client.run(sends, &ready))
                    })
                })
                .collect();
            ready.wait();
            let started = Instant::now();
            for w in workers {
                w.join().map_err(|_| "a client thread panicked")??;
            }
            started.elapsed().as_secs_f64()
        }
        ("multi", 1) => {
            let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
            let ready = Arc::new(Barrier::new(1));
            let started = Instant::now();
            runtime.block_on(client.run(count, &ready))?;
            started.elapsed().as_secs_f64()
        }
        (other, _) => return Err(format!("unknown mode {other:?} (multi takes one thread): {usage}").into()),
    };
    println!("{}", json!({ "opsPerSec": count as f64 / secs, "sends": count, "threads": threads }));
    Ok(())
}

#[derive(Clone)]
struct Client {
    url: String,
    key: String,
    secret: String,
}

impl Client {
    /// Gets a token, waits at `ready` for the other clients, then makes `sends` sends.
    async fn run(self, sends: usize, ready: &Barrier) -> Result<(), Failure> {
        let Client { url, key, secret } = self;
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
        ready.wait();
        for _ in 0..sends {
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
        Ok(())
    }
}
