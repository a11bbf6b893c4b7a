//! Robot messages: what a user sends to the robot, as the CALLBACK data DingTalk pushes on
//! `/v1.0/im/bot/messages/get`, with every field of the shared notes.

use std::time::{Duration, SystemTime};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::BOT_MESSAGE_TOPIC;
use crate::error::EmulatorError;
use crate::record::unix_ms;
use crate::sessions::Session;
use crate::state::{Shared, UserStatus};

/// The fake org's corp id (`senderCorpId`, `chatbotCorpId`, a card callback's `corpId`).
pub(crate) const CORP_ID: &str = "dingemulatorcorp0000000000000001";

/// Where a user writes.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Chat<'a> {
    /// One-to-one with the robot of this app (`None`: the first configured app).
    OneToOne { app_key: Option<&'a str> },
    /// In this group, @-ing the robot of the first configured app that is in it.
    Group { open_conversation_id: &'a str },
}

/// What goes into one robot message.
#[derive(Debug, Clone)]
pub(crate) struct Said<'a> {
    /// Where it is written.
    pub(crate) chat: Chat<'a>,
    /// The robot written to.
    pub(crate) robot_code: &'a str,
    /// The writer, also their nick.
    pub(crate) user_id: &'a str,
    /// What they wrote.
    pub(crate) text: &'a str,
    /// The emulator's base URL, for the `sessionWebhook`.
    pub(crate) base_url: &'a str,
    /// The `session` of the `sessionWebhook`.
    pub(crate) session: &'a str,
    /// How long the `sessionWebhook` stays valid.
    pub(crate) session_ttl: Duration,
    /// When it was written (`createAt`).
    pub(crate) at: SystemTime,
}

/// A short stable id made of `parts`: standard base64 of a SHA-256 prefix.
fn stable_id(parts: &[&str]) -> String {
    use base64::Engine;
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    base64::engine::general_purpose::STANDARD.encode(&h.finalize()[..18])
}

/// An encrypted-looking DingTalk id (`senderId`, `chatbotUserId`), stable for `who`.
fn lwcp(who: &str) -> String {
    format!("$:LWCP_v1:${}", stable_id(&["lwcp", who]))
}

/// The data of a robot message, as DingTalk pushes it.
pub(crate) fn bot_message(s: &Said<'_>) -> Value {
    let created = unix_ms(s.at);
    let chatbot_user_id = lwcp(&format!("robot:{}", s.robot_code));
    let mut session_url = format!("{}/robot/sendBySession?session=", s.base_url);
    session_url.extend(form_urlencoded::byte_serialize(s.session.as_bytes()));
    let mut data = json!({
        "senderId": lwcp(&format!("user:{}", s.user_id)),
        "senderStaffId": s.user_id,
        "senderNick": s.user_id,
        "senderCorpId": CORP_ID,
        "isAdmin": false,
        "chatbotUserId": chatbot_user_id,
        "chatbotCorpId": CORP_ID,
        "robotCode": s.robot_code,
        "msgId": format!("msg{}", stable_id(&["msg", &crate::ids::trace_id()])),
        "createAt": created,
        "sessionWebhook": session_url,
        "sessionWebhookExpiredTime": created.saturating_add(u64::try_from(s.session_ttl.as_millis()).unwrap_or(u64::MAX)),
        "msgtype": "text",
        "text": {"content": s.text},
    });
    let extra = match s.chat {
        Chat::OneToOne { .. } => json!({
            // One conversation per user and robot, the same every time.
            "conversationId": format!("cid{}", stable_id(&["oto", s.robot_code, s.user_id])),
            "conversationType": "1",
            "isInAtList": false,
        }),
        Chat::Group { open_conversation_id } => json!({
            "conversationId": open_conversation_id,
            "conversationType": "2",
            "conversationTitle": open_conversation_id,
            "isInAtList": true,
            "atUsers": [{"dingtalkId": chatbot_user_id}],
        }),
    };
    if let (Some(obj), Value::Object(more)) = (data.as_object_mut(), extra) {
        obj.extend(more);
    }
    data
}

