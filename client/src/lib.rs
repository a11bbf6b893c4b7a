//! A client for DingTalk's robot APIs, for programs that send robot messages on someone's
//! behalf (the `dingtalk-robot` RPA plugin is one).
//!
//! * [`Connection`]: one app's connection — HTTP clients that never follow a redirect, the
//!   access token fetched once and shared, one rate limiter per API, and DingTalk's retry
//!   rules (a send is never repeated once it may have been processed). Its calls take the
//!   robot's [`CallOptions`] and a [`Call`] (log lines, cancellation).
//! * [`WebhookRobot`]: a group's custom robot — signed sends within a per-minute budget
//!   shared through its [`Line`].
//! * [`stream`]: Stream mode — one WebSocket per app, opened by the first
//!   [`stream::wait_for_reply`] and shared by every later one, each received robot message
//!   handed to one waiting caller.
//! * [`wire`]: the JSON bodies DingTalk exchanges; [`Error`]: every way a call fails, as data
//!   (the words a user reads are the caller's to choose).
//!
//! It knows nothing of RPA hosts, plugins or forms.
//!
//! ```
//! use std::time::Duration;
//! use dingtalk_client::{Call, CallOptions, Connection, Error, Secret};
//!
//! // Nothing listens on port 9 of loopback: the call never reaches a server, says so, and
//! // sent nothing.
//! let options = CallOptions {
//!     api_base: "http://127.0.0.1:9".into(),
//!     timeout: Duration::from_secs(2),
//!     ..CallOptions::default()
//! };
//! let connection = Connection::new(&options.api_base, "appkey", Secret::new("appsecret"), 20)?;
//! let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
//! let call = Call::new();
//! let outcome = runtime.block_on(connection.authenticate(&call, &options));
//! assert!(matches!(outcome, Err(Error::Network { .. }) | Err(Error::Timeout { nothing_sent: true, .. })));
//! assert!(!call.take_lines().is_empty(), "each attempt is logged");
//! # Ok::<(), Error>(())
//! ```

#![forbid(unsafe_code)]

/// The arbitrary-JSON generator the end-to-end fuzzers use, for the unit properties.
#[cfg(test)]
#[path = "../../tests/support/any_json.rs"]
mod any_json;
mod api;
mod background;
mod call;
mod connection;
mod error;
pub mod fleet;
mod limiter;
mod options;
pub mod redact;
mod secret;
pub mod stream;
/// A `redis-server` of a test's own, for the fleet's tests.
#[cfg(test)]
#[path = "../../tests/support/redis_server.rs"]
mod test_redis;
mod transport;
mod upload;
mod webhook;
pub mod wire;

pub use call::{Call, Lang, Level, PROGRESS_PER_SECOND, Report, Words};
pub use connection::{CardSpace, Connection, NewCard, UNKNOWN_MOBILE_TTL};
pub use error::{Effect, Error, Rejection, Result, Upstream, WebhookRefusal};
pub use options::CallOptions;
pub use secret::Secret;
pub use transport::is_loopback;
pub use upload::{MediaType, Upload};
pub use webhook::{DINGTALK_PER_MINUTE, Line, WebhookRobot, WebhookSettings, set_minute_for_tests};
