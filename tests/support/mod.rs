//! Shared by the end-to-end tests: a recording host, the standard emulated org, calls into
//! the plugin through its Rust entry point (the same code the cdylib exports), scratch
//! directories and the `host-sim` binary of this build.
//!
//! * [`any_json`]: the one arbitrary-JSON generator (the plugin's unit properties use it too);
//! * [`hostile`]: servers that are not DingTalk (redirects, wrong pages, ports whose SYNs are
//!   dropped);
//! * [`flows`]: flows run through host-sim's library and binary with the built cdylib, a
//!   transcript of everything printed that is searched for secrets, and many sends at once;
//! * [`redis_server`]: a `redis-server` of a test's own.
//!
//! Each `tests/*.rs` is its own crate and uses only part of this, so each declares
//! `#[allow(dead_code)] mod support;`.

pub(crate) mod any_json;
pub(crate) mod flows;
pub(crate) mod hostile;
pub(crate) mod media;
pub(crate) mod redis_server;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use abi_stable::sabi_trait::TD_Opaque;
use abi_stable::std_types::RStr;
use dingtalk_emulator::{AppConfig, Emulator, EmulatorConfig};
use dingtalk_robot::names::connect;
use rpa_plugin_abi::{ErrorPayload, Host, Host_TO, LogLevel};
use serde_json::{Value, json};

/// The test org's app.
pub(crate) const APP_KEY: &str = "dingtestappkey01";
/// Its secret: no output, error or log may ever contain it.
pub(crate) const APP_SECRET: &str = "S3cret-Never-Print-Me-0123456789";
/// Users of the org.
pub(crate) const USERS: [&str; 4] = ["manager01", "staff02", "staff03", "busy04"];
/// The user DingTalk flow-controls.
pub(crate) const FLOW_CONTROLLED: &str = "busy04";

/// A host that records every log line and can be cancelled.
#[derive(Default)]
pub(crate) struct TestHost {
    pub(crate) logs: Mutex<Vec<String>>,
    pub(crate) cancelled: AtomicBool,
}

impl Host for TestHost {
    fn log(&self, level: LogLevel, message: RStr<'_>) {
        self.logs.lock().unwrap().push(format!("[{}] {}", level.as_str(), message.as_str()));
    }

    fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Acquire)
    }
}

impl TestHost {
    /// Every log line so far, one per line.
    pub(crate) fn text(&self) -> String {
        self.logs.lock().unwrap().join("\n")
    }
}

/// Calls an action as a designer would, through the plugin's typed entry point (the same
/// code the cdylib exports).
pub(crate) fn invoke(host: &TestHost, action: &str, params: &Value) -> Result<Value, ErrorPayload> {
    let host_ref = Host_TO::from_ptr(host, TD_Opaque);
    dingtalk_robot::run(action, params, &host_ref).map(Value::Object)
}

/// An emulated org with one app and the test users.
pub(crate) fn org_config() -> EmulatorConfig {
    EmulatorConfig {
        apps: vec![AppConfig::new(APP_KEY, APP_SECRET)],
        users: USERS.iter().map(|u| u.to_string()).collect(),
        flow_controlled: vec![FLOW_CONTROLLED.to_string()],
        ..EmulatorConfig::default()
    }
}

/// Starts the standard org.
pub(crate) fn org() -> Emulator {
    Emulator::start(org_config()).expect("emulator starts")
}

/// Starts the standard org without DingTalk's rate limit.
pub(crate) fn unlimited_org() -> Emulator {
    Emulator::start(EmulatorConfig { qps_limit: 0, ..org_config() }).expect("emulator starts")
}

/// Connect params pointing at the emulator.
pub(crate) fn connect_params(emu: &Emulator) -> Value {
    json!({
        connect::APP_KEY: APP_KEY, connect::APP_SECRET: APP_SECRET,
        connect::API_BASE_URL: emu.url(), connect::OAPI_BASE_URL: emu.url(),
    })
}

/// Connects and returns the robot handle.
pub(crate) fn connect(host: &TestHost, emu: &Emulator) -> Value {
    let out = invoke(host, connect::ID, &connect_params(emu)).expect("connect succeeds");
    out[connect::ROBOT].clone()
}

/// Every access token the emulator saw in use.
pub(crate) fn tokens_seen(emu: &Emulator) -> Vec<String> {
    let mut tokens: Vec<String> =
        emu.requests().iter().filter_map(|r| r.access_token.clone()).filter(|t| !t.is_empty()).collect();
    tokens.sort();
    tokens.dedup();
    tokens
}

