//! "Send single-chat message" (`dingtalk.robot.send_single_chat`): one robot message, from any
//! of the templates of [`super::template`], to up to 1,000 receivers given by user ID and/or
//! mobile number, through `batchSend` in batches of 20.
//!
//! The execution resolves the mobile numbers (`lookup::resolve`: `getbymobile`, remembered
//! per connection, as "Get user IDs by mobile number" does), then
//! uploads the message's files, then sends the batches in order. A send is never repeated:
//! when a batch fails after earlier ones went out, the error says so (`PARTIALLY_SENT`) and
//! its `details` name the receivers that got the message, those that did not, and those whose
//! batch may or may not have gone out, so that a flow can send to the rest only.
//!
//! A send that reached no one (every receiver invalid, flow-controlled or filtered) succeeds
//! with a warning that says so, unless `failIfNoneDelivered` is on (`NONE_DELIVERED`). The host
//! sees the mobile lookups, the uploads and the batches as progress.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard};

use dingtalk_client::Error::SendOutcomeUnknown;
use dingtalk_client::wire::BatchSendRequest;
use rpa_plugin_abi::{LogLevel, text};
use serde_json::{Value, json};

use super::field::{AnyField, Entry, EntryList, Field, Flag, Output, PER_SEND, ROBOT as ROBOT_FIELD};
use super::template::{self, Message};
use super::{Action, Execution, Params, Runs, join};
use crate::context::CallContext;
use crate::error::{Error, Explanation, Result};
use crate::robots::Robot;

pub use super::field::{
    BATCH_SIZE, MAX_MOBILE_LEN, MAX_RECIPIENT_ITEMS, MAX_RECIPIENTS, MAX_RECIPIENTS_TEXT, MAX_USER_ID_LEN,
};
pub use super::template::{
    BUTTON_LAYOUT, BUTTONS, ButtonLayout, CONTENT, COVER_IMAGE, DURATION_SECONDS, LINK_URL, MAX_CONTENT_CHARS,
    MAX_MSG_PARAM_BYTES, MAX_TITLE_CHARS, MSG_TYPE, MsgType, PIC_URL, TITLE,
};

/// The action id.
pub const ID: &str = "dingtalk.robot.send_single_chat";
/// Input: the robot handle from connect.
pub const ROBOT: &str = ROBOT_FIELD.name;
/// Input: the receivers' user IDs.
pub const USER_IDS: &str = "userIds";
/// Input: the receivers' mobile numbers.
pub const MOBILES: &str = "mobiles";
/// Input (advanced): fail with NONE_DELIVERED when the message reached no one.
pub const FAIL_IF_NONE_DELIVERED: &str = "failIfNoneDelivered";
/// Output: IDs DingTalk does not know.
pub const INVALID_USER_IDS: &str = "invalidUserIds";
/// Output: IDs DingTalk skipped for receiving too many robot messages.
pub const FLOW_CONTROLLED_USER_IDS: &str = "flowControlledUserIds";
/// Output: the key of the first batch, for read status and recall.
pub const PROCESS_QUERY_KEY: &str = "processQueryKey";
/// Output: the key of every batch, in order.
pub const PROCESS_QUERY_KEYS: &str = "processQueryKeys";
/// Output: mobile numbers that belong to no employee of the org.
pub const UNRESOLVED_MOBILES: &str = "unresolvedMobiles";

/// The most list entries read before duplicates are dropped (kept under its former name).
pub const MAX_USER_ID_ITEMS: usize = MAX_RECIPIENT_ITEMS;
/// DingTalk's limit on an uploaded document.
pub const MAX_FILE_BYTES: u64 = super::media::DOCUMENT.max_bytes;
/// DingTalk's limit on an uploaded image.
pub const MAX_IMAGE_BYTES: u64 = super::media::IMAGE.max_bytes;
/// DingTalk's limit on an uploaded sound (`voice`).
pub const MAX_VOICE_BYTES: u64 = super::media::VOICE.max_bytes;
/// DingTalk's limit on an uploaded video.
pub const MAX_VIDEO_BYTES: u64 = super::media::VIDEO.max_bytes;
/// The file types DingTalk accepts for the file template.
pub const FILE_TYPES: [&str; 9] = ["doc", "docx", "xls", "xlsx", "ppt", "pptx", "zip", "pdf", "rar"];

