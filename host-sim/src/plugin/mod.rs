//! Loading a plugin library and calling it, the way a designer does: the [`Plugin`] trait every
//! loader implements, what the loaders share (finding the file, the ABI version and manifest
//! check, reading the plugin's answers), and the two loaders: [`AbiStablePlugin`] for the
//! `abi_stable` root module of `rpa-plugin-abi` and [`CAbiPlugin`] for the plain C entry points
//! of `rpa_plugin_abi::c`. Both loaders depend on this module only, never on each other.

mod abi_stable;
// Unsafe code lives only in the C loader, which calls the plugin's C functions.
#[allow(unsafe_code)]
mod c;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rpa_plugin_abi::{ABI_VERSION, ErrorPayload, Manifest, codes, text};
use serde_json::Value;

pub use self::abi_stable::{AbiStablePlugin, RootModule};
pub use self::c::{CAbiPlugin, CEntry};
use crate::error::HostError;
use crate::host::Host;
use crate::validate::Validators;

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
    fn invoke(&self, action: &str, params: &Value, host: &dyn Host) -> Result<Value, ErrorPayload>;

    /// The compiled validators of the manifest's fields, kept with the plugin, if it keeps
    /// them (the loaders do); forms are then checked without looking validators up.
    fn validators(&self) -> Option<&Validators> {
        None
    }
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

/// Loads the plugin library at `path` through its `abi_stable` root module.
///
/// Every file is checked on its own (layout, version, `abi_version()`, manifest); a missing
/// file, a non-library, a library that is not a plugin, or an incompatible plugin is a
/// [`HostError`] naming the file and the cause. The library is never unloaded.
pub fn load(path: &Path) -> Result<Arc<dyn Plugin>, HostError> {
    load_with(path, Abi::AbiStable)
}

/// Loads the plugin library at `path` through the given ABI, with the same checks.
pub fn load_with(path: &Path, abi: Abi) -> Result<Arc<dyn Plugin>, HostError> {
    Ok(match abi {
        Abi::AbiStable => Arc::new(AbiStablePlugin::load(path)?),
        Abi::C => Arc::new(CAbiPlugin::load(path)?),
    })
}

/// Loads the plugin library at `path` through the given ABI as a host built against ABI 1
/// does: ABI 1's root module type, or `rpa_plugin_invoke` only. Its calls carry no language
/// and no progress. For tests that a newer plugin still serves older hosts.
pub fn load_as_abi1(path: &Path, abi: Abi) -> Result<Arc<dyn Plugin>, HostError> {
    Ok(match abi {
        Abi::AbiStable => Arc::new(AbiStablePlugin::load_as_abi1(path)?),
        Abi::C => Arc::new(CAbiPlugin::load_as_abi1(path)?),
    })
}

/// The file name of the DingTalk robot plugin on this platform: `libdingtalk_robot.so` on
/// Linux, `libdingtalk_robot.dylib` on macOS, `dingtalk_robot.dll` on Windows.
pub fn default_plugin_file_name() -> OsString {
    libloading::library_filename("dingtalk_robot")
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

/// The file to load: `path` made absolute (the system loader searches its own directories
/// for a bare name; an absolute path makes it load exactly this file), or
/// [`HostError::NotFound`].
fn locate(path: &Path) -> Result<PathBuf, HostError> {
    if !path.exists() {
        return Err(HostError::NotFound { path: path.to_path_buf() });
    }
    Ok(std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()))
}

/// What every loader checks and keeps, whatever the ABI: the path as given and the manifest.
struct CheckedLibrary {
    path: PathBuf,
    manifest: Manifest,
    manifest_json: String,
    validators: Validators,
}

