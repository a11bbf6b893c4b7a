//! The length of an AMR file in its storage format (RFC 4867 section 5): `#!AMR\n`
//! (narrowband) or `#!AMR-WB\n` (wideband), then frames of 20 ms whose first byte's frame
//! type (bits 3-6) gives their size. No maintained crate reads it, so its frames are counted
//! here. Multi-channel files and reserved frame types are unknown; a cut-off last frame is not
//! counted.
//!
//! Bounded: each step moves past a whole frame of at least 1 byte, so a file of `n` bytes
//! takes at most `n` steps (2 million for the 2 MB voice limit: 30 ms in a release build); the
//! cancel flag is not needed.
//! The length is counted from the bytes present, so it cannot claim more than they hold.

/// Speech bytes after the one-byte frame header, by narrowband frame type (`None`: reserved).
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

/// The same for wideband.
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

/// The AMR file's length in milliseconds (20 per whole frame); `None` when it is not single-
/// channel AMR or holds a reserved frame type. An empty frame list is 0 ms.
pub(crate) fn millis(bytes: &[u8]) -> Option<u64> {
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
mod tests {
    use super::*;
    use crate::actions::media::samples::amr;

    #[test]
    fn amr_frames_are_counted() {
        assert_eq!(millis(&amr(150)), Some(3000));
        let mut cut = amr(3);
        cut.truncate(cut.len() - 1);
        assert_eq!(millis(&cut), Some(40), "a cut-off last frame does not count");
        assert_eq!(millis(b"#!AMR-WB\n\x44"), Some(0), "an empty frame list is 0 ms");
        assert_eq!(millis(b"#!AMR\n\x48"), None, "a reserved frame type");
        assert_eq!(millis(b"#!AMR\n"), Some(0));
        assert_eq!(millis(b"RIFF"), None);
        assert_eq!(millis(b"#!AMR_MC1.0\n"), None, "multi-channel");
    }
}
