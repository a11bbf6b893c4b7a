//! The stable interface between an RPA designer (the host) and its plugins.
//!
//! Nothing here knows about DingTalk: this crate holds only what both sides must agree on.
//!
//! * [`PluginMod`]: the `abi_stable` root module a plugin exports. It is a prefix type, so
//!   later versions may append fields without breaking hosts built against this one.
//! * [`Host`]: what the host lends a plugin for one call (a log sink and a cancellation flag),
//!   passed across as the FFI-safe trait object [`HostRef`]; since ABI 1.1 also
//!   [`InvokeOptions`] (the designer's language, a [`Progress`] sink) through
//!   [`PluginMod::invoke_with`].
//! * [`lang`]: the two languages, and the system's when a designer names none.
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
pub mod lang;
pub mod manifest;
// abi_stable's accessors of the root module's fields added after its prefix (`invoke_with`)
// are unsafe code it writes.
#[allow(unsafe_code)]
mod root;
pub mod typed;

pub use error::{ErrorPayload, codes};
pub use host::{Host, Host_TO, HostRef, InvokeOptions, LogLevel, Progress, Progress_TO, ProgressRef};
pub use manifest::{ActionSpec, FieldSpec, Inputs, Manifest, Text};
pub use root::abi1;
pub use root::{PluginMod, PluginMod_Prefix, PluginModRef};

/// The version of the JSON contract (manifest shape, params, outputs, errors) that this
/// crate describes. It is written into every manifest as `abiVersion`.
pub const ABI_VERSION: u32 = 1;
