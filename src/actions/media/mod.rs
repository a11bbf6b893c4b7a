//! Local files the templates upload: what each upload type accepts ([`MediaSpec`]), reading a
//! file once with every check done before anything is uploaded ([`load`]), and the lengths of
//! sound and video files read from their headers ([`audio_millis`], [`video_seconds`]).
//!
//! Lengths come from small readers written for hostile files, one per format: [`mp4`] (the
//! movie header's duration and timescale), [`mp3`] (a Xing/Info/VBRI frame count, else the
//! frames counted), [`wav`] (the PCM data present over the block size and rate) and [`amr`]
//! (its 20 ms frames counted). Each reads only a slice of the file it was given, allocates
//! nothing from a size a header claims, and ends in one pass over at most the file's bytes,
//! so none can hang, abort or exhaust the host. A length is then believed only within the
//! field's bounds (1 ms to 24 hours) and when the file's size can hold it (a bitrate floor per
//! format, [`MP4_MIN_BITS`] and [`AUDIO_MIN_BITS`]); otherwise ([`Doubt`]) the user is asked
//! to type it.

mod amr;
mod mp3;
mod mp4;
#[cfg(test)]
mod properties;
/// Valid media files made in code, shared with the end-to-end tests.
#[cfg(test)]
#[path = "../../../tests/support/media.rs"]
pub(crate) mod samples;
mod wav;

use std::path::{Path, PathBuf};

use bytes::Bytes;
use dingtalk_client::{MediaType, Upload};
use rpa_plugin_abi::{Text, text};

use super::Params;
use super::template::MAX_DURATION_SECONDS;
use crate::error::Result;

/// What one upload `type` accepts (DingTalk's upload page; the message-type page's narrower
/// lists are noted where they differ).
pub(crate) struct MediaSpec {
    /// The `type` it is uploaded as.
    pub(crate) media_type: MediaType,
    /// Allowed extensions, lower case.
    pub(crate) types: &'static [&'static str],
    /// The size limit in bytes.
    pub(crate) max_bytes: u64,
    /// What such a file is called in messages.
    pub(crate) what: Text,
}

const MB: u64 = 1024 * 1024;

/// The file template's documents: `file`, at most 20 MB.
pub(crate) const DOCUMENT: MediaSpec = MediaSpec {
    media_type: MediaType::File,
    types: &["doc", "docx", "xls", "xlsx", "ppt", "pptx", "zip", "pdf", "rar"],
    max_bytes: 20 * MB,
    what: text!(en: "file", zh: "文件"),
};

/// Pictures: `image`, at most 20 MB. The upload page lists jpg, gif, png and bmp; a `.jpeg`
/// file is the same format and is uploaded under a `.jpg` name.
pub(crate) const IMAGE: MediaSpec = MediaSpec {
    media_type: MediaType::Image,
    types: &["jpg", "jpeg", "png", "gif", "bmp"],
    max_bytes: 20 * MB,
    what: text!(en: "image", zh: "图片"),
};

/// The audio template's sound: `voice`, at most 2 MB. The upload page takes amr, mp3 and wav;
/// the message-type page names ogg and amr, and ogg is not uploadable, so the upload page's
/// list is the one that works.
pub(crate) const VOICE: MediaSpec = MediaSpec {
    media_type: MediaType::Voice,
    types: &["amr", "mp3", "wav"],
    max_bytes: 2 * MB,
    what: text!(en: "audio file", zh: "音频文件"),
};

/// The video template's film: `video`, mp4 only, at most 20 MB.
pub(crate) const VIDEO: MediaSpec = MediaSpec {
    media_type: MediaType::Video,
    types: &["mp4"],
    max_bytes: 20 * MB,
    what: text!(en: "video", zh: "视频"),
};

/// A local file read and checked, ready to upload.
pub(crate) struct LocalFile {
    /// The upload (name, bytes, type).
    pub(crate) upload: Upload,
    /// Its extension, lower case (`pdf`, `mp3`).
    pub(crate) ext: String,
}

/// Whether `text` names a local file rather than a URL: no `scheme://` of two letters or more
/// (`C:\...` is a Windows path, not a scheme).
pub(crate) fn is_path(text: &str) -> bool {
    let is_url = text.split_once(':').is_some_and(|(scheme, rest)| {
        scheme.len() >= 2
            && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
            && rest.starts_with("//")
    });
    !is_url
}

