//! The Robot Framework wheel: `bindings/robotframework` with the plugin library inside its
//! package, built by its pinned backend (hatchling, `pyproject.toml`) through `pip wheel`.

use std::path::{Path, PathBuf};

use crate::{Result, VERSION, cdylib_file_name, run};

/// The wheel's distribution name as it appears in the file name.
pub const DISTRIBUTION: &str = "robotframework_dingtalkrobot";

/// The folder of the Robot Framework library in the repository.
const BINDINGS: &str = "bindings/robotframework";

/// What the wheel is built from, by path in [`BINDINGS`]; `DingTalkRobotLibrary/*.py` too.
const BINDINGS_FILES: &[&str] = &["pyproject.toml", "hatch_build.py", "README.md"];

/// The repository's licence files, which the wheel's metadata names.
const LICENCE_FILES: &[&str] = &["LICENSE-MIT", "LICENSE-APACHE"];

/// The Python that builds the wheel: `$DINGTALK_SDK_PYTHON` (the project's `.venv`, as the
/// tests use it), else `.venv`'s under `root`, else `python3`.
pub fn python(root: &Path) -> PathBuf {
    if let Some(python) = std::env::var_os("DINGTALK_SDK_PYTHON") {
        return PathBuf::from(python);
    }
    let venv = python_of_venv(&root.join(".venv"));
    if venv.is_file() { venv } else { PathBuf::from("python3") }
}

/// The interpreter of the virtual environment at `venv` (`bin/python`, `Scripts\\python.exe`).
pub fn python_of_venv(venv: &Path) -> PathBuf {
    if cfg!(windows) { venv.join("Scripts").join("python.exe") } else { venv.join("bin").join("python") }
}

/// Builds `robotframework_dingtalkrobot-<version>-py3-none-<platform>.whl` into `out_dir`
/// with `cdylib` (built for `triple`, the host) inside the package, staging the sources in
/// `scratch` (emptied first) so the repository gets no library or build files. Returns the
/// wheel's path.
pub fn build(
    root: &Path,
    cdylib: &Path,
    triple: &str,
    python: &Path,
    scratch: &Path,
    out_dir: &Path,
) -> Result<PathBuf> {
    let _ = std::fs::remove_dir_all(scratch);
    let package = scratch.join("DingTalkRobotLibrary");
    std::fs::create_dir_all(&package).map_err(|e| format!("cannot create {}: {e}", package.display()))?;
    let copy = |from: &Path, to: &Path| {
        std::fs::copy(from, to)
            .map(drop)
            .map_err(|e| format!("cannot copy {} to {}: {e}", from.display(), to.display()))
    };
    let bindings = root.join(BINDINGS);
    for name in BINDINGS_FILES {
        copy(&bindings.join(name), &scratch.join(name))?;
    }
    for name in LICENCE_FILES {
        copy(&root.join(name), &scratch.join(name))?;
    }
    let sources = bindings.join("DingTalkRobotLibrary");
    let entries = std::fs::read_dir(&sources).map_err(|e| format!("cannot read {}: {e}", sources.display()))?;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "py") {
            copy(&path, &package.join(entry.file_name()))?;
        }
    }
    copy(cdylib, &package.join(cdylib_file_name(triple)))?;

    std::fs::create_dir_all(out_dir).map_err(|e| format!("cannot create {}: {e}", out_dir.display()))?;
    let prefix = format!("{DISTRIBUTION}-{VERSION}-py3-none-");
    let is_ours = |p: &PathBuf| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with(&prefix));
    let wheels = |dir: &Path| -> Vec<PathBuf> {
        std::fs::read_dir(dir).into_iter().flatten().flatten().map(|e| e.path()).filter(is_ours).collect()
    };
    for old in wheels(out_dir) {
        let _ = std::fs::remove_file(old);
    }
    run(std::process::Command::new(python)
        .args(["-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check", "--quiet", "--wheel-dir"])
        .arg(out_dir)
        .arg(scratch))?;
    match wheels(out_dir).as_slice() {
        [wheel] => Ok(wheel.clone()),
        found => {
            Err(format!("pip wheel should have written one {prefix}*.whl in {}, found {found:?}", out_dir.display()))
        }
    }
}
