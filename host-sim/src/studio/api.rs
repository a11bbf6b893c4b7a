//! The studio's JSON API, used by its page only (see the guard in [`super`]):
//!
//! * `GET /api/studio`: the manifest, the page's words, the values to pre-fill (the
//!   emulator's URL in every URL field that has a default), the emulator's address, AppKey
//!   and users (never its AppSecret), and the page's first language.
//! * `POST /api/check` with a flow: every problem of every step, beside its field.
//! * `POST /api/run` with a flow: checks it, then runs it step by step with
//!   [`run_flow`] (the engine of `host-sim run`), and answers each step's status, outputs
//!   (secret outputs masked) or error document, the log, and what the emulator received.
//!   One run at a time. `?lang=zh-CN` or `?lang=en` sets the plugin's language (default: the
//!   studio's). A request that accepts `application/x-ndjson` gets the answer streamed as
//!   JSON lines while the run goes on: `{"progress": {"step", "done", "total", "text"}}` for
//!   each progress report of the running step (1-based), then `{"result": …}` with the answer.
//! * `POST /api/stop`: asks the run in progress to stop (its cancel flag).
//! * `GET /api/example`: the flow of `host-sim demo` for the emulator, without its AppSecret,
//!   when the plugin has its actions.
//! * `GET /api/emulator`: what the emulator received so far, its apps' messages and its
//!   custom robot's group messages (masked with the last run's secrets).
//! * `POST /api/emulator/say`: a user of the emulated org writes to the robot.
//! * `POST /api/emulator/click`: a user clicks a card's choice (a hook, [`click_card`], until
//!   the emulator can).
//!
//! Flows travel as the JSON `host-sim run` takes. No answer holds a secret the page sent:
//! each is passed through [`scrub`] with the secrets of the flow it answers.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use rpa_plugin_abi::{ErrorPayload, FieldSpec, LogLevel, Text, text};
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::StudioState;
use super::check::{Doc, StepCheck, check_flow, scrub, secrets_of};
use super::words::WORDS;
use crate::codes;
use crate::error::HostError;
use crate::flow::{Flow, MAX_STEPS, run_checked, split_the_flow};
use crate::form::MASK;
use crate::host::SimHost;
use crate::progress::ProgressSink;

/// The API's routes.
pub(crate) fn routes(state: Arc<StudioState>) -> axum::Router {
    Router::new()
        .route("/api/studio", get(studio))
        .route("/api/check", post(check))
        .route("/api/run", post(run))
        .route("/api/stop", post(stop))
        .route("/api/emulator", get(emulator))
        .route("/api/emulator/say", post(say))
        .route("/api/emulator/click", post(click))
        .route("/api/example", get(example))
        .with_state(state)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Info<'a> {
    lang: &'a str,
    manifest: &'a rpa_plugin_abi::Manifest,
    words: BTreeMap<&'a str, &'a Text>,
    /// Action id -> field name -> the value a new step starts with.
    prefill: BTreeMap<&'a str, BTreeMap<&'a str, Value>>,
    /// Action id -> field name -> what the field takes, in words ([`FieldSpec::takes`]): the
    /// page shows these instead of keeping its own copy of the rules.
    ///
    /// [`FieldSpec::takes`]: rpa_plugin_abi::FieldSpec::takes
    takes: BTreeMap<&'a str, BTreeMap<&'a str, Text>>,
    emulator: Option<EmulatorInfo>,
    /// Whether `GET /api/example` has a flow.
    example: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EmulatorInfo {
    url: String,
    app_key: &'static str,
    users: Vec<&'static str>,
    flow_controlled: Vec<&'static str>,
    /// Its custom robot, for the two webhook actions: a fake credential of a fake service,
    /// shown in the panel for a person to copy into the form (as the terminal shows it).
    webhook: WebhookInfo,
    /// Whether `POST /api/emulator/click` works (see [`click_card`]); the page shows the
    /// card-click box only then.
    clicks: bool,
    /// The card template the emulator knows, for an ask with a card.
    card_template: &'static str,
}

/// The emulator's custom robot, as the panel shows it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WebhookInfo {
    url: String,
    secret: &'static str,
    group: &'static str,
}

