//! "Ask and wait for an answer" (`dingtalk.robot.ask`): the robot asks a person a question
//! with a few answers and the flow goes on with the one chosen. With no setup the question
//! goes out as Markdown whose choices are links that make the person's client send the
//! label back (`dtmd://dingtalkclient/sendMessage`); with a card template, as an interactive
//! card whose buttons call back on the Stream connection. The wait is begun, and the Stream
//! connection open, before the question is sent, so no answer can be missed.

use std::collections::{BTreeMap, HashSet};
use std::hash::{BuildHasher, RandomState};
use std::sync::Arc;
use std::time::Duration;

use dingtalk_client::stream::{self, Accept, CardAck, Chat, Reply, ReplyFilter, StreamSettings, Unclaimed, Wait};
use dingtalk_client::wire::BatchSendRequest;
use dingtalk_client::{CardSpace, Error as ClientError, NewCard};
use rpa_plugin_abi::{LogLevel, Text, text};
use serde_json::{Value, json};

use super::field::{
    Choice, Entry, Field, Flag, Integer, Kind, MAX_LABEL_LEN, MAX_USER_ID_LEN, OptionalText, Output, Pick,
    ROBOT as ROBOT_FIELD, RequiredText, ShortList, fold,
};
use super::recall::MAX_CONVERSATION_ID_LEN;
use super::template::{MAX_CONTENT_CHARS, MAX_TITLE_CHARS};
use super::wait_for_reply::{self, OnTimeout, Whom, iso_8601_utc};
use super::{Action, Execution, Params, Runs};
use crate::context::CallContext;
use crate::error::{Error, Explanation, Result};
use crate::robots::Robot;

/// The action id.
pub const ID: &str = "dingtalk.robot.ask";
/// Input: the robot handle from connect.
pub const ROBOT: &str = ROBOT_FIELD.name;
/// Input: the user asked, in their one-to-one chat with the robot.
pub const USER_ID: &str = wait_for_reply::USER_ID;
/// Input: the same user, by mobile number.
pub const MOBILE: &str = wait_for_reply::MOBILE;
/// Input: the question (Markdown).
pub const QUESTION: &str = "question";
/// Input: the answers to choose from.
pub const CHOICES: &str = "choices";
/// Input: how long to wait.
pub const TIMEOUT_SECONDS: &str = wait_for_reply::TIMEOUT_SECONDS;
/// Input (advanced): the message's title (the chat list's preview).
pub const TITLE: &str = "title";
/// Input (advanced): whether text that is none of the choices ends the wait.
pub const ALLOW_OTHER_TEXT: &str = "allowOtherText";
/// Input (advanced): what a timeout does.
pub const ON_TIMEOUT: &str = wait_for_reply::ON_TIMEOUT;
/// Input (advanced): ask with an interactive card made from this template.
pub const CARD_TEMPLATE_ID: &str = "cardTemplateId";
/// Input (advanced): ask in this group (cards only).
pub const OPEN_CONVERSATION_ID: &str = wait_for_reply::OPEN_CONVERSATION_ID;
/// Output: whether an answer came.
pub const ANSWERED: &str = "answered";
/// Output: the label chosen.
pub const ANSWER: &str = "answer";
/// Output: who answered.
pub const ANSWERED_BY: &str = "answeredBy";
/// Output: when.
pub const ANSWERED_AT: &str = "answeredAt";
/// Output: the text typed, when other text is allowed.
pub const REPLY_TEXT: &str = wait_for_reply::REPLY_TEXT;
/// Output: the question's processQueryKey (choice links).
pub const PROCESS_QUERY_KEY: &str = "processQueryKey";
/// Output: the card's outTrackId (cards).
pub const OUT_TRACK_ID: &str = "outTrackId";

/// The fewest choices.
pub const MIN_CHOICES: usize = 2;
/// The most choices.
pub const MAX_CHOICES: usize = 10;
/// The longest choice label, in characters.
pub const MAX_CHOICE_CHARS: usize = MAX_LABEL_LEN;
/// At most one reminder of the choices this often, per ask.
pub const REMINDER_EVERY: Duration = Duration::from_secs(30);
/// The longest card template ID read.
pub const MAX_TEMPLATE_ID_CHARS: usize = 128;

/// The card's variables, as the guide tells the template's author to declare them.
pub mod card_vars {
    /// The card's title.
    pub const TITLE: &str = "title";
    /// The question (Markdown).
    pub const QUESTION: &str = "question";
    /// The choices, as a JSON list of labels in text (for the template's button loop).
    pub const CHOICES: &str = "choices";
    /// Empty while open; the answer once answered; the expiry words after the timeout.
    pub const STATUS: &str = "status";
    /// "false" while open, "true" once answered or expired: the buttons hide then.
    pub const CLOSED: &str = "closed";
    /// Who answered (a user ID), empty until then.
    pub const ANSWERED_BY: &str = "answeredBy";
}

