//! The language of a call's words: the two every text of the workspace carries ([`Text`]), and
//! how a host or a plugin picks one when the designer names none (the system's locale).
//!
//! A designer passes its language across the ABI as a tag (`zh-CN` or `en`); a host that says
//! nothing, and host-sim's default `--lang`, get [`system`]: `LANGUAGE`, `LC_ALL`,
//! `LC_MESSAGES` or `LANG` on Unix, the user's UI language on Windows and macOS.
//!
//! [`Text`]: crate::Text

use std::sync::OnceLock;

/// The tag of Simplified Chinese, as manifests and error documents write it.
pub const ZH_CN: &str = "zh-CN";
/// The tag of English.
pub const EN: &str = "en";

/// The language of a tag or locale name: [`ZH_CN`] for any Chinese one (`zh`, `zh-CN`,
/// `zh_CN.UTF-8`, `zh-Hans-CN`, `zh-TW`: Simplified Chinese reads better to a Chinese reader
/// than English), [`EN`] for any other non-empty one, `None` for an empty or blank one
/// (nothing said).
///
/// ```
/// use rpa_plugin_abi::lang;
///
/// assert_eq!(lang::from_tag("zh_CN.UTF-8"), Some("zh-CN"));
/// assert_eq!(lang::from_tag("en-US"), Some("en"));
/// assert_eq!(lang::from_tag("C"), Some("en"));
/// assert_eq!(lang::from_tag(" "), None);
/// ```
pub fn from_tag(tag: &str) -> Option<&'static str> {
    let tag = tag.trim();
    if tag.is_empty() {
        return None;
    }
    let primary = tag.split(['-', '_', '.', '@']).next().unwrap_or_default();
    Some(if primary.eq_ignore_ascii_case("zh") { ZH_CN } else { EN })
}

/// The system's language, read once per process: the user's first locale (see the module
/// documentation), [`EN`] when the system names none.
pub fn system() -> &'static str {
    static SYSTEM: OnceLock<&'static str> = OnceLock::new();
    SYSTEM.get_or_init(|| sys_locale::get_locale().as_deref().and_then(from_tag).unwrap_or(EN))
}

/// The language of a call: the designer's `tag` when it names one, else [`system`].
pub fn or_system(tag: &str) -> &'static str {
    from_tag(tag).unwrap_or_else(system)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_chinese_locale_is_chinese_and_others_english() {
        for tag in ["zh", "zh-CN", "zh_CN.UTF-8", "ZH-hans", "zh_TW", "zh-Hant-TW", "zh@pinyin"] {
            assert_eq!(from_tag(tag), Some(ZH_CN), "{tag}");
        }
        for tag in ["en", "en-US", "en_GB.UTF-8", "C", "POSIX", "de-DE", "zhx"] {
            assert_eq!(from_tag(tag), Some(EN), "{tag}");
        }
        assert_eq!(from_tag(""), None);
        assert_eq!(or_system("zh-CN"), ZH_CN);
        assert_eq!(or_system(""), system());
    }
}
