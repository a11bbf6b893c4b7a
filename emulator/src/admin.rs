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
//! - `GET group-messages`: what the custom robots' groups received
//! - `POST clock-skew` with `{"skewMs": 7200000}`
//! - Stream mode:
//!   - `POST stream/user-says` with `{"userId": "...", "text": "...", "appKey": "..." (optional),
//!     "openConversationId": "..." (optional: in that group, @-ing the robot)}` ->
//!     `{"ok": true, "messageId": "..."}`; `{"ok": false, "error": ...}` (HTTP 409) when no
//!     connection of the app is open and the message is lost, (HTTP 400) for an unknown user,
//!     app or group
//!   - `POST stream/ping` -> `{"ok": true, "connections": n}`
//!   - `POST stream/disconnect` with `{"closeAfterMs": 10000}` (optional, kept for later
//!     disconnects) -> `{"ok": true, "connections": n}`
//!   - `POST stream/drop` -> `{"ok": true, "connections": n}`: every socket closed, no frame
//!   - `GET stream/connections`, `GET stream/acks`, `GET stream/pushed`, `GET stream/undelivered`
//! - Session webhooks:
//!   - `GET session-messages` -> what robots sent through a message's `sessionWebhook`
//!   - `POST sessions/expire` -> `{"ok": true, "sessions": n}`: every session handed out expires
//!   - `POST sessions/ttl` with `{"ttlMs": 5400000}`: how long later sessions stay valid
//! - Interactive cards:
//!   - `GET cards` -> every card delivered, with its `cardParamMap` now and its updates
//!   - `POST cards/templates` with `{"cardTemplateId": "..."}`: a template becomes known
//!   - `POST cards/click` with `{"userId": "...", "choice": "...", "outTrackId": "..."}` (or
//!     `"cardTemplateId"` instead of `outTrackId`: the newest card of that template delivered
//!     to the user) -> `{"ok": true, "messageId": "..."}`; `{"ok": false, "error": ...}` (HTTP
//!     409) when no connection subscribed the card topic and the click is lost, (HTTP 400) for
//!     an unknown user or card

use std::sync::Arc;

use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use crate::error::EmulatorError;
use crate::faults::FaultRule;
use crate::state::Shared;
use crate::stream::click::Target;
use crate::stream::message::Chat;

type S = State<Arc<Shared>>;

/// The admin routes, nested under `/_emulator`.
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
        .route("/group-messages", get(group_messages))
        .route("/clock-skew", post(clock_skew))
        .route("/stream/user-says", post(user_says))
        .route("/stream/ping", post(stream_ping))
        .route("/stream/disconnect", post(stream_disconnect))
        .route("/stream/drop", post(stream_drop))
        .route("/stream/connections", get(|State(s): S| async move { Json(s.streams.connections()).into_response() }))
        .route("/stream/acks", get(|State(s): S| async move { Json(s.streams.acks.snapshot()).into_response() }))
        .route("/stream/pushed", get(|State(s): S| async move { Json(s.streams.pushed.snapshot()).into_response() }))
        .route(
            "/session-messages",
            get(|State(s): S| async move { Json(s.sessions.received.snapshot()).into_response() }),
        )
        .route(
            "/sessions/expire",
            post(|State(s): S| async move {
                Json(json!({"ok": true, "sessions": s.sessions.expire_all()})).into_response()
            }),
        )
        .route("/sessions/ttl", post(session_ttl))
        .route("/cards", get(|State(s): S| async move { Json(s.cards.snapshot()).into_response() }))
        .route("/cards/templates", post(card_template))
        .route("/cards/click", post(card_click))
        .route(
            "/stream/undelivered",
            get(|State(s): S| async move { Json(s.streams.undelivered.snapshot()).into_response() }),
        )
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

async fn group_messages(State(s): S) -> Response {
    Json(s.webhooks.received.snapshot()).into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ClockSkew {
    skew_ms: i64,
}

async fn clock_skew(State(s): S, body: Result<Json<ClockSkew>, JsonRejection>) -> Response {
    match body {
        Ok(Json(c)) => {
            s.webhooks.set_skew_ms(c.skew_ms);
            ok()
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

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UserSays {
    user_id: String,
    text: String,
    #[serde(default)]
    app_key: Option<String>,
    #[serde(default)]
    open_conversation_id: Option<String>,
}

async fn user_says(State(s): S, body: Result<Json<UserSays>, JsonRejection>) -> Response {
    let u = match body {
        Ok(Json(u)) => u,
        Err(e) => return bad(e.body_text()),
    };
    let chat = match &u.open_conversation_id {
        Some(group) => Chat::Group { open_conversation_id: group },
        None => Chat::OneToOne { app_key: u.app_key.as_deref() },
    };
    pushed(crate::stream::message::say(&s, chat, &u.user_id, &u.text))
}

/// A steering call's answer: the messageId pushed, or why not (409 when it was lost for want
/// of a connection, 400 otherwise).
fn pushed(result: Result<String, EmulatorError>) -> Response {
    match result {
        Ok(message_id) => Json(json!({"ok": true, "messageId": message_id})).into_response(),
        Err(e @ EmulatorError::NoStreamConnection { .. }) => {
            (StatusCode::CONFLICT, Json(json!({"ok": false, "error": e.to_string()}))).into_response()
        }
        Err(e) => bad(e),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SessionTtl {
    ttl_ms: u64,
}

async fn session_ttl(State(s): S, body: Result<Json<SessionTtl>, JsonRejection>) -> Response {
    match body {
        Ok(Json(t)) => {
            s.sessions.set_ttl(std::time::Duration::from_millis(t.ttl_ms));
            ok()
        }
        Err(e) => bad(e.body_text()),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CardTemplate {
    card_template_id: String,
}

async fn card_template(State(s): S, body: Result<Json<CardTemplate>, JsonRejection>) -> Response {
    match body {
        Ok(Json(t)) if !t.card_template_id.is_empty() => {
            s.cards.add_template(&t.card_template_id);
            ok()
        }
        Ok(_) => bad("cardTemplateId is empty"),
        Err(e) => bad(e.body_text()),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CardClick {
    user_id: String,
    choice: String,
    #[serde(default)]
    out_track_id: Option<String>,
    #[serde(default)]
    card_template_id: Option<String>,
}

async fn card_click(State(s): S, body: Result<Json<CardClick>, JsonRejection>) -> Response {
    let c = match body {
        Ok(Json(c)) => c,
        Err(e) => return bad(e.body_text()),
    };
    let target = match (&c.out_track_id, &c.card_template_id) {
        (Some(id), _) => Target::OutTrackId(id),
        (None, Some(template)) => Target::LatestOfTemplate(template),
        (None, None) => return bad("give outTrackId or cardTemplateId"),
    };
    pushed(crate::stream::click::click(&s, target, &c.user_id, &c.choice))
}

async fn stream_ping(State(s): S) -> Response {
    Json(json!({"ok": true, "connections": s.streams.ping_all()})).into_response()
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Disconnect {
    #[serde(default)]
    close_after_ms: Option<u64>,
}

async fn stream_disconnect(State(s): S, body: Option<Json<Disconnect>>) -> Response {
    let Disconnect { close_after_ms } = body.map(|Json(d)| d).unwrap_or_default();
    if let Some(ms) = close_after_ms {
        s.streams.set_disconnect_grace(std::time::Duration::from_millis(ms));
    }
    Json(json!({"ok": true, "connections": s.streams.disconnect_all()})).into_response()
}

async fn stream_drop(State(s): S) -> Response {
    Json(json!({"ok": true, "connections": s.streams.drop_all()})).into_response()
}
