//! The `sessionWebhook` of each robot message pushed on Stream: a URL on the emulator
//! (`/robot/sendBySession?session=...`) through which the robot may answer in that
//! conversation until `sessionWebhookExpiredTime`, and what was sent through it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use parking_lot::Mutex;
use serde::Serialize;

use crate::record::{Ring, ser_time};

/// Most sessions remembered; past it the expired ones are forgotten.
const MAX_SESSIONS: usize = 10_000;

/// Where a session's messages go: the conversation of the robot message that handed it out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Session {
    pub(crate) app_key: String,
    pub(crate) robot_code: String,
    /// `conversationId` of the robot message.
    pub(crate) conversation_id: String,
    /// `conversationType`: "1" one-to-one, "2" group.
    pub(crate) conversation_type: String,
    /// Who wrote the robot message.
    pub(crate) user_id: String,
    /// When the session ends (`sessionWebhookExpiredTime`).
    pub(crate) expires_at: SystemTime,
}

/// One message a robot sent through a `sessionWebhook`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionMessage {
    /// The `session` of the URL.
    pub session: String,
    /// The app whose robot got the message the session came with.
    pub app_key: String,
    /// Its robot.
    pub robot_code: String,
    /// The conversation answered in (`conversationId` of that message).
    pub conversation_id: String,
    /// `"1"` one-to-one, `"2"` group.
    pub conversation_type: String,
    /// Who wrote the message answered (in a one-to-one chat: who receives the answer).
    pub user_id: String,
    /// `text`, `markdown`, `link`, `actionCard` or `feedCard`.
    pub msgtype: String,
    /// The JSON body as received.
    pub body: serde_json::Value,
    /// When it was received (milliseconds since the Unix epoch when serialized).
    #[serde(serialize_with = "ser_time")]
    pub at: SystemTime,
}

/// Every session handed out, and what was sent through them.
#[derive(Debug)]
pub(crate) struct Sessions {
    ttl_ms: AtomicU64,
    live: Mutex<HashMap<String, Session>>,
    /// Every message sent through a session, oldest first.
    pub(crate) received: Ring<SessionMessage>,
}

impl Sessions {
    /// Sessions valid `ttl` after their message, recording at most `max_recorded` messages.
    pub(crate) fn new(ttl: Duration, max_recorded: usize) -> Self {
        let sessions =
            Sessions { ttl_ms: AtomicU64::new(0), live: Mutex::new(HashMap::new()), received: Ring::new(max_recorded) };
        sessions.set_ttl(ttl);
        sessions
    }

    /// How long sessions handed out from now on stay valid.
    pub(crate) fn set_ttl(&self, ttl: Duration) {
        self.ttl_ms.store(u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    /// How long a session handed out now stays valid.
    pub(crate) fn ttl(&self) -> Duration {
        Duration::from_millis(self.ttl_ms.load(Ordering::Relaxed))
    }

    /// Remembers a session handed out.
    pub(crate) fn open(&self, id: &str, session: Session) {
        let mut live = self.live.lock();
        if live.len() >= MAX_SESSIONS {
            let now = SystemTime::now();
            live.retain(|_, s| s.expires_at > now);
        }
        live.insert(id.to_owned(), session);
    }

    /// The session, while it is valid.
    pub(crate) fn valid(&self, id: &str) -> Option<Session> {
        self.live.lock().get(id).filter(|s| s.expires_at > SystemTime::now()).cloned()
    }

    /// Ends every session now; returns how many were still valid.
    pub(crate) fn expire_all(&self) -> usize {
        let now = SystemTime::now();
        let mut live = self.live.lock();
        let valid = live.values().filter(|s| s.expires_at > now).count();
        for s in live.values_mut() {
            s.expires_at = s.expires_at.min(now);
        }
        valid
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(expires_at: SystemTime) -> Session {
        Session {
            app_key: "k".into(),
            robot_code: "k".into(),
            conversation_id: "cid".into(),
            conversation_type: "1".into(),
            user_id: "u1".into(),
            expires_at,
        }
    }

    #[test]
    fn a_session_is_valid_until_it_expires() {
        let s = Sessions::new(Duration::from_secs(60), 10);
        assert_eq!(s.ttl(), Duration::from_secs(60));
        let later = SystemTime::now() + Duration::from_secs(60);
        s.open("a", session(later));
        s.open("b", session(SystemTime::now() - Duration::from_millis(1)));
        assert!(s.valid("a").is_some());
        assert!(s.valid("b").is_none(), "expired");
        assert!(s.valid("c").is_none(), "unknown");
        assert_eq!(s.expire_all(), 1);
        assert!(s.valid("a").is_none());
        s.set_ttl(Duration::from_millis(5));
        assert_eq!(s.ttl(), Duration::from_millis(5));
    }
}
