//! "Recall messages" (`dingtalk.robot.recall`): takes back robot messages by their
//! `processQueryKey`s, one-to-one through `POST /v1.0/robot/otoMessages/batchRecall`, or, with
//! an `openConversationId`, group messages through `POST /v1.0/robot/groupMessages/recall`.
//! DingTalk recalls for 24 hours after the send.
//!
//! Treated like a send: the call is never repeated once it may have been processed.

use std::sync::Arc;

use dingtalk_client::wire::RecallRequest;
use rpa_plugin_abi::{LogLevel, text};
use serde_json::{Map, Value, json};

use super::field::{Entry, EntryList, Field, OptionalText, Output, ROBOT as ROBOT_FIELD};
use super::{Action, Execution, Params, Runs};
use crate::context::CallContext;
use crate::error::Result;
use crate::robots::Robot;

/// The action id.
pub const ID: &str = "dingtalk.robot.recall";
/// Input: the robot handle from connect.
pub const ROBOT: &str = ROBOT_FIELD.name;
/// Input: the keys of the messages to recall.
pub const PROCESS_QUERY_KEYS: &str = "processQueryKeys";
/// Input (advanced): the group, for group messages.
pub const OPEN_CONVERSATION_ID: &str = "openConversationId";
/// Output: the keys whose messages were recalled.
pub const RECALLED_KEYS: &str = "recalledKeys";
/// Output: the keys whose messages were not.
pub const FAILED_KEYS: &str = "failedKeys";
/// Output: each failed key with DingTalk's reason.
pub const FAILURE_REASONS: &str = "failureReasons";

/// DingTalk's limit on keys per recall.
pub const MAX_KEYS: usize = 20;
/// The longest openConversationId read (DingTalk's are about 40 characters).
pub const MAX_CONVERSATION_ID_LEN: usize = 128;

/// The action: its form, generated into the manifest, and how it runs.
pub(crate) const ACTION: Action = Action {
    id: ID,
    title: text!(en: "Recall messages", zh: "撤回机器人消息"),
    description: text!(
        en: "Takes back robot messages sent within the last 24 hours, by the processQueryKeys their sends output: one-to-one messages, or, given the group's openConversationId, group messages. Outputs the keys recalled, the keys not recalled and DingTalk's reason for each.",
        zh: "根据发送时输出的 processQueryKey 撤回 24 小时内发送的机器人消息：单聊消息，或（填写群的 openConversationId 时）群消息。输出撤回成功、失败的 key 及每个失败的原因。"
    ),
    basic: &[&ROBOT_FIELD, &form::PROCESS_QUERY_KEYS],
    advanced: &[&form::OPEN_CONVERSATION_ID],
    at_least_one_of: &[],
    outputs: &[form::RECALLED_KEYS, form::FAILED_KEYS, form::FAILURE_REASONS],
    prepare,
    same_params_memo: None,
    runs: Runs::OnHostThread,
};

/// The fields, each declared once.
pub(crate) mod form {
    use super::*;

    pub(crate) const PROCESS_QUERY_KEYS: Field<EntryList<true>> = Field {
        name: super::PROCESS_QUERY_KEYS,
        label: text!(en: "Process query keys", zh: "发送任务 ID 列表"),
        help: text!(
            en: "The processQueryKeys of the messages to recall, as output by a send (processQueryKey or processQueryKeys): one key, or a list such as [\"key1\",\"key2\"], at most 20. Messages can be recalled for 24 hours after the send.",
            zh: "要撤回的消息的 processQueryKey（发送动作输出的 processQueryKey 或 processQueryKeys）：一个 key，或列表如 [\"key1\",\"key2\"]，最多 20 个。发送后 24 小时内可以撤回。"
        ),
        kind: EntryList { of: Entry::QueryKey, max: MAX_KEYS, per: text!(en: "one recall", zh: "一次撤回") },
        visible_when: None,
    };

    pub(super) const OPEN_CONVERSATION_ID: Field<OptionalText> = Field {
        name: super::OPEN_CONVERSATION_ID,
        label: text!(en: "Group (openConversationId)", zh: "群会话 ID（openConversationId）"),
        help: text!(
            en: "Only for messages sent to a group by \"Send group message\": that group's openConversationId. Leave empty for one-to-one messages.",
            zh: "仅用于撤回“钉钉机器人发送群消息”发到群里的消息：填写该群的 openConversationId。撤回单聊消息时留空。"
        ),
        kind: OptionalText::id(MAX_CONVERSATION_ID_LEN),
        visible_when: None,
    };

    pub(super) const RECALLED_KEYS: Output = Output::list(
        super::RECALLED_KEYS,
        text!(en: "Recalled keys", zh: "撤回成功的 key"),
        text!(en: "The keys whose messages were recalled.", zh: "消息已撤回的 processQueryKey。"),
    );

    pub(super) const FAILED_KEYS: Output = Output::list(
        super::FAILED_KEYS,
        text!(en: "Failed keys", zh: "撤回失败的 key"),
        text!(
            en: "The keys whose messages were not recalled (unknown, older than 24 hours, or sent by another robot).",
            zh: "未能撤回的 processQueryKey（无效、发送超过 24 小时，或不是该机器人发送的）。"
        ),
    );

