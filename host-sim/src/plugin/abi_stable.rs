//! [`AbiStablePlugin`]: a plugin loaded through the `abi_stable` root module of
//! `rpa-plugin-abi`, the way a designer written in Rust loads it. A plugin with the ABI 1.1
//! field `invoke_with` gets the host's language and progress sink; one built for ABI 1 has
//! none, and is called through `invoke`.

use std::path::Path;

use abi_stable::StableAbi;
use abi_stable::library::{LibraryError, lib_header_from_path};
use abi_stable::sabi_trait::TD_Opaque;
use abi_stable::std_types::{RErr, RNone, ROk, RSome, RStr};
use abi_stable::type_layout::TypeLayout;
use rpa_plugin_abi::{ErrorPayload, Host_TO, HostRef, InvokeOptions, PluginModRef, Progress_TO, abi1};
use serde_json::Value;

use super::{CheckedLibrary, Entry, Loaded, locate, parse_error, parse_outputs, quote};
use crate::error::HostError;
use crate::host::Host;
use crate::progress::StepProgress;

/// A plugin loaded through `rpa-plugin-abi`'s abi_stable root module.
pub type AbiStablePlugin = Loaded<RootModule>;

/// The abi_stable way to call a loaded library: its root module, as this host knows it, or
/// as a host built against ABI 1 knew it ([`AbiStablePlugin::load_as_abi1`]).
pub enum RootModule {
    /// Today's root module: `invoke_with` when the library has it.
    Current(PluginModRef),
    /// ABI 1's: `invoke` only.
    Abi1(abi1::PluginModRef),
}

impl AbiStablePlugin {
    /// Loads and checks the library at `path`: it must be a shared library exporting the
    /// root module of the `rpa-plugin-abi` this host was built with (checked by abi_stable's
    /// layout check), whose `abi_version()` is [`rpa_plugin_abi::ABI_VERSION`] and whose
    /// manifest parses and says the same `abiVersion`.
    ///
    /// A plugin built for ABI 1 has fewer root-module fields than this host's type, which
    /// abi_stable's check refuses ("too many fields"): such a library is loaded again with
    /// ABI 1's type, and called through `invoke`, without language or progress.
    ///
    /// Uses `lib_header_from_path` + `init_root_module` rather than `load_from_file`, which
    /// would cache one module per interface type (abi_stable issue #92).
    pub fn load(path: &Path) -> Result<Self, HostError> {
        let absolute = locate(path)?;
        let header = lib_header_from_path(&absolute).map_err(|e| classify(path, e))?;
        let entry = match header.init_root_module::<PluginModRef>() {
            Ok(module) => RootModule::Current(module),
            Err(LibraryError::AbiInstability(_)) => match header.init_root_module::<abi1::PluginModRef>() {
                Ok(module) => RootModule::Abi1(module),
                Err(LibraryError::AbiInstability(_)) => return Err(incompatible_layout(path, header.layout())),
                Err(other) => return Err(classify(path, other)),
            },
            Err(other) => return Err(classify(path, other)),
        };
        Self::checked(path, entry)
    }

    /// Loads the library as a host built against ABI 1 does, with ABI 1's root module type
    /// (the same checks): its calls go through `invoke`, without language or progress. For
    /// tests that a newer plugin still serves such hosts.
    pub fn load_as_abi1(path: &Path) -> Result<Self, HostError> {
        let absolute = locate(path)?;
        let header = lib_header_from_path(&absolute).map_err(|e| classify(path, e))?;
        let module = header.init_root_module::<abi1::PluginModRef>().map_err(|e| match e {
            LibraryError::AbiInstability(_) => incompatible_layout(path, header.layout()),
            other => classify(path, other),
        })?;
        Self::checked(path, RootModule::Abi1(module))
    }

