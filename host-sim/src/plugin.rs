//! Loading a plugin library and calling it: the [`Plugin`] trait every loader implements, and
//! [`AbiStablePlugin`], the loader for `rpa-plugin-abi` (abi_stable) libraries.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use abi_stable::StableAbi;
use abi_stable::library::{LibraryError, lib_header_from_path};
use abi_stable::sabi_trait::TD_Opaque;
use abi_stable::std_types::{RErr, ROk, RStr};
use abi_stable::type_layout::TypeLayout;
use rpa_plugin_abi::{ABI_VERSION, ErrorPayload, Host_TO, HostRef, LogLevel, Manifest, PluginModRef, codes};
use serde_json::Value;

use crate::error::HostError;
use crate::host::HostServices;

/// The longest piece of a plugin's or loader's text quoted in an error message.
const QUOTE_LIMIT: usize = 300;

/// A loaded plugin, whatever its ABI: what a host needs to draw its forms and run its actions.
///
/// Implementations are shared by every flow on every thread, hence `Send + Sync`.
pub trait Plugin: Send + Sync {
    /// The parsed manifest.
    fn manifest(&self) -> &Manifest;

    /// The manifest's JSON text exactly as the plugin returned it.
    fn manifest_json(&self) -> &str;

    /// Runs `action` with `params` (a JSON object keyed by field name), lending the plugin
    /// `host`. Success is the outputs (a JSON object keyed by output name); failure is the
    /// plugin's error document, or an [`codes::INTERNAL`] one when the plugin broke the
    /// contract (malformed JSON), never a panic.
    fn invoke(&self, action: &str, params: &Value, host: &dyn HostServices) -> Result<Value, ErrorPayload>;
}

/// Loads the plugin library at `path` (an `rpa-plugin-abi` abi_stable library).
///
/// Every file is checked on its own (layout, version, `abi_version()`, manifest); a missing
/// file, a non-library, a library that is not a plugin, or an incompatible plugin is a
/// [`HostError`] naming the file and the cause. The library is never unloaded.
pub fn load(path: &Path) -> Result<Arc<dyn Plugin>, HostError> {
    Ok(Arc::new(AbiStablePlugin::load(path)?))
}

/// The two ways a designer can load the same library.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Abi {
    /// The `abi_stable` root module of `rpa-plugin-abi` (Rust designers).
    #[default]
    #[value(name = "abi-stable")]
    AbiStable,
    /// The plain C entry points (designers in Python, .NET, ...).
    #[value(name = "c")]
    C,
}

/// Loads the plugin library at `path` through the given ABI.
pub fn load_with(path: &Path, abi: Abi) -> Result<Arc<dyn Plugin>, HostError> {
    match abi {
        Abi::AbiStable => load(path),
        Abi::C => Ok(Arc::new(crate::plugin_c::CAbiPlugin::load(path)?)),
    }
}

/// The file name of the DingTalk robot plugin on this platform (`libdingtalk_robot.so` on Linux).
pub fn default_plugin_file_name() -> String {
    format!("{}dingtalk_robot{}", std::env::consts::DLL_PREFIX, std::env::consts::DLL_SUFFIX)
}

/// Where host-sim looks for the plugin when given no path: the library beside the current
/// executable; else in its parent directory (test binaries run from `target/debug/deps`
/// and find `target/debug/libdingtalk_robot.so`); else in `deps/` beside it (`cargo test`
/// leaves the cdylib in `target/debug/deps` without copying it up). Of those that exist, the
/// newest wins, so a stale copy left by an earlier build is not picked over a fresh one.
/// When none exists, the path beside the executable, so that the load error names it.
pub fn default_plugin_path() -> PathBuf {
    let name = default_plugin_file_name();
    let Some(dir) = std::env::current_exe().ok().and_then(|exe| exe.parent().map(Path::to_path_buf)) else {
        return PathBuf::from(name);
    };
    let beside = dir.join(&name);
    let candidates =
        [Some(beside.clone()), dir.parent().map(|parent| parent.join(&name)), Some(dir.join("deps").join(&name))];
    let modified = |p: &PathBuf| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    candidates.into_iter().flatten().filter_map(|p| Some((modified(&p)?, p))).max().map(|(_, p)| p).unwrap_or(beside)
}

