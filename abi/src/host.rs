//! [`Host`]: what the host lends a plugin for one call, as an FFI-safe trait object; and since
//! ABI 1.1 the services of [`PluginMod::invoke_with`](crate::PluginMod::invoke_with): the
//! call's language and an optional [`Progress`] sink, in [`InvokeOptions`].

// `#[sabi_trait]` expands to impls outside the items they implement for.
#![allow(non_local_definitions)]

use abi_stable::{
    StableAbi, sabi_trait,
    sabi_types::RRef,
    std_types::{RNone, ROption, RStr},
};

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

/// Where a plugin reports how far a long step has come (ABI 1.1): batches sent, bytes
/// uploaded, numbers looked up, the time left of a wait.
///
/// `done` of `total` (both in the step's own unit; `total` 0 when unknown), and `text` in the
/// call's language, such as "已发送 2/3 批，已送达 40 人". The plugin calls it at most 10 times a
/// second per step, always with the last report (`done == total`), and only from the thread
/// that called `invoke_with`, during that call.
#[sabi_trait]
pub trait Progress: Send + Sync {
    /// Receives one report; `text` is valid only during the call.
    #[sabi(last_prefix_field)]
    fn progress(&self, done: u64, total: u64, text: RStr<'_>);
}

/// The FFI-safe, borrowed form of a [`Progress`] sink. Make one with
/// `Progress_TO::from_ptr(&my_sink, TD_Opaque)`.
pub type ProgressRef<'a> = Progress_TO<'a, RRef<'a, ()>>;

/// A borrowed sink is a sink, as for [`Host`].
impl<P: Progress + ?Sized> Progress for &P {
    fn progress(&self, done: u64, total: u64, text: RStr<'_>) {
        (**self).progress(done, total, text)
    }
}

/// What a host says about one call beyond its [`Host`] (ABI 1.1), given to
/// [`PluginMod::invoke_with`](crate::PluginMod::invoke_with).
///
/// Passed by value with a fixed layout: a later service comes with a new root-module field of
/// its own, never as a field added here.
#[repr(C)]
#[derive(StableAbi)]
pub struct InvokeOptions<'a> {
    /// The designer's language, `zh-CN` or `en` (any locale name is read as [`lang::from_tag`]
    /// does); empty leaves the choice to the plugin, which uses the system's.
    ///
    /// [`lang::from_tag`]: crate::lang::from_tag
    pub language: RStr<'a>,
    /// Where progress goes; `RNone` for a host that shows none.
    pub progress: ROption<ProgressRef<'a>>,
}

impl InvokeOptions<'_> {
    /// What a host that says nothing gets: the system's language, no progress. This is what
    /// the ABI 1 entry `invoke` means.
    pub const NONE: InvokeOptions<'static> = InvokeOptions { language: RStr::from_str(""), progress: RNone };
}
