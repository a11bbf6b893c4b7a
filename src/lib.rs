//! DingTalk robot actions for drag-and-drop RPA designers.
//!
//! Built as a `cdylib`, this crate is a plugin: a designer loads it through the stable ABI
//! of [`rpa_plugin_abi`] ([`export`]), reads its manifest to draw the action forms, and
//! invokes its actions while a flow runs:
//!
//! * `dingtalk.robot.connect` ([`actions::connect`]): AppKey + AppSecret -> a robot object;
//! * `dingtalk.robot.send_single_chat` ([`actions::send`]): robot object + user IDs or mobile
//!   numbers + template + content -> invalid and flow-controlled user IDs, processQueryKey;
//! * `dingtalk.robot.query_read_status` ([`actions::read_status`]): robot + processQueryKey ->
//!   send status, read and unread user IDs;
//! * `dingtalk.robot.recall` ([`actions::recall`]): robot + processQueryKeys -> recalled and
//!   failed keys;
//! * `dingtalk.robot.send_group_message` ([`actions::group_send`]): robot + openConversationId
//!   + template -> processQueryKey;
//! * `dingtalk.robot.get_user_ids_by_mobile` ([`actions::lookup`]): robot + mobile numbers ->
//!   user IDs and unresolved numbers.
//!
//! Each action is defined once in [`actions`] (fields, labels, validation, execution); the
//! manifest is generated from those definitions. [`dingtalk`] is the HTTP client, with one
//! connection pool, token cache and rate limiter per app for the whole loaded plugin.
//! Built as an `rlib`, the same code is callable from Rust through [`invoke`].
//!
//! ```
//! let manifest: serde_json::Value = serde_json::from_str(dingtalk_robot::manifest_json()).unwrap();
//! assert_eq!(manifest["actions"][0]["id"], "dingtalk.robot.connect");
//! ```

pub mod actions;
pub mod capi;
mod context;
pub mod dingtalk;
pub mod error;
pub mod export;
mod redact;
mod secret;

use rpa_plugin_abi::HostRef;

pub use actions::{manifest, manifest_json};
pub use error::{Error, Result};
pub use secret::Secret;

/// Runs one action: checks `params_json` against the action's fields, then does the work on
/// the plugin's runtime while relaying log lines to `host` and obeying its cancel flag.
/// Returns the outputs as JSON text, or the error document as JSON text.
pub fn invoke(action_id: &str, params_json: &str, host: &HostRef<'_>) -> std::result::Result<String, String> {
    let run = || -> Result<serde_json::Value> {
        let job = actions::prepare(action_id, params_json, &|| host.is_cancelled())?;
        context::drive(host, job)
    };
    match run() {
        Ok(outputs) => Ok(outputs.to_string()),
        Err(e) => Err(e.to_payload().to_json()),
    }
}
