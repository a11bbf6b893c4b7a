//! How host-sim shows a plugin's progress reports (ABI 1.1): the [`ProgressSink`] a host
//! holds, the per-call adapter the loaders hand the plugin ([`StepProgress`]), and the
//! terminal's sink ([`TerminalProgress`]): an indicatif bar for a step that lasts more than
//! half a second on a terminal, plain lines in a pipe or a file.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use abi_stable::std_types::RStr;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Where a host sends the progress of the step under way. One sink serves every step of a
/// flow (and flows on other threads), hence `Send + Sync`.
pub trait ProgressSink: Send + Sync {
    /// One report of the step under way, `elapsed` after the step began: `done` of `total`
    /// (0: unknown), `text` in the call's language.
    fn report(&self, elapsed: Duration, done: u64, total: u64, text: &str);

    /// The step ended, whichever way: a bar it drew goes.
    fn step_over(&self) {}
}

/// The plugin's view of a sink during one call: reports carry the time since the call began,
/// and the sink hears when the call is over (when this is dropped).
pub(crate) struct StepProgress<'a> {
    sink: &'a dyn ProgressSink,
    started: Instant,
}

impl<'a> StepProgress<'a> {
    /// The adapter for a call starting now.
    pub(crate) fn new(sink: &'a dyn ProgressSink) -> Self {
        StepProgress { sink, started: Instant::now() }
    }

    /// Passes one report on (what the C loader's callback calls).
    pub(crate) fn report(&self, done: u64, total: u64, text: &str) {
        self.sink.report(self.started.elapsed(), done, total, text);
    }
}

impl rpa_plugin_abi::Progress for StepProgress<'_> {
    fn progress(&self, done: u64, total: u64, text: RStr<'_>) {
        self.report(done, total, text.as_str());
    }
}

impl Drop for StepProgress<'_> {
    fn drop(&mut self) {
        self.sink.step_over();
    }
}

/// How long a step runs before the terminal draws a bar for it: shorter steps show nothing.
pub const BAR_AFTER: Duration = Duration::from_millis(500);
/// How often a pipe or a file gets a plain progress line (the last of a step always comes).
pub const PLAIN_EVERY: Duration = Duration::from_secs(1);

/// The terminal's sink: on a terminal, an indicatif bar on stderr for a step that lasts more
/// than [`BAR_AFTER`] (a spinner when the total is unknown); elsewhere (a pipe, a file, a test)
/// plain lines, at most one every [`PLAIN_EVERY`] and always the last one.
pub struct TerminalProgress {
    state: Mutex<Shown>,
}

/// What the terminal shows now.
enum Shown {
    /// A bar on a terminal, once a step lasted long enough.
    Bar(Option<ProgressBar>),
    /// Plain lines to `out`, the last one written at `last`.
    Plain { out: Box<dyn Write + Send>, last: Option<Instant> },
}

impl TerminalProgress {
    /// A bar when stderr is a terminal, plain lines to stderr otherwise.
    pub fn stderr() -> Self {
        if std::io::stderr().is_terminal() {
            TerminalProgress { state: Mutex::new(Shown::Bar(None)) }
        } else {
            TerminalProgress::plain(Box::new(std::io::stderr()))
        }
    }

    /// Plain lines to `out`.
    pub fn plain(out: Box<dyn Write + Send>) -> Self {
        TerminalProgress { state: Mutex::new(Shown::Plain { out, last: None }) }
    }
}

/// A plain progress line: `progress: 2/3 已发送第 2/3 批…`, or without the count when the
/// total is unknown.
pub fn plain_line(done: u64, total: u64, text: &str) -> String {
    if total > 0 { format!("progress: {done}/{total} {text}") } else { format!("progress: {text}") }
}

impl ProgressSink for TerminalProgress {
    fn report(&self, elapsed: Duration, done: u64, total: u64, text: &str) {
        let mut shown = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let last = total > 0 && done >= total;
        match &mut *shown {
            Shown::Bar(bar) => {
                if bar.is_none() && elapsed < BAR_AFTER {
                    return;
                }
                let bar = bar.get_or_insert_with(|| {
                    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
                    bar.enable_steady_tick(Duration::from_millis(200));
                    bar
                });
                let style = if total > 0 {
                    ProgressStyle::with_template("{bar:30.cyan/blue} {pos}/{len} {msg}")
                } else {
                    ProgressStyle::with_template("{spinner} {msg}")
                };
                if let Ok(style) = style {
                    bar.set_style(style);
                }
                bar.set_length(total);
                bar.set_position(done);
                bar.set_message(text.to_string());
            }
            Shown::Plain { out, last: written } => {
                if !last && written.is_some_and(|at| at.elapsed() < PLAIN_EVERY) {
                    return;
                }
                *written = Some(Instant::now());
                // A closed stderr must not take the flow down: the line is lost, nothing else.
                let _ = writeln!(out, "{}", plain_line(done, total, text));
            }
        }
    }

    fn step_over(&self) {
        let mut shown = self.state.lock().unwrap_or_else(|p| p.into_inner());
        match &mut *shown {
            Shown::Bar(bar) => {
                if let Some(bar) = bar.take() {
                    bar.finish_and_clear();
                }
            }
            Shown::Plain { last, .. } => *last = None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// A writer whose lines a test reads back.
    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<u8>>>);

    impl Write for Lines {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_pipe_gets_plain_lines_at_most_one_a_second_and_always_the_last() {
        let lines = Lines::default();
        let sink = TerminalProgress::plain(Box::new(lines.clone()));
        {
            let step = StepProgress::new(&sink);
            step.report(1, 3, "已发送第 1/3 批");
            step.report(2, 3, "已发送第 2/3 批");
            step.report(3, 3, "已发送第 3/3 批");
        }
        let text = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
        assert_eq!(text, "progress: 1/3 已发送第 1/3 批\nprogress: 3/3 已发送第 3/3 批\n");
        // The next step starts afresh.
        StepProgress::new(&sink).report(0, 0, "钉钉限流，1 秒后继续");
        assert!(
            String::from_utf8(lines.0.lock().unwrap().clone()).unwrap().ends_with("progress: 钉钉限流，1 秒后继续\n")
        );
    }

    #[test]
    fn a_short_step_draws_no_bar() {
        let sink = TerminalProgress { state: Mutex::new(Shown::Bar(None)) };
        sink.report(Duration::from_millis(100), 1, 3, "quick");
        assert!(matches!(&*sink.state.lock().unwrap(), Shown::Bar(None)));
        sink.report(BAR_AFTER, 2, 3, "slow");
        assert!(matches!(&*sink.state.lock().unwrap(), Shown::Bar(Some(_))));
        sink.step_over();
        assert!(matches!(&*sink.state.lock().unwrap(), Shown::Bar(None)));
    }
}
