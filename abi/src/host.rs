//! [`Host`]: what the host lends a plugin for one call, as an FFI-safe trait object.

// `#[sabi_trait]` expands to impls outside the items they implement for.
#![allow(non_local_definitions)]

use abi_stable::{StableAbi, sabi_trait, sabi_types::RRef, std_types::RStr};

/// How important a log line is. The host decides what to show.
#[repr(u8)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    /// Something failed.
    Error,
    /// Something the user should look at, though the action went on.
    Warn,
    /// A step worth seeing in a run log (one network call, one result).
    Info,
    /// Detail for support.
    Debug,
}

impl LogLevel {
    /// The lower-case name hosts print (`error`, `warn`, `info`, `debug`).
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
        }
    }
}

/// What a host lends a plugin for the duration of one `invoke`.
///
/// A plugin never writes to stdout or stderr: the host owns the terminal or the designer's
/// log pane, so every line goes through [`Host::log`]. Long actions check
/// [`Host::is_cancelled`] between network steps so that a user pressing "stop" is obeyed
/// promptly. Designers run flows on many threads, hence `Send + Sync`.
#[sabi_trait]
pub trait Host: Send + Sync {
    /// Records one log line of the plugin's.
    fn log(&self, level: LogLevel, message: RStr<'_>);

    /// Whether the user asked the running flow to stop.
    #[sabi(last_prefix_field)]
    fn is_cancelled(&self) -> bool;
}

/// The FFI-safe, borrowed form of a [`Host`] that `invoke` receives.
///
/// Make one with `Host_TO::from_ptr(&my_host, TD_Opaque)`.
pub type HostRef<'a> = Host_TO<'a, RRef<'a, ()>>;

/// A borrowed host is a host: a caller holding `&dyn Host` (or `&H`) can lend it as it is,
/// e.g. `Host_TO::from_ptr(&host_ref, TD_Opaque)` with `host_ref: &dyn Host`.
impl<H: Host + ?Sized> Host for &H {
    fn log(&self, level: LogLevel, message: RStr<'_>) {
        (**self).log(level, message)
    }

    fn is_cancelled(&self) -> bool {
        (**self).is_cancelled()
    }
}
