//! "Wait for a reply" (`dingtalk.robot.wait_for_reply`): the flow stops until the person (or
//! a group, where only messages that @ the robot arrive) sends the robot a message that
//! matches, received on the app's shared Stream connection (`dingtalk_client::stream`), and
//! hands its text to later steps; or carries on (or fails) when the time is up.

use std::sync::Arc;
use std::time::Duration;

use dingtalk_client::stream::{self, Chat, Pattern, Reply, ReplyFilter, StreamSettings, Wait};
use rpa_plugin_abi::text;
use serde_json::{Value, json};

use super::field::{
    Choice, Entry, Field, Integer, MAX_KEYWORD_LEN, MAX_USER_ID_LEN, OptionalText, Output, Pick, ROBOT as ROBOT_FIELD,
    ShortList,
};
use super::recall::MAX_CONVERSATION_ID_LEN;
use super::{Action, Execution, Params, Runs};
use crate::context::CallContext;
use crate::error::{Error, Result};
use crate::robots::Robot;

/// The action id.
pub const ID: &str = "dingtalk.robot.wait_for_reply";
/// Input: the robot handle from connect.
pub const ROBOT: &str = ROBOT_FIELD.name;
/// Input: the user whose one-to-one reply is awaited.
pub const USER_ID: &str = "userId";
/// Input: the same user, by mobile number.
pub const MOBILE: &str = "mobile";
/// Input: how long to wait.
pub const TIMEOUT_SECONDS: &str = "timeoutSeconds";
/// Input (advanced): wait in this group instead.
pub const OPEN_CONVERSATION_ID: &str = "openConversationId";
/// Input (advanced): the reply must contain one of these.
pub const KEYWORDS: &str = "keywords";
/// Input (advanced): the reply must match this regular expression.
pub const PATTERN: &str = "pattern";
/// Input (advanced): a message received this long before the step also counts.
pub const LOOKBACK_SECONDS: &str = "lookbackSeconds";
/// Input (advanced): what a timeout does.
pub const ON_TIMEOUT: &str = "onTimeout";
/// Output: whether a reply came.
pub const REPLIED: &str = "replied";
/// Output: its text.
pub const REPLY_TEXT: &str = "replyText";
/// Output: its msgtype.
pub const REPLY_TYPE: &str = "replyType";
/// Output: the sender's user ID.
pub const SENDER_USER_ID: &str = "senderUserId";
/// Output: the sender's name.
pub const SENDER_NICK: &str = "senderNick";
/// Output: when it was sent.
pub const RECEIVED_AT: &str = "receivedAt";
/// Output: the conversation it came in.
pub const CONVERSATION_ID: &str = "conversationId";

/// The most keywords a wait takes.
pub const MAX_KEYWORDS: usize = 10;
/// The longest pattern, in characters.
pub const MAX_PATTERN_CHARS: usize = 500;

/// The action: its form, generated into the manifest, and how it runs.
pub(crate) const ACTION: Action = Action {
    id: ID,
    title: text!(en: "Wait for a reply", zh: "等待用户回复"),
    description: text!(
        en: "Stops the flow until the user (or, on the advanced tab, a group where the robot is @-mentioned) sends the robot a matching message, and outputs its text; after timeoutSeconds it outputs replied=false (or fails with REPLY_TIMEOUT). Replies arrive over DingTalk's Stream mode: set the robot's message receiving mode to Stream in the developer console. Every flow waiting on one app shares one connection, and each message goes to one wait only, first come first served.",
        zh: "暂停流程，直到该用户（或在“高级”页指定的群里 @ 机器人的人）给机器人发来符合条件的消息，并输出消息内容；超过 timeoutSeconds 仍未收到时输出 replied=false（或以 REPLY_TIMEOUT 报错）。回复通过钉钉的 Stream 模式接收：请在开发者后台把机器人的消息接收模式设为 Stream 模式。同一应用的所有等待共用一条连接，每条消息只交给一个等待，先到先得。"
    ),
    basic: &[&ROBOT_FIELD, &form::USER_ID, &form::MOBILE, &form::TIMEOUT_SECONDS],
    advanced: &[
        &form::OPEN_CONVERSATION_ID,
        &form::KEYWORDS,
        &form::PATTERN,
        &form::LOOKBACK_SECONDS,
        &form::ON_TIMEOUT,
    ],
    at_least_one_of: &[&[USER_ID, MOBILE, OPEN_CONVERSATION_ID]],
    outputs: &[
        form::REPLIED,
        form::REPLY_TEXT,
        form::REPLY_TYPE,
        form::SENDER_USER_ID,
        form::SENDER_NICK,
        form::RECEIVED_AT,
        form::CONVERSATION_ID,
    ],
    prepare,
    same_params_memo: None,
    runs: Runs::Shared,
};

