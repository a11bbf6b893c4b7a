//! Many sends at once, end to end through host-sim's library and the built cdylib against the
//! emulator: every message that arrives arrives once, every success arrived, and token
//! requests stay single-flight (one per token lifetime, never one per thread).
//!
//! * 16 threads x 100 connect -> send flows with one token request;
//! * a short token lifetime (2 s) under 16 threads for 5 s: refreshes stay single-flight;
//! * faults while 16 threads send (answers cut off, HTTP 500, DingTalk's rate limit, tokens
//!   revoked mid-run): nothing is sent twice, and each revoke costs one refresh;
//! * the soak, 16 threads x 10,000 sends (ignored: run it with
//!   `cargo test --release --test concurrency -- --ignored --nocapture`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code)]
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use dingtalk_emulator::{Emulator, EmulatorConfig, Endpoint, Fault, FaultRule};
use dingtalk_robot::actions::{connect, send};
use serde_json::{Value, json};
use support::flows::{Outcomes, connect_then_send, delivered_once, send_concurrently};
use support::{org_config, unlimited_org};

/// An org without DingTalk's rate limit that records up to 200,000 requests, with `ttl` as
/// its token lifetime if given.
fn recording_org(ttl: Option<Duration>) -> Emulator {
    let mut config: EmulatorConfig = org_config();
    config.qps_limit = 0;
    config.max_recorded = 200_000;
    if let Some(ttl) = ttl {
        config.token_ttl = ttl;
    }
    Emulator::start(config).unwrap()
}

/// Sends `per_thread` messages from each of `threads` threads through one loaded plugin,
/// each a whole connect -> send flow with a unique content, all of which must succeed;
/// returns the elapsed time.
fn send_from_threads(emu: &Emulator, threads: usize, per_thread: usize, tag: &str) -> Duration {
    let flow = connect_then_send(emu, json!({ connect::QPS_LIMIT: 0 }), json!({ send::CONTENT: "${content}" }));
    let started = Instant::now();
    let outcomes = send_concurrently(&flow, threads, per_thread, tag);
    let elapsed = started.elapsed();
    for (content, result) in &outcomes {
        assert!(result.is_ok(), "{content}: {result:?}");
    }
    elapsed
}

/// Every content delivered exactly once.
fn assert_each_delivered_once(emu: &Emulator, expected: usize) {
    assert_eq!(delivered_once(emu).len(), expected);
}

#[test]
fn sixteen_threads_send_once_each_with_one_token() {
    let emu = recording_org(None);
    send_from_threads(&emu, 16, 100, "ci");
    let stats = emu.stats();
    assert_eq!((stats.token_requests, stats.batch_send_requests, stats.messages), (1, 1600, 1600));
    assert_each_delivered_once(&emu, 1600);
}

