//! The JSON bodies DingTalk exchanges, field by field (see `shared/dingtalk-api.md`).

use serde::{Deserialize, Serialize};

/// `POST /v1.0/oauth2/accessToken` body.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TokenRequest<'a> {
    pub(crate) app_key: &'a str,
    pub(crate) app_secret: &'a str,
}

/// `POST /v1.0/oauth2/accessToken` answer.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TokenResponse {
    pub(crate) access_token: String,
    /// Seconds the token stays valid: read as any JSON value and clamped, since no answer
    /// may panic the plugin.
    #[serde(default)]
    pub(crate) expire_in: serde_json::Value,
}

/// `POST /v1.0/robot/oToMessages/batchSend` body. `msg_param` is the template's fields as a
/// JSON object serialized to a string, as DingTalk requires.
#[derive(Serialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct BatchSendRequest {
    /// The template (`sampleText`, `sampleMarkdown`, ...).
    pub msg_key: String,
    /// The template's fields as JSON text.
    pub msg_param: String,
    /// The robot that sends.
    pub robot_code: String,
    /// The receivers, at most 20.
    pub user_ids: Vec<String>,
}

/// `POST /v1.0/robot/oToMessages/batchSend` answer; every list may be absent.
#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "camelCase")]
pub struct BatchSendResponse {
    /// Identifies the batch for read status and recall.
    #[serde(default)]
    pub process_query_key: Option<String>,
    /// User IDs DingTalk does not know.
    #[serde(default)]
    pub invalid_staff_id_list: Option<Vec<String>>,
    /// User IDs that were flow-controlled (too many messages to them).
    #[serde(default)]
    pub flow_controlled_staff_id_list: Option<Vec<String>>,
    /// User IDs DingTalk filtered out (for example, not in the robot's visible range).
    #[serde(default)]
    pub filtered_staff_id_list: Option<Vec<String>>,
}

/// `POST /v1.0/robot/groupMessages/send` body: a template, as batchSend's, to a group.
#[derive(Serialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct GroupSendRequest {
    /// The template's fields as JSON text (at most 15,000 bytes).
    pub msg_param: String,
    /// The template.
    pub msg_key: String,
    /// The group.
    pub open_conversation_id: String,
    /// The robot, which must be in the group.
    pub robot_code: String,
}

/// `POST /v1.0/robot/groupMessages/send` answer.
#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "camelCase")]
pub struct GroupSendResponse {
    /// Identifies the message for a recall.
    #[serde(default)]
    pub process_query_key: Option<String>,
}

/// `POST /v1.0/robot/otoMessages/batchRecall` body, or with `openConversationId`,
/// `POST /v1.0/robot/groupMessages/recall` body.
#[derive(Serialize, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RecallRequest {
    /// The group of a group recall; absent for one-to-one messages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub open_conversation_id: Option<String>,
    /// The robot that sent the messages.
    pub robot_code: String,
    /// The messages, at most 20.
    pub process_query_keys: Vec<String>,
}

/// A recall's answer: the keys recalled, and the others with DingTalk's reason.
#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "camelCase")]
pub struct RecallResponse {
    /// Keys whose messages were recalled.
    #[serde(default)]
    pub success_result: Option<Vec<String>>,
    /// Keys that were not, each with its reason (text, kept as any JSON value).
    #[serde(default)]
    pub failed_result: Option<serde_json::Map<String, serde_json::Value>>,
}

/// `GET /v1.0/robot/oToMessages/readStatus` answer. `sendStatus` is kept as DingTalk spells it
/// (the docs' sample says `SUCESS`).
#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "camelCase")]
pub struct ReadStatusResponse {
    /// `SUCCESS`, `RECALLED`, `PROCESSING`, or whatever DingTalk says.
    #[serde(default)]
    pub send_status: Option<String>,
    /// One entry per receiver.
    #[serde(default)]
    pub message_read_info_list: Option<Vec<MessageReadInfo>>,
}

/// One receiver of a one-to-one message and whether they read it.
#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "camelCase")]
pub struct MessageReadInfo {
    /// The receiver's user ID.
    #[serde(default)]
    pub user_id: Option<String>,
    /// `READ` or `UNREAD`.
    #[serde(default)]
    pub read_status: Option<String>,
}

/// The error body of the new API generation.
#[derive(Deserialize, Debug, Default)]
pub(crate) struct NewApiError {
    #[serde(default)]
    pub(crate) code: Option<String>,
    #[serde(default)]
    pub(crate) message: Option<String>,
    #[serde(default)]
    pub(crate) requestid: Option<String>,
    #[serde(default)]
    pub(crate) accessdenieddetail: Option<AccessDeniedDetail>,
}

/// Which scopes a 403 `AccessTokenPermissionDenied` asks for.
#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AccessDeniedDetail {
    #[serde(default)]
    pub(crate) required_scopes: Vec<String>,
}

/// The answer of the old API generation (always HTTP 200; `errcode` 0 is success).
#[derive(Deserialize, Debug, Default)]
pub(crate) struct OldApiResponse {
    /// A number, or the same number as text (`"0"` in a getbymobile sample); anything else
    /// reads as -2, which is no code DingTalk uses.
    #[serde(default, deserialize_with = "lenient_errcode")]
    pub(crate) errcode: i64,
    #[serde(default)]
    pub(crate) errmsg: Option<String>,
    #[serde(default)]
    pub(crate) media_id: Option<String>,
}

/// `POST /topapi/v2/user/getbymobile` body.
#[derive(Serialize)]
pub(crate) struct ByMobileRequest<'a> {
    pub(crate) mobile: &'a str,
}

/// `POST /topapi/v2/user/getbymobile` answer (its errcode is read by [`OldApiResponse`]).
#[derive(Deserialize, Debug, Default)]
pub(crate) struct ByMobileResponse {
    #[serde(default)]
    pub(crate) result: Option<ByMobileResult>,
}

/// The `result` of getbymobile.
#[derive(Deserialize, Debug, Default)]
pub(crate) struct ByMobileResult {
    #[serde(default)]
    pub(crate) userid: Option<String>,
}

fn lenient_errcode<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let value = serde_json::Value::deserialize(d)?;
    Ok(match &value {
        serde_json::Value::Number(n) => n.as_i64().unwrap_or(-2),
        serde_json::Value::String(s) => s.trim().parse().unwrap_or(-2),
        serde_json::Value::Null => 0,
        _ => -2,
    })
}
