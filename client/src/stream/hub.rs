//! [`Hub`]: where received robot messages (and card clicks) meet the waiters of one app —
//! each message goes to the first waiter (in the order they began) whose filter it matches,
//! and only to it; failing that, to the first waiter of its chat that takes or notices what
//! no one took ([`Unclaimed`]); one no waiter takes stays a while for a waiter that looks
//! back. Repeated messageIds are dropped.

use std::collections::{HashSet, VecDeque};
use std::ops::ControlFlow;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::time::Instant;

use super::{Reply, ReplyFilter, Unclaimed};
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

    /// Hands a message to the first waiter it matches; else to the first of its chat that
    /// takes what no one took; else keeps it for lookback (telling the first of its chat that
    /// notices such messages). A messageId seen before is dropped.
    pub(crate) fn deliver(&self, message_id: &str, reply: Reply) -> Delivered {
        let mut s = self.lock();
        if !message_id.is_empty() {
            if s.seen.contains(message_id) {
                return Delivered::Repeat;
            }
            s.seen.insert(message_id.to_string());
            s.seen_order.push_back(message_id.to_string());
            while s.seen_order.len() > SEEN_MAX {
                if let Some(old) = s.seen_order.pop_front() {
                    s.seen.remove(&old);
                }
            }
        }
        let reply = match hand_over(&mut s.waiters, reply, |f, r| f.matches(r)) {
            ControlFlow::Break(delivered) => return delivered,
            ControlFlow::Continue(reply) => reply,
        };
        let takes_unclaimed = |f: &ReplyFilter, r: &Reply| matches!(f.unclaimed, Unclaimed::Take) && f.chat.holds(r);
        let reply = match hand_over(&mut s.waiters, reply, takes_unclaimed) {
            ControlFlow::Break(delivered) => return delivered,
            ControlFlow::Continue(reply) => reply,
        };
        if let Some(Unclaimed::Notice(tx)) = s
            .waiters
            .iter()
            .find(|w| !matches!(w.filter.unclaimed, Unclaimed::Leave) && w.filter.chat.holds(&reply))
            .map(|w| &w.filter.unclaimed)
        {
            let _ = tx.try_send(reply.clone());
        }
        prune(&mut s.recent);
        s.recent.push_back(Recent { at: Instant::now(), reply });
        while s.recent.len() > RECENT_MAX {
            s.recent.pop_front();
        }
        Delivered::Kept
    }

    /// Ends every queued wait with `error` (the listener cannot open).
    pub(crate) fn fail_all(&self, error: &Error) {
        let mut s = self.lock();
        for slot in s.waiters.drain(..) {
            let _ = slot.tx.send(Err(error.clone()));
        }
    }
}

/// What became of a message handed to [`Hub::deliver`].
#[derive(Debug, PartialEq)]
pub(crate) enum Delivered {
    /// Its messageId came before: dropped.
    Repeat,
    /// A waiter took it; for a card's waiter, the `response` its acknowledgement carries.
    Taken(Option<serde_json::Value>),
    /// No waiter took it: kept for lookback.
    Kept,
}

#[cfg(test)]
impl Delivered {
    /// Whether the message was new (not a repeat).
    pub(crate) fn is_new(&self) -> bool {
        *self != Delivered::Repeat
    }
}

