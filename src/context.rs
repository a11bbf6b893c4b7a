//! How one `invoke` runs: on the calling host thread's own event loop (or, from inside
//! someone else's tokio runtime, on the plugin's shared runtime), while the calling thread
//! relays log lines to the host and watches its cancellation flag.
//!
//! The host's [`HostRef`] is only borrowed for the call and may not be touched from other
//! threads' futures, so the action's future talks to it through a channel ([`CallContext`]); the
//! calling thread is the only one that ever calls the host.

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use abi_stable::std_types::RStr;
use rpa_plugin_abi::{HostRef, LogLevel};
use serde_json::Value;
use tokio::runtime::Runtime;

use crate::error::{Effect, Error, Result};

/// How often the calling thread looks at the host's cancellation flag while it waits.
const CANCEL_POLL: Duration = Duration::from_millis(20);

enum Event {
    Log(LogLevel, String),
    Done(Result<Value>),
}

/// What an action's future may use of the host: logging and the cancellation state.
#[derive(Clone)]
pub(crate) struct CallContext {
    events: mpsc::Sender<Event>,
    cancelled: Arc<AtomicBool>,
    /// What the never-repeated call on the wire does: [`in_flight_code`].
    in_flight: Arc<AtomicU8>,
    cancel_details: Arc<Mutex<Option<CancelDetails>>>,
}

/// What a cancellation's error document says in `details`, made only when the host stops the
/// flow (a send builds it from its progress so far): given whether a send was on the wire.
pub(crate) type CancelDetails = Box<dyn Fn(bool) -> Value + Send>;

impl CallContext {
    /// Sends a log line to the host.
    pub(crate) fn log(&self, level: LogLevel, message: impl Into<String>) {
        // The receiver only goes away once the call is over; a late line is dropped.
        let _ = self.events.send(Event::Log(level, message.into()));
    }

    /// Fails with [`Error::Cancelled`] when the user stopped the flow: call it between
    /// network steps.
    pub(crate) fn check_cancelled(&self) -> Result<()> {
        if self.cancelled.load(Ordering::Acquire) {
            return Err(Error::Cancelled { in_flight: None });
        }
        Ok(())
    }

    /// Marks whether a call that is never repeated (a send, a recall) is on the wire, so
    /// that a cancellation can say whether it may still take effect.
    pub(crate) fn set_in_flight(&self, effect: Option<Effect>) {
        self.in_flight.store(in_flight_code(effect), Ordering::Release);
    }

    /// Sets what a cancellation by the host reports in `details` from now on (a send in
    /// several batches says who got the message so far). `details` is called only if the host
    /// stops the flow, with whether a send was on the wire then.
    pub(crate) fn set_cancel_details(&self, details: CancelDetails) {
        *self.cancel_details.lock().unwrap_or_else(|p| p.into_inner()) = Some(details);
    }
}

/// An [`Effect`] in flight as one byte (0: none), and back.
fn in_flight_code(effect: Option<Effect>) -> u8 {
    match effect {
        None => 0,
        Some(Effect::Message) => 1,
        Some(Effect::Recall) => 2,
    }
}

fn in_flight_effect(code: u8) -> Option<Effect> {
    match code {
        1 => Some(Effect::Message),
        2 => Some(Effect::Recall),
        _ => None,
    }
}

/// The plugin's shared tokio runtime, made on first use: it runs the actions of calls made
/// from inside another tokio runtime, where a thread cannot run its own loop.
pub(crate) fn runtime() -> Result<&'static Runtime> {
    static RUNTIME: OnceLock<std::result::Result<Runtime, String>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("dingtalk-robot")
                .enable_all()
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| Error::Internal(format!("cannot start the async runtime: {e}")))
}

thread_local! {
    /// This host thread's own event loop, made on its first call.
    static THREAD_LOOP: RefCell<Option<Rc<Runtime>>> = const { RefCell::new(None) };
}

