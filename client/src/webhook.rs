//! The custom (webhook) robot of a group chat: `POST {webhook}&timestamp=..&sign=..` with the
//! message as JSON, signed per call (HmacSHA256 of `timestamp + "\n" + secret`, Base64, then
//! URL-encoded), within a per-minute budget that keeps the robot out of DingTalk's 10-minute
//! ban, and DingTalk's errcodes read in the user's words. A send is never repeated once it may
//! have been processed; only a connection that was never made is tried again.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use hmac::{Hmac, Mac};
use reqwest::Url;
use sha2::Sha256;
use tokio::time::Instant;

use crate::call::{Call, Level};
use crate::error::{Effect, Error, Result, Upstream, WebhookRefusal};
use crate::limiter::Limiter;
use crate::redact;
use crate::secret::Secret;
use crate::transport::{self, Transport};
use crate::wire::OldApiResponse;
use crate::words;

/// DingTalk's limit: messages a custom robot may send in a minute.
pub const DINGTALK_PER_MINUTE: u32 = 20;
/// How often a send whose connection was never made is tried again.
const NOT_SENT_RETRIES: u32 = 2;
/// The length of "a minute" for the budgets of robots connected from now on, in ms.
static MINUTE_MS: AtomicU64 = AtomicU64::new(60_000);

/// Sets how long the per-minute budget's window is for robots connected from now on: for
/// tests and demos against the emulator with a shortened window, so that a few minutes of
/// sending take seconds. DingTalk's minute is 60 s; a shorter one would get a real robot
/// banned.
pub fn set_minute_for_tests(minute: Duration) {
    let ms = u64::try_from(minute.as_millis()).unwrap_or(u64::MAX).max(1);
    MINUTE_MS.store(ms, Ordering::Relaxed);
}

/// The window of a robot's per-minute budget.
fn minute() -> Duration {
    Duration::from_millis(MINUTE_MS.load(Ordering::Relaxed))
}

/// Everything that decides how a custom robot sends: one "connect_webhook".
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WebhookSettings {
    /// The webhook's scheme, host, port and path (`https://oapi.dingtalk.com/robot/send`).
    pub endpoint: Url,
    /// Other query parameters of the URL, kept in order (never the token or a signature).
    pub extra_query: Vec<(String, String)>,
    /// The webhook's `access_token`: a credential.
    pub token: Secret,
    /// The signing secret (`SEC...`), when the robot signs (加签).
    pub secret: Option<Secret>,
    /// The robot's security keywords: every message must contain one.
    pub keywords: Vec<String>,
    /// Messages a minute the plugin lets the robot send.
    pub per_minute: u32,
    /// Per-send timeout, waiting for the budget included.
    pub timeout: Duration,
}

impl WebhookSettings {
    /// The webhook as it may be shown: scheme, host, port and path, no token.
    pub fn shown(&self) -> String {
        redact::url(self.endpoint.as_str())
    }
}

/// One webhook's way to DingTalk: its HTTP clients and its per-minute budget, shared by every
/// connection to the same webhook (DingTalk counts per robot).
pub struct Line {
    transport: Transport,
    limiter: Limiter,
}

impl Line {
    /// A line allowing `per_minute` messages in any minute.
    pub fn new(per_minute: u32) -> Self {
        Line { transport: Transport::new(), limiter: Limiter::per_window(per_minute, minute()) }
    }

    /// Applies the latest connection's budget (the messages already counted stay counted).
    pub fn set_per_minute(&self, per_minute: u32) {
        if self.limiter.limit() != per_minute {
            self.limiter.set_limit(per_minute);
        }
    }
}

/// A connected custom robot: its settings and its webhook's line.
pub struct WebhookRobot {
    /// How it sends.
    pub settings: WebhookSettings,
    line: std::sync::Arc<Line>,
}

impl std::fmt::Debug for WebhookRobot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookRobot").field("settings", &self.settings).finish_non_exhaustive()
    }
}

