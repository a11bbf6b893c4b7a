//! Which action needs which of the app's permissions: the guide's permission table, made
//! from this list, the permission names of [`crate::error::SCOPES`] and the manifest's labels
//! (a test fails when an action is missing here).

use std::fmt::Write as _;

use rpa_plugin_abi::{Manifest, Text, text};

use crate::actions::{
    ask, connect, connect_webhook, group_send, lookup, read_status, recall, send, send_webhook, wait_for_reply,
};
use crate::error::scope_words;

/// The robot permission: sending, read status, recall and group messages.
const ROBOT: &str = "qyapi_robot_sendmsg";
/// Uploads of files, images, audio and video.
const BASE: &str = "qyapi_base";
/// Looking a user up by mobile number.
const BY_MOBILE: &str = "qyapi_get_member_by_mobile";
/// Sending and updating interactive cards.
const CARD: &str = "Card.Instance.Write";

/// When a permission is needed beyond the action's own.
pub(crate) enum When {
    /// The field holds one of these values.
    Choice(&'static str, &'static [&'static str]),
    /// The field is filled in.
    Filled(&'static str),
}

/// One action's needs.
pub(crate) struct Needs {
    /// The action.
    pub(crate) action: &'static str,
    /// What it needs whatever its inputs (empty: nothing of the app's).
    pub(crate) always: &'static [&'static str],
    /// What it needs for some inputs, and when.
    pub(crate) sometimes: &'static [(&'static str, When)],
    /// A note in the last column (empty for none).
    pub(crate) note: Text,
}

/// Message templates that upload a file first.
const UPLOADING: &[&str] = &["image", "file", "audio", "video"];

/// Every action's needs, in palette order.
pub(crate) const NEEDS: [Needs; 10] = [
    Needs {
        action: connect::ID,
        always: &[],
        sometimes: &[],
        note: text!(en: "Fetches the access token only; the app must be published.", zh: "只获取访问令牌；应用须已发布。"),
    },
    Needs {
        action: send::ID,
        always: &[ROBOT],
        sometimes: &[(BASE, When::Choice(send::MSG_TYPE, UPLOADING)), (BY_MOBILE, When::Filled(send::MOBILES))],
        note: text!(
            en: "A link's local picture and a video's cover are uploaded too.",
            zh: "链接消息的本地配图和视频封面也会上传。"
        ),
    },
    Needs { action: read_status::ID, always: &[ROBOT], sometimes: &[], note: text!(en: "", zh: "") },
    Needs { action: recall::ID, always: &[ROBOT], sometimes: &[], note: text!(en: "", zh: "") },
    Needs {
        action: group_send::ID,
        always: &[ROBOT],
        sometimes: &[(BASE, When::Choice(send::MSG_TYPE, UPLOADING))],
        note: text!(
            en: "The robot must be in the group. A link's local picture and a video's cover are uploaded too.",
            zh: "机器人须已在群内。链接消息的本地配图和视频封面也会上传。"
        ),
    },
    Needs { action: lookup::ID, always: &[BY_MOBILE], sometimes: &[], note: text!(en: "", zh: "") },
    Needs {
        action: connect_webhook::ID,
        always: &[],
        sometimes: &[],
        note: text!(en: "A group's custom robot: no app, no permission.", zh: "群自定义机器人：不需要应用，也不需要权限。"),
    },
    Needs {
        action: send_webhook::ID,
        always: &[],
        sometimes: &[],
        note: text!(en: "A group's custom robot: no app, no permission.", zh: "群自定义机器人：不需要应用，也不需要权限。"),
    },
    Needs {
        action: wait_for_reply::ID,
        always: &[],
        sometimes: &[(BY_MOBILE, When::Filled(wait_for_reply::MOBILE))],
        note: text!(
            en: "The robot's message receiving mode must be Stream mode.",
            zh: "机器人的消息接收模式须为 Stream 模式。"
        ),
    },
    Needs {
        action: ask::ID,
        always: &[ROBOT],
        sometimes: &[(CARD, When::Filled(ask::CARD_TEMPLATE_ID)), (BY_MOBILE, When::Filled(ask::MOBILE))],
        note: text!(
            en: "The robot's message receiving mode must be Stream mode; a card needs a published template (§1.8).",
            zh: "机器人的消息接收模式须为 Stream 模式；使用卡片时须有已发布的卡片模板（见 1.8 节）。"
        ),
    },
];