/// The calling thread's own single-threaded event loop, made on first use and kept for the
/// thread's life, with the HTTP connections made on it (see `transport`).
///
/// Running a call on the thread that made it is what makes a call cheap: the request is
/// written and its answer read by this thread, with no wake-up of another thread on the
/// way out or back (which cost a shared multi-thread runtime half its throughput).
fn thread_loop() -> Result<Rc<Runtime>> {
    THREAD_LOOP.with(|cell| {
        let mut slot = cell.borrow_mut();
        if let Some(rt) = slot.as_ref() {
            return Ok(rt.clone());
        }
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::Internal(format!("cannot start the async runtime: {e}")))?;
        let rt = Rc::new(rt);
        *slot = Some(rt.clone());
        Ok(rt)
    })
}

/// Whether the running task is on a host thread's own loop (rather than on the shared
/// runtime): its HTTP connections must then be that thread's, since only that thread ever
/// drives them.
pub(crate) fn on_thread_loop() -> bool {
    tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::CurrentThread)
}

/// Runs an action's future to completion on the plugin runtime, relaying its log lines to
/// `host` and stopping it when the host's cancellation flag is set.
///
/// On an ordinary host thread the future runs right there, on the thread's own loop
/// ([`thread_loop`]): no other thread takes part in the call. On a thread that is itself
/// inside a tokio runtime, where `block_on` is not allowed, it runs as a task on the shared
/// runtime while this thread waits. Either way the host is only ever called from this thread.
pub(crate) fn drive<F, Fut>(host: &HostRef<'_>, action: F) -> Result<Value>
where
    F: FnOnce(CallContext) -> Fut,
    Fut: Future<Output = Result<Value>> + Send + 'static,
{
    if host.is_cancelled() {
        return Err(Error::Cancelled { in_flight: None });
    }
    let (tx, rx) = mpsc::channel();
    let ctx = CallContext {
        events: tx.clone(),
        cancelled: Arc::default(),
        in_flight: Arc::default(),
        cancel_details: Arc::default(),
    };
    let cancelled = ctx.cancelled.clone();
    let in_flight = ctx.in_flight.clone();
    let cancel_details = ctx.cancel_details.clone();
    let future = action(ctx);
    let relay = |rx: &mpsc::Receiver<Event>| {
        while let Ok(Event::Log(level, line)) = rx.try_recv() {
            host.log(level, RStr::from_str(&line));
        }
    };
    let stop = || {
        cancelled.store(true, Ordering::Release);
        host.log(LogLevel::Warn, RStr::from_str("cancelled by the host"));
        let in_flight = in_flight_effect(in_flight.load(Ordering::Acquire));
        let error = Error::Cancelled { in_flight };
        match cancel_details.lock().unwrap_or_else(|p| p.into_inner()).take() {
            Some(details) => Err(error.with_details(details(in_flight.is_some()))),
            None => Err(error),
        }
    };
    if tokio::runtime::Handle::try_current().is_err() {
        let out = thread_loop()?.block_on(async {
            tokio::pin!(future);
            loop {
                tokio::select! {
                    biased;
                    out = &mut future => break out,
                    _ = tokio::time::sleep(CANCEL_POLL) => {
                        relay(&rx);
                        if host.is_cancelled() {
                            break stop();
                        }
                    }
                }
            }
        });
        relay(&rx);
        return out;
    }
    let task = runtime()?.spawn(async move {
        let out = future.await;
        let _ = tx.send(Event::Done(out));
    });
    loop {
        match rx.recv_timeout(CANCEL_POLL) {
            Ok(Event::Log(level, line)) => host.log(level, RStr::from_str(&line)),
            Ok(Event::Done(out)) => return out,
            Err(RecvTimeoutError::Timeout) => {
                if host.is_cancelled() {
                    task.abort();
                    return stop();
                }
            }
            Err(RecvTimeoutError::Disconnected) => {
                return Err(Error::Internal("the action stopped without an answer (it panicked)".into()));
            }
        }
    }
}
