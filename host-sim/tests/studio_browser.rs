//! `host-sim studio` in a real browser: headless Chromium from the system's packages, driven
//! over WebDriver (chromedriver) with `fantoccini`. Each test starts the `host-sim studio`
//! binary as README says (with the real plugin and its embedded emulator), its own
//! chromedriver and browser, and works the page as a person would: a real pointer drag from
//! the palette onto the canvas, the keyboard, typing, choosing, Run, Save and Load.
//!
//! Without `chromedriver` (or the plugin) these tests say so on stderr and pass; under
//! `CI=true` (or `HOST_SIM_REQUIRE_PLUGIN=1` for the plugin) they fail instead. `.ci/run`
//! installs Debian's `chromium` and `chromium-driver`. `CHROMEDRIVER` and `CHROME_BIN`
//! name other binaries. Every run writes the finished run's screenshot under the target
//! directory; the pictures in `docs/` are made by `scripts/pictures.sh` (`tests/pictures.rs`).

// A test's failures are panics: unwrap, expect and panic are how it reports them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, KeyAction, KeyActions, MOUSE_BUTTON_LEFT, MouseActions, PointerAction};
use fantoccini::elements::Element;
use fantoccini::error::CmdError;
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use rpa_plugin_abi::Manifest;
use serde_json::{Value, json};

/// What a scenario returns: a failure is a message, so that the browser is closed first.
type Outcome = Result<(), String>;

/// Fails the scenario with a message unless `cond` holds.
macro_rules! ensure {
    ($cond:expr, $($why:tt)+) => {
        if !$cond {
            return Err(format!("{} (line {})", format!($($why)+), line!()));
        }
    };
}

/// One browser at a time: two cores are shared with the rest of the suite.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The emulator credentials `host-sim studio` prints.
const APP_KEY: &str = host_sim::studio::EMULATOR_APP_KEY;
const APP_SECRET: &str = host_sim::studio::EMULATOR_APP_SECRET;
const CONNECT: &str = "dingtalk.robot.connect";
const SEND: &str = "dingtalk.robot.send_single_chat";

fn required(var: &str) -> bool {
    std::env::var(var).is_ok_and(|v| v == "1" || v.eq_ignore_ascii_case("true"))
}

/// A program named by `env`, or the first of `names` on the PATH (or in `extra_dirs`).
fn find_program(env: &str, names: &[&str], extra_dirs: &[PathBuf]) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(env).map(PathBuf::from) {
        return path.exists().then_some(path);
    }
    let path_dirs = std::env::var_os("PATH").map(|p| std::env::split_paths(&p).collect::<Vec<_>>()).unwrap_or_default();
    let dirs: Vec<PathBuf> = extra_dirs.iter().cloned().chain(path_dirs).collect();
    names.iter().find_map(|name| {
        let file = format!("{name}{}", std::env::consts::EXE_SUFFIX);
        dirs.iter().map(|d| d.join(&file)).find(|p| p.is_file())
    })
}

/// chromedriver and (when found) the browser it should start.
struct Tools {
    driver: PathBuf,
    browser: Option<PathBuf>,
    plugin: PathBuf,
}

/// The tools, or `None` (with a message) when a test should be skipped; panics under CI.
fn tools() -> Option<Tools> {
    // GitHub's runners keep their chromedriver in $CHROMEWEBDRIVER.
    let extra: Vec<PathBuf> = std::env::var_os("CHROMEWEBDRIVER").map(PathBuf::from).into_iter().collect();
    let driver = find_program("CHROMEDRIVER", &["chromedriver"], &extra);
    let browser =
        find_program("CHROME_BIN", &["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"], &[]);
    let plugin = std::env::var_os("HOST_SIM_PLUGIN").map(PathBuf::from).unwrap_or_else(host_sim::default_plugin_path);
    let Some(driver) = driver else {
        assert!(
            !required("CI"),
            "CI=true but chromedriver is not installed: .ci/run installs Debian's chromium and chromium-driver \
             (or set CHROMEDRIVER and CHROME_BIN)"
        );
        xtask::skips::record(
            "host-sim: studio in a browser (tests/studio_browser.rs)",
            "chromedriver is not installed",
            "apt-get install chromium chromium-driver (cargo xtask test does it as root), or CHROMEDRIVER and CHROME_BIN",
        );
        return None;
    };
    if !plugin.exists() {
        assert!(
            !required("CI") && !required("HOST_SIM_REQUIRE_PLUGIN"),
            "the plugin {} is not built; build it first (cargo build --workspace)",
            plugin.display()
        );
        xtask::skips::record(
            "host-sim: studio in a browser (tests/studio_browser.rs)",
            &format!("the plugin {} is not built", plugin.display()),
            "cargo build -p dingtalk-robot (or HOST_SIM_PLUGIN=<path>)",
        );
        return None;
    }
    Some(Tools { driver, browser, plugin })
}

/// A child process killed when dropped.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `command` and returns it with the first `lines` lines of its stdout (the rest is
/// drained in the background), or an error after `timeout`.
fn start(mut command: Command, lines: usize, timeout: Duration) -> Result<(Process, Vec<String>), String> {
    let mut child =
        command.stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().map_err(|e| format!("{command:?}: {e}"))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let process = Process(child);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                // Nobody listens any more: keep draining so that the child never blocks.
                continue;
            }
        }
    });
    let deadline = Instant::now() + timeout;
    let mut got = Vec::new();
    while got.len() < lines {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => got.push(line),
            Err(_) => return Err(format!("{command:?} printed {got:?} and then nothing for {timeout:?}")),
        }
    }
    Ok((process, got))
}

