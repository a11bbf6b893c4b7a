//! [`Limiter`]: at most N calls in any one-second window, as DingTalk counts them (or in any
//! minute, for a custom robot's messages).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

/// DingTalk's window for the calls of an app.
pub(crate) const WINDOW: Duration = Duration::from_secs(1);

/// One call's place in the window.
struct Slot {
    id: u64,
    /// When its answer came back; `None` while it is on the wire.
    done_at: Option<Instant>,
}

#[derive(Default)]
struct State {
    slots: VecDeque<Slot>,
    next_id: u64,
}

/// A client-side sliding-window limiter for one app and one API (or one custom robot).
///
/// DingTalk counts the calls it *receives* in any 1,000 ms. We cannot know that instant,
/// but it lies between our send and the answer's arrival; so a call holds its slot until
/// one second after its answer came back. That keeps the server's count at or under the
/// limit whatever the network's jitter, at the cost of one round trip per window.
pub(crate) struct Limiter {
    /// Calls per window; 0 = no limit.
    limit: AtomicU32,
    window: Duration,
    state: Mutex<State>,
    freed: Notify,
}

/// A call's slot; dropping it (when the answer arrived, or the call was abandoned) starts
/// the slot's last second.
pub(crate) struct Permit<'a> {
    limiter: &'a Limiter,
    id: u64,
}

impl Limiter {
    /// A limiter allowing `limit` calls per second; 0 means no limit.
    pub(crate) fn new(limit: u32) -> Self {
        Limiter::per_window(limit, WINDOW)
    }

    /// A limiter allowing `limit` calls in any `window`; 0 means no limit.
    pub(crate) fn per_window(limit: u32, window: Duration) -> Self {
        Limiter { limit: AtomicU32::new(limit), window, state: Mutex::default(), freed: Notify::new() }
    }

    /// The calls per window allowed now (0 = unlimited).
    pub(crate) fn limit(&self) -> u32 {
        self.limit.load(Ordering::Relaxed)
    }

    /// Changes the calls allowed per window, keeping the calls already counted.
    pub(crate) fn set_limit(&self, limit: u32) {
        self.limit.store(limit, Ordering::Relaxed);
        self.freed.notify_waiters();
    }

    /// Lowers the limit to `limit` when that is lower; 0 (no limit) lowers nothing. The
    /// calls already in the window keep their places.
    pub(crate) fn lower_to(&self, limit: u32) {
        if limit == 0 {
            return;
        }
        let _ = self
            .limit
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |now| (now == 0 || limit < now).then_some(limit));
    }

    /// When a slot is sure to be free: now when one is, the time the oldest finished call
    /// leaves the window when all are taken, or `None` when every slot is still on the wire
    /// (it cannot be known yet).
    pub(crate) fn free_at(&self) -> Option<Instant> {
        let limit = self.limit() as usize;
        let st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        let taken = st.slots.iter().filter(|s| s.done_at.is_none_or(|d| d + self.window > now)).count();
        if limit == 0 || taken < limit {
            return Some(now);
        }
        st.slots.iter().filter_map(|s| s.done_at).map(|d| d + self.window).filter(|t| *t > now).min()
    }

    /// Waits for a free slot. Returns `None` when the limiter is off.
    pub(crate) async fn acquire(&self) -> Option<Permit<'_>> {
        loop {
            let limit = self.limit() as usize;
            if limit == 0 {
                return None;
            }
            let notified = self.freed.notified();
            let wait_until = {
                let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
                let now = Instant::now();
                while st.slots.front().is_some_and(|s| s.done_at.is_some_and(|d| d + self.window <= now)) {
                    st.slots.pop_front();
                }
                if st.slots.len() < limit {
                    let id = st.next_id;
                    st.next_id += 1;
                    st.slots.push_back(Slot { id, done_at: None });
                    return Some(Permit { limiter: self, id });
                }
                // The oldest slot frees first; a slot still on the wire wakes us when it ends.
                st.slots.iter().filter_map(|s| s.done_at).min().map(|d| d + self.window)
            };
            match wait_until {
                Some(at) => {
                    tokio::select! {
                        _ = tokio::time::sleep_until(at) => {}
                        _ = notified => {}
                    }
                }
                None => notified.await,
            }
        }
    }

    fn release(&self, id: u64) {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(slot) = st.slots.iter_mut().find(|s| s.id == id) {
            slot.done_at = Some(Instant::now());
        }
        // Slots free in any order; keep the oldest finished ones at the front so they expire.
        st.slots.make_contiguous().sort_by_key(|s| (s.done_at.is_none(), s.done_at));
        drop(st);
        self.freed.notify_waiters();
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        self.limiter.release(self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test(start_paused = true)]
    async fn never_more_than_limit_in_any_window() {
        let limiter = Arc::new(Limiter::new(5));
        let start = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..23 {
            let l = limiter.clone();
            tasks.push(tokio::spawn(async move {
                let permit = l.acquire().await;
                let sent = Instant::now();
                tokio::time::sleep(Duration::from_millis(10)).await; // the round trip
                drop(permit);
                sent
            }));
        }
        let mut sent = Vec::new();
        for t in tasks {
            sent.push(t.await.unwrap());
        }
        sent.sort();
        for (i, s) in sent.iter().enumerate() {
            let in_window = sent[i..].iter().take_while(|t| **t < *s + WINDOW).count();
            assert!(in_window <= 5, "{in_window} calls within a second of call {i}");
        }
        // 23 calls at 5 per (1 s + RTT): the last batch starts after four windows.
        let elapsed = sent[22] - start;
        assert!(elapsed >= Duration::from_secs(4) && elapsed < Duration::from_millis(4200), "{elapsed:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_minute_window_tells_when_the_next_slot_frees() {
        let limiter = Limiter::per_window(2, Duration::from_secs(60));
        assert_eq!(limiter.free_at(), Some(Instant::now()));
        let first = limiter.acquire().await;
        let second = limiter.acquire().await;
        assert_eq!(limiter.free_at(), None, "both on the wire: unknown");
        drop(first);
        let freed = Instant::now() + Duration::from_secs(60);
        assert_eq!(limiter.free_at(), Some(freed));
        tokio::time::sleep(Duration::from_secs(10)).await;
        drop(second);
        let third = limiter.acquire().await;
        assert_eq!(Instant::now(), freed, "the third waited for the first to leave the minute");
        drop(third);
        limiter.set_limit(5);
        assert_eq!(limiter.free_at(), Some(Instant::now()));
    }

    #[tokio::test(start_paused = true)]
    async fn a_lower_limit_applies_at_once_and_a_higher_one_never() {
        let l = Limiter::new(0);
        l.lower_to(5);
        l.lower_to(20);
        l.lower_to(0);
        assert_eq!(l.limit(), 5);
        let held: Vec<_> = futures_held(&l, 5).await;
        assert!(tokio::time::timeout(Duration::from_millis(10), l.acquire()).await.is_err(), "a sixth waits");
        l.lower_to(3);
        drop(held);
        // Five calls ended now: their slots stay taken for a second, a lower limit or not.
        let start = Instant::now();
        let _p = l.acquire().await;
        assert!(start.elapsed() >= WINDOW, "{:?}", start.elapsed());
    }

    async fn futures_held(l: &Limiter, n: usize) -> Vec<Permit<'_>> {
        let mut held = Vec::new();
        for _ in 0..n {
            held.push(l.acquire().await.unwrap());
        }
        held
    }

    #[tokio::test]
    async fn zero_means_unlimited() {
        let l = Limiter::new(0);
        for _ in 0..1000 {
            assert!(l.acquire().await.is_none());
        }
    }
}
