//! The Robot Framework library (`bindings/robotframework`, keywords generated from the
//! manifest over the plain C entry points) runs its suite, `bindings/robotframework/tests/
//! acceptance`, with `robot` against the built cdylib and the `dingtalk-emulator` binary:
//! connect, sends, bad input, cancellation by timeout and by stop signal, libdoc, a
//! three-action fixture plugin, and what a failure tells a suite (its field, its details as
//! attributes of the error, a warning for a secret given as a plain string). Every test must pass (none skipped), and no file the run
//! writes may hold the AppSecret or an access token.
//!
//! The wheel (issue 29.2): a second test builds it as `cargo xtask dist` does, from this
//! build's library, installs it into a fresh venv, imports the library and runs libdoc with
//! no path from outside the repository, then runs the same suite from the installed copy.
//!
//! The interpreter is `$DINGTALK_SDK_PYTHON` (`cargo xtask test` sets it to the project's
//! `.venv`, where it installs the pinned `robotframework`), else `python3`. When it cannot
//! import `robot`, or the emulator binary is not built (or, for the wheel, pip cannot reach
//! PyPI or its cache), the test fails if `$CI` is set and is skipped otherwise, recorded in
//! `cargo xtask test`'s list of skipped suites.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The AppSecret of the suite's emulated app (`tests/resources/paths.py`).
const APP_SECRET: &str = "S3cret-RF-Never-Print-Me-20261125";
/// The suite runs in seconds; this only stops a hung run from hanging `cargo test`.
const RUN_LIMIT: Duration = Duration::from_secs(300);
/// At least this many tests must run and pass (the suite has 27 today).
const MIN_TESTS: u32 = 28;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `$DINGTALK_SDK_PYTHON` or `python3`; a relative path with a directory part (such as
/// `.venv/bin/python`) is tried against the current directory, then the workspace root.
fn python_interpreter() -> String {
    let python = std::env::var("DINGTALK_SDK_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let path = Path::new(&python);
    if path.is_relative() && path.components().count() > 1 && !path.exists() {
        let from_root = root().join(path);
        if from_root.exists() {
            return from_root.to_string_lossy().into_owned();
        }
    }
    python
}

/// Fails under CI, else records that `suite` is skipped, why, and the command that
/// `enable`s it (`cargo xtask test` lists it at the end). Returns whether to go on.
fn require(ok: bool, suite: &str, why: impl FnOnce() -> String, enable: &str) -> bool {
    if ok {
        return true;
    }
    let why = why();
    assert!(std::env::var_os("CI").is_none(), "CI is set but {why}");
    xtask::skips::record(suite, &why, enable);
    false
}

/// The suite's name in the list of skips.
const SUITE: &str = "dingtalk-robot: Robot Framework suite (tests/robot_framework.rs)";
/// What makes a python with Robot Framework.
const ENABLE_ROBOT: &str =
    "cargo xtask test (makes .venv with the pinned robotframework), or DINGTALK_SDK_PYTHON=<a python with it>";

/// `target/<profile>/<name>`, from this test binary's place in `target/<profile>/deps`.
fn built_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary has a path");
    let profile_dir = exe.parent().and_then(Path::parent).expect("target/<profile>/deps");
    profile_dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
}

/// Builds `host-sim/tests/fixtures/three-actions-plugin` (its own
/// workspace) where the suite's `paths.py` looks for it, and returns the library.
fn build_fixture_plugin(scratch: &Path) -> PathBuf {
    let target = scratch.join("fixtures");
    let manifest = root().join("host-sim/tests/fixtures/three-actions-plugin/Cargo.toml");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .args(["build", "--quiet", "--manifest-path"])
        .arg(&manifest)
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .expect("cargo runs");
    assert!(out.status.success(), "building the fixture plugin failed:\n{}", String::from_utf8_lossy(&out.stderr));
    let name = format!("{}three_actions_plugin{}", std::env::consts::DLL_PREFIX, std::env::consts::DLL_SUFFIX);
    target.join("debug").join(name)
}

/// Every file under `dir`.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for entry in std::fs::read_dir(&d).unwrap().map(Result::unwrap) {
            let path = entry.path();
            if path.is_dir() { dirs.push(path) } else { files.push(path) }
        }
    }
    files
}

