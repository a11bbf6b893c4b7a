//! Interactive cards: `POST /v1.0/card/instances/createAndDeliver` and `PUT
//! /v1.0/card/instances`, with the fields of the official SDK's `card_1_0` models, checked
//! strictly: a field the SDK does not know is refused (a typo would be silently ignored by
//! DingTalk, and the card would not be what the caller meant).
//!
//! Error codes: DingTalk's card service answers `param.*` codes (`param.templateUnpublished`
//! is seen in the wild); the codes below are of that family, each message naming the field or
//! value at fault. Missing fields answer the gateway's own `Missing<field>`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::SystemTime;

use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use super::{body_object, either, gate_new, refuse};
use crate::call::Call;
use crate::cards::{Card, CardSpace, CardUpdate, CardUpdateSource};
use crate::config::PERM_CARD_WRITE;
use crate::faults::Endpoint;
use crate::reply::Reply;
use crate::state::{GroupAccess, Shared, UserStatus};

/// The fields of the SDK's `CreateAndDeliverRequest`.
const CREATE_FIELDS: [&str; 22] = [
    "callbackRouteKey",
    "callbackType",
    "cardAtUserIds",
    "cardData",
    "cardTemplateId",
    "coFeedOpenDeliverModel",
    "coFeedOpenSpaceModel",
    "docOpenDeliverModel",
    "imGroupOpenDeliverModel",
    "imGroupOpenSpaceModel",
    "imRobotOpenDeliverModel",
    "imRobotOpenSpaceModel",
    "imSingleOpenDeliverModel",
    "imSingleOpenSpaceModel",
    "openDynamicDataConfig",
    "openSpaceId",
    "outTrackId",
    "privateData",
    "topOpenDeliverModel",
    "topOpenSpaceModel",
    "userId",
    "userIdType",
];
/// The fields of the SDK's `UpdateCardRequest`.
const UPDATE_FIELDS: [&str; 5] = ["cardData", "cardUpdateOptions", "outTrackId", "privateData", "userIdType"];
/// What every `openSpaceId` starts with.
const SPACE_PREFIX: &str = "dtv1.card//";

/// A refused value of a field: `param.invalid`, naming it.
fn invalid(field: &str, what: &str, rid: &str) -> Reply {
    refuse("param.invalid", &format!("{field}: {what}"), rid)
}

/// No field outside `known`.
fn only_known(body: &Map<String, Value>, known: &[&str], rid: &str) -> Result<(), Reply> {
    match body.keys().find(|k| !known.contains(&k.as_str())) {
        Some(unknown) => Err(invalid(unknown, "未知参数（字段名区分大小写）", rid)),
        None => Ok(()),
    }
}

/// A required text field that must not be empty.
fn req_text<'a>(body: &'a Map<String, Value>, field: &str, rid: &str) -> Result<&'a str, Reply> {
    req_text_at(body, field, field, rid)
}

/// [`req_text`] of a nested object, the field named `path` in errors.
fn req_text_at<'a>(obj: &'a Map<String, Value>, field: &str, path: &str, rid: &str) -> Result<&'a str, Reply> {
    match obj.get(field) {
        None | Some(Value::Null) => Err(Reply::missing(path, rid)),
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s),
        Some(Value::String(_)) => Err(invalid(path, "不能为空", rid)),
        Some(_) => Err(invalid(path, "必须是字符串", rid)),
    }
}

/// A required object field (named `path` in errors).
fn req_object<'a>(
    body: &'a Map<String, Value>,
    field: &str,
    path: &str,
    rid: &str,
) -> Result<&'a Map<String, Value>, Reply> {
    match body.get(field) {
        None | Some(Value::Null) => Err(Reply::missing(path, rid)),
        Some(Value::Object(m)) => Ok(m),
        Some(_) => Err(invalid(path, "必须是对象", rid)),
    }
}

