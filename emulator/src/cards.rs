//! Interactive cards (互动卡片): the templates the card platform knows, every card instance
//! delivered with what changed on it and why, and the clicks whose ack may still update a card.
//!
//! The endpoints that create and update cards are in `api/card.rs`; the click, pushed on
//! Stream, is built in `stream/click.rs`. A card is known by its app and its `outTrackId`
//! (unique per app, as on DingTalk).

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::time::SystemTime;

use parking_lot::{Mutex, RwLock};
use serde::Serialize;
use serde_json::Value;

use crate::record::ser_time;

/// Most clicks remembered while their ack is awaited; past it the oldest are forgotten.
const MAX_PENDING_CLICKS: usize = 10_000;

/// Where a card was delivered (its `openSpaceId`, parsed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "spaceType")]
pub enum CardSpace {
    /// `dtv1.card//IM_ROBOT.<userId>`: the one-to-one chat of the robot with this user.
    #[serde(rename = "IM_ROBOT", rename_all = "camelCase")]
    ImRobot {
        /// The user.
        user_id: String,
    },
    /// `dtv1.card//IM_GROUP.<openConversationId>`: this group chat.
    #[serde(rename = "IM_GROUP", rename_all = "camelCase")]
    ImGroup {
        /// The group.
        open_conversation_id: String,
    },
}

impl CardSpace {
    /// `IM_ROBOT` or `IM_GROUP`, as `deliverResults[].spaceType` says it.
    pub fn space_type(&self) -> &'static str {
        match self {
            CardSpace::ImRobot { .. } => "IM_ROBOT",
            CardSpace::ImGroup { .. } => "IM_GROUP",
        }
    }

    /// The user or group, as `deliverResults[].spaceId` says it.
    pub fn space_id(&self) -> &str {
        match self {
            CardSpace::ImRobot { user_id } => user_id,
            CardSpace::ImGroup { open_conversation_id } => open_conversation_id,
        }
    }
}

/// What changed a card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum CardUpdateSource {
    /// `PUT /v1.0/card/instances`.
    Api,
    /// The `response` of the ack of a click's callback.
    #[serde(rename_all = "camelCase")]
    ClickAck {
        /// Who clicked.
        user_id: String,
        /// The callback's `messageId`.
        message_id: String,
    },
}

/// One change of a card's `cardParamMap`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CardUpdate {
    /// Where it came from.
    pub source: CardUpdateSource,
    /// The `cardParamMap` sent.
    pub card_param_map: BTreeMap<String, String>,
    /// `cardUpdateOptions.updateCardDataByKey`: true merges the keys sent into the card's
    /// map; false (DingTalk's default) replaces the whole map.
    pub by_key: bool,
    /// When it was applied (milliseconds since the Unix epoch when serialized).
    #[serde(serialize_with = "ser_time")]
    pub at: SystemTime,
}

/// One card instance, as delivered and as it is now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Card {
    /// The app that delivered it.
    pub app_key: String,
    /// The robot that delivered it.
    pub robot_code: String,
    /// `cardTemplateId`.
    pub card_template_id: String,
    /// `outTrackId`, the caller's id of the card (unique per app).
    pub out_track_id: String,
    /// `openSpaceId`, as sent.
    pub open_space_id: String,
    /// The space, parsed.
    pub space: CardSpace,
    /// The card's `cardParamMap` now (after every update).
    pub card_param_map: BTreeMap<String, String>,
    /// Every update, in the order applied.
    pub updates: Vec<CardUpdate>,
    /// The carrier id `deliverResults` answered.
    pub carrier_id: String,
    /// When it was delivered (milliseconds since the Unix epoch when serialized).
    #[serde(serialize_with = "ser_time")]
    pub created_at: SystemTime,
}

impl Card {
    /// Applies an update: merged by key, or replacing the whole map.
    fn apply(&mut self, update: CardUpdate) {
        if update.by_key {
            self.card_param_map.extend(update.card_param_map.iter().map(|(k, v)| (k.clone(), v.clone())));
        } else {
            self.card_param_map = update.card_param_map.clone();
        }
        self.updates.push(update);
    }
}

/// A click pushed and not yet acknowledged.
#[derive(Debug, Clone)]
pub(crate) struct PendingClick {
    pub(crate) app_key: String,
    pub(crate) out_track_id: String,
    pub(crate) user_id: String,
}

#[derive(Debug, Default)]
struct Store {
    /// (AppKey, outTrackId) -> card.
    by_key: HashMap<(String, String), Card>,
    /// Keys oldest first, to drop the oldest past the bound.
    order: VecDeque<(String, String)>,
}

/// Every card, the known templates, the clicks awaiting their ack.
#[derive(Debug)]
pub(crate) struct Cards {
    templates: RwLock<HashSet<String>>,
    store: Mutex<Store>,
    clicks: Mutex<HashMap<String, PendingClick>>,
    max_recorded: usize,
}

