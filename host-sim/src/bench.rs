//! `host-sim bench`: runs a flow many times over many threads, as a busy designer does, and
//! measures flow runs per second and their latency.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::Instant;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::cli::{Lang, one_line};
use crate::error::HostError;
use crate::flow::{Flow, run_checked};
use crate::host::SimHost;
use crate::plugin::{self, Abi, Plugin};

/// How much a benchmark runs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Size {
    /// Flow runs measured, in all.
    pub(crate) iterations: usize,
    /// Threads that share them (at least one is used).
    pub(crate) threads: usize,
    /// Flow runs each thread makes before the clock starts, not counted: a thread's event
    /// loop, connection and the app's token are then made, as a bare client being compared
    /// makes its own before its clock starts. 0 measures a cold start.
    pub(crate) warmup: usize,
}

/// What one benchmark run measured. Ops are whole flow runs (every step, connect included).
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BenchReport {
    /// Successful flow runs per second of wall time.
    pub(crate) ops_per_sec: f64,
    /// Median latency of one successful flow run, in milliseconds.
    pub(crate) p50_ms: f64,
    /// 99th-percentile latency of one successful flow run, in milliseconds.
    pub(crate) p99_ms: f64,
    /// Flow runs that failed: never left out silently; their own latencies follow.
    pub(crate) errors: usize,
    /// Median latency of the failed runs, in milliseconds, when any failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) failed_p50_ms: Option<f64>,
    /// 99th-percentile latency of the failed runs, in milliseconds, when any failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) failed_p99_ms: Option<f64>,
    /// Flow runs attempted.
    pub(crate) iterations: usize,
    /// Threads that ran them.
    pub(crate) threads: usize,
    /// Wall time of the whole run, in seconds.
    pub(crate) elapsed_sec: f64,
    /// Time to load the plugin library and parse its manifest, in milliseconds, when the
    /// caller measured it ([`load_timed`]).
    pub(crate) load_ms: Option<f64>,
    /// This process's peak resident memory (`VmHWM`) in KiB at the end of the run, on Linux;
    /// `None` (`null`) where it is not measured ([`peak_rss_kb`]).
    pub(crate) peak_rss_kb: Option<u64>,
    /// The first failure's step, code, message and field (`step 2: CODE: message [field
    /// name]`, in the language of `--lang`), when any failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) first_error: Option<String>,
    /// The first failure's `details`, when it had some: what its hint points to (e.g.
    /// `PARTIALLY_SENT`'s `unsentUserIds`), as `host-sim run` prints them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) first_error_details: Option<Value>,
}

/// Loads the plugin at `path` through `abi` (open the library, check its layout, read and
/// parse its manifest) and says how long that took, in milliseconds.
pub(crate) fn load_timed(path: &Path, abi: Abi) -> Result<(Arc<dyn Plugin>, f64), HostError> {
    let started = Instant::now();
    let plugin = plugin::load_with(path, abi)?;
    Ok((plugin, started.elapsed().as_secs_f64() * 1000.0))
}

/// This process's peak resident memory in KiB (`VmHWM` of `/proc/self/status`), or `None`
/// when it cannot be read.
#[cfg(target_os = "linux")]
pub(crate) fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// This process's peak resident memory: not measured on this system (only Linux's `/proc` is
/// read), so always `None`, which the report prints as `null`.
#[cfg(not(target_os = "linux"))]
pub(crate) fn peak_rss_kb() -> Option<u64> {
    None
}

/// The `q`-quantile (0..=1) of sorted samples; 0 when there are none.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