/// Fails if any of `texts` contains the secret or one of the tokens.
pub(crate) fn assert_no_secrets(emu: &Emulator, texts: &[&str]) {
    let tokens = tokens_seen(emu);
    for text in texts {
        assert!(!text.contains(APP_SECRET), "the AppSecret leaked: {text}");
        for t in &tokens {
            assert!(!text.contains(t.as_str()), "an access token leaked: {text}");
        }
    }
}

/// A fresh, empty scratch directory for one test; `name` is unique within its test file.
pub(crate) fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dingtalk-robot-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The `host-sim` binary of this build (`target/<profile>/host-sim`; test binaries run from
/// `target/<profile>/deps`). `cargo test --workspace` builds it; `cargo test -p
/// dingtalk-robot` alone does not, so the first test that needs it builds it, once per test
/// binary, with the cargo running the tests.
pub(crate) fn host_sim_exe() -> PathBuf {
    static BUILT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            let exe = std::env::current_exe().expect("the test binary has a path");
            let profile_dir = exe.parent().and_then(|deps| deps.parent()).expect("target/<profile>/deps");
            let path = profile_dir.join(format!("host-sim{}", std::env::consts::EXE_SUFFIX));
            if !path.exists() {
                let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
                let release = profile_dir.file_name().is_some_and(|p| p == "release");
                let mut build = std::process::Command::new(cargo);
                build.args(["build", "-q", "-p", "host-sim", "--bin", "host-sim"]);
                build.arg("--manifest-path").arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"));
                if release {
                    build.arg("--release");
                }
                let status = build.status().expect("cargo runs");
                assert!(status.success(), "cargo build -p host-sim failed");
            }
            assert!(path.exists(), "host-sim was built but is not at {}", path.display());
            path
        })
        .clone()
}

/// The test group's custom robot: its webhook's access_token and signing secret (no output,
/// error or log may contain either).
pub(crate) const WEBHOOK_TOKEN: &str = "whtok0123456789abcdef0123456789abcdef0123456789abcdef0123456789";
/// Its signing secret.
pub(crate) const WEBHOOK_SECRET: &str = "SEC9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0";
/// The group it posts to.
pub(crate) const WEBHOOK_GROUP: &str = "ops-alerts";

/// An emulated org whose group `ops-alerts` has a signing custom robot (no keywords). Its
/// access_token is [`WEBHOOK_TOKEN`] and a number of its own ([`webhook_token`]): the plugin
/// keeps one per-minute budget per token, and tests running at once must not share one.
pub(crate) fn webhook_org(
    robot: impl FnOnce(dingtalk_emulator::WebhookConfig) -> dingtalk_emulator::WebhookConfig,
) -> Emulator {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let token = format!("{WEBHOOK_TOKEN}{:04}", NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
    let hook = robot(dingtalk_emulator::WebhookConfig::new(&token, WEBHOOK_GROUP).with_secret(WEBHOOK_SECRET));
    let emu = Emulator::start(EmulatorConfig { webhooks: vec![hook], ..org_config() }).expect("emulator starts");
    webhook_tokens().lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(emu.port(), token);
    emu
}

/// The access_token of the custom robot of an emulator made by [`webhook_org`].
pub(crate) fn webhook_token(emu: &Emulator) -> String {
    let tokens = webhook_tokens().lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    tokens.get(&emu.port()).cloned().expect("the emulator was made by webhook_org")
}

fn webhook_tokens() -> &'static std::sync::Mutex<std::collections::HashMap<u16, String>> {
    static TOKENS: std::sync::OnceLock<std::sync::Mutex<std::collections::HashMap<u16, String>>> =
        std::sync::OnceLock::new();
    TOKENS.get_or_init(Default::default)
}

/// The robot's webhook URL on the emulator.
pub(crate) fn webhook_url(emu: &Emulator) -> String {
    format!("{}/robot/send?access_token={}", emu.url(), webhook_token(emu))
}

/// Connects the custom robot with the signing secret, plus `extra` params; returns its handle.
pub(crate) fn connect_webhook(host: &TestHost, emu: &Emulator, extra: Value) -> Value {
    use dingtalk_robot::names::connect_webhook as c;
    let mut params = json!({ c::WEBHOOK_URL: webhook_url(emu), c::SECRET: WEBHOOK_SECRET });
    if let (Some(p), Some(e)) = (params.as_object_mut(), extra.as_object()) {
        p.extend(e.clone());
    }
    invoke(host, c::ID, &params).expect("connect_webhook succeeds")[c::ROBOT].clone()
}