/// The action: its form, generated into the manifest, and how it runs.
pub(crate) const ACTION: Action = Action {
    id: ID,
    title: text!(en: "Send single-chat message", zh: "钉钉机器人发送单聊消息"),
    description: text!(
        en: "Sends a one-to-one robot message (text, Markdown, image, link, action card, local file, audio or video) to up to 1,000 users given by user ID or mobile number, and outputs the user IDs that were invalid or flow-controlled and the mobile numbers that belong to no one.",
        zh: "以机器人身份给最多 1000 个用户（按用户 ID 或手机号）发送单聊消息（文本、Markdown、图片、链接、卡片、本地文件、语音或视频），并输出无效的用户 ID、被限流的用户 ID 和未找到用户的手机号。"
    ),
    basic: &BASIC,
    advanced: &ADVANCED,
    at_least_one_of: &[&[USER_IDS, MOBILES]],
    outputs: &[
        form::INVALID_USER_IDS,
        form::FLOW_CONTROLLED_USER_IDS,
        form::PROCESS_QUERY_KEY,
        form::PROCESS_QUERY_KEYS,
        form::UNRESOLVED_MOBILES,
    ],
    prepare,
    same_params_memo: None,
    runs: Runs::OnHostThread,
};

/// The basic tab: the robot, the receivers, then the template's fields.
const BASIC: [&dyn AnyField; 9] = join(&[&[&ROBOT_FIELD, &form::USER_IDS, &form::MOBILES], &template::BASIC]);

/// The advanced tab: the template's, then whether a send that reached no one fails.
const ADVANCED: [&dyn AnyField; 4] = join(&[&template::ADVANCED, &[&form::FAIL_IF_NONE_DELIVERED]]);

/// The fields, each declared once.
pub(crate) mod form {
    use super::*;

    pub(crate) const USER_IDS: Field<EntryList> = Field {
        name: super::USER_IDS,
        label: text!(en: "User IDs", zh: "用户ID"),
        help: text!(
            en: "Receivers' user IDs as a list such as [\"id1\",\"id2\"]; comma- or line-separated text works too. Fill in user IDs, mobile numbers or both: at most 1,000 different receivers in all, sent 20 at a time. Find user IDs in the admin console's contacts.",
            zh: "接收人的用户 ID，列表形式如 [\"id1\",\"id2\"]，也可用逗号或换行分隔。用户 ID 与手机号至少填一项，合计最多 1000 个不同的接收人，每 20 人一批发送。用户 ID 可在管理后台通讯录中查看。"
        ),
        kind: EntryList { of: Entry::UserId, max: MAX_RECIPIENTS, per: PER_SEND },
        visible_when: None,
    };

    pub(crate) const MOBILES: Field<EntryList> = Field {
        name: super::MOBILES,
        label: text!(en: "Mobile numbers", zh: "手机号列表"),
        help: text!(
            en: "Receivers' mobile numbers (as in the org's contacts), as a list or comma- or line-separated text; each is looked up once per connection (needs the permission to get a member's basic info by mobile number, qyapi_get_member_by_mobile). Numbers that belong to no one are output as unresolvedMobiles, and asked again only after 10 minutes. Counts toward the 1,000 receivers with the user IDs.",
            zh: "接收人的手机号（与通讯录一致），列表或逗号、换行分隔的文本；每个号码在同一连接中只查询一次（需根据手机号获取成员基本信息权限 qyapi_get_member_by_mobile）。找不到用户的号码输出到 unresolvedMobiles，10 分钟后才会再次查询。与用户 ID 合计最多 1000 个接收人。"
        ),
        kind: EntryList { of: Entry::Mobile, max: MAX_RECIPIENTS, per: PER_SEND },
        visible_when: None,
    };

