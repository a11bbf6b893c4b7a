//! Stream mode: DingTalk pushing to an app over a WebSocket the app opened.
//!
//! - `POST /v1.0/gateway/connections/open` (`api/gateway.rs`) checks the credentials and hands
//!   out the endpoint `ws://127.0.0.1:PORT/stream/connect` and a ticket that opens one
//!   connection within [`crate::STREAM_TICKET_TTL`] (configurable).
//! - `GET /stream/connect?ticket=...` ([`socket`]) refuses a bad, used or expired ticket before
//!   the upgrade, then serves one connection: frames out, acks in.
//! - Frames are built and acks read in [`frame`]; the robot messages pushed on
//!   `/v1.0/im/bot/messages/get` are made in [`message`].
//!
//! This hub holds the tickets, the open connections of every AppKey with the topics each
//! subscribed, and the records: every ack, every message pushed, every message lost because
//! no connection of its app was open.

pub(crate) mod click;
pub(crate) mod frame;
pub(crate) mod message;
pub(crate) mod socket;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use parking_lot::Mutex;
use rand::seq::IndexedRandom;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::mpsc;

use crate::record::{Ring, ser_time};
use crate::stats::Counters;

/// The topic of robot messages, subscribed as `CALLBACK`.
pub(crate) const BOT_MESSAGE_TOPIC: &str = "/v1.0/im/bot/messages/get";
/// The topic of interactive-card callbacks (button clicks), subscribed as `CALLBACK`.
pub(crate) const CARD_CALLBACK_TOPIC: &str = "/v1.0/card/instances/callback";

/// Most tickets remembered at once (issued and not yet expired); past it the oldest go.
const MAX_TICKETS: usize = 10_000;
/// Most pings awaiting their answer; past it the record of unanswered ones is cleared.
const MAX_PENDING_PINGS: usize = 10_000;

/// One subscription of a Stream connection, as `connections/open` takes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    /// `EVENT`, `CALLBACK` or `SYSTEM`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The topic, e.g. `/v1.0/im/bot/messages/get`.
    pub topic: String,
}

/// One ack a client sent on a Stream connection.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamAck {
    /// The app whose connection it came on.
    pub app_key: String,
    /// The connection it came on (`headers.connectionId` of the frames sent there).
    pub connection_id: String,
    /// `headers.messageId`: the frame it acknowledges.
    pub message_id: String,
    /// `code` (200 = OK); 0 when absent or not a number.
    pub code: i64,
    /// `message`, as sent (empty when absent).
    pub message: String,
    /// `data`, the JSON document as a string, as sent (empty when absent).
    pub data: String,
    /// When it arrived (milliseconds since the Unix epoch when serialized).
    #[serde(serialize_with = "ser_time")]
    pub at: SystemTime,
}

/// One message pushed to a connection (robot messages and card callbacks; pings and
/// disconnects are not listed).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamPush {
    /// The app it was pushed to.
    pub app_key: String,
    /// The one connection that got it.
    pub connection_id: String,
    /// `headers.messageId`.
    pub message_id: String,
    /// `headers.topic`.
    pub topic: String,
    /// `data`, parsed.
    pub data: Value,
    /// When it was pushed (milliseconds since the Unix epoch when serialized).
    #[serde(serialize_with = "ser_time")]
    pub at: SystemTime,
}

/// A message lost because no connection of its app (subscribed to its topic) was open, as
/// DingTalk loses it: a robot message is never delivered later.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UndeliveredMessage {
    /// The app it was for.
    pub app_key: String,
    /// The messageId it would have had.
    pub message_id: String,
    /// Its topic.
    pub topic: String,
    /// Its data.
    pub data: Value,
    /// When it was lost (milliseconds since the Unix epoch when serialized).
    #[serde(serialize_with = "ser_time")]
    pub at: SystemTime,
}

