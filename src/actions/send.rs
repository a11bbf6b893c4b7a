//! "Send single-chat message" (`dingtalk.robot.send_single_chat`): one robot message to up
//! to 20 users, from one of four templates, through `batchSend`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use rpa_plugin_abi::{LogLevel, Text, text};
use serde_json::{Value, json};

use super::connect::robot_schema;
use super::field::{Choice, Field, Kind, OptionalText, Output, Pick, RequiredText, string, string_list};
use super::params::type_name;
use super::{Action, Job, Params};
use crate::dingtalk::wire::BatchSendRequest;
use crate::dingtalk::{Robot, Upload, registry};
use crate::error::Result;
use crate::redact;

/// The action id.
pub const ID: &str = "dingtalk.robot.send_single_chat";
/// Input: the robot handle from connect.
pub const ROBOT: &str = "robot";
/// Input: the receivers' user IDs.
pub const USER_IDS: &str = "userIds";
/// Input: the template.
pub const MSG_TYPE: &str = "msgType";
/// Input: the content (text, Markdown, image URL or local file path).
pub const CONTENT: &str = "content";
/// Input (advanced): the Markdown title.
pub const TITLE: &str = "title";
/// Output: IDs DingTalk does not know.
pub const INVALID_USER_IDS: &str = "invalidUserIds";
/// Output: IDs DingTalk skipped for receiving too many robot messages.
pub const FLOW_CONTROLLED_USER_IDS: &str = "flowControlledUserIds";
/// Output: the key for read status and recall.
pub const PROCESS_QUERY_KEY: &str = "processQueryKey";

/// DingTalk's limit on receivers per call.
pub const MAX_USERS: usize = 20;
/// The longest user ID DingTalk issues.
pub const MAX_USER_ID_LEN: usize = 64;
/// The most items a user-ID list may have before duplicates are dropped.
pub const MAX_USER_ID_ITEMS: usize = 200;
/// The longest user-ID text read (bytes): room for the items above with separators.
pub const MAX_USER_IDS_TEXT: usize = 16 * 1024;
/// DingTalk's limit on an uploaded file.
pub const MAX_FILE_BYTES: u64 = 20 * 1024 * 1024;
/// The file types DingTalk accepts for the file template.
pub const FILE_TYPES: [&str; 9] = ["doc", "docx", "xls", "xlsx", "ppt", "pptx", "zip", "pdf", "rar"];
/// The longest text or Markdown content we send.
pub const MAX_CONTENT_CHARS: usize = 20_000;
/// The longest Markdown title.
pub const MAX_TITLE_CHARS: usize = 128;

/// The four templates a user picks from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MsgType {
    /// `sampleText {content}`.
    Text,
    /// `sampleMarkdown {title, text}`.
    Markdown,
    /// `sampleImageMsg {photoURL}`.
    Image,
    /// `sampleFile {mediaId, fileName, fileType}` after an upload.
    File,
}

/// The templates, as the form offers them.
const MSG_TYPES: [Pick<MsgType>; 4] = [
    Pick { value: "text", label: text!(en: "Text", zh: "文本"), item: MsgType::Text },
    Pick { value: "markdown", label: text!(en: "Markdown", zh: "Markdown"), item: MsgType::Markdown },
    Pick { value: "image", label: text!(en: "Image (URL)", zh: "图片（链接）"), item: MsgType::Image },
    Pick { value: "file", label: text!(en: "Local file", zh: "本地文件"), item: MsgType::File },
];

impl MsgType {
    /// DingTalk's `msgKey` for the template.
    pub(crate) fn msg_key(self) -> &'static str {
        match self {
            MsgType::Text => "sampleText",
            MsgType::Markdown => "sampleMarkdown",
            MsgType::Image => "sampleImageMsg",
            MsgType::File => "sampleFile",
        }
    }
}

