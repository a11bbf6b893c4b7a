//! The length of an mp4 (ISO base media file, ISO/IEC 14496-12), read from its movie header:
//! the top-level `moov` box, then the `mvhd` box inside it (its timescale and duration, in
//! version 0 or 1). Nothing else of the file is read.
//!
//! Made for hostile files: a box's size is only compared with the bytes around it, never used
//! to allocate; every read is a bounds-checked slice of the file; a box of size 0 runs to the
//! end of its parent, size 1 takes the 64-bit size after the type; a box smaller than its own
//! header or larger than what remains of its parent ends the read as unknown. Only `moov`'s
//! children are looked into (depth 2), so deep nesting costs nothing.
//!
//! Bounded: each step of a walk moves past a whole box of at least 8 bytes, so a file of `n`
//! bytes takes at most `n / 8` steps (2.6 million for the 20 MB video limit: 17 ms in a
//! release build, 0.25 s in a debug one, on a loaded 2-core machine); the cancel flag is not
//! needed.

/// A box header read from the file: its type and where its body and the box itself end.
struct BoxAt {
    /// The four-character type.
    kind: [u8; 4],
    /// Where the body starts (after the 8- or 16-byte header).
    body: usize,
    /// Where the box ends (exclusive), never past its parent's end.
    end: usize,
}

/// The box header at `at`, inside a parent ending at `end` (at most the file's length);
/// `None` when the header does not fit or the box's size is smaller than its header or
/// larger than what remains of the parent.
fn box_at(bytes: &[u8], at: usize, end: usize) -> Option<BoxAt> {
    let room = end.checked_sub(at)?;
    let header = bytes.get(at..at.checked_add(8)?)?;
    let size = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
    let kind = [header[4], header[5], header[6], header[7]];
    let (header_len, size) = match size {
        0 => (8, room as u64),
        1 => {
            let large = bytes.get(at + 8..at + 16)?;
            (16, u64::from_be_bytes(large.try_into().ok()?))
        }
        n => (8, u64::from(n)),
    };
    if size < header_len || size > room as u64 {
        return None;
    }
    // size <= room, which is a usize: the cast is exact.
    Some(BoxAt { kind, body: at + header_len as usize, end: at + size as usize })
}

/// The body (start, end) of the first box of type `kind` among the boxes from `start` to
/// `end`; `None` when there is none or a box before it is broken.
fn find(bytes: &[u8], start: usize, end: usize, kind: &[u8; 4]) -> Option<(usize, usize)> {
    let mut at = start;
    while at < end {
        let found = box_at(bytes, at, end)?;
        if &found.kind == kind {
            return Some((found.body, found.end));
        }
        // found.end >= at + 8: the walk always moves on.
        at = found.end;
    }
    None
}

/// The big-endian number of `N` bytes at `at` in `body`.
fn be<const N: usize>(body: &[u8], at: usize) -> Option<[u8; N]> {
    body.get(at..at + N)?.try_into().ok()
}

