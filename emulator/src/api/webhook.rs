//! The custom (webhook) robot: `POST /robot/send?access_token=..[&timestamp=..&sign=..]` with
//! `{"msgtype": "...", "<msgtype>": {...}, "at": {...}}`, checked as DingTalk checks it: the
//! token, a ban from sending too fast, the signature and its timestamp (within an hour of the
//! server's clock), the IP allow-list, the message's fields (case-sensitive, text values), the
//! security keywords, then 20 messages a minute (the 21st bans the robot for 10 minutes).

use std::sync::Arc;
use std::time::Instant;

use axum::extract::State;
use serde_json::{Map, Value};

use crate::call::{BodyTooLarge, Call};
use crate::reply::Reply;
use crate::state::Shared;
use crate::stats::Counters;
use crate::webhook::{GroupMessage, TIMESTAMP_WINDOW_MS, signature};

/// What DingTalk appends to its custom-robot error messages.
const MORE: &str = ", more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]";

/// 410100: sent too fast (also the answer while the robot is banned).
pub(crate) fn too_fast(rid: &str) -> Reply {
    Reply::old(410100, "send too fast, exceed 20 times per minute", rid)
}

/// 310000: a security setting refused the message.
fn security(what: &str, rid: &str) -> Reply {
    Reply::old(310000, &format!("{what}{MORE}"), rid)
}

/// 310000 for an address not on the allow-list.
pub(crate) fn ip_not_allowed(ip: &str, rid: &str) -> Reply {
    security(&format!("ip {ip} not in whitelist"), rid)
}

/// `POST /robot/send`.
pub(crate) async fn robot_send(State(state): State<Arc<Shared>>, call: Call) -> Reply {
    super::either(send(&state, &call))
}

fn send(state: &Shared, call: &Call) -> Result<Reply, Reply> {
    let rid = &call.rid;
    let hooks = &state.webhooks;
    let token = call.query_param("access_token").unwrap_or_default();
    let robot = hooks.robot(&token).ok_or_else(|| Reply::old(300001, "token is not exist", rid))?;
    let now = Instant::now();
    if hooks.banned(&token, now) {
        Counters::bump(&state.counters.throttled, 1);
        return Err(too_fast(rid));
    }
    if let Some(secret) = &robot.secret {
        let timestamp = call.query_param("timestamp").unwrap_or_default();
        let server_ms = i64::try_from(crate::record::unix_ms(hooks.now())).unwrap_or(i64::MAX);
        match timestamp.parse::<i64>() {
            Ok(ts) if (server_ms - ts).abs() <= TIMESTAMP_WINDOW_MS => {}
            _ => return Err(security("invalid timestamp", rid)),
        }
        if call.query_param("sign").unwrap_or_default() != signature(secret, &timestamp) {
            return Err(security("sign not match", rid));
        }
    }
    if !robot.ip_allowed(call.peer) {
        let ip = call.peer.map(|ip| ip.to_string()).unwrap_or_default();
        return Err(ip_not_allowed(&ip, rid));
    }
    let body = message(call)?;
    let msgtype = body.get("msgtype").and_then(Value::as_str).unwrap_or_default().to_owned();
    let words = check_fields(body, &msgtype, rid)?;
    if !robot.keywords.is_empty() && !robot.keywords.iter().any(|k| words.iter().any(|w| w.contains(k.as_str()))) {
        return Err(security("keywords not in content", rid));
    }
    if !hooks.admit(&token, now) {
        Counters::bump(&state.counters.throttled, 1);
        Counters::bump(&state.counters.webhook_bans, 1);
        return Err(too_fast(rid));
    }
    Counters::bump(&state.counters.webhook_messages, 1);
    hooks.received.push(GroupMessage {
        group: robot.group.clone(),
        msgtype,
        body: Value::Object(body.clone()),
        at: std::time::SystemTime::now(),
    });
    Ok(Reply::old(0, "ok", rid))
}

/// The JSON object of the body: 43004 when it is not JSON, 40035 when it is missing (also the
/// checks of a `sessionWebhook` message).
pub(super) fn message(call: &Call) -> Result<&Map<String, Value>, Reply> {
    let rid = &call.rid;
    if let Err(BodyTooLarge) = call.body {
        return Err(Reply::old(40035, "缺少参数 json", rid));
    }
    let is_empty = call.body.as_ref().is_ok_and(|b| b.is_empty());
    match call.body_json() {
        Some(Ok(Value::Object(m))) => Ok(m),
        None if !is_empty => Err(Reply::old(43004, "无效的HTTP HEADER Content-Type", rid)),
        _ => Err(Reply::old(40035, "缺少参数 json", rid)),
    }
}