/// "User `user_id` sends `text` to the robot": builds the message, opens its
/// `sessionWebhook`, and pushes it to one open connection of the app. The messageId, or why it was not sent (no such user, group or app;
/// or no connection open, when the message is recorded as undelivered).
pub(crate) fn say(state: &Shared, chat: Chat<'_>, user_id: &str, text: &str) -> Result<String, EmulatorError> {
    if state.user_status(user_id) == UserStatus::Invalid {
        return Err(EmulatorError::UnknownUser(user_id.to_owned()));
    }
    let app_key = match chat {
        Chat::OneToOne { app_key: Some(key) } => key.to_owned(),
        Chat::OneToOne { app_key: None } => {
            state.first_app().ok_or_else(|| EmulatorError::UnknownApp(String::new()))?
        }
        Chat::Group { open_conversation_id } => state
            .app_in_group(open_conversation_id)
            .ok_or_else(|| EmulatorError::NoRobotInGroup(open_conversation_id.to_owned()))?,
    };
    let robot_code = state.robot_code(&app_key).ok_or_else(|| EmulatorError::UnknownApp(app_key.clone()))?;
    let session = crate::ids::session();
    let session_ttl = state.sessions.ttl();
    let at = SystemTime::now();
    let data = bot_message(&Said {
        chat,
        robot_code: &robot_code,
        user_id,
        text,
        base_url: &state.base_url,
        session: &session,
        session_ttl,
        at,
    });
    let text_of = |field: &str| data.get(field).and_then(serde_json::Value::as_str).unwrap_or_default().to_owned();
    let opened = Session {
        app_key: app_key.clone(),
        robot_code: robot_code.clone(),
        conversation_id: text_of("conversationId"),
        conversation_type: text_of("conversationType"),
        user_id: user_id.to_owned(),
        expires_at: at + session_ttl,
    };
    state.sessions.open(&session, opened);
    state
        .streams
        .push(&app_key, BOT_MESSAGE_TOPIC, data, &state.counters)
        .map_err(|message_id| EmulatorError::NoStreamConnection { app_key, message_id })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn said(chat: Chat<'_>, user: &'static str) -> Value {
        bot_message(&Said {
            chat,
            robot_code: "robot",
            user_id: user,
            text: "PO-1234 好的",
            base_url: "http://127.0.0.1:9",
            session: "0123abcd",
            session_ttl: Duration::from_secs(90 * 60),
            at: SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
        })
    }

    #[test]
    fn a_one_to_one_message_has_every_field() {
        let m = said(Chat::OneToOne { app_key: None }, "u1");
        for field in [
            "conversationId",
            "conversationType",
            "senderId",
            "senderStaffId",
            "senderNick",
            "senderCorpId",
            "isAdmin",
            "chatbotUserId",
            "chatbotCorpId",
            "robotCode",
            "msgId",
            "createAt",
            "isInAtList",
            "sessionWebhook",
            "sessionWebhookExpiredTime",
            "msgtype",
            "text",
        ] {
            assert!(m.get(field).is_some(), "{field} missing in {m}");
        }
        assert_eq!(m["conversationType"], "1");
        assert_eq!(m["senderStaffId"], "u1");
        assert_eq!(m["robotCode"], "robot");
        assert_eq!(m["createAt"], 1_700_000_000_000_u64);
        assert_eq!(m["sessionWebhookExpiredTime"], 1_700_000_000_000_u64 + 5_400_000);
        assert_eq!(m["text"]["content"], "PO-1234 好的");
        assert_eq!(m["sessionWebhook"], "http://127.0.0.1:9/robot/sendBySession?session=0123abcd");
        assert!(m["conversationId"].as_str().unwrap().starts_with("cid"));
        assert!(m.get("atUsers").is_none());
    }

    #[test]
    fn one_to_one_conversations_are_stable_per_user_and_messages_are_not() {
        let (a, b) = (said(Chat::OneToOne { app_key: None }, "u1"), said(Chat::OneToOne { app_key: None }, "u1"));
        let other = said(Chat::OneToOne { app_key: None }, "u2");
        assert_eq!(a["conversationId"], b["conversationId"]);
        assert_ne!(a["conversationId"], other["conversationId"]);
        assert_ne!(a["msgId"], b["msgId"]);
        assert_ne!(a["senderId"], other["senderId"]);
    }

    #[test]
    fn a_group_message_ats_the_robot() {
        let m = said(Chat::Group { open_conversation_id: "cidGROUP==" }, "u1");
        assert_eq!(m["conversationType"], "2");
        assert_eq!(m["conversationId"], "cidGROUP==");
        assert_eq!(m["isInAtList"], true);
        assert_eq!(m["atUsers"][0]["dingtalkId"], m["chatbotUserId"]);
    }
}