async fn studio(State(state): State<Arc<StudioState>>) -> Response {
    let manifest = state.plugin.manifest();
    let mut prefill: BTreeMap<&str, BTreeMap<&str, Value>> = BTreeMap::new();
    if let Some(emulator) = &state.emulator {
        for action in &manifest.actions {
            for field in action.inputs.all().filter(|f| is_base_url(f)) {
                prefill
                    .entry(action.id.as_str())
                    .or_default()
                    .insert(field.name.as_str(), Value::String(emulator.url()));
            }
        }
    }
    let info = Info {
        lang: state.lang,
        manifest,
        words: WORDS.iter().map(|word| (word.key, &word.text)).collect(),
        prefill,
        takes: manifest
            .actions
            .iter()
            .map(|a| (a.id.as_str(), a.inputs.all().map(|f| (f.name.as_str(), f.takes())).collect()))
            .collect(),
        emulator: state.emulator.as_ref().map(|e| EmulatorInfo {
            url: e.url(),
            app_key: super::EMULATOR_APP_KEY,
            users: super::EMULATOR_USERS[..3].to_vec(),
            flow_controlled: vec![super::EMULATOR_USERS[3]],
            webhook: WebhookInfo {
                url: super::emulator_webhook_url(&e.url()),
                secret: super::EMULATOR_WEBHOOK_SECRET,
                group: super::EMULATOR_WEBHOOK_GROUP,
            },
            clicks: CARD_CLICKS,
            card_template: super::EMULATOR_CARD_TEMPLATE,
        }),
        example: example_of(&state, state.lang).is_some(),
    };
    Json(info).into_response()
}

/// The example flow, its messages in `lang`, when there is one (see [`super::example`]).
fn example_of(state: &StudioState, lang: &str) -> Option<Value> {
    let (emulator, file) = (state.emulator.as_ref()?, state.example_file.as_ref()?);
    super::example::example_flow(state.plugin.manifest(), &emulator.url(), &file.0.to_string_lossy(), lang)
}

