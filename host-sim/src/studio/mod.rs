//! `host-sim studio`: the plugin in a small drag-and-drop designer, in the browser.
//!
//! One local web page, drawn entirely from the loaded plugin's manifest: a palette of its
//! actions, a canvas of steps, each step's form (basic and advanced tabs, `visibleWhen`,
//! variables from earlier steps), checks with the manifest's schemas, Run through the same
//! engine as `host-sim run` ([`crate::flow::run_flow`]), save and load as the flow JSON that
//! `host-sim run` takes, and a panel of what the embedded DingTalk emulator received.
//!
//! The server ([`Studio`]) listens on 127.0.0.1 only, on its own thread and tokio runtime,
//! and serves the page's files from the binary ([`assets`]) and a small JSON API ([`api`]).
//! Its connections are bounded ([`ConnectionLimits`]): a header must arrive within a
//! timeout, a body must not pause for longer than another, and only so many may be open at
//! once. A flow it checks or runs has at most [`crate::flow::MAX_STEPS`] steps, and its check
//! does work in proportion to the flow's size.
//! It answers only requests from its own page: the `Host` header must name this server and an
//! `Origin`, when sent (and it must be on anything but a read), must be this server's; it has
//! no endpoint that reads a file; and no answer ever holds a secret that the page sent
//! (secret fields' values and the environment variables a flow names are masked in every
//! answer, whatever echoes them).

mod api;
mod assets;
mod check;
mod example;
mod server;
mod words;

pub use server::ConnectionLimits;

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use dingtalk_emulator::{AppConfig, Emulator, EmulatorConfig, WebhookConfig};
use rpa_plugin_abi::{ActionSpec, ErrorPayload, Inputs, Text, codes, text};
use tokio::sync::oneshot;

use crate::plugin::Plugin;

/// The emulator's app, whose credentials `host-sim studio` prints.
pub const EMULATOR_APP_KEY: &str = "dingstudio5q8w2e";
/// Its AppSecret: printed on the terminal, never sent to the page by the server.
pub const EMULATOR_APP_SECRET: &str = "studio-secret-typed-into-the-form";
/// The emulator org's users; the last one is flow-controlled.
pub const EMULATOR_USERS: [&str; 4] = ["manager01", "staff02", "staff03", "busy04"];
/// The `access_token` of the emulator's custom (webhook) robot, so that a person can try the
/// two webhook actions in the page.
pub const EMULATOR_WEBHOOK_TOKEN: &str = "studiowebhooktoken4f3e2d1c0b";
/// The interactive-card template the embedded emulator knows, for trying an ask with a card
/// (its `cardTemplateId`).
const EMULATOR_CARD_TEMPLATE: &str = "studio-approval-card.schema";
/// Its signing secret (加签): like the AppSecret, printed on the terminal and shown in the
/// emulator panel, for a person to type into the form; a fake credential of a fake service.
pub const EMULATOR_WEBHOOK_SECRET: &str = "SECstudio0signing0secret0typed0into0the0form";
/// The group it posts to.
pub const EMULATOR_WEBHOOK_GROUP: &str = "studio-group";

/// The webhook URL of the emulator's custom robot, for an emulator at `base`.
pub fn emulator_webhook_url(base: &str) -> String {
    format!("{base}/robot/send?access_token={EMULATOR_WEBHOOK_TOKEN}")
}

/// How to start the studio.
#[derive(Debug, Clone)]
pub struct StudioOptions {
    /// The page's first language: `en` or `zh-CN`.
    pub lang: &'static str,
    /// The port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Whether to start the embedded DingTalk emulator and pre-fill the base URLs with it.
    pub emulator: bool,
    /// How long its connections may wait on their client, and how many may be open.
    pub limits: ConnectionLimits,
}

impl Default for StudioOptions {
    fn default() -> Self {
        StudioOptions { lang: "en", port: 0, emulator: true, limits: ConnectionLimits::default() }
    }
}

/// A running studio. Dropping it stops the server (and the emulator).
pub struct Studio {
    state: Arc<StudioState>,
    port: u16,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<Result<(), String>>>,
}

impl std::fmt::Debug for Studio {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Studio").field("url", &self.url()).field("emulator", &self.emulator_url()).finish()
    }
}