/// The action: its form, generated into the manifest, and how it runs.
pub(crate) const ACTION: Action = Action {
    id: ID,
    title: text!(en: "Send single-chat message", zh: "钉钉机器人发送单聊消息"),
    description: text!(
        en: "Sends a one-to-one robot message (text, Markdown, image URL or local file) to up to 20 users, and outputs the user IDs that were invalid or flow-controlled.",
        zh: "以机器人身份给最多 20 个用户发送单聊消息（文本、Markdown、图片链接或本地文件），并输出无效的用户 ID 和被限流的用户 ID。"
    ),
    basic: &[&form::ROBOT, &form::USER_IDS, &form::MSG_TYPE, &form::CONTENT],
    advanced: &[&form::TITLE],
    outputs: &[form::INVALID_USER_IDS, form::FLOW_CONTROLLED_USER_IDS, form::PROCESS_QUERY_KEY],
    prepare,
};

/// The fields, each declared once.
pub(crate) mod form {
    use super::*;

    pub(crate) const ROBOT: Field<RobotHandle> = Field {
        name: super::ROBOT,
        label: text!(en: "Robot object", zh: "机器人对象"),
        help: text!(
            en: "The robot object output by \"Create DingTalk robot connection\".",
            zh: "“建立钉钉机器人连接”输出的机器人对象。"
        ),
        kind: RobotHandle,
        visible_when: None,
    };

    pub(crate) const USER_IDS: Field<UserIds> = Field {
        name: super::USER_IDS,
        label: text!(en: "User IDs", zh: "用户 ID 列表"),
        help: text!(
            en: "Receivers' user IDs as a list such as [\"id1\",\"id2\"], at most 20; comma- or line-separated text works too. Find user IDs in the admin console's contacts.",
            zh: "接收人的用户 ID，列表形式如 [\"id1\",\"id2\"]，最多 20 个；也可用逗号或换行分隔。用户 ID 可在管理后台通讯录中查看。"
        ),
        kind: UserIds,
        visible_when: None,
    };

    pub(crate) const MSG_TYPE: Field<Choice<MsgType>> = Field {
        name: super::MSG_TYPE,
        label: text!(en: "Message template", zh: "消息模板"),
        help: text!(
            en: "The kind of message: text, Markdown, an image URL or a local file.",
            zh: "选择消息类型：文本、Markdown、图片链接或本地文件。"
        ),
        kind: Choice { options: &MSG_TYPES, default: MsgType::Text },
        visible_when: None,
    };

    pub(crate) const CONTENT: Field<RequiredText> = Field {
        name: super::CONTENT,
        label: text!(en: "Message content", zh: "消息内容"),
        help: text!(
            en: "The text or Markdown; for the image template an http(s) image URL; for the file template a local file path (doc, docx, xls, xlsx, ppt, pptx, zip, pdf, rar; at most 20 MB).",
            zh: "文本或 Markdown 的内容；图片模板填 http(s) 图片链接；文件模板填本地文件路径（doc、docx、xls、xlsx、ppt、pptx、zip、pdf、rar，不超过 20 MB）。"
        ),
        kind: RequiredText { max_chars: MAX_CONTENT_CHARS, no_inner_space: false, keep_spaces: true },
        visible_when: None,
    };

    pub(crate) const TITLE: Field<OptionalText> = Field {
        name: super::TITLE,
        label: text!(en: "Message title", zh: "消息标题"),
        help: text!(
            en: "Only for Markdown: shown in the chat list. Left empty, the first line of the content is used.",
            zh: "仅对 Markdown 生效，显示在会话列表中；留空则取内容的第一行。"
        ),
        kind: OptionalText { max_chars: MAX_TITLE_CHARS },
        visible_when: Some((super::MSG_TYPE, &["markdown"])),
    };

    pub(crate) const INVALID_USER_IDS: Output = Output {
        name: super::INVALID_USER_IDS,
        label: text!(en: "Invalid user IDs", zh: "无效的用户 ID"),
        help: text!(
            en: "User IDs DingTalk does not know: check them, and remove stray spaces.",
            zh: "钉钉不认识的用户 ID：请检查 ID 是否正确、是否带有空格。"
        ),
        schema: string_list,
    };

