//! The length of a WAV file (RIFF `WAVE`, PCM or IEEE float samples, plain or extensible):
//! the chunks after the RIFF header are walked to `fmt ` (channels, sample rate, block size)
//! and then `data`, whose length is taken as the smaller of what its header claims and the
//! bytes the file actually holds after it, so a header claiming 4 GB in a 108-byte file
//! counts the 64 bytes that are there.
//!
//! Bounded: each step moves past a whole chunk of at least 8 bytes, so a file of `n` bytes
//! takes at most `n / 8` steps (262,144 for the 2 MB voice limit: 0.5 ms in a release build);
//! the cancel flag is not needed. Nothing is allocated.

/// What `fmt ` says of the samples.
struct Format {
    /// Bytes per sample frame (all channels): `nBlockAlign`.
    block: u64,
    /// Sample frames per second.
    rate: u64,
}

/// The little-endian number of `N` bytes at `at`.
fn le<const N: usize>(bytes: &[u8], at: usize) -> Option<[u8; N]> {
    bytes.get(at..at.checked_add(N)?)?.try_into().ok()
}

/// Reads a `fmt ` chunk's body: PCM (1), IEEE float (3), or extensible (0xFFFE) with one of
/// those as its sub-format; at least one channel and a sample rate; whole bytes per sample,
/// the block size a whole number of samples per channel, and the byte rate it implies (as a
/// well-formed file has). `None` otherwise: compressed formats' lengths are not read.
fn format(body: &[u8]) -> Option<Format> {
    let tag = u16::from_le_bytes(le(body, 0)?);
    let channels = u16::from_le_bytes(le(body, 2)?);
    let rate = u32::from_le_bytes(le(body, 4)?);
    let byte_rate = u32::from_le_bytes(le(body, 8)?);
    let block = u16::from_le_bytes(le(body, 12)?);
    let bits = u16::from_le_bytes(le(body, 14)?);
    let samples = match tag {
        1 | 3 => tag,
        // WAVE_FORMAT_EXTENSIBLE: the sub-format GUID starts with the format tag.
        0xFFFE => u16::from_le_bytes(le(body, 24)?),
        _ => return None,
    };
    let per_channel = block.checked_div(channels)?;
    let sane = matches!(samples, 1 | 3)
        && rate > 0
        && bits > 0
        && bits % 8 == 0
        && per_channel * channels == block
        && u32::from(bits) <= u32::from(per_channel) * 8
        && u64::from(byte_rate) == u64::from(block) * u64::from(rate);
    sane.then_some(Format { block: u64::from(block), rate: u64::from(rate) })
}

/// The WAV file's length in milliseconds (rounded down); `None` when it has no readable
/// `fmt ` before its `data`, or no whole sample frame.
pub(crate) fn millis(bytes: &[u8]) -> Option<u64> {
    if bytes.get(..4) != Some(b"RIFF") || bytes.get(8..12) != Some(b"WAVE") {
        return None;
    }
    let mut fmt = None;
    let mut at = 12usize;
    while let Some(header) = at.checked_add(8).and_then(|end| bytes.get(at..end)) {
        let claimed = u64::from(u32::from_le_bytes(le(header, 4)?));
        let body = at + 8;
        let present = (bytes.len() - body) as u64;
        match &header[..4] {
            b"data" => {
                let Format { block, rate } = fmt?;
                let frames = claimed.min(present) / block;
                let millis = frames * 1000 / rate;
                return (millis > 0).then_some(millis);
            }
            b"fmt " => {
                // claimed <= present, which is a usize: the cast is exact.
                let end = body + usize::try_from(claimed).ok().filter(|_| claimed <= present)?;
                fmt = Some(format(&bytes[body..end])?);
            }
            _ => {}
        }
        // Chunks are padded to an even length; a chunk past the end ends the walk.
        let next = body as u64 + claimed + (claimed & 1);
        at = usize::try_from(next).ok()?;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::media::samples::{wav, wav_with};

    #[test]
    fn pcm_lengths_are_frames_over_the_rate() {
        assert_eq!(millis(&wav(12_000)), Some(1500));
        assert_eq!(millis(&wav_with(44_100, 2, 16, 44_100 * 3, None)), Some(3000));
        assert_eq!(millis(&wav_with(48_000, 2, 24, 24_000, None)), Some(500));
        assert_eq!(millis(&wav_with(8000, 1, 8, 7, None)), None, "under 1 ms");
    }

    #[test]
    fn a_data_size_past_the_end_counts_the_bytes_there() {
        // The 108-byte file: 64 bytes of data claiming 0xFFFFFFF0, 8 kHz 16-bit mono.
        let short = wav_with(8000, 1, 16, 32, Some(0xFFFF_FFF0));
        assert_eq!(short.len(), 108);
        assert_eq!(millis(&short), Some(4));
        let at_1_hz = wav_with(1, 1, 16, 32, Some(0xFFFF_FFF0));
        assert_eq!(millis(&at_1_hz), Some(32_000), "32 samples at 1 Hz; the size rule refuses it");
    }

    #[test]
    fn other_chunks_are_skipped_with_their_padding() {
        let plain = wav(8000);
        let mut v = plain[..12].to_vec();
        v.extend_from_slice(b"LIST");
        v.extend_from_slice(&3u32.to_le_bytes());
        v.extend_from_slice(b"abc\0"); // 3 bytes and a pad byte
        v.extend_from_slice(&plain[12..]);
        assert_eq!(millis(&v), Some(1000));
        // A chunk claiming more than the file before fmt: unknown.
        v[16..20].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(millis(&v), None);
    }

    #[test]
    fn bad_formats_are_unknown() {
        let base = wav(8000);
        let with = |at: usize, bytes: &[u8]| {
            let mut v = base.clone();
            v[at..at + bytes.len()].copy_from_slice(bytes);
            millis(&v)
        };
        assert_eq!(with(20, &2u16.to_le_bytes()), None, "ADPCM");
        assert_eq!(with(22, &0u16.to_le_bytes()), None, "no channels");
        assert_eq!(with(24, &0u32.to_le_bytes()), None, "0 Hz");
        assert_eq!(with(28, &1u32.to_le_bytes()), None, "a byte rate that does not match");
        assert_eq!(with(32, &0u16.to_le_bytes()), None, "a block of 0 bytes");
        assert_eq!(with(34, &12u16.to_le_bytes()), None, "12 bits");
        assert_eq!(with(16, &14u32.to_le_bytes()), None, "fmt too short for its fields");
        assert_eq!(with(36, b"junk"), None, "no data chunk");
        assert_eq!(millis(&base[..44]), None, "no data");
        assert_eq!(millis(b"RIFF\0\0\0\0WAVE"), None);
        assert_eq!(millis(b"RIFX\0\0\0\0WAVE"), None);
    }

    #[test]
    fn every_truncation_is_unknown_or_shorter() {
        let full = wav(8000);
        for len in 0..full.len() {
            let expected = (len >= 44).then(|| ((len as u64 - 44) / 2) * 1000 / 8000);
            assert_eq!(millis(&full[..len]), expected.filter(|&ms| ms > 0), "cut at {len}");
        }
    }
}
