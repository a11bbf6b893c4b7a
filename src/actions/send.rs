//! "Send single-chat message" (`dingtalk.robot.send_single_chat`): one robot message to up
//! to 20 users, from one of four templates, through `batchSend`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use rpa_plugin_abi::{ActionSpec, Inputs, LogLevel, text};
use serde_json::{Value, json};

use super::connect::robot_schema;
use super::fields::{FieldExt, field};
use super::{Job, Params};
use crate::dingtalk::wire::BatchSendRequest;
use crate::dingtalk::{Robot, Upload, registry};
use crate::error::Result;

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
pub enum MsgType {
    /// `sampleText {content}`.
    Text,
    /// `sampleMarkdown {title, text}`.
    Markdown,
    /// `sampleImageMsg {photoURL}`.
    Image,
    /// `sampleFile {mediaId, fileName, fileType}` after an upload.
    File,
}

impl MsgType {
    /// Every template: (value, zh-CN label, en label).
    const CHOICES: [(&'static str, &'static str, &'static str); 4] = [
        ("text", "文本", "Text"),
        ("markdown", "Markdown", "Markdown"),
        ("image", "图片（链接）", "Image (URL)"),
        ("file", "本地文件", "Local file"),
    ];

    fn parse(value: &str) -> Option<MsgType> {
        match value {
            "text" => Some(MsgType::Text),
            "markdown" => Some(MsgType::Markdown),
            "image" => Some(MsgType::Image),
            "file" => Some(MsgType::File),
            _ => None,
        }
    }

    /// DingTalk's `msgKey` for the template.
    pub fn msg_key(self) -> &'static str {
        match self {
            MsgType::Text => "sampleText",
            MsgType::Markdown => "sampleMarkdown",
            MsgType::Image => "sampleImageMsg",
            MsgType::File => "sampleFile",
        }
    }
}

/// The manifest entry.
pub fn spec() -> ActionSpec {
    let values: Vec<&str> = MsgType::CHOICES.iter().map(|c| c.0).collect();
    let id_list = json!({ "type": "array", "items": { "type": "string" } });
    ActionSpec {
        id: ID.into(),
        title: text!(en: "Send single-chat message", zh: "钉钉机器人发送单聊消息"),
        description: text!(en: "Sends a one-to-one robot message (text, Markdown, image URL or local file) to up to 20 users, and outputs the user IDs that were invalid or flow-controlled.", zh: "以机器人身份给最多 20 个用户发送单聊消息（文本、Markdown、图片链接或本地文件），并输出无效的用户 ID 和被限流的用户 ID。"),
        inputs: Inputs {
            basic: vec![
                field(
                    ROBOT,
                    ("机器人对象", "Robot object"),
                    ("“建立钉钉机器人连接”输出的机器人对象。", "The robot object output by \"Create DingTalk robot connection\"."),
                    robot_schema(),
                )
                .required(),
                field(
                    USER_IDS,
                    ("用户 ID 列表", "User IDs"),
                    (
                        "接收人的用户 ID，列表形式如 [\"id1\",\"id2\"]，最多 20 个；也可用逗号或换行分隔。用户 ID 可在管理后台通讯录中查看。",
                        "Receivers' user IDs as a list such as [\"id1\",\"id2\"], at most 20; comma- or line-separated text works too. Find user IDs in the admin console's contacts.",
                    ),
                    json!({
                        "type": ["array", "string"],
                        "items": { "type": "string", "minLength": 1, "maxLength": MAX_USER_ID_LEN },
                        "minItems": 1,
                        "maxItems": MAX_USERS
                    }),
                )
                .required(),
                field(
                    MSG_TYPE,
                    ("消息模板", "Message template"),
                    ("选择消息类型：文本、Markdown、图片链接或本地文件。", "The kind of message: text, Markdown, an image URL or a local file."),
                    json!({ "type": "string", "enum": values, "default": "text" }),
                )
                .required()
                .choices(&MsgType::CHOICES),
                field(
                    CONTENT,
                    ("消息内容", "Message content"),
                    (
                        "文本或 Markdown 的内容；图片模板填 http(s) 图片链接；文件模板填本地文件路径（doc、docx、xls、xlsx、ppt、pptx、zip、pdf、rar，不超过 20 MB）。",
                        "The text or Markdown; for the image template an http(s) image URL; for the file template a local file path (doc, docx, xls, xlsx, ppt, pptx, zip, pdf, rar; at most 20 MB).",
                    ),
                    json!({ "type": "string", "minLength": 1, "maxLength": MAX_CONTENT_CHARS }),
                )
                .required(),
            ],
            advanced: vec![
                field(
                    TITLE,
                    ("消息标题", "Message title"),
                    (
                        "仅对 Markdown 生效，显示在会话列表中；留空则取内容的第一行。",
                        "Only for Markdown: shown in the chat list. Left empty, the first line of the content is used.",
                    ),
                    json!({ "type": "string", "maxLength": MAX_TITLE_CHARS }),
                )
                .visible_when(MSG_TYPE, &["markdown"]),
            ],
        },
        outputs: vec![
            field(
                INVALID_USER_IDS,
                ("无效的用户 ID", "Invalid user IDs"),
                ("钉钉不认识的用户 ID：请检查 ID 是否正确、是否带有空格。", "User IDs DingTalk does not know: check them, and remove stray spaces."),
                id_list.clone(),
            ),
            field(
                FLOW_CONTROLLED_USER_IDS,
                ("被限流的用户 ID", "Flow-controlled user IDs"),
                ("接收机器人消息过多而被钉钉跳过的用户 ID。", "User IDs DingTalk skipped because they received too many robot messages."),
                id_list,
            ),
            field(
                PROCESS_QUERY_KEY,
                ("发送任务 ID", "Process query key"),
                ("本次发送的 processQueryKey，用于查询已读状态或撤回。", "This send's processQueryKey, for read status or recall."),
                json!({ "type": "string" }),
            ),
        ],
    }
}