    pub(crate) const FLOW_CONTROLLED_USER_IDS: Output = Output {
        name: super::FLOW_CONTROLLED_USER_IDS,
        label: text!(en: "Flow-controlled user IDs", zh: "被限流的用户 ID"),
        help: text!(
            en: "User IDs DingTalk skipped because they received too many robot messages.",
            zh: "接收机器人消息过多而被钉钉跳过的用户 ID。"
        ),
        schema: string_list,
    };

    pub(crate) const PROCESS_QUERY_KEY: Output = Output {
        name: super::PROCESS_QUERY_KEY,
        label: text!(en: "Process query key", zh: "发送任务 ID"),
        help: text!(
            en: "This send's processQueryKey, for read status or recall.",
            zh: "本次发送的 processQueryKey，用于查询已读状态或撤回。"
        ),
        schema: string,
    };
}

/// A robot handle from "connect" in this process.
pub(crate) struct RobotHandle;

impl Kind for RobotHandle {
    type Value = Arc<Robot>;
    const REQUIRED: bool = true;

    fn schema(&self) -> Value {
        robot_schema()
    }

    fn read(&self, name: &str, raw: Option<&Value>, p: &Params<'_>) -> Result<Arc<Robot>> {
        registry::lookup(name, raw.ok_or_else(|| p.missing(name))?)
    }
}

/// User IDs, read as people type them (see [`UserIds::read`]).
pub(crate) struct UserIds;

/// Characters that look like nothing and arrive with copied IDs: zero-width spaces and
/// joiners, the word joiner and the byte-order mark.
const INVISIBLE: [char; 5] = ['\u{200B}', '\u{200C}', '\u{200D}', '\u{2060}', '\u{FEFF}'];

/// Reads user IDs as people type them: a JSON list, text holding a JSON list, or text with
/// IDs separated by commas, semicolons, line breaks or spaces. Each ID is trimmed and loses
/// invisible characters; duplicates are dropped (order kept); the result has 1 to 20 IDs.
///
/// The work is bounded before it starts: text longer than [`MAX_USER_IDS_TEXT`] bytes or a
/// list of more than [`MAX_USER_ID_ITEMS`] items is refused at once, and duplicates are found
/// with a hash set.
impl Kind for UserIds {
    type Value = Vec<String>;
    const REQUIRED: bool = true;

    fn schema(&self) -> Value {
        json!({
            "type": ["array", "string"],
            "items": { "type": "string", "minLength": 1, "maxLength": MAX_USER_ID_LEN, "pattern": "^\\S+$" },
            "maxLength": MAX_USER_IDS_TEXT,
            "minItems": 1,
            "maxItems": MAX_USERS
        })
    }

    fn read(&self, name: &str, raw: Option<&Value>, p: &Params<'_>) -> Result<Vec<String>> {
        user_ids(name, raw.ok_or_else(|| p.missing(name))?, p)
    }
}