/// Hands `reply` to the first waiter `takes` says takes it, removing its slot: `Break` when one
/// did, `Continue(reply)` back when none (a waiter whose receiver is gone is passed over).
fn hand_over(
    waiters: &mut VecDeque<Slot>,
    mut reply: Reply,
    takes: impl Fn(&ReplyFilter, &Reply) -> bool,
) -> ControlFlow<Delivered, Reply> {
    while let Some(i) = waiters.iter().position(|w| takes(&w.filter, &reply)) {
        let Some(slot) = waiters.remove(i) else { break };
        let ack = slot.filter.card_ack.as_ref().map(|a| (a.0)(&reply));
        match slot.tx.send(Ok(reply)) {
            Ok(()) => return ControlFlow::Break(Delivered::Taken(ack)),
            // That waiter is gone: the next one may take it.
            Err(back) => match back {
                Ok(r) => reply = r,
                Err(_) => return ControlFlow::Break(Delivered::Taken(None)),
            },
        }
    }
    ControlFlow::Continue(reply)
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
        Arc::new(ReplyFilter::new(Chat::User(user.into())))
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
        assert!(hub.deliver("m1", reply("u1", "one")).is_new());
        assert!(!hub.deliver("m1", reply("u1", "one again")).is_new());
        assert!(hub.deliver("m2", reply("u1", "two")).is_new());
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

    /// An ask: takes only its choices; other text of its chat it takes (`Take`) or is told of.
    fn ask(user: &str, choices: &'static [&'static str], unclaimed: Unclaimed) -> Arc<ReplyFilter> {
        let accept = crate::stream::Accept(Arc::new(move |r: &Reply| choices.contains(&r.text.as_str())));
        Arc::new(ReplyFilter { accept: Some(accept), unclaimed, ..ReplyFilter::new(Chat::User(user.into())) })
    }

    #[test]
    fn a_reply_goes_to_the_oldest_waiter_whose_predicate_takes_it() {
        let hub = Hub::default();
        let (_, mut yes_no) = waiting(hub.register(ask("u1", &["yes", "no"], Unclaimed::Leave), None));
        let (_, mut a_b) = waiting(hub.register(ask("u1", &["a", "yes"], Unclaimed::Leave), None));
        assert_eq!(hub.deliver("m1", reply("u1", "a")), Delivered::Taken(None));
        assert_eq!(a_b.try_recv().unwrap().unwrap().text, "a");
        assert_eq!(hub.deliver("m2", reply("u1", "yes")), Delivered::Taken(None));
        assert_eq!(yes_no.try_recv().unwrap().unwrap().text, "yes");
    }

    #[test]
    fn other_text_is_taken_by_the_first_that_takes_it_or_noticed_and_kept() {
        let hub = Hub::default();
        let (tx, mut notices) = tokio::sync::mpsc::channel(4);
        let (_, mut reminding) = waiting(hub.register(ask("u1", &["yes", "no"], Unclaimed::Notice(tx)), None));
        let (_, mut later) =
            waiting(hub.register(ask("u1", &["ok"], Unclaimed::Notice(tokio::sync::mpsc::channel(1).0)), None));
        // Neither takes it; only the oldest is told, and it stays for a wait that looks back.
        assert_eq!(hub.deliver("m1", reply("u1", "maybe")), Delivered::Kept);
        assert_eq!(notices.try_recv().unwrap().text, "maybe");
        assert!(reminding.try_recv().is_err() && later.try_recv().is_err());
        assert!(matches!(hub.register(from("u1"), Some(Instant::now() - Duration::from_secs(5))),
            Registered::Ready(r) if r.text == "maybe"));
        // A waiter that takes other text takes it, though younger than one that only notices.
        let (_, mut taking) = waiting(hub.register(ask("u1", &["x"], Unclaimed::Take), None));
        assert_eq!(hub.deliver("m2", reply("u1", "free text")), Delivered::Taken(None));
        assert_eq!(taking.try_recv().unwrap().unwrap().text, "free text");
        assert!(notices.try_recv().is_err());
        // A message of another chat is nobody's business here.
        assert_eq!(hub.deliver("m3", reply("u2", "maybe")), Delivered::Kept);
        assert!(notices.try_recv().is_err());
    }

    #[test]
    fn a_card_click_goes_to_its_card_and_the_ack_carries_the_response() {
        let hub = Hub::default();
        let card = |id: &str| {
            let ack = crate::stream::CardAck(Arc::new(|r: &Reply| serde_json::json!({"status": r.text})));
            Arc::new(ReplyFilter { card_ack: Some(ack), ..ReplyFilter::new(Chat::Card(id.into())) })
        };
        let (_, _user_wait) = waiting(hub.register(from("u1"), None));
        let (_, mut t1) = waiting(hub.register(card("t1"), None));
        let (_, mut t2) = waiting(hub.register(card("t2"), None));
        let click = |id: &str| Reply { out_track_id: id.into(), ..reply("u1", "yes") };
        assert_eq!(hub.deliver("c1", click("t2")), Delivered::Taken(Some(serde_json::json!({"status": "yes"}))));
        assert_eq!(t2.try_recv().unwrap().unwrap().out_track_id, "t2");
        assert!(t1.try_recv().is_err());
        assert_eq!(hub.deliver("c2", click("t9")), Delivered::Kept);
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
