//! Finds English left inside Chinese text: runs of two or more plain English words, outside
//! what may stay as it is (identifiers such as `processQueryKey` or `qyapi_base`, codes,
//! URLs, numbers, text in `code`, and quoted data: “…” holds a user's value or DingTalk's own
//! words). Used by the tests that read every error the plugin can give and the Chinese guide
//! (this file is also included by the end-to-end tests, so it depends on nothing).

/// English names that stay English in Chinese text, as the console and the tools spell them.
const NAMES: [&str; 4] = ["Client ID", "Client Secret", "Robot Framework", "Rust regex"];

/// The runs of English words in `text`, each as found (empty when the text is clean).
pub(crate) fn english_runs(text: &str) -> Vec<String> {
    let mut plain = String::with_capacity(text.len());
    let mut skip_until: Option<char> = None;
    for c in text.chars() {
        match skip_until {
            Some(end) if c == end => {
                skip_until = None;
                plain.push(' ');
            }
            Some(_) => {}
            None => match c {
                '`' => skip_until = Some('`'),
                '“' => skip_until = Some('”'),
                _ => plain.push(c),
            },
        }
    }
    for name in NAMES {
        plain = plain.replace(name, " ");
    }
    let mut runs = Vec::new();
    let mut run: Vec<&str> = Vec::new();
    // Tokens are split at anything but letters, digits and the characters of identifiers;
    // a run continues only across single spaces.
    let mut rest = plain.as_str();
    while !rest.is_empty() {
        let end = rest.find(|c: char| !is_word_char(c)).unwrap_or(rest.len());
        let (token, after) = rest.split_at(end);
        if !token.is_empty() {
            if is_plain_word(token) {
                run.push(token);
            } else {
                flush(&mut run, &mut runs);
            }
        }
        let mut chars = after.chars();
        match chars.next() {
            Some(' ') if chars.as_str().starts_with(|c: char| is_word_char(c)) => {}
            Some(_) => flush(&mut run, &mut runs),
            None => {}
        }
        rest = after.get(after.chars().next().map_or(0, char::len_utf8)..).unwrap_or_default();
    }
    flush(&mut run, &mut runs);
    runs
}

/// Ends a run, keeping it when it has two or more words.
fn flush(run: &mut Vec<&str>, runs: &mut Vec<String>) {
    if run.len() >= 2 {
        runs.push(run.join(" "));
    }
    run.clear();
}

/// A character of a word or an identifier.
fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '\'' | '-' | '/' | ':' | '@' | '$' | '{' | '}' | '=' | '#')
}

/// A plain English word: letters only (an apostrophe inside allowed), not an identifier
/// (camelCase, ALL CAPS, or with digits, dots, underscores or slashes).
fn is_plain_word(token: &str) -> bool {
    let word = token.trim_end_matches(['.', ':']);
    let letters = word.chars().all(|c| c.is_ascii_alphabetic() || c == '\'');
    let inner_capital = word.chars().skip(1).any(|c| c.is_ascii_uppercase());
    letters && word.chars().any(|c| c.is_ascii_alphabetic()) && !inner_capital && word.len() > 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_runs_are_found_and_identifiers_are_not() {
        assert_eq!(
            english_runs("消息已提交给钉钉，但未收到结果（the answer broke off: end of file）"),
            ["the answer broke off: end of file"]
        );
        assert_eq!(english_runs("值不符合 value does not match \"^\\S+$\""), ["value does not match"]);
        let clean = "请在 processQueryKey 中填写 qyapi_get_member_by_mobile，见 `no such thing here`、“user typed this”、HTTP 500、https://api.dingtalk.com、Client ID 和 Markdown 正文、Stream 模式。";
        assert_eq!(english_runs(clean), Vec::<String>::new());
    }
}
