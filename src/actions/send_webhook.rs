//! "Send custom robot message" (`dingtalk.robot.send_webhook_message`): one message to the
//! group of a custom robot from "connect_webhook", as DingTalk's custom-robot page spells it:
//! `{"msgtype": "...", "<msgtype>": {...}, "at": {...}}`.
//!
//! | msgType | message object (field names are DingTalk's, case-sensitive) |
//! |---|---|
//! | text | `text.content` |
//! | markdown | `markdown.title`, `markdown.text` |
//! | link | `link.title`, `link.text`, `link.messageUrl`, `link.picUrl` (when given) |
//! | actionCard, 1 button | `actionCard.title`, `.text`, `.btnOrientation` `"0"`, `.singleTitle`, `.singleURL` |
//! | actionCard, 2-5 buttons | `actionCard.title`, `.text`, `.btnOrientation` (`"1"` side by side), `.btns[].title`, `.btns[].actionURL` |
//! | feedCard | `feedCard.links[].title`, `.messageURL`, `.picURL` |
//!
//! Text, Markdown and action cards carry `at` (`atMobiles`, `atUserIds`, `isAtAll`), and every
//! person mentioned is written into the body as `@...` when it is not there yet, since
//! DingTalk shows a mention only then. Link and feed-card messages cannot mention anyone.
//! Before anything is sent, the message is checked to contain one of the robot's keywords.

use std::sync::Arc;

use dingtalk_client::WebhookRobot;
use rpa_plugin_abi::{LogLevel, text};
use serde_json::{Map, Value, json};

use super::field::{
    Choice, Entry, Field, Flag, Items, Kind, MAX_LINK_CHARS, Pick, ShortList, WebPicture, link, web_url,
};
use super::template::{self, ButtonLayout, default_title};
use super::{Action, Execution, Params, Runs};
use crate::error::{Error, Result};
use crate::robots;

pub use super::template::{BUTTON_LAYOUT, BUTTONS, CONTENT, LINK_URL, MSG_TYPE, PIC_URL, TITLE};

/// The action id.
pub const ID: &str = "dingtalk.robot.send_webhook_message";
/// Input: the custom robot handle from connect_webhook.
pub const ROBOT: &str = "robot";
/// Input: a feed card's links.
pub const FEED_LINKS: &str = "feedLinks";
/// Input (advanced): mobile numbers to mention.
pub const AT_MOBILES: &str = "atMobiles";
/// Input (advanced): user IDs to mention.
pub const AT_USER_IDS: &str = "atUserIds";
/// Input (advanced): mention everyone.
pub const IS_AT_ALL: &str = "isAtAll";

/// The most people one message mentions (DingTalk: 50).
pub const MAX_MENTIONS: usize = 50;
/// The most links a feed card has (the plugin's bound; DingTalk documents none).
pub const MAX_FEED_LINKS: usize = 10;
/// The longest feed link title.
pub const MAX_FEED_TITLE_CHARS: usize = 128;
/// What the body says to mention everyone.
const AT_ALL: &str = "@所有人";

/// The message types a custom robot sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookType {
    /// `text`.
    Text,
    /// `markdown`.
    Markdown,
    /// `link`.
    Link,
    /// `actionCard`, with one button or several.
    ActionCard,
    /// `feedCard`: a list of links with pictures.
    FeedCard,
}

const WEBHOOK_TYPES: [Pick<WebhookType>; 5] = [
    Pick { value: "text", label: text!(en: "Text", zh: "文本类型"), item: WebhookType::Text },
    Pick { value: "markdown", label: text!(en: "Markdown", zh: "Markdown类型"), item: WebhookType::Markdown },
    Pick { value: "link", label: text!(en: "Link", zh: "链接类型"), item: WebhookType::Link },
    Pick { value: "actionCard", label: text!(en: "Action card", zh: "卡片类型"), item: WebhookType::ActionCard },
    Pick { value: "feedCard", label: text!(en: "Feed card", zh: "信息流卡片类型"), item: WebhookType::FeedCard },
];

/// The templates that may mention people.
const MENTIONING: &[&str] = &["text", "markdown", "actionCard"];

