//! A faithful fake DingTalk open platform on 127.0.0.1.
//!
//! It answers the endpoints the DingTalk robot plugin uses (access token in both API
//! generations, one-to-one robot batchSend with every template, readStatus, batchRecall,
//! group messages (send and recall, robot in the group), old-API media upload, user lookup by
//! mobile number, and the custom robots' webhook `robot/send` with its signature, keywords, IP
//! allow-list and per-minute ban) exactly as DingTalk does, field by field and error by error,
//! with per-app rate limiting, faults on demand, stats and a record of every request.
//!
//! It also speaks Stream mode, the WebSocket on which DingTalk pushes what users send to the
//! robot: `POST /v1.0/gateway/connections/open` checks `clientId`/`clientSecret` (HTTP 400
//! `invalidClientIdOrSecret` otherwise) and answers `{"endpoint":
//! "ws://127.0.0.1:PORT/stream/connect", "ticket"}`, a ticket that opens one connection
//! within 90 s; `GET /stream/connect?ticket=...` refuses a missing or unknown ticket with HTTP
//! 401 and a used or expired one with 403, before the upgrade. Frames are DingTalk's
//! (`specVersion`, `type`, `headers` with topic, messageId, contentType, time, appId,
//! connectionId, and `data` as a JSON string); every ack is recorded. The tests, the demo and
//! the studio steer it: [`Emulator::user_says`] and [`Emulator::user_says_in_group`] push a
//! robot message to one open connection of the app chosen at random (or record it lost),
//! [`Emulator::stream_ping`], [`Emulator::stream_disconnect`] (closing each socket 10 s
//! later) and [`Emulator::drop_stream_connections`]; the same under `/_emulator/stream/`.
//!
//! Each robot message's `sessionWebhook` is served at `POST /robot/sendBySession?session=...`
//! (text, markdown and the other custom-robot types; errcode 300001 once expired), and what
//! robots send through it is recorded ([`Emulator::session_messages`]).
//!
//! Interactive cards: `POST /v1.0/card/instances/createAndDeliver` and `PUT
//! /v1.0/card/instances` check every field strictly (known templates only, `outTrackId`
//! unique per app, permission `Card.Instance.Write`) and record each card with its updates
//! ([`Emulator::cards`]); [`Emulator::user_clicks`] pushes a button click as the card
//! callback on Stream, and the ack's `response` updates the card.
//!
//! ```no_run
//! use dingtalk_emulator::{AppConfig, Emulator, EmulatorConfig};
//! let emu = Emulator::start(EmulatorConfig {
//!     apps: vec![AppConfig::new("key", "secret")],
//!     users: vec!["u1".into(), "u2".into()],
//!     ..EmulatorConfig::default()
//! })?;
//! println!("api at {}", emu.url());
//! # Ok::<(), dingtalk_emulator::EmulatorError>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod admin;
mod api;
mod call;
mod cards;
mod config;
mod conn;
mod error;
mod faults;
mod idle;
mod ids;
mod ratelimit;
mod record;
mod reply;
mod server;
mod sessions;
mod state;
mod stats;
mod stream;
mod templates;
mod webhook;

#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::oneshot;

pub use cards::{Card, CardSpace, CardUpdate, CardUpdateSource};
pub use config::{
    AppConfig, DEFAULT_MAX_RECORDED, DEFAULT_QPS_LIMIT, DEFAULT_SESSION_WEBHOOK_TTL, DEFAULT_STREAM_DISCONNECT_GRACE,
    DEFAULT_TOKEN_TTL, DEFAULT_WEBHOOK_BAN, DEFAULT_WEBHOOK_LIMIT, DEFAULT_WEBHOOK_WINDOW, EmulatorConfig, GroupConfig,
    MAX_RECALL_KEYS, MESSAGE_WINDOW, PERM_BASE, PERM_CARD_WRITE, PERM_MEMBER_BY_MOBILE, PERM_MEMBER_READ,
    PERM_ROBOT_SEND, STREAM_TICKET_TTL, WebhookConfig,
};
pub use error::EmulatorError;
pub use faults::{Endpoint, Fault, FaultRule};
pub use record::{DeliveredMessage, RecordedPart, RecordedRequest, UploadedMedia};
pub use sessions::SessionMessage;
pub use stats::Stats;
pub use stream::{StreamAck, StreamConnection, StreamPush, Subscription, UndeliveredMessage};
pub use webhook::GroupMessage;

