//! The robot message templates and their fields, declared once for every action that sends a
//! template (one-to-one and group messages; `BASIC` and `ADVANCED` are the fields on each
//! tab, and `Message::upload` the one upload path): which `msgType`s a form offers, which
//! fields each shows (`visibleWhen`), and how the inputs become DingTalk's `msgKey` and
//! `msgParam`, field by field as DingTalk's "robot message types" page names them.
//!
//! | msgType | msgKey | msgParam (every value text) |
//! |---|---|---|
//! | text | `sampleText` | `content` |
//! | markdown | `sampleMarkdown` | `title`, `text` |
//! | image | `sampleImageMsg` | `photoURL`: the URL, or the uploaded image's media id |
//! | link | `sampleLink` | `text`, `title`, `messageUrl`, `picUrl` (when given: URL or media id) |
//! | actionCard, 1 button | `sampleActionCard` | `title`, `text`, `singleTitle`, `singleURL` |
//! | actionCard, 2-5 vertical | `sampleActionCard2`..`5` | `title`, `text`, `actionTitleN`, `actionURLN` |
//! | actionCard, 2 horizontal | `sampleActionCard6` | `title`, `text`, `buttonTitle1/2`, `buttonUrl1/2` |
//! | file | `sampleFile` | `mediaId`, `fileName`, `fileType` |
//! | audio | `sampleAudio` | `mediaId`, `duration` (milliseconds) |
//! | video | `sampleVideo` | `duration` (seconds), `videoMediaId`, `videoType` (`mp4`), `picMediaId` |
//!
//! Everything is read and checked by [`read`] before anything is uploaded or sent: files are
//! read whole, durations read from them, and the `msgParam` measured against DingTalk's
//! 15,000-byte limit (with room for the media ids the uploads will give).

use dingtalk_client::Upload;
use rpa_plugin_abi::{LogLevel, Text, text};
use serde_json::{Map, Value};

use super::Params;
use super::field::{
    AnyField, Button, Buttons, Choice, Field, ImageRef, LocalFilePath, OptionalInteger, OptionalText, Pick, Picture,
    RequiredText, WebLink,
};
use super::media::{self, Doubt, LocalFile};
use crate::context::CallContext;
use crate::error::{Error, Result};
use crate::robots::Robot;

/// Input: the template.
pub const MSG_TYPE: &str = "msgType";
/// Input: the content (text, Markdown, an image, or a local file's path).
pub const CONTENT: &str = "content";
/// Input (advanced): the title of Markdown, link and action-card messages.
pub const TITLE: &str = "title";
/// Input: where a link message leads.
pub const LINK_URL: &str = "linkUrl";
/// Input: a link message's picture (URL or local image).
pub const PIC_URL: &str = "picUrl";
/// Input: an action card's buttons.
pub const BUTTONS: &str = "buttons";
/// Input (advanced): how an action card lays out its buttons.
pub const BUTTON_LAYOUT: &str = "buttonLayout";
/// Input: a video's cover picture (a local image).
pub const COVER_IMAGE: &str = "coverImage";
/// Input (advanced): an audio or video's length in seconds.
pub const DURATION_SECONDS: &str = "durationSeconds";

/// DingTalk's documented limit on `msgParam`, in bytes (the group-send page; one-to-one sends
/// answer `invalidParameter.msgParam.tooLong` past it too).
pub const MAX_MSG_PARAM_BYTES: usize = 15_000;
/// The longest content read: no more characters can fit in [`MAX_MSG_PARAM_BYTES`].
pub const MAX_CONTENT_CHARS: usize = MAX_MSG_PARAM_BYTES;
/// The longest title.
pub const MAX_TITLE_CHARS: usize = 128;
/// The longest audio or video accepted, in seconds.
pub(crate) const MAX_DURATION_SECONDS: i64 = 24 * 3600;
/// Room left in the size check for each media id an upload will give (DingTalk's are about
/// 30 to 90 characters).
const MEDIA_ID_ROOM: usize = 128;

/// The templates a user picks from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MsgType {
    /// `sampleText`.
    Text,
    /// `sampleMarkdown`.
    Markdown,
    /// `sampleImageMsg`, from a URL or an uploaded image.
    Image,
    /// `sampleLink`.
    Link,
    /// `sampleActionCard` .. `sampleActionCard6`, by the number and layout of the buttons.
    ActionCard,
    /// `sampleFile` after an upload.
    File,
    /// `sampleAudio` after an upload.
    Audio,
    /// `sampleVideo` after two uploads (the video and its cover).
    Video,
}

