//! "Query message read status" (`dingtalk.robot.query_read_status`): who read a one-to-one
//! robot message, by the `processQueryKey` its send output, through
//! `GET /v1.0/robot/oToMessages/readStatus?robotCode=..&processQueryKey=..` (the key
//! URL-encoded: it holds `+`, `/` and `=`). DingTalk answers for 24 hours after the send.
//!
//! A read: repeated after a lost answer or a server error, like a token request.

use std::sync::Arc;

use rpa_plugin_abi::text;
use serde_json::{Value, json};

use super::field::{Field, MAX_QUERY_KEY_LEN, Output, ROBOT as ROBOT_FIELD, RequiredText};
use super::{Action, Execution, Params, Runs};
use crate::context::CallContext;
use crate::error::Result;
use crate::robots::Robot;

/// The action id.
pub const ID: &str = "dingtalk.robot.query_read_status";
/// Input: the robot handle from connect.
pub const ROBOT: &str = ROBOT_FIELD.name;
/// Input: the key a send output.
pub const PROCESS_QUERY_KEY: &str = "processQueryKey";
/// Output: DingTalk's `sendStatus`, as DingTalk spells it.
pub const SEND_STATUS: &str = "sendStatus";
/// Output: the receivers who read the message.
pub const READ_USER_IDS: &str = "readUserIds";
/// Output: the receivers who did not.
pub const UNREAD_USER_IDS: &str = "unreadUserIds";

/// The action: its form, generated into the manifest, and how it runs.
pub(crate) const ACTION: Action = Action {
    id: ID,
    title: text!(en: "Query message read status", zh: "查询消息已读状态"),
    description: text!(
        en: "Tells who read a one-to-one robot message and who did not, by the processQueryKey that \"Send single-chat message\" output, and whether it was recalled. DingTalk answers within 24 hours of the send.",
        zh: "根据“钉钉机器人发送单聊消息”输出的 processQueryKey，查询单聊消息的发送状态（是否已撤回）及已读、未读的用户 ID。仅支持发送后 24 小时内查询。"
    ),
    basic: &[&ROBOT_FIELD, &form::PROCESS_QUERY_KEY],
    advanced: &[],
    at_least_one_of: &[],
    outputs: &[form::SEND_STATUS, form::READ_USER_IDS, form::UNREAD_USER_IDS],
    prepare,
    same_params_memo: None,
    runs: Runs::OnHostThread,
};

/// The fields, each declared once.
mod form {
    use super::*;

    pub(super) const PROCESS_QUERY_KEY: Field<RequiredText> = Field {
        name: super::PROCESS_QUERY_KEY,
        label: text!(en: "Process query key", zh: "发送任务 ID"),
        help: text!(
            en: "The processQueryKey output by \"Send single-chat message\" (one key; with more than 20 receivers, each batch of 20 has its own, in processQueryKeys). DingTalk keeps the read status for 24 hours after the send.",
            zh: "“钉钉机器人发送单聊消息”输出的 processQueryKey（一个；超过 20 人时每 20 人一批，各批的 key 见 processQueryKeys）。钉钉只保留发送后 24 小时内的已读状态。"
        ),
        kind: RequiredText::id(MAX_QUERY_KEY_LEN),
        visible_when: None,
    };

    pub(super) const SEND_STATUS: Output = Output::text(
        super::SEND_STATUS,
        text!(en: "Send status", zh: "发送状态"),
        text!(
            en: "DingTalk's sendStatus, as DingTalk spells it: SUCCESS (sent), RECALLED, or PROCESSING (still being sent).",
            zh: "钉钉返回的 sendStatus（原样输出）：SUCCESS（已发送）、RECALLED（已撤回）或 PROCESSING（处理中）。"
        ),
    );

    pub(super) const READ_USER_IDS: Output = Output::list(
        super::READ_USER_IDS,
        text!(en: "Read by", zh: "已读用户 ID"),
        text!(en: "User IDs of the receivers who read the message.", zh: "已读该消息的接收人用户 ID。"),
    );

    pub(super) const UNREAD_USER_IDS: Output = Output::list(
        super::UNREAD_USER_IDS,
        text!(en: "Not read by", zh: "未读用户 ID"),
        text!(
            en: "User IDs of the receivers who have not read it yet.",
            zh: "尚未阅读该消息的接收人用户 ID。"
        ),
    );
}

/// The inputs, read and checked.
struct ReadStatusInput {
    robot: Arc<Robot>,
    key: String,
}

/// Checks every input; the execution makes one read-status call.
fn prepare(p: &Params<'_>) -> Result<Execution> {
    let input = ReadStatusInput { robot: ROBOT_FIELD.read(p)?, key: form::PROCESS_QUERY_KEY.read(p)? };
    Ok(Box::new(move |ctx| Box::pin(run(ctx, input))))
}

async fn run(ctx: CallContext, input: ReadStatusInput) -> Result<Value> {
    let ReadStatusInput { robot, key } = input;
    let answer = robot.connection.read_status(ctx.call(), &robot.options, &key).await?;
    let (mut read, mut unread) = (Vec::new(), Vec::new());
    for info in answer.message_read_info_list.unwrap_or_default() {
        let Some(user_id) = info.user_id.filter(|u| !u.is_empty()) else { continue };
        if info.read_status.is_some_and(|s| s.eq_ignore_ascii_case("READ")) {
            read.push(user_id);
        } else {
            unread.push(user_id);
        }
    }
    Ok(json!({
        SEND_STATUS: answer.send_status.unwrap_or_default(),
        READ_USER_IDS: read,
        UNREAD_USER_IDS: unread,
    }))
}
