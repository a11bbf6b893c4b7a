//! Robot message templates: what `msgParam` must hold for each `msgKey`, field by field, as
//! DingTalk's "robot message types" page names them (`sampleActionCard2`..`5` take
//! `actionTitleN`/`actionURLN`, `sampleActionCard6` takes `buttonTitleN`/`buttonUrlN`), and the
//! codes of batchSend's error table (`miss.param.*`) for a field that is missing.
//!
//! Every value is text. Media ids must name a file uploaded with the matching `type` (`voice`
//! for audio, `video` and `image` for video, `file` for files); an image (`photoURL`, `picUrl`)
//! is an http(s) URL or an uploaded image's media id. Durations are whole numbers as text:
//! milliseconds for audio, seconds for video.

use serde_json::{Map, Value};

/// The documented limit on `msgParam` (bytes), from the group-send page; one-to-one sends
/// answer `invalidParameter.msgParam.tooLong` past it too.
pub(crate) const MAX_MSG_PARAM_BYTES: usize = 15_000;

/// How a field's value is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    /// Non-empty text.
    Text,
    /// An http(s) or dingtalk:// link.
    Link,
    /// An http(s) URL of an image, or the media id of an uploaded image.
    Image,
    /// The media id of a file uploaded as this `type`.
    Media(&'static str),
    /// A whole number of at least 1, as text.
    Count,
    /// Exactly this text.
    Exactly(&'static str),
}

/// One field of a template: its exact name, its rule, whether it may be left out, and the
/// error code DingTalk answers when it is missing.
type Spec = (&'static str, Rule, Presence, &'static str);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Presence {
    Required,
    Optional,
}

use Presence::{Optional, Required};

const CARD: &str = "miss.param.actionCardTobtnsTotitle";
const CARD_URL: &str = "miss.param.actionCardTobtnsToactionUrl";

/// The fields of each template (`None` for an unknown `msgKey`).
fn specs(msg_key: &str) -> Option<Vec<Spec>> {
    let card_head = [
        ("title", Rule::Text, Required, "miss.param.actionCardTotitle"),
        ("text", Rule::Text, Required, "miss.param.actionCardTotext"),
    ];
    let vertical = |n: usize| {
        let mut v = card_head.to_vec();
        const TITLES: [&str; 5] = ["actionTitle1", "actionTitle2", "actionTitle3", "actionTitle4", "actionTitle5"];
        const URLS: [&str; 5] = ["actionURL1", "actionURL2", "actionURL3", "actionURL4", "actionURL5"];
        for i in 0..n {
            v.push((TITLES[i], Rule::Text, Required, CARD));
            v.push((URLS[i], Rule::Link, Required, CARD_URL));
        }
        v
    };
    Some(match msg_key {
        "sampleText" => vec![("content", Rule::Text, Required, "miss.param.contentOfText")],
        "sampleMarkdown" => vec![
            ("title", Rule::Text, Required, "miss.param.markdownTotitle"),
            ("text", Rule::Text, Required, "miss.param.markdownTotext"),
        ],
        "sampleImageMsg" => vec![("photoURL", Rule::Image, Required, "miss.param.photoTophotoUrl")],
        "sampleLink" => vec![
            ("text", Rule::Text, Required, "miss.param.textOfLink"),
            ("title", Rule::Text, Required, "miss.param.titleOfLink"),
            ("picUrl", Rule::Image, Optional, "miss.param.link"),
            ("messageUrl", Rule::Link, Required, "miss.param.messageUrlOfLink"),
        ],
        "sampleActionCard" => {
            let mut v = card_head.to_vec();
            v.push(("singleTitle", Rule::Text, Required, "miss.param.actionCardTosingleTitle"));
            v.push(("singleURL", Rule::Link, Required, "miss.param.actionCardTosingleUrl"));
            v
        }
        "sampleActionCard2" => vertical(2),
        "sampleActionCard3" => vertical(3),
        "sampleActionCard4" => vertical(4),
        "sampleActionCard5" => vertical(5),
        "sampleActionCard6" => {
            let mut v = card_head.to_vec();
            v.push(("buttonTitle1", Rule::Text, Required, CARD));
            v.push(("buttonUrl1", Rule::Link, Required, CARD_URL));
            v.push(("buttonTitle2", Rule::Text, Required, CARD));
            v.push(("buttonUrl2", Rule::Link, Required, CARD_URL));
            v
        }
        "sampleAudio" => vec![
            ("mediaId", Rule::Media("voice"), Required, "miss.param.audio"),
            ("duration", Rule::Count, Required, "miss.param.audio"),
        ],
        "sampleFile" => vec![
            ("mediaId", Rule::Media("file"), Required, "miss.param.file"),
            ("fileName", Rule::Text, Required, "miss.param.file"),
            ("fileType", Rule::Text, Required, "miss.param.file"),
        ],
        "sampleVideo" => vec![
            ("duration", Rule::Count, Required, "miss.param.video"),
            ("videoMediaId", Rule::Media("video"), Required, "miss.param.video"),
            ("videoType", Rule::Exactly("mp4"), Required, "miss.param.video"),
            ("picMediaId", Rule::Media("image"), Required, "miss.param.video"),
        ],
        _ => return None,
    })
}

/// Whether `msg_key` is a template DingTalk knows.
pub(crate) fn is_known(msg_key: &str) -> bool {
    specs(msg_key).is_some()
}

/// Why a `msgParam` was refused: DingTalk's code and a message naming the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub(crate) code: &'static str,
    pub(crate) message: String,
}

