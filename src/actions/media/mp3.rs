//! The length of an mp3 (MPEG-1, 2 or 2.5 audio, layer I, II or III): ID3v2 tags at the start
//! are skipped (their syncsafe size, checked against the file), then the first frame's
//! `Xing`/`Info` or `VBRI` header gives the frame count of a VBR file; without one, the frames
//! are counted, each frame header giving its size from the version, layer, bitrate and sample
//! rate tables. Bytes that are not a frame (a cut-off frame, an ID3v1 or APE tag at the end,
//! junk) are stepped over one at a time until the next frame header.
//!
//! Bounded: every step moves on by at least one byte (a whole frame, a whole tag or one byte),
//! so a file of `n` bytes takes at most `n` steps (2 million for the 2 MB voice limit: 2 ms in
//! a release build); the cancel flag is not needed. Nothing is allocated.

/// Bitrates in kbit/s by [MPEG-1, MPEG-2 and 2.5][layer I, II, III][index 1..=14].
const KBITS: [[[u32; 14]; 3]; 2] = [
    [
        [32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
        [32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
        [32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
    ],
    [
        [32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
        [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
        [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
    ],
];

/// Sample rates in Hz by [MPEG-1, MPEG-2, MPEG-2.5][index 0..=2].
const RATES: [[u32; 3]; 3] = [[44_100, 48_000, 32_000], [22_050, 24_000, 16_000], [11_025, 12_000, 8_000]];

/// What one frame header says.
struct Frame {
    /// The frame's length in bytes, header included.
    len: usize,
    /// Samples per channel it holds.
    samples: u64,
    /// Its sample rate in Hz.
    rate: u64,
    /// Where a Xing/Info header would start, counted from the frame's start: after the
    /// header and the layer III side information.
    xing_at: usize,
}

/// The frame header at the start of `bytes`, or `None` when these 4 bytes are not one (no
/// sync, a reserved version or layer, a free or bad bitrate, a reserved sample rate).
fn frame(bytes: &[u8]) -> Option<Frame> {
    let &[b0, b1, b2, b3, ..] = bytes else { return None };
    if b0 != 0xFF || b1 & 0xE0 != 0xE0 {
        return None;
    }
    // 0: MPEG-2.5, 1: reserved, 2: MPEG-2, 3: MPEG-1.
    let (mpeg1, rates) = match (b1 >> 3) & 3 {
        0 => (false, &RATES[2]),
        2 => (false, &RATES[1]),
        3 => (true, &RATES[0]),
        _ => return None,
    };
    // 1: layer III, 2: layer II, 3: layer I.
    let layer = match (b1 >> 1) & 3 {
        1 => 3,
        2 => 2,
        3 => 1,
        _ => return None,
    };
    let index = usize::from(b2 >> 4);
    if index == 0 || index == 15 {
        return None;
    }
    let kbits = KBITS[usize::from(!mpeg1)][layer - 1][index - 1];
    let rate = *rates.get(usize::from((b2 >> 2) & 3))?;
    let padding = u32::from((b2 >> 1) & 1);
    let bits = kbits * 1000;
    let (len, samples) = match (layer, mpeg1) {
        (1, _) => ((12 * bits / rate + padding) * 4, 384),
        (2, _) | (3, true) => (144 * bits / rate + padding, 1152),
        _ => (72 * bits / rate + padding, 576),
    };
    let mono = b3 >> 6 == 3;
    let side = match (mpeg1, mono) {
        (true, false) => 32,
        (true, true) | (false, false) => 17,
        (false, true) => 9,
    };
    Some(Frame { len: len as usize, samples, rate: u64::from(rate), xing_at: 4 + side })
}

/// Where the audio starts: after the ID3v2 tags at the start of the file (10-byte header,
/// syncsafe size, a 10-byte footer when flagged); `None` when a tag claims more bytes than
/// the file has or its size is not syncsafe.
fn after_tags(bytes: &[u8]) -> Option<usize> {
    let mut at = 0usize;
    while let Some(tag) = bytes.get(at..at + 10).filter(|t| t.starts_with(b"ID3")) {
        let size = tag[6..10].iter().try_fold(0usize, |size, &b| (b < 0x80).then_some(size << 7 | usize::from(b)))?;
        let footer = if tag[5] & 0x10 != 0 { 10 } else { 0 };
        at += 10 + size + footer;
        if at > bytes.len() {
            return None;
        }
    }
    Some(at)
}

/// The big-endian u32 at `at`.
fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.get(at..at.checked_add(4)?)?.try_into().ok()?))
}

/// The frame count a VBR header in the first frame (at `at`) gives: `Xing`/`Info` with its
/// frame-count flag, or `VBRI` (32 bytes after the frame header); `None` without one.
fn vbr_frames(bytes: &[u8], at: usize, first: &Frame) -> Option<u64> {
    let xing = at + first.xing_at;
    let count = match bytes.get(xing..xing + 4) {
        Some(b"Xing" | b"Info") if be32(bytes, xing + 4)? & 1 != 0 => be32(bytes, xing + 8)?,
        _ if bytes.get(at + 36..at + 40) == Some(b"VBRI") => be32(bytes, at + 36 + 14)?,
        _ => return None,
    };
    (count > 0).then_some(u64::from(count))
}

/// The mp3's length in milliseconds (rounded down); `None` when no frame is found.
pub(crate) fn millis(bytes: &[u8]) -> Option<u64> {
    let mut at = after_tags(bytes)?;
    let mut nanos: u64 = 0;
    let mut first = true;
    while at < bytes.len() {
        let Some(f) = frame(&bytes[at..]).filter(|f| f.len <= bytes.len() - at) else {
            at += 1;
            continue;
        };
        if first {
            if let Some(frames) = vbr_frames(bytes, at, &f) {
                return u64::try_from(u128::from(frames) * u128::from(f.samples) * 1000 / u128::from(f.rate)).ok();
            }
            first = false;
        }
        // As encoders and players count it: each frame's length in whole nanoseconds.
        nanos += f.samples * 1_000_000_000 / f.rate;
        // A frame is at least 24 bytes (MPEG-2 layer III at 8 kbit/s, 24 kHz).
        at += f.len;
    }
    let millis = nanos / 1_000_000;
    (millis > 0).then_some(millis)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::media::samples::{id3, mp3, mp3_millis, mp3_xing};

    #[test]
    fn constant_bitrate_frames_are_counted() {
        assert_eq!(millis(&mp3(115)), Some(3004));
        assert_eq!(millis(&mp3(115)), Some(mp3_millis(115)));
        assert_eq!(millis(&mp3(1)), Some(26));
    }

    #[test]
    fn an_id3_tag_is_skipped_and_a_xing_header_gives_the_frame_count() {
        let mut tagged = id3(3000);
        tagged.extend(mp3(115));
        assert_eq!(millis(&tagged), Some(3004));
        // 10,000 frames claimed: 261.2 s, whatever follows.
        assert_eq!(millis(&mp3_xing(10_000, 3)), Some(261_224));
        let mut tagged = id3(10);
        tagged.extend(mp3_xing(115, 114));
        assert_eq!(millis(&tagged), Some(3004));
        // A zero count: the frames are counted instead (the Xing frame is one of them).
        assert_eq!(millis(&mp3_xing(0, 114)), Some(3004));
    }

    #[test]
    fn a_tag_larger_than_the_file_or_not_syncsafe_is_unknown() {
        let mut big = id3(10);
        big[6..10].copy_from_slice(&[0x7F; 4]);
        big.extend(mp3(10));
        assert_eq!(millis(&big), None);
        let mut not_syncsafe = id3(10);
        not_syncsafe[9] = 0x80;
        not_syncsafe.extend(mp3(10));
        assert_eq!(millis(&not_syncsafe), None);
    }

    #[test]
    fn other_versions_and_layers_have_their_own_sizes() {
        // MPEG-2 layer III, 64 kbit/s, 22.05 kHz, mono: 72 * 64000 / 22050 = 208 bytes, 576
        // samples (26.12 ms) each.
        let mut v = Vec::new();
        for _ in 0..100 {
            let at = v.len();
            v.extend_from_slice(&[0xFF, 0xF3, 0x80, 0xC0]);
            v.resize(at + 208, 0);
        }
        assert_eq!(millis(&v), Some(2612));
        // MPEG-1 layer II, 192 kbit/s, 48 kHz: 576 bytes, 24 ms each.
        let mut v = Vec::new();
        for _ in 0..50 {
            let at = v.len();
            v.extend_from_slice(&[0xFF, 0xFD, 0xA4, 0x00]);
            v.resize(at + 576, 0);
        }
        assert_eq!(millis(&v), Some(1200));
    }

    #[test]
    fn junk_between_frames_and_a_cut_off_frame_are_stepped_over() {
        let mut v = mp3(10);
        v.extend_from_slice(b"TAG junk, not audio");
        v.extend(mp3(10));
        v.truncate(v.len() - 1);
        assert_eq!(millis(&v), Some(mp3_millis(19)));
        assert_eq!(millis(&[0xFF; 4096]), None, "bitrate index 15 is never a frame");
        assert_eq!(millis(b""), None);
    }
}
