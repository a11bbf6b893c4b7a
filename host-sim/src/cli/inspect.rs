//! `host-sim inspect [--plugin PATH] [--lang zh-CN|en] [--json]`: draws each action's form,
//! or prints the manifest exactly as the plugin returned it.

use std::io::Write;

use clap::Args;

use super::{Failure, PluginArgs, write_out};
use crate::form::render_manifest;

/// The options of `inspect`.
#[derive(Debug, Clone, Args)]
pub struct InspectArgs {
    /// Which plugin, and the language.
    #[command(flatten)]
    pub plugin: PluginArgs,

    /// Print the manifest's JSON text exactly as the plugin returned it, instead of the forms.
    #[arg(long)]
    pub json: bool,
}

impl InspectArgs {
    /// Loads the plugin and writes its forms (or manifest) to `out`.
    pub fn execute(&self, out: &mut dyn Write) -> Result<(), Failure> {
        let plugin = self.plugin.load()?;
        if self.json {
            write_out(out, plugin.manifest_json())
        } else {
            write_out(out, &render_manifest(plugin.manifest(), self.plugin.lang.as_str()))
        }
    }
}