#[test]
fn with_a_short_token_lifetime_refreshes_stay_single_flight() {
    let ttl = Duration::from_secs(2);
    let emu = recording_org(Some(ttl));
    let started = Instant::now();
    let mut sent = 0;
    while started.elapsed() < Duration::from_secs(5) {
        send_from_threads(&emu, 16, 5, &format!("round{sent}"));
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
/// `cargo test --release --test concurrency -- --ignored --nocapture`.
#[test]
#[ignore = "bench-sized: 160,000 sends"]
fn soak_sixteen_threads_ten_thousand_sends_each() {
    let emu = recording_org(None);
    let elapsed = send_from_threads(&emu, 16, 10_000, "soak");
    let stats = emu.stats();
    eprintln!("soak: {stats:?} in {elapsed:?} ({:.0} sends/s)", 160_000.0 / elapsed.as_secs_f64());
    assert_eq!((stats.token_requests, stats.messages), (1, 160_000));
    assert_each_delivered_once(&emu, 160_000);
}

/// A connect -> send flow for many threads: no client-side limit, content from `${content}`.
fn concurrent_flow(emu: &Emulator) -> Value {
    connect_then_send(
        emu,
        json!({ connect::QPS_LIMIT: 0, connect::TIMEOUT_SECONDS: 5 }),
        json!({ send::CONTENT: "${content}" }),
    )
}

/// Every success was delivered, every delivery was asked for, nothing arrived twice; returns
/// the error codes of the failed sends.
fn check_outcomes(emu: &Emulator, outcomes: &Outcomes) -> Vec<String> {
    let delivered = delivered_once(emu);
    let asked: std::collections::BTreeSet<&str> = outcomes.iter().map(|(c, _)| c.as_str()).collect();
    for content in &delivered {
        assert!(asked.contains(content.as_str()), "delivered but never sent: {content}");
    }
    for (content, result) in outcomes {
        if result.is_ok() {
            assert!(delivered.binary_search(content).is_ok(), "{content} succeeded but never arrived");
        }
    }
    outcomes.iter().filter_map(|(_, r)| r.clone().err()).collect()
}

#[test]
fn sixteen_threads_through_cut_answers_and_server_errors_never_send_twice() {
    // (fault, its code, whether a hit send was delivered anyway)
    for (fault, code, processed) in
        [(Fault::CloseMidAnswer, "SEND_OUTCOME_UNKNOWN", true), (Fault::Http500, "SEND_OUTCOME_UNKNOWN", false)]
    {
        let emu = unlimited_org();
        emu.inject(FaultRule::next(Endpoint::BatchSend, fault, 20));
        let outcomes = send_concurrently(&concurrent_flow(&emu), 16, 10, "faulty");
        let failed = check_outcomes(&emu, &outcomes);
        assert_eq!(failed.len(), 20, "{fault:?}: exactly the faulted sends failed: {failed:?}");
        assert!(failed.iter().all(|c| c == code), "{fault:?}: {failed:?}");
        let stats = emu.stats();
        assert_eq!(stats.batch_send_requests, 160, "{fault:?}: a send is never repeated");
        assert_eq!(stats.messages, if processed { 160 } else { 140 }, "{fault:?}");
        assert_eq!(stats.token_requests, 1, "{fault:?}");
    }
}

#[test]
fn sixteen_threads_over_dingtalks_rate_limit_are_retried_never_duplicated() {
    // DingTalk allows 20 calls a second; the plugin's own limiter is off, so bursts of 16
    // hit the platform's limit and are waited out.
    let emu = Emulator::start(EmulatorConfig { qps_limit: 20, ..org_config() }).unwrap();
    let outcomes = send_concurrently(&concurrent_flow(&emu), 16, 3, "burst");
    let failed = check_outcomes(&emu, &outcomes);
    assert!(failed.iter().all(|c| c == "THROTTLED"), "{failed:?}");
    let stats = emu.stats();
    assert!(stats.throttled > 0, "the bursts were throttled: {stats:?}");
    assert_eq!(stats.messages as usize, outcomes.len() - failed.len(), "{stats:?}");
    assert_eq!(stats.batch_send_requests, stats.messages + stats.throttled, "only throttled calls repeat: {stats:?}");
}

#[test]
fn tokens_revoked_while_sixteen_threads_send_are_refreshed_once_each() {
    let emu = Arc::new(unlimited_org());
    let revokes: u32 = 3;
    let done = Arc::new(AtomicBool::new(false));
    let revoker = {
        let (emu, done) = (emu.clone(), done.clone());
        std::thread::spawn(move || {
            let mut n = 0;
            while n < revokes && !done.load(Ordering::Acquire) {
                std::thread::sleep(Duration::from_millis(150));
                emu.revoke_tokens();
                n += 1;
            }
            n
        })
    };
    let started = Instant::now();
    let mut outcomes = Vec::new();
    let mut round = 0;
    // Keep sending until every revoke happened and a round ran after the last one.
    loop {
        let finished = revoker.is_finished();
        outcomes.extend(send_concurrently(&concurrent_flow(&emu), 16, 10, &format!("r{round}")));
        round += 1;
        if finished || started.elapsed() > Duration::from_secs(20) {
            break;
        }
    }
    done.store(true, Ordering::Release);
    let revoked = revoker.join().unwrap();
    assert_eq!(revoked, revokes);
    let failed = check_outcomes(&emu, &outcomes);
    // A send whose fresh token is revoked again before it is used fails as DingTalk's error;
    // it was not delivered (checked above), and it is rare.
    assert!(failed.iter().all(|c| c == "DINGTALK_ERROR"), "{failed:?}");
    assert!(failed.len() <= 16 * revokes as usize, "{failed:?}");
    let stats = emu.stats();
    assert!(
        (2..=1 + u64::from(revokes)).contains(&stats.token_requests),
        "one refresh per revoke, not one per thread: {stats:?}"
    );
    let sends = outcomes.len() as u64;
    assert!(stats.batch_send_requests - sends <= 16 * u64::from(revokes), "{stats:?} for {sends} sends");
}