/// `GET /api/example?lang=zh-CN`: the example, in the page's language (`?lang=`, or the
/// studio's).
async fn example(State(state): State<Arc<StudioState>>, RawQuery(query): RawQuery) -> Response {
    let asked = query.as_deref().unwrap_or_default().split('&').find_map(|pair| pair.strip_prefix("lang="));
    let lang = if asked == Some("zh-CN") || (asked.is_none() && state.lang == "zh-CN") { "zh-CN" } else { "en" };
    match example_of(&state, lang) {
        Some(flow) => Json(flow).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// A field the emulator stands in for: a URL with a default (a service's base URL), as
/// opposed to a URL the user brings (a picture, a webhook).
fn is_base_url(field: &FieldSpec) -> bool {
    let schema = &field.schema;
    schema.get("format").and_then(Value::as_str) == Some("uri")
        && schema.get("default").and_then(Value::as_str).is_some_and(|d| d.starts_with("http"))
}

/// The flow in a request body, or the answer that refuses it.
#[allow(clippy::result_large_err)]
fn parse_flow(body: &Bytes) -> Result<Flow, Response> {
    let text = std::str::from_utf8(body).map_err(|_| {
        let e = ErrorPayload::bilingual(
            codes::INVALID_FLOW,
            text!(en: "The flow is not UTF-8 text", zh: "流程不是 UTF-8 文本"),
        );
        (StatusCode::BAD_REQUEST, Json(json!({ "error": Doc::from(&e) }))).into_response()
    })?;
    Flow::parse(text, Path::new("flow")).map_err(|e| {
        if let HostError::TooManySteps { steps, .. } = e {
            let most = MAX_STEPS;
            let e = ErrorPayload::bilingual(
                codes::INVALID_FLOW,
                text!(
                    en: format!("The flow has {steps} steps; a flow holds at most {most}"),
                    zh: format!("流程共有 {steps} 个步骤，而一个流程最多只能包含 {most} 个步骤"),
                ),
            )
            .with_bilingual_hint(split_the_flow());
            return (StatusCode::BAD_REQUEST, Json(json!({ "error": Doc::from(&e) }))).into_response();
        }
        // Only where: the parser's own words may quote the text, which may hold a secret.
        let (line, column) = match e {
            HostError::InvalidFlow { line, column, .. } => (line, column),
            _ => (0, 0),
        };
        let e = ErrorPayload::bilingual(
            codes::INVALID_FLOW,
            text!(
                en: format!("The page sent a flow that host-sim cannot read (line {line}, column {column})"),
                zh: format!("页面发送的流程无法读取（第 {line} 行，第 {column} 列）"),
            ),
        );
        (StatusCode::BAD_REQUEST, Json(json!({ "error": Doc::from(&e) }))).into_response()
    })
}

/// Answers `value` as JSON, with every secret of `flow` masked.
fn answer(status: StatusCode, value: Value, secrets: &[String]) -> Response {
    (status, Json(scrub(value, secrets))).into_response()
}

async fn check(State(state): State<Arc<StudioState>>, body: Bytes) -> Response {
    let flow = match parse_flow(&body) {
        Ok(flow) => flow,
        Err(refused) => return refused,
    };
    let result = tokio::task::spawn_blocking(move || {
        let secrets = secrets_of(&state, &flow);
        let checks = check_flow(&state, &flow);
        (json!({ "checks": checks }), secrets)
    })
    .await;
    match result {
        Ok((value, secrets)) => answer(StatusCode::OK, value, &secrets),
        Err(e) => internal(&e.to_string()),
    }
}

fn internal(why: &str) -> Response {
    let e = ErrorPayload::bilingual(
        codes::INTERNAL,
        text!(en: format!("studio: the request failed: {why}"), zh: format!("设计器：请求失败：{why}")),
    );
    (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({ "error": Doc::from(&e) }))).into_response()
}

/// Clears the studio's "run in progress" however the run ends.
struct RunSlot(Arc<StudioState>);

impl Drop for RunSlot {
    fn drop(&mut self) {
        *self.0.running.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    }
}

/// The query of `POST /api/run`.
#[derive(serde::Deserialize)]
struct RunQuery {
    /// The plugin's language for this run (`zh-CN`, `en`); the studio's when absent.
    lang: Option<String>,
}

/// The content type of a streamed run: one JSON document per line.
const NDJSON: &str = "application/x-ndjson";

/// A run's progress, sent to the page as JSON lines while the run goes on.
struct StreamedProgress {
    /// The running step, 1-based.
    step: std::sync::atomic::AtomicUsize,
    lines: tokio::sync::mpsc::UnboundedSender<Bytes>,
    /// The secrets of the flow: no line shows one.
    secrets: Vec<String>,
}

impl StreamedProgress {
    /// Sends one JSON line (lost when the page went away, which ends nothing).
    fn send(&self, value: Value) {
        let mut line = serde_json::to_vec(&scrub(value, &self.secrets)).unwrap_or_default();
        line.push(b'\n');
        let _ = self.lines.send(Bytes::from(line));
    }
}

impl ProgressSink for StreamedProgress {
    fn report(&self, _: std::time::Duration, done: u64, total: u64, text: &str) {
        let step = self.step.load(std::sync::atomic::Ordering::Relaxed);
        self.send(json!({ "progress": { "step": step, "done": done, "total": total, "text": text } }));
    }
}

/// The body of a streamed answer: the lines as they come, until the run's last one.
struct LineBody(tokio::sync::mpsc::UnboundedReceiver<Bytes>);

impl http_body::Body for LineBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        self.0.poll_recv(cx).map(|line| line.map(|line| Ok(http_body::Frame::data(line))))
    }
}