/// Runs `command`, killing it after `limit`; returns (success, stdout, stderr).
fn run_with_limit(command: &mut Command, limit: Duration) -> (bool, String, String) {
    let mut child = command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("robot starts");
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    let read = |mut r: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = r.read_to_string(&mut text);
            text
        })
    };
    let (out, err) = (read(Box::new(stdout)), read(Box::new(stderr)));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let (out, err) = (out.join().unwrap(), err.join().unwrap());
    assert!(status.is_some(), "robot did not finish within {limit:?}\nstdout:\n{out}\nstderr:\n{err}");
    (status.is_some_and(|s| s.success()), out, err)
}

/// `(tests, passed)` from robot's summary line `20 tests, 20 passed, 0 failed`; `None` when
/// the line shows a failure or a skip.
fn all_passed(stdout: &str) -> Option<(u32, u32)> {
    let line = stdout.lines().rev().find(|l| l.contains(" tests, ") && l.contains(" passed, "))?;
    let numbers: Vec<u32> = line.split(", ").filter_map(|part| part.split(' ').next()?.parse().ok()).collect();
    match numbers.as_slice() {
        [tests, passed, 0] => Some((*tests, *passed)),
        _ => None,
    }
}

/// A python that imports Robot Framework (and its version) and the built emulator, or `None`
/// when the suite cannot run here (recorded as skipped; a failure under CI).
fn tools(suite: &str) -> Option<(String, String, PathBuf)> {
    let python = python_interpreter();
    let probe = Command::new(&python).args(["-c", "import robot; print(robot.__version__)"]).output();
    let version = match &probe {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        _ => String::new(),
    };
    let why = || match &probe {
        Ok(out) => format!(
            "Robot Framework is not importable with {python} ({})",
            String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or("").trim()
        ),
        Err(e) => format!("{python} cannot run: {e}"),
    };
    if !require(!version.is_empty(), suite, why, ENABLE_ROBOT) {
        return None;
    }
    let emulator = built_binary("dingtalk-emulator");
    let why = || format!("the emulator binary {} is not built", emulator.display());
    if !require(emulator.exists(), suite, why, "cargo build -p dingtalk-emulator") {
        return None;
    }
    Some((python, version, emulator))
}

/// Where the suite's `paths.py` looks for the fixture plugin, which both runs share.
fn scratch_root() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("robotframework")
}

#[test]
fn robot_framework_suite_passes_against_the_plugin_and_the_emulator() {
    let Some((python, version, emulator)) = tools(SUITE) else { return };
    let plugin = host_sim::default_plugin_path();
    assert!(plugin.exists(), "the cdylib is built beside the tests: {}", plugin.display());
    let bindings = root().join("bindings/robotframework");
    suite_passes(&python, &version, &plugin, &emulator, &scratch_root().join("results"), Some(&bindings));
}

