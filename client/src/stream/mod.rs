//! Stream mode: receiving what users send to the robot over one outgoing WebSocket.
//!
//! One [`listener::Listener`] per (API base, AppKey) in the process, opened by the first
//! [`wait_for_reply`] and shared by every later one; it closes
//! [`StreamSettings::idle_close`] after the last wait ended. Each received robot message goes
//! to one waiter only: the first (in the order the waits began) whose [`ReplyFilter`] it
//! matches; failing that, the first of its chat that takes any message ([`Unclaimed::Take`]),
//! or the first that wants to be told ([`Unclaimed::Notice`]); one that no waiter takes is
//! kept a while for waits that look back. Clicks on interactive cards come on the same
//! connection and go the same way, to the waiter of that card ([`Chat::Card`]).

pub(crate) mod frame;
mod hub;
mod listener;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::time::Instant;

use crate::call::{Call, Level};
use crate::connection::Connection;
use crate::error::{Error, Result};
use crate::options::CallOptions;
use crate::secret::Secret;
use crate::words;
use hub::Registered;
use listener::Listener;

/// The largest compiled pattern allowed (the `regex` crate's size limit), so that no
/// pattern can take much memory; matching is linear in the text whatever the pattern.
pub const PATTERN_SIZE_LIMIT: usize = 1 << 20;

/// How the Stream connection of an app behaves. The first wait of an app decides them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamSettings {
    /// How often a WebSocket ping is sent; a ping without a pong by the next one means the
    /// socket is dead (DingTalk's Java SDK: 60 s).
    pub ping_interval: Duration,
    /// Close the connection this long after the last wait ended (`None`: never).
    pub idle_close: Option<Duration>,
    /// The largest frame accepted; a larger one drops the socket (and a new one is opened).
    pub max_message: usize,
    /// The first and the longest wait before opening again after a dropped socket; each
    /// wait doubles, with jitter.
    pub backoff: (Duration, Duration),
}

impl Default for StreamSettings {
    /// Pings every 60 s, closed 10 minutes after the last wait, 1 MB frames, backoff 1 s to 60 s.
    fn default() -> Self {
        StreamSettings {
            ping_interval: Duration::from_secs(60),
            idle_close: Some(Duration::from_secs(600)),
            max_message: 1 << 20,
            backoff: (Duration::from_secs(1), Duration::from_secs(60)),
        }
    }
}

/// A robot message as a wait hands it over.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reply {
    /// DingTalk's `msgtype` as it came (`text`, `richText`, `picture`, ...).
    pub msg_type: String,
    /// The text: a rich text's text parts joined; empty for a picture.
    pub text: String,
    /// The sender's user ID (`senderStaffId`).
    pub sender_user_id: String,
    /// The sender's name as DingTalk shows it.
    pub sender_nick: String,
    /// When it was sent (`createAt`), in milliseconds since the Unix epoch.
    pub created_at_ms: i64,
    /// The conversation it came in.
    pub conversation_id: String,
    /// Whether it came in a group (`conversationType` "2").
    pub group: bool,
    /// DingTalk's `msgId`.
    pub message_id: String,
    /// Where a reply into this conversation may be posted while it is valid (`sessionWebhook`):
    /// a URL that lets anyone post there, so kept as a secret.
    pub session_webhook: Option<Secret>,
    /// Until when `session_webhook` is valid, in milliseconds since the Unix epoch.
    pub session_webhook_expires_ms: i64,
    /// For a click on an interactive card: the card's outTrackId (empty for a message). The
    /// click's `choice` parameter is in `text`, the clicker in `sender_user_id`.
    pub out_track_id: String,
}

impl Reply {
    /// Whether this is a click on an interactive card rather than a message.
    pub fn is_card_click(&self) -> bool {
        !self.out_track_id.is_empty()
    }
}

/// Where a reply must come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Chat {
    /// The one-to-one chat with this user ID.
    User(String),
    /// This group (its openConversationId, DingTalk's `conversationId` in the message).
    Group(String),
    /// Clicks, by anyone, on the interactive card with this outTrackId.
    Card(String),
}

impl Chat {
    /// Whether `reply` was said in this chat (or is a click on this card).
    pub fn holds(&self, reply: &Reply) -> bool {
        match self {
            Chat::User(user) => !reply.is_card_click() && !reply.group && reply.sender_user_id == *user,
            Chat::Group(group) => !reply.is_card_click() && reply.group && reply.conversation_id == *group,
            Chat::Card(out_track_id) => reply.is_card_click() && reply.out_track_id == *out_track_id,
        }
    }
}

