//! Secrets never come back in a message, an output or a log line: not the AppSecret, not an
//! access token, not credentials a user typed into a URL or pasted into the wrong field.
//!
//! * through the plugin's entry point: credentials inside URLs, an AppSecret pasted into the
//!   AppKey field;
//! * through `host-sim run` with the built cdylib against the emulator: every byte printed or
//!   logged (debug level, English and Chinese) by flows that upload, meet unknown and
//!   flow-controlled users, use a wrong secret or a made-up handle, and refresh a revoked
//!   token; and secrets handed over as variables (`--var`, the flow's own variables), wrong
//!   secrets, and faults whose errors come from the HTTP client.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code)]
mod support;

use std::process::Command;
use std::time::Duration;

use dingtalk_emulator::{Endpoint, Fault, FaultRule};
use dingtalk_robot::names::{connect, send};
use serde_json::{Map, json};
use support::flows::{Transcript, connect_then_send};
use support::hostile::{Hostile, Reply};
use support::{
    APP_SECRET, FLOW_CONTROLLED, TestHost, assert_no_secrets, host_sim_exe, invoke, org, scratch, tokens_seen,
};

#[test]
fn credentials_in_urls_are_never_echoed() {
    let host = TestHost::default();
    let cases = [
        (connect::API_BASE_URL, "https://user:Passw0rd-In-Url@api.dingtalk.com/", "Passw0rd-In-Url"),
        (connect::OAPI_BASE_URL, "https://oapi.dingtalk.com/?access_token=Tok-In-Query-123", "Tok-In-Query-123"),
        (connect::API_BASE_URL, "ftp://admin:Ftp-Secret-9@files.example.com", "Ftp-Secret-9"),
    ];
    for (field, url, secret) in cases {
        let params = json!({ connect::APP_KEY: "k", connect::APP_SECRET: APP_SECRET, field: url });
        let err = invoke(&host, connect::ID, &params).unwrap_err();
        assert_eq!(err.field.as_deref(), Some(field), "{err:?}");
        let shown = format!("{err:?}");
        assert!(!shown.contains(secret), "{url} was echoed: {shown}");
    }
    let emu = org();
    let robot = support::connect(&host, &emu);
    let params = json!({ send::ROBOT: robot, send::USER_IDS: ["manager01"], send::MSG_TYPE: "image",
                         send::CONTENT: "ftp://img.example.com/a.png?sign=Img-Sign-77&access_token=Img-Tok-88" });
    let err = invoke(&host, send::ID, &params).unwrap_err();
    let shown = format!("{err:?}");
    assert!(!shown.contains("Img-Sign-77") && !shown.contains("Img-Tok-88"), "{shown}");
    assert!(!host.text().contains("Passw0rd") && !host.text().contains("Tok-In-Query"), "{}", host.text());
}

