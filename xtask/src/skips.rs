//! Suites that cannot run on this machine say so instead of passing in silence: each skip
//! goes to stderr and, under `cargo xtask test`, into a list it prints at the end of the run
//! with the command that enables the suite. Under `CI=true` the tests fail instead of
//! skipping, as they always have.

use std::io::Write;
use std::path::Path;

/// The variable naming the list file; `cargo xtask test` sets it.
pub const LIST_VAR: &str = "DINGTALK_TEST_SKIPS";

/// Says that `suite` was skipped because of `why`, and that `enable` makes it run: on stderr,
/// and as a line of the list when [`LIST_VAR`] names one.
pub fn record(suite: &str, why: &str, enable: &str) {
    eprintln!("SKIPPED: {suite}: {why} (to run it: {enable})");
    if let Some(list) = std::env::var_os(LIST_VAR) {
        let line = format!("{}\t{}\t{}\n", one_line(suite), one_line(why), one_line(enable));
        // One write of one line to a file opened for appending: parallel tests do not mix lines.
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(Path::new(&list))
            .and_then(|mut file| file.write_all(line.as_bytes()));
        if let Err(e) = written {
            eprintln!("cannot add the skip to {}: {e}", Path::new(&list).display());
        }
    }
}

/// `text` with tabs and line breaks as spaces, to stay one field of one line.
fn one_line(text: &str) -> String {
    text.split(['\t', '\n', '\r']).map(str::trim).filter(|p| !p.is_empty()).collect::<Vec<_>>().join(" ")
}

/// The skipped suites of a list, each once, in the order first seen: `(suite, why, enable)`.
pub fn read(list: &str) -> Vec<(String, String, String)> {
    let mut seen = Vec::new();
    for line in list.lines() {
        let mut fields = line.splitn(3, '\t').map(str::to_owned);
        if let (Some(suite), Some(why), Some(enable)) = (fields.next(), fields.next(), fields.next())
            && !seen.iter().any(|(s, _, _): &(String, String, String)| *s == suite)
        {
            seen.push((suite, why, enable));
        }
    }
    seen
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_suite_is_listed_once_with_its_command() {
        let list = "studio browser\tno chromedriver\tapt-get install chromium-driver\n\
                    studio browser\tno chromedriver\tapt-get install chromium-driver\n\
                    python sdk\tno SDK\tcargo xtask test\n";
        let skips = read(list);
        assert_eq!(skips.len(), 2);
        assert_eq!(skips[1], ("python sdk".into(), "no SDK".into(), "cargo xtask test".into()));
    }

    #[test]
    fn a_reason_with_line_breaks_stays_one_line() {
        assert_eq!(one_line("Traceback\n  ImportError:\tno module\n"), "Traceback ImportError: no module");
    }
}