async fn run(
    State(state): State<Arc<StudioState>>,
    Query(query): Query<RunQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let streamed = headers
        .get(header::ACCEPT)
        .and_then(|accept| accept.to_str().ok())
        .is_some_and(|accept| accept.contains(NDJSON));
    let lang = match query.lang.as_deref().and_then(rpa_plugin_abi::lang::from_tag) {
        Some(lang) => lang,
        None => state.lang,
    };
    let flow = match parse_flow(&body) {
        Ok(flow) => flow,
        Err(refused) => return refused,
    };
    let flag = {
        let mut running = state.running.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if running.is_some() {
            let e = ErrorPayload::bilingual(
                codes::INVALID_INPUT,
                text!(en: "A run is already in progress", zh: "已有流程正在运行"),
            )
            .with_bilingual_hint(text!(en: "Wait for it, or press Stop.", zh: "请等待其结束，或点击停止。"));
            return (StatusCode::CONFLICT, Json(json!({ "error": Doc::from(&e) }))).into_response();
        }
        let flag = Arc::new(AtomicBool::new(false));
        *running = Some(Arc::clone(&flag));
        flag
    };
    let slot = RunSlot(Arc::clone(&state));
    if streamed {
        let (lines, rx) = tokio::sync::mpsc::unbounded_channel();
        let progress = Arc::new(StreamedProgress {
            step: std::sync::atomic::AtomicUsize::new(0),
            lines,
            secrets: secrets_of(&state, &flow),
        });
        tokio::task::spawn_blocking(move || {
            let (value, _) = run_report(&slot.0, &flow, flag, lang, Some(&progress));
            drop(slot);
            progress.send(json!({ "result": value }));
        });
        return ([(header::CONTENT_TYPE, NDJSON)], axum::body::Body::new(LineBody(rx))).into_response();
    }
    let result = tokio::task::spawn_blocking(move || {
        let report = run_report(&slot.0, &flow, flag, lang, None);
        drop(slot);
        report
    })
    .await;
    match result {
        Ok((value, secrets)) => answer(StatusCode::OK, value, &secrets),
        Err(e) => internal(&e.to_string()),
    }
}

/// One step's part of a run.
#[derive(Serialize, Debug)]
struct StepRun {
    /// `ok`, `error`, or `not run`.
    status: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    outputs: Vec<StepOutput>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<RunError>,
}

/// A step's error in a run's answer: the error document a check shows, and the `details`
/// the action gave (what a hint such as `PARTIALLY_SENT`'s points to), as `host-sim run`
/// prints them.
#[derive(Serialize, Debug)]
struct RunError {
    #[serde(flatten)]
    doc: Doc,
    #[serde(skip_serializing_if = "Option::is_none")]
    details: Option<Value>,
}

impl From<&ErrorPayload> for RunError {
    fn from(e: &ErrorPayload) -> RunError {
        RunError { doc: Doc::from(e), details: e.details.as_deref().cloned() }
    }
}

impl From<&Doc> for RunError {
    fn from(doc: &Doc) -> RunError {
        RunError { doc: doc.clone(), details: None }
    }
}

#[derive(Serialize, Debug)]
struct StepOutput {
    name: String,
    variable: String,
    value: Value,
}

const NOT_RUN: StepRun = StepRun { status: "not run", outputs: Vec::new(), error: None };

/// Checks and runs `flow` with the plugin speaking `lang`, sending its progress to `progress`
/// if given, and the secrets its answer must not show.
fn run_report(
    state: &StudioState,
    flow: &Flow,
    cancel: Arc<AtomicBool>,
    lang: &'static str,
    progress: Option<&Arc<StreamedProgress>>,
) -> (Value, Vec<String>) {
    let secrets = secrets_of(state, flow);
    let checks = check_flow(state, flow);
    let mut host =
        SimHost::silent().with_capture().with_stderr(Some(LogLevel::Warn)).with_cancel_flag(cancel).with_language(lang);
    if let Some(progress) = progress {
        host = host.with_progress(Arc::clone(progress) as Arc<dyn ProgressSink>);
    }
    let manifest = state.plugin.manifest();
    let ready = checks.iter().all(StepCheck::is_ok);
    let mut steps = Vec::with_capacity(flow.steps.len());
    if ready {
        // The engine of `host-sim run`, one step at a time so that each step's outputs can be
        // shown; the variables carry over from step to step as they do within one run.
        // The flow passed its check as a whole: each step runs without checking it again, and
        // the variables move from step to step, so that neither is redone for every step.
        let mut vars = flow.variables.clone();
        for (index, step) in flow.steps.iter().enumerate() {
            if let Some(progress) = progress {
                progress.step.store(index + 1, std::sync::atomic::Ordering::Relaxed);
            }
            let one = Flow { name: None, variables: Map::new(), steps: vec![step.clone()] };
            let before = std::mem::take(&mut vars);
            match run_checked(state.plugin.as_ref(), &one, &host, before, state.lang, Some(LogLevel::Debug)) {
                Ok(after) => {
                    vars = after;
                    let spec = manifest.action(&step.action);
                    let outputs = step
                        .outputs
                        .iter()
                        .map(|(name, variable)| {
                            let secret = spec
                                .and_then(|s| s.outputs.iter().find(|o| &o.name == name))
                                .is_some_and(FieldSpec::is_secret);
                            let value = vars.get(variable).cloned().unwrap_or(Value::Null);
                            let value = if secret { Value::String(MASK.into()) } else { value };
                            StepOutput { name: name.clone(), variable: variable.clone(), value }
                        })
                        .collect();
                    steps.push(StepRun { status: "ok", outputs, error: None });
                }
                Err(e) => {
                    steps.push(StepRun { status: "error", outputs: Vec::new(), error: Some(RunError::from(&e.error)) });
                    break;
                }
            }
        }
    } else {
        for check in &checks {
            match check.first() {
                Some(doc) => {
                    steps.push(StepRun { status: "error", outputs: Vec::new(), error: Some(RunError::from(doc)) })
                }
                None => steps.push(NOT_RUN),
            }
        }
    }
    while steps.len() < flow.steps.len() {
        steps.push(NOT_RUN);
    }
    // What the emulator shows later is masked with this run's secrets too.
    *state.last_secrets.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = secrets.clone();
    let report = json!({
        "ran": ready,
        "checks": checks,
        "steps": steps,
        "log": host.captured(),
        "emulator": received(state),
    });
    (report, secrets)
}

