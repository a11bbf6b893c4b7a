//! One-to-one robot messages: batchSend, readStatus, batchRecall (and the checks of a
//! template message that group sends share).

use std::collections::HashSet;
use std::sync::Arc;
use std::time::SystemTime;

use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use super::{body_object, either, gate_new, refuse, req_str, req_str_list};
use crate::call::Call;
use crate::config::{MAX_RECALL_KEYS, PERM_ROBOT_SEND};
use crate::faults::Endpoint;
use crate::ids;
use crate::record::DeliveredMessage;
use crate::reply::Reply;
use crate::state::{LookupError, Shared, UserStatus};
use crate::stats::Counters;
use crate::templates;

/// Most receivers per batchSend.
pub(crate) const MAX_USER_IDS: usize = 20;

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
pub(crate) async fn batch_send(State(state): State<Arc<Shared>>, call: Call) -> Reply {
    either(batch_send_inner(&state, &call))
}

fn batch_send_inner(state: &Shared, call: &Call) -> Result<Reply, Reply> {
    let rid = &call.rid;
    let app = gate_new(state, call, Endpoint::BatchSend, PERM_ROBOT_SEND)?;
    let body = body_object(call)?;
    let robot_code = req_str(body, "robotCode", rid)?;
    let user_ids = req_str_list(body, "userIds", rid)?;
    let msg_key = req_str(body, "msgKey", rid)?;
    let msg_param = msg_param_text(body, rid)?;
    check_robot(state, &app, robot_code, rid)?;
    if user_ids.is_empty() {
        return Err(Reply::invalid("userIds不能为空", rid));
    }
    if user_ids.len() > MAX_USER_IDS {
        return Err(Reply::invalid(&format!("userIds的数量不能超过{MAX_USER_IDS}个"), rid));
    }
    let param = check_message(state, msg_key, msg_param, rid)?;
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
            open_conversation_id: None,
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

/// A template message's `msgKey` and `msgParam` text, checked as batchSend and group send
/// check them: a known template, at most 15,000 bytes, a JSON object with the template's
/// fields. Returns the parsed parameters.
pub(super) fn check_message(
    state: &Shared,
    msg_key: &str,
    msg_param: &str,
    rid: &str,
) -> Result<Map<String, Value>, Reply> {
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
    Ok(param)
}

/// `msgParam`: required, and a string (JSON text), not an object.
pub(super) fn msg_param_text<'a>(body: &'a Map<String, Value>, rid: &str) -> Result<&'a str, Reply> {
    match body.get("msgParam") {
        None | Some(Value::Null) => Err(Reply::missing("msgParam", rid)),
        Some(Value::String(s)) => Ok(s.as_str()),
        Some(_) => Err(Reply::invalid("msgParam必须是JSON格式的字符串（JSON对象序列化后的字符串）", rid)),
    }
}

/// `GET /v1.0/robot/oToMessages/readStatus?robotCode=..&processQueryKey=..`.
pub(crate) async fn read_status(State(state): State<Arc<Shared>>, call: Call) -> Reply {
    either(read_status_inner(&state, &call))
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
    let status = match (info.recalled, state.send_status_as_sample) {
        (true, _) => "RECALLED",
        (false, false) => "SUCCESS",
        (false, true) => "SUCESS",
    };
    Ok(Reply::json(StatusCode::OK, &json!({"sendStatus": status, "messageReadInfoList": list})))
}

/// readStatus's refusal of a key, with the read-status page's codes.
fn lookup_error(e: LookupError, rid: &str) -> Reply {
    match e {
        LookupError::NotFound => {
            refuse("invalid.processQueryKey", "无效的processQueryKey，请检查processQueryKey是否正确", rid)
        }
        LookupError::OtherRobot => {
            refuse("invalidParameter.robotCode.invalid", "processQueryKey不是该robotCode对应的机器人发出的", rid)
        }
        LookupError::Expired => {
            refuse("processQueryKey.expireTime", "processQueryKey还未生成消息查询数据或已过期，无法查询消息", rid)
        }
    }
}

/// Why one key of a recall failed, as `failedResult` says it.
pub(super) fn recall_failure(e: LookupError) -> &'static str {
    match e {
        LookupError::NotFound => "无效的processQueryKey，请检查processQueryKey是否正确",
        LookupError::OtherRobot => "待撤回的消息不是robotCode对应的机器人发出的，无权限撤回消息",
        LookupError::Expired => "processQueryKey已过期，无法撤回消息",
    }
}

/// A recall's key list: not empty, at most [`MAX_RECALL_KEYS`].
pub(super) fn recall_keys(body: &Map<String, Value>, rid: &str) -> Result<Vec<String>, Reply> {
    let keys = req_str_list(body, "processQueryKeys", rid)?;
    if keys.is_empty() {
        return Err(refuse("invalidParameter.param.invalid", "参数不合法，请检查参数是否为空", rid));
    }
    if keys.len() > MAX_RECALL_KEYS {
        return Err(refuse(
            "invalidParameter.processQueryKeys.overMax",
            &format!(
                "processQueryKeys超过数量上限{MAX_RECALL_KEYS}，请将processQueryKeys拆分成多个长度不超过{MAX_RECALL_KEYS}的数组，分批次调用此接口"
            ),
            rid,
        ));
    }
    Ok(keys)
}

/// Recalls each key in the conversation `group` (`None`: one-to-one): the answer both
/// recall endpoints give.
pub(super) fn recall_each(
    state: &Shared,
    app: &str,
    robot_code: &str,
    keys: Vec<String>,
    group: Option<&str>,
) -> Reply {
    let mut success = Vec::new();
    let mut failed = Map::new();
    for k in keys {
        match state.recall(app, robot_code, &k, group) {
            Ok(()) => success.push(Value::String(k)),
            Err(e) => {
                failed.insert(k, Value::String(recall_failure(e).to_owned()));
            }
        }
    }
    Reply::json(StatusCode::OK, &json!({"successResult": success, "failedResult": failed}))
}

/// `POST /v1.0/robot/otoMessages/batchRecall` with `{"robotCode","processQueryKeys"}`.
pub(crate) async fn batch_recall(State(state): State<Arc<Shared>>, call: Call) -> Reply {
    either(batch_recall_inner(&state, &call))
}

fn batch_recall_inner(state: &Shared, call: &Call) -> Result<Reply, Reply> {
    let rid = &call.rid;
    let app = gate_new(state, call, Endpoint::BatchRecall, PERM_ROBOT_SEND)?;
    let body = body_object(call)?;
    let robot_code = req_str(body, "robotCode", rid)?;
    check_robot(state, &app, robot_code, rid)?;
    let keys = recall_keys(body, rid)?;
    Ok(recall_each(state, &app, robot_code, keys, None))
}