fn user_ids(name: &str, value: &Value, p: &Params<'_>) -> Result<Vec<String>> {
    let bad = |en: String, zh: String| p.error(name, text!(en: en, zh: zh));
    let too_many = || {
        bad(
            format!("More than {MAX_USER_ID_ITEMS} user IDs; DingTalk takes at most {MAX_USERS} per message."),
            format!("用户 ID 超过 {MAX_USER_ID_ITEMS} 个，钉钉每条消息最多 {MAX_USERS} 个。"),
        )
    };
    let raw: Vec<Value> = match value {
        Value::Array(items) if items.len() > MAX_USER_ID_ITEMS => return Err(too_many()),
        Value::Array(items) => items.clone(),
        Value::String(text) => {
            if text.len() > MAX_USER_IDS_TEXT {
                return Err(bad(
                    format!("The user ID text is {} bytes long; at most {MAX_USER_IDS_TEXT} are read.", text.len()),
                    format!("用户 ID 文本长 {} 字节，最多读取 {MAX_USER_IDS_TEXT} 字节。", text.len()),
                ));
            }
            let text = text.trim().trim_matches(INVISIBLE);
            if text.starts_with('[') {
                match serde_json::from_str::<Value>(text) {
                    Ok(Value::Array(items)) if items.len() > MAX_USER_ID_ITEMS => return Err(too_many()),
                    Ok(Value::Array(items)) => items,
                    _ => {
                        return Err(bad(
                            "The user ID list starts with \"[\" but is not a valid JSON list such as [\"id1\",\"id2\"].".into(),
                            "用户 ID 列表以“[”开头，但不是合法的列表，应形如 [\"id1\",\"id2\"]。".into(),
                        ));
                    }
                }
            } else {
                let mut items: Vec<Value> = Vec::new();
                // Line by line, then by separator; blank pieces between spaces do not count.
                for line in text.split(['\n', ',', '，', ';', '；', '、']) {
                    let line = line.trim_matches(|c: char| c.is_whitespace() || INVISIBLE.contains(&c));
                    if line.is_empty() {
                        items.push(Value::from(""));
                        continue;
                    }
                    for piece in line.split(|c: char| c.is_whitespace()).filter(|s| !s.is_empty()) {
                        if items.len() == MAX_USER_ID_ITEMS {
                            return Err(too_many());
                        }
                        items.push(Value::from(piece));
                    }
                }
                items
            }
        }
        other => {
            let got = type_name(other);
            return Err(bad(
                format!("User IDs must be a list of text, not {}.", got.en),
                format!("用户 ID 应为文本列表，而不是{}。", got.zh_cn),
            ));
        }
    };
    let mut ids: Vec<String> = Vec::with_capacity(raw.len().min(MAX_USERS + 1));
    let mut seen = std::collections::HashSet::with_capacity(raw.len());
    for (i, item) in raw.iter().enumerate() {
        let Value::String(id) = item else {
            let got = type_name(item);
            return Err(bad(
                format!("User ID #{} is {}, not text; write IDs in quotes.", i + 1, got.en),
                format!("第 {} 个用户 ID 是{}而不是文本，请给 ID 加上引号。", i + 1, got.zh_cn),
            ));
        };
        let id: String = id.chars().filter(|c| !INVISIBLE.contains(c)).collect();
        let id = id.trim();
        if id.is_empty() {
            return Err(bad(format!("User ID #{} is blank.", i + 1), format!("第 {} 个用户 ID 为空。", i + 1)));
        }
        if id.chars().count() > MAX_USER_ID_LEN {
            return Err(bad(
                format!("User ID #{} is longer than {MAX_USER_ID_LEN} characters.", i + 1),
                format!("第 {} 个用户 ID 超过 {MAX_USER_ID_LEN} 个字符。", i + 1),
            ));
        }
        if id.chars().any(char::is_whitespace) {
            return Err(bad(
                format!("User ID #{} (\"{}\") has a space inside; an ID never does.", i + 1, shorten(id)),
                format!("第 {} 个用户 ID（“{}”）中间有空格，用户 ID 不含空格。", i + 1, shorten(id)),
            ));
        }
        if seen.insert(id.to_string()) {
            ids.push(id.to_string());
        }
    }
    match ids.len() {
        0 => Err(bad("The user ID list is empty.".into(), "用户 ID 列表为空。".into())),
        n if n > MAX_USERS => Err(bad(
            format!("{n} different user IDs; DingTalk takes at most {MAX_USERS} per message."),
            format!("共 {n} 个不同的用户 ID，钉钉每条消息最多 {MAX_USERS} 个。"),
        )),
        _ => Ok(ids),
    }
}

/// The Markdown title: the one given, or else the content's first line without its heading
/// marks.
fn markdown_title(given: Option<String>, content: &str) -> String {
    if let Some(title) = given {
        return title;
    }
    let first = content.lines().map(|l| l.trim().trim_start_matches('#').trim()).find(|l| !l.is_empty());
    first.unwrap_or("Message").chars().take(64).collect()
}

