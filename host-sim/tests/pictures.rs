//! The pictures in `docs/`: the studio before and after a run and the demo's output, in both
//! languages, made from the current build by `scripts/pictures.sh` (the ignored test
//! [`remake_the_pictures`] here, with `UPDATE_PICTURES=1`): headless Chromium, driven over
//! WebDriver (chromedriver) with a fresh profile, as the browser tests drive it.
//!
//! Each picture carries the SHA-256 of the manifest it shows (of its JSON, keys sorted) in
//! a `tEXt` chunk named `manifest-sha256`, and [`every_picture_shows_the_current_manifest`]
//! fails when that is not the hash of `plugin.json` (the manifest the code makes, kept
//! current by the plugin's own test): a change to an action that leaves a picture stale
//! fails here until the pictures are made again.

// A test's failures are panics: unwrap, expect and panic are how it reports them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The name of the PNG text chunk that holds the manifest's hash.
const KEY: &str = "manifest-sha256";

/// The largest a picture may be, in bytes.
const MOST_BYTES: usize = 400 * 1024;

/// What a picture shows.
#[derive(Clone, Copy)]
enum Shows {
    /// The studio with the example flow loaded, not run.
    StudioBefore,
    /// The studio after the example flow ran.
    StudioAfter,
    /// The top of `host-sim demo`'s output.
    Demo,
}

/// Every picture: its file in `docs/`, what it shows, and in which language.
const PICTURES: [(&str, Shows, &str); 6] = [
    ("studio-start.png", Shows::StudioBefore, "en"),
    ("studio-start.zh-CN.png", Shows::StudioBefore, "zh-CN"),
    ("studio.png", Shows::StudioAfter, "en"),
    ("studio.zh-CN.png", Shows::StudioAfter, "zh-CN"),
    ("demo.png", Shows::Demo, "en"),
    ("demo.zh-CN.png", Shows::Demo, "zh-CN"),
];

fn docs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs")
}