async fn stop(State(state): State<Arc<StudioState>>) -> Response {
    let running = state.running.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
    if let Some(flag) = &running {
        flag.store(true, std::sync::atomic::Ordering::SeqCst);
    }
    Json(json!({ "stopping": running.is_some() })).into_response()
}

/// What the emulator received, newest first; `null` without an emulator.
fn received(state: &StudioState) -> Value {
    let Some(emulator) = &state.emulator else { return Value::Null };
    let mut messages = emulator.delivered();
    messages.reverse();
    let mut group_messages = emulator.group_messages();
    group_messages.reverse();
    json!({ "messages": messages, "groupMessages": group_messages, "uploads": emulator.uploaded(), "stats": emulator.stats() })
}

/// What a person in the emulated org writes to the robot from the studio page.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Said {
    user_id: String,
    text: String,
}

/// A request of the emulator panel refused: `INVALID_INPUT` at `status`, in the page's words.
fn refuse(status: StatusCode, message: Text, hint: Text) -> Response {
    let e = ErrorPayload::bilingual(codes::INVALID_INPUT, message).with_bilingual_hint(hint);
    (status, Json(json!({ "error": Doc::from(&e) }))).into_response()
}

/// The refusal of a request of the emulator panel when the studio runs without its emulator.
fn no_emulator() -> Response {
    refuse(
        StatusCode::CONFLICT,
        text!(en: "The studio runs without its emulator", zh: "设计器未启动内置模拟器"),
        text!(en: "Start the studio without --no-emulator.", zh: "请去掉 --no-emulator 重新启动设计器。"),
    )
}

/// `POST /api/emulator/say`: a user of the embedded emulator sends text to the robot, one to
/// one, over Stream mode, so that a person can answer a flow that waits for a reply. Pushed to
/// the app's open Stream connection; with none open (no step is waiting) the message is lost,
/// as in DingTalk, and the answer says so.
async fn say(State(state): State<Arc<StudioState>>, body: Bytes) -> Response {
    let Some(emulator) = state.emulator.as_ref() else {
        return no_emulator();
    };
    let said = match serde_json::from_slice::<Said>(&body) {
        Ok(said) if !said.text.trim().is_empty() => said,
        _ => {
            return refuse(
                StatusCode::BAD_REQUEST,
                text!(en: "Give a user and some text", zh: "请选择用户并填写内容"),
                text!(en: "Choose who writes, and type what they write.", zh: "请选择用户，并填写其发送的内容。"),
            );
        }
    };
    match emulator.user_says(said.user_id.trim(), &said.text) {
        Ok(message_id) => answer(StatusCode::OK, json!({ "messageId": message_id }), &[]),
        Err(dingtalk_emulator::EmulatorError::NoStreamConnection { .. }) => refuse(
            StatusCode::CONFLICT,
            text!(en: "No one is listening: the message is lost, as in DingTalk", zh: "当前没有监听连接：消息已丢失（与钉钉一致）"),
            text!(en: "Run a flow with \"Wait for a reply\" first, then answer while it waits.", zh: "请先运行含“等待用户回复”的流程，在其等待时再回复。"),
        ),
        Err(dingtalk_emulator::EmulatorError::UnknownUser(user)) => refuse(
            StatusCode::BAD_REQUEST,
            text!(en: format!("No user {user} in the emulated org"), zh: format!("模拟的组织中没有用户 {user}")),
            text!(en: "Pick one of the org's users.", zh: "请选择组织中的用户。"),
        ),
        // The emulator's own reason, in English only, stays out of the Chinese.
        Err(e) => refuse(
            StatusCode::BAD_REQUEST,
            text!(en: format!("The emulator refused the message: {e}"), zh: "模拟器拒绝了该消息"),
            text!(en: "Pick one of the org's users.", zh: "请选择组织中的用户。"),
        ),
    }
}

