//! The actions, each defined once: its manifest entry (id, labels, fields, schemas) and its
//! execution, split into a synchronous `prepare` that checks every input before anything is
//! sent, and the network [`Execution`] it returns.

pub mod ask;
pub mod connect;
pub mod connect_webhook;
mod field;
pub mod group_send;
#[cfg(test)]
mod input_properties;
pub mod lookup;
mod media;
mod params;
pub mod read_status;
pub mod recall;
pub mod send;
pub mod send_webhook;
pub(crate) mod template;
pub mod wait_for_reply;

use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;

use rpa_plugin_abi::{ABI_VERSION, ActionSpec, Inputs, Manifest, Text, text};
use serde_json::Value;

use crate::context::CallContext;
pub(crate) use crate::context::Runs;
use crate::error::{Error, Result};
use field::{AnyField, Output};
pub(crate) use params::Params;

/// The fields of `parts`, in order, as one list: an action's tab made of shared groups of
/// fields (its own, then a template's). `N` must be their total count; another count fails to
/// compile where the list is declared (`const`).
pub(crate) const fn join<const N: usize>(parts: &[&[&'static dyn AnyField]]) -> [&'static dyn AnyField; N] {
    let mut out = [parts[0][0]; N];
    let (mut i, mut n) = (0, 0);
    while i < parts.len() {
        let mut j = 0;
        while j < parts[i].len() {
            assert!(n < N, "more fields than N");
            out[n] = parts[i][j];
            n += 1;
            j += 1;
        }
        i += 1;
    }
    assert!(n == N, "fewer fields than N");
    out
}

/// The network half of an action, run on the plugin's runtime once the inputs are valid.
pub(crate) type Execution = Box<dyn FnOnce(CallContext) -> Pin<Box<dyn Future<Output = Result<Value>> + Send>> + Send>;

/// One action, defined once: what the palette and the form show (the manifest entry is
/// generated from it) and how it runs.
pub(crate) struct Action {
    /// A dotted, stable id.
    pub(crate) id: &'static str,
    /// The name in the palette.
    pub(crate) title: Text,
    /// What it does.
    pub(crate) description: Text,
    /// The form's basic tab.
    pub(crate) basic: &'static [&'static dyn AnyField],
    /// The form's advanced tab.
    pub(crate) advanced: &'static [&'static dyn AnyField],
    /// Groups of optional fields of which at least one must be filled in.
    pub(crate) at_least_one_of: &'static [&'static [&'static str]],
    /// What it hands to later steps.
    pub(crate) outputs: &'static [Output],
    /// Checks the inputs and returns the work to do; nothing is sent before it succeeds.
    pub(crate) prepare: fn(&Params<'_>) -> Result<Execution>,
    /// A per-thread memo of the last params text that passed this action's checks, for an
    /// action whose checks depend on that text alone (connect: no file, no robot object): the
    /// execution for the same text again, without reading it again (a designer runs a flow's
    /// connect step with the same text every time; about a tenth of a flow's instructions).
    pub(crate) same_params_memo: Option<fn(&str) -> Option<Execution>>,
    /// Where its execution runs: quick calls on the host thread's own loop, long waits on the
    /// shared runtime.
    pub(crate) runs: Runs,
}

impl Action {
    /// The manifest entry.
    pub(crate) fn spec(&self) -> ActionSpec {
        ActionSpec {
            id: self.id.to_string(),
            title: self.title.clone(),
            description: self.description.clone(),
            inputs: Inputs {
                basic: self.basic.iter().map(|f| f.spec()).collect(),
                advanced: self.advanced.iter().map(|f| f.spec()).collect(),
                at_least_one_of: self
                    .at_least_one_of
                    .iter()
                    .map(|group| group.iter().map(|name| name.to_string()).collect())
                    .collect(),
            },
            outputs: self.outputs.iter().map(Output::spec).collect(),
        }
    }
}

/// Every action of the plugin, in palette order.
const ACTIONS: [&Action; 10] = [
    &connect::ACTION,
    &send::ACTION,
    &read_status::ACTION,
    &recall::ACTION,
    &group_send::ACTION,
    &lookup::ACTION,
    &connect_webhook::ACTION,
    &send_webhook::ACTION,
    &wait_for_reply::ACTION,
    &ask::ACTION,
];

fn specs() -> &'static [ActionSpec] {
    static SPECS: OnceLock<Vec<ActionSpec>> = OnceLock::new();
    SPECS.get_or_init(|| ACTIONS.iter().map(|a| a.spec()).collect())
}

/// The plugin's manifest, generated from the actions' definitions.
pub fn manifest() -> Manifest {
    Manifest {
        id: "dingtalk-robot".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        abi_version: ABI_VERSION,
        name: text!(en: "DingTalk robot", zh: "钉钉机器人"),
        actions: specs().to_vec(),
    }
}

/// The manifest as the pretty-printed JSON text shipped as `plugin.json`.
pub fn manifest_json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| {
        let mut text = serde_json::to_string_pretty(&manifest()).unwrap_or_default();
        text.push('\n');
        text
    })
}