/// What one HTTP attempt came to.
enum Attempt {
    /// The server answered (status, `Date` header, request id, body).
    Answered {
        status: reqwest::StatusCode,
        date: Option<String>,
        request_id: Option<String>,
        body: bytes::Bytes,
        location: Option<String>,
    },
    /// The connection could not be made: nothing left.
    NotSent(String),
    /// The request left and no answer came in time.
    TimedOut,
    /// The request left and the exchange broke off.
    Broken(String),
}

impl WebhookRobot {
    /// A robot sending through `line`.
    pub fn new(settings: WebhookSettings, line: std::sync::Arc<Line>) -> Self {
        WebhookRobot { settings, line }
    }

    /// Sends one message (the JSON body), once: waits for room in the per-minute budget
    /// within the timeout (else [`Error::WebhookBudget`], nothing sent), signs, posts, and
    /// reads DingTalk's answer.
    pub async fn send(&self, call: &Call, body: &[u8]) -> Result<()> {
        let s = &self.settings;
        let started = Instant::now();
        let deadline = started + s.timeout;
        let connect_timeout = transport::connect_timeout(s.timeout);
        // The wait for the budget leaves room to connect before the deadline.
        let latest_start = deadline.checked_sub(connect_timeout).unwrap_or(started);
        let budget = |wait: Option<Duration>| Error::WebhookBudget {
            per_minute: s.per_minute,
            wait_seconds: wait.map(|w| w.as_secs() + u64::from(w.subsec_nanos() > 0)),
            timeout_seconds: s.timeout.as_secs(),
        };
        match self.line.limiter.free_at() {
            Some(free) if free > latest_start => return Err(budget(Some(free - started))),
            Some(free) if free > started => {
                let (wait, per_minute) = ((free - started).as_secs_f64(), s.per_minute);
                call.log(
                    Level::Info,
                    words!(
                        en: format!("waiting {wait:.1} s for room in the robot's {per_minute} messages a minute"),
                        zh: format!("机器人每分钟最多发 {per_minute} 条消息，等待 {wait:.1} 秒后发送")
                    ),
                );
                call.progress(
                    0,
                    0,
                    words!(
                        en: format!("The robot's budget of {per_minute} messages a minute is used up; going on in {wait:.0} s"),
                        zh: format!("机器人每分钟 {per_minute} 条的额度已用完，{wait:.0} 秒后继续")
                    ),
                );
            }
            _ => {}
        }
        let Ok(permit) = tokio::time::timeout_at(latest_start, self.line.limiter.acquire()).await else {
            return Err(budget(None));
        };
        let http = self.line.transport.client(connect_timeout)?;
        let mut not_sent = 0;
        let outcome = loop {
            call.check_cancelled()?;
            let url = self.signed_url()?;
            let sent_at = Instant::now();
            call.set_in_flight(Some(Effect::Message));
            let request = http
                .post(url)
                .header(reqwest::header::CONTENT_TYPE, "application/json;charset=utf-8")
                .body(body.to_vec())
                .timeout(deadline.saturating_duration_since(sent_at));
            let attempt = exchange(request).await;
            call.set_in_flight(None);
            let ms = sent_at.elapsed().as_secs_f64() * 1000.0;
            match &attempt {
                Attempt::NotSent(reason) => {
                    call.log(
                        Level::Info,
                        words!(
                            en: format!("robot/send -> not sent: {reason} ({ms:.1} ms)"),
                            zh: format!("robot/send -> 未发出：{reason}（{ms:.1} 毫秒）")
                        ),
                    );
                    let backoff = Duration::from_millis(200 * u64::from(not_sent + 1));
                    if not_sent < NOT_SENT_RETRIES && Instant::now() + backoff + connect_timeout < deadline {
                        not_sent += 1;
                        tokio::time::sleep(backoff).await;
                        continue;
                    }
                }
                Attempt::Answered { status, request_id, .. } => {
                    let (status, id) = (status.as_u16(), request_id.as_deref().unwrap_or("-"));
                    call.log(
                        Level::Info,
                        words!(
                            en: format!("robot/send -> HTTP {status} in {ms:.1} ms (request id {id})"),
                            zh: format!("robot/send -> HTTP {status}，用时 {ms:.1} 毫秒（请求 ID {id}）")
                        ),
                    )
                }
                Attempt::TimedOut => {
                    let seconds = s.timeout.as_secs();
                    call.log(
                        Level::Info,
                        words!(
                            en: format!("robot/send -> no answer within {seconds} s"),
                            zh: format!("robot/send -> {seconds} 秒内没有应答")
                        ),
                    )
                }
                Attempt::Broken(reason) => call.log(
                    Level::Info,
                    words!(
                        en: format!("robot/send -> {reason} ({ms:.1} ms)"),
                        zh: format!("robot/send -> {reason}（{ms:.1} 毫秒）")
                    ),
                ),
            }
            break attempt;
        };
        drop(permit);
        self.read(outcome)
    }

