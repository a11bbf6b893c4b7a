//! Old-API `POST /topapi/v2/user/getbymobile?access_token=..` with `{"mobile": "..."}` (its
//! field table) or a form body `mobile=...` (its curl sample): the user ID of an employee.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::gate_old;
use crate::call::Call;
use crate::config::PERM_MEMBER_BY_MOBILE;
use crate::faults::Endpoint;
use crate::reply::Reply;
use crate::state::Shared;

/// `POST /topapi/v2/user/getbymobile`.
pub(crate) async fn get_by_mobile(State(state): State<Arc<Shared>>, call: Call) -> Reply {
    let (state, call) = (&*state, &call);
    let rid = &call.rid;
    if let Err(r) = gate_old(state, call, Endpoint::GetByMobile, PERM_MEMBER_BY_MOBILE) {
        return r;
    }
    let mobile = match mobile_param(call) {
        Some(m) if !m.trim().is_empty() => m,
        _ => return Reply::old(400002, "无效的参数", rid),
    };
    if !looks_like_a_mobile(&mobile) {
        return Reply::old(40104, "企业中无效的手机号", rid);
    }
    let Some(user_id) = state.user_by_mobile(&mobile) else {
        return Reply::old(60121, "未找到该用户", rid);
    };
    let errcode = if state.errcode_as_text { json!("0") } else { json!(0) };
    Reply::json(
        StatusCode::OK,
        &json!({
            "errcode": errcode,
            "errmsg": "ok",
            "result": {"userid": user_id, "exclusive_account": false},
            "request_id": rid,
        }),
    )
}

/// The `mobile` of a JSON or form body.
fn mobile_param(call: &Call) -> Option<String> {
    if let Some(Ok(Value::Object(body))) = call.body_json() {
        return body.get("mobile").and_then(Value::as_str).map(str::to_owned);
    }
    let Ok(body) = &call.body else { return None };
    form_urlencoded::parse(body).find(|(k, _)| k == "mobile").map(|(_, v)| v.into_owned())
}

/// Digits with an optional leading `+` and `-` between groups (`+852-61234567`), 5 to 20
/// digits in all.
fn looks_like_a_mobile(m: &str) -> bool {
    let rest = m.strip_prefix('+').unwrap_or(m);
    let digits = rest.bytes().filter(u8::is_ascii_digit).count();
    rest.bytes().all(|b| b.is_ascii_digit() || b == b'-')
        && !rest.starts_with('-')
        && !rest.ends_with('-')
        && (5..=20).contains(&digits)
}