/// An image URL: http(s) with a host; spaces and other characters a URL may not hold are
/// percent-encoded (what DingTalk receives is the parsed URL, not the text).
fn image_url(p: &Params<'_>, content: &str) -> Result<String> {
    let parsed = reqwest::Url::parse(content)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty()));
    let Some(url) = parsed else {
        let shown = redact::url(content);
        return Err(p.error_with_hint(CONTENT, text!(en: format!("For the image template the content must be an http(s) image URL; got \"{shown}\"."), zh: format!("图片模板的内容应为 http(s) 图片链接，当前为“{shown}”。")), text!(en: "Use an online image's address, e.g. https://example.com/chart.png. To send a local file, choose the file template.", zh: "请填写网络图片地址，如 https://example.com/chart.png；发送本地文件请选择“本地文件”模板。")));
    };
    Ok(url.to_string())
}

/// A local file for the file template: a regular file of an allowed type, 1 byte to 20 MB,
/// with a name that can travel in a header. Read now, at most the limit plus one byte and with
/// the cancel flag checked as it goes, so that nothing is uploaded unless all of it is fine;
/// a file that changes while it is read is refused.
fn local_file(p: &Params<'_>, content: &str) -> Result<(Upload, String)> {
    // Windows' "copy as path" wraps the path in quotes.
    let path = PathBuf::from(content.trim_matches('"'));
    let shown = path.display().to_string();
    let refuse = |message: Text, hint: Text| p.error_with_hint(CONTENT, message, hint);
    let unreadable = |why: Option<std::io::Error>| {
        let why_en = why.as_ref().map(|e| format!(": {e}")).unwrap_or_default();
        let why_zh = why.as_ref().map(|e| format!("：{e}")).unwrap_or_default();
        refuse(
            text!(en: format!("The file \"{shown}\" does not exist or cannot be read{why_en}."), zh: format!("文件“{shown}”不存在或无法读取{why_zh}。")),
            text!(en: "Check the path (an absolute path is safest) and that the flow's user may read the file.", zh: "请检查路径（建议使用绝对路径），并确认运行流程的用户有权读取该文件。"),
        )
    };
    let not_regular = |meta: &std::fs::Metadata| {
        if meta.is_dir() {
            refuse(
                text!(en: format!("\"{shown}\" is a folder, not a file."), zh: format!("“{shown}”是文件夹而不是文件。")),
                text!(en: "Give the path of one file; zip a folder first to send it.", zh: "请填写单个文件的路径；如需发送文件夹，请先压缩为 zip。"),
            )
        } else {
            refuse(
                text!(en: format!("\"{shown}\" is not a regular file (it is a device, a pipe or a socket)."), zh: format!("“{shown}”不是普通文件（而是设备、管道或套接字）。")),
                text!(en: "Give the path of a document saved on disk.", zh: "请填写保存在磁盘上的文档路径。"),
            )
        }
    };
    let meta = std::fs::metadata(&path).map_err(|_| unreadable(None))?;
    if !meta.is_file() {
        return Err(not_regular(&meta));
    }
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    if file_name.chars().any(char::is_control) {
        return Err(refuse(
            text!(en: format!(
                "The file name \"{}\" contains a line break or another control character.",
                file_name.escape_debug()
            ), zh: format!("文件名“{}”含有换行或其他控制字符。", file_name.escape_debug())),
            text!(en: "Rename the file without line breaks or tabs, then run the step again.", zh: "请重命名文件（去掉换行、制表符等），然后重新运行该步骤。"),
        ));
    }
    let file_type = extension(&path);
    if file_type.is_empty() {
        return Err(refuse(
            text!(en: format!("The file \"{file_name}\" has no extension, so DingTalk cannot tell its type."), zh: format!("文件“{file_name}”没有扩展名，钉钉无法识别其类型。")),
            text!(en: "Rename it with its type's extension (doc, docx, xls, xlsx, ppt, pptx, zip, pdf or rar), or zip it first.", zh: "请为文件加上对应的扩展名（doc、docx、xls、xlsx、ppt、pptx、zip、pdf 或 rar），或先压缩为 zip。"),
        ));
    }
    if !FILE_TYPES.contains(&file_type.as_str()) {
        return Err(refuse(
            text!(en: format!("DingTalk does not accept \".{file_type}\" files in robot messages."), zh: format!("钉钉机器人消息不支持“.{file_type}”文件。")),
            text!(en: "Allowed: doc, docx, xls, xlsx, ppt, pptx, zip, pdf, rar. Zip other files first.", zh: "支持的类型：doc、docx、xls、xlsx、ppt、pptx、zip、pdf、rar；其他文件请先压缩为 zip。"),
        ));
    }
    let size_error = |size: u64, more: bool| {
        let at_least = if more { "more than " } else { "" };
        let zh_at_least = if more { "超过 " } else { "" };
        if size == 0 {
            refuse(
                text!(en: format!("The file \"{file_name}\" is empty (0 bytes)."), zh: format!("文件“{file_name}”是空文件（0 字节）。")),
                text!(en: "Check that the file was saved completely before the flow sends it.", zh: "请确认文件已完整保存后再发送。"),
            )
        } else {
            refuse(
                text!(en: format!("The file is {at_least}{size} bytes; DingTalk takes at most {MAX_FILE_BYTES} bytes (20 MB)."), zh: format!("文件大小为 {zh_at_least}{size} 字节，钉钉最多接受 {MAX_FILE_BYTES} 字节（20 MB）。")),
                text!(en: "Compress or split the file, or share a link to it instead.", zh: "请压缩或拆分文件，或改为发送文件链接。"),
            )
        }
    };
    if meta.len() == 0 || meta.len() > MAX_FILE_BYTES {
        return Err(size_error(meta.len(), false));
    }
    let mut file = open_regular(&path).map_err(|e| unreadable(Some(e)))?;
    let opened = file.metadata().map_err(|e| unreadable(Some(e)))?;
    if !opened.is_file() {
        return Err(not_regular(&opened));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(opened.len().min(MAX_FILE_BYTES)).unwrap_or(0));
    let mut chunk = vec![0u8; 1 << 20];
    loop {
        p.check_cancelled()?;
        let n = std::io::Read::read(&mut file, &mut chunk).map_err(|e| unreadable(Some(e)))?;
        if n == 0 {
            break;
        }
        bytes.extend_from_slice(&chunk[..n]);
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(size_error(MAX_FILE_BYTES, true));
        }
    }
    let after = std::fs::metadata(&path).ok();
    let unchanged = after.is_some_and(|a| {
        a.len() == meta.len() && a.len() == bytes.len() as u64 && a.modified().ok() == meta.modified().ok()
    });
    if !unchanged {
        return Err(refuse(
            text!(en: format!("The file \"{file_name}\" changed while it was being read."), zh: format!("文件“{file_name}”在读取过程中发生了变化。")),
            text!(en: "Let the program writing it finish (or send a copy), then run the step again.", zh: "请等写入该文件的程序完成（或发送一份副本），然后重新运行该步骤。"),
        ));
    }
    if bytes.is_empty() {
        return Err(size_error(0, false));
    }
    Ok((Upload { file_name, bytes: Bytes::from(bytes) }, file_type))
}

