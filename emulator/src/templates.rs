//! Robot message templates: `msgKey` -> the fields its `msgParam` must hold.

/// The fields `msgParam` must hold for `msg_key`, or `None` for an unknown template.
pub(crate) fn required_fields(msg_key: &str) -> Option<&'static [&'static str]> {
    Some(match msg_key {
        "sampleText" => &["content"],
        "sampleMarkdown" => &["title", "text"],
        "sampleImageMsg" => &["photoURL"],
        "sampleLink" => &["text", "title", "picUrl", "messageUrl"],
        "sampleActionCard" => &["title", "text", "singleTitle", "singleURL"],
        "sampleActionCard2" | "sampleActionCard3" | "sampleActionCard4" | "sampleActionCard5" | "sampleActionCard6" => {
            &["title", "text"]
        }
        "sampleAudio" => &["mediaId", "duration"],
        "sampleFile" => &["mediaId", "fileName", "fileType"],
        "sampleVideo" => &["duration", "videoMediaId", "videoType", "picMediaId"],
        _ => return None,
    })
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
    #[test]
    fn known_templates() {
        assert_eq!(super::required_fields("sampleText"), Some(&["content"][..]));
        assert!(super::required_fields("sampleFile").is_some());
        assert!(super::required_fields("nope").is_none());
        assert_eq!(super::media_rules("file").map(|r| r.1), Some(20 * 1024 * 1024));
        assert!(super::media_rules("thumb").is_none());
    }
}
