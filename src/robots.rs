//! The connections and robot handles alive in this loaded plugin: the glue between a flow's
//! JSON handles and the DingTalk client's connections and custom robots.
//!
//! A robot handle is what "connect" outputs and "send" takes: `{"type":"dingtalk.robot",
//! "id":"..."}`. It names a [`Robot`] held here and carries no secret. Its id is derived
//! from the connection's settings with a per-process random key, so connecting again with
//! the same settings gives the same handle (no growth however many flows run), and a handle
//! from another process or run is never recognised.
//!
//! A custom (webhook) robot from "connect_webhook" has a handle of its own type,
//! `{"type":"dingtalk.webhook_robot","id":"..."}`, made the same way; each kind of action
//! refuses the other kind's handle, naming the field.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex, OnceLock};

use dingtalk_client::fleet::Fleet;
use dingtalk_client::{CallOptions, Connection, Line, Secret, WebhookRobot, WebhookSettings};
use serde_json::{Value, json};

use crate::error::{Error, Explanation, Result};

/// The value of a robot handle's `type`.
pub(crate) const ROBOT_TYPE: &str = "dingtalk.robot";
/// The value of a custom (webhook) robot handle's `type`.
pub(crate) const WEBHOOK_ROBOT_TYPE: &str = "dingtalk.webhook_robot";

/// The schema of a robot handle, shared by connect's output and the robot actions' input.
pub(crate) fn robot_schema() -> Value {
    handle_schema(ROBOT_TYPE)
}

/// The schema of a custom robot handle, shared by connect_webhook's output and the send's
/// input.
pub(crate) fn webhook_robot_schema() -> Value {
    handle_schema(WEBHOOK_ROBOT_TYPE)
}

/// The schema of a handle of type `kind`: `{"type": kind, "id": "..."}`.
fn handle_schema(kind: &str) -> Value {
    json!({
        "type": "object",
        "x-rpa-type": kind,
        "properties": { "type": { "const": kind }, "id": { "type": "string" } },
        "required": ["type", "id"]
    })
}

/// Everything that decides how a robot talks to DingTalk: one "connect".
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct RobotSettings {
    /// The app's AppKey.
    pub(crate) app_key: String,
    /// The app's AppSecret.
    pub(crate) app_secret: Secret,
    /// Calls per second per API the app allows itself (0 = no limit).
    pub(crate) qps_limit: u32,
    /// What each of the robot's calls takes: robot code, bases, timeout, ...
    pub(crate) options: CallOptions,
    /// The Redis server the app's robot processes share their budget and token through.
    pub(crate) redis_url: Option<Secret>,
}

/// A connected robot: the app connection it shares, and the options of its calls.
#[derive(Debug)]
pub(crate) struct Robot {
    /// The shared app connection.
    pub(crate) connection: Arc<Connection>,
    /// What each call takes (the connect's [`RobotSettings::options`]).
    pub(crate) options: CallOptions,
}

/// What makes two robots share one app connection: the app, at one API base.
#[derive(PartialEq, Eq, Hash)]
struct ConnKey {
    api_base: String,
    app_key: String,
    app_secret: Secret,
}

impl ConnKey {
    /// The connection key of these settings.
    fn of(s: &RobotSettings) -> Self {
        ConnKey { api_base: s.options.api_base.clone(), app_key: s.app_key.clone(), app_secret: s.app_secret.clone() }
    }
}

#[derive(Default)]
struct Registry {
    connections: HashMap<ConnKey, Arc<Connection>>,
    robots: HashMap<String, Arc<Robot>>,
    /// Per custom robot, known by its access_token (DingTalk counts a robot's messages
    /// whichever way its URL is spelled: `127.0.0.1` or `localhost`, a trailing dot, http or
    /// https): its HTTP clients and per-minute budget.
    lines: HashMap<Secret, Arc<Line>>,
    webhooks: HashMap<String, Arc<WebhookRobot>>,
}

fn registry() -> &'static Mutex<Registry> {
    static REGISTRY: OnceLock<Mutex<Registry>> = OnceLock::new();
    REGISTRY.get_or_init(Mutex::default)
}

fn lock() -> std::sync::MutexGuard<'static, Registry> {
    registry().lock().unwrap_or_else(|p| p.into_inner())
}

/// The shared connection for these settings' app, made on first use.
pub(crate) fn connection(s: &RobotSettings) -> Result<Arc<Connection>> {
    let key = ConnKey::of(s);
    let mut reg = lock();
    let conn = match reg.connections.get(&key) {
        Some(c) => c.clone(),
        None => {
            let c = Arc::new(Connection::new(&s.options.api_base, &s.app_key, s.app_secret.clone(), s.qps_limit)?);
            reg.connections.insert(key, c.clone());
            c
        }
    };
    conn.set_qps_limit(s.qps_limit);
    Ok(conn)
}

/// Makes `conn` share its budget and token through the settings' Redis (or stop sharing,
/// without one: the last connect decides), and asks Redis once, within the connect's
/// timeout, so that an unreachable server or a wrong password is said at connect (the robot
/// goes on alone meanwhile).
pub(crate) async fn share_through_redis(
    s: &RobotSettings,
    conn: &Connection,
    call: &dingtalk_client::Call,
) -> Result<()> {
    let Some(url) = &s.redis_url else {
        conn.set_fleet(None);
        return Ok(());
    };
    let fleet =
        Fleet::shared(url).map_err(|e| Error::Internal(format!("a Redis URL passed its check, then not: {e:?}")))?;
    conn.set_fleet(Some(fleet.clone()));
    fleet.check(call, s.options.timeout.min(2 * dingtalk_client::fleet::COMMAND_TIMEOUT)).await;
    Ok(())
}