/// The SHA-256 (hex) of a manifest's JSON text, taken from its value with the keys sorted,
/// so that the same manifest has the same hash however its text is laid out.
fn manifest_hash(json: &str) -> String {
    let value: Value = serde_json::from_str(json).expect("the manifest is JSON");
    let canonical = serde_json::to_string(&sorted(value)).expect("serializes");
    Sha256::digest(canonical.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

fn sorted(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().map(|(k, v)| (k, sorted(v))).collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

/// The CRC-32 of PNG chunks (ISO 3309).
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// `png` with a `tEXt` chunk `key`=`text` after its header chunk.
fn with_text(png: &[u8], key: &str, text: &str) -> Vec<u8> {
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && &png[12..16] == b"IHDR", "a PNG");
    let header_end = 8 + 8 + 13 + 4;
    let mut data = b"tEXt".to_vec();
    data.extend_from_slice(key.as_bytes());
    data.push(0);
    data.extend_from_slice(text.as_bytes());
    let mut out = png[..header_end].to_vec();
    out.extend_from_slice(&u32::try_from(data.len() - 4).unwrap().to_be_bytes());
    out.extend_from_slice(&data);
    out.extend_from_slice(&crc32(&data).to_be_bytes());
    out.extend_from_slice(&png[header_end..]);
    out
}

/// The text of the `tEXt` chunk `key` of `png`, if it has one (and its CRC is right).
fn text_of(png: &[u8], key: &str) -> Option<String> {
    let mut at = 8;
    while at + 12 <= png.len() {
        let length = u32::from_be_bytes(png[at..at + 4].try_into().ok()?) as usize;
        let chunk = png.get(at + 4..at + 8 + length)?;
        let crc = u32::from_be_bytes(png.get(at + 8 + length..at + 12 + length)?.try_into().ok()?);
        if &chunk[..4] == b"tEXt" && crc32(chunk) == crc {
            let body = &chunk[4..];
            if let Some(zero) = body.iter().position(|&b| b == 0)
                && &body[..zero] == key.as_bytes()
            {
                return String::from_utf8(body[zero + 1..].to_vec()).ok();
            }
        }
        if &chunk[..4] == b"IEND" {
            break;
        }
        at += 12 + length;
    }
    None
}

/// A 1x1 PNG.
const DOT: [u8; 67] = [
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0D, 0x49,
    0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00,
    0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

#[test]
fn a_text_chunk_is_written_and_read_back() {
    let png = DOT.to_vec();
    let marked = with_text(&png, "test-key", "value 1");
    assert_eq!(text_of(&marked, "test-key").as_deref(), Some("value 1"));
    assert_eq!(text_of(&png, "test-key"), None);
    // A chunk whose CRC is wrong is not read.
    let mut broken = marked.clone();
    let at = 8 + 25 + 8;
    broken[at] ^= 1;
    assert_eq!(text_of(&broken, "test-key"), None);
    assert_eq!(crc32(b"IEND"), 0xAE42_6082, "the CRC of an IEND chunk, as every PNG ends");
}

#[test]
fn every_picture_shows_the_current_manifest() {
    let manifest =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugin.json")).expect("plugin.json");
    let current = manifest_hash(&manifest);
    let mut stale = Vec::new();
    for (file, _, _) in PICTURES {
        let png = std::fs::read(docs().join(file)).unwrap_or_else(|e| panic!("docs/{file}: {e}"));
        assert!(png.len() <= MOST_BYTES, "docs/{file} is {} bytes; at most {MOST_BYTES}", png.len());
        match text_of(&png, KEY) {
            Some(hash) if hash == current => {}
            other => stale.push(format!("docs/{file} shows the manifest {other:?}")),
        }
    }
    assert!(
        stale.is_empty(),
        "pictures of another manifest than plugin.json's ({current}):\n{}\nremake them: scripts/pictures.sh",
        stale.join("\n")
    );
}

/// A child process killed when dropped.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `command`, and returns it with the first stdout line that `wanted` picks out.
fn start_until(mut command: Command, wanted: impl Fn(&str) -> Option<String>) -> (Process, String) {
    let mut child = command.stdout(Stdio::piped()).stderr(Stdio::null()).spawn().expect("starts");
    let stdout = child.stdout.take().expect("stdout");
    let process = Process(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let line = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .unwrap_or_else(|_| panic!("{command:?} did not say what was wanted"));
        if let Some(found) = wanted(&line) {
            return (process, found);
        }
    }
}

/// A headless Chromium through chromedriver, with a fresh profile in `profile`, `lang` as the
/// browser's language.
async fn browser(profile: &Path, lang: &str) -> (Client, Process) {
    let mut command = Command::new(std::env::var_os("CHROMEDRIVER").unwrap_or_else(|| "chromedriver".into()));
    command.args(["--port=0", "--log-level=WARNING"]);
    let (driver, port) = start_until(command, |line| {
        line.split("started successfully on port ").nth(1).map(|p| p.trim_end_matches('.').to_string())
    });
    let _ = std::fs::remove_dir_all(profile);
    std::fs::create_dir_all(profile).expect("profile dir");
    let mut options = json!({
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync",
                 format!("--user-data-dir={}", profile.display()), "--window-size=1440,1000",
                 "--force-device-scale-factor=1", "--hide-scrollbars", format!("--lang={lang}")],
    });
    if let Some(binary) = std::env::var_os("CHROME_BIN") {
        options["binary"] = json!(binary.to_string_lossy());
    }
    let capabilities = json!({"browserName": "chrome", "goog:chromeOptions": options});
    let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities.as_object().cloned().unwrap_or_default())
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("the browser starts through chromedriver");
    (client, driver)
}

async fn wait_for(client: &Client, css: &str) {
    client
        .wait()
        .at_most(Duration::from_secs(60))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("waiting for {css}: {e}"));
}

