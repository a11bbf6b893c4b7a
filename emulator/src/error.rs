//! The crate's one error type.

/// What can go wrong when starting or steering the emulator.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    /// The listening socket could not be bound (port taken, no loopback, ...).
    #[error("cannot listen on 127.0.0.1:{port}: {source}")]
    Bind {
        /// The port that was asked for (0 = any free port).
        port: u16,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The background tokio runtime or its thread could not be started.
    #[error("cannot start the emulator runtime: {0}")]
    Runtime(#[source] std::io::Error),
    /// The configuration is inconsistent (e.g. two apps with the same AppKey).
    #[error("invalid emulator configuration: {0}")]
    Config(String),
    /// A user wrote to the robot, but no Stream connection of the app (subscribed to robot
    /// messages) was open: the message is lost, as on DingTalk, and recorded as undelivered.
    #[error("no Stream connection of app {app_key:?} is open: message {message_id} is lost")]
    NoStreamConnection {
        /// The app the message was for.
        app_key: String,
        /// The messageId it would have had.
        message_id: String,
    },
    /// No such user in the org.
    #[error("no user {0:?} in the org")]
    UnknownUser(String),
    /// No such app (empty: no app is configured).
    #[error("no app {0:?} is configured")]
    UnknownApp(String),
    /// No card to click: none with that `outTrackId`, or none of that template delivered to
    /// that user.
    #[error("no card with {0}")]
    UnknownCard(String),
    /// A one-to-one card is seen by its user only: someone else cannot click it.
    #[error("user {user_id:?} cannot see card {out_track_id:?}: it was delivered one-to-one to someone else")]
    NotCardViewer {
        /// Who tried to click.
        user_id: String,
        /// The card.
        out_track_id: String,
    },
    /// No such group, or no configured app's robot is in it.
    #[error("no robot of a configured app is in group {0:?}")]
    NoRobotInGroup(String),
}