/// Checks the parsed `msgParam` of a known template. `media_type` says which `type` a media
/// id was uploaded as (`None` for an unknown id).
pub(crate) fn check(
    msg_key: &str,
    param: &Map<String, Value>,
    media_type: &dyn Fn(&str) -> Option<String>,
) -> Result<(), Refusal> {
    let Some(specs) = specs(msg_key) else {
        return Err(Refusal { code: "invalidParameter.msgKey.invalid", message: format!("msgKey无效: {msg_key}") });
    };
    for (name, rule, presence, missing_code) in specs {
        let value = match param.get(name) {
            None | Some(Value::Null) if presence == Optional => continue,
            None | Some(Value::Null) => {
                return Err(Refusal {
                    code: missing_code,
                    message: format!("消息内容不合法，需要{name}属性 (msgKey {msg_key})"),
                });
            }
            Some(Value::String(s)) => s.as_str(),
            Some(_) => {
                return Err(Refusal {
                    code: "invalidParameter.msgParam.invalid",
                    message: format!("msgParam的{name}必须是字符串 (msgKey {msg_key})"),
                });
            }
        };
        let bad = |why: &str| Refusal {
            code: "invalidParameter.param.invalid",
            message: format!("参数不合法: {name} {why} (msgKey {msg_key})"),
        };
        if value.trim().is_empty() {
            return Err(Refusal {
                code: missing_code,
                message: format!("消息内容不合法，{name}不能为空 (msgKey {msg_key})"),
            });
        }
        match rule {
            Rule::Text => {}
            Rule::Link if is_link(value) => {}
            Rule::Link => return Err(bad("不是合法的链接")),
            Rule::Image if is_web_url(value) => {}
            Rule::Image => match media_type(value) {
                Some(t) if t == "image" => {}
                Some(t) => return Err(bad(&format!("是{t}类型的媒体文件，不是图片"))),
                None => return Err(bad("既不是图片链接，也不是已上传图片的mediaId")),
            },
            Rule::Media(wanted) => match media_type(value) {
                Some(t) if t == wanted => {}
                Some(t) => return Err(bad(&format!("是{t}类型的媒体文件，需要{wanted}类型"))),
                None => return Err(bad("不是已上传的媒体文件mediaId")),
            },
            Rule::Count => {
                let ok = value.bytes().all(|b| b.is_ascii_digit()) && !value.trim_start_matches('0').is_empty();
                if !ok {
                    return Err(bad("必须是正整数"));
                }
            }
            Rule::Exactly(expected) if value == expected => {}
            Rule::Exactly(expected) => return Err(bad(&format!("只支持{expected}"))),
        }
    }
    Ok(())
}

fn is_web_url(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://")) && s.len() > "http://".len() + 1
}

/// A link a card or link message may open: http(s), or DingTalk's own `dingtalk://` scheme.
fn is_link(s: &str) -> bool {
    is_web_url(s) || s.to_ascii_lowercase().starts_with("dingtalk://")
}

/// Media types `media/upload` accepts: (type, allowed extensions, size limit in bytes).
pub(crate) fn media_rules(media_type: &str) -> Option<(&'static [&'static str], u64)> {
    const MB: u64 = 1024 * 1024;
    Some(match media_type {
        "file" => (&["doc", "docx", "xls", "xlsx", "ppt", "pptx", "zip", "pdf", "rar"], 20 * MB),
        "image" => (&["jpg", "gif", "png", "bmp"], 20 * MB),
        "voice" => (&["amr", "mp3", "wav"], 2 * MB),
        "video" => (&["mp4"], 20 * MB),
        _ => return None,
    })
}

