//! Faults on demand: what to break, where, and how many times.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

/// The emulated DingTalk endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Endpoint {
    /// New API `POST /v1.0/oauth2/accessToken`.
    Token,
    /// Old API `GET /gettoken`.
    GetToken,
    /// New API `POST /v1.0/robot/oToMessages/batchSend`.
    BatchSend,
    /// New API `GET /v1.0/robot/oToMessages/readStatus`.
    ReadStatus,
    /// New API `POST /v1.0/robot/otoMessages/batchRecall`.
    BatchRecall,
    /// Old API `POST /media/upload`.
    MediaUpload,
    /// Old API `POST /topapi/v2/user/getbymobile`.
    GetByMobile,
    /// New API `POST /v1.0/robot/groupMessages/send`.
    GroupSend,
    /// New API `POST /v1.0/robot/groupMessages/recall`.
    GroupRecall,
    /// Custom (webhook) robot `POST /robot/send?access_token=..` (old-API style answers).
    RobotSend,
    /// Stream mode's `POST /v1.0/gateway/connections/open` (new-API style answers).
    StreamOpen,
    /// New API `POST /v1.0/card/instances/createAndDeliver` (interactive cards).
    CardCreateAndDeliver,
    /// New API `PUT /v1.0/card/instances` (update an interactive card).
    CardUpdate,
    /// A robot message's `sessionWebhook`, `POST /robot/sendBySession?session=..` (old-API
    /// style answers).
    SessionWebhook,
}

impl Endpoint {
    /// Every endpoint, in a fixed order.
    pub const ALL: [Endpoint; 14] = [
        Endpoint::Token,
        Endpoint::GetToken,
        Endpoint::BatchSend,
        Endpoint::ReadStatus,
        Endpoint::BatchRecall,
        Endpoint::MediaUpload,
        Endpoint::GetByMobile,
        Endpoint::GroupSend,
        Endpoint::GroupRecall,
        Endpoint::RobotSend,
        Endpoint::StreamOpen,
        Endpoint::CardCreateAndDeliver,
        Endpoint::CardUpdate,
        Endpoint::SessionWebhook,
    ];

    /// True for the old (`oapi`) generation: HTTP 200 and `errcode`/`errmsg` errors.
    pub fn is_old_api(self) -> bool {
        matches!(
            self,
            Endpoint::GetToken
                | Endpoint::MediaUpload
                | Endpoint::GetByMobile
                | Endpoint::RobotSend
                | Endpoint::SessionWebhook
        )
    }

    /// Position in [`Endpoint::ALL`].
    pub(crate) fn index(self) -> usize {
        match self {
            Endpoint::Token => 0,
            Endpoint::GetToken => 1,
            Endpoint::BatchSend => 2,
            Endpoint::ReadStatus => 3,
            Endpoint::BatchRecall => 4,
            Endpoint::MediaUpload => 5,
            Endpoint::GetByMobile => 6,
            Endpoint::GroupSend => 7,
            Endpoint::GroupRecall => 8,
            Endpoint::RobotSend => 9,
            Endpoint::StreamOpen => 10,
            Endpoint::CardCreateAndDeliver => 11,
            Endpoint::CardUpdate => 12,
            Endpoint::SessionWebhook => 13,
        }
    }
}

/// A way to break an answer. Each variant says whether the request was *processed*
/// (token issued, message delivered, file stored, recall done) before the fault hit:
/// a client must never resend a batchSend, group send or recall that may have been processed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// **Processed**: the request is handled normally (the message IS delivered), then the
    /// server waits this long before answering. A client that times out cannot know.
    Delay(Duration),
    /// **Not processed**: HTTP 500 with a JSON body
    /// `{"code":"ServiceUnavailable","message":...,"requestid":...}` (both generations).
    Http500,
    /// **Not processed**: HTTP 502 with an HTML body (`text/html`), as a gateway answers.
    BadGatewayHtml,
    /// **Processed**: the request is handled, the status line, headers (with the full
    /// `Content-Length`) and part of the body are sent, then the connection is cut.
    CloseMidAnswer,
    /// **Processed**: the request is handled, then HTTP 200 with a truncated, unparsable
    /// JSON body is sent.
    MalformedJson,
    /// **Not processed**: the throttling error (new API: HTTP 403
    /// `Forbidden.AccessDenied.QpsLimitForAppkeyAndApi`; old API: HTTP 200 errcode 90018;
    /// custom robot: errcode 410100). Counted in `stats.throttled`.
    Throttle,
    /// **Not processed**: the caller's IP is not on the app's allow-list (new API: HTTP 403
    /// `Forbidden.AccessDenied.IpNotInWhiteList`; old API: HTTP 200 errcode 60020; custom
    /// robot: errcode 310000 `ip X.X.X.X not in whitelist`).
    IpNotAllowed,
}

