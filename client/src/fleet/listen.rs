//! The fleet's listener: DingTalk pushes each Stream message to ONE connection of the app,
//! which may be in a process where no one waits for it. So, with a fleet, every robot message
//! a process receives is written to a Redis Stream per app (`XADD` with `MINID ~`: ten
//! minutes kept); every process with waiters reads it (`XREAD BLOCK`, on a connection of its
//! own so that the budget's commands never wait behind it), and a message goes to a waiter
//! only after its process won the message's claim (`SET NX` on its id): exactly one waiter
//! fleet-wide takes it. Redis down: the receiving process hands its messages to its own
//! waiters, as without a fleet.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use redis::streams::{StreamRangeReply, StreamReadOptions, StreamReadReply};
use serde_json::{Value, json};
use tokio::time::Instant;

use super::{Fleet, RETRY_AFTER, runtime};
use crate::call::Call;
use crate::stream::{Reply, ReplyFilter};

/// How long a message stays in the Redis Stream, and its claim (ms).
const RETENTION_MS: u64 = 600_000;
/// How long one `XREAD` blocks (ms): within [`super::COMMAND_TIMEOUT`].
const BLOCK_MS: usize = 500;
/// How long a reader goes on after its process's last wait ended.
const READER_GRACE: Duration = Duration::from_secs(2);
/// How far back a new reader starts, so that a message written just before a wait began is
/// still read.
const READ_FROM_BEFORE_MS: u64 = 2_000;

/// A process's waiters of one app, as the fleet's reader sees them.
pub(crate) trait Waiters: Send + Sync {
    /// Whether a wait going on here takes `reply`.
    fn wants(&self, reply: &Reply) -> bool;
    /// Hands `reply` (claimed) to the first wait here that takes it.
    fn deliver(&self, message_id: &str, reply: Reply);
    /// Waits going on here.
    fn active(&self) -> usize;
}

/// Milliseconds since the Unix epoch, as Stream ids count them.
fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// A reply as the Stream entry's one field (without its session webhook, a credential).
fn encode(message_id: &str, reply: &Reply) -> String {
    json!({
        "messageId": message_id, "msgType": reply.msg_type, "text": reply.text,
        "senderUserId": reply.sender_user_id, "senderNick": reply.sender_nick,
        "createdAtMs": reply.created_at_ms, "conversationId": reply.conversation_id,
        "group": reply.group, "msgId": reply.message_id, "outTrackId": reply.out_track_id,
    })
    .to_string()
}

/// A Stream entry's reply and its messageId; `None` for anything else.
fn decode(text: &str) -> Option<(String, Reply)> {
    let v: Value = serde_json::from_str(text).ok()?;
    let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
    let reply = Reply {
        msg_type: s("msgType"),
        text: s("text"),
        sender_user_id: s("senderUserId"),
        sender_nick: s("senderNick"),
        created_at_ms: v.get("createdAtMs").and_then(Value::as_i64).unwrap_or(0),
        conversation_id: s("conversationId"),
        group: v.get("group").and_then(Value::as_bool).unwrap_or(false),
        message_id: s("msgId"),
        out_track_id: s("outTrackId"),
        // A session webhook is a credential of the chat: it stays in the process that got it
        // (a reminder from another process goes through batchSend).
        session_webhook: None,
        session_webhook_expires_ms: 0,
    };
    Some((s("messageId"), reply))
}

/// The value of an entry's `m` field, when it is text.
fn field_text(map: &std::collections::HashMap<String, redis::Value>) -> Option<String> {
    match map.get("m")? {
        redis::Value::BulkString(bytes) => String::from_utf8(bytes.clone()).ok(),
        redis::Value::SimpleString(s) => Some(s.clone()),
        _ => None,
    }
}

impl Fleet {
    /// Writes a received message to the app's Redis Stream (`stream`, from [`super::key`]);
    /// false when Redis cannot take it (the caller hands it to its own waiters).
    pub(crate) async fn publish(&self, stream: &str, message_id: &str, reply: &Reply) -> bool {
        let (key, entry) = (stream.to_string(), encode(message_id, reply));
        let min_id = format!("{}-0", now_ms().saturating_sub(RETENTION_MS));
        let deadline = Instant::now() + super::COMMAND_TIMEOUT;
        // Its warnings go nowhere: the waits say when Redis is down.
        self.run(&Call::new(), deadline, move |mut c| async move {
            redis::cmd("XADD")
                .arg(&key)
                .arg("MINID")
                .arg("~")
                .arg(&min_id)
                .arg("*")
                .arg("m")
                .arg(&entry)
                .query_async::<String>(&mut c)
                .await?;
            redis::cmd("PEXPIRE").arg(&key).arg(RETENTION_MS).query_async::<i64>(&mut c).await
        })
        .await
        .is_some()
    }

