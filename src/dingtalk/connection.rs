//! [`Connection`]: one app's HTTP clients, token cache and rate limiters, shared by every flow
//! and thread that uses the same (API base URL, AppKey, AppSecret).
//!
//! Every call to DingTalk ends within its timeout (`timeoutSeconds`), retries and waits
//! included, plus the time to notice it (a few milliseconds): an attempt is only started while
//! more than its connect timeout is left, so a call that never connected always knows that it
//! sent nothing. Redirects are never followed (a 3xx is an error), and no `Referer` is sent.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use reqwest::{RequestBuilder, StatusCode};
use rpa_plugin_abi::{LogLevel, error::Upstream};
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::time::Instant;

use super::limiter::Limiter;
use super::transport::{self, Transport};
use super::wire::{
    BatchSendRequest, BatchSendResponse, ByMobileRequest, ByMobileResponse, GroupSendRequest, GroupSendResponse,
    NewApiError, OldApiResponse, ReadStatusResponse, RecallRequest, RecallResponse, TokenRequest, TokenResponse,
};
use crate::context::CallContext;
use crate::error::{Effect, Error, Rejection, Result};
use crate::redact;
use crate::secret::Secret;

/// The header that carries the access token on the new API generation.
const TOKEN_HEADER: &str = "x-acs-dingtalk-access-token";
/// The header that carries DingTalk's request id.
const REQUEST_ID_HEADER: &str = "x-acs-request-id";
/// How often a throttled call is tried again, about a second apart (DingTalk's advice).
const THROTTLE_RETRIES: u32 = 3;
/// How often a call that never reached the server (connection refused) is tried again.
const NOT_SENT_RETRIES: u32 = 2;
/// The most mobile-number resolutions a connection remembers; past it the memory starts over.
const MAX_CACHED_MOBILES: usize = 100_000;
/// How long a connection believes that a mobile number names no one of the org: long enough
/// that a flow sending to the same list again and again asks once, short enough that a new
/// colleague whose number HR adds is found within the run of a long flow.
pub(crate) const UNKNOWN_MOBILE_TTL: Duration = Duration::from_secs(10 * 60);
/// getbymobile's errcodes for a number that names no user of the org: 60121 (no such user),
/// 40104 (not a valid mobile number of the org).
const UNKNOWN_MOBILE_ERRCODES: [&str; 2] = ["60121", "40104"];
/// The shortest and longest token lifetime believed, whatever the server says (zero,
/// negative, or beyond any clock).
const TOKEN_LIFETIME: (Duration, Duration) = (Duration::from_secs(1), Duration::from_secs(24 * 3600));

/// What a connection knows of mobile numbers, as DingTalk answered: the user ID of each that
/// resolved, and when it said that one names no one (believed for [`UNKNOWN_MOBILE_TTL`]).
#[derive(Default)]
struct MobileMemory(HashMap<String, Known>);

/// DingTalk's answer for one mobile number.
enum Known {
    /// The employee's user ID.
    User(String),
    /// No one of the org, as said at this instant.
    Nobody(Instant),
}

impl MobileMemory {
    /// `Some(Some(user))`, or `Some(None)` when DingTalk said "no one" less than the TTL before
    /// `now`: the number need not be asked again. `None` when it must be.
    fn get(&self, mobile: &str, now: Instant) -> Option<Option<String>> {
        match self.0.get(mobile)? {
            Known::User(user) => Some(Some(user.clone())),
            Known::Nobody(said) => (now.saturating_duration_since(*said) < UNKNOWN_MOBILE_TTL).then_some(None),
        }
    }

    /// Remembers DingTalk's answer for `mobile`, given at `now`; past [`MAX_CACHED_MOBILES`]
    /// numbers the memory starts over.
    fn remember(&mut self, mobile: &str, user: Option<&str>, now: Instant) {
        if self.0.len() >= MAX_CACHED_MOBILES {
            self.0.clear();
        }
        let known = user.map_or(Known::Nobody(now), |u| Known::User(u.to_string()));
        self.0.insert(mobile.to_string(), known);
    }
}

/// The DingTalk APIs we call; each has its own rate limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Api {
    /// `POST /v1.0/oauth2/accessToken`.
    Token,
    /// `POST /v1.0/robot/oToMessages/batchSend`.
    BatchSend,
    /// `POST /media/upload` (old generation).
    MediaUpload,
    /// `POST /topapi/v2/user/getbymobile` (old generation).
    GetByMobile,
    /// `GET /v1.0/robot/oToMessages/readStatus`.
    ReadStatus,
    /// `POST /v1.0/robot/otoMessages/batchRecall` (lower-case `oto`, as DingTalk spells it).
    BatchRecall,
    /// `POST /v1.0/robot/groupMessages/send`.
    GroupSend,
    /// `POST /v1.0/robot/groupMessages/recall`.
    GroupRecall,
}

