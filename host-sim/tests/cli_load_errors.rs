//! `host-sim` refuses what is not a plugin with a clean error: exit 1 and an error document
//! on stdout naming the file and the cause. None of these needs a plugin to be built.

// A test's failures are panics: unwrap, expect and panic are how it reports them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{run, rust_compiler_driver, s, scratch, scratch_file, system_library};

fn assert_load_failed(path: &str, cause: &str) {
    for command in [&["inspect", "--json", "--plugin", path][..], &["inspect", "--plugin", path]] {
        let r = run(command);
        let e = r.error();
        assert_eq!(e["code"], "LOAD_FAILED", "{e}");
        let message = e["message"].as_str().unwrap_or_default();
        assert!(message.contains(path), "the message should name {path}: {message}");
        assert!(message.contains(cause), "the message should say {cause:?}: {message}");
        assert!(e["hint"].is_string(), "{e}");
        assert!(e.get("step").is_none(), "{e}");
        assert!(r.stderr.contains("LOAD_FAILED"), "stderr: {}", r.stderr);
    }
}

#[test]
fn a_missing_file() {
    assert_load_failed("/no/such/dir/libdingtalk_robot.so", "does not exist");
}

#[test]
fn a_text_file() {
    let path = scratch_file("not-a-library.so", "hello, I am text\n");
    assert_load_failed(s(&path), "not a loadable library");
}

#[test]
fn an_empty_file() {
    let path = scratch_file("empty.so", "");
    assert_load_failed(s(&path), "not a loadable library");
}

#[test]
fn a_directory() {
    assert_load_failed(s(&scratch()), "not a loadable library");
}

#[test]
#[cfg_attr(
    target_os = "macos",
    ignore = "macOS keeps its system libraries in the dyld cache only; fixture_plugins loads not_a_plugin"
)]
fn a_system_library() {
    let library = system_library().expect("a system shared library (libz, libm or libc; kernel32.dll) to test with");
    assert_load_failed(s(&library), "not an RPA plugin");
}

#[test]
fn the_rust_compiler_driver() {
    // A big foreign Rust library, when the toolchain ships one.
    if let Some(driver) = rust_compiler_driver() {
        let r = run(&["inspect", "--json", "--plugin", s(&driver)]);
        let e = r.error();
        assert_eq!(e["code"], "LOAD_FAILED");
        assert!(e["message"].as_str().unwrap_or_default().contains(s(&driver)), "{e}");
    }
}

#[test]
fn run_reports_load_errors_the_same_way() {
    let flow = scratch_file("empty-flow.json", r#"{"steps": []}"#);
    let r = run(&["run", "--plugin", "/no/such/lib.so", s(&flow)]);
    let e = r.error();
    assert_eq!(e["code"], "LOAD_FAILED");
    assert!(e["message"].as_str().unwrap_or_default().contains("/no/such/lib.so"), "{e}");
}

#[test]
fn chinese_messages() {
    let r = run(&["inspect", "--lang", "zh-CN", "--plugin", "/no/such/lib.so"]);
    let e = r.error();
    assert!(e["message"].as_str().unwrap_or_default().contains("文件不存在"), "{e}");
}

#[test]
fn the_default_plugin_is_beside_the_binary() {
    // Without --plugin, host-sim loads libdingtalk_robot.so from beside itself, its parent
    // directory or `deps/` (where `cargo test` leaves it): it either loads it or names the
    // path beside itself.
    let exe = std::path::Path::new(env!("CARGO_BIN_EXE_host-sim"));
    let name = format!("{}dingtalk_robot{}", std::env::consts::DLL_PREFIX, std::env::consts::DLL_SUFFIX);
    let r = run(&["inspect", "--json"]);
    let dir = exe.parent().expect("the binary's directory");
    let found = [Some(dir.join(&name)), dir.parent().map(|p| p.join(&name)), Some(dir.join("deps").join(&name))]
        .into_iter()
        .flatten()
        .any(|p| p.exists());
    if found {
        assert_eq!(r.code, Some(0), "{}", r.stderr);
        assert_eq!(r.json()["id"], "dingtalk-robot");
    } else {
        let e = r.error();
        let expected = dir.join(&name);
        assert!(e["message"].as_str().unwrap_or_default().contains(s(&expected)), "{e}");
    }
}

#[test]
fn usage_errors_exit_2() {
    let r = run(&["run"]);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    let r = run(&["inspect", "--lang", "fr"]);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    let r = run(&["--help"]);
    assert_eq!(r.code, Some(0));
    assert!(r.stdout.contains("inspect") && r.stdout.contains("run"), "{}", r.stdout);
}
