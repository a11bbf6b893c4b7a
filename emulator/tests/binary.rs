//! The binary: first stdout line, steering over the admin endpoints, no secrets printed.

// A test's failures are panics: unwrap, expect and panic are how it reports them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

/// A minimal HTTP/1.1 exchange (Connection: close), returning (status, body).
fn http(port: u16, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out[9..12].parse().unwrap();
    let body = out.split_once("\r\n\r\n").map(|x| x.1).unwrap_or("").to_owned();
    (status, body)
}

#[test]
fn binary_prints_its_url_and_serves() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dingtalk-emulator"))
        .args([
            "--port",
            "0",
            "--app-key",
            "K",
            "--app-secret",
            "TOPSECRET-42",
            "--users",
            "u1,u2,u3",
            "--flow-controlled",
            "u3",
            "--token-ttl",
            "60",
            "--qps-limit",
            "0",
            "--card-templates",
            "tpl-a.schema,tpl-b.schema",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary starts");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let port: u16 = line
        .strip_prefix("listening on http://127.0.0.1:")
        .and_then(|p| p.strip_suffix('\n'))
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("bad first line {line:?}"));

    let json = [("content-type", "application/json")];
    let (status, body) =
        http(port, "POST", "/v1.0/oauth2/accessToken", &json, r#"{"appKey":"K","appSecret":"TOPSECRET-42"}"#);
    assert_eq!(status, 200, "{body}");
    let token: serde_json::Value = serde_json::from_str(&body).unwrap();
    let token = token["accessToken"].as_str().unwrap().to_owned();
    assert!(body.contains("\"expireIn\":60"));
    let (status, body) = http(
        port,
        "POST",
        "/v1.0/robot/oToMessages/batchSend",
        &[("content-type", "application/json"), ("x-acs-dingtalk-access-token", &token)],
        r#"{"robotCode":"K","userIds":["u1","u3","x"],"msgKey":"sampleText","msgParam":"{\"content\":\"hi\"}"}"#,
    );
    assert_eq!(status, 200, "{body}");
    let (_, stats) = http(port, "GET", "/_emulator/stats", &[], "");
    let stats: serde_json::Value = serde_json::from_str(&stats).unwrap();
    assert_eq!(stats["messages"], 1);
    assert_eq!(stats["batchSendRequests"], 1);
    let card = |template: &str| {
        format!(
            r#"{{"cardTemplateId":"{template}","outTrackId":"{template}-1","callbackType":"STREAM","cardData":{{"cardParamMap":{{}}}},"openSpaceId":"dtv1.card//IM_ROBOT.u1","imRobotOpenDeliverModel":{{"spaceType":"IM_ROBOT","robotCode":"K"}},"userIdType":1}}"#
        )
    };
    let authed = [("content-type", "application/json"), ("x-acs-dingtalk-access-token", token.as_str())];
    for (template, want) in [("tpl-a.schema", 200), ("tpl-b.schema", 200), ("tpl-c.schema", 400)] {
        let (status, body) = http(port, "POST", "/v1.0/card/instances/createAndDeliver", &authed, &card(template));
        assert_eq!(status, want, "{template}: {body}");
    }

    child.kill().unwrap();
    let _ = child.wait();
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    let all = format!("{line}{rest}{err}");
    assert!(!all.contains("TOPSECRET-42") && !all.contains(&token), "{all}");
}
