//! The DingTalk endpoints proper (what happens when no fault hits): one handler per route,
//! each taking a [`Call`].

pub(crate) mod card;
pub(crate) mod gateway;
pub(crate) mod group;
pub(crate) mod media;
pub(crate) mod robot;
pub(crate) mod session;
pub(crate) mod token;
pub(crate) mod user;
pub(crate) mod webhook;

use std::sync::{Arc, LazyLock};
use std::time::Instant;

use serde_json::{Map, Value};

use crate::call::{BodyTooLarge, Call, TOKEN_HEADER};
use crate::faults::Endpoint;
use crate::reply::Reply;
use crate::state::{Shared, TokenError};
use crate::stats::Counters;

/// The answer of a handler written with `?`: its refusals are answers too.
fn either(r: Result<Reply, Reply>) -> Reply {
    match r {
        Ok(r) | Err(r) => r,
    }
}

/// A new-API 400 with one of the endpoint's documented codes.
fn refuse(code: &str, message: &str, rid: &str) -> Reply {
    Reply::new_error(axum::http::StatusCode::BAD_REQUEST, code, message, rid)
}

/// Counts a throttled call and answers in the endpoint's generation, unless admitted.
fn admit(state: &Shared, app_key: &str, endpoint: Endpoint, rid: &str) -> Result<(), Reply> {
    if state.limiter.admit(app_key, endpoint, Instant::now()) {
        Ok(())
    } else {
        Counters::bump(&state.counters.throttled, 1);
        Err(Reply::throttled(endpoint.is_old_api(), rid))
    }
}

/// New-API gate: token header, then rate limit, then permission. Returns the app.
fn gate_new(state: &Shared, call: &Call, endpoint: Endpoint, permission: &str) -> Result<Arc<str>, Reply> {
    let token = call.header(TOKEN_HEADER).unwrap_or("");
    let app = state.check_token(token).map_err(|_| Reply::invalid_token(&call.rid))?;
    admit(state, &app, endpoint, &call.rid)?;
    if !state.has_permission(&app, permission) {
        return Err(Reply::permission_denied(permission, &call.rid));
    }
    Ok(app)
}

/// Old-API gate: `access_token` query, then rate limit, then permission.
fn gate_old(state: &Shared, call: &Call, endpoint: Endpoint, permission: &str) -> Result<Arc<str>, Reply> {
    let rid = &call.rid;
    let token = match call.query_param("access_token") {
        Some(t) if !t.is_empty() => t,
        _ => return Err(Reply::old(41001, "缺少access_token参数", rid)),
    };
    let app = state.check_token(&token).map_err(|e| match e {
        TokenError::Invalid => Reply::old(40014, "不合法的access_token", rid),
        TokenError::Expired => Reply::old(42001, "access_token超时", rid),
    })?;
    admit(state, &app, endpoint, rid)?;
    if !state.has_permission(&app, permission) {
        return Err(Reply::old(60011, &format!("没有调用该接口的权限，需要的权限: {permission}"), rid));
    }
    Ok(app)
}

/// The JSON object of a new-API body. A body that is not `application/json` reads as
/// empty (the gateway then reports the first missing parameter).
fn body_object(call: &Call) -> Result<&Map<String, Value>, Reply> {
    static EMPTY: LazyLock<Map<String, Value>> = LazyLock::new(Map::new);
    if let Err(BodyTooLarge) = call.body {
        return Err(Reply::invalid("请求体过大", &call.rid));
    }
    match call.body_json() {
        None => Ok(&EMPTY),
        Some(Ok(Value::Object(m))) => Ok(m),
        Some(_) => Err(Reply::invalid("请求体不是合法的JSON对象", &call.rid)),
    }
}

/// A required string field: `Missing<field>` when absent or null, `invalidParameter` when
/// not a string.
fn req_str<'a>(obj: &'a Map<String, Value>, field: &str, rid: &str) -> Result<&'a str, Reply> {
    match obj.get(field) {
        None | Some(Value::Null) => Err(Reply::missing(field, rid)),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(Reply::invalid(&format!("{field}必须是字符串"), rid)),
    }
}

/// A required array of strings.
fn req_str_list(obj: &Map<String, Value>, field: &str, rid: &str) -> Result<Vec<String>, Reply> {
    match obj.get(field) {
        None | Some(Value::Null) => Err(Reply::missing(field, rid)),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| match v {
                Value::String(s) => Ok(s.clone()),
                _ => Err(Reply::invalid(&format!("{field}的元素必须是字符串"), rid)),
            })
            .collect(),
        Some(_) => Err(Reply::invalid(&format!("{field}必须是字符串数组"), rid)),
    }
}
