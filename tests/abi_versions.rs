//! Hosts built before ABI 1.1 keep working: the built library, loaded as a host built against
//! ABI 1 loads it (ABI 1's root module type, whose last field is `invoke`; or the C entry
//! `rpa_plugin_invoke` only), runs every action of its manifest against the emulator. Such a
//! host passes no language and gets no progress; its log lines still arrive.
//!
//! Its own test binary: the library is loaded here only as an ABI 1 host does.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code)]
mod support;

use std::collections::BTreeSet;

use dingtalk_emulator::{Emulator, EmulatorConfig, GroupConfig, WebhookConfig};
use dingtalk_robot::names::{
    ask, connect, connect_webhook, group_send, lookup, read_status, recall, send, send_webhook, wait_for_reply,
};
use host_sim::{Abi, Plugin, SimHost, plugin::load_as_abi1};
use serde_json::{Value, json};
use support::*;

/// A group the app's robot is in.
const GROUP: &str = "cidTeamGroup8xK2+aB/Q==";
/// The custom robot's access_token (this test's own).
const TOKEN: &str = "whtokabiversions0123456789abcdef0123456789abcdef0123456789abcdef";

fn full_org() -> Emulator {
    Emulator::start(EmulatorConfig {
        groups: vec![GroupConfig::new(GROUP, [APP_KEY])],
        mobiles: vec![("13800000001".into(), "manager01".into()), ("13800000002".into(), "staff02".into())],
        webhooks: vec![WebhookConfig::new(TOKEN, WEBHOOK_GROUP).with_secret(WEBHOOK_SECRET)],
        ..org_config()
    })
    .expect("emulator starts")
}

/// Runs every action once through `plugin`; returns the ids of the actions it ran.
fn every_action(plugin: &dyn Plugin, host: &SimHost, emu: &Emulator) -> BTreeSet<&'static str> {
    let mut ran = BTreeSet::new();
    let mut call = |action: &'static str, params: Value| {
        ran.insert(action);
        plugin.invoke(action, &params, host).unwrap_or_else(|e| panic!("{action}: {e:?}"))
    };
    let robot = call(connect::ID, connect_params(emu))[connect::ROBOT].clone();
    let sent = call(
        send::ID,
        json!({ send::ROBOT: robot, send::USER_IDS: ["manager01", "nobody"], send::MOBILES: ["13800000002"],
                send::MSG_TYPE: "text", send::CONTENT: "hi" }),
    );
    assert_eq!(sent[send::INVALID_USER_IDS], json!(["nobody"]));
    let key = sent[send::PROCESS_QUERY_KEY].clone();
    call(read_status::ID, json!({ read_status::ROBOT: robot, read_status::PROCESS_QUERY_KEY: key }));
    let found = call(lookup::ID, json!({ lookup::ROBOT: robot, lookup::MOBILES: ["13800000001"] }));
    assert_eq!(found[lookup::USER_IDS], json!(["manager01"]));
    let posted = call(
        group_send::ID,
        json!({ group_send::ROBOT: robot, group_send::OPEN_CONVERSATION_ID: GROUP, send::MSG_TYPE: "text",
                send::CONTENT: "hi" }),
    );
    let recalled = call(
        recall::ID,
        json!({ recall::ROBOT: robot, recall::PROCESS_QUERY_KEYS: [posted[group_send::PROCESS_QUERY_KEY]],
                recall::OPEN_CONVERSATION_ID: GROUP }),
    );
    assert_eq!(recalled[recall::FAILED_KEYS], json!([]));
    let waited = call(
        wait_for_reply::ID,
        json!({ wait_for_reply::ROBOT: robot, wait_for_reply::USER_ID: "staff02", wait_for_reply::TIMEOUT_SECONDS: 1,
                wait_for_reply::ON_TIMEOUT: "output" }),
    );
    assert_eq!(waited[wait_for_reply::REPLIED], false);
    let asked = call(
        ask::ID,
        json!({ ask::ROBOT: robot, ask::USER_ID: "staff02", ask::QUESTION: "OK?", ask::CHOICES: "yes, no",
                ask::TIMEOUT_SECONDS: 1 }),
    );
    assert_eq!(asked[ask::ANSWERED], false);
    let url = format!("{}/robot/send?access_token={TOKEN}", emu.url());
    let hook = call(
        connect_webhook::ID,
        json!({ connect_webhook::WEBHOOK_URL: url, connect_webhook::SECRET: WEBHOOK_SECRET }),
    )[connect_webhook::ROBOT]
        .clone();
    call(
        send_webhook::ID,
        json!({ send_webhook::ROBOT: hook, send_webhook::MSG_TYPE: "text", send_webhook::CONTENT: "hi" }),
    );
    ran
}

#[test]
fn hosts_built_against_abi_1_run_every_action_through_both_entries() {
    for abi in [Abi::AbiStable, Abi::C] {
        let emu = full_org();
        let plugin = load_as_abi1(&host_sim::default_plugin_path(), abi).expect("an ABI 1 host loads the plugin");
        let host = SimHost::silent().with_capture();
        let ran = every_action(plugin.as_ref(), &host, &emu);
        let declared: BTreeSet<&str> = plugin.manifest().actions.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ran, declared, "{abi:?}: every action of the manifest ran");
        let log = host.captured().join("\n");
        assert!(log.contains("batchSend -> HTTP 200"), "{abi:?}: log lines still reach an ABI 1 host: {log}");
        assert_eq!(emu.stats().messages, 3, "{abi:?}: one single chat, the ask's question and one group message");
        assert_no_secrets(&emu, &[&log]);
    }
}
