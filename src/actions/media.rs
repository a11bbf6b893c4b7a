//! Local files the templates upload: what each upload type accepts ([`MediaSpec`]), reading a
//! file once with every check done before anything is uploaded ([`load`]), and the durations
//! of sound and video files read from their headers ([`audio_millis`], [`video_seconds`]).
//!
//! Durations: mp4 through the `mp4` crate (the movie header's duration and timescale), mp3
//! through `mp3-duration` (Xing/Info header, else the frames counted), wav through `hound`
//! (samples per channel over the sample rate). No maintained crate reads AMR, whose storage
//! format (RFC 4867 section 5) is a magic line and then self-sizing 20 ms frames, so its
//! frames are counted here. A parser that fails, or panics on a hostile file, leaves the
//! duration unknown and the user is asked to give it.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use dingtalk_client::{MediaType, Upload};
use rpa_plugin_abi::{Text, text};

use super::Params;
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

/// Runs a header parser on untrusted bytes: a panic inside it means "unknown", not a crash.
fn guarded<T>(parse: impl FnOnce() -> Option<T>) -> Option<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(parse)).ok().flatten()
}

/// The length of an amr, mp3 or wav file in milliseconds (at least 1), or `None` when its
/// header cannot be read.
pub(crate) fn audio_millis(ext: &str, bytes: &[u8]) -> Option<u64> {
    let millis = match ext {
        "amr" => amr_millis(bytes),
        "mp3" => guarded(|| mp3_duration::from_read(&mut Cursor::new(bytes)).ok())
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
        "wav" => guarded(|| {
            let reader = hound::WavReader::new(Cursor::new(bytes)).ok()?;
            let rate = u64::from(reader.spec().sample_rate);
            (rate > 0).then(|| u64::from(reader.duration()) * 1000 / rate)
        }),
        _ => None,
    }?;
    (millis > 0).then_some(millis)
}

/// The length of an mp4 in whole seconds (rounded, at least 1), from its movie header; `None`
/// when it cannot be read or says nothing (a fragmented mp4 may leave it 0).
pub(crate) fn video_seconds(bytes: &[u8]) -> Option<u64> {
    guarded(|| {
        let reader = mp4::Mp4Reader::read_header(Cursor::new(bytes), bytes.len() as u64).ok()?;
        let (duration, timescale) = (reader.moov.mvhd.duration, u64::from(reader.moov.mvhd.timescale));
        if duration == 0 || timescale == 0 {
            return None;
        }
        Some(((u128::from(duration) + u128::from(timescale) / 2) / u128::from(timescale)).max(1))
    })
    .map(|s| u64::try_from(s).unwrap_or(u64::MAX))
}

/// AMR storage format: `#!AMR\n` (narrowband) or `#!AMR-WB\n` (wideband), then frames of 20 ms
/// whose first byte's frame type (bits 3-6) gives their size. Multi-channel files and frame
/// types that are reserved are refused (`None`); a cut-off last frame is not counted.
fn amr_millis(bytes: &[u8]) -> Option<u64> {
    // Speech bytes after the one-byte frame header, by frame type (None = reserved).
    const NB: [Option<usize>; 16] = [
        Some(12),
        Some(13),
        Some(15),
        Some(17),
        Some(19),
        Some(20),
        Some(26),
        Some(31),
        Some(5),
        None,
        None,
        None,
        None,
        None,
        None,
        Some(0),
    ];
    const WB: [Option<usize>; 16] = [
        Some(17),
        Some(23),
        Some(32),
        Some(36),
        Some(40),
        Some(46),
        Some(50),
        Some(58),
        Some(60),
        Some(5),
        None,
        None,
        None,
        None,
        Some(0),
        Some(0),
    ];
    let (sizes, mut at) = if bytes.starts_with(b"#!AMR\n") {
        (&NB, 6)
    } else if bytes.starts_with(b"#!AMR-WB\n") {
        (&WB, 9)
    } else {
        return None;
    };
    let mut frames: u64 = 0;
    while let Some(&header) = bytes.get(at) {
        let size = sizes[usize::from((header >> 3) & 0x0F)]?;
        if at + 1 + size > bytes.len() {
            break;
        }
        at += 1 + size;
        frames += 1;
    }
    Some(frames * 20)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A narrowband AMR file of `frames` 12.2 kbit/s frames (20 ms each).
    pub(crate) fn amr(frames: usize) -> Vec<u8> {
        let mut v = b"#!AMR\n".to_vec();
        for _ in 0..frames {
            v.push(7 << 3 | 0x04);
            v.extend_from_slice(&[0u8; 31]);
        }
        v
    }

    #[test]
    fn amr_frames_are_counted() {
        assert_eq!(amr_millis(&amr(150)), Some(3000));
        let mut cut = amr(3);
        cut.truncate(cut.len() - 1);
        assert_eq!(amr_millis(&cut), Some(40), "a cut-off last frame does not count");
        assert_eq!(amr_millis(b"#!AMR-WB\n\x44"), Some(0), "an empty frame list is 0 ms");
        assert_eq!(amr_millis(b"#!AMR\n\x48"), None, "a reserved frame type");
        assert_eq!(audio_millis("amr", b"#!AMR\n"), None, "0 ms is no sound");
        assert_eq!(amr_millis(b"RIFF"), None);
    }

    #[test]
    fn parsers_survive_garbage() {
        for junk in
            [&b""[..], b"\xFF\xFB", b"ID3\x04\x00\x00\x7F\x7F\x7F\x7F", b"RIFF\0\0\0\0WAVE", b"\0\0\0\x18ftypmp42"]
        {
            for ext in ["amr", "mp3", "wav"] {
                let _ = audio_millis(ext, junk);
            }
            assert_eq!(video_seconds(junk), None);
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
