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
