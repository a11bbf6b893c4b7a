//! Robot messages in group chats: `groupMessages/send` and `groupMessages/recall`, with the
//! codes of DingTalk's "robot sends a group message" and "enterprise robot recalls internal
//! group messages" pages. The robot must have been added to the group.

use std::sync::Arc;
use std::time::SystemTime;

use axum::extract::State;
use axum::http::StatusCode;
use serde_json::json;

use super::robot::{check_message, msg_param_text, recall_each, recall_keys};
use super::{body_object, either, gate_new, refuse, req_str};
use crate::call::Call;
use crate::config::PERM_ROBOT_SEND;
use crate::faults::Endpoint;
use crate::ids;
use crate::record::DeliveredMessage;
use crate::reply::Reply;
use crate::state::{GroupAccess, Shared};
use crate::stats::Counters;

/// `POST /v1.0/robot/groupMessages/send` with `{msgParam, msgKey, openConversationId,
/// robotCode}` (and an optional `coolAppCode`, not checked here) -> `{processQueryKey}`.
pub(crate) async fn send(State(state): State<Arc<Shared>>, call: Call) -> Reply {
    either(send_inner(&state, &call))
}

fn send_inner(state: &Shared, call: &Call) -> Result<Reply, Reply> {
    let rid = &call.rid;
    let app = gate_new(state, call, Endpoint::GroupSend, PERM_ROBOT_SEND)?;
    let body = body_object(call)?;
    let msg_param = msg_param_text(body, rid)?;
    let msg_key = req_str(body, "msgKey", rid)?;
    let conversation = req_str(body, "openConversationId", rid)?;
    let robot_code = req_str(body, "robotCode", rid)?;
    if state.robot_code(&app).as_deref() != Some(robot_code) {
        return Err(refuse(
            "invalidParameter.robotCode.auth",
            "此应用appkey和机器人robotCode不匹配，请使用机器人应用的appkey",
            rid,
        ));
    }
    match state.group_access(conversation, robot_code) {
        GroupAccess::Member => {}
        GroupAccess::NoSuchGroup => return Err(refuse("invalid.openConversationId", "无效的openConversationId", rid)),
        GroupAccess::NotInGroup => {
            return Err(refuse("invalidParameter.robotCode.empty", "机器人robotCode无效，请检查机器人是否在群内", rid));
        }
    }
    let param = check_message(state, msg_key, msg_param, rid)?;
    let key = ids::process_query_key();
    Counters::bump(&state.counters.group_messages, 1);
    state.deliver(
        app,
        DeliveredMessage {
            process_query_key: key.clone(),
            robot_code: robot_code.to_owned(),
            msg_key: msg_key.to_owned(),
            msg_param: serde_json::Value::Object(param),
            user_ids: Vec::new(),
            open_conversation_id: Some(conversation.to_owned()),
            recalled: false,
            at: SystemTime::now(),
        },
    );
    Ok(Reply::json(StatusCode::OK, &json!({ "processQueryKey": key })))
}

/// `POST /v1.0/robot/groupMessages/recall` with `{openConversationId, robotCode,
/// processQueryKeys}` -> `{successResult, failedResult}`.
pub(crate) async fn recall(State(state): State<Arc<Shared>>, call: Call) -> Reply {
    either(recall_inner(&state, &call))
}

fn recall_inner(state: &Shared, call: &Call) -> Result<Reply, Reply> {
    let rid = &call.rid;
    let app = gate_new(state, call, Endpoint::GroupRecall, PERM_ROBOT_SEND)?;
    let body = body_object(call)?;
    let conversation = req_str(body, "openConversationId", rid)?;
    let robot_code = req_str(body, "robotCode", rid)?;
    let not_in_group = || refuse("invalidParameter.robotCode", "无效的robotCode，请检查机器人是否在群内", rid);
    if state.robot_code(&app).as_deref() != Some(robot_code) {
        return Err(not_in_group());
    }
    match state.group_access(conversation, robot_code) {
        GroupAccess::Member => {}
        GroupAccess::NoSuchGroup => {
            return Err(refuse(
                "invalid.openConversationId",
                "无效的openConversationId，请检查openConversationId是否正确",
                rid,
            ));
        }
        GroupAccess::NotInGroup => return Err(not_in_group()),
    }
    let keys = recall_keys(body, rid)?;
    Ok(recall_each(state, &app, robot_code, keys, Some(conversation)))
}
