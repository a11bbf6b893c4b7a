//! `host-sim studio`'s server without a browser: its first line, that it answers only its own
//! page (Host, Origin, Sec-Fetch-Site), that no route reads a file, that no answer holds a
//! secret the page sent, and that the page is the same whatever the plugin. Raw HTTP/1.1 on
//! loopback, so that every header is exactly as written. Runs with the fixture plugins.

// A test's failures are panics: unwrap, expect and panic are how it reports them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{fixture, s};
use serde_json::{Value, json};

/// `host-sim studio` on a fixture plugin, killed when dropped.
struct Studio {
    child: Child,
    port: u16,
}

impl Drop for Studio {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn studio(plugin: &str, env: &[(&str, &str)]) -> Studio {
    let mut command = Command::new(env!("CARGO_BIN_EXE_host-sim"));
    command.args(["studio", "--no-emulator", "--plugin", s(&fixture(plugin))]);
    for (k, v) in env {
        command.env(k, v);
    }
    start(command)
}

/// The studio of the built plugin `plugin` with its embedded emulator, as a person starts it.
fn with_emulator(plugin: &std::path::Path) -> Studio {
    let mut command = Command::new(env!("CARGO_BIN_EXE_host-sim"));
    command.args(["studio", "--plugin"]).arg(plugin);
    start(command)
}

/// `POST /api/run` of `flow` on a thread of its own, for a flow whose step waits for what a
/// person does in the emulator panel meanwhile.
fn run_in_background(port: u16, flow: String) -> std::thread::JoinHandle<Answer> {
    std::thread::spawn(move || {
        let (host, origin) = own(port);
        let headers = [("Host", host.as_str()), ("Origin", origin.as_str()), ("Content-Type", "application/json")];
        request(port, "POST", "/api/run", &headers, &flow)
    })
}

/// Starts `command` (a `host-sim studio`) and reads its port from its first line.
fn start(mut command: Command) -> Studio {
    command.stdout(Stdio::piped());
    let mut child = command.spawn().expect("host-sim studio starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut reader = BufReader::new(stdout);
    let mut first = String::new();
    reader.read_line(&mut first).expect("a first line");
    // What follows is for a person; read it so that the pipe stays open.
    std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    let first = first.trim_end();
    let port = first
        .strip_prefix("studio on http://127.0.0.1:")
        .and_then(|p| p.parse::<u16>().ok())
        .unwrap_or_else(|| panic!("the first line is exactly `studio on http://127.0.0.1:PORT`, not {first:?}"));
    Studio { child, port }
}

/// An answer: status, headers (lower-case names), body.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// Sends one request with exactly these headers (plus Content-Length and Connection: close).
fn request(port: u16, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Answer {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connects");
    stream.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
    let mut text = format!("{method} {path} HTTP/1.1\r\n");
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str(&format!("Content-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()));
    stream.write_all(text.as_bytes()).expect("sends");
    // A server that refuses a request may close before reading its body: the answer arrives,
    // then the connection is reset. What arrived is the answer.
    let mut raw = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
            Err(e) if !raw.is_empty() => {
                eprintln!("after {} bytes: {e}", raw.len());
                break;
            }
            Err(e) => panic!("{method} {path}: no answer: {e}"),
        }
    }
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let mut lines = head.lines();
    let status = lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|c| c.parse().ok()).unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect::<Vec<_>>();
    let chunked = headers.iter().any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"));
    let body = if chunked { dechunk(body) } else { body.to_string() };
    Answer { status, headers, body }
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else { break };
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        body = rest[n..].trim_start_matches("\r\n");
    }
    out
}

fn own(port: u16) -> (String, String) {
    (format!("127.0.0.1:{port}"), format!("http://127.0.0.1:{port}"))
}

#[test]
fn it_answers_only_its_own_page() {
    let studio = studio("echo_plugin", &[]);
    let port = studio.port;
    let (host, origin) = own(port);
    let flow = r#"{"steps": []}"#;
    let json = ("Content-Type", "application/json");

    let page = request(port, "GET", "/", &[("Host", &host)], "");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<script type=\"module\" src=\"/assets/app.js\">"), "{}", page.body);
    let csp = page.header("content-security-policy").unwrap_or_default();
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    let localhost = format!("localhost:{port}");
    assert_eq!(request(port, "GET", "/", &[("Host", &localhost)], "").status, 200);

    // Another name for this address (DNS rebinding), another port, no Host at all.
    for other in ["evil.example", &format!("evil.example:{port}"), &format!("127.0.0.1:{}", port.wrapping_add(1))] {
        let a = request(port, "GET", "/api/studio", &[("Host", other)], "");
        assert_eq!(a.status, 403, "Host {other}: {}", a.body);
    }
    // HTTP/1.1 without Host is refused by the server itself or by the guard.
    assert!(request(port, "GET", "/api/studio", &[], "").status >= 400);

    // Reads from another page, writes without an Origin or from another one.
    let a = request(port, "GET", "/api/studio", &[("Host", &host), ("Origin", "http://evil.example")], "");
    assert_eq!(a.status, 403, "{}", a.body);
    for headers in [
        vec![("Host", host.as_str()), json],
        vec![("Host", host.as_str()), ("Origin", "null"), json],
        vec![("Host", host.as_str()), ("Origin", "http://localhost:1"), json],
        vec![("Host", host.as_str()), ("Origin", origin.as_str()), ("Sec-Fetch-Site", "cross-site"), json],
    ] {
        let a = request(port, "POST", "/api/check", &headers, flow);
        assert_eq!(a.status, 403, "{headers:?}: {}", a.body);
    }
    let a = request(port, "POST", "/api/run", &[("Host", &host), json], flow);
    assert_eq!(a.status, 403, "a run needs the page's Origin");

    // The page itself.
    let a = request(port, "POST", "/api/check", &[("Host", &host), ("Origin", &origin), json], flow);
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.json(), json!({"checks": []}));
    let a = request(port, "GET", "/api/studio", &[("Host", &host), ("Sec-Fetch-Site", "same-origin")], "");
    assert_eq!(a.status, 200, "{}", a.body);
}