    pub(crate) const FAIL_IF_NONE_DELIVERED: Field<Flag> = Field {
        name: super::FAIL_IF_NONE_DELIVERED,
        label: text!(en: "Fail if none delivered", zh: "无人送达时报错"),
        help: text!(
            en: "When every receiver was invalid, flow-controlled or filtered by DingTalk, the send still succeeds (with a warning and the lists in its outputs). Turn this on to stop the flow instead, with the error NONE_DELIVERED.",
            zh: "所有接收人都无效、被限流或被钉钉过滤时，发送默认仍算成功（给出警告，并在输出中列出这些用户）。开启后改为以 NONE_DELIVERED 报错，使流程停止。"
        ),
        kind: Flag { default: false },
        visible_when: None,
    };

    pub(crate) const INVALID_USER_IDS: Output = Output::list(
        super::INVALID_USER_IDS,
        text!(en: "Invalid user IDs", zh: "无效的用户ID列表"),
        text!(
            en: "User IDs DingTalk does not know: check them, and remove stray spaces.",
            zh: "钉钉不认识的用户 ID：请检查 ID 是否正确、是否带有空格。"
        ),
    );

    pub(crate) const FLOW_CONTROLLED_USER_IDS: Output = Output::list(
        super::FLOW_CONTROLLED_USER_IDS,
        text!(en: "Flow-controlled user IDs", zh: "被限流的用户ID列表"),
        text!(
            en: "User IDs DingTalk skipped because they received too many robot messages.",
            zh: "接收机器人消息过多而被钉钉跳过的用户 ID。"
        ),
    );

    pub(crate) const PROCESS_QUERY_KEY: Output = Output::text(
        super::PROCESS_QUERY_KEY,
        text!(en: "Process query key", zh: "发送任务 ID"),
        text!(
            en: "The processQueryKey of the send (of its first batch when there are more than 20 receivers), for read status or recall.",
            zh: "本次发送的 processQueryKey（超过 20 人时为第一批的），用于查询已读状态或撤回。"
        ),
    );

    pub(crate) const PROCESS_QUERY_KEYS: Output = Output::list(
        super::PROCESS_QUERY_KEYS,
        text!(en: "Process query keys", zh: "发送任务 ID 列表"),
        text!(
            en: "The processQueryKey of every batch of 20 receivers, in order.",
            zh: "每批（20 人）发送的 processQueryKey，按顺序排列。"
        ),
    );

    pub(crate) const UNRESOLVED_MOBILES: Output = Output::list(
        super::UNRESOLVED_MOBILES,
        text!(en: "Unresolved mobile numbers", zh: "未找到用户的手机号"),
        text!(
            en: "Mobile numbers that belong to no employee of the org (or are not valid numbers of it); nothing was sent to them.",
            zh: "在组织中找不到对应员工（或不是有效号码）的手机号，未向其发送。"
        ),
    );
}

/// Send's inputs, read and checked.
struct SendInput {
    robot: Arc<Robot>,
    user_ids: Vec<String>,
    mobiles: Vec<String>,
    message: Message,
    fail_if_none_delivered: bool,
}

/// Reads and checks every input, the files included, without touching the network.
fn read(p: &Params<'_>) -> Result<SendInput> {
    let robot = ROBOT_FIELD.read(p)?;
    let user_ids = form::USER_IDS.read(p)?;
    let mobiles = form::MOBILES.read(p)?;
    if user_ids.is_empty() && mobiles.is_empty() {
        return Err(p.error(
            USER_IDS,
            text!(
                en: "No receivers: give user IDs, mobile numbers, or both.",
                zh: "没有接收人：请填写用户 ID 或手机号（或两者）。"
            ),
        ));
    }
    let message = template::read(p)?;
    let fail_if_none_delivered = form::FAIL_IF_NONE_DELIVERED.read(p)?;
    Ok(SendInput { robot, user_ids, mobiles, message, fail_if_none_delivered })
}

