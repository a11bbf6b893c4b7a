//! Small media files the tests write themselves, each valid enough for the plugin to read its
//! type and (for sound and video) its length from its header, as a real encoder writes it.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// A 1x1 PNG (signature, IHDR, IDAT, IEND with their CRCs).
pub(crate) fn png() -> Vec<u8> {
    vec![
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00,
        0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00, 0x00, 0x00,
        0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D,
        0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
    ]
}

/// The start of a JFIF JPEG (SOI, APP0) and its end (EOI).
pub(crate) fn jpg() -> Vec<u8> {
    let mut v = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
    v.extend_from_slice(b"JFIF\0\x01\x01\x00\x00\x01\x00\x01\x00\x00");
    v.extend_from_slice(&[0xFF, 0xD9]);
    v
}

/// A narrowband AMR file of `frames` 12.2 kbit/s frames: 20 ms each.
pub(crate) fn amr(frames: usize) -> Vec<u8> {
    let mut v = b"#!AMR\n".to_vec();
    for _ in 0..frames {
        v.push(7 << 3 | 0x04);
        v.extend_from_slice(&[0x55; 31]);
    }
    v
}

/// A PCM WAV file, 8 kHz mono 16-bit, of `samples` samples (`samples / 8` milliseconds).
pub(crate) fn wav(samples: u32) -> Vec<u8> {
    wav_with(8000, 1, 16, samples, None)
}

/// An MPEG-1 layer III file of `frames` frames at 128 kbit/s, 44.1 kHz, stereo: 417 bytes and
/// 1152 samples (26.122448 ms) each.
pub(crate) fn mp3(frames: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(frames * 417);
    for _ in 0..frames {
        let start = v.len();
        v.extend_from_slice(&[0xFF, 0xFB, 0x90, 0x00]);
        v.resize(start + 417, 0);
    }
    v
}

/// The milliseconds `mp3(frames)` lasts: 1152 samples at 44.1 kHz per frame.
pub(crate) fn mp3_millis(frames: u64) -> u64 {
    frames * (1152 * 1_000_000_000 / 44_100) / 1_000_000
}

/// An mp4 box: its 32-bit size, its type, its body.
pub(crate) fn mp4_box(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut v = ((body.len() + 8) as u32).to_be_bytes().to_vec();
    v.extend_from_slice(kind);
    v.extend_from_slice(body);
    v
}

/// An mp4 with an `ftyp` (24 bytes), a `moov` holding a version-0 movie header (a 108-byte
/// `mvhd` at offset 32) of `duration` units of `timescale` per second, and a small `mdat`.
pub(crate) fn mp4(timescale: u32, duration: u32) -> Vec<u8> {
    let mut times = 0u32.to_be_bytes().repeat(2); // creation, modification
    times.extend_from_slice(&timescale.to_be_bytes());
    times.extend_from_slice(&duration.to_be_bytes());
    movie(0, &times)
}

/// [`mp4`] with a version-1 movie header (64-bit times and duration; a 120-byte `mvhd`).
pub(crate) fn mp4_v1(timescale: u32, duration: u64) -> Vec<u8> {
    let mut times = 0u64.to_be_bytes().repeat(2); // creation, modification
    times.extend_from_slice(&timescale.to_be_bytes());
    times.extend_from_slice(&duration.to_be_bytes());
    movie(1, &times)
}

