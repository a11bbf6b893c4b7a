//! DingTalk robot actions for drag-and-drop RPA designers.
//!
//! Built as a `cdylib`, this crate is a plugin: a designer loads it through the stable ABI
//! of [`rpa_plugin_abi`] ([`export`]), reads its manifest to draw the action forms, and
//! invokes its actions while a flow runs:
//!
//! * `dingtalk.robot.connect` (`actions::connect`): AppKey + AppSecret -> a robot object;
//! * `dingtalk.robot.send_single_chat` (`actions::send`): robot object + user IDs or mobile
//!   numbers + template + content -> invalid and flow-controlled user IDs, processQueryKey;
//! * `dingtalk.robot.query_read_status` (`actions::read_status`): robot + processQueryKey ->
//!   send status, read and unread user IDs;
//! * `dingtalk.robot.recall` (`actions::recall`): robot + processQueryKeys -> recalled and
//!   failed keys;
//! * `dingtalk.robot.send_group_message` (`actions::group_send`): robot + openConversationId
//!   + template -> processQueryKey;
//! * `dingtalk.robot.get_user_ids_by_mobile` (`actions::lookup`): robot + mobile numbers ->
//!   user IDs and unresolved numbers;
//! * `dingtalk.robot.connect_webhook` (`actions::connect_webhook`): a group's custom robot
//!   (webhook URL + signing secret) -> a custom robot object;
//! * `dingtalk.robot.send_webhook_message` (`actions::send_webhook`): custom robot object +
//!   template + @mentions -> one signed message to the group.
//!
//! Each action is defined once in `actions` (fields, labels, validation, execution); the
//! manifest is generated from those definitions. The HTTP client is the crate
//! [`dingtalk_client`]; [`robots`] keeps one of its connections (pool, token cache, rate
//! limiters) per app for the whole loaded plugin, and the robots that flows hold by handle.
//! Built as an `rlib`, the same code is callable from Rust through [`run`] (types) or
//! [`invoke`] (JSON text, as the ABI).
//!
//! ```
//! let manifest: serde_json::Value = serde_json::from_str(dingtalk_robot::manifest_json()).unwrap();
//! assert_eq!(manifest["actions"][0]["id"], "dingtalk.robot.connect");
//! ```

#![deny(unsafe_code)]

mod actions;
// The C entry takes and hands out raw pointers: the only module with unsafe code.
#[allow(unsafe_code)]
pub mod capi;
mod context;
mod error;
mod export;
#[cfg(test)]
mod guide;
mod robots;

/// Showing URLs and AppKeys without their secrets, as the client does.
use dingtalk_client::redact;

use rpa_plugin_abi::{ErrorPayload, HostRef, InvokeOptions};
use serde_json::{Map, Value};

pub use actions::{manifest, manifest_json};
use error::{Error, Result};

/// The names of the actions, their fields and outputs, and the test hooks, for this crate's
/// end-to-end tests (`tests/`), so that a renamed field fails to compile there. Not an API: a
/// host reads every name from the manifest.
#[doc(hidden)]
pub mod names {
    pub use crate::actions::{
        ask, connect, connect_webhook, group_send, lookup, read_status, recall, send, send_webhook, wait_for_reply,
    };
}

/// Runs one action from Rust: checks `params` (a JSON object keyed by field name) against
/// the action's fields, then does the work on the plugin's runtime while relaying log lines to
/// `host` and obeying its cancel flag. Returns the outputs keyed by output name, or the error
/// document, as types.
///
/// ```
/// use abi_stable::sabi_trait::TD_Opaque;
/// use rpa_plugin_abi::{Host, Host_TO, LogLevel};
///
/// struct Quiet;
/// impl Host for Quiet {
///     fn log(&self, _: LogLevel, _: abi_stable::std_types::RStr<'_>) {}
///     fn is_cancelled(&self) -> bool { false }
/// }
/// let host = Host_TO::from_ptr(&Quiet, TD_Opaque);
/// let err = dingtalk_robot::run("dingtalk.robot.connect", &serde_json::json!({ "appKey": "k" }), &host).unwrap_err();
/// assert_eq!((err.code.as_str(), err.field.as_deref()), ("INVALID_INPUT", Some("appSecret")));
/// ```
pub fn run(
    action_id: &str,
    params: &Value,
    host: &HostRef<'_>,
) -> std::result::Result<Map<String, Value>, ErrorPayload> {
    run_with(action_id, params, host, &InvokeOptions::NONE)
}

/// [`run`] with the host's [`InvokeOptions`]: the language of the log lines and progress
/// texts, and where progress goes.
pub fn run_with(
    action_id: &str,
    params: &Value,
    host: &HostRef<'_>,
    options: &InvokeOptions<'_>,
) -> std::result::Result<Map<String, Value>, ErrorPayload> {
    let params_json = serde_json::to_string(params).map_err(|e| Error::InvalidParams(e.to_string()).to_payload())?;
    execute(action_id, &params_json, host, options)
}

/// Runs one action as the ABI 1 entry does: `params_json` is the params object as JSON text;
/// the outputs, or the error document, come back as JSON text (see [`run`] for types). Log
/// lines are in the system's language; no progress.
pub fn invoke(action_id: &str, params_json: &str, host: &HostRef<'_>) -> std::result::Result<String, String> {
    invoke_with(action_id, params_json, host, &InvokeOptions::NONE)
}

/// [`invoke`] with the host's [`InvokeOptions`], as the ABI 1.1 entries take them.
pub fn invoke_with(
    action_id: &str,
    params_json: &str,
    host: &HostRef<'_>,
    options: &InvokeOptions<'_>,
) -> std::result::Result<String, String> {
    match execute(action_id, params_json, host, options) {
        // `to_string` writes through a formatter; `serde_json::to_string` straight into bytes.
        Ok(outputs) => {
            serde_json::to_string(&outputs).map_err(|e| Error::Internal(e.to_string()).to_payload().to_json())
        }
        Err(e) => Err(e.to_json()),
    }
}

fn execute(
    action_id: &str,
    params_json: &str,
    host: &HostRef<'_>,
    options: &InvokeOptions<'_>,
) -> std::result::Result<Map<String, Value>, ErrorPayload> {
    let run = || -> Result<Map<String, Value>> {
        let (execution, runs) = actions::prepare(action_id, params_json, &|| host.is_cancelled())?;
        match context::drive(host, options, runs, execution)? {
            Value::Object(outputs) => Ok(outputs),
            other => Err(Error::Internal(format!("the action's outputs are not an object: {other}"))),
        }
    };
    run().map_err(|e| e.to_payload())
}