/// A plugin loaded through `rpa-plugin-abi`'s abi_stable root module.
pub struct AbiStablePlugin {
    path: PathBuf,
    module: PluginModRef,
    manifest: Manifest,
    manifest_json: String,
}

impl std::fmt::Debug for AbiStablePlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AbiStablePlugin")
            .field("path", &self.path)
            .field("id", &self.manifest.id)
            .field("version", &self.manifest.version)
            .finish_non_exhaustive()
    }
}

impl AbiStablePlugin {
    /// Loads and checks the library at `path`: it must be a shared library exporting the
    /// root module of the `rpa-plugin-abi` this host was built with (checked by abi_stable's
    /// layout check), whose `abi_version()` is [`ABI_VERSION`] and whose manifest parses.
    ///
    /// Uses `lib_header_from_path` + `init_root_module` rather than `load_from_file`, which
    /// would cache one module per interface type (abi_stable issue #92).
    pub fn load(path: &Path) -> Result<Self, HostError> {
        let given = path.to_path_buf();
        if !path.exists() {
            return Err(HostError::NotFound { path: given });
        }
        // The system loader searches its own directories for a bare name; an absolute path
        // makes it load exactly this file.
        let absolute = std::path::absolute(path).unwrap_or_else(|_| given.clone());
        let header = lib_header_from_path(&absolute).map_err(|e| classify(&given, e))?;
        let module = header.init_root_module::<PluginModRef>().map_err(|e| match e {
            LibraryError::AbiInstability(_) => incompatible_layout(&given, header.layout()),
            other => classify(&given, other),
        })?;

        let found = (module.abi_version())();
        if found != ABI_VERSION {
            return Err(HostError::AbiVersion { path: given, found, expected: ABI_VERSION });
        }
        let manifest_json = (module.manifest())().into_string();
        let manifest: Manifest = serde_json::from_str(&manifest_json)
            .map_err(|e| HostError::BadManifest { path: given.clone(), cause: e.to_string() })?;
        if manifest.abi_version != ABI_VERSION {
            let cause = format!("it says abiVersion {} but the library speaks {ABI_VERSION}", manifest.abi_version);
            return Err(HostError::BadManifest { path: given, cause });
        }
        Ok(AbiStablePlugin { path: given, module, manifest, manifest_json })
    }

    /// The path the plugin was loaded from, as given.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Plugin for AbiStablePlugin {
    fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    fn manifest_json(&self) -> &str {
        &self.manifest_json
    }

    fn invoke(&self, action: &str, params: &Value, host: &dyn HostServices) -> Result<Value, ErrorPayload> {
        let params_json = params.to_string();
        let adapter = HostAdapter(host);
        let host_ref: HostRef<'_> = Host_TO::from_ptr(&adapter, TD_Opaque);
        let result = (self.module.invoke())(RStr::from_str(action), RStr::from_str(&params_json), host_ref);
        match result {
            ROk(text) => parse_outputs(action, text.as_str()),
            RErr(text) => Err(parse_error(action, text.as_str())),
        }
    }
}

/// Lends a [`HostServices`] to an abi_stable plugin as `rpa_plugin_abi::Host`.
struct HostAdapter<'a>(&'a dyn HostServices);

impl rpa_plugin_abi::Host for HostAdapter<'_> {
    fn log(&self, level: LogLevel, message: RStr<'_>) {
        self.0.log(level, message.as_str());
    }

    fn is_cancelled(&self) -> bool {
        self.0.is_cancelled()
    }
}

/// The outputs text of a successful call, which must be a JSON object.
pub(crate) fn parse_outputs(action: &str, text: &str) -> Result<Value, ErrorPayload> {
    match serde_json::from_str::<Value>(text) {
        Ok(outputs @ Value::Object(_)) => Ok(outputs),
        Ok(_) => Err(internal(action, "outputs that are not a JSON object", text)),
        Err(e) => Err(internal(action, &format!("outputs that are not JSON ({e})"), text)),
    }
}

