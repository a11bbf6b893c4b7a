//! The project's own tasks (the xtask convention: a workspace binary, nothing to install),
//! run as `cargo xtask <task>` through the alias in `.cargo/config.toml`.
//!
//! `cargo xtask test` sets up what the tests need and runs every suite (see [`test`]).
//! `cargo xtask dist` builds the release in `dist/`: the plugin bundle (a zip with the
//! stripped library, its manifest, header, READMEs, guides, licences and third-party
//! notices), the Robot Framework wheel with the library inside, and `SHA256SUMS`. The pieces
//! are public so that `tests/release_bundle.rs` makes the same bundle from a debug build.

pub mod bundle;
pub mod dist;
pub mod notices;
pub mod skips;
pub mod test;
pub mod wheel;

use std::path::{Path, PathBuf};
use std::process::Command;

/// What a task says when it cannot go on: one line for the developer running it.
pub type Result<T> = std::result::Result<T, String>;

/// The workspace root: the parent of this crate's directory.
pub fn workspace_root() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.parent().unwrap_or(here).to_path_buf()
}

/// The version every part of the release carries: the workspace's, which the plugin's
/// manifest, `host-sim --version` and the wheel take too (a test keeps them equal).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The cargo that runs this task (`$CARGO`), else `cargo` from the path.
pub fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// The host's target triple, from `rustc -vV`.
pub fn host_triple() -> Result<String> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let out = output(Command::new(rustc).arg("-vV"))?;
    out.lines()
        .find_map(|line| line.strip_prefix("host: "))
        .map(|triple| triple.trim().to_owned())
        .ok_or_else(|| format!("rustc -vV did not name the host triple:\n{out}"))
}

/// The file name cargo gives the plugin's cdylib on `triple`'s OS.
pub fn cdylib_file_name(triple: &str) -> &'static str {
    if triple.contains("windows") {
        "dingtalk_robot.dll"
    } else if triple.contains("apple") {
        "libdingtalk_robot.dylib"
    } else {
        "libdingtalk_robot.so"
    }
}

/// Runs `command` and returns its standard output, or what went wrong with its stderr.
pub fn output(command: &mut Command) -> Result<String> {
    let shown = format!("{command:?}");
    let out = command.output().map_err(|e| format!("cannot run {shown}: {e}"))?;
    if !out.status.success() {
        return Err(format!("{shown} failed ({}):\n{}", out.status, String::from_utf8_lossy(&out.stderr)));
    }
    String::from_utf8(out.stdout).map_err(|e| format!("{shown} printed text that is not UTF-8: {e}"))
}

/// Runs `command` with its output shown, and fails when it fails.
pub fn run(command: &mut Command) -> Result<()> {
    let shown = format!("{command:?}");
    let status = command.status().map_err(|e| format!("cannot run {shown}: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("{shown} failed ({status})")) }
}

/// Reads a file, naming it when that fails.
pub fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}
