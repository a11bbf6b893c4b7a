//! [`CAbiPlugin`]: a plugin loaded through its plain C entry points (`rpa_plugin_abi::c`: the
//! functions `rpa_plugin_abi_version`, `rpa_plugin_manifest`, `rpa_plugin_invoke` and
//! `rpa_plugin_free`, the host struct `RpaHost`) with libloading, the way a designer written
//! in Python or .NET loads it. Flows give the same results through either ABI, and the
//! library passes the same contract check as through abi_stable. A plugin that exports the
//! ABI 1.1 entry `rpa_plugin_invoke_with` gets the host's language and progress callback;
//! one that does not is called through `rpa_plugin_invoke`.

use std::ffi::{CStr, CString, c_char, c_int, c_void};
use std::path::Path;

use rpa_plugin_abi::c::{
    RPA_OK, RpaAbiVersionFn, RpaFreeFn, RpaHost, RpaInvokeFn, RpaInvokeOptions, RpaInvokeWithFn, RpaManifestFn,
    symbol_name, symbols,
};
use rpa_plugin_abi::{ErrorPayload, LogLevel, codes};
use serde_json::Value;

use super::{CheckedLibrary, Entry, Loaded, locate, parse_error, parse_outputs, quote};
use crate::error::HostError;
use crate::host::Host;
use crate::progress::StepProgress;

/// A plugin called through its C entry points.
pub type CAbiPlugin = Loaded<CEntry>;

/// The C way to call a loaded library: its `rpa_plugin_invoke` and `rpa_plugin_free`.
pub struct CEntry {
    invoke: RpaInvokeFn,
    /// The ABI 1.1 entry, when the library has it.
    invoke_with: Option<RpaInvokeWithFn>,
    free: RpaFreeFn,
}

impl CAbiPlugin {
    /// Loads the library at `path`, finds its four C entry points, and checks its ABI version
    /// and manifest. The library is never unloaded (its runtime threads live as long as the
    /// process).
    pub fn load(path: &Path) -> Result<Self, HostError> {
        let absolute = locate(path)?;
        // SAFETY: loading a library runs its initialisers; that is what loading a plugin
        // means, and the same file is what the abi_stable loader runs too.
        let library = unsafe { libloading::Library::new(&absolute) }
            .map_err(|e| HostError::NotALibrary { path: path.to_path_buf(), cause: quote(&e.to_string()) })?;
        let library: &'static libloading::Library = Box::leak(Box::new(library));
        // SAFETY: each symbol is looked up with the type `rpa_plugin_abi::c` declares for it.
        let (version, manifest, invoke, free) = unsafe {
            (
                entry_point::<RpaAbiVersionFn>(library, symbols::ABI_VERSION, path)?,
                entry_point::<RpaManifestFn>(library, symbols::MANIFEST, path)?,
                entry_point::<RpaInvokeFn>(library, symbols::INVOKE, path)?,
                entry_point::<RpaFreeFn>(library, symbols::FREE, path)?,
            )
        };
        // SAFETY: looked up with the type `rpa_plugin_abi::c` declares for it; an ABI 1
        // library lacks it.
        let invoke_with = unsafe { entry_point::<RpaInvokeWithFn>(library, symbols::INVOKE_WITH, path) }.ok();
        // SAFETY: a C function without arguments, per its declaration.
        let reported = unsafe { version() };
        // SAFETY: per its declaration, the plugin returns a NUL-terminated string or null,
        // released through its own free.
        let library = CheckedLibrary::check(path, reported, || unsafe { take(manifest(), free) })?;
        Ok(Loaded { library, entry: CEntry { invoke, invoke_with, free } })
    }

    /// Loads the library as a host built against ABI 1 does: its calls go through
    /// `rpa_plugin_invoke`, without language or progress, even when the library has
    /// `rpa_plugin_invoke_with`. For tests that a newer plugin still serves such hosts.
    pub fn load_as_abi1(path: &Path) -> Result<Self, HostError> {
        let mut plugin = CAbiPlugin::load(path)?;
        plugin.entry.invoke_with = None;
        Ok(plugin)
    }
}

/// The C entry point `symbol` of `library`, or [`HostError::NotAPlugin`] naming it.
///
/// # Safety
/// `F` is the type the symbol has in the library.
unsafe fn entry_point<F: Copy>(
    library: &'static libloading::Library,
    symbol: &CStr,
    path: &Path,
) -> Result<F, HostError> {
    // SAFETY: per this function's contract.
    match unsafe { library.get::<F>(symbol.to_bytes_with_nul()) } {
        Ok(function) => Ok(*function),
        Err(_) => Err(HostError::NotAPlugin {
            path: path.to_path_buf(),
            cause: format!("it exports no C function `{}`", symbol_name(symbol)),
        }),
    }
}