/// `host-sim studio`, started as README says, with the address it printed.
struct Studio {
    _process: Process,
    url: String,
    emulator: Option<String>,
}

fn start_studio(plugin: &Path, args: &[&str]) -> Result<Studio, String> {
    let mut command = Command::new(env!("CARGO_BIN_EXE_host-sim"));
    command.arg("studio").arg("--plugin").arg(plugin).args(args);
    let with_emulator = !args.contains(&"--no-emulator");
    let (process, lines) = start(command, if with_emulator { 2 } else { 1 }, Duration::from_secs(30))?;
    // The first line ends with the studio's address, in either language; the second holds
    // the emulator's.
    let url = address_in(&lines[0]).ok_or_else(|| format!("first line: {:?}", lines[0]))?;
    ensure!(lines[0].ends_with(&url), "the first line ends with the address: {:?}", lines[0]);
    let english = args.windows(2).all(|pair| pair != ["--lang", "zh-CN"]);
    if english {
        ensure!(lines[0] == format!("studio on {url}"), "first line is exactly `studio on URL`: {:?}", lines[0]);
    }
    let emulator = if with_emulator {
        let line = &lines[1];
        ensure!(line.contains(APP_KEY) && line.contains(APP_SECRET), "the emulator's credentials are printed: {line}");
        ensure!(!english || line.starts_with("emulator on "), "second line: {line}");
        Some(address_in(line).ok_or_else(|| format!("second line: {line}"))?)
    } else {
        None
    };
    Ok(Studio { _process: process, url, emulator })
}

/// The first `http://127.0.0.1:PORT` in `line`.
fn address_in(line: &str) -> Option<String> {
    const AT: &str = "http://127.0.0.1:";
    let rest = &line[line.find(AT)? + AT.len()..];
    let port: String = rest.chars().take_while(char::is_ascii_digit).collect();
    port.parse::<u16>().ok().filter(|p| *p > 0).map(|p| format!("{AT}{p}"))
}

/// A plain HTTP GET on loopback, answering the body as JSON.
fn get_json(url: &str) -> Result<Value, String> {
    let rest = url.strip_prefix("http://").ok_or("not http")?;
    let (host, path) = rest.split_once('/').map_or((rest, "/".to_string()), |(h, p)| (h, format!("/{p}")));
    let mut stream = TcpStream::connect(host).map_err(|e| e.to_string())?;
    stream.set_read_timeout(Some(Duration::from_secs(10))).map_err(|e| e.to_string())?;
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").map_err(|e| e.to_string())?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).map_err(|e| e.to_string())?;
    let body = answer.split_once("\r\n\r\n").map(|(_, b)| b).ok_or("no body")?;
    serde_json::from_str(body).map_err(|e| format!("{e}: {body}"))
}

fn emulator_stats(studio: &Studio) -> Result<Value, String> {
    get_json(&format!("{}/_emulator/stats", studio.emulator.as_deref().ok_or("no emulator")?))
}

/// chromedriver and a headless browser session.
struct Browser {
    client: Client,
    _driver: Process,
}

async fn browser(tools: &Tools, downloads: &Path) -> Result<Browser, String> {
    let mut command = Command::new(&tools.driver);
    command.args(["--port=0", "--log-level=WARNING"]);
    let (driver, lines) = start(command, 4, Duration::from_secs(30))?;
    let port = lines
        .iter()
        .find_map(|l| l.split("started successfully on port ").nth(1))
        .map(|p| p.trim_end_matches('.').to_string())
        .ok_or_else(|| format!("chromedriver did not say its port: {lines:?}"))?;
    let mut options = json!({
        "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1440,1100", "--no-first-run", "--no-default-browser-check",
                 "--disable-extensions", "--lang=en-US", "--force-device-scale-factor=1"],
        "prefs": {"download.default_directory": downloads, "download.prompt_for_download": false},
    });
    if let Some(binary) = &tools.browser {
        options["binary"] = json!(binary);
    }
    let capabilities = json!({"browserName": "chrome", "goog:chromeOptions": options});
    let capabilities = capabilities.as_object().cloned().unwrap_or_default();
    let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .map_err(|e| format!("cannot start the browser through chromedriver: {e}"))?;
    Ok(Browser { client, _driver: driver })
}

/// Runs `scenario` in a browser on a fresh studio started with `args`, closes the browser,
/// and fails the test with the scenario's message. Skips (or fails under CI) without tools.
async fn with_studio<F>(name: &str, plugin: Option<PathBuf>, args: &[&str], scenario: F)
where
    F: AsyncFnOnce(&Client, &Studio, &Tools, &Path) -> Outcome,
{
    let Some(tools) = tools() else { return };
    let _one = ONE_AT_A_TIME.lock().await;
    let started = Instant::now();
    let scratch = common::scratch().join(format!("studio-{name}"));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).expect("scratch dir");
    let plugin = plugin.unwrap_or_else(|| tools.plugin.clone());
    let studio = start_studio(&plugin, args).unwrap_or_else(|e| panic!("{name}: {e}"));
    let browser = browser(&tools, &scratch).await.unwrap_or_else(|e| panic!("{name}: {e}"));
    let outcome = async {
        browser.client.goto(&studio.url).await.map_err(|e| e.to_string())?;
        wait_for(&browser.client, "body[data-ready='true']", Duration::from_secs(20)).await?;
        scenario(&browser.client, &studio, &tools, &scratch).await
    }
    .await;
    if outcome.is_err() {
        if let Ok(png) = browser.client.screenshot().await {
            let _ = std::fs::write(scratch.join("failure.png"), png);
        }
    }
    let _ = browser.client.close().await;
    eprintln!("{name}: {:.1} s", started.elapsed().as_secs_f64());
    if let Err(why) = outcome {
        panic!("{name}: {why}\n(screenshot: {})", scratch.join("failure.png").display());
    }
}

