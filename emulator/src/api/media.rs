//! Old-API `POST /media/upload?access_token=..` (multipart, part `media`, `type`).

use std::convert::Infallible;
use std::sync::Arc;
use std::time::SystemTime;

use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use bytes::Bytes;
use serde_json::json;

use super::gate_old;
use crate::call::Call;
use crate::config::PERM_BASE;
use crate::faults::Endpoint;
use crate::ids;
use crate::record::{RecordedPart, RecordedParts, UploadedMedia, unix_ms};
use crate::reply::Reply;
use crate::state::Shared;
use crate::stats::Counters;
use crate::templates::media_rules;

/// Text fields longer than this are not copied into the record.
const MAX_RECORDED_VALUE: usize = 256;

/// The `media` part of an upload.
struct MediaPart {
    filename: String,
    size: u64,
}

/// `POST /media/upload`. The parts read go back to the server's layer with the answer, to be
/// recorded.
pub(crate) async fn upload(State(state): State<Arc<Shared>>, call: Call) -> (Extension<RecordedParts>, Reply) {
    let mut parts = Vec::new();
    let reply = upload_parts(&state, &call, &mut parts).await;
    (Extension(RecordedParts(parts)), reply)
}

/// The upload, recording each part read in `recorded`.
async fn upload_parts(state: &Shared, call: &Call, recorded: &mut Vec<RecordedPart>) -> Reply {
    let rid = call.rid.clone();
    if let Err(r) = gate_old(state, call, Endpoint::MediaUpload, PERM_BASE) {
        return r;
    }
    let body = match &call.body {
        Ok(b) => b.clone(),
        Err(_) => return Reply::old(40006, "不合法的文件大小", &rid),
    };
    let boundary = match call.header("content-type").and_then(|ct| multer::parse_boundary(ct).ok()) {
        Some(b) => b,
        None => return Reply::old(41005, "缺少多媒体文件数据", &rid),
    };
    let (media, form_type) = match read_parts(body, boundary, recorded).await {
        Ok(x) => x,
        Err(()) => return Reply::old(41005, "缺少多媒体文件数据", &rid),
    };
    let media_type = form_type.or_else(|| call.query_param("type")).unwrap_or_default();
    let Some((exts, max_size)) = media_rules(&media_type) else {
        return Reply::old(40004, "不合法的媒体文件类型", &rid);
    };
    let Some(media) = media else {
        return Reply::old(41005, "缺少多媒体文件数据", &rid);
    };
    let ext = media.filename.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    if !exts.contains(&ext.as_str()) {
        return Reply::old(40005, "不合法的文件类型", &rid);
    }
    if media.size == 0 || media.size > max_size {
        return Reply::old(40006, "不合法的文件大小", &rid);
    }
    let media_id = ids::media_id();
    state.uploads.push(UploadedMedia {
        media_id: media_id.clone(),
        filename: media.filename,
        size: media.size,
        media_type: media_type.clone(),
    });
    Counters::bump(&state.counters.uploads, 1);
    Reply::json(
        StatusCode::OK,
        &json!({
            "errcode": 0,
            "errmsg": "ok",
            "type": media_type,
            "media_id": media_id,
            "created_at": unix_ms(SystemTime::now()),
        }),
    )
}

/// Reads every part, recording each; returns the `media` part and the form's `type`.
async fn read_parts(
    body: Bytes,
    boundary: String,
    recorded: &mut Vec<RecordedPart>,
) -> Result<(Option<MediaPart>, Option<String>), ()> {
    let stream = futures_util::stream::once(async move { Ok::<Bytes, Infallible>(body) });
    let mut form = multer::Multipart::new(stream, boundary);
    let mut media = None;
    let mut form_type = None;
    while let Some(field) = form.next_field().await.map_err(|_| ())? {
        let name = field.name().unwrap_or("").to_owned();
        let filename = field.file_name().map(str::to_owned);
        let content_type = field.content_type().map(|m| m.to_string());
        let data = field.bytes().await.map_err(|_| ())?;
        let size = data.len() as u64;
        let value = match (&filename, std::str::from_utf8(&data)) {
            (None, Ok(text)) if text.len() <= MAX_RECORDED_VALUE => Some(text.to_owned()),
            _ => None,
        };
        if name == "media" && media.is_none() {
            if let Some(f) = &filename {
                media = Some(MediaPart { filename: f.clone(), size });
            }
        } else if name == "type" && filename.is_none() && form_type.is_none() {
            form_type = value.clone();
        }
        recorded.push(RecordedPart { name, filename, content_type, size, value });
    }
    Ok((media, form_type))
}
