//! Per-app, per-API sliding one-second window, like the platform's QPS limit.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::faults::Endpoint;

/// The window length.
pub(crate) const WINDOW: Duration = Duration::from_millis(1000);

/// Times of the admitted calls in the last [`WINDOW`], per app and endpoint.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    limit: AtomicU32,
    windows: Mutex<HashMap<String, [VecDeque<Instant>; Endpoint::ALL.len()]>>,
}

impl RateLimiter {
    pub(crate) fn new(limit: u32) -> Self {
        RateLimiter { limit: AtomicU32::new(limit), windows: Mutex::new(HashMap::new()) }
    }

    pub(crate) fn set_limit(&self, limit: u32) {
        self.limit.store(limit, Ordering::Relaxed);
    }

    /// Admits the call (and remembers it) unless `limit` calls were already admitted for
    /// this app and endpoint in the last 1,000 ms. Rejected calls are not remembered.
    pub(crate) fn admit(&self, app_key: &str, endpoint: Endpoint, now: Instant) -> bool {
        let limit = self.limit.load(Ordering::Relaxed);
        if limit == 0 {
            return true;
        }
        let mut windows = self.windows.lock();
        let queues = match windows.get_mut(app_key) {
            Some(q) => q,
            None => windows.entry(app_key.to_owned()).or_default(),
        };
        let q = &mut queues[endpoint.index()];
        while q.front().is_some_and(|t| now.saturating_duration_since(*t) >= WINDOW) {
            q.pop_front();
        }
        if q.len() >= limit as usize {
            return false;
        }
        q.push_back(now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sliding_window_admits_limit_per_second() {
        let rl = RateLimiter::new(3);
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        assert!(rl.admit("a", Endpoint::BatchSend, t0));
        assert!(rl.admit("a", Endpoint::BatchSend, t0 + ms(100)));
        assert!(rl.admit("a", Endpoint::BatchSend, t0 + ms(900)));
        // 4th call inside the window of the first three.
        assert!(!rl.admit("a", Endpoint::BatchSend, t0 + ms(999)));
        // Other endpoint and other app have their own windows.
        assert!(rl.admit("a", Endpoint::Token, t0 + ms(999)));
        assert!(rl.admit("b", Endpoint::BatchSend, t0 + ms(999)));
        // At t0+1000 the first call left the window.
        assert!(rl.admit("a", Endpoint::BatchSend, t0 + ms(1000)));
        assert!(!rl.admit("a", Endpoint::BatchSend, t0 + ms(1050)));
        assert!(rl.admit("a", Endpoint::BatchSend, t0 + ms(1100)));
        // Limit 0 = off.
        rl.set_limit(0);
        for _ in 0..100 {
            assert!(rl.admit("a", Endpoint::BatchSend, t0 + ms(1100)));
        }
    }
}