async fn wait_for(client: &Client, css: &str, timeout: Duration) -> Result<Element, String> {
    client
        .wait()
        .at_most(timeout)
        .every(Duration::from_millis(50))
        .for_element(Locator::Css(css))
        .await
        .map_err(|e| format!("waiting for {css}: {e}"))
}

async fn find(client: &Client, css: &str) -> Result<Element, String> {
    client.find(Locator::Css(css)).await.map_err(|e| format!("{css}: {e}"))
}

/// Finds `css` and applies `op` to it, again when the page drew it anew in between (it
/// redraws the canvas when a check answers).
async fn on_element<T>(
    client: &Client,
    css: &str,
    op: impl AsyncFn(Element) -> Result<T, CmdError>,
) -> Result<T, String> {
    let mut last = String::new();
    for _ in 0..10 {
        let element = find(client, css).await?;
        match op(element).await {
            Ok(value) => return Ok(value),
            Err(e) if e.to_string().contains("stale element") => {
                last = e.to_string();
                tokio::time::sleep(Duration::from_millis(30)).await;
            }
            Err(e) => return Err(format!("{css}: {e}")),
        }
    }
    Err(format!("{css}: {last}"))
}

async fn text(client: &Client, css: &str) -> Result<String, String> {
    on_element(client, css, async |el| el.text().await).await
}

async fn testid(client: &Client, id: &str) -> Result<Element, String> {
    find(client, &format!("[data-testid='{id}']")).await
}

async fn displayed(client: &Client, css: &str) -> Result<bool, String> {
    on_element(client, css, async |el| el.is_displayed().await).await
}