/// A waiter's own test of a message, beyond chat, keywords and pattern: an ask takes only a
/// reply that is one of its choices, and leaves the rest to other waiters.
#[derive(Clone)]
pub struct Accept(pub Arc<dyn Fn(&Reply) -> bool + Send + Sync>);

impl std::fmt::Debug for Accept {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Accept(..)")
    }
}

/// For a card's waiter: the `response` the acknowledgement of the click it takes carries
/// (DingTalk updates the card with it at once), made from the click.
#[derive(Clone)]
pub struct CardAck(pub Arc<dyn Fn(&Reply) -> serde_json::Value + Send + Sync>);

impl std::fmt::Debug for CardAck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CardAck(..)")
    }
}

/// What a waiter does with a message of its chat that no waiter's whole filter took (text
/// that is none of an ask's choices). Only the oldest such waiter of the chat gets it.
#[derive(Debug, Clone, Default)]
pub enum Unclaimed {
    /// Nothing: the message is kept for waits that look back.
    #[default]
    Leave,
    /// Takes it as its reply (an ask that allows other text).
    Take,
    /// Is told of a copy, which stays kept for waits that look back (an ask that reminds the
    /// person of its choices). A full channel drops the copy.
    Notice(tokio::sync::mpsc::Sender<Reply>),
}

/// A compiled pattern (the `regex` crate: linear-time matching).
#[derive(Debug, Clone)]
pub struct Pattern(regex::Regex);

impl Pattern {
    /// Compiles `text` within [`PATTERN_SIZE_LIMIT`]; the error says why not, in English.
    pub fn new(text: &str) -> std::result::Result<Self, String> {
        regex::RegexBuilder::new(text)
            .size_limit(PATTERN_SIZE_LIMIT)
            .dfa_size_limit(PATTERN_SIZE_LIMIT)
            .build()
            .map(Pattern)
            .map_err(|e| e.to_string())
    }
}

/// Which messages a wait takes.
#[derive(Debug, Clone)]
pub struct ReplyFilter {
    /// The chat.
    pub chat: Chat,
    /// When not empty, the text must contain one of them.
    pub keywords: Vec<String>,
    /// When set, the text must match it.
    pub pattern: Option<Pattern>,
    /// When set, it must accept the message too.
    pub accept: Option<Accept>,
    /// What it does with a message of its chat that no waiter took.
    pub unclaimed: Unclaimed,
    /// For a card: the acknowledgement's `response` for the click it takes.
    pub card_ack: Option<CardAck>,
}

impl ReplyFilter {
    /// A filter taking every message of `chat`: add keywords, a pattern or an [`Accept`] to
    /// narrow it.
    pub fn new(chat: Chat) -> Self {
        ReplyFilter {
            chat,
            keywords: Vec::new(),
            pattern: None,
            accept: None,
            unclaimed: Unclaimed::Leave,
            card_ack: None,
        }
    }

    /// Whether `reply` is one this filter takes.
    pub fn matches(&self, reply: &Reply) -> bool {
        self.chat.holds(reply)
            && (self.keywords.is_empty() || self.keywords.iter().any(|k| reply.text.contains(k.as_str())))
            && self.pattern.as_ref().is_none_or(|p| p.0.is_match(&reply.text))
            && self.accept.as_ref().is_none_or(|a| (a.0)(reply))
    }
}

/// One wait: for what, how long, and how far back.
#[derive(Debug, Clone)]
pub struct Wait {
    /// Which messages it takes.
    pub filter: ReplyFilter,
    /// How long it waits.
    pub timeout: Duration,
    /// A message the listener received up to this long before the wait began counts too.
    pub lookback: Duration,
}

/// The listeners of this process, by (API base, AppKey).
type Listeners = Mutex<HashMap<(String, String), Arc<Listener>>>;

/// The listeners of this process, made on first use.
fn listeners() -> &'static Listeners {
    static LISTENERS: OnceLock<Listeners> = OnceLock::new();
    LISTENERS.get_or_init(Mutex::default)
}

