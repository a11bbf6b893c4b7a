//! [`Call`]: what one caller's calls may use of whoever drives them — a queue of log lines,
//! a cancellation flag, and the mark of a never-repeated request on the wire — shared between
//! the future making the calls and the thread that drives it (and relays the lines to a host
//! that may only be touched from that thread).

use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};

use crate::error::{Effect, Error, Result};

/// How much a log line matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Something failed.
    Error,
    /// Something worth a look, though the call went on (a retry, a refreshed token).
    Warn,
    /// One step: a request and its answer's status and duration.
    Info,
    /// Detail for support.
    Debug,
}

/// One caller's view of its calls, cheap to clone (one shared allocation).
///
/// The calls log through it, check it for cancellation between network steps, and mark a
/// send or recall on the wire; the driver takes the log lines ([`Call::take_lines`]), cancels
/// ([`Call::cancel`]) and asks what was on the wire then ([`Call::in_flight`]).
///
/// ```
/// use dingtalk_client::{Call, Error, Level};
///
/// let call = Call::new();
/// call.log(Level::Info, "connecting");
/// assert!(call.check_cancelled().is_ok());
/// call.cancel();
/// assert!(matches!(call.check_cancelled(), Err(Error::Cancelled { in_flight: None })));
/// assert_eq!(call.take_lines(), [(Level::Info, "connecting".to_string())]);
/// ```
#[derive(Clone, Default)]
pub struct Call {
    state: Arc<State>,
}

/// The state a [`Call`]'s clones share.
#[derive(Default)]
struct State {
    /// Log lines not yet taken by the driver.
    lines: Mutex<Vec<(Level, String)>>,
    cancelled: AtomicBool,
    /// Wakes the futures waiting in [`Call::cancelled`].
    cancel_notify: tokio::sync::Notify,
    /// What the never-repeated request on the wire does: [`in_flight_code`].
    in_flight: AtomicU8,
}

impl Call {
    /// A call that logs nothing yet and is not cancelled.
    pub fn new() -> Self {
        Call::default()
    }

    /// Queues a log line for the driver.
    pub fn log(&self, level: Level, text: impl Into<String>) {
        self.state.lines.lock().unwrap_or_else(|p| p.into_inner()).push((level, text.into()));
    }

    /// Fails with [`Error::Cancelled`] once the driver cancelled: checked between network
    /// steps.
    pub fn check_cancelled(&self) -> Result<()> {
        if self.is_cancelled() {
            return Err(Error::Cancelled { in_flight: None });
        }
        Ok(())
    }

    /// Marks whether a request that is never repeated (a send, a recall) is on the wire, so
    /// that a cancellation can say whether it may still take effect.
    pub fn set_in_flight(&self, effect: Option<Effect>) {
        self.state.in_flight.store(in_flight_code(effect), Ordering::Release);
    }

    /// The log lines queued since the last time, in order (for the driver to relay).
    pub fn take_lines(&self) -> Vec<(Level, String)> {
        std::mem::take(&mut *self.state.lines.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Stops the calls at their next check, and wakes those waiting in [`Call::cancelled`].
    pub fn cancel(&self) {
        self.state.cancelled.store(true, Ordering::Release);
        self.state.cancel_notify.notify_waiters();
    }

    /// Resolves once [`Call::cancel`] is called (at once if it was): for a long wait that
    /// should end on a Stop without polling.
    pub async fn cancelled(&self) {
        loop {
            let notified = self.state.cancel_notify.notified();
            if self.is_cancelled() {
                return;
            }
            notified.await;
        }
    }

    /// Whether [`Call::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.state.cancelled.load(Ordering::Acquire)
    }

    /// What the never-repeated request on the wire now does, if one is.
    pub fn in_flight(&self) -> Option<Effect> {
        match self.state.in_flight.load(Ordering::Acquire) {
            1 => Some(Effect::Message),
            2 => Some(Effect::Recall),
            _ => None,
        }
    }
}

/// An [`Effect`] in flight as one byte (0: none).
fn in_flight_code(effect: Option<Effect>) -> u8 {
    match effect {
        None => 0,
        Some(Effect::Message) => 1,
        Some(Effect::Recall) => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_flight_marks_round_trip() {
        let call = Call::new();
        for effect in [Some(Effect::Message), Some(Effect::Recall), None] {
            call.clone().set_in_flight(effect);
            assert_eq!(call.in_flight(), effect);
        }
    }
}
