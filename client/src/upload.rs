//! What an upload to DingTalk's media store is: a file, its name, and the type DingTalk
//! stores it as.

use bytes::Bytes;

/// What an upload is, as `media/upload`'s `type` says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaType {
    /// `file`: a document for the file template.
    File,
    /// `image`: a picture (image template, link picture, video cover).
    Image,
    /// `voice`: the audio template's sound.
    Voice,
    /// `video`: the video template's film.
    Video,
}

impl MediaType {
    /// The value of `type`.
    pub fn as_str(self) -> &'static str {
        match self {
            MediaType::File => "file",
            MediaType::Image => "image",
            MediaType::Voice => "voice",
            MediaType::Video => "video",
        }
    }
}

/// A file to upload for a template.
pub struct Upload {
    /// The name it is uploaded under (the file's own, Chinese included).
    pub file_name: String,
    /// Its bytes (already checked against DingTalk's size limit for its type).
    pub bytes: Bytes,
    /// What DingTalk stores it as.
    pub media_type: MediaType,
}
