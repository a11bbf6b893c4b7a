//! [`Call`]: what one caller's calls may use of whoever drives them — a queue of log lines
//! written in the call's language ([`Lang`], [`Words`]), a queue of progress reports paced to
//! at most 10 a second ([`Report`]), a cancellation flag, and the mark of a never-repeated
//! request on the wire — shared between the future making the calls and the thread that drives
//! it (and relays the lines and reports to a host that may only be touched from that thread).

use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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

/// The language a call's words are written in: the caller's (a designer's) choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// English.
    #[default]
    En,
    /// Simplified Chinese.
    Zh,
}

/// A line a person reads, in both languages, with the languages named so that they cannot be
/// swapped: what [`Call::log`] and [`Call::progress`] take, written with [`words!`](crate::words).
/// The call renders it once, in its own [`Lang`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Words {
    /// English.
    pub en: Cow<'static, str>,
    /// Simplified Chinese, as a native speaker writes it.
    pub zh: Cow<'static, str>,
}

impl Words {
    /// The text in `lang`.
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.en,
            Lang::Zh => &self.zh,
        }
    }

    /// The text in `lang`, taken out.
    pub fn into_lang(self, lang: Lang) -> String {
        match lang {
            Lang::En => self.en.into_owned(),
            Lang::Zh => self.zh.into_owned(),
        }
    }
}

/// Builds [`Words`] with both languages named: `words!(en: "…", zh: "…")`, each a literal, a
/// `String` or a `format!`.
#[macro_export]
macro_rules! words {
    (en: $en:expr, zh: $zh:expr $(,)?) => {
        $crate::Words { en: ::std::borrow::Cow::from($en), zh: ::std::borrow::Cow::from($zh) }
    };
}

/// One progress report of a long step: `done` of `total` in the step's own unit (batches,
/// bytes, numbers, seconds; `total` 0 when unknown, as during a pause) and its text in the
/// call's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// How much is done.
    pub done: u64,
    /// Of how much (0: unknown).
    pub total: u64,
    /// What is going on, in the call's language.
    pub text: String,
}

impl Report {
    /// Whether this is the last report of its kind (`done` reached a known `total`): it is
    /// never held back nor replaced.
    fn is_last(&self) -> bool {
        self.total > 0 && self.done >= self.total
    }
}

/// The most progress reports a driver is handed in any one second of a call (the last report
/// of each kind goes all the same).
pub const PROGRESS_PER_SECOND: usize = 10;

/// Progress reports not yet handed to the driver, and when the last ones were.
#[derive(Default)]
struct Pending {
    /// Waiting reports in order, at most [`PROGRESS_PER_SECOND`] (past that, a newer report
    /// replaces the newest waiting one unless that is a last one).
    queue: VecDeque<Report>,
    /// When the reports of the past second were handed over.
    handed: VecDeque<Instant>,
}

/// One caller's view of its calls, cheap to clone (one shared allocation).
///
/// The calls log through it, check it for cancellation between network steps, and mark a
/// send or recall on the wire; the driver takes the log lines ([`Call::take_lines`]), cancels
/// ([`Call::cancel`]) and asks what was on the wire then ([`Call::in_flight`]).
///
/// ```
/// use dingtalk_client::{Call, Error, Lang, Level, words};
///
/// let call = Call::speaking(Lang::Zh, false);
/// call.log(Level::Info, words!(en: "connecting", zh: "正在连接"));
/// assert!(call.check_cancelled().is_ok());
/// call.cancel();
/// assert!(matches!(call.check_cancelled(), Err(Error::Cancelled { in_flight: None })));
/// assert_eq!(call.take_lines(), [(Level::Info, "正在连接".to_string())]);
/// ```
#[derive(Clone, Default)]
pub struct Call {
    state: Arc<State>,
}

/// The state a [`Call`]'s clones share.
#[derive(Default)]
struct State {
    /// The language of the call's lines and reports.
    lang: Lang,
    /// Whether the driver shows progress (without, reports are not even written).
    progress: bool,
    /// Log lines not yet taken by the driver.
    lines: Mutex<Vec<(Level, String)>>,
    /// Progress reports not yet taken by the driver.
    pending: Mutex<Pending>,
    cancelled: AtomicBool,
    /// Wakes the futures waiting in [`Call::cancelled`].
    cancel_notify: tokio::sync::Notify,
    /// What the never-repeated request on the wire does: [`in_flight_code`].
    in_flight: AtomicU8,
}

impl Call {
    /// A call that logs nothing yet and is not cancelled, in English, without progress.
    pub fn new() -> Self {
        Call::default()
    }

    /// A call whose lines and reports are written in `lang`, with progress reports when the
    /// driver shows them (`progress`).
    pub fn speaking(lang: Lang, progress: bool) -> Self {
        Call { state: Arc::new(State { lang, progress, ..State::default() }) }
    }

    /// The language of the call's words.
    pub fn lang(&self) -> Lang {
        self.state.lang
    }