#[test]
fn no_route_reads_a_file() {
    let studio = studio("echo_plugin", &[]);
    let port = studio.port;
    let (host, _) = own(port);
    for path in [
        "/etc/passwd",
        "/assets/../../../../etc/passwd",
        "/assets/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/assets/..%2f..%2f..%2fCargo.toml",
        "/assets/app.js/../../Cargo.toml",
        "/assets/",
        "/assets/Cargo.toml",
        "/api/file?path=/etc/passwd",
        "//etc/passwd",
    ] {
        let a = request(port, "GET", path, &[("Host", &host)], "");
        assert_eq!(a.status, 404, "{path}: {}", a.body);
        assert!(!a.body.contains("root:") && !a.body.contains("[package]"), "{path}: {}", a.body);
    }
    for (path, kind) in [
        ("/assets/app.js", "text/javascript"),
        ("/assets/canvas.js", "text/javascript"),
        ("/assets/form.js", "text/javascript"),
        ("/assets/flowfile.js", "text/javascript"),
        ("/assets/dom.js", "text/javascript"),
        ("/assets/studio.css", "text/css"),
    ] {
        let a = request(port, "GET", path, &[("Host", &host)], "");
        assert_eq!(a.status, 200, "{path}");
        assert!(
            a.header("content-type").is_some_and(|t| t.starts_with(kind)),
            "{path}: {:?}",
            a.header("content-type")
        );
    }
}

