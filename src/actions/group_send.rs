//! "Send group message" (`dingtalk.robot.send_group_message`): one robot message, from any of
//! the templates of [`super::template`] (the same fields and uploads as "Send single-chat
//! message"), to a group the robot is in, through `POST /v1.0/robot/groupMessages/send
//! {msgParam, msgKey, openConversationId, robotCode}`.
//!
//! Treated like a send: the message is never sent twice.

use std::sync::Arc;

use dingtalk_client::wire::GroupSendRequest;
use rpa_plugin_abi::text;
use serde_json::{Value, json};

use super::field::{AnyField, Field, Output, ROBOT as ROBOT_FIELD, RequiredText};
use super::recall::MAX_CONVERSATION_ID_LEN;
use super::template::{self, Message};
use super::{Action, Execution, Params, Runs, join};
use crate::context::CallContext;
use crate::error::Result;
use crate::robots::Robot;

/// The action id.
pub const ID: &str = "dingtalk.robot.send_group_message";
/// Input: the robot handle from connect.
pub const ROBOT: &str = ROBOT_FIELD.name;
/// Input: the group.
pub const OPEN_CONVERSATION_ID: &str = "openConversationId";
/// Output: the key of the message, for a recall.
pub const PROCESS_QUERY_KEY: &str = "processQueryKey";

/// The action: its form, generated into the manifest, and how it runs.
pub(crate) const ACTION: Action = Action {
    id: ID,
    title: text!(en: "Send group message", zh: "钉钉机器人发送群消息"),
    description: text!(
        en: "Posts a robot message (text, Markdown, image, link, action card, local file, audio or video) to a group chat the robot was added to, and outputs its processQueryKey for a recall.",
        zh: "以机器人身份向其所在的群发送消息（文本、Markdown、图片、链接、卡片、本地文件、语音或视频），并输出 processQueryKey 供撤回使用。"
    ),
    basic: &BASIC,
    advanced: &template::ADVANCED,
    at_least_one_of: &[],
    outputs: &[form::PROCESS_QUERY_KEY],
    prepare,
    same_params_memo: None,
    runs: Runs::OnHostThread,
};

/// The basic tab: the robot, the group, then the template's fields.
const BASIC: [&dyn AnyField; 8] = join(&[&[&ROBOT_FIELD, &form::OPEN_CONVERSATION_ID], &template::BASIC]);

/// The fields, each declared once.
mod form {
    use super::*;

    pub(super) const OPEN_CONVERSATION_ID: Field<RequiredText> = Field {
        name: super::OPEN_CONVERSATION_ID,
        label: text!(en: "Group (openConversationId)", zh: "群会话 ID（openConversationId）"),
        help: text!(
            en: "The group's openConversationId (it starts with \"cid\"). A page inside DingTalk gets it with the chooseChat JSAPI; a robot receives it as conversationId when @-mentioned in the group; the create-group APIs return it. The robot must be in the group: in the group, settings > Robots > Add robot, and pick the app's robot.",
            zh: "群的 openConversationId（以 “cid” 开头）：可在钉钉内的页面通过 chooseChat JSAPI 获取，机器人在群内被 @ 时收到的 conversationId 即是，创建群的接口也会返回。机器人必须已在群内：在群设置 > 机器人 > 添加机器人中选择该应用的机器人。"
        ),
        kind: RequiredText::id(MAX_CONVERSATION_ID_LEN),
        visible_when: None,
    };

    pub(super) const PROCESS_QUERY_KEY: Output = Output::text(
        super::PROCESS_QUERY_KEY,
        text!(en: "Process query key", zh: "发送任务 ID"),
        text!(
            en: "The processQueryKey of the group message, to recall it (with this openConversationId) within 24 hours.",
            zh: "群消息的 processQueryKey，可在 24 小时内（连同该 openConversationId）撤回消息。"
        ),
    );
}

/// The inputs, read and checked.
struct GroupSendInput {
    robot: Arc<Robot>,
    group: String,
    message: Message,
}

/// Checks every input (the template's files and its 15,000-byte limit included); the execution
/// uploads the files, then sends once.
fn prepare(p: &Params<'_>) -> Result<Execution> {
    let input = GroupSendInput {
        robot: ROBOT_FIELD.read(p)?,
        group: form::OPEN_CONVERSATION_ID.read(p)?,
        message: template::read(p)?,
    };
    Ok(Box::new(move |ctx| Box::pin(run(ctx, input))))
}

async fn run(ctx: CallContext, input: GroupSendInput) -> Result<Value> {
    let GroupSendInput { robot, group, message } = input;
    let (msg_key, msg_param) = message.upload(&ctx, &robot).await?;
    ctx.check_cancelled()?;
    let request = GroupSendRequest {
        msg_param,
        msg_key: msg_key.to_string(),
        open_conversation_id: group,
        robot_code: robot.options.robot_code.clone(),
    };
    let answer = robot.connection.group_send(ctx.call(), &robot.options, &request).await?;
    Ok(json!({ PROCESS_QUERY_KEY: answer.process_query_key.unwrap_or_default() }))
}