    /// Queues a log line for the driver, in the call's language.
    pub fn log(&self, level: Level, words: Words) {
        let line = words.into_lang(self.state.lang);
        self.state.lines.lock().unwrap_or_else(|p| p.into_inner()).push((level, line));
    }

    /// Whether the driver shows progress: a step may skip work done only to report it.
    pub fn wants_progress(&self) -> bool {
        self.state.progress
    }

    /// Queues a progress report for the driver (nothing when it shows no progress): `done` of
    /// `total` (0: unknown), with `words` in the call's language. Past
    /// [`PROGRESS_PER_SECOND`] waiting reports, a newer one replaces the newest waiting one
    /// that is not a last one, so a driver that falls behind gets the newest.
    pub fn progress(&self, done: u64, total: u64, words: Words) {
        if !self.state.progress {
            return;
        }
        let report = Report { done, total, text: words.into_lang(self.state.lang) };
        let mut pending = self.state.pending.lock().unwrap_or_else(|p| p.into_inner());
        if pending.queue.len() >= PROGRESS_PER_SECOND && pending.queue.back().is_some_and(|newest| !newest.is_last()) {
            pending.queue.pop_back();
        }
        pending.queue.push_back(report);
    }

    /// The progress reports the driver may hand on `now`, in order: at most
    /// [`PROGRESS_PER_SECOND`] in any second, except that a last report is never held back.
    /// A report that may not go now is dropped when a newer one waits behind it, and kept
    /// for a later call when it is the newest.
    pub fn take_progress(&self, now: Instant) -> Vec<Report> {
        let mut pending = self.state.pending.lock().unwrap_or_else(|p| p.into_inner());
        let Pending { queue, handed } = &mut *pending;
        while handed.front().is_some_and(|&at| now.saturating_duration_since(at) >= Duration::from_secs(1)) {
            handed.pop_front();
        }
        let mut out = Vec::new();
        while let Some(report) = queue.pop_front() {
            if report.is_last() || handed.len() < PROGRESS_PER_SECOND {
                handed.push_back(now);
                out.push(report);
            } else if queue.is_empty() {
                queue.push_back(report);
                break;
            }
        }
        out
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

    fn step(i: u64) -> Words {
        words!(en: format!("step {i}"), zh: format!("第 {i} 步"))
    }

    #[test]
    fn lines_and_reports_are_written_in_the_calls_language() {
        let call = Call::speaking(Lang::Zh, true);
        call.log(Level::Warn, step(1));
        call.progress(1, 3, step(1));
        assert_eq!(call.take_lines(), [(Level::Warn, "第 1 步".to_string())]);
        let now = Instant::now();
        assert_eq!(call.take_progress(now), [Report { done: 1, total: 3, text: "第 1 步".into() }]);
        let english = Call::speaking(Lang::En, true);
        english.log(Level::Info, step(2));
        assert_eq!(english.take_lines(), [(Level::Info, "step 2".to_string())]);
    }

    #[test]
    fn a_driver_without_progress_gets_none() {
        let call = Call::new();
        assert!(!call.wants_progress());
        call.progress(1, 1, step(1));
        assert!(call.take_progress(Instant::now()).is_empty());
    }

    #[test]
    fn at_most_ten_reports_a_second_but_always_the_last() {
        let call = Call::speaking(Lang::En, true);
        let start = Instant::now();
        let mut handed = Vec::new();
        // 1,000 reports over one second, the driver looking every 20 ms.
        for i in 1..=1000u64 {
            call.progress(i, 2000, step(i));
            if i % 20 == 0 {
                handed.extend(call.take_progress(start + Duration::from_millis(i)).into_iter().map(|r| (i, r)));
            }
        }
        assert_eq!(handed.len(), PROGRESS_PER_SECOND, "{handed:?}");
        // A report held back comes out once the second has passed, as the newest one.
        let later = call.take_progress(start + Duration::from_millis(2000));
        assert_eq!(later.iter().map(|r| r.done).collect::<Vec<_>>(), [1000]);
        // The last report goes at once however many went before it.
        for i in 1..=20u64 {
            call.progress(i, 20, step(i));
        }
        let now = start + Duration::from_millis(2001);
        let out: Vec<u64> = call.take_progress(now).into_iter().map(|r| r.done).collect();
        assert_eq!(out.last(), Some(&20), "{out:?}");
        assert!(out.len() <= PROGRESS_PER_SECOND + 1, "{out:?}");
    }

    #[test]
    fn a_short_burst_of_reports_is_not_thinned() {
        let call = Call::speaking(Lang::En, true);
        let now = Instant::now();
        let mut out = Vec::new();
        for i in 1..=3 {
            call.progress(i, 3, step(i));
            out.extend(call.take_progress(now).into_iter().map(|r| r.done));
        }
        assert_eq!(out, [1, 2, 3]);
    }

    #[test]
    fn in_flight_marks_round_trip() {
        let call = Call::new();
        for effect in [Some(Effect::Message), Some(Effect::Recall), None] {
            call.clone().set_in_flight(effect);
            assert_eq!(call.in_flight(), effect);
        }
    }
}
