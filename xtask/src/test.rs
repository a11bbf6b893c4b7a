//! `cargo xtask test`, the README's test command: sets up what the suites need, runs
//! `cargo test --workspace`, and ends by naming each suite that could not run with the
//! command that enables it. `.ci/run` calls it too.
//!
//! It sets up:
//! * `.venv` with the pinned official DingTalk SDK (the emulator's wire check) and Robot
//!   Framework (the keyword library's suites, and the wheel's venv is made from it);
//! * Debian's `chromium` and `chromium-driver` (the studio's browser tests) and `redis-server`
//!   (the fleet's tests), when they are missing and the machine can install them (Linux, root,
//!   `apt-get`).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{Result, cargo, run, skips};

/// The Python packages of `.venv`, pinned at the versions the tests were written against.
pub const PYTHON_PINS: &[&str] = &["alibabacloud-dingtalk==2.2.65", "robotframework==7.5"];

/// Debian's packages the suites need: the program that shows a package is there, and the
/// packages that bring it.
const DEBIAN_PACKAGES: &[(&str, &[&str])] =
    &[("chromedriver", &["chromium", "chromium-driver"]), ("redis-server", &["redis-server"])];

/// Sets up, runs `cargo test --workspace <cargo_args>` and reports the skipped suites. Fails
/// when a test failed, or when a suite was skipped and `CI` is set.
pub fn test(root: &Path, target_dir: &Path, cargo_args: &[String]) -> Result<()> {
    let python = python_venv(root);
    if let Err(e) = &python {
        eprintln!("note: {e}");
    }
    debian_packages();

    let list = target_dir.join("test-skips.txt");
    let _ = std::fs::remove_file(&list);
    let mut command = cargo();
    command.args(["test", "--workspace"]).args(cargo_args).current_dir(root).env(skips::LIST_VAR, &list);
    if let Ok(python) = &python {
        command.env("DINGTALK_SDK_PYTHON", python);
    }
    eprintln!("== cargo test --workspace {}", cargo_args.join(" "));
    let tests = run(&mut command);

    let skipped = skips::read(&std::fs::read_to_string(&list).unwrap_or_default());
    if skipped.is_empty() {
        eprintln!("== every suite ran");
    } else {
        eprintln!("== {} suite(s) could not run on this machine:", skipped.len());
        for (suite, why, enable) in &skipped {
            eprintln!("  SKIPPED {suite}: {why}\n    to run it: {enable}");
        }
    }
    tests?;
    if !skipped.is_empty() && std::env::var_os("CI").is_some() {
        return Err(format!("CI is set and {} suite(s) were skipped", skipped.len()));
    }
    Ok(())
}

/// `.venv`'s python under `root`, made and given [`PYTHON_PINS`] when it lacks them.
fn python_venv(root: &Path) -> Result<PathBuf> {
    let python = crate::wheel::python_of_venv(&root.join(".venv"));
    if !python.is_file() {
        eprintln!("== python3 -m venv .venv");
        let base = if cfg!(windows) { "python" } else { "python3" };
        run(Command::new(base).args(["-m", "venv", ".venv"]).current_dir(root))
            .map_err(|e| format!("no .venv, so the SDK and Robot Framework suites cannot run: {e}"))?;
    }
    let check = PYTHON_PINS
        .iter()
        .filter_map(|pin| pin.split_once("=="))
        .map(|(name, version)| format!("assert version({name:?}) == {version:?}"))
        .collect::<Vec<_>>()
        .join("; ");
    let pinned = Command::new(&python)
        .args(["-c", &format!("from importlib.metadata import version; {check}")])
        .output()
        .is_ok_and(|out| out.status.success());
    if !pinned {
        eprintln!("== .venv: pip install {}", PYTHON_PINS.join(" "));
        run(Command::new(&python)
            .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check"])
            .args(PYTHON_PINS))
        .map_err(|e| format!("cannot install {} in .venv: {e}", PYTHON_PINS.join(" ")))?;
    }
    Ok(python)
}

/// Installs those of [`DEBIAN_PACKAGES`] that are missing when this machine can (Linux, root,
/// apt-get); otherwise the suites that need them record their skip.
fn debian_packages() {
    let on_path = |name: &str| {
        std::env::var_os("PATH").is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(name).is_file()))
    };
    // A chromedriver named by CHROMEDRIVER counts as there.
    let present =
        |program: &str| on_path(program) || (program == "chromedriver" && std::env::var_os("CHROMEDRIVER").is_some());
    let mut missing: Vec<&str> = DEBIAN_PACKAGES
        .iter()
        .filter(|(program, _)| !present(program))
        .flat_map(|(_, packages)| packages.iter().copied())
        .collect();
    if missing.is_empty() {
        return;
    }
    missing.dedup();
    let command = format!("apt-get install -y {}", missing.join(" "));
    let root_user = Command::new("id").arg("-u").output().is_ok_and(|out| out.stdout.starts_with(b"0\n"));
    if !cfg!(target_os = "linux") || !root_user || !on_path("apt-get") {
        eprintln!("note: {} missing and cannot be installed here ({command} as root)", missing.join(", "));
        return;
    }
    eprintln!("== {command}");
    let installed = run(Command::new("apt-get").args(["update", "-qq"])).and_then(|()| {
        run(Command::new("apt-get")
            .args(["install", "-y", "-qq"])
            .args(&missing)
            .env("DEBIAN_FRONTEND", "noninteractive"))
    });
    if let Err(e) = installed {
        eprintln!("note: {e}");
    }
}
