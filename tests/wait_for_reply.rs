//! "Wait for a reply" end to end: the plugin's entry point against the emulator's Stream mode.
//! A flow waits, a person answers in the emulator, and the step's outputs carry the answer;
//! messages that do not match are left for others; a wait ends at its timeout as the user
//! chose; many waits share one connection of the app and each gets its own person's answer.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code)]
mod support;

use std::time::{Duration, Instant};

use dingtalk_emulator::Emulator;
use dingtalk_robot::names::wait_for_reply as w;
use serde_json::{Value, json};
use support::*;

/// Runs `params` through "Wait for a reply" on a thread of its own.
fn wait_in_background(host: &'static TestHost, params: Value) -> std::thread::JoinHandle<Result<Value, String>> {
    std::thread::spawn(move || invoke(host, w::ID, &params).map_err(|e| format!("{} {}", e.code, e.message)))
}

/// Waits until the app has `n` open Stream connections (the waiting step opened its own).
fn until_connected(emu: &Emulator, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while emu.stream_connection_count(APP_KEY) < n {
        assert!(Instant::now() < deadline, "no Stream connection was opened");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn leaked_host() -> &'static TestHost {
    Box::leak(Box::default())
}

#[test]
fn a_reply_reaches_the_waiting_step_with_who_said_what() {
    let emu = org();
    let host = leaked_host();
    let robot = connect(host, &emu);
    let params = json!({ w::ROBOT: robot, w::USER_ID: "staff02", w::TIMEOUT_SECONDS: 20, w::PATTERN: r"PO\s*\d+" });
    let waiting = wait_in_background(host, params);
    until_connected(&emu, 1);
    // Another person's message, and the same person's message without a PO number: neither
    // is this wait's answer.
    emu.user_says("manager01", "PO 1 from someone else").unwrap();
    emu.user_says("staff02", "one moment please").unwrap();
    emu.user_says("staff02", "Approved: PO 4711").unwrap();
    let out = waiting.join().unwrap().unwrap();
    assert_eq!(out[w::REPLIED], true, "{out}");
    assert_eq!(out[w::REPLY_TEXT], "Approved: PO 4711");
    assert_eq!(out[w::REPLY_TYPE], "text");
    assert_eq!(out[w::SENDER_USER_ID], "staff02");
    assert!(out[w::CONVERSATION_ID].as_str().is_some_and(|c| !c.is_empty()), "{out}");
    assert!(out[w::RECEIVED_AT].as_str().is_some_and(|t| t.contains('T') && t.ends_with("+00:00")), "{out}");
    // Every frame DingTalk pushed was acknowledged on the socket.
    let pushed = emu.stream_pushed().len();
    let deadline = Instant::now() + Duration::from_secs(5);
    while emu.stream_acks().len() < pushed && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(emu.stream_acks().len(), pushed, "each pushed message acknowledged");
    assert_no_secrets(&emu, &[&out.to_string(), &host.text()]);
}

#[test]
fn a_wait_ends_at_its_timeout_as_an_output_or_as_reply_timeout() {
    let emu = org();
    let host = leaked_host();
    let robot = connect(host, &emu);
    let started = Instant::now();
    let out = invoke(host, w::ID, &json!({ w::ROBOT: robot, w::USER_ID: "staff03", w::TIMEOUT_SECONDS: 1 })).unwrap();
    assert_eq!(out[w::REPLIED], false, "{out}");
    assert!(started.elapsed() >= Duration::from_secs(1), "{:?}", started.elapsed());
    let err = invoke(
        host,
        w::ID,
        &json!({ w::ROBOT: robot, w::USER_ID: "staff03", w::TIMEOUT_SECONDS: 1, w::ON_TIMEOUT: "error" }),
    )
    .unwrap_err();
    assert_eq!(err.code, "REPLY_TIMEOUT", "{err:?}");
    assert!(err.zh_cn.is_some() && err.hint.is_some(), "{err:?}");
}

#[test]
fn waits_for_several_people_share_one_connection_and_each_gets_its_own_answer() {
    let emu = org();
    let host = leaked_host();
    let robot = connect(host, &emu);
    let people = ["manager01", "staff02", "staff03"];
    let waits: Vec<_> = people
        .iter()
        .map(|p| wait_in_background(host, json!({ w::ROBOT: robot, w::USER_ID: p, w::TIMEOUT_SECONDS: 20 })))
        .collect();
    until_connected(&emu, 1);
    // Give every wait time to register before anyone answers (a wait takes only messages
    // that arrive after it started).
    std::thread::sleep(Duration::from_millis(300));
    for p in people.iter().rev() {
        emu.user_says(p, &format!("{p} says yes")).unwrap();
    }
    for (p, wait) in people.iter().zip(waits) {
        let out = wait.join().unwrap().unwrap();
        assert_eq!(out[w::SENDER_USER_ID], *p, "{out}");
        assert_eq!(out[w::REPLY_TEXT], format!("{p} says yes"));
    }
    assert_eq!(emu.stream_connection_count(APP_KEY), 1, "one connection for the app");
}

#[test]
fn exactly_one_of_user_mobile_or_group_is_asked_for_by_name() {
    let emu = org();
    let host = leaked_host();
    let robot = connect(host, &emu);
    let err = invoke(host, w::ID, &json!({ w::ROBOT: robot })).unwrap_err();
    assert_eq!((err.code.as_str(), err.field.as_deref()), ("INVALID_INPUT", Some(w::USER_ID)), "{err:?}");
    let err =
        invoke(host, w::ID, &json!({ w::ROBOT: robot, w::USER_ID: "staff02", w::PATTERN: "(unclosed" })).unwrap_err();
    assert_eq!(err.field.as_deref(), Some(w::PATTERN), "{err:?}");
    assert_eq!(emu.stream_connection_count(APP_KEY), 0, "bad input opens no connection");
}

#[test]
fn a_stop_ends_a_long_wait_at_once() {
    let emu = org();
    let host = leaked_host();
    let robot = connect(host, &emu);
    let waiting = wait_in_background(host, json!({ w::ROBOT: robot, w::USER_ID: "staff02", w::TIMEOUT_SECONDS: 60 }));
    until_connected(&emu, 1);
    // Past the first second the host's flag is looked at every 60 ms; the design bound for a
    // Stop is 100 ms. The assertion is generous for a loaded machine: the point is "not the
    // 60 s timeout".
    std::thread::sleep(Duration::from_millis(1500));
    let stopped = Instant::now();
    host.cancelled.store(true, std::sync::atomic::Ordering::Release);
    let err = waiting.join().unwrap().unwrap_err();
    assert!(err.starts_with("CANCELLED"), "{err}");
    assert!(stopped.elapsed() < Duration::from_secs(2), "{:?}", stopped.elapsed());
}