/// One open connection, as the admin page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamConnection {
    /// The app that opened it.
    pub app_key: String,
    /// Its `connectionId`.
    pub connection_id: String,
    /// What it subscribed to.
    pub subscriptions: Vec<Subscription>,
    /// It was sent `disconnect` and will be closed soon; it gets messages only when no other
    /// connection of its app is open.
    pub draining: bool,
}

/// Why a ticket opened nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TicketError {
    /// Missing, or never issued.
    Unknown,
    /// Issued, and already used for a connection.
    Used,
    /// Issued, and older than the ticket lifetime.
    Expired,
}

/// What the hub asks a connection's task to do.
#[derive(Debug)]
pub(crate) enum Out {
    /// Send this text frame.
    Frame(String),
    /// Send this `disconnect` frame, then close the socket this much later.
    Disconnect {
        /// The `disconnect` frame.
        frame: String,
        /// How long after it the socket is closed.
        close_after: Duration,
    },
}

#[derive(Debug)]
struct Ticket {
    app_key: String,
    subscriptions: Vec<Subscription>,
    issued: Instant,
    used: bool,
}

#[derive(Debug)]
struct Conn {
    info: StreamConnection,
    tx: mpsc::UnboundedSender<Out>,
}

/// A connection just admitted: its key in the hub and what its task receives.
#[derive(Debug)]
pub(crate) struct Admitted {
    /// Its key in the hub.
    pub(crate) serial: u64,
    /// What the hub queues for its task.
    pub(crate) rx: mpsc::UnboundedReceiver<Out>,
}

/// The Stream side of the emulator: tickets, open connections, records.
#[derive(Debug)]
pub(crate) struct Streams {
    endpoint: String,
    ticket_ttl: Duration,
    grace_ms: AtomicU64,
    tickets: Mutex<HashMap<String, Ticket>>,
    conns: Mutex<HashMap<u64, Conn>>,
    next_serial: AtomicU64,
    /// Pings awaiting their ack: messageId -> the data sent.
    pings: Mutex<HashMap<String, Value>>,
    /// Every ack received, oldest first.
    pub(crate) acks: Ring<StreamAck>,
    /// Every robot message pushed, oldest first.
    pub(crate) pushed: Ring<StreamPush>,
    /// Every robot message lost for want of a connection, oldest first.
    pub(crate) undelivered: Ring<UndeliveredMessage>,
}

impl Streams {
    /// A hub whose endpoint is on `port`, tickets valid `ticket_ttl`, connections closed
    /// `disconnect_grace` after their `disconnect`.
    pub(crate) fn new(port: u16, ticket_ttl: Duration, disconnect_grace: Duration, max_recorded: usize) -> Self {
        let streams = Streams {
            endpoint: format!("ws://127.0.0.1:{port}/stream/connect"),
            ticket_ttl,
            grace_ms: AtomicU64::new(0),
            tickets: Mutex::new(HashMap::new()),
            conns: Mutex::new(HashMap::new()),
            next_serial: AtomicU64::new(1),
            pings: Mutex::new(HashMap::new()),
            acks: Ring::new(max_recorded),
            pushed: Ring::new(max_recorded),
            undelivered: Ring::new(max_recorded),
        };
        streams.set_disconnect_grace(disconnect_grace);
        streams
    }

