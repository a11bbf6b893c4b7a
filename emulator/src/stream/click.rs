//! A button click on an interactive card, as the CALLBACK DingTalk pushes on
//! `/v1.0/card/instances/callback` (the shape of the official Python Stream SDK's
//! `card_callback_message.py` sample): `{"extension": "{}", "corpId", "spaceType": "",
//! "userIdType": 1, "type": "actionCallback", "userId", "content": "<JSON text>", "spaceId": "",
//! "outTrackId", "value": "<the same JSON text>"}`, the content being
//! `{"cardPrivateData": {"actionIds": [...], "params": {"choice": C}}}`.

use serde_json::{Value, json};

use super::CARD_CALLBACK_TOPIC;
use super::message::CORP_ID;
use crate::cards::{Card, CardSpace, PendingClick};
use crate::error::EmulatorError;
use crate::state::{Shared, UserStatus};

/// Which card a click is on.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Target<'a> {
    /// The card with this `outTrackId`.
    OutTrackId(&'a str),
    /// The newest card of this template delivered to the clicking user one-to-one.
    LatestOfTemplate(&'a str),
}

/// The data of a click's callback.
pub(crate) fn callback_data(out_track_id: &str, user_id: &str, action_id: &str, choice: &str) -> Value {
    let content = json!({"cardPrivateData": {"actionIds": [action_id], "params": {"choice": choice}}}).to_string();
    json!({
        "extension": "{}",
        "corpId": CORP_ID,
        "spaceType": "",
        "userIdType": 1,
        "type": "actionCallback",
        "userId": user_id,
        "content": content,
        "spaceId": "",
        "outTrackId": out_track_id,
        "value": content,
    })
}

/// "User `user_id` clicks the button sending `choice` on a card": pushes the callback to ONE
/// open connection of the card's app subscribed to the card topic; its ack's `response` may
/// update the card. The messageId, or why nothing was pushed (no such user or card, a
/// one-to-one card of someone else, or no connection open: then the callback is recorded as
/// undelivered).
pub(crate) fn click(state: &Shared, target: Target<'_>, user_id: &str, choice: &str) -> Result<String, EmulatorError> {
    if state.user_status(user_id) == UserStatus::Invalid {
        return Err(EmulatorError::UnknownUser(user_id.to_owned()));
    }
    let card: Card = match target {
        Target::OutTrackId(id) => state.cards.find(id),
        Target::LatestOfTemplate(template) => state.cards.latest_for(user_id, template),
    }
    .ok_or_else(|| {
        EmulatorError::UnknownCard(match target {
            Target::OutTrackId(id) => format!("outTrackId {id:?}"),
            Target::LatestOfTemplate(t) => format!("template {t:?} delivered to {user_id:?}"),
        })
    })?;
    if let CardSpace::ImRobot { user_id: owner } = &card.space {
        if owner != user_id {
            return Err(EmulatorError::NotCardViewer {
                user_id: user_id.to_owned(),
                out_track_id: card.out_track_id.clone(),
            });
        }
    }
    let message_id = crate::ids::stream_message_id();
    let pending = PendingClick {
        app_key: card.app_key.clone(),
        out_track_id: card.out_track_id.clone(),
        user_id: user_id.to_owned(),
    };
    state.cards.await_ack(&message_id, pending);
    let data = callback_data(&card.out_track_id, user_id, &crate::ids::card_action_id(), choice);
    state.streams.push_as(message_id, &card.app_key, CARD_CALLBACK_TOPIC, data, &state.counters).map_err(|message_id| {
        state.cards.forget_click(&message_id);
        EmulatorError::NoStreamConnection { app_key: card.app_key.clone(), message_id }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_callback_has_the_sdk_samples_fields_and_the_choice_in_its_content() {
        let d = callback_data("track-1", "u1", "button_node_x", "同意");
        for field in [
            "extension",
            "corpId",
            "spaceType",
            "userIdType",
            "type",
            "userId",
            "content",
            "spaceId",
            "outTrackId",
            "value",
        ] {
            assert!(d.get(field).is_some(), "{field} missing in {d}");
        }
        assert_eq!(
            (d["type"].as_str(), d["outTrackId"].as_str(), d["userId"].as_str()),
            (Some("actionCallback"), Some("track-1"), Some("u1"))
        );
        let content: Value = serde_json::from_str(d["content"].as_str().unwrap()).unwrap();
        assert_eq!(content["cardPrivateData"]["params"]["choice"], "同意");
        assert_eq!(content["cardPrivateData"]["actionIds"][0], "button_node_x");
        assert_eq!(d["value"], d["content"]);
        assert_eq!(d["extension"], "{}");
    }
}