#[test]
fn no_answer_holds_a_secret_the_page_sent() {
    const TYPED: &str = "typed-secret-4f1c";
    const IN_VARIABLE: &str = "variable-secret-9d2e";
    const IN_ENV: &str = "env-secret-7a3b";
    let studio = studio("echo_plugin", &[("STUDIO_TEST_SECRET", IN_ENV)]);
    let port = studio.port;
    let (host, origin) = own(port);
    let headers = [("Host", host.as_str()), ("Origin", origin.as_str()), ("Content-Type", "application/json")];

    // Each secret reaches a secret field and also a field the plugin echoes.
    let flow = json!({
        "variables": {"pw": IN_VARIABLE},
        "steps": [
            {"action": "echo.echo", "params": {"text": format!("a {TYPED}"), "password": TYPED}, "outputs": {"text": "one"}},
            {"action": "echo.echo", "params": {"text": "${pw}", "password": "${pw}"}, "outputs": {"text": "two"}},
            {"action": "echo.echo", "params": {"text": "b ${env:STUDIO_TEST_SECRET}", "password": "${env:STUDIO_TEST_SECRET}"},
             "outputs": {"text": "three"}},
        ]
    })
    .to_string();
    let run = request(port, "POST", "/api/run", &headers, &flow);
    assert_eq!(run.status, 200, "{}", run.body);
    let doc = run.json();
    assert_eq!(doc["ran"], true, "{doc}");
    let statuses: Vec<&Value> = doc["steps"].as_array().into_iter().flatten().map(|s| &s["status"]).collect();
    assert_eq!(statuses, [&json!("ok"), &json!("ok"), &json!("ok")], "{doc}");
    assert_eq!(doc["steps"][0]["outputs"][0]["value"], "a ******", "{doc}");
    assert_eq!(doc["steps"][1]["outputs"][0]["value"], "******", "{doc}");
    assert_eq!(doc["steps"][2]["outputs"][0]["value"], "b ******", "{doc}");

    // A check that refuses the values, quoting them, masks them too.
    let long =
        json!({"steps": [{"action": "echo.echo", "params": {"text": TYPED.repeat(4), "password": TYPED}}]}).to_string();
    let check = request(port, "POST", "/api/check", &headers, &long);
    assert_eq!(check.status, 200, "{}", check.body);
    assert!(check.json()["checks"][0]["fields"]["text"]["code"] == "INVALID_INPUT", "{}", check.body);

    // A flow the server cannot read is refused without quoting it.
    let broken = format!(
        r#"{{"steps": [{{"action": "echo.echo", "params": {{"password": "{TYPED}"}}, "outputs": "{TYPED}"}}]}}"#
    );
    let refused = request(port, "POST", "/api/run", &headers, &broken);
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert_eq!(refused.json()["error"]["code"], "INVALID_FLOW");

    let emulator = request(port, "GET", "/api/emulator", &[("Host", &host)], "");
    for answer in [&run, &check, &refused, &emulator] {
        for secret in [TYPED, IN_VARIABLE, IN_ENV] {
            assert!(!answer.body.contains(secret), "{secret} came back: {}", answer.body);
        }
    }
}

#[test]
fn the_page_is_the_same_whatever_the_plugin() {
    // Nothing about DingTalk is written into the page: it draws whatever the manifest says.
    let studio = studio("echo_plugin", &[]);
    let (host, _) = own(studio.port);
    for (path, _, body) in host_sim::studio::assets() {
        for word in ["dingtalk", "钉钉"] {
            assert!(!body.to_lowercase().contains(word), "{path} mentions {word}");
        }
    }
    let info = request(studio.port, "GET", "/api/studio", &[("Host", &host)], "").json();
    let ids: Vec<&str> =
        info["manifest"]["actions"].as_array().into_iter().flatten().filter_map(|a| a["id"].as_str()).collect();
    assert_eq!(ids, ["echo.echo", "echo.fail"]);
    assert_eq!(info["emulator"], Value::Null, "--no-emulator");
    assert_eq!(info["prefill"], json!({}));
    for key in ["basic", "advanced", "run", "save", "load"] {
        let word = &info["words"][key];
        assert!(word["en"].is_string() && word["zh-CN"].is_string(), "{key}: {word}");
    }
}

#[test]
fn a_reader_that_stops_after_the_first_line_does_not_stop_it() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_host-sim"))
        .args(["studio", "--no-emulator", "--plugin", s(&fixture("echo_plugin"))])
        .stdout(Stdio::piped())
        .spawn()
        .expect("host-sim studio starts");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut first).expect("a first line");
    let studio = Studio { child, port: first.trim().rsplit(':').next().and_then(|p| p.parse().ok()).expect("a port") };
    std::thread::sleep(Duration::from_millis(300));
    let (host, _) = own(studio.port);
    assert_eq!(request(studio.port, "GET", "/", &[("Host", &host)], "").status, 200, "it still serves");
}