/// The largest upload body read at all (the largest limit plus room for the form).
pub(crate) const MAX_UPLOAD_BODY: usize = 21 * 1024 * 1024;

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn media(id: &str) -> Option<String> {
        match id {
            "@voice" => Some("voice".into()),
            "@video" => Some("video".into()),
            "@image" => Some("image".into()),
            "@file" => Some("file".into()),
            _ => None,
        }
    }

    fn checked(key: &str, param: Value) -> Result<(), Refusal> {
        check(key, param.as_object().unwrap(), &media)
    }

    #[test]
    fn every_template_with_its_exact_fields() {
        let ok = [
            ("sampleText", json!({"content": "c"})),
            ("sampleMarkdown", json!({"title": "t", "text": "# x"})),
            ("sampleImageMsg", json!({"photoURL": "https://example.com/a.png"})),
            ("sampleImageMsg", json!({"photoURL": "@image"})),
            ("sampleLink", json!({"text": "t", "title": "t", "messageUrl": "https://a.example"})),
            ("sampleLink", json!({"text": "t", "title": "t", "picUrl": "@image", "messageUrl": "dingtalk://x"})),
            ("sampleActionCard", json!({"title": "t", "text": "x", "singleTitle": "s", "singleURL": "https://a.b"})),
            (
                "sampleActionCard3",
                json!({"title": "t", "text": "x", "actionTitle1": "a", "actionURL1": "https://a.b",
                       "actionTitle2": "b", "actionURL2": "https://a.b", "actionTitle3": "c", "actionURL3": "https://a.b"}),
            ),
            (
                "sampleActionCard6",
                json!({"title": "t", "text": "x", "buttonTitle1": "a", "buttonUrl1": "https://a.b",
                       "buttonTitle2": "b", "buttonUrl2": "https://a.b"}),
            ),
            ("sampleAudio", json!({"mediaId": "@voice", "duration": "1500"})),
            ("sampleFile", json!({"mediaId": "@file", "fileName": "a.pdf", "fileType": "pdf"})),
            (
                "sampleVideo",
                json!({"duration": "12", "videoMediaId": "@video", "videoType": "mp4", "picMediaId": "@image"}),
            ),
        ];
        for (key, param) in ok {
            assert_eq!(checked(key, param.clone()), Ok(()), "{key} {param}");
        }
    }

    #[test]
    fn misspelt_fields_and_wrong_values_are_refused_as_dingtalk_does() {
        let refused = |key: &str, param: Value, code: &str| {
            let r = checked(key, param.clone()).expect_err("refused");
            assert_eq!(r.code, code, "{key} {param}: {r:?}");
        };
        refused("sampleText", json!({"text": "x"}), "miss.param.contentOfText");
        refused(
            "sampleActionCard2",
            json!({"title": "t", "text": "x", "actionTitle": "a", "actionURL1": "https://a.b", "actionTitle2": "b", "actionURL2": "https://a.b"}),
            CARD,
        );
        refused(
            "sampleActionCard6",
            json!({"title": "t", "text": "x", "buttonTitle1": "a", "buttonURL1": "https://a.b", "buttonTitle2": "b", "buttonUrl2": "https://a.b"}),
            CARD_URL,
        );
        refused("sampleMarkdown", json!({"title": "t", "text": 5}), "invalidParameter.msgParam.invalid");
        refused("sampleAudio", json!({"mediaId": "@voice", "duration": "1.5"}), "invalidParameter.param.invalid");
        refused("sampleAudio", json!({"mediaId": "@file", "duration": "15"}), "invalidParameter.param.invalid");
        refused(
            "sampleVideo",
            json!({"duration": "1", "videoMediaId": "@video", "videoType": "avi", "picMediaId": "@image"}),
            "invalidParameter.param.invalid",
        );
        refused("sampleImageMsg", json!({"photoURL": "chart.png"}), "invalidParameter.param.invalid");
        refused(
            "sampleLink",
            json!({"text": "t", "title": "t", "messageUrl": "ftp://x"}),
            "invalidParameter.param.invalid",
        );
        refused("sampleNope", json!({}), "invalidParameter.msgKey.invalid");
        assert!(is_known("sampleActionCard5") && !is_known("sampleActionCard7"));
    }

    #[test]
    fn media_rules_per_type() {
        assert_eq!(media_rules("file").map(|r| r.1), Some(20 * 1024 * 1024));
        assert_eq!(media_rules("voice").map(|r| r.1), Some(2 * 1024 * 1024));
        assert!(media_rules("image").is_some_and(|r| !r.0.contains(&"jpeg")), "the upload page lists jpg only");
        assert!(media_rules("thumb").is_none());
    }
}
