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
}
