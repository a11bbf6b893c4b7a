//! Property: a valid mp4 (version 0 or 1 movie header), mp3 (counted, or with an ID3 tag and
//! a Xing header), wav or amr file, mutated (bits flipped, bytes inserted or deleted, size
//! fields set to 0, 1 or huge), is read within 100 ms into a length within the field's bounds
//! that its size can hold, or into `INVALID_INPUT` on `durationSeconds`.
//!
//! The reads run in a child process, this test binary run again on one ignored test with the
//! cases in a file, so that an abort (an allocation failure cannot be caught) or a hang is a
//! failure of the property, which proptest then shrinks, rather than the loss of the run.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use proptest::prelude::*;

use super::samples::{amr, id3, mp3, mp3_xing, mp4, mp4_v1, wav};
use super::{AUDIO_MIN_BITS, Doubt, MAX_MILLIS, MP4_MIN_BITS, audio_millis, video_seconds};
use crate::actions::Params;
use crate::actions::template::{DURATION_SECONDS, MAX_DURATION_SECONDS, unusable_length};
use crate::error::Error;

/// Batches per run; each batch is one child process.
const BATCHES: u32 = 32;
/// Cases per batch.
const PER_BATCH: usize = 64;
/// The longest one read may take (the bound; reads take microseconds).
const PER_READ: Duration = Duration::from_millis(100);
/// The longest a child may take before it counts as hung: far above `PER_BATCH` reads at
/// their bound plus the process's start on a loaded machine.
const CHILD_LIMIT: Duration = Duration::from_secs(120);
/// Set in the child: the file holding its cases.
const CASES_ENV: &str = "DINGTALK_MEDIA_PROPERTY_CASES";

/// A valid file, its extension, and where its size fields are: (offset, width in bytes,
/// big-endian).
type Sample = (&'static str, Vec<u8>, Vec<(usize, usize, bool)>);

/// The valid files the mutations start from.
fn samples() -> Vec<Sample> {
    let be4 = |at| (at, 4, true);
    let mut mp3_tagged = id3(20);
    mp3_tagged.extend(mp3_xing(30, 29));
    vec![
        // ftyp, moov, mvhd, mdat sizes; mvhd's timescale and duration.
        ("mp4", mp4(600, 4_230), vec![be4(0), be4(24), be4(32), be4(140), be4(52), be4(56)]),
        ("mp4", mp4_v1(90_000, 90_000 * 3), vec![be4(0), be4(24), be4(32), be4(152), be4(60), (64, 8, true)]),
        ("mp3", mp3(40), vec![]),
        // The ID3 tag's size, the Xing frame count.
        ("mp3", mp3_tagged, vec![be4(6), be4(30 + 44)]),
        // RIFF, fmt and data sizes; rate, byte rate, block size.
        ("wav", wav(8_000), vec![(4, 4, false), (16, 4, false), (40, 4, false), (24, 4, false), (28, 4, false)]),
        ("amr", amr(60), vec![]),
    ]
}

/// One change to a file; positions are taken modulo its length when applied.
#[derive(Debug, Clone)]
enum Mutation {
    /// Flips one bit.
    Flip(prop::sample::Index, u8),
    /// Inserts a byte.
    Insert(prop::sample::Index, u8),
    /// Deletes a byte.
    Delete(prop::sample::Index),
    /// Overwrites one of the sample's size fields.
    Size(prop::sample::Index, u64),
}

/// Applies `m` to `bytes`, whose size fields are `sizes`.
fn apply(bytes: &mut Vec<u8>, sizes: &[(usize, usize, bool)], m: &Mutation) {
    let len = bytes.len();
    match m {
        Mutation::Flip(at, bit) if len > 0 => bytes[at.index(len)] ^= 1 << bit,
        Mutation::Insert(at, byte) => bytes.insert(at.index(len + 1), *byte),
        Mutation::Delete(at) if len > 0 => {
            bytes.remove(at.index(len));
        }
        Mutation::Size(which, value) if !sizes.is_empty() => {
            let (at, width, big) = sizes[which.index(sizes.len())];
            let all = if big { value.to_be_bytes() } else { value.to_le_bytes() };
            let field = if big { &all[8 - width..] } else { &all[..width] };
            if let Some(place) = bytes.get_mut(at..at + width) {
                place.copy_from_slice(field);
            }
        }
        _ => {}
    }
}

/// A mutated sample: (extension, bytes).
fn case() -> impl Strategy<Value = (&'static str, Vec<u8>)> {
    let mutation = prop_oneof![
        (any::<prop::sample::Index>(), 0u8..8).prop_map(|(at, bit)| Mutation::Flip(at, bit)),
        (any::<prop::sample::Index>(), any::<u8>()).prop_map(|(at, b)| Mutation::Insert(at, b)),
        any::<prop::sample::Index>().prop_map(Mutation::Delete),
        (
            any::<prop::sample::Index>(),
            prop::sample::select(vec![0, 1, 7, 8, 0xFFFF_FFF0, u64::from(u32::MAX), 1 << 40, 1 << 62, u64::MAX])
        )
            .prop_map(|(at, v)| Mutation::Size(at, v)),
    ];
    (0..samples().len(), prop::collection::vec(mutation, 1..6)).prop_map(|(which, mutations)| {
        let (ext, mut bytes, sizes) = samples().swap_remove(which);
        for m in &mutations {
            apply(&mut bytes, &sizes, m);
        }
        (ext, bytes)
    })
}

/// Writes `cases` as `[ext length, ext, u32 LE length, bytes]*`.
fn write_cases(path: &Path, cases: &[(&str, Vec<u8>)]) {
    let mut out = Vec::new();
    for (ext, bytes) in cases {
        out.push(ext.len() as u8);
        out.extend_from_slice(ext.as_bytes());
        out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
        out.extend_from_slice(bytes);
    }
    std::fs::write(path, out).unwrap();
}

/// Reads what [`write_cases`] wrote.
fn read_cases(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut cases = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let n = usize::from(bytes[at]);
        let ext = String::from_utf8(bytes[at + 1..at + 1 + n].to_vec()).unwrap();
        at += 1 + n;
        let len = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        cases.push((ext, bytes[at + 4..at + 4 + len].to_vec()));
        at += 4 + len;
    }
    cases
}

