//! The router, and the layer every DingTalk request goes through: read, count, fault, handle,
//! record, answer. Each path goes straight to its handler; the layer around it knows the
//! endpoint and does what every call shares.

use std::sync::Arc;
use std::time::SystemTime;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, any};
use serde_json::Value;

use crate::api::{card, gateway, group, media, robot, session, token, user, webhook};
use crate::call::{BodyTooLarge, Received, TOKEN_HEADER};
use crate::faults::{Endpoint, Fault};
use crate::ids;
use crate::record::{RecordedParts, RecordedRequest};
use crate::reply::{self, Reply};
use crate::state::Shared;
use crate::stats::Counters;
use crate::templates::MAX_UPLOAD_BODY;

/// Largest JSON body read.
const MAX_JSON_BODY: usize = 1024 * 1024;

/// The routes: the DingTalk endpoints, the admin endpoints, and a DingTalk-shaped 404.
pub(crate) fn router(state: Arc<Shared>) -> Router {
    let ep = |e: Endpoint, route: MethodRouter<Arc<Shared>>| {
        route.layer(middleware::from_fn_with_state(Route { state: state.clone(), endpoint: e }, around))
    };
    Router::new()
        .route("/v1.0/oauth2/accessToken", ep(Endpoint::Token, any(token::new_token)))
        .route("/gettoken", ep(Endpoint::GetToken, any(token::old_token)))
        .route("/v1.0/robot/oToMessages/batchSend", ep(Endpoint::BatchSend, any(robot::batch_send)))
        .route("/v1.0/robot/oToMessages/readStatus", ep(Endpoint::ReadStatus, any(robot::read_status)))
        .route("/v1.0/robot/otoMessages/batchRecall", ep(Endpoint::BatchRecall, any(robot::batch_recall)))
        .route("/media/upload", ep(Endpoint::MediaUpload, any(media::upload)))
        .route("/topapi/v2/user/getbymobile", ep(Endpoint::GetByMobile, any(user::get_by_mobile)))
        .route("/v1.0/robot/groupMessages/send", ep(Endpoint::GroupSend, any(group::send)))
        .route("/v1.0/robot/groupMessages/recall", ep(Endpoint::GroupRecall, any(group::recall)))
        .route("/robot/send", ep(Endpoint::RobotSend, any(webhook::robot_send)))
        .route("/robot/sendBySession", ep(Endpoint::SessionWebhook, any(session::send)))
        .route("/v1.0/gateway/connections/open", ep(Endpoint::StreamOpen, any(gateway::open)))
        .route(
            "/v1.0/card/instances/createAndDeliver",
            ep(Endpoint::CardCreateAndDeliver, any(card::create_and_deliver)),
        )
        .route("/v1.0/card/instances", ep(Endpoint::CardUpdate, any(card::update)))
        // Outside the layer: an upgrade is no DingTalk call to record, and its query holds
        // the ticket.
        .route("/stream/connect", any(crate::stream::socket::connect))
        .nest("/_emulator", crate::admin::router())
        .fallback(|State(s): State<Arc<Shared>>, req: Request| serve(s, None, req, None))
        .with_state(state)
}

/// What the layer around one route knows: the shared state and the route's endpoint.
#[derive(Clone)]
struct Route {
    state: Arc<Shared>,
    endpoint: Endpoint,
}