impl CheckedLibrary {
    /// The one check of a library's contract, made by every loader: the library's
    /// `abi_version()` (`reported`) must be [`ABI_VERSION`]; only then is its manifest read
    /// (a library of another version may not even have the same manifest function), and it
    /// must parse, say the same `abiVersion`, and give each field a valid JSON Schema 2020-12.
    fn check(
        path: &Path,
        reported: u32,
        read_manifest: impl FnOnce() -> Option<String>,
    ) -> Result<CheckedLibrary, HostError> {
        let given = path.to_path_buf();
        if reported != ABI_VERSION {
            return Err(HostError::AbiVersion { path: given, found: reported, expected: ABI_VERSION });
        }
        let Some(manifest_json) = read_manifest() else {
            return Err(HostError::BadManifest { path: given, cause: "the library returned no manifest text".into() });
        };
        let manifest: Manifest = serde_json::from_str(&manifest_json)
            .map_err(|e| HostError::BadManifest { path: given.clone(), cause: quote(&e.to_string()) })?;
        if manifest.abi_version != ABI_VERSION {
            let cause = format!("it says abiVersion {} but the library speaks {ABI_VERSION}", manifest.abi_version);
            return Err(HostError::BadManifest { path: given, cause });
        }
        crate::validate::check_schemas(&manifest)
            .map_err(|cause| HostError::BadManifest { path: given.clone(), cause })?;
        let validators = Validators::new(&manifest);
        Ok(CheckedLibrary { path: given, manifest, manifest_json, validators })
    }
}

/// A plugin library that passed the contract check ([`CheckedLibrary`]), and `E`, the way its
/// actions are called: through the abi_stable root module ([`AbiStablePlugin`]) or the C entry
/// points ([`CAbiPlugin`]). What does not depend on the way is written once, here.
pub struct Loaded<E> {
    library: CheckedLibrary,
    entry: E,
}

/// How a loaded library's actions are called: one implementation per ABI.
pub trait Entry: Send + Sync {
    /// The loader's name, for `Debug`.
    const LOADER: &'static str;
    /// Calls `action` with the params as JSON text, lending the plugin `host`; the outputs or
    /// the error document, read as [`Plugin::invoke`] says.
    fn invoke(&self, action: &str, params_json: &str, host: &dyn Host) -> Result<Value, ErrorPayload>;
}

impl<E> Loaded<E> {
    /// The path the plugin was loaded from, as given.
    pub fn path(&self) -> &Path {
        &self.library.path
    }
}

impl<E: Entry> std::fmt::Debug for Loaded<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct(E::LOADER)
            .field("path", &self.library.path)
            .field("id", &self.library.manifest.id)
            .field("version", &self.library.manifest.version)
            .finish_non_exhaustive()
    }
}

impl<E: Entry> Plugin for Loaded<E> {
    fn manifest(&self) -> &Manifest {
        &self.library.manifest
    }

    fn manifest_json(&self) -> &str {
        &self.library.manifest_json
    }

    fn validators(&self) -> Option<&Validators> {
        Some(&self.library.validators)
    }

    fn invoke(&self, action: &str, params: &Value, host: &dyn Host) -> Result<Value, ErrorPayload> {
        self.entry.invoke(action, &params_json(params)?, host)
    }
}

/// The params as the JSON text both ABIs carry (written straight into bytes: a `Value`'s
/// `to_string` goes through a formatter, at twice the cost).
fn params_json(params: &Value) -> Result<String, ErrorPayload> {
    serde_json::to_string(params).map_err(|e| ErrorPayload::new(codes::INVALID_PARAMS, e.to_string()))
}

/// The outputs text of a successful call, which must be a JSON object.
fn parse_outputs(action: &str, text: &str) -> Result<Value, ErrorPayload> {
    match serde_json::from_str::<Value>(text) {
        Ok(outputs @ Value::Object(_)) => Ok(outputs),
        Ok(_) => Err(broken_contract(action, "outputs that are not a JSON object", text)),
        Err(e) => Err(broken_contract(action, &format!("outputs that are not JSON ({e})"), text)),
    }
}

/// The error text of a failed call, which must be an [`ErrorPayload`].
fn parse_error(action: &str, text: &str) -> ErrorPayload {
    match serde_json::from_str::<ErrorPayload>(text) {
        Ok(payload) => payload,
        Err(e) => broken_contract(action, &format!("an error that is not an error document ({e})"), text),
    }
}