impl Fault {
    /// True when a request hit by this fault was still processed (delivered).
    pub fn is_processed(self) -> bool {
        matches!(self, Fault::Delay(_) | Fault::CloseMidAnswer | Fault::MalformedJson)
    }
}

/// Which requests to break, how, and how many times.
///
/// Over the admin endpoint (`POST /_emulator/faults`) it is written as JSON:
/// `{"endpoint": "batchSend" | null, "fault": "delay" | "http500" | "badGatewayHtml" |
/// "closeMidAnswer" | "malformedJson" | "throttle" | "ipNotAllowed", "delayMs": 1500, "times": 1 | null}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "FaultRuleWire", into = "FaultRuleWire")]
pub struct FaultRule {
    /// The endpoint to break; `None` = every endpoint.
    pub endpoint: Option<Endpoint>,
    /// What to do to the matching requests.
    pub fault: Fault,
    /// `None` = until cleared; `Some(n)` = the next `n` matching requests only.
    pub times: Option<u32>,
}

impl FaultRule {
    /// Break the next `times` requests to `endpoint` with `fault`.
    pub fn next(endpoint: Endpoint, fault: Fault, times: u32) -> Self {
        FaultRule { endpoint: Some(endpoint), fault, times: Some(times) }
    }

    /// Break every request to `endpoint` with `fault` until the faults are cleared.
    pub fn always(endpoint: Endpoint, fault: Fault) -> Self {
        FaultRule { endpoint: Some(endpoint), fault, times: None }
    }
}

/// The JSON form of a [`FaultRule`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FaultRuleWire {
    #[serde(default)]
    endpoint: Option<Endpoint>,
    fault: FaultKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    delay_ms: Option<u64>,
    #[serde(default)]
    times: Option<u32>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
enum FaultKind {
    Delay,
    Http500,
    BadGatewayHtml,
    CloseMidAnswer,
    MalformedJson,
    Throttle,
    IpNotAllowed,
}

impl TryFrom<FaultRuleWire> for FaultRule {
    type Error = String;

    fn try_from(w: FaultRuleWire) -> Result<Self, Self::Error> {
        let fault = match w.fault {
            FaultKind::Delay => match w.delay_ms {
                Some(ms) => Fault::Delay(Duration::from_millis(ms)),
                None => return Err("fault \"delay\" needs \"delayMs\"".to_owned()),
            },
            FaultKind::Http500 => Fault::Http500,
            FaultKind::BadGatewayHtml => Fault::BadGatewayHtml,
            FaultKind::CloseMidAnswer => Fault::CloseMidAnswer,
            FaultKind::MalformedJson => Fault::MalformedJson,
            FaultKind::Throttle => Fault::Throttle,
            FaultKind::IpNotAllowed => Fault::IpNotAllowed,
        };
        Ok(FaultRule { endpoint: w.endpoint, fault, times: w.times })
    }
}

impl From<FaultRule> for FaultRuleWire {
    fn from(r: FaultRule) -> Self {
        let (fault, delay_ms) = match r.fault {
            Fault::Delay(d) => (FaultKind::Delay, Some(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))),
            Fault::Http500 => (FaultKind::Http500, None),
            Fault::BadGatewayHtml => (FaultKind::BadGatewayHtml, None),
            Fault::CloseMidAnswer => (FaultKind::CloseMidAnswer, None),
            Fault::MalformedJson => (FaultKind::MalformedJson, None),
            Fault::Throttle => (FaultKind::Throttle, None),
            Fault::IpNotAllowed => (FaultKind::IpNotAllowed, None),
        };
        FaultRuleWire { endpoint: r.endpoint, fault, delay_ms, times: r.times }
    }
}