/// What a timeout does (an ask's too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum OnTimeout {
    /// The step succeeds with `replied` false.
    Output,
    /// The step fails with REPLY_TIMEOUT.
    Error,
}

/// The fields, each declared once (an ask takes `MOBILE` as it is).
pub(super) mod form {
    use super::*;

    pub(super) const USER_ID: Field<OptionalText> = Field {
        name: super::USER_ID,
        label: text!(en: "User ID", zh: "用户 ID"),
        help: text!(
            en: "Wait for this user's message in their one-to-one chat with the robot. Fill in exactly one of userId, mobile, or openConversationId (advanced).",
            zh: "等待该用户在与机器人的单聊中发来的消息。userId、mobile 和 openConversationId（高级）三者只填一个。"
        ),
        kind: OptionalText::id(MAX_USER_ID_LEN),
        visible_when: None,
    };

    pub(in crate::actions) const MOBILE: Field<ShortList> = Field {
        name: super::MOBILE,
        label: text!(en: "Mobile number", zh: "手机号"),
        help: text!(
            en: "The same user by mobile number (as in the org's contacts), looked up once per connection like the send's mobiles (needs qyapi_get_member_by_mobile).",
            zh: "用手机号（与通讯录一致）指定该用户，与发送消息的手机号一样在同一连接中只查询一次（需权限 qyapi_get_member_by_mobile）。"
        ),
        kind: ShortList { of: Entry::Mobile, max: 1 },
        visible_when: None,
    };

    pub(super) const TIMEOUT_SECONDS: Field<Integer> = Field {
        name: super::TIMEOUT_SECONDS,
        label: text!(en: "Timeout (seconds)", zh: "超时（秒）"),
        help: text!(
            en: "How long to wait for the reply, 1 to 86,400 seconds (a day). A reconnect meanwhile does not extend it.",
            zh: "等待回复的最长时间，1 到 86400 秒（一天）。期间即使重新连接也不会延长。"
        ),
        kind: Integer::new(1, 86_400, 300),
        visible_when: None,
    };

    pub(super) const OPEN_CONVERSATION_ID: Field<OptionalText> = Field {
        name: super::OPEN_CONVERSATION_ID,
        label: text!(en: "Group (openConversationId)", zh: "群会话 ID（openConversationId）"),
        help: text!(
            en: "Wait in this group instead (its openConversationId, starting with \"cid\"). Only messages that @ the robot reach it; the first from anyone in the group is taken.",
            zh: "改为在该群中等待（群的 openConversationId，以 “cid” 开头）。机器人只能收到 @ 它的消息；取群内任何人发来的第一条。"
        ),
        kind: OptionalText::id(MAX_CONVERSATION_ID_LEN),
        visible_when: None,
    };

    pub(super) const KEYWORDS: Field<ShortList> = Field {
        name: super::KEYWORDS,
        label: text!(en: "Keywords", zh: "关键词"),
        help: text!(
            en: "Take only a message that contains one of these words (at most 10), as a list or comma- or line-separated text; other messages are left for other waits.",
            zh: "只接受包含其中任一关键词的消息（最多 10 个），列表或逗号、换行分隔的文本；其他消息留给别的等待。"
        ),
        kind: ShortList { of: Entry::Keyword, max: MAX_KEYWORDS },
        visible_when: None,
    };

