//! A robot message's `sessionWebhook`: `POST /robot/sendBySession?session=..` with the custom
//! robots' message body (`{"msgtype": "text", "text": {"content"}}`, `markdown` with `title`
//! and `text`, and the other custom-robot types), answered in the old API's style. No token:
//! the session is the credential, valid until the message's `sessionWebhookExpiredTime`.

use std::sync::Arc;
use std::time::SystemTime;

use axum::extract::State;
use serde_json::Value;

use super::webhook::{check_fields, message};
use crate::call::Call;
use crate::reply::Reply;
use crate::sessions::SessionMessage;
use crate::state::Shared;
use crate::stats::Counters;

/// The answer to an unknown or expired session: errcode 300001, `session 不存在`, which is what
/// DingTalk answers once a `sessionWebhook` has expired (reported by its users; the open
/// platform's pages do not list it).
fn no_session(rid: &str) -> Reply {
    Reply::old(300001, "session 不存在", rid)
}

/// `POST /robot/sendBySession`.
pub(crate) async fn send(State(state): State<Arc<Shared>>, call: Call) -> Reply {
    super::either(send_inner(&state, &call))
}

fn send_inner(state: &Shared, call: &Call) -> Result<Reply, Reply> {
    let rid = &call.rid;
    let id = call.query_param("session").unwrap_or_default();
    let session = state.sessions.valid(&id).ok_or_else(|| no_session(rid))?;
    let body = message(call)?;
    let msgtype = body.get("msgtype").and_then(Value::as_str).unwrap_or_default().to_owned();
    check_fields(body, &msgtype, rid)?;
    Counters::bump(&state.counters.session_webhook_messages, 1);
    state.sessions.received.push(SessionMessage {
        session: id,
        app_key: session.app_key,
        robot_code: session.robot_code,
        conversation_id: session.conversation_id,
        conversation_type: session.conversation_type,
        user_id: session.user_id,
        msgtype,
        body: Value::Object(body.clone()),
        at: SystemTime::now(),
    });
    Ok(Reply::old(0, "ok", rid))
}
