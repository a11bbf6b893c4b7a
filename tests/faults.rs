//! Faults, and how each ends for a user: the outcome a user wants (a retry that succeeds, or
//! a structured error that blames the right thing and says truly whether anything was
//! sent), within the configured timeout, and never a message sent twice.
//!
//! * hostile networks, through the plugin's entry point: redirects that must not be followed,
//!   ports that never connect, base URLs and proxies that are not DingTalk, a server echoing
//!   the secret back;
//! * through host-sim's library with the built cdylib against the emulator: a table of 11
//!   faults of the send (slow, HTTP 500 and 502, cut off, malformed, tokens revoked,
//!   throttling, permission and allow-list refusals, the server gone) and a table of 12
//!   faults of the file upload, the token refresh and a server that dies while a send waits,
//!   each with the user-facing code, the exact number of messages, batchSend calls (and
//!   uploads), and no secret in anything logged;
//! * a send in three batches whose second batch fails (refused, answer lost, flow stopped):
//!   the error names who got the message, who did not, and whose batch is in doubt, and no
//!   batch is ever sent twice;
//! * the actions after a send: reads and lookups retried, group sends and recalls never
//!   repeated once they may have been processed, a recall stopped mid-way.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code)]
mod support;

use std::time::{Duration, Instant};

use dingtalk_emulator::{Emulator, Endpoint, Fault, FaultRule, PERM_ROBOT_SEND};
use dingtalk_robot::names::{connect, send};
use host_sim::{SimHost, run_flow};
use serde_json::{Map, Value, json};
use support::flows::{Transcript, connect_step, flow, plugin, send_step};
use support::hostile::{DroppedSyn, Hostile, Received, Reply};
use support::{APP_KEY, APP_SECRET, TestHost, assert_no_secrets, invoke, org, scratch, tokens_seen};

/// How long after `timeoutSeconds` a call may end: the time to notice and report it.
const MARGIN: Duration = Duration::from_secs(1);

fn connect_params(api: &str, oapi: &str, timeout: u64) -> Value {
    json!({
        connect::APP_KEY: APP_KEY, connect::APP_SECRET: APP_SECRET,
        connect::API_BASE_URL: api, connect::OAPI_BASE_URL: oapi, connect::TIMEOUT_SECONDS: timeout,
    })
}

/// A hostile DingTalk: hands out tokens, and answers everything else with `other`.
fn dingtalk_except(other: impl Fn(&Received) -> Reply + Send + Sync + 'static) -> Hostile {
    Hostile::start(move |req| {
        if req.target.starts_with("/v1.0/oauth2/accessToken") { Reply::token("tok-hostile-1") } else { other(req) }
    })
}

fn send_params(robot: &Value, msg_type: &str, content: &str) -> Value {
    json!({ send::ROBOT: robot, send::USER_IDS: ["manager01"], send::MSG_TYPE: msg_type, send::CONTENT: content })
}

fn assert_nothing_leaked(what: &str, err: &rpa_plugin_abi::ErrorPayload, host: &TestHost) {
    let text = format!("{}\n{err:?}", host.text());
    assert!(!text.contains(APP_SECRET), "{what}: the AppSecret leaked: {text}");
    assert!(!text.contains("tok-hostile-1"), "{what}: the token leaked: {text}");
}

