//! [`PluginMod`]: the `abi_stable` root module a plugin exports, and how its versions grow.

use abi_stable::{
    StableAbi, declare_root_module_statics,
    library::RootModule,
    package_version_strings,
    sabi_types::VersionStrings,
    std_types::{RResult, RStr, RString},
};

#[cfg(doc)]
use crate::{ABI_VERSION, ErrorPayload, Manifest, codes};
use crate::{HostRef, InvokeOptions};

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
///
/// Versions: the fields up to `invoke` are ABI 1, and every plugin has them. Fields added
/// later come after it, and `#[sabi(last_prefix_field)]` stays on `invoke` (moving it would
/// break every host built against ABI 1): a host built against ABI 1 sees a newer plugin as
/// ABI 1 and never calls the new fields. A newer host loads an ABI 1 plugin through
/// [`abi1::PluginModRef`] (abi_stable refuses a library with fewer fields than the host's
/// type) and calls `invoke`; the accessors of the later fields return `None` for a module
/// that lacks them all the same.
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

    /// ABI 1.1: `invoke` with the host's [`InvokeOptions`] (the designer's language for every
    /// log line, warning and progress text, and where progress goes). A host reads it with
    /// `module.invoke_with()`, which is `None` for an ABI 1 plugin: call `invoke` then.
    #[sabi(missing_field(option))]
    pub invoke_with: extern "C" fn(
        action_id: RStr<'_>,
        params_json: RStr<'_>,
        host: HostRef<'_>,
        options: InvokeOptions<'_>,
    ) -> RResult<RString, RString>,
}

impl RootModule for PluginModRef {
    declare_root_module_statics! {PluginModRef}
    const BASE_NAME: &'static str = "rpa_plugin";
    const NAME: &'static str = "rpa_plugin";
    const VERSION_STRINGS: VersionStrings = package_version_strings!();
}

/// The root module as ABI 1 declared it (`abi_version`, `manifest`, `invoke`).
///
/// abi_stable's layout check lets a host load a library whose root module has more fields
/// than the host's type (a host built against ABI 1 sees a newer plugin as ABI 1), but not
/// fewer ("too many fields"). So a host built against this crate loads a plugin with
/// [`PluginModRef`](super::PluginModRef) first and, when the layout check fails, again with
/// this type: an ABI 1 plugin, called through `invoke`. Tests also use it to play a host
/// built against ABI 1.
pub mod abi1 {
    use abi_stable::{
        StableAbi, declare_root_module_statics,
        library::RootModule,
        package_version_strings,
        sabi_types::VersionStrings,
        std_types::{RResult, RStr, RString},
    };

    use crate::HostRef;

    /// [`super::PluginMod`] as ABI 1 had it (same name, package and fields, so that
    /// abi_stable's layout check compares it with today's).
    #[repr(C)]
    #[derive(StableAbi)]
    #[sabi(kind(Prefix(prefix_ref = PluginModRef)))]
    #[sabi(missing_field(panic))]
    pub struct PluginMod {
        /// As today.
        pub abi_version: extern "C" fn() -> u32,
        /// As today.
        pub manifest: extern "C" fn() -> RString,
        /// As today; the last field of ABI 1.
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
}

#[cfg(test)]
mod tests {
    use abi_stable::prefix_type::{PrefixRef, PrefixTypeTrait, WithMetadata_};
    use abi_stable::std_types::{ROk, RResult, RStr, RString};

    use super::*;

    extern "C" fn version() -> u32 {
        crate::ABI_VERSION
    }
    extern "C" fn manifest() -> RString {
        RString::new()
    }
    extern "C" fn invoke(_: RStr<'_>, _: RStr<'_>, _: HostRef<'_>) -> RResult<RString, RString> {
        ROk("old".into())
    }
    extern "C" fn invoke_with(
        _: RStr<'_>,
        _: RStr<'_>,
        _: HostRef<'_>,
        _: InvokeOptions<'_>,
    ) -> RResult<RString, RString> {
        ROk("new".into())
    }

    #[test]
    fn a_plugin_built_for_abi_1_has_no_invoke_with_and_a_new_one_has() {
        let old = abi1::PluginMod { abi_version: version, manifest, invoke }.leak_into_prefix();
        // SAFETY: what a host's loader does once abi_stable's layout check passed: the ABI 1
        // module, a prefix of today's, read through today's type, whose accessors check the
        // field count the module carries.
        let raw = old.0.to_raw_ptr().cast::<WithMetadata_<PluginMod_Prefix, PluginMod_Prefix>>();
        let as_today = PluginModRef(unsafe { PrefixRef::from_raw(raw) });
        assert!(as_today.invoke_with().is_none(), "an ABI 1 plugin has no invoke_with");
        assert_eq!((as_today.abi_version())(), crate::ABI_VERSION);

        let new = PluginMod { abi_version: version, manifest, invoke, invoke_with }.leak_into_prefix();
        assert!(new.invoke_with().is_some());
    }
}