/// The templates, as the form offers them.
const MSG_TYPES: [Pick<MsgType>; 8] = [
    Pick { value: "text", label: text!(en: "Text", zh: "文本类型"), item: MsgType::Text },
    Pick { value: "markdown", label: text!(en: "Markdown", zh: "Markdown类型"), item: MsgType::Markdown },
    Pick { value: "image", label: text!(en: "Image", zh: "图片类型"), item: MsgType::Image },
    Pick { value: "link", label: text!(en: "Link", zh: "链接类型"), item: MsgType::Link },
    Pick { value: "actionCard", label: text!(en: "Action card", zh: "卡片类型"), item: MsgType::ActionCard },
    Pick { value: "file", label: text!(en: "Local file", zh: "文件类型"), item: MsgType::File },
    Pick { value: "audio", label: text!(en: "Audio", zh: "语音类型"), item: MsgType::Audio },
    Pick { value: "video", label: text!(en: "Video", zh: "视频类型"), item: MsgType::Video },
];

/// How an action card lays out its buttons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ButtonLayout {
    /// One under another (1 to 5 buttons).
    Vertical,
    /// Side by side (exactly 2 buttons).
    Horizontal,
}

const BUTTON_LAYOUTS: [Pick<ButtonLayout>; 2] = [
    Pick { value: "vertical", label: text!(en: "Vertical", zh: "竖向排列"), item: ButtonLayout::Vertical },
    Pick {
        value: "horizontal",
        label: text!(en: "Horizontal (2 buttons)", zh: "横向排列（2 个按钮）"),
        item: ButtonLayout::Horizontal,
    },
];

/// The fields, each declared once; an action lists them on its tabs.
pub(crate) mod form {
    use super::*;

    pub(crate) const MSG_TYPE: Field<Choice<MsgType>> = Field {
        name: super::MSG_TYPE,
        label: text!(en: "Message template", zh: "消息模板"),
        help: text!(
            en: "The kind of message: text, Markdown, image, link, action card (buttons), local file, audio or video. The form shows the fields the chosen kind uses.",
            zh: "选择消息类型：文本、Markdown、图片、链接、卡片（带按钮）、本地文件、语音或视频；表单只显示该类型用到的字段。"
        ),
        kind: Choice { options: &MSG_TYPES, default: MsgType::Text },
        visible_when: None,
    };

    pub(crate) const CONTENT: Field<RequiredText> = content_field(
        text!(
            en: "Text: the message. Markdown and action card: the Markdown body. Link: the text under the title. Image: an http(s) image URL or a local jpg, png, gif or bmp (at most 20 MB). Local file: its path (doc, docx, xls, xlsx, ppt, pptx, zip, pdf, rar; at most 20 MB). Audio: a local amr, mp3 or wav (at most 2 MB). Video: a local mp4 (at most 20 MB). DingTalk takes at most 15,000 bytes of message once encoded (a Chinese character takes 3 bytes; see the guide for what each template holds).",
            zh: "文本：消息正文。Markdown 和卡片：Markdown 正文。链接：标题下的描述文字。图片：http(s) 图片链接或本地 jpg、png、gif、bmp 图片（不超过 20 MB）。本地文件：文件路径（doc、docx、xls、xlsx、ppt、pptx、zip、pdf、rar，不超过 20 MB）。语音：本地 amr、mp3 或 wav 文件（不超过 2 MB）。视频：本地 mp4 文件（不超过 20 MB）。钉钉每条消息编码后最多 15000 字节（一个汉字占 3 字节；各模板的确切容量见使用指南）。"
        ),
        None,
    );