/// `ftyp`, `moov` with an `mvhd` of `version` whose times (creation to duration) are `times`,
/// then a small `mdat`.
fn movie(version: u8, times: &[u8]) -> Vec<u8> {
    let mut ftyp = b"isom".to_vec();
    ftyp.extend_from_slice(&0x200u32.to_be_bytes());
    ftyp.extend_from_slice(b"isommp41");
    let mut mvhd = vec![version, 0, 0, 0]; // version, flags
    mvhd.extend_from_slice(times);
    mvhd.extend_from_slice(&0x0001_0000u32.to_be_bytes()); // rate 1.0
    mvhd.extend_from_slice(&0x0100u16.to_be_bytes()); // volume 1.0
    mvhd.extend_from_slice(&[0u8; 10]); // reserved
    for m in [0x0001_0000u32, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000] {
        mvhd.extend_from_slice(&m.to_be_bytes());
    }
    mvhd.extend_from_slice(&[0u8; 24]); // pre-defined
    mvhd.extend_from_slice(&2u32.to_be_bytes()); // next track id
    let mut v = mp4_box(b"ftyp", &ftyp);
    v.extend(mp4_box(b"moov", &mp4_box(b"mvhd", &mvhd)));
    v.extend(mp4_box(b"mdat", &[0u8; 64]));
    v
}

/// `depth` `udta` boxes each inside the one before, around an empty `free` box.
pub(crate) fn nested_boxes(depth: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(8 * depth + 8);
    for level in 0..depth {
        v.extend_from_slice(&((8 * (depth - level) + 8) as u32).to_be_bytes());
        v.extend_from_slice(b"udta");
    }
    v.extend_from_slice(&8u32.to_be_bytes());
    v.extend_from_slice(b"free");
    v
}

/// An ID3v2.4 tag of `body` bytes (its size syncsafe, as the format writes it).
pub(crate) fn id3(body: usize) -> Vec<u8> {
    let size = body as u32;
    let mut v = b"ID3\x04\x00\x00".to_vec();
    v.extend([(size >> 21) as u8 & 0x7F, (size >> 14) as u8 & 0x7F, (size >> 7) as u8 & 0x7F, size as u8 & 0x7F]);
    v.resize(10 + body, 0);
    v
}

/// [`mp3`] of `frames + 1` frames whose first one holds a LAME-style `Xing` header saying the
/// file holds `claimed` frames.
pub(crate) fn mp3_xing(claimed: u32, frames: usize) -> Vec<u8> {
    let mut v = mp3(frames + 1);
    // MPEG-1 stereo: the side information is 32 bytes, after the 4-byte frame header.
    v[36..40].copy_from_slice(b"Xing");
    v[40..44].copy_from_slice(&1u32.to_be_bytes()); // flags: the frame count is present
    v[44..48].copy_from_slice(&claimed.to_be_bytes());
    v
}

/// A PCM WAV file of `frames` sample frames at `rate` Hz, `channels` channels of `bits` bits,
/// whose `data` chunk says it holds `claimed` bytes (`None`: the bytes it does hold).
pub(crate) fn wav_with(rate: u32, channels: u16, bits: u16, frames: u32, claimed: Option<u32>) -> Vec<u8> {
    let block = channels * bits.div_ceil(8);
    let data = frames * u32::from(block);
    let mut v = Vec::with_capacity(44 + data as usize);
    v.extend_from_slice(b"RIFF");
    v.extend_from_slice(&(36 + data).to_le_bytes());
    v.extend_from_slice(b"WAVEfmt ");
    v.extend_from_slice(&16u32.to_le_bytes());
    v.extend_from_slice(&1u16.to_le_bytes()); // PCM
    v.extend_from_slice(&channels.to_le_bytes());
    v.extend_from_slice(&rate.to_le_bytes());
    v.extend_from_slice(&(rate * u32::from(block)).to_le_bytes()); // bytes per second
    v.extend_from_slice(&block.to_le_bytes()); // block align
    v.extend_from_slice(&bits.to_le_bytes());
    v.extend_from_slice(b"data");
    v.extend_from_slice(&claimed.unwrap_or(data).to_le_bytes());
    v.resize(44 + data as usize, 0);
    v
}

/// A folder of its own for one test's files.
pub(crate) fn dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dingtalk-media-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temp folder");
    dir
}

/// Writes `bytes` as `dir/name` and returns its path as text.
pub(crate) fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("the file is written");
    path.to_string_lossy().into_owned()
}
