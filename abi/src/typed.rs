//! How people type values into forms: the rules a host's form check and a plugin's reading
//! share, so that a value typed once means the same on both sides. A host applies them
//! through [`FieldSpec::normalize`](crate::FieldSpec::normalize); a plugin calls them when it
//! reads a field (text it was given directly, by a C host or a script, has not been through a
//! host's form).

use serde_json::Value;

use crate::{Text, text};

/// Characters that look like nothing and arrive with copied text: zero-width spaces and
/// joiners, the word joiner and the byte-order mark.
pub const INVISIBLE: [char; 5] = ['\u{200B}', '\u{200C}', '\u{200D}', '\u{2060}', '\u{FEFF}'];

/// The separators of a list typed as text: commas, semicolons (ASCII and full-width), `、`
/// and line breaks.
pub const SEPARATORS: [char; 6] = [',', '，', ';', '；', '、', '\n'];

/// `text` without [`INVISIBLE`] characters, trimmed: how a typed entry is read.
///
/// ```
/// assert_eq!(rpa_plugin_abi::typed::clean(" \u{200B}user01\u{FEFF} "), "user01");
/// ```
pub fn clean(text: &str) -> String {
    if text.contains(INVISIBLE) {
        text.chars().filter(|c| !INVISIBLE.contains(c)).collect::<String>().trim().to_string()
    } else {
        text.trim().to_string()
    }
}

/// The entries of a list typed as text that is not a JSON list: split at [`SEPARATORS`] (and at
/// whitespace too when `split_at_spaces`: entries such as user IDs never hold a space), each
/// [cleaned](clean) and without one pair of surrounding quotes (`"u1"`, `“u1”`, `'u1'`, as
/// copied from a spreadsheet or a list); blank pieces (blank lines, `a,,b`) are skipped. Lazy,
/// so that a reader can stop at its limit.
///
/// ```
/// let ids: Vec<String> = rpa_plugin_abi::typed::entries("\"u1\", “u2”\n\nu3 u4", true).collect();
/// assert_eq!(ids, ["u1", "u2", "u3", "u4"]);
/// ```
pub fn entries(text: &str, split_at_spaces: bool) -> impl Iterator<Item = String> + '_ {
    text.split(SEPARATORS).flat_map(move |piece| {
        let piece = unquote(&clean(piece)).to_string();
        let words: Vec<String> = if split_at_spaces {
            piece.split_whitespace().map(str::to_string).collect()
        } else if piece.is_empty() {
            Vec::new()
        } else {
            vec![piece]
        };
        words
    })
}

/// `s` without one pair of surrounding quotes, trimmed inside.
fn unquote(s: &str) -> &str {
    for (open, close) in [('"', '"'), ('“', '”'), ('\'', '\'')] {
        if let Some(inner) = s.strip_prefix(open).and_then(|r| r.strip_suffix(close)) {
            return inner.trim();
        }
    }
    s
}

/// The whole number a value means, if it means one: an integer, a number without a fraction
/// (`20.0`) within 64 bits, or text that is a whole number once trimmed (`" 20 "`, `"+7"`).
///
/// ```
/// use rpa_plugin_abi::typed::whole_number;
/// use serde_json::json;
/// assert_eq!(whole_number(&json!(" 20 ")), Some(20));
/// assert_eq!(whole_number(&json!(20.0)), Some(20));
/// assert_eq!(whole_number(&json!(1.5)), None);
/// assert_eq!(whole_number(&json!("soon")), None);
/// ```
pub fn whole_number(value: &Value) -> Option<i64> {
    match value {
        Value::String(text) => text.trim().parse::<i64>().ok(),
        Value::Number(n) => n.as_i64().or_else(|| {
            // `i64::MAX as f64` is 2^63, just past the largest i64.
            n.as_f64().filter(|x| x.fract() == 0.0 && *x >= i64::MIN as f64 && *x < i64::MAX as f64).map(|x| x as i64)
        }),
        _ => None,
    }
}

/// What a value is, as a message names it: "text", "a number", "a list"...
///
/// ```
/// assert_eq!(rpa_plugin_abi::typed::kind_of(&serde_json::json!([1])).en, "a list");
/// ```
pub fn kind_of(value: &Value) -> Text {
    match value {
        Value::Null => text!(en: "null", zh: "空值"),
        Value::Bool(_) => text!(en: "a true/false value", zh: "布尔值"),
        Value::Number(_) => text!(en: "a number", zh: "数字"),
        Value::String(_) => text!(en: "text", zh: "文本"),
        Value::Array(_) => text!(en: "a list", zh: "列表"),
        Value::Object(_) => text!(en: "an object", zh: "对象"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_split_cleaned_and_unquoted() {
        let all = |text: &str, spaces: bool| entries(text, spaces).collect::<Vec<_>>();
        assert_eq!(all("a，b；c、d;e\r\nf", false), ["a", "b", "c", "d", "e", "f"]);
        assert_eq!(all(" 138 0013 8000 , 'x y' ", false), ["138 0013 8000", "x y"]);
        assert_eq!(all(" 138 0013 8000 , 'x y' ", true), ["138", "0013", "8000", "x", "y"]);
        assert_eq!(all("\u{200B}\n,,\n \"\" ", true), Vec::<String>::new());
        assert_eq!(all("\u{FEFF}u\u{200D}1", true), ["u1"]);
    }

    #[test]
    fn whole_numbers_stay_within_64_bits() {
        assert_eq!(whole_number(&serde_json::json!(9.3e18)), None);
        assert_eq!(whole_number(&serde_json::json!(-9.2e18)), Some(-9_200_000_000_000_000_000));
        assert_eq!(whole_number(&serde_json::json!(u64::MAX)), None);
        assert_eq!(whole_number(&serde_json::json!(true)), None);
    }
}
