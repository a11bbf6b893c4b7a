//! Access tokens: new `POST /v1.0/oauth2/accessToken`, old `GET /gettoken`.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use serde_json::json;

use super::{admit, body_object, req_str};
use crate::call::Call;
use crate::faults::Endpoint;
use crate::reply::Reply;
use crate::state::Shared;

/// `POST /v1.0/oauth2/accessToken` with `{"appKey","appSecret"}`.
pub(crate) async fn new_token(State(state): State<Arc<Shared>>, call: Call) -> Reply {
    super::either(new_token_inner(&state, &call))
}

fn new_token_inner(state: &Shared, call: &Call) -> Result<Reply, Reply> {
    let rid = &call.rid;
    let body = body_object(call)?;
    let key = req_str(body, "appKey", rid)?;
    let secret = req_str(body, "appSecret", rid)?;
    admit(state, key, Endpoint::Token, rid)?;
    if !state.credentials_ok(key, secret) {
        return Err(Reply::new_error(
            StatusCode::BAD_REQUEST,
            "invalidClientIdOrSecret",
            "无效的clientId或者clientSecret",
            rid,
        ));
    }
    let (token, expire_in) = state.issue_token(key);
    Ok(Reply::json(StatusCode::OK, &json!({"accessToken": token, "expireIn": expire_in})))
}

/// `GET /gettoken?appkey=..&appsecret=..`.
pub(crate) async fn old_token(State(state): State<Arc<Shared>>, call: Call) -> Reply {
    let (state, call) = (&*state, &call);
    let rid = &call.rid;
    let key = call.query_param("appkey").unwrap_or_default();
    let secret = call.query_param("appsecret").unwrap_or_default();
    if let Err(r) = admit(state, &key, Endpoint::GetToken, rid) {
        return r;
    }
    if key.is_empty() || !state.credentials_ok(&key, &secret) {
        return Reply::old(40089, "不合法的corpid或corpsecret", rid);
    }
    let (token, expires_in) = state.issue_token(&key);
    Reply::json(StatusCode::OK, &json!({"errcode": 0, "access_token": token, "errmsg": "ok", "expires_in": expires_in}))
}