#[test]
fn redirects_are_never_followed_for_token_send_or_upload() {
    let dir = std::env::temp_dir().join(format!("faults-redirect-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("report.pdf");
    std::fs::write(&file, b"%PDF-1.4 report").unwrap();
    for status in [301, 302, 303, 307, 308] {
        let witness = Hostile::witness();
        let to = format!("{}/stolen?x=1", witness.url());
        let host = TestHost::default();

        // The token request.
        let token_server = {
            let to = to.clone();
            Hostile::start(move |_| Reply::redirect(status, &to))
        };
        let err = invoke(&host, connect::ID, &connect_params(&token_server.url(), &token_server.url(), 5)).unwrap_err();
        assert_eq!(err.code, "REDIRECTED", "token {status}: {err:?}");
        assert!(err.message.contains(&witness.url()) && err.message.contains("nothing was sent"), "{}", err.message);
        assert_nothing_leaked("token redirect", &err, &host);

        // The send, after a good token.
        let send_server = {
            let to = to.clone();
            dingtalk_except(move |_| Reply::redirect(status, &to))
        };
        let robot = invoke(&host, connect::ID, &connect_params(&send_server.url(), &send_server.url(), 5)).unwrap()
            [connect::ROBOT]
            .clone();
        let err = invoke(&host, send::ID, &send_params(&robot, "text", "hello")).unwrap_err();
        assert_eq!(err.code, "REDIRECTED", "send {status}: a 3xx is an answer, not a maybe: {err:?}");
        assert_nothing_leaked("send redirect", &err, &host);

        // The upload of the file template.
        let err = invoke(&host, send::ID, &send_params(&robot, "file", file.to_str().unwrap())).unwrap_err();
        assert_eq!(err.code, "REDIRECTED", "upload {status}: {err:?}");
        assert_nothing_leaked("upload redirect", &err, &host);

        assert!(witness.received().is_empty(), "{status}: the other host got {:?}", witness.received());
        for req in token_server.received().iter().chain(send_server.received().iter()) {
            assert!(req.header("referer").is_none(), "{status}: a Referer was sent: {req:?}");
        }
        let posts = send_server.received();
        assert!(posts.iter().any(|r| r.target.starts_with("/media/upload")), "the upload was tried once");
        assert_eq!(
            posts.iter().filter(|r| r.target.starts_with("/v1.0/robot")).count(),
            1,
            "the send was not repeated"
        );
    }
}

#[test]
fn a_port_that_never_connects_is_nothing_sent_within_the_timeout() {
    for timeout in [1u64, 3] {
        let port = DroppedSyn::start();
        let host = TestHost::default();
        let started = Instant::now();
        let err = invoke(&host, connect::ID, &connect_params(&port.url(), &port.url(), timeout)).unwrap_err();
        let took = started.elapsed();
        assert!(matches!(err.code.as_str(), "NETWORK" | "TIMEOUT"), "timeout {timeout}: {err:?}");
        assert!(err.message.contains("Nothing was sent"), "{}", err.message);
        assert!(took < Duration::from_secs(timeout) + MARGIN, "timeout {timeout} s took {took:?}");
    }
}

#[test]
fn a_send_whose_upload_never_connects_is_nothing_sent() {
    // Tokens come from one server; uploads go to a port whose SYNs are dropped.
    let server = dingtalk_except(|_| Reply::json(200, r#"{"processQueryKey":"k"}"#));
    let port = DroppedSyn::start();
    let host = TestHost::default();
    let timeout = 2;
    let robot = invoke(&host, connect::ID, &connect_params(&server.url(), &port.url(), timeout)).unwrap()
        [connect::ROBOT]
        .clone();
    let dir = std::env::temp_dir().join(format!("faults-upload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("report.pdf");
    std::fs::write(&file, b"%PDF-1.4 report").unwrap();
    let started = Instant::now();
    let err = invoke(&host, send::ID, &send_params(&robot, "file", file.to_str().unwrap())).unwrap_err();
    let took = started.elapsed();
    assert_eq!(err.code, "NETWORK", "a connection never made cannot have sent anything: {err:?}");
    assert!(err.message.contains("Nothing was sent"), "{}", err.message);
    assert!(took < Duration::from_secs(timeout) + MARGIN, "took {took:?}");
    assert!(server.received().iter().all(|r| !r.target.starts_with("/v1.0/robot")), "no send without its file");
}

#[test]
fn a_base_url_that_is_not_dingtalk_is_named_not_the_credentials() {
    let cases = [
        ("JSON 404", Reply::json(404, r#"{"code":"InvalidAction.NotFound","message":"Specified api is not found"}"#)),
        ("HTML 404", Reply::html(404, "<html><body>404 Not Found</body></html>")),
        ("HTML 403 of a proxy", Reply::html(403, "<html><body>Access denied by policy</body></html>")),
    ];
    for (what, reply) in cases {
        let reply = std::sync::Mutex::new(Some(reply));
        let server = Hostile::start(move |_| {
            reply.lock().unwrap().take().unwrap_or_else(|| Reply::json(500, r#"{"code":"only one answer"}"#))
        });
        let err =
            invoke(&TestHost::default(), connect::ID, &connect_params(&server.url(), &server.url(), 5)).unwrap_err();
        assert_eq!(err.code, "WRONG_ENDPOINT", "{what}: {err:?}");
        assert!(err.hint.as_deref().is_some_and(|h| h.contains("base URL")), "{what}: {:?}", err.hint);
    }
    // A credentials code is still the credentials.
    let server = Hostile::start(|_| {
        Reply::json(400, r#"{"code":"invalidClientIdOrSecret","message":"无效的clientId或clientSecret"}"#)
    });
    let err = invoke(&TestHost::default(), connect::ID, &connect_params(&server.url(), &server.url(), 5)).unwrap_err();
    assert_eq!(err.code, "AUTH_FAILED");
    // Another refusal of the token endpoint is DingTalk's, with its code.
    let server = Hostile::start(|_| Reply::json(400, r#"{"code":"Something.Else","message":"no"}"#));
    let err = invoke(&TestHost::default(), connect::ID, &connect_params(&server.url(), &server.url(), 5)).unwrap_err();
    assert_eq!(err.code, "DINGTALK_ERROR");
    assert_eq!(err.upstream.and_then(|u| u.code).as_deref(), Some("Something.Else"));
}

#[test]
fn a_server_echoing_the_secret_back_does_not_get_it_printed() {
    let server = Hostile::start(|req| {
        Reply::json(400, &format!(r#"{{"code":"Bad","message":"you sent {}"}}"#, req.text().replace('"', "'")))
    });
    let host = TestHost::default();
    let err = invoke(&host, connect::ID, &connect_params(&server.url(), &server.url(), 5)).unwrap_err();
    assert!(err.upstream.as_ref().and_then(|u| u.message.as_deref()).is_some_and(|m| m.contains("******")), "{err:?}");
    let text = format!("{err:?} {}", host.text());
    assert!(!text.contains(APP_SECRET), "{text}");
}

#[test]
fn an_unreachable_proxy_is_named_as_the_proxy() {
    // The proxy is read from the environment, so this runs in host-sim's own process.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let dir = std::env::temp_dir().join(format!("faults-proxy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let flow = dir.join("proxy.json");
    let step = json!({ "action": connect::ID, "params": connect_params("https://api.example.invalid", "https://oapi.example.invalid", 3), "outputs": { connect::ROBOT: "bot" } });
    std::fs::write(&flow, json!({ "steps": [step] }).to_string()).unwrap();
    let out = std::process::Command::new(support::host_sim_exe())
        .arg("run")
        .arg(&flow)
        .env("https_proxy", format!("http://proxyuser:proxypass@127.0.0.1:{dead}"))
        .env_remove("HTTPS_PROXY")
        .env_remove("no_proxy")
        .env_remove("NO_PROXY")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let doc: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout} {stderr}"));
    let err = &doc["error"];
    assert_eq!(err["code"], "NETWORK", "{doc}");
    let message = err["message"].as_str().unwrap_or_default();
    assert!(message.contains(&format!("proxy http://***@127.0.0.1:{dead}")), "{message}");
    assert!(message.contains("api.example.invalid"), "{message}");
    assert!(!format!("{stdout}{stderr}").contains("proxypass"), "the proxy password leaked");
    assert!(!format!("{stdout}{stderr}").contains(APP_SECRET));
}

/// How a fault is set up on the emulator, after connect and before the send step.
enum Setup {
    /// A fault rule.
    Rule(FaultRule),
    /// Every token revoked.
    RevokeTokens,
    /// Every token revoked, then a rule (for the refresh).
    RevokeThen(FaultRule),
    /// The app keeps only these permissions.
    Permissions(Vec<&'static str>),
    /// The server shut down.
    ServerGone,
    /// The server processes the send, then dies before answering.
    DiesMidSend,
}

impl Setup {
    /// Sets up a fault that leaves the server running.
    fn apply(self, emu: &Emulator) {
        match self {
            Setup::Rule(rule) => emu.inject(rule),
            Setup::RevokeTokens => emu.revoke_tokens(),
            Setup::RevokeThen(rule) => {
                emu.revoke_tokens();
                emu.inject(rule);
            }
            Setup::Permissions(perms) => emu.set_permissions(APP_KEY, perms.into_iter().map(String::from).collect()),
            Setup::ServerGone | Setup::DiesMidSend => unreachable!("each test ends the server its own way"),
        }
    }
}

#[test]
fn every_send_fault_ends_the_way_a_user_wants_and_never_sends_twice() {
    let plugin = plugin();
    let send =
        |e: Endpoint, fault: Fault, times: Option<u32>| Setup::Rule(FaultRule { endpoint: Some(e), fault, times });
    // (fault, setup, expected code or None for success, messages delivered, batchSend calls)
    let table: Vec<(&str, Setup, Option<&str>, u64, u64)> = vec![
        (
            "slow past the timeout",
            send(Endpoint::BatchSend, Fault::Delay(Duration::from_secs(3)), Some(1)),
            Some("SEND_OUTCOME_UNKNOWN"),
            1,
            1,
        ),
        ("HTTP 500", send(Endpoint::BatchSend, Fault::Http500, Some(1)), Some("SEND_OUTCOME_UNKNOWN"), 0, 1),
        (
            "HTTP 502 with HTML",
            send(Endpoint::BatchSend, Fault::BadGatewayHtml, Some(1)),
            Some("SEND_OUTCOME_UNKNOWN"),
            0,
            1,
        ),
        (
            "closed mid-answer",
            send(Endpoint::BatchSend, Fault::CloseMidAnswer, Some(1)),
            Some("SEND_OUTCOME_UNKNOWN"),
            1,
            1,
        ),
        (
            "malformed JSON",
            send(Endpoint::BatchSend, Fault::MalformedJson, Some(1)),
            Some("SEND_OUTCOME_UNKNOWN"),
            1,
            1,
        ),
        ("token revoked mid-run", Setup::RevokeTokens, None, 1, 2),
        ("throttled burst", send(Endpoint::BatchSend, Fault::Throttle, Some(2)), None, 1, 3),
        ("throttled for good", send(Endpoint::BatchSend, Fault::Throttle, None), Some("THROTTLED"), 0, 4),
        ("permission removed", Setup::Permissions(vec![]), Some("PERMISSION_DENIED"), 0, 1),
        (
            "IP not on the allow-list",
            send(Endpoint::BatchSend, Fault::IpNotAllowed, None),
            Some("IP_NOT_ALLOWED"),
            0,
            1,
        ),
        ("server gone", Setup::ServerGone, Some("NETWORK"), 0, 0),
    ];
    for (what, setup, code, messages, calls) in table {
        let emu = org();
        let host = SimHost::silent().with_capture();
        // A short timeout; throttling is waited out a second at a time, within the timeout.
        let timeout = if matches!(&setup, Setup::Rule(r) if r.fault == Fault::Throttle) { 10 } else { 1 };
        let connect = flow(&json!({ "steps": [connect_step(&emu, json!({ connect::TIMEOUT_SECONDS: timeout }))] }));
        let vars = run_flow(plugin.as_ref(), &connect, &host, Map::new()).unwrap();
        let send_step = flow(&json!({ "steps": [{ "action": send::ID, "params": {
            send::ROBOT: "${bot}", send::USER_IDS: ["staff02"], send::MSG_TYPE: "text", send::CONTENT: what,
        } }] }));
        let tokens = tokens_seen(&emu);
        let mut emu = Some(emu);
        match setup {
            // Gone the moment before the send: the pooled connection it closed is seen as
            // closed, and the send is tried on a new one, which is refused.
            Setup::ServerGone => emu.take().unwrap().shutdown(),
            setup => setup.apply(emu.as_ref().unwrap()),
        }
        let result = run_flow(plugin.as_ref(), &send_step, &host, vars);
        match (code, &result) {
            (None, Ok(_)) => {}
            (Some(code), Err(e)) => assert_eq!(e.error.code, code, "{what}: {:?}", e.error),
            _ => panic!("{what}: expected {code:?}, got {result:?}"),
        }
        let log = host.captured().join("\n");
        for t in &tokens {
            assert!(!log.contains(t.as_str()) && !log.contains(APP_SECRET), "{what}: a secret leaked");
        }
        if let Some(emu) = emu {
            let stats = emu.stats();
            assert_eq!(stats.messages, messages, "{what}: messages delivered");
            assert_eq!(stats.batch_send_requests, calls, "{what}: batchSend calls");
            assert_no_secrets(&emu, &[&log, &format!("{result:?}")]);
        }
    }
}

/// One row: (what, template, setup, expected code or `None` for success, messages,
/// batchSend calls, uploads stored).
type FaultRow = (&'static str, &'static str, Setup, Option<&'static str>, u64, u64, u64);

fn upload_refresh_and_death_rows() -> Vec<FaultRow> {
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
    let dir = scratch("upload-refresh-death");
    let file = dir.join("weekly.pdf");
    std::fs::write(&file, b"%PDF-1.4 weekly").unwrap();
    let transcript = Transcript::default();
    for (what, msg_type, setup, code, messages, calls, uploads) in upload_refresh_and_death_rows() {
        let emu = org();
        // A short timeout, except where the server's death must be seen before it.
        // Throttling is waited out a second at a time, within the timeout.
        let timeout = match &setup {
            Setup::DiesMidSend => 10,
            Setup::Rule(r) | Setup::RevokeThen(r) if r.fault == Fault::Throttle => 10,
            _ => 1,
        };
        let connect = json!({ "steps": [connect_step(&emu, json!({ connect::TIMEOUT_SECONDS: timeout }))] });
        let vars = transcript.run(&connect, Map::new()).unwrap();
        let content = if msg_type == "file" { file.to_str().unwrap().to_string() } else { what.to_string() };
        let send = json!({ "steps": [send_step(json!({ send::MSG_TYPE: msg_type, send::CONTENT: content }))] });
        let tokens_before = emu.stats().token_requests;
        let refresh = matches!(setup, Setup::RevokeThen(_));
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
                setup.apply(&emu);
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

// ---- A send in batches that fails part way ----

/// An org of 45 users `p00`..`p44`, and a robot connected to it.
fn org_of_45() -> (dingtalk_emulator::Emulator, TestHost, Value, Vec<String>) {
    let users: Vec<String> = (0..45).map(|i| format!("p{i:02}")).collect();
    let emu = dingtalk_emulator::Emulator::start(dingtalk_emulator::EmulatorConfig {
        users: users.clone(),
        ..support::org_config()
    })
    .unwrap();
    let host = TestHost::default();
    let robot = support::connect(&host, &emu);
    (emu, host, robot, users)
}

fn send_to(host: &TestHost, robot: &Value, users: &[String]) -> Result<Value, rpa_plugin_abi::ErrorPayload> {
    invoke(
        host,
        send::ID,
        &json!({ send::ROBOT: robot, send::USER_IDS: users, send::MSG_TYPE: "text", send::CONTENT: "hello" }),
    )
}

fn list(details: &Value, key: &str) -> Vec<String> {
    serde_json::from_value(details[key].clone()).unwrap_or_else(|e| panic!("{key}: {e}: {details}"))
}

#[test]
fn batch_two_of_three_refused_reports_sent_and_unsent_users_and_batch_one_is_never_resent() {
    use dingtalk_emulator::{Endpoint, Fault, FaultRule};
    let (emu, host, robot, users) = org_of_45();
    // The second batchSend is refused before DingTalk processes it.
    emu.inject_after(1, FaultRule::next(Endpoint::BatchSend, Fault::IpNotAllowed, 1));
    let err = send_to(&host, &robot, &users).unwrap_err();
    assert_eq!(err.code, "PARTIALLY_SENT", "{err:?}");
    assert!(err.message.contains("20 of 45 receivers") && err.message.contains("batch 2"), "{}", err.message);
    assert!(err.message.contains("allow-list"), "the cause is told: {}", err.message);
    assert!(err.hint.as_deref().is_some_and(|h| h.contains("unsentUserIds")), "{:?}", err.hint);
    assert!(err.zh_cn.as_ref().is_some_and(|z| z.message.contains("第 2 批")), "{:?}", err.zh_cn);
    let details = err.details.as_deref().cloned().expect("details");
    assert_eq!(list(&details, "sentUserIds"), users[..20].to_vec());
    assert_eq!(list(&details, "unsentUserIds"), users[20..].to_vec());
    assert_eq!(list(&details, "unknownUserIds"), Vec::<String>::new());
    let delivered = emu.delivered();
    assert_eq!(delivered.len(), 1, "batch 1 only; batch 3 was not tried after batch 2 failed");
    assert_eq!(details["processQueryKeys"], json!([delivered[0].process_query_key]));
    assert_eq!(emu.stats().batch_send_requests, 2, "batch 1 once, batch 2 once, never again");

    // The flow retries the rest only: everyone has it once.
    let out = send_to(&host, &robot, &list(&details, "unsentUserIds")).unwrap();
    assert_eq!(out["processQueryKeys"].as_array().unwrap().len(), 2);
    let mut got: Vec<String> = emu.delivered().into_iter().flat_map(|d| d.user_ids).collect();
    got.sort();
    assert_eq!(got, users, "each of the 45 got the message exactly once");
}

#[test]
fn batch_two_of_three_with_a_lost_answer_is_reported_as_unknown_not_resent() {
    use dingtalk_emulator::{Endpoint, Fault, FaultRule};
    let (emu, host, robot, users) = org_of_45();
    // DingTalk processes the second batch, then the connection breaks before its answer.
    emu.inject_after(1, FaultRule::next(Endpoint::BatchSend, Fault::CloseMidAnswer, 1));
    let err = send_to(&host, &robot, &users).unwrap_err();
    assert_eq!(err.code, "PARTIALLY_SENT", "{err:?}");
    assert!(err.message.contains("may or may not have been delivered"), "{}", err.message);
    let details = err.details.as_deref().cloned().expect("details");
    assert_eq!(list(&details, "sentUserIds"), users[..20].to_vec());
    assert_eq!(list(&details, "unknownUserIds"), users[20..40].to_vec());
    assert_eq!(list(&details, "unsentUserIds"), users[40..].to_vec());
    assert_eq!(emu.stats().batch_send_requests, 2, "the batch whose answer was lost is not sent again");
    assert_eq!(emu.delivered().len(), 2, "(it did arrive: DingTalk processed it)");
}

#[test]
fn stopping_the_flow_between_batches_says_who_got_it() {
    use dingtalk_emulator::{Endpoint, Fault, FaultRule};
    let (emu, host, robot, users) = org_of_45();
    // Batch 2 is processed and answered slowly; the user stops the flow meanwhile.
    emu.inject_after(1, FaultRule::next(Endpoint::BatchSend, Fault::Delay(Duration::from_secs(3)), 1));
    let host = std::sync::Arc::new(host);
    let stopper = {
        let host = host.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(600));
            host.cancelled.store(true, std::sync::atomic::Ordering::Release);
        })
    };
    let err = send_to(&host, &robot, &users).unwrap_err();
    stopper.join().unwrap();
    assert_eq!(err.code, "CANCELLED", "{err:?}");
    let details = err.details.as_deref().cloned().expect("details");
    assert_eq!(list(&details, "sentUserIds"), users[..20].to_vec());
    assert_eq!(list(&details, "unknownUserIds"), users[20..40].to_vec(), "batch 2 was on the wire");
    assert_eq!(list(&details, "unsentUserIds"), users[40..].to_vec());
    assert_eq!(emu.stats().batch_send_requests, 2);
}

/// Sends one text message to the custom robot connected with `connect_extra`.
fn webhook_send(
    emu: &dingtalk_emulator::Emulator,
    connect_extra: Value,
) -> Result<Value, rpa_plugin_abi::ErrorPayload> {
    use dingtalk_robot::names::send_webhook as wh;
    let host = TestHost::default();
    let robot = support::connect_webhook(&host, emu, connect_extra);
    invoke(&host, wh::ID, &json!({ wh::ROBOT: robot, wh::MSG_TYPE: "text", wh::CONTENT: "Disk full" }))
}

#[test]
fn every_custom_robot_refusal_is_told_in_the_users_words() {
    use dingtalk_emulator::{Endpoint, Fault, FaultRule};
    use dingtalk_robot::names::connect_webhook as c;
    // A wrong secret while the clocks agree: the secret is to blame.
    let emu = support::webhook_org(|r| r);
    let err = webhook_send(&emu, json!({ c::SECRET: "SEC0000000000000000wrong" })).unwrap_err();
    assert_eq!(
        (err.code.as_str(), err.upstream.as_ref().and_then(|u| u.code.as_deref())),
        ("SIGNATURE_MISMATCH", Some("310000")),
        "{err:?}"
    );
    assert!(
        err.message.contains("does not match") && err.message.contains("agrees with DingTalk's"),
        "{}",
        err.message
    );
    assert!(err.hint.as_deref().unwrap_or_default().contains("Copy the secret again"), "{err:?}");
    // DingTalk's clock two hours ahead: the timestamp is refused and the skew named.
    emu.set_clock_skew_ms(2 * 3600 * 1000);
    let err = webhook_send(&emu, json!({})).unwrap_err();
    assert_eq!(err.code, "SIGNATURE_MISMATCH", "{err:?}");
    assert!(
        err.message.contains("more than an hour off") && err.message.contains("2 h 0 min behind DingTalk's"),
        "{}",
        err.message
    );
    assert!(err.hint.as_deref().unwrap_or_default().contains("clock"), "{err:?}");
    emu.set_clock_skew_ms(0);
    // A signing robot connected without its secret.
    let host = TestHost::default();
    let params = json!({ c::WEBHOOK_URL: support::webhook_url(&emu) });
    let robot = invoke(&host, c::ID, &params).unwrap()[c::ROBOT].clone();
    let err =
        invoke(&host, dingtalk_robot::names::send_webhook::ID, &json!({ "robot": robot, "content": "x" })).unwrap_err();
    assert_eq!(err.code, "SIGNATURE_MISMATCH", "{err:?}");
    assert!(err.hint.as_deref().unwrap_or_default().contains("Fill in the robot's secret"), "{err:?}");
    // DingTalk's 20-a-minute ban (another program used the webhook), then a revoked token.
    emu.inject(FaultRule::next(Endpoint::RobotSend, Fault::Throttle, 1));
    let err = webhook_send(&emu, json!({})).unwrap_err();
    assert_eq!(
        (err.code.as_str(), err.upstream.as_ref().and_then(|u| u.code.as_deref())),
        ("THROTTLED", Some("410100"))
    );
    assert!(err.message.contains("banned for 10 minutes"), "{}", err.message);
    assert!(emu.group_messages().is_empty());

    // Keywords DingTalk wants but the connection does not know; an IP allow-list.
    let emu = support::webhook_org(|r| r.with_keywords(["告警"]));
    let err = webhook_send(&emu, json!({})).unwrap_err();
    assert_eq!((err.code.as_str(), err.field.as_deref()), ("KEYWORD_MISSING", None), "{err:?}");
    assert!(err.hint.as_deref().unwrap_or_default().contains("keywords"), "{err:?}");
    let emu = support::webhook_org(|r| r.with_allowed_ips(["10.1.0.0/16"]));
    let err = webhook_send(&emu, json!({})).unwrap_err();
    assert_eq!(err.code, "IP_NOT_ALLOWED", "{err:?}");
    assert!(err.message.contains("(127.0.0.1)") && err.message.contains("robot's IP allow-list"), "{}", err.message);
    assert_eq!(emu.stats().webhook_messages, 0);
}

#[test]
fn an_unknown_or_revoked_webhook_token_is_auth_failed_by_each_of_its_codes() {
    use dingtalk_robot::names::{connect_webhook as c, send_webhook as wh};
    // The emulator answers 300001 "token is not exist", as DingTalk does in practice.
    let emu = support::webhook_org(|r| r);
    let host = TestHost::default();
    let url = format!("{}/robot/send?access_token=removed-robot-token", emu.url());
    let robot = invoke(&host, c::ID, &json!({ c::WEBHOOK_URL: url })).unwrap()[c::ROBOT].clone();
    let err = invoke(&host, wh::ID, &json!({ wh::ROBOT: robot, wh::CONTENT: "x" })).unwrap_err();
    assert_eq!(err.code, "AUTH_FAILED", "{err:?}");
    assert!(
        err.message.contains("access_token") && err.hint.as_deref().unwrap_or_default().contains("webhook URL again")
    );
    // The page's own code (400101), the external-group one (300005); a disabled robot.
    for (answer, code) in [
        (r#"{"errcode":400101,"errmsg":"access_token不存在"}"#, "AUTH_FAILED"),
        (r#"{"errcode":"300005","errmsg":"token is not exist"}"#, "AUTH_FAILED"),
        (r#"{"errcode":400102,"errmsg":"机器人已停用"}"#, "DINGTALK_ERROR"),
        (r#"{"errcode":430101,"errmsg":"含有不安全的外链"}"#, "DINGTALK_ERROR"),
    ] {
        let server = Hostile::start(move |_| Reply::json(200, answer));
        let robot =
            invoke(&host, c::ID, &json!({ c::WEBHOOK_URL: format!("{}/robot/send?access_token=t1", server.url()) }))
                .unwrap()[c::ROBOT]
                .clone();
        let err = invoke(&host, wh::ID, &json!({ wh::ROBOT: robot, wh::CONTENT: "x" })).unwrap_err();
        assert_eq!(err.code, code, "{answer}: {err:?}");
        assert_eq!(server.received().len(), 1, "never retried");
    }
}

#[test]
fn a_custom_robot_message_that_may_have_arrived_is_never_sent_twice() {
    use dingtalk_emulator::{Endpoint, Fault, FaultRule};
    use dingtalk_robot::names::connect_webhook as c;
    let emu = support::webhook_org(|r| r);
    for fault in [Fault::CloseMidAnswer, Fault::MalformedJson, Fault::Delay(Duration::from_secs(3))] {
        let before = emu.stats();
        emu.inject(FaultRule::next(Endpoint::RobotSend, fault, 1));
        let started = Instant::now();
        let err = webhook_send(&emu, json!({ c::TIMEOUT_SECONDS: 1 })).unwrap_err();
        assert_eq!(err.code, "SEND_OUTCOME_UNKNOWN", "{fault:?}: {err:?}");
        assert!(err.message.contains("may or may not have been delivered"), "{}", err.message);
        assert!(started.elapsed() < Duration::from_secs(1) + MARGIN, "{fault:?}: {:?}", started.elapsed());
        let after = emu.stats();
        assert_eq!(after.robot_send_requests - before.robot_send_requests, 1, "{fault:?}: sent once");
        assert_eq!(after.webhook_messages - before.webhook_messages, 1, "{fault:?}: (DingTalk processed it)");
    }
    // A gateway's 502 page: unknown too, and not retried.
    emu.inject(FaultRule::next(Endpoint::RobotSend, Fault::BadGatewayHtml, 1));
    let before = emu.stats().robot_send_requests;
    assert_eq!(webhook_send(&emu, json!({})).unwrap_err().code, "SEND_OUTCOME_UNKNOWN");
    assert_eq!(emu.stats().robot_send_requests - before, 1);
}

#[test]
fn a_custom_robot_webhook_that_redirects_or_never_connects_sends_nothing_elsewhere() {
    use dingtalk_robot::names::{connect_webhook as c, send_webhook as wh};
    let witness = Hostile::witness();
    let to = format!("{}/robot/send?access_token=t1", witness.url());
    let redirecting = Hostile::start(move |_| Reply::redirect(307, &to));
    let host = TestHost::default();
    let connect = |url: String| {
        invoke(&host, c::ID, &json!({ c::WEBHOOK_URL: url, c::TIMEOUT_SECONDS: 2 })).unwrap()[c::ROBOT].clone()
    };
    let robot = connect(format!("{}/robot/send?access_token=t1", redirecting.url()));
    let err = invoke(&host, wh::ID, &json!({ wh::ROBOT: robot, wh::CONTENT: "x" })).unwrap_err();
    assert_eq!(err.code, "REDIRECTED", "{err:?}");
    assert!(witness.received().is_empty(), "the redirect was not followed");
    let dead = DroppedSyn::start();
    let robot = connect(format!("{}/robot/send?access_token=t1", dead.url()));
    let started = Instant::now();
    let err = invoke(&host, wh::ID, &json!({ wh::ROBOT: robot, wh::CONTENT: "x" })).unwrap_err();
    assert_eq!(err.code, "NETWORK", "{err:?}");
    assert!(err.message.contains("Nothing was sent"), "{}", err.message);
    assert!(started.elapsed() < Duration::from_secs(2) + MARGIN, "{:?}", started.elapsed());
}

/// The four actions after a send, under DingTalk's faults: a read or a lookup is repeated when
/// that is safe and succeeds; a group send or a recall is never repeated once it may have been
/// processed, and says so in its own words; throttling (nothing processed) is waited out.
#[test]
fn reads_and_lookups_are_retried_group_sends_and_recalls_never_repeated() {
    use dingtalk_emulator::{Emulator, EmulatorConfig, Endpoint, Fault, FaultRule, GroupConfig};
    use dingtalk_robot::names::{group_send, lookup, read_status, recall};
    const GROUP: &str = "cidFaultGroup==";
    struct Case {
        what: &'static str,
        endpoint: Endpoint,
        fault: Fault,
        /// The outcome's code (`None`: success) and how many requests reach the endpoint.
        code: Option<&'static str>,
        requests: usize,
        says: &'static str,
    }
    let cases = [
        Case {
            what: "read status, HTTP 500 once",
            endpoint: Endpoint::ReadStatus,
            fault: Fault::Http500,
            code: None,
            requests: 2,
            says: "",
        },
        Case {
            what: "read status, answer cut once",
            endpoint: Endpoint::ReadStatus,
            fault: Fault::CloseMidAnswer,
            code: None,
            requests: 2,
            says: "",
        },
        Case {
            what: "read status, throttled once",
            endpoint: Endpoint::ReadStatus,
            fault: Fault::Throttle,
            code: None,
            requests: 2,
            says: "",
        },
        Case {
            what: "lookup, HTTP 500 once",
            endpoint: Endpoint::GetByMobile,
            fault: Fault::Http500,
            code: None,
            requests: 2,
            says: "",
        },
        Case {
            what: "group send, throttled once",
            endpoint: Endpoint::GroupSend,
            fault: Fault::Throttle,
            code: None,
            requests: 2,
            says: "",
        },
        Case {
            what: "group send, answer cut",
            endpoint: Endpoint::GroupSend,
            fault: Fault::CloseMidAnswer,
            code: Some("SEND_OUTCOME_UNKNOWN"),
            requests: 1,
            says: "may or may not have been delivered",
        },
        Case {
            what: "group send, HTTP 500",
            endpoint: Endpoint::GroupSend,
            fault: Fault::Http500,
            code: Some("SEND_OUTCOME_UNKNOWN"),
            requests: 1,
            says: "not sent again",
        },
        Case {
            what: "group send, no answer in time",
            endpoint: Endpoint::GroupSend,
            fault: Fault::Delay(Duration::from_secs(5)),
            code: Some("SEND_OUTCOME_UNKNOWN"),
            requests: 1,
            says: "no answer within 3 s",
        },
        Case {
            what: "recall, answer cut",
            endpoint: Endpoint::BatchRecall,
            fault: Fault::CloseMidAnswer,
            code: Some("RECALL_OUTCOME_UNKNOWN"),
            requests: 1,
            says: "may or may not have been recalled",
        },
        Case {
            what: "recall, unreadable answer",
            endpoint: Endpoint::BatchRecall,
            fault: Fault::MalformedJson,
            code: Some("RECALL_OUTCOME_UNKNOWN"),
            requests: 1,
            says: "not repeated",
        },
        Case {
            what: "group recall, HTTP 502 page",
            endpoint: Endpoint::GroupRecall,
            fault: Fault::BadGatewayHtml,
            code: Some("RECALL_OUTCOME_UNKNOWN"),
            requests: 1,
            says: "recall",
        },
    ];
    for case in cases {
        let emu = Emulator::start(EmulatorConfig {
            groups: vec![GroupConfig::new(GROUP, [APP_KEY])],
            mobiles: vec![("13800000001".into(), "manager01".into())],
            ..support::org_config()
        })
        .unwrap();
        let host = TestHost::default();
        let mut params = support::connect_params(&emu);
        params[connect::TIMEOUT_SECONDS] = json!(3);
        let robot = invoke(&host, connect::ID, &params).unwrap()["robot"].clone();
        let key = invoke(&host, send::ID, &send_params(&robot, "text", "hi")).unwrap()[send::PROCESS_QUERY_KEY].clone();
        let group_key = invoke(
            &host,
            group_send::ID,
            &json!({ "robot": robot, group_send::OPEN_CONVERSATION_ID: GROUP, send::MSG_TYPE: "text", send::CONTENT: "hi" }),
        )
        .unwrap()[group_send::PROCESS_QUERY_KEY]
            .clone();
        emu.inject(FaultRule::next(case.endpoint, case.fault, 1));
        let (action, params, path) = match case.endpoint {
            Endpoint::ReadStatus => (
                read_status::ID,
                json!({ "robot": robot, "processQueryKey": key }),
                "/v1.0/robot/oToMessages/readStatus",
            ),
            Endpoint::GetByMobile => {
                (lookup::ID, json!({ "robot": robot, "mobiles": ["13800000001"] }), "/topapi/v2/user/getbymobile")
            }
            Endpoint::GroupSend => (
                group_send::ID,
                json!({ "robot": robot, group_send::OPEN_CONVERSATION_ID: GROUP, send::MSG_TYPE: "text", send::CONTENT: "once" }),
                "/v1.0/robot/groupMessages/send",
            ),
            Endpoint::BatchRecall => (
                recall::ID,
                json!({ "robot": robot, "processQueryKeys": [key] }),
                "/v1.0/robot/otoMessages/batchRecall",
            ),
            _ => (
                recall::ID,
                json!({ "robot": robot, "processQueryKeys": [group_key], recall::OPEN_CONVERSATION_ID: GROUP }),
                "/v1.0/robot/groupMessages/recall",
            ),
        };
        let started = Instant::now();
        let result = invoke(&host, action, &params);
        let took = started.elapsed();
        let requests = emu.requests().into_iter().filter(|r| r.path == path).count();
        // The setup sent one group message already.
        let setup = usize::from(case.endpoint == Endpoint::GroupSend);
        assert_eq!(requests, case.requests + setup, "{}: requests to {path}", case.what);
        match (case.code, &result) {
            (None, Ok(_)) => {}
            (Some(code), Err(err)) => {
                assert_eq!(err.code, code, "{}: {err:?}", case.what);
                assert!(
                    err.message.contains(case.says),
                    "{}: expected \"{}\" in {}",
                    case.what,
                    case.says,
                    err.message
                );
                assert!(err.zh_cn.is_some() && err.hint.is_some(), "{}", case.what);
                assert_nothing_leaked(case.what, err, &host);
            }
            (want, got) => panic!("{}: expected {want:?}, got {got:?}", case.what),
        }
        assert!(took < Duration::from_secs(3) + MARGIN, "{}: took {took:?}", case.what);
        if case.endpoint == Endpoint::GroupSend {
            let group_messages = emu.delivered().iter().filter(|m| m.open_conversation_id.is_some()).count();
            let processed = matches!(case.fault, Fault::CloseMidAnswer | Fault::Delay(_) | Fault::Throttle);
            assert_eq!(group_messages, 1 + usize::from(processed), "{}: delivered at most once", case.what);
        }
    }
}

#[test]
fn stopping_the_flow_during_a_recall_says_the_recall_may_still_happen() {
    use dingtalk_emulator::{Endpoint, Fault, FaultRule};
    use dingtalk_robot::names::recall;
    let emu = support::org();
    let host = std::sync::Arc::new(TestHost::default());
    let robot = support::connect(&host, &emu);
    let key = invoke(&host, send::ID, &send_params(&robot, "text", "hi")).unwrap()[send::PROCESS_QUERY_KEY].clone();
    emu.inject(FaultRule::next(Endpoint::BatchRecall, Fault::Delay(Duration::from_secs(3)), 1));
    let stopper = {
        let host = host.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(500));
            host.cancelled.store(true, std::sync::atomic::Ordering::Release);
        })
    };
    let started = Instant::now();
    let err = invoke(&host, recall::ID, &json!({ "robot": robot, "processQueryKeys": [key] })).unwrap_err();
    stopper.join().unwrap();
    assert!(started.elapsed() < Duration::from_secs(2), "stopped promptly");
    assert_eq!(err.code, "CANCELLED", "{err:?}");
    assert!(err.message.contains("a recall was under way"), "{}", err.message);
    assert_eq!(emu.requests().iter().filter(|r| r.path == "/v1.0/robot/otoMessages/batchRecall").count(), 1);
}
