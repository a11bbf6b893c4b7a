//! One-to-one robot messages: batchSend, readStatus, batchRecall.

use std::collections::HashSet;
use std::time::SystemTime;

use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use super::{body_object, gate_new, req_str, req_str_list};
use crate::config::PERM_ROBOT_SEND;
use crate::faults::Endpoint;
use crate::ids;
use crate::record::DeliveredMessage;
use crate::reply::Reply;
use crate::server::Call;
use crate::state::{LookupError, Shared, UserStatus};
use crate::stats::Counters;
use crate::templates;

/// Most receivers per batchSend.
pub(crate) const MAX_USER_IDS: usize = 20;

fn either(r: Result<Reply, Reply>) -> Reply {
    match r {
        Ok(r) | Err(r) => r,
    }
}

/// A 400 with one of batchSend's documented codes.
fn refuse(code: &str, message: &str, rid: &str) -> Reply {
    Reply::new_error(StatusCode::BAD_REQUEST, code, message, rid)
}

/// The "robot not found" error.
fn unknown_robot(rid: &str) -> Reply {
    Reply::new_error(StatusCode::BAD_REQUEST, "resource.not.found", "robot 不存在", rid)
}

/// Checks that `robot_code` is the robot of `app`.
fn check_robot(state: &Shared, app: &str, robot_code: &str, rid: &str) -> Result<(), Reply> {
    match state.robot_code(app) {
        Some(code) if code == robot_code => Ok(()),
        _ => Err(unknown_robot(rid)),
    }
}

/// `POST /v1.0/robot/oToMessages/batchSend`.
pub(super) fn batch_send(state: &Shared, call: &Call) -> Reply {
    either(batch_send_inner(state, call))
}

fn batch_send_inner(state: &Shared, call: &Call) -> Result<Reply, Reply> {
    let rid = &call.rid;
    let app = gate_new(state, call, Endpoint::BatchSend, PERM_ROBOT_SEND)?;
    let body = body_object(call)?;
    let robot_code = req_str(body, "robotCode", rid)?;
    let user_ids = req_str_list(body, "userIds", rid)?;
    let msg_key = req_str(body, "msgKey", rid)?;
    let msg_param = match body.get("msgParam") {
        None | Some(Value::Null) => return Err(Reply::missing("msgParam", rid)),
        Some(Value::String(s)) => s.as_str(),
        Some(_) => {
            return Err(Reply::invalid("msgParam必须是JSON格式的字符串（JSON对象序列化后的字符串）", rid));
        }
    };
    check_robot(state, &app, robot_code, rid)?;
    if user_ids.is_empty() {
        return Err(Reply::invalid("userIds不能为空", rid));
    }
    if user_ids.len() > MAX_USER_IDS {
        return Err(Reply::invalid(&format!("userIds的数量不能超过{MAX_USER_IDS}个"), rid));
    }
    if !templates::is_known(msg_key) {
        return Err(refuse(
            "invalidParameter.msgKey.invalid",
            &format!("msgKey无效，请传入正确的msgKey: {msg_key}"),
            rid,
        ));
    }
    if msg_param.len() > templates::MAX_MSG_PARAM_BYTES {
        return Err(refuse("invalidParameter.msgParam.tooLong", "消息内容太长，请缩减内容长度", rid));
    }
    let param: Map<String, Value> = match serde_json::from_str::<Value>(msg_param) {
        Ok(Value::Object(m)) => m,
        _ => return Err(refuse("invalidParameter.msgParam.invalid", "msgParam格式非法，必须是json格式", rid)),
    };
    templates::check(msg_key, &param, &|id| state.media_type(id)).map_err(|r| refuse(r.code, &r.message, rid))?;

    let mut seen = HashSet::new();
    let (mut delivered, mut invalid, mut flow) = (Vec::new(), Vec::new(), Vec::new());
    for u in user_ids {
        if !seen.insert(u.clone()) {
            continue;
        }
        match state.user_status(&u) {
            UserStatus::Ok => delivered.push(u),
            UserStatus::Invalid => invalid.push(u),
            UserStatus::FlowControlled => flow.push(u),
        }
    }
    let key = ids::process_query_key();
    Counters::bump(&state.counters.messages, delivered.len() as u64);
    state.counters.count_template(msg_key, delivered.len() as u64);
    state.deliver(
        app,
        DeliveredMessage {
            process_query_key: key.clone(),
            robot_code: robot_code.to_owned(),
            msg_key: msg_key.to_owned(),
            msg_param: Value::Object(param),
            user_ids: delivered,
            recalled: false,
            at: SystemTime::now(),
        },
    );
    Ok(Reply::json(
        StatusCode::OK,
        &json!({
            "processQueryKey": key,
            "invalidStaffIdList": invalid,
            "flowControlledStaffIdList": flow,
        }),
    ))
}