/// The action: its form, generated into the manifest, and how it runs.
pub(crate) const ACTION: Action = Action {
    id: ID,
    title: text!(en: "Send custom robot message", zh: "自定义机器人发送群消息"),
    description: text!(
        en: "Posts one message (text, Markdown, link, action card or feed card) to the group of a custom robot, signed, with @mentions that render, after checking the robot's keywords, and within its 20 messages a minute (waiting for room rather than getting the robot banned).",
        zh: "通过自定义机器人向其所在的群发送一条消息（文本、Markdown、链接、卡片或信息流卡片）：自动加签，@ 的人会正确显示，发送前检查关键词，并遵守每分钟 20 条的限制（等待余量而不会让机器人被限流）。"
    ),
    basic: &[
        &form::ROBOT,
        &form::MSG_TYPE,
        &form::CONTENT,
        &template::form::LINK_URL,
        &form::PIC_URL,
        &template::form::BUTTONS,
        &form::FEED_LINKS,
    ],
    advanced: &[
        &template::form::TITLE,
        &template::form::BUTTON_LAYOUT,
        &form::AT_MOBILES,
        &form::AT_USER_IDS,
        &form::IS_AT_ALL,
    ],
    at_least_one_of: &[],
    outputs: &[],
    prepare,
    same_params_memo: None,
    runs: Runs::OnHostThread,
};

/// The fields this action declares (the rest are the templates' own, in [`template::form`]).
mod form {
    use super::*;

    pub(super) const ROBOT: Field<WebhookHandle> = Field {
        name: super::ROBOT,
        label: text!(en: "Custom robot object", zh: "自定义机器人对象"),
        help: text!(
            en: "The custom robot object output by \"Create custom robot connection\".",
            zh: "“建立自定义机器人连接”输出的自定义机器人对象。"
        ),
        kind: WebhookHandle,
        visible_when: None,
    };

    pub(super) const MSG_TYPE: Field<Choice<WebhookType>> = Field {
        name: super::MSG_TYPE,
        label: text!(en: "Message template", zh: "消息模板"),
        help: text!(
            en: "The kind of message: text, Markdown, link, action card (buttons) or feed card (links with pictures). The form shows the fields the chosen kind uses.",
            zh: "选择消息类型：文本、Markdown、链接、卡片（带按钮）或信息流卡片（带图片的链接列表）；表单只显示该类型用到的字段。"
        ),
        kind: Choice { options: &WEBHOOK_TYPES, default: WebhookType::Text },
        visible_when: None,
    };

    pub(super) const CONTENT: Field<super::super::field::RequiredText> = template::form::content_field(
        text!(
            en: "Text: the message. Markdown and action card: the Markdown body. Link: the text under the title. People mentioned are added as @... when the text does not name them yet.",
            zh: "文本：消息正文。Markdown 和卡片：Markdown 正文。链接：标题下的描述文字。被 @ 的人如未出现在正文中，会自动以 @... 加在末尾。"
        ),
        Some((super::MSG_TYPE, &["text", "markdown", "link", "actionCard"])),
    );

    pub(super) const PIC_URL: Field<WebPicture> = Field {
        name: super::PIC_URL,
        label: text!(en: "Link picture", zh: "链接图片"),
        help: text!(
            en: "Optional picture of the link message: an http(s) image URL (a custom robot cannot upload files).",
            zh: "链接消息的配图（可选）：http(s) 图片链接（自定义机器人无法上传文件）。"
        ),
        kind: WebPicture,
        visible_when: Some((super::MSG_TYPE, &["link"])),
    };

    pub(super) const FEED_LINKS: Field<FeedLinks> = Field {
        name: super::FEED_LINKS,
        label: text!(en: "Feed links", zh: "信息流链接"),
        help: text!(
            en: "The feed card's entries, 1 to 10, as a list such as [{\"title\": \"Q3 report\", \"url\": \"https://example.com/q3\", \"picUrl\": \"https://example.com/q3.png\"}] (JSON text works too). Each shows its title and picture and opens its url.",
            zh: "信息流卡片的条目，1 到 10 个，列表形式如 [{\"title\": \"三季度报告\", \"url\": \"https://example.com/q3\", \"picUrl\": \"https://example.com/q3.png\"}]（也可填写 JSON 文本），每条显示标题和图片，点击打开对应链接。"
        ),
        kind: FeedLinks,
        visible_when: Some((super::MSG_TYPE, &["feedCard"])),
    };