/// Finds an action, checks its params and returns its execution; checks that can take long stop
/// when `cancelled` turns true.
pub(crate) fn prepare(action_id: &str, params_json: &str, cancelled: &dyn Fn() -> bool) -> Result<(Execution, Runs)> {
    let index =
        specs().iter().position(|s| s.id == action_id).ok_or_else(|| Error::UnknownAction(action_id.to_string()))?;
    let action = &ACTIONS[index];
    if let Some(execution) = action.same_params_memo.and_then(|memo| memo(params_json)) {
        return Ok((execution, action.runs));
    }
    let params = Params::parse(params_json, &specs()[index])?.with_cancel(cancelled);
    params.check_cancelled()?;
    Ok(((action.prepare)(&params)?, action.runs))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `plugin.json` ships beside the library; it must be the manifest the binary returns.
    /// Regenerate it with `UPDATE_PLUGIN_JSON=1 cargo test -p dingtalk-robot plugin_json`.
    #[test]
    fn plugin_json_is_the_generated_manifest() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("plugin.json");
        if std::env::var_os("UPDATE_PLUGIN_JSON").is_some() {
            std::fs::write(&path, manifest_json()).unwrap();
        }
        let shipped = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            shipped == manifest_json(),
            "plugin.json differs from the generated manifest; run: UPDATE_PLUGIN_JSON=1 cargo test -p dingtalk-robot plugin_json"
        );
    }

    #[test]
    fn every_field_has_both_languages_and_a_schema() {
        let m = manifest();
        assert_eq!(m.actions.len(), 10);
        for a in &m.actions {
            for f in a.inputs.all().chain(a.outputs.iter()) {
                for t in [&f.label, &f.help] {
                    assert!(!t.zh_cn.is_empty() && !t.en.is_empty(), "{}.{}", a.id, f.name);
                }
                // A label is a few words, the help a sentence: not given the other way round.
                for lang in ["en", "zh-CN"] {
                    let (label, help) = (f.label.get(lang), f.help.get(lang));
                    assert!(label.chars().count() < help.chars().count(), "{}.{}: label {label:?}", a.id, f.name);
                }
                assert!(f.schema.get("type").is_some(), "{}.{} has no schema type", a.id, f.name);
            }
        }
        let send = m.action(send::ID).unwrap();
        let title = send.input(send::TITLE).unwrap();
        let shown_for: Vec<Value> = ["markdown", "link", "actionCard"].into_iter().map(Value::from).collect();
        assert_eq!(title.visible_when.as_ref().unwrap()["msgType"], shown_for);
        assert_eq!(send.input(send::USER_IDS).unwrap().schema["maxItems"], 1000);
        let secret = m.action(connect::ID).unwrap().input(connect::APP_SECRET).unwrap();
        assert!(secret.is_secret() && secret.schema["format"] == "password");
    }

    /// A field shown for a template that does not exist would never be shown: every value a
    /// `visibleWhen` names is one of the controlling field's choices, every template shows
    /// `content`, and each choice shows exactly the fields the template module says it uses.
    #[test]
    fn visible_when_names_real_choices_and_each_template_shows_its_fields() {
        let m = manifest();
        let send = m.action(send::ID).unwrap();
        for f in send.inputs.all() {
            for (other, values) in f.visible_when.iter().flatten() {
                let choices: Vec<&Value> = send.input(other).unwrap().choices.iter().map(|c| &c.value).collect();
                for v in values {
                    assert!(choices.contains(&v), "{}.visibleWhen names {other}={v}, not a choice", f.name);
                }
            }
        }
        let shown = |msg_type: &str| -> Vec<&str> {
            let v = Value::from(msg_type);
            let hidden = |f: &&rpa_plugin_abi::FieldSpec| {
                f.visible_when.as_ref().is_some_and(|w| w.get(send::MSG_TYPE).is_some_and(|vals| !vals.contains(&v)))
            };
            send.inputs.all().filter(|f| !hidden(f)).map(|f| f.name.as_str()).collect()
        };
        let common = ["robot", "userIds", "mobiles", "msgType", "content", send::FAIL_IF_NONE_DELIVERED];
        let per_template: [(&str, &[&str]); 8] = [
            ("text", &[]),
            ("markdown", &["title"]),
            ("image", &[]),
            ("link", &["linkUrl", "picUrl", "title"]),
            ("actionCard", &["buttons", "title", "buttonLayout"]),
            ("file", &[]),
            ("audio", &["durationSeconds"]),
            ("video", &["coverImage", "durationSeconds"]),
        ];
        for (msg_type, own) in per_template {
            let want: Vec<&str> = common.iter().chain(own.iter()).copied().collect();
            let mut got = shown(msg_type);
            let mut want_sorted = want.clone();
            got.sort_unstable();
            want_sorted.sort_unstable();
            assert_eq!(got, want_sorted, "{msg_type}");
        }
    }

    /// Both actions that send a template show exactly its fields, in the same order, after
    /// their own; and every action after connect takes the same robot field.
    #[test]
    fn both_send_actions_show_exactly_the_template_fields() {
        let m = manifest();
        let tail = |id: &str, own: usize| {
            let a = m.action(id).unwrap();
            (a.inputs.basic[own..].to_vec(), a.inputs.advanced.clone())
        };
        let mut one_to_one = tail(send::ID, 3);
        let own = one_to_one.1.pop().map(|f| f.name);
        assert_eq!(
            own.as_deref(),
            Some(send::FAIL_IF_NONE_DELIVERED),
            "the single chat's own advanced field comes last"
        );
        assert_eq!(one_to_one, tail(group_send::ID, 2));
        let names: Vec<&str> = one_to_one.0.iter().chain(&one_to_one.1).map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "msgType",
                "content",
                "linkUrl",
                "picUrl",
                "buttons",
                "coverImage",
                "title",
                "buttonLayout",
                "durationSeconds"
            ]
        );
        let robot = m.action(send::ID).unwrap().input(send::ROBOT).unwrap();
        // The enterprise robot's actions take its robot object first (the custom robot's send
        // takes a custom robot object instead).
        for id in [send::ID, read_status::ID, recall::ID, group_send::ID, lookup::ID] {
            assert_eq!(&m.action(id).unwrap().inputs.basic[0], robot, "{id}");
        }
    }

    #[test]
    fn a_field_with_a_default_is_not_required_and_left_out_takes_it() {
        let m = manifest();
        for a in &m.actions {
            for f in a.inputs.all() {
                assert!(
                    !(f.required && f.default_value().is_some()),
                    "{}.{} is required and has a default",
                    a.id,
                    f.name
                );
            }
        }
        // A one-button action card with buttonLayout left out (and given blank) is read with
        // the default layout, as the host's form check lets it through.
        use serde_json::json;
        let robot = json!({"type": "dingtalk.robot", "id": "r"});
        for layout in [None, Some(json!("  "))] {
            let mut params = json!({ "robot": robot, "userIds": "u1", "msgType": "actionCard", "content": "Sign off",
                                     "buttons": [{"title": "Open", "url": "https://example.com"}] });
            if let Some(layout) = layout {
                params[send::BUTTON_LAYOUT] = layout;
            }
            let spec = m.action(send::ID).unwrap();
            let text = params.to_string();
            let p = Params::parse(&text, spec).unwrap();
            assert_eq!(p.value(send::BUTTON_LAYOUT).unwrap(), Some(&json!("vertical")));
        }
    }

    #[test]
    fn every_text_field_has_a_max_length() {
        for a in &manifest().actions {
            for f in a.inputs.all() {
                let t = &f.schema["type"];
                let is_text = t == "string" || t.as_array().is_some_and(|ts| ts.iter().any(|t| t == "string"));
                if is_text {
                    assert!(f.schema["maxLength"].as_u64().is_some(), "{}.{} has no maxLength", a.id, f.name);
                }
            }
        }
    }

    #[test]
    fn unknown_action_and_bad_params_are_refused() {
        assert!(matches!(prepare("nope", "{}", &|| false), Err(Error::UnknownAction(_))));
        assert!(matches!(prepare(connect::ID, "[1]", &|| false), Err(Error::InvalidParams(_))));
        assert!(matches!(prepare(connect::ID, "{", &|| false), Err(Error::InvalidParams(_))));
        match prepare(connect::ID, r#"{"appkey":"k","appSecret":"s"}"#, &|| false) {
            Err(e) => assert_eq!(e.to_payload().hint.as_deref(), Some("Did you mean `appKey`?")),
            Ok(_) => panic!("a misspelt field was accepted"),
        }
    }
}
