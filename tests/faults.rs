//! Hostile networks: redirects that must not be followed, ports that never connect, base URLs
//! and proxies that are not DingTalk. Each ends in a structured error that blames the right
//! thing, says truly whether anything was sent, and comes within the configured timeout.
//! And a send in three batches whose second batch fails (refused, answer lost, flow stopped):
//! the error names who got the message, who did not, and whose batch is in doubt, and no batch
//! is ever sent twice. And the actions after a send: reads and lookups retried, group sends and
//! recalls never repeated once they may have been processed, a recall stopped mid-way.

mod support;

use std::time::{Duration, Instant};

use dingtalk_robot::actions::{connect, send};
use serde_json::{Value, json};
use support::hostile::{DroppedSyn, Hostile, Received, Reply};
use support::{APP_KEY, APP_SECRET, TestHost, invoke};

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
    let step = json!({ "action": connect::ID, "params": connect_params("https://api.example.invalid", "https://oapi.example.invalid", 3), "outputs": { "robot": "bot" } });
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

/// The four actions after a send, under DingTalk's faults: a read or a lookup is repeated when
/// that is safe and succeeds; a group send or a recall is never repeated once it may have been
/// processed, and says so in its own words; throttling (nothing processed) is waited out.
#[test]
fn reads_and_lookups_are_retried_group_sends_and_recalls_never_repeated() {
    use dingtalk_emulator::{Emulator, EmulatorConfig, Endpoint, Fault, FaultRule, GroupConfig};
    use dingtalk_robot::actions::{group_send, lookup, read_status, recall};
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
    use dingtalk_robot::actions::recall;
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
