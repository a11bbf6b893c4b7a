//! `connections/open`: a ticket for one Stream WebSocket, asked of the API base with the
//! AppKey and AppSecret (which go nowhere else), and the endpoint checked before anything
//! connects to it.

use serde::Deserialize;
use serde_json::json;

use super::Connection;
use crate::api::Api;
use crate::call::Call;
use crate::error::{Error, Result, Upstream};
use crate::options::CallOptions;
use crate::secret::Secret;
use crate::stream::frame::{BOT_TOPIC, CARD_TOPIC};
use crate::transport::is_loopback;

/// What `connections/open` answers.
#[derive(Deserialize)]
struct OpenResponse {
    #[serde(default)]
    endpoint: String,
    #[serde(default)]
    ticket: String,
}

impl Connection {
    /// Asks for a Stream connection: the WebSocket URL to connect to, its `ticket` query
    /// included (so the URL is as secret as the ticket: never logged). The endpoint must be
    /// `wss://`, or `ws://` on loopback; anything else is [`Error::StreamEndpointRefused`].
    pub(crate) async fn open_stream(&self, call: &Call, options: &CallOptions) -> Result<Secret> {
        let body = json!({
            "clientId": self.app_key,
            "clientSecret": self.app_secret.expose(),
            "subscriptions": [{"type": "CALLBACK", "topic": BOT_TOPIC}, {"type": "CALLBACK", "topic": CARD_TOPIC}],
            "ua": concat!("dingtalk-robot-rpa/", env!("CARGO_PKG_VERSION")),
            "localIp": "",
        })
        .to_string();
        let url = self.api_url(Api::StreamOpen)?;
        let (bytes, request_id) = self
            .call(call, options, Api::StreamOpen, &self.api_base, |http, _| {
                http.post(url.clone())
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .header(reqwest::header::ACCEPT, "application/json")
                    .body(body.clone())
            })
            .await?;
        let answer: OpenResponse = self.parse(&bytes, Api::StreamOpen)?;
        let bad = |reason: &str| Error::BadResponse {
            url: self.api_base.clone(),
            reason: reason.to_string(),
            upstream: Box::new(Upstream { request_id: request_id.clone(), ..Upstream::default() }),
        };
        if answer.ticket.is_empty() {
            return Err(bad("the connections/open answer has no ticket"));
        }
        let mut endpoint = reqwest::Url::parse(&answer.endpoint)
            .map_err(|_| bad("the connections/open answer has no endpoint URL"))?;
        check_endpoint(&endpoint)?;
        endpoint.query_pairs_mut().append_pair("ticket", &answer.ticket);
        Ok(Secret::new(endpoint.to_string()))
    }
}

/// `wss://` anywhere, `ws://` on loopback only: a ticket never travels in clear text.
pub(crate) fn check_endpoint(endpoint: &reqwest::Url) -> Result<()> {
    match endpoint.scheme() {
        "wss" => Ok(()),
        "ws" if is_loopback(endpoint) => Ok(()),
        _ => Err(Error::StreamEndpointRefused { endpoint: endpoint.origin().ascii_serialization() }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_wss_or_loopback_ws() {
        let check = |u: &str| check_endpoint(&reqwest::Url::parse(u).unwrap());
        assert!(check("wss://wss-open-connection.dingtalk.com:443/connect").is_ok());
        assert!(check("ws://127.0.0.1:9/connect").is_ok());
        assert!(check("ws://localhost:9/connect").is_ok());
        for bad in ["ws://example.com/connect", "ws://10.0.0.1/c", "http://127.0.0.1/", "https://x.com/"] {
            assert!(matches!(check(bad), Err(Error::StreamEndpointRefused { .. })), "{bad}");
        }
    }
}