/// What every request handler shares.
pub(crate) struct StudioState {
    pub(crate) plugin: Arc<dyn Plugin>,
    pub(crate) lang: &'static str,
    pub(crate) emulator: Option<Emulator>,
    /// The local file of the example flow (with the emulator only).
    pub(crate) example_file: Option<example::ExampleFile>,
    /// The `Host` values this server answers to.
    hosts: Vec<String>,
    /// The `Origin` values of its own page.
    origins: Vec<String>,
    /// Per action and input field, the action cut down to that one field (always shown), to
    /// check one field at a time with [`crate::validate::validate_params`]. Built once, so the
    /// validator's cache (keyed by where a schema lives) keeps serving them.
    pub(crate) single_fields: HashMap<(String, String), ActionSpec>,
    /// The cancel flag of the run in progress, if any (one run at a time).
    pub(crate) running: Mutex<Option<Arc<AtomicBool>>>,
    /// The secrets of the last run, masked in what the emulator received.
    pub(crate) last_secrets: Mutex<Vec<String>>,
}

impl StudioState {
    /// The state of a studio for `plugin` listening on `port`.
    pub(crate) fn new(
        plugin: Arc<dyn Plugin>,
        lang: &'static str,
        emulator: Option<Emulator>,
        example_file: Option<example::ExampleFile>,
        port: u16,
    ) -> StudioState {
        StudioState {
            single_fields: single_fields(plugin.manifest()),
            plugin,
            lang,
            emulator,
            example_file,
            hosts: vec![format!("127.0.0.1:{port}"), format!("localhost:{port}")],
            origins: vec![format!("http://127.0.0.1:{port}"), format!("http://localhost:{port}")],
            running: Mutex::new(None),
            last_secrets: Mutex::new(Vec::new()),
        }
    }
}

impl Studio {
    /// Starts the studio for `plugin` on 127.0.0.1 (and the emulator, if asked), and returns
    /// once it is listening.
    pub fn start(plugin: Arc<dyn Plugin>, options: StudioOptions) -> Result<Studio, ErrorPayload> {
        let emulator = if options.emulator {
            let config = EmulatorConfig {
                apps: vec![AppConfig::new(EMULATOR_APP_KEY, EMULATOR_APP_SECRET)],
                users: EMULATOR_USERS.iter().map(|u| u.to_string()).collect(),
                flow_controlled: vec![EMULATOR_USERS[3].to_string()],
                webhooks: vec![
                    WebhookConfig::new(EMULATOR_WEBHOOK_TOKEN, EMULATOR_WEBHOOK_GROUP)
                        .with_secret(EMULATOR_WEBHOOK_SECRET),
                ],
                card_templates: vec![EMULATOR_CARD_TEMPLATE.to_string()],
                ..EmulatorConfig::default()
            };
            let emulator = Emulator::start(config)
                .map_err(|e| start_error(text!(en: "cannot start the emulator", zh: "无法启动模拟器"), e))?;
            Some(emulator)
        } else {
            None
        };
        let example_file =
            match &emulator {
                Some(_) => Some(example::ExampleFile::create().map_err(|e| {
                    start_error(text!(en: "cannot write the example's file", zh: "无法写入示例文件"), e)
                })?),
                None => None,
            };
        let bind = |e| start_error(text!(en: "cannot listen on 127.0.0.1", zh: "无法在 127.0.0.1 上监听"), e);
        let listener =
            std::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, options.port))).map_err(bind)?;
        listener.set_nonblocking(true).map_err(bind)?;
        let port = listener.local_addr().map_err(bind)?.port();

        let state = Arc::new(StudioState::new(plugin, options.lang, emulator, example_file, port));
        let app = router(Arc::clone(&state));
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<(), String>>();
        let thread = std::thread::Builder::new()
            .name("host-sim-studio".into())
            .spawn(move || serve(listener, app, options.limits, stop_rx, ready_tx))
            .map_err(|e| start_error(text!(en: "cannot start the server thread", zh: "无法启动服务线程"), e))?;
        let started = ready_rx.recv().unwrap_or_else(|_| Err("the server thread ended before listening".into()));
        if let Err(e) = started {
            let _ = thread.join();
            return Err(start_error(text!(en: "cannot start the server", zh: "无法启动服务"), e));
        }
        Ok(Studio { state, port, stop: Some(stop_tx), thread: Some(thread) })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The embedded emulator's URL, when it runs.
    pub fn emulator_url(&self) -> Option<String> {
        self.state.emulator.as_ref().map(Emulator::url)
    }

    /// The embedded emulator, when it runs.
    pub fn emulator(&self) -> Option<&Emulator> {
        self.state.emulator.as_ref()
    }

    /// Blocks until the server stops, which it does only on an error (or never).
    pub fn wait(mut self) -> Result<(), ErrorPayload> {
        let Some(thread) = self.thread.take() else { return Ok(()) };
        // Keep the stop channel open: dropping it would stop the server.
        let _stop = self.stop.take();
        match thread.join() {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(start_error(text!(en: "the server stopped", zh: "服务已停止"), e)),
            Err(_) => Err(start_error(text!(en: "the server stopped", zh: "服务已停止"), "it panicked")),
        }
    }
}