/// The action: its form, generated into the manifest, and how it runs.
pub(crate) const ACTION: Action = Action {
    id: ID,
    title: text!(en: "Ask and wait for an answer", zh: "发送选择并等待回答"),
    description: text!(
        en: "Asks the user a question with 2 to 10 answers and stops the flow until they choose one, then outputs it as answer; after timeoutSeconds it outputs answered=false (or fails with REPLY_TIMEOUT). With no setup the choices are links in a Markdown message that send the label back (the person may also type it); with cardTemplateId (advanced), an interactive card whose buttons answer, also in a group. Answers arrive over DingTalk's Stream mode: set the robot's message receiving mode to Stream in the developer console.",
        zh: "向用户发送带 2 到 10 个选项的问题，暂停流程直到对方选择其中一项，并以 answer 输出；超过 timeoutSeconds 仍未回答时输出 answered=false（或以 REPLY_TIMEOUT 报错）。无需任何配置时，选项是 Markdown 消息中的链接，点击即把该选项发回给机器人（也可以直接输入）；填写 cardTemplateId（高级）时改用互动卡片，点按钮即回答，也可发到群里。回答通过钉钉的 Stream 模式接收：请在开发者后台把机器人的消息接收模式设为 Stream 模式。"
    ),
    basic: &[
        &ROBOT_FIELD,
        &form::USER_ID,
        &wait_for_reply::form::MOBILE,
        &form::QUESTION,
        &form::CHOICES,
        &form::TIMEOUT_SECONDS,
    ],
    advanced: &[
        &form::TITLE,
        &form::ALLOW_OTHER_TEXT,
        &form::ON_TIMEOUT,
        &form::CARD_TEMPLATE_ID,
        &form::OPEN_CONVERSATION_ID,
    ],
    at_least_one_of: &[&[USER_ID, MOBILE, OPEN_CONVERSATION_ID]],
    outputs: &[
        form::ANSWERED,
        form::ANSWER,
        form::ANSWERED_BY,
        form::ANSWERED_AT,
        form::REPLY_TEXT,
        form::PROCESS_QUERY_KEY,
        form::OUT_TRACK_ID,
    ],
    prepare,
    same_params_memo: None,
    runs: Runs::Shared,
};

/// A list of 2 to 10 choice labels, read as `userIds` are (a list, JSON text, or text with
/// commas, semicolons, `、` or line breaks between labels): each trimmed, at most 20
/// characters, no two the same once [`fold`]ed.
pub(crate) struct Choices;

impl Choices {
    /// The list rules, with the upper bound.
    const LIST: ShortList = ShortList { of: Entry::Label, max: MAX_CHOICES };
}

impl Kind for Choices {
    type Value = Vec<String>;
    const REQUIRED: bool = true;

    fn schema(&self) -> Value {
        let mut schema = Self::LIST.schema();
        schema["minItems"] = json!(MIN_CHOICES);
        schema["minLength"] = json!(1);
        schema
    }

    fn read(&self, name: &str, raw: Option<&Value>, p: &Params<'_>) -> Result<Vec<String>> {
        let list = Self::LIST.read(name, raw, p)?;
        match list.len() {
            0 => Err(p.missing(name)),
            1 => Err(p.error(
                name,
                text!(
                    en: format!("Only one choice (\"{}\") is given: an ask needs {MIN_CHOICES} to {MAX_CHOICES}.", list[0]),
                    zh: format!("只给了一个选项（“{}”）：提问需要 {MIN_CHOICES} 到 {MAX_CHOICES} 个选项。", list[0])
                ),
            )),
            _ => Ok(list),
        }
    }
}

/// The fields, each declared once (`mobile` is the wait's own).
mod form {
    use super::*;

    pub(super) const USER_ID: Field<OptionalText> = Field {
        name: super::USER_ID,
        label: text!(en: "User ID", zh: "用户 ID"),
        help: text!(
            en: "Ask this user, in their one-to-one chat with the robot. Fill in exactly one of userId, mobile, or openConversationId (advanced, cards only).",
            zh: "向该用户提问（在其与机器人的单聊中）。userId、mobile 和 openConversationId（高级，仅限卡片）三者只填一个。"
        ),
        kind: OptionalText::id(MAX_USER_ID_LEN),
        visible_when: None,
    };

    pub(super) const QUESTION: Field<RequiredText> = Field {
        name: super::QUESTION,
        label: text!(en: "Question", zh: "问题"),
        help: text!(
            en: "What to ask, in Markdown, such as: Approve order **PO-1024** (¥3,200)? The choices are listed under it.",
            zh: "要问的内容，支持 Markdown，例如：是否同意订单 **PO-1024**（¥3,200）？选项列在其下方。"
        ),
        kind: RequiredText::as_typed(MAX_CONTENT_CHARS),
        visible_when: None,
    };

