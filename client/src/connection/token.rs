//! A connection's access token: fetched once however many calls ask at the same time,
//! cached until shortly before it expires, and forgotten when DingTalk refuses it.

use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;

use super::Connection;
use crate::api::Api;
use crate::call::{Call, Level};
use crate::error::{Error, Result};
use crate::fleet::Fleet;
use crate::fleet::token::Shared;
use crate::options::CallOptions;
use crate::secret::Secret;
use crate::wire::{TokenRequest, TokenResponse};
use crate::words;

/// The shortest and longest token lifetime believed, whatever the server says (zero,
/// negative, or beyond any clock).
const TOKEN_LIFETIME: (Duration, Duration) = (Duration::from_secs(1), Duration::from_secs(24 * 3600));

/// A token, when it expires, and when to fetch the next one.
pub(super) struct CachedToken {
    value: Secret,
    expires_at: Instant,
    refresh_at: Instant,
}

impl Connection {
    /// Makes sure the app's credentials work: fetches an access token unless one is cached
    /// ([`Error::AuthFailed`] when DingTalk refuses the AppKey/AppSecret). Every other call
    /// fetches the token it needs by itself; this is for failing fast, at connect time.
    pub async fn authenticate(&self, call: &Call, options: &CallOptions) -> Result<()> {
        self.token(call, options).await.map(drop)
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
    pub(super) async fn token(&self, call: &Call, options: &CallOptions) -> Result<Secret> {
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
        let fetched = match self.fleet() {
            Some(fleet) => self.fleet_token(call, options, &fleet).await,
            None => self.fetch_token(call, options).await,
        };
        if !matches!(fetched, Err(Error::Cancelled { .. })) {
            let mut fetches = self.fetches.lock().unwrap_or_else(|p| p.into_inner());
            *fetches = (fetches.0 + 1, fetched.as_ref().err().cloned());
        }
        fetched
    }

    /// The fleet's token: the one cached in Redis, or one fetched here under the fleet's lock
    /// and stored there for the other processes; fetched as without Redis when Redis cannot
    /// be used. The caller holds the single-flight lock.
    async fn fleet_token(&self, call: &Call, options: &CallOptions, fleet: &Fleet) -> Result<Secret> {
        let deadline = Instant::now() + options.timeout;
        let key = &self.fleet_keys.1;
        match fleet.token(call, key, options.timeout, deadline).await {
            Shared::Cached(value, good_for) => {
                let now = Instant::now();
                let at = now + good_for.min(TOKEN_LIFETIME.1);
                let mut cached = self.token.lock().unwrap_or_else(|p| p.into_inner());
                *cached = Some(CachedToken { value: value.clone(), expires_at: at, refresh_at: at });
                let seconds = good_for.as_secs();
                call.log(
                    Level::Info,
                    words!(
                        en: format!("access token shared through Redis, valid for {seconds} s"),
                        zh: format!("已通过 Redis 取得共用的访问令牌，有效期 {seconds} 秒")
                    ),
                );
                Ok(value)
            }
            Shared::Local => self.fetch_token(call, options).await,
            Shared::Fetch(lock) => {
                let fetched = self.fetch_token(call, options).await;
                let refresh_at = self.token.lock().unwrap_or_else(|p| p.into_inner()).as_ref().map(|t| t.refresh_at);
                match (&fetched, refresh_at) {
                    (Ok(value), Some(at)) => {
                        let good_for = at.saturating_duration_since(Instant::now());
                        fleet.store_token(call, key, value, good_for, &lock, deadline).await;
                    }
                    _ => fleet.unlock_token(call, key, &lock, deadline).await,
                }
                fetched
            }
        }
    }

    /// Fetches a new token and caches it; the caller holds the single-flight lock.
    async fn fetch_token(&self, call: &Call, options: &CallOptions) -> Result<Secret> {
        let body = serde_json::to_vec(&TokenRequest { app_key: &self.app_key, app_secret: self.app_secret.expose() })
            .map_err(|e| Error::Internal(e.to_string()))?;
        let url = format!("{}{}", self.api_base, Api::Token.path());
        let (bytes, _) = self
            .call(call, options, Api::Token, &self.api_base, |http, _| {
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
        let seconds = ttl.as_secs();
        call.log(
            Level::Info,
            words!(
                en: format!("access token obtained, valid for {seconds} s"),
                zh: format!("已获取访问令牌，有效期 {seconds} 秒")
            ),
        );
        Ok(value)
    }

    /// Forgets `bad` (DingTalk said it is invalid) unless another thread already replaced it.
    pub(super) fn invalidate(&self, bad: &Secret) {
        let mut cached = self.token.lock().unwrap_or_else(|p| p.into_inner());
        if cached.as_ref().is_some_and(|c| &c.value == bad) {
            *cached = None;
        }
    }
}

/// How long a token lives, from the answer's `expireIn` (seconds, as a number or as text):
/// clamped to [`TOKEN_LIFETIME`], so no answer can overflow a clock or make every call fetch
/// a new token.
pub(super) fn token_lifetime(expire_in: &Value) -> Duration {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