    pub(super) const AT_MOBILES: Field<ShortList> = Field {
        name: super::AT_MOBILES,
        label: text!(en: "@ mobile numbers", zh: "@ 手机号"),
        help: text!(
            en: "Group members to mention, by mobile number (list or comma-separated). Each is written into the message as @number if it is not there yet; at most 50 people with the user IDs.",
            zh: "要 @ 的群成员手机号（列表或逗号分隔）。正文中没有的会自动加上 @手机号；与用户 ID 合计最多 50 人。"
        ),
        kind: ShortList { of: Entry::Mobile, max: MAX_MENTIONS },
        visible_when: Some((super::MSG_TYPE, MENTIONING)),
    };

    pub(super) const AT_USER_IDS: Field<ShortList> = Field {
        name: super::AT_USER_IDS,
        label: text!(en: "@ user IDs", zh: "@ 用户ID"),
        help: text!(
            en: "Group members to mention, by user ID (works in internal groups). Each is written into the message as @userId if it is not there yet; at most 50 people with the mobile numbers.",
            zh: "要 @ 的群成员用户 ID（企业内部群可用）。正文中没有的会自动加上 @用户ID；与手机号合计最多 50 人。"
        ),
        kind: ShortList { of: Entry::UserId, max: MAX_MENTIONS },
        visible_when: Some((super::MSG_TYPE, MENTIONING)),
    };

    pub(super) const IS_AT_ALL: Field<Flag> = Field {
        name: super::IS_AT_ALL,
        label: text!(en: "@ everyone", zh: "@ 所有人"),
        help: text!(
            en: "Mention everyone in the group (written into the message as @所有人 if it is not there yet).",
            zh: "@ 群内所有人（正文中没有时会自动加上 @所有人）。"
        ),
        kind: Flag { default: false },
        visible_when: Some((super::MSG_TYPE, MENTIONING)),
    };
}

/// A custom robot handle from "connect_webhook" in this process.
pub(crate) struct WebhookHandle;

impl Kind for WebhookHandle {
    type Value = Arc<WebhookRobot>;
    const REQUIRED: bool = true;

    fn schema(&self) -> Value {
        crate::robots::webhook_robot_schema()
    }

    fn read(&self, name: &str, raw: Option<&Value>, p: &Params<'_>) -> Result<Arc<WebhookRobot>> {
        robots::lookup_webhook(name, raw.ok_or_else(|| p.missing(name))?)
    }
}

/// One entry of a feed card.
pub(crate) struct FeedLink {
    title: String,
    url: String,
    pic_url: String,
}

/// A feed card's links: a list of `{"title", "url", "picUrl"}`, 1 to 10.
pub(crate) struct FeedLinks;

const FEED_ITEMS: Items = Items {
    noun: text!(en: "Link", zh: "链接"),
    keys: &["title", "url", "picUrl"],
    max: MAX_FEED_LINKS,
    max_text: 64 * 1024,
    example: text!(
        en: "Feed links must be a list such as [{\"title\": \"Q3 report\", \"url\": \"https://example.com/q3\", \"picUrl\": \"https://example.com/q3.png\"}].",
        zh: "信息流链接应为列表，如 [{\"title\": \"三季度报告\", \"url\": \"https://example.com/q3\", \"picUrl\": \"https://example.com/q3.png\"}]。"
    ),
    whole: text!(en: "A feed card", zh: "信息流卡片"),
};

impl Kind for FeedLinks {
    type Value = Vec<FeedLink>;
    const REQUIRED: bool = true;

    fn schema(&self) -> Value {
        FEED_ITEMS.schema(&[("title", MAX_FEED_TITLE_CHARS), ("url", MAX_LINK_CHARS), ("picUrl", MAX_LINK_CHARS)])
    }

    fn read(&self, name: &str, raw: Option<&Value>, p: &Params<'_>) -> Result<Vec<FeedLink>> {
        let items = FEED_ITEMS.read(name, raw, p)?;
        let mut links = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            links.push(FeedLink {
                title: FEED_ITEMS.text(name, i + 1, item, "title", MAX_FEED_TITLE_CHARS, p)?,
                url: FEED_ITEMS.link(name, i + 1, item, "url", link, p)?,
                pic_url: FEED_ITEMS.link(name, i + 1, item, "picUrl", web_url, p)?,
            });
        }
        Ok(links)
    }
}

/// Who a message mentions.
#[derive(Default)]
struct Mentions {
    mobiles: Vec<String>,
    user_ids: Vec<String>,
    all: bool,
}