    pub(super) const PATTERN: Field<OptionalText> = Field {
        name: super::PATTERN,
        label: text!(en: "Pattern", zh: "正则表达式"),
        help: text!(
            en: "Take only a message whose text matches this regular expression (Rust regex syntax, no look-around or back-references; matching takes linear time), such as PO-\\d{6}.",
            zh: "只接受内容匹配该正则表达式的消息（Rust regex 语法，不支持环视和反向引用，匹配耗时与文本长度成线性），例如 PO-\\d{6}。"
        ),
        kind: OptionalText::trimmed(MAX_PATTERN_CHARS),
        visible_when: None,
    };

    pub(super) const LOOKBACK_SECONDS: Field<Integer> = Field {
        name: super::LOOKBACK_SECONDS,
        label: text!(en: "Look back (seconds)", zh: "回溯（秒）"),
        help: text!(
            en: "Also take a message the connection received up to this many seconds before the step began (0 to 600) and no other wait took, such as a reply that came while the flow was still sending.",
            zh: "也接受在本步骤开始前这么多秒内（0 到 600）收到、且未被其他等待取走的消息，例如流程还在发送时就已到达的回复。"
        ),
        kind: Integer::new(0, 600, 0),
        visible_when: None,
    };

    const ON_TIMEOUT_CHOICES: [Pick<OnTimeout>; 2] = [
        Pick {
            value: "output",
            label: text!(en: "Output replied=false", zh: "输出 replied=false"),
            item: OnTimeout::Output,
        },
        Pick {
            value: "error",
            label: text!(en: "Fail with REPLY_TIMEOUT", zh: "以 REPLY_TIMEOUT 报错"),
            item: OnTimeout::Error,
        },
    ];

    pub(super) const ON_TIMEOUT: Field<Choice<OnTimeout>> = Field {
        name: super::ON_TIMEOUT,
        label: text!(en: "On timeout", zh: "超时后"),
        help: text!(
            en: "What happens when no reply comes in time: output carries on with replied=false and empty outputs; error fails the step with REPLY_TIMEOUT.",
            zh: "超时仍未收到回复时的处理：output 以 replied=false 和空输出继续流程；error 使本步骤以 REPLY_TIMEOUT 报错。"
        ),
        kind: Choice { options: &ON_TIMEOUT_CHOICES, default: OnTimeout::Output },
        visible_when: None,
    };

    pub(super) const REPLIED: Output = Output::flag(
        super::REPLIED,
        text!(en: "Replied", zh: "是否已回复"),
        text!(
            en: "true when a matching reply came in time, false when the wait timed out (with onTimeout=output).",
            zh: "在超时前收到符合条件的回复时为 true，超时（onTimeout=output）时为 false。"
        ),
    );

    pub(super) const REPLY_TEXT: Output = Output::text(
        super::REPLY_TEXT,
        text!(en: "Reply text", zh: "回复内容"),
        text!(
            en: "The reply's text: for rich text its text parts joined, for a picture empty; empty after a timeout.",
            zh: "回复的文字：富文本为其中文字部分的拼接，图片为空；超时后为空。"
        ),
    );

    pub(super) const REPLY_TYPE: Output = Output::text(
        super::REPLY_TYPE,
        text!(en: "Reply type", zh: "回复类型"),
        text!(
            en: "DingTalk's msgtype of the reply as it came: text, richText, picture, ...",
            zh: "钉钉给出的回复消息类型（msgtype）原样输出：text、richText、picture 等。"
        ),
    );

    pub(super) const SENDER_USER_ID: Output = Output::text(
        super::SENDER_USER_ID,
        text!(en: "Sender user ID", zh: "发送人用户 ID"),
        text!(en: "The user ID of whoever sent the reply.", zh: "发来回复的人的用户 ID。"),
    );

    pub(super) const SENDER_NICK: Output = Output::text(
        super::SENDER_NICK,
        text!(en: "Sender name", zh: "发送人昵称"),
        text!(en: "The sender's name as DingTalk shows it.", zh: "钉钉中显示的发送人名字。"),
    );