/// This module's path within the test binary, for `--exact`.
fn child_test_name() -> String {
    let module = module_path!().split_once("::").map_or("", |(_, rest)| rest);
    format!("{module}::child_reads_the_cases_it_is_given")
}

/// Runs the cases in a child process; `Err` says how it ended when it did not pass.
fn run_in_child(cases: &[(&str, Vec<u8>)]) -> Result<(), String> {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("dingtalk-media-property-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join("cases.bin");
    write_cases(&input, cases);
    let output = dir.join("output.txt");
    let log = std::fs::File::create(&output).unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([&child_test_name(), "--exact", "--ignored", "--nocapture", "--test-threads=1"])
        .env(CASES_ENV, &input)
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > CHILD_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let said = std::fs::read_to_string(&output).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    let tail: String = said.lines().rev().take(20).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n");
    let last = said.lines().rev().find(|l| l.starts_with("case ")).unwrap_or("no case started");
    match status {
        Some(s) if s.success() && said.contains("1 passed") => {
            // Shown with --nocapture: the child's slowest read.
            eprintln!("{}", said.lines().find(|l| l.contains("slowest")).unwrap_or_default());
            Ok(())
        }
        Some(s) => Err(format!("the child ended with {s} ({}) in {last}:\n{tail}", how_it_ended(&s))),
        None => Err(format!("the child was still running after {CHILD_LIMIT:?} in {last}: a read hung\n{tail}")),
    }
}

/// A signal's name when the child was killed by one.
fn how_it_ended(status: &std::process::ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return format!("killed by signal {signal}{}", if signal == 6 { ", SIGABRT: an abort" } else { "" });
        }
    }
    format!("exit code {:?}", status.code())
}

/// Reads one case and judges it ([`judge`]).
fn check(p: &Params<'_>, ext: &str, bytes: &[u8]) -> Result<(), String> {
    let started = Instant::now();
    let read = if ext == "mp4" { video_seconds(bytes) } else { audio_millis(ext, bytes) };
    judge(p, ext, bytes.len() as u64, read, started.elapsed())
}