impl Cards {
    /// The card platform with these templates, keeping at most `max_recorded` cards.
    pub(crate) fn new(templates: &[String], max_recorded: usize) -> Self {
        Cards {
            templates: RwLock::new(templates.iter().cloned().collect()),
            store: Mutex::new(Store::default()),
            clicks: Mutex::new(HashMap::new()),
            max_recorded: max_recorded.max(1),
        }
    }

    /// True when the template was made in the card platform.
    pub(crate) fn knows_template(&self, template_id: &str) -> bool {
        self.templates.read().contains(template_id)
    }

    /// Makes a template known.
    pub(crate) fn add_template(&self, template_id: &str) {
        self.templates.write().insert(template_id.to_owned());
    }

    /// True when the app already delivered a card with this `outTrackId`.
    pub(crate) fn exists(&self, app_key: &str, out_track_id: &str) -> bool {
        self.store.lock().by_key.contains_key(&(app_key.to_owned(), out_track_id.to_owned()))
    }

    /// Stores a new card; false (and nothing stored) when its app already has its `outTrackId`.
    pub(crate) fn insert(&self, card: Card) -> bool {
        let key = (card.app_key.clone(), card.out_track_id.clone());
        let mut store = self.store.lock();
        if store.by_key.contains_key(&key) {
            return false;
        }
        if store.order.len() >= self.max_recorded {
            if let Some(old) = store.order.pop_front() {
                store.by_key.remove(&old);
            }
        }
        store.order.push_back(key.clone());
        store.by_key.insert(key, card);
        true
    }

    /// Applies an update to the app's card; false when it has no such card.
    pub(crate) fn update(&self, app_key: &str, out_track_id: &str, update: CardUpdate) -> bool {
        match self.store.lock().by_key.get_mut(&(app_key.to_owned(), out_track_id.to_owned())) {
            Some(card) => {
                card.apply(update);
                true
            }
            None => false,
        }
    }

    /// Every card, oldest first.
    pub(crate) fn snapshot(&self) -> Vec<Card> {
        let store = self.store.lock();
        store.order.iter().filter_map(|k| store.by_key.get(k).cloned()).collect()
    }

    /// The newest card with this `outTrackId` (of any app).
    pub(crate) fn find(&self, out_track_id: &str) -> Option<Card> {
        let store = self.store.lock();
        store.order.iter().rev().filter(|(_, t)| t == out_track_id).find_map(|k| store.by_key.get(k).cloned())
    }

    /// The newest card of this template delivered to `user_id` one-to-one.
    pub(crate) fn latest_for(&self, user_id: &str, template_id: &str) -> Option<Card> {
        let store = self.store.lock();
        store.order.iter().rev().filter_map(|k| store.by_key.get(k)).find_map(|c| {
            let to_user = matches!(&c.space, CardSpace::ImRobot { user_id: u } if u == user_id);
            (to_user && c.card_template_id == template_id).then(|| c.clone())
        })
    }

    /// Remembers a click pushed as `message_id`, so that its ack may update the card.
    pub(crate) fn await_ack(&self, message_id: &str, click: PendingClick) {
        let mut clicks = self.clicks.lock();
        if clicks.len() >= MAX_PENDING_CLICKS {
            clicks.clear();
        }
        clicks.insert(message_id.to_owned(), click);
    }

    /// Forgets a click that was never pushed.
    pub(crate) fn forget_click(&self, message_id: &str) {
        self.clicks.lock().remove(message_id);
    }

    /// An ack arrived on Stream: when it answers a click with code 200 and its `response`
    /// carries `{"cardData": {"cardParamMap": {...}}}` (and optionally `cardUpdateOptions`),
    /// the card is updated at once, as DingTalk does. Returns true when a card was updated.
    pub(crate) fn acked(&self, message_id: &str, code: i64, data: &str) -> bool {
        let Some(click) = self.clicks.lock().remove(message_id) else { return false };
        if code != 200 {
            return false;
        }
        let Some((card_param_map, by_key)) = ack_update(data) else { return false };
        let update = CardUpdate {
            source: CardUpdateSource::ClickAck { user_id: click.user_id, message_id: message_id.to_owned() },
            card_param_map,
            by_key,
            at: SystemTime::now(),
        };
        self.update(&click.app_key, &click.out_track_id, update)
    }
}

