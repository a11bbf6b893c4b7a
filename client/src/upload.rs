//! What an upload to DingTalk's media store is: a file, its name, and the type DingTalk
//! stores it as; and its body as sent, which reports the bytes uploaded ([`UploadBody`]).

use bytes::Bytes;

use crate::call::Call;
use crate::words;

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

/// The size of the pieces an upload's body is handed to the connection in: each piece is one
/// progress report (paced by the [`Call`]).
const PIECE: usize = 64 * 1024;

/// An upload's body, handed over in pieces so that the call can report the bytes sent of the
/// file's size ("Uploading report.pdf: 1.2 of 20 MB"). Its exact size is known, so the request
/// still carries a `Content-Length`.
pub(crate) struct UploadBody {
    body: Bytes,
    sent: usize,
    call: Call,
    file_name: String,
}

impl UploadBody {
    /// The body of `file`'s upload form, reported through `call` when it wants progress; a
    /// call without progress sends the bytes as they are.
    pub(crate) fn body(body: Bytes, call: &Call, file_name: &str) -> reqwest::Body {
        if !call.wants_progress() {
            return reqwest::Body::from(body);
        }
        reqwest::Body::wrap(UploadBody { body, sent: 0, call: call.clone(), file_name: file_name.to_string() })
    }
}

impl http_body::Body for UploadBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        let total = self.body.len();
        if self.sent >= total {
            return std::task::Poll::Ready(None);
        }
        let end = (self.sent + PIECE).min(total);
        let piece = self.body.slice(self.sent..end);
        self.sent = end;
        let (done, all) = (megabytes(end), megabytes(total));
        let name = &self.file_name;
        self.call.progress(
            end as u64,
            total as u64,
            words!(
                en: format!("Uploading {name}: {done} of {all} MB"),
                zh: format!("正在上传 {name}：{done} / {all} MB")
            ),
        );
        std::task::Poll::Ready(Some(Ok(http_body::Frame::data(piece))))
    }

    fn is_end_stream(&self) -> bool {
        self.sent >= self.body.len()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        http_body::SizeHint::with_exact((self.body.len() - self.sent.min(self.body.len())) as u64)
    }
}

/// A byte count in megabytes with one decimal, as a progress text shows it.
fn megabytes(bytes: usize) -> String {
    format!("{:.1}", bytes as f64 / 1_048_576.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::call::Lang;
    use http_body::Body as _;

    #[test]
    fn an_upload_reports_its_bytes_and_ends_at_the_files_size() {
        let call = Call::speaking(Lang::Zh, true);
        let bytes = Bytes::from(vec![7u8; PIECE * 2 + 10]);
        let mut body = UploadBody { body: bytes.clone(), sent: 0, call: call.clone(), file_name: "报告.pdf".into() };
        assert_eq!(body.size_hint().exact(), Some(bytes.len() as u64));
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        let mut got = Vec::new();
        while let std::task::Poll::Ready(Some(Ok(frame))) = std::pin::Pin::new(&mut body).poll_frame(&mut cx) {
            got.extend_from_slice(&frame.into_data().unwrap());
        }
        assert_eq!(got, bytes);
        let reports = call.take_progress(std::time::Instant::now());
        let done: Vec<u64> = reports.iter().map(|r| r.done).collect();
        assert_eq!(done, [PIECE as u64, PIECE as u64 * 2, PIECE as u64 * 2 + 10]);
        assert_eq!(reports[0].total, bytes.len() as u64);
        assert_eq!(reports[0].text, "正在上传 报告.pdf：0.1 / 0.1 MB");
    }
}
