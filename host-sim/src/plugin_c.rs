//! [`CAbiPlugin`]: a plugin loaded through its plain C entry points (`rpa_plugin_manifest`,
//! `rpa_plugin_invoke`, `rpa_plugin_free`, `rpa_plugin_abi_version`; see the plugin's
//! `include/dingtalk_robot.h`) with libloading, the way a designer written in Python or
//! .NET loads it. Flows must give the same results through either ABI.

use std::ffi::{CStr, CString, c_char, c_int, c_void};
use std::path::{Path, PathBuf};

use rpa_plugin_abi::{ABI_VERSION, ErrorPayload, LogLevel, Manifest, codes};
use serde_json::Value;

use crate::error::HostError;
use crate::host::HostServices;
use crate::plugin::{Plugin, parse_error, parse_outputs};

type VersionFn = unsafe extern "C" fn() -> u32;
type ManifestFn = unsafe extern "C" fn() -> *mut c_char;
type InvokeFn = unsafe extern "C" fn(*const c_char, *const c_char, *const RpaHost, *mut *mut c_char) -> c_int;
type FreeFn = unsafe extern "C" fn(*mut c_char);
type LogFn = unsafe extern "C" fn(*mut c_void, c_int, *const c_char);
type CancelledFn = unsafe extern "C" fn(*mut c_void) -> c_int;

/// `struct RpaHost` of the C header.
#[repr(C)]
struct RpaHost {
    user_data: *mut c_void,
    log: Option<LogFn>,
    is_cancelled: Option<CancelledFn>,
}

/// A plugin called through its C entry points.
pub struct CAbiPlugin {
    path: PathBuf,
    manifest: Manifest,
    manifest_json: String,
    invoke: InvokeFn,
    free: FreeFn,
}

impl std::fmt::Debug for CAbiPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CAbiPlugin").field("path", &self.path).field("id", &self.manifest.id).finish_non_exhaustive()
    }
}

impl CAbiPlugin {
    /// Loads the library at `path` and checks its C entry points, ABI version and manifest.
    /// The library is never unloaded (its runtime threads live as long as the process).
    pub fn load(path: &Path) -> Result<Self, HostError> {
        let given = path.to_path_buf();
        if !path.exists() {
            return Err(HostError::NotFound { path: given });
        }
        let absolute = std::path::absolute(path).unwrap_or_else(|_| given.clone());
        // SAFETY: loading a library runs its initialisers; that is what loading a plugin
        // means, and the same file is what the abi_stable loader runs too.
        let library = unsafe { libloading::Library::new(&absolute) }
            .map_err(|e| HostError::NotALibrary { path: given.clone(), cause: e.to_string() })?;
        let library: &'static libloading::Library = Box::leak(Box::new(library));
        let symbol = |name: &str| HostError::NotAPlugin {
            path: given.clone(),
            cause: format!("it exports no C function `{name}`"),
        };
        // SAFETY: each symbol is looked up with the signature the C header declares.
        let (version, manifest_fn, invoke, free) = unsafe {
            (
                *library.get::<VersionFn>(b"rpa_plugin_abi_version\0").map_err(|_| symbol("rpa_plugin_abi_version"))?,
                *library.get::<ManifestFn>(b"rpa_plugin_manifest\0").map_err(|_| symbol("rpa_plugin_manifest"))?,
                *library.get::<InvokeFn>(b"rpa_plugin_invoke\0").map_err(|_| symbol("rpa_plugin_invoke"))?,
                *library.get::<FreeFn>(b"rpa_plugin_free\0").map_err(|_| symbol("rpa_plugin_free"))?,
            )
        };
        // SAFETY: a C function without arguments, per the header.
        let found = unsafe { version() };
        if found != ABI_VERSION {
            return Err(HostError::AbiVersion { path: given, found, expected: ABI_VERSION });
        }
        // SAFETY: per the header, the plugin returns a NUL-terminated string or null.
        let manifest_json = unsafe { take(manifest_fn(), free) }
            .ok_or_else(|| HostError::BadManifest { path: given.clone(), cause: "no manifest text".into() })?;
        let manifest: Manifest = serde_json::from_str(&manifest_json)
            .map_err(|e| HostError::BadManifest { path: given.clone(), cause: e.to_string() })?;
        Ok(CAbiPlugin { path: given, manifest, manifest_json, invoke, free })
    }

    /// The path the plugin was loaded from, as given.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Copies a string the plugin returned and releases it through the plugin's own free.
///
/// # Safety
/// `ptr` is null or a NUL-terminated string the plugin returned and not yet released.
unsafe fn take(ptr: *mut c_char, free: FreeFn) -> Option<String> {
    if ptr.is_null() {
        return None;
    }
    // SAFETY: not null and NUL-terminated per this function's contract.
    let text = unsafe { CStr::from_ptr(ptr) }.to_string_lossy().into_owned();
    // SAFETY: released once, by the library that allocated it.
    unsafe { free(ptr) };
    Some(text)
}

/// The log callback: `user_data` points at the `&dyn HostServices` of the current call.
unsafe extern "C" fn log_callback(user_data: *mut c_void, level: c_int, message: *const c_char) {
    if user_data.is_null() || message.is_null() {
        return;
    }
    // SAFETY: `invoke` passes a pointer to its `&dyn HostServices`, alive during the call.
    let host = unsafe { &*(user_data as *const &dyn HostServices) };
    // SAFETY: the plugin passes a NUL-terminated line valid during the callback.
    let line = unsafe { CStr::from_ptr(message) }.to_string_lossy();
    let level = match level {
        0 => LogLevel::Error,
        1 => LogLevel::Warn,
        2 => LogLevel::Info,
        _ => LogLevel::Debug,
    };
    host.log(level, &line);
}

/// The cancellation callback, with the same `user_data` as [`log_callback`].
unsafe extern "C" fn cancelled_callback(user_data: *mut c_void) -> c_int {
    if user_data.is_null() {
        return 0;
    }
    // SAFETY: as in `log_callback`.
    let host = unsafe { &*(user_data as *const &dyn HostServices) };
    c_int::from(host.is_cancelled())
}

impl Plugin for CAbiPlugin {
    fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    fn manifest_json(&self) -> &str {
        &self.manifest_json
    }

    fn invoke(&self, action: &str, params: &Value, host: &dyn HostServices) -> Result<Value, ErrorPayload> {
        let nul = |what: &str| ErrorPayload::new(codes::INVALID_PARAMS, format!("the {what} contains a NUL character"));
        let action_c = CString::new(action).map_err(|_| nul("action id"))?;
        let params_c = CString::new(params.to_string()).map_err(|_| nul("params"))?;
        let host_ptr: *const &dyn HostServices = &host;
        let c_host = RpaHost {
            user_data: host_ptr as *mut c_void,
            log: Some(log_callback),
            is_cancelled: Some(cancelled_callback),
        };
        let mut out: *mut c_char = std::ptr::null_mut();
        // SAFETY: NUL-terminated arguments, a host valid for the call, a writable out pointer.
        let status = unsafe { (self.invoke)(action_c.as_ptr(), params_c.as_ptr(), &c_host, &mut out) };
        // SAFETY: `out` was set by the plugin (or is still null).
        let text = unsafe { take(out, self.free) }.unwrap_or_default();
        match status {
            0 => parse_outputs(action, &text),
            _ => Err(parse_error(action, &text)),
        }
    }
}