#[test]
fn a_flow_of_a_thousand_steps_is_checked_and_one_more_is_refused() {
    let studio = studio("echo_plugin", &[]);
    let port = studio.port;
    let (host, origin) = own(port);
    let headers = [("Host", host.as_str()), ("Origin", origin.as_str()), ("Content-Type", "application/json")];
    // Every step with a problem in a param (an unknown variable) and in an output.
    let flow = |n: usize| {
        let steps: Vec<Value> = (0..n)
            .map(|i| json!({"action": "echo.echo", "params": {"text": format!("${{missing{i}}}")}, "outputs": {"nope": "v"}}))
            .collect();
        json!({"steps": steps}).to_string()
    };

    let a = request(port, "POST", "/api/check", &headers, &flow(1000));
    assert_eq!(a.status, 200, "{}", a.body);
    let checks = a.json()["checks"].as_array().cloned().unwrap_or_default();
    assert_eq!(checks.len(), 1000);
    for (i, check) in checks.iter().enumerate() {
        assert_eq!(check["fields"]["text"]["code"], "UNKNOWN_VARIABLE", "step {i}: {check}");
        assert_eq!(check["fields"]["outputs.nope"]["code"], "UNKNOWN_OUTPUT", "step {i}: {check}");
    }

    for path in ["/api/check", "/api/run"] {
        let a = request(port, "POST", path, &headers, &flow(1001));
        assert_eq!(a.status, 400, "{path}: {}", a.body);
        let error = &a.json()["error"];
        assert_eq!(error["code"], "INVALID_FLOW", "{path}: {error}");
        assert_eq!(error["message"]["en"], "The flow has 1001 steps; a flow holds at most 1000", "{path}: {error}");
        assert_eq!(error["message"]["zh-CN"], "流程共有 1001 个步骤，而一个流程最多只能包含 1000 个步骤", "{path}");
        assert_eq!(
            error["hint"]["en"], "Split it into flows of at most 1000 steps and run them one after another.",
            "{path}: {error}"
        );
    }
}

#[test]
fn a_person_answers_a_waiting_flow_from_the_emulator_panel() {
    let Some(plugin) = common::real_plugin() else { return };
    // With its embedded emulator this time.
    let studio = with_emulator(&plugin);
    let port = studio.port;
    let (host, origin) = own(port);
    let headers = [("Host", host.as_str()), ("Origin", origin.as_str()), ("Content-Type", "application/json")];
    let say = |text: &str| {
        request(port, "POST", "/api/emulator/say", &headers, &json!({ "userId": "staff02", "text": text }).to_string())
    };

    // No step is waiting: the message is lost, and the panel says so.
    let lost = say("anyone there?");
    assert_eq!(lost.status, 409, "{}", lost.body);
    assert!(lost.body.contains("No one is listening"), "{}", lost.body);

    let info = request(port, "GET", "/api/studio", &[("Host", host.as_str())], "").json();
    let url = info["emulator"]["url"].as_str().expect("the emulator's URL").to_string();
    let flow = json!({ "steps": [
        { "action": "dingtalk.robot.connect",
          "params": { "appKey": host_sim::studio::EMULATOR_APP_KEY, "appSecret": host_sim::studio::EMULATOR_APP_SECRET,
                      "apiBaseUrl": url, "oapiBaseUrl": url },
          "outputs": { "robot": "robot" } },
        { "action": "dingtalk.robot.wait_for_reply",
          "params": { "robot": "${robot}", "userId": "staff02", "timeoutSeconds": 30 },
          "outputs": { "replied": "replied", "replyText": "replyText" } },
    ]})
    .to_string();
    let running = run_in_background(port, flow);
    // Answer as staff02 once the waiting step listens.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let said = say("Yes, PO 4711");
        if said.status == 200 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the waiting step never listened: {}", said.body);
        std::thread::sleep(Duration::from_millis(100));
    }
    let run = running.join().expect("the run").json();
    let outputs = run.to_string();
    assert!(outputs.contains("Yes, PO 4711"), "the reply is the step's output: {run}");
}

