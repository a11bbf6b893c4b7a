//! The `details` of an error reach the user on every host path (issue 24, item 6). A send to
//! 45 users goes out in three batches of 20; the emulator refuses the second one (IP not on
//! the allow-list), so the plugin fails with `PARTIALLY_SENT`, whose hint says to run the
//! step again with only `details.unsentUserIds`. Each path must show those details:
//!
//! * `host-sim run` (through the abi_stable module and through the C entry points): the
//!   printed error document, and the field in the one-line summary on stderr;
//! * `host-sim bench`: the report's `firstErrorDetails`;
//! * the studio: the failed step's error in the answer of `POST /api/run`;
//! * the C entry itself: the error JSON `rpa_plugin_invoke` returns.
//!
//! The Robot Framework path is `bindings/robotframework/tests/acceptance/05_error_details.robot`,
//! run by `tests/robot_framework.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code)]
mod support;

use std::ffi::{CStr, CString, c_char};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use dingtalk_emulator::{Emulator, EmulatorConfig, Endpoint, Fault, FaultRule};
use dingtalk_robot::names::{connect, send};
use host_sim::studio::{Studio, StudioOptions};
use host_sim::{Abi, load_with};
use serde_json::{Value, json};
use support::{assert_no_secrets, connect_params, host_sim_exe, org_config, scratch};

/// The org's 45 users, `p00`..`p44`.
fn users() -> Vec<String> {
    (0..45).map(|i| format!("p{i:02}")).collect()
}

/// An org of [`users`] whose second batchSend (from now on) is refused before DingTalk
/// processes it: batch 1 is delivered, batches 2 and 3 are not.
fn org_refusing_batch_two() -> Emulator {
    let emu = Emulator::start(EmulatorConfig { users: users(), ..org_config() }).unwrap();
    emu.inject_after(1, FaultRule::next(Endpoint::BatchSend, Fault::IpNotAllowed, 1));
    emu
}

/// connect -> a text to every user.
fn flow(emu: &Emulator) -> Value {
    json!({ "steps": [
        { "action": connect::ID, "params": connect_params(emu), "outputs": { connect::ROBOT: "bot" } },
        { "action": send::ID, "params": {
            send::ROBOT: "${bot}", send::USER_IDS: users(), send::MSG_TYPE: "text", send::CONTENT: "hello",
        } },
    ]})
}

fn write_flow(dir: &Path, emu: &Emulator) -> PathBuf {
    let path = dir.join("flow.json");
    std::fs::write(&path, flow(emu).to_string()).unwrap();
    path
}

/// Checks `details` are PARTIALLY_SENT's for the refused second batch.
fn assert_partly_sent(details: &Value) {
    let list = |key: &str| -> Vec<String> {
        serde_json::from_value(details[key].clone()).unwrap_or_else(|e| panic!("{key}: {e}: {details}"))
    };
    let all = users();
    assert_eq!(list("sentUserIds"), all[..20].to_vec(), "{details}");
    assert_eq!(list("unsentUserIds"), all[20..].to_vec(), "{details}");
    assert_eq!(list("unknownUserIds"), Vec::<String>::new(), "{details}");
    assert_eq!(details["processQueryKeys"].as_array().map(Vec::len), Some(1), "{details}");
}

#[test]
fn host_sim_run_prints_the_details_through_either_abi() {
    let dir = scratch("details-run");
    for abi in ["abi-stable", "c"] {
        let emu = org_refusing_batch_two();
        let out = Command::new(host_sim_exe())
            .args(["run", "--abi", abi, "--log-level", "off"])
            .arg(write_flow(&dir, &emu))
            .output()
            .unwrap();
        let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert_eq!(out.status.code(), Some(1), "{abi}: {stdout}{stderr}");
        let doc: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{abi}: {e}: {stdout}"));
        let error = &doc["error"];
        assert_eq!((error["code"].as_str(), error["step"].as_u64()), (Some("PARTIALLY_SENT"), Some(2)), "{abi}: {doc}");
        assert!(error["hint"].as_str().is_some_and(|h| h.contains("details.unsentUserIds")), "{abi}: {doc}");
        assert_partly_sent(&error["details"]);
        assert_eq!(emu.delivered().len(), 1, "batch 1 only");
        assert_no_secrets(&emu, &[&stdout, &stderr]);
    }
}

#[test]
fn the_summary_on_stderr_names_the_field() {
    let dir = scratch("details-summary");
    let emu = Emulator::start(org_config()).unwrap();
    let mut doc = flow(&emu);
    doc["steps"][1]["params"][send::USER_IDS] = json!([]);
    let path = dir.join("no-receivers.json");
    std::fs::write(&path, doc.to_string()).unwrap();
    for (lang, prefix, field) in
        [("en", "error: step 2: ", " [field userIds]"), ("zh-CN", "错误：步骤 2：", " [字段 userIds]")]
    {
        let out = Command::new(host_sim_exe()).args(["run", "--lang", lang]).arg(&path).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        // The document's own words, then the field it names.
        let expected = format!("{prefix}INVALID_INPUT: {}{field}", doc["error"]["message"].as_str().unwrap());
        assert!(stderr.lines().any(|l| l == expected), "{lang}: no line {expected:?} in:\n{stderr}");
    }
}

