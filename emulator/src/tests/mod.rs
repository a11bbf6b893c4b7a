//! HTTP-level tests: a real server on loopback, a plain HTTP client.

mod cards;
mod concurrency;
mod faults;
mod new_api;
mod old_api;
mod rate_limit;
mod session_webhook;
mod stream;
mod tokens;
mod webhook;

use reqwest::header::HeaderMap;
use serde_json::{Value, json};

use crate::{AppConfig, Emulator, EmulatorConfig};

pub(crate) const KEY: &str = "ding-test-key";
pub(crate) const SECRET: &str = "ding-test-secret";

/// One app (robot code = AppKey), users u1 u2, flow-controlled u3, no rate limit.
pub(crate) fn config() -> EmulatorConfig {
    EmulatorConfig {
        apps: vec![AppConfig::new(KEY, SECRET)],
        users: vec!["u1".into(), "u2".into()],
        flow_controlled: vec!["u3".into()],
        qps_limit: 0,
        ..EmulatorConfig::default()
    }
}

/// A running emulator and a keep-alive client.
pub(crate) struct T {
    pub(crate) emu: Emulator,
    pub(crate) http: reqwest::Client,
}

/// An answer, read whole.
#[derive(Debug)]
pub(crate) struct Resp {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) text: String,
    pub(crate) json: Value,
}

impl Resp {
    pub(crate) async fn read(r: reqwest::Response) -> Resp {
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let text = r.text().await.expect("body");
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp { status, headers, text, json }
    }

    pub(crate) fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    /// A new-API error: status, code, `requestid` equal to `x-acs-request-id`.
    #[track_caller]
    pub(crate) fn assert_new_error(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "{self:?}");
        assert_eq!(self.json["code"], code, "{self:?}");
        assert!(self.json["message"].as_str().is_some_and(|m| !m.is_empty()));
        assert!(!self.header("x-acs-request-id").is_empty());
        assert_eq!(self.json["requestid"], self.header("x-acs-request-id"));
        assert!(!self.header("x-acs-trace-id").is_empty());
        assert!(self.header("content-type").starts_with("application/json"));
    }

    /// An old-API error: HTTP 200, errcode, errmsg.
    #[track_caller]
    pub(crate) fn assert_old_error(&self, errcode: i64) {
        assert_eq!(self.status, 200, "{self:?}");
        assert_eq!(self.json["errcode"], errcode, "{self:?}");
        assert!(self.json["errmsg"].as_str().is_some_and(|m| !m.is_empty()));
        assert!(!self.header("x-acs-request-id").is_empty());
    }
}

/// A plain client. The workspace builds reqwest without a default TLS crypto provider, so
/// one is installed first (ring, as the plugin does).
pub(crate) fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().no_proxy().build().expect("client")
}

impl T {
    pub(crate) fn start(config: EmulatorConfig) -> T {
        let emu = Emulator::start(config).expect("emulator starts");
        T { emu, http: http_client() }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.emu.url())
    }

    pub(crate) async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Resp {
        let mut req = self.http.post(self.url(path)).json(body);
        if let Some(t) = token {
            req = req.header("x-acs-dingtalk-access-token", t);
        }
        Resp::read(req.send().await.expect("send")).await
    }

    pub(crate) async fn put(&self, path: &str, token: Option<&str>, body: &Value) -> Resp {
        let mut req = self.http.put(self.url(path)).json(body);
        if let Some(t) = token {
            req = req.header("x-acs-dingtalk-access-token", t);
        }
        Resp::read(req.send().await.expect("send")).await
    }

    pub(crate) async fn get(&self, path: &str, token: Option<&str>) -> Resp {
        let mut req = self.http.get(self.url(path));
        if let Some(t) = token {
            req = req.header("x-acs-dingtalk-access-token", t);
        }
        Resp::read(req.send().await.expect("send")).await
    }

    pub(crate) async fn token(&self) -> String {
        let r = self.post("/v1.0/oauth2/accessToken", None, &json!({"appKey": KEY, "appSecret": SECRET})).await;
        assert_eq!(r.status, 200, "{r:?}");
        r.json["accessToken"].as_str().expect("token").to_owned()
    }

    /// A sampleText batchSend to `users`.
    pub(crate) async fn send(&self, token: &str, users: &[&str]) -> Resp {
        self.post("/v1.0/robot/oToMessages/batchSend", Some(token), &text_message(users)).await
    }
}

pub(crate) fn text_message(users: &[&str]) -> Value {
    json!({
        "robotCode": KEY,
        "userIds": users,
        "msgKey": "sampleText",
        "msgParam": "{\"content\":\"你好\"}",
    })
}