    /// Claims `message_id` of `stream` for this process: `Some(true)` for exactly one caller
    /// fleet-wide, `None` when Redis did not answer.
    async fn claim(&self, call: &Call, stream: &str, message_id: &str) -> Option<bool> {
        let key = format!("{stream}:claim:{message_id}");
        let deadline = Instant::now() + super::COMMAND_TIMEOUT;
        self.run(call, deadline, move |mut c| async move {
            redis::cmd("SET")
                .arg(&key)
                .arg(1)
                .arg("NX")
                .arg("PX")
                .arg(RETENTION_MS)
                .query_async::<Option<String>>(&mut c)
                .await
        })
        .await
        .map(|set| set.is_some())
    }

    /// A message of the last `lookback` in the app's Redis Stream that `filter` takes and
    /// this process could claim (a wait that looks back, with a fleet).
    pub(crate) async fn look_back(
        &self,
        call: &Call,
        stream: &str,
        filter: &ReplyFilter,
        lookback: Duration,
    ) -> Option<Reply> {
        let from = format!("{}-0", now_ms().saturating_sub(u64::try_from(lookback.as_millis()).unwrap_or(u64::MAX)));
        let key = stream.to_string();
        let deadline = Instant::now() + super::COMMAND_TIMEOUT;
        let range: StreamRangeReply = self
            .run(call, deadline, move |mut c| async move {
                redis::cmd("XRANGE").arg(&key).arg(&from).arg("+").arg("COUNT").arg(1000).query_async(&mut c).await
            })
            .await?;
        for entry in range.ids {
            let Some((message_id, reply)) = field_text(&entry.map).as_deref().and_then(decode) else { continue };
            if filter.matches(&reply) && self.claim(call, stream, &message_id).await == Some(true) {
                return Some(reply);
            }
        }
        None
    }

    /// Makes sure this process reads the app's Redis Stream for `waiters` (one reader per
    /// stream, ending [`READER_GRACE`] after the last wait).
    pub(crate) fn follow(self: &Arc<Self>, stream: &str, waiters: Arc<dyn Waiters>) {
        static READING: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
        let reading = READING.get_or_init(Mutex::default);
        if !reading.lock().unwrap_or_else(|p| p.into_inner()).insert(stream.to_string()) {
            return;
        }
        let Ok(rt) = runtime() else {
            reading.lock().unwrap_or_else(|p| p.into_inner()).remove(stream);
            return;
        };
        let (fleet, stream) = (self.clone(), stream.to_string());
        rt.spawn(async move {
            fleet.read(&stream, waiters.as_ref()).await;
            reading.lock().unwrap_or_else(|p| p.into_inner()).remove(&stream);
        });
    }

    /// Reads the app's Redis Stream while waits go on here, claiming and handing over each
    /// message a wait here takes.
    async fn read(&self, stream: &str, waiters: &dyn Waiters) {
        let call = Call::new();
        let mut last = format!("{}-0", now_ms().saturating_sub(READ_FROM_BEFORE_MS));
        let mut idle_since: Option<Instant> = None;
        loop {
            if waiters.active() == 0 {
                let since = *idle_since.get_or_insert_with(Instant::now);
                if since.elapsed() >= READER_GRACE {
                    return;
                }
            } else {
                idle_since = None;
            }
            let (key, from) = (stream.to_string(), last.clone());
            let read = self
                .run_reading(&call, Duration::from_millis(BLOCK_MS as u64), move |mut c| async move {
                    let options = StreamReadOptions::default().block(BLOCK_MS).count(100);
                    redis::AsyncCommands::xread_options::<_, _, Option<StreamReadReply>>(
                        &mut c,
                        &[&key],
                        &[&from],
                        &options,
                    )
                    .await
                })
                .await;
            let Some(read) = read else {
                tokio::time::sleep(RETRY_AFTER).await;
                continue;
            };
            for entry in read.into_iter().flat_map(|r| r.keys).flat_map(|k| k.ids) {
                last = entry.id.clone();
                let Some((message_id, reply)) = field_text(&entry.map).as_deref().and_then(decode) else { continue };
                // Redis gone between the read and the claim: handed over here, as without a fleet.
                if waiters.wants(&reply) && self.claim(&call, stream, &message_id).await != Some(false) {
                    waiters.deliver(&message_id, reply);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_survives_the_stream_entry() {
        let reply = Reply {
            msg_type: "text".into(),
            text: "PO 123".into(),
            sender_user_id: "u1".into(),
            sender_nick: "Ann".into(),
            created_at_ms: 1_700_000_000_000,
            conversation_id: "c1".into(),
            group: true,
            message_id: "msg-1".into(),
            out_track_id: "track-1".into(),
            session_webhook: None,
            session_webhook_expires_ms: 0,
        };
        assert_eq!(decode(&encode("m-1", &reply)), Some(("m-1".to_string(), reply.clone())));
        // The chat's session webhook, a credential, never goes into Redis.
        let with_session = Reply {
            session_webhook: Some(crate::secret::Secret::new("http://127.0.0.1:1/robot/sendBySession?session=s")),
            session_webhook_expires_ms: 1,
            ..reply.clone()
        };
        assert!(!encode("m-1", &with_session).contains("session"));
        assert_eq!(decode(&encode("m-1", &with_session)), Some(("m-1".to_string(), reply)));
        assert_eq!(decode("not json"), None);
    }
}
