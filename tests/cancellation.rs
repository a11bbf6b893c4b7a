//! Cancellation, end to end through host-sim's library and the built cdylib against the
//! emulator: a user who presses "stop" while a send, an upload, a throttling wait or a token
//! refresh is under way, or a designer that calls from inside its own tokio runtime, gets
//! `CANCELLED` promptly at the step that was running, the steps after it never run, and
//! nothing more is sent, even after the slow server finally answers.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code)]
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use dingtalk_emulator::{Emulator, Endpoint, Fault, FaultRule};
use dingtalk_robot::names::send;
use host_sim::{FlowError, SimHost, run_flow};
use serde_json::{Map, Value, json};
use support::flows::{Transcript, connect_step, connect_then_send, delivered_once, flow, plugin, send_step};
use support::{org, scratch};

#[test]
fn a_flow_cancelled_during_a_slow_send_stops_promptly() {
    let emu = org();
    let plugin = plugin();
    let flag = Arc::new(AtomicBool::new(false));
    let host = SimHost::silent().with_capture().with_cancel_flag(flag.clone());
    let mut doc = connect_then_send(&emu, json!({}), json!({}));
    let third = json!({ "action": send::ID, "params": {
        send::ROBOT: "${bot}", send::USER_IDS: ["staff03"], send::MSG_TYPE: "text", send::CONTENT: "never",
    } });
    doc["steps"].as_array_mut().unwrap().push(third);
    let flow = flow(&doc);
    emu.inject(FaultRule {
        endpoint: Some(Endpoint::BatchSend),
        fault: Fault::Delay(Duration::from_secs(5)),
        times: None,
    });
    let canceller = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(400));
        flag.store(true, Ordering::Release);
    });
    let started = Instant::now();
    let err = run_flow(plugin.as_ref(), &flow, &host, Map::new()).unwrap_err();
    canceller.join().unwrap();
    assert_eq!(err.error.code, "CANCELLED");
    assert_eq!(err.step, 2, "cancelled in the send, the third step never ran");
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    assert_eq!(emu.stats().batch_send_requests, 1);
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
) -> (FlowError, Duration) {
    let flag = Arc::new(AtomicBool::new(false));
    let host = SimHost::silent().with_capture().with_cancel_flag(flag.clone());
    let mut doc = connect_then_send(emu, json!({}), send);
    doc["steps"].as_array_mut().unwrap().push(send_step(json!({ send::CONTENT: "never" })));
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
    let dir = scratch("slow-upload");
    let file = dir.join("big-report.pdf");
    std::fs::write(&file, b"%PDF-1.4 report").unwrap();
    let emu = org();
    let transcript = Transcript::default();
    emu.inject(FaultRule::always(Endpoint::MediaUpload, Fault::Delay(Duration::from_millis(1500))));
    let send = json!({ send::MSG_TYPE: "file", send::CONTENT: file.to_str().unwrap() });
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
