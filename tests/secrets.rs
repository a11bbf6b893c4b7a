//! Secrets in what users type: credentials inside URLs and an AppSecret pasted into the AppKey
//! field never come back in a message or a log line. (Every printed byte of whole runs is
//! scanned in `reliability.rs` too.)

mod support;

use dingtalk_robot::actions::{connect, send};
use serde_json::json;
use support::hostile::{Hostile, Reply};
use support::{APP_SECRET, TestHost, invoke, org};

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
    use dingtalk_robot::actions::{connect_webhook as c, send_webhook as wh};
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