    pub(super) const RECEIVED_AT: Output = Output::text(
        super::RECEIVED_AT,
        text!(en: "Sent at", zh: "发送时间"),
        text!(
            en: "When the reply was sent (DingTalk's createAt), ISO 8601 in UTC with its offset: 2026-12-04T12:01:02.345+00:00.",
            zh: "回复的发送时间（钉钉的 createAt），ISO 8601 格式的 UTC 时间并带时区偏移，例如 2026-12-04T12:01:02.345+00:00。"
        ),
    );

    pub(super) const CONVERSATION_ID: Output = Output::text(
        super::CONVERSATION_ID,
        text!(en: "Conversation ID", zh: "会话 ID"),
        text!(
            en: "The conversation the reply came in (in a group, its openConversationId).",
            zh: "回复所在的会话 ID（群聊中即群的 openConversationId）。"
        ),
    );
}

/// Who the wait (or an ask) is for, as given.
#[derive(Debug, PartialEq)]
pub(super) enum Whom {
    User(String),
    Mobile(String),
    Group(String),
}

/// The inputs, read and checked.
struct WaitInput {
    robot: Arc<Robot>,
    whom: Whom,
    keywords: Vec<String>,
    pattern: Option<Pattern>,
    timeout: Duration,
    lookback: Duration,
    on_timeout: OnTimeout,
}

/// Reads every input but the robot: exactly one of userId, mobile, openConversationId; a
/// pattern that compiles within its size limit.
fn read_filter(p: &Params<'_>) -> Result<(Whom, Vec<String>, Option<Pattern>)> {
    let whom = one_of(p, form::USER_ID.read(p)?, form::MOBILE.read(p)?, form::OPEN_CONVERSATION_ID.read(p)?)?;
    let keywords = form::KEYWORDS.read(p)?;
    debug_assert!(keywords.iter().all(|k| k.chars().count() <= MAX_KEYWORD_LEN));
    let pattern = match form::PATTERN.read(p)?.filter(|t| !t.is_empty()) {
        None => None,
        Some(text) => Some(Pattern::new(&text).map_err(|why| {
            let why: String = why.chars().take(300).collect();
            p.error(
                PATTERN,
                text!(
                    en: format!("The pattern is not a regular expression this plugin takes: {why}"),
                    zh: format!("「{}」不是本插件能用的正则表达式（不支持环视和反向引用）。解析器的原始信息：“{why}”", p.label(PATTERN).zh_cn)
                ),
            )
        })?),
    };
    Ok((whom, keywords, pattern))
}

/// Exactly one of a user ID, a mobile number (a list of at most one) and a group, as read
/// from the fields `userId`, `mobile` and `openConversationId` (an ask's too).
pub(super) fn one_of(p: &Params<'_>, user: Option<String>, mobile: Vec<String>, group: Option<String>) -> Result<Whom> {
    let (user, mobile, group) =
        (user.map(Whom::User), mobile.into_iter().next().map(Whom::Mobile), group.map(Whom::Group));
    let given: Vec<Whom> = [user, mobile, group].into_iter().flatten().collect();
    let whom = match <[Whom; 1]>::try_from(given) {
        Ok([whom]) => whom,
        Err(given) => {
            let message = if given.is_empty() {
                text!(
                    en: "Whose reply? Fill in userId, mobile, or openConversationId (advanced).",
                    zh: "等待谁的回复？请填写 userId、mobile 或 openConversationId（高级）中的一项。"
                )
            } else {
                text!(
                    en: "Fill in only one of userId, mobile and openConversationId: a wait is for one chat.",
                    zh: "userId、mobile 和 openConversationId 只能填一项：一次等待只对应一个会话。"
                )
            };
            return Err(p.error(USER_ID, message));
        }
    };
    Ok(whom)
}

/// The user ID of the employee with this mobile number (looked up once per connection), or
/// the error on `mobile` saying no employee has it.
pub(super) async fn user_of(ctx: &CallContext, robot: &Robot, mobile: &str) -> Result<String> {
    let found = super::lookup::resolve(ctx, robot, &[mobile.to_string()]).await?;
    found.into_iter().next().and_then(|(_, user)| user).ok_or_else(|| {
        Error::input(
            MOBILE,
            crate::error::Explanation {
                message: text!(
                    en: format!("No employee of the org has the mobile number {mobile}."),
                    zh: format!("组织中没有手机号为 {mobile} 的员工。")
                ),
                hint: text!(
                    en: "Check the number against the org's contacts, or give the user ID instead.",
                    zh: "请对照通讯录检查号码，或改填用户 ID。"
                ),
            },
        )
    })
}

