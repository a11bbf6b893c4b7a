//! [`HostError`]: everything that can go wrong in host-sim before a flow's first step runs:
//! loading a plugin library, reading a flow file.

use std::path::{Path, PathBuf};

use rpa_plugin_abi::ErrorPayload;
use rpa_plugin_abi::error::Localized;

use crate::codes;

/// A plugin that cannot be loaded or a flow file that cannot be read. Every variant names
/// the file and the cause; [`HostError::to_payload`] turns it into the error document the
/// CLI prints.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// The plugin file does not exist.
    #[error("cannot load plugin {}: the file does not exist", .path.display())]
    NotFound {
        /// The path as given.
        path: PathBuf,
    },
    /// The file exists but the system loader refused it (not a shared library, wrong
    /// architecture, missing dependencies, a directory...).
    #[error("cannot load plugin {}: not a loadable library ({cause})", .path.display())]
    NotALibrary {
        /// The path as given.
        path: PathBuf,
        /// What the system loader said.
        cause: String,
    },
    /// The file is a shared library, but exports no `abi_stable` root module.
    #[error("cannot load plugin {}: it is a library but not an RPA plugin, it exports no plugin root module ({cause})", .path.display())]
    NotAPlugin {
        /// The path as given.
        path: PathBuf,
        /// What was missing.
        cause: String,
    },
    /// The library's root module is not the one of `rpa-plugin-abi` this host was built with
    /// (another interface, an incompatible version of it, or another abi_stable version).
    #[error("cannot load plugin {}: its interface is incompatible with this host ({cause})", .path.display())]
    Incompatible {
        /// The path as given.
        path: PathBuf,
        /// What differs, shortened.
        cause: String,
    },
    /// The library speaks another version of the JSON contract.
    #[error("cannot load plugin {}: it was built for plugin ABI version {found}, this host speaks version {expected}", .path.display())]
    AbiVersion {
        /// The path as given.
        path: PathBuf,
        /// What the library's `abi_version()` returned.
        found: u32,
        /// [`rpa_plugin_abi::ABI_VERSION`].
        expected: u32,
    },
    /// The library's manifest is not a valid manifest.
    #[error("cannot load plugin {}: its manifest is not valid ({cause})", .path.display())]
    BadManifest {
        /// The path as given.
        path: PathBuf,
        /// Why it does not parse.
        cause: String,
    },
    /// The flow file cannot be read.
    #[error("cannot read flow file {}: {source}", .path.display())]
    FlowUnreadable {
        /// The path as given.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The flow file is not a valid flow: malformed JSON or the wrong shape.
    #[error("flow file {} is not a valid flow: {cause} (line {line}, column {column})", .path.display())]
    InvalidFlow {
        /// The path as given (or a name such as `<inline>` for text parsed from memory).
        path: PathBuf,
        /// The 1-based line of the problem.
        line: usize,
        /// The 1-based column of the problem.
        column: usize,
        /// What is wrong there.
        cause: String,
    },
}

impl HostError {
    /// The file at fault: the plugin library or the flow file.
    pub fn path(&self) -> &Path {
        match self {
            HostError::NotFound { path }
            | HostError::NotALibrary { path, .. }
            | HostError::NotAPlugin { path, .. }
            | HostError::Incompatible { path, .. }
            | HostError::AbiVersion { path, .. }
            | HostError::BadManifest { path, .. }
            | HostError::FlowUnreadable { path, .. }
            | HostError::InvalidFlow { path, .. } => path,
        }
    }