    pub(super) const CHOICES: Field<Choices> = Field {
        name: super::CHOICES,
        label: text!(en: "Choices", zh: "选项"),
        help: text!(
            en: "2 to 10 answers, each at most 20 characters, as a list or comma- or line-separated text, such as 同意, 拒绝. A reply matches a choice whatever its letter case, spaces around it or full-width forms, so no two choices may differ only in those. When two asks to one person wait at once, a reply goes to the oldest whose choices contain it.",
            zh: "2 到 10 个答案，每个不超过 20 个字符，列表或逗号、换行分隔的文本，例如：同意, 拒绝。回复与选项比较时不区分大小写、首尾空格和全角半角，因此选项之间不能只在这些方面不同。同一人同时有两个提问在等待时，回复交给选项中含有它的、最早开始的那个提问。"
        ),
        kind: Choices,
        visible_when: None,
    };

    pub(super) const TIMEOUT_SECONDS: Field<Integer> = Field {
        name: super::TIMEOUT_SECONDS,
        label: text!(en: "Timeout (seconds)", zh: "超时（秒）"),
        help: text!(
            en: "How long to wait for the answer, 1 to 86,400 seconds (a day); 600 when left empty. A reconnect meanwhile does not extend it.",
            zh: "等待回答的最长时间，1 到 86400 秒（一天），不填为 600。期间即使重新连接也不会延长。"
        ),
        kind: Integer::new(1, 86_400, 600),
        visible_when: None,
    };

    pub(super) const TITLE: Field<OptionalText> = Field {
        name: super::TITLE,
        label: text!(en: "Title", zh: "标题"),
        help: text!(
            en: "The message's title, shown in the chat list and on the card; \"Please choose\" (请选择) when left empty.",
            zh: "消息标题，显示在会话列表和卡片上；不填时为“请选择”。"
        ),
        kind: OptionalText::trimmed(MAX_TITLE_CHARS),
        visible_when: None,
    };

    pub(super) const ALLOW_OTHER_TEXT: Field<Flag> = Field {
        name: super::ALLOW_OTHER_TEXT,
        label: text!(en: "Allow other text", zh: "允许其他回复"),
        help: text!(
            en: "Choice links only. On: any other text from the person ends the wait, with answer empty and replyText set. Off: the robot answers other text with a short reminder of the choices (at most one every 30 s) and waits on; that text stays available to other waits of the flow.",
            zh: "仅用于选项链接。开启：对方发来的其他文字也会结束等待，此时 answer 为空、replyText 为该文字。关闭：机器人对其他文字回复一条简短的选项提醒（每 30 秒最多一条）并继续等待；这条文字仍可被流程中的其他等待取走。"
        ),
        kind: Flag { default: false },
        visible_when: None,
    };

    const ON_TIMEOUT_CHOICES: [Pick<OnTimeout>; 2] = [
        Pick {
            value: "output",
            label: text!(en: "Output answered=false", zh: "输出 answered=false"),
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
            en: "What happens when no answer comes in time: output carries on with answered=false and empty outputs; error fails the step with REPLY_TIMEOUT. A card is updated to say the question expired either way.",
            zh: "超时仍未回答时的处理：output 以 answered=false 和空输出继续流程；error 使本步骤以 REPLY_TIMEOUT 报错。两种情况下卡片都会更新为“已过期”。"
        ),
        kind: Choice { options: &ON_TIMEOUT_CHOICES, default: OnTimeout::Output },
        visible_when: None,
    };

    pub(super) const CARD_TEMPLATE_ID: Field<OptionalText> = Field {
        name: super::CARD_TEMPLATE_ID,
        label: text!(en: "Card template ID", zh: "卡片模板 ID"),
        help: text!(
            en: "Ask with an interactive card made from this template of the card platform (卡片平台) instead of choice links. The template declares the variables title, question, choices, status, closed and answeredBy, and buttons whose callback (回传请求) sends the parameter choice; the app needs the permission Card.Instance.Write. The guide shows how.",
            zh: "改用卡片平台中该模板生成的互动卡片提问，而不是选项链接。模板需声明变量 title、question、choices、status、closed 和 answeredBy，按钮的回传请求带参数 choice；应用需开通权限 Card.Instance.Write（互动卡片实例写权限）。做法见使用指南。"
        ),
        kind: OptionalText::id(MAX_TEMPLATE_ID_CHARS),
        visible_when: None,
    };

    pub(super) const OPEN_CONVERSATION_ID: Field<OptionalText> = Field {
        name: super::OPEN_CONVERSATION_ID,
        label: text!(en: "Group (openConversationId)", zh: "群会话 ID（openConversationId）"),
        help: text!(
            en: "Ask in this group instead (its openConversationId, starting with \"cid\"); needs cardTemplateId, since a link's text in a group does not reach the robot. The first click by anyone answers, and answeredBy says who.",
            zh: "改为在该群中提问（群的 openConversationId，以 “cid” 开头）；必须同时填写 cardTemplateId，因为群里点击链接发出的文字不会 @ 机器人。群内任何人第一个点击即为回答，answeredBy 给出是谁。"
        ),
        kind: OptionalText::id(MAX_CONVERSATION_ID_LEN),
        visible_when: None,
    };