    /// The webhook URL with its token and, for a signing robot, a fresh timestamp and sign.
    fn signed_url(&self) -> Result<Url> {
        let s = &self.settings;
        let mut url = s.endpoint.clone();
        {
            let mut query = url.query_pairs_mut();
            query.append_pair("access_token", s.token.expose());
            for (k, v) in &s.extra_query {
                query.append_pair(k, v);
            }
            if let Some(secret) = &s.secret {
                let timestamp = now_ms().to_string();
                query.append_pair("timestamp", &timestamp);
                query.append_pair("sign", &signature(secret, &timestamp)?);
            }
        }
        Ok(url)
    }

    /// What an attempt means: success, or the error in the user's words.
    fn read(&self, attempt: Attempt) -> Result<()> {
        let s = &self.settings;
        let (status, date, request_id, body, location) = match attempt {
            Attempt::Answered { status, date, request_id, body, location } => {
                (status, date, request_id, body, location)
            }
            Attempt::NotSent(reason) => {
                return Err(Error::Network {
                    url: s.shown(),
                    via_proxy: self.line.transport.proxy_shown_for(s.endpoint.as_str()),
                    reason,
                });
            }
            Attempt::TimedOut => {
                let reason = format!("no answer within {} s", s.timeout.as_secs());
                return Err(Error::SendOutcomeUnknown { effect: Effect::Message, reason, upstream: Box::default() });
            }
            Attempt::Broken(reason) => {
                return Err(Error::SendOutcomeUnknown { effect: Effect::Message, reason, upstream: Box::default() });
            }
        };
        let mut upstream = Upstream { http_status: Some(status.as_u16()), request_id, ..Upstream::default() };
        if status.is_redirection() {
            let to = location.as_deref().map(|l| match Url::parse(l) {
                Ok(u) if u.has_host() => u.origin().ascii_serialization(),
                _ => redact::url(l),
            });
            return Err(Error::Redirected { url: s.shown(), to, upstream: Box::new(upstream) });
        }
        let Ok(answer) = serde_json::from_slice::<OldApiResponse>(&body) else {
            upstream.message = status.canonical_reason().map(str::to_string);
            if status.is_client_error() {
                let via_proxy = self.line.transport.proxy_shown_for(s.endpoint.as_str());
                return Err(Error::WrongEndpoint { url: s.shown(), via_proxy, upstream: Box::new(upstream) });
            }
            let reason = if status.is_success() {
                "the answer is not the JSON expected".to_string()
            } else {
                format!("DingTalk answered HTTP {}", status.as_u16())
            };
            return Err(Error::SendOutcomeUnknown { effect: Effect::Message, reason, upstream: Box::new(upstream) });
        };
        if answer.errcode == 0 && status.is_success() {
            return Ok(());
        }
        let said = self.scrub(answer.errmsg.as_deref().unwrap_or_default());
        upstream.code = Some(answer.errcode.to_string());
        upstream.message = Some(said.clone());
        let skew_seconds = date.as_deref().and_then(skew_seconds);
        Err(refusal(answer.errcode, &said, s, skew_seconds, Box::new(upstream)))
    }

    /// `text` with the token and the secret replaced by `******`.
    fn scrub(&self, text: &str) -> String {
        let s = &self.settings;
        let mut text = text.to_string();
        for secret in std::iter::once(&s.token).chain(s.secret.as_ref()) {
            if !secret.expose().is_empty() {
                text = text.replace(secret.expose(), "******");
            }
        }
        text
    }
}