/// Runs `flow` as `size` says: `iterations` times spread over `threads` threads (at least
/// one), after `warmup` untimed runs per thread. Each run is a whole flow run as
/// [`run_flow_logging`](crate::flow::run_flow_logging) makes it from the variables `vars`
/// (the flow is checked once, since every run checks the same; host-sim's own log lines are
/// built only at the levels `host` keeps). Calls `progress` with the number of runs done
/// after each run. The report's `load_ms` is left for the caller to fill in; `peak_rss_kb`
/// is read at the end; `first_error` is in `lang`.
pub(crate) fn run_bench(
    plugin: &dyn Plugin,
    flow: &Flow,
    size: Size,
    vars: &Map<String, Value>,
    host: &SimHost,
    lang: Lang,
    progress: &(dyn Fn(usize) + Sync),
) -> BenchReport {
    let Size { iterations, threads, warmup } = size;
    let kept = host.kept();
    // The flow and the variables' names are the same for every run: checked once.
    let vars = {
        let mut all = flow.variables.clone();
        all.extend(vars.clone());
        all
    };
    let checked = flow.check(plugin.manifest(), vars.keys().map(String::as_str));
    let run = || checked.clone().and_then(|()| run_checked(plugin, flow, host, vars.clone(), lang.as_str(), kept));
    let threads = threads.max(1);
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let latencies = Mutex::new(Vec::with_capacity(iterations));
    let failed_latencies = Mutex::new(Vec::new());
    let errors = AtomicUsize::new(0);
    let first_error = Mutex::new(None);
    // The clock starts once every thread has made its warm-up runs.
    let ready = Barrier::new(threads + 1);
    let mut started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                for _ in 0..warmup {
                    let _ = run();
                }
                ready.wait();
                let (mut mine, mut mine_failed) = (Vec::new(), Vec::new());
                while next.fetch_add(1, Ordering::Relaxed) < iterations {
                    let t = Instant::now();
                    match run() {
                        Ok(_) => mine.push(t.elapsed().as_secs_f64() * 1000.0),
                        Err(e) => {
                            mine_failed.push(t.elapsed().as_secs_f64() * 1000.0);
                            errors.fetch_add(1, Ordering::Relaxed);
                            let mut first = first_error.lock().unwrap_or_else(|p| p.into_inner());
                            first.get_or_insert_with(|| {
                                let line = format!("step {}: {}", e.step, one_line(&e.error, lang));
                                (line, e.error.details.map(|details| *details))
                            });
                        }
                    }
                    progress(done.fetch_add(1, Ordering::Relaxed) + 1);
                }
                latencies.lock().unwrap_or_else(|p| p.into_inner()).extend(mine);
                failed_latencies.lock().unwrap_or_else(|p| p.into_inner()).extend(mine_failed);
            });
        }
        ready.wait();
        started = Instant::now();
    });
    let elapsed = started.elapsed().as_secs_f64();
    let mut samples = latencies.into_inner().unwrap_or_else(|p| p.into_inner());
    samples.sort_by(f64::total_cmp);
    let mut failed = failed_latencies.into_inner().unwrap_or_else(|p| p.into_inner());
    failed.sort_by(f64::total_cmp);
    let failed_quantile = |q| (!failed.is_empty()).then(|| quantile(&failed, q));
    let (first_error, first_error_details) = match first_error.into_inner().unwrap_or_else(|p| p.into_inner()) {
        Some((line, details)) => (Some(line), details),
        None => (None, None),
    };
    BenchReport {
        ops_per_sec: if elapsed > 0.0 { samples.len() as f64 / elapsed } else { 0.0 },
        p50_ms: quantile(&samples, 0.50),
        p99_ms: quantile(&samples, 0.99),
        errors: errors.into_inner(),
        failed_p50_ms: failed_quantile(0.50),
        failed_p99_ms: failed_quantile(0.99),
        iterations,
        threads,
        elapsed_sec: elapsed,
        load_ms: None,
        peak_rss_kb: peak_rss_kb(),
        first_error,
        first_error_details,
    }
}

#[cfg(test)]
mod tests {
    use super::{peak_rss_kb, quantile};

    #[test]
    fn quantiles_of_sorted_samples() {
        let s: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(quantile(&s, 0.5), 51.0);
        assert_eq!(quantile(&s, 0.99), 99.0);
        assert_eq!(quantile(&[], 0.5), 0.0);
        assert_eq!(quantile(&[7.0], 0.99), 7.0);
    }

    #[test]
    fn peak_memory_is_measured_on_linux_only() {
        let measured = peak_rss_kb();
        if cfg!(target_os = "linux") {
            assert!(measured.is_some_and(|kb| kb > 0), "{measured:?}");
        } else {
            assert_eq!(measured, None);
        }
    }
}
