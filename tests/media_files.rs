//! Hostile media files sent as a video or a sound (issue 24, items 1 and 2): the two crafted
//! mp4s that hung and killed `host-sim run`, and a corpus of truncations at every length,
//! size-0 and size-1 boxes, boxes larger than the file, thousands of nested boxes and every
//! bit of an mp4's headers flipped. Each send ends with a length within the field's bounds
//! that the file's size can hold, or with `INVALID_INPUT` (on `durationSeconds`, or on
//! `content` when the bytes are not of their type at all), never a hang, an abort or an
//! `INTERNAL` error.
//! Lengths that make no sense (past a day, or more than the bytes can hold) are refused with
//! a hint to type the length, and a typed length is used as is.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code)]
mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use dingtalk_emulator::Emulator;
use dingtalk_robot::names::{connect, send};
use rpa_plugin_abi::ErrorPayload;
use serde_json::{Value, json};
use support::flows::{connect_step, send_step};
use support::media::{self, mp4_box};
use support::{TestHost, host_sim_exe, invoke, unlimited_org};

/// The most a video's length in seconds may be; a sound's is this in milliseconds.
const DAY: u64 = 86_400;

/// The first file: `moov` holds an `mvhd` (5 s) and then a box header of size 0
/// (`00000000 'free'`) and 32 zero bytes.
fn size_0_after_mvhd() -> Vec<u8> {
    let movie = media::mp4(1000, 5000);
    let mut moov = movie[32..140].to_vec();
    moov.extend_from_slice(b"\0\0\0\0free");
    moov.extend_from_slice(&[0; 32]);
    let mut file = movie[..24].to_vec();
    file.extend(mp4_box(b"moov", &moov));
    file
}

/// The second file: `moov/meta` with a `hdlr` of type `pict` and then a box with a
/// 64-bit size of `size` (2^40 or 2^62), before (or after) the `mvhd` (4 s).
fn huge_box_in_meta(size: u64, meta_first: bool) -> Vec<u8> {
    let movie = media::mp4(1000, 4000);
    let mut hdlr = vec![0u8; 8];
    hdlr.extend_from_slice(b"pict");
    hdlr.extend_from_slice(&[0; 13]);
    let mut meta = vec![0u8; 4];
    meta.extend(mp4_box(b"hdlr", &hdlr));
    meta.extend_from_slice(b"\0\0\0\x01iinf");
    meta.extend_from_slice(&size.to_be_bytes());
    meta.extend_from_slice(&[0; 16]);
    let (meta, mvhd) = (mp4_box(b"meta", &meta), movie[32..140].to_vec());
    let moov = if meta_first { [meta, mvhd].concat() } else { [mvhd, meta].concat() };
    let mut file = movie[..24].to_vec();
    file.extend(mp4_box(b"moov", &moov));
    file
}

/// Runs `host-sim run` on a connect -> video send of `video`, killing it after `limit`;
/// returns its exit code and stdout document.
fn run_host_sim(emu: &Emulator, dir: &Path, video: &[u8], limit: Duration) -> (Option<i32>, Value) {
    let path = media::write(dir, "crafted.mp4", video);
    let cover = media::write(dir, "cover.png", &media::png());
    let flow = json!({ "steps": [
        connect_step(emu, json!({})),
        send_step(json!({ send::MSG_TYPE: "video", send::CONTENT: path, send::COVER_IMAGE: cover })),
    ]});
    let file = dir.join("flow.json");
    std::fs::write(&file, flow.to_string()).unwrap();
    let out = dir.join("stdout.json");
    let mut child = Command::new(host_sim_exe())
        .arg("run")
        .arg(&file)
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("host-sim run was still running after {limit:?}: the read hung");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stdout = std::fs::read_to_string(&out).unwrap();
    let doc = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e} ({status}): {stdout}"));
    (status.code(), doc)
}

