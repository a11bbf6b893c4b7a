//! Stream mode: receiving what users send to the robot over one outgoing WebSocket.
//!
//! One [`listener::Listener`] per (API base, AppKey) in the process, opened by the first
//! [`wait_for_reply`] and shared by every later one; it closes
//! [`StreamSettings::idle_close`] after the last wait ended. Each received robot message goes
//! to one waiter only: the first (in the order the waits began) whose [`ReplyFilter`] it
//! matches; one that no waiter takes is kept a while for waits that look back.

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
}

/// Where a reply must come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Chat {
    /// The one-to-one chat with this user ID.
    User(String),
    /// This group (its openConversationId, DingTalk's `conversationId` in the message).
    Group(String),
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
}

impl ReplyFilter {
    /// Whether `reply` is one this filter takes.
    pub fn matches(&self, reply: &Reply) -> bool {
        let chat = match &self.chat {
            Chat::User(user) => !reply.group && reply.sender_user_id == *user,
            Chat::Group(group) => reply.group && reply.conversation_id == *group,
        };
        chat && (self.keywords.is_empty() || self.keywords.iter().any(|k| reply.text.contains(k.as_str())))
            && self.pattern.as_ref().is_none_or(|p| p.0.is_match(&reply.text))
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
    let started = Instant::now();
    // However long a timeout a caller passes, the clock does not overflow (a year is forever here).
    let deadline = started + wait.timeout.min(Duration::from_secs(365 * 86_400));
    let listener = listener_of(connection, options, settings);
    let hub = listener.hub();
    hub.begin();
    let _end = EndGuard(&listener);
    let since = (!wait.lookback.is_zero()).then(|| started.checked_sub(wait.lookback).unwrap_or(started));
    let (id, mut rx) = match hub.register(Arc::new(wait.filter), since) {
        Registered::Ready(reply) => {
            call.log(
                Level::Info,
                words!(
                    en: "a message received before the wait began matches it",
                    zh: "等待开始前收到的一条消息符合条件"
                ),
            );
            return Ok(Some(reply));
        }
        Registered::Waiting(id, rx) => (id, rx),
    };
    // A wait dropped half-way (its flow gone) leaves no slot behind.
    let _slot = SlotGuard(hub, id);
    let opened_before = listener.opened();
    listener.ensure_running(connection);
    let seconds = wait.timeout.as_secs();
    call.log(
        Level::Info,
        words!(
            en: format!("waiting up to {seconds} s for a reply on the Stream connection"),
            zh: format!("通过 Stream 连接等待回复，最多 {seconds} 秒")
        ),
    );
    let cancelled = tokio::select! {
        outcome = &mut rx => {
            // A closed channel (which the hub never does to a queued waiter) is no reply.
            return match outcome {
                Ok(outcome) => outcome.map(Some),
                Err(_) => Ok(None),
            };
        }
        _ = tokio::time::sleep_until(deadline) => false,
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
    if let Some(reason) = listener.last_drop().filter(|_| listener.opened() > opened_before + 1) {
        call.log(
            Level::Warn,
            words!(
                en: format!("the Stream connection was opened again during the wait (last: {reason})"),
                zh: format!("等待期间 Stream 连接断开后已重新建立（最近一次原因：{reason}）")
            ),
        );
    }
    call.log(
        Level::Info,
        words!(en: format!("no reply within {seconds} s"), zh: format!("{seconds} 秒内没有收到回复")),
    );
    Ok(None)
}

/// Counts the wait as ended however it ends (dropped futures included).
struct EndGuard<'a>(&'a Arc<Listener>);

impl Drop for EndGuard<'_> {
    fn drop(&mut self) {
        self.0.hub().end();
    }
}

/// Takes a wait's slot out of the queue however the wait ends.
struct SlotGuard<'a>(&'a hub::Hub, u64);

impl Drop for SlotGuard<'_> {
    fn drop(&mut self) {
        self.0.withdraw(self.1);
    }
}

#[cfg(test)]
mod tests;
