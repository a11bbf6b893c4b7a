//! What a DingTalk handler is given: [`Call`], an axum extractor.
//!
//! The server's layer (`server.rs`) reads the body once, for the record and the faults, and
//! leaves it in the request as a [`Received`]; `Call` takes it from there with the headers,
//! the query and the caller's address. Handlers import this module, and it imports no handler,
//! so the server can route each path straight to its handler.

use std::net::IpAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use serde_json::Value;

use crate::conn::Peer;
use crate::reply::Reply;

/// The access-token header of the new API.
pub(crate) const TOKEN_HEADER: &str = "x-acs-dingtalk-access-token";

/// The body was larger than the endpoint reads.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BodyTooLarge;

/// The body as the server's layer read it, left in the request's extensions for [`Call`].
#[derive(Debug, Clone)]
pub(crate) struct Received {
    /// The request id of the answer.
    pub(crate) rid: String,
    pub(crate) body: Result<Bytes, BodyTooLarge>,
    /// The body parsed as JSON, when the content type said JSON: `Some(Err)` = unparsable.
    /// Shared with the layer, which records it once the handler is done.
    pub(crate) json: Option<Result<Arc<Value>, ()>>,
}

/// One request on its way through a handler.
#[derive(Debug)]
pub(crate) struct Call {
    /// The request id of the answer.
    pub(crate) rid: String,
    pub(crate) headers: HeaderMap,
    pub(crate) query: String,
    pub(crate) body: Result<Bytes, BodyTooLarge>,
    /// The body parsed as JSON, when the content type said JSON: `Some(Err)` = unparsable.
    pub(crate) json: Option<Result<Arc<Value>, ()>>,
    /// The caller's address.
    pub(crate) peer: Option<IpAddr>,
}

impl Call {
    /// A header's value, when it is valid text.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// A query parameter (the first one of that name).
    pub(crate) fn query_param(&self, name: &str) -> Option<String> {
        form_urlencoded::parse(self.query.as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
    }

    /// The body parsed as JSON, borrowed: `None` when the content type did not say JSON,
    /// `Some(Err)` when it did but the body does not parse.
    pub(crate) fn body_json(&self) -> Option<Result<&Value, ()>> {
        self.json.as_ref().map(|r| r.as_ref().map(|v| &**v).map_err(|_| ()))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Call {
    /// Only a route without the server's layer has no [`Received`]: the platform's own
    /// failure, a JSON 500, the same in both API generations.
    type Rejection = Reply;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Call, Reply> {
        let Received { rid, body, json } =
            parts.extensions.remove::<Received>().ok_or_else(|| Reply::server_error(&crate::ids::request_id()))?;
        Ok(Call {
            rid,
            headers: std::mem::take(&mut parts.headers),
            query: parts.uri.query().unwrap_or("").to_owned(),
            body,
            json,
            peer: peer(parts),
        })
    }
}

/// The caller's address, from the connection the request came on.
pub(crate) fn peer(parts: &Parts) -> Option<IpAddr> {
    parts.extensions.get::<ConnectInfo<Peer>>().map(|c| c.0.0.ip())
}

#[cfg(test)]
mod tests {
    use axum::extract::FromRequestParts;
    use axum::http::{Request, StatusCode};
    use axum::response::IntoResponse;
    use serde_json::json;

    use super::*;

    #[tokio::test]
    async fn takes_what_the_layer_left_with_the_headers_and_the_query() {
        let (mut parts, ()) =
            Request::builder().uri("/x?a=1&b=%E4%B8%AD").header(TOKEN_HEADER, "tok").body(()).unwrap().into_parts();
        let json = Some(Ok(Arc::new(json!({"k": 1}))));
        parts.extensions.insert(Received { rid: "rid-1".to_owned(), body: Ok(Bytes::from_static(b"{\"k\":1}")), json });
        let call = Call::from_request_parts(&mut parts, &()).await.unwrap();
        assert_eq!(call.rid, "rid-1");
        assert_eq!(call.header(TOKEN_HEADER), Some("tok"));
        assert_eq!(call.query_param("b").as_deref(), Some("中"));
        assert_eq!(call.body_json(), Some(Ok(&json!({"k": 1}))));
        assert_eq!(call.peer, None);
        assert!(parts.extensions.get::<Received>().is_none(), "the body is handed on once");
    }

    #[tokio::test]
    async fn unparsable_json_reads_as_an_error_and_other_bodies_as_none() {
        let (mut parts, ()) = Request::new(()).into_parts();
        parts.extensions.insert(Received {
            rid: "r".to_owned(),
            body: Ok(Bytes::from_static(b"{")),
            json: Some(Err(())),
        });
        assert_eq!(Call::from_request_parts(&mut parts, &()).await.unwrap().body_json(), Some(Err(())));
        parts.extensions.insert(Received { rid: "r".to_owned(), body: Err(BodyTooLarge), json: None });
        assert_eq!(Call::from_request_parts(&mut parts, &()).await.unwrap().body_json(), None);
    }

    #[tokio::test]
    async fn without_the_layer_it_is_the_platforms_json_500() {
        let (mut parts, ()) = Request::new(()).into_parts();
        let resp = Call::from_request_parts(&mut parts, &()).await.unwrap_err().into_response();
        assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap();
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["code"], "ServiceUnavailable");
        assert!(!body["requestid"].as_str().unwrap().is_empty());
    }
}