    pub(super) const ANSWERED: Output = Output::flag(
        super::ANSWERED,
        text!(en: "Answered", zh: "是否已回答"),
        text!(
            en: "true when an answer came in time, false when the wait timed out (with onTimeout=output).",
            zh: "在超时前收到回答时为 true，超时（onTimeout=output）时为 false。"
        ),
    );

    pub(super) const ANSWER: Output = Output::text(
        super::ANSWER,
        text!(en: "Answer", zh: "回答"),
        text!(
            en: "The choice made, exactly as written in choices (whatever case or width the person typed); empty after a timeout or for other text.",
            zh: "所选的选项，与 choices 中的写法完全一致（无论对方输入的大小写或全角半角）；超时或回复其他文字时为空。"
        ),
    );

    pub(super) const ANSWERED_BY: Output = Output::text(
        super::ANSWERED_BY,
        text!(en: "Answered by", zh: "回答人"),
        text!(
            en: "The user ID of whoever answered (in a group, whoever clicked first).",
            zh: "回答者的用户 ID（群里为第一个点击的人）。"
        ),
    );

    pub(super) const ANSWERED_AT: Output = Output::text(
        super::ANSWERED_AT,
        text!(en: "Answered at", zh: "回答时间"),
        text!(
            en: "When the answer was given, ISO 8601 in UTC with its offset, as wait-for-reply's receivedAt: 2026-12-04T12:01:02.345+00:00.",
            zh: "回答的时间，ISO 8601 格式的 UTC 时间并带时区偏移，与“等待用户回复”的 receivedAt 相同，例如 2026-12-04T12:01:02.345+00:00。"
        ),
    );

    pub(super) const REPLY_TEXT: Output = Output::text(
        super::REPLY_TEXT,
        text!(en: "Reply text", zh: "回复内容"),
        text!(
            en: "What the person typed instead of a choice, when allowOtherText is on; empty otherwise.",
            zh: "开启 allowOtherText 时对方输入的非选项文字；其他情况为空。"
        ),
    );

    pub(super) const PROCESS_QUERY_KEY: Output = Output::text(
        super::PROCESS_QUERY_KEY,
        text!(en: "processQueryKey", zh: "消息 processQueryKey"),
        text!(
            en: "The question message's key, for read status or a recall; empty for a card.",
            zh: "问题消息的 key，可用于查询已读或撤回；卡片为空。"
        ),
    );

    pub(super) const OUT_TRACK_ID: Output = Output::text(
        super::OUT_TRACK_ID,
        text!(en: "Card outTrackId", zh: "卡片 outTrackId"),
        text!(
            en: "The card's outTrackId (its ID for updates); empty for choice links.",
            zh: "卡片的 outTrackId（更新卡片时使用）；选项链接为空。"
        ),
    );
}

/// How the question goes out.
#[derive(Debug, PartialEq)]
enum Via {
    /// Markdown with choice links.
    Links,
    /// An interactive card from this template.
    Card(String),
}

/// The inputs, read and checked.
struct AskInput {
    robot: Arc<Robot>,
    whom: Whom,
    question: String,
    choices: Vec<String>,
    title: String,
    allow_other_text: bool,
    timeout: Duration,
    on_timeout: OnTimeout,
    via: Via,
}

/// Everything but the robot, checked: who (a group only with a card), the question, the choices.
fn read(p: &Params<'_>) -> Result<(Whom, String, Vec<String>, Via)> {
    let whom = wait_for_reply::one_of(
        p,
        form::USER_ID.read(p)?,
        wait_for_reply::form::MOBILE.read(p)?,
        form::OPEN_CONVERSATION_ID.read(p)?,
    )?;
    let question = form::QUESTION.read(p)?;
    if question.trim().is_empty() {
        return Err(p.missing(QUESTION));
    }
    let choices = form::CHOICES.read(p)?;
    let via = form::CARD_TEMPLATE_ID.read(p)?.map_or(Via::Links, Via::Card);
    if matches!(whom, Whom::Group(_)) && via == Via::Links {
        return Err(p.error(
            OPEN_CONVERSATION_ID,
            text!(
                en: "Asking in a group needs an interactive card: fill in cardTemplateId. Choice links do not work in a group, since the text a link sends there does not @ the robot, so the robot never receives it.",
                zh: "在群里提问必须使用互动卡片：请填写 cardTemplateId。选项链接不能用于群聊，因为链接在群里发出的文字不会 @ 机器人，机器人收不到。"
            ),
        ));
    }
    Ok((whom, question, choices, via))
}