/// `cardData.cardParamMap`: required, an object of text values.
fn card_param_map(body: &Map<String, Value>, rid: &str) -> Result<BTreeMap<String, String>, Reply> {
    let data = req_object(body, "cardData", "cardData", rid)?;
    param_map(data, "cardData.cardParamMap", rid)
}

/// `<owner>.cardParamMap`: required, an object whose values are all text.
fn param_map(owner: &Map<String, Value>, path: &str, rid: &str) -> Result<BTreeMap<String, String>, Reply> {
    let map = req_object(owner, "cardParamMap", path, rid)?;
    map.iter()
        .map(|(k, v)| match v {
            Value::String(s) => Ok((k.clone(), s.clone())),
            _ => Err(invalid(&format!("{path}.{k}"), "值必须是字符串（列表和对象请先序列化为JSON文本）", rid)),
        })
        .collect()
}

/// `privateData` (optional): `{userId: {"cardParamMap": {text: text}}}`.
fn check_private_data(body: &Map<String, Value>, rid: &str) -> Result<(), Reply> {
    match body.get("privateData") {
        None | Some(Value::Null) => Ok(()),
        Some(Value::Object(users)) => users.iter().try_for_each(|(user, v)| match v {
            Value::Object(m) => param_map(m, &format!("privateData.{user}.cardParamMap"), rid).map(|_| ()),
            _ => Err(invalid(&format!("privateData.{user}"), "必须是对象", rid)),
        }),
        Some(_) => Err(invalid("privateData", "必须是对象", rid)),
    }
}

/// `userIdType`: required, 1 (userId; 2, unionId, is not emulated).
fn check_user_id_type(body: &Map<String, Value>, rid: &str) -> Result<(), Reply> {
    match body.get("userIdType") {
        None | Some(Value::Null) => Err(Reply::missing("userIdType", rid)),
        Some(v) if v.as_i64() == Some(1) => Ok(()),
        Some(_) => Err(invalid("userIdType", "须为1（userId）", rid)),
    }
}

/// `openSpaceId`, parsed: `dtv1.card//IM_ROBOT.<userId>` or `dtv1.card//IM_GROUP.<openConversationId>`.
fn parse_space(open_space_id: &str, rid: &str) -> Result<CardSpace, Reply> {
    let bad = || {
        invalid(
            "openSpaceId",
            &format!("格式须为dtv1.card//IM_ROBOT.<userId>或dtv1.card//IM_GROUP.<openConversationId>: {open_space_id}"),
            rid,
        )
    };
    let rest = open_space_id.strip_prefix(SPACE_PREFIX).ok_or_else(bad)?;
    let (kind, id) = rest.split_once('.').ok_or_else(bad)?;
    if id.is_empty() || id.contains(';') {
        return Err(bad());
    }
    match kind {
        "IM_ROBOT" => Ok(CardSpace::ImRobot { user_id: id.to_owned() }),
        "IM_GROUP" => Ok(CardSpace::ImGroup { open_conversation_id: id.to_owned() }),
        _ => Err(bad()),
    }
}

