//! Counters of what the emulator saw and did.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;
use serde::Serialize;

/// A snapshot of the counters (`GET /_emulator/stats` answers the same, in camelCase).
#[derive(Serialize, Debug, Clone, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    /// Requests to either token endpoint, failed ones included.
    pub token_requests: u64,
    /// Requests to batchSend, failed, throttled and faulted ones included.
    pub batch_send_requests: u64,
    /// Recipients a message was delivered to (invalid and flow-controlled ones excluded).
    pub messages: u64,
    /// [`Stats::messages`] per template (`msgKey`): recipients delivered to, by template.
    pub messages_by_template: BTreeMap<String, u64>,
    /// Group messages delivered (`groupMessages/send`, one per group).
    pub group_messages: u64,
    /// Files stored by media upload (successful uploads only).
    pub uploads: u64,
    /// Requests to `topapi/v2/user/getbymobile`, failed ones included.
    pub mobile_lookups: u64,
    /// Requests answered with the throttling error (rate limit or `Fault::Throttle`; for the
    /// custom robots, errcode 410100, bans included).
    pub throttled: u64,
    /// Requests to the custom robots' `robot/send`, failed ones included.
    pub robot_send_requests: u64,
    /// Messages the custom robots delivered to their groups.
    pub webhook_messages: u64,
    /// Times a custom robot went past its per-minute limit and was banned.
    pub webhook_bans: u64,
    /// TCP connections accepted (the admin endpoints' own included).
    pub connections: u64,
    /// Keep-alive connections the server closed for idling (the idle-closing fault).
    pub idle_closed: u64,
    /// Requests to Stream mode's `connections/open`, failed ones included.
    pub stream_open_requests: u64,
    /// Stream WebSocket connections opened with a good ticket.
    pub stream_connections: u64,
    /// Robot messages pushed to a Stream connection (pings and disconnects not counted).
    pub stream_pushed: u64,
    /// Acks received on Stream connections.
    pub stream_acks: u64,
    /// Stream pings whose ack echoed the ping's data.
    pub stream_pings_answered: u64,
    /// Requests to a `sessionWebhook` (`robot/sendBySession`), failed ones included.
    pub session_webhook_requests: u64,
    /// Messages delivered through a `sessionWebhook`.
    pub session_webhook_messages: u64,
}

/// The live counters.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) token_requests: AtomicU64,
    pub(crate) batch_send_requests: AtomicU64,
    pub(crate) messages: AtomicU64,
    /// Only known templates are counted, so the map stays small.
    by_template: Mutex<BTreeMap<String, u64>>,
    pub(crate) group_messages: AtomicU64,
    pub(crate) uploads: AtomicU64,
    pub(crate) mobile_lookups: AtomicU64,
    pub(crate) throttled: AtomicU64,
    pub(crate) robot_send_requests: AtomicU64,
    pub(crate) webhook_messages: AtomicU64,
    pub(crate) webhook_bans: AtomicU64,
    pub(crate) connections: AtomicU64,
    pub(crate) idle_closed: AtomicU64,
    pub(crate) stream_open_requests: AtomicU64,
    pub(crate) stream_connections: AtomicU64,
    pub(crate) stream_pushed: AtomicU64,
    pub(crate) stream_acks: AtomicU64,
    pub(crate) stream_pings_answered: AtomicU64,
    pub(crate) session_webhook_requests: AtomicU64,
    pub(crate) session_webhook_messages: AtomicU64,
}

impl Counters {
    pub(crate) fn bump(counter: &AtomicU64, by: u64) {
        counter.fetch_add(by, Ordering::Relaxed);
    }

    /// Counts `recipients` delivered with the (known) template `msg_key`.
    pub(crate) fn count_template(&self, msg_key: &str, recipients: u64) {
        *self.by_template.lock().entry(msg_key.to_owned()).or_default() += recipients;
    }

    pub(crate) fn snapshot(&self) -> Stats {
        Stats {
            token_requests: self.token_requests.load(Ordering::Relaxed),
            batch_send_requests: self.batch_send_requests.load(Ordering::Relaxed),
            messages: self.messages.load(Ordering::Relaxed),
            messages_by_template: self.by_template.lock().clone(),
            group_messages: self.group_messages.load(Ordering::Relaxed),
            uploads: self.uploads.load(Ordering::Relaxed),
            mobile_lookups: self.mobile_lookups.load(Ordering::Relaxed),
            throttled: self.throttled.load(Ordering::Relaxed),
            robot_send_requests: self.robot_send_requests.load(Ordering::Relaxed),
            webhook_messages: self.webhook_messages.load(Ordering::Relaxed),
            webhook_bans: self.webhook_bans.load(Ordering::Relaxed),
            connections: self.connections.load(Ordering::Relaxed),
            idle_closed: self.idle_closed.load(Ordering::Relaxed),
            stream_open_requests: self.stream_open_requests.load(Ordering::Relaxed),
            stream_connections: self.stream_connections.load(Ordering::Relaxed),
            stream_pushed: self.stream_pushed.load(Ordering::Relaxed),
            stream_acks: self.stream_acks.load(Ordering::Relaxed),
            stream_pings_answered: self.stream_pings_answered.load(Ordering::Relaxed),
            session_webhook_requests: self.session_webhook_requests.load(Ordering::Relaxed),
            session_webhook_messages: self.session_webhook_messages.load(Ordering::Relaxed),
        }
    }
}
