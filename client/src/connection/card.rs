//! Interactive cards (卡片平台): one made from a template and delivered by the robot
//! (`createAndDeliver`, its clicks coming back on the Stream connection), its data updated
//! (`PUT /v1.0/card/instances`); and a reply into a conversation through the
//! `sessionWebhook` a received message carries. Wire as `shared/dingtalk-api.md` says.

use std::collections::BTreeMap;

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Connection, TOKEN_HEADER};
use crate::api::Api;
use crate::call::Call;
use crate::error::{Error, Result, Upstream};
use crate::options::CallOptions;
use crate::secret::Secret;

/// Where a card goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CardSpace {
    /// The one-to-one chat of the robot with this user ID.
    User(String),
    /// This group (its openConversationId); the robot must be in it.
    Group(String),
}

/// A card to make from a template and deliver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCard {
    /// The template made in the card platform.
    pub template_id: String,
    /// The card's own ID, chosen by the caller (unique): its clicks and updates name it.
    pub out_track_id: String,
    /// The template's variables.
    pub params: BTreeMap<String, String>,
    /// Where it goes.
    pub space: CardSpace,
}

/// `POST /v1.0/card/instances/createAndDeliver` body, field by field.
#[derive(Serialize, Debug)]
#[serde(rename_all = "camelCase")]
struct CreateAndDeliver<'a> {
    card_template_id: &'a str,
    out_track_id: &'a str,
    /// `STREAM`: clicks come back on the Stream connection.
    callback_type: &'static str,
    card_data: CardData<'a>,
    open_space_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    im_robot_open_deliver_model: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    im_group_open_deliver_model: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    im_group_open_space_model: Option<serde_json::Value>,
    /// 1: user IDs are userIds (not unionIds).
    user_id_type: u8,
}

/// A card's variables: `{"cardParamMap": {name: text}}`.
#[derive(Serialize, Debug)]
#[serde(rename_all = "camelCase")]
struct CardData<'a> {
    card_param_map: &'a BTreeMap<String, String>,
}

/// `PUT /v1.0/card/instances` body.
#[derive(Serialize, Debug)]
#[serde(rename_all = "camelCase")]
struct UpdateCard<'a> {
    out_track_id: &'a str,
    card_data: CardData<'a>,
    card_update_options: serde_json::Value,
}

/// The answer of both card calls: `{"success", "result"}`; createAndDeliver's result lists
/// each space's delivery.
#[derive(Deserialize, Debug, Default)]
struct CardAnswer {
    #[serde(default)]
    success: Option<bool>,
    #[serde(default)]
    result: serde_json::Value,
}

/// The request body of [`Connection::create_card`], as JSON (for tests of the wire).
fn create_body(card: &NewCard, robot_code: &str) -> Result<Vec<u8>> {
    let (open_space_id, robot, group, group_space) = match &card.space {
        CardSpace::User(user) => (
            format!("dtv1.card//IM_ROBOT.{user}"),
            Some(json!({"spaceType": "IM_ROBOT", "robotCode": robot_code})),
            None,
            None,
        ),
        CardSpace::Group(cid) => {
            (format!("dtv1.card//IM_GROUP.{cid}"), None, Some(json!({"robotCode": robot_code})), Some(json!({})))
        }
    };
    let body = CreateAndDeliver {
        card_template_id: &card.template_id,
        out_track_id: &card.out_track_id,
        callback_type: "STREAM",
        card_data: CardData { card_param_map: &card.params },
        open_space_id,
        im_robot_open_deliver_model: robot,
        im_group_open_deliver_model: group,
        im_group_open_space_model: group_space,
        user_id_type: 1,
    };
    serde_json::to_vec(&body).map_err(|e| Error::Internal(e.to_string()))
}

/// The request body of [`Connection::update_card`].
fn update_body(out_track_id: &str, params: &BTreeMap<String, String>) -> Result<Vec<u8>> {
    let body = UpdateCard {
        out_track_id,
        card_data: CardData { card_param_map: params },
        card_update_options: json!({"updateCardDataByKey": true}),
    };
    serde_json::to_vec(&body).map_err(|e| Error::Internal(e.to_string()))
}

