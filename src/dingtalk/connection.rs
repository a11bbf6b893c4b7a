//! [`Connection`]: one app's HTTP pool, token cache and rate limiters, shared by every flow
//! and thread that uses the same (API base URL, AppKey, AppSecret).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use bytes::Bytes;
use reqwest::{RequestBuilder, StatusCode};
use rpa_plugin_abi::{LogLevel, error::Upstream};
use serde::de::DeserializeOwned;
use tokio::time::Instant;

use super::limiter::Limiter;
use super::wire::{BatchSendRequest, BatchSendResponse, NewApiError, OldApiResponse, TokenRequest, TokenResponse};
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::secret::Secret;

/// The header that carries the access token on the new API generation.
const TOKEN_HEADER: &str = "x-acs-dingtalk-access-token";
/// The header that carries DingTalk's request id.
const REQUEST_ID_HEADER: &str = "x-acs-request-id";
/// How often a throttled call is tried again, about a second apart (DingTalk's advice).
const THROTTLE_RETRIES: u32 = 3;
/// How often a call that never reached the server (connection refused) is tried again.
const NOT_SENT_RETRIES: u32 = 2;

/// The DingTalk APIs we call; each has its own rate limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// `POST /v1.0/oauth2/accessToken`.
    Token,
    /// `POST /v1.0/robot/oToMessages/batchSend`.
    BatchSend,
    /// `POST /media/upload` (old generation).
    MediaUpload,
}

impl Api {
    fn path(self) -> &'static str {
        match self {
            Api::Token => "/v1.0/oauth2/accessToken",
            Api::BatchSend => "/v1.0/robot/oToMessages/batchSend",
            Api::MediaUpload => "/media/upload",
        }
    }

    /// Calls whose repetition cannot do harm (a token, a media id); a send is not one.
    fn repeatable(self) -> bool {
        self != Api::BatchSend
    }

    fn old_generation(self) -> bool {
        self == Api::MediaUpload
    }
}

/// A file to upload for the file template.
pub struct Upload {
    /// The file's own name (kept as is, Chinese included).
    pub file_name: String,
    /// Its bytes (already checked against DingTalk's size limit).
    pub bytes: Bytes,
}

struct CachedToken {
    value: Secret,
    expires_at: Instant,
    refresh_at: Instant,
}

/// One rate limiter per API, for one app.
struct Limits {
    token: Limiter,
    batch_send: Limiter,
    upload: Limiter,
}

impl Limits {
    fn new(qps: u32) -> Self {
        Limits { token: Limiter::new(qps), batch_send: Limiter::new(qps), upload: Limiter::new(qps) }
    }

    fn get(&self, api: Api) -> &Limiter {
        match api {
            Api::Token => &self.token,
            Api::BatchSend => &self.batch_send,
            Api::MediaUpload => &self.upload,
        }
    }
}

/// What one HTTP attempt came to.
enum Attempt {
    /// A 2xx answer (or, on the old generation, HTTP 200 with errcode 0 still to check).
    Answered { status: StatusCode, body: Bytes, request_id: Option<String> },
    /// The connection could not be made: the request never left.
    NotSent(String),
    /// The request left, and no answer came in time.
    TimedOut,
    /// The request left, and the answer broke off.
    Broken(String),
}

/// How DingTalk refused a call.
enum Refusal {
    TokenInvalid,
    Throttled,
    PermissionDenied(Vec<String>),
    IpNotAllowed,
    RobotCode,
    Server,
    Other,
}