/// Reads user IDs as people type them: a JSON list, text holding a JSON list, or comma/
/// newline-separated text. Each ID is trimmed; duplicates are dropped (order kept); the
/// result has 1 to 20 IDs.
pub fn user_ids(p: &Params<'_>) -> Result<Vec<String>> {
    let value = p.required_value(USER_IDS)?;
    let bad = |en: String, zh: String| p.error(USER_IDS, en, zh);
    let raw: Vec<Value> = match value {
        Value::Array(items) => items.clone(),
        Value::String(text) => {
            let text = text.trim();
            if text.starts_with('[') {
                match serde_json::from_str::<Value>(text) {
                    Ok(Value::Array(items)) => items,
                    _ => {
                        return Err(bad(
                            "The user ID list starts with \"[\" but is not a valid JSON list such as [\"id1\",\"id2\"].".into(),
                            "用户 ID 列表以“[”开头，但不是合法的列表，应形如 [\"id1\",\"id2\"]。".into(),
                        ));
                    }
                }
            } else {
                text.split([',', '，', ';', '；', '\n']).map(|s| Value::from(s.trim_matches('\r'))).collect()
            }
        }
        other => {
            let (en, zh) = super::params::type_name(other);
            return Err(bad(
                format!("User IDs must be a list of text, not {en}."),
                format!("用户 ID 应为文本列表，而不是{zh}。"),
            ));
        }
    };
    let mut ids: Vec<String> = Vec::with_capacity(raw.len());
    for (i, item) in raw.iter().enumerate() {
        let Value::String(id) = item else {
            let (en, zh) = super::params::type_name(item);
            return Err(bad(
                format!("User ID #{} is {en}, not text; write IDs in quotes.", i + 1),
                format!("第 {} 个用户 ID 是{zh}而不是文本，请给 ID 加上引号。", i + 1),
            ));
        };
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
        if !ids.iter().any(|known| known == id) {
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

/// The Markdown title: the advanced field, or else the content's first line without its
/// heading marks.
fn markdown_title(p: &Params<'_>, content: &str) -> Result<String> {
    if let Some(title) = p.string(TITLE)? {
        if title.chars().count() > MAX_TITLE_CHARS {
            return Err(p.error(
                TITLE,
                format!("The title is longer than {MAX_TITLE_CHARS} characters."),
                format!("标题超过 {MAX_TITLE_CHARS} 个字符。"),
            ));
        }
        return Ok(title);
    }
    let first = content.lines().map(|l| l.trim().trim_start_matches('#').trim()).find(|l| !l.is_empty());
    Ok(first.unwrap_or("Message").chars().take(64).collect())
}

/// An image URL: http(s) with a host.
fn image_url(p: &Params<'_>, content: &str) -> Result<String> {
    let ok = reqwest::Url::parse(content)
        .ok()
        .is_some_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty()));
    if !ok {
        return Err(p.error_with_hint(
            CONTENT,
            format!("For the image template the content must be an http(s) image URL; got \"{}\".", shorten(content)),
            format!("图片模板的内容应为 http(s) 图片链接，当前为“{}”。", shorten(content)),
            "Use an online image's address, e.g. https://example.com/chart.png. To send a local file, choose the file template.",
            "请填写网络图片地址，如 https://example.com/chart.png；发送本地文件请选择“本地文件”模板。",
        ));
    }
    Ok(content.to_string())
}

/// A local file for the file template: exists, is a file, allowed type, 1 byte to 20 MB.
/// Read now, so that nothing is uploaded unless all of it is fine.
fn local_file(p: &Params<'_>, content: &str) -> Result<(Upload, String)> {
    // Windows' "copy as path" wraps the path in quotes.
    let path = PathBuf::from(content.trim_matches('"'));
    let shown = path.display().to_string();
    let refuse =
        |en: String, zh: String, hint_en: &str, hint_zh: &str| p.error_with_hint(CONTENT, en, zh, hint_en, hint_zh);
    let meta = std::fs::metadata(&path).map_err(|_| {
        refuse(
            format!("The file \"{shown}\" does not exist or cannot be read."),
            format!("文件“{shown}”不存在或无法读取。"),
            "Check the path (an absolute path is safest) and that the flow's user may read the file.",
            "请检查路径（建议使用绝对路径），并确认运行流程的用户有权读取该文件。",
        )
    })?;
    if !meta.is_file() {
        return Err(refuse(
            format!("\"{shown}\" is a folder, not a file."),
            format!("“{shown}”是文件夹而不是文件。"),
            "Give the path of one file; zip a folder first to send it.",
            "请填写单个文件的路径；如需发送文件夹，请先压缩为 zip。",
        ));
    }
    let file_type = extension(&path);
    if !FILE_TYPES.contains(&file_type.as_str()) {
        return Err(refuse(
            format!("DingTalk does not accept \".{file_type}\" files in robot messages."),
            format!("钉钉机器人消息不支持“.{file_type}”文件。"),
            "Allowed: doc, docx, xls, xlsx, ppt, pptx, zip, pdf, rar. Zip other files first.",
            "支持的类型：doc、docx、xls、xlsx、ppt、pptx、zip、pdf、rar；其他文件请先压缩为 zip。",
        ));
    }
    if meta.len() == 0 || meta.len() > MAX_FILE_BYTES {
        let mb = meta.len() as f64 / (1024.0 * 1024.0);
        return Err(refuse(
            format!("The file is {mb:.1} MB; DingTalk takes files of 1 byte to 20 MB."),
            format!("文件大小为 {mb:.1} MB，钉钉只接受 1 字节到 20 MB 的文件。"),
            "Compress or split the file, or share a link to it instead.",
            "请压缩或拆分文件，或改为发送文件链接。",
        ));
    }
    let bytes = std::fs::read(&path).map_err(|e| {
        refuse(
            format!("Cannot read \"{shown}\": {e}."),
            format!("无法读取“{shown}”：{e}。"),
            "Check that the file is not locked by another program.",
            "请确认文件未被其他程序占用。",
        )
    })?;
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    Ok((Upload { file_name, bytes: Bytes::from(bytes) }, file_type))
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
    Params(Value),
    /// A file to upload first.
    File(Upload, String),
}

/// Checks every input; the job uploads the file (file template) and sends once.
pub fn prepare(p: &Params<'_>) -> Result<Job> {
    let robot: Arc<Robot> = registry::lookup(ROBOT, p.required_value(ROBOT)?)?;
    let user_ids = user_ids(p)?;
    let msg_type_text = p.string(MSG_TYPE)?.unwrap_or_else(|| "text".into());
    let msg_type = MsgType::parse(&msg_type_text).ok_or_else(|| {
        p.error(
            MSG_TYPE,
            format!("\"{}\" is not a message template; use text, markdown, image or file.", shorten(&msg_type_text)),
            format!("“{}”不是消息模板，可选 text、markdown、image、file。", shorten(&msg_type_text)),
        )
    })?;
    let content = match p.value(CONTENT) {
        Some(Value::String(s)) => s.clone(),
        Some(other) => {
            let (en, zh) = super::params::type_name(other);
            return Err(p.error(
                CONTENT,
                format!("The content must be text, not {en}."),
                format!("消息内容应为文本，而不是{zh}。"),
            ));
        }
        None => return Err(p.error(CONTENT, "The message content is empty.", "消息内容为空。")),
    };
    if content.chars().count() > MAX_CONTENT_CHARS {
        return Err(p.error(
            CONTENT,
            format!("The content is longer than {MAX_CONTENT_CHARS} characters."),
            format!("消息内容超过 {MAX_CONTENT_CHARS} 个字符。"),
        ));
    }
    let message = match msg_type {
        MsgType::Text => Message::Params(json!({ "content": content })),
        MsgType::Markdown => Message::Params(json!({ "title": markdown_title(p, &content)?, "text": content })),
        MsgType::Image => Message::Params(json!({ "photoURL": image_url(p, content.trim())? })),
        MsgType::File => {
            let (upload, file_type) = local_file(p, content.trim())?;
            Message::File(upload, file_type)
        }
    };
    Ok(Box::new(move |ctx| {
        Box::pin(async move {
            let conn = &robot.connection;
            let msg_param = match message {
                Message::Params(v) => v,
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
        let spec = spec();
        let json = json!({ USER_IDS: value }).to_string();
        let p = Params::parse(&json, &spec)?;
        user_ids(&p)
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

    #[test]
    fn markdown_title_defaults_to_the_first_line() {
        let spec = spec();
        let p = Params::parse("{}", &spec).unwrap();
        assert_eq!(markdown_title(&p, "\n\n## Weekly report  \nbody").unwrap(), "Weekly report");
        assert_eq!(markdown_title(&p, "   ").unwrap(), "Message");
        let p = Params::parse(r#"{"title":"  Given  "}"#, &spec).unwrap();
        assert_eq!(markdown_title(&p, "# other").unwrap(), "Given");
    }
}