/// The active fault rules, each with how many matching requests it still lets through
/// untouched; the first matching rule that lets none through wins.
#[derive(Debug, Default)]
pub(crate) struct FaultBook {
    any: AtomicBool,
    rules: Mutex<Vec<(FaultRule, u32)>>,
}

impl FaultBook {
    pub(crate) fn inject(&self, rule: FaultRule) {
        self.inject_after(0, rule);
    }

    /// A rule that lets the next `skip` matching requests through, then applies.
    pub(crate) fn inject_after(&self, skip: u32, rule: FaultRule) {
        if rule.times == Some(0) {
            return;
        }
        let mut rules = self.rules.lock();
        rules.push((rule, skip));
        self.any.store(true, Ordering::Release);
    }

    pub(crate) fn clear(&self) {
        let mut rules = self.rules.lock();
        rules.clear();
        self.any.store(false, Ordering::Release);
    }

    /// The fault for the next request to `endpoint`, if any, using up one of its times.
    pub(crate) fn take(&self, endpoint: Endpoint) -> Option<Fault> {
        if !self.any.load(Ordering::Acquire) {
            return None;
        }
        let mut rules = self.rules.lock();
        let mut found = None;
        for (i, (rule, skip)) in rules.iter_mut().enumerate() {
            if !rule.endpoint.is_none_or(|e| e == endpoint) {
                continue;
            }
            if *skip > 0 {
                *skip -= 1;
                continue;
            }
            found = Some(i);
            break;
        }
        let idx = found?;
        let fault = rules[idx].0.fault;
        if let Some(n) = rules[idx].0.times.as_mut() {
            *n = n.saturating_sub(1);
            if *n == 0 {
                rules.remove(idx);
            }
        }
        self.any.store(!rules.is_empty(), Ordering::Release);
        Some(fault)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_used_up_and_matched_by_endpoint() {
        let book = FaultBook::default();
        book.inject(FaultRule::next(Endpoint::BatchSend, Fault::Http500, 2));
        assert_eq!(book.take(Endpoint::Token), None);
        assert_eq!(book.take(Endpoint::BatchSend), Some(Fault::Http500));
        assert_eq!(book.take(Endpoint::BatchSend), Some(Fault::Http500));
        assert_eq!(book.take(Endpoint::BatchSend), None);
        book.inject(FaultRule { endpoint: None, fault: Fault::Throttle, times: None });
        assert_eq!(book.take(Endpoint::Token), Some(Fault::Throttle));
        assert_eq!(book.take(Endpoint::MediaUpload), Some(Fault::Throttle));
        book.clear();
        assert_eq!(book.take(Endpoint::Token), None);
    }

    #[test]
    fn a_rule_can_wait_for_its_turn() {
        let book = FaultBook::default();
        book.inject_after(1, FaultRule::next(Endpoint::BatchSend, Fault::Http500, 1));
        assert_eq!(book.take(Endpoint::Token), None, "other endpoints do not count");
        assert_eq!(book.take(Endpoint::BatchSend), None, "the first send passes");
        assert_eq!(book.take(Endpoint::BatchSend), Some(Fault::Http500), "the second is hit");
        assert_eq!(book.take(Endpoint::BatchSend), None, "once");
    }

    #[test]
    fn json_form_round_trips() {
        let rule: FaultRule =
            serde_json::from_str(r#"{"endpoint":"batchSend","fault":"delay","delayMs":250,"times":1}"#).unwrap();
        assert_eq!(rule, FaultRule::next(Endpoint::BatchSend, Fault::Delay(Duration::from_millis(250)), 1));
        let back = serde_json::to_value(rule).unwrap();
        assert_eq!(back["fault"], "delay");
        assert_eq!(back["delayMs"], 250);
        let all: FaultRule = serde_json::from_str(r#"{"fault":"badGatewayHtml"}"#).unwrap();
        assert_eq!(all.endpoint, None);
        assert_eq!(all.times, None);
        assert!(serde_json::from_str::<FaultRule>(r#"{"fault":"delay"}"#).is_err());
        assert!(serde_json::from_str::<FaultRule>(r#"{"fault":"explode"}"#).is_err());
    }
}