/// The card update an ack's data carries: `{"response": {"cardData": {"cardParamMap":
/// {text: text}}, "cardUpdateOptions": {"updateCardDataByKey": bool}}}`, the response as an
/// object or as JSON text. `None` when there is none or it is not of that shape.
fn ack_update(data: &str) -> Option<(BTreeMap<String, String>, bool)> {
    let data: Value = serde_json::from_str(data).ok()?;
    let response = match data.get("response")? {
        Value::String(text) => serde_json::from_str(text).ok()?,
        other => other.clone(),
    };
    let map = response.get("cardData")?.get("cardParamMap")?.as_object()?;
    let map = map.iter().map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned()))).collect::<Option<_>>()?;
    let by_key = response
        .get("cardUpdateOptions")
        .and_then(|o| o.get("updateCardDataByKey"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    Some((map, by_key))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card(app: &str, track: &str, user: &str) -> Card {
        Card {
            app_key: app.to_owned(),
            robot_code: app.to_owned(),
            card_template_id: "tpl.schema".to_owned(),
            out_track_id: track.to_owned(),
            open_space_id: format!("dtv1.card//IM_ROBOT.{user}"),
            space: CardSpace::ImRobot { user_id: user.to_owned() },
            card_param_map: BTreeMap::from([
                ("title".to_owned(), "t".to_owned()),
                ("status".to_owned(), "".to_owned()),
            ]),
            updates: Vec::new(),
            carrier_id: "c".to_owned(),
            created_at: SystemTime::now(),
        }
    }

    fn update(pairs: &[(&str, &str)], by_key: bool) -> CardUpdate {
        CardUpdate {
            source: CardUpdateSource::Api,
            card_param_map: pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
            by_key,
            at: SystemTime::now(),
        }
    }

    #[test]
    fn out_track_ids_are_unique_per_app_and_updates_merge_or_replace() {
        let cards = Cards::new(&[], 10);
        assert!(cards.insert(card("a", "t1", "u1")));
        assert!(!cards.insert(card("a", "t1", "u2")), "same app, same outTrackId");
        assert!(cards.insert(card("b", "t1", "u1")), "another app may use it");
        assert!(cards.update("a", "t1", update(&[("status", "同意")], true)));
        let now = cards.find("t1").unwrap();
        assert_eq!(now.app_key, "b", "the newest of that outTrackId");
        let a = cards.snapshot().into_iter().find(|c| c.app_key == "a").unwrap();
        assert_eq!(a.card_param_map["title"], "t", "merged by key");
        assert_eq!(a.card_param_map["status"], "同意");
        assert!(cards.update("a", "t1", update(&[("status", "过期")], false)));
        let a = cards.snapshot().into_iter().find(|c| c.app_key == "a").unwrap();
        assert_eq!(a.card_param_map, BTreeMap::from([("status".to_owned(), "过期".to_owned())]), "replaced");
        assert_eq!(a.updates.len(), 2);
        assert!(!cards.update("a", "nope", update(&[], true)));
    }

    #[test]
    fn the_latest_card_of_a_template_for_a_user() {
        let cards = Cards::new(&[], 10);
        cards.insert(card("a", "t1", "u1"));
        cards.insert(card("a", "t2", "u1"));
        cards.insert(card("a", "t3", "u2"));
        assert_eq!(cards.latest_for("u1", "tpl.schema").unwrap().out_track_id, "t2");
        assert!(cards.latest_for("u1", "other.schema").is_none());
        assert!(cards.latest_for("u9", "tpl.schema").is_none());
    }

    #[test]
    fn the_oldest_cards_go_past_the_bound() {
        let cards = Cards::new(&[], 2);
        for t in ["t1", "t2", "t3"] {
            cards.insert(card("a", t, "u1"));
        }
        let kept: Vec<String> = cards.snapshot().into_iter().map(|c| c.out_track_id).collect();
        assert_eq!(kept, ["t2", "t3"]);
    }

    #[test]
    fn an_ack_updates_its_card_once_and_only_with_a_good_response() {
        let cards = Cards::new(&[], 10);
        cards.insert(card("a", "t1", "u1"));
        let click = || PendingClick { app_key: "a".into(), out_track_id: "t1".into(), user_id: "u1".into() };
        let good = r#"{"response":{"cardData":{"cardParamMap":{"status":"同意"}},"cardUpdateOptions":{"updateCardDataByKey":true}}}"#;
        assert!(!cards.acked("m1", 200, good), "no such click");
        cards.await_ack("m1", click());
        assert!(!cards.acked("m1", 500, good), "a failed ack updates nothing");
        assert!(!cards.acked("m1", 200, good), "and uses the click up");
        cards.await_ack("m2", click());
        assert!(!cards.acked("m2", 200, r#"{"response":"OK"}"#), "no card data");
        cards.await_ack("m3", click());
        assert!(!cards.acked("m3", 200, r#"{"response":{"cardData":{"cardParamMap":{"n":1}}}}"#), "not text");
        cards.await_ack("m4", click());
        assert!(cards.acked("m4", 200, good));
        let c = cards.find("t1").unwrap();
        assert_eq!((c.card_param_map["status"].as_str(), c.card_param_map["title"].as_str()), ("同意", "t"));
        assert_eq!(c.updates[0].source, CardUpdateSource::ClickAck { user_id: "u1".into(), message_id: "m4".into() });
        // The response as JSON text, without options: the whole map is replaced.
        cards.await_ack("m5", click());
        let as_text = serde_json::json!({"response": r#"{"cardData":{"cardParamMap":{"status":"拒绝"}}}"#}).to_string();
        assert!(cards.acked("m5", 200, &as_text));
        assert_eq!(cards.find("t1").unwrap().card_param_map.len(), 1);
    }
}