/// The error text of a failed call, which must be an [`ErrorPayload`].
pub(crate) fn parse_error(action: &str, text: &str) -> ErrorPayload {
    match serde_json::from_str::<ErrorPayload>(text) {
        Ok(payload) => payload,
        Err(e) => internal(action, &format!("an error that is not an error document ({e})"), text),
    }
}

fn internal(action: &str, what: &str, text: &str) -> ErrorPayload {
    let mut payload = ErrorPayload::new(
        codes::INTERNAL,
        format!("The plugin broke the contract: action {action} returned {what}: {}", quote(text)),
    )
    .with_hint("This is a bug in the plugin; report it to its author with this message.");
    payload.zh_cn = Some(Box::new(rpa_plugin_abi::error::Localized {
        message: format!("插件违反了接口约定：动作 {action} 返回的内容无效：{}", quote(text)),
        hint: Some("这是插件的缺陷，请把这条消息报告给插件作者。".to_string()),
    }));
    payload
}

/// `text` cut to [`QUOTE_LIMIT`] characters, on one line.
fn quote(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > QUOTE_LIMIT {
        let cut: String = one_line.chars().take(QUOTE_LIMIT).collect();
        format!("{cut}…")
    } else {
        one_line
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
                "symbol {} not found; it may also be a plugin built with another major version of abi_stable",
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

#[cfg(test)]
mod tests {
    use super::*;

    fn load_err(path: &Path) -> HostError {
        match AbiStablePlugin::load(path) {
            Ok(plugin) => panic!("{} loaded: {plugin:?}", path.display()),
            Err(e) => e,
        }
    }

    #[test]
    fn a_missing_file_is_named() {
        let e = load_err(Path::new("/definitely/not/here/libplugin.so"));
        assert!(matches!(e, HostError::NotFound { .. }), "{e:?}");
        assert!(e.to_string().contains("/definitely/not/here/libplugin.so"), "{e}");
    }

    #[test]
    fn a_text_file_is_not_a_library() {
        let path = std::env::temp_dir().join(format!("host-sim-unit-{}.so", std::process::id()));
        std::fs::write(&path, "just some text\n").unwrap();
        let e = load_err(&path);
        let _ = std::fs::remove_file(&path);
        assert!(matches!(e, HostError::NotALibrary { .. }), "{e:?}");
        assert!(e.to_string().contains(&path.display().to_string()), "{e}");
    }

    #[test]
    fn a_directory_is_not_a_library() {
        let e = load_err(&std::env::temp_dir());
        assert!(matches!(e, HostError::NotALibrary { .. }), "{e:?}");
    }

    #[test]
    fn malformed_plugin_answers_become_internal_errors() {
        let e = parse_error("a.b", "not json at all");
        assert_eq!(e.code, codes::INTERNAL);
        assert!(e.message.contains("a.b") && e.message.contains("not json at all"), "{}", e.message);
        assert!(e.zh_cn.is_some());

        let e = parse_outputs("a.b", "[1,2]").unwrap_err();
        assert_eq!(e.code, codes::INTERNAL);
        let e = parse_outputs("a.b", &"x".repeat(10_000)).unwrap_err();
        assert!(e.message.chars().count() < 600, "{}", e.message);

        let ok = parse_outputs("a.b", r#"{"x":1}"#).unwrap();
        assert_eq!(ok["x"], 1);
        let payload = parse_error("a.b", r#"{"code":"AUTH_FAILED","message":"bad key","field":"appKey"}"#);
        assert_eq!(payload.code, "AUTH_FAILED");
        assert_eq!(payload.field.as_deref(), Some("appKey"));
    }

    #[test]
    fn default_path_is_the_dingtalk_library_near_the_executable() {
        let path = default_plugin_path();
        assert_eq!(path.file_name().and_then(|n| n.to_str()), Some(default_plugin_file_name().as_str()));
        let exe_dir = std::env::current_exe().unwrap().parent().unwrap().to_path_buf();
        assert!(path.starts_with(exe_dir.parent().unwrap()), "{}", path.display());
    }
}
