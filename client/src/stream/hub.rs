//! [`Hub`]: where received robot messages meet the waiters of one app — each message goes to
//! the first waiter (in the order they began) whose filter it matches, and only to it; one
//! no waiter takes stays a while for a waiter that looks back. Repeated messageIds are
//! dropped.

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::time::Instant;

use super::{Reply, ReplyFilter};
use crate::error::{Error, Result};

/// How long a message no waiter took is kept for lookback.
pub(crate) const RECENT_FOR: Duration = Duration::from_secs(600);
/// The most messages kept for lookback.
pub(crate) const RECENT_MAX: usize = 1000;
/// The most messageIds remembered for dropping repeats.
pub(crate) const SEEN_MAX: usize = 10_000;

/// What a waiter is handed: a reply, or the error that ended the listener.
pub(crate) type Outcome = Result<Reply>;

/// One app's waiters and recent messages.
#[derive(Default)]
pub(crate) struct Hub {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    waiters: VecDeque<Slot>,
    recent: VecDeque<Recent>,
    seen: HashSet<String>,
    seen_order: VecDeque<String>,
    next_id: u64,
    /// Waits begun and not ended.
    active: usize,
    /// When the last wait ended (or the hub was made).
    idle_since: Option<Instant>,
}

/// A waiter still waiting.
struct Slot {
    id: u64,
    filter: Arc<ReplyFilter>,
    tx: oneshot::Sender<Outcome>,
}

/// A message no waiter took when it came.
struct Recent {
    at: Instant,
    reply: Reply,
}

/// A wait begun: a reply already there (lookback), or a place in the queue.
pub(crate) enum Registered {
    /// A recent message matched.
    Ready(Reply),
    /// Waiting: the slot's id and where its outcome arrives.
    Waiting(u64, oneshot::Receiver<Outcome>),
}

impl Hub {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counts a wait as begun (the listener stays open while any is).
    pub(crate) fn begin(&self) {
        self.lock().active += 1;
    }

    /// Counts a wait as ended.
    pub(crate) fn end(&self) {
        let mut s = self.lock();
        s.active = s.active.saturating_sub(1);
        s.idle_since = Some(Instant::now());
    }

    /// Whether no wait is going on, and has not been for `idle` (always false for `None`).
    pub(crate) fn idle_for(&self, idle: Option<Duration>) -> bool {
        let s = self.lock();
        let Some(idle) = idle else { return false };
        s.active == 0 && s.idle_since.is_none_or(|t| t.elapsed() >= idle)
    }

    /// Waits begun and not ended.
    pub(crate) fn active(&self) -> usize {
        self.lock().active
    }

    /// Queues a waiter, unless a recent message since `since` matches it (that one is taken).
    pub(crate) fn register(&self, filter: Arc<ReplyFilter>, since: Option<Instant>) -> Registered {
        let mut s = self.lock();
        prune(&mut s.recent);
        if let Some(since) = since
            && let Some(i) = s.recent.iter().position(|r| r.at >= since && filter.matches(&r.reply))
            && let Some(r) = s.recent.remove(i)
        {
            return Registered::Ready(r.reply);
        }
        let (tx, rx) = oneshot::channel();
        s.next_id += 1;
        let id = s.next_id;
        s.waiters.push_back(Slot { id, filter, tx });
        Registered::Waiting(id, rx)
    }

    /// Whether a waiter in the queue takes `reply` (the fleet claims a message only then).
    pub(crate) fn wants(&self, reply: &Reply) -> bool {
        self.lock().waiters.iter().any(|w| w.filter.matches(reply))
    }

    /// Takes a waiter out of the queue; false when it was already handed its outcome.
    pub(crate) fn withdraw(&self, id: u64) -> bool {
        let mut s = self.lock();
        let before = s.waiters.len();
        s.waiters.retain(|w| w.id != id);
        s.waiters.len() != before
    }

