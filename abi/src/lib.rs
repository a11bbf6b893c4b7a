//! The stable interface between an RPA designer (the host) and its plugins.
//!
//! Nothing here knows about DingTalk: this crate holds only what both sides must agree on.
//!
//! * [`PluginMod`]: the `abi_stable` root module a plugin exports. It is a prefix type, so
//!   later versions may append fields without breaking hosts built against this one.
//! * [`Host`]: what the host lends a plugin for one call (a log sink and a cancellation flag),
//!   passed across as the FFI-safe trait object [`HostRef`].
//! * [`manifest`] and [`error`]: the JSON documents that travel through the module as text,
//!   as serde types so both sides read and write the same shapes.
//! * [`c`]: the same contract as plain C (host struct, callbacks, status codes, log levels),
//!   for designers that load libraries through a C ABI.
//!
//! Everything crosses the boundary as `abi_stable` types; JSON keeps the contract readable
//! for hosts written in other languages too.

#![deny(unsafe_code)]

// Unsafe code lives only where the C contract needs it.
#[allow(unsafe_code)]
pub mod c;
mod describe;
pub mod error;
// abi_stable's `sabi_trait` writes unsafe code for the FFI-safe trait object.
#[allow(unsafe_code)]
pub mod host;
pub mod manifest;
pub mod typed;

use abi_stable::{
    StableAbi, declare_root_module_statics,
    library::RootModule,
    package_version_strings,
    sabi_types::VersionStrings,
    std_types::{RResult, RStr, RString},
};

pub use error::{ErrorPayload, codes};
pub use host::{Host, Host_TO, HostRef, LogLevel};
pub use manifest::{ActionSpec, FieldSpec, Inputs, Manifest, Text};

/// The version of the JSON contract (manifest shape, params, outputs, errors) that this
/// crate describes. It is written into every manifest as `abiVersion`.
pub const ABI_VERSION: u32 = 1;

/// The root module of an RPA plugin.
///
/// A plugin exports it with `#[export_root_module]`; a host loads it with
/// [`abi_stable::library::lib_header_from_path`] and `init_root_module::<PluginModRef>()`,
/// which checks the layout of every file on its own (unlike `load_from_file`, which caches
/// one module per interface type, abi_stable issue #92).
///
/// Contract for implementors: no panic crosses these functions (catch it and return an
/// [`ErrorPayload`] with code [`codes::INTERNAL`]), and `invoke` is safe to call from many
/// threads at once.
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = PluginModRef)))]
#[sabi(missing_field(panic))]
pub struct PluginMod {
    /// The [`ABI_VERSION`] the plugin was built against.
    pub abi_version: extern "C" fn() -> u32,

    /// The plugin's manifest as JSON text (see [`Manifest`]).
    pub manifest: extern "C" fn() -> RString,

    /// Runs one action: `params_json` is a JSON object keyed by field name; success is a
    /// JSON object keyed by output name, failure an [`ErrorPayload`] as JSON.
    #[sabi(last_prefix_field)]
    pub invoke:
        extern "C" fn(action_id: RStr<'_>, params_json: RStr<'_>, host: HostRef<'_>) -> RResult<RString, RString>,
}

impl RootModule for PluginModRef {
    declare_root_module_statics! {PluginModRef}
    const BASE_NAME: &'static str = "rpa_plugin";
    const NAME: &'static str = "rpa_plugin";
    const VERSION_STRINGS: VersionStrings = package_version_strings!();
}