impl Api {
    /// Every API, in the order of [`Api::index`].
    const ALL: [Api; 8] = [
        Api::Token,
        Api::BatchSend,
        Api::MediaUpload,
        Api::GetByMobile,
        Api::ReadStatus,
        Api::BatchRecall,
        Api::GroupSend,
        Api::GroupRecall,
    ];

    fn index(self) -> usize {
        match self {
            Api::Token => 0,
            Api::BatchSend => 1,
            Api::MediaUpload => 2,
            Api::GetByMobile => 3,
            Api::ReadStatus => 4,
            Api::BatchRecall => 5,
            Api::GroupSend => 6,
            Api::GroupRecall => 7,
        }
    }

    fn path(self) -> &'static str {
        match self {
            Api::Token => "/v1.0/oauth2/accessToken",
            Api::BatchSend => "/v1.0/robot/oToMessages/batchSend",
            Api::MediaUpload => "/media/upload",
            Api::GetByMobile => "/topapi/v2/user/getbymobile",
            Api::ReadStatus => "/v1.0/robot/oToMessages/readStatus",
            Api::BatchRecall => "/v1.0/robot/otoMessages/batchRecall",
            Api::GroupSend => "/v1.0/robot/groupMessages/send",
            Api::GroupRecall => "/v1.0/robot/groupMessages/recall",
        }
    }

    /// The permission (scope) the call needs, for a refusal that does not name it.
    fn scope(self) -> &'static str {
        match self {
            Api::Token => "",
            Api::BatchSend | Api::ReadStatus | Api::BatchRecall | Api::GroupSend | Api::GroupRecall => {
                "qyapi_robot_sendmsg"
            }
            Api::MediaUpload => "qyapi_base",
            Api::GetByMobile => "qyapi_get_member_by_mobile",
        }
    }

    /// Calls whose repetition cannot do harm (a token, a media id, a lookup, a read). A send
    /// is not one, and a recall is treated like a send: neither is repeated once it may have
    /// been processed.
    fn repeatable(self) -> bool {
        self.effect().is_none()
    }

    /// What a call that is never repeated does.
    fn effect(self) -> Option<Effect> {
        match self {
            Api::BatchSend | Api::GroupSend => Some(Effect::Message),
            Api::BatchRecall | Api::GroupRecall => Some(Effect::Recall),
            Api::Token | Api::MediaUpload | Api::GetByMobile | Api::ReadStatus => None,
        }
    }

    /// The robot-message APIs, whose refusals mentioning the robot are about the robot code.
    fn is_robot(self) -> bool {
        matches!(self, Api::BatchSend | Api::ReadStatus | Api::BatchRecall | Api::GroupSend | Api::GroupRecall)
    }

    fn old_generation(self) -> bool {
        matches!(self, Api::MediaUpload | Api::GetByMobile)
    }
}

/// What an upload is, as `media/upload`'s `type` says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MediaType {
    /// `file`: a document for the file template.
    File,
    /// `image`: a picture (image template, link picture, video cover).
    Image,
    /// `voice`: the audio template's sound.
    Voice,
    /// `video`: the video template's film.
    Video,
}

impl MediaType {
    /// The value of `type`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            MediaType::File => "file",
            MediaType::Image => "image",
            MediaType::Voice => "voice",
            MediaType::Video => "video",
        }
    }
}

/// A file to upload for a template.
pub(crate) struct Upload {
    /// The name it is uploaded under (the file's own, Chinese included).
    pub(crate) file_name: String,
    /// Its bytes (already checked against DingTalk's size limit for its type).
    pub(crate) bytes: Bytes,
    /// What DingTalk stores it as.
    pub(crate) media_type: MediaType,
}

struct CachedToken {
    value: Secret,
    expires_at: Instant,
    refresh_at: Instant,
}

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

