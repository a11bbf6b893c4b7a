//! Stream mode's gateway: `POST /v1.0/gateway/connections/open`.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use super::{admit, body_object, req_str};
use crate::call::Call;
use crate::faults::Endpoint;
use crate::reply::Reply;
use crate::state::Shared;
use crate::stream::Subscription;

/// `POST /v1.0/gateway/connections/open` with `{"clientId","clientSecret","subscriptions":
/// [{"type","topic"}],"ua","localIp"}`: `{"endpoint","ticket"}`, the ticket opening one
/// connection within its lifetime. Wrong credentials: HTTP 400 `invalidClientIdOrSecret`, as
/// the token endpoint answers.
pub(crate) async fn open(State(state): State<Arc<Shared>>, call: Call) -> Reply {
    super::either(open_inner(&state, &call))
}

fn open_inner(state: &Shared, call: &Call) -> Result<Reply, Reply> {
    let rid = &call.rid;
    let body = body_object(call)?;
    let id = req_str(body, "clientId", rid)?;
    let secret = req_str(body, "clientSecret", rid)?;
    let subscriptions = subscriptions(body, rid)?;
    for optional in ["ua", "localIp"] {
        if body.get(optional).is_some_and(|v| !v.is_string() && !v.is_null()) {
            return Err(Reply::invalid(&format!("{optional}必须是字符串"), rid));
        }
    }
    admit(state, id, Endpoint::StreamOpen, rid)?;
    if !state.credentials_ok(id, secret) {
        return Err(Reply::new_error(
            StatusCode::BAD_REQUEST,
            "invalidClientIdOrSecret",
            "无效的clientId或者clientSecret",
            rid,
        ));
    }
    let ticket = state.streams.issue_ticket(id, subscriptions);
    Ok(Reply::json(StatusCode::OK, &json!({"endpoint": state.streams.endpoint(), "ticket": ticket})))
}

/// `subscriptions`: a non-empty array of `{"type": "EVENT"|"CALLBACK"|"SYSTEM", "topic"}`.
fn subscriptions(body: &Map<String, Value>, rid: &str) -> Result<Vec<Subscription>, Reply> {
    let items = match body.get("subscriptions") {
        None | Some(Value::Null) => return Err(Reply::missing("subscriptions", rid)),
        Some(Value::Array(items)) if !items.is_empty() => items,
        Some(Value::Array(_)) => return Err(Reply::invalid("subscriptions不能为空", rid)),
        Some(_) => return Err(Reply::invalid("subscriptions必须是数组", rid)),
    };
    items
        .iter()
        .map(|item| {
            let sub: Subscription = serde_json::from_value(item.clone())
                .map_err(|_| Reply::invalid("subscriptions的元素必须是{\"type\",\"topic\"}", rid))?;
            if !matches!(sub.kind.as_str(), "EVENT" | "CALLBACK" | "SYSTEM") || sub.topic.is_empty() {
                return Err(Reply::invalid("subscriptions的type须为EVENT、CALLBACK或SYSTEM，topic不能为空", rid));
            }
            Ok(sub)
        })
        .collect()
}
