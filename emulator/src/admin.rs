//! Admin endpoints under `/_emulator/`, so a separate process (the binary) can be steered.
//!
//! - `GET stats` -> [`crate::Stats`] as JSON (messages counted per template too)
//! - `GET requests` -> recorded requests; `GET delivered`; `GET uploaded`
//! - `POST faults` with a [`crate::FaultRule`] as JSON; `DELETE faults`
//! - `POST revoke-tokens`
//! - `POST permissions` with `{"appKey": "...", "permissions": ["..."]}`
//! - `POST qps-limit` with `{"qpsLimit": 20}`
//! - `POST mark-read` with `{"processQueryKey": "...", "userId": "..."}`
//! - `POST backdate` with `{"processQueryKey": "...", "seconds": 90000}` (past the 24-hour window)

use std::sync::Arc;

use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use crate::faults::FaultRule;
use crate::state::Shared;

type S = State<Arc<Shared>>;

pub(crate) fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/stats", get(stats))
        .route("/requests", get(requests))
        .route("/delivered", get(delivered))
        .route("/uploaded", get(uploaded))
        .route("/faults", post(add_fault).delete(clear_faults))
        .route("/revoke-tokens", post(revoke_tokens))
        .route("/permissions", post(permissions))
        .route("/qps-limit", post(qps_limit))
        .route("/mark-read", post(mark_read))
        .route("/backdate", post(backdate))
}

fn ok() -> Response {
    Json(json!({"ok": true})).into_response()
}

fn bad(msg: impl std::fmt::Display) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({"ok": false, "error": msg.to_string()}))).into_response()
}

async fn stats(State(s): S) -> Response {
    Json(s.counters.snapshot()).into_response()
}

async fn requests(State(s): S) -> Response {
    Json(s.requests.snapshot()).into_response()
}

async fn delivered(State(s): S) -> Response {
    Json(s.delivered()).into_response()
}

async fn uploaded(State(s): S) -> Response {
    Json(s.uploads.snapshot()).into_response()
}

async fn add_fault(State(s): S, rule: Result<Json<FaultRule>, JsonRejection>) -> Response {
    match rule {
        Ok(Json(rule)) => {
            s.faults.inject(rule);
            ok()
        }
        Err(e) => bad(e.body_text()),
    }
}

async fn clear_faults(State(s): S) -> Response {
    s.faults.clear();
    ok()
}

async fn revoke_tokens(State(s): S) -> Response {
    s.revoke_tokens();
    ok()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Permissions {
    app_key: String,
    permissions: Vec<String>,
}

async fn permissions(State(s): S, body: Result<Json<Permissions>, JsonRejection>) -> Response {
    match body {
        Ok(Json(p)) => {
            if s.set_permissions(&p.app_key, p.permissions) {
                ok()
            } else {
                bad(format!("no app with AppKey {:?}", p.app_key))
            }
        }
        Err(e) => bad(e.body_text()),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct QpsLimit {
    qps_limit: u32,
}

async fn qps_limit(State(s): S, body: Result<Json<QpsLimit>, JsonRejection>) -> Response {
    match body {
        Ok(Json(q)) => {
            s.limiter.set_limit(q.qps_limit);
            ok()
        }
        Err(e) => bad(e.body_text()),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MarkRead {
    process_query_key: String,
    user_id: String,
}

async fn mark_read(State(s): S, body: Result<Json<MarkRead>, JsonRejection>) -> Response {
    match body {
        Ok(Json(m)) => {
            if s.mark_read(&m.process_query_key, &m.user_id) {
                ok()
            } else {
                bad("no such delivery to that user")
            }
        }
        Err(e) => bad(e.body_text()),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Backdate {
    process_query_key: String,
    seconds: u64,
}

async fn backdate(State(s): S, body: Result<Json<Backdate>, JsonRejection>) -> Response {
    match body {
        Ok(Json(b)) => {
            if s.backdate(&b.process_query_key, std::time::Duration::from_secs(b.seconds)) {
                ok()
            } else {
                bad("no such message")
            }
        }
        Err(e) => bad(e.body_text()),
    }
}