/// The deliver model of the space: `imRobotOpenDeliverModel` `{"spaceType": "IM_ROBOT",
/// "robotCode"}` one-to-one, `imGroupOpenDeliverModel` `{"robotCode"}` with
/// `imGroupOpenSpaceModel` (an object, may be empty) in a group; the other space's models
/// must be absent. Checks the robot and the user or group; returns the robot code.
fn check_delivery(
    state: &Shared,
    app: &str,
    body: &Map<String, Value>,
    space: &CardSpace,
    rid: &str,
) -> Result<String, Reply> {
    let (model, others): (&str, [&str; 2]) = match space {
        CardSpace::ImRobot { .. } => ("imRobotOpenDeliverModel", ["imGroupOpenDeliverModel", "imGroupOpenSpaceModel"]),
        CardSpace::ImGroup { .. } => ("imGroupOpenDeliverModel", ["imRobotOpenDeliverModel", "imRobotOpenSpaceModel"]),
    };
    if let Some(other) = others.iter().find(|f| body.get(**f).is_some_and(|v| !v.is_null())) {
        return Err(invalid(other, &format!("与openSpaceId的空间类型{}不符", space.space_type()), rid));
    }
    let deliver = req_object(body, model, model, rid)?;
    let robot_code = req_text_at(deliver, "robotCode", &format!("{model}.robotCode"), rid)?;
    if state.robot_code(app).as_deref() != Some(robot_code) {
        return Err(refuse(
            "param.robotCodeInvalid",
            &format!("{model}.robotCode无效，须为本应用机器人的robotCode: {robot_code}"),
            rid,
        ));
    }
    match space {
        CardSpace::ImRobot { user_id } => {
            if deliver.get("spaceType").and_then(Value::as_str) != Some("IM_ROBOT") {
                return Err(invalid("imRobotOpenDeliverModel.spaceType", "须为IM_ROBOT", rid));
            }
            if state.user_status(user_id) == UserStatus::Invalid {
                return Err(refuse("param.userNotExist", &format!("openSpaceId中的用户不存在: {user_id}"), rid));
            }
        }
        CardSpace::ImGroup { open_conversation_id } => {
            req_object(body, "imGroupOpenSpaceModel", "imGroupOpenSpaceModel", rid)?;
            match state.group_access(open_conversation_id, robot_code) {
                GroupAccess::Member => {}
                GroupAccess::NoSuchGroup => {
                    return Err(refuse(
                        "param.openConversationIdInvalid",
                        &format!("openSpaceId中的群不存在: {open_conversation_id}"),
                        rid,
                    ));
                }
                GroupAccess::NotInGroup => {
                    return Err(refuse(
                        "param.robotCodeInvalid",
                        &format!("imGroupOpenDeliverModel.robotCode对应的机器人不在群{open_conversation_id}中"),
                        rid,
                    ));
                }
            }
        }
    }
    Ok(robot_code.to_owned())
}

/// `POST /v1.0/card/instances/createAndDeliver` -> `{"success": true, "result": {"outTrackId",
/// "deliverResults": [{"spaceType", "spaceId", "success": true, "carrierId"}]}}`.
pub(crate) async fn create_and_deliver(State(state): State<Arc<Shared>>, call: Call) -> Reply {
    either(create_inner(&state, &call))
}

fn create_inner(state: &Shared, call: &Call) -> Result<Reply, Reply> {
    let rid = &call.rid;
    let app = gate_new(state, call, Endpoint::CardCreateAndDeliver, PERM_CARD_WRITE)?;
    let body = body_object(call)?;
    only_known(body, &CREATE_FIELDS, rid)?;
    let template_id = req_text(body, "cardTemplateId", rid)?;
    let out_track_id = req_text(body, "outTrackId", rid)?;
    match req_text(body, "callbackType", rid)? {
        "STREAM" => {}
        other => {
            return Err(invalid("callbackType", &format!("须为STREAM（模拟器只以Stream推送卡片回调）: {other}"), rid));
        }
    }
    let card_param_map = card_param_map(body, rid)?;
    let open_space_id = req_text(body, "openSpaceId", rid)?;
    let space = parse_space(open_space_id, rid)?;
    check_user_id_type(body, rid)?;
    check_private_data(body, rid)?;
    let robot_code = check_delivery(state, &app, body, &space, rid)?;
    if !state.cards.knows_template(template_id) {
        return Err(refuse(
            "param.templateNotExist",
            &format!("卡片模板不存在或未发布，请在卡片平台检查cardTemplateId: {template_id}"),
            rid,
        ));
    }
    let duplicate =
        || refuse("param.outTrackIdDuplicate", &format!("outTrackId已被本应用使用过，请换一个: {out_track_id}"), rid);
    if state.cards.exists(&app, out_track_id) {
        return Err(duplicate());
    }
    let carrier_id = crate::ids::card_carrier_id();
    let card = Card {
        app_key: app.to_string(),
        robot_code,
        card_template_id: template_id.to_owned(),
        out_track_id: out_track_id.to_owned(),
        open_space_id: open_space_id.to_owned(),
        space: space.clone(),
        card_param_map,
        updates: Vec::new(),
        carrier_id: carrier_id.clone(),
        created_at: SystemTime::now(),
    };
    if !state.cards.insert(card) {
        return Err(duplicate());
    }
    Ok(Reply::json(
        StatusCode::OK,
        &json!({
            "success": true,
            "result": {
                "outTrackId": out_track_id,
                "deliverResults": [{
                    "spaceType": space.space_type(),
                    "spaceId": space.space_id(),
                    "success": true,
                    "carrierId": carrier_id,
                }],
            },
        }),
    ))
}

