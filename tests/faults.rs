//! Hostile networks: redirects that must not be followed, ports that never connect, base URLs
//! and proxies that are not DingTalk. Each ends in a structured error that blames the right
//! thing, says truly whether anything was sent, and comes within the configured timeout.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code)]
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
