//! The release, as a user gets it:
//!
//! * the bundle zip (`cargo xtask dist`) unpacked into an empty folder: every checksum holds
//!   (the zip's in `dist/SHA256SUMS`, each file's in the zip's own `SHA256SUMS`), the library
//!   loads from there through its plain C entry points, runs connect and a send against the
//!   emulator, and the `plugin.json` beside it is the manifest it declares. `cargo test` makes
//!   the bundle from this build's (debug) library with xtask's own code, so the test is cheap;
//!   with `DINGTALK_DIST_DIR=dist` (after `cargo xtask dist`, as `.ci/run` does) it checks
//!   the real release instead;
//! * one version: the crate's, `plugin.json`'s, `host-sim --version`'s, the Robot Framework
//!   library's and the changelog's latest release are the same number.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code)]
mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use dingtalk_robot::names::{connect, send};
use host_sim::{Abi, Flow, SimHost, load_with, run_flow};
use serde_json::{Value, json};
use support::{APP_KEY, assert_no_secrets, connect_params, host_sim_exe, org, scratch};
use xtask::bundle::{Bundle, NOTICES, REPOSITORY_FILES, SUMS, bundle_name, sha256_hex, write_sums};

const VERSION: &str = env!("CARGO_PKG_VERSION");

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `<hex>  <name>` lines of a `SHA256SUMS`, by name.
fn read_sums(path: &Path) -> BTreeMap<String, String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| {
            let (hex, name) = line.split_once("  ").unwrap_or_else(|| panic!("a sha256sum line: {line:?}"));
            (name.to_owned(), hex.to_owned())
        })
        .collect()
}

/// The dist folder to check and the target triple its zip is for: `$DINGTALK_DIST_DIR` after
/// `cargo xtask dist`, else a bundle made here from this build's library.
fn dist_dir() -> (PathBuf, String) {
    let triple = xtask::host_triple().unwrap();
    if let Some(dir) = std::env::var_os("DINGTALK_DIST_DIR") {
        return (root().join(dir), triple);
    }
    let dir = scratch("release-dist");
    let crates = xtask::notices::compiled_crates(root(), &triple).unwrap();
    let notices = xtask::notices::third_party_notice(&crates, VERSION, &triple);
    let cdylib = host_sim::default_plugin_path();
    let zip = Bundle { root: root(), cdylib: &cdylib, version: VERSION, triple: &triple, notices: &notices }
        .write(&dir)
        .unwrap();
    write_sums(&dir, &[zip]).unwrap();
    (dir, triple)
}

