//! Progress and the designer's language across both ABI 1.1 entries (`invoke_with`,
//! `rpa_plugin_invoke_with`), through host-sim's loaders: a 45-receiver send reports its
//! batches 1/3, 2/3, 3/3 with the receivers reached; an upload reports its bytes up to the
//! whole; a wait and an ask report whom they wait for and the time left; every log line and report is in
//! the language the host names.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code)]
mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use dingtalk_emulator::{Emulator, EmulatorConfig};
use dingtalk_robot::names::{ask, connect, send, wait_for_reply};
use host_sim::{Abi, Plugin, ProgressSink, SimHost, load_with};
use serde_json::{Value, json};
use support::*;

/// A sink that keeps every report.
#[derive(Default)]
struct Recorder(Mutex<Vec<(u64, u64, String)>>);

impl ProgressSink for Recorder {
    fn report(&self, _: Duration, done: u64, total: u64, text: &str) {
        self.0.lock().unwrap().push((done, total, text.to_string()));
    }
}

impl Recorder {
    fn reports(&self) -> Vec<(u64, u64, String)> {
        self.0.lock().unwrap().clone()
    }
}

/// The built plugin through `abi`, a host speaking `lang` that records progress, and a robot.
fn designer(abi: Abi, lang: &'static str, emu: &Emulator) -> (Arc<dyn Plugin>, SimHost, Arc<Recorder>, Value) {
    let plugin = load_with(&host_sim::default_plugin_path(), abi).expect("the built plugin loads");
    let recorder = Arc::new(Recorder::default());
    let host = SimHost::silent().with_capture().with_language(lang).with_progress(recorder.clone());
    let robot = plugin.invoke(connect::ID, &connect_params(emu), &host).expect("connect")[connect::ROBOT].clone();
    (plugin, host, recorder, robot)
}

#[test]
fn a_45_receiver_send_reports_batches_1_2_3_and_logs_in_the_hosts_language() {
    for abi in [Abi::AbiStable, Abi::C] {
        for (lang, batch_3, unknown) in [
            ("zh-CN", "已发送第 3/3 批，已送达 41/45 人", "钉钉不认识其中 4 个用户ID"),
            ("en", "Sent batch 3 of 3; 41 of 45 receivers reached", "DingTalk does not know 4 of the user IDs"),
        ] {
            // 41 users the org knows and 4 it does not.
            let known: Vec<String> = (0..41).map(|i| format!("user{i:02}")).collect();
            let emu = Emulator::start(EmulatorConfig { qps_limit: 0, users: known.clone(), ..org_config() }).unwrap();
            let (plugin, host, recorder, robot) = designer(abi, lang, &emu);
            let users: Vec<String> = known.into_iter().chain((0..4).map(|i| format!("ghost{i}"))).collect();
            let params =
                json!({ send::ROBOT: robot, send::USER_IDS: users, send::MSG_TYPE: "text", send::CONTENT: "hi" });
            let out = plugin.invoke(send::ID, &params, &host).expect("the send succeeds");
            assert_eq!(out[send::INVALID_USER_IDS].as_array().unwrap().len(), 4);
            let batches: Vec<(u64, u64)> =
                recorder.reports().iter().filter(|(_, total, _)| *total == 3).map(|(d, t, _)| (*d, *t)).collect();
            assert_eq!(batches, [(1, 3), (2, 3), (3, 3)], "{abi:?} {lang}: {:?}", recorder.reports());
            let last = recorder.reports().last().cloned().unwrap();
            assert_eq!(last.2, batch_3, "{abi:?} {lang}");
            let log = host.captured().join("\n");
            assert!(log.contains(unknown), "{abi:?} {lang}: {log}");
        }
    }
}

#[test]
fn an_upload_reports_its_bytes_up_to_the_whole() {
    let dir = scratch("progress-upload");
    let file = dir.join("报告.pdf");
    std::fs::write(&file, vec![b'%'; 300 * 1024]).unwrap();
    for abi in [Abi::AbiStable, Abi::C] {
        let emu = org();
        let (plugin, host, recorder, robot) = designer(abi, "zh-CN", &emu);
        let params = json!({ send::ROBOT: robot, send::USER_IDS: ["manager01"], send::MSG_TYPE: "file",
                             send::CONTENT: file.to_str().unwrap() });
        plugin.invoke(send::ID, &params, &host).expect("the send succeeds");
        let uploads: Vec<(u64, u64, String)> =
            recorder.reports().into_iter().filter(|(_, _, text)| text.starts_with("正在上传 报告.pdf")).collect();
        assert!(uploads.len() >= 2, "{abi:?}: several pieces of 300 KB: {uploads:?}");
        let (done, total, _) = uploads.last().unwrap();
        assert_eq!(done, total, "{abi:?}: the last report is the whole upload");
        assert!(*total > 300 * 1024, "{abi:?}: the whole form, the file included");
        assert!(uploads.windows(2).all(|w| w[0].0 < w[1].0), "{abi:?}: bytes only grow: {uploads:?}");
    }
}

#[test]
fn a_wait_reports_whom_it_waits_for_and_the_time_left() {
    for abi in [Abi::AbiStable, Abi::C] {
        let emu = org();
        let (plugin, host, recorder, robot) = designer(abi, "zh-CN", &emu);
        let params = json!({ wait_for_reply::ROBOT: robot, wait_for_reply::USER_ID: "staff02",
                             wait_for_reply::TIMEOUT_SECONDS: 2, wait_for_reply::ON_TIMEOUT: "output" });
        let out = plugin.invoke(wait_for_reply::ID, &params, &host).expect("the wait ends");
        assert_eq!(out[wait_for_reply::REPLIED], false);
        let reports = recorder.reports();
        assert!(
            reports.iter().any(|(_, total, text)| *total == 2
                && text.starts_with("等待 staff02 回复，剩余 ")
                && text.ends_with(" 秒")),
            "{abi:?}: {reports:?}"
        );
        let log = host.captured().join("\n");
        assert!(log.contains("2 秒内没有收到回复"), "{abi:?}: the client's lines are in Chinese too: {log}");
    }
}

#[test]
fn an_ask_reports_whom_it_waits_for_and_the_time_left() {
    for abi in [Abi::AbiStable, Abi::C] {
        let emu = org();
        let (plugin, host, recorder, robot) = designer(abi, "zh-CN", &emu);
        let params = json!({ ask::ROBOT: robot, ask::USER_ID: "staff02", ask::QUESTION: "同意吗？",
                             ask::CHOICES: "同意, 拒绝", ask::TIMEOUT_SECONDS: 2 });
        let out = plugin.invoke(ask::ID, &params, &host).expect("the ask ends");
        assert_eq!(out[ask::ANSWERED], false);
        let reports = recorder.reports();
        assert!(
            reports.iter().any(|(_, total, text)| *total == 2
                && text.starts_with("等待 staff02 回答，剩余 ")
                && text.ends_with(" 秒")),
            "{abi:?}: {reports:?}"
        );
    }
}