/// Opens a file for reading without blocking on a pipe that has no writer (the metadata check
/// before it may be outrun by a rename).
fn open_regular(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // O_NONBLOCK: regular files ignore it; a FIFO opens at once instead of waiting.
        options.custom_flags(libc::O_NONBLOCK);
    }
    options.open(path)
}

fn extension(path: &Path) -> String {
    path.extension().map(|e| e.to_string_lossy().to_lowercase()).unwrap_or_default()
}

fn shorten(s: &str) -> String {
    if s.chars().count() > 80 { format!("{}…", s.chars().take(80).collect::<String>()) } else { s.to_string() }
}

/// What to send, once every input is known to be fine.
enum Message {
    /// Ready: the template's fields.
    Ready(Value),
    /// A file to upload first, and its type.
    File(Upload, String),
}

/// Send's inputs, read and checked.
struct SendInput {
    robot: Arc<Robot>,
    user_ids: Vec<String>,
    msg_type: MsgType,
    message: Message,
}

/// Reads and checks every input, the file included, without touching the network.
fn read(p: &Params<'_>) -> Result<SendInput> {
    let robot = form::ROBOT.read(p)?;
    let user_ids = form::USER_IDS.read(p)?;
    let msg_type = form::MSG_TYPE.read(p)?;
    let content = form::CONTENT.read(p)?;
    let title = form::TITLE.read(p)?;
    let message = match msg_type {
        MsgType::Text => Message::Ready(json!({ "content": content })),
        MsgType::Markdown => Message::Ready(json!({ "title": markdown_title(title, &content), "text": content })),
        MsgType::Image => Message::Ready(json!({ "photoURL": image_url(p, content.trim())? })),
        MsgType::File => {
            let (upload, file_type) = local_file(p, content.trim())?;
            Message::File(upload, file_type)
        }
    };
    Ok(SendInput { robot, user_ids, msg_type, message })
}