fn too_many_receivers(n: usize) -> Error {
    Error::input(
        USER_IDS,
        Explanation {
            message: text!(
                en: format!("{n} different receivers; one send takes at most {MAX_RECIPIENTS}."),
                zh: format!("共 {n} 个不同的接收人，一次发送最多 {MAX_RECIPIENTS} 个。")
            ),
            hint: text!(
                en: "Split the receivers over several sends (user IDs and mobile numbers count together).",
                zh: "请将接收人拆分为多次发送（用户 ID 与手机号合计计算）。"
            ),
        },
    )
}

/// Checks every input; the execution resolves mobiles, uploads files and sends in batches.
fn prepare(p: &Params<'_>) -> Result<Execution> {
    let input = read(p)?;
    Ok(Box::new(move |ctx| Box::pin(run(ctx, input))))
}

/// Where the batches stand: the receivers in order, how many of them the batches sent so
/// far reached, the batch under way, and what DingTalk answered so far.
#[derive(Default)]
struct Progress {
    receivers: Vec<String>,
    unresolved: Vec<String>,
    /// The receivers before this index got the message (their batches were answered).
    sent: usize,
    /// How many receivers from `sent` on the batch under way carries.
    batch: usize,
    invalid: Vec<String>,
    flow_controlled: Vec<String>,
    /// How many receivers DingTalk filtered (not delivered, not output).
    filtered: usize,
    keys: Vec<String>,
}

impl Progress {
    /// How many of the receivers the batches sent so far reached.
    fn delivered(&self) -> usize {
        self.sent.saturating_sub(self.invalid.len() + self.flow_controlled.len() + self.filtered)
    }

    /// The error document's `details` when the batch under way and those after it did not
    /// (surely) go out: with `maybe_sent`, the batch under way may have, else it did not.
    fn details(&self, maybe_sent: bool) -> Value {
        let (sent, rest) = self.receivers.split_at(self.sent.min(self.receivers.len()));
        let (unknown, unsent) = rest.split_at(if maybe_sent { self.batch.min(rest.len()) } else { 0 });
        json!({
            "sentUserIds": sent,
            "unsentUserIds": unsent,
            "unknownUserIds": unknown,
            "processQueryKeys": self.keys,
            INVALID_USER_IDS: self.invalid,
            FLOW_CONTROLLED_USER_IDS: self.flow_controlled,
            UNRESOLVED_MOBILES: self.unresolved,
        })
    }
}

/// Locks the progress shared with the cancellation's details (never held across an await).
fn lock(progress: &Mutex<Progress>) -> MutexGuard<'_, Progress> {
    progress.lock().unwrap_or_else(|p| p.into_inner())
}

