//! [`HostError`]: everything that can go wrong in host-sim before a flow's first step runs:
//! loading a plugin library, reading a flow file.

use std::path::{Path, PathBuf};

use rpa_plugin_abi::{ErrorPayload, Text, text};

use crate::codes;

/// A plugin that cannot be loaded or a flow file that cannot be read. Every variant names
/// the file and the cause, in English and Chinese ([`HostError::message`]; `Display` is the
/// English); [`HostError::to_payload`] turns it into the error document the CLI prints.
#[derive(Debug)]
pub enum HostError {
    /// The plugin file does not exist.
    NotFound {
        /// The path as given.
        path: PathBuf,
    },
    /// The file exists but the system loader refused it (not a shared library, wrong
    /// architecture, missing dependencies, a directory...).
    NotALibrary {
        /// The path as given.
        path: PathBuf,
        /// What the system loader said.
        cause: String,
    },
    /// The file is a shared library, but exports no `abi_stable` root module.
    NotAPlugin {
        /// The path as given.
        path: PathBuf,
        /// What was missing.
        cause: String,
    },
    /// The library's root module is not the one of `rpa-plugin-abi` this host was built with
    /// (another interface, an incompatible version of it, or another abi_stable version).
    Incompatible {
        /// The path as given.
        path: PathBuf,
        /// What differs, shortened.
        cause: String,
    },
    /// The library speaks another version of the JSON contract.
    AbiVersion {
        /// The path as given.
        path: PathBuf,
        /// What the library's `abi_version()` returned.
        found: u32,
        /// [`rpa_plugin_abi::ABI_VERSION`].
        expected: u32,
    },
    /// The library's manifest is not a valid manifest.
    BadManifest {
        /// The path as given.
        path: PathBuf,
        /// Why it does not parse.
        cause: String,
    },
    /// The flow file cannot be read.
    FlowUnreadable {
        /// The path as given.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The flow file is not a valid flow: malformed JSON or the wrong shape.
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
    /// The flow has more than [`crate::flow::MAX_STEPS`] steps.
    TooManySteps {
        /// The path as given.
        path: PathBuf,
        /// How many steps it has.
        steps: usize,
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
            | HostError::InvalidFlow { path, .. }
            | HostError::TooManySteps { path, .. } => path,
        }
    }

