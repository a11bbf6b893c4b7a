//! The idle-closing fault's setting: how long a keep-alive connection may sit idle before the
//! server closes it. The shared state holds it (the `Emulator` handle and the configuration set
//! it) and every connection reads it (`conn`), so it sits apart from both.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::sync::futures::OwnedNotified;

/// How long a keep-alive connection may sit idle before the server closes it, in
/// milliseconds; 0 = never (the default). Shared by every connection; a change wakes the
/// idle ones, which take it at once.
#[derive(Debug, Default)]
pub(crate) struct IdleClose {
    ms: AtomicU64,
    changed: Arc<Notify>,
}

impl IdleClose {
    /// Sets the idle time (`None`: never close) and wakes the connections waiting on it.
    pub(crate) fn set(&self, after: Option<Duration>) {
        let ms = after.map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1));
        self.ms.store(ms, Ordering::Release);
        self.changed.notify_waiters();
    }

    /// The idle time now; `None` when connections are never closed for idling.
    pub(crate) fn get(&self) -> Option<Duration> {
        match self.ms.load(Ordering::Acquire) {
            0 => None,
            ms => Some(Duration::from_millis(ms)),
        }
    }

    /// A future that completes at the next [`IdleClose::set`].
    pub(crate) fn on_change(&self) -> Pin<Box<OwnedNotified>> {
        Box::pin(self.changed.clone().notified_owned())
    }
}
