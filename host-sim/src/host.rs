//! [`SimHost`]: what host-sim lends a plugin during a call, a log sink and a cancel flag.
//!
//! The interface is `rpa_plugin_abi`'s [`Host`] trait, the same one plugins see: each loader
//! passes a `&dyn Host` across its ABI as it is (for abi_stable plugins as a `HostRef`, for C
//! plugins behind the callbacks of an `RpaHost`). [`SimHost`] is the one host-sim uses: logs
//! to stderr and/or into memory, and a shared cancel flag.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use abi_stable::std_types::RStr;
pub use rpa_plugin_abi::{Host, LogLevel};

/// host-sim's [`Host`]: writes log lines at or above a level to stderr, optionally keeps
/// every line in memory (for tests and the demo), and holds a cancel flag that may be shared
/// with other hosts or threads. One host serves every step of a flow, and every flow running
/// on other threads.
///
/// ```
/// use host_sim::{Host, LogLevel, SimHost};
///
/// let host = SimHost::silent().with_capture();
/// host.log(LogLevel::Info, "hello".into());
/// assert_eq!(host.captured(), vec!["info: hello".to_string()]);
/// host.cancel();
/// assert!(host.is_cancelled());
/// ```
#[derive(Debug)]
pub struct SimHost {
    stderr_level: Option<LogLevel>,
    capture: Option<Mutex<Vec<String>>>,
    cancel: Arc<AtomicBool>,
}

impl Default for SimHost {
    fn default() -> Self {
        SimHost::new()
    }
}

impl SimHost {
    /// A host that logs `info` and more important lines to stderr and keeps nothing.
    pub fn new() -> Self {
        SimHost { stderr_level: Some(LogLevel::Info), capture: None, cancel: Arc::new(AtomicBool::new(false)) }
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