    /// Hands a message to the first waiter it matches, or keeps it for lookback. A
    /// messageId seen before is dropped; returns whether the message was new.
    pub(crate) fn deliver(&self, message_id: &str, reply: Reply) -> bool {
        let mut s = self.lock();
        if !message_id.is_empty() {
            if s.seen.contains(message_id) {
                return false;
            }
            s.seen.insert(message_id.to_string());
            s.seen_order.push_back(message_id.to_string());
            while s.seen_order.len() > SEEN_MAX {
                if let Some(old) = s.seen_order.pop_front() {
                    s.seen.remove(&old);
                }
            }
        }
        let mut reply = reply;
        while let Some(i) = s.waiters.iter().position(|w| w.filter.matches(&reply)) {
            let Some(slot) = s.waiters.remove(i) else { break };
            match slot.tx.send(Ok(reply)) {
                Ok(()) => return true,
                // That waiter is gone: the next one may take it.
                Err(back) => match back {
                    Ok(r) => reply = r,
                    Err(_) => return true,
                },
            }
        }
        prune(&mut s.recent);
        s.recent.push_back(Recent { at: Instant::now(), reply });
        while s.recent.len() > RECENT_MAX {
            s.recent.pop_front();
        }
        true
    }

    /// Ends every queued wait with `error` (the listener cannot open).
    pub(crate) fn fail_all(&self, error: &Error) {
        let mut s = self.lock();
        for slot in s.waiters.drain(..) {
            let _ = slot.tx.send(Err(error.clone()));
        }
    }
}

/// Drops the messages kept longer than [`RECENT_FOR`].
fn prune(recent: &mut VecDeque<Recent>) {
    while recent.front().is_some_and(|r| r.at.elapsed() > RECENT_FOR) {
        recent.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stream::Chat;

    fn reply(user: &str, text: &str) -> Reply {
        Reply {
            msg_type: "text".into(),
            text: text.into(),
            sender_user_id: user.into(),
            conversation_id: format!("c-{user}"),
            ..Reply::default()
        }
    }

    fn from(user: &str) -> Arc<ReplyFilter> {
        Arc::new(ReplyFilter { chat: Chat::User(user.into()), keywords: vec![], pattern: None })
    }

    fn waiting(r: Registered) -> (u64, oneshot::Receiver<Outcome>) {
        match r {
            Registered::Waiting(id, rx) => (id, rx),
            Registered::Ready(_) => panic!("ready"),
        }
    }

    #[test]
    fn first_come_first_served_and_repeats_dropped() {
        let hub = Hub::default();
        let (_, mut a) = waiting(hub.register(from("u1"), None));
        let (_, mut b) = waiting(hub.register(from("u1"), None));
        let (_, mut other) = waiting(hub.register(from("u2"), None));
        assert!(hub.deliver("m1", reply("u1", "one")));
        assert!(!hub.deliver("m1", reply("u1", "one again")));
        assert!(hub.deliver("m2", reply("u1", "two")));
        assert_eq!(a.try_recv().unwrap().unwrap().text, "one");
        assert_eq!(b.try_recv().unwrap().unwrap().text, "two");
        assert!(other.try_recv().is_err());
    }

    #[test]
    fn lookback_takes_a_recent_message_once() {
        let hub = Hub::default();
        let before = Instant::now();
        hub.deliver("m1", reply("u1", "early"));
        let (_, _rx) = waiting(hub.register(from("u1"), None));
        assert!(matches!(hub.register(from("u1"), Some(before)), Registered::Ready(r) if r.text == "early"));
        assert!(matches!(hub.register(from("u1"), Some(before)), Registered::Waiting(..)));
    }

    #[test]
    fn wants_says_whether_a_queued_waiter_takes_a_message() {
        let hub = Hub::default();
        assert!(!hub.wants(&reply("u1", "x")));
        let (id, _rx) = waiting(hub.register(from("u1"), None));
        assert!(hub.wants(&reply("u1", "x")) && !hub.wants(&reply("u2", "x")));
        hub.withdraw(id);
        assert!(!hub.wants(&reply("u1", "x")));
    }

    #[test]
    fn a_withdrawn_waiter_takes_nothing() {
        let hub = Hub::default();
        let (id, _rx) = waiting(hub.register(from("u1"), None));
        let (_, mut next) = waiting(hub.register(from("u1"), None));
        assert!(hub.withdraw(id));
        hub.deliver("m1", reply("u1", "x"));
        assert_eq!(next.try_recv().unwrap().unwrap().text, "x");
        assert!(!hub.withdraw(id));
    }
}