/// `GET /v1.0/robot/oToMessages/readStatus?robotCode=..&processQueryKey=..`.
pub(super) fn read_status(state: &Shared, call: &Call) -> Reply {
    either(read_status_inner(state, call))
}

fn read_status_inner(state: &Shared, call: &Call) -> Result<Reply, Reply> {
    let rid = &call.rid;
    let app = gate_new(state, call, Endpoint::ReadStatus, PERM_ROBOT_SEND)?;
    let key = call.query_param("processQueryKey").unwrap_or_default();
    if key.is_empty() {
        return Err(Reply::missing("processQueryKey", rid));
    }
    let robot_code = call.query_param("robotCode").unwrap_or_default();
    if robot_code.is_empty() {
        return Err(Reply::missing("robotCode", rid));
    }
    check_robot(state, &app, &robot_code, rid)?;
    let info = state.read_info(&app, &robot_code, &key).map_err(|e| lookup_error(e, rid))?;
    let list: Vec<Value> = info
        .users
        .iter()
        .map(|(user, read)| {
            json!({
                "name": user,
                "userId": user,
                "readStatus": if read.is_some() { "READ" } else { "UNREAD" },
                "readTimestamp": read.unwrap_or(0),
            })
        })
        .collect();
    let status = if info.recalled { "RECALLED" } else { "SUCCESS" };
    Ok(Reply::json(StatusCode::OK, &json!({"sendStatus": status, "messageReadInfoList": list})))
}

fn lookup_error(e: LookupError, rid: &str) -> Reply {
    match e {
        LookupError::NotFound => Reply::invalid("processQueryKey不存在", rid),
        LookupError::OtherRobot => Reply::invalid("processQueryKey不属于该机器人", rid),
    }
}

/// `POST /v1.0/robot/otoMessages/batchRecall` with `{"robotCode","processQueryKeys"}`.
pub(super) fn batch_recall(state: &Shared, call: &Call) -> Reply {
    either(batch_recall_inner(state, call))
}

fn batch_recall_inner(state: &Shared, call: &Call) -> Result<Reply, Reply> {
    let rid = &call.rid;
    let app = gate_new(state, call, Endpoint::BatchRecall, PERM_ROBOT_SEND)?;
    let body = body_object(call)?;
    let robot_code = req_str(body, "robotCode", rid)?;
    let keys = req_str_list(body, "processQueryKeys", rid)?;
    check_robot(state, &app, robot_code, rid)?;
    if keys.is_empty() {
        return Err(Reply::invalid("processQueryKeys不能为空", rid));
    }
    let mut success = Vec::new();
    let mut failed = Map::new();
    for k in keys {
        match state.recall(&app, robot_code, &k) {
            Ok(()) => success.push(Value::String(k)),
            Err(LookupError::NotFound) => {
                failed.insert(k, Value::String("processQueryKey不存在".to_owned()));
            }
            Err(LookupError::OtherRobot) => {
                failed.insert(k, Value::String("processQueryKey不属于该机器人".to_owned()));
            }
        }
    }
    Ok(Reply::json(StatusCode::OK, &json!({"successResult": success, "failedResult": failed})))
}
