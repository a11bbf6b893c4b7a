//! What the host lends a plugin during a call: a log sink and a cancel flag.
//!
//! [`HostServices`] is the host side's own trait (plain Rust); each loader adapts it to what
//! its ABI passes across (for abi_stable plugins, `rpa_plugin_abi::HostRef`). [`Host`] is the
//! concrete one host-sim uses: logs to stderr and/or into memory, and a shared cancel flag.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

pub use rpa_plugin_abi::LogLevel;

/// The services a designer gives its plugins while they run: shared by every step of a flow,
/// and by every flow running on other threads, hence `Send + Sync`.
pub trait HostServices: Send + Sync {
    /// Records one log line (the plugin's or the host's own).
    fn log(&self, level: LogLevel, msg: &str);

    /// Whether the user asked the running flow to stop.
    fn is_cancelled(&self) -> bool;
}

/// host-sim's [`HostServices`]: writes log lines at or above a level to stderr, optionally
/// keeps every line in memory (for tests and the demo), and holds a cancel flag that may be
/// shared with other hosts or threads.
///
/// ```
/// use host_sim::{Host, HostServices, LogLevel};
///
/// let host = Host::silent().with_capture();
/// host.log(LogLevel::Info, "hello");
/// assert_eq!(host.captured(), vec!["info: hello".to_string()]);
/// host.cancel();
/// assert!(host.is_cancelled());
/// ```
#[derive(Debug)]
pub struct Host {
    stderr_level: Option<LogLevel>,
    capture: Option<Mutex<Vec<String>>>,
    cancel: Arc<AtomicBool>,
}

impl Default for Host {
    fn default() -> Self {
        Host::new()
    }
}

impl Host {
    /// A host that logs `info` and more important lines to stderr and keeps nothing.
    pub fn new() -> Self {
        Host { stderr_level: Some(LogLevel::Info), capture: None, cancel: Arc::new(AtomicBool::new(false)) }
    }

    /// A host that writes nothing to stderr.
    pub fn silent() -> Self {
        Host { stderr_level: None, ..Host::new() }
    }

    /// Writes lines at `level` or more important to stderr; `None` writes nothing.
    pub fn with_stderr(mut self, level: Option<LogLevel>) -> Self {
        self.stderr_level = level;
        self
    }

    /// Also keeps every line, whatever its level, as `"<level>: <message>"` for [`Host::captured`].
    pub fn with_capture(mut self) -> Self {
        self.capture = Some(Mutex::new(Vec::new()));
        self
    }

    /// Uses `flag` as the cancel flag, so that several hosts (or a Ctrl-C handler) share it.
    pub fn with_cancel_flag(mut self, flag: Arc<AtomicBool>) -> Self {
        self.cancel = flag;
        self
    }

    /// The lines kept so far (empty unless made [`Host::with_capture`]).
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

impl HostServices for Host {
    fn log(&self, level: LogLevel, msg: &str) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captures_every_level_and_shares_the_cancel_flag() {
        let host = Host::silent().with_capture();
        host.log(LogLevel::Debug, "detail");
        host.log(LogLevel::Error, "bad");
        assert_eq!(host.captured(), ["debug: detail", "error: bad"]);

        let other = Host::silent().with_cancel_flag(host.cancel_flag());
        assert!(!other.is_cancelled());
        host.cancel();
        assert!(other.is_cancelled());
    }

    #[test]
    fn without_capture_keeps_nothing() {
        let host = Host::silent();
        host.log(LogLevel::Info, "x");
        assert!(host.captured().is_empty());
    }
}
