//! `host-sim`: a stand-in for a drag-and-drop RPA designer.
//!
//! It does with a plugin library what a designer does: loads it through the stable ABI of
//! [`rpa_plugin_abi`] ([`plugin`]), draws each action's form from the manifest ([`form`]),
//! checks a step's params the way the form would ([`validate`]), and runs flows of steps
//! that wire one action's outputs into the next action's inputs ([`flow`]), lending the
//! plugin a log sink and a cancel flag ([`host`], the [`Host`] interface of `rpa_plugin_abi`).
//! The `host-sim` binary is a thin command line over this library ([`cli`]), with two more
//! subcommands of its own: `demo` (the embedded emulator and a flow in several parts) and `bench`
//! (a flow run many times over many threads).
//!
//! ```no_run
//! use host_sim::{Flow, SimHost, flow::run_flow, plugin};
//!
//! let plugin = plugin::load(&plugin::default_plugin_path())?;
//! let flow = Flow::from_file("flow.json".as_ref())?;
//! let vars = run_flow(plugin.as_ref(), &flow, &SimHost::new(), Default::default());
//! # Ok::<(), host_sim::HostError>(())
//! ```

#![deny(unsafe_code)]

mod bench;
pub mod cli;
mod demo;
pub mod error;
pub mod flow;
pub mod form;
pub mod host;
pub mod plugin;
pub mod progress;
pub mod studio;
#[cfg(test)]
mod test_support;
pub mod validate;

pub use error::HostError;
pub use flow::{Flow, FlowError, Step, run_flow, run_flow_logging};
pub use host::{Host, LogLevel, PluginHost, SimHost};
pub use plugin::{Abi, AbiStablePlugin, CAbiPlugin, Plugin, default_plugin_path, load, load_with};
pub use progress::{ProgressSink, TerminalProgress};

/// The error codes host-sim itself produces, beside the shared ones of [`rpa_plugin_abi::codes`]
/// (re-exported here) that plugins produce too.
pub mod codes {
    pub use rpa_plugin_abi::codes::*;

    /// A param failed the form's checks (required, type, choices, bounds, unknown name).
    pub const INVALID_INPUT: &str = "INVALID_INPUT";
    /// The flow file is not a flow: unreadable, malformed JSON, or the wrong shape.
    pub const INVALID_FLOW: &str = "INVALID_FLOW";
    /// A param refers to a variable that no earlier step or `--var` defines.
    pub const UNKNOWN_VARIABLE: &str = "UNKNOWN_VARIABLE";
    /// A step maps an output that its action does not declare in the manifest.
    pub const UNKNOWN_OUTPUT: &str = "UNKNOWN_OUTPUT";
    /// A step maps an output that the action declares but did not return.
    pub const MISSING_OUTPUT: &str = "MISSING_OUTPUT";
    /// The plugin library could not be loaded (missing, not a library, not a plugin,
    /// incompatible, or a broken manifest).
    pub const LOAD_FAILED: &str = "LOAD_FAILED";
}