/// Checks every input; the execution asks and waits.
fn prepare(p: &Params<'_>) -> Result<Execution> {
    let robot = ROBOT_FIELD.read(p)?;
    let (whom, question, choices, via) = read(p)?;
    let title = form::TITLE.read(p)?.filter(|t| !t.is_empty()).unwrap_or_else(|| "请选择".to_string());
    let input = AskInput {
        robot,
        whom,
        question,
        choices,
        title,
        allow_other_text: form::ALLOW_OTHER_TEXT.read(p)?,
        timeout: Duration::from_secs(form::TIMEOUT_SECONDS.read(p)?.unsigned_abs()),
        on_timeout: form::ON_TIMEOUT.read(p)?,
        via,
    };
    Ok(Box::new(move |ctx| Box::pin(run(ctx, input))))
}

/// The label `text` chooses, as written in `choices`: the first equal once both are folded.
pub(crate) fn chosen<'c>(choices: &'c [String], text: &str) -> Option<&'c String> {
    let text = fold(text);
    choices.iter().find(|c| fold(c) == text)
}

/// `text` percent-encoded for a URL's query (RFC 3986: all but unreserved characters).
fn percent_encoded(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The question as Markdown: the question, then one line per choice, each a link that makes
/// the person's client send the label to the robot (its text is the label, so the choices
/// can be read, and typed, too).
fn markdown(question: &str, choices: &[String]) -> String {
    let mut text = question.trim_end().to_string();
    text.push_str("\n\n");
    for label in choices {
        let shown: String =
            label.chars().flat_map(|c| if "\\[]".contains(c) { vec!['\\', c] } else { vec![c] }).collect();
        text.push_str(&format!("- [{shown}](dtmd://dingtalkclient/sendMessage?content={})\n", percent_encoded(label)));
    }
    text
}

/// The reminder sent for text that is none of the choices (in the call's language:
/// [`CallContext::say`]).
fn reminder(choices: &[String]) -> Text {
    text!(
        en: format!("Please reply with one of: {}", choices.join(" / ")),
        zh: format!("请回复以下选项之一：{}", choices.join(" / "))
    )
}

/// What the card says once the question expired.
const EXPIRED: Text = text!(en: "Expired: no answer in time", zh: "已过期：未在规定时间内回答");

/// A fresh outTrackId: `ask-` and 32 random hex digits.
fn out_track_id() -> String {
    let state = RandomState::new();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
    format!("ask-{:016x}{:016x}", state.hash_one(now), state.hash_one((now, std::process::id())))
}

/// Now, in milliseconds since the Unix epoch.
fn now_ms() -> i64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
}

async fn run(ctx: CallContext, input: AskInput) -> Result<Value> {
    let space = match &input.whom {
        Whom::User(user) => CardSpace::User(user.clone()),
        Whom::Group(group) => CardSpace::Group(group.clone()),
        Whom::Mobile(mobile) => CardSpace::User(wait_for_reply::user_of(&ctx, &input.robot, mobile).await?),
    };
    let settings = StreamSettings { idle_close: input.robot.options.stream_idle, ..StreamSettings::default() };
    let whom = match &space {
        CardSpace::User(user) => text!(en: format!("Waiting for {user} to answer"), zh: format!("等待 {user} 回答")),
        CardSpace::Group(group) => {
            text!(en: format!("Waiting for an answer in the group {group}"), zh: format!("等待群 {group} 中有人回答"))
        }
    };
    let asking = async {
        match &input.via {
            Via::Links => {
                let CardSpace::User(user) = space else {
                    return Err(Error::Internal("choice links to a group passed the checks".into()));
                };
                ask_with_links(&ctx, &input, &settings, user).await
            }
            Via::Card(template) => ask_with_card(&ctx, &input, &settings, template, space).await,
        }
    };
    let outcome = if ctx.wants_progress() {
        wait_for_reply::with_time_left(&ctx, asking, input.timeout, &whom).await?
    } else {
        asking.await?
    };
    match outcome.reply {
        None if input.on_timeout == OnTimeout::Error => Err(Error::ReplyTimeout { seconds: input.timeout.as_secs() }),
        reply => Ok(outputs(reply.as_ref(), &input.choices, &outcome.key, &outcome.out_track_id)),
    }
}

/// How an ask ended: the reply or click (none at the timeout), and the question's ID.
struct Outcome {
    reply: Option<Reply>,
    key: String,
    out_track_id: String,
}

/// Takes only a reply that is one of `choices` (a card click: whose `choice` is one).
fn accept(choices: &[String]) -> Accept {
    let folded: HashSet<String> = choices.iter().map(|c| fold(c)).collect();
    Accept(Arc::new(move |reply: &Reply| folded.contains(&fold(&reply.text))))
}

