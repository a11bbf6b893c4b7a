//! Helpers shared by host-sim's end-to-end tests.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use serde_json::Value;

/// The built `host-sim` binary.
pub(crate) fn host_sim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_host-sim"))
}

/// What one run of the binary did.
pub(crate) struct Run {
    pub(crate) code: Option<i32>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    /// stdout as JSON.
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}\nstderr:\n{}", self.stdout, self.stderr))
    }

    /// The `error` object of a failure's stdout, after checking the exit code is 1.
    pub(crate) fn error(&self) -> Value {
        assert_eq!(self.code, Some(1), "expected exit 1\nstdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        let doc = self.json();
        assert!(doc["error"].is_object(), "{doc}");
        doc["error"].clone()
    }
}

/// Runs the binary with `args`.
pub(crate) fn run(args: &[&str]) -> Run {
    let Output { status, stdout, stderr } = host_sim().args(args).output().expect("host-sim runs");
    Run {
        code: status.code(),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

/// A shared library of the system that is certainly not a plugin, where the system keeps
/// one on disk: Linux and Windows do; macOS keeps them in the dyld shared cache only (the
/// `not_a_plugin` fixture covers every OS).
pub(crate) fn system_library() -> Option<PathBuf> {
    #[cfg(target_os = "windows")]
    let candidates: Vec<PathBuf> = {
        let root = std::env::var_os("SystemRoot").map_or_else(|| PathBuf::from(r"C:\Windows"), PathBuf::from);
        vec![root.join("System32").join("kernel32.dll")]
    };
    #[cfg(not(target_os = "windows"))]
    let candidates: Vec<PathBuf> = {
        let dirs = [
            "/lib/x86_64-linux-gnu",
            "/usr/lib/x86_64-linux-gnu",
            "/lib/aarch64-linux-gnu",
            "/usr/lib/aarch64-linux-gnu",
            "/lib64",
            "/usr/lib64",
            "/lib",
            "/usr/lib",
        ];
        let names = ["libz.so.1", "libm.so.6", "libc.so.6"];
        dirs.iter().flat_map(|d| names.iter().map(move |n| Path::new(d).join(n))).collect()
    };
    candidates.into_iter().find(|p| p.exists())
}

/// The Rust toolchain's compiler driver library (`librustc_driver-*.so`, `.dylib`, or
/// `rustc_driver-*.dll`), a big foreign Rust library, when the toolchain ships one.
pub(crate) fn rust_compiler_driver() -> Option<PathBuf> {
    let output = Command::new("rustc").args(["--print", "sysroot"]).output().ok()?;
    let sysroot = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    let prefix = format!("{}rustc_driver-", std::env::consts::DLL_PREFIX);
    // Windows keeps DLLs beside the executables, the others in lib/.
    ["lib", "bin"]
        .iter()
        .flat_map(|dir| std::fs::read_dir(sysroot.join(dir)).into_iter().flatten().flatten())
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&prefix) && n.ends_with(std::env::consts::DLL_SUFFIX))
        })
}

/// A scratch directory for this test binary.
pub(crate) fn scratch() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("host-sim-scratch");
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// Writes `text` to a scratch file named `name` and returns its path.
pub(crate) fn scratch_file(name: &str, text: &str) -> PathBuf {
    let path = scratch().join(name);
    std::fs::write(&path, text).expect("scratch file");
    path
}

/// The test plugin `name` (`echo_plugin`, `alien_plugin`, `wrong_version_plugin`,
/// `bad_manifest_plugin`, `mismatched_manifest_plugin`) or library (`not_a_plugin`) from
/// `tests/fixtures/`, built once per test binary into the
/// test target's scratch directory.
pub(crate) fn fixture(name: &str) -> PathBuf {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let dir = BUILT.get_or_init(build_fixtures).as_ref().unwrap_or_else(|e| panic!("{e}"));
    dir.join(format!("{}{name}{}", std::env::consts::DLL_PREFIX, std::env::consts::DLL_SUFFIX))
}

