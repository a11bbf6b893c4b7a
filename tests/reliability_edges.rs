//! The reliability cases that `reliability.rs` leaves out, end to end through host-sim's
//! library (and its `host-sim run` binary) with the built cdylib against the emulator:
//!
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

use dingtalk_emulator::{Emulator, Endpoint, Fault, FaultRule};
use host_sim::SimHost;
use serde_json::{Map, Value, json};
use support::flows::*;
use support::*;

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