    /// The content field (its name, label and bounds), with the help that says what it holds
    /// for the action's templates, shown for those templates (`None`: all).
    pub(crate) const fn content_field(
        help: Text,
        visible_when: Option<(&'static str, &'static [&'static str])>,
    ) -> Field<RequiredText> {
        Field {
            name: super::CONTENT,
            label: text!(en: "Message content", zh: "消息内容"),
            help,
            kind: RequiredText::as_typed(MAX_CONTENT_CHARS),
            visible_when,
        }
    }

    pub(crate) const TITLE: Field<OptionalText> = Field {
        name: super::TITLE,
        label: text!(en: "Message title", zh: "消息标题"),
        help: text!(
            en: "For Markdown, link and action card messages: shown in the chat list (and as the link's headline). Left empty, the first line of the content is used.",
            zh: "用于 Markdown、链接和卡片消息：显示在会话列表中（链接消息也作为标题显示）；留空则取内容的第一行。"
        ),
        kind: OptionalText::trimmed(MAX_TITLE_CHARS),
        visible_when: Some((super::MSG_TYPE, &["markdown", "link", "actionCard"])),
    };

    pub(crate) const LINK_URL: Field<WebLink> = Field {
        name: super::LINK_URL,
        label: text!(en: "Link URL", zh: "跳转链接"),
        help: text!(
            en: "Where the link message leads when tapped: an https:// or http:// address (or a dingtalk:// link).",
            zh: "点击链接消息后打开的地址：https:// 或 http:// 开头（或 dingtalk:// 链接）。"
        ),
        kind: WebLink,
        visible_when: Some((super::MSG_TYPE, &["link"])),
    };

    pub(crate) const PIC_URL: Field<Picture> = Field {
        name: super::PIC_URL,
        label: text!(en: "Link picture", zh: "链接图片"),
        help: text!(
            en: "Optional picture of the link message: an http(s) image URL, or a local jpg, png, gif or bmp (at most 20 MB), which is uploaded.",
            zh: "链接消息的配图（可选）：http(s) 图片链接，或本地 jpg、png、gif、bmp 图片（不超过 20 MB，将自动上传）。"
        ),
        kind: Picture,
        visible_when: Some((super::MSG_TYPE, &["link"])),
    };

    pub(crate) const BUTTONS: Field<Buttons> = Field {
        name: super::BUTTONS,
        label: text!(en: "Buttons", zh: "按钮"),
        help: text!(
            en: "The action card's buttons, 1 to 5, as a list such as [{\"title\": \"Approve\", \"url\": \"https://example.com/ok\"}] (JSON text works too). Each opens its url.",
            zh: "卡片的按钮，1 到 5 个，列表形式如 [{\"title\": \"同意\", \"url\": \"https://example.com/ok\"}]（也可填写 JSON 文本），点击打开对应链接。"
        ),
        kind: Buttons,
        visible_when: Some((super::MSG_TYPE, &["actionCard"])),
    };

    pub(crate) const BUTTON_LAYOUT: Field<Choice<ButtonLayout>> = Field {
        name: super::BUTTON_LAYOUT,
        label: text!(en: "Button layout", zh: "按钮排列"),
        help: text!(
            en: "Vertical: buttons one under another (1 to 5). Horizontal: side by side, exactly 2 buttons.",
            zh: "竖向：按钮上下排列（1 到 5 个）；横向：左右排列，必须正好 2 个按钮。"
        ),
        kind: Choice { options: &BUTTON_LAYOUTS, default: ButtonLayout::Vertical },
        visible_when: Some((super::MSG_TYPE, &["actionCard"])),
    };

    pub(crate) const COVER_IMAGE: Field<LocalFilePath> = Field {
        name: super::COVER_IMAGE,
        label: text!(en: "Video cover", zh: "视频封面"),
        help: text!(
            en: "The video's cover picture, which DingTalk requires: a local jpg, png, gif or bmp (at most 20 MB), uploaded with the video.",
            zh: "视频封面图（钉钉必填）：本地 jpg、png、gif 或 bmp 图片（不超过 20 MB），与视频一同上传。"
        ),
        kind: LocalFilePath { spec: &media::IMAGE },
        visible_when: Some((super::MSG_TYPE, &["video"])),
    };

    pub(crate) const DURATION_SECONDS: Field<OptionalInteger> = Field {
        name: super::DURATION_SECONDS,
        label: text!(en: "Duration (seconds)", zh: "时长（秒）"),
        help: text!(
            en: "The audio's or video's length. Leave empty to read it from the file (amr, mp3, wav, mp4).",
            zh: "语音或视频的时长；留空则从文件中读取（amr、mp3、wav、mp4）。"
        ),
        kind: OptionalInteger::new(1, MAX_DURATION_SECONDS),
        visible_when: Some((super::MSG_TYPE, &["audio", "video"])),
    };
}

/// The template's fields on an action's basic tab, in form order: every action that sends a
/// template lists exactly these, after its own fields.
pub(crate) const BASIC: [&dyn AnyField; 6] =
    [&form::MSG_TYPE, &form::CONTENT, &form::LINK_URL, &form::PIC_URL, &form::BUTTONS, &form::COVER_IMAGE];

/// The template's fields on an action's advanced tab.
pub(crate) const ADVANCED: [&dyn AnyField; 3] = [&form::TITLE, &form::BUTTON_LAYOUT, &form::DURATION_SECONDS];

/// A message, checked and ready but for its uploads.
pub(crate) struct Message {
    /// DingTalk's template key.
    pub(crate) msg_key: &'static str,
    /// `msgParam`'s fields known now.
    fields: Map<String, Value>,
    /// Files to upload, each with the `msgParam` field its media id goes into.
    uploads: Vec<(&'static str, Upload)>,
}

impl Message {
    /// The files to upload before sending, in order.
    pub(crate) fn uploads(&self) -> impl ExactSizeIterator<Item = &Upload> {
        self.uploads.iter().map(|(_, u)| u)
    }

    /// Uploads the message's files (an upload only makes a media id: safe to repeat), checking
    /// the cancel flag before each, and returns the `msgKey` and the finished `msgParam` text.
    pub(crate) async fn upload(self, ctx: &CallContext, robot: &Robot) -> Result<(&'static str, String)> {
        let mut media_ids = Vec::with_capacity(self.uploads.len());
        for upload in self.uploads() {
            ctx.check_cancelled()?;
            let media_id = robot.connection.upload_media(ctx.call(), &robot.options, upload).await?;
            let (name, bytes, kind) = (&upload.file_name, upload.bytes.len(), upload.media_type.as_str());
            ctx.log(
                LogLevel::Info,
                text!(
                    en: format!("uploaded {name} ({bytes} bytes) as {kind}"),
                    zh: format!("已上传 {name}（{bytes} 字节，类型 {kind}）")
                ),
            );
            media_ids.push(media_id);
        }
        let msg_key = self.msg_key;
        Ok((msg_key, self.finish(media_ids)?))
    }

    /// The `msgParam` text, with the media ids the uploads gave (in the order of
    /// [`Message::uploads`]).
    pub(crate) fn finish(mut self, media_ids: Vec<String>) -> Result<String> {
        if media_ids.len() != self.uploads.len() {
            return Err(Error::Internal("a media id is missing".into()));
        }
        for ((field, _), id) in self.uploads.iter().zip(media_ids) {
            self.fields.insert((*field).to_string(), Value::String(id));
        }
        serde_json::to_string(&self.fields).map_err(|e| Error::Internal(e.to_string()))
    }
}

/// The title: the one given, or else the content's first line without its heading marks.
pub(crate) fn default_title(given: Option<String>, content: &str) -> String {
    if let Some(title) = given {
        return title;
    }
    let first = content.lines().map(|l| l.trim().trim_start_matches('#').trim()).find(|l| !l.is_empty());
    first.unwrap_or("Message").chars().take(64).collect()
}

/// Reads the template and every field it uses (fields the template hides are not read), the
/// local files included, and checks the size of the message, without touching the network.
pub(crate) fn read(p: &Params<'_>) -> Result<Message> {
    let msg_type = form::MSG_TYPE.read(p)?;
    let content = form::CONTENT.read(p)?;
    let mut fields = Map::new();
    let mut uploads: Vec<(&'static str, Upload)> = Vec::new();
    let mut put = |k: &str, v: String| {
        fields.insert(k.to_string(), Value::String(v));
    };
    let msg_key = match msg_type {
        MsgType::Text => {
            put("content", content.clone());
            "sampleText"
        }
        MsgType::Markdown => {
            put("title", default_title(form::TITLE.read(p)?, &content));
            put("text", content.clone());
            "sampleMarkdown"
        }
        MsgType::Image => {
            match ImageRef::parse(CONTENT, &content, p)? {
                ImageRef::Url(url) => put("photoURL", url),
                ImageRef::File(file) => uploads.push(("photoURL", file.upload)),
            }
            "sampleImageMsg"
        }
        MsgType::Link => {
            put("text", content.clone());
            put("title", default_title(form::TITLE.read(p)?, &content));
            put("messageUrl", form::LINK_URL.read(p)?);
            match form::PIC_URL.read(p)? {
                Some(ImageRef::Url(url)) => put("picUrl", url),
                Some(ImageRef::File(file)) => uploads.push(("picUrl", file.upload)),
                None => {}
            }
            "sampleLink"
        }
        MsgType::ActionCard => {
            let (buttons, layout) = read_buttons(p)?;
            put("title", default_title(form::TITLE.read(p)?, &content));
            put("text", content.clone());
            match (buttons.as_slice(), layout) {
                ([only], ButtonLayout::Vertical) => {
                    put("singleTitle", only.title.clone());
                    put("singleURL", only.url.clone());
                    "sampleActionCard"
                }
                ([first, second], _) if layout == ButtonLayout::Horizontal => {
                    put("buttonTitle1", first.title.clone());
                    put("buttonUrl1", first.url.clone());
                    put("buttonTitle2", second.title.clone());
                    put("buttonUrl2", second.url.clone());
                    "sampleActionCard6"
                }
                (many, _) => {
                    for (i, b) in many.iter().enumerate() {
                        put(&format!("actionTitle{}", i + 1), b.title.clone());
                        put(&format!("actionURL{}", i + 1), b.url.clone());
                    }
                    match many.len() {
                        2 => "sampleActionCard2",
                        3 => "sampleActionCard3",
                        4 => "sampleActionCard4",
                        _ => "sampleActionCard5",
                    }
                }
            }
        }
        MsgType::File => {
            let LocalFile { upload, ext } = media::load(p, CONTENT, &content, &media::DOCUMENT)?;
            put("fileName", upload.file_name.clone());
            put("fileType", ext);
            uploads.push(("mediaId", upload));
            "sampleFile"
        }
        MsgType::Audio => {
            let file = media::load(p, CONTENT, &content, &media::VOICE)?;
            let millis = match form::DURATION_SECONDS.read(p)? {
                Some(seconds) => seconds.unsigned_abs() * 1000,
                None => media::audio_millis(&file.ext, &file.upload.bytes)
                    .map_err(|doubt| unusable_length(p, &file.upload.file_name, doubt))?,
            };
            put("duration", millis.to_string());
            uploads.push(("mediaId", file.upload));
            "sampleAudio"
        }
        MsgType::Video => {
            let file = media::load(p, CONTENT, &content, &media::VIDEO)?;
            let cover = form::COVER_IMAGE.read(p)?;
            let seconds = match form::DURATION_SECONDS.read(p)? {
                Some(seconds) => seconds.unsigned_abs(),
                None => media::video_seconds(&file.upload.bytes)
                    .map_err(|doubt| unusable_length(p, &file.upload.file_name, doubt))?,
            };
            put("duration", seconds.to_string());
            put("videoType", "mp4".to_string());
            uploads.push(("videoMediaId", file.upload));
            uploads.push(("picMediaId", cover.upload));
            "sampleVideo"
        }
    };
    check_size(p, &fields, uploads.len())?;
    Ok(Message { msg_key, fields, uploads })
}

/// An action card's buttons and their layout: 1 to 5 one under another, or exactly 2 side
/// by side.
pub(crate) fn read_buttons(p: &Params<'_>) -> Result<(Vec<Button>, ButtonLayout)> {
    let buttons = form::BUTTONS.read(p)?;
    let layout = form::BUTTON_LAYOUT.read(p)?;
    if layout == ButtonLayout::Horizontal && buttons.len() != 2 {
        let n = buttons.len();
        return Err(p.error_with_hint(
            BUTTON_LAYOUT,
            text!(
                en: format!("Horizontal buttons come in exactly 2; there are {n}."),
                zh: format!("横向排列必须正好 2 个按钮，当前为 {n} 个。")
            ),
            text!(en: "Give 2 buttons, or choose the vertical layout (1 to 5 buttons).", zh: "请设置 2 个按钮，或改为竖向排列（1 到 5 个按钮）。"),
        ));
    }
    Ok((buttons, layout))
}

/// The refusal of a file's own length, on `durationSeconds`: it cannot be read, it is past
/// the field's 24 hours, or the file is too small to hold it. Each asks the user to type the
/// length in.
pub(crate) fn unusable_length(p: &Params<'_>, name: &str, doubt: Doubt) -> Error {
    let message = match doubt {
        Doubt::Unreadable => text!(
            en: format!("The length of \"{name}\" cannot be read from the file."),
            zh: format!("无法从文件“{name}”中读取时长。")
        ),
        Doubt::OverADay { millis } => {
            let seconds = seconds_text(millis);
            text!(
                en: format!("The file \"{name}\" says it lasts {seconds} seconds, more than the {MAX_DURATION_SECONDS} (24 hours) a message allows."),
                zh: format!("文件“{name}”标注的时长为 {seconds} 秒，超过了消息允许的 {MAX_DURATION_SECONDS} 秒（24 小时）。")
            )
        }
        Doubt::TooFewBytes { millis, bytes, min_bits } => {
            let seconds = seconds_text(millis);
            text!(
                en: format!("The file \"{name}\" says it lasts {seconds} seconds, but its {bytes} bytes cannot hold that much (under {min_bits} bits per second): its header is wrong."),
                zh: format!("文件“{name}”标注的时长为 {seconds} 秒，但它只有 {bytes} 字节，装不下这么长的内容（每秒不足 {min_bits} 比特），文件头有误。")
            )
        }
    };
    p.error_with_hint(
        DURATION_SECONDS,
        message,
        text!(
            en: "Fill in \"Duration (seconds)\" on the advanced tab, or save the file again with a standard encoder.",
            zh: "请在“高级”页填写「时长（秒）」，或用常规软件重新保存该文件。"
        ),
    )
}

/// Milliseconds as seconds for a message: whole seconds, or one decimal under 10 s.
fn seconds_text(millis: u128) -> String {
    if millis < 10_000 { format!("{}.{}", millis / 1000, millis % 1000 / 100) } else { (millis / 1000).to_string() }
}

/// How long `fields` is as JSON text, counted as it is written (nothing is kept).
fn json_len(fields: &Map<String, Value>) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    // Writing a map of JSON values to a counter cannot fail.
    let _ = serde_json::to_writer(&mut count, fields);
    count.0
}

/// How much a text message's content can hold: the bytes left of [`MAX_MSG_PARAM_BYTES`]
/// once the text template's own JSON is counted, as (Chinese characters, which take 3 bytes
/// each, ASCII letters). What the form's help and the size error say, and the guide states.
pub(crate) fn text_room() -> (usize, usize) {
    let mut empty = Map::new();
    empty.insert("content".to_string(), Value::String(String::new()));
    let room = MAX_MSG_PARAM_BYTES.saturating_sub(json_len(&empty));
    (room / 3, room)
}

/// Refuses a message whose `msgParam` would pass DingTalk's limit, naming the field that
/// takes most of it.
fn check_size(p: &Params<'_>, fields: &Map<String, Value>, pending_uploads: usize) -> Result<()> {
    let size = json_len(fields) + pending_uploads * MEDIA_ID_ROOM;
    if size <= MAX_MSG_PARAM_BYTES {
        return Ok(());
    }
    let weight = |keys: &[&str]| -> usize {
        fields.iter().filter(|(k, _)| keys.iter().any(|w| k.starts_with(w))).map(|(_, v)| v.to_string().len()).sum()
    };
    let candidates = [
        (CONTENT, weight(&["content", "text"])),
        (TITLE, weight(&["title"])),
        (BUTTONS, weight(&["single", "action", "button"])),
        (LINK_URL, weight(&["messageUrl"])),
        (PIC_URL, weight(&["picUrl"])),
    ];
    let field = candidates.iter().max_by_key(|(_, w)| *w).map_or(CONTENT, |(f, _)| *f);
    let label: Text = p.label(field);
    let (hanzi, letters) = text_room();
    Err(p.error_with_hint(
        field,
        text!(
            en: format!("The message is {size} bytes once encoded; DingTalk takes at most {MAX_MSG_PARAM_BYTES} bytes per message."),
            zh: format!("消息编码后为 {size} 字节，钉钉每条消息最多 {MAX_MSG_PARAM_BYTES} 字节。")
        ),
        text!(
            en: format!("Shorten \"{}\" (a text message holds at most {hanzi} Chinese characters or {letters} letters), or send the rest as a file.", label.en),
            zh: format!("请缩短「{}」（文本消息最多容纳 {hanzi} 个汉字或 {letters} 个字母），或将其余内容作为文件发送。", label.zh_cn)
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_message_holds_what_the_room_says_and_no_more() {
        let (hanzi, letters) = text_room();
        let fits = |content: String| {
            let mut fields = Map::new();
            fields.insert("content".to_string(), Value::String(content));
            json_len(&fields) <= MAX_MSG_PARAM_BYTES
        };
        assert!(fits("字".repeat(hanzi)) && !fits("字".repeat(hanzi + 1)), "{hanzi}");
        assert!(fits("a".repeat(letters)) && !fits("a".repeat(letters + 1)), "{letters}");
        assert!(hanzi < 5000, "5,000 Chinese characters do not fit: {hanzi}");
    }

    #[test]
    fn the_title_defaults_to_the_first_line() {
        assert_eq!(default_title(None, "\n\n## Weekly report  \nbody"), "Weekly report");
        assert_eq!(default_title(None, "   "), "Message");
        assert_eq!(default_title(Some("Given".into()), "# other"), "Given");
    }
}