use state::Shared;

/// A running emulator. Dropping it (or calling [`Emulator::shutdown`]) stops the server.
#[derive(Debug)]
pub struct Emulator {
    state: Arc<Shared>,
    port: u16,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Emulator {
    /// Starts the server on `127.0.0.1:config.port` (0 = a free port) on its own tokio
    /// runtime and thread, and returns once it is listening. Safe to call from plain
    /// threads and from inside another tokio runtime (it never blocks on the caller's).
    pub fn start(config: EmulatorConfig) -> Result<Emulator, EmulatorError> {
        let bind_err = |source| EmulatorError::Bind { port: config.port, source };
        let listener = std::net::TcpListener::bind(("127.0.0.1", config.port)).map_err(bind_err)?;
        listener.set_nonblocking(true).map_err(bind_err)?;
        let port = listener.local_addr().map_err(bind_err)?.port();
        let state = Arc::new(Shared::new(&config, port)?);
        let app = server::router(state.clone());
        let shared = state.clone();
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<(), EmulatorError>>();
        // The runtime is built, run and dropped on its own thread, never in the caller's
        // (possibly async) context.
        let thread = std::thread::Builder::new()
            .name("dingtalk-emulator-main".to_owned())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name("dingtalk-emulator")
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(EmulatorError::Runtime(e)));
                        return;
                    }
                };
                runtime.block_on(async move {
                    let listener = match tokio::net::TcpListener::from_std(listener) {
                        Ok(l) => l,
                        Err(e) => {
                            let _ = ready_tx.send(Err(EmulatorError::Runtime(e)));
                            return;
                        }
                    };
                    let _ = ready_tx.send(Ok(()));
                    let listener = conn::Counted { inner: listener, state: shared };
                    tokio::select! {
                        _ = axum::serve(listener, app.into_make_service_with_connect_info::<conn::Peer>()) => {}
                        _ = stop_rx => {}
                    }
                });
                runtime.shutdown_timeout(Duration::from_millis(500));
            })
            .map_err(EmulatorError::Runtime)?;
        let started = ready_rx.recv().unwrap_or_else(|_| {
            Err(EmulatorError::Runtime(std::io::Error::other("emulator thread ended before listening")))
        });
        if let Err(e) = started {
            let _ = thread.join();
            return Err(e);
        }
        Ok(Emulator { state, port, stop: Some(stop_tx), thread: Some(thread) })
    }

    /// `http://127.0.0.1:PORT`: both the new-API and the old-API base URL.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The counters right now.
    pub fn stats(&self) -> Stats {
        self.state.counters.snapshot()
    }

    /// Every request received (bounded by `max_recorded`, oldest dropped), oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.requests.snapshot()
    }

    /// Every processed batchSend and group send (bounded by `max_recorded`), oldest first.
    pub fn delivered(&self) -> Vec<DeliveredMessage> {
        self.state.delivered()
    }

    /// Every file stored by media upload (bounded by `max_recorded`), oldest first.
    pub fn uploaded(&self) -> Vec<UploadedMedia> {
        self.state.uploads.snapshot()
    }

    /// Every message the custom robots delivered to their groups (bounded by
    /// `max_recorded`), oldest first.
    pub fn group_messages(&self) -> Vec<GroupMessage> {
        self.state.webhooks.received.snapshot()
    }

    /// Sets the server's clock `ms` milliseconds ahead of this machine's (negative: behind),
    /// as a DingTalk whose clock differs from the caller's: signed custom-robot requests are
    /// checked against it, and every answer's `Date` header tells it.
    pub fn set_clock_skew_ms(&self, ms: i64) {
        self.state.webhooks.set_skew_ms(ms);
    }

    /// Adds a fault rule; the first matching rule wins.
    pub fn inject(&self, rule: FaultRule) {
        self.state.faults.inject(rule);
    }

    /// Adds a fault rule that lets the next `requests` matching requests through untouched and
    /// then applies (e.g. break the second batchSend of a send in batches).
    pub fn inject_after(&self, requests: u32, rule: FaultRule) {
        self.state.faults.inject_after(requests, rule);
    }

    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        self.state.faults.clear();
    }

    /// Every issued token becomes invalid now (next use: HTTP 400 `InvalidAuthentication`,
    /// old API errcode 40014); the next token request issues a new one.
    pub fn revoke_tokens(&self) {
        self.state.revoke_tokens();
    }

    /// Replaces an app's permissions (e.g. `vec![]` to remove them all). Unknown apps are
    /// ignored.
    pub fn set_permissions(&self, app_key: &str, perms: Vec<String>) {
        self.state.set_permissions(app_key, perms);
    }

    /// Turns the idle-closing fault on (`Some`) or off: see
    /// [`EmulatorConfig::close_idle_after`]. Connections already idle take the new time at
    /// their next look.
    pub fn set_close_idle_after(&self, after: Option<Duration>) {
        self.state.idle_close.set(after);
    }

    /// Changes the per-app, per-API limit (0 = off).
    pub fn set_qps_limit(&self, n: u32) {
        self.state.limiter.set_limit(n);
    }

    /// Marks a delivered message as read by `user_id` (readStatus then says `READ`).
    /// Returns false when that message was not delivered to that user.
    pub fn mark_read(&self, process_query_key: &str, user_id: &str) -> bool {
        self.state.mark_read(process_query_key, user_id)
    }

    /// Moves a delivered message's send time `by` into the past: past [`MESSAGE_WINDOW`]
    /// (24 hours), readStatus answers `processQueryKey.expireTime` and a recall fails for it.
    /// Returns false when no message has that key.
    pub fn backdate(&self, process_query_key: &str, by: Duration) -> bool {
        self.state.backdate(process_query_key, by)
    }

    /// "User `user_id` sends `text` to the robot", one-to-one, with the robot of the first
    /// configured app: the robot message (every data field DingTalk pushes, a
    /// `sessionWebhook` on the emulator) goes to ONE open Stream connection of the app,
    /// chosen at random. Returns its messageId; [`EmulatorError::NoStreamConnection`] when
    /// none is open (the message is lost and listed by [`Emulator::stream_undelivered`]).
    pub fn user_says(&self, user_id: &str, text: &str) -> Result<String, EmulatorError> {
        stream::message::say(&self.state, stream::message::Chat::OneToOne { app_key: None }, user_id, text)
    }

    /// [`Emulator::user_says`] to the robot of the app `app_key`.
    pub fn user_says_to(&self, app_key: &str, user_id: &str, text: &str) -> Result<String, EmulatorError> {
        let chat = stream::message::Chat::OneToOne { app_key: Some(app_key) };
        stream::message::say(&self.state, chat, user_id, text)
    }

    /// "User `user_id` sends `text` in the group `open_conversation_id`, @-ing the robot" (of
    /// the first configured app whose robot is in the group); otherwise as
    /// [`Emulator::user_says`].
    pub fn user_says_in_group(
        &self,
        open_conversation_id: &str,
        user_id: &str,
        text: &str,
    ) -> Result<String, EmulatorError> {
        let chat = stream::message::Chat::Group { open_conversation_id };
        stream::message::say(&self.state, chat, user_id, text)
    }

    /// Every message a robot sent through a `sessionWebhook` (bounded by `max_recorded`),
    /// oldest first.
    pub fn session_messages(&self) -> Vec<SessionMessage> {
        self.state.sessions.received.snapshot()
    }

    /// How long the `sessionWebhook` of robot messages pushed from now on stays valid (see
    /// [`EmulatorConfig::session_webhook_ttl`]).
    pub fn set_session_webhook_ttl(&self, ttl: Duration) {
        self.state.sessions.set_ttl(ttl);
    }

    /// Every `sessionWebhook` handed out so far expires now (the next use answers errcode
    /// 300001). Returns how many were still valid.
    pub fn expire_session_webhooks(&self) -> usize {
        self.state.sessions.expire_all()
    }

    /// Makes an interactive-card template known, as if made and published in the card
    /// platform (see [`EmulatorConfig::card_templates`]).
    pub fn add_card_template(&self, template_id: &str) {
        self.state.cards.add_template(template_id);
    }

    /// Every interactive card delivered (bounded by `max_recorded`), oldest first, each with
    /// its `cardParamMap` now and every update in order.
    pub fn cards(&self) -> Vec<Card> {
        self.state.cards.snapshot()
    }

    /// The newest card with this `outTrackId`, if any.
    pub fn card(&self, out_track_id: &str) -> Option<Card> {
        self.state.cards.find(out_track_id)
    }

    /// "User `user_id` clicks the button sending `choice` on the card `out_track_id`": the
    /// card callback (topic `/v1.0/card/instances/callback`, `content` carrying
    /// `cardPrivateData.params.choice`) goes to ONE open Stream connection of the card's app
    /// that subscribed the topic. When the ack's `response` carries `{"cardData":
    /// {"cardParamMap": {...}}}` the card is updated at once (an update with
    /// [`CardUpdateSource::ClickAck`]). Returns the callback's messageId; an error for an
    /// unknown user or card, a one-to-one card of someone else, or no connection open (the
    /// callback is then lost and listed by [`Emulator::stream_undelivered`]).
    pub fn user_clicks(&self, user_id: &str, out_track_id: &str, choice: &str) -> Result<String, EmulatorError> {
        stream::click::click(&self.state, stream::click::Target::OutTrackId(out_track_id), user_id, choice)
    }

    /// [`Emulator::user_clicks`] on the newest card of the template `card_template_id`
    /// delivered to `user_id` one-to-one.
    pub fn user_clicks_latest(
        &self,
        user_id: &str,
        card_template_id: &str,
        choice: &str,
    ) -> Result<String, EmulatorError> {
        stream::click::click(&self.state, stream::click::Target::LatestOfTemplate(card_template_id), user_id, choice)
    }

    /// Sends a SYSTEM `ping` (data `{"opaque": random}`) to every Stream connection; the
    /// client must echo the data in its ack ([`Stats::stream_pings_answered`] counts those).
    /// Returns how many connections were pinged.
    pub fn stream_ping(&self) -> usize {
        self.state.streams.ping_all()
    }

    /// Sends a SYSTEM `disconnect` to every Stream connection and closes each socket the
    /// disconnect grace later ([`EmulatorConfig::stream_disconnect_grace`], 10 s by default).
    /// Until then they stay open, and get messages only when no other connection of their
    /// app is open. Returns how many were told.
    pub fn stream_disconnect(&self) -> usize {
        self.state.streams.disconnect_all()
    }

    /// Changes how long after `disconnect` a Stream socket is closed.
    pub fn set_stream_disconnect_grace(&self, grace: Duration) {
        self.state.streams.set_disconnect_grace(grace);
    }

    /// Closes every Stream socket at once, without a frame. Returns how many.
    pub fn drop_stream_connections(&self) -> usize {
        self.state.streams.drop_all()
    }

    /// How many Stream connections of the app are open now.
    pub fn stream_connection_count(&self, app_key: &str) -> usize {
        self.state.streams.open_count(app_key)
    }

    /// Every open Stream connection, oldest first.
    pub fn stream_connections(&self) -> Vec<StreamConnection> {
        self.state.streams.connections()
    }

    /// Every ack received on Stream connections (bounded by `max_recorded`), oldest first.
    pub fn stream_acks(&self) -> Vec<StreamAck> {
        self.state.streams.acks.snapshot()
    }

    /// Every robot message pushed on a Stream connection (bounded by `max_recorded`).
    pub fn stream_pushed(&self) -> Vec<StreamPush> {
        self.state.streams.pushed.snapshot()
    }

    /// Every robot message lost for want of an open Stream connection (bounded by
    /// `max_recorded`), oldest first.
    pub fn stream_undelivered(&self) -> Vec<UndeliveredMessage> {
        self.state.streams.undelivered.snapshot()
    }

    /// Stops the server and waits for its thread.
    pub fn shutdown(mut self) {
        self.stop_now();
    }

    fn stop_now(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.stop_now();
    }
}
