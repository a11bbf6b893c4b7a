//! How one `invoke` runs: on the calling host thread's own event loop (or, from inside
//! someone else's tokio runtime, on the plugin's shared runtime), while the calling thread
//! relays log lines and progress reports to the host and watches its cancellation flag.
//!
//! The host's [`HostRef`] and [`ProgressRef`] are only borrowed for the call and may not be
//! touched from other threads' futures, so the action's future queues its log lines and
//! progress reports in the state it shares with the calling thread ([`CallContext`]), and the
//! calling thread is the only one that ever calls the host. Both are written once, in the
//! call's language: the designer's ([`InvokeOptions::language`]), else the system's.

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use abi_stable::std_types::{RSome, RStr};
use dingtalk_client::{Call, Lang, Level, Words};
use rpa_plugin_abi::{HostRef, InvokeOptions, LogLevel, Text, lang};
use serde_json::Value;
use tokio::runtime::Runtime;

use crate::error::{Error, Result};

/// How often the calling thread looks at the host's cancellation flag while it waits: often
/// during a call's first second (a send or a lookup), then less often for a long wait, whose
/// Stop must still end it within 100 ms ([`cancel_poll`]).
const CANCEL_POLL: Duration = Duration::from_millis(20);
/// The host's flag checked this often after [`CANCEL_POLL_FAST_FOR`].
const CANCEL_POLL_LONG: Duration = Duration::from_millis(60);
/// How long a call is polled every [`CANCEL_POLL`].
const CANCEL_POLL_FAST_FOR: Duration = Duration::from_secs(1);

/// The time until the next look at the host's cancellation flag, for a call `started` then:
/// 1,000 flows waiting for replies wake 17,000 times a second instead of 50,000.
fn cancel_poll(started: std::time::Instant) -> Duration {
    if started.elapsed() < CANCEL_POLL_FAST_FOR { CANCEL_POLL } else { CANCEL_POLL_LONG }
}

/// What an action's future may use of the host: logging, progress and the cancellation state
/// (the DingTalk client's [`Call`], which its calls take), and what a cancellation reports.
#[derive(Clone)]
pub(crate) struct CallContext {
    call: Call,
    /// What a cancellation by the host reports in `details`, once an action set it.
    cancel_details: Arc<Mutex<Option<CancelDetails>>>,
}

/// What a cancellation's error document says in `details`, made only when the host stops the
/// flow (a send builds it from its progress so far): given whether a send was on the wire.
pub(crate) type CancelDetails = Box<dyn Fn(bool) -> Value + Send>;

impl CallContext {
    /// The client's view of this call, for the DingTalk client's calls.
    pub(crate) fn call(&self) -> &Call {
        &self.call
    }

    /// Queues a log line for the host (relayed by the calling thread as the call goes on),
    /// written in the call's language.
    pub(crate) fn log(&self, level: LogLevel, message: Text) {
        self.call.log(client_level(level), words(message));
    }

    /// `message` in the call's language, for what the plugin itself says to a person (an
    /// ask's reminder, an expired card).
    pub(crate) fn say(&self, message: Text) -> String {
        words(message).get(self.call.lang()).to_string()
    }

    /// Queues a progress report for the host, if it shows progress: `done` of `total` (0:
    /// unknown), with `message` in the call's language. Report as often as is natural: the
    /// call hands the host at most 10 a second, and always the last one (`done == total`).
    pub(crate) fn progress(&self, done: u64, total: u64, message: Text) {
        self.call.progress(done, total, words(message));
    }

    /// Whether the host shows progress: work done only to report it may be skipped when not.
    pub(crate) fn wants_progress(&self) -> bool {
        self.call.wants_progress()
    }

    /// Fails with [`Error::Cancelled`] when the user stopped the flow: call it between
    /// network steps.
    pub(crate) fn check_cancelled(&self) -> Result<()> {
        Ok(self.call.check_cancelled()?)
    }

    /// Sets what a cancellation by the host reports in `details` from now on (a send in
    /// several batches says who got the message so far). `details` is called only if the host
    /// stops the flow, with whether a send was on the wire then.
    pub(crate) fn set_cancel_details(&self, details: CancelDetails) {
        *self.cancel_details.lock().unwrap_or_else(|p| p.into_inner()) = Some(details);
    }
}

/// The client's form of a text: the same two languages.
fn words(text: Text) -> Words {
    Words { en: text.en, zh: text.zh_cn }
}

/// The client's language of a call whose designer said `tag` (empty: the system's).
fn call_lang(tag: &str) -> Lang {
    if lang::or_system(tag) == lang::ZH_CN { Lang::Zh } else { Lang::En }
}

/// The client's level of a host's log level.
fn client_level(level: LogLevel) -> Level {
    match level {
        LogLevel::Error => Level::Error,
        LogLevel::Warn => Level::Warn,
        LogLevel::Info => Level::Info,
        LogLevel::Debug => Level::Debug,
    }
}