/// Copies a string the plugin returned and releases it through the plugin's own free.
///
/// # Safety
/// `ptr` is null or a NUL-terminated string the plugin returned and not yet released.
unsafe fn take(ptr: *mut c_char, free: RpaFreeFn) -> Option<String> {
    if ptr.is_null() {
        return None;
    }
    // SAFETY: not null and NUL-terminated per this function's contract.
    let text = unsafe { CStr::from_ptr(ptr) }.to_string_lossy().into_owned();
    // SAFETY: released once, by the library that allocated it.
    unsafe { free(ptr) };
    Some(text)
}

/// What a call lends the plugin behind `user_data`: the host, and the call's progress adapter
/// when the host shows progress.
struct Lent<'a> {
    host: &'a dyn Host,
    step: Option<StepProgress<'a>>,
}

/// What the current call lent, from the `user_data` the plugin hands back.
///
/// # Safety
/// `user_data` is null or the pointer to a [`Lent`] that [`CAbiPlugin::invoke`] passed, alive
/// during the call.
unsafe fn lent<'a>(user_data: *mut c_void) -> Option<&'a Lent<'a>> {
    // SAFETY: per this function's contract.
    (!user_data.is_null()).then(|| unsafe { &*(user_data as *const Lent<'a>) })
}

/// The host of the current call, from the `user_data` the plugin hands back.
///
/// # Safety
/// As [`lent`].
unsafe fn lent_host<'a>(user_data: *mut c_void) -> Option<&'a dyn Host> {
    // SAFETY: per this function's contract.
    unsafe { lent(user_data) }.map(|lent| lent.host)
}

/// The progress callback given to an ABI 1.1 plugin.
unsafe extern "C" fn progress_callback(user_data: *mut c_void, done: u64, total: u64, text: *const c_char) {
    // SAFETY: `user_data` is what `invoke` passed.
    let Some(step) = (unsafe { lent(user_data) }).and_then(|lent| lent.step.as_ref()) else { return };
    if text.is_null() {
        return;
    }
    // SAFETY: the plugin passes a NUL-terminated text valid during the callback.
    let text = unsafe { CStr::from_ptr(text) }.to_string_lossy();
    step.report(done, total, &text);
}

/// The log callback given to the plugin.
unsafe extern "C" fn log_callback(user_data: *mut c_void, level: c_int, message: *const c_char) {
    // SAFETY: `user_data` is what `invoke` passed.
    let Some(host) = (unsafe { lent_host(user_data) }) else { return };
    if message.is_null() {
        return;
    }
    // SAFETY: the plugin passes a NUL-terminated line valid during the callback.
    let line = unsafe { CStr::from_ptr(message) }.to_string_lossy();
    host.log(LogLevel::from_c(level), line.as_ref().into());
}

/// The cancellation callback given to the plugin.
unsafe extern "C" fn cancelled_callback(user_data: *mut c_void) -> c_int {
    // SAFETY: `user_data` is what `invoke` passed.
    let host = unsafe { lent_host(user_data) };
    c_int::from(host.is_some_and(|host| host.is_cancelled()))
}

impl Entry for CEntry {
    const LOADER: &'static str = "CAbiPlugin";

    fn invoke(&self, action: &str, params_json: &str, host: &dyn Host) -> Result<Value, ErrorPayload> {
        let nul = |what: &str| ErrorPayload::new(codes::INVALID_PARAMS, format!("the {what} contains a NUL character"));
        let action_c = CString::new(action).map_err(|_| nul("action id"))?;
        let params_c = CString::new(params_json).map_err(|_| nul("params"))?;
        let language = CString::new(host.language()).unwrap_or_default();
        let lent = Lent { host, step: host.progress_sink().map(StepProgress::new) };
        let lent_ptr: *const Lent<'_> = &lent;
        let c_host = RpaHost {
            user_data: lent_ptr as *mut c_void,
            log: Some(log_callback),
            is_cancelled: Some(cancelled_callback),
        };
        let mut out: *mut c_char = std::ptr::null_mut();
        let status = match self.invoke_with {
            Some(invoke_with) => {
                let options = RpaInvokeOptions {
                    language: language.as_ptr(),
                    progress: if lent.step.is_some() { Some(progress_callback) } else { None },
                    ..RpaInvokeOptions::NONE
                };
                // SAFETY: NUL-terminated arguments, a host and options valid for the call, a
                // writable out pointer.
                unsafe { invoke_with(action_c.as_ptr(), params_c.as_ptr(), &c_host, &options, &mut out) }
            }
            // SAFETY: NUL-terminated arguments, a host valid for the call, a writable out pointer.
            None => unsafe { (self.invoke)(action_c.as_ptr(), params_c.as_ptr(), &c_host, &mut out) },
        };
        drop(lent);
        // SAFETY: `out` was set by the plugin (or is still null).
        let text = unsafe { take(out, self.free) }.unwrap_or_default();
        if status == RPA_OK { parse_outputs(action, &text) } else { Err(parse_error(action, &text)) }
    }
}
