//! [`Fleet`]: many robot processes of one app sharing, through Redis, what DingTalk counts per
//! app — the rate budget of each API ([`rate`]) and the access token ([`token`]).
//!
//! Optional: a [`Connection`](crate::Connection) with no fleet behaves as before. Redis is
//! never a new way to fail a call: every Redis command runs within the call's own deadline
//! (and at most [`COMMAND_TIMEOUT`]); when one fails, the fleet is counted down, a warning is
//! logged once (in both languages: the client does not know the designer's), and the calls
//! fall back to the process's own limiter and token until Redis answers again (it is asked
//! again at most every [`RETRY_AFTER`]).
//!
//! Every command runs on a small runtime of the fleet's own, so that the reconnecting
//! `ConnectionManager` keeps its socket whichever host thread's event loop asks.

pub(crate) mod listen;
pub(crate) mod rate;
pub(crate) mod token;

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use sha2::{Digest, Sha256};
use tokio::time::Instant;

use crate::call::{Call, Level};
use crate::error::Result;
use crate::secret::Secret;
use crate::words;

/// The environment variable whose value is the Redis URL when a connect gives none.
pub const REDIS_URL_ENV: &str = "DINGTALK_ROBOT_REDIS_URL";
/// The longest one Redis command may take (less when the call has less time left).
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(1);
/// How long after a failed command Redis is left alone before it is asked again.
pub const RETRY_AFTER: Duration = Duration::from_secs(1);
/// The prefix of every key the fleet writes.
const KEY_PREFIX: &str = "dingtalk-robot";

/// A Redis server that robot processes share, for this process: one per URL, made by
/// [`Fleet::shared`].
pub struct Fleet {
    /// The URL, password included: given only to the Redis client.
    url: Secret,
    /// The URL as logs show it, with no password.
    shown: String,
    /// The reconnecting connection, made on first use (on the fleet's runtime).
    manager: Mutex<Option<ConnectionManager>>,
    /// A second one for the listener's blocking reads, which would hold up the first.
    reader: Mutex<Option<ConnectionManager>>,
    /// When the last command failed; `None` while Redis answers.
    down_since: Mutex<Option<Instant>>,
    /// Whether the warning of the current outage has been logged.
    warned: AtomicBool,
}

impl std::fmt::Debug for Fleet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fleet").field("url", &self.shown).finish_non_exhaustive()
    }
}

/// Why a Redis URL cannot be used (English, for the caller to put in its own words).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlProblem {
    /// It does not parse as a URL.
    Unreadable,
    /// Its scheme is not `redis` or `rediss`.
    Scheme,
    /// It names no host.
    NoHost,
}

/// Checks a Redis URL without connecting: `redis://` or `rediss://`, with a host. Returns the
/// URL as logs may show it (no password).
pub fn check_url(url: &str) -> std::result::Result<String, UrlProblem> {
    let parsed = reqwest::Url::parse(url.trim()).map_err(|_| UrlProblem::Unreadable)?;
    if !matches!(parsed.scheme(), "redis" | "rediss") {
        return Err(UrlProblem::Scheme);
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(UrlProblem::NoHost);
    }
    redis::Client::open(url.trim()).map_err(|_| UrlProblem::Unreadable)?;
    Ok(shown_url(&parsed))
}

/// A parsed URL without its password (`******` in its place).
fn shown_url(url: &reqwest::Url) -> String {
    let mut shown = url.clone();
    if url.password().is_some() {
        let _ = shown.set_password(Some("******"));
    }
    shown.to_string()
}

/// The runtime every Redis command runs on: one thread of its own.
fn runtime() -> Result<&'static tokio::runtime::Runtime> {
    static RUNTIME: OnceLock<std::result::Result<tokio::runtime::Runtime, String>> = OnceLock::new();
    crate::background::runtime(&RUNTIME, "dingtalk-redis", "Redis")
}

/// A key of the fleet's for `parts`, which may hold secrets: their SHA-256, never themselves.
pub(crate) fn key(kind: &str, parts: &[&str]) -> String {
    let mut hash = Sha256::new();
    for part in parts {
        hash.update(part.as_bytes());
        hash.update([0]);
    }
    let digest = hash.finalize();
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("{KEY_PREFIX}:{kind}:{hex}")
}