/// One HTTP exchange, read whole.
async fn exchange(request: reqwest::RequestBuilder) -> Attempt {
    match request.send().await {
        Ok(resp) => {
            let status = resp.status();
            let header = |name: &str| resp.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
            let (date, request_id) = (header("date"), header("x-acs-request-id"));
            let location = if status.is_redirection() { header("location") } else { None };
            match resp.bytes().await {
                Ok(body) => Attempt::Answered { status, date, request_id, body, location },
                Err(e) if e.is_timeout() => Attempt::TimedOut,
                Err(e) => Attempt::Broken(format!("the answer broke off: {}", transport::describe(&e))),
            }
        }
        Err(e) if e.is_connect() => Attempt::NotSent(transport::describe(&e)),
        Err(e) if e.is_timeout() => Attempt::TimedOut,
        Err(e) => Attempt::Broken(format!("the connection failed after sending: {}", transport::describe(&e))),
    }
}

/// DingTalk's refusal of a custom robot's message, by errcode and (for 310000) by message.
fn refusal(errcode: i64, said: &str, s: &WebhookSettings, skew_seconds: Option<i64>, upstream: Box<Upstream>) -> Error {
    let lower = said.to_ascii_lowercase();
    let refused = |refusal| Error::WebhookRefused { refusal, upstream: upstream.clone() };
    match errcode {
        310000 if lower.contains("keyword") => {
            Error::KeywordMissing { keywords: s.keywords.clone(), upstream: upstream.clone() }
        }
        310000 if lower.contains("timestamp") || lower.contains("sign") => refused(WebhookRefusal::Signature {
            timestamp: lower.contains("timestamp"),
            signed: s.secret.is_some(),
            skew_seconds,
        }),
        310000 if lower.contains("whitelist") || lower.starts_with("ip") => {
            let ip =
                said.split_whitespace().nth(1).filter(|w| w.parse::<std::net::IpAddr>().is_ok()).map(str::to_string);
            refused(WebhookRefusal::IpNotAllowed { ip })
        }
        410100 => refused(WebhookRefusal::TooFast),
        _ if lower.contains("too fast") => refused(WebhookRefusal::TooFast),
        300001 | 300005 | 400101 => refused(WebhookRefusal::TokenUnknown),
        400102 | 400106 | 400013 => refused(WebhookRefusal::RobotUnusable),
        430101..=430104 => refused(WebhookRefusal::Content),
        _ => Error::DingTalk(upstream),
    }
}

/// This machine's clock minus the server's, in whole seconds, from an HTTP `Date` (which
/// tells the server's time rounded down to the second: half a second is taken off the
/// difference to centre it).
fn skew_seconds(date: &str) -> Option<i64> {
    let server = httpdate::parse_http_date(date).ok()?;
    let local = SystemTime::now();
    let ms = match local.duration_since(server) {
        Ok(ahead) => i64::try_from(ahead.as_millis()).ok()?,
        Err(behind) => -i64::try_from(behind.duration().as_millis()).ok()?,
    };
    Some((ms - 500).div_euclid(1000) + i64::from((ms - 500).rem_euclid(1000) >= 500))
}

/// Milliseconds since the Unix epoch, by this machine's clock.
fn now_ms() -> u128 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0)
}