async fn run(ctx: CallContext, input: SendInput) -> Result<Value> {
    let SendInput { robot, user_ids, mobiles, message, fail_if_none_delivered } = input;
    let conn = &robot.connection;

    // 1. Mobile numbers to user IDs (a lookup can be repeated safely; nothing is sent yet).
    let mut resolved = Vec::with_capacity(mobiles.len());
    let mut unresolved = Vec::new();
    for (mobile, user_id) in super::lookup::resolve(&ctx, &robot, &mobiles).await? {
        match user_id {
            Some(user_id) => resolved.push(user_id),
            None => unresolved.push(mobile),
        }
    }
    if !unresolved.is_empty() {
        ctx.log(LogLevel::Warn, super::lookup::unresolved_mobiles(&unresolved));
    }
    let mut seen = HashSet::with_capacity(user_ids.len() + resolved.len());
    let receivers: Vec<String> = user_ids.into_iter().chain(resolved).filter(|u| seen.insert(u.clone())).collect();
    if receivers.len() > MAX_RECIPIENTS {
        return Err(too_many_receivers(receivers.len()));
    }
    if receivers.is_empty() {
        let n = unresolved.len();
        let words = Explanation {
            message: if n == 1 {
                text!(
                    en: "The mobile number belongs to no employee of the org, so there is no one to send to.",
                    zh: "这个手机号找不到对应的员工，没有可发送的接收人。"
                )
            } else {
                text!(
                    en: format!("None of the {n} mobile numbers belongs to an employee of the org, so there is no one to send to."),
                    zh: format!("这 {n} 个手机号都找不到对应的员工，没有可发送的接收人。")
                )
            },
            hint: text!(
                en: "Check the numbers against the org's contacts (employees who left cannot be found), or give user IDs.",
                zh: "请对照通讯录检查手机号（已离职员工无法查到），或改为填写用户 ID。"
            ),
        };
        return Err(Error::input(MOBILES, words).with_details(json!({ UNRESOLVED_MOBILES: unresolved })));
    }

    // 2. The message's files.
    let (msg_key, msg_param) = message.upload(&ctx, &robot).await?;

    // 3. The batches, in order; each is sent once. A stop by the host reports where they
    // stand, built from the progress only then.
    let total = receivers.len();
    let batches = total.div_ceil(BATCH_SIZE);
    if batches > 1 {
        ctx.log(
            LogLevel::Info,
            text!(
                en: format!("sending to {total} receivers in {batches} batches"),
                zh: format!("共 {total} 位接收人，分 {batches} 批发送")
            ),
        );
    }
    let progress = Arc::new(Mutex::new(Progress { receivers, unresolved, ..Progress::default() }));
    let shared = progress.clone();
    ctx.set_cancel_details(Box::new(move |in_flight| lock(&shared).details(in_flight)));
    for i in 0..batches {
        let user_ids = {
            let mut done = lock(&progress);
            done.batch = BATCH_SIZE.min(total - done.sent);
            done.receivers[done.sent..done.sent + done.batch].to_vec()
        };
        let failed = |e: Error| {
            let unknown =
                matches!(e.inner(), Error::Client(SendOutcomeUnknown { .. }) | Error::Cancelled { in_flight: Some(_) });
            let done = lock(&progress);
            let e = if done.sent == 0 || matches!(e, Error::Cancelled { .. }) {
                e
            } else {
                Error::PartiallySent { cause: Box::new(e), sent: done.sent, total, batch: (i + 1, batches) }
            };
            e.with_details(done.details(unknown))
        };
        if let Err(e) = ctx.check_cancelled() {
            return Err(failed(e));
        }
        let request = BatchSendRequest {
            msg_key: msg_key.to_string(),
            msg_param: msg_param.clone(),
            robot_code: robot.options.robot_code.clone(),
            user_ids,
        };
        let answer = match conn.batch_send(ctx.call(), &robot.options, &request).await {
            Ok(answer) => answer,
            Err(e) => return Err(failed(e.into())),
        };
        let mut done = lock(&progress);
        done.sent += done.batch;
        done.batch = 0;
        done.invalid.extend(answer.invalid_staff_id_list.unwrap_or_default());
        done.flow_controlled.extend(answer.flow_controlled_staff_id_list.unwrap_or_default());
        done.keys.push(answer.process_query_key.unwrap_or_default());
        let filtered = answer.filtered_staff_id_list.filter(|f| !f.is_empty());
        done.filtered += filtered.as_ref().map_or(0, Vec::len);
        let (batch, reached) = (i + 1, done.delivered());
        drop(done);
        ctx.progress(
            batch as u64,
            batches as u64,
            text!(
                en: format!("Sent batch {batch} of {batches}; {reached} of {total} receivers reached"),
                zh: format!("已发送第 {batch}/{batches} 批，已送达 {reached}/{total} 人")
            ),
        );
        if let Some(filtered) = filtered {
            let list = filtered.join(", ");
            ctx.log(
                LogLevel::Warn,
                text!(
                    en: format!("DingTalk filtered the message for these users; it was not delivered to them: {list}"),
                    zh: format!("钉钉过滤了发给以下用户的消息，未能送达：{list}")
                ),
            );
        }
    }
    // Every batch went out (and nothing below waits, so no stop can come in between).
    let done = lock(&progress);
    if !done.invalid.is_empty() {
        let (n, list) = (done.invalid.len(), done.invalid.join(", "));
        ctx.log(
            LogLevel::Warn,
            text!(
                en: format!("DingTalk does not know {n} of the user IDs: {list}. Check them in the admin console and remove stray spaces."),
                zh: format!("钉钉不认识其中 {n} 个用户ID：{list}。请在管理后台核对，并去掉多余的空格。")
            ),
        );
    }
    if !done.flow_controlled.is_empty() {
        let (n, list) = (done.flow_controlled.len(), done.flow_controlled.join(", "));
        ctx.log(
            LogLevel::Warn,
            text!(
                en: format!("DingTalk flow-controlled {n} of the receivers (too many robot messages); not delivered to: {list}"),
                zh: format!("有 {n} 位接收人收到的机器人消息过多，被钉钉限流，未能送达：{list}")
            ),
        );
    }
    let delivered = done.delivered();
    if delivered < total {
        ctx.log(
            LogLevel::Warn,
            text!(
                en: format!("Delivered to {delivered} of {total} receivers."),
                zh: format!("共 {total} 位接收人，已送达 {delivered} 位。")
            ),
        );
    }
    if delivered == 0 && fail_if_none_delivered {
        return Err(Error::NoneDelivered { total }.with_details(done.details(false)));
    }
    Ok(json!({
        INVALID_USER_IDS: done.invalid,
        FLOW_CONTROLLED_USER_IDS: done.flow_controlled,
        PROCESS_QUERY_KEY: done.keys.first().cloned().unwrap_or_default(),
        PROCESS_QUERY_KEYS: done.keys,
        UNRESOLVED_MOBILES: done.unresolved,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::Params;

    fn read_list(field: &str, value: Value) -> Result<Vec<String>> {
        let spec = ACTION.spec();
        let json = json!({ field: value }).to_string();
        let p = Params::parse(&json, &spec)?;
        if field == MOBILES { form::MOBILES.read(&p) } else { form::USER_IDS.read(&p) }
    }

    fn ids(value: Value) -> Result<Vec<String>> {
        read_list(USER_IDS, value)
    }

    fn refused_in(field: &str, value: Value) -> String {
        match read_list(field, value.clone()) {
            Err(e @ Error::InvalidInput { .. }) => {
                assert_eq!(e.field(), Some(field));
                e.to_payload().message
            }
            other => panic!("{value} gave {other:?}"),
        }
    }

    fn refused(value: Value) -> String {
        refused_in(USER_IDS, value)
    }

    fn strings(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn user_ids_in_every_form_people_type() {
        let want = strings(&["u1", "u2"]);
        assert_eq!(ids(json!(["u1", "u2"])).unwrap(), want);
        assert_eq!(ids(json!([" u1 ", "u2\t"])).unwrap(), want);
        assert_eq!(ids(json!(r#"["u1", " u2 "]"#)).unwrap(), want);
        assert_eq!(ids(json!("u1,u2")).unwrap(), want);
        assert_eq!(ids(json!("u1，u2")).unwrap(), want);
        assert_eq!(ids(json!(" u1 \r\n u2 \n")).unwrap(), want);
        assert_eq!(ids(json!("u1; u2; u1")).unwrap(), want);
        assert_eq!(ids(json!(["u2", "u1", "u2"])).unwrap(), strings(&["u2", "u1"]));
        assert_eq!(ids(json!("solo")).unwrap(), strings(&["solo"]));
        assert_eq!(ids(json!("\"u1\", “u2”")).unwrap(), want, "quoted entries lose their quotes");
    }

    #[test]
    fn blank_lines_between_entries_are_skipped_in_text_only() {
        let want = strings(&["u1", "u2", "u3"]);
        assert_eq!(ids(json!("u1\n\n  \nu2\r\n\r\nu3")).unwrap(), want);
        assert_eq!(ids(json!("u1,,u2,\n,u3,")).unwrap(), want);
        assert!(refused(json!(["u1", " ", "u2"])).contains("#2 is blank"));
        assert!(refused(json!(r#"["u1", ""]"#)).contains("#2 is blank"));
    }

    #[test]
    fn json_that_is_not_a_list_of_text_is_refused_not_sent_as_an_id() {
        for value in [
            json!(r#"{"id": "u1"}"#),
            json!(r#" {"userIds": ["u1"]} "#),
            json!("[[\"u1\"]]"),
            json!("[1, 2]"),
            json!("{not json"),
            json!(12),
            json!({"id": "u1"}),
            json!(true),
        ] {
            refused(value.clone());
            refused_in(MOBILES, value);
        }
        assert!(refused(json!(r#"{"id": "u1"}"#)).contains("not an object"));
    }

    #[test]
    fn a_thousand_after_dedup_is_fine_a_thousand_and_one_is_not() {
        let mut many: Vec<String> = (0..MAX_RECIPIENTS).map(|i| format!("u{i}")).collect();
        many.push("u0".into());
        assert_eq!(ids(json!(many)).unwrap().len(), MAX_RECIPIENTS);
        many.push(format!("u{MAX_RECIPIENTS}"));
        assert!(refused(json!(many)).contains("1001 different"));
        let too_long: Vec<String> = std::iter::repeat_n("u1".to_string(), MAX_RECIPIENT_ITEMS + 1).collect();
        assert!(refused(json!(too_long)).contains("More than 2000"));
    }

    #[test]
    fn bad_user_id_lists_name_the_field() {
        refused(json!(["u1", 7]));
        refused(json!("[\"u1\", "));
        refused(json!(["x".repeat(65)]));
        refused(json!(["manager01 staff02"]));
        // Empty means none given (the field is optional; send needs user IDs or mobiles).
        assert_eq!(ids(json!([])).unwrap(), Vec::<String>::new());
        assert_eq!(ids(json!("")).unwrap(), Vec::<String>::new());
        assert_eq!(ids(Value::Null).unwrap(), Vec::<String>::new());
    }

    #[test]
    fn mobiles_as_people_type_them() {
        let read = |v: Value| read_list(MOBILES, v);
        assert_eq!(read(json!("138 0013 8000\n+86 139-0000-0001")).unwrap(), strings(&["13800138000", "13900000001"]));
        assert_eq!(
            read(json!(["(+852) 6123-4567", "13800138000"])).unwrap(),
            strings(&["+8526123-4567", "13800138000"])
        );
        assert_eq!(read(json!("13800138000, 138-0013-8000")).unwrap(), strings(&["13800138000"]));
        for bad in ["12ab", "123", "+", "1380013800012345678901", "138--0013"] {
            let message = refused_in(MOBILES, json!([bad]));
            assert!(message.contains("not a mobile number"), "{bad}: {message}");
        }
        refused_in(MOBILES, json!([13800138000u64]));
    }

    #[test]
    fn the_title_is_read_trimmed() {
        let spec = ACTION.spec();
        let p = Params::parse(r#"{"title":"  Given  "}"#, &spec).unwrap();
        assert_eq!(template::form::TITLE.read(&p).unwrap().as_deref(), Some("Given"));
    }

    #[test]
    fn every_field_is_declared_on_one_tab() {
        let spec = ACTION.spec();
        let names: Vec<&str> = spec.inputs.all().map(|f| f.name.as_str()).collect();
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), names.len(), "{names:?}");
        assert_eq!(spec.inputs.at_least_one_of, vec![vec![USER_IDS.to_string(), MOBILES.to_string()]]);
        for f in [USER_IDS, MOBILES] {
            assert!(!spec.input(f).unwrap().required, "{f} is optional on its own");
        }
    }
}