/// Choice links: listen, send the Markdown question, then wait, reminding the person of the
/// choices when they write something else (unless other text is allowed).
async fn ask_with_links(
    ctx: &CallContext,
    input: &AskInput,
    settings: &StreamSettings,
    user: String,
) -> Result<Outcome> {
    let robot = &input.robot;
    let (notice_tx, mut notices) = tokio::sync::mpsc::channel(8);
    let unclaimed = if input.allow_other_text { Unclaimed::Take } else { Unclaimed::Notice(notice_tx) };
    let filter =
        ReplyFilter { accept: Some(accept(&input.choices)), unclaimed, ..ReplyFilter::new(Chat::User(user.clone())) };
    let wait = Wait { filter, timeout: input.timeout, lookback: Duration::ZERO };
    let mut waiting = stream::begin(&robot.connection, ctx.call(), &robot.options, settings, wait);
    waiting.connected(ctx.call(), robot.options.timeout).await?;
    let param = json!({"title": input.title, "text": markdown(&input.question, &input.choices)}).to_string();
    let key = send_text(ctx, robot, &user, "sampleMarkdown", param).await?;
    let mut last_reminder: Option<tokio::time::Instant> = None;
    let reply = loop {
        tokio::select! {
            outcome = waiting.until(ctx.call()) => break outcome?,
            Some(other) = notices.recv() => {
                if last_reminder.is_some_and(|at| at.elapsed() < REMINDER_EVERY) {
                    continue;
                }
                last_reminder = Some(tokio::time::Instant::now());
                if let Err(e) = remind(ctx, robot, &user, &other, &input.choices).await {
                    ctx.log(
                        LogLevel::Warn,
                        text!(en: format!("the reminder of the choices could not be sent: {e}"), zh: format!("提醒选项的消息未能发出：{e}")),
                    );
                }
            }
        }
    };
    Ok(Outcome { reply, key, out_track_id: String::new() })
}

/// Sends one message to `user` (batchSend): its processQueryKey; a user DingTalk does not
/// know or filters out is an error on `userId`.
async fn send_text(ctx: &CallContext, robot: &Robot, user: &str, msg_key: &str, msg_param: String) -> Result<String> {
    let request = BatchSendRequest {
        msg_key: msg_key.to_string(),
        msg_param,
        robot_code: robot.options.robot_code.clone(),
        user_ids: vec![user.to_string()],
    };
    let answer = robot.connection.batch_send(ctx.call(), &robot.options, &request).await?;
    let refused =
        [&answer.invalid_staff_id_list, &answer.filtered_staff_id_list, &answer.flow_controlled_staff_id_list]
            .into_iter()
            .flatten()
            .any(|list| list.iter().any(|u| u == user));
    if refused {
        return Err(Error::input(
            USER_ID,
            Explanation {
                message: text!(
                    en: format!("DingTalk did not deliver the question to {user}: it knows no such user of the org, the user is outside the robot's visible range, or has been sent too many messages (flow control)."),
                    zh: format!("钉钉没有把问题送达 {user}：组织中没有该用户、该用户不在机器人的可见范围内，或发给该用户的消息过多（被限流）。")
                ),
                hint: text!(
                    en: "Check the user ID (or mobile) against the org's contacts and the robot's visible range in the developer console; after flow control, ask again later.",
                    zh: "请对照通讯录检查用户 ID（或手机号），并在开发者后台检查机器人的可见范围；如被限流，请稍后再问。"
                ),
            },
        ));
    }
    Ok(answer.process_query_key.unwrap_or_default())
}

/// Reminds the person of the choices: through the sessionWebhook of the message that was
/// none of them while it is valid (a few seconds to spare), else by batchSend.
async fn remind(ctx: &CallContext, robot: &Robot, user: &str, other: &Reply, choices: &[String]) -> Result<()> {
    let words = ctx.say(reminder(choices));
    ctx.log(
        LogLevel::Info,
        text!(en: "the reply is none of the choices: reminding the person of them", zh: "回复不是任何一个选项：提醒对方可选的回答"),
    );
    if let Some(webhook) =
        other.session_webhook.as_ref().filter(|_| other.session_webhook_expires_ms > now_ms() + 5_000)
    {
        match robot.connection.reply_in_session(ctx.call(), &robot.options, webhook, &words).await {
            Ok(()) => return Ok(()),
            // It may have gone out: not sent twice.
            Err(e @ (ClientError::SendOutcomeUnknown { .. } | ClientError::Cancelled { .. })) => return Err(e.into()),
            Err(e) => ctx.log(
                LogLevel::Warn,
                text!(
                    en: format!("the sessionWebhook refused the reminder ({e}); sending it by batchSend"),
                    zh: format!("会话 Webhook 拒收了提醒（{e}），改用批量发送"),
                ),
            ),
        }
    }
    send_text(ctx, robot, user, "sampleText", json!({"content": words}).to_string()).await?;
    Ok(())
}