#[test]
fn the_two_crafted_mp4s_neither_hang_nor_kill_host_sim_run() {
    let emu = unlimited_org();
    let dir = media::dir("crafted-cli");
    // Generous: a run takes well under a second; the old reader never ended.
    let limit = Duration::from_secs(60);
    let cases = [
        ("size 0 after mvhd", size_0_after_mvhd(), "5"),
        ("2^40 in meta", huge_box_in_meta(1 << 40, false), "4"),
        ("2^62 in meta", huge_box_in_meta(1 << 62, false), "4"),
        ("2^40 in meta, before mvhd", huge_box_in_meta(1 << 40, true), "4"),
        ("2^62 in meta, before mvhd", huge_box_in_meta(1 << 62, true), "4"),
    ];
    for (what, video, seconds) in cases {
        let (code, doc) = run_host_sim(&emu, &dir, &video, limit);
        assert_eq!(code, Some(0), "{what}: {doc}");
        let sent = emu.delivered().pop().expect("a message was sent");
        assert_eq!(sent.msg_param["duration"], seconds, "{what}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Sends `file` (named `name`) as a video or a sound with `extra` params.
fn send_file(
    emu: &Emulator,
    host: &TestHost,
    robot: &Value,
    dir: &Path,
    name: &str,
    file: &[u8],
    extra: Value,
) -> Result<Value, ErrorPayload> {
    let path = media::write(dir, name, file);
    let mut params = json!({ send::ROBOT: robot, send::USER_IDS: ["manager01"], send::CONTENT: path });
    if name.ends_with(".mp4") {
        params[send::MSG_TYPE] = json!("video");
        params[send::COVER_IMAGE] = json!(media::write(dir, "cover.png", &media::png()));
    } else {
        params[send::MSG_TYPE] = json!("audio");
    }
    for (k, v) in extra.as_object().unwrap() {
        params[k] = v.clone();
    }
    invoke(host, send::ID, &params).map(|_| emu.delivered().pop().expect("a message was sent").msg_param)
}

/// A connection to a fresh org without rate limits, on either side.
fn connected(host: &TestHost) -> (Emulator, Value) {
    let emu = unlimited_org();
    let mut params = support::connect_params(&emu);
    params[connect::QPS_LIMIT] = json!(0);
    let robot = invoke(host, connect::ID, &params).unwrap()[connect::ROBOT].clone();
    (emu, robot)
}

#[test]
fn lengths_that_make_no_sense_are_refused_with_a_hint_to_type_them() {
    let host = TestHost::default();
    let (emu, robot) = connected(&host);
    let dir = media::dir("senseless");
    let refused = |name: &str, file: &[u8], says: &str| {
        let err = send_file(&emu, &host, &robot, &dir, name, file, json!({})).expect_err(name);
        assert_eq!(
            (err.code.as_str(), err.field.as_deref()),
            ("INVALID_INPUT", Some(send::DURATION_SECONDS)),
            "{name}: {err:?}"
        );
        assert!(err.message.contains(says), "{name}: {}", err.message);
        let hint = err.hint.clone().unwrap_or_default();
        assert!(hint.contains("Duration (seconds)"), "{name}: {hint}");
        assert!(
            err.zh_cn.as_ref().is_some_and(|zh| zh.hint.as_deref().is_some_and(|h| h.contains("时长（秒）"))),
            "{err:?}"
        );
    };
    // Timescale 1, duration 2^64-2 (all ones is "unknown"); ten days.
    refused("forever.mp4", &media::mp4_v1(1, u64::MAX - 2), "18446744073709551613 seconds, more than the 86400");
    refused("ten-days.mp4", &media::mp4(1, 864_000), "864000 seconds, more than the 86400");
    refused("unknown.mp4", &media::mp4_v1(1, u64::MAX), "cannot be read");
    // One hour in 212 bytes (0.5 bit/s).
    refused("hour.mp4", &media::mp4(1, 3600), "its 212 bytes cannot hold");
    // The 108-byte wav at 1 Hz: 32 s; a Xing header claiming 10,000 frames in 1,668 bytes.
    refused("slow.wav", &media::wav_with(1, 1, 16, 32, Some(0xFFFF_FFF0)), "32 seconds, but its 108 bytes");
    refused("vbr.mp3", &media::mp3_xing(10_000, 3), "261 seconds, but its 1668 bytes");
    // The same 108 bytes at 8 kHz: the 64 bytes present are 4 ms, not 74.6 hours.
    let param = send_file(
        &emu,
        &host,
        &robot,
        &dir,
        "short.wav",
        &media::wav_with(8000, 1, 16, 32, Some(0xFFFF_FFF0)),
        json!({}),
    );
    assert_eq!(param.unwrap()["duration"], "4");
    // A length typed by hand is used as is.
    let typed = json!({ send::DURATION_SECONDS: 30 });
    let param = send_file(&emu, &host, &robot, &dir, "forever.mp4", &media::mp4_v1(1, u64::MAX - 2), typed.clone());
    assert_eq!(param.unwrap()["duration"], "30");
    let param = send_file(&emu, &host, &robot, &dir, "slow.wav", &media::wav_with(1, 1, 16, 32, None), typed);
    assert_eq!(param.unwrap()["duration"], "30000");
    let _ = std::fs::remove_dir_all(&dir);
}

/// What became of a corpus's files.
#[derive(Debug, Default)]
struct Tally {
    /// Sent with a length.
    sent: usize,
    /// Refused on `durationSeconds`.
    no_length: usize,
    /// Refused on `content` (not of its type, by its first bytes).
    not_the_type: usize,
}

/// Sends every file of `corpus` (name, bytes), checking each outcome; a fresh org every 100
/// files keeps the emulator's records short.
fn send_corpus(tag: &str, corpus: Vec<(String, Vec<u8>)>) -> Tally {
    let host = TestHost::default();
    let dir = media::dir(tag);
    let mut tally = Tally::default();
    for chunk in corpus.chunks(100) {
        let (emu, robot) = connected(&host);
        for (name, file) in chunk {
            let video = name.ends_with(".mp4");
            // One file per type, written over: the corpus's names are for messages.
            let ext = name.rsplit('.').next().unwrap();
            match send_file(&emu, &host, &robot, &dir, &format!("case.{ext}"), file, json!({})) {
                Ok(param) => {
                    let length: u64 = param["duration"].as_str().unwrap().parse().unwrap();
                    let bits = file.len() as u64 * 8;
                    // Seconds for a video (rounded, at least 1), milliseconds for a sound.
                    let within = if video {
                        (1..=DAY).contains(&length) && (length == 1 || length * 1000 <= bits * 10 + 500)
                    } else {
                        (1..=DAY * 1000).contains(&length) && (name.ends_with(".amr") || length <= bits)
                    };
                    assert!(within, "{name}: {length} from {} bytes", file.len());
                    tally.sent += 1;
                }
                Err(e) => {
                    assert_eq!(e.code, "INVALID_INPUT", "{name}: {e:?}");
                    match e.field.as_deref() {
                        Some(send::DURATION_SECONDS) => tally.no_length += 1,
                        Some(send::CONTENT) if e.message.contains("content is not") => tally.not_the_type += 1,
                        _ => panic!("{name}: {e:?}"),
                    }
                }
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    tally
}

/// Every truncation of `file` from 1 byte to all of it but one.
fn truncations(ext: &str, file: &[u8]) -> Vec<(String, Vec<u8>)> {
    (1..file.len()).map(|n| (format!("cut-{n}.{ext}"), file[..n].to_vec())).collect()
}

#[test]
fn truncated_videos_and_sounds_at_every_length() {
    let mut corpus = truncations("mp4", &media::mp4(600, 4_230));
    corpus.extend(truncations("mp4", &media::mp4_v1(90_000, 90_000 * 3)));
    corpus.extend(truncations("wav", &media::wav(400)));
    corpus.extend(truncations("mp3", &[media::id3(20), media::mp3_xing(3, 2)].concat()));
    corpus.extend(truncations("amr", &media::amr(8)));
    let tally = send_corpus("truncated", corpus);
    assert!(tally.sent > 0 && tally.no_length > 0 && tally.not_the_type > 0, "{tally:?}");
}

#[test]
fn every_bit_of_an_mp4_flipped() {
    let film = media::mp4(600, 4_230);
    let mut corpus = Vec::new();
    // Every byte but the media data's (zeros nothing reads): ftyp, moov, mvhd, mdat's header.
    for at in 0..148 {
        for bit in 0..8 {
            let mut flipped = film.clone();
            flipped[at] ^= 1 << bit;
            corpus.push((format!("flip-{at}-{bit}.mp4"), flipped));
        }
    }
    let tally = send_corpus("flipped", corpus);
    assert!(tally.sent > 0 && tally.no_length > 0 && tally.not_the_type > 0, "{tally:?}");
}

#[test]
fn boxes_of_size_0_and_1_larger_than_the_file_or_nested_thousands_deep() {
    let film = media::mp4(1000, 3000);
    let (ftyp, moov, mdat) = (&film[..24], &film[24..140], &film[140..]);
    let mut corpus = Vec::new();
    let mut add = |name: &str, bytes: Vec<u8>| corpus.push((format!("{name}.mp4"), bytes));
    let with_size = |at: usize, size: u32| {
        let mut v = film.clone();
        v[at..at + 4].copy_from_slice(&size.to_be_bytes());
        v
    };
    // Size 0 (to the end), 1 (a 64-bit size follows: here the type and body's first bytes),
    // smaller than a header, and larger than the file, for ftyp, moov, mvhd and mdat.
    for (box_name, at) in [("ftyp", 0), ("moov", 24), ("mvhd", 32), ("mdat", 140)] {
        for size in [0, 1, 4, 7, 0x7FFF_FFFF, u32::MAX] {
            add(&format!("{box_name}-{size}"), with_size(at, size));
        }
    }
    // Real 64-bit sizes: right, 2^40, 2^62 and all ones, for a box before moov.
    for large in [24u64, 1 << 40, 1 << 62, u64::MAX] {
        let mut free = b"\0\0\0\x01free".to_vec();
        free.extend_from_slice(&large.to_be_bytes());
        free.extend_from_slice(&[0; 8]);
        add(&format!("large-{large}"), [ftyp, &free, moov, mdat].concat());
    }
    // 5,000 nested boxes before moov, inside moov before mvhd, and as moov's only content.
    let nested = media::nested_boxes(5000);
    add("nested-top", [ftyp, &nested, moov, mdat].concat());
    add("nested-in-moov", [ftyp, &mp4_box(b"moov", &[&nested, &moov[8..]].concat()), mdat].concat());
    add("nested-only", [ftyp, &mp4_box(b"moov", &nested)].concat());
    // The two.
    add("issue-size-0", size_0_after_mvhd());
    add("issue-2-40", huge_box_in_meta(1 << 40, true));
    add("issue-2-62", huge_box_in_meta(1 << 62, false));
    let tally = send_corpus("boxes", corpus);
    assert!(tally.sent > 0 && tally.no_length > 0, "{tally:?}");
}