/// Runs the acceptance suite with `python` against `plugin` and the emulator, writing into
/// `results`, with the library imported from `pythonpath` (the source tree), or, when `None`,
/// from `python`'s environment, child runs and libdoc too; checks every test passed and no
/// file the run wrote holds the AppSecret or an access token.
fn suite_passes(
    python: &str,
    version: &str,
    plugin: &Path,
    emulator: &Path,
    results: &Path,
    pythonpath: Option<&Path>,
) {
    // One run at a time: the cancellation tests' bounds are for one suite on the machine.
    static ONE_RUN: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_run = ONE_RUN.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let fixture = build_fixture_plugin(&scratch_root());
    let _ = std::fs::remove_dir_all(results);
    let bindings = root().join("bindings/robotframework");
    let variable = |name: &str, path: &Path| format!("{name}:{}", path.display());
    let mut command = Command::new(python);
    command.args(["-m", "robot"]);
    match pythonpath {
        Some(path) => command.arg("--pythonpath").arg(path).env_remove("DINGTALK_RF_INSTALLED"),
        None => command.env("DINGTALK_RF_INSTALLED", "1").env_remove("PYTHONPATH"),
    };
    let (ok, stdout, stderr) = run_with_limit(
        command
            .arg("--outputdir")
            .arg(results)
            .args(["--loglevel", "TRACE", "--console", "verbose", "--consolecolors", "off"])
            .args(["--variable", &variable("PLUGIN", plugin)])
            .args(["--variable", &variable("EMULATOR", emulator)])
            .args(["--variable", &variable("FIXTURE_PLUGIN", &fixture)])
            .arg(bindings.join("tests/acceptance"))
            .current_dir(root()),
        RUN_LIMIT,
    );
    println!("Robot Framework {version}\n{stdout}");
    let counts = all_passed(&stdout);
    assert!(ok && counts.is_some(), "robot failed or skipped tests (log: {})\n{stdout}\n{stderr}", results.display());
    let (tests, passed) = counts.unwrap_or_default();
    assert!(
        tests == passed && tests >= MIN_TESTS,
        "{passed} of {tests} tests passed; expected all of at least {MIN_TESTS}"
    );

    // What robot wrote: logs, outputs, the child runs' logs, libdoc. The emulator's saved
    // requests hold the tokens to look for (and are not themselves a log).
    let files = files_under(results);
    let mut tokens = Vec::new();
    for path in
        files.iter().filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("emulator-requests")))
    {
        let requests: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        tokens.extend(requests.as_array().unwrap().iter().filter_map(|r| r["accessToken"].as_str().map(str::to_owned)));
    }
    tokens.sort();
    tokens.dedup();
    assert!(!tokens.is_empty(), "the suite saved the emulator's requests, with the tokens in use");
    for libdoc in ["DingTalkRobotLibrary.html", "FixturePlugin.html"] {
        assert!(results.join("libdoc").join(libdoc).exists(), "libdoc wrote {libdoc}");
    }
    let logs: Vec<&PathBuf> =
        files.iter().filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with("emulator-requests")).collect();
    assert!(logs.len() >= 7, "robot's outputs, the child runs' and libdoc's: {logs:?}");
    let mut texts: Vec<(String, String)> = vec![("stdout".into(), stdout), ("stderr".into(), stderr)];
    texts.extend(
        logs.iter()
            .map(|p| (p.display().to_string(), String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned())),
    );
    for (name, text) in &texts {
        assert!(!text.contains(APP_SECRET), "the AppSecret is in {name}");
        for token in &tokens {
            assert!(!text.contains(token.as_str()), "an access token is in {name}");
        }
    }
}

/// The wheel's test in the list of skips.
const WHEEL_SUITE: &str = "dingtalk-robot: the Robot Framework wheel in a fresh venv (tests/robot_framework.rs)";

/// Runs `command` and returns its stdout, or what went wrong (its stderr) when it fails.
fn succeeds(command: &mut Command) -> Result<String, String> {
    match command.output() {
        Ok(out) if out.status.success() => Ok(String::from_utf8_lossy(&out.stdout).into_owned()),
        Ok(out) => Err(format!("{command:?} failed: {}", String::from_utf8_lossy(&out.stderr).trim())),
        Err(e) => Err(format!("{command:?} cannot run: {e}")),
    }
}