fn build_fixtures() -> Result<PathBuf, String> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/Cargo.toml");
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fixtures");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args(["build", "--quiet", "--workspace", "--manifest-path"])
        .arg(&manifest)
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .map_err(|e| format!("cannot run cargo to build the fixtures: {e}"))?;
    if !output.status.success() {
        return Err(format!("building the fixture plugins failed:\n{}", String::from_utf8_lossy(&output.stderr)));
    }
    Ok(target.join("debug"))
}

/// The path as a `&str` for command lines.
pub(crate) fn s(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

/// The real DingTalk robot plugin (`$HOST_SIM_PLUGIN`, else the workspace's cdylib), or `None`
/// (the test passes, saying why) when it is not built and `HOST_SIM_REQUIRE_PLUGIN` is not `1`.
pub(crate) fn real_plugin() -> Option<PathBuf> {
    let path = std::env::var_os("HOST_SIM_PLUGIN").map(PathBuf::from).unwrap_or_else(host_sim::default_plugin_path);
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var("HOST_SIM_REQUIRE_PLUGIN").map_or(true, |v| v != "1"),
        "HOST_SIM_REQUIRE_PLUGIN=1 but the plugin {} does not exist; build it first",
        path.display()
    );
    xtask::skips::record(
        "host-sim: tests with the real plugin",
        &format!("the plugin {} is not built", path.display()),
        "cargo build -p dingtalk-robot (or HOST_SIM_PLUGIN=<path>)",
    );
    None
}

/// Words that may stand alone or together in Chinese text without being an English sentence:
/// names DingTalk itself uses in its Chinese console and documents. Kept short on purpose.
const ENGLISH_ALLOWED: [&str; 5] = ["Stream", "Webhook", "Markdown", "Client", "Rust"];

/// The runs of two or more English words in `text` outside user data, identifiers and codes:
/// what a person reading Chinese would call an English sentence (or part of one).
///
/// Left out before looking: anything quoted ("…", `…`, as JSON values and a form's examples
/// are), a URL, a JSON literal (`true`, `false`, `null`), and a token that is an identifier
/// or a code (holding a digit or one of `._-/:@$={}[]<>#*%+()`, camelCase, or in capitals:
/// `processQueryKey`, `INVALID_INPUT`, `AppKey`, `ID`, `http(s)`). What is left is split at
/// every non-ASCII character (Chinese text and punctuation end a run) and at any punctuation
/// but a space, a comma or enclosing parentheses; a run is two or more plain words in a row,
/// none on [`ENGLISH_ALLOWED`].
pub(crate) fn english_runs(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in text.lines() {
        let line = unquoted(line);
        let mut run: Vec<&str> = Vec::new();
        let mut flush = |run: &mut Vec<&str>| {
            if run.len() >= 2 {
                found.push(format!("{:?} in {line:?}", run.join(" ")));
            }
            run.clear();
        };
        for piece in line.split(|c: char| !c.is_ascii() || matches!(c, '.' | ';' | '!' | '?' | '"' | '\'')) {
            for token in piece.split(|c: char| c.is_whitespace() || c == ',') {
                let token = token.trim_start_matches('(').trim_end_matches(')');
                if token.is_empty() {
                    continue;
                }
                if is_plain_word(token) && !ENGLISH_ALLOWED.contains(&token) {
                    run.push(token);
                } else {
                    flush(&mut run);
                }
            }
            flush(&mut run);
        }
    }
    found
}

/// `line` without what is quoted in it ("…", `…`), nor URLs.
fn unquoted(line: &str) -> String {
    let mut out = String::new();
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in line.chars() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                    out.push(' ');
                }
            }
            None if c == '"' || c == '`' => quote = Some(c),
            None => out.push(c),
        }
    }
    out.split(' ').filter(|w| !w.contains("://")).collect::<Vec<_>>().join(" ")
}

/// A plain English word: letters only, lower case after the first, not an identifier.
fn is_plain_word(token: &str) -> bool {
    let mut chars = token.chars();
    let Some(first) = chars.next() else { return false };
    first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_lowercase())
        && !(token.len() > 1 && token == token.to_uppercase())
        && !matches!(token, "true" | "false" | "null")
}