impl Mentions {
    /// Reads the @ fields; a template that cannot mention anyone refuses them when filled.
    fn read(p: &Params<'_>, msg_type: WebhookType) -> Result<Mentions> {
        let m = Mentions {
            mobiles: form::AT_MOBILES.read(p)?,
            user_ids: form::AT_USER_IDS.read(p)?,
            all: form::IS_AT_ALL.read(p)?,
        };
        if matches!(msg_type, WebhookType::Link | WebhookType::FeedCard) {
            let filled =
                [(AT_MOBILES, !m.mobiles.is_empty()), (AT_USER_IDS, !m.user_ids.is_empty()), (IS_AT_ALL, m.all)];
            if let Some((field, _)) = filled.iter().find(|(_, f)| *f) {
                return Err(p.error_with_hint(
                    field,
                    text!(
                        en: "Link and feed-card messages cannot mention anyone: DingTalk shows no @ in them.",
                        zh: "链接和信息流卡片消息不能 @ 人：钉钉不会在其中显示 @。"
                    ),
                    text!(
                        en: "Choose text, Markdown or action card to mention people, or leave the @ fields empty.",
                        zh: "如需 @ 人，请选择文本、Markdown 或卡片消息；否则请清空 @ 相关字段。"
                    ),
                ));
            }
        }
        let n = m.mobiles.len() + m.user_ids.len();
        if n > MAX_MENTIONS {
            return Err(p.error(
                AT_USER_IDS,
                text!(
                    en: format!("{n} people are mentioned; DingTalk takes at most {MAX_MENTIONS} in one message."),
                    zh: format!("共 @ 了 {n} 人，钉钉每条消息最多 @ {MAX_MENTIONS} 人。")
                ),
            ));
        }
        Ok(m)
    }

    /// `body` with each mention it lacks appended (`sep` before them): DingTalk shows a
    /// mention only when the body names it.
    fn write_into(&self, body: &str, sep: &str) -> String {
        let mut missing: Vec<String> = self
            .mobiles
            .iter()
            .chain(&self.user_ids)
            .filter(|who| !names(body, who))
            .map(|who| format!("@{who}"))
            .collect();
        if self.all && !body.contains(AT_ALL) && !names(body, "all") {
            missing.push(AT_ALL.to_string());
        }
        if missing.is_empty() {
            return body.to_string();
        }
        let sep = if body.trim_end().is_empty() { "" } else { sep };
        format!("{}{sep}{}", body.trim_end(), missing.join(" "))
    }

    /// The `at` object.
    fn at(&self) -> Value {
        json!({ "atMobiles": self.mobiles, "atUserIds": self.user_ids, "isAtAll": self.all })
    }
}

/// Whether `body` holds `@who` as a whole word (`@u1` is not in `@u12`).
fn names(body: &str, who: &str) -> bool {
    let tag = format!("@{who}");
    body.match_indices(&tag).any(|(i, _)| {
        body[i + tag.len()..].chars().next().is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '-'))
    })
}

/// Send's inputs, read and checked: the robot and the message's JSON body.
struct SendInput {
    robot: Arc<WebhookRobot>,
    body: Vec<u8>,
    msg_type: &'static str,
}

