//! [`SimHost`]: what host-sim lends a plugin during a call: a log sink, a cancel flag, the
//! designer's language and a progress sink.
//!
//! The interface is [`Host`]: `rpa_plugin_abi`'s host trait, the same one plugins see
//! ([`PluginHost`]: log lines, cancel flag), plus what ABI 1.1 adds for a call (the language,
//! where progress goes). Each loader passes a `&dyn Host` across its ABI (for abi_stable
//! plugins as a `HostRef` and `InvokeOptions`, for C plugins behind the callbacks of an
//! `RpaHost` and `RpaInvokeOptions`). [`SimHost`] is the one host-sim uses: logs to stderr
//! and/or into memory, a shared cancel flag, and optionally a [`ProgressSink`].

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use abi_stable::std_types::RStr;
pub use rpa_plugin_abi::Host as PluginHost;
pub use rpa_plugin_abi::LogLevel;

use crate::progress::ProgressSink;

/// What a host lends a plugin for one call: the plugin ABI's [`PluginHost`] (log lines, the
/// cancel flag) and, since ABI 1.1, the designer's language and where progress goes. Both
/// have defaults: no language said (the plugin takes the system's), no progress.
pub trait Host: PluginHost {
    /// The designer's language, `zh-CN` or `en`; empty says nothing.
    fn language(&self) -> &str {
        ""
    }

    /// Where the plugin's progress reports go, if this host shows them.
    fn progress_sink(&self) -> Option<&dyn ProgressSink> {
        None
    }
}

/// host-sim's [`Host`]: writes log lines at or above a level to stderr, optionally keeps
/// every line in memory (for tests and the demo), and holds a cancel flag that may be shared
/// with other hosts or threads. One host serves every step of a flow, and every flow running
/// on other threads.
///
/// ```
/// use host_sim::{LogLevel, PluginHost, SimHost};
///
/// let host = SimHost::silent().with_capture();
/// host.log(LogLevel::Info, "hello".into());
/// assert_eq!(host.captured(), vec!["info: hello".to_string()]);
/// host.cancel();
/// assert!(host.is_cancelled());
/// ```
pub struct SimHost {
    stderr_level: Option<LogLevel>,
    capture: Option<Mutex<Vec<String>>>,
    cancel: Arc<AtomicBool>,
    language: &'static str,
    progress: Option<Arc<dyn ProgressSink>>,
}

impl std::fmt::Debug for SimHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimHost")
            .field("stderr_level", &self.stderr_level)
            .field("capture", &self.capture.is_some())
            .field("language", &self.language)
            .field("progress", &self.progress.is_some())
            .finish_non_exhaustive()
    }
}

impl Default for SimHost {
    fn default() -> Self {
        SimHost::new()
    }
}

impl SimHost {
    /// A host that logs `info` and more important lines to stderr and keeps nothing.
    pub fn new() -> Self {
        SimHost {
            stderr_level: Some(LogLevel::Info),
            capture: None,
            cancel: Arc::new(AtomicBool::new(false)),
            language: "",
            progress: None,
        }
    }

    /// A host that writes nothing to stderr.
    pub fn silent() -> Self {
        SimHost { stderr_level: None, ..SimHost::new() }
    }

    /// Writes lines at `level` or more important to stderr; `None` writes nothing.
    pub fn with_stderr(mut self, level: Option<LogLevel>) -> Self {
        self.stderr_level = level;
        self
    }

    /// Also keeps every line, whatever its level, as `"<level>: <message>"` for [`SimHost::captured`].
    pub fn with_capture(mut self) -> Self {
        self.capture = Some(Mutex::new(Vec::new()));
        self
    }

    /// Uses `flag` as the cancel flag, so that several hosts (or a Ctrl-C handler) share it.
    pub fn with_cancel_flag(mut self, flag: Arc<AtomicBool>) -> Self {
        self.cancel = flag;
        self
    }

    /// Tells the plugin the designer's language (`zh-CN` or `en`; empty: say nothing).
    pub fn with_language(mut self, language: &'static str) -> Self {
        self.language = language;
        self
    }

    /// Shows the plugin's progress reports through `sink`.
    pub fn with_progress(mut self, sink: Arc<dyn ProgressSink>) -> Self {
        self.progress = Some(sink);
        self
    }

    /// Whether a line at `level` goes anywhere: to stderr, or into the captured lines. A
    /// caller may skip building a line that goes nowhere.
    pub fn logs(&self, level: LogLevel) -> bool {
        self.kept().is_some_and(|kept| level <= kept)
    }

    /// The least important level whose lines go anywhere (every level when capturing), or
    /// `None` when no line does.
    pub fn kept(&self) -> Option<LogLevel> {
        if self.capture.is_some() { Some(LogLevel::Debug) } else { self.stderr_level }
    }

    /// The lines kept so far (empty unless made [`SimHost::with_capture`]).
    pub fn captured(&self) -> Vec<String> {
        match &self.capture {
            Some(lines) => lines.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone(),
            None => Vec::new(),
        }
    }

    /// Asks every flow using this host to stop before its next step (and the plugin to stop
    /// between its network steps).
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::SeqCst);
    }

    /// The cancel flag, to share it or set it from elsewhere.
    pub fn cancel_flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.cancel)
    }
}

impl Host for SimHost {
    fn language(&self) -> &str {
        self.language
    }

    fn progress_sink(&self) -> Option<&dyn ProgressSink> {
        self.progress.as_deref()
    }
}

impl PluginHost for SimHost {
    fn log(&self, level: LogLevel, message: RStr<'_>) {
        let msg = message.as_str();
        if self.stderr_level.is_some_and(|max| level <= max) {
            // A closed stderr must not take the flow down: the line is lost, nothing else.
            let _ = writeln!(std::io::stderr().lock(), "{}: {msg}", level.as_str());
        }
        if let Some(lines) = &self.capture {
            lines.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(format!("{}: {msg}", level.as_str()));
        }
    }

    fn is_cancelled(&self) -> bool {
        self.cancel.load(Ordering::SeqCst)
    }
}

/// Writes one line of host-sim's own to `host`.
pub(crate) fn log_line(host: &dyn Host, level: LogLevel, line: &str) {
    host.log(level, RStr::from_str(line));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captures_every_level_and_shares_the_cancel_flag() {
        let host = SimHost::silent().with_capture();
        log_line(&host, LogLevel::Debug, "detail");
        log_line(&host, LogLevel::Error, "bad");
        assert_eq!(host.captured(), ["debug: detail", "error: bad"]);

        let other = SimHost::silent().with_cancel_flag(host.cancel_flag());
        assert!(!other.is_cancelled());
        host.cancel();
        assert!(other.is_cancelled());
    }

    #[test]
    fn without_capture_keeps_nothing() {
        let host = SimHost::silent();
        log_line(&host, LogLevel::Info, "x");
        assert!(host.captured().is_empty());
    }
}