/// An HTTP answer, whatever its status.
struct Answer {
    status: StatusCode,
    body: Bytes,
    request_id: Option<String>,
    /// The `Location` of a 3xx.
    location: Option<String>,
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

/// How DingTalk (or whatever answered) refused a call.
#[derive(Debug)]
enum Refusal {
    TokenInvalid,
    Credentials,
    Throttled,
    PermissionDenied(Vec<String>),
    IpNotAllowed,
    RobotCode,
    /// About what an input names: the input (DingTalk's parameter) and why.
    Rejected(Rejection, &'static str),
    Server,
    /// A 3xx: never followed; the origin it points to (scheme, host, port).
    Redirect(Option<String>),
    /// A 404 or a page that is not DingTalk's JSON: the base URL or a proxy is wrong.
    WrongEndpoint,
    Other,
}

/// One app's connection to DingTalk.
pub(crate) struct Connection {
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
    /// A connection for one app; no network traffic yet.
    pub(crate) fn new(api_base: &str, app_key: &str, app_secret: Secret, qps_limit: u32) -> Result<Self> {
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
        })
    }

    /// The AppKey as logs show it: its first characters and its length.
    pub(crate) fn shown_key(&self) -> &str {
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
    pub(crate) fn set_qps_limit(&self, qps: u32) {
        for limiter in &self.limits.per_api {
            limiter.lower_to(qps);
        }
    }

    fn limits(&self) -> &Limits {
        &self.limits
    }

    fn cached_token(&self) -> Option<Secret> {
        let cached = self.token.lock().unwrap_or_else(|p| p.into_inner());
        cached.as_ref().filter(|t| Instant::now() < t.refresh_at).map(|t| t.value.clone())
    }

    /// A valid access token: the cached one, or a new one fetched once however many
    /// threads ask at the same time. A failed fetch is shared the same way: whoever waited
    /// for it gets its error (a wrong AppSecret is one token request, however many threads
    /// connect with it); only a caller that comes after it asks again. A fetch stopped by
    /// its own caller's cancellation is not shared.
    pub(crate) async fn token(&self, ctx: &CallContext, timeout: Duration) -> Result<Secret> {
        if let Some(t) = self.cached_token() {
            return Ok(t);
        }
        let fetches_before = self.fetches.lock().unwrap_or_else(|p| p.into_inner()).0;
        let _single_flight = self.refresh.lock().await;
        if let Some(t) = self.cached_token() {
            return Ok(t);
        }
        {
            let fetches = self.fetches.lock().unwrap_or_else(|p| p.into_inner());
            if fetches.0 != fetches_before
                && let Some(e) = &fetches.1
            {
                return Err(e.clone());
            }
        }
        let fetched = self.fetch_token(ctx, timeout).await;
        if !matches!(fetched, Err(Error::Cancelled { .. })) {
            let mut fetches = self.fetches.lock().unwrap_or_else(|p| p.into_inner());
            *fetches = (fetches.0 + 1, fetched.as_ref().err().cloned());
        }
        fetched
    }

    /// Fetches a new token and caches it; the caller holds the single-flight lock.
    async fn fetch_token(&self, ctx: &CallContext, timeout: Duration) -> Result<Secret> {
        let body = serde_json::to_vec(&TokenRequest { app_key: &self.app_key, app_secret: self.app_secret.expose() })
            .map_err(|e| Error::Internal(e.to_string()))?;
        let url = format!("{}{}", self.api_base, Api::Token.path());
        let (bytes, _) = self
            .call(ctx, Api::Token, &self.api_base, timeout, |http, _| {
                http.post(&url).header(reqwest::header::CONTENT_TYPE, "application/json").body(body.clone())
            })
            .await?;
        let answer: TokenResponse = self.parse(&bytes, Api::Token)?;
        let ttl = token_lifetime(&answer.expire_in);
        if answer.access_token.trim().is_empty() {
            return Err(self.unreadable(Api::Token, "the token answer has no accessToken".into()));
        }
        let now = Instant::now();
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
        ctx.log(LogLevel::Info, format!("access token obtained, valid for {} s", ttl.as_secs()));
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
    pub(crate) async fn batch_send(
        &self,
        ctx: &CallContext,
        req: &BatchSendRequest,
        timeout: Duration,
    ) -> Result<BatchSendResponse> {
        self.post_json(ctx, Api::BatchSend, req, timeout).await
    }

    /// Sends one robot message to a group. Never sent twice, like a one-to-one send.
    pub(crate) async fn group_send(
        &self,
        ctx: &CallContext,
        req: &GroupSendRequest,
        timeout: Duration,
    ) -> Result<GroupSendResponse> {
        self.post_json(ctx, Api::GroupSend, req, timeout).await
    }

    /// Recalls messages: one-to-one (`batchRecall`), or in the group `req` names
    /// (`groupMessages/recall`). Treated like a send: never repeated once it may have been
    /// processed.
    pub(crate) async fn recall(
        &self,
        ctx: &CallContext,
        req: &RecallRequest,
        timeout: Duration,
    ) -> Result<RecallResponse> {
        let api = if req.open_conversation_id.is_some() { Api::GroupRecall } else { Api::BatchRecall };
        self.post_json(ctx, api, req, timeout).await
    }

    /// Who read a one-to-one message (`processQueryKey` from its send), and whether it was
    /// recalled. The key goes into the query URL-encoded (it holds `+`, `/` and `=`). A read:
    /// repeated when that is safe.
    pub(crate) async fn read_status(
        &self,
        ctx: &CallContext,
        robot_code: &str,
        process_query_key: &str,
        timeout: Duration,
    ) -> Result<ReadStatusResponse> {
        let url = format!("{}{}", self.api_base, Api::ReadStatus.path());
        let (bytes, _) = self
            .call(ctx, Api::ReadStatus, &self.api_base, timeout, |http, token| {
                http.get(&url)
                    .query(&[("robotCode", robot_code), ("processQueryKey", process_query_key)])
                    .header(TOKEN_HEADER, token.expose())
            })
            .await?;
        self.parse(&bytes, Api::ReadStatus)
    }

    /// POSTs `body` as JSON to a new-generation API, with the token in its header.
    async fn post_json<B: serde::Serialize, T: DeserializeOwned>(
        &self,
        ctx: &CallContext,
        api: Api,
        body: &B,
        timeout: Duration,
    ) -> Result<T> {
        // Shared, not copied, by each attempt.
        let body = Bytes::from(serde_json::to_vec(body).map_err(|e| Error::Internal(e.to_string()))?);
        let url = self.api_url(api)?;
        let (bytes, _) = self
            .call(ctx, api, &self.api_base, timeout, |http, token| {
                http.post(url.clone())
                    .header(TOKEN_HEADER, token.expose())
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.clone())
            })
            .await?;
        self.parse(&bytes, api)
    }

    /// Uploads a file to the old API's media store, as its type, and returns its `media_id`.
    pub(crate) async fn upload_media(
        &self,
        ctx: &CallContext,
        oapi_base: &str,
        file: &Upload,
        timeout: Duration,
    ) -> Result<String> {
        let oapi_base = oapi_base.trim_end_matches('/');
        let url = format!("{oapi_base}{}", Api::MediaUpload.path());
        let media_type = file.media_type.as_str();
        let form = transport::media_form(&file.file_name, &file.bytes, media_type);
        let (bytes, request_id) = self
            .call(ctx, Api::MediaUpload, oapi_base, timeout, |http, token| {
                http.post(&url)
                    .query(&[("access_token", token.expose()), ("type", media_type)])
                    .header(reqwest::header::CONTENT_TYPE, form.content_type.as_str())
                    .body(form.body.clone())
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
    pub(crate) async fn user_id_by_mobile(
        &self,
        ctx: &CallContext,
        oapi_base: &str,
        mobile: &str,
        timeout: Duration,
    ) -> Result<Option<String>> {
        if let Some(known) = self.mobiles.lock().unwrap_or_else(|p| p.into_inner()).get(mobile, Instant::now()) {
            return Ok(known);
        }
        let oapi_base = oapi_base.trim_end_matches('/');
        let url = format!("{oapi_base}{}", Api::GetByMobile.path());
        let body = serde_json::to_vec(&ByMobileRequest { mobile }).map_err(|e| Error::Internal(e.to_string()))?;
        let answer = self
            .call(ctx, Api::GetByMobile, oapi_base, timeout, |http, token| {
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
        ctx: &CallContext,
        api: Api,
        base: &str,
        timeout: Duration,
        build: F,
    ) -> Result<(Bytes, Option<String>)>
    where
        F: Fn(&reqwest::Client, &Secret) -> RequestBuilder,
    {
        // Boxed: fetching a token is itself a call.
        let mut token = if api == Api::Token { Secret::new("") } else { Box::pin(self.token(ctx, timeout)).await? };
        let connect_timeout = transport::connect_timeout(timeout);
        let http = self.transport.client(connect_timeout)?;
        let deadline = Instant::now() + timeout;
        // Another attempt only while it can still connect before the deadline.
        let room_for = |wait: Duration| Instant::now() + wait + connect_timeout < deadline;
        let out_of_time = || Error::Timeout { url: base.to_string(), seconds: timeout.as_secs(), nothing_sent: true };
        let (mut refreshed, mut throttled, mut not_sent, mut server) = (false, 0, 0, 0);
        loop {
            ctx.check_cancelled()?;
            let answer = match self.attempt(ctx, api, build(&http, &token), deadline, timeout).await {
                Attempt::Answered(answer) => answer,
                Attempt::OutOfTime => return Err(out_of_time()),
                Attempt::NotSent(reason) => {
                    let backoff = Duration::from_millis(200 * u64::from(not_sent + 1));
                    if not_sent < NOT_SENT_RETRIES && room_for(backoff) {
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
                    ctx.log(LogLevel::Warn, format!("{}: {reason}; trying once more", api.path()));
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
                Refusal::TokenInvalid if api != Api::Token && !refreshed => {
                    refreshed = true;
                    ctx.log(LogLevel::Info, "DingTalk refused the access token; fetching a new one");
                    self.invalidate(&token);
                    token = Box::pin(self.token(ctx, timeout)).await?;
                    if !room_for(Duration::ZERO) {
                        return Err(out_of_time());
                    }
                }
                Refusal::Throttled if throttled < THROTTLE_RETRIES => {
                    let wait = Duration::from_millis(1000 + 50 * u64::from(throttled + 1));
                    if !room_for(wait) {
                        return Err(Error::Throttled { retries: throttled, upstream });
                    }
                    throttled += 1;
                    ctx.log(LogLevel::Warn, format!("{} throttled by DingTalk; retrying in 1 s", api.path()));
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
                Refusal::Credentials if api == Api::Token => return Err(Error::AuthFailed(upstream)),
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
        ctx: &CallContext,
        api: Api,
        request: RequestBuilder,
        deadline: Instant,
        timeout: Duration,
    ) -> Attempt {
        let limits = self.limits();
        let Ok(permit) = tokio::time::timeout_at(deadline, limits.get(api).acquire()).await else {
            return Attempt::OutOfTime;
        };
        let started = Instant::now();
        if let Some(effect) = api.effect() {
            ctx.set_in_flight(Some(effect));
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
        ctx.set_in_flight(None);
        drop(permit);
        let elapsed = started.elapsed().as_secs_f64() * 1000.0;
        let line = match &outcome {
            Attempt::Answered(a) => format!(
                "{} -> HTTP {} in {elapsed:.1} ms (request id {})",
                api.path(),
                a.status.as_u16(),
                a.request_id.as_deref().unwrap_or("-")
            ),
            Attempt::NotSent(r) => format!("{} -> not sent: {r} ({elapsed:.1} ms)", api.path()),
            Attempt::OutOfTime => format!("{} -> not sent: out of time", api.path()),
            Attempt::TimedOut => format!("{} -> no answer within {} s", api.path(), timeout.as_secs()),
            Attempt::Broken(r) => format!("{} -> {r} ({elapsed:.1} ms)", api.path()),
        };
        ctx.log(LogLevel::Info, line);
        outcome
    }
}

/// How long a token lives, from the answer's `expireIn` (seconds, as a number or as text):
/// clamped to [`TOKEN_LIFETIME`], so no answer can overflow a clock or make every call fetch
/// a new token.
fn token_lifetime(expire_in: &Value) -> Duration {
    let seconds = match expire_in {
        Value::Number(n) => n.as_f64().unwrap_or(0.0),
        Value::String(s) => s.trim().parse::<f64>().unwrap_or(0.0),
        _ => 0.0,
    };
    let (min, max) = TOKEN_LIFETIME;
    if seconds.is_nan() || seconds <= min.as_secs_f64() {
        return min;
    }
    if seconds >= max.as_secs_f64() {
        return max;
    }
    Duration::from_secs_f64(seconds)
}

/// Whether a token endpoint's error code says the AppKey or AppSecret is wrong.
fn is_credentials_code(code: &str) -> bool {
    let code = code.to_ascii_lowercase();
    ["clientidorsecret", "invalidclient", "appkey", "appsecret", "clientsecret"].iter().any(|c| code.contains(c))
}

/// A refusal about what an input names, from the codes of DingTalk's read-status, recall and
/// group-message pages, with the input at fault (DingTalk's parameter of that name).
/// The pages disagree on which code means "robot not in the group" (`invalidParameter.robotCode`,
/// `invalidParameter.robotCode.empty`, `invalidParameter.robotCode.notExsit`, each described as
/// "check that the robot is in the group"), so for the group APIs any `invalidParameter.robotCode`
/// code but `.auth` (AppKey and robot do not match) and `.coolApp` means that.
fn rejection(api: Api, status: StatusCode, code: &str, message: Option<&str>) -> Option<(Rejection, &'static str)> {
    if status != StatusCode::BAD_REQUEST {
        return None;
    }
    let key_field = match api {
        Api::ReadStatus => Some("processQueryKey"),
        Api::BatchRecall | Api::GroupRecall => Some("processQueryKeys"),
        _ => None,
    };
    if let Some(field) = key_field {
        if code == "invalid.processQueryKey" {
            return Some((Rejection::UnknownKey, field));
        }
        if code == "processQueryKey.expireTime" || code == "robot.processQueryKey.expired" {
            return Some((Rejection::KeyExpired, field));
        }
    }
    if matches!(api, Api::GroupSend | Api::GroupRecall) {
        if matches!(code, "invalid.openConversationId" | "group.disbanded" | "conversation.org.notMatch") {
            return Some((Rejection::GroupNotFound, "openConversationId"));
        }
        let robot_code =
            code.starts_with("invalidParameter.robotCode") && !code.ends_with(".auth") && !code.ends_with(".coolApp");
        if robot_code || message.is_some_and(|m| m.contains("群内")) {
            return Some((Rejection::RobotNotInGroup, "openConversationId"));
        }
    }
    None
}

/// Reads an answer: `None` when it is a success, else how it was refused and what it said.
fn classify(api: Api, answer: &Answer) -> Option<(Refusal, Box<Upstream>)> {
    let Answer { status, body, request_id, location } = answer;
    let status = *status;
    let header_request_id = request_id.clone();
    if status.is_redirection() {
        // Only where it points (scheme, host, port): a path or query may hold anything.
        let to = location.as_deref().map(|l| match reqwest::Url::parse(l) {
            Ok(u) if u.has_host() => u.origin().ascii_serialization(),
            _ => redact::url(l),
        });
        let upstream =
            Upstream { http_status: Some(status.as_u16()), request_id: header_request_id, ..Upstream::default() };
        return Some((Refusal::Redirect(to), Box::new(upstream)));
    }
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
            60011 => Refusal::PermissionDenied(vec![api.scope().to_string()]),
            60020 => Refusal::IpNotAllowed,
            // "System busy": nothing was done.
            -1 => Refusal::Server,
            _ => Refusal::Other,
        };
        return Some((refusal, Box::new(upstream)));
    }
    if status.is_success() {
        return None;
    }
    let parsed: Option<NewApiError> = serde_json::from_slice(body).ok();
    let is_json = parsed.is_some();
    let err = parsed.unwrap_or_default();
    let code = err.code.clone().unwrap_or_default();
    // A page from a gateway or proxy: say which status, not the page.
    let message = err.message.clone().or_else(|| Some(status.canonical_reason().unwrap_or("error").to_string()));
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
        let scopes = err.accessdenieddetail.map(|d| d.required_scopes).unwrap_or_default();
        Refusal::PermissionDenied(if scopes.is_empty() { vec![api.scope().to_string()] } else { scopes })
    } else if code.contains("IpNotInWhiteList") {
        Refusal::IpNotAllowed
    } else if let Some((kind, field)) = rejection(api, status, &code, message.as_deref()) {
        Refusal::Rejected(kind, field)
    } else if status.is_server_error() {
        Refusal::Server
    } else if api.is_robot() && mentions_robot {
        Refusal::RobotCode
    } else if api == Api::Token && is_credentials_code(&code) {
        Refusal::Credentials
    } else if status.is_client_error() && (!is_json || status == StatusCode::NOT_FOUND) {
        Refusal::WrongEndpoint
    } else {
        Refusal::Other
    };
    Some((refusal, Box::new(upstream)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobiles_are_remembered_and_misses_for_the_ttl_only() {
        let mut memory = MobileMemory::default();
        let t0 = Instant::now();
        assert_eq!(memory.get("13800000001", t0), None, "never asked: ask");
        memory.remember("13800000001", Some("manager01"), t0);
        memory.remember("13900000009", None, t0);
        let later = t0 + UNKNOWN_MOBILE_TTL * 100;
        assert_eq!(
            memory.get("13800000001", later),
            Some(Some("manager01".into())),
            "a user for the connection's life"
        );
        assert_eq!(memory.get("13900000009", t0 + UNKNOWN_MOBILE_TTL / 2), Some(None), "no one, within the TTL");
        assert_eq!(memory.get("13900000009", t0 + UNKNOWN_MOBILE_TTL), None, "no one, said too long ago: ask again");
        memory.remember("13900000009", Some("newhire"), t0 + UNKNOWN_MOBILE_TTL);
        assert_eq!(memory.get("13900000009", later), Some(Some("newhire".into())));
    }

    fn answer(status: u16, body: &[u8], location: Option<&str>) -> Answer {
        Answer {
            status: StatusCode::from_u16(status).unwrap(),
            body: Bytes::copy_from_slice(body),
            request_id: None,
            location: location.map(str::to_string),
        }
    }

    fn refusal(api: Api, status: u16, body: &str) -> Option<Refusal> {
        classify(api, &answer(status, body.as_bytes(), None)).map(|r| r.0)
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
        // getbymobile: errcode as a number or as text (a doc sample), its own permission.
        assert!(refusal(Api::GetByMobile, 200, r#"{"errcode":"0","result":{"userid":"u"}}"#).is_none());
        assert!(matches!(refusal(Api::GetByMobile, 200, r#"{"errcode":"90018"}"#), Some(Refusal::Throttled)));
        assert!(matches!(
            refusal(Api::GetByMobile, 200, r#"{"errcode":60011,"errmsg":"no"}"#),
            Some(Refusal::PermissionDenied(s)) if s == ["qyapi_get_member_by_mobile"]
        ));
        assert!(matches!(refusal(Api::GetByMobile, 200, r#"{"errcode":-1}"#), Some(Refusal::Server)));
        assert!(matches!(refusal(Api::GetByMobile, 200, r#"{"errcode":60121}"#), Some(Refusal::Other)));
    }

    fn rejected(api: Api, body: &str) -> Option<(Rejection, &'static str)> {
        match refusal(api, 400, body) {
            Some(Refusal::Rejected(kind, field)) => Some((kind, field)),
            _ => None,
        }
    }

    #[test]
    fn read_status_recall_and_group_refusals_name_their_input() {
        use Rejection::*;
        let key = r#"{"code":"invalid.processQueryKey","message":"无效的processQueryKey"}"#;
        assert_eq!(rejected(Api::ReadStatus, key), Some((UnknownKey, "processQueryKey")));
        assert_eq!(rejected(Api::BatchRecall, key), Some((UnknownKey, "processQueryKeys")));
        assert_eq!(rejected(Api::GroupRecall, key), Some((UnknownKey, "processQueryKeys")));
        assert_eq!(
            rejected(Api::ReadStatus, r#"{"code":"processQueryKey.expireTime"}"#),
            Some((KeyExpired, "processQueryKey"))
        );
        assert_eq!(
            rejected(Api::BatchRecall, r#"{"code":"robot.processQueryKey.expired"}"#),
            Some((KeyExpired, "processQueryKeys"))
        );
        for code in
            ["invalidParameter.robotCode", "invalidParameter.robotCode.empty", "invalidParameter.robotCode.notExsit"]
        {
            let body = format!(r#"{{"code":"{code}","message":"x"}}"#);
            assert_eq!(rejected(Api::GroupSend, &body), Some((RobotNotInGroup, "openConversationId")), "{code}");
            assert_eq!(rejected(Api::GroupRecall, &body), Some((RobotNotInGroup, "openConversationId")), "{code}");
        }
        assert_eq!(
            rejected(Api::GroupSend, r#"{"code":"whatever","message":"请检查机器人是否在群内"}"#),
            Some((RobotNotInGroup, "openConversationId"))
        );
        for code in ["invalid.openConversationId", "group.disbanded", "conversation.org.notMatch"] {
            let body = format!(r#"{{"code":"{code}","message":"x"}}"#);
            assert_eq!(rejected(Api::GroupSend, &body), Some((GroupNotFound, "openConversationId")), "{code}");
        }
        // The AppKey and the robot do not match: the robot code, not the group.
        assert!(matches!(
            refusal(
                Api::GroupSend,
                400,
                r#"{"code":"invalidParameter.robotCode.auth","message":"此应用appkey和机器人robotCode不匹配"}"#
            ),
            Some(Refusal::RobotCode)
        ));
        // Key codes mean nothing to a send, group codes nothing to a one-to-one call.
        assert_eq!(rejected(Api::BatchSend, key), None);
        assert_eq!(rejected(Api::BatchRecall, r#"{"code":"invalid.openConversationId"}"#), None);
        assert!(matches!(
            refusal(Api::ReadStatus, 400, r#"{"code":"invalidParameter.robotCode.invalid","message":"机器人不存在"}"#),
            Some(Refusal::RobotCode)
        ));
    }

    #[test]
    fn only_reads_lookups_tokens_and_uploads_are_repeatable() {
        let repeatable: Vec<Api> = Api::ALL.into_iter().filter(|a| a.repeatable()).collect();
        assert_eq!(repeatable, [Api::Token, Api::MediaUpload, Api::GetByMobile, Api::ReadStatus]);
        assert_eq!(Api::BatchRecall.effect(), Some(Effect::Recall));
        assert_eq!(Api::GroupSend.effect(), Some(Effect::Message));
        for (i, api) in Api::ALL.into_iter().enumerate() {
            assert_eq!(api.index(), i);
        }
    }

    #[test]
    fn token_errors_blame_the_right_thing() {
        assert!(matches!(
            refusal(Api::Token, 400, r#"{"code":"invalidClientIdOrSecret"}"#),
            Some(Refusal::Credentials)
        ));
        assert!(matches!(
            refusal(Api::Token, 404, r#"{"code":"InvalidAction.NotFound","message":"Specified api is not found"}"#),
            Some(Refusal::WrongEndpoint)
        ));
        assert!(matches!(refusal(Api::Token, 404, "<html>Not Found</html>"), Some(Refusal::WrongEndpoint)));
        assert!(matches!(refusal(Api::Token, 403, "<html>blocked by proxy</html>"), Some(Refusal::WrongEndpoint)));
        assert!(matches!(refusal(Api::Token, 400, r#"{"code":"SomethingElse"}"#), Some(Refusal::Other)));
        assert!(matches!(refusal(Api::BatchSend, 400, r#"{"code":"invalidClientIdOrSecret"}"#), Some(Refusal::Other)));
    }

    #[test]
    fn a_redirect_is_a_refusal_naming_its_origin_only() {
        for status in [301, 302, 303, 307, 308] {
            for api in Api::ALL {
                let a = answer(status, b"", Some("http://user:pw@127.0.0.2:9/x?access_token=tok"));
                match classify(api, &a) {
                    Some((Refusal::Redirect(Some(to)), _)) => {
                        assert_eq!(to, "http://127.0.0.2:9");
                    }
                    other => panic!("{status} {api:?}: {other:?}"),
                }
            }
        }
    }

    #[test]
    fn token_lifetimes_are_clamped() {
        let (min, max) = TOKEN_LIFETIME;
        assert_eq!(token_lifetime(&serde_json::json!(7200)), Duration::from_secs(7200));
        assert_eq!(token_lifetime(&serde_json::json!("7200")), Duration::from_secs(7200));
        assert_eq!(token_lifetime(&serde_json::json!(u64::MAX)), max);
        assert_eq!(token_lifetime(&serde_json::json!(1e300)), max);
        assert_eq!(token_lifetime(&serde_json::json!(0)), min);
        assert_eq!(token_lifetime(&serde_json::json!(-5)), min);
        assert_eq!(token_lifetime(&serde_json::json!(null)), min);
        assert_eq!(token_lifetime(&serde_json::json!("soon")), min);
    }

    proptest::proptest! {
        /// No answer, whatever its status and bytes, makes reading it panic.
        #[test]
        fn any_answer_is_read_without_panic(status in 100u16..=599, body in proptest::collection::vec(proptest::num::u8::ANY, 0..256), location in proptest::option::of(".{0,40}")) {
            for api in Api::ALL {
                let _ = classify(api, &answer(status, &body, location.as_deref()));
            }
            let _ = serde_json::from_slice::<TokenResponse>(&body).map(|t| token_lifetime(&t.expire_in));
            let _ = serde_json::from_slice::<BatchSendResponse>(&body);
            let _ = serde_json::from_slice::<OldApiResponse>(&body);
        }

        /// JSON-shaped answers (the likelier hostile ones) too, including huge and negative numbers.
        #[test]
        fn any_json_answer_is_read_without_panic(status in 200u16..=599, value in crate::any_json::any_json(ANSWER_WORDS)) {
            let body = value.to_string();
            for api in Api::ALL {
                let _ = classify(api, &answer(status, body.as_bytes(), None));
            }
            let _ = token_lifetime(&value);
            if let Ok(t) = serde_json::from_str::<TokenResponse>(&body) {
                let _ = Instant::now() + token_lifetime(&t.expire_in);
            }
        }
    }

    /// The keys and words of DingTalk's answers, for the arbitrary JSON.
    const ANSWER_WORDS: &[&str] = &["accessToken", "expireIn", "code", "errcode", "media_id"];

    #[test]
    fn debug_hides_the_secret() {
        let c = Connection::new("http://127.0.0.1:1", "key", Secret::new("topsecret"), 20).unwrap();
        assert!(!c.scrub("echo topsecret back", &Secret::new("tok")).contains("topsecret"));
        assert!(!format!("{c:?}").contains("topsecret"));
    }
}
