//! Many sends at once, end to end through host-sim's library and the built cdylib against the
//! emulator: every message that arrives arrives once, every success arrived, and token
//! requests stay single-flight (one per token lifetime, never one per thread).
//!
//! * 16 threads x 100 connect -> send flows with one token request;
//! * a short token lifetime (2 s) under 16 threads for 5 s: refreshes stay single-flight;
//! * faults while 16 threads send (answers cut off, HTTP 500, DingTalk's rate limit, tokens
//!   revoked mid-run): nothing is sent twice, and each revoke costs one refresh;
//! * 16 threads at once with a wrong secret make one token request, and a token refused to
//!   16 threads at once is refreshed once; two connects of one app share one limiter per API
//!   at the lower limit;
//! * keep-alive connections the server closes while idle (1 and 16 threads, 2,000 sends):
//!   no send is lost or repeated;
//! * the soak, 16 threads x 10,000 sends (ignored: run it with
//!   `cargo test --release --test concurrency -- --ignored --nocapture`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code)]
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use dingtalk_emulator::{Emulator, EmulatorConfig, Endpoint, Fault, FaultRule};
use dingtalk_robot::names::{connect, send};
use host_sim::{SimHost, run_flow};
use serde_json::{Value, json};
use support::flows::{Outcomes, connect_then_send, content_var, delivered_once, flow, plugin, send_concurrently};
use support::{APP_KEY, TestHost, connect_params, invoke, org, org_config, unlimited_org};

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

// ---- Token fetches and limiters shared by threads and connects ----

/// Runs `each` on 16 threads released at once, and returns what each returned.
fn sixteen_at_once<T: Send + 'static>(each: impl Fn(usize) -> T + Send + Sync + 'static) -> Vec<T> {
    let barrier = Arc::new(std::sync::Barrier::new(16));
    let each = Arc::new(each);
    let threads: Vec<_> = (0..16)
        .map(|i| {
            let (barrier, each) = (barrier.clone(), each.clone());
            std::thread::spawn(move || {
                barrier.wait();
                each(i)
            })
        })
        .collect();
    threads.into_iter().map(|t| t.join().unwrap()).collect()
}

/// Connect params with a wrong secret, pointing at `url`.
fn wrong_secret(url: &str) -> Value {
    json!({
        connect::APP_KEY: APP_KEY, connect::APP_SECRET: "not-the-secret",
        connect::API_BASE_URL: url, connect::OAPI_BASE_URL: url,
    })
}

#[test]
fn sixteen_threads_connecting_with_a_wrong_secret_make_one_token_request() {
    let emu = Arc::new(org());
    // The refusal comes after a while, so every thread asks while the one request is out.
    emu.inject(FaultRule::next(Endpoint::Token, Fault::Delay(Duration::from_millis(300)), 1));
    let url = emu.url();
    let codes =
        sixteen_at_once(move |_| invoke(&TestHost::default(), connect::ID, &wrong_secret(&url)).unwrap_err().code);
    assert!(codes.iter().all(|c| c == "AUTH_FAILED"), "{codes:?}");
    assert_eq!(emu.stats().token_requests, 1, "the failed fetch is shared like a good one");
    // A connect that comes afterwards asks again (the secret may have been fixed meanwhile).
    let err = invoke(&TestHost::default(), connect::ID, &wrong_secret(&emu.url())).unwrap_err();
    assert_eq!(err.code, "AUTH_FAILED");
    assert_eq!(emu.stats().token_requests, 2);
}

#[test]
fn a_token_refused_to_sixteen_threads_at_once_is_refreshed_once() {
    let emu = Arc::new(org());
    let robot = support::connect(&TestHost::default(), &emu);
    emu.revoke_tokens();
    // The new token comes after a while, so every thread finds the old one refused first.
    emu.inject(FaultRule::next(Endpoint::Token, Fault::Delay(Duration::from_millis(300)), 1));
    let outcomes = sixteen_at_once(move |i| {
        let params = json!({
            send::ROBOT: robot, send::USER_IDS: ["manager01"], send::MSG_TYPE: "text",
            send::CONTENT: format!("after revoke {i}"),
        });
        invoke(&TestHost::default(), send::ID, &params).map(|_| ()).map_err(|e| e.code)
    });
    assert!(outcomes.iter().all(Result::is_ok), "{outcomes:?}");
    let stats = emu.stats();
    assert_eq!(stats.token_requests, 2, "one token at connect, one shared refresh");
    assert_eq!(stats.messages, 16);
    assert!(stats.batch_send_requests >= 17, "at least one send was refused for the old token: {stats:?}");
}

#[test]
fn two_connects_of_one_app_share_one_limiter_at_the_lower_limit() {
    for limits in [[20, 5], [5, 20], [0, 5]] {
        let emu = Arc::new(unlimited_org());
        let host = TestHost::default();
        let robots: Vec<Value> = limits
            .iter()
            .map(|qps| {
                let mut params = connect_params(&emu);
                params[connect::QPS_LIMIT] = json!(qps);
                invoke(&host, connect::ID, &params).unwrap()[connect::ROBOT].clone()
            })
            .collect();
        // 12 sends from 4 threads through the robot of either connect: at most 5 in any second.
        let started = Instant::now();
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let robot = robots[t % 2].clone();
                std::thread::spawn(move || {
                    for i in 0..3 {
                        let p = json!({
                            send::ROBOT: robot, send::USER_IDS: ["staff03"], send::MSG_TYPE: "text",
                            send::CONTENT: format!("{t}-{i}"),
                        });
                        invoke(&TestHost::default(), send::ID, &p).unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let mut at: Vec<_> =
            emu.requests().iter().filter(|r| r.endpoint == Some(Endpoint::BatchSend)).map(|r| r.at).collect();
        at.sort();
        assert_eq!(at.len(), 12, "{limits:?}");
        for (i, first) in at.iter().enumerate() {
            let in_a_second = at[i..]
                .iter()
                .take_while(|t| t.duration_since(*first).unwrap_or_default() < Duration::from_secs(1))
                .count();
            assert!(in_a_second <= 5, "{limits:?}: {in_a_second} sends within a second");
        }
        assert!(started.elapsed() >= Duration::from_secs(2), "{limits:?}: 12 sends at 5 a second take two windows");
    }
}

// ---- Connections the server closes while idle ----

#[test]
fn connections_the_server_closes_while_idle_neither_lose_nor_repeat_a_send() {
    let emu = recording_org(None);
    let plugin = plugin();
    let flow = flow(&connect_then_send(&emu, json!({ connect::QPS_LIMIT: 0 }), json!({ send::CONTENT: "${content}" })));
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
                        if let Err(e) = run_flow(plugin.as_ref(), flow, &host, content_var(content.clone())) {
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