/// Reads every input and builds the message, without touching the network: the mentions are
/// written in and the keywords checked.
fn read(p: &Params<'_>) -> Result<SendInput> {
    let robot = form::ROBOT.read(p)?;
    let msg_type = form::MSG_TYPE.read(p)?;
    let mentions = Mentions::read(p, msg_type)?;
    // The words a keyword may be in, and the field to name when none is.
    let mut words: Vec<String> = Vec::new();
    let mut keyword_field = CONTENT;
    let (name, object) = match msg_type {
        WebhookType::FeedCard => {
            keyword_field = FEED_LINKS;
            let links = form::FEED_LINKS.read(p)?;
            words.extend(links.iter().map(|l| l.title.clone()));
            let links: Vec<Value> = links
                .into_iter()
                .map(|l| json!({ "title": l.title, "messageURL": l.url, "picURL": l.pic_url }))
                .collect();
            ("feedCard", json!({ "links": links }))
        }
        WebhookType::Text => {
            let content = mentions.write_into(&form::CONTENT.read(p)?, " ");
            words.push(content.clone());
            ("text", json!({ "content": content }))
        }
        WebhookType::Markdown => {
            let content = form::CONTENT.read(p)?;
            let title = default_title(template::form::TITLE.read(p)?, &content);
            let text = mentions.write_into(&content, "\n\n");
            words.extend([title.clone(), text.clone()]);
            ("markdown", json!({ "title": title, "text": text }))
        }
        WebhookType::Link => {
            let content = form::CONTENT.read(p)?;
            let title = default_title(template::form::TITLE.read(p)?, &content);
            let mut object = Map::new();
            object.insert("title".into(), Value::from(title.clone()));
            object.insert("text".into(), Value::from(content.clone()));
            object.insert("messageUrl".into(), Value::from(template::form::LINK_URL.read(p)?));
            if let Some(pic) = form::PIC_URL.read(p)? {
                object.insert("picUrl".into(), Value::from(pic));
            }
            words.extend([title, content]);
            ("link", Value::Object(object))
        }
        WebhookType::ActionCard => {
            let content = form::CONTENT.read(p)?;
            let (buttons, layout) = template::read_buttons(p)?;
            let title = default_title(template::form::TITLE.read(p)?, &content);
            let text = mentions.write_into(&content, "\n\n");
            words.extend([title.clone(), text.clone()]);
            words.extend(buttons.iter().map(|b| b.title.clone()));
            let orientation = if layout == ButtonLayout::Horizontal { "1" } else { "0" };
            let mut object = json!({ "title": title, "text": text, "btnOrientation": orientation });
            match buttons.as_slice() {
                [only] => {
                    object["singleTitle"] = Value::from(only.title.clone());
                    object["singleURL"] = Value::from(only.url.clone());
                }
                many => {
                    let btns: Vec<Value> =
                        many.iter().map(|b| json!({ "title": b.title, "actionURL": b.url })).collect();
                    object["btns"] = Value::from(btns);
                }
            }
            ("actionCard", object)
        }
    };
    let keywords = &robot.settings.keywords;
    if !keywords.is_empty() && !keywords.iter().any(|k| words.iter().any(|w| w.contains(k.as_str()))) {
        return Err(Error::KeywordMissing { field: keyword_field.to_string(), keywords: keywords.clone() });
    }
    let mut message = Map::new();
    message.insert("msgtype".into(), Value::from(name));
    message.insert(name.into(), object);
    if MENTIONING.contains(&name) {
        message.insert("at".into(), mentions.at());
    }
    let body = serde_json::to_vec(&Value::Object(message)).map_err(|e| Error::Internal(e.to_string()))?;
    Ok(SendInput { robot, body, msg_type: name })
}

/// Checks every input; the execution waits for room in the robot's budget and sends, once.
fn prepare(p: &Params<'_>) -> Result<Execution> {
    let input = read(p)?;
    Ok(Box::new(move |ctx| {
        Box::pin(async move {
            input.robot.send(ctx.call(), &input.body).await?;
            let kind = &input.msg_type;
            ctx.log(
                LogLevel::Info,
                text!(
                    en: format!("{kind} message delivered to the custom robot's group"),
                    zh: format!("{kind} 消息已发到自定义机器人所在的群")
                ),
            );
            Ok(json!({}))
        })
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mentions(mobiles: &[&str], user_ids: &[&str], all: bool) -> Mentions {
        Mentions {
            mobiles: mobiles.iter().map(|s| s.to_string()).collect(),
            user_ids: user_ids.iter().map(|s| s.to_string()).collect(),
            all,
        }
    }

    #[test]
    fn mentions_are_written_in_once() {
        let m = mentions(&["13800138000"], &["u1"], false);
        assert_eq!(m.write_into("Disk full", " "), "Disk full @13800138000 @u1");
        assert_eq!(m.write_into("@u1 look, @13800138000", " "), "@u1 look, @13800138000");
        assert_eq!(m.write_into("ask @u12\n", "\n\n"), "ask @u12\n\n@13800138000 @u1");
        assert_eq!(mentions(&[], &[], true).write_into("Go", " "), "Go @所有人");
        assert_eq!(mentions(&[], &[], true).write_into("Go @所有人", " "), "Go @所有人");
        assert_eq!(mentions(&[], &[], false).write_into("Go ", " "), "Go ");
    }

    #[test]
    fn every_field_is_declared_once_and_shown_for_its_templates() {
        let spec = ACTION.spec();
        let names: Vec<&str> = spec.inputs.all().map(|f| f.name.as_str()).collect();
        assert_eq!(names.len(), 12, "{names:?}");
        let content = spec.input(CONTENT).unwrap();
        assert!(content.required && content.visible_when.as_ref().is_some_and(|w| w[MSG_TYPE].len() == 4));
        assert_eq!(spec.input(AT_USER_IDS).unwrap().schema["maxItems"], MAX_MENTIONS);
    }
}
