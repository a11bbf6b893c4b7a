//! "Get user IDs by mobile number" (`dingtalk.robot.get_user_ids_by_mobile`): the user IDs of
//! the org's employees with the given mobile numbers, through `getbymobile`, with the same
//! per-connection memory that "Send single-chat message" uses for its mobile receivers
//! (`resolve` is that one path): a number resolved once is not looked up again, and one that
//! named no one not for 10 minutes.

use std::collections::HashSet;
use std::sync::Arc;

use rpa_plugin_abi::{LogLevel, text};
use serde_json::{Map, Value, json};

use super::field::{Entry, EntryList, Field, Output, ROBOT as ROBOT_FIELD};
use super::{Action, Execution, Params, Runs};
use crate::context::CallContext;
use crate::error::Result;
use crate::robots::Robot;

/// The action id.
pub const ID: &str = "dingtalk.robot.get_user_ids_by_mobile";
/// Input: the robot handle from connect.
pub const ROBOT: &str = ROBOT_FIELD.name;
/// Input: the mobile numbers.
pub const MOBILES: &str = "mobiles";
/// Output: the user IDs found, in the order of the numbers.
pub const USER_IDS: &str = "userIds";
/// Output: each number found with its user ID.
pub const USER_ID_BY_MOBILE: &str = "userIdByMobile";
/// Output: the numbers that belong to no employee.
pub const UNRESOLVED_MOBILES: &str = "unresolvedMobiles";

/// The most different numbers one lookup takes.
pub const MAX_MOBILES: usize = 100;

/// The action: its form, generated into the manifest, and how it runs.
pub(crate) const ACTION: Action = Action {
    id: ID,
    title: text!(en: "Get user IDs by mobile number", zh: "根据手机号获取用户ID"),
    description: text!(
        en: "Turns mobile numbers (as in the org's contacts) into DingTalk user IDs, for the actions that take user IDs. Needs the permission qyapi_get_member_by_mobile. Numbers that belong to no employee are output as unresolvedMobiles.",
        zh: "把手机号（与通讯录一致）转换为钉钉用户 ID，供需要用户 ID 的动作使用。需要权限 qyapi_get_member_by_mobile。找不到员工的号码输出到 unresolvedMobiles。"
    ),
    basic: &[&ROBOT_FIELD, &form::MOBILES],
    advanced: &[],
    at_least_one_of: &[],
    outputs: &[form::USER_IDS, form::USER_ID_BY_MOBILE, form::UNRESOLVED_MOBILES],
    prepare,
    same_params_memo: None,
    runs: Runs::OnHostThread,
};

/// The fields, each declared once.
mod form {
    use super::*;

    pub(super) const MOBILES: Field<EntryList<true>> = Field {
        name: super::MOBILES,
        label: text!(en: "Mobile numbers", zh: "手机号列表"),
        help: text!(
            en: "Mobile numbers as in the org's contacts, as a list such as [\"13800138000\"] or comma- or line-separated text, at most 100. Spaces, brackets and a +86 prefix are dropped; other countries keep their +code (+852-61234567).",
            zh: "与通讯录一致的手机号，列表如 [\"13800138000\"]，或以逗号、换行分隔的文本，最多 100 个。空格、括号和 +86 前缀会被去掉；其他国家和地区保留 +区号（如 +852-61234567）。"
        ),
        kind: EntryList { of: Entry::Mobile, max: MAX_MOBILES, per: text!(en: "one lookup", zh: "一次查询") },
        visible_when: None,
    };

    pub(super) const USER_IDS: Output = Output::list(
        super::USER_IDS,
        text!(en: "User IDs", zh: "用户 ID 列表"),
        text!(
            en: "The user IDs found, in the order of the numbers (each once), ready for \"Send single-chat message\".",
            zh: "查到的用户 ID，按手机号的顺序排列（不重复），可直接用于“钉钉机器人发送单聊消息”。"
        ),
    );