/// `Base64(HmacSHA256(key = secret, timestamp + "\n" + secret))`, DingTalk's signature (the
/// URL encoding is the query serializer's).
pub(crate) fn signature(secret: &Secret, timestamp: &str) -> Result<String> {
    let key = secret.expose().as_bytes();
    let mut mac = Hmac::<Sha256>::new_from_slice(key).map_err(|e| Error::Internal(format!("HMAC key: {e}")))?;
    mac.update(timestamp.as_bytes());
    mac.update(b"\n");
    mac.update(key);
    Ok(base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Known answers computed with Python's hmac, hashlib and base64, as DingTalk's
    /// security-settings page does (`urllib.parse.quote_plus` for the URL form).
    #[test]
    fn signatures_match_dingtalks_own_computation() {
        let secret = Secret::new("SEC0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
        assert_eq!(signature(&secret, "1735689600000").unwrap(), "HHFFYH7lGRFOPyRi68lvzxhkd2phffG34ExwwCJQSxo=");
        let sign = signature(&secret, "1735689600005").unwrap();
        assert_eq!(sign, "AwQk6TpBcslOFOJgZ+jUW/KjBRMFwmFuirtNJsQ3OsY=");
        let mut url = Url::parse("https://oapi.dingtalk.com/robot/send").unwrap();
        url.query_pairs_mut().append_pair("sign", &sign);
        assert_eq!(url.query(), Some("sign=AwQk6TpBcslOFOJgZ%2BjUW%2FKjBRMFwmFuirtNJsQ3OsY%3D"));
    }

    fn settings(secret: Option<&str>) -> WebhookSettings {
        WebhookSettings {
            endpoint: Url::parse("https://oapi.dingtalk.com/robot/send").unwrap(),
            extra_query: vec![("x".into(), "1".into())],
            token: Secret::new("tok123"),
            secret: secret.map(Secret::new),
            keywords: vec!["alert".into()],
            per_minute: 20,
            timeout: Duration::from_secs(30),
        }
    }

    #[test]
    fn the_signed_url_carries_token_extras_timestamp_and_sign_in_order() {
        let robot = WebhookRobot::new(settings(Some("SECabc")), std::sync::Arc::new(Line::new(20)));
        let url = robot.signed_url().unwrap();
        let keys: Vec<String> = url.query_pairs().map(|(k, _)| k.into_owned()).collect();
        assert_eq!(keys, ["access_token", "x", "timestamp", "sign"]);
        let plain = WebhookRobot::new(settings(None), std::sync::Arc::new(Line::new(20)));
        assert_eq!(plain.signed_url().unwrap().query(), Some("access_token=tok123&x=1"));
        assert!(!format!("{robot:?}").contains("tok123") && !format!("{robot:?}").contains("SECabc"));
    }

    #[test]
    fn errcodes_are_read_as_what_they_mean() {
        let s = settings(Some("SECabc"));
        let read = |errcode: i64, said: &str| refusal(errcode, said, &s, Some(7200), Box::default());
        let refused = |errcode: i64, said: &str| match read(errcode, said) {
            Error::WebhookRefused { refusal, .. } => Some(refusal),
            _ => None,
        };
        let signature = Some(WebhookRefusal::Signature { timestamp: false, signed: true, skew_seconds: Some(7200) });
        assert_eq!(refused(310000, "sign not match, more: [https://x]"), signature);
        assert!(matches!(
            refused(310000, "invalid timestamp, more: [https://x]"),
            Some(WebhookRefusal::Signature { timestamp: true, .. })
        ));
        assert!(matches!(
            read(310000, "keywords not in content, more: [https://x]"),
            Error::KeywordMissing { keywords, .. } if keywords == ["alert"]
        ));
        assert_eq!(
            refused(310000, "ip 1.2.3.4 not in whitelist, more: [https://x]"),
            Some(WebhookRefusal::IpNotAllowed { ip: Some("1.2.3.4".into()) })
        );
        assert_eq!(refused(410100, "send too fast, exceed 20 times per minute"), Some(WebhookRefusal::TooFast));
        for token_gone in [300001, 300005, 400101] {
            assert_eq!(refused(token_gone, "token is not exist"), Some(WebhookRefusal::TokenUnknown));
        }
        assert_eq!(refused(400102, "机器人已停用"), Some(WebhookRefusal::RobotUnusable));
        assert!(matches!(read(-1, "系统繁忙"), Error::DingTalk(_)));
    }

    #[test]
    fn a_date_header_tells_the_skew() {
        let an_hour_ago = httpdate::fmt_http_date(SystemTime::now() - Duration::from_secs(3600));
        let skew = skew_seconds(&an_hour_ago).unwrap();
        assert!((3599..=3601).contains(&skew), "{skew}");
        assert_eq!(skew_seconds("not a date"), None);
    }
}
