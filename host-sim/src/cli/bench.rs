//! `host-sim bench [--plugin PATH] FLOW.json --iterations N --threads T [--var name=value]...`:
//! runs the flow N times over T threads; progress on stderr, one JSON report on stdout.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use serde_json::{Map, Value};

use super::run::{parse_json_var, parse_string_var};
use super::{Failure, PluginArgs, write_out};
use crate::bench::{load_timed, run_bench};
use crate::flow::Flow;
use crate::host::SimHost;

/// The options of `bench`.
#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// Which plugin, and how to load it.
    #[command(flatten)]
    pub plugin: PluginArgs,

    /// The flow to run, as for `run`.
    #[arg(value_name = "FLOW.json")]
    pub flow: PathBuf,

    /// How many times to run the flow in all.
    #[arg(long, default_value_t = 1000)]
    pub iterations: usize,

    /// How many threads share the runs.
    #[arg(long, default_value_t = 1)]
    pub threads: usize,

    /// Defines a variable as a string before the first step (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_string_var)]
    pub vars: Vec<(String, Value)>,

    /// Defines a variable as any JSON value (repeatable).
    #[arg(long = "var-json", value_name = "NAME=JSON", value_parser = parse_json_var)]
    pub json_vars: Vec<(String, Value)>,
}

impl BenchArgs {
    /// Loads the plugin (timing it), runs the benchmark with progress on stderr every 10%,
    /// and writes the JSON report to `out`.
    pub fn execute(&self, out: &mut dyn Write) -> Result<(), Failure> {
        let (plugin, load_ms) = load_timed(&self.plugin.plugin_path(), self.plugin.abi)?;
        let flow = Flow::from_file(&self.flow)?;
        let vars: Map<String, Value> = self.vars.iter().chain(&self.json_vars).cloned().collect();
        let tenth = (self.iterations / 10).max(1);
        let progress = |done: usize| {
            if done % tenth == 0 || done == self.iterations {
                eprintln!("bench: {done}/{} flow runs", self.iterations);
            }
        };
        let mut report =
            run_bench(plugin.as_ref(), &flow, self.iterations, self.threads, &vars, &SimHost::silent(), &progress);
        report.load_ms = Some(load_ms);
        write_out(out, &serde_json::to_string(&report).unwrap_or_default())
    }
}