/// Why a file could not be read, in Chinese: the system's message is English, so its kind is
/// told instead (with the system's error number when it is of no kind named here).
fn io_words_zh(e: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::NotFound => "找不到该文件".to_string(),
        ErrorKind::PermissionDenied => "没有读取权限".to_string(),
        ErrorKind::IsADirectory => "这是一个文件夹".to_string(),
        ErrorKind::InvalidFilename | ErrorKind::InvalidInput => "路径无效".to_string(),
        ErrorKind::Interrupted | ErrorKind::TimedOut => "读取被中断".to_string(),
        _ => match e.raw_os_error() {
            Some(n) => format!("系统读取出错（错误码 {n}）"),
            None => "系统读取出错".to_string(),
        },
    }
}

/// Reads the local file `path_text` for field `field`: a regular file of one of `spec`'s
/// types, 1 byte to its size limit, with a name that can travel in a header, whose content
/// looks like its type. Read now, at most the limit plus one chunk and with the cancel flag
/// checked as it goes, so that nothing is uploaded unless all of it is fine; a file that
/// changes while it is read is refused.
pub(crate) fn load(p: &Params<'_>, field: &str, path_text: &str, spec: &MediaSpec) -> Result<LocalFile> {
    // Windows' "copy as path" wraps the path in quotes.
    let path = PathBuf::from(path_text.trim().trim_matches('"'));
    let shown = path.display().to_string();
    let types = spec.types.join(", ");
    let types_zh = spec.types.join("、");
    let Text { en: what_en, zh_cn: what_zh } = &spec.what;
    let refuse = |message: Text, hint: Text| p.error_with_hint(field, message, hint);
    let unreadable = |why: Option<std::io::Error>| {
        let why_en = why.as_ref().map(|e| format!(": {e}")).unwrap_or_default();
        let why_zh = why.as_ref().map(|e| format!("：{}", io_words_zh(e))).unwrap_or_default();
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
    let ext = extension(&path);
    if ext.is_empty() {
        return Err(refuse(
            text!(en: format!("The file \"{file_name}\" has no extension, so DingTalk cannot tell its type."), zh: format!("文件“{file_name}”没有扩展名，钉钉无法识别其类型。")),
            text!(en: format!("Rename it with its type's extension ({types})."), zh: format!("请为文件加上对应的扩展名（{types_zh}）。")),
        ));
    }
    if !spec.types.contains(&ext.as_str()) {
        return Err(refuse(
            text!(en: format!("DingTalk does not accept \".{ext}\" files as a robot message's {what_en}."), zh: format!("钉钉机器人消息的{what_zh}不支持“.{ext}”文件。")),
            text!(en: format!("Allowed: {types}."), zh: format!("支持的类型：{types_zh}。")),
        ));
    }
    let max = spec.max_bytes;
    let max_mb = max / MB;
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
                text!(en: format!("The {what_en} is {at_least}{size} bytes; DingTalk takes at most {max} bytes ({max_mb} MB)."), zh: format!("{what_zh}大小为 {zh_at_least}{size} 字节，钉钉最多接受 {max} 字节（{max_mb} MB）。")),
                text!(en: "Compress or split the file, or share a link to it instead.", zh: "请压缩或拆分文件，或改为发送文件链接。"),
            )
        }
    };
    if meta.len() == 0 || meta.len() > max {
        return Err(size_error(meta.len(), false));
    }
    let mut file = open_regular(&path).map_err(|e| unreadable(Some(e)))?;
    let opened = file.metadata().map_err(|e| unreadable(Some(e)))?;
    if !opened.is_file() {
        return Err(not_regular(&opened));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(opened.len().min(max)).unwrap_or(0));
    let mut chunk = vec![0u8; 1 << 20];
    loop {
        p.check_cancelled()?;
        let n = std::io::Read::read(&mut file, &mut chunk).map_err(|e| unreadable(Some(e)))?;
        if n == 0 {
            break;
        }
        bytes.extend_from_slice(&chunk[..n]);
        if bytes.len() as u64 > max {
            return Err(size_error(max, true));
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
    if !looks_like(&ext, &bytes) {
        return Err(refuse(
            text!(en: format!("The file \"{file_name}\" is named .{ext} but its content is not a .{ext} file."), zh: format!("文件“{file_name}”的扩展名是 .{ext}，但内容不是 .{ext} 格式。")),
            text!(en: format!("Save or export it as a real {ext} file ({types}), or give the right file."), zh: format!("请将其另存或导出为真正的 {ext} 文件（{types_zh}），或选择正确的文件。")),
        ));
    }
    // The upload page lists jpg, not jpeg: the same bytes go under a .jpg name.
    let upload_name = match file_name.rsplit_once('.') {
        Some((stem, _)) if ext == "jpeg" => format!("{stem}.jpg"),
        _ => file_name,
    };
    let upload = Upload { file_name: upload_name, bytes: Bytes::from(bytes), media_type: spec.media_type };
    Ok(LocalFile { upload, ext })
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

/// Whether the first bytes match the extension's format (documents are not checked: their
/// formats are many and DingTalk does not open them).
fn looks_like(ext: &str, bytes: &[u8]) -> bool {
    let at = |offset: usize, magic: &[u8]| bytes.get(offset..offset + magic.len()) == Some(magic);
    match ext {
        "jpg" | "jpeg" => at(0, &[0xFF, 0xD8, 0xFF]),
        "png" => at(0, b"\x89PNG\r\n\x1a\n"),
        "gif" => at(0, b"GIF87a") || at(0, b"GIF89a"),
        "bmp" => at(0, b"BM"),
        "amr" => at(0, b"#!AMR"),
        "wav" => at(0, b"RIFF") && at(8, b"WAVE"),
        "mp3" => at(0, b"ID3") || bytes.len() >= 2 && bytes[0] == 0xFF && bytes[1] & 0xE0 == 0xE0,
        "mp4" => at(4, b"ftyp"),
        _ => true,
    }
}

/// Why a file's own length is not used; the user is then asked to type it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Doubt {
    /// No length could be read: no header, a broken one, or one that says 0 or "unknown".
    Unreadable,
    /// The header says the file lasts `millis`, more than the 24 hours a message allows.
    OverADay {
        /// The length the header gives.
        millis: u128,
    },
    /// The header says the file lasts `millis`, longer than its `bytes` can hold at
    /// `min_bits` bit/s, the lowest whole-file bitrate believed for its format.
    TooFewBytes {
        /// The length the header gives.
        millis: u128,
        /// The file's size.
        bytes: u64,
        /// The bitrate floor it failed.
        min_bits: u64,
    },
}

/// The lowest bitrate over a whole mp4 that is believed, in bit/s: a film can hold one still
/// picture for a long time, so this is far below any real video's (a 212-byte header-only
/// test file of 7 s is 242 bit/s); it refuses a 1 KB file claiming more than 82 seconds.
pub(crate) const MP4_MIN_BITS: u64 = 100;

/// The same for mp3 and wav, in bit/s: MPEG audio's lowest bitrate is 8 kbit/s and 8 kHz
/// 8-bit mono PCM is 64 kbit/s, so 1 kbit/s leaves room for tags and headers. AMR has no
/// floor: its length is counted from the frames present (silence can be 0.4 kbit/s).
pub(crate) const AUDIO_MIN_BITS: u64 = 1000;

/// The longest length believed, in milliseconds: the field's bound.
const MAX_MILLIS: u64 = MAX_DURATION_SECONDS.unsigned_abs() * 1000;

/// Whether `bytes` bytes can hold `millis` at `min_bits` bit/s (`None`: no floor).
fn within_size(millis: u128, bytes: usize, min_bits: Option<u64>) -> std::result::Result<(), Doubt> {
    let bytes = bytes as u64;
    match min_bits {
        Some(min_bits) if millis * u128::from(min_bits) > u128::from(bytes) * 8000 => {
            Err(Doubt::TooFewBytes { millis, bytes, min_bits })
        }
        _ => Ok(()),
    }
}

/// The length of an amr, mp3 or wav file in milliseconds (1 ms to 24 hours), read from the
/// file and believed only when its size can hold it ([`AUDIO_MIN_BITS`]).
///
/// Every reader is bounded rather than cancellable: one pass over at most the file's bytes,
/// each step moving on (see each module), so the 2 MB voice limit is read in milliseconds.
pub(crate) fn audio_millis(ext: &str, bytes: &[u8]) -> std::result::Result<u64, Doubt> {
    let (millis, floor) = match ext {
        "amr" => (amr::millis(bytes), None),
        "mp3" => (mp3::millis(bytes), Some(AUDIO_MIN_BITS)),
        "wav" => (wav::millis(bytes), Some(AUDIO_MIN_BITS)),
        _ => (None, None),
    };
    let millis = millis.filter(|&ms| ms > 0).ok_or(Doubt::Unreadable)?;
    if millis > MAX_MILLIS {
        return Err(Doubt::OverADay { millis: millis.into() });
    }
    within_size(millis.into(), bytes.len(), floor).map(|()| millis)
}

/// The length of an mp4 in whole seconds (rounded, at least 1, at most 24 hours), from its
/// movie header, believed only when its size can hold it ([`MP4_MIN_BITS`]); a fragmented
/// mp4 may leave the header's length 0, which is unreadable.
///
/// The reader is bounded rather than cancellable: one walk over the top-level boxes and
/// `moov`'s, at least 8 bytes a step, so the 20 MB video limit is read in milliseconds.
pub(crate) fn video_seconds(bytes: &[u8]) -> std::result::Result<u64, Doubt> {
    let millis = mp4::millis(bytes).ok_or(Doubt::Unreadable)?;
    let seconds = (millis / 1000 + u128::from(millis % 1000 >= 500)).max(1);
    let seconds = u64::try_from(seconds)
        .ok()
        .filter(|&s| s <= MAX_DURATION_SECONDS.unsigned_abs())
        .ok_or(Doubt::OverADay { millis })?;
    within_size(millis, bytes.len(), Some(MP4_MIN_BITS)).map(|()| seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_read_is_told_in_chinese_by_its_kind() {
        use std::io::{Error, ErrorKind};
        assert_eq!(io_words_zh(&Error::from(ErrorKind::NotFound)), "找不到该文件");
        assert_eq!(io_words_zh(&Error::from(ErrorKind::PermissionDenied)), "没有读取权限");
        let odd = io_words_zh(&Error::from_raw_os_error(5));
        assert!(odd.contains('5') && !odd.contains("error"), "{odd}");
    }
    use samples::{amr, mp3, mp3_xing, mp4, mp4_v1, wav, wav_with};

    #[test]
    fn lengths_within_bounds_and_size_are_believed() {
        assert_eq!(audio_millis("amr", &amr(150)), Ok(3000));
        assert_eq!(audio_millis("mp3", &mp3(115)), Ok(3004));
        assert_eq!(audio_millis("wav", &wav(12_000)), Ok(1500));
        assert_eq!(video_seconds(&mp4(600, 4_230)), Ok(7), "7.05 s");
        assert_eq!(video_seconds(&mp4(1000, 7_500)), Ok(8), "7.5 s rounds up");
        assert_eq!(video_seconds(&mp4(1000, 300)), Ok(1), "at least 1 s");
        assert_eq!(audio_millis("ogg", b"OggS"), Err(Doubt::Unreadable));
        assert_eq!(audio_millis("amr", b"#!AMR\n"), Err(Doubt::Unreadable), "0 ms is no sound");
    }

    #[test]
    fn lengths_past_a_day_are_refused() {
        // The mvhd: timescale 1, duration 2^64-2 (all ones means "unknown").
        let millis = u128::from(u64::MAX - 1) * 1000;
        assert_eq!(video_seconds(&mp4_v1(1, u64::MAX - 1)), Err(Doubt::OverADay { millis }));
        assert_eq!(video_seconds(&mp4_v1(1, u64::MAX)), Err(Doubt::Unreadable));
        // Ten days.
        assert_eq!(video_seconds(&mp4(1, 864_000)), Err(Doubt::OverADay { millis: 864_000_000 }));
        // One day is the bound; a day and a half-second rounds to it.
        let mut day = mp4(1000, 86_400_499);
        day.resize(1_100_000, 0);
        assert_eq!(video_seconds(&day), Ok(86_400));
        assert_eq!(video_seconds(&mp4(1000, 86_400_500)), Err(Doubt::OverADay { millis: 86_400_500 }));
        // A Xing header claiming 2^32-1 frames: 31 hours.
        let claimed = u32::MAX;
        let millis = u128::from(claimed) * 1152 * 1000 / 44_100;
        assert_eq!(audio_millis("mp3", &mp3_xing(claimed, 1)), Err(Doubt::OverADay { millis }));
    }

    #[test]
    fn lengths_the_bytes_cannot_hold_are_refused() {
        // 212 bytes: at 100 bit/s, at most 16.96 s.
        let film = mp4(1000, 16_960);
        assert_eq!(film.len(), 212);
        assert_eq!(video_seconds(&film), Ok(17));
        let (millis, bytes, min_bits) = (16_961, 212, MP4_MIN_BITS);
        assert_eq!(video_seconds(&mp4(1000, 16_961)), Err(Doubt::TooFewBytes { millis, bytes, min_bits }));
        // 10,000 frames (261 s) claimed by a 1,668-byte mp3: 51 bit/s.
        let song = mp3_xing(10_000, 3);
        let (millis, bytes, min_bits) = (261_224, song.len() as u64, AUDIO_MIN_BITS);
        assert_eq!(audio_millis("mp3", &song), Err(Doubt::TooFewBytes { millis, bytes, min_bits }));
        // The 108-byte wav: 4 ms at 8 kHz; at 1 Hz, 32 s in 108 bytes (27 bit/s).
        assert_eq!(audio_millis("wav", &wav_with(8000, 1, 16, 32, Some(0xFFFF_FFF0))), Ok(4));
        let slow = wav_with(1, 1, 16, 32, Some(0xFFFF_FFF0));
        let (millis, bytes, min_bits) = (32_000, 108, AUDIO_MIN_BITS);
        assert_eq!(audio_millis("wav", &slow), Err(Doubt::TooFewBytes { millis, bytes, min_bits }));
    }

    #[test]
    fn readers_survive_garbage() {
        for junk in
            [&b""[..], b"\xFF\xFB", b"ID3\x04\x00\x00\x7F\x7F\x7F\x7F", b"RIFF\0\0\0\0WAVE", b"\0\0\0\x18ftypmp42"]
        {
            for ext in ["amr", "mp3", "wav"] {
                assert_eq!(audio_millis(ext, junk), Err(Doubt::Unreadable), "{ext}: {junk:?}");
            }
            assert_eq!(video_seconds(junk), Err(Doubt::Unreadable));
        }
    }

    #[test]
    fn paths_and_urls() {
        assert!(is_path("/tmp/a.png"));
        assert!(is_path("C:\\Users\\me\\a.png"));
        assert!(is_path("chart.png"));
        assert!(is_path("./a:b.png"));
        assert!(!is_path("https://example.com/a.png"));
        assert!(!is_path("file:///tmp/a.png"));
    }

    #[test]
    fn magic_bytes_match_the_extension() {
        assert!(looks_like("jpeg", b"\xFF\xD8\xFF\xE0"));
        assert!(looks_like("png", b"\x89PNG\r\n\x1a\n...."));
        assert!(!looks_like("png", b"GIF89a"));
        assert!(looks_like("mp4", b"\0\0\0\x18ftypisom"));
        assert!(!looks_like("wav", b"RIFF\0\0\0\0AVI "));
        assert!(looks_like("pdf", b"anything"));
    }
}

#[cfg(test)]
mod load_tests {
    use super::*;
    use crate::error::Error;

    /// Reads `path` for the file template with a cancel probe that, on its `at`-th call,
    /// appends `grow` bytes: a writer racing the read.
    fn read_while_growing(name: &str, size: usize, at: usize, grow: usize) -> Result<LocalFile> {
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
        let spec = crate::actions::send::ACTION.spec();
        let p = Params::parse("{}", &spec).unwrap().with_cancel(&probe);
        load(&p, "content", path.to_str().unwrap(), &DOCUMENT)
    }

    #[test]
    fn a_file_growing_past_the_limit_while_read_is_refused_without_reading_more() {
        let size = usize::try_from(DOCUMENT.max_bytes).unwrap() - 10;
        match read_while_growing("past-limit", size, 2, 3 << 20) {
            Err(e) => assert!(e.to_payload().message.contains("more than 20971520 bytes"), "{e:?}"),
            Ok(f) => panic!("{} bytes accepted", f.upload.bytes.len()),
        }
    }

    #[test]
    fn a_file_that_changes_while_read_is_refused() {
        match read_while_growing("changed", 3 << 20, 2, 10) {
            Err(e) => assert!(e.to_payload().message.contains("changed while it was being read"), "{e:?}"),
            Ok(f) => panic!("{} bytes accepted", f.upload.bytes.len()),
        }
        let file = read_while_growing("unchanged", 3 << 20, 0, 0).unwrap();
        assert_eq!((file.upload.bytes.len(), file.ext.as_str()), (3 << 20, "pdf"));
        assert_eq!(file.upload.media_type, MediaType::File);
    }

    #[test]
    fn a_jpeg_is_uploaded_under_a_jpg_name_and_a_fake_one_is_refused() {
        let dir = std::env::temp_dir().join(format!("media-unit-jpeg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let real = dir.join("photo 1.JPEG");
        std::fs::write(&real, b"\xFF\xD8\xFF\xE0 jfif").unwrap();
        let fake = dir.join("fake.png");
        std::fs::write(&fake, b"just text").unwrap();
        let spec = crate::actions::send::ACTION.spec();
        let p = Params::parse("{}", &spec).unwrap();
        let file = load(&p, "content", real.to_str().unwrap(), &IMAGE).unwrap();
        assert_eq!((file.upload.file_name.as_str(), file.ext.as_str()), ("photo 1.jpg", "jpeg"));
        assert_eq!(file.upload.media_type, MediaType::Image);
        match load(&p, "picUrl", fake.to_str().unwrap(), &IMAGE) {
            Err(e @ Error::InvalidInput { .. }) => {
                assert_eq!(e.field(), Some("picUrl"));
                assert!(e.to_payload().message.contains("not a .png file"), "{e:?}");
            }
            Err(e) => panic!("{e:?}"),
            Ok(_) => panic!("a text file named .png was accepted"),
        }
    }
}

#[cfg(test)]
mod limit_tests {
    use super::*;
    use std::time::{Duration, Instant};

    /// The slowest file for each reader at its size limit: every step as short as it can be
    /// (8-byte boxes and chunks, 1-byte steps), and no length found at the end.
    fn worst() -> Vec<(&'static str, Vec<u8>)> {
        let limit = |spec: &MediaSpec| usize::try_from(spec.max_bytes).unwrap();
        let mut mp4 = Vec::with_capacity(limit(&VIDEO));
        while mp4.len() < limit(&VIDEO) {
            mp4.extend_from_slice(b"\0\0\0\x08free");
        }
        let mut wav = b"RIFF\0\0\0\0WAVE".to_vec();
        while wav.len() < limit(&VOICE) {
            wav.extend_from_slice(b"junk\0\0\0\0");
        }
        let mut mp3 = Vec::with_capacity(limit(&VOICE));
        while mp3.len() < limit(&VOICE) {
            mp3.extend_from_slice(&[0xFF, 0xFB, 0xF0, 0x00]);
        }
        let mut amr = b"#!AMR\n".to_vec();
        // Empty frames, and a reserved frame type at the end.
        amr.resize(limit(&VOICE) - 1, 0x7C);
        amr.push(9 << 3);
        vec![("mp4", mp4), ("wav", wav), ("mp3", mp3), ("amr", amr)]
    }

    /// Far above what was measured on a loaded 2-core machine (a debug build: mp4 0.22 s,
    /// the others 0.06 s; a release build: mp4 17 ms, amr 30 ms, mp3 2 ms, wav 0.5 ms), and far
    /// below what a reader that went back over the bytes (quadratic) would take.
    const GENEROUS: Duration = Duration::from_secs(3);

    #[test]
    fn the_slowest_files_at_the_size_limit_are_read_at_once() {
        for (ext, bytes) in worst() {
            let mut times = Vec::new();
            for _ in 0..5 {
                let started = Instant::now();
                let read = if ext == "mp4" { video_seconds(&bytes) } else { audio_millis(ext, &bytes) };
                times.push(started.elapsed());
                assert_eq!(std::hint::black_box(read), Err(Doubt::Unreadable), "{ext}");
            }
            times.sort();
            eprintln!("{ext}: {} bytes, median {:?}, {:?} to {:?}", bytes.len(), times[2], times[0], times[4]);
            assert!(times[2] < GENEROUS, "{ext}: {times:?}");
        }
    }
}
