//! [`Cause`]: why a call to DingTalk broke, sorted from the raw text the client keeps (a
//! transport library's words such as "end of file before message length reached", or the
//! client's own "DingTalk answered HTTP 500"), so that the user reads the cause in our words,
//! in either language, and the raw text goes to the error document's `technical` field.

use rpa_plugin_abi::{Text, text};

/// Why a connection or an answer failed, in the kinds a user can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cause {
    /// The server (or a proxy) answered with this HTTP status and no readable body.
    HttpStatus(u16),
    /// No answer came within this many seconds.
    NoAnswer(u64),
    /// No connection could be made within the connect timeout.
    NoConnection,
    /// The other side refused the connection (nothing listens there).
    Refused,
    /// The host name could not be resolved.
    UnknownHost,
    /// The TLS handshake failed: a certificate that is not trusted, or a proxy that inspects
    /// HTTPS.
    Tls,
    /// The connection was closed or reset before the whole answer arrived.
    ClosedEarly,
    /// The answer arrived but is not the JSON expected.
    NotJson,
    /// The answer is JSON but lacks the part the call needs (a ticket, a media id...).
    Incomplete,
    /// Something else went wrong on the connection.
    Other,
}

impl Cause {
    /// Sorts a raw cause as the client words it.
    pub(crate) fn of(raw: &str) -> Cause {
        let lower = raw.to_ascii_lowercase();
        let has = |words: &[&str]| words.iter().any(|w| lower.contains(w));
        if let Some(status) = http_status(&lower) {
            Cause::HttpStatus(status)
        } else if let Some(seconds) = lower.strip_prefix("no answer within ").and_then(leading_number) {
            Cause::NoAnswer(seconds)
        } else if lower.starts_with("no connection within") {
            Cause::NoConnection
        } else if has(&["not the json expected", "expected value", "invalid type", "eof while parsing"]) {
            Cause::NotJson
        } else if has(&["answer has no", "has no ticket", "has no endpoint"]) {
            Cause::Incomplete
        } else if has(&["certificate", "tls", "ssl", "handshake", "corrupt message", "unknownissuer"]) {
            Cause::Tls
        } else if has(&["refused"]) {
            Cause::Refused
        } else if has(&["dns", "lookup address", "name or service not known", "nodename nor servname", "no such host"])
        {
            Cause::UnknownHost
        } else if has(&[
            "end of file",
            "closed",
            "reset",
            "broken pipe",
            "broke off",
            "incomplete message",
            "unexpected eof",
            "aborted",
        ]) {
            Cause::ClosedEarly
        } else if has(&["timed out", "timeout", "deadline"]) {
            Cause::NoAnswer(0)
        } else {
            Cause::Other
        }
    }

    /// The cause in the user's words, as a clause after "because" / "：".
    pub(crate) fn words(self) -> Text {
        match self {
            Cause::HttpStatus(status) => text!(
                en: format!("the server answered HTTP {status} ({})", status_words(status).en),
                zh: format!("服务器返回了 HTTP {status}（{}）", status_words(status).zh_cn)
            ),
            Cause::NoAnswer(0) => text!(en: "no answer came in time", zh: "在规定时间内没有收到响应"),
            Cause::NoAnswer(seconds) => {
                text!(en: format!("no answer within {seconds} s"), zh: format!("{seconds} 秒内没有收到响应"))
            }
            Cause::NoConnection => text!(en: "no connection could be made in time", zh: "未能及时建立连接"),
            Cause::Refused => text!(en: "the connection was refused", zh: "连接被拒绝"),
            Cause::UnknownHost => text!(en: "the host name could not be found", zh: "找不到该主机名"),
            Cause::Tls => text!(
                en: "the secure connection (TLS) could not be set up",
                zh: "无法建立安全连接（TLS 握手失败）"
            ),
            Cause::ClosedEarly => text!(
                en: "the connection closed before the whole answer arrived",
                zh: "响应还没传完，连接就被关闭了"
            ),
            Cause::NotJson => text!(en: "the answer is not the JSON expected", zh: "响应不是预期的 JSON 格式"),
            Cause::Incomplete => text!(en: "the answer lacks what the call needs", zh: "响应缺少所需的内容"),
            Cause::Other => text!(en: "the connection failed", zh: "连接出错"),
        }
    }
}