/// Checks every input; the execution waits on the app's Stream connection.
fn prepare(p: &Params<'_>) -> Result<Execution> {
    let robot = ROBOT_FIELD.read(p)?;
    let (whom, keywords, pattern) = read_filter(p)?;
    let on_timeout = form::ON_TIMEOUT.read(p)?;
    let timeout = Duration::from_secs(form::TIMEOUT_SECONDS.read(p)?.unsigned_abs());
    let lookback = Duration::from_secs(form::LOOKBACK_SECONDS.read(p)?.unsigned_abs());
    let input = WaitInput { robot, whom, keywords, pattern, timeout, lookback, on_timeout };
    Ok(Box::new(move |ctx| Box::pin(run(ctx, input))))
}

async fn run(ctx: CallContext, input: WaitInput) -> Result<Value> {
    let WaitInput { robot, whom, keywords, pattern, timeout, lookback, on_timeout } = input;
    let chat = match whom {
        Whom::User(user) => Chat::User(user),
        Whom::Group(group) => Chat::Group(group),
        Whom::Mobile(mobile) => Chat::User(user_of(&ctx, &robot, &mobile).await?),
    };
    let whom = match &chat {
        Chat::User(user) => text!(en: format!("Waiting for {user} to reply"), zh: format!("等待 {user} 回复")),
        Chat::Group(group) => {
            text!(en: format!("Waiting for a reply in the group {group}"), zh: format!("等待群 {group} 中有人回复"))
        }
        Chat::Card(card) => {
            text!(en: format!("Waiting for a click on the card {card}"), zh: format!("等待卡片 {card} 上的点击"))
        }
    };
    let wait = Wait { filter: ReplyFilter { keywords, pattern, ..ReplyFilter::new(chat) }, timeout, lookback };
    let settings = StreamSettings { idle_close: robot.options.stream_idle, ..StreamSettings::default() };
    let waiting = stream::wait_for_reply(&robot.connection, ctx.call(), &robot.options, &settings, wait);
    let reply = if ctx.wants_progress() { with_time_left(&ctx, waiting, timeout, &whom).await } else { waiting.await }?;
    match reply {
        Some(reply) => Ok(outputs(Some(&reply))),
        None if on_timeout == OnTimeout::Error => Err(Error::ReplyTimeout { seconds: timeout.as_secs() }),
        // The client has logged "no reply within N s".
        None => Ok(outputs(None)),
    }
}

/// How often a wait tells the host how long it has left.
const TIME_LEFT_EVERY: Duration = Duration::from_secs(1);

/// Runs `waiting` while reporting, every [`TIME_LEFT_EVERY`], whom it waits for and the time
/// left ("等待 staff02 回复，剩余 4 分 12 秒"); only for a host that shows progress, so that
/// the idle waits of other hosts wake no one. An ask reports the same way.
pub(super) async fn with_time_left<T>(
    ctx: &CallContext,
    waiting: impl std::future::Future<Output = T>,
    timeout: Duration,
    whom: &rpa_plugin_abi::Text,
) -> T {
    let started = tokio::time::Instant::now();
    let mut ticks = tokio::time::interval(TIME_LEFT_EVERY);
    tokio::pin!(waiting);
    loop {
        tokio::select! {
            out = &mut waiting => return out,
            _ = ticks.tick() => {
                let elapsed = started.elapsed().min(timeout);
                // Whole seconds left, rounded up: "0 s left" only once the time is up.
                let left = (timeout - elapsed).as_secs_f64().ceil() as u64;
                let (m, s) = (left / 60, left % 60);
                let (en_left, zh_left) = if m > 0 {
                    (format!("{m} min {s} s"), format!("{m} 分 {s} 秒"))
                } else {
                    (format!("{s} s"), format!("{s} 秒"))
                };
                ctx.progress(
                    elapsed.as_secs(),
                    timeout.as_secs(),
                    text!(
                        en: format!("{}; {en_left} left", whom.en),
                        zh: format!("{}，剩余 {zh_left}", whom.zh_cn)
                    ),
                );
            }
        }
    }
}