/// An interactive card: listen for its clicks, deliver it, then wait; the click that answers
/// closes its buttons through the acknowledgement, and a timeout marks it expired.
async fn ask_with_card(
    ctx: &CallContext,
    input: &AskInput,
    settings: &StreamSettings,
    template: &str,
    space: CardSpace,
) -> Result<Outcome> {
    use card_vars::*;
    let robot = &input.robot;
    let track = out_track_id();
    let labels = input.choices.clone();
    let card_ack = CardAck(Arc::new(move |click: &Reply| {
        let answer = chosen(&labels, &click.text).cloned().unwrap_or_default();
        json!({"cardData": {"cardParamMap": {STATUS: answer, CLOSED: "true", ANSWERED_BY: click.sender_user_id}}})
    }));
    let filter = ReplyFilter {
        accept: Some(accept(&input.choices)),
        card_ack: Some(card_ack),
        ..ReplyFilter::new(Chat::Card(track.clone()))
    };
    let wait = Wait { filter, timeout: input.timeout, lookback: Duration::ZERO };
    let mut waiting = stream::begin(&robot.connection, ctx.call(), &robot.options, settings, wait);
    waiting.connected(ctx.call(), robot.options.timeout).await?;
    let choices = serde_json::to_string(&input.choices).map_err(|e| Error::Internal(e.to_string()))?;
    let params = BTreeMap::from([
        (TITLE.to_string(), input.title.clone()),
        (QUESTION.to_string(), input.question.clone()),
        (CHOICES.to_string(), choices),
        (STATUS.to_string(), String::new()),
        (CLOSED.to_string(), "false".to_string()),
        (ANSWERED_BY.to_string(), String::new()),
    ]);
    let card = NewCard { template_id: template.to_string(), out_track_id: track.clone(), params, space };
    robot.connection.create_card(ctx.call(), &robot.options, &card).await?;
    let reply = waiting.until(ctx.call()).await?;
    if reply.is_none() {
        let expired =
            BTreeMap::from([(STATUS.to_string(), ctx.say(EXPIRED)), (CLOSED.to_string(), "true".to_string())]);
        if let Err(e) = robot.connection.update_card(ctx.call(), &robot.options, &track, &expired).await {
            ctx.log(
                LogLevel::Warn,
                text!(en: format!("the expired card could not be updated: {e}"), zh: format!("未能把卡片更新为已过期：{e}")),
            );
        }
    }
    Ok(Outcome { reply, key: String::new(), out_track_id: track })
}