    /// The contract check of a loaded root module, whichever its type.
    fn checked(path: &Path, entry: RootModule) -> Result<Self, HostError> {
        let (version, manifest) = match &entry {
            RootModule::Current(module) => (module.abi_version(), module.manifest()),
            RootModule::Abi1(module) => (module.abi_version(), module.manifest()),
        };
        let library = CheckedLibrary::check(path, version(), || Some(manifest().into_string()))?;
        Ok(Loaded { library, entry })
    }
}

impl Entry for RootModule {
    const LOADER: &'static str = "AbiStablePlugin";

    fn invoke(&self, action: &str, params_json: &str, host: &dyn Host) -> Result<Value, ErrorPayload> {
        let host_ref: HostRef<'_> = Host_TO::from_ptr(&host, TD_Opaque);
        let (action_id, params) = (RStr::from_str(action), RStr::from_str(params_json));
        let entry = match self {
            RootModule::Current(module) => module.invoke_with().ok_or(module.invoke()),
            RootModule::Abi1(module) => Err(module.invoke()),
        };
        let answer = match entry {
            Ok(invoke_with) => {
                let step = host.progress_sink().map(StepProgress::new);
                let options = InvokeOptions {
                    language: RStr::from_str(host.language()),
                    progress: match &step {
                        Some(step) => RSome(Progress_TO::from_ptr(step, TD_Opaque)),
                        None => RNone,
                    },
                };
                invoke_with(action_id, params, host_ref, options)
            }
            // A plugin built for ABI 1, or a host playing one: no language, no progress.
            Err(invoke) => invoke(action_id, params, host_ref),
        };
        match answer {
            ROk(text) => parse_outputs(action, text.as_str()),
            RErr(text) => Err(parse_error(action, text.as_str())),
        }
    }
}

/// Sorts abi_stable's loading errors into the causes a user can act on.
fn classify(path: &Path, error: LibraryError) -> HostError {
    let path = path.to_path_buf();
    match error {
        LibraryError::OpenError { path: opened, err } => {
            // The system loader's message starts with the path again.
            let text = err.to_string();
            let prefix = format!("{}: ", opened.display());
            HostError::NotALibrary { path, cause: quote(text.strip_prefix(&prefix).unwrap_or(&text)) }
        }
        LibraryError::GetSymbolError { symbol, .. } => HostError::NotAPlugin {
            path,
            cause: format!(
                "it exports no plugin root module (symbol {} not found); it may also be a plugin built with another major version of abi_stable",
                String::from_utf8_lossy(&symbol).trim_end_matches('\0')
            ),
        },
        LibraryError::IncompatibleVersionNumber { library_name, expected_version, actual_version } => {
            HostError::Incompatible {
                path,
                cause: format!(
                    "it implements {library_name} version {actual_version}, this host needs a version compatible with {expected_version}"
                ),
            }
        }
        LibraryError::RootModule { err, .. } => HostError::Incompatible {
            path,
            cause: format!("its root module failed to initialize: {}", quote(&err.to_string())),
        },
        other => HostError::Incompatible { path, cause: quote(&other.to_string()) },
    }
}

/// A root module whose layout is not [`PluginMod`](rpa_plugin_abi::PluginMod)'s: names the
/// type the library exports and the one this host needs (abi_stable's own report runs to
/// pages of layout dumps).
fn incompatible_layout(path: &Path, found: Option<&'static TypeLayout>) -> HostError {
    let expected = root_type(<PluginModRef as StableAbi>::LAYOUT);
    let cause = match found {
        Some(found) => {
            format!("its root module is {}, this host needs {expected} with the same layout", root_type(found))
        }
        None => format!("its root module's layout differs from {expected}"),
    };
    HostError::Incompatible { path: path.to_path_buf(), cause }
}

/// `PluginMod (rpa-plugin-abi 0.1.0)` for the layout of a `PrefixRef<PluginMod>`.
fn root_type(layout: &'static TypeLayout) -> String {
    let inner = layout.phantom_fields().iter().next().map(|field| field.layout()).unwrap_or(layout);
    format!("{} ({} {})", inner.full_type(), inner.package(), inner.package_version())
}