/// One app's connection to DingTalk.
pub struct Connection {
    http: reqwest::Client,
    api_base: String,
    app_key: String,
    app_secret: Secret,
    token: Mutex<Option<CachedToken>>,
    refresh: tokio::sync::Mutex<()>,
    limits: RwLock<Arc<Limits>>,
    token_requests: AtomicU64,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("api_base", &self.api_base)
            .field("app_key", &self.app_key)
            .field("app_secret", &self.app_secret)
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// A connection for one app; no network traffic yet.
    pub fn new(api_base: &str, app_key: &str, app_secret: Secret, qps_limit: u32) -> Result<Self> {
        install_crypto_provider();
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .pool_idle_timeout(Duration::from_secs(50))
            .tcp_nodelay(true)
            .user_agent(concat!("dingtalk-robot-rpa/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Internal(format!("cannot build the HTTP client: {}", e.without_url())))?;
        Ok(Connection {
            http,
            api_base: api_base.trim_end_matches('/').to_string(),
            app_key: app_key.to_string(),
            app_secret,
            token: Mutex::new(None),
            refresh: tokio::sync::Mutex::new(()),
            limits: RwLock::new(Arc::new(Limits::new(qps_limit))),
            token_requests: AtomicU64::new(0),
        })
    }

    /// The AppKey this connection authenticates as.
    pub fn app_key(&self) -> &str {
        &self.app_key
    }

    /// How many token requests this connection has made (for logs and tests).
    pub fn token_requests(&self) -> u64 {
        self.token_requests.load(Ordering::Relaxed)
    }

    /// Sets the calls per second per API this app allows itself (0 = no limit). The latest
    /// connect's setting wins, since DingTalk counts per app.
    pub fn set_qps_limit(&self, qps: u32) {
        let mut limits = self.limits.write().unwrap_or_else(|p| p.into_inner());
        if limits.token.limit() != qps {
            *limits = Arc::new(Limits::new(qps));
        }
    }

    fn limits(&self) -> Arc<Limits> {
        self.limits.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn cached_token(&self) -> Option<Secret> {
        let cached = self.token.lock().unwrap_or_else(|p| p.into_inner());
        cached.as_ref().filter(|t| Instant::now() < t.refresh_at).map(|t| t.value.clone())
    }

    /// A valid access token: the cached one, or a new one fetched once however many
    /// threads ask at the same time.
    pub async fn token(&self, ctx: &Ctx, timeout: Duration) -> Result<Secret> {
        if let Some(t) = self.cached_token() {
            return Ok(t);
        }
        let _single_flight = self.refresh.lock().await;
        if let Some(t) = self.cached_token() {
            return Ok(t);
        }
        self.token_requests.fetch_add(1, Ordering::Relaxed);
        let body = serde_json::to_vec(&TokenRequest { app_key: &self.app_key, app_secret: self.app_secret.expose() })
            .map_err(|e| Error::Internal(e.to_string()))?;
        let url = format!("{}{}", self.api_base, Api::Token.path());
        let (bytes, _) = self
            .call(ctx, Api::Token, &self.api_base, timeout, |_| {
                self.http.post(&url).header(reqwest::header::CONTENT_TYPE, "application/json").body(body.clone())
            })
            .await?;
        let answer: TokenResponse = self.parse(&bytes, Api::Token)?;
        let now = Instant::now();
        let ttl = Duration::from_secs(answer.expire_in);
        let expires_at = now + ttl;
        let mut cached = self.token.lock().unwrap_or_else(|p| p.into_inner());
        // Refresh ahead of expiry (a tenth of the lifetime, at most five minutes), unless
        // DingTalk just handed back the same token without renewing it.
        let same_unrenewed = cached.as_ref().is_some_and(|c| {
            c.value.expose() == answer.access_token && expires_at <= c.expires_at + Duration::from_secs(1)
        });
        let margin = if same_unrenewed { Duration::ZERO } else { (ttl / 10).min(Duration::from_secs(300)) };
        let value = Secret::new(answer.access_token);
        *cached = Some(CachedToken { value: value.clone(), expires_at, refresh_at: expires_at - margin });
        ctx.log(LogLevel::Info, format!("access token obtained, valid for {} s", answer.expire_in));
        Ok(value)
    }

    /// Forgets `bad` (DingTalk said it is invalid) unless another thread already replaced it.
    fn invalidate(&self, bad: &Secret) {
        let mut cached = self.token.lock().unwrap_or_else(|p| p.into_inner());
        if cached.as_ref().is_some_and(|c| &c.value == bad) {
            *cached = None;
        }
    }

    /// Sends one batch of one-to-one robot messages. Never sends twice: see [`Api::repeatable`].
    pub async fn batch_send(&self, ctx: &Ctx, req: &BatchSendRequest, timeout: Duration) -> Result<BatchSendResponse> {
        let body = serde_json::to_vec(req).map_err(|e| Error::Internal(e.to_string()))?;
        let url = format!("{}{}", self.api_base, Api::BatchSend.path());
        let (bytes, _) = self
            .call(ctx, Api::BatchSend, &self.api_base, timeout, |token| {
                self.http
                    .post(&url)
                    .header(TOKEN_HEADER, token.expose())
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.clone())
            })
            .await?;
        self.parse(&bytes, Api::BatchSend)
    }

    /// Uploads a file to the old API's media store and returns its `media_id`.
    pub async fn upload_media(&self, ctx: &Ctx, oapi_base: &str, file: &Upload, timeout: Duration) -> Result<String> {
        let url = format!("{}{}", oapi_base.trim_end_matches('/'), Api::MediaUpload.path());
        let (bytes, request_id) = self
            .call(ctx, Api::MediaUpload, oapi_base, timeout, |token| {
                let part = reqwest::multipart::Part::stream_with_length(file.bytes.clone(), file.bytes.len() as u64)
                    .file_name(file.file_name.clone())
                    .mime_str("application/octet-stream");
                let form = reqwest::multipart::Form::new().percent_encode_noop().text("type", "file");
                let form = match part {
                    Ok(part) => form.part("media", part),
                    Err(_) => form,
                };
                self.http.post(&url).query(&[("access_token", token.expose()), ("type", "file")]).multipart(form)
            })
            .await?;
        let answer: OldApiResponse = self.parse(&bytes, Api::MediaUpload)?;
        answer.media_id.filter(|m| !m.is_empty()).ok_or_else(|| Error::BadResponse {
            url: oapi_base.to_string(),
            reason: "the upload answer has no media_id".into(),
            upstream: Box::new(Upstream { request_id, ..Upstream::default() }),
        })
    }

    fn parse<T: DeserializeOwned>(&self, bytes: &[u8], api: Api) -> Result<T> {
        serde_json::from_slice(bytes).map_err(|e| {
            let reason = format!("the answer is not the JSON expected ({e})");
            if api.repeatable() {
                Error::BadResponse { url: self.api_base.clone(), reason, upstream: Box::default() }
            } else {
                Error::SendOutcomeUnknown { reason, upstream: Box::default() }
            }
        })
    }

    /// Makes one call with DingTalk's retry rules: refresh an invalid token once; wait out
    /// throttling; repeat a call that never left; repeat a harmless call after a server
    /// error; never repeat a send that may have been processed.
    async fn call<F>(
        &self,
        ctx: &Ctx,
        api: Api,
        base: &str,
        timeout: Duration,
        build: F,
    ) -> Result<(Bytes, Option<String>)>
    where
        F: Fn(&Secret) -> RequestBuilder,
    {
        // Boxed: fetching a token is itself a call.
        let mut token = if api == Api::Token { Secret::new("") } else { Box::pin(self.token(ctx, timeout)).await? };
        let (mut refreshed, mut throttled, mut not_sent, mut server) = (false, 0, 0, 0);
        loop {
            ctx.check_cancelled()?;
            let attempt = self.attempt(ctx, api, build(&token), timeout).await;
            let (status, body, request_id) = match attempt {
                Attempt::Answered { status, body, request_id } => (status, body, request_id),
                Attempt::NotSent(reason) => {
                    if not_sent < NOT_SENT_RETRIES {
                        not_sent += 1;
                        tokio::time::sleep(Duration::from_millis(200 * u64::from(not_sent))).await;
                        continue;
                    }
                    return Err(Error::Network { url: base.to_string(), reason });
                }
                Attempt::TimedOut if api.repeatable() => {
                    return Err(Error::Timeout { url: base.to_string(), seconds: timeout.as_secs() });
                }
                Attempt::TimedOut => {
                    return Err(Error::SendOutcomeUnknown {
                        reason: format!("no answer within {} s", timeout.as_secs()),
                        upstream: Box::default(),
                    });
                }
                Attempt::Broken(reason) if api.repeatable() && server == 0 => {
                    server += 1;
                    ctx.log(LogLevel::Warn, format!("{}: {reason}; trying once more", api.path()));
                    continue;
                }
                Attempt::Broken(reason) if api.repeatable() => {
                    return Err(Error::BadResponse { url: base.to_string(), reason, upstream: Box::default() });
                }
                Attempt::Broken(reason) => {
                    return Err(Error::SendOutcomeUnknown { reason, upstream: Box::default() });
                }
            };
            let (refusal, upstream) = match classify(api, status, &body, request_id.clone()) {
                None => return Ok((body, request_id)),
                Some(r) => r,
            };
            match refusal {
                Refusal::TokenInvalid if api != Api::Token && !refreshed => {
                    refreshed = true;
                    ctx.log(LogLevel::Info, "DingTalk refused the access token; fetching a new one");
                    self.invalidate(&token);
                    token = Box::pin(self.token(ctx, timeout)).await?;
                }
                Refusal::Throttled if throttled < THROTTLE_RETRIES => {
                    throttled += 1;
                    ctx.log(LogLevel::Warn, format!("{} throttled by DingTalk; retrying in 1 s", api.path()));
                    tokio::time::sleep(Duration::from_millis(1000 + 50 * u64::from(throttled))).await;
                }
                Refusal::Throttled => return Err(Error::Throttled { retries: throttled, upstream }),
                Refusal::PermissionDenied(scopes) => return Err(Error::PermissionDenied { scopes, upstream }),
                Refusal::IpNotAllowed => return Err(Error::IpNotAllowed(upstream)),
                Refusal::RobotCode => return Err(Error::RobotCodeInvalid(upstream)),
                Refusal::Server if !api.repeatable() => {
                    let reason = format!("DingTalk answered HTTP {}", status.as_u16());
                    return Err(Error::SendOutcomeUnknown { reason, upstream });
                }
                Refusal::Server if server == 0 => {
                    server += 1;
                    tokio::time::sleep(Duration::from_millis(300)).await;
                }
                Refusal::Server => {
                    let reason = format!("HTTP {}", status.as_u16());
                    return Err(Error::BadResponse { url: base.to_string(), reason, upstream });
                }
                Refusal::TokenInvalid | Refusal::Other if api == Api::Token => return Err(Error::AuthFailed(upstream)),
                Refusal::TokenInvalid | Refusal::Other => return Err(Error::DingTalk(upstream)),
            }
        }
    }

    /// One HTTP exchange under the API's rate limiter, logged with its status, duration and
    /// request id (never its URL query, which may hold a token).
    async fn attempt(&self, ctx: &Ctx, api: Api, request: RequestBuilder, timeout: Duration) -> Attempt {
        let limits = self.limits();
        let permit = limits.get(api).acquire().await;
        let started = Instant::now();
        if !api.repeatable() {
            ctx.set_send_in_flight(true);
        }
        let outcome = match request.timeout(timeout).send().await {
            Ok(resp) => {
                let status = resp.status();
                let request_id =
                    resp.headers().get(REQUEST_ID_HEADER).and_then(|v| v.to_str().ok()).map(str::to_string);
                match resp.bytes().await {
                    Ok(body) => Attempt::Answered { status, body, request_id },
                    Err(e) if e.is_timeout() => Attempt::TimedOut,
                    Err(e) => Attempt::Broken(format!("the answer broke off: {}", describe(&e))),
                }
            }
            // A connection that was never made (refused, or its connect timeout ran out)
            // carried no request: safe to try again even for a send.
            Err(e) if e.is_connect() => Attempt::NotSent(describe(&e)),
            Err(e) if e.is_timeout() => Attempt::TimedOut,
            Err(e) => Attempt::Broken(format!("the connection failed after sending: {}", describe(&e))),
        };
        ctx.set_send_in_flight(false);
        drop(permit);
        let elapsed = started.elapsed().as_secs_f64() * 1000.0;
        let line = match &outcome {
            Attempt::Answered { status, request_id, .. } => format!(
                "{} -> HTTP {} in {elapsed:.1} ms (request id {})",
                api.path(),
                status.as_u16(),
                request_id.as_deref().unwrap_or("-")
            ),
            Attempt::NotSent(r) => format!("{} -> not sent: {r} ({elapsed:.1} ms)", api.path()),
            Attempt::TimedOut => format!("{} -> no answer within {} s", api.path(), timeout.as_secs()),
            Attempt::Broken(r) => format!("{} -> {r} ({elapsed:.1} ms)", api.path()),
        };
        ctx.log(LogLevel::Info, line);
        outcome
    }
}

/// Describes a transport error without its URL (whose query may hold a token).
fn describe(e: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut text = String::new();
    let mut source = e.source();
    while let Some(s) = source {
        text = s.to_string();
        source = s.source();
    }
    if text.is_empty() { "transport error".to_string() } else { text }
}

/// Reads DingTalk's answer: `None` when it is a success, else how it refused and what it said.
fn classify(
    api: Api,
    status: StatusCode,
    body: &[u8],
    header_request_id: Option<String>,
) -> Option<(Refusal, Box<Upstream>)> {
    if api.old_generation() && status.is_success() {
        let answer: OldApiResponse = serde_json::from_slice(body).ok()?;
        if answer.errcode == 0 {
            return None;
        }
        let upstream = Upstream {
            http_status: Some(status.as_u16()),
            code: Some(answer.errcode.to_string()),
            message: answer.errmsg.clone(),
            request_id: header_request_id,
        };
        let refusal = match answer.errcode {
            40001 | 40014 | 42001 => Refusal::TokenInvalid,
            90018 => Refusal::Throttled,
            60011 => Refusal::PermissionDenied(Vec::new()),
            60020 => Refusal::IpNotAllowed,
            _ => Refusal::Other,
        };
        return Some((refusal, Box::new(upstream)));
    }
    if status.is_success() {
        return None;
    }
    let err: NewApiError = serde_json::from_slice(body).unwrap_or_default();
    let code = err.code.clone().unwrap_or_default();
    let message = err.message.clone().or_else(|| {
        // An HTML page from a gateway: say which status, not the page.
        Some(status.canonical_reason().unwrap_or("error").to_string())
    });
    let upstream = Upstream {
        http_status: Some(status.as_u16()),
        code: err.code.clone(),
        message: message.clone(),
        request_id: err.requestid.clone().or(header_request_id),
    };
    let mentions_robot = code.to_ascii_lowercase().contains("robot")
        || message.as_deref().is_some_and(|m| m.to_ascii_lowercase().contains("robot") || m.contains("机器人"));
    let refusal = if code == "InvalidAuthentication" {
        Refusal::TokenInvalid
    } else if code.contains("QpsLimit") || code.contains("QpmLimit") {
        Refusal::Throttled
    } else if code.contains("PermissionDenied") {
        Refusal::PermissionDenied(err.accessdenieddetail.map(|d| d.required_scopes).unwrap_or_default())
    } else if code.contains("IpNotInWhiteList") {
        Refusal::IpNotAllowed
    } else if status.is_server_error() {
        Refusal::Server
    } else if api == Api::BatchSend && mentions_robot {
        Refusal::RobotCode
    } else {
        Refusal::Other
    };
    Some((refusal, Box::new(upstream)))
}

/// reqwest is built without a default TLS crypto provider (to avoid aws-lc's C build);
/// install ring's once. Another provider already installed is fine too.
fn install_crypto_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(api: Api, status: u16, body: &str) -> Option<Refusal> {
        classify(api, StatusCode::from_u16(status).unwrap(), body.as_bytes(), None).map(|r| r.0)
    }

    #[test]
    fn classifies_dingtalk_answers() {
        assert!(refusal(Api::BatchSend, 200, "{}").is_none());
        assert!(matches!(
            refusal(Api::BatchSend, 400, r#"{"code":"InvalidAuthentication"}"#),
            Some(Refusal::TokenInvalid)
        ));
        assert!(matches!(
            refusal(Api::BatchSend, 403, r#"{"code":"Forbidden.AccessDenied.QpsLimitForAppkeyAndApi"}"#),
            Some(Refusal::Throttled)
        ));
        assert!(matches!(
            refusal(
                Api::BatchSend,
                403,
                r#"{"code":"Forbidden.AccessDenied.AccessTokenPermissionDenied","accessdenieddetail":{"requiredScopes":["qyapi_robot_sendmsg"]}}"#
            ),
            Some(Refusal::PermissionDenied(s)) if s == ["qyapi_robot_sendmsg"]
        ));
        assert!(matches!(
            refusal(Api::Token, 403, r#"{"code":"Forbidden.AccessDenied.IpNotInWhiteList"}"#),
            Some(Refusal::IpNotAllowed)
        ));
        assert!(matches!(refusal(Api::BatchSend, 502, "<html>bad gateway</html>"), Some(Refusal::Server)));
        assert!(matches!(
            refusal(Api::BatchSend, 400, r#"{"code":"resource.not.found","message":"robot 不存在"}"#),
            Some(Refusal::RobotCode)
        ));
        assert!(matches!(refusal(Api::MediaUpload, 200, r#"{"errcode":90018}"#), Some(Refusal::Throttled)));
        assert!(matches!(refusal(Api::MediaUpload, 200, r#"{"errcode":42001}"#), Some(Refusal::TokenInvalid)));
        assert!(refusal(Api::MediaUpload, 200, r#"{"errcode":0,"media_id":"m"}"#).is_none());
    }

    #[test]
    fn debug_hides_the_secret() {
        let c = Connection::new("http://127.0.0.1:1", "key", Secret::new("topsecret"), 20).unwrap();
        assert!(!format!("{c:?}").contains("topsecret"));
    }
}