    pub(super) const FAILURE_REASONS: Output = Output::map(
        super::FAILURE_REASONS,
        text!(en: "Failure reasons", zh: "失败原因"),
        text!(
            en: "Each failed key with DingTalk's reason, as an object {\"key\": \"reason\"}.",
            zh: "每个撤回失败的 key 及钉钉给出的原因，形如 {\"key\": \"原因\"}。"
        ),
    );
}

/// The inputs, read and checked.
struct RecallInput {
    robot: Arc<Robot>,
    keys: Vec<String>,
    group: Option<String>,
}

/// Checks every input; the execution makes one recall call.
fn prepare(p: &Params<'_>) -> Result<Execution> {
    let input = RecallInput {
        robot: ROBOT_FIELD.read(p)?,
        keys: form::PROCESS_QUERY_KEYS.read(p)?,
        group: form::OPEN_CONVERSATION_ID.read(p)?,
    };
    Ok(Box::new(move |ctx| Box::pin(run(ctx, input))))
}

async fn run(ctx: CallContext, input: RecallInput) -> Result<Value> {
    let RecallInput { robot, keys, group } = input;
    let request = RecallRequest {
        open_conversation_id: group,
        robot_code: robot.options.robot_code.clone(),
        process_query_keys: keys,
    };
    let answer = robot.connection.recall(ctx.call(), &robot.options, &request).await?;
    let recalled = answer.success_result.unwrap_or_default();
    let mut reasons = Map::new();
    for (key, reason) in answer.failed_result.unwrap_or_default() {
        let reason = match reason {
            Value::String(text) => text,
            Value::Null => String::new(),
            other => other.to_string(),
        };
        reasons.insert(key, Value::String(reason));
    }
    // Failed keys in the order they were given; any key DingTalk named but was not given last.
    let mut failed: Vec<String> =
        request.process_query_keys.iter().filter(|k| reasons.contains_key(*k)).cloned().collect();
    failed.extend(reasons.keys().filter(|k| !request.process_query_keys.contains(k)).cloned());
    if !failed.is_empty() {
        let (n, why) = (failed.len(), Value::Object(reasons.clone()));
        ctx.log(
            LogLevel::Warn,
            if n == 1 {
                text!(en: format!("1 message was not recalled: {why}"), zh: format!("有 1 条消息未能撤回：{why}"))
            } else {
                text!(en: format!("{n} messages were not recalled: {why}"), zh: format!("有 {n} 条消息未能撤回：{why}"))
            },
        );
    }
    Ok(json!({ RECALLED_KEYS: recalled, FAILED_KEYS: failed, FAILURE_REASONS: reasons }))
}

#[cfg(test)]
mod tests {
    use super::super::field::MAX_QUERY_KEY_LEN;
    use super::*;

    fn keys(value: Value) -> Result<Vec<String>> {
        let spec = ACTION.spec();
        let json = json!({ PROCESS_QUERY_KEYS: value }).to_string();
        form::PROCESS_QUERY_KEYS.read(&Params::parse(&json, &spec)?)
    }

    fn refused(value: Value) -> String {
        match keys(value.clone()) {
            Err(e) => {
                assert_eq!(e.field(), Some(PROCESS_QUERY_KEYS), "{value}");
                e.to_payload().message
            }
            Ok(k) => panic!("{value} gave {k:?}"),
        }
    }

    #[test]
    fn one_key_or_a_list_of_keys() {
        let k1 = "Ab+cd/EF==";
        assert_eq!(keys(json!(k1)).unwrap(), [k1]);
        assert_eq!(keys(json!(format!(" {k1} "))).unwrap(), [k1]);
        assert_eq!(keys(json!([k1, "k2", k1])).unwrap(), [k1, "k2"]);
        assert_eq!(keys(json!(format!("[\"{k1}\", \"k2\"]"))).unwrap(), [k1, "k2"]);
        assert_eq!(keys(json!(format!("{k1}\nk2, k3"))).unwrap(), [k1, "k2", "k3"]);
    }

    #[test]
    fn bad_key_lists_are_refused() {
        let many: Vec<String> = (0..=MAX_KEYS).map(|i| format!("k{i}")).collect();
        assert!(refused(json!(many)).contains("21 different processQueryKeys; one recall takes at most 20"));
        let too_many: Vec<String> = (0..=2 * MAX_KEYS).map(|i| format!("k{i}")).collect();
        assert!(refused(json!(too_many)).contains("More than 40"));
        assert!(refused(json!(["k1", "k 2"])).contains("space"));
        assert!(refused(json!(["k1", ""])).contains("#2 is blank"));
        assert!(refused(json!(["x".repeat(MAX_QUERY_KEY_LEN + 1)])).contains("longer than"));
        assert!(refused(json!(7)).contains("not a number"));
        assert!(refused(json!({"k": 1})).contains("list"));
        assert!(refused(json!(" , ")).contains("required"));
    }
}