/// The listener of `connection`'s app, made (not opened) on first use.
fn listener_of(connection: &Arc<Connection>, options: &CallOptions, settings: &StreamSettings) -> Arc<Listener> {
    let key = (connection.api_base().to_string(), connection.app_key().to_string());
    let mut all = listeners().lock().unwrap_or_else(|p| p.into_inner());
    all.entry(key)
        .or_insert_with(|| Arc::new(Listener::new(connection.clone(), options.clone(), settings.clone())))
        .clone()
}

/// How many Stream connections the listener of `connection`'s app has opened so far (for
/// tests and benchmarks).
pub fn connections_opened(connection: &Connection) -> u64 {
    let key = (connection.api_base().to_string(), connection.app_key().to_string());
    let all = listeners().lock().unwrap_or_else(|p| p.into_inner());
    all.get(&key).map_or(0, |l| l.opened())
}

/// Waits for a robot message that `wait.filter` takes, on the app's shared Stream
/// connection (opened now if it is not open): `Some(reply)`, `None` when `wait.timeout`
/// passes first, [`Error::Cancelled`] within a few tens of milliseconds of
/// [`Call::cancel`], or the error that keeps the connection from opening (refused
/// credentials, an endpoint that is not `wss://`). A dropped socket is opened again
/// meanwhile; the timeout holds all the same.
pub async fn wait_for_reply(
    connection: &Arc<Connection>,
    call: &Call,
    options: &CallOptions,
    settings: &StreamSettings,
    wait: Wait,
) -> Result<Option<Reply>> {
    begin(connection, call, options, settings, wait).until(call).await
}

/// Begins a wait: queued at once (so a message that arrives from now on is not missed) and
/// the app's Stream connection started; [`Waiting::until`] then waits for the outcome. An
/// ask begins its wait before it sends its question, and [`Waiting::connected`] before it
/// sends, so that an answer cannot come while nothing listens.
pub fn begin(
    connection: &Arc<Connection>,
    call: &Call,
    options: &CallOptions,
    settings: &StreamSettings,
    wait: Wait,
) -> Waiting {
    let started = Instant::now();
    // However long a timeout a caller passes, the clock does not overflow (a year is forever here).
    let deadline = started + wait.timeout.min(Duration::from_secs(365 * 86_400));
    let listener = listener_of(connection, options, settings);
    listener.hub().begin();
    let since = (!wait.lookback.is_zero()).then(|| started.checked_sub(wait.lookback).unwrap_or(started));
    let filter = Arc::new(wait.filter);
    let slot = match listener.hub().register(filter.clone(), since) {
        Registered::Ready(reply) => {
            call.log(Level::Info, words!(en: "a message received before the wait began matches it", zh: "等待开始前收到的一条消息符合条件"));
            Slot::Ready(Some(reply))
        }
        Registered::Waiting(id, rx) => Slot::Queued(id, rx),
    };
    let opened_before = listener.opened();
    let mut fleet_look_back = None;
    if matches!(slot, Slot::Queued(..)) {
        // With a fleet, messages another process of the app received reach this one too.
        if let Some(fleet) = connection.fleet() {
            fleet.follow(connection.fleet_stream(), listener.clone());
            if !wait.lookback.is_zero() {
                fleet_look_back = Some(FleetLookBack {
                    fleet,
                    stream: connection.fleet_stream().to_string(),
                    filter,
                    lookback: wait.lookback,
                });
            }
        }
        listener.ensure_running(connection);
        let seconds = wait.timeout.as_secs();
        call.log(
            Level::Info,
            words!(
                en: format!("waiting up to {seconds} s for a reply on the Stream connection"),
                zh: format!("通过 Stream 连接等待回复，最多 {seconds} 秒")
            ),
        );
    }
    Waiting { listener, slot, deadline, timeout: wait.timeout, opened_before, fleet_look_back }
}

/// What a wait that looks back still has to read of the fleet's Redis Stream: messages that
/// other processes of the app received before it began.
struct FleetLookBack {
    fleet: Arc<crate::fleet::Fleet>,
    stream: String,
    filter: Arc<ReplyFilter>,
    lookback: Duration,
}

/// A wait begun by [`begin`]: its place in the queue until it ends or is dropped (a wait
/// dropped half-way, its flow gone, leaves no slot behind).
pub struct Waiting {
    listener: Arc<Listener>,
    slot: Slot,
    deadline: Instant,
    timeout: Duration,
    opened_before: u64,
    /// Read once, on the first [`Waiting::until`].
    fleet_look_back: Option<FleetLookBack>,
}

