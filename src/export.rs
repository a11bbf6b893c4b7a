//! The `abi_stable` root module: what a designer finds when it loads the library.

use std::panic::{AssertUnwindSafe, catch_unwind};

use abi_stable::export_root_module;
use abi_stable::prefix_type::PrefixTypeTrait;
use abi_stable::std_types::{RErr, ROk, RResult, RStr, RString};
use rpa_plugin_abi::{ABI_VERSION, HostRef, InvokeOptions, PluginMod, PluginModRef};

use crate::error::Error;

/// The root module, found by the host through `lib_header_from_path`.
#[export_root_module]
pub(crate) fn root_module() -> PluginModRef {
    PluginMod { abi_version, manifest, invoke, invoke_with }.leak_into_prefix()
}

extern "C" fn abi_version() -> u32 {
    ABI_VERSION
}

extern "C" fn manifest() -> RString {
    // Building the manifest cannot panic, but nothing may unwind across the boundary.
    catch_unwind(|| RString::from(crate::manifest_json())).unwrap_or_default()
}

extern "C" fn invoke(action_id: RStr<'_>, params_json: RStr<'_>, host: HostRef<'_>) -> RResult<RString, RString> {
    guarded(|| crate::invoke(action_id.as_str(), params_json.as_str(), &host))
}

extern "C" fn invoke_with(
    action_id: RStr<'_>,
    params_json: RStr<'_>,
    host: HostRef<'_>,
    options: InvokeOptions<'_>,
) -> RResult<RString, RString> {
    guarded(|| crate::invoke_with(action_id.as_str(), params_json.as_str(), &host, &options))
}

/// Runs `call`, turning a panic into an `INTERNAL` error document so that it never unwinds
/// into the host.
fn guarded(call: impl FnOnce() -> Result<String, String>) -> RResult<RString, RString> {
    match catch_unwind(AssertUnwindSafe(call)) {
        Ok(Ok(outputs)) => ROk(outputs.into()),
        Ok(Err(error)) => RErr(error.into()),
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".to_string());
            RErr(Error::Internal(what).to_payload().to_json().into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rpa_plugin_abi::ErrorPayload;

    #[test]
    fn a_panic_becomes_an_internal_error() {
        let RErr(text) = guarded(|| panic!("exploded {}", 42)) else { panic!("a panicking call succeeded") };
        let err: ErrorPayload = serde_json::from_str(text.as_str()).unwrap();
        assert_eq!(err.code, "INTERNAL");
        assert!(err.message.contains("exploded 42"), "{}", err.message);
    }

    #[test]
    fn the_root_module_serves_version_and_manifest() {
        let module = root_module();
        assert_eq!((module.abi_version())(), ABI_VERSION);
        assert_eq!((module.manifest())().as_str(), crate::manifest_json());
    }
}
