//! Every error the catalogue can give, read in Chinese: no runs of English words (see
//! [`super::english`]) in any message or hint, whatever the transport said; and the Chinese
//! guide likewise.

use dingtalk_client::{Effect, Error as ClientError, Rejection, Upstream, WebhookRefusal};

use super::english::english_runs;
use super::{Error, Explanation};

/// What DingTalk or a library says, in English, as the client keeps it.
const RAW: [&str; 9] = [
    "the answer broke off: end of file before message length reached",
    "DingTalk answered HTTP 500",
    "HTTP 502",
    "no answer within 30 s",
    "no connection within 2.5 s",
    "Connection refused (os error 111)",
    "invalid peer certificate: UnknownIssuer",
    "the answer is not the JSON expected (expected value at line 1 column 1)",
    "something no one expected happened",
];

/// An answer with DingTalk's own (English) words in it.
fn upstream() -> Box<Upstream> {
    Box::new(Upstream {
        http_status: Some(400),
        code: Some("invalidParameter".into()),
        message: Some("sign not match, more: [https://x]".into()),
        request_id: Some("r1".into()),
    })
}

/// One error of every kind, with the English causes the client may hold.
fn catalogue() -> Vec<Error> {
    let url = || "https://api.dingtalk.com".to_string();
    let mut client = vec![
        ClientError::AuthFailed(upstream()),
        ClientError::PermissionDenied { scopes: vec![], upstream: upstream() },
        ClientError::PermissionDenied {
            scopes: vec!["qyapi_get_member_by_mobile".into(), "qyapi_base".into()],
            upstream: upstream(),
        },
        ClientError::IpNotAllowed(upstream()),
        ClientError::RobotCodeInvalid(upstream()),
        ClientError::Throttled { retries: 3, upstream: upstream() },
        ClientError::Throttled { retries: 1, upstream: upstream() },
        ClientError::Throttled { retries: 0, upstream: upstream() },
        ClientError::WebhookBudget { per_minute: 1, wait_seconds: Some(1), timeout_seconds: 1 },
        ClientError::Timeout { url: url(), seconds: 30, nothing_sent: true },
        ClientError::Timeout { url: url(), seconds: 30, nothing_sent: false },
        ClientError::Redirected { url: url(), to: Some("https://login.example".into()), upstream: upstream() },
        ClientError::Redirected { url: url(), to: None, upstream: upstream() },
        ClientError::WrongEndpoint { url: url(), via_proxy: None, upstream: upstream() },
        ClientError::WrongEndpoint { url: url(), via_proxy: Some("http://proxy:8080".into()), upstream: upstream() },
        ClientError::DingTalk(upstream()),
        ClientError::DingTalk(Box::default()),
        ClientError::KeywordMissing { keywords: vec![], upstream: upstream() },
        ClientError::KeywordMissing { keywords: vec!["日报".into()], upstream: upstream() },
        ClientError::WebhookBudget { per_minute: 20, wait_seconds: Some(40), timeout_seconds: 30 },
        ClientError::WebhookBudget { per_minute: 20, wait_seconds: None, timeout_seconds: 30 },
        ClientError::StreamEndpointRefused { endpoint: "ws://example.com:80".into() },
        ClientError::Internal("cannot set up TLS: no roots".into()),
    ];
    for kind in [Rejection::UnknownKey, Rejection::KeyExpired, Rejection::RobotNotInGroup, Rejection::GroupNotFound] {
        client.push(ClientError::Rejected { kind, field: "processQueryKey", upstream: upstream() });
    }
    let signatures = [
        WebhookRefusal::Signature { timestamp: false, signed: false, skew_seconds: None },
        WebhookRefusal::Signature { timestamp: true, signed: true, skew_seconds: Some(-7260) },
        WebhookRefusal::Signature { timestamp: false, signed: true, skew_seconds: Some(1) },
        WebhookRefusal::Signature { timestamp: false, signed: true, skew_seconds: Some(90) },
        WebhookRefusal::IpNotAllowed { ip: Some("1.2.3.4".into()) },
        WebhookRefusal::IpNotAllowed { ip: None },
        WebhookRefusal::TooFast,
        WebhookRefusal::TokenUnknown,
        WebhookRefusal::RobotUnusable,
        WebhookRefusal::Content,
    ];
    for refusal in signatures {
        client.push(ClientError::WebhookRefused { refusal, upstream: upstream() });
    }
    for raw in RAW {
        client.push(ClientError::Network { url: url(), via_proxy: None, reason: raw.into() });
        client.push(ClientError::Network {
            url: url(),
            via_proxy: Some("http://proxy:8080".into()),
            reason: raw.into(),
        });
        client.push(ClientError::BadResponse { url: url(), reason: raw.into(), upstream: upstream() });
        for effect in [Effect::Message, Effect::Recall] {
            client.push(ClientError::SendOutcomeUnknown { effect, reason: raw.into(), upstream: Box::default() });
        }
    }
    let mut all: Vec<Error> = client.into_iter().map(Error::Client).collect();
    let partly = |cause: Error| Error::PartiallySent { cause: Box::new(cause), sent: 20, total: 45, batch: (2, 3) };
    let more: Vec<Error> = all.iter().take(12).cloned().map(partly).collect();
    all.extend(more);
    all.extend([
        Error::UnknownAction("dingtalk.robot.nothing".into()),
        Error::InvalidParams("expected value at line 1 column 1".into()),
        Error::RobotNotConnected { field: "robot".into() },
        Error::WebhookNotConnected { field: "robot".into() },
        Error::Cancelled { in_flight: None },
        Error::Cancelled { in_flight: Some(Effect::Message) },
        Error::Cancelled { in_flight: Some(Effect::Recall) },
        Error::KeywordMissing { field: "content".into(), keywords: vec!["日报".into(), "周报".into()] },
        Error::ReplyTimeout { seconds: 300 },
        Error::Internal("an invariant broke".into()),
    ]);
    all
}