/// Where a [`Waiting`] stands.
enum Slot {
    /// A message looked back at matched (taken once).
    Ready(Option<Reply>),
    /// Queued: its id and where its outcome arrives.
    Queued(u64, tokio::sync::oneshot::Receiver<hub::Outcome>),
}

impl Waiting {
    /// Returns once the app's Stream connection is open (at once when it is), so that what
    /// is sent next cannot be answered while nothing listens: the error that keeps it from
    /// opening, [`Error::Cancelled`], or a timeout after `within`.
    pub async fn connected(&self, call: &Call, within: Duration) -> Result<()> {
        let until = Instant::now() + within;
        loop {
            if self.listener.is_connected() || matches!(self.slot, Slot::Ready(_)) {
                return Ok(());
            }
            call.check_cancelled()?;
            let error = self.listener.last_open_error();
            if let Some(e) = error.as_ref().filter(|e| listener::fatal(e)) {
                return Err(e.clone());
            }
            if Instant::now() >= until {
                return Err(error.unwrap_or_else(|| Error::Timeout {
                    url: self.listener.api_base(),
                    seconds: within.as_secs(),
                    nothing_sent: true,
                }));
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Waits for the outcome: `Some(reply)`, `None` at the deadline, [`Error::Cancelled`]
    /// soon after [`Call::cancel`], or the error that keeps the connection from opening.
    /// Safe to drop half-way and call again (an ask does, to send reminders meanwhile).
    pub async fn until(&mut self, call: &Call) -> Result<Option<Reply>> {
        if let Slot::Queued(id, _) = self.slot
            && let Some(back) = self.fleet_look_back.take()
            && let Some(reply) = back.fleet.look_back(call, &back.stream, &back.filter, back.lookback).await
        {
            let hub = self.listener.hub();
            if hub.withdraw(id) {
                call.log(Level::Info, words!(en: "a message received before the wait began matches it", zh: "等待开始前收到的一条消息符合条件"));
                self.slot = Slot::Ready(None);
                return Ok(Some(reply));
            }
            // A message of this process's own came first: the claimed one goes to the next wait.
            hub.deliver(&reply.message_id.clone(), reply);
        }
        let (id, rx) = match &mut self.slot {
            Slot::Ready(reply) => return Ok(reply.take()),
            Slot::Queued(id, rx) => (*id, rx),
        };
        let listener = &self.listener;
        let hub = listener.hub();
        let cancelled = tokio::select! {
            outcome = &mut *rx => {
                // A closed channel (which the hub never does to a queued waiter) is no reply.
                return match outcome {
                    Ok(outcome) => outcome.map(Some),
                    Err(_) => Ok(None),
                };
            }
            _ = tokio::time::sleep_until(self.deadline) => false,
            // Woken by the cancel itself: an idle wait costs nothing until then.
            _ = call.cancelled() => true,
        };
        // Timed out or cancelled: a reply handed over meanwhile is not lost.
        if !hub.withdraw(id)
            && let Ok(outcome) = rx.try_recv()
        {
            return outcome.map(Some);
        }
        if cancelled {
            return Err(Error::Cancelled { in_flight: None });
        }
        // Not a quiet "no reply" when nothing was listening: say why the connection could not open.
        if !listener.is_connected()
            && let Some(e) = listener.last_open_error()
        {
            return Err(e);
        }
        if let Some(reason) = listener.last_drop().filter(|_| listener.opened() > self.opened_before + 1) {
            call.log(
                Level::Warn,
                words!(
                    en: format!("the Stream connection was opened again during the wait (last: {reason})"),
                    zh: format!("等待期间 Stream 连接断开后已重新建立（最近一次原因：{reason}）")
                ),
            );
        }
        let seconds = self.timeout.as_secs();
        call.log(
            Level::Info,
            words!(en: format!("no reply within {seconds} s"), zh: format!("{seconds} 秒内没有收到回复")),
        );
        Ok(None)
    }
}

impl Drop for Waiting {
    /// Takes the slot out of the queue and counts the wait as ended, however it ends.
    fn drop(&mut self) {
        if let Slot::Queued(id, _) = self.slot {
            self.listener.hub().withdraw(id);
        }
        self.listener.hub().end();
    }
}

#[cfg(test)]
mod tests;