/// The method each endpoint answers; any other is an unknown API, as on the platform.
fn expected_method(e: Endpoint) -> Method {
    match e {
        Endpoint::GetToken | Endpoint::ReadStatus => Method::GET,
        Endpoint::CardUpdate => Method::PUT,
        _ => Method::POST,
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

/// The layer of a DingTalk route.
async fn around(State(route): State<Route>, req: Request, next: Next) -> Response {
    serve(route.state, Some(route.endpoint), req, Some(next)).await
}

/// Every DingTalk request, and every unknown one (`endpoint` `None`), goes through here;
/// `next` is the route's handler.
async fn serve(state: Arc<Shared>, endpoint: Option<Endpoint>, req: Request, next: Option<Next>) -> Response {
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
        (Ok(b), true) if !b.is_empty() => Some(serde_json::from_slice::<Value>(b).map(Arc::new).map_err(|_| ())),
        _ => None,
    };
    let header = |n: &str| parts.headers.get(n).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let query = parts.uri.query().unwrap_or("");
    let rec = RecordedRequest {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: redact_query(query),
        endpoint,
        content_type: header("content-type"),
        access_token: header(TOKEN_HEADER),
        body: None,
        parts: Vec::new(),
        status: 0,
        request_id: rid.clone(),
        at,
    };
    let (Some(endpoint), Some(next)) = (endpoint, next) else {
        let reply = Reply::not_found(&rid).into_response();
        return finish(&state, rec, json, rid, reply, None).await;
    };
    match endpoint {
        Endpoint::Token | Endpoint::GetToken => {
            Counters::bump(&state.counters.token_requests, 1);
        }
        Endpoint::BatchSend => Counters::bump(&state.counters.batch_send_requests, 1),
        Endpoint::GetByMobile => Counters::bump(&state.counters.mobile_lookups, 1),
        Endpoint::RobotSend => Counters::bump(&state.counters.robot_send_requests, 1),
        Endpoint::SessionWebhook => Counters::bump(&state.counters.session_webhook_requests, 1),
        Endpoint::StreamOpen => Counters::bump(&state.counters.stream_open_requests, 1),
        _ => {}
    }
    let fault = state.faults.take(endpoint);
    let refused = match fault {
        Some(Fault::Http500) => Some(Reply::server_error(&rid)),
        Some(Fault::BadGatewayHtml) => Some(Reply::bad_gateway_html()),
        Some(Fault::Throttle) => {
            Counters::bump(&state.counters.throttled, 1);
            Some(match endpoint {
                Endpoint::RobotSend => webhook::too_fast(&rid),
                _ => Reply::throttled(endpoint.is_old_api(), &rid),
            })
        }
        Some(Fault::IpNotAllowed) if endpoint == Endpoint::RobotSend => {
            Some(webhook::ip_not_allowed(&crate::call::peer(&parts).map(|ip| ip.to_string()).unwrap_or_default(), &rid))
        }
        Some(Fault::IpNotAllowed) => Some(Reply::ip_not_allowed(endpoint.is_old_api(), &rid)),
        _ => None,
    };
    let response = match refused {
        Some(reply) => reply.into_response(),
        None => {
            let received = Received { rid: rid.clone(), body, json: json.clone() };
            next.run(handed_on(parts, received)).await
        }
    };
    finish(&state, rec, json, rid, response, fault).await
}

/// The request for the handler, its body already read and left as a [`Received`].
fn handed_on(mut parts: Parts, received: Received) -> Request {
    parts.extensions.insert(received);
    Request::from_parts(parts, axum::body::Body::empty())
}

/// Records the request, then answers, breaking the answer as the fault says.
async fn finish(
    state: &Shared,
    mut rec: RecordedRequest,
    json: Option<Result<Arc<Value>, ()>>,
    rid: String,
    mut response: Response,
    fault: Option<Fault>,
) -> Response {
    rec.status = response.status().as_u16();
    if let Some(RecordedParts(parts)) = response.extensions_mut().remove::<RecordedParts>() {
        rec.parts = parts;
    }
    rec.body = match json {
        Some(Ok(v)) => {
            // The handler is done with its share: no copy unless it kept one.
            let mut v = Arc::try_unwrap(v).unwrap_or_else(|v| (*v).clone());
            if let Some(obj) = v.as_object_mut() {
                for field in ["appSecret", "clientSecret"] {
                    if let Some(secret) = obj.get_mut(field) {
                        *secret = Value::String("<redacted>".to_owned());
                    }
                }
            }
            Some(v)
        }
        _ => None,
    };
    state.requests.push(rec);
    reply::add_ids(&mut response, &rid);
    let mut response = match fault {
        Some(Fault::Delay(d)) => {
            tokio::time::sleep(d).await;
            response
        }
        Some(Fault::CloseMidAnswer) => reply::cut_mid_answer(response).await,
        Some(Fault::MalformedJson) => reply::malformed(response).await,
        _ => response,
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