impl Fleet {
    /// The fleet at `url` for this process, made on first use (no network yet); the same
    /// URL always gives the same fleet. Errors when the URL is not a usable Redis URL.
    pub fn shared(url: &Secret) -> std::result::Result<Arc<Fleet>, UrlProblem> {
        static FLEETS: OnceLock<Mutex<HashMap<Secret, Arc<Fleet>>>> = OnceLock::new();
        let shown = check_url(url.expose())?;
        let mut all = FLEETS.get_or_init(Mutex::default).lock().unwrap_or_else(|p| p.into_inner());
        let fleet = all.entry(url.clone()).or_insert_with(|| {
            Arc::new(Fleet {
                url: Secret::new(url.expose().trim()),
                shown,
                manager: Mutex::new(None),
                reader: Mutex::new(None),
                down_since: Mutex::new(None),
                warned: AtomicBool::new(false),
            })
        });
        Ok(fleet.clone())
    }

    /// The URL as logs show it: no password.
    pub fn shown_url(&self) -> &str {
        &self.shown
    }

    /// Whether Redis answered the last command (or none was sent yet).
    pub fn is_up(&self) -> bool {
        self.down_since.lock().unwrap_or_else(|p| p.into_inner()).is_none()
    }

    /// Asks Redis once (`PING`), within `timeout` (and [`COMMAND_TIMEOUT`]): true when it
    /// answered; otherwise the fallback's warning is logged on `call` (once per outage). For
    /// connect, so that a wrong URL or password shows at once. Within [`RETRY_AFTER`] of a
    /// failure it asks nothing and says false, so that a flow connecting on every run does
    /// not wait for a Redis known to be down.
    pub async fn check(&self, call: &Call, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let answered = self
            .run(call, deadline, |mut c| async move { redis::cmd("PING").query_async::<String>(&mut c).await })
            .await
            .is_some();
        if answered {
            call.log(
                Level::Info,
                words!(
                    en: format!("sharing the rate budget and the token through Redis at {}", self.shown),
                    zh: format!("通过 Redis（{}）共用限流额度和令牌", self.shown)
                ),
            );
        }
        answered
    }