#[test]
fn the_unpacked_bundle_checks_out_loads_through_the_c_entry_and_sends() {
    let (dist, triple) = dist_dir();
    let name = bundle_name(VERSION, &triple);
    let zip_path = dist.join(format!("{name}.zip"));

    // dist/SHA256SUMS holds the zip's (and the wheel's, in a real release), and each holds.
    let sums = read_sums(&dist.join(SUMS));
    assert!(sums.contains_key(&format!("{name}.zip")), "{sums:?}");
    for (file, hex) in &sums {
        assert_eq!(&sha256_hex(&std::fs::read(dist.join(file)).unwrap()), hex, "{file}");
    }

    let unpacked = scratch("release-unpacked");
    assert_eq!(std::fs::read_dir(&unpacked).unwrap().count(), 0, "an empty folder");
    zip::ZipArchive::new(std::fs::File::open(&zip_path).unwrap()).unwrap().extract(&unpacked).unwrap();
    let top: Vec<_> = std::fs::read_dir(&unpacked).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(top, [name.as_str()], "one folder, named as the zip");
    let folder = unpacked.join(&name);

    // Inside: every file listed in the zip's SHA256SUMS, each sum right, nothing unlisted.
    let library = xtask::cdylib_file_name(&triple);
    let inner = read_sums(&folder.join(SUMS));
    let mut expected: Vec<String> = REPOSITORY_FILES.iter().map(|f| (*f).to_owned()).collect();
    expected.extend([library.to_owned(), NOTICES.to_owned()]);
    expected.sort();
    assert_eq!(inner.keys().cloned().collect::<Vec<_>>(), expected);
    for (file, hex) in &inner {
        assert_eq!(&sha256_hex(&std::fs::read(folder.join(file)).unwrap()), hex, "{file}");
    }
    let mut on_disk = Vec::new();
    let mut dirs = vec![folder.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap().map(Result::unwrap) {
            if entry.path().is_dir() {
                dirs.push(entry.path());
            } else {
                on_disk.push(entry.path().strip_prefix(&folder).unwrap().to_string_lossy().replace('\\', "/"));
            }
        }
    }
    on_disk.sort();
    expected.push(SUMS.to_owned());
    expected.sort();
    assert_eq!(on_disk, expected, "the folder holds the listed files and SHA256SUMS only");
    let notice = std::fs::read_to_string(folder.join(NOTICES)).unwrap();
    for dependency in ["| tokio |", "| serde |", "| abi_stable |", "| reqwest |"] {
        assert!(notice.contains(dependency), "the notice lists {dependency}");
    }
    assert!(!notice.contains("| dingtalk-client |"), "our own crates are not third-party");

    // The library from there, through the C entry points: connect and a send.
    let emu = org();
    let plugin = load_with(&folder.join(library), Abi::C).expect("the unpacked library loads through its C entry");
    let flow = json!({ "steps": [
        { "action": connect::ID, "params": connect_params(&emu), "outputs": { connect::ROBOT: "bot" } },
        { "action": send::ID,
          "params": { send::ROBOT: "${bot}", send::USER_IDS: ["manager01"], send::MSG_TYPE: "text",
                      send::CONTENT: "from the release bundle" },
          "outputs": { send::INVALID_USER_IDS: "invalid" } },
    ]});
    let flow = Flow::parse(&flow.to_string(), "flow.json".as_ref()).unwrap();
    let host = SimHost::silent().with_capture();
    let vars = run_flow(plugin.as_ref(), &flow, &host, Default::default()).expect("connect and send run");
    assert_eq!(vars["invalid"], json!([]));
    let delivered = emu.delivered();
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0].msg_param["content"], "from the release bundle");
    assert_eq!(delivered[0].user_ids, ["manager01"]);
    assert_eq!(emu.requests().iter().filter(|r| r.path.contains("accessToken")).count(), 1, "one token for {APP_KEY}");
    assert_no_secrets(&emu, &[&host.captured().join("\n")]);

    // The manifest beside it is the one it declares.
    let beside: Value = serde_json::from_slice(&std::fs::read(folder.join("plugin.json")).unwrap()).unwrap();
    let declared: Value = serde_json::from_str(plugin.manifest_json()).unwrap();
    assert_eq!(beside, declared);
    assert_eq!(beside["version"], VERSION);

    // A debug bundle is a few hundred MB unpacked: gone once checked (a failure leaves it).
    drop(plugin);
    let _ = std::fs::remove_dir_all(&unpacked);
    if std::env::var_os("DINGTALK_DIST_DIR").is_none() {
        let _ = std::fs::remove_dir_all(&dist);
    }
}

#[test]
fn one_version_for_the_crates_the_manifest_host_sim_the_wheel_and_the_changelog() {
    let manifest: Value = serde_json::from_slice(&std::fs::read(root().join("plugin.json")).unwrap()).unwrap();
    assert_eq!(manifest["version"], VERSION, "plugin.json");
    assert_eq!(dingtalk_robot::manifest().version.as_str(), VERSION, "the manifest the plugin declares");
    assert_eq!(xtask::VERSION, VERSION, "xtask, which names the bundle and the wheel");

    let out = Command::new(host_sim_exe()).arg("--version").output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), format!("host-sim {VERSION}"));

    let init =
        std::fs::read_to_string(root().join("bindings/robotframework/DingTalkRobotLibrary/__init__.py")).unwrap();
    assert!(init.contains(&format!("\n__version__ = \"{VERSION}\"\n")), "__init__.py's __version__ (the wheel's)");

    let changelog = std::fs::read_to_string(root().join("CHANGELOG.md")).unwrap();
    let latest = changelog.lines().find(|l| l.starts_with("## [") && !l.starts_with("## [Unreleased]")).unwrap();
    assert!(latest.starts_with(&format!("## [{VERSION}] - ")), "the changelog's latest release: {latest}");
}