#[test]
fn no_error_of_the_catalogue_has_english_words_in_its_chinese() {
    let mut found = Vec::new();
    for e in catalogue() {
        let Explanation { message, hint } = e.words();
        for text in [message.zh_cn, hint.zh_cn] {
            let runs = english_runs(&text);
            if !runs.is_empty() {
                found.push(format!("{}: {runs:?} in {text}", e.code()));
            }
        }
    }
    assert!(found.is_empty(), "English inside Chinese:\n{}", found.join("\n"));
}

#[test]
fn no_english_words_are_awkward_plurals() {
    let mut found = Vec::new();
    for e in catalogue() {
        let Explanation { message, hint } = e.words();
        for text in [message.en, hint.en] {
            let words: Vec<&str> = text.split_whitespace().collect();
            let one_of_many = words
                .windows(2)
                .any(|w| w[0] == "1" && w[1].ends_with('s') && !["s", "s.", "s,"].contains(&w[1]) && w[1] != "ms");
            if text.replace("http(s)", "").contains("(s)") || one_of_many {
                found.push(format!("{}: {text}", e.code()));
            }
        }
    }
    assert!(found.is_empty(), "awkward plurals:\n{}", found.join("\n"));
}

#[test]
fn no_raw_cause_reaches_the_words_but_it_stays_under_technical() {
    for e in catalogue() {
        let payload = e.to_payload();
        let Explanation { message, hint } = e.words();
        // A bare status ("HTTP 502") is a code, told as it is; a wait is told in English as
        // the client words it; no other raw cause is told, in either language.
        use super::cause::Cause;
        for raw in RAW.iter().filter(|raw| payload.technical.as_deref() == Some(**raw)) {
            let texts = match Cause::of(raw) {
                Cause::HttpStatus(_) => vec![],
                Cause::NoAnswer(_) => vec![&message.zh_cn, &hint.zh_cn],
                _ => vec![&message.en, &message.zh_cn, &hint.en, &hint.zh_cn],
            };
            for text in texts {
                assert!(!text.contains(raw), "{}: {text}", e.code());
            }
        }
        if let Some(u) = &payload.upstream {
            assert!(**u != rpa_plugin_abi::error::Upstream::default(), "{}: an empty upstream", e.code());
        }
    }
}

#[test]
fn the_chinese_guide_has_no_english_words_outside_its_identifiers() {
    let guide = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/guide.zh-CN.md")).unwrap();
    let mut in_code_block = false;
    let found: Vec<String> = guide
        .lines()
        .filter(|line| {
            if line.starts_with("```") {
                in_code_block = !in_code_block;
            }
            !in_code_block && !line.starts_with("```") && !line.starts_with('[')
        })
        .flat_map(|line| english_runs(line).into_iter().map(move |run| format!("{run:?} in {line}")))
        .collect();
    assert!(found.is_empty(), "English inside the Chinese guide:\n{}", found.join("\n"));
}