    /// The connection manager in `slot`, made on first use on the fleet's runtime (it
    /// connects lazily).
    /// A command's answer may take `answer_within`.
    fn manager(
        slot: &Mutex<Option<ConnectionManager>>,
        url: &Secret,
        answer_within: Duration,
    ) -> std::result::Result<ConnectionManager, String> {
        let mut manager = slot.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(m) = manager.as_ref() {
            return Ok(m.clone());
        }
        let client = redis::Client::open(url.expose()).map_err(|e| e.to_string())?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(COMMAND_TIMEOUT))
            .set_response_timeout(Some(answer_within))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(500));
        let runtime = runtime().map_err(|e| e.to_string())?;
        let _entered = runtime.enter();
        let made = ConnectionManager::new_lazy_with_config(client, config).map_err(|e| e.to_string())?;
        *manager = Some(made.clone());
        Ok(made)
    }

    /// Whether a command may be tried now: Redis answered the last one, or the last failure
    /// is [`RETRY_AFTER`] old.
    fn usable(&self) -> bool {
        self.down_since.lock().unwrap_or_else(|p| p.into_inner()).is_none_or(|t| t.elapsed() >= RETRY_AFTER)
    }

    /// Runs one Redis command (`op` on a clone of the connection) on the fleet's runtime,
    /// within `deadline` and [`COMMAND_TIMEOUT`]. `None` when Redis is down (left alone for
    /// now), failed, or took too long: the caller falls back, and the outage is logged once.
    pub(crate) async fn run<T, F, Fut>(&self, call: &Call, deadline: Instant, op: F) -> Option<T>
    where
        T: Send + 'static,
        F: FnOnce(ConnectionManager) -> Fut + Send + 'static,
        Fut: Future<Output = redis::RedisResult<T>> + Send + 'static,
    {
        let limit = deadline.saturating_duration_since(Instant::now()).min(COMMAND_TIMEOUT);
        self.run_on(&self.manager, call, limit, op).await
    }

    /// [`Fleet::run`] on the connection kept for blocking reads, for a command that blocks up
    /// to `blocks` (given [`COMMAND_TIMEOUT`] beyond that).
    pub(crate) async fn run_reading<T, F, Fut>(&self, call: &Call, blocks: Duration, op: F) -> Option<T>
    where
        T: Send + 'static,
        F: FnOnce(ConnectionManager) -> Fut + Send + 'static,
        Fut: Future<Output = redis::RedisResult<T>> + Send + 'static,
    {
        self.run_on(&self.reader, call, blocks + COMMAND_TIMEOUT, op).await
    }

    /// [`Fleet::run`] on the connection in `slot`, within `limit`.
    async fn run_on<T, F, Fut>(
        &self,
        slot: &Mutex<Option<ConnectionManager>>,
        call: &Call,
        limit: Duration,
        op: F,
    ) -> Option<T>
    where
        T: Send + 'static,
        F: FnOnce(ConnectionManager) -> Fut + Send + 'static,
        Fut: Future<Output = redis::RedisResult<T>> + Send + 'static,
    {
        if !self.usable() {
            return None;
        }
        let outcome = match (Fleet::manager(slot, &self.url, limit.max(COMMAND_TIMEOUT)), runtime()) {
            (Ok(manager), Ok(runtime)) => {
                let task = runtime.spawn(async move {
                    match tokio::time::timeout(limit, op(manager)).await {
                        Ok(Ok(value)) => Ok(value),
                        Ok(Err(e)) => Err(describe(&e)),
                        Err(_) => Err(format!("no answer within {} ms", limit.as_millis())),
                    }
                });
                match task.await {
                    Ok(outcome) => outcome,
                    Err(e) => Err(format!("the Redis task ended: {e}")),
                }
            }
            (Err(e), _) => Err(e),
            (_, Err(e)) => Err(e.to_string()),
        };
        match outcome {
            Ok(value) => {
                self.answered(call);
                Some(value)
            }
            Err(reason) => {
                self.failed(call, &reason);
                None
            }
        }
    }

    /// Redis answered: an outage, if there was one, is over.
    fn answered(&self, call: &Call) {
        let was_down = self.down_since.lock().unwrap_or_else(|p| p.into_inner()).take().is_some();
        if was_down && self.warned.swap(false, Ordering::AcqRel) {
            call.log(
                Level::Info,
                words!(
                    en: format!("Redis at {} answers again: the fleet's shared rate budget and token are back in use", self.shown),
                    zh: format!("Redis（{}）已恢复：重新使用机器人群共用的限流额度和令牌", self.shown)
                ),
            );
        }
    }

    /// A command failed: Redis is counted down, and the first failure of an outage warns.
    fn failed(&self, call: &Call, reason: &str) {
        *self.down_since.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now());
        if !self.warned.swap(true, Ordering::AcqRel) {
            let reason = self.scrub(reason);
            call.log(
                Level::Warn,
                words!(
                    en: format!("Redis at {} cannot be used ({reason}): this process goes on with its own rate limit and token until Redis answers again", self.shown),
                    zh: format!("Redis（{}）无法使用（{reason}）：在 Redis 恢复前，本进程改用自己的限流和令牌继续运行", self.shown)
                ),
            );
        }
    }

    /// `text` without the URL's password.
    fn scrub(&self, text: &str) -> String {
        match reqwest::Url::parse(self.url.expose()).ok().and_then(|u| u.password().map(str::to_string)) {
            Some(password) if !password.is_empty() => text.replace(&password, "******"),
            _ => text.to_string(),
        }
    }
}

/// A Redis error in a few words: its kind (a wrong password reads "authentication failed").
fn describe(e: &redis::RedisError) -> String {
    if e.kind() == redis::ErrorKind::AuthenticationFailed {
        return "authentication failed: check the password in the Redis URL".to_string();
    }
    e.to_string()
}

#[cfg(test)]
mod tests;
