//! `host-sim demo [--plugin PATH] [--lang zh-CN|en] [--abi abi-stable|c]`: runs the demo
//! ([`crate::demo`]) on the embedded emulator.

use std::io::Write;

use clap::Args;

use super::{Failure, LogLevelArg, PluginArgs};
use crate::host::SimHost;

/// The options of `demo`.
#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// Which plugin, how to load it, and the language.
    #[command(flatten)]
    pub plugin: PluginArgs,

    /// The least important plugin log lines shown on stderr.
    #[arg(long, value_enum, default_value_t = LogLevelArg::Warn)]
    pub log_level: LogLevelArg,
}

impl DemoArgs {
    /// Loads the plugin and runs the demo, writing its report to `out`.
    pub fn execute(&self, out: &mut dyn Write) -> Result<(), Failure> {
        let plugin = self.plugin.load()?;
        let host = SimHost::new().with_stderr(self.log_level.level());
        crate::demo::run_demo(plugin.as_ref(), self.plugin.lang.as_str(), &host, out).map_err(|e| Failure {
            // Step 0 is the demo's own set-up or final check, not a step of the flow.
            step: (e.step > 0).then_some(e.step),
            error: Box::new(e.error),
        })
    }
}
