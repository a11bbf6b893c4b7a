//! The connections and robot handles alive in this loaded plugin.
//!
//! A robot handle is what "connect" outputs and "send" takes: `{"type":"dingtalk.robot",
//! "id":"..."}`. It names a [`Robot`] held here and carries no secret. Its id is derived
//! from the connection's settings with a per-process random key, so connecting again with
//! the same settings gives the same handle (no growth however many flows run), and a handle
//! from another process or run is never recognised.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use serde_json::{Value, json};

use super::connection::Connection;
use crate::error::{Error, Result};
use crate::secret::Secret;

/// The value of a robot handle's `type`.
pub(crate) const ROBOT_TYPE: &str = "dingtalk.robot";

/// Everything that decides how a robot talks to DingTalk.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct RobotSettings {
    /// Base URL of the new API generation.
    pub(crate) api_base: String,
    /// Base URL of the old API generation (media upload).
    pub(crate) oapi_base: String,
    /// The app's AppKey.
    pub(crate) app_key: String,
    /// The app's AppSecret.
    pub(crate) app_secret: Secret,
    /// The robot's code (defaults to the AppKey).
    pub(crate) robot_code: String,
    /// Per-call timeout.
    pub(crate) timeout: Duration,
    /// Calls per second per API the app allows itself (0 = no limit).
    pub(crate) qps_limit: u32,
}

/// A connected robot: the settings of one "connect" and the app connection it shares.
#[derive(Debug)]
pub(crate) struct Robot {
    /// The shared app connection.
    pub(crate) connection: Arc<Connection>,
    /// The robot's code.
    pub(crate) robot_code: String,
    /// Base URL of the old API generation.
    pub(crate) oapi_base: String,
    /// Per-call timeout.
    pub(crate) timeout: Duration,
}

#[derive(PartialEq, Eq, Hash)]
struct ConnKey {
    api_base: String,
    app_key: String,
    app_secret: Secret,
}

#[derive(Default)]
struct Registry {
    connections: HashMap<ConnKey, Arc<Connection>>,
    robots: HashMap<String, Arc<Robot>>,
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
    let key = ConnKey { api_base: s.api_base.clone(), app_key: s.app_key.clone(), app_secret: s.app_secret.clone() };
    let mut reg = lock();
    let conn = match reg.connections.get(&key) {
        Some(c) => c.clone(),
        None => {
            let c = Arc::new(Connection::new(&s.api_base, &s.app_key, s.app_secret.clone(), s.qps_limit)?);
            reg.connections.insert(key, c.clone());
            c
        }
    };
    conn.set_qps_limit(s.qps_limit);
    Ok(conn)
}

/// Forgets a connection whose credentials DingTalk refused, so bad attempts hold no memory.
pub(crate) fn forget(s: &RobotSettings, conn: &Arc<Connection>) {
    let key = ConnKey { api_base: s.api_base.clone(), app_key: s.app_key.clone(), app_secret: s.app_secret.clone() };
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
    let robot =
        Robot { connection, robot_code: s.robot_code.clone(), oapi_base: s.oapi_base.clone(), timeout: s.timeout };
    lock().robots.insert(id.clone(), Arc::new(robot));
    json!({ "type": ROBOT_TYPE, "id": id })
}

/// The robot a handle names, or [`Error::RobotNotConnected`] for anything else: a made-up
/// or malformed handle, or one from another run. A handle passed as JSON text is accepted.
pub(crate) fn lookup(field: &str, handle: &Value) -> Result<Arc<Robot>> {
    let not_connected = || Error::RobotNotConnected { field: field.to_string() };
    let parsed;
    let handle = match handle {
        Value::String(text) => {
            parsed = serde_json::from_str::<Value>(text.trim()).map_err(|_| not_connected())?;
            &parsed
        }
        other => other,
    };
    if handle.get("type").and_then(Value::as_str) != Some(ROBOT_TYPE) {
        return Err(not_connected());
    }
    let id = handle.get("id").and_then(Value::as_str).ok_or_else(not_connected)?;
    lock().robots.get(id).cloned().ok_or_else(not_connected)
}