#[test]
fn an_app_secret_pasted_as_the_app_key_is_not_logged() {
    let server = Hostile::start(|_| Reply::json(400, r#"{"code":"invalidClientIdOrSecret","message":"bad"}"#));
    let host = TestHost::default();
    let pasted = "Pasted-AppSecret-In-AppKey-Field-42";
    let params = json!({ connect::APP_KEY: pasted, connect::APP_SECRET: APP_SECRET,
                         connect::API_BASE_URL: server.url(), connect::OAPI_BASE_URL: server.url() });
    let err = invoke(&host, connect::ID, &params).unwrap_err();
    assert_eq!(err.code, "AUTH_FAILED");
    let logs = host.text();
    assert!(logs.contains("connecting app Past…"), "the log still tells apps apart: {logs}");
    assert!(!logs.contains(pasted) && !format!("{err:?}").contains(pasted), "{logs}");
}

/// The webhook's access_token and the signing secret never come back: not in the robot
/// object, an output, an error (whatever DingTalk answers) or a log line.
#[test]
fn a_custom_robots_token_and_secret_never_come_back() {
    use dingtalk_emulator::{Endpoint, Fault, FaultRule};
    use dingtalk_robot::names::{connect_webhook as c, send_webhook as wh};
    use support::{WEBHOOK_SECRET, WEBHOOK_TOKEN};
    let emu = support::webhook_org(|r| r.with_keywords(["alert"]));
    let host = TestHost::default();
    let mut printed = Vec::new();
    let robot = support::connect_webhook(&host, &emu, json!({ c::KEYWORDS: "alert" }));
    printed.push(robot.to_string());
    let send = |robot: &serde_json::Value, content: &str| {
        invoke(&host, wh::ID, &json!({ wh::ROBOT: robot, wh::CONTENT: content }))
            .map_or_else(|e| format!("{e:?}"), |o| o.to_string())
    };
    printed.push(send(&robot, "alert: ok"));
    printed.push(send(&robot, "no keyword"));
    for fault in [Fault::CloseMidAnswer, Fault::BadGatewayHtml, Fault::IpNotAllowed] {
        emu.inject(FaultRule::next(Endpoint::RobotSend, fault, 1));
        printed.push(send(&robot, "alert"));
    }
    // A wrong secret, and a server that echoes the request's URL and the secret back.
    let wrong = support::connect_webhook(&host, &emu, json!({ c::SECRET: "SECwrongwrongwrong" }));
    printed.push(send(&wrong, "alert"));
    let echo = Hostile::start(|req| {
        Reply::json(200, &format!(r#"{{"errcode":310000,"errmsg":"sign not match {} {WEBHOOK_SECRET}"}}"#, req.target))
    });
    let url = format!("{}/robot/send?access_token={WEBHOOK_TOKEN}", echo.url());
    let echoed =
        invoke(&host, c::ID, &json!({ c::WEBHOOK_URL: url, c::SECRET: WEBHOOK_SECRET })).unwrap()[c::ROBOT].clone();
    printed.push(send(&echoed, "alert"));
    // Bad input that holds them.
    let err = invoke(&host, c::ID, &json!({ c::WEBHOOK_URL: format!("{url}\n{WEBHOOK_SECRET}") })).unwrap_err();
    printed.push(format!("{err:?}"));
    printed.push(host.text());
    assert_eq!(emu.group_messages().len(), 2, "the good send and the one whose answer was lost");
    for text in &printed {
        assert!(!text.contains(WEBHOOK_TOKEN), "the webhook's access_token leaked: {text}");
        assert!(!text.contains(WEBHOOK_SECRET), "the signing secret leaked: {text}");
    }
}

#[test]
fn nothing_printed_or_logged_holds_a_secret() {
    let emu = org();
    let dir = scratch("printed");
    let exe = host_sim_exe();
    let file = dir.join("report.pdf");
    std::fs::write(&file, b"%PDF").unwrap();
    let flows = [
        connect_then_send(&emu, json!({}), json!({ send::MSG_TYPE: "file", send::CONTENT: file.to_str().unwrap() })),
        connect_then_send(&emu, json!({}), json!({ send::USER_IDS: ["ghost", FLOW_CONTROLLED] })),
        connect_then_send(&emu, json!({ connect::APP_SECRET: format!("{APP_SECRET}x") }), json!({})),
        connect_then_send(&emu, json!({}), json!({ send::ROBOT: { "type": "dingtalk.robot", "id": "x" } })),
    ];
    let mut printed = String::new();
    for (i, flow) in flows.iter().enumerate() {
        let path = dir.join(format!("flow{i}.json"));
        std::fs::write(&path, flow.to_string()).unwrap();
        for lang in ["en", "zh-CN"] {
            let out =
                Command::new(&exe).args(["run", "--log-level", "debug", "--lang", lang]).arg(&path).output().unwrap();
            printed.push_str(&String::from_utf8_lossy(&out.stdout));
            printed.push_str(&String::from_utf8_lossy(&out.stderr));
        }
    }
    emu.revoke_tokens();
    let out = Command::new(&exe).args(["run", "--log-level", "debug"]).arg(dir.join("flow1.json")).output().unwrap();
    printed.push_str(&String::from_utf8_lossy(&out.stdout));
    printed.push_str(&String::from_utf8_lossy(&out.stderr));
    assert!(printed.contains("batchSend -> HTTP 200"), "the debug log was captured: {printed}");
    assert!(tokens_seen(&emu).len() >= 2, "tokens were issued and used");
    assert_no_secrets(&emu, &[&printed]);
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
        json!({ connect::APP_SECRET: "${secret}" }),
        json!({ send::MSG_TYPE: "file", send::CONTENT: file.to_str().unwrap() }),
    );
    let arg = format!("secret={APP_SECRET}");
    let run = transcript.run_cli(&dir, "by-var", &by_var, &["--var", &arg]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.doc["secret"], "******", "a variable that fed the AppSecret is masked: {}", run.doc);
    assert!(run.stderr.contains("uploaded q3.xlsx"), "the debug log was captured: {}", run.stderr);

    let mut in_flow = connect_then_send(&emu, json!({ connect::APP_SECRET: "${secret}" }), json!({}));
    in_flow["variables"] = json!({ "secret": APP_SECRET });
    let run = transcript.run_cli(&dir, "in-flow", &in_flow, &[]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.doc["secret"], "******", "{}", run.doc);

    // A wrong secret is a secret too, and so is a secret typed where a list belongs.
    let arg = format!("secret={wrong}");
    let run = transcript.run_cli(&dir, "wrong", &by_var, &["--var", &arg, "--lang", "zh-CN"]);
    assert_eq!((run.code, run.doc["error"]["code"].as_str()), (Some(1), Some("AUTH_FAILED")), "{}", run.doc);
    let listed = connect_then_send(&emu, json!({ connect::APP_SECRET: [APP_SECRET] }), json!({}));
    let err = transcript.run(&listed, Map::new()).unwrap_err();
    assert_eq!(err.error.field.as_deref(), Some(connect::APP_SECRET));
    // Faults whose errors come from the HTTP client, whose URLs (uploads) hold the token.
    emu.inject(FaultRule::always(Endpoint::MediaUpload, Fault::CloseMidAnswer));
    let run = transcript.run_cli(&dir, "cut", &by_var, &["--var", &format!("secret={APP_SECRET}")]);
    assert_eq!(run.doc["error"]["code"], "BAD_RESPONSE", "{}", run.doc);
    emu.clear_faults();
    emu.inject(FaultRule::always(Endpoint::MediaUpload, Fault::Delay(Duration::from_secs(2))));
    let mut slow = by_var.clone();
    slow["steps"][0]["params"][connect::TIMEOUT_SECONDS] = json!(1);
    let run = transcript.run_cli(&dir, "slow", &slow, &["--var", &format!("secret={APP_SECRET}")]);
    assert_eq!(run.doc["error"]["code"], "TIMEOUT", "{}", run.doc);
    assert!(!tokens_seen(&emu).is_empty(), "the tokens in use are searched for");
    transcript.assert_clean(&emu, &[wrong]);
}