impl Connection {
    /// Makes an interactive card from its template and delivers it (callbacks by Stream).
    /// A send: never repeated once it may have been processed. A delivery DingTalk reports
    /// as failed is [`Error::DingTalk`] with its words.
    pub async fn create_card(&self, call: &Call, options: &CallOptions, card: &NewCard) -> Result<()> {
        let body = Bytes::from(create_body(card, &options.robot_code)?);
        let answer: CardAnswer = self.card_call(call, options, Api::CardCreate, body).await?;
        let failed =
            answer.result.get("deliverResults").and_then(serde_json::Value::as_array).and_then(|all| {
                all.iter().find(|d| d.get("success").and_then(serde_json::Value::as_bool) == Some(false))
            });
        if answer.success == Some(false) || failed.is_some() {
            let message = failed
                .and_then(|d| d.get("errorMsg").and_then(serde_json::Value::as_str))
                .unwrap_or("the card was not delivered")
                .to_string();
            return Err(Error::DingTalk(Box::new(Upstream { message: Some(message), ..Upstream::default() })));
        }
        Ok(())
    }

    /// Sets some of a card's variables (the others keep their values). Repeated when safe:
    /// setting them twice sets them once.
    pub async fn update_card(
        &self,
        call: &Call,
        options: &CallOptions,
        out_track_id: &str,
        params: &BTreeMap<String, String>,
    ) -> Result<()> {
        let body = Bytes::from(update_body(out_track_id, params)?);
        let _: CardAnswer = self.card_call(call, options, Api::CardUpdate, body).await?;
        Ok(())
    }

    /// One card call with its JSON body and the token header.
    async fn card_call(&self, call: &Call, options: &CallOptions, api: Api, body: Bytes) -> Result<CardAnswer> {
        let url = self.api_url(api)?;
        let (bytes, _) = self
            .call(call, options, api, &self.api_base, |http, token| {
                let request = if api == Api::CardUpdate { http.put(url.clone()) } else { http.post(url.clone()) };
                request
                    .header(TOKEN_HEADER, token.expose())
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.clone())
            })
            .await?;
        self.parse(&bytes, api)
    }

    /// Posts a text message into the conversation a received message came in, through its
    /// `sessionWebhook` (no token; the URL is never logged or put in an error, only its
    /// origin). A send: never repeated once it may have been processed.
    pub async fn reply_in_session(
        &self,
        call: &Call,
        options: &CallOptions,
        session_webhook: &Secret,
        text: &str,
    ) -> Result<()> {
        let url = reqwest::Url::parse(session_webhook.expose())
            .map_err(|_| Error::Internal("the sessionWebhook is not a URL".into()))?;
        let shown = url.origin().ascii_serialization();
        let body = Bytes::from(json!({"msgtype": "text", "text": {"content": text}}).to_string());
        self.call(call, options, Api::SessionReply, &shown, |http, _| {
            http.post(url.clone())
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .header(reqwest::header::ACCEPT, "application/json")
                .body(body.clone())
        })
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn params() -> BTreeMap<String, String> {
        BTreeMap::from([("status".to_string(), "".to_string()), ("title".to_string(), "审批".to_string())])
    }

    #[test]
    fn create_and_deliver_is_sent_as_documented() {
        let card = NewCard {
            template_id: "tpl-1".into(),
            out_track_id: "ask-1".into(),
            params: params(),
            space: CardSpace::User("staff02".into()),
        };
        let body: Value = serde_json::from_slice(&create_body(&card, "robot-1").unwrap()).unwrap();
        assert_eq!(
            body,
            json!({"cardTemplateId": "tpl-1", "outTrackId": "ask-1", "callbackType": "STREAM",
                "cardData": {"cardParamMap": {"status": "", "title": "审批"}},
                "openSpaceId": "dtv1.card//IM_ROBOT.staff02",
                "imRobotOpenDeliverModel": {"spaceType": "IM_ROBOT", "robotCode": "robot-1"}, "userIdType": 1})
        );
        let group = NewCard { space: CardSpace::Group("cid9".into()), ..card };
        let body: Value = serde_json::from_slice(&create_body(&group, "robot-1").unwrap()).unwrap();
        assert_eq!(body["openSpaceId"], "dtv1.card//IM_GROUP.cid9");
        assert_eq!(body["imGroupOpenDeliverModel"], json!({"robotCode": "robot-1"}));
        assert_eq!(body["imGroupOpenSpaceModel"], json!({}));
        assert!(body.get("imRobotOpenDeliverModel").is_none());
    }

    #[test]
    fn an_update_sets_the_variables_by_key() {
        let body: Value = serde_json::from_slice(&update_body("ask-1", &params()).unwrap()).unwrap();
        assert_eq!(
            body,
            json!({"outTrackId": "ask-1", "cardData": {"cardParamMap": {"status": "", "title": "审批"}},
                "cardUpdateOptions": {"updateCardDataByKey": true}})
        );
    }
}
