//! The reliability cases that `reliability.rs` leaves out, end to end through host-sim's
//! library (and its `host-sim run` binary) with the built cdylib against the emulator:
//!
//! * faults while 16 threads send at once (answers cut off, HTTP 500, throttled bursts,
//!   tokens revoked mid-run): every message that arrives arrives once, every success
//!   arrived, and token refreshes stay single-flight;
//! * cancellation while an upload, a throttling wait or a token refresh is under way, and
//!   from a designer that calls from inside its own tokio runtime: `CANCELLED` promptly and
//!   nothing more sent, even after the slow server finally answers;
//! * secrets handed over as variables, and every byte printed or logged by all of the
//!   above: no AppSecret, no token.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code)]
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use dingtalk_emulator::{Emulator, EmulatorConfig, Endpoint, Fault, FaultRule};
use host_sim::SimHost;
use serde_json::{Map, Value, json};
use support::flows::*;
use support::*;

/// A connect -> send flow for many threads: no client-side limit, content from `${content}`.
fn concurrent_flow(emu: &Emulator) -> Value {
    connect_then_send(emu, json!({ "qpsLimit": 0, "timeoutSeconds": 5 }), json!({ "content": "${content}" }))
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

/// How soon after the user's cancel the flow must have returned.
const PROMPTLY: Duration = Duration::from_secs(1);

/// Runs a connect -> send -> send flow in which step 2 meets `slow`, cancels it after
/// `cancel_after`, and returns the error and how long the flow took.
fn cancel_step_two(
    emu: &Emulator,
    send: Value,
    cancel_after: Duration,
    transcript: &Transcript,
) -> (host_sim::FlowError, Duration) {
    let flag = Arc::new(AtomicBool::new(false));
    let host = SimHost::silent().with_capture().with_cancel_flag(flag.clone());
    let mut doc = connect_then_send(emu, json!({}), send);
    doc["steps"].as_array_mut().unwrap().push(send_step(json!({ "content": "never" })));
    let canceller = std::thread::spawn(move || {
        std::thread::sleep(cancel_after);
        flag.store(true, Ordering::Release);
        Instant::now()
    });
    let result = transcript.run_with(&host, &doc, Map::new());
    let returned = Instant::now();
    let cancelled_at = canceller.join().unwrap();
    let err = result.expect_err("the flow was cancelled");
    (err, returned.saturating_duration_since(cancelled_at))
}

#[test]
fn a_flow_cancelled_during_a_slow_upload_sends_nothing_ever() {
    let dir = scratch("cancel-upload");
    let file = dir.join("big-report.pdf");
    std::fs::write(&file, b"%PDF-1.4 report").unwrap();
    let emu = org();
    let transcript = Transcript::default();
    emu.inject(FaultRule::always(Endpoint::MediaUpload, Fault::Delay(Duration::from_millis(1500))));
    let send = json!({ "msgType": "file", "content": file.to_str().unwrap() });
    let (err, lag) = cancel_step_two(&emu, send, Duration::from_millis(300), &transcript);
    assert_eq!((err.error.code.as_str(), err.step), ("CANCELLED", 2), "{:?}", err.error);
    assert!(lag < PROMPTLY, "CANCELLED {lag:?} after the cancel");
    // Long after the slow upload answered, still no message.
    std::thread::sleep(Duration::from_millis(1800));
    let stats = emu.stats();
    assert_eq!((stats.batch_send_requests, stats.messages), (0, 0), "{stats:?}");
    transcript.assert_clean(&emu, &[]);
}

#[test]
fn a_flow_cancelled_while_waiting_out_throttling_stops_retrying() {
    let emu = org();
    let transcript = Transcript::default();
    emu.inject(FaultRule::always(Endpoint::BatchSend, Fault::Throttle));
    let (err, lag) = cancel_step_two(&emu, json!({}), Duration::from_millis(400), &transcript);
    assert_eq!((err.error.code.as_str(), err.step), ("CANCELLED", 2), "{:?}", err.error);
    assert!(lag < PROMPTLY, "CANCELLED {lag:?} after the cancel");
    let calls = emu.stats().batch_send_requests;
    assert_eq!(calls, 1, "cancelled during the first one-second wait");
    std::thread::sleep(Duration::from_millis(1500));
    let stats = emu.stats();
    assert_eq!((stats.batch_send_requests, stats.messages), (calls, 0), "no retry after the cancel");
}

#[test]
fn a_flow_cancelled_during_a_slow_token_refresh_sends_nothing_more() {
    let emu = org();
    let transcript = Transcript::default();
    // Connect now, so that the send step finds its token revoked and refreshes slowly.
    transcript.run(&json!({ "steps": [connect_step(&emu, json!({}))] }), Map::new()).unwrap();
    emu.revoke_tokens();
    emu.inject(FaultRule::always(Endpoint::Token, Fault::Delay(Duration::from_millis(1500))));
    let (err, lag) = cancel_step_two(&emu, json!({}), Duration::from_millis(400), &transcript);
    assert_eq!((err.error.code.as_str(), err.step), ("CANCELLED", 2), "{:?}", err.error);
    assert!(lag < PROMPTLY, "CANCELLED {lag:?} after the cancel");
    std::thread::sleep(Duration::from_millis(1800));
    let stats = emu.stats();
    assert_eq!((stats.batch_send_requests, stats.messages), (1, 0), "only the refused send: {stats:?}");
    transcript.assert_clean(&emu, &[]);
}

#[test]
fn a_designer_calling_from_its_own_runtime_can_cancel_a_slow_send() {
    let emu = org();
    let transcript = Transcript::default();
    emu.inject(FaultRule::always(Endpoint::BatchSend, Fault::Delay(Duration::from_millis(1500))));
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let (err, lag) =
        runtime.block_on(async { cancel_step_two(&emu, json!({}), Duration::from_millis(400), &transcript) });
    assert_eq!((err.error.code.as_str(), err.step), ("CANCELLED", 2), "{:?}", err.error);
    assert!(lag < PROMPTLY, "CANCELLED {lag:?} after the cancel");
    assert!(err.error.message.contains("may still arrive"), "{}", err.error.message);
    std::thread::sleep(Duration::from_millis(1500));
    let contents = delivered_once(&emu);
    assert_eq!(contents, ["hello"], "the send in flight arrived once; step 3 never ran");
    assert_eq!(emu.stats().batch_send_requests, 1);
}

#[test]
fn secrets_given_as_variables_are_never_printed() {
    let emu = org();
    let dir = scratch("secret-vars");
    let transcript = Transcript::default();
    let file = dir.join("q3.xlsx");
    std::fs::write(&file, b"xlsx").unwrap();
    let wrong = "Wrong-Secret-Also-Private-42";
    let by_var = connect_then_send(
        &emu,
        json!({ "appSecret": "${secret}" }),
        json!({ "msgType": "file", "content": file.to_str().unwrap() }),
    );
    let arg = format!("secret={APP_SECRET}");
    let run = transcript.run_cli(&dir, "by-var", &by_var, &["--var", &arg]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.doc["secret"], "******", "a variable that fed the AppSecret is masked: {}", run.doc);
    assert!(run.stderr.contains("uploaded q3.xlsx"), "the debug log was captured: {}", run.stderr);

    let mut in_flow = connect_then_send(&emu, json!({ "appSecret": "${secret}" }), json!({}));
    in_flow["variables"] = json!({ "secret": APP_SECRET });
    let run = transcript.run_cli(&dir, "in-flow", &in_flow, &[]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.doc["secret"], "******", "{}", run.doc);

    // A wrong secret is a secret too, and so is a secret typed where a list belongs.
    let arg = format!("secret={wrong}");
    let run = transcript.run_cli(&dir, "wrong", &by_var, &["--var", &arg, "--lang", "zh-CN"]);
    assert_eq!((run.code, run.doc["error"]["code"].as_str()), (Some(1), Some("AUTH_FAILED")), "{}", run.doc);
    let listed = connect_then_send(&emu, json!({ "appSecret": [APP_SECRET] }), json!({}));
    let err = transcript.run(&listed, Map::new()).unwrap_err();
    assert_eq!(err.error.field.as_deref(), Some("appSecret"));
    // Faults whose errors come from the HTTP client, whose URLs (uploads) hold the token.
    emu.inject(FaultRule::always(Endpoint::MediaUpload, Fault::CloseMidAnswer));
    let run = transcript.run_cli(&dir, "cut", &by_var, &["--var", &format!("secret={APP_SECRET}")]);
    assert_eq!(run.doc["error"]["code"], "BAD_RESPONSE", "{}", run.doc);
    emu.clear_faults();
    emu.inject(FaultRule::always(Endpoint::MediaUpload, Fault::Delay(Duration::from_secs(2))));
    let mut slow = by_var.clone();
    slow["steps"][0]["params"]["timeoutSeconds"] = json!(1);
    let run = transcript.run_cli(&dir, "slow", &slow, &["--var", &format!("secret={APP_SECRET}")]);
    assert_eq!(run.doc["error"]["code"], "TIMEOUT", "{}", run.doc);
    assert!(!tokens_seen(&emu).is_empty(), "the tokens in use are searched for");
    transcript.assert_clean(&emu, &[wrong]);
}
