//! Showing user-given values in messages and logs without what must stay secret: the user info
//! and credential-like query values of a URL, and most of an AppKey (which may well be an
//! AppSecret pasted into the wrong field).

use std::fmt::Write as _;

/// Query parameter names whose values are credentials, compared without case and without
/// `_`/`-`: `access_token`, `accessToken`, `sign`, `appsecret`, ...
const CREDENTIAL_KEYS: [&str; 12] = [
    "accesstoken",
    "token",
    "secret",
    "appsecret",
    "clientsecret",
    "password",
    "passwd",
    "pwd",
    "key",
    "appkey",
    "sign",
    "signature",
];

/// The longest URL shown in a message; longer ones are cut with an ellipsis.
const MAX_SHOWN_URL_CHARS: usize = 200;

/// `text` as a URL fit for a message or a log line: no `user:password@`, and the value of
/// every credential-like query parameter replaced by `***`. Works on text that does not parse
/// as a URL too, and cuts very long text.
pub fn url(text: &str) -> String {
    let text = text.trim();
    // Everything between "scheme://" and the last "@" before the path is user info.
    let mut out = String::with_capacity(text.len().min(MAX_SHOWN_URL_CHARS + 8));
    let (head, rest) = match text.find("://") {
        Some(i) => text.split_at(i + 3),
        None => ("", text),
    };
    out.push_str(head);
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rfind('@') {
        Some(at) => {
            out.push_str("***@");
            out.push_str(&authority[at + 1..]);
        }
        None => out.push_str(authority),
    }
    let (path_and_query, fragment) = match tail.find('#') {
        Some(i) => tail.split_at(i),
        None => (tail, ""),
    };
    match path_and_query.split_once('?') {
        Some((path, query)) => {
            out.push_str(path);
            out.push('?');
            for (i, pair) in query.split('&').enumerate() {
                if i > 0 {
                    out.push('&');
                }
                match pair.split_once('=') {
                    Some((key, _)) if is_credential_key(key) => {
                        let _ = write!(out, "{key}=***");
                    }
                    _ => out.push_str(pair),
                }
            }
        }
        None => out.push_str(path_and_query),
    }
    out.push_str(fragment);
    if out.chars().count() > MAX_SHOWN_URL_CHARS {
        let mut cut: String = out.chars().take(MAX_SHOWN_URL_CHARS).collect();
        cut.push('…');
        return cut;
    }
    out
}

fn is_credential_key(key: &str) -> bool {
    let folded: String = key.chars().filter(|c| *c != '_' && *c != '-').collect::<String>().to_ascii_lowercase();
    CREDENTIAL_KEYS.iter().any(|k| folded == *k || folded.ends_with(k))
}

/// An AppKey for a log line: its first four characters and its length, so the line still
/// tells two apps apart while an AppSecret pasted into the AppKey field stays hidden.
pub fn app_key(key: &str) -> String {
    let head: String = key.chars().take(4).collect();
    format!("{head}…({} chars)", key.chars().count())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_info_is_dropped() {
        assert_eq!(url("https://user:password@host.example/v1?x=1"), "https://***@host.example/v1?x=1");
        assert_eq!(url("https://a:b@c@host/"), "https://***@host/");
        assert!(!url("user:password@host").contains("password"));
    }

    #[test]
    fn credential_query_values_are_masked() {
        let shown = url("https://oapi.example/media?access_token=tok123&type=file&accessToken=t2&sign=s&timestamp=1");
        assert_eq!(shown, "https://oapi.example/media?access_token=***&type=file&accessToken=***&sign=***&timestamp=1");
        assert_eq!(url("http://h/p?AppSecret=zz#frag"), "http://h/p?AppSecret=***#frag");
    }

    #[test]
    fn plain_urls_are_unchanged_and_long_ones_cut() {
        assert_eq!(url(" https://api.dingtalk.com "), "https://api.dingtalk.com");
        let long = format!("https://h/{}", "a".repeat(500));
        assert_eq!(url(&long).chars().count(), MAX_SHOWN_URL_CHARS + 1);
    }

    #[test]
    fn app_keys_are_shortened() {
        assert_eq!(app_key("dingtestappkey01"), "ding…(16 chars)");
        assert!(!app_key("S3cret-Never-Print-Me").contains("Never"));
    }
}