/// Checks every input; the job uploads the file (file template) and sends once.
fn prepare(p: &Params<'_>) -> Result<Job> {
    let SendInput { robot, user_ids, msg_type, message } = read(p)?;
    Ok(Box::new(move |ctx| {
        Box::pin(async move {
            let conn = &robot.connection;
            let msg_param = match message {
                Message::Ready(v) => v,
                Message::File(upload, file_type) => {
                    let media_id = conn.upload_media(&ctx, &robot.oapi_base, &upload, robot.timeout).await?;
                    ctx.log(LogLevel::Info, format!("uploaded {} ({} bytes)", upload.file_name, upload.bytes.len()));
                    json!({ "mediaId": media_id, "fileName": upload.file_name, "fileType": file_type })
                }
            };
            ctx.check_cancelled()?;
            let request = BatchSendRequest {
                msg_key: msg_type.msg_key().to_string(),
                msg_param: msg_param.to_string(),
                robot_code: robot.robot_code.clone(),
                user_ids,
            };
            let answer = conn.batch_send(&ctx, &request, robot.timeout).await?;
            let invalid = answer.invalid_staff_id_list.unwrap_or_default();
            let flow_controlled = answer.flow_controlled_staff_id_list.unwrap_or_default();
            if !invalid.is_empty() {
                ctx.log(
                    LogLevel::Warn,
                    format!(
                        "DingTalk does not know {} user ID(s): {invalid:?}. Check them in the admin console and remove stray spaces.",
                        invalid.len()
                    ),
                );
            }
            if !flow_controlled.is_empty() {
                ctx.log(LogLevel::Warn, format!("flow-controlled by DingTalk, not delivered: {flow_controlled:?}"));
            }
            if let Some(filtered) = answer.filtered_staff_id_list.filter(|f| !f.is_empty()) {
                ctx.log(LogLevel::Warn, format!("filtered by DingTalk, not delivered: {filtered:?}"));
            }
            Ok(json!({
                INVALID_USER_IDS: invalid,
                FLOW_CONTROLLED_USER_IDS: flow_controlled,
                PROCESS_QUERY_KEY: answer.process_query_key.unwrap_or_default(),
            }))
        })
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::Params;
    use crate::error::Error;

    fn ids(value: Value) -> Result<Vec<String>> {
        let spec = ACTION.spec();
        let json = json!({ USER_IDS: value }).to_string();
        let p = Params::parse(&json, &spec)?;
        form::USER_IDS.read(&p)
    }

    fn refused(value: Value) -> String {
        match ids(value.clone()) {
            Err(e @ Error::InvalidInput { .. }) => {
                assert_eq!(e.field(), Some(USER_IDS));
                e.to_payload().message
            }
            other => panic!("{value} gave {other:?}"),
        }
    }

    #[test]
    fn user_ids_in_every_form_people_type() {
        let want = vec!["u1".to_string(), "u2".to_string()];
        assert_eq!(ids(json!(["u1", "u2"])).unwrap(), want);
        assert_eq!(ids(json!([" u1 ", "u2\t"])).unwrap(), want);
        assert_eq!(ids(json!(r#"["u1", " u2 "]"#)).unwrap(), want);
        assert_eq!(ids(json!("u1,u2")).unwrap(), want);
        assert_eq!(ids(json!("u1，u2")).unwrap(), want);
        assert_eq!(ids(json!(" u1 \r\n u2 \n")).unwrap(), want);
        assert_eq!(ids(json!("u1; u2; u1")).unwrap(), want);
        assert_eq!(ids(json!(["u2", "u1", "u2"])).unwrap(), vec!["u2".to_string(), "u1".to_string()]);
        assert_eq!(ids(json!("solo")).unwrap(), vec!["solo".to_string()]);
    }

    #[test]
    fn twenty_after_dedup_is_fine_twenty_one_is_not() {
        let mut many: Vec<String> = (0..20).map(|i| format!("u{i}")).collect();
        many.push("u0".into());
        assert_eq!(ids(json!(many)).unwrap().len(), 20);
        many.push("u20".into());
        assert!(refused(json!(many)).contains("21"));
    }

    #[test]
    fn bad_user_id_lists_name_the_field() {
        refused(json!([]));
        refused(json!(["u1", " "]));
        refused(json!("u1,,u2"));
        refused(json!(["u1", 7]));
        refused(json!(12));
        refused(json!({"id": "u1"}));
        refused(json!("[\"u1\", "));
        refused(json!(["x".repeat(65)]));
        assert!(matches!(ids(json!("")), Err(Error::InvalidInput { .. })));
        assert!(matches!(ids(Value::Null), Err(Error::InvalidInput { .. })));
    }

    /// Reads `path` for the file template with a cancel probe that, on its `at`-th call,
    /// appends `grow` bytes: a writer racing the read.
    fn read_while_growing(name: &str, size: usize, at: usize, grow: usize) -> Result<(Upload, String)> {
        let dir = std::env::temp_dir().join(format!("send-unit-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("growing.pdf");
        std::fs::write(&path, vec![b'x'; size]).unwrap();
        let calls = std::cell::Cell::new(0);
        let probe = || {
            calls.set(calls.get() + 1);
            if calls.get() == at {
                use std::io::Write;
                let mut f = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
                f.write_all(&vec![b'y'; grow]).unwrap();
            }
            false
        };
        let spec = ACTION.spec();
        let p = Params::parse("{}", &spec).unwrap().with_cancel(&probe);
        local_file(&p, path.to_str().unwrap())
    }

    #[test]
    fn a_file_growing_past_the_limit_while_read_is_refused_without_reading_more() {
        let size = usize::try_from(MAX_FILE_BYTES).unwrap() - 10;
        match read_while_growing("past-limit", size, 2, 3 << 20) {
            Err(e) => assert!(e.to_payload().message.contains("more than 20971520 bytes"), "{e:?}"),
            Ok((u, _)) => panic!("{} bytes accepted", u.bytes.len()),
        }
    }

    #[test]
    fn a_file_that_changes_while_read_is_refused() {
        match read_while_growing("changed", 3 << 20, 2, 10) {
            Err(e) => assert!(e.to_payload().message.contains("changed while it was being read"), "{e:?}"),
            Ok((u, _)) => panic!("{} bytes accepted", u.bytes.len()),
        }
        let (upload, kind) = read_while_growing("unchanged", 3 << 20, 0, 0).unwrap();
        assert_eq!((upload.bytes.len(), kind.as_str()), (3 << 20, "pdf"));
    }

    #[test]
    fn markdown_title_defaults_to_the_first_line() {
        assert_eq!(markdown_title(None, "\n\n## Weekly report  \nbody"), "Weekly report");
        assert_eq!(markdown_title(None, "   "), "Message");
        assert_eq!(markdown_title(Some("Given".into()), "# other"), "Given");
        let spec = ACTION.spec();
        let p = Params::parse(r#"{"title":"  Given  "}"#, &spec).unwrap();
        assert_eq!(form::TITLE.read(&p).unwrap().as_deref(), Some("Given"));
    }
}