/// The host's level of a client's log level.
fn host_level(level: Level) -> LogLevel {
    match level {
        Level::Error => LogLevel::Error,
        Level::Warn => LogLevel::Warn,
        Level::Info => LogLevel::Info,
        Level::Debug => LogLevel::Debug,
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
/// thread's life, with the HTTP connections made on it (the client keeps a thread's own).
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

/// Where an action's future runs while the calling host thread waits for its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Runs {
    /// On the calling thread's own event loop ([`thread_loop`]), made on its first call and
    /// kept with its HTTP connections: the fastest place for calls that go to DingTalk and back.
    OnHostThread,
    /// As a task on the plugin's shared runtime, the calling thread only watching for the
    /// answer and for Stop: for a wait that may last hours and sends little, so that 1,000 flows
    /// waiting at once do not each build an event loop and an HTTP client (about 28 KB a thread).
    Shared,
}

/// Runs an action's future to completion on the plugin runtime, relaying its log lines to
/// `host` (and its progress to `options.progress`, if given) in the language of
/// `options.language`, and stopping it when the host's cancellation flag is set.
///
/// With [`Runs::OnHostThread`], on an ordinary host thread the future runs right there, on the
/// thread's own loop ([`thread_loop`]): no other thread takes part in the call. With
/// [`Runs::Shared`], or on a thread that is itself inside a tokio runtime (where `block_on` is
/// not allowed), it runs as a task on the shared runtime while this thread waits. Either way
/// the host is only ever called from this thread.
pub(crate) fn drive<F, Fut>(host: &HostRef<'_>, options: &InvokeOptions<'_>, runs: Runs, action: F) -> Result<Value>
where
    F: FnOnce(CallContext) -> Fut,
    Fut: Future<Output = Result<Value>> + Send + 'static,
{
    if host.is_cancelled() {
        return Err(Error::Cancelled { in_flight: None });
    }
    let progress = match &options.progress {
        RSome(progress) => Some(progress),
        _ => None,
    };
    let call = Call::speaking(call_lang(options.language.as_str()), progress.is_some());
    let context = CallContext { call: call.clone(), cancel_details: Arc::default() };
    let cancel_details = context.cancel_details.clone();
    let future = action(context);
    let relay = || {
        for (level, line) in call.take_lines() {
            host.log(host_level(level), RStr::from_str(&line));
        }
        if let Some(progress) = progress {
            for report in call.take_progress(std::time::Instant::now()) {
                progress.progress(report.done, report.total, RStr::from_str(&report.text));
            }
        }
    };
    let stop = || {
        call.cancel();
        relay();
        let line = dingtalk_client::words!(en: "cancelled by the host", zh: "已被宿主取消");
        host.log(LogLevel::Warn, RStr::from_str(line.get(call.lang())));
        let in_flight = call.in_flight();
        let error = Error::Cancelled { in_flight };
        match cancel_details.lock().unwrap_or_else(|p| p.into_inner()).take() {
            Some(details) => Err(error.with_details(details(in_flight.is_some()))),
            None => Err(error),
        }
    };
    let started = std::time::Instant::now();
    if runs == Runs::OnHostThread && tokio::runtime::Handle::try_current().is_err() {
        let out = thread_loop()?.block_on(async {
            tokio::pin!(future);
            loop {
                tokio::select! {
                    biased;
                    out = &mut future => break out,
                    _ = tokio::time::sleep(cancel_poll(started)) => {
                        relay();
                        if host.is_cancelled() {
                            break stop();
                        }
                    }
                }
            }
        });
        relay();
        return out;
    }
    let (done, answer) = mpsc::sync_channel(1);
    let task = runtime()?.spawn(async move {
        let _ = done.send(future.await);
    });
    loop {
        let answer = answer.recv_timeout(cancel_poll(started));
        relay();
        match answer {
            Ok(out) => return out,
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

#[cfg(test)]
mod tests {
    use abi_stable::sabi_trait::TD_Opaque;
    use rpa_plugin_abi::{Host, Host_TO};

    use super::*;

    /// A host that logs nowhere and never stops.
    struct Quiet;

    impl Host for Quiet {
        fn log(&self, _: LogLevel, _: RStr<'_>) {}

        fn is_cancelled(&self) -> bool {
            false
        }
    }

    /// Whether this thread has built its own event loop.
    fn has_thread_loop() -> bool {
        THREAD_LOOP.with(|cell| cell.borrow().is_some())
    }

    /// Runs `runs` on a fresh thread; says whether that thread built a loop, and what the
    /// action's future saw of `Handle::try_current`'s runtime flavour.
    fn on_fresh_thread(runs: Runs) -> (bool, Value) {
        std::thread::spawn(move || {
            let host = Host_TO::from_ptr(&Quiet, TD_Opaque);
            let out = drive(&host, &rpa_plugin_abi::InvokeOptions::NONE, runs, |_| async {
                let flavour = tokio::runtime::Handle::current().runtime_flavor();
                Ok(Value::from(format!("{flavour:?}")))
            })
            .unwrap();
            (has_thread_loop(), out)
        })
        .join()
        .unwrap()
    }

    #[test]
    fn a_quick_call_runs_on_the_host_threads_own_loop() {
        assert_eq!(on_fresh_thread(Runs::OnHostThread), (true, Value::from("CurrentThread")));
    }

    #[test]
    fn a_wait_runs_on_the_shared_runtime_and_builds_nothing_on_the_host_thread() {
        assert_eq!(on_fresh_thread(Runs::Shared), (false, Value::from("MultiThread")));
    }
}