    pub(super) const USER_ID_BY_MOBILE: Output = Output::map(
        super::USER_ID_BY_MOBILE,
        text!(en: "User ID by mobile", zh: "手机号与用户 ID 对照"),
        text!(
            en: "Each number found, as normalized (13800138000, +852-61234567), with its user ID: {\"13800138000\": \"userid\"}.",
            zh: "每个查到的手机号（规范化后，如 13800138000、+852-61234567）及其用户 ID：{\"13800138000\": \"userid\"}。"
        ),
    );

    pub(super) const UNRESOLVED_MOBILES: Output = Output::list(
        super::UNRESOLVED_MOBILES,
        text!(en: "Unresolved mobile numbers", zh: "未找到用户的手机号"),
        text!(
            en: "Numbers that belong to no employee of the org (or are not valid numbers of it).",
            zh: "在组织中找不到对应员工（或不是有效号码）的手机号。"
        ),
    );
}

/// Each number with the user ID of the employee who has it (`None`: no employee has it), in
/// order, through the connection's `getbymobile` and its memory of numbers already resolved.
/// A lookup can be repeated safely; the cancel flag is checked before each.
pub(crate) async fn resolve(
    ctx: &CallContext,
    robot: &Robot,
    mobiles: &[String],
) -> Result<Vec<(String, Option<String>)>> {
    let mut found = Vec::with_capacity(mobiles.len());
    let total = mobiles.len();
    for (i, mobile) in mobiles.iter().enumerate() {
        ctx.check_cancelled()?;
        let user_id = robot.connection.user_id_by_mobile(ctx.call(), &robot.options, mobile).await?;
        found.push((mobile.clone(), user_id));
        let done = i + 1;
        ctx.progress(
            done as u64,
            total as u64,
            text!(
                en: format!("Looked up {done} of {total} mobile numbers"),
                zh: format!("已查询 {done}/{total} 个手机号")
            ),
        );
    }
    Ok(found)
}

/// The warning about mobile numbers that belong to no one (a lookup's and a send's).
pub(crate) fn unresolved_mobiles(unresolved: &[String]) -> rpa_plugin_abi::Text {
    let (n, list) = (unresolved.len(), unresolved.join(", "));
    if n == 1 {
        text!(
            en: format!("The mobile number {list} belongs to no employee of the org."),
            zh: format!("手机号 {list} 在组织中找不到对应的员工。")
        )
    } else {
        text!(
            en: format!("{n} mobile numbers belong to no employee of the org: {list}."),
            zh: format!("有 {n} 个手机号在组织中找不到对应的员工：{list}。")
        )
    }
}

/// The inputs, read and checked.
struct LookupInput {
    robot: Arc<Robot>,
    mobiles: Vec<String>,
}

/// Checks every input; the execution looks the numbers up one by one.
fn prepare(p: &Params<'_>) -> Result<Execution> {
    let input = LookupInput { robot: ROBOT_FIELD.read(p)?, mobiles: form::MOBILES.read(p)? };
    Ok(Box::new(move |ctx| Box::pin(run(ctx, input))))
}

async fn run(ctx: CallContext, input: LookupInput) -> Result<Value> {
    let LookupInput { robot, mobiles } = input;
    let (mut user_ids, mut by_mobile, mut unresolved) = (Vec::new(), Map::new(), Vec::new());
    let mut seen = HashSet::new();
    for (mobile, user_id) in resolve(&ctx, &robot, &mobiles).await? {
        match user_id {
            Some(user_id) => {
                if seen.insert(user_id.clone()) {
                    user_ids.push(user_id.clone());
                }
                by_mobile.insert(mobile, Value::String(user_id));
            }
            None => unresolved.push(mobile),
        }
    }
    if !unresolved.is_empty() {
        ctx.log(LogLevel::Warn, unresolved_mobiles(&unresolved));
    }
    Ok(json!({ USER_IDS: user_ids, USER_ID_BY_MOBILE: by_mobile, UNRESOLVED_MOBILES: unresolved }))
}