    /// The stable code: [`codes::LOAD_FAILED`] for plugin files, [`codes::INVALID_FLOW`]
    /// for flow files.
    pub fn code(&self) -> &'static str {
        match self {
            HostError::FlowUnreadable { .. } | HostError::InvalidFlow { .. } | HostError::TooManySteps { .. } => {
                codes::INVALID_FLOW
            }
            _ => codes::LOAD_FAILED,
        }
    }

    /// What went wrong, naming the file.
    pub fn message(&self) -> Text {
        let path = self.path().display();
        match self {
            HostError::NotFound { .. } => text!(
                en: format!("cannot load plugin {path}: the file does not exist"),
                zh: format!("无法加载插件 {path}：文件不存在"),
            ),
            HostError::NotALibrary { cause, .. } => text!(
                en: format!("cannot load plugin {path}: not a loadable library ({cause})"),
                zh: format!("无法加载插件 {path}：不是可加载的动态库（{cause}）"),
            ),
            HostError::NotAPlugin { cause, .. } => text!(
                en: format!("cannot load plugin {path}: it is a library but not an RPA plugin ({cause})"),
                zh: format!("无法加载插件 {path}：这是动态库，但不是 RPA 插件（{cause}）"),
            ),
            HostError::Incompatible { cause, .. } => text!(
                en: format!("cannot load plugin {path}: its interface is incompatible with this host ({cause})"),
                zh: format!("无法加载插件 {path}：接口与本宿主不兼容（{cause}）"),
            ),
            HostError::AbiVersion { found, expected, .. } => text!(
                en: format!(
                    "cannot load plugin {path}: it was built for plugin ABI version {found}, this host speaks version {expected}"
                ),
                zh: format!("无法加载插件 {path}：插件的 ABI 版本为 {found}，本宿主为 {expected}"),
            ),
            HostError::BadManifest { cause, .. } => text!(
                en: format!("cannot load plugin {path}: its manifest is not valid ({cause})"),
                zh: format!("无法加载插件 {path}：清单无效（{cause}）"),
            ),
            HostError::FlowUnreadable { source, .. } => text!(
                en: format!("cannot read flow file {path}: {source}"),
                zh: format!("无法读取流程文件 {path}：{source}"),
            ),
            HostError::InvalidFlow { line, column, cause, .. } => text!(
                en: format!("flow file {path} is not a valid flow: {cause} (line {line}, column {column})"),
                zh: format!("流程文件 {path} 无效：{cause}（第 {line} 行，第 {column} 列）"),
            ),
            HostError::TooManySteps { steps, .. } => {
                let most = crate::flow::MAX_STEPS;
                text!(
                    en: format!("flow file {path} has {steps} steps; a flow holds at most {most}"),
                    zh: format!("流程文件 {path} 共有 {steps} 个步骤，而一个流程最多只能包含 {most} 个步骤"),
                )
            }
        }
    }

    /// What the user can do about it.
    pub fn hint(&self) -> Text {
        match self {
            HostError::NotFound { .. } => text!(
                en: "Check the --plugin path; build the plugin first (cargo build) if it is the default one.",
                zh: "请检查 --plugin 路径；若使用默认插件，请先构建（cargo build）。",
            ),
            HostError::NotALibrary { .. } => text!(
                en: "Point --plugin at the plugin's shared library (.so/.dylib/.dll).",
                zh: "请让 --plugin 指向插件的动态库（.so/.dylib/.dll）。",
            ),
            HostError::NotAPlugin { .. } => text!(
                en: "This library is not an RPA plugin; point --plugin at the plugin's cdylib.",
                zh: "该动态库不是 RPA 插件，请让 --plugin 指向插件的 cdylib。",
            ),
            HostError::Incompatible { .. } | HostError::AbiVersion { .. } => text!(
                en: "Rebuild the plugin and the host against the same rpa-plugin-abi version.",
                zh: "请用同一版本的 rpa-plugin-abi 重新构建插件和宿主。",
            ),
            HostError::BadManifest { .. } => {
                text!(en: "The plugin is broken; report it to its author.", zh: "插件已损坏，请联系插件作者。")
            }
            HostError::FlowUnreadable { .. } => text!(en: "Check the flow file path.", zh: "请检查流程文件路径。"),
            HostError::InvalidFlow { .. } => text!(
                en: r#"A flow is {"steps":[{"action":"<id>","params":{...},"outputs":{"<output>":"<variable>"}}]}."#,
                zh: r#"流程的格式为 {"steps":[{"action":"<id>","params":{...},"outputs":{"<输出>":"<变量>"}}]}。"#,
            ),
            HostError::TooManySteps { .. } => crate::flow::split_the_flow(),
        }
    }

    /// The error document: code, message and hint in English, and in Chinese under `zh-CN`.
    pub fn to_payload(&self) -> ErrorPayload {
        ErrorPayload::bilingual(self.code(), self.message()).with_bilingual_hint(self.hint())
    }
}

impl std::fmt::Display for HostError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message().en)
    }
}

impl std::error::Error for HostError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            HostError::FlowUnreadable { source, .. } => Some(source),
            _ => None,
        }
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
        assert!(p.message_in("zh-CN").contains("文件不存在"), "{}", p.message_in("zh-CN"));
        assert_eq!(p.hint_in("zh-CN"), Some("请检查 --plugin 路径；若使用默认插件，请先构建（cargo build）。"));
        assert!(p.hint.is_some_and(|h| h.contains("--plugin")));
    }

    #[test]
    fn flow_errors_have_their_own_code() {
        let e = HostError::InvalidFlow { path: "f.json".into(), line: 3, column: 7, cause: "expected `,`".into() };
        assert_eq!(e.code(), codes::INVALID_FLOW);
        assert!(e.to_string().contains("line 3, column 7"), "{e}");
        assert!(e.message().zh_cn.contains("第 3 行，第 7 列"), "{}", e.message().zh_cn);
    }

    #[test]
    fn an_unreadable_flow_keeps_its_io_error_as_the_source() {
        use std::error::Error;
        let e = HostError::FlowUnreadable { path: "f.json".into(), source: std::io::ErrorKind::NotFound.into() };
        assert!(e.source().is_some());
        assert!(HostError::NotFound { path: "x".into() }.source().is_none());
    }
}