/// The step's outputs: the reply's, or `replied` false and empty texts.
fn outputs(reply: Option<&Reply>) -> Value {
    let Some(r) = reply else {
        return json!({ REPLIED: false, REPLY_TEXT: "", REPLY_TYPE: "", SENDER_USER_ID: "", SENDER_NICK: "",
                       RECEIVED_AT: "", CONVERSATION_ID: "" });
    };
    json!({
        REPLIED: true,
        REPLY_TEXT: r.text,
        REPLY_TYPE: r.msg_type,
        SENDER_USER_ID: r.sender_user_id,
        SENDER_NICK: r.sender_nick,
        RECEIVED_AT: iso_8601_utc(r.created_at_ms),
        CONVERSATION_ID: r.conversation_id,
    })
}

/// Milliseconds since the Unix epoch as ISO 8601 in UTC with its offset written out
/// (`2026-12-04T12:01:02.345+00:00`): no date crate and no local time zone database is
/// needed, and a flow reads the same text on every machine.
pub(super) fn iso_8601_utc(ms: i64) -> String {
    let (days, ms_of_day) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let (h, m, s, milli) = (ms_of_day / 3_600_000, ms_of_day / 60_000 % 60, ms_of_day / 1000 % 60, ms_of_day % 1000);
    format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{milli:03}+00:00")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::specs;

    fn read(params: Value) -> Result<(Whom, Vec<String>, Option<Pattern>)> {
        let spec = specs().iter().find(|s| s.id == ID).unwrap();
        let text = params.to_string();
        let p = Params::parse(&text, spec)?;
        read_filter(&p)
    }

    #[test]
    fn exactly_one_of_user_mobile_and_group() {
        assert_eq!(read(json!({"userId": "u1"})).unwrap().0, Whom::User("u1".into()));
        assert_eq!(read(json!({"mobile": "+86 138-0013-8000"})).unwrap().0, Whom::Mobile("13800138000".into()));
        assert_eq!(read(json!({"openConversationId": "cid1"})).unwrap().0, Whom::Group("cid1".into()));
        for bad in [
            json!({}),
            json!({"userId": "u1", "mobile": "13800138000"}),
            json!({"userId": "u", "openConversationId": "c"}),
        ] {
            let e = read(bad.clone()).err().unwrap();
            assert_eq!((e.code(), e.field()), ("INVALID_INPUT", Some(USER_ID)), "{bad}");
        }
    }

    #[test]
    fn a_pattern_that_does_not_compile_names_pattern() {
        let (_, keywords, pattern) =
            read(json!({"userId": "u1", "keywords": "PO, 订单", "pattern": r"PO-\d{6}"})).unwrap();
        assert_eq!(keywords, ["PO", "订单"]);
        assert!(pattern.is_some());
        for bad in ["(unclosed", r"(?<=x)y", r"\w{500}{500}"] {
            let e = read(json!({"userId": "u1", "pattern": bad})).err().unwrap();
            assert_eq!((e.code(), e.field()), ("INVALID_INPUT", Some(PATTERN)), "{bad}");
            assert!(!e.to_payload().zh_cn.unwrap().message.is_empty());
        }
    }

    #[test]
    fn outputs_say_when_in_utc_with_the_offset() {
        assert_eq!(iso_8601_utc(0), "1970-01-01T00:00:00.000+00:00");
        assert_eq!(iso_8601_utc(1_796_385_662_345), "2026-12-04T12:01:02.345+00:00");
        assert_eq!(iso_8601_utc(951_782_400_000), "2000-02-29T00:00:00.000+00:00");
        let none = outputs(None);
        assert_eq!(none[REPLIED], false);
        let names: Vec<&str> = ACTION.outputs.iter().map(|o| o.name).collect();
        assert_eq!(none.as_object().unwrap().len(), names.len());
        assert!(names.iter().all(|n| none.get(n).is_some()));
    }
}
