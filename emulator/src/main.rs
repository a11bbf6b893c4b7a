#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! `dingtalk-emulator`: run the fake DingTalk open platform until killed.

use std::io::Write;
use std::time::Duration;

use clap::Parser;
use dingtalk_emulator::{AppConfig, Emulator, EmulatorConfig, GroupConfig};

/// A faithful fake DingTalk open platform on 127.0.0.1.
#[derive(Parser)]
#[command(name = "dingtalk-emulator", version, about)]
struct Args {
    /// Port to listen on (0 = any free port).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// The app's AppKey.
    #[arg(long)]
    app_key: String,
    /// The app's AppSecret (never printed).
    #[arg(long)]
    app_secret: String,
    /// The app's robot code (default: the AppKey).
    #[arg(long)]
    robot_code: Option<String>,
    /// Users of the org, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "")]
    users: Vec<String>,
    /// Flow-controlled users, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "")]
    flow_controlled: Vec<String>,
    /// Mobile numbers of users, as mobile=userId pairs, comma-separated (for getbymobile).
    #[arg(long, value_delimiter = ',', default_value = "")]
    mobiles: Vec<String>,
    /// Group chats the app's robot is in (openConversationIds), comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "")]
    groups: Vec<String>,
    /// Access-token lifetime in seconds.
    #[arg(long, default_value_t = 7200)]
    token_ttl: u64,
    /// Calls per second allowed per app and API (0 = no limit).
    #[arg(long, default_value_t = 20)]
    qps_limit: u32,
    /// Interactive-card template IDs the card platform knows, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "")]
    card_templates: Vec<String>,
    /// How long a robot message's sessionWebhook stays valid, in seconds.
    #[arg(long, default_value_t = 90 * 60)]
    session_webhook_ttl: u64,
    /// A fault: close keep-alive connections idle this many milliseconds (0 = never).
    #[arg(long, default_value_t = 0)]
    close_idle_after_ms: u64,
}

fn main() {
    let args = Args::parse();
    let mut app = AppConfig::new(args.app_key, args.app_secret);
    if let Some(code) = args.robot_code {
        app = app.with_robot_code(code);
    }
    let robot_code = app.robot_code.clone();
    let clean = |v: Vec<String>| -> Vec<String> { v.into_iter().filter(|s| !s.is_empty()).collect() };
    let config = EmulatorConfig {
        apps: vec![app],
        users: clean(args.users),
        flow_controlled: clean(args.flow_controlled),
        mobiles: clean(args.mobiles)
            .into_iter()
            .filter_map(|pair| pair.split_once('=').map(|(m, u)| (m.trim().to_owned(), u.trim().to_owned())))
            .collect(),
        groups: clean(args.groups).into_iter().map(|g| GroupConfig::new(g, [robot_code.clone()])).collect(),
        token_ttl: Duration::from_secs(args.token_ttl),
        qps_limit: args.qps_limit,
        port: args.port,
        card_templates: clean(args.card_templates),
        session_webhook_ttl: Duration::from_secs(args.session_webhook_ttl),
        close_idle_after: (args.close_idle_after_ms > 0).then(|| Duration::from_millis(args.close_idle_after_ms)),
        ..EmulatorConfig::default()
    };
    let emulator = match Emulator::start(config) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("dingtalk-emulator: {e}");
            std::process::exit(1);
        }
    };
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "listening on {}", emulator.url());
    let _ = out.flush();
    drop(out);
    loop {
        std::thread::park();
    }
}