#[test]
fn the_wheel_installs_in_a_fresh_venv_and_the_suite_runs_from_the_installed_copy() {
    let Some((python, version, emulator)) = tools(WHEEL_SUITE) else { return };
    let cdylib = host_sim::default_plugin_path();
    assert!(cdylib.exists(), "the cdylib is built beside the tests: {}", cdylib.display());
    let scratch = Path::new(env!("CARGO_TARGET_TMPDIR")).join("robotframework-wheel");
    let _ = std::fs::remove_dir_all(&scratch);
    let triple = xtask::host_triple().unwrap();

    // The wheel as `cargo xtask dist` builds it (pip wheel, the pinned hatchling), with this
    // build's library; then a fresh venv with it and the Robot Framework the other run uses.
    let (stage, dist) = (scratch.join("stage"), scratch.join("dist"));
    let wheel = xtask::wheel::build(root(), &cdylib, &triple, Path::new(&python), &stage, &dist);
    let pypi = "network access to PyPI (hatchling and robotframework, pinned), or pip's cache holding them";
    if !require(
        wheel.is_ok(),
        WHEEL_SUITE,
        || format!("pip could not build the wheel: {:?}", wheel.as_ref().err()),
        pypi,
    ) {
        return;
    }
    let wheel = wheel.unwrap();
    let name = wheel.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with(&format!("robotframework_dingtalkrobot-{}-py3-none-", env!("CARGO_PKG_VERSION"))),
        "{name}"
    );
    assert!(!name.ends_with("-any.whl"), "a platform wheel: {name}");
    let venv = scratch.join("venv");
    let made = succeeds(Command::new(&python).arg("-m").arg("venv").arg(&venv));
    if !require(made.is_ok(), WHEEL_SUITE, || format!("no venv: {:?}", made.as_ref().err()), "install python3-venv") {
        return;
    }
    let venv_python = xtask::wheel::python_of_venv(&venv);
    let installed = succeeds(
        Command::new(&venv_python)
            .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check"])
            .arg(&wheel)
            .arg(format!("robotframework=={version}")),
    );
    if !require(installed.is_ok(), WHEEL_SUITE, || format!("pip install failed: {:?}", installed.as_ref().err()), pypi)
    {
        return;
    }

    // From a folder outside the repository, with no path and no variable: the installed copy.
    let elsewhere = scratch.join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let in_venv = |command: &mut Command| {
        succeeds(command.current_dir(&elsewhere).env_remove("PYTHONPATH").env_remove("DINGTALK_RF_INSTALLED")).unwrap()
    };
    let file = in_venv(Command::new(&venv_python).args(["-c", "import DingTalkRobotLibrary as m; print(m.__file__)"]));
    let package = PathBuf::from(file.trim()).parent().unwrap().to_path_buf();
    assert!(package.starts_with(&venv), "imported from the venv, not the source tree: {}", package.display());
    let library = package.join(xtask::cdylib_file_name(&triple));
    assert!(library.is_file(), "the wheel put the plugin library in the package: {}", library.display());

    in_venv(Command::new(&venv_python).args(["-m", "robot.libdoc", "DingTalkRobotLibrary", "out.html"]));
    let html = std::fs::read_to_string(elsewhere.join("out.html")).unwrap();
    // libdoc writes its spec into the page as JSON, Chinese as \\u escapes.
    let escaped = |words: &str| -> String {
        words.chars().map(|c| if c.is_ascii() { c.to_string() } else { format!("\\u{:04x}", u32::from(c)) }).collect()
    };
    for words in ["Create DingTalk Robot Connection", "建立钉钉机器人连接", "Wait For A Reply", "等待用户回复"]
    {
        assert!(html.contains(&escaped(words)), "libdoc documents the keywords in both languages: {words}");
    }
    std::fs::write(
        elsewhere.join("import.robot"),
        "*** Settings ***\nLibrary    DingTalkRobotLibrary\n\n*** Test Cases ***\n\
         The Library Finds Its Plugin Inside The Package\n\
         \x20   ${lib}=    Get Library Instance    DingTalkRobotLibrary\n\
         \x20   Should Be Equal As Strings    ${lib.plugin.path}    ${EXPECTED}\n\
         \x20   Should Be Equal    ${lib.plugin.manifest}[version]    ${VERSION}\n",
    )
    .unwrap();
    in_venv(
        Command::new(&venv_python)
            .args(["-m", "robot", "--outputdir", "out", "--console", "quiet"])
            .args(["--variable", &format!("EXPECTED:{}", library.display())])
            .args(["--variable", &format!("VERSION:{}", env!("CARGO_PKG_VERSION"))])
            .arg("import.robot"),
    );

    // The whole suite, its library (and its child runs' and libdoc's) from the venv.
    suite_passes(&venv_python.to_string_lossy(), &version, &library, &emulator, &scratch.join("results"), None);
    // The venv and the staged wheel hold the debug library three times over: gone once the
    // suite passed (a failure leaves them, with robot's logs).
    let _ = std::fs::remove_dir_all(&scratch);
}
