//! The fleet's access token: cached in Redis until its refresh time, under a key derived
//! (SHA-256) from the API base, the AppKey and the AppSecret — the secret itself is never
//! stored, and two apps with one AppKey and different secrets never share a token. One
//! process fetches a new token, holding a lock (`SET NX PX`) that expires by itself if that
//! process dies; the others wait for the token it stores.

use std::time::Duration;

use tokio::time::Instant;

use super::Fleet;
use crate::call::Call;
use crate::secret::Secret;

/// Deletes a key only while it holds the given value. KEYS: the key. ARGV: the value.
const DELETE_IF: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
";

/// What the fleet knows of the token.
pub(crate) enum Shared {
    /// A token and how long it is good for.
    Cached(Secret, Duration),
    /// None is cached, and this process now holds the lock to fetch one (its lock value).
    Fetch(String),
    /// Redis cannot be used, or another process's fetch outlasted the call: fetch locally.
    Local,
}

impl Fleet {
    /// The cached token under `key`, or the lock to fetch it (`lock_for`: the longest the
    /// fetch may take), waiting while another process fetches; by `deadline`.
    pub(crate) async fn token(&self, call: &Call, key: &str, lock_for: Duration, deadline: Instant) -> Shared {
        let lock_value = format!("{:016x}", {
            use std::hash::{BuildHasher, RandomState};
            RandomState::new().hash_one((std::process::id(), Instant::now()))
        });
        let lock_ms = u64::try_from(lock_for.as_millis()).unwrap_or(u64::MAX).max(1);
        loop {
            let (k, lock_key, value) = (key.to_string(), format!("{key}:lock"), lock_value.clone());
            let answer = self
                .run(call, deadline, move |mut c| async move {
                    let (token, ttl): (Option<String>, i64) =
                        redis::pipe().get(&k).cmd("PTTL").arg(&k).query_async(&mut c).await?;
                    if let Some(token) = token.filter(|_| ttl > 0) {
                        return Ok((Some((token, ttl)), false));
                    }
                    let locked: Option<String> = redis::cmd("SET")
                        .arg(&lock_key)
                        .arg(&value)
                        .arg("NX")
                        .arg("PX")
                        .arg(lock_ms)
                        .query_async(&mut c)
                        .await?;
                    Ok((None, locked.is_some()))
                })
                .await;
            match answer {
                None => return Shared::Local,
                Some((Some((token, ttl)), _)) => {
                    let ttl = Duration::from_millis(u64::try_from(ttl).unwrap_or(0));
                    return Shared::Cached(Secret::new(token), ttl);
                }
                Some((None, true)) => return Shared::Fetch(lock_value),
                Some((None, false)) => {}
            }
            let pause = Duration::from_millis(50);
            if Instant::now() + pause >= deadline {
                return Shared::Local;
            }
            tokio::time::sleep(pause).await;
        }
    }

    /// Stores a fetched token for `good_for`, and lets go of the lock `lock_value`.
    pub(crate) async fn store_token(
        &self,
        call: &Call,
        key: &str,
        token: &Secret,
        good_for: Duration,
        lock_value: &str,
        deadline: Instant,
    ) {
        let (k, token, lock_key, value) =
            (key.to_string(), token.expose().to_string(), format!("{key}:lock"), lock_value.to_string());
        let ms = u64::try_from(good_for.as_millis()).unwrap_or(u64::MAX).max(1);
        let _ = self
            .run(call, deadline, move |mut c| async move {
                redis::cmd("SET").arg(&k).arg(&token).arg("PX").arg(ms).query_async::<()>(&mut c).await?;
                redis::Script::new(DELETE_IF).key(lock_key).arg(value).invoke_async::<i64>(&mut c).await
            })
            .await;
    }

    /// Lets go of the lock `lock_value` without a token (the fetch failed).
    pub(crate) async fn unlock_token(&self, call: &Call, key: &str, lock_value: &str, deadline: Instant) {
        self.delete_if(call, &format!("{key}:lock"), lock_value, deadline).await;
    }

    /// Forgets the token under `key` if it is still `bad` (DingTalk refused it).
    pub(crate) async fn forget_token(&self, call: &Call, key: &str, bad: &Secret, deadline: Instant) {
        self.delete_if(call, key, bad.expose(), deadline).await;
    }

    /// Deletes `key` while it holds `value`.
    async fn delete_if(&self, call: &Call, key: &str, value: &str, deadline: Instant) {
        let (k, v) = (key.to_string(), value.to_string());
        let _ = self
            .run(call, deadline, move |mut c| async move {
                redis::Script::new(DELETE_IF).key(k).arg(v).invoke_async::<i64>(&mut c).await
            })
            .await;
    }
}
