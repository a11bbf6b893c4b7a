//! [`Connection`]: one app's HTTP clients, token cache and rate limiters, shared by every flow
//! and thread that uses the same (API base URL, AppKey, AppSecret).
//!
//! Every call to DingTalk ends within its timeout ([`CallOptions::timeout`]), retries and waits
//! included, plus the time to notice it (a few milliseconds): an attempt is only started while
//! more than its connect timeout is left, so a call that never connected always knows that it
//! sent nothing. Redirects are never followed (a 3xx is an error), and no `Referer` is sent.

mod card;
mod classify;
mod mobiles;
mod stream_open;
mod token;

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use reqwest::RequestBuilder;
use serde::de::DeserializeOwned;
use tokio::time::Instant;

pub use self::card::{CardSpace, NewCard};
use self::classify::{Answer, Refusal, classify};
use self::mobiles::MobileMemory;
pub use self::mobiles::UNKNOWN_MOBILE_TTL;
use self::token::CachedToken;
use crate::api::Api;
use crate::call::{Call, Level};
use crate::error::{Effect, Error, Result, Upstream};
use crate::fleet::{self, Fleet, rate::Slot};
use crate::limiter::{Limiter, WINDOW};
use crate::options::CallOptions;
use crate::redact;
use crate::secret::Secret;
use crate::transport::{self, Transport};
use crate::upload::{Upload, UploadBody};
use crate::wire::{
    BatchSendRequest, BatchSendResponse, ByMobileRequest, ByMobileResponse, GroupSendRequest, GroupSendResponse,
    OldApiResponse, ReadStatusResponse, RecallRequest, RecallResponse,
};
use crate::words;

/// The header that carries the access token on the new API generation.
const TOKEN_HEADER: &str = "x-acs-dingtalk-access-token";
/// The header that carries DingTalk's request id.
const REQUEST_ID_HEADER: &str = "x-acs-request-id";
/// getbymobile's errcodes for a number that names no user of the org: 60121 (no such user),
/// 40104 (not a valid mobile number of the org).
const UNKNOWN_MOBILE_ERRCODES: [&str; 2] = ["60121", "40104"];

/// One rate limiter per API, for one app (DingTalk counts each API on its own).
struct Limits {
    per_api: [Limiter; Api::ALL.len()],
}

impl Limits {
    fn new(qps: u32) -> Self {
        Limits { per_api: std::array::from_fn(|_| Limiter::new(qps)) }
    }

    fn get(&self, api: Api) -> &Limiter {
        &self.per_api[api.index()]
    }
}

/// What one HTTP attempt came to.
enum Attempt {
    /// The server answered.
    Answered(Answer),
    /// The connection could not be made: the request never left.
    NotSent(String),
    /// The call's time ran out before the request could leave (waiting for the rate limiter).
    OutOfTime,
    /// The request left, and no answer came in time.
    TimedOut,
    /// The request left, and the answer broke off.
    Broken(String),
}