    /// The WebSocket endpoint `connections/open` answers.
    pub(crate) fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// How long after `disconnect` a connection is closed.
    pub(crate) fn set_disconnect_grace(&self, grace: Duration) {
        self.grace_ms.store(u64::try_from(grace.as_millis()).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    fn disconnect_grace(&self) -> Duration {
        Duration::from_millis(self.grace_ms.load(Ordering::Relaxed))
    }

    /// A new one-time ticket for the app.
    pub(crate) fn issue_ticket(&self, app_key: &str, subscriptions: Vec<Subscription>) -> String {
        let now = Instant::now();
        let ticket = crate::ids::stream_ticket();
        let mut tickets = self.tickets.lock();
        tickets.retain(|_, t| now.duration_since(t.issued) <= self.ticket_ttl);
        if tickets.len() >= MAX_TICKETS
            && let Some(oldest) = tickets.iter().min_by_key(|(_, t)| t.issued).map(|(k, _)| k.clone())
        {
            tickets.remove(&oldest);
        }
        tickets.insert(ticket.clone(), Ticket { app_key: app_key.to_owned(), subscriptions, issued: now, used: false });
        ticket
    }

    /// Uses a ticket up and registers the connection it opens, so that it is counted (and
    /// gets messages, queued until its task runs) before the client sees the upgrade.
    pub(crate) fn admit(&self, ticket: &str, counters: &Counters) -> Result<Admitted, TicketError> {
        let (app_key, subscriptions) = {
            let mut tickets = self.tickets.lock();
            let t = tickets.get_mut(ticket).ok_or(TicketError::Unknown)?;
            if t.used {
                return Err(TicketError::Used);
            }
            if t.issued.elapsed() > self.ticket_ttl {
                return Err(TicketError::Expired);
            }
            t.used = true;
            (t.app_key.clone(), t.subscriptions.clone())
        };
        let serial = self.next_serial.fetch_add(1, Ordering::Relaxed);
        let connection_id = crate::ids::stream_connection_id();
        let (tx, rx) = mpsc::unbounded_channel();
        let info = StreamConnection {
            app_key: app_key.clone(),
            connection_id: connection_id.clone(),
            subscriptions,
            draining: false,
        };
        self.conns.lock().insert(serial, Conn { info, tx });
        Counters::bump(&counters.stream_connections, 1);
        Ok(Admitted { serial, rx })
    }

    /// Forgets a connection (closed, failed, or dropped): its task's channel ends with it.
    pub(crate) fn forget(&self, serial: u64) {
        self.conns.lock().remove(&serial);
    }

    /// The open connections, oldest first.
    pub(crate) fn connections(&self) -> Vec<StreamConnection> {
        let conns = self.conns.lock();
        let mut list: Vec<(u64, StreamConnection)> = conns.iter().map(|(k, c)| (*k, c.info.clone())).collect();
        list.sort_by_key(|(k, _)| *k);
        list.into_iter().map(|(_, c)| c).collect()
    }

    /// How many connections of the app are open (draining ones included).
    pub(crate) fn open_count(&self, app_key: &str) -> usize {
        self.conns.lock().values().filter(|c| c.info.app_key == app_key).count()
    }

    /// Pushes `data` on `topic` to ONE open connection of the app subscribed to it, chosen at
    /// random (draining ones only when there is no other). Returns the messageId; `Err` with
    /// it when none is open (the message is then recorded as undelivered).
    pub(crate) fn push(&self, app_key: &str, topic: &str, data: Value, counters: &Counters) -> Result<String, String> {
        self.push_as(crate::ids::stream_message_id(), app_key, topic, data, counters)
    }

    /// [`Streams::push`] with this messageId (known before the push, so that its ack cannot
    /// come before the caller has noted it).
    pub(crate) fn push_as(
        &self,
        message_id: String,
        app_key: &str,
        topic: &str,
        data: Value,
        counters: &Counters,
    ) -> Result<String, String> {
        let mut conns = self.conns.lock();
        loop {
            let subscribed: Vec<(u64, bool)> = conns
                .iter()
                .filter(|(_, c)| c.info.app_key == app_key && c.info.subscriptions.iter().any(|s| s.topic == topic))
                .map(|(k, c)| (*k, c.info.draining))
                .collect();
            let live: Vec<u64> = subscribed.iter().filter(|(_, d)| !d).map(|(k, _)| *k).collect();
            let pool: Vec<u64> = if live.is_empty() { subscribed.iter().map(|(k, _)| *k).collect() } else { live };
            let Some(serial) = pool.choose(&mut rand::rng()).copied() else { break };
            let Some(conn) = conns.get(&serial) else { break };
            let text = frame::frame("CALLBACK", topic, &message_id, &conn.info, &data);
            if conn.tx.send(Out::Frame(text)).is_err() {
                // Its task is gone: forget it and choose again.
                conns.remove(&serial);
                continue;
            }
            let at = SystemTime::now();
            let connection_id = conn.info.connection_id.clone();
            drop(conns);
            Counters::bump(&counters.stream_pushed, 1);
            let push = StreamPush {
                app_key: app_key.to_owned(),
                connection_id,
                message_id: message_id.clone(),
                topic: topic.to_owned(),
                data,
                at,
            };
            self.pushed.push(push);
            return Ok(message_id);
        }
        drop(conns);
        let lost = UndeliveredMessage {
            app_key: app_key.to_owned(),
            message_id: message_id.clone(),
            topic: topic.to_owned(),
            data,
            at: SystemTime::now(),
        };
        self.undelivered.push(lost);
        Err(message_id)
    }

    /// Sends a SYSTEM `ping` with a random `opaque` to every connection; returns how many.
    pub(crate) fn ping_all(&self) -> usize {
        let conns = self.conns.lock();
        let mut pings = self.pings.lock();
        if pings.len() + conns.len() > MAX_PENDING_PINGS {
            pings.clear();
        }
        let mut sent = 0;
        for conn in conns.values() {
            let message_id = crate::ids::stream_message_id();
            let data = serde_json::json!({"opaque": crate::ids::stream_opaque()});
            let text = frame::frame("SYSTEM", "ping", &message_id, &conn.info, &data);
            if conn.tx.send(Out::Frame(text)).is_ok() {
                pings.insert(message_id, data);
                sent += 1;
            }
        }
        sent
    }

    /// Sends a SYSTEM `disconnect` to every connection not yet told, each closed after the
    /// grace time; returns how many were told.
    pub(crate) fn disconnect_all(&self) -> usize {
        let close_after = self.disconnect_grace();
        let mut conns = self.conns.lock();
        let mut told = 0;
        for conn in conns.values_mut().filter(|c| !c.info.draining) {
            let data = serde_json::json!({"reason": "emulator: disconnect on demand"});
            let frame = frame::frame("SYSTEM", "disconnect", &crate::ids::stream_message_id(), &conn.info, &data);
            if conn.tx.send(Out::Disconnect { frame, close_after }).is_ok() {
                conn.info.draining = true;
                told += 1;
            }
        }
        told
    }

    /// Closes every connection at once, without a frame; returns how many.
    pub(crate) fn drop_all(&self) -> usize {
        let dropped: Vec<Conn> = self.conns.lock().drain().map(|(_, c)| c).collect();
        dropped.len()
    }

    /// Records what a client sent on connection `serial`: an ack, and a ping answered when it
    /// echoes the ping's data. Frames that are no ack are ignored, as DingTalk does. Returns
    /// the ack recorded, for what else it answers (a card click).
    pub(crate) fn received(&self, serial: u64, text: &str, counters: &Counters) -> Option<StreamAck> {
        let ack = frame::read_ack(text)?;
        let (app_key, connection_id) = match self.conns.lock().get(&serial) {
            Some(c) => (c.info.app_key.clone(), c.info.connection_id.clone()),
            None => return None,
        };
        Counters::bump(&counters.stream_acks, 1);
        let mut pings = self.pings.lock();
        if let Some(sent) = pings.get(&ack.message_id) {
            if serde_json::from_str::<Value>(&ack.data).is_ok_and(|echo| &echo == sent) {
                pings.remove(&ack.message_id);
                Counters::bump(&counters.stream_pings_answered, 1);
            }
        }
        drop(pings);
        let ack = StreamAck {
            app_key,
            connection_id,
            message_id: ack.message_id,
            code: ack.code,
            message: ack.message,
            data: ack.data,
            at: SystemTime::now(),
        };
        self.acks.push(ack.clone());
        Some(ack)
    }
}