/// `PUT /v1.0/card/instances` with `{"outTrackId", "cardData": {"cardParamMap"},
/// "cardUpdateOptions": {"updateCardDataByKey"}}` -> `{"success": true, "result": true}`.
pub(crate) async fn update(State(state): State<Arc<Shared>>, call: Call) -> Reply {
    either(update_inner(&state, &call))
}

fn update_inner(state: &Shared, call: &Call) -> Result<Reply, Reply> {
    let rid = &call.rid;
    let app = gate_new(state, call, Endpoint::CardUpdate, PERM_CARD_WRITE)?;
    let body = body_object(call)?;
    only_known(body, &UPDATE_FIELDS, rid)?;
    let out_track_id = req_text(body, "outTrackId", rid)?;
    let card_param_map = card_param_map(body, rid)?;
    let by_key = match body.get("cardUpdateOptions") {
        None | Some(Value::Null) => false,
        Some(Value::Object(o)) => {
            if let Some(k) = o.keys().find(|k| !matches!(k.as_str(), "updateCardDataByKey" | "updatePrivateDataByKey"))
            {
                return Err(invalid(&format!("cardUpdateOptions.{k}"), "未知参数（字段名区分大小写）", rid));
            }
            for (k, v) in o {
                if !v.is_boolean() && !v.is_null() {
                    return Err(invalid(&format!("cardUpdateOptions.{k}"), "必须是布尔值", rid));
                }
            }
            o.get("updateCardDataByKey").and_then(Value::as_bool).unwrap_or(false)
        }
        Some(_) => return Err(invalid("cardUpdateOptions", "必须是对象", rid)),
    };
    if body.get("userIdType").is_some_and(|v| !v.is_null()) {
        check_user_id_type(body, rid)?;
    }
    check_private_data(body, rid)?;
    let update = CardUpdate { source: CardUpdateSource::Api, card_param_map, by_key, at: SystemTime::now() };
    if !state.cards.update(&app, out_track_id, update) {
        return Err(refuse("param.cardNotExist", &format!("卡片实例不存在，请检查outTrackId: {out_track_id}"), rid));
    }
    Ok(Reply::json(StatusCode::OK, &json!({"success": true, "result": true})))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_space_ids_parse_or_are_refused() {
        assert_eq!(parse_space("dtv1.card//IM_ROBOT.u1", "r").unwrap(), CardSpace::ImRobot { user_id: "u1".into() });
        assert_eq!(
            parse_space("dtv1.card//IM_GROUP.cid1==", "r").unwrap(),
            CardSpace::ImGroup { open_conversation_id: "cid1==".into() }
        );
        for bad in [
            "IM_ROBOT.u1",
            "dtv1.card//IM_ROBOT.",
            "dtv1.card//IM_ROBOTu1",
            "dtv1.card//IM_SINGLE.u1",
            "dtv1.card//IM_ROBOT.u1;IM_ROBOT.u2",
        ] {
            let r = parse_space(bad, "r").unwrap_err();
            let body: Value = serde_json::from_slice(&r.body).unwrap();
            assert_eq!(body["code"], "param.invalid", "{bad}");
            assert!(body["message"].as_str().unwrap().starts_with("openSpaceId"), "{bad}");
        }
    }
}
