//! `cargo xtask dist`: the release in `dist/`, built with `--locked`.

use std::path::{Path, PathBuf};

use crate::bundle::{Bundle, write_sums};
use crate::notices::{PLUGIN_PACKAGE, compiled_crates, third_party_notice};
use crate::{Result, VERSION, cargo, cdylib_file_name, host_triple, output, run, wheel};

/// The cargo profile of a release library: `release`, stripped (`[profile.dist]`).
pub const PROFILE: &str = "dist";

/// Builds the plugin's library with `--locked` in the `dist` profile and writes into
/// `out_dir` (emptied first) the bundle zip, the Robot Framework wheel and `SHA256SUMS`;
/// returns the three paths.
pub fn dist(root: &Path, out_dir: &Path) -> Result<Vec<PathBuf>> {
    let triple = host_triple()?;
    eprintln!("== cargo build --locked --profile {PROFILE} -p {PLUGIN_PACKAGE} --lib ({triple})");
    run(cargo()
        .args(["build", "--locked", "--profile", PROFILE, "-p", PLUGIN_PACKAGE, "--lib", "--manifest-path"])
        .arg(root.join("Cargo.toml")))?;
    let target_dir = target_directory(root)?;
    let cdylib = target_dir.join(PROFILE).join(cdylib_file_name(&triple));

    let _ = std::fs::remove_dir_all(out_dir);
    eprintln!("== third-party notice, from cargo metadata");
    let notices = third_party_notice(&compiled_crates(root, &triple)?, VERSION, &triple);
    let zip = Bundle { root, cdylib: &cdylib, version: VERSION, triple: &triple, notices: &notices }.write(out_dir)?;
    eprintln!("== the Robot Framework wheel (pip wheel, hatchling as pyproject.toml pins it)");
    let python = wheel::python(root);
    let wheel = wheel::build(root, &cdylib, &triple, &python, &target_dir.join("xtask").join("wheel"), out_dir)?;
    let sums = write_sums(out_dir, &[zip.clone(), wheel.clone()])?;
    Ok(vec![zip, wheel, sums])
}

/// Cargo's target directory for the workspace at `root` (`$CARGO_TARGET_DIR` or `target/`,
/// as cargo itself decides).
pub fn target_directory(root: &Path) -> Result<PathBuf> {
    let text = output(
        cargo()
            .args(["metadata", "--format-version", "1", "--no-deps", "--manifest-path"])
            .arg(root.join("Cargo.toml")),
    )?;
    let metadata: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("cargo metadata is not JSON: {e}"))?;
    metadata["target_directory"]
        .as_str()
        .map(PathBuf::from)
        .ok_or_else(|| "cargo metadata did not say the target directory".to_owned())
}