    /// The stable code: [`codes::LOAD_FAILED`] for plugin files, [`codes::INVALID_FLOW`]
    /// for flow files.
    pub fn code(&self) -> &'static str {
        match self {
            HostError::FlowUnreadable { .. } | HostError::InvalidFlow { .. } => codes::INVALID_FLOW,
            _ => codes::LOAD_FAILED,
        }
    }

    /// What the user can do about it, in English.
    pub fn hint(&self) -> &'static str {
        match self {
            HostError::NotFound { .. } => {
                "Check the --plugin path; build the plugin first (cargo build) if it is the default one."
            }
            HostError::NotALibrary { .. } => "Point --plugin at the plugin's shared library (.so/.dylib/.dll).",
            HostError::NotAPlugin { .. } => "This library is not an RPA plugin; point --plugin at the plugin's cdylib.",
            HostError::Incompatible { .. } | HostError::AbiVersion { .. } => {
                "Rebuild the plugin and the host against the same rpa-plugin-abi version."
            }
            HostError::BadManifest { .. } => "The plugin is broken; report it to its author.",
            HostError::FlowUnreadable { .. } => "Check the flow file path.",
            HostError::InvalidFlow { .. } => {
                r#"A flow is {"steps":[{"action":"<id>","params":{...},"outputs":{"<output>":"<variable>"}}]}."#
            }
        }
    }

    /// The message and hint in Chinese.
    pub fn zh_cn(&self) -> Localized {
        let path = self.path().display();
        let (message, hint) = match self {
            HostError::NotFound { .. } => (
                format!("无法加载插件 {path}：文件不存在"),
                "请检查 --plugin 路径；若使用默认插件，请先构建（cargo build）。",
            ),
            HostError::NotALibrary { cause, .. } => (
                format!("无法加载插件 {path}：不是可加载的动态库（{cause}）"),
                "请让 --plugin 指向插件的动态库（.so/.dylib/.dll）。",
            ),
            HostError::NotAPlugin { cause, .. } => (
                format!("无法加载插件 {path}：这是动态库，但不是 RPA 插件，没有导出插件根模块（{cause}）"),
                "该动态库不是 RPA 插件，请让 --plugin 指向插件的 cdylib。",
            ),
            HostError::Incompatible { cause, .. } => (
                format!("无法加载插件 {path}：接口与本宿主不兼容（{cause}）"),
                "请用同一版本的 rpa-plugin-abi 重新构建插件和宿主。",
            ),
            HostError::AbiVersion { found, expected, .. } => (
                format!("无法加载插件 {path}：插件的 ABI 版本为 {found}，本宿主为 {expected}"),
                "请用同一版本的 rpa-plugin-abi 重新构建插件和宿主。",
            ),
            HostError::BadManifest { cause, .. } => {
                (format!("无法加载插件 {path}：清单无效（{cause}）"), "插件已损坏，请联系插件作者。")
            }
            HostError::FlowUnreadable { source, .. } => {
                (format!("无法读取流程文件 {path}：{source}"), "请检查流程文件路径。")
            }
            HostError::InvalidFlow { line, column, cause, .. } => (
                format!("流程文件 {path} 无效：{cause}（第 {line} 行，第 {column} 列）"),
                r#"流程的格式为 {"steps":[{"action":"<id>","params":{...},"outputs":{"<输出>":"<变量>"}}]}。"#,
            ),
        };
        Localized { message, hint: Some(hint.to_string()) }
    }

    /// The error document: code, English message and hint, and the Chinese under `zh-CN`.
    pub fn to_payload(&self) -> ErrorPayload {
        let mut payload = ErrorPayload::new(self.code(), self.to_string()).with_hint(self.hint());
        payload.zh_cn = Some(Box::new(self.zh_cn()));
        payload
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_names_the_file_in_both_languages() {
        let e = HostError::NotFound { path: "/nowhere/lib.so".into() };
        let p = e.to_payload();
        assert_eq!(p.code, codes::LOAD_FAILED);
        assert!(p.message.contains("/nowhere/lib.so"), "{}", p.message);
        assert!(p.message_in("zh-CN").contains("/nowhere/lib.so"));
        assert!(p.hint.is_some());
    }

    #[test]
    fn flow_errors_have_their_own_code() {
        let e = HostError::InvalidFlow { path: "f.json".into(), line: 3, column: 7, cause: "expected `,`".into() };
        assert_eq!(e.code(), codes::INVALID_FLOW);
        assert!(e.to_string().contains("line 3, column 7"), "{e}");
    }
}