/// One app's connection to DingTalk.
pub struct Connection {
    transport: Transport,
    api_base: String,
    app_key: String,
    /// The AppKey as logs show it ([`redact::app_key`]).
    shown_key: String,
    app_secret: Secret,
    token: Mutex<Option<CachedToken>>,
    refresh: tokio::sync::Mutex<()>,
    /// Token fetches finished so far, and the last one's error if it failed: see
    /// [`Connection::token`].
    fetches: Mutex<(u64, Option<Error>)>,
    limits: Limits,
    /// Mobile numbers DingTalk resolved, and those it said name no one.
    mobiles: Mutex<MobileMemory>,
    /// The new API's URLs on `api_base`, by [`Api::index`], each parsed on its first call.
    urls: [OnceLock<reqwest::Url>; Api::ALL.len()],
    /// The Redis server this app's processes share their budget and token through, if any.
    fleet: Mutex<Option<Arc<Fleet>>>,
    /// The fleet's keys for this app: its rate budget (API base and AppKey), its token
    /// (API base, AppKey and AppSecret, hashed) and its Redis Stream of received messages.
    fleet_keys: (String, String, String),
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("api_base", &self.api_base)
            .field("app_key", &self.shown_key)
            .field("app_secret", &self.app_secret)
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// A connection for one app, whose new API is at `api_base`, allowing itself `qps_limit`
    /// calls per second per API (0 = no limit); no network traffic yet.
    pub fn new(api_base: &str, app_key: &str, app_secret: Secret, qps_limit: u32) -> Result<Self> {
        let base = api_base.trim_end_matches('/');
        let fleet_keys = (
            fleet::key("rate", &[base, app_key]),
            fleet::key("token", &[base, app_key, app_secret.expose()]),
            fleet::key("stream", &[base, app_key]),
        );
        Ok(Connection {
            transport: Transport::new(),
            api_base: api_base.trim_end_matches('/').to_string(),
            app_key: app_key.to_string(),
            shown_key: redact::app_key(app_key),
            app_secret,
            token: Mutex::new(None),
            refresh: tokio::sync::Mutex::new(()),
            fetches: Mutex::new((0, None)),
            limits: Limits::new(qps_limit),
            mobiles: Mutex::default(),
            urls: Default::default(),
            fleet: Mutex::new(None),
            fleet_keys,
        })
    }

    /// The base URL of the new API generation, without a trailing slash.
    pub(crate) fn api_base(&self) -> &str {
        &self.api_base
    }

    /// The AppKey (not a secret: logs show [`Connection::shown_key`] all the same).
    pub(crate) fn app_key(&self) -> &str {
        &self.app_key
    }

    /// The AppKey as logs show it: its first characters and its length.
    pub fn shown_key(&self) -> &str {
        &self.shown_key
    }

    /// The URL of `api` on the new API's base, parsed once per connection (a request made
    /// from a parsed URL is not parsed again).
    fn api_url(&self, api: Api) -> Result<reqwest::Url> {
        let slot = &self.urls[api.index()];
        if let Some(url) = slot.get() {
            return Ok(url.clone());
        }
        let url = reqwest::Url::parse(&format!("{}{}", self.api_base, api.path()))
            .map_err(|e| Error::Internal(format!("cannot make the URL of {}: {e}", api.path())))?;
        Ok(slot.get_or_init(|| url).clone())
    }

    /// Lowers the calls per second per API this app allows itself to `qps` when that is
    /// lower (0 = no limit, so it never lowers anything). DingTalk counts per app, so every
    /// connect of one app shares one limiter per API, at the lowest limit any of them asked
    /// for; the limiters keep their windows.
    pub fn set_qps_limit(&self, qps: u32) {
        for limiter in &self.limits.per_api {
            limiter.lower_to(qps);
        }
    }

    /// Shares this app's rate budget and token with the other processes that use `fleet`
    /// (`None`: this process alone, as without Redis). The last connect that names one decides.
    pub fn set_fleet(&self, fleet: Option<Arc<Fleet>>) {
        *self.fleet.lock().unwrap_or_else(|p| p.into_inner()) = fleet;
    }

