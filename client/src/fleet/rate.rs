//! The fleet's rate budget: the local [`Limiter`](crate::limiter)'s sliding window, kept in
//! Redis for every process of an app, so that DingTalk receives at most `limit` calls of one
//! API in any 1,000 ms however many processes send.
//!
//! A call's slot is a member of a sorted set per app and API. It is taken (by a Lua script
//! run with `EVALSHA`, timed by Redis's own `TIME`, so one clock serves every machine) with
//! the score "far ahead" while the call is on the wire, and given back with the score "now"
//! when its answer came; a slot counts until one window after its score. So, as in the local
//! limiter, a slot is held from before the send until a second after the answer, whatever
//! the network's jitter. A process that crashes mid-call leaves a slot that expires after
//! the call's timeout. The limit in force is the smallest any connect of the app asked for
//! lately (kept in Redis beside the set).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::time::Instant;

use super::{COMMAND_TIMEOUT, Fleet, runtime};
use crate::call::Call;

/// How long a connect's limit stays in force with no call of the app (ms).
const LIMIT_KEPT_MS: u64 = 600_000;
/// The longest pause between two asks for a slot: a slot on the wire may come back any time.
const MAX_POLL: Duration = Duration::from_millis(100);

/// Takes a slot when one is free. KEYS: the set, the limit. ARGV: the limit asked for, the
/// window (ms), the slot's id, how long an unanswered call may hold it (ms), how long the
/// limit is kept (ms). Returns `{0, limit}` with the slot taken, or `{ms to wait, limit}`.
const ACQUIRE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local asked = tonumber(ARGV[1])
local limit = tonumber(redis.call('GET', KEYS[2]))
if limit == nil or asked < limit then limit = asked end
redis.call('SET', KEYS[2], limit, 'PX', ARGV[5])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[4]), ARGV[3])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[4]) + 2 * window)
  return {0, limit}
end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {math.max(1, tonumber(first[2]) + window - now), limit}
";

/// Gives a slot back: its window starts now. KEYS: the set. ARGV: the slot's id.
const RELEASE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call('ZADD', KEYS[1], 'XX', now, ARGV[1])
";

fn acquire_script() -> &'static redis::Script {
    static SCRIPT: OnceLock<redis::Script> = OnceLock::new();
    SCRIPT.get_or_init(|| redis::Script::new(ACQUIRE))
}

fn release_script() -> &'static redis::Script {
    static SCRIPT: OnceLock<redis::Script> = OnceLock::new();
    SCRIPT.get_or_init(|| redis::Script::new(RELEASE))
}

/// What asking the fleet for a slot came to.
pub(crate) enum Slot {
    /// A slot, held until the permit is dropped.
    Granted(FleetPermit),
    /// Redis cannot be used: the local limiter alone decides.
    Local,
    /// The call's deadline came first.
    OutOfTime,
}

/// A slot of the fleet's; dropping it gives it back (on the fleet's runtime, not waited for).
pub(crate) struct FleetPermit {
    fleet: Arc<Fleet>,
    set: String,
    id: String,
}

impl Drop for FleetPermit {
    fn drop(&mut self) {
        let Some(manager) = self.fleet.manager.lock().unwrap_or_else(|p| p.into_inner()).clone() else { return };
        let Ok(runtime) = runtime() else { return };
        let (set, id) = (std::mem::take(&mut self.set), std::mem::take(&mut self.id));
        // Not given back (Redis gone): the slot expires by itself after the call's timeout.
        runtime.spawn(async move {
            let mut manager = manager;
            let _ = tokio::time::timeout(
                COMMAND_TIMEOUT,
                release_script().key(set).arg(id).invoke_async::<i64>(&mut manager),
            )
            .await;
        });
    }
}

/// A slot id no other process uses: a random per-process part and a counter.
fn slot_id() -> String {
    use std::hash::{BuildHasher, RandomState};
    static PROCESS: OnceLock<u64> = OnceLock::new();
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let process = PROCESS.get_or_init(|| RandomState::new().hash_one(std::process::id()));
    format!("{process:016x}-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

impl Fleet {
    /// Waits for a slot of the app's budget for one API (`set`, from [`super::key`]): at most
    /// `limit` (or the smallest limit another process asked for) in any `window`, held until
    /// the permit drops, or `hold` at most. Ends by `deadline`.
    pub(crate) async fn acquire(
        self: &Arc<Self>,
        call: &Call,
        set: &str,
        limit: u32,
        window: Duration,
        hold: Duration,
        deadline: Instant,
    ) -> Slot {
        let limit_key = format!("{set}:limit");
        let window_ms = u64::try_from(window.as_millis()).unwrap_or(u64::MAX);
        let hold_ms = u64::try_from(hold.as_millis()).unwrap_or(u64::MAX);
        let id = slot_id();
        loop {
            let (set_key, limit_key, id2) = (set.to_string(), limit_key.clone(), id.clone());
            let answer = self
                .run(call, deadline, move |mut c| async move {
                    acquire_script()
                        .key(set_key)
                        .key(limit_key)
                        .arg(limit)
                        .arg(window_ms)
                        .arg(id2)
                        .arg(hold_ms)
                        .arg(LIMIT_KEPT_MS)
                        .invoke_async::<(u64, u64)>(&mut c)
                        .await
                })
                .await;
            let wait = match answer {
                None => return Slot::Local,
                Some((0, _)) => {
                    return Slot::Granted(FleetPermit { fleet: self.clone(), set: set.to_string(), id });
                }
                Some((wait_ms, _)) => Duration::from_millis(wait_ms).min(MAX_POLL),
            };
            if Instant::now() + wait >= deadline {
                return Slot::OutOfTime;
            }
            tokio::time::sleep(wait).await;
        }
    }
}
