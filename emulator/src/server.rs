//! The router, and the path every request takes: read, fault, handle, record, answer.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::SystemTime;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method};
use axum::response::Response;
use axum::routing::any;
use serde_json::Value;

use crate::api;
use crate::faults::{Endpoint, Fault};
use crate::ids;
use crate::record::RecordedRequest;
use crate::reply::Reply;
use crate::state::Shared;
use crate::stats::Counters;
use crate::templates::MAX_UPLOAD_BODY;

/// Largest JSON body read.
const MAX_JSON_BODY: usize = 1024 * 1024;

/// The access-token header of the new API.
pub(crate) const TOKEN_HEADER: &str = "x-acs-dingtalk-access-token";

/// The body was larger than the endpoint reads.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BodyTooLarge;

/// One request on its way through a handler.
#[derive(Debug)]
pub(crate) struct Call {
    /// The request id of the answer.
    pub(crate) rid: String,
    pub(crate) headers: HeaderMap,
    pub(crate) query: String,
    pub(crate) body: Result<Bytes, BodyTooLarge>,
    /// The body parsed as JSON, when the content type said JSON: `Some(Err)` = unparsable.
    pub(crate) json: Option<Result<Value, ()>>,
    /// What will be recorded; handlers add multipart parts.
    pub(crate) rec: RecordedRequest,
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
}

/// True when the content type is `application/json` (with or without parameters).
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"))
}

/// The routes: the DingTalk endpoints, the admin endpoints, and a DingTalk-shaped 404.
pub(crate) fn router(state: Arc<Shared>) -> Router {
    let ep = |e: Endpoint| any(move |State(s): State<Arc<Shared>>, req: Request| dispatch(s, Some(e), req));
    Router::new()
        .route("/v1.0/oauth2/accessToken", ep(Endpoint::Token))
        .route("/gettoken", ep(Endpoint::GetToken))
        .route("/v1.0/robot/oToMessages/batchSend", ep(Endpoint::BatchSend))
        .route("/v1.0/robot/oToMessages/readStatus", ep(Endpoint::ReadStatus))
        .route("/v1.0/robot/otoMessages/batchRecall", ep(Endpoint::BatchRecall))
        .route("/media/upload", ep(Endpoint::MediaUpload))
        .route("/topapi/v2/user/getbymobile", ep(Endpoint::GetByMobile))
        .route("/v1.0/robot/groupMessages/send", ep(Endpoint::GroupSend))
        .route("/v1.0/robot/groupMessages/recall", ep(Endpoint::GroupRecall))
        .route("/robot/send", ep(Endpoint::RobotSend))
        .nest("/_emulator", crate::admin::router())
        .fallback(|State(s): State<Arc<Shared>>, req: Request| dispatch(s, None, req))
        .with_state(state)
}

fn expected_method(e: Endpoint) -> Method {
    match e {
        Endpoint::GetToken | Endpoint::ReadStatus => Method::GET,
        _ => Method::POST,
    }
}

/// Every DingTalk request goes through here.
async fn dispatch(state: Arc<Shared>, endpoint: Option<Endpoint>, req: Request) -> Response {
    let at = SystemTime::now();
    let rid = ids::request_id();
    let (parts, body) = req.into_parts();
    // A known path with the wrong method is an unknown API, as on the platform.
    let endpoint = endpoint.filter(|e| parts.method == expected_method(*e));
    let limit = match endpoint {
        Some(Endpoint::MediaUpload) => MAX_UPLOAD_BODY,
        _ => MAX_JSON_BODY,
    };
    let body = axum::body::to_bytes(body, limit).await.map_err(|_| BodyTooLarge);
    let json = match (&body, is_json(&parts.headers)) {
        (Ok(b), true) if !b.is_empty() => Some(serde_json::from_slice::<Value>(b).map_err(|_| ())),
        _ => None,
    };
    let header = |n: &str| parts.headers.get(n).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let query = parts.uri.query().unwrap_or("").to_owned();
    let rec = RecordedRequest {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: redact_query(&query),
        endpoint,
        content_type: header("content-type"),
        access_token: header(TOKEN_HEADER),
        body: None,
        parts: Vec::new(),
        status: 0,
        request_id: rid.clone(),
        at,
    };
    let peer = parts.extensions.get::<ConnectInfo<crate::conn::Peer>>().map(|c| c.0.0.ip());
    let mut call = Call { rid, headers: parts.headers, query, body, json, rec, peer };

    let Some(endpoint) = endpoint else {
        let reply = Reply::not_found(&call.rid);
        return finish(&state, call, reply, None).await;
    };
    match endpoint {
        Endpoint::Token | Endpoint::GetToken => {
            Counters::bump(&state.counters.token_requests, 1);
        }
        Endpoint::BatchSend => Counters::bump(&state.counters.batch_send_requests, 1),
        Endpoint::GetByMobile => Counters::bump(&state.counters.mobile_lookups, 1),
        Endpoint::RobotSend => Counters::bump(&state.counters.robot_send_requests, 1),
        _ => {}
    }
    let fault = state.faults.take(endpoint);
    let reply = match fault {
        Some(Fault::Http500) => Reply::server_error(&call.rid),
        Some(Fault::BadGatewayHtml) => Reply::bad_gateway_html(),
        Some(Fault::Throttle) => {
            Counters::bump(&state.counters.throttled, 1);
            match endpoint {
                Endpoint::RobotSend => api::webhook::too_fast(&call.rid),
                _ => Reply::throttled(endpoint.is_old_api(), &call.rid),
            }
        }
        Some(Fault::IpNotAllowed) if endpoint == Endpoint::RobotSend => {
            api::webhook::ip_not_allowed(&call.peer.map(|ip| ip.to_string()).unwrap_or_default(), &call.rid)
        }
        Some(Fault::IpNotAllowed) => Reply::ip_not_allowed(endpoint.is_old_api(), &call.rid),
        _ => api::handle(&state, endpoint, &mut call).await,
    };
    finish(&state, call, reply, fault).await
}

/// Records the request, then answers, breaking the answer as the fault says.
async fn finish(state: &Shared, mut call: Call, reply: Reply, fault: Option<Fault>) -> Response {
    call.rec.status = reply.status.as_u16();
    call.rec.body = match call.json.take() {
        Some(Ok(mut v)) => {
            if let Some(obj) = v.as_object_mut() {
                if let Some(secret) = obj.get_mut("appSecret") {
                    *secret = Value::String("<redacted>".to_owned());
                }
            }
            Some(v)
        }
        _ => None,
    };
    let rid = call.rid;
    state.requests.push(call.rec);
    let mut response = match fault {
        Some(Fault::Delay(d)) => {
            tokio::time::sleep(d).await;
            reply.into_response(&rid)
        }
        Some(Fault::CloseMidAnswer) => reply.into_cut_response(&rid),
        Some(Fault::MalformedJson) => reply.malformed().into_response(&rid),
        _ => reply.into_response(&rid),
    };
    // The `Date` of the server's clock (which a test may set off from this machine's).
    if let Ok(date) = HeaderValue::from_str(&httpdate::fmt_http_date(state.webhooks.now())) {
        response.headers_mut().insert(axum::http::header::DATE, date);
    }
    response
}

/// The query with secret values replaced.
fn redact_query(query: &str) -> String {
    if !query.to_ascii_lowercase().contains("appsecret") {
        return query.to_owned();
    }
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        if k.eq_ignore_ascii_case("appsecret") {
            out.append_pair(&k, "<redacted>");
        } else {
            out.append_pair(&k, &v);
        }
    }
    out.finish()
}
