//! Every refusal of a bad input reads as Chinese in Chinese: each action is called with
//! each of its fields given values of the wrong kind, too long, blank, out of range or with
//! spaces (and with each message template and nothing else), and no error's Chinese message
//! or hint holds a run of English words (user data in “…”, identifiers, codes and URLs
//! aside; the rule is `src/error/english.rs`, shared with the plugin's own scan of its error
//! catalogue and of the Chinese guide), and no English one says "item(s)".

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code)]
mod support;

#[path = "../src/error/english.rs"]
mod english;

use dingtalk_robot::names::{connect_webhook, send_webhook, wait_for_reply};
use rpa_plugin_abi::ErrorPayload;
use serde_json::{Map, Value, json};
use support::{TestHost, invoke};

/// Values no field takes as they are, or only some fields do.
fn bad_values() -> Vec<Value> {
    vec![
        json!({"x": 1}),
        json!([1, 2]),
        json!(true),
        json!(-5),
        json!(""),
        json!("   "),
        json!("a b"),
        json!("not a url"),
        json!("x".repeat(70_000)),
        json!(["a b", ""]),
        json!("[\"unclosed"),
        json!(1.5),
    ]
}

/// Params that pass, by field name, so that each bad value is the one refused.
fn good(name: &str, emu: &dingtalk_emulator::Emulator) -> Option<Value> {
    Some(match name {
        "appKey" => json!(support::APP_KEY),
        "appSecret" => json!(support::APP_SECRET),
        "apiBaseUrl" | "oapiBaseUrl" => json!(emu.url()),
        "webhookUrl" => json!(support::webhook_url(emu)),
        "userIds" => json!(["manager01"]),
        "userId" => json!("manager01"),
        "content" => json!("日报已生成"),
        "processQueryKey" => json!("key1"),
        "processQueryKeys" => json!(["key1"]),
        "openConversationId" => json!("cid-not-a-group"),
        "mobiles" => json!(["13800000001"]),
        _ => return None,
    })
}

/// The English runs in the Chinese words of an error, as lines to report.
fn english_in(what: &str, err: &ErrorPayload) -> Vec<String> {
    let Some(zh) = err.zh_cn.as_deref() else { return vec![format!("{what}: no Chinese at all: {err:?}")] };
    [Some(zh.message.as_str()), zh.hint.as_deref()]
        .into_iter()
        .flatten()
        .filter_map(|text| {
            let runs = english::english_runs(text);
            (!runs.is_empty()).then(|| format!("{what}: {} {runs:?} in {text}", err.code))
        })
        .collect()
}

#[test]
fn no_refusal_of_a_bad_input_has_english_words_in_its_chinese() {
    let emu = support::webhook_org(|robot| robot);
    let host = TestHost::default();
    let robot = support::connect(&host, &emu);
    let custom = support::connect_webhook(&host, &emu, json!({}));
    let manifest = dingtalk_robot::manifest();
    let (mut found, mut refusals) = (Vec::new(), 0);
    for action in &manifest.actions {
        let fields: Vec<_> = action.inputs.basic.iter().chain(&action.inputs.advanced).collect();
        let mut base = Map::new();
        for f in &fields {
            let value = match f.name.as_str() {
                "robot" if action.id == send_webhook::ID => Some(custom.clone()),
                "robot" => Some(robot.clone()),
                name => good(name, &emu),
            };
            if let Some(v) = value {
                base.insert(f.name.clone(), v);
            }
        }
        if action.id == wait_for_reply::ID {
            // A wait that passes its checks ends at once with replied=false.
            base.insert(wait_for_reply::TIMEOUT_SECONDS.into(), json!(1));
        }
        let mut cases: Vec<(String, Map<String, Value>)> = Vec::new();
        for f in &fields {
            for bad in bad_values() {
                if action.id == wait_for_reply::ID && bad.is_string() && f.name != wait_for_reply::USER_ID {
                    continue; // text a wait may take would only make the test wait
                }
                let mut params = base.clone();
                params.insert(f.name.clone(), bad.clone());
                let shown: String = bad.to_string().chars().take(24).collect();
                cases.push((format!("{} {}={shown}", action.id, f.name), params));
            }
            let mut without = base.clone();
            without.remove(&f.name);
            cases.push((format!("{} without {}", action.id, f.name), without));
            // Each message template with nothing but what the base gives.
            for choice in &f.choices {
                let mut params = base.clone();
                params.insert(f.name.clone(), choice.value.clone());
                cases.push((format!("{} {}={}", action.id, f.name, choice.value), params));
            }
        }
        if action.id == connect_webhook::ID {
            cases.push(("connect_webhook with a URL as secret".into(), {
                let mut p = base.clone();
                p.insert(connect_webhook::SECRET.into(), json!("https://example.com/x"));
                p
            }));
        }
        for (what, params) in cases {
            if let Err(err) = invoke(&host, &action.id, &Value::Object(params)) {
                refusals += 1;
                found.extend(english_in(&what, &err));
                let plural = |t: &str| t.replace("http(s)", "").contains("(s)");
                if plural(&err.message) || plural(err.hint.as_deref().unwrap_or_default()) {
                    found.push(format!("{what}: an awkward plural: {}", err.message));
                }
            }
        }
    }
    assert!(refusals > 200, "the cases reach the checks: only {refusals} refusals");
    assert!(found.is_empty(), "English inside Chinese ({} of {refusals}):\n{}", found.len(), found.join("\n"));
}