/// An [`codes::INTERNAL`] error for an answer that breaks the contract.
fn broken_contract(action: &str, what: &str, text: &str) -> ErrorPayload {
    let quoted = quote(text);
    ErrorPayload::bilingual(
        codes::INTERNAL,
        text!(
            en: format!("The plugin broke the contract: action {action} returned {what}: {quoted}"),
            zh: format!("插件违反了接口约定：动作 {action} 返回的内容无效：{quoted}"),
        ),
    )
    .with_bilingual_hint(text!(
        en: "This is a bug in the plugin; report it to its author with this message.",
        zh: "这是插件的缺陷，请把这条消息报告给插件作者。",
    ))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn load_err(path: &Path, abi: Abi) -> HostError {
        match load_with(path, abi) {
            Ok(plugin) => panic!("{} loaded as {abi:?}: {}", path.display(), plugin.manifest().id),
            Err(e) => e,
        }
    }

    #[test]
    fn a_missing_file_is_named() {
        for abi in [Abi::AbiStable, Abi::C] {
            let e = load_err(Path::new("/definitely/not/here/libplugin.so"), abi);
            assert!(matches!(e, HostError::NotFound { .. }), "{e:?}");
            assert!(e.to_string().contains("/definitely/not/here/libplugin.so"), "{e}");
        }
    }

    #[test]
    fn a_text_file_is_not_a_library() {
        let path = std::env::temp_dir().join(format!("host-sim-unit-{}.so", std::process::id()));
        std::fs::write(&path, "just some text\n").unwrap();
        let errors = [load_err(&path, Abi::AbiStable), load_err(&path, Abi::C)];
        let _ = std::fs::remove_file(&path);
        for e in errors {
            assert!(matches!(e, HostError::NotALibrary { .. }), "{e:?}");
            assert!(e.to_string().contains(&path.display().to_string()), "{e}");
        }
    }

    #[test]
    fn a_directory_is_not_a_library() {
        for abi in [Abi::AbiStable, Abi::C] {
            let e = load_err(&std::env::temp_dir(), abi);
            assert!(matches!(e, HostError::NotALibrary { .. }), "{e:?}");
        }
    }

    #[test]
    fn the_contract_check_is_the_same_for_every_loader() {
        let path = Path::new("lib.so");
        let good = r#"{"id":"p","version":"1.0.0","abiVersion":1,"name":{"zh-CN":"插件","en":"Plugin"},"actions":[]}"#;
        let checked = CheckedLibrary::check(path, ABI_VERSION, || Some(good.to_string())).unwrap();
        assert_eq!((checked.manifest.id.as_str(), checked.manifest_json.as_str()), ("p", good));

        let e = CheckedLibrary::check(path, 999, || panic!("the manifest of another version is not read")).err();
        assert!(matches!(e, Some(HostError::AbiVersion { found: 999, expected: ABI_VERSION, .. })), "{e:?}");
        let e = CheckedLibrary::check(path, ABI_VERSION, || None).err();
        assert!(matches!(e, Some(HostError::BadManifest { .. })), "{e:?}");
        let e = CheckedLibrary::check(path, ABI_VERSION, || Some("{".into())).err();
        assert!(matches!(e, Some(HostError::BadManifest { .. })), "{e:?}");
        let other = good.replace("\"abiVersion\":1", "\"abiVersion\":2");
        let e = CheckedLibrary::check(path, ABI_VERSION, || Some(other)).err();
        assert!(e.is_some_and(|e| e.to_string().contains("abiVersion 2")));
        let bad_schema = good.replace(
            r#""actions":[]"#,
            r#""actions":[{"id":"a.b","title":{"zh-CN":"甲","en":"A"},"description":{"zh-CN":"","en":""},
                "inputs":{"basic":[{"name":"n","label":{"zh-CN":"数","en":"N"},"help":{"zh-CN":"","en":""},
                "required":true,"schema":{"type":"whole"}}],"advanced":[]},"outputs":[]}]"#,
        );
        let e = CheckedLibrary::check(path, ABI_VERSION, || Some(bad_schema)).err();
        assert!(matches!(&e, Some(HostError::BadManifest { cause, .. }) if cause.contains("field n")), "{e:?}");
    }

    #[test]
    fn malformed_plugin_answers_become_internal_errors() {
        let e = parse_error("a.b", "not json at all");
        assert_eq!(e.code, codes::INTERNAL);
        assert!(e.message.contains("a.b") && e.message.contains("not json at all"), "{}", e.message);
        assert!(e.message_in("zh-CN").contains("插件违反了接口约定"), "{}", e.message_in("zh-CN"));

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
        assert_eq!(path.file_name(), Some(default_plugin_file_name().as_os_str()));
        let name = default_plugin_file_name().into_string().unwrap();
        assert!(name.contains("dingtalk_robot") && name.ends_with(std::env::consts::DLL_SUFFIX), "{name}");
        let exe_dir = std::env::current_exe().unwrap().parent().unwrap().to_path_buf();
        assert!(path.starts_with(exe_dir.parent().unwrap()), "{}", path.display());
    }
}