/// The step's outputs: the answer's (or the other text's), or `answered` false and empty texts.
fn outputs(reply: Option<&Reply>, choices: &[String], key: &str, out_track_id: &str) -> Value {
    let Some(r) = reply else {
        return json!({ ANSWERED: false, ANSWER: "", ANSWERED_BY: "", ANSWERED_AT: "", REPLY_TEXT: "",
                       PROCESS_QUERY_KEY: key, OUT_TRACK_ID: out_track_id });
    };
    let answer = chosen(choices, &r.text);
    json!({
        ANSWERED: true,
        ANSWER: answer.cloned().unwrap_or_default(),
        ANSWERED_BY: r.sender_user_id,
        ANSWERED_AT: iso_8601_utc(r.created_at_ms),
        REPLY_TEXT: if answer.is_some() { "" } else { r.text.as_str() },
        PROCESS_QUERY_KEY: key,
        OUT_TRACK_ID: out_track_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::specs;

    fn read_params(params: Value) -> Result<(Whom, String, Vec<String>, Via)> {
        let spec = specs().iter().find(|s| s.id == ID).unwrap();
        let text = params.to_string();
        let p = Params::parse(&text, spec)?;
        read(&p)
    }

    fn refused(params: Value) -> (String, Option<String>, String) {
        let e = read_params(params).err().unwrap();
        let message = e.to_payload().message;
        (e.code().to_string(), e.field().map(str::to_string), message)
    }

    fn strings(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn choices_take_the_list_forms_of_user_ids() {
        for given in [
            json!(["同意", "拒绝"]),
            json!("同意, 拒绝"),
            json!("同意\n拒绝"),
            json!("[\"同意\",\"拒绝\"]"),
            json!(" 同意 、拒绝 "),
        ] {
            let (_, _, choices, via) = read_params(json!({"userId": "u1", "question": "Q", "choices": given})).unwrap();
            assert_eq!(choices, strings(&["同意", "拒绝"]), "{given}");
            assert_eq!(via, Via::Links);
        }
        let ten: Vec<String> = (1..=10).map(|i| format!("option {i}")).collect();
        assert_eq!(read_params(json!({"userId": "u", "question": "Q", "choices": ten})).unwrap().2.len(), 10);
    }

    #[test]
    fn bad_choices_and_questions_are_refused_on_their_field() {
        let ask = |choices: Value| json!({"userId": "u1", "question": "Approve?", "choices": choices});
        let eleven: Vec<String> = (1..=11).map(|i| format!("c{i}")).collect();
        for (bad, says) in [
            (ask(json!(["only"])), "Only one choice"),
            (ask(json!(eleven)), "at most 10"),
            (ask(json!(["Yes", "no", "yes"])), "same as choice #1"),
            (ask(json!(["ＹＥＳ", "yes "])), "same as choice #1"),
            (ask(json!(["ok", "x".repeat(21)])), "longer than 20"),
            (ask(json!([])), "required"),
        ] {
            let (code, field, message) = refused(bad.clone());
            assert_eq!((code.as_str(), field.as_deref()), ("INVALID_INPUT", Some(CHOICES)), "{bad}");
            assert!(message.contains(says), "{bad}: {message}");
        }
        assert_eq!(read_params(ask(json!(["ok", "x".repeat(20)]))).unwrap().2.len(), 2);
        for question in ["", "   \n "] {
            let (code, field, _) = refused(json!({"userId": "u1", "question": question, "choices": "a,b"}));
            assert_eq!((code.as_str(), field.as_deref()), ("INVALID_INPUT", Some(QUESTION)));
        }
    }

    #[test]
    fn a_group_needs_a_card_and_one_chat_is_asked() {
        let (code, field, message) = refused(json!({"openConversationId": "cid1", "question": "Q", "choices": "a,b"}));
        assert_eq!((code.as_str(), field.as_deref()), ("INVALID_INPUT", Some(OPEN_CONVERSATION_ID)));
        assert!(message.contains("cardTemplateId"), "{message}");
        let (whom, _, _, via) = read_params(
            json!({"openConversationId": "cid1", "question": "Q", "choices": "a,b", "cardTemplateId": "tpl"}),
        )
        .unwrap();
        assert_eq!((whom, via), (Whom::Group("cid1".into()), Via::Card("tpl".into())));
        let (code, field, _) =
            refused(json!({"userId": "u1", "mobile": "13800138000", "question": "Q", "choices": "a,b"}));
        assert_eq!((code.as_str(), field.as_deref()), ("INVALID_INPUT", Some(USER_ID)));
    }

    #[test]
    fn every_matching_rule() {
        let choices = strings(&["Yes", "No", "同意", "Option A"]);
        for (typed, want) in [
            ("Yes", Some("Yes")),
            ("yes", Some("Yes")),
            ("  YES \n", Some("Yes")),
            ("ＹＥＳ", Some("Yes")),
            ("ｙｅｓ\u{3000}", Some("Yes")),
            ("\u{3000}同意", Some("同意")),
            ("option a", Some("Option A")),
            ("Ｏｐｔｉｏｎ\u{3000}Ａ", Some("Option A")),
            ("Yes please", None),
            ("Y", None),
            ("", None),
            ("OptionA", None),
        ] {
            assert_eq!(chosen(&choices, typed).map(String::as_str), want, "{typed:?}");
        }
        assert_eq!(fold("！＃０９Ａｚ～"), "!#09az~");
        let only_choices = accept(&choices);
        assert!((only_choices.0)(&Reply { text: "ｎｏ".into(), ..Reply::default() }));
        assert!(!(only_choices.0)(&Reply { text: "maybe".into(), ..Reply::default() }));
    }

    #[test]
    fn the_markdown_links_each_choice_and_shows_it() {
        let text = markdown("Approve **PO-1**?", &strings(&["同意", "a b&c", "[x]"]));
        assert!(text.starts_with("Approve **PO-1**?\n\n"));
        assert!(text.contains("- [同意](dtmd://dingtalkclient/sendMessage?content=%E5%90%8C%E6%84%8F)\n"), "{text}");
        assert!(text.contains("- [a b&c](dtmd://dingtalkclient/sendMessage?content=a%20b%26c)\n"), "{text}");
        assert!(text.contains("- [\\[x\\]](dtmd://dingtalkclient/sendMessage?content=%5Bx%5D)\n"), "{text}");
    }

    #[test]
    fn the_reminder_lists_the_choices_in_the_language_asked_or_both() {
        let choices = strings(&["同意", "拒绝"]);
        let words = reminder(&choices);
        assert_eq!(words.en, "Please reply with one of: 同意 / 拒绝");
        assert_eq!(words.zh_cn, "请回复以下选项之一：同意 / 拒绝");
    }

    #[test]
    fn outputs_name_the_label_as_written_and_other_text_apart() {
        let choices = strings(&["Yes", "No"]);
        let reply =
            Reply { text: "ｙｅｓ".into(), sender_user_id: "u1".into(), created_at_ms: 0, ..Reply::default() };
        let out = outputs(Some(&reply), &choices, "key", "");
        assert_eq!((out[ANSWER].as_str(), out[REPLY_TEXT].as_str()), (Some("Yes"), Some("")));
        assert_eq!(out[ANSWERED_AT], "1970-01-01T00:00:00.000+00:00");
        let other = Reply { text: "later".into(), ..reply };
        let out = outputs(Some(&other), &choices, "key", "");
        assert_eq!((out[ANSWER].as_str(), out[REPLY_TEXT].as_str()), (Some(""), Some("later")));
        let none = outputs(None, &choices, "", "t");
        let names: Vec<&str> = ACTION.outputs.iter().map(|o| o.name).collect();
        assert_eq!(none.as_object().unwrap().len(), names.len());
        assert!(names.iter().all(|n| none.get(n).is_some()));
        assert!(out_track_id().starts_with("ask-") && out_track_id() != out_track_id());
    }
}