/// Whether [`click_card`] is wired to the emulator: the page offers the card-click box only
/// when it is.
const CARD_CLICKS: bool = true;

/// A person in the emulated org clicks a card's choice (or answers its question).
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Clicked {
    user_id: String,
    out_track_id: String,
    choice: String,
}

/// Has the emulator push `clicked` to the robot's Stream connection, as DingTalk pushes a card
/// button's callback: the messageId of the push, or why it could not be.
fn click_card(emulator: &dingtalk_emulator::Emulator, clicked: &Clicked) -> Result<Value, (Text, Text)> {
    use dingtalk_emulator::EmulatorError as E;
    let Clicked { user_id, out_track_id, choice } = clicked;
    let (user, track, choice) = (user_id.trim(), out_track_id.trim(), choice.trim());
    let clicks = if track.is_empty() {
        emulator.user_clicks_latest(user, super::EMULATOR_CARD_TEMPLATE, choice)
    } else {
        emulator.user_clicks(user, track, choice)
    };
    match clicks {
        Ok(message_id) => Ok(json!({ "messageId": message_id })),
        Err(E::UnknownCard(_)) => Err((
            text!(en: format!("The robot sent no card {track}"), zh: format!("机器人没有发送过卡片 {track}")),
            text!(en: "Copy the outTrackId the ask step shows while it waits.", zh: "请复制提问步骤等待时显示的 outTrackId。"),
        )),
        Err(E::NotCardViewer { .. }) => Err((
            text!(en: format!("The card {track} went to someone else, not to {user}"), zh: format!("卡片 {track} 是发给别人的，不是 {user}")),
            text!(en: "Choose the user the card was sent to.", zh: "请选择收到该卡片的用户。"),
        )),
        Err(E::UnknownUser(_)) => Err((
            text!(en: format!("No user {user} in the emulated org"), zh: format!("模拟的组织中没有用户 {user}")),
            text!(en: "Choose one of the org's users.", zh: "请选择组织中的用户。"),
        )),
        Err(_) => Err((
            text!(en: "No step is listening for the click", zh: "没有步骤在等待这次点击"),
            text!(
                en: "Run the flow with its ask step first; click while it waits.",
                zh: "请先运行含提问步骤的流程，在它等待时点击。"
            ),
        )),
    }
}

/// `POST /api/emulator/click`: a user of the embedded emulator clicks a choice of a card the
/// robot sent (its `outTrackId`), through [`click_card`].
async fn click(State(state): State<Arc<StudioState>>, body: Bytes) -> Response {
    let Some(emulator) = state.emulator.as_ref() else {
        return no_emulator();
    };
    let clicked = match serde_json::from_slice::<Clicked>(&body) {
        Ok(clicked) if !clicked.choice.trim().is_empty() => clicked,
        _ => {
            return refuse(
                StatusCode::BAD_REQUEST,
                text!(en: "Give a user, a card and a choice", zh: "请选择用户，并填写卡片和选项"),
                text!(en: "Choose who clicks, and which choice of which card.", zh: "请选择点击的用户，并填写卡片及其选项。"),
            );
        }
    };
    match click_card(emulator, &clicked) {
        Ok(value) => answer(StatusCode::OK, value, &[]),
        Err((message, hint)) => refuse(StatusCode::CONFLICT, message, hint),
    }
}

async fn emulator(State(state): State<Arc<StudioState>>) -> Response {
    let secrets = state.last_secrets.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
    answer(StatusCode::OK, received(&state), &secrets)
}