/// Checks the message object of `msgtype` field by field (names are case-sensitive, values
/// text) and returns the words a keyword may be found in.
pub(super) fn check_fields(body: &Map<String, Value>, msgtype: &str, rid: &str) -> Result<Vec<String>, Reply> {
    let missing = |path: &str| Reply::old(40035, &format!("缺少参数 {path}"), rid);
    let unsupported = || Reply::old(400105, "不支持的消息类型", rid);
    let object = |v: Option<&Value>, path: &str| -> Result<Map<String, Value>, Reply> {
        match v {
            Some(Value::Object(m)) => Ok(m.clone()),
            _ => Err(missing(path)),
        }
    };
    let text = |m: &Map<String, Value>, key: &str, path: &str| -> Result<String, Reply> {
        match m.get(key) {
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.clone()),
            _ => Err(missing(&format!("{path}.{key}"))),
        }
    };
    let list = |m: &Map<String, Value>, key: &str, path: &str| -> Result<Vec<Map<String, Value>>, Reply> {
        match m.get(key) {
            Some(Value::Array(items)) if !items.is_empty() => items
                .iter()
                .map(|i| match i {
                    Value::Object(o) => Ok(o.clone()),
                    _ => Err(missing(&format!("{path}.{key}"))),
                })
                .collect(),
            _ => Err(missing(&format!("{path}.{key}"))),
        }
    };
    if let Some(at) = body.get("at") {
        check_at(at).map_err(|what| Reply::old(40035, &format!("参数错误 at.{what}"), rid))?;
    }
    let m = match msgtype {
        "text" | "markdown" | "link" | "actionCard" | "feedCard" => object(body.get(msgtype), msgtype)?,
        _ => return Err(unsupported()),
    };
    let mut words = Vec::new();
    match msgtype {
        "text" => words.push(text(&m, "content", "text")?),
        "markdown" => {
            words.push(text(&m, "title", "markdown")?);
            words.push(text(&m, "text", "markdown")?);
        }
        "link" => {
            words.push(text(&m, "title", "link")?);
            words.push(text(&m, "text", "link")?);
            text(&m, "messageUrl", "link")?;
        }
        "actionCard" => {
            words.push(text(&m, "title", "actionCard")?);
            words.push(text(&m, "text", "actionCard")?);
            if m.contains_key("singleTitle") || m.contains_key("singleURL") {
                words.push(text(&m, "singleTitle", "actionCard")?);
                text(&m, "singleURL", "actionCard")?;
            } else {
                for b in list(&m, "btns", "actionCard")? {
                    words.push(text(&b, "title", "actionCard.btns")?);
                    text(&b, "actionURL", "actionCard.btns")?;
                }
            }
            if let Some(o) = m.get("btnOrientation") {
                if !matches!(o.as_str(), Some("0" | "1")) {
                    return Err(Reply::old(40035, "参数错误 actionCard.btnOrientation", rid));
                }
            }
        }
        _ => {
            for link in list(&m, "links", "feedCard")? {
                words.push(text(&link, "title", "feedCard.links")?);
                text(&link, "messageURL", "feedCard.links")?;
                text(&link, "picURL", "feedCard.links")?;
            }
        }
    }
    Ok(words)
}

/// `at`: `atMobiles` and `atUserIds` lists of text (at most 50 people), `isAtAll` true/false.
fn check_at(at: &Value) -> Result<(), &'static str> {
    let Value::Object(at) = at else { return Err("at") };
    let mut people = 0;
    for key in ["atMobiles", "atUserIds"] {
        match at.get(key) {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) if items.iter().all(Value::is_string) => people += items.len(),
            Some(_) => return Err(if key == "atMobiles" { "atMobiles" } else { "atUserIds" }),
        }
    }
    if !matches!(at.get("isAtAll"), None | Some(Value::Null | Value::Bool(_))) {
        return Err("isAtAll");
    }
    if people > 50 {
        return Err("atUserIds");
    }
    Ok(())
}