impl Drop for Studio {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Runs the server on its own runtime until `stop` fires (or is dropped).
fn serve(
    listener: std::net::TcpListener,
    app: Router,
    limits: ConnectionLimits,
    stop: oneshot::Receiver<()>,
    ready: std::sync::mpsc::Sender<Result<(), String>>,
) -> Result<(), String> {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("host-sim-studio")
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            let _ = ready.send(Err(e.to_string()));
            return Err(e.to_string());
        }
    };
    let result = runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::from_std(listener) {
            Ok(listener) => listener,
            Err(e) => {
                let _ = ready.send(Err(e.to_string()));
                return Err(e.to_string());
            }
        };
        let _ = ready.send(Ok(()));
        server::serve(listener, app, limits, async move {
            let _ = stop.await;
        })
        .await;
        Ok(())
    });
    runtime.shutdown_timeout(std::time::Duration::from_millis(500));
    result
}

/// The page's files as the studio serves them: (path, content type, body). The page is these
/// and nothing else; it holds nothing about any one plugin.
pub fn assets() -> impl Iterator<Item = (&'static str, &'static str, &'static str)> {
    assets::ASSETS.into_iter()
}

/// The studio could not start.
fn start_error(what: Text, e: impl std::fmt::Display) -> ErrorPayload {
    ErrorPayload::bilingual(
        codes::INTERNAL,
        text!(en: format!("studio: {}: {e}", what.en), zh: format!("设计器：{}：{e}", what.zh_cn)),
    )
}

/// Every action cut down to each of its input fields, shown whatever the other fields hold.
fn single_fields(manifest: &rpa_plugin_abi::Manifest) -> HashMap<(String, String), ActionSpec> {
    let mut out = HashMap::new();
    for action in &manifest.actions {
        for field in action.inputs.all() {
            let mut alone = field.clone();
            alone.visible_when = None;
            let spec = ActionSpec {
                inputs: Inputs { basic: vec![alone], advanced: Vec::new(), at_least_one_of: Vec::new() },
                outputs: Vec::new(),
                ..action.clone()
            };
            out.insert((action.id.clone(), field.name.clone()), spec);
        }
    }
    out
}

/// The whole server: the page's files, the API, and the guard in front of both.
fn router(state: Arc<StudioState>) -> Router {
    let guarded = assets::routes().merge(api::routes(Arc::clone(&state)));
    guarded.layer(middleware::from_fn_with_state(state, guard))
}

/// Answers only requests from the studio's own page: `Host` must name this server (no DNS
/// rebinding), `Origin` must be this server's when present and is required on anything
/// but a read, and a browser's `Sec-Fetch-Site` must not say another site. Every answer
/// forbids framing, sniffing, caching and referrers, and allows only this server's scripts.
async fn guard(State(state): State<Arc<StudioState>>, request: Request, next: Next) -> Response {
    if let Err(why) = allowed(&state, request.method(), request.headers()) {
        return with_security_headers((StatusCode::FORBIDDEN, why).into_response());
    }
    with_security_headers(next.run(request).await)
}

/// Why a request is refused, if it is.
fn allowed(state: &StudioState, method: &Method, headers: &HeaderMap) -> Result<(), &'static str> {
    let text = |name: &str| headers.get(name).map(|v| v.to_str().unwrap_or("\u{fffd}"));
    let host = text(header::HOST.as_str()).ok_or("no Host header\n")?;
    if !state.hosts.iter().any(|h| h == host) {
        return Err("this server answers only to its own address (Host)\n");
    }
    match text(header::ORIGIN.as_str()) {
        Some(origin) if !state.origins.iter().any(|o| o == origin) => {
            return Err("requests from another page are refused (Origin)\n");
        }
        None if !matches!(*method, Method::GET | Method::HEAD) => {
            return Err("a request that changes anything must come from the studio's page (Origin)\n");
        }
        _ => {}
    }
    if text("sec-fetch-site").is_some_and(|site| site == "cross-site" || site == "same-site") {
        return Err("requests from another site are refused (Sec-Fetch-Site)\n");
    }
    Ok(())
}

fn with_security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    let set = [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; \
             base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CACHE_CONTROL, "no-store"),
        (header::HeaderName::from_static("cross-origin-resource-policy"), "same-origin"),
    ];
    for (name, value) in set {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}