/// Forgets a connection whose credentials DingTalk refused, so bad attempts hold no memory.
pub(crate) fn forget(s: &RobotSettings, conn: &Arc<Connection>) {
    let key = ConnKey::of(s);
    let mut reg = lock();
    if reg.connections.get(&key).is_some_and(|c| Arc::ptr_eq(c, conn)) {
        reg.connections.remove(&key);
        reg.robots.retain(|_, r| !Arc::ptr_eq(&r.connection, conn));
    }
}

/// Registers a connected robot and returns its handle.
pub(crate) fn register(s: &RobotSettings, connection: Arc<Connection>) -> Value {
    static KEY: OnceLock<RandomState> = OnceLock::new();
    let id = format!("robot-{:016x}", KEY.get_or_init(RandomState::new).hash_one(s));
    let mut reg = lock();
    // A flow connects on every run, with the same settings: the robot it made last time is
    // kept as it is.
    let same = reg.robots.get(&id).is_some_and(|r| Arc::ptr_eq(&r.connection, &connection) && r.options == s.options);
    if !same {
        reg.robots.insert(id.clone(), Arc::new(Robot { connection, options: s.options.clone() }));
    }
    drop(reg);
    json!({ "type": ROBOT_TYPE, "id": id })
}

/// The robot a handle names, or [`Error::RobotNotConnected`] for anything else: a made-up
/// or malformed handle, or one from another run (a custom robot's handle is refused as the
/// wrong kind). A handle passed as JSON text is accepted.
pub(crate) fn lookup(field: &str, handle: &Value) -> Result<Arc<Robot>> {
    let not_connected = || Error::RobotNotConnected { field: field.to_string() };
    let id = match handle_parts(handle).ok_or_else(not_connected)? {
        (ROBOT_TYPE, id) => id,
        (WEBHOOK_ROBOT_TYPE, _) => return Err(wrong_kind(field, true)),
        _ => return Err(not_connected()),
    };
    lock().robots.get(&id).cloned().ok_or_else(not_connected)
}

/// Registers a custom robot (sharing its budget with every earlier connection that has the
/// same access_token, however the URL was spelled) and returns its handle.
pub(crate) fn register_webhook(s: WebhookSettings) -> Value {
    static KEY: OnceLock<RandomState> = OnceLock::new();
    let id = format!("webhook-{:016x}", KEY.get_or_init(RandomState::new).hash_one(&s));
    let mut reg = lock();
    let line = reg.lines.entry(s.token.clone()).or_insert_with(|| Arc::new(Line::new(s.per_minute))).clone();
    line.set_per_minute(s.per_minute);
    reg.webhooks.insert(id.clone(), Arc::new(WebhookRobot::new(s, line)));
    json!({ "type": WEBHOOK_ROBOT_TYPE, "id": id })
}

/// The custom robot a handle names, or [`Error::WebhookNotConnected`] (an enterprise robot's
/// handle is refused as the wrong kind).
pub(crate) fn lookup_webhook(field: &str, handle: &Value) -> Result<Arc<WebhookRobot>> {
    let not_connected = || Error::WebhookNotConnected { field: field.to_string() };
    let id = match handle_parts(handle).ok_or_else(not_connected)? {
        (WEBHOOK_ROBOT_TYPE, id) => id,
        (ROBOT_TYPE, _) => return Err(wrong_kind(field, false)),
        _ => return Err(not_connected()),
    };
    lock().webhooks.get(&id).cloned().ok_or_else(not_connected)
}

/// A handle's known `type` and its `id`; a handle given as JSON text is read too.
fn handle_parts(handle: &Value) -> Option<(&'static str, String)> {
    let parsed;
    let handle = match handle {
        Value::String(text) => {
            parsed = serde_json::from_str::<Value>(text.trim()).ok()?;
            &parsed
        }
        other => other,
    };
    let kind = match handle.get("type").and_then(Value::as_str)? {
        ROBOT_TYPE => ROBOT_TYPE,
        WEBHOOK_ROBOT_TYPE => WEBHOOK_ROBOT_TYPE,
        _ => "",
    };
    Some((kind, handle.get("id").and_then(Value::as_str)?.to_string()))
}

/// One kind of robot given to the other kind's action.
fn wrong_kind(field: &str, got_webhook: bool) -> Error {
    let words = if got_webhook {
        Explanation {
            message: rpa_plugin_abi::text!(
                en: format!("`{field}` holds a custom (webhook) robot, which only posts to its group through \"Send custom robot message\"."),
                zh: format!("「{}」是自定义（Webhook）机器人，只能通过“自定义机器人发送群消息”向其所在的群发送。", crate::error::label_of(field, false))
            ),
            hint: rpa_plugin_abi::text!(
                en: "For this step, connect an enterprise app's robot with \"Create DingTalk robot connection\" and pass its robot here.",
                zh: "本步骤请使用“建立钉钉机器人连接”连接企业内部应用的机器人，并把它输出的 robot 传到这里。"
            ),
        }
    } else {
        Explanation {
            message: rpa_plugin_abi::text!(
                en: format!("`{field}` holds an enterprise app's robot; \"Send custom robot message\" needs a group's custom robot."),
                zh: format!("「{}」是企业内部应用的机器人；“自定义机器人发送群消息”需要群的自定义机器人。", crate::error::label_of(field, true))
            ),
            hint: rpa_plugin_abi::text!(
                en: "Connect the group's custom robot with \"Create custom robot connection\" (its webhook URL) and pass its robot here.",
                zh: "请用“建立自定义机器人连接”（填写其 Webhook 地址）连接群的自定义机器人，并把它输出的 robot 传到这里。"
            ),
        }
    };
    Error::input(field, words)
}