#[test]
fn bench_reports_the_first_failures_details() {
    let dir = scratch("details-bench");
    for (lang, words) in [("en", "batch 2"), ("zh-CN", "第 2 批")] {
        let emu = org_refusing_batch_two();
        let out = Command::new(host_sim_exe())
            .args(["bench", "--iterations", "1", "--threads", "1", "--lang", lang])
            .arg(write_flow(&dir, &emu))
            .output()
            .unwrap();
        let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        let report: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}{stderr}"));
        assert_eq!(report["errors"].as_u64(), Some(1), "{report}");
        let first = report["firstError"].as_str().unwrap_or_default();
        assert!(first.starts_with("step 2: PARTIALLY_SENT: ") && first.contains(words), "{lang}: {report}");
        assert_partly_sent(&report["firstErrorDetails"]);
        assert_no_secrets(&emu, &[&stdout, &stderr]);
    }
}

#[test]
fn bench_without_failures_reports_no_details() {
    let dir = scratch("details-bench-ok");
    let emu = Emulator::start(EmulatorConfig { users: users(), ..org_config() }).unwrap();
    let out = Command::new(host_sim_exe())
        .args(["bench", "--iterations", "1", "--threads", "1"])
        .arg(write_flow(&dir, &emu))
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["errors"].as_u64(), Some(0), "{report}");
    assert!(report.get("firstError").is_none() && report.get("firstErrorDetails").is_none(), "{report}");
}

/// Posts `body` to the studio's `path` as its own page does; returns the JSON answer.
fn post(studio: &Studio, path: &str, body: &str) -> Value {
    let port = studio.port();
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: http://127.0.0.1:{port}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    let answer = String::from_utf8(answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}\n{body}");
    assert!(!head.to_ascii_lowercase().contains("transfer-encoding: chunked"), "{head}");
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

#[test]
fn the_studios_run_answer_carries_the_details() {
    let emu = org_refusing_batch_two();
    let plugin = load_with(&host_sim::default_plugin_path(), Abi::AbiStable).unwrap();
    let studio = Studio::start(plugin, StudioOptions { emulator: false, ..StudioOptions::default() }).unwrap();
    let answer = post(&studio, "/api/run", &flow(&emu).to_string());
    let steps = answer["steps"].as_array().unwrap_or_else(|| panic!("{answer}"));
    assert_eq!(steps[0]["status"], "ok", "{answer}");
    assert_eq!(steps[1]["status"], "error", "{answer}");
    let error = &steps[1]["error"];
    assert_eq!(error["code"], "PARTIALLY_SENT", "{answer}");
    assert!(error["hint"]["en"].as_str().is_some_and(|h| h.contains("details.unsentUserIds")), "{answer}");
    assert_partly_sent(&error["details"]);
    assert_no_secrets(&emu, &[&answer.to_string()]);
}

/// Calls `rpa_plugin_invoke` as a C host does (no host callbacks); returns status and JSON.
fn invoke_c(action: &str, params: &Value) -> (i32, Value) {
    let action = CString::new(action).unwrap();
    let params = CString::new(params.to_string()).unwrap();
    let mut out: *mut c_char = std::ptr::null_mut();
    // SAFETY: NUL-terminated strings, a null host (allowed), a writable out pointer.
    let status = unsafe {
        dingtalk_robot::capi::rpa_plugin_invoke(action.as_ptr(), params.as_ptr(), std::ptr::null(), &mut out)
    };
    assert!(!out.is_null());
    // SAFETY: the string the call just returned, read then released once.
    let text = unsafe { CStr::from_ptr(out) }.to_str().unwrap().to_owned();
    unsafe { dingtalk_robot::capi::rpa_plugin_free(out) };
    (status, serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}")))
}

#[test]
fn the_c_entrys_error_json_carries_the_details() {
    let emu = org_refusing_batch_two();
    let (status, out) = invoke_c(connect::ID, &connect_params(&emu));
    assert_eq!(status, rpa_plugin_abi::c::RPA_OK, "{out}");
    let params = json!({
        send::ROBOT: out[connect::ROBOT], send::USER_IDS: users(), send::MSG_TYPE: "text", send::CONTENT: "hello",
    });
    let (status, error) = invoke_c(send::ID, &params);
    assert_eq!(status, rpa_plugin_abi::c::RPA_ERROR, "{error}");
    assert_eq!(error["code"], "PARTIALLY_SENT", "{error}");
    assert!(error["hint"].as_str().is_some_and(|h| h.contains("details.unsentUserIds")), "{error}");
    assert_partly_sent(&error["details"]);
    assert_no_secrets(&emu, &[&error.to_string()]);
}