/// Whether a read of a file of `len` bytes is as the property wants: within [`PER_READ`], and
/// a length within the field's bounds that its size can hold, or `INVALID_INPUT` on
/// `durationSeconds`. `Err` says what was wrong.
fn judge(p: &Params<'_>, ext: &str, len: u64, read: Result<u64, Doubt>, took: Duration) -> Result<(), String> {
    if took > PER_READ {
        return Err(format!("took {took:?}"));
    }
    // The longest length `len` bytes hold at `floor` bit/s.
    let size_millis = |floor: u64| len * 8000 / floor;
    match read {
        Ok(seconds) if ext == "mp4" => {
            let fits = (1..=MAX_DURATION_SECONDS.unsigned_abs()).contains(&seconds)
                && (seconds == 1 || seconds * 1000 <= size_millis(MP4_MIN_BITS) + 500);
            fits.then_some(()).ok_or(format!("{seconds} s from {len} bytes"))
        }
        Ok(millis) => {
            // An AMR frame of 20 ms takes at least a byte.
            let most = if ext == "amr" { 20 * len } else { size_millis(AUDIO_MIN_BITS) };
            let fits = (1..=MAX_MILLIS).contains(&millis) && millis <= most;
            fits.then_some(()).ok_or(format!("{millis} ms from {len} bytes"))
        }
        Err(doubt) => match unusable_length(p, "case", doubt) {
            e @ Error::InvalidInput { .. } if e.field() == Some(DURATION_SECONDS) => Ok(()),
            e => Err(format!("{e:?}")),
        },
    }
}

#[test]
#[ignore = "run by mutated_files_are_read_in_bounded_time_in_a_child_process, in a child process"]
fn child_reads_the_cases_it_is_given() {
    let Some(path) = std::env::var_os(CASES_ENV) else { return };
    let cases = read_cases(&std::fs::read(path).unwrap());
    let spec = crate::actions::send::ACTION.spec();
    let p = Params::parse("{}", &spec).unwrap();
    let mut slowest = Duration::ZERO;
    let mut failures = Vec::new();
    for (i, (ext, bytes)) in cases.iter().enumerate() {
        // Said before the read, so that an abort or a hang shows its case.
        eprintln!("case {i}: {ext}, {} bytes", bytes.len());
        let _ = std::io::stderr().flush();
        if ext == "abort" {
            // The parent's own test of this harness: an abort must be seen as one.
            std::process::abort();
        }
        let started = Instant::now();
        if let Err(why) = check(&p, ext, bytes) {
            failures.push(format!("case {i} ({ext}, {bytes:02X?}): {why}"));
        }
        slowest = slowest.max(started.elapsed());
    }
    eprintln!("{} cases, slowest {slowest:?}", cases.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: BATCHES, ..ProptestConfig::default() })]

    #[test]
    fn mutated_files_are_read_in_bounded_time_in_a_child_process(
        batch in prop::collection::vec(case(), PER_BATCH)
    ) {
        let outcome = run_in_child(&batch);
        prop_assert!(outcome.is_ok(), "{}", outcome.err().unwrap_or_default());
    }
}

#[test]
fn the_judge_and_the_child_can_fail() {
    let spec = crate::actions::send::ACTION.spec();
    let p = Params::parse("{}", &spec).unwrap();
    let quick = Duration::from_micros(5);
    assert_eq!(judge(&p, "wav", 1000, Ok(8000), quick), Ok(()));
    assert!(judge(&p, "wav", 1000, Ok(8001), quick).is_err(), "more than 1000 bytes hold at 1 kbit/s");
    assert!(judge(&p, "wav", 1 << 40, Ok(MAX_MILLIS + 1), quick).is_err(), "past a day");
    assert!(judge(&p, "mp3", 1000, Ok(0), quick).is_err(), "0 ms");
    assert!(judge(&p, "amr", 10, Ok(220), quick).is_err(), "11 frames in 10 bytes");
    assert!(judge(&p, "mp4", 1 << 40, Ok(86_401), quick).is_err());
    assert!(judge(&p, "mp4", 1000, Ok(81), quick).is_err(), "1000 bytes hold 80 s at 100 bit/s");
    assert!(judge(&p, "mp4", 100, Ok(9), quick).is_err(), "100 bytes hold 8 s");
    assert_eq!(judge(&p, "mp4", 100, Ok(8), quick), Ok(()));
    assert!(judge(&p, "mp4", 1000, Ok(3), Duration::from_millis(101)).is_err(), "too slow");
    assert_eq!(judge(&p, "mp4", 1000, Err(Doubt::Unreadable), quick), Ok(()));
    // An abort in the child is a failure, not the loss of this process.
    let why = run_in_child(&[("abort", Vec::new())]).unwrap_err();
    assert!(why.contains("SIGABRT") || why.contains("exit code"), "{why}");
    assert_eq!(run_in_child(&[("mp4", mp4(600, 4_230))]), Ok(()));
}