/// Waits until the text of `css` satisfies `ok`, and returns it.
async fn wait_text(client: &Client, css: &str, timeout: Duration, ok: impl Fn(&str) -> bool) -> Result<String, String> {
    let deadline = Instant::now() + timeout;
    loop {
        let now = match client.find(Locator::Css(css)).await {
            Ok(el) => el.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if ok(&now) {
            return Ok(now);
        }
        if Instant::now() > deadline {
            return Err(format!("{css} still says {now:?} after {timeout:?}"));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn click(client: &Client, css: &str) -> Outcome {
    on_element(client, css, async |el| el.click().await).await
}

async fn type_into(client: &Client, name: &str, value: &str) -> Outcome {
    let el = find(client, &format!("[name='{name}']")).await?;
    el.clear().await.map_err(|e| format!("clear {name}: {e}"))?;
    el.send_keys(value).await.map_err(|e| format!("type into {name}: {e}"))
}

async fn choose(client: &Client, name: &str, value: &str) -> Outcome {
    let el = find(client, &format!("select[name='{name}']")).await?;
    el.select_by_value(value).await.map_err(|e| format!("choose {value} in {name}: {e}"))
}

async fn value_of(client: &Client, css: &str) -> Result<String, String> {
    Ok(on_element(client, css, async |el| el.prop("value").await).await?.unwrap_or_default())
}

/// A real drag with the pointer: press on the palette item, move in steps across the page,
/// release over the canvas below its last step.
async fn drag_to_canvas(client: &Client, action: &str) -> Outcome {
    let item = testid(client, &format!("palette-{action}")).await?;
    let canvas = testid(client, "canvas").await?;
    let (_, _, _, height) = canvas.rectangle().await.map_err(|e| e.to_string())?;
    let mouse = MouseActions::new("mouse".into())
        .then(PointerAction::MoveToElement { element: item, duration: None, x: 0.0, y: 0.0 })
        .then(PointerAction::Down { button: MOUSE_BUTTON_LEFT })
        .then(PointerAction::MoveBy { duration: Some(Duration::from_millis(80)), x: 12.0, y: 4.0 })
        .then(PointerAction::MoveToElement {
            element: canvas.clone(),
            duration: Some(Duration::from_millis(200)),
            x: 0.0,
            y: 0.0,
        })
        .then(PointerAction::MoveToElement {
            element: canvas,
            duration: Some(Duration::from_millis(120)),
            x: 10.0,
            y: (height / 2.0 - 12.0).floor(),
        })
        .then(PointerAction::Up { button: MOUSE_BUTTON_LEFT });
    client.perform_actions(mouse).await.map_err(|e| format!("drag {action}: {e}"))
}

/// Presses keys on the focused element: modifiers held while the others are pressed.
async fn press(client: &Client, modifiers: &[Key], keys: &[Key]) -> Outcome {
    let mut actions = KeyActions::new("keyboard".into());
    for m in modifiers {
        actions = actions.then(KeyAction::Down { value: char::from(*m) });
    }
    for k in keys {
        actions = actions.then(KeyAction::Down { value: char::from(*k) }).then(KeyAction::Up { value: char::from(*k) });
    }
    for m in modifiers.iter().rev() {
        actions = actions.then(KeyAction::Up { value: char::from(*m) });
    }
    client.perform_actions(actions).await.map_err(|e| format!("keys: {e}"))
}

/// The keyboard way to add a step: Enter on the action in the palette.
async fn add_with_enter(client: &Client, action: &str) -> Outcome {
    let css = format!("[data-testid='palette-{action}']");
    on_element(client, &css, async |el| el.send_keys(&Key::Enter.to_string()).await).await
}

async fn step_title(client: &Client, n: usize) -> Result<String, String> {
    text(client, &format!("[data-testid='step-{n}'] .step-title")).await
}

/// Fills the connect form (step 1 is selected) with the emulator's app.
async fn fill_connect(client: &Client, secret: &str) -> Outcome {
    type_into(client, "appKey", APP_KEY).await?;
    type_into(client, "appSecret", secret).await
}

fn shipped_manifest() -> Manifest {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../plugin.json")).expect("plugin.json");
    serde_json::from_str(&text).expect("plugin.json is a manifest")
}

#[tokio::test]
async fn drag_connect_and_send_fill_them_run_and_see_the_message() {
    with_studio("drag-fill-run", None, &[], async |client, studio, _tools, scratch| {
        // Real drags, palette -> canvas, one after the other.
        drag_to_canvas(client, CONNECT).await?;
        wait_for(client, "[data-testid='step-1']", Duration::from_secs(15)).await?;
        drag_to_canvas(client, SEND).await?;
        wait_for(client, "[data-testid='step-2']", Duration::from_secs(15)).await?;
        ensure!(step_title(client, 1).await? == "Create DingTalk robot connection", "step 1 is connect");
        ensure!(step_title(client, 2).await? == "Send single-chat message", "step 2 is send");

        // Connect: the base URLs are pre-filled with the emulator's; the credentials it printed.
        click(client, "[data-testid='step-1'] .step-title").await?;
        fill_connect(client, APP_SECRET).await?;
        ensure!(
            find(client, "[name='appSecret']").await?.attr("type").await.map_err(|e| e.to_string())?
                == Some("password".into()),
            "the secret is a password input"
        );
        click(client, "[data-testid='tab-advanced']").await?;
        let emulator = studio.emulator.clone().unwrap_or_default();
        ensure!(value_of(client, "[name='apiBaseUrl']").await? == emulator, "apiBaseUrl is pre-filled with {emulator}");
        ensure!(value_of(client, "[name='oapiBaseUrl']").await? == emulator, "oapiBaseUrl is pre-filled");

        // Send: the robot comes from step 1's output, offered as ${robot}.
        click(client, "[data-testid='step-2'] .step-title").await?;
        ensure!(
            value_of(client, "select[name='robot']").await? == "${robot}",
            "the robot variable of step 1 fills the robot input"
        );
        let offered = find(client, "select[name='robot']").await?.text().await.map_err(|e| e.to_string())?;
        ensure!(
            offered.contains("${robot}") && offered.contains("step 1"),
            "the robot select offers step 1's output: {offered}"
        );
        // Under each field, what it takes, in the words the API gives (FieldSpec::takes).
        let help = text(client, "#field-userIds-help").await?;
        ensure!(help.contains("a list, or text with one item per line or comma; at most 1000 items"), "{help}");
        type_into(client, "userIds", "manager01\nmanger01, busy04").await?;
        type_into(client, "content", "The daily sales report is ready.").await?;

        click(client, "[data-testid='run']").await?;
        let status =
            wait_text(client, "[data-testid='status-2']", Duration::from_secs(30), |t| t == "ok" || t == "error")
                .await?;
        ensure!(text(client, "[data-testid='status-1']").await? == "ok", "step 1 is ok");
        let outputs2 = text(client, "[data-testid='outputs-2']").await?;
        ensure!(status == "ok", "step 2 is ok, not {status}: {outputs2}");
        let outputs1 = text(client, "[data-testid='outputs-1']").await?;
        ensure!(
            outputs1.contains("${robot}") && outputs1.contains("dingtalk.robot"),
            "step 1 shows its robot: {outputs1}"
        );
        ensure!(outputs2.contains("${invalidUserIds} = [\"manger01\"]"), "the unknown user is reported: {outputs2}");
        ensure!(
            outputs2.contains("${flowControlledUserIds} = [\"busy04\"]"),
            "the flow-controlled user is reported: {outputs2}"
        );

        // The emulator panel shows the message as DingTalk received it.
        let received = text(client, "[data-testid='received-1']").await?;
        for expected in ["sampleText", "manager01", "The daily sales report is ready."] {
            ensure!(received.contains(expected), "the emulator panel shows {expected}: {received}");
        }
        let stats = emulator_stats(studio)?;
        ensure!(stats["messages"] == 1 && stats["tokenRequests"] == 1, "one message delivered, one token: {stats}");

        // The secret typed in is nowhere in the page's markup.
        let source = client.source().await.map_err(|e| e.to_string())?;
        ensure!(!source.contains(APP_SECRET), "the AppSecret is not in the page");

        // The screenshot of the finished run (README shows it).
        click(client, "[data-testid='step-2'] .step-title").await?;
        let png = client.screenshot().await.map_err(|e| e.to_string())?;
        ensure!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
        std::fs::write(scratch.join("studio.png"), &png).map_err(|e| e.to_string())?;
        Ok(())
    })
    .await;
}

/// A long step shows a bar under it while it runs, fed by the streamed answer of /api/run: a
/// wait for a reply says whom it waits for and the time left, in the page's language.
#[tokio::test]
async fn a_long_step_shows_its_progress_under_it_while_it_runs() {
    with_studio("progress-bar", None, &["--lang", "zh-CN"], async |client, _studio, _tools, _scratch| {
        add_with_enter(client, CONNECT).await?;
        wait_for(client, "[data-testid='step-1']", Duration::from_secs(15)).await?;
        add_with_enter(client, "dingtalk.robot.wait_for_reply").await?;
        wait_for(client, "[data-testid='step-2']", Duration::from_secs(15)).await?;
        click(client, "[data-testid='step-1'] .step-title").await?;
        fill_connect(client, APP_SECRET).await?;
        click(client, "[data-testid='step-2'] .step-title").await?;
        type_into(client, "userId", "staff02").await?;
        type_into(client, "timeoutSeconds", "4").await?;

        click(client, "[data-testid='run']").await?;
        let shown = wait_text(client, "[data-testid='progress-2']", Duration::from_secs(20), |t| {
            t.contains("等待 staff02 回复，剩余")
        })
        .await?;
        let bar = find(client, "[data-testid='progress-2'] progress").await?;
        let max = bar.attr("max").await.map_err(|e| e.to_string())?;
        ensure!(max.as_deref() == Some("4"), "the bar counts the wait's 4 seconds, not {max:?}: {shown}");
        let status =
            wait_text(client, "[data-testid='status-2']", Duration::from_secs(30), |t| !t.is_empty() && t != "运行中…")
                .await?;
        ensure!(
            !displayed(client, "[data-testid='progress-2']").await.unwrap_or(false),
            "the bar goes when the run ends ({status})"
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn visible_when_hides_and_shows_the_title_and_the_keyboard_adds_moves_and_removes() {
    with_studio("visible-when-keyboard", None, &[], async |client, _studio, _tools, _scratch| {
        // The keyboard way: Enter on a palette item adds it at the end.
        add_with_enter(client, SEND).await?;
        wait_for(client, "[data-testid='step-1']", Duration::from_secs(15)).await?;

        // msgType is text: the Markdown-only title is hidden; Markdown shows it; text hides it again.
        ensure!(value_of(client, "select[name='msgType']").await? == "text", "the template starts at its default");
        click(client, "[data-testid='tab-advanced']").await?;
        ensure!(!displayed(client, "[name='title']").await?, "the title is hidden for text");
        click(client, "[data-testid='tab-basic']").await?;
        choose(client, "msgType", "markdown").await?;
        click(client, "[data-testid='tab-advanced']").await?;
        ensure!(displayed(client, "[name='title']").await?, "the title shows for Markdown");
        type_into(client, "title", "Weekly summary").await?;
        click(client, "[data-testid='tab-basic']").await?;
        choose(client, "msgType", "image").await?;
        click(client, "[data-testid='tab-advanced']").await?;
        ensure!(!displayed(client, "[name='title']").await?, "the title hides again for an image");
        click(client, "[data-testid='tab-basic']").await?;
        choose(client, "msgType", "markdown").await?;
        click(client, "[data-testid='tab-advanced']").await?;
        ensure!(value_of(client, "[name='title']").await? == "Weekly summary", "what was typed is kept while hidden");

        // Add connect at the end, move it up with Alt+Up, remove a step with Delete.
        add_with_enter(client, CONNECT).await?;
        wait_for(client, "[data-testid='step-2']", Duration::from_secs(15)).await?;
        ensure!(step_title(client, 2).await? == "Create DingTalk robot connection", "connect was added last");
        click(client, "[data-testid='step-2'] .step-title").await?;
        press(client, &[Key::Alt], &[Key::Up]).await?;
        wait_text(client, "[data-testid='step-1'] .step-title", Duration::from_secs(15), |t| {
            t == "Create DingTalk robot connection"
        })
        .await?;
        ensure!(step_title(client, 2).await? == "Send single-chat message", "send is now step 2");
        let focused =
            client.execute("return document.activeElement.dataset.testid", vec![]).await.map_err(|e| e.to_string())?;
        ensure!(focused == json!("step-1"), "the moved step keeps the focus: {focused}");
        press(client, &[], &[Key::Down]).await?;
        press(client, &[], &[Key::Delete]).await?;
        wait_text(client, "[data-testid='canvas']", Duration::from_secs(15), |t| {
            !t.contains("Send single-chat message")
        })
        .await?;
        ensure!(client.find(Locator::Css("[data-testid='step-2']")).await.is_err(), "one step is left");
        ensure!(step_title(client, 1).await? == "Create DingTalk robot connection", "connect is left");
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn a_bad_input_shows_its_hint_and_sends_nothing() {
    with_studio("bad-input", None, &["--abi", "c"], async |client, studio, _tools, _scratch| {
        for action in [CONNECT, SEND] {
            add_with_enter(client, action).await?;
        }
        wait_for(client, "[data-testid='step-2']", Duration::from_secs(15)).await?;
        click(client, "[data-testid='step-1'] .step-title").await?;
        fill_connect(client, APP_SECRET).await?;
        click(client, "[data-testid='step-2'] .step-title").await?;
        // A user ID longer than DingTalk's 64 characters.
        let ids = vec!["u".repeat(65)];
        type_into(client, "userIds", &ids.join(",")).await?;
        type_into(client, "content", "hello").await?;

        // The check's words are host-sim's own for this value (the same validate_params).
        let manifest = shipped_manifest();
        let spec = manifest.action(SEND).ok_or("no send action")?;
        let expected = host_sim::validate::validate_params(
            spec,
            json!({"robot": {"type": "dingtalk.robot", "id": "x"}, "userIds": ids, "msgType": "text", "content": "hello"}),
        )
        .err()
        .ok_or("a user ID of 65 characters is refused")?;
        let hint = expected.hint_in("en").ok_or("the refusal has a hint")?.to_string();

        // Shown beside the field as soon as it is typed, and again on Run, with nothing sent.
        let beside = wait_text(client, "[data-testid='error-userIds']", Duration::from_secs(15), |t| t.contains(&hint)).await?;
        ensure!(beside.contains("64"), "the message is shown beside userIds too: {beside}");
        click(client, "[data-testid='run']").await?;
        wait_text(client, "[data-testid='status-2']", Duration::from_secs(20), |t| t == "error").await?;
        ensure!(text(client, "[data-testid='status-1']").await? == "not run", "nothing ran before the bad step");
        let beside = text(client, "[data-testid='error-userIds']").await?;
        ensure!(beside.contains(&hint) && beside.contains("INVALID_INPUT"), "the hint beside the field after Run: {beside}");
        ensure!(text(client, "[data-testid='message']").await?.contains("nothing was run"), "the page says nothing ran");
        let stats = emulator_stats(studio)?;
        ensure!(stats["tokenRequests"] == 0 && stats["batchSendRequests"] == 0, "nothing reached DingTalk: {stats}");

        // A wrong AppSecret: the plugin's error document, with its hint; still nothing sent.
        type_into(client, "userIds", "manager01").await?;
        click(client, "[data-testid='step-1'] .step-title").await?;
        type_into(client, "appSecret", "not-the-secret-0000").await?;
        click(client, "[data-testid='run']").await?;
        wait_text(client, "[data-testid='status-1']", Duration::from_secs(30), |t| t == "error").await?;
        ensure!(text(client, "[data-testid='status-2']").await? == "not run", "send did not run");
        let outputs = text(client, "[data-testid='outputs-1']").await?;
        ensure!(outputs.contains("AUTH_FAILED") && outputs.contains("Hint:"), "the error document with its hint: {outputs}");
        let form = text(client, "[data-testid='step-error']").await?;
        ensure!(form.contains("AUTH_FAILED") && form.contains("Hint:"), "the step's form shows the error too: {form}");
        let source = client.source().await.map_err(|e| e.to_string())?;
        ensure!(!source.contains("not-the-secret-0000"), "the typed secret does not come back");
        let stats = emulator_stats(studio)?;
        ensure!(stats["batchSendRequests"] == 0 && stats["messages"] == 0, "nothing was sent: {stats}");
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn the_language_switch() {
    with_studio("language", None, &["--lang", "zh-CN"], async |client, _studio, _tools, _scratch| {
        // --lang zh-CN: the page starts in Chinese, with the manifest's Chinese words.
        let connect = format!("[data-testid='palette-{CONNECT}'] .p-title");
        ensure!(text(client, &connect).await? == "建立钉钉机器人连接", "Chinese first");
        add_with_enter(client, SEND).await?;
        wait_for(client, "[data-testid='step-1']", Duration::from_secs(15)).await?;
        ensure!(step_title(client, 1).await? == "钉钉机器人发送单聊消息", "the step's title in Chinese");
        ensure!(text(client, "[data-testid='tab-basic']").await? == "常规", "常规");
        ensure!(text(client, "[data-testid='tab-advanced']").await? == "高级", "高级");
        ensure!(text(client, "[data-testid='run']").await? == "运行", "the run button in Chinese");
        let label = text(client, "label[for='field-content']").await?;
        ensure!(
            label.contains("消息") && label.contains("*"),
            "the field's label from the manifest, required: {label}"
        );
        let lang = client.execute("return document.documentElement.lang", vec![]).await.map_err(|e| e.to_string())?;
        ensure!(lang == json!("zh-CN"), "the document's language: {lang}");

        click(client, "[data-testid='lang-en']").await?;
        wait_text(client, &connect, Duration::from_secs(15), |t| t == "Create DingTalk robot connection").await?;
        ensure!(step_title(client, 1).await? == "Send single-chat message", "the step in English");
        ensure!(text(client, "[data-testid='tab-basic']").await? == "Basic", "the basic tab in English");
        ensure!(text(client, "[data-testid='run']").await? == "Run", "the run button in English");
        let choice =
            on_element(client, "select[name='msgType'] option[value='markdown']", async |el| el.text().await).await?;
        ensure!(choice.starts_with("Markdown"), "choice labels: {choice}");

        click(client, "[data-testid='lang-zh-CN']").await?;
        wait_text(client, "[data-testid='tab-basic']", Duration::from_secs(15), |t| t == "常规").await?;
        ensure!(text(client, &connect).await? == "建立钉钉机器人连接", "and back to Chinese");
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn the_demo_flow_runs_from_the_page() {
    with_studio("demo-flow", None, &[], async |client, studio, _tools, _scratch| {
        click(client, "[data-testid='example']").await?;
        wait_for(client, "[data-testid='step-4']", Duration::from_secs(15)).await?;
        click(client, "[data-testid='step-1'] .step-title").await?;
        type_into(client, "appSecret", APP_SECRET).await?;
        click(client, "[data-testid='run']").await?;
        wait_text(client, "[data-testid='status-4']", Duration::from_secs(30), |t| t == "ok" || t == "error").await?;
        for n in 1..=4 {
            let status = text(client, &format!("[data-testid='status-{n}']")).await?;
            let outputs = text(client, &format!("[data-testid='outputs-{n}']")).await?;
            ensure!(status == "ok", "step {n} is ok, not {status}: {outputs}");
        }
        let panel = text(client, "[data-testid='received']").await?;
        for template in ["sampleText", "sampleMarkdown", "sampleFile"] {
            ensure!(panel.contains(template), "the panel shows the {template} message: {panel}");
        }
        let stats = emulator_stats(studio)?;
        ensure!(
            stats["messages"] == 4 && stats["uploads"] == 1 && stats["tokenRequests"] == 1,
            "as host-sim demo: {stats}"
        );
        Ok(())
    })
    .await;
}

/// The test of issue 28 in the page: the studio in Chinese, after the example ran, shows no
/// English sentence outside user data, identifiers and codes; its badges, counters and log
/// levels are in Chinese, and its emulator panel offers the custom robot.
#[tokio::test]
async fn the_chinese_page_has_no_english_sentences() {
    with_studio("chinese-page", None, &["--lang", "zh-CN"], async |client, _studio, _tools, _scratch| {
        click(client, "[data-testid='example']").await?;
        wait_for(client, "[data-testid='step-4']", Duration::from_secs(15)).await?;
        click(client, "[data-testid='step-1'] .step-title").await?;
        type_into(client, "appSecret", APP_SECRET).await?;
        click(client, "[data-testid='run']").await?;
        wait_for(client, "[data-testid='status-4'][data-status='ok']", Duration::from_secs(30)).await?;
        for n in 1..=4 {
            let badge = text(client, &format!("[data-testid='status-{n}']")).await?;
            ensure!(badge == "成功", "step {n}'s badge says 成功, not {badge:?}");
        }
        let counters = text(client, "[data-testid='emulator-stats']").await?;
        ensure!(counters.contains("送达消息 4") && counters.contains("获取令牌 1"), "labelled counters: {counters}");
        ensure!(
            !counters.contains("[object Object]") && !counters.contains("tokenRequests"),
            "no raw keys: {counters}"
        );
        let by_template = text(client, "[data-testid='stats-by-template']").await?;
        ensure!(by_template.contains("sampleMarkdown 2") && by_template.contains("sampleFile 1"), "{by_template}");
        let webhook = text(client, "[data-testid='webhook']").await?;
        ensure!(
            webhook.contains("/robot/send?access_token=")
                && webhook.contains(host_sim::studio::EMULATOR_WEBHOOK_SECRET),
            "the custom robot's URL and secret: {webhook}"
        );
        // Each step's form, as a person opens them.
        let mut page = String::new();
        for n in 1..=4 {
            click(client, &format!("[data-testid='step-{n}'] .step-title")).await?;
            for tab in ["basic", "advanced"] {
                click(client, &format!("[data-testid='tab-{tab}']")).await?;
                page.push_str(&text(client, "[data-testid='form']").await?);
                page.push('\n');
            }
        }
        let body = client.execute("return document.body.innerText", vec![]).await.map_err(|e| e.to_string())?;
        page.push_str(body.as_str().unwrap_or_default());
        let found = common::english_runs(&page);
        ensure!(found.is_empty(), "English in the Chinese page:\n{}", found.join("\n"));
        // The log's levels are in the page's words (its plugin lines follow issue 28.1).
        click(client, ".log summary").await?;
        let log = text(client, "[data-testid='log']").await?;
        ensure!(log.lines().any(|l| l.starts_with("信息：步骤 1/1：")), "the log in Chinese: {log}");
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn save_then_load_gives_the_same_flow_and_host_sim_run_takes_it() {
    with_studio("save-load", None, &[], async |client, studio, tools, scratch| {
        for action in [CONNECT, SEND] {
            add_with_enter(client, action).await?;
        }
        wait_for(client, "[data-testid='step-2']", Duration::from_secs(15)).await?;
        click(client, "[data-testid='step-1'] .step-title").await?;
        fill_connect(client, APP_SECRET).await?;
        click(client, "[data-testid='tab-advanced']").await?;
        type_into(client, "timeoutSeconds", "15").await?;
        click(client, "[data-testid='step-2'] .step-title").await?;
        type_into(client, "userIds", r#"["manager01", "staff02"]"#).await?;
        choose(client, "msgType", "markdown").await?;
        type_into(client, "content", "## Weekly\n- orders: 12").await?;
        click(client, "[data-testid='tab-advanced']").await?;
        type_into(client, "title", "Weekly").await?;

        // Save: secrets become ${env:NAME} unless asked.
        click(client, "[data-testid='save']").await?;
        let saved = value_of(client, "[data-testid='flow-json']").await?;
        ensure!(!saved.contains(APP_SECRET) && saved.contains("${env:APP_SECRET}"), "the secret is not saved: {saved}");
        ensure!(
            text(client, "[data-testid='save-note']").await?.contains("APP_SECRET"),
            "the dialog names the variable"
        );
        click(client, "[data-testid='save-secrets']").await?;
        ensure!(
            value_of(client, "[data-testid='flow-json']").await?.contains(APP_SECRET),
            "asked, the secret is written"
        );
        click(client, "[data-testid='save-secrets']").await?;
        ensure!(value_of(client, "[data-testid='flow-json']").await? == saved, "and unasked, not");
        click(client, "[data-testid='save-download']").await?;
        let downloaded = scratch.join("flow.json");
        let deadline = Instant::now() + Duration::from_secs(10);
        // The browser may write the file in pieces: wait until it holds what was shown, or
        // the deadline passes.
        while std::fs::read_to_string(&downloaded).ok().is_none_or(|f| f != saved) && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let file =
            std::fs::read_to_string(&downloaded).map_err(|e| format!("the download {}: {e}", downloaded.display()))?;
        ensure!(file == saved, "the downloaded file is the text shown");
        click(client, "[data-testid='save-close']").await?;

        // It is the flow JSON host-sim run takes, with the values as typed.
        let flow = host_sim::Flow::parse(&saved, Path::new("flow.json")).map_err(|e| e.to_string())?;
        ensure!(flow.steps.len() == 2, "two steps");
        let connect = &flow.steps[0].params;
        ensure!(connect["appKey"] == APP_KEY && connect["timeoutSeconds"] == 15, "connect's values: {connect:?}");
        ensure!(connect["apiBaseUrl"] == json!(studio.emulator), "the pre-filled URL: {connect:?}");
        let send = &flow.steps[1];
        ensure!(
            send.params["robot"] == "${robot}" && send.params["userIds"] == json!(["manager01", "staff02"]),
            "{send:?}"
        );
        ensure!(send.params["title"] == "Weekly" && send.params["msgType"] == "markdown", "{send:?}");
        ensure!(
            send.outputs.get("invalidUserIds").is_some_and(|v| v == "invalidUserIds"),
            "outputs are mapped: {send:?}"
        );

        // Load it into a fresh page: saving again gives the very same text.
        client.refresh().await.map_err(|e| e.to_string())?;
        wait_for(client, "body[data-ready='true']", Duration::from_secs(20)).await?;
        ensure!(client.find(Locator::Css("[data-testid='step-1']")).await.is_err(), "a fresh page is empty");
        testid(client, "load-file").await?.send_keys(&downloaded.to_string_lossy()).await.map_err(|e| e.to_string())?;
        wait_for(client, "[data-testid='step-2']", Duration::from_secs(15)).await?;
        ensure!(
            text(client, "[data-testid='message']").await?.contains("Loaded flow.json: 2 step(s)"),
            "the page says it loaded"
        );
        ensure!(
            value_of(client, "[name='appSecret']").await? == "${env:APP_SECRET}",
            "the secret field reads the variable"
        );
        click(client, "[data-testid='save']").await?;
        let again = value_of(client, "[data-testid='flow-json']").await?;
        ensure!(again == saved, "save, load, save gives the same flow:\n{saved}\n---\n{again}");
        click(client, "[data-testid='save-close']").await?;

        // And `host-sim run` runs the saved file, with the secret from the environment.
        let output = Command::new(env!("CARGO_BIN_EXE_host-sim"))
            .args(["run", "--log-level", "off", "--plugin"])
            .arg(&tools.plugin)
            .arg(&downloaded)
            .env("APP_SECRET", APP_SECRET)
            .output()
            .map_err(|e| e.to_string())?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        ensure!(output.status.success(), "host-sim run takes the saved flow: {stdout}");
        let vars: Value = serde_json::from_str(&stdout).map_err(|e| e.to_string())?;
        ensure!(vars["invalidUserIds"] == json!([]), "{vars}");
        let stats = emulator_stats(studio)?;
        ensure!(stats["messages"] == 2, "the saved flow sent its Markdown to two users: {stats}");
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn another_plugin_draws_its_own_palette_and_forms() {
    // The same page for a plugin it has never seen: the echo fixture, without the emulator.
    let echo = common::fixture("echo_plugin");
    with_studio("another-plugin", Some(echo), &["--no-emulator"], async |client, _studio, _tools, _scratch| {
        let items = client.find_all(Locator::Css(".palette-item")).await.map_err(|e| e.to_string())?;
        ensure!(items.len() == 2, "the fixture's two actions: {}", items.len());
        drag_to_canvas(client, "echo.echo").await?;
        wait_for(client, "[data-testid='step-1']", Duration::from_secs(15)).await?;
        ensure!(step_title(client, 1).await? == "Echo", "the fixture's title");
        type_into(client, "text", "hi").await?;
        type_into(client, "tags", "a, b").await?;

        // Its own visibleWhen: the suffix is shown, and required, only when shouting.
        click(client, "[data-testid='tab-advanced']").await?;
        ensure!(!displayed(client, "[name='suffix']").await?, "no suffix while plain");
        choose(client, "mode", "shout").await?;
        ensure!(displayed(client, "[name='suffix']").await?, "the suffix shows when shouting");
        click(client, "[data-testid='run']").await?;
        wait_text(client, "[data-testid='status-1']", Duration::from_secs(20), |t| t == "error").await?;
        let beside =
            wait_text(client, "[data-testid='error-suffix']", Duration::from_secs(15), |t| !t.is_empty()).await?;
        ensure!(beside.contains("required"), "the required suffix is asked for beside it: {beside}");
        type_into(client, "suffix", "!").await?;
        click(client, "[data-testid='run']").await?;
        wait_text(client, "[data-testid='status-1']", Duration::from_secs(20), |t| t == "ok").await?;
        let outputs = text(client, "[data-testid='outputs-1']").await?;
        ensure!(outputs.contains("\"HI!\"") && outputs.contains("[\"a\",\"b\"]"), "the echo's outputs: {outputs}");
        ensure!(
            text(client, "[data-testid='emulator']").await?.contains("--no-emulator"),
            "the panel says there is no emulator"
        );
        Ok(())
    })
    .await;
}