/// Clicks `css`, again when the page drew it anew in between (it redraws the canvas when a
/// check answers).
async fn click(client: &Client, css: &str) {
    let mut last = String::new();
    for _ in 0..20 {
        match client.find(Locator::Css(css)).await {
            Ok(element) => match element.click().await {
                Ok(()) => return,
                Err(e) => last = e.to_string(),
            },
            Err(e) => last = e.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("click {css}: {last}");
}

/// The studio in `lang` with the example flow loaded (its AppSecret typed in): the browser's
/// screenshot of its top, or if `run`, once it ran, of its last steps and the emulator's panel.
async fn studio_picture(client: &Client, plugin: &Path, lang: &str, run: bool) -> Vec<u8> {
    let mut command = Command::new(env!("CARGO_BIN_EXE_host-sim"));
    command.args(["studio", "--lang", lang, "--plugin"]).arg(plugin);
    // Its first line ends with its address, in either language.
    let (_studio, url) = start_until(command, |line| line.split_whitespace().last().map(str::to_string));
    client.goto(&url).await.unwrap();
    wait_for(client, "body[data-ready='true']").await;
    click(client, "[data-testid='example']").await;
    wait_for(client, "[data-testid='step-4']").await;
    click(client, "[data-testid='step-1'] .step-title").await;
    let secret = client.find(Locator::Css("[name='appSecret']")).await.unwrap();
    secret.send_keys(host_sim::studio::EMULATOR_APP_SECRET).await.unwrap();
    if run {
        click(client, "[data-testid='run']").await;
        wait_for(client, "[data-testid='status-4'][data-status='ok'], [data-testid='status-4'][data-status='error']")
            .await;
        let status = client.find(Locator::Css("[data-testid='status-4']")).await.unwrap();
        assert_eq!(status.attr("data-status").await.unwrap().as_deref(), Some("ok"), "the example runs");
    }
    click(client, "[data-testid='step-2'] .step-title").await;
    if run {
        // The last steps' badges and the emulator's panel (what DingTalk received, the counters).
        let scroll = "document.getElementById('emulator').scrollIntoView({block: 'start'}); window.scrollBy(0, -220);";
        client.execute(scroll, vec![]).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    client.screenshot().await.unwrap()
}

/// The top of `host-sim demo --lang lang`, drawn as a terminal shows it: the browser's
/// screenshot of it.
async fn demo_picture(client: &Client, plugin: &Path, lang: &str, scratch: &Path) -> Vec<u8> {
    let out = Command::new(env!("CARGO_BIN_EXE_host-sim"))
        .args(["demo", "--log-level", "off", "--lang", lang, "--plugin"])
        .arg(plugin)
        .output()
        .unwrap();
    assert!(out.status.success(), "the demo runs: {}", String::from_utf8_lossy(&out.stdout));
    let text = String::from_utf8(out.stdout).unwrap();
    let escaped = text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let page = format!(
        "<!doctype html><meta charset='utf-8'><style>body{{margin:0;background:#1e1e1e}}\
         pre{{margin:0;padding:14px 16px;color:#ddd;font:14px/1.35 'DejaVu Sans Mono','WenQuanYi Micro Hei Mono',monospace;\
         white-space:pre}}</style><pre>$ host-sim demo --lang {lang}\n{escaped}</pre>"
    );
    let file = scratch.join(format!("demo.{lang}.html"));
    std::fs::write(&file, page).unwrap();
    client.goto(&format!("file://{}", file.display())).await.unwrap();
    wait_for(client, "pre").await;
    client.screenshot().await.unwrap()
}

/// Makes every picture anew from the current build and writes them to `docs/`, each marked
/// with the hash of the manifest of the plugin it shows. Run by `scripts/pictures.sh`.
#[tokio::test]
#[ignore = "makes the pictures: scripts/pictures.sh"]
async fn remake_the_pictures() {
    let plugin = common::real_plugin().expect("the plugin is built (cargo build -p dingtalk-robot)");
    let loaded = host_sim::plugin::load(&plugin).expect("the plugin loads");
    let hash = manifest_hash(loaded.manifest_json());
    drop(loaded);
    let scratch = common::scratch().join("pictures");
    std::fs::create_dir_all(&scratch).unwrap();
    for (file, shows, lang) in PICTURES {
        let (client, _driver) = browser(&scratch.join(format!("profile-{file}")), lang).await;
        let png = match shows {
            Shows::StudioBefore => studio_picture(&client, &plugin, lang, false).await,
            Shows::StudioAfter => studio_picture(&client, &plugin, lang, true).await,
            Shows::Demo => demo_picture(&client, &plugin, lang, &scratch).await,
        };
        let _ = client.close().await;
        let png = with_text(&png, KEY, &hash);
        assert!(png.len() <= MOST_BYTES, "{file} is {} bytes; at most {MOST_BYTES}", png.len());
        std::fs::write(docs().join(file), &png).unwrap();
        eprintln!("docs/{file}: {} KB, manifest {hash}", png.len() / 1024);
    }
}