#[test]
fn a_person_tries_the_custom_robot_with_what_the_emulator_panel_shows() {
    let Some(plugin) = common::real_plugin() else { return };
    let studio = with_emulator(&plugin);
    let port = studio.port;
    let (host, origin) = own(port);
    let headers = [("Host", host.as_str()), ("Origin", origin.as_str()), ("Content-Type", "application/json")];
    let info = request(port, "GET", "/api/studio", &[("Host", host.as_str())], "").json();
    let webhook = &info["emulator"]["webhook"];
    let (url, secret) =
        (webhook["url"].as_str().expect("a webhook URL"), webhook["secret"].as_str().expect("a secret"));
    assert!(url.contains("/robot/send?access_token="), "{webhook}");
    let flow = json!({ "steps": [
        { "action": "dingtalk.robot.connect_webhook", "params": { "webhookUrl": url, "secret": secret },
          "outputs": { "robot": "hook" } },
        { "action": "dingtalk.robot.send_webhook_message",
          "params": { "robot": "${hook}", "msgType": "text", "content": "来自设计器的问候" } },
    ]});
    let run = request(port, "POST", "/api/run", &headers, &flow.to_string());
    assert_eq!(run.status, 200, "{}", run.body);
    let received = request(port, "GET", "/api/emulator", &[("Host", host.as_str())], "").json();
    let group = &received["groupMessages"];
    assert_eq!(group.as_array().map(Vec::len), Some(1), "one group message: {received}");
    assert_eq!(group[0]["group"], webhook["group"], "{received}");
    assert!(group[0]["body"].to_string().contains("来自设计器的问候"), "{received}");
    assert!(!received.to_string().contains(secret), "the secret the page sent is not echoed");
    // No card was sent: the click is refused, in both languages.
    let body = json!({ "userId": "staff02", "outTrackId": "card-1", "choice": "同意" }).to_string();
    let click = request(port, "POST", "/api/emulator/click", &headers, &body);
    assert_eq!((click.status, info["emulator"]["clicks"].as_bool()), (409, Some(true)), "{}", click.body);
    assert!(
        click.json()["error"]["message"]["zh-CN"].as_str().is_some_and(|m| m.contains("没有发送过卡片")),
        "{}",
        click.body
    );
}

#[test]
fn a_person_answers_an_ask_by_clicking_its_card_in_the_emulator_panel() {
    let Some(plugin) = common::real_plugin() else { return };
    let studio = with_emulator(&plugin);
    let port = studio.port;
    let (host, origin) = own(port);
    let headers = [("Host", host.as_str()), ("Origin", origin.as_str()), ("Content-Type", "application/json")];
    let info = request(port, "GET", "/api/studio", &[("Host", host.as_str())], "").json();
    let url = info["emulator"]["url"].as_str().expect("the emulator's URL").to_string();
    let template = info["emulator"]["cardTemplate"].as_str().expect("the panel names a card template").to_string();
    let flow = json!({ "steps": [
        { "action": "dingtalk.robot.connect",
          "params": { "appKey": host_sim::studio::EMULATOR_APP_KEY, "appSecret": host_sim::studio::EMULATOR_APP_SECRET,
                      "apiBaseUrl": url, "oapiBaseUrl": url },
          "outputs": { "robot": "robot" } },
        { "action": "dingtalk.robot.ask",
          "params": { "robot": "${robot}", "userId": "staff02", "question": "同意采购吗？", "choices": "同意, 拒绝",
                      "timeoutSeconds": 30, "cardTemplateId": template },
          "outputs": { "answered": "answered", "answer": "answer", "answeredBy": "answeredBy" } },
    ]})
    .to_string();
    let running = run_in_background(port, flow);
    // Click 同意 on the newest card (no outTrackId given) once the card has arrived.
    let body = json!({ "userId": "staff02", "outTrackId": "", "choice": "同意" }).to_string();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let click = request(port, "POST", "/api/emulator/click", &headers, &body);
        if click.status == 200 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the card never arrived: {}", click.body);
        std::thread::sleep(Duration::from_millis(100));
    }
    let run = running.join().expect("the run").json();
    let output = |name: &str| {
        run["steps"][1]["outputs"]
            .as_array()
            .and_then(|o| o.iter().find(|o| o["name"] == name))
            .map(|o| o["value"].clone())
    };
    assert_eq!(
        (output("answered"), output("answer"), output("answeredBy")),
        (Some(json!(true)), Some(json!("同意")), Some(json!("staff02"))),
        "{run}"
    );
}
