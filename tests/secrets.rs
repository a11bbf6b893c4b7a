//! Secrets in what users type: credentials inside URLs and an AppSecret pasted into the AppKey
//! field never come back in a message or a log line. (Every printed byte of whole runs is
//! scanned in `reliability.rs` too.)

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code)]
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