/// The mp4's length in milliseconds (rounded down; a u128, as a 64-bit duration at a
/// timescale of 1 is more milliseconds than a u64 holds), from `moov/mvhd`; `None` when there
/// is no readable movie header, or it says 0, "unknown" (all ones) or has a timescale of 0.
pub(crate) fn millis(bytes: &[u8]) -> Option<u128> {
    let (start, end) = find(bytes, 0, bytes.len(), b"moov")?;
    let (body, end) = find(bytes, start, end, b"mvhd")?;
    let mvhd = bytes.get(body..end)?;
    // version (1), flags (3), creation and modification times (4 or 8 each), timescale (4),
    // duration (4 or 8).
    let (timescale, duration) = match mvhd.first()? {
        0 => {
            let duration = u32::from_be_bytes(be(mvhd, 16)?);
            (u32::from_be_bytes(be(mvhd, 12)?), (duration != u32::MAX).then_some(u64::from(duration))?)
        }
        1 => {
            let duration = u64::from_be_bytes(be(mvhd, 24)?);
            (u32::from_be_bytes(be(mvhd, 20)?), (duration != u64::MAX).then_some(duration)?)
        }
        _ => return None,
    };
    if timescale == 0 || duration == 0 {
        return None;
    }
    Some(u128::from(duration) * 1000 / u128::from(timescale))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::media::samples::{mp4, mp4_box, mp4_v1};

    #[test]
    fn version_0_and_1_movie_headers_give_the_length() {
        assert_eq!(millis(&mp4(600, 4_230)), Some(7_050));
        assert_eq!(millis(&mp4(1000, 3000)), Some(3_000));
        assert_eq!(millis(&mp4_v1(90_000, 90_000 * 3600 + 45_000)), Some(3_600_500));
        assert_eq!(millis(&mp4_v1(1, u64::MAX - 1)), Some(u128::from(u64::MAX - 1) * 1000));
    }

    #[test]
    fn zero_unknown_and_timescale_zero_are_unknown() {
        assert_eq!(millis(&mp4(0, 100)), None);
        assert_eq!(millis(&mp4(600, 0)), None);
        assert_eq!(millis(&mp4(600, u32::MAX)), None, "all ones: the writer did not know");
        assert_eq!(millis(&mp4_v1(600, u64::MAX)), None);
    }

    #[test]
    fn sizes_0_and_1_are_read_and_bad_sizes_end_the_walk() {
        // A first box of size 1 with a 64-bit size of 24, then moov.
        let movie = mp4(1000, 2000);
        let moov_at = 24; // after ftyp
        let mut large = vec![0, 0, 0, 1];
        large.extend_from_slice(b"free");
        large.extend_from_slice(&24u64.to_be_bytes());
        large.extend_from_slice(&[0; 8]);
        let mut file = movie[..moov_at].to_vec();
        file.extend_from_slice(&large);
        file.extend_from_slice(&movie[moov_at..]);
        assert_eq!(millis(&file), Some(2000));
        // moov of size 0: to the end of the file.
        let mut open_ended = movie.clone();
        open_ended[moov_at..moov_at + 4].copy_from_slice(&0u32.to_be_bytes());
        assert_eq!(millis(&open_ended), Some(2000));
        // A box smaller than its header, or larger than the file, before moov.
        for size in [2u32, 7, u32::MAX] {
            let mut bad = movie.clone();
            bad[..4].copy_from_slice(&size.to_be_bytes());
            assert_eq!(millis(&bad), None, "size {size}");
        }
        // A 64-bit size smaller than the 16-byte header.
        let mut small = movie[..moov_at].to_vec();
        small.extend_from_slice(&[0, 0, 0, 1]);
        small.extend_from_slice(b"free");
        small.extend_from_slice(&8u64.to_be_bytes());
        small.extend_from_slice(&movie[moov_at..]);
        assert_eq!(millis(&small), None);
    }

    #[test]
    fn a_size_0_box_after_the_header_inside_moov_ends_at_moov() {
        // The file: moov = mvhd, then `00000000 free` and 32 zero bytes.
        let movie = mp4(1000, 5000);
        let mut free = vec![0, 0, 0, 0];
        free.extend_from_slice(b"free");
        free.extend_from_slice(&[0; 32]);
        let mvhd = &movie[24 + 8..24 + 8 + 108];
        let mut moov_body = mvhd.to_vec();
        moov_body.extend_from_slice(&free);
        let mut file = movie[..24].to_vec();
        file.extend(mp4_box(b"moov", &moov_body));
        assert_eq!(millis(&file), Some(5000));
        // The same with the free box first: mvhd is then inside free, so not found.
        let mut moov_body = free.clone();
        moov_body.extend_from_slice(mvhd);
        let mut file = movie[..24].to_vec();
        file.extend(mp4_box(b"moov", &moov_body));
        assert_eq!(millis(&file), None);
    }

    #[test]
    fn a_huge_64_bit_size_is_compared_never_allocated() {
        for size in [1u64 << 40, 1 << 62, u64::MAX] {
            let mut hdlr = vec![0u8; 8];
            hdlr.extend_from_slice(b"pict");
            hdlr.extend_from_slice(&[0; 13]);
            let mut meta = vec![0u8; 4];
            meta.extend(mp4_box(b"hdlr", &hdlr));
            meta.extend_from_slice(&[0, 0, 0, 1]);
            meta.extend_from_slice(b"iloc");
            meta.extend_from_slice(&size.to_be_bytes());
            meta.extend_from_slice(&[0; 16]);
            let movie = mp4(1000, 4000);
            let mut moov_body = movie[24 + 8..24 + 8 + 108].to_vec();
            moov_body.extend(mp4_box(b"meta", &meta));
            let mut file = movie[..24].to_vec();
            file.extend(mp4_box(b"moov", &moov_body));
            assert_eq!(millis(&file), Some(4000), "mvhd comes first");
            // With meta before mvhd the walk meets the huge box only inside meta, which it
            // does not enter: the length is still read.
            let mut moov_body = mp4_box(b"meta", &meta);
            moov_body.extend_from_slice(&movie[24 + 8..24 + 8 + 108]);
            let mut file = movie[..24].to_vec();
            file.extend(mp4_box(b"moov", &moov_body));
            assert_eq!(millis(&file), Some(4000));
        }
    }

    #[test]
    fn thousands_of_nested_boxes_are_skipped_whole() {
        let mut nested = mp4_box(b"free", &[]);
        for _ in 0..5000 {
            nested = mp4_box(b"udta", &nested);
        }
        let movie = mp4(1000, 6000);
        let mut file = movie[..24].to_vec();
        file.extend(&nested);
        file.extend_from_slice(&movie[24..]);
        assert_eq!(millis(&file), Some(6000));
        let mut moov_body = nested.clone();
        moov_body.extend_from_slice(&movie[24 + 8..24 + 8 + 108]);
        let mut file = movie[..24].to_vec();
        file.extend(mp4_box(b"moov", &moov_body));
        assert_eq!(millis(&file), Some(6000));
    }

    #[test]
    fn every_truncation_is_unknown_or_the_length() {
        let movie = mp4(1000, 3000);
        let moov_end = 24 + 8 + 108;
        for len in 0..movie.len() {
            let expected = (len >= moov_end).then_some(3000);
            assert_eq!(millis(&movie[..len]), expected, "cut at {len}");
        }
    }

    #[test]
    fn a_short_or_unknown_version_movie_header_is_unknown() {
        let movie = mp4(1000, 3000);
        let mvhd = &movie[24 + 8 + 8..24 + 8 + 108];
        for body in [&mvhd[..19], &[2u8; 100][..], &[][..]] {
            let mut file = movie[..24].to_vec();
            file.extend(mp4_box(b"moov", &mp4_box(b"mvhd", body)));
            assert_eq!(millis(&file), None, "{} bytes", body.len());
        }
        assert_eq!(millis(&mp4(1000, 3000)[..24]), None, "no moov");
    }
}
