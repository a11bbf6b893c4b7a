//! The DingTalk client: wire types, the shared per-app connection (HTTP pool, token cache,
//! rate limiters, retry rules) and the registry of connected robots.

pub(crate) mod connection;
pub(crate) mod limiter;
pub(crate) mod registry;
mod transport;
pub(crate) mod webhook;
pub(crate) mod wire;

pub(crate) use connection::{MediaType, Upload};
pub(crate) use registry::{Robot, RobotSettings};
pub(crate) use transport::is_loopback;
pub(crate) use webhook::{WebhookRobot, WebhookSettings};
