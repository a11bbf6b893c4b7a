//! The DingTalk client: wire types, the shared per-app connection (HTTP pool, token cache,
//! rate limiters, retry rules) and the registry of connected robots.

pub mod connection;
pub mod limiter;
pub mod registry;
mod transport;
pub mod webhook;
pub mod wire;

pub use connection::{Connection, MediaType, Upload};
pub use registry::{Robot, RobotSettings};
pub use webhook::{WebhookRobot, WebhookSettings};