    /// The fleet this app shares its budget and token through, if any.
    pub fn fleet(&self) -> Option<Arc<Fleet>> {
        self.fleet.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The key of the app's Redis Stream of received messages (see [`crate::fleet`]).
    pub(crate) fn fleet_stream(&self) -> &str {
        &self.fleet_keys.2
    }

    fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Sends one batch of one-to-one robot messages. Never sends twice: see [`Api::repeatable`].
    pub async fn batch_send(
        &self,
        call: &Call,
        options: &CallOptions,
        req: &BatchSendRequest,
    ) -> Result<BatchSendResponse> {
        self.post_json(call, options, Api::BatchSend, req).await
    }

    /// Sends one robot message to a group. Never sent twice, like a one-to-one send.
    pub async fn group_send(
        &self,
        call: &Call,
        options: &CallOptions,
        req: &GroupSendRequest,
    ) -> Result<GroupSendResponse> {
        self.post_json(call, options, Api::GroupSend, req).await
    }

    /// Recalls messages: one-to-one (`batchRecall`), or in the group `req` names
    /// (`groupMessages/recall`). Treated like a send: never repeated once it may have been
    /// processed.
    pub async fn recall(&self, call: &Call, options: &CallOptions, req: &RecallRequest) -> Result<RecallResponse> {
        let api = if req.open_conversation_id.is_some() { Api::GroupRecall } else { Api::BatchRecall };
        self.post_json(call, options, api, req).await
    }

    /// Who read a one-to-one message (`processQueryKey` from its send), and whether it was
    /// recalled. The key goes into the query URL-encoded (it holds `+`, `/` and `=`). A read:
    /// repeated when that is safe.
    pub async fn read_status(
        &self,
        call: &Call,
        options: &CallOptions,
        process_query_key: &str,
    ) -> Result<ReadStatusResponse> {
        let url = format!("{}{}", self.api_base, Api::ReadStatus.path());
        let (bytes, _) = self
            .call(call, options, Api::ReadStatus, &self.api_base, |http, token| {
                http.get(&url)
                    .query(&[("robotCode", options.robot_code.as_str()), ("processQueryKey", process_query_key)])
                    .header(TOKEN_HEADER, token.expose())
            })
            .await?;
        self.parse(&bytes, Api::ReadStatus)
    }

    /// POSTs `body` as JSON to a new-generation API, with the token in its header.
    async fn post_json<B: serde::Serialize, T: DeserializeOwned>(
        &self,
        call: &Call,
        options: &CallOptions,
        api: Api,
        body: &B,
    ) -> Result<T> {
        // Shared, not copied, by each attempt.
        let body = Bytes::from(serde_json::to_vec(body).map_err(|e| Error::Internal(e.to_string()))?);
        let url = self.api_url(api)?;
        let (bytes, _) = self
            .call(call, options, api, &self.api_base, |http, token| {
                http.post(url.clone())
                    .header(TOKEN_HEADER, token.expose())
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.clone())
            })
            .await?;
        self.parse(&bytes, api)
    }

    /// Uploads a file to the old API's media store, as its type, and returns its `media_id`.
    pub async fn upload_media(&self, call: &Call, options: &CallOptions, file: &Upload) -> Result<String> {
        let oapi_base = options.oapi_base.trim_end_matches('/');
        let url = format!("{oapi_base}{}", Api::MediaUpload.path());
        let media_type = file.media_type.as_str();
        let form = transport::media_form(&file.file_name, &file.bytes, media_type);
        let (bytes, request_id) = self
            .call(call, options, Api::MediaUpload, oapi_base, |http, token| {
                http.post(&url)
                    .query(&[("access_token", token.expose()), ("type", media_type)])
                    .header(reqwest::header::CONTENT_TYPE, form.content_type.as_str())
                    .body(UploadBody::body(form.body.clone(), call, &file.file_name))
            })
            .await?;
        let answer: OldApiResponse = self.parse(&bytes, Api::MediaUpload)?;
        answer.media_id.filter(|m| !m.is_empty()).ok_or_else(|| Error::BadResponse {
            url: oapi_base.to_string(),
            reason: "the upload answer has no media_id".into(),
            upstream: Box::new(Upstream { request_id, ..Upstream::default() }),
        })
    }

