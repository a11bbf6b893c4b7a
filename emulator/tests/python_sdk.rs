//! Drives the emulator with the official DingTalk Python SDK (`alibabacloud-dingtalk`): tokens,
//! robot messages, groups (the interpreter and skipping: `common`).

// A test's failures are panics: unwrap, expect and panic are how it reports them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use dingtalk_emulator::{AppConfig, Emulator, EmulatorConfig, GroupConfig};

#[test]
fn official_python_sdk_accepts_the_emulator() {
    let modules = "alibabacloud_dingtalk.robot_1_0.client, alibabacloud_dingtalk.oauth2_1_0.client";
    let Some(python) = common::sdk_python(modules) else { return };

    let emu = Emulator::start(EmulatorConfig {
        apps: vec![AppConfig::new("sdk-app-key", "sdk-app-secret")],
        users: vec!["u1".into(), "u2".into()],
        flow_controlled: vec!["u3".into()],
        groups: vec![GroupConfig::new("cidSdkGroup==", ["sdk-app-key"])],
        ..EmulatorConfig::default()
    })
    .expect("emulator starts");
    let args = [emu.port().to_string(), "sdk-app-key".to_owned(), "sdk-app-secret".to_owned()];
    let stdout = common::run_check(&python, "sdk_check.py", &args, "ALL SDK CHECKS PASSED");
    let stats = emu.stats();
    // The first text to u1 (u3 is flow-controlled), one more past the 24-hour window, then one
    // message of each of the 13 templates to u1; and one group message.
    assert!(stdout.contains("TEMPLATES SENT 13"), "{stdout}");
    assert_eq!(stats.messages, 1 + 1 + 13, "one delivered recipient per send: {stats:?}");
    assert_eq!(stats.group_messages, 1, "{stats:?}");
    assert_eq!(stats.messages_by_template.len(), 13, "{stats:?}");
    assert_eq!(stats.uploads, 4);
    assert!(stats.token_requests >= 3);
}