/// The status in `text` when it says "HTTP nnn" (the client's own wording).
fn http_status(lower: &str) -> Option<u16> {
    let at = lower.find("http ")? + "http ".len();
    let digits: String = lower[at..].chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok().filter(|s| (100..600).contains(s))
}

/// The whole number `text` starts with.
fn leading_number(text: &str) -> Option<u64> {
    text.chars().take_while(char::is_ascii_digit).collect::<String>().parse().ok()
}

/// What an HTTP status means, briefly.
fn status_words(status: u16) -> Text {
    match status {
        500 => text!(en: "an internal server error", zh: "服务器内部错误"),
        502 => text!(en: "a gateway got no good answer", zh: "网关没有得到正常响应"),
        503 => text!(en: "the service is unavailable for now", zh: "服务暂时不可用"),
        504 => text!(en: "a gateway timed out", zh: "网关超时"),
        501 | 505..=599 => text!(en: "a server error", zh: "服务器错误"),
        400..=499 => text!(en: "the request was refused", zh: "请求被拒绝"),
        200..=299 => text!(en: "success, but with an unreadable body", zh: "成功，但内容无法解析"),
        _ => text!(en: "an unexpected status", zh: "意外的状态"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Raw causes as the client and its libraries word them, and the kind each is told as.
    pub(crate) const SAMPLES: [(&str, Cause); 16] = [
        ("the answer broke off: end of file before message length reached", Cause::ClosedEarly),
        ("the answer broke off: connection closed before message completed", Cause::ClosedEarly),
        ("the connection failed after sending: connection reset by peer (os error 104)", Cause::ClosedEarly),
        ("DingTalk answered HTTP 500", Cause::HttpStatus(500)),
        ("HTTP 502", Cause::HttpStatus(502)),
        ("no answer within 30 s", Cause::NoAnswer(30)),
        ("no connection within 2.5 s", Cause::NoConnection),
        ("Connection refused (os error 111)", Cause::Refused),
        ("failed to lookup address information: Name or service not known", Cause::UnknownHost),
        ("dns error: no record found", Cause::UnknownHost),
        ("invalid peer certificate: UnknownIssuer", Cause::Tls),
        ("the answer is not the JSON expected (expected value at line 1 column 1)", Cause::NotJson),
        ("the upload answer has no media_id", Cause::Incomplete),
        ("the connections/open answer has no ticket", Cause::Incomplete),
        ("Stream WebSocket: IO error: Connection refused (os error 111)", Cause::Refused),
        ("something no one expected", Cause::Other),
    ];

    #[test]
    fn raw_causes_are_sorted_into_kinds_a_user_can_act_on() {
        for (raw, kind) in SAMPLES {
            assert_eq!(Cause::of(raw), kind, "{raw}");
        }
    }

    #[test]
    fn every_kind_reads_in_both_languages_without_the_raw_words() {
        for (raw, kind) in SAMPLES {
            let words = kind.words();
            assert!(!words.zh_cn.is_empty() && !words.en.is_empty());
            // A bare status ("HTTP 502") is a code, told as it is; a wait is told in English
            // as the client words it; nothing else is told raw.
            if !matches!(kind, Cause::HttpStatus(_)) {
                assert!(!words.zh_cn.contains(raw), "{raw}");
            }
            if !matches!(kind, Cause::HttpStatus(_) | Cause::NoAnswer(_)) {
                assert!(!words.en.contains(raw), "{raw}");
            }
        }
    }
}