    /// The user ID of the employee with this mobile number, or `None` when the org has no
    /// such employee (DingTalk's errcodes 60121 and 40104). A number that resolved is
    /// remembered for the life of the connection, one that named no one for
    /// [`UNKNOWN_MOBILE_TTL`], so that each is looked up once.
    pub async fn user_id_by_mobile(&self, call: &Call, options: &CallOptions, mobile: &str) -> Result<Option<String>> {
        if let Some(known) = self.mobiles.lock().unwrap_or_else(|p| p.into_inner()).get(mobile, Instant::now()) {
            return Ok(known);
        }
        let oapi_base = options.oapi_base.trim_end_matches('/');
        let url = format!("{oapi_base}{}", Api::GetByMobile.path());
        let body = serde_json::to_vec(&ByMobileRequest { mobile }).map_err(|e| Error::Internal(e.to_string()))?;
        let answer = self
            .call(call, options, Api::GetByMobile, oapi_base, |http, token| {
                http.post(&url)
                    .query(&[("access_token", token.expose())])
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.clone())
            })
            .await;
        let (bytes, request_id) = match answer {
            Ok(answer) => answer,
            Err(Error::DingTalk(u)) if u.code.as_deref().is_some_and(|c| UNKNOWN_MOBILE_ERRCODES.contains(&c)) => {
                self.mobiles.lock().unwrap_or_else(|p| p.into_inner()).remember(mobile, None, Instant::now());
                return Ok(None);
            }
            Err(e) => return Err(e),
        };
        let answer: ByMobileResponse = self.parse(&bytes, Api::GetByMobile)?;
        let user_id = answer.result.and_then(|r| r.userid).filter(|u| !u.trim().is_empty()).ok_or_else(|| {
            Error::BadResponse {
                url: oapi_base.to_string(),
                reason: "the getbymobile answer has no result.userid".into(),
                upstream: Box::new(Upstream { request_id, ..Upstream::default() }),
            }
        })?;
        self.mobiles.lock().unwrap_or_else(|p| p.into_inner()).remember(mobile, Some(&user_id), Instant::now());
        Ok(Some(user_id))
    }

    fn unreadable(&self, api: Api, reason: String) -> Error {
        match api.effect() {
            None => Error::BadResponse { url: self.api_base.clone(), reason, upstream: Box::default() },
            Some(effect) => Error::SendOutcomeUnknown { effect, reason, upstream: Box::default() },
        }
    }

    fn parse<T: DeserializeOwned>(&self, bytes: &[u8], api: Api) -> Result<T> {
        serde_json::from_slice(bytes)
            .map_err(|e| self.unreadable(api, format!("the answer is not the JSON expected ({e})")))
    }

    /// A call that never reached `base`: the proxy is named when one was in the way.
    fn not_reached(&self, base: &str, reason: String) -> Error {
        Error::Network { url: base.to_string(), via_proxy: self.transport.proxy_shown_for(base), reason }
    }

    /// Makes one call with DingTalk's retry rules, within `timeout` from now, retries and
    /// waits included: refresh an invalid token once; wait out throttling; repeat a call
    /// that never left; repeat a harmless call after a server error; never repeat a send that
    /// may have been processed; never follow a redirect.
    async fn call<F>(
        &self,
        call: &Call,
        options: &CallOptions,
        api: Api,
        base: &str,
        build: F,
    ) -> Result<(Bytes, Option<String>)>
    where
        F: Fn(&reqwest::Client, &Secret) -> RequestBuilder,
    {
        // Boxed: fetching a token is itself a call.
        let timeout = options.timeout;
        // A throttled call waits a second for each try; one that never left, a fraction of it.
        let (throttle_retries, not_sent_retries) = (options.retries, options.retries.saturating_sub(1));
        let mut token =
            if api.takes_credentials() { Secret::new("") } else { Box::pin(self.token(call, options)).await? };
        let connect_timeout = transport::connect_timeout(timeout);
        let http = self.transport.client(connect_timeout)?;
        let deadline = Instant::now() + timeout;
        // Another attempt only while it can still connect before the deadline.
        let room_for = |wait: Duration| Instant::now() + wait + connect_timeout < deadline;
        let out_of_time = || Error::Timeout { url: base.to_string(), seconds: timeout.as_secs(), nothing_sent: true };
        let (mut refreshed, mut throttled, mut not_sent, mut server) = (false, 0, 0, 0);
        loop {
            call.check_cancelled()?;
            let answer = match self.attempt(call, api, build(&http, &token), deadline, timeout).await {
                Attempt::Answered(answer) => answer,
                Attempt::OutOfTime => return Err(out_of_time()),
                Attempt::NotSent(reason) => {
                    let backoff = Duration::from_millis(200 * u64::from(not_sent + 1));
                    if not_sent < not_sent_retries && room_for(backoff) {
                        not_sent += 1;
                        tokio::time::sleep(backoff).await;
                        continue;
                    }
                    return Err(self.not_reached(base, reason));
                }
                Attempt::TimedOut if api.repeatable() => {
                    return Err(Error::Timeout {
                        url: base.to_string(),
                        seconds: timeout.as_secs(),
                        nothing_sent: false,
                    });
                }
                Attempt::TimedOut => {
                    return Err(Error::SendOutcomeUnknown {
                        effect: api.effect().unwrap_or(Effect::Message),
                        reason: format!("no answer within {} s", timeout.as_secs()),
                        upstream: Box::default(),
                    });
                }
                Attempt::Broken(reason) if api.repeatable() && server == 0 && room_for(Duration::ZERO) => {
                    server += 1;
                    call.log(
                        Level::Warn,
                        words!(
                            en: format!("{}: {reason}; trying once more", api.path()),
                            zh: format!("{}：{reason}；再试一次", api.path())
                        ),
                    );
                    continue;
                }
                Attempt::Broken(reason) if api.repeatable() => {
                    return Err(Error::BadResponse { url: base.to_string(), reason, upstream: Box::default() });
                }
                Attempt::Broken(reason) => {
                    let effect = api.effect().unwrap_or(Effect::Message);
                    return Err(Error::SendOutcomeUnknown { effect, reason, upstream: Box::default() });
                }
            };
            let status = answer.status;
            let (refusal, mut upstream) = match classify(api, &answer) {
                None => return Ok((answer.body, answer.request_id)),
                Some(r) => r,
            };
            // Whatever answered must not make us print a secret it echoes back.
            if let Some(m) = upstream.message.as_mut() {
                *m = self.scrub(m, &token);
            }
            match refusal {
                // connections/open refuses the AppKey/AppSecret themselves, whatever words it uses.
                Refusal::TokenInvalid | Refusal::Credentials if api == Api::StreamOpen => {
                    return Err(Error::AuthFailed(upstream));
                }
                Refusal::TokenInvalid if !api.takes_credentials() && !refreshed => {
                    refreshed = true;
                    call.log(
                        Level::Info,
                        words!(
                            en: "DingTalk refused the access token; fetching a new one",
                            zh: "钉钉不接受当前的访问令牌，正在重新获取"
                        ),
                    );
                    self.invalidate(&token);
                    if let Some(fleet) = self.fleet() {
                        fleet.forget_token(call, &self.fleet_keys.1, &token, deadline).await;
                    }
                    token = Box::pin(self.token(call, options)).await?;
                    if !room_for(Duration::ZERO) {
                        return Err(out_of_time());
                    }
                }
                Refusal::Throttled if throttled < throttle_retries => {
                    let wait = Duration::from_millis(1000 + 50 * u64::from(throttled + 1));
                    if !room_for(wait) {
                        return Err(Error::Throttled { retries: throttled, upstream });
                    }
                    throttled += 1;
                    call.log(
                        Level::Warn,
                        words!(
                            en: format!("{} throttled by DingTalk; retrying in 1 s", api.path()),
                            zh: format!("{} 被钉钉限流，1 秒后重试", api.path())
                        ),
                    );
                    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
                    call.progress(
                        0,
                        0,
                        words!(
                            en: format!("DingTalk is throttling the app; going on in {seconds} s"),
                            zh: format!("钉钉限流，{seconds} 秒后继续")
                        ),
                    );
                    tokio::time::sleep(wait).await;
                }
                Refusal::Throttled => return Err(Error::Throttled { retries: throttled, upstream }),
                Refusal::PermissionDenied(scopes) => return Err(Error::PermissionDenied { scopes, upstream }),
                Refusal::IpNotAllowed => return Err(Error::IpNotAllowed(upstream)),
                Refusal::RobotCode => return Err(Error::RobotCodeInvalid(upstream)),
                Refusal::Rejected(kind, field) => return Err(Error::Rejected { kind, field, upstream }),
                Refusal::Redirect(to) => return Err(Error::Redirected { url: base.to_string(), to, upstream }),
                Refusal::WrongEndpoint => {
                    return Err(Error::WrongEndpoint {
                        url: base.to_string(),
                        via_proxy: self.transport.proxy_shown_for(base),
                        upstream,
                    });
                }
                Refusal::Server if !api.repeatable() => {
                    let reason = format!("DingTalk answered HTTP {}", status.as_u16());
                    let effect = api.effect().unwrap_or(Effect::Message);
                    return Err(Error::SendOutcomeUnknown { effect, reason, upstream });
                }
                Refusal::Server if server == 0 && room_for(Duration::from_millis(300)) => {
                    server += 1;
                    tokio::time::sleep(Duration::from_millis(300)).await;
                }
                Refusal::Server => {
                    let reason = format!("HTTP {}", status.as_u16());
                    return Err(Error::BadResponse { url: base.to_string(), reason, upstream });
                }
                Refusal::Credentials if api.takes_credentials() => return Err(Error::AuthFailed(upstream)),
                Refusal::TokenInvalid | Refusal::Credentials | Refusal::Other => {
                    return Err(Error::DingTalk(upstream));
                }
            }
        }
    }

    /// `text` with the AppSecret and the token in use replaced by `******`.
    fn scrub(&self, text: &str, token: &Secret) -> String {
        let mut text = text.to_string();
        for secret in [&self.app_secret, token] {
            if !secret.expose().is_empty() {
                text = text.replace(secret.expose(), "******");
            }
        }
        text
    }

    /// One HTTP exchange under the API's rate limiter, ending by `deadline`, logged with its
    /// status, duration and request id (never its URL query, which may hold a token).
    async fn attempt(
        &self,
        call: &Call,
        api: Api,
        request: RequestBuilder,
        deadline: Instant,
        timeout: Duration,
    ) -> Attempt {
        let limits = self.limits();
        let limiter = limits.get(api);
        let Ok(permit) = tokio::time::timeout_at(deadline, limiter.acquire()).await else {
            return Attempt::OutOfTime;
        };
        // The fleet's slot too, when this app shares its budget (Redis down: the local one only).
        let fleet_permit = match self.fleet() {
            Some(fleet) if limiter.limit() > 0 => {
                let set = format!("{}:{}", self.fleet_keys.0, api.path());
                let hold = deadline.saturating_duration_since(Instant::now()) + WINDOW;
                match fleet.acquire(call, &set, limiter.limit(), WINDOW, hold, deadline).await {
                    Slot::Granted(p) => Some(p),
                    Slot::Local => None,
                    Slot::OutOfTime => return Attempt::OutOfTime,
                }
            }
            _ => None,
        };
        let started = Instant::now();
        if let Some(effect) = api.effect() {
            call.set_in_flight(Some(effect));
        }
        let remaining = deadline.saturating_duration_since(started);
        let outcome = match transport::send(request.timeout(remaining)).await {
            Ok(resp) => {
                let status = resp.status();
                let header = |name| resp.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
                let request_id = header(REQUEST_ID_HEADER);
                let location = if status.is_redirection() { header("location") } else { None };
                match resp.bytes().await {
                    Ok(body) => Attempt::Answered(Answer { status, body, request_id, location }),
                    Err(e) if e.is_timeout() => Attempt::TimedOut,
                    Err(e) => Attempt::Broken(format!("the answer broke off: {}", transport::describe(&e))),
                }
            }
            // A connection that was never made (refused, or its connect timeout ran out)
            // carried no request: safe to try again even for a send.
            Err(e) if e.is_connect() && e.is_timeout() => {
                let seconds = transport::connect_timeout(timeout).as_secs_f64();
                Attempt::NotSent(format!("no connection within {seconds:.1} s"))
            }
            Err(e) if e.is_connect() => Attempt::NotSent(transport::describe(&e)),
            Err(e) if e.is_timeout() => Attempt::TimedOut,
            Err(e) => Attempt::Broken(format!("the connection failed after sending: {}", transport::describe(&e))),
        };
        call.set_in_flight(None);
        drop(fleet_permit);
        drop(permit);
        let elapsed = started.elapsed().as_secs_f64() * 1000.0;
        let path = api.path();
        let line = match &outcome {
            Attempt::Answered(a) => {
                let (status, id) = (a.status.as_u16(), a.request_id.as_deref().unwrap_or("-"));
                words!(
                    en: format!("{path} -> HTTP {status} in {elapsed:.1} ms (request id {id})"),
                    zh: format!("{path} -> HTTP {status}，用时 {elapsed:.1} 毫秒（请求 ID {id}）")
                )
            }
            Attempt::NotSent(r) => words!(
                en: format!("{path} -> not sent: {r} ({elapsed:.1} ms)"),
                zh: format!("{path} -> 未发出：{r}（{elapsed:.1} 毫秒）")
            ),
            Attempt::OutOfTime => words!(
                en: format!("{path} -> not sent: out of time"),
                zh: format!("{path} -> 未发出：时间已用完")
            ),
            Attempt::TimedOut => {
                let seconds = timeout.as_secs();
                words!(
                    en: format!("{path} -> no answer within {seconds} s"),
                    zh: format!("{path} -> {seconds} 秒内没有应答")
                )
            }
            Attempt::Broken(r) => words!(
                en: format!("{path} -> {r} ({elapsed:.1} ms)"),
                zh: format!("{path} -> {r}（{elapsed:.1} 毫秒）")
            ),
        };
        call.log(Level::Info, line);
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_secret() {
        let c = Connection::new("http://127.0.0.1:1", "key", Secret::new("topsecret"), 20).unwrap();
        assert!(!c.scrub("echo topsecret back", &Secret::new("tok")).contains("topsecret"));
        assert!(!format!("{c:?}").contains("topsecret"));
    }

    /// A loopback server that answers every request as DingTalk does when it throttles the
    /// app, and counts the requests.
    async fn throttling_server() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let requests = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let seen = requests.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                loop {
                    let n = socket.read(&mut buf).await.unwrap_or(0);
                    if n == 0 {
                        break;
                    }
                    request.extend_from_slice(&buf[..n]);
                    let Some(end) = request.windows(4).position(|w| w == b"\r\n\r\n") else { continue };
                    let head = String::from_utf8_lossy(&request[..end]).to_ascii_lowercase();
                    let length = head.lines().find_map(|l| l.strip_prefix("content-length:")?.trim().parse().ok());
                    if request.len() >= end + 4 + length.unwrap_or(0) {
                        break;
                    }
                }
                seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let body = r#"{"code":"Forbidden.AccessDenied.QpsLimitForAppkeyAndApi","message":"qps"}"#;
                let answer = format!(
                    "HTTP/1.1 403 Forbidden\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(answer.as_bytes()).await;
                let _ = socket.shutdown().await;
            }
        });
        (base, requests)
    }

    /// Options for a call to `api_base` with `retries`, and a timeout no retry here comes near.
    fn options(api_base: &str, retries: u32) -> CallOptions {
        CallOptions {
            api_base: api_base.to_string(),
            retries,
            timeout: Duration::from_secs(20),
            ..CallOptions::default()
        }
    }

    #[tokio::test]
    async fn retries_is_how_often_a_throttled_call_is_tried_again() {
        for retries in [0, 1] {
            let (api_base, requests) = throttling_server().await;
            let c = Connection::new(&api_base, "key", Secret::new("s"), 0).unwrap();
            let got = c.authenticate(&Call::new(), &options(&api_base, retries)).await;
            assert!(matches!(got, Err(Error::Throttled { retries: r, .. }) if r == retries), "{got:?}");
            assert_eq!(requests.load(std::sync::atomic::Ordering::SeqCst), retries as usize + 1);
        }
    }

    #[tokio::test]
    async fn a_call_that_never_left_is_tried_again_one_time_fewer() {
        // A port nothing listens on any more: every connection is refused at once.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let api_base = format!("http://127.0.0.1:{port}");
        for (retries, attempts) in [(0, 1), (1, 1), (3, 3)] {
            let c = Connection::new(&api_base, "key", Secret::new("s"), 0).unwrap();
            let call = Call::new();
            let got = c.authenticate(&call, &options(&api_base, retries)).await;
            assert!(matches!(got, Err(Error::Network { .. })), "{got:?}");
            let tried = call.take_lines().iter().filter(|(_, line)| line.contains("not sent")).count();
            assert_eq!(tried, attempts, "retries {retries}");
        }
    }
}
