//! `GET /stream/connect?ticket=...`: the WebSocket of one Stream connection.
//!
//! A missing or unknown ticket is refused with HTTP 401, a used or expired one with 403, a
//! request that is no WebSocket upgrade with 400, all before any upgrade and in the new API's
//! error shape. Once open, the connection's task sends what the hub queues for it (frames, a
//! `disconnect` followed by a close) and hands every text frame the client sends to the hub
//! as an ack. WebSocket pings from the client are answered with pongs by the WebSocket layer.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade, close_code};
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use tokio::time::Instant;

use super::{Admitted, Out, TicketError};
use crate::reply::{self, Reply};
use crate::state::Shared;

/// Largest frame read from a client (acks are small).
const MAX_CLIENT_MESSAGE: usize = 1024 * 1024;

/// The upgrade, once the ticket is good.
pub(crate) async fn connect(
    State(state): State<Arc<Shared>>,
    RawQuery(query): RawQuery,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let rid = crate::ids::request_id();
    let refuse = |status, code: &str, message: &str| {
        let mut resp = Reply::new_error(status, code, message, &rid).into_response();
        reply::add_ids(&mut resp, &rid);
        resp
    };
    let Ok(upgrade) = upgrade else {
        return refuse(StatusCode::BAD_REQUEST, "invalidParameter", "需要WebSocket升级请求");
    };
    let ticket = query
        .as_deref()
        .and_then(|q| form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == "ticket").map(|(_, v)| v.into_owned()))
        .unwrap_or_default();
    let admitted = match state.streams.admit(&ticket, &state.counters) {
        Ok(a) => a,
        Err(TicketError::Unknown) => return refuse(StatusCode::UNAUTHORIZED, "invalidTicket", "ticket无效"),
        Err(TicketError::Used) => return refuse(StatusCode::FORBIDDEN, "ticketUsed", "ticket已使用"),
        Err(TicketError::Expired) => return refuse(StatusCode::FORBIDDEN, "ticketExpired", "ticket已过期"),
    };
    let serial = admitted.serial;
    let failed = state.clone();
    upgrade
        .max_message_size(MAX_CLIENT_MESSAGE)
        .on_failed_upgrade(move |_| failed.streams.forget(serial))
        .on_upgrade(move |socket| run(socket, state, admitted))
}

/// One connection, until either side closes it or the hub forgets it (then the socket is
/// dropped without a frame).
async fn run(mut socket: WebSocket, state: Arc<Shared>, admitted: Admitted) {
    let Admitted { serial, mut rx } = admitted;
    let mut close_at: Option<Instant> = None;
    loop {
        let deadline = close_at;
        let closing = async move {
            match deadline {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            out = rx.recv() => match out {
                Some(Out::Frame(text)) => {
                    if socket.send(Message::text(text)).await.is_err() {
                        break;
                    }
                }
                Some(Out::Disconnect { frame, close_after }) => {
                    if socket.send(Message::text(frame)).await.is_err() {
                        break;
                    }
                    close_at.get_or_insert(Instant::now() + close_after);
                }
                // Forgotten (dropped): no frame, the socket just goes.
                None => return,
            },
            msg = socket.recv() => match msg {
                Some(Ok(Message::Text(text))) => {
                    if let Some(ack) = state.streams.received(serial, text.as_str(), &state.counters) {
                        state.cards.acked(&ack.message_id, ack.code, &ack.data);
                    }
                }
                Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                Some(Ok(_)) => {}
            },
            () = closing => {
                let frame = CloseFrame { code: close_code::NORMAL, reason: "disconnect".into() };
                let _ = tokio::time::timeout(Duration::from_secs(1), socket.send(Message::Close(Some(frame)))).await;
                break;
            }
        }
    }
    state.streams.forget(serial);
}
