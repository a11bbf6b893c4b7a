//! Links, pictures and local files.

use rpa_plugin_abi::text;
use serde_json::{Value, json};

use super::*;
use crate::actions::media::{self, LocalFile, MediaSpec};
use crate::actions::params::Params;
use crate::error::Result;

/// The longest link (button, link message) accepted.
pub(crate) const MAX_LINK_CHARS: usize = 2048;

/// A link a message opens: http(s) with a host (sent as the parsed URL, so spaces and the
/// like are percent-encoded), or DingTalk's own `dingtalk://` links (sent as typed), which
/// open a page inside DingTalk or in the system browser.
pub(crate) struct WebLink;

impl Kind for WebLink {
    type Value = String;
    const REQUIRED: bool = true;

    fn schema(&self) -> Value {
        json!({ "type": "string", "format": "uri", "minLength": 1, "maxLength": MAX_LINK_CHARS })
    }

    fn read(&self, name: &str, raw: Option<&Value>, p: &Params<'_>) -> Result<String> {
        let text = read_text(name, raw, MAX_LINK_CHARS, p)?.ok_or_else(|| p.missing(name))?;
        link(text.trim()).ok_or_else(|| {
            let shown = crate::redact::url(text.trim());
            p.error(
                name,
                text!(
                    en: format!("\"{shown}\" is not a web link: it must start with https:// or http:// (or dingtalk://)."),
                    zh: format!("“{shown}”不是网页链接：应以 https:// 或 http://（或 dingtalk://）开头。")
                ),
            )
        })
    }
}

/// `text` as a link a message may open, or `None`.
pub(crate) fn link(text: &str) -> Option<String> {
    let url = reqwest::Url::parse(text).ok()?;
    match url.scheme() {
        "http" | "https" if url.host_str().is_some_and(|h| !h.is_empty()) => Some(url.to_string()),
        "dingtalk" if text.len() > "dingtalk://".len() => Some(text.to_string()),
        _ => None,
    }
}

/// `text` as an http(s) image URL, or `None`.
pub(crate) fn web_url(text: &str) -> Option<String> {
    let url = reqwest::Url::parse(text).ok()?;
    (matches!(url.scheme(), "http" | "https") && url.host_str().is_some_and(|h| !h.is_empty())).then(|| url.to_string())
}

/// A picture: an http(s) URL DingTalk fetches, or a local image file to upload.
pub(crate) enum ImageRef {
    /// An online picture.
    Url(String),
    /// A local picture, read and checked.
    File(LocalFile),
}

impl ImageRef {
    /// Reads `text` (the value of field `name`) as a picture URL or a local image path.
    pub(crate) fn parse(name: &str, text: &str, p: &Params<'_>) -> Result<ImageRef> {
        let text = text.trim();
        if media::is_path(text) {
            return media::load(p, name, text, &media::IMAGE).map(ImageRef::File);
        }
        web_url(text).map(ImageRef::Url).ok_or_else(|| {
            let shown = crate::redact::url(text);
            p.error_with_hint(
                name,
                text!(
                    en: format!("\"{shown}\" is neither an http(s) image URL nor a local file path."),
                    zh: format!("“{shown}”既不是 http(s) 图片链接，也不是本地文件路径。")
                ),
                text!(
                    en: "Give an online image such as https://example.com/chart.png, or the path of a jpg, png, gif or bmp file on this machine.",
                    zh: "请填写网络图片地址，如 https://example.com/chart.png，或本机上 jpg、png、gif、bmp 图片的路径。"
                ),
            )
        })
    }
}

/// The longest file path read.
pub(crate) const MAX_PATH_CHARS: usize = 4096;

/// An optional picture: an http(s) URL or a local image file (uploaded as `image`).
pub(crate) struct Picture;

impl Kind for Picture {
    type Value = Option<ImageRef>;
    const REQUIRED: bool = false;

    fn schema(&self) -> Value {
        json!({ "type": "string", "maxLength": MAX_PATH_CHARS, "x-rpa-file": file_hint(&media::IMAGE) })
    }

    fn read(&self, name: &str, raw: Option<&Value>, p: &Params<'_>) -> Result<Option<ImageRef>> {
        read_text(name, raw, MAX_PATH_CHARS, p)?.map(|t| ImageRef::parse(name, t, p)).transpose()
    }
}

/// A local file of one upload type, read and checked when the action is prepared.
pub(crate) struct LocalFilePath {
    pub(crate) spec: &'static MediaSpec,
}

impl Kind for LocalFilePath {
    type Value = LocalFile;
    const REQUIRED: bool = true;

    fn schema(&self) -> Value {
        json!({ "type": "string", "minLength": 1, "maxLength": MAX_PATH_CHARS, "x-rpa-file": file_hint(self.spec) })
    }

    fn read(&self, name: &str, raw: Option<&Value>, p: &Params<'_>) -> Result<LocalFile> {
        let text = read_text(name, raw, MAX_PATH_CHARS, p)?.ok_or_else(|| p.missing(name))?;
        media::load(p, name, text, self.spec)
    }
}

/// What a designer's file picker may filter on: the extensions and the size limit.
pub(crate) fn file_hint(spec: &MediaSpec) -> Value {
    json!({ "extensions": spec.types, "maxBytes": spec.max_bytes })
}

/// An optional online picture: an http(s) URL DingTalk fetches (nothing is uploaded).
pub(crate) struct WebPicture;

impl Kind for WebPicture {
    type Value = Option<String>;
    const REQUIRED: bool = false;

    fn schema(&self) -> Value {
        json!({ "type": "string", "format": "uri", "maxLength": MAX_LINK_CHARS })
    }

    fn read(&self, name: &str, raw: Option<&Value>, p: &Params<'_>) -> Result<Option<String>> {
        let Some(text) = read_text(name, raw, MAX_LINK_CHARS, p)? else { return Ok(None) };
        web_url(text.trim()).map(Some).ok_or_else(|| {
            let shown = crate::redact::url(text.trim());
            p.error(
                name,
                text!(
                    en: format!("\"{shown}\" is not an http(s) image URL; a custom robot cannot upload a local picture."),
                    zh: format!("“{shown}”不是 http(s) 图片链接；自定义机器人无法上传本地图片。")
                ),
            )
        })
    }
}
