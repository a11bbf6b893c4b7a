//! The reliability cases that `reliability.rs` leaves out, end to end through host-sim's
//! library (and its `host-sim run` binary) with the built cdylib against the emulator:
//!
//! * a second bad-input table (malformed flow files, variables, stray spaces, wrong handles,
//!   too-long values, every field empty...): each case is a structured error naming its
//!   field, from the library and from the binary (exit 1), with the emulator's stats
//!   unchanged after every single case;
//! * a second fault table, for the file upload, the token refresh and a server that dies
//!   while a send waits: the user-facing code and the exact number of messages, batchSend
//!   calls and uploads;
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

use dingtalk_emulator::{Emulator, EmulatorConfig, Endpoint, Fault, FaultRule, PERM_ROBOT_SEND, Stats};
use host_sim::{Flow, SimHost};
use serde_json::{Map, Value, json};
use support::flows::*;
use support::*;

const CONNECT: &str = "dingtalk.robot.connect";
const SEND: &str = "dingtalk.robot.send_single_chat";

/// What a bad input's error must name: its field, or (host-level errors) a word of its message.
#[derive(Clone, Copy, Debug)]
enum Culprit {
    Field(&'static str),
    Says(&'static str),
}

fn assert_names(what: &str, code: &str, message: &str, field: Option<&str>, culprit: Culprit) {
    match culprit {
        Culprit::Field(f) => assert_eq!(field, Some(f), "{what}: the error names the field ({code}: {message})"),
        Culprit::Says(word) => assert!(message.contains(word), "{what}: the message names {word}: {message}"),
    }
}

/// Flow documents that are valid JSON flows but bad inputs: (what, flow, code, culprit).
fn bad_flows(emu: &Emulator, dir: &std::path::Path) -> Vec<(&'static str, Value, &'static str, Culprit)> {
    use Culprit::{Field, Says};
    let readme = dir.join("README");
    std::fs::write(&readme, b"no extension").unwrap();
    let readme = readme.to_str().unwrap().to_string();
    let c = |changes: Value| connect_then_send(emu, changes, json!({}));
    let s = |changes: Value| connect_then_send(emu, json!({}), changes);
    let steps = |steps: Value| json!({ "steps": steps });
    let invalid = "INVALID_INPUT";
    let handle = json!({ "type": "dingtalk.robot", "id": "robot-1" });
    vec![
        ("empty action id", steps(json!([{ "action": "" }])), "UNKNOWN_ACTION", Says("\"\"")),
        (
            "action id in the wrong case",
            steps(json!([{ "action": "DingTalk.Robot.Connect", "params": connect_params(emu) }])),
            "UNKNOWN_ACTION",
            Says("DingTalk.Robot.Connect"),
        ),
        (
            "unknown variable inside a text",
            s(json!({ "content": "hello ${who}" })),
            "UNKNOWN_VARIABLE",
            Field("content"),
        ),
        (
            "unknown variable inside a list",
            s(json!({ "userIds": ["manager01", "${who}"] })),
            "UNKNOWN_VARIABLE",
            Field("userIds"),
        ),
        (
            "a list variable inside a text",
            s(json!({ "content": "to ${ids}" })).pipe(|mut f| {
                f["variables"] = json!({ "ids": ["a"] });
                f
            }),
            invalid,
            Field("content"),
        ),
        (
            "a variable used before the step that outputs it",
            steps(json!([send_step(json!({})), connect_step(emu, json!({}))])),
            "UNKNOWN_VARIABLE",
            Field("robot"),
        ),
        (
            "an output the action does not have",
            steps(json!([
                connect_step(emu, json!({})),
                send_step(json!({})).pipe(|mut st| {
                    st["outputs"] = json!({ "invalidUserId": "bad" });
                    st
                })
            ])),
            "UNKNOWN_OUTPUT",
            Field("invalidUserId"),
        ),
        (
            "every connect field empty",
            c(json!({ "appKey": "", "appSecret": "", "robotCode": "" })),
            invalid,
            Field("appKey"),
        ),
        ("no connect params at all", steps(json!([{ "action": CONNECT, "params": {} }])), invalid, Field("appKey")),
        (
            "every send field empty",
            s(json!({ "robot": "", "userIds": "", "msgType": "", "content": "", "title": "" })),
            invalid,
            Field("robot"),
        ),
        (
            "no send params at all",
            steps(json!([connect_step(emu, json!({})), { "action": SEND }])),
            invalid,
            Field("robot"),
        ),
        ("a stray space before the template", s(json!({ "msgType": " text" })), invalid, Field("msgType")),
        ("template in the wrong case", s(json!({ "msgType": "Text" })), invalid, Field("msgType")),
        ("template left blank", s(json!({ "msgType": "  " })), invalid, Field("msgType")),
        ("misspelt send field", s(json!({ "msgtype": "text" })), invalid, Field("msgtype")),
        ("a space inside the AppSecret", c(json!({ "appSecret": "abc def" })), invalid, Field("appSecret")),
        ("a tab inside the AppKey", c(json!({ "appKey": "ding\tkey" })), invalid, Field("appKey")),
        ("AppSecret too long", c(json!({ "appSecret": "s".repeat(257) })), invalid, Field("appSecret")),
        ("robot code too long", c(json!({ "robotCode": "r".repeat(129) })), invalid, Field("robotCode")),
        ("AppSecret a number", c(json!({ "appSecret": 12345 })), invalid, Field("appSecret")),
        (
            "API URL with credentials",
            c(json!({ "apiBaseUrl": "http://user:pw@127.0.0.1:1" })),
            invalid,
            Field("apiBaseUrl"),
        ),
        (
            "old API URL with a fragment",
            c(json!({ "oapiBaseUrl": "http://127.0.0.1:1/#x" })),
            invalid,
            Field("oapiBaseUrl"),
        ),
        ("API URL without a host", c(json!({ "apiBaseUrl": "https://" })), invalid, Field("apiBaseUrl")),
        ("API URL a list", c(json!({ "apiBaseUrl": ["http://127.0.0.1:1"] })), invalid, Field("apiBaseUrl")),
        ("timeout with a fraction", c(json!({ "timeoutSeconds": 1.5 })), invalid, Field("timeoutSeconds")),
        ("timeout of 1e10 seconds", c(json!({ "timeoutSeconds": 1e10 })), invalid, Field("timeoutSeconds")),
        ("qpsLimit past u64", c(json!({ "qpsLimit": 18_446_744_073_709_551_616.0 })), invalid, Field("qpsLimit")),
        ("qpsLimit as words", c(json!({ "qpsLimit": "twenty" })), invalid, Field("qpsLimit")),
        ("handle id a number", s(json!({ "robot": { "type": "dingtalk.robot", "id": 5 } })), invalid, Field("robot")),
        (
            "handle of another plugin",
            s(json!({ "robot": { "type": "other", "id": "robot-1" } })),
            invalid,
            Field("robot"),
        ),
        ("handle inside a list", s(json!({ "robot": [handle] })), invalid, Field("robot")),
        (
            "handle taken from a text variable",
            json!({ "variables": { "other": "robot-1" }, "steps": [send_step(json!({ "robot": "${other}" }))] }),
            invalid,
            Field("robot"),
        ),
        ("a user ID of 65 characters", s(json!({ "userIds": ["u".repeat(65)] })), invalid, Field("userIds")),
        ("user IDs: a broken list in text", s(json!({ "userIds": "[\"manager01\", " })), invalid, Field("userIds")),
        (
            "user IDs: 21 in comma text",
            s(json!({ "userIds": (0..21).map(|i| format!("u{i}")).collect::<Vec<_>>().join(",") })),
            invalid,
            Field("userIds"),
        ),
        ("user IDs: only separators", s(json!({ "userIds": " , ;\n " })), invalid, Field("userIds")),
        ("user IDs: a null inside", s(json!({ "userIds": ["manager01", null] })), invalid, Field("userIds")),
        (
            "image URL without a host",
            s(json!({ "msgType": "image", "content": "https://" })),
            invalid,
            Field("content"),
        ),
        (
            "image URL a script",
            s(json!({ "msgType": "image", "content": "javascript:alert(1)" })),
            invalid,
            Field("content"),
        ),
        ("file without an extension", s(json!({ "msgType": "file", "content": readme })), invalid, Field("content")),
        (
            "a quoted path to a missing file",
            s(json!({ "msgType": "file", "content": "\"/no/such/dir/report.pdf\"" })),
            invalid,
            Field("content"),
        ),
        (
            "Markdown too long",
            s(json!({ "msgType": "markdown", "content": "m".repeat(20_001) })),
            invalid,
            Field("content"),
        ),
        ("content an object", s(json!({ "content": { "text": "hi" } })), invalid, Field("content")),
        ("title a list", s(json!({ "msgType": "markdown", "title": ["t"] })), invalid, Field("title")),
    ]
}

/// Flow files that are not flows: (what, text, what the error names).
fn bad_files() -> Vec<(&'static str, String, &'static str)> {
    vec![
        ("an empty file", String::new(), "EOF"),
        ("not JSON", "steps: [connect, send]".into(), "line 1"),
        ("no steps", "{}".into(), "missing field `steps`"),
        ("steps not a list", r#"{"steps": {"action": "dingtalk.robot.connect"}}"#.into(), "expected a sequence"),
        ("a step without an action", r#"{"steps": [{"params": {}}]}"#.into(), "missing field `action`"),
        ("params as a list", r#"{"steps": [{"action": "dingtalk.robot.connect", "params": []}]}"#.into(), "map"),
        (
            "outputs as a list",
            r#"{"steps": [{"action": "dingtalk.robot.connect", "outputs": ["robot"]}]}"#.into(),
            "map",
        ),
        ("an unknown key", r#"{"steps": [], "step": []}"#.into(), "unknown field `step`"),
        ("a trailing comma", "{\"steps\": [{\"action\": \"dingtalk.robot.connect\"},]}".into(), "line 1"),
    ]
}

/// `f(self)`, so that table rows can be built in one expression.
trait Pipe: Sized {
    fn pipe(self, f: impl FnOnce(Self) -> Self) -> Self {
        f(self)
    }
}

impl Pipe for Value {}

/// The counters that bad input must never move through the binary (each process fetches its
/// own token, so token requests do move).
fn sent(stats: Stats) -> (u64, u64, u64) {
    (stats.batch_send_requests, stats.messages, stats.uploads)
}

#[test]
fn more_bad_inputs_are_structured_errors_naming_their_field_and_send_nothing() {
    // No platform limit: each host-sim process asks for its own token.
    let emu = unlimited_org();
    let dir = scratch("bad-input");
    let transcript = Transcript::default();
    // Warm up: from now on a valid connect step costs nothing (the token is cached).
    transcript.run(&connect_then_send(&emu, json!({}), json!({})), Map::new()).unwrap();
    let flows = bad_flows(&emu, &dir);
    let files = bad_files();
    assert!(flows.len() + files.len() >= 50, "{} cases", flows.len() + files.len());

    for (what, doc, code, culprit) in &flows {
        let before = emu.stats();
        let err = transcript.run(doc, Map::new()).expect_err(what).error;
        assert_eq!(err.code, *code, "{what}: {err:?}");
        assert_names(what, code, &err.message, err.field.as_deref(), *culprit);
        assert!(err.hint.as_deref().is_some_and(|h| !h.is_empty()), "{what}: a hint: {err:?}");
        assert!(err.zh_cn.is_some(), "{what}: in Chinese too");
        assert_eq!(emu.stats(), before, "{what}: nothing reached DingTalk");
    }
    for (what, text, culprit) in &files {
        let err = Flow::parse(text, "bad.json".as_ref()).expect_err(what).to_payload();
        assert_eq!(err.code, "INVALID_FLOW", "{what}: {err:?}");
        assert!(err.message.contains("bad.json") && err.message.contains(culprit), "{what}: {}", err.message);
    }

    // Every case again through `host-sim run`: exit 1, one error document naming the culprit.
    let before = sent(emu.stats());
    for (i, (what, doc, code, culprit)) in flows.iter().enumerate() {
        let run = transcript.run_cli(&dir, &format!("flow{i}"), doc, &[]);
        assert_eq!(run.code, Some(1), "{what}: {}", run.stderr);
        let err = &run.doc["error"];
        assert_eq!(err["code"], *code, "{what}: {err}");
        assert!(err["step"].as_u64().is_some_and(|s| s >= 1), "{what}: {err}");
        assert_names(what, code, err["message"].as_str().unwrap_or_default(), err["field"].as_str(), *culprit);
    }
    for (i, (what, text, culprit)) in files.iter().enumerate() {
        let file = dir.join(format!("file{i}.json"));
        std::fs::write(&file, text).unwrap();
        let run = transcript.run_cli_file(&file, &[]);
        assert_eq!(run.code, Some(1), "{what}");
        assert_eq!(run.doc["error"]["code"], "INVALID_FLOW", "{what}: {}", run.doc);
        assert!(run.doc["error"]["message"].as_str().is_some_and(|m| m.contains(culprit)), "{what}: {}", run.doc);
    }
    assert_eq!(sent(emu.stats()), before, "the binary sent nothing either");
    transcript.assert_clean(&emu, &[]);
}

/// How a fault is set up, after connect and before the send.
enum Setup {
    Rule(FaultRule),
    RevokeThen(FaultRule),
    Permissions(Vec<&'static str>),
    /// The server processes the send, then dies before answering.
    DiesMidSend,
}

/// One row: (what, template, setup, expected code or `None` for success, messages,
/// batchSend calls, uploads stored).
type FaultRow = (&'static str, &'static str, Setup, Option<&'static str>, u64, u64, u64);

fn fault_rows() -> Vec<FaultRow> {
    let rule = |endpoint, fault, times| Setup::Rule(FaultRule { endpoint: Some(endpoint), fault, times });
    let slow = Fault::Delay(Duration::from_secs(3));
    vec![
        (
            "upload cut off mid-answer",
            "file",
            rule(Endpoint::MediaUpload, Fault::CloseMidAnswer, Some(1)),
            None,
            1,
            1,
            2,
        ),
        (
            "upload answer not JSON",
            "file",
            rule(Endpoint::MediaUpload, Fault::MalformedJson, Some(1)),
            Some("BAD_RESPONSE"),
            0,
            0,
            1,
        ),
        ("upload slow past the timeout", "file", rule(Endpoint::MediaUpload, slow, Some(1)), Some("TIMEOUT"), 0, 0, 1),
        ("upload throttled twice", "file", rule(Endpoint::MediaUpload, Fault::Throttle, Some(2)), None, 1, 1, 1),
        (
            "upload behind a broken gateway",
            "file",
            rule(Endpoint::MediaUpload, Fault::BadGatewayHtml, None),
            Some("BAD_RESPONSE"),
            0,
            0,
            0,
        ),
        (
            "upload permission removed",
            "file",
            Setup::Permissions(vec![PERM_ROBOT_SEND]),
            Some("PERMISSION_DENIED"),
            0,
            0,
            0,
        ),
        (
            "upload from an IP off the allow-list",
            "file",
            rule(Endpoint::MediaUpload, Fault::IpNotAllowed, None),
            Some("IP_NOT_ALLOWED"),
            0,
            0,
            0,
        ),
        (
            "token refresh answered 500 once",
            "text",
            Setup::RevokeThen(FaultRule::next(Endpoint::Token, Fault::Http500, 1)),
            None,
            1,
            2,
            0,
        ),
        (
            "token refresh throttled once",
            "text",
            Setup::RevokeThen(FaultRule::next(Endpoint::Token, Fault::Throttle, 1)),
            None,
            1,
            2,
            0,
        ),
        (
            "token refresh slow past the timeout",
            "text",
            Setup::RevokeThen(FaultRule::next(Endpoint::Token, slow, 1)),
            Some("TIMEOUT"),
            0,
            1,
            0,
        ),
        (
            "send slow but within the timeout",
            "text",
            rule(Endpoint::BatchSend, Fault::Delay(Duration::from_millis(300)), Some(1)),
            None,
            1,
            1,
            0,
        ),
        ("server dies while a send waits", "text", Setup::DiesMidSend, Some("SEND_OUTCOME_UNKNOWN"), 1, 1, 0),
    ]
}

#[test]
fn uploads_token_refreshes_and_dying_servers_end_the_way_a_user_wants() {
    let dir = scratch("faults");
    let file = dir.join("weekly.pdf");
    std::fs::write(&file, b"%PDF-1.4 weekly").unwrap();
    let transcript = Transcript::default();
    for (what, msg_type, setup, code, messages, calls, uploads) in fault_rows() {
        let emu = org();
        // A short timeout, except where the server's death must be seen before it.
        // Throttling is waited out a second at a time, within the timeout.
        let timeout = match &setup {
            Setup::DiesMidSend => 10,
            Setup::Rule(r) | Setup::RevokeThen(r) if r.fault == Fault::Throttle => 10,
            _ => 1,
        };
        let connect = json!({ "steps": [connect_step(&emu, json!({ "timeoutSeconds": timeout }))] });
        let vars = transcript.run(&connect, Map::new()).unwrap();
        let content = if msg_type == "file" { file.to_str().unwrap().to_string() } else { what.to_string() };
        let send = json!({ "steps": [send_step(json!({ "msgType": msg_type, "content": content }))] });
        let tokens_before = emu.stats().token_requests;
        let mut refresh = false;
        let (result, stats) = match setup {
            Setup::DiesMidSend => {
                emu.inject(FaultRule::next(Endpoint::BatchSend, Fault::Delay(Duration::from_secs(5)), 1));
                let killer = std::thread::spawn(move || {
                    // The send is processed at once, then the answer waits; the server dies.
                    std::thread::sleep(Duration::from_millis(300));
                    let stats = emu.stats();
                    let tokens = tokens_seen(&emu);
                    emu.shutdown();
                    (stats, tokens)
                });
                let started = Instant::now();
                let result = transcript.run(&send, vars);
                assert!(started.elapsed() < Duration::from_secs(3), "{what}: {:?}", started.elapsed());
                let (stats, tokens) = killer.join().unwrap();
                let text = transcript.text();
                assert!(tokens.iter().all(|t| !text.contains(t.as_str())), "{what}: a token leaked");
                (result, stats)
            }
            setup => {
                match setup {
                    Setup::Rule(rule) => emu.inject(rule),
                    Setup::RevokeThen(rule) => {
                        emu.revoke_tokens();
                        emu.inject(rule);
                        refresh = true;
                    }
                    Setup::Permissions(perms) => {
                        emu.set_permissions(APP_KEY, perms.into_iter().map(String::from).collect())
                    }
                    Setup::DiesMidSend => unreachable!(),
                }
                let result = transcript.run(&send, vars);
                transcript.assert_clean(&emu, &[]);
                (result, emu.stats())
            }
        };
        match (code, &result) {
            (None, Ok(_)) => {}
            (Some(code), Err(e)) => {
                assert_eq!(e.error.code, code, "{what}: {:?}", e.error);
                assert_eq!(e.step, 1, "{what}");
                assert!(e.error.hint.is_some() && e.error.zh_cn.is_some(), "{what}: {:?}", e.error);
            }
            _ => panic!("{what}: expected {code:?}, got {result:?}"),
        }
        assert_eq!(stats.messages, messages, "{what}: messages delivered");
        assert_eq!(stats.batch_send_requests, calls, "{what}: batchSend calls");
        assert_eq!(stats.uploads, uploads, "{what}: files stored");
        if refresh {
            // The refused send, one refresh (plus the retry of a harmless failed one).
            let extra = stats.token_requests - tokens_before;
            assert!((1..=2).contains(&extra), "{what}: {extra} token requests for one refresh");
        }
    }
}

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