/// A permission as the table shows it: its console name and its code.
fn named(scope: &str, lang: &str) -> String {
    let name = scope_words(scope);
    if lang == "zh-CN" { format!("{}（`{scope}`）", name.zh_cn) } else { format!("{} (`{scope}`)", name.en) }
}

/// The permission table: one row per action.
pub(crate) fn section(m: &Manifest, lang: &str) -> String {
    let h = |words: Text| words.get(lang).to_string();
    let zh = lang == "zh-CN";
    let mut out = format!(
        "| {} | {} | {} |\n|---|---|---|\n",
        h(text!(en: "Action", zh: "动作")),
        h(text!(en: "Permissions", zh: "需要的权限")),
        h(text!(en: "Notes", zh: "说明"))
    );
    for needs in &NEEDS {
        let action = m.actions.iter().find(|a| a.id == needs.action).unwrap_or_else(|| panic!("{}", needs.action));
        let label = |field: &str| {
            let f = action.inputs.basic.iter().chain(&action.inputs.advanced).find(|f| f.name == field);
            f.unwrap_or_else(|| panic!("{} has no field {field}", action.id))
        };
        let mut parts: Vec<String> = needs.always.iter().map(|s| named(s, lang)).collect();
        for (scope, when) in needs.sometimes {
            let when = match when {
                When::Filled(field) => {
                    let l = label(field).label.get(lang).to_string();
                    if zh { format!("填写「{l}」时") } else { format!("when \"{l}\" is filled in") }
                }
                When::Choice(field, values) => {
                    let f = label(field);
                    let names: Vec<String> = values
                        .iter()
                        .map(|v| {
                            let c = f
                                .choices
                                .iter()
                                .find(|c| c.value.as_str() == Some(*v))
                                .unwrap_or_else(|| panic!("{field}: {v}"));
                            c.label.get(lang).to_string()
                        })
                        .collect();
                    let l = f.label.get(lang);
                    let (all_but_last, last) = names.split_at(names.len().saturating_sub(1));
                    let last = last.join("");
                    if zh {
                        format!("「{l}」为{}或{last}时", all_but_last.join("、"))
                    } else {
                        format!("when \"{l}\" is {} or {last}", all_but_last.join(", "))
                    }
                }
            };
            let also = if needs.always.is_empty() { String::new() } else { h(text!(en: "also ", zh: "还需")) };
            parts.push(if zh {
                format!("{when}{also}{}", named(scope, lang))
            } else {
                format!("{also}{} {when}", named(scope, lang))
            });
        }
        if parts.is_empty() {
            parts.push(h(text!(en: "none", zh: "无")));
        }
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            action.title.get(lang),
            parts.join(if zh { "；" } else { "; " }),
            needs.note.get(lang)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_says_what_it_needs_and_every_permission_has_one_name() {
        let m = crate::manifest();
        let listed: Vec<&str> = NEEDS.iter().map(|n| n.action).collect();
        let actions: Vec<&str> = m.actions.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(listed, actions, "NEEDS lists every action, in palette order");
        for scope in [ROBOT, BASE, BY_MOBILE] {
            assert!(crate::error::SCOPES.iter().any(|(s, _)| *s == scope), "{scope} has no name");
        }
        // Each table renders (labels and choices exist).
        for lang in ["en", "zh-CN"] {
            assert!(section(&m, lang).contains("qyapi_get_member_by_mobile"));
        }
    }
}
