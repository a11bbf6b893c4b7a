//! The live org: apps, tokens, deliveries, counters; shared by every request.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use parking_lot::{Mutex, RwLock};

use crate::cards::Cards;
use crate::config::{AppConfig, EmulatorConfig, GroupConfig, MESSAGE_WINDOW};
use crate::error::EmulatorError;
use crate::faults::FaultBook;
use crate::idle::IdleClose;
use crate::ids;
use crate::ratelimit::RateLimiter;
use crate::record::{DeliveredMessage, RecordedRequest, Ring, UploadedMedia};
use crate::sessions::Sessions;
use crate::stats::Counters;
use crate::stream::Streams;
use crate::webhook::Webhooks;

/// An app as the server sees it.
#[derive(Debug)]
pub(crate) struct AppState {
    pub(crate) secret: String,
    pub(crate) robot_code: String,
    pub(crate) permissions: HashSet<String>,
}

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenError {
    /// Never issued, forged or revoked.
    Invalid,
    /// Issued, but its lifetime is over.
    Expired,
}

#[derive(Debug)]
struct TokenInfo {
    app_key: Arc<str>,
    expires_at: Instant,
}

#[derive(Debug, Default)]
struct Tokens {
    by_token: HashMap<String, TokenInfo>,
    current: HashMap<String, String>,
}

/// A processed batchSend, as readStatus and recall see it.
#[derive(Debug)]
struct Delivery {
    app_key: Arc<str>,
    msg: DeliveredMessage,
    read_at: HashMap<String, u64>,
}

#[derive(Debug, Default)]
struct Deliveries {
    by_key: HashMap<String, Delivery>,
    order: VecDeque<String>,
}

/// Read status of one processed batchSend.
#[derive(Debug, Clone)]
pub(crate) struct ReadInfo {
    pub(crate) recalled: bool,
    /// (userId, read timestamp in ms if read)
    pub(crate) users: Vec<(String, Option<u64>)>,
}

/// Why a recall or read-status lookup failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LookupError {
    /// No such key for this app (in this conversation: one-to-one, or the group named).
    NotFound,
    /// The key exists but was sent by another robot.
    OtherRobot,
    /// The message was sent more than [`MESSAGE_WINDOW`] ago.
    Expired,
}

/// Whether a robot may post in a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GroupAccess {
    /// The group exists and the robot is in it.
    Member,
    /// The org has no group with that `openConversationId`.
    NoSuchGroup,
    /// The group exists; the robot is not in it.
    NotInGroup,
}

/// Everything the handlers share.
#[derive(Debug)]
pub(crate) struct Shared {
    apps: RwLock<HashMap<String, AppState>>,
    /// The AppKeys in the configuration's order.
    app_order: Vec<String>,
    users: HashSet<String>,
    flow_controlled: HashSet<String>,
    mobiles: HashMap<String, String>,
    groups: HashMap<String, HashSet<String>>,
    pub(crate) errcode_as_text: bool,
    pub(crate) send_status_as_sample: bool,
    token_ttl: Duration,
    tokens: RwLock<Tokens>,
    deliveries: Mutex<Deliveries>,
    max_recorded: usize,
    pub(crate) limiter: RateLimiter,
    pub(crate) faults: FaultBook,
    pub(crate) counters: Counters,
    pub(crate) idle_close: IdleClose,
    pub(crate) requests: Ring<RecordedRequest>,
    pub(crate) uploads: Ring<UploadedMedia>,
    pub(crate) webhooks: Webhooks,
    pub(crate) streams: Streams,
    pub(crate) cards: Cards,
    pub(crate) sessions: Sessions,
    /// `http://127.0.0.1:PORT`.
    pub(crate) base_url: String,
}

impl Shared {
    /// The org of `config`, served on `port`.
    pub(crate) fn new(config: &EmulatorConfig, port: u16) -> Result<Self, EmulatorError> {
        let mut apps = HashMap::new();
        for AppConfig { app_key, app_secret, robot_code, permissions } in &config.apps {
            let state = AppState {
                secret: app_secret.clone(),
                robot_code: robot_code.clone(),
                permissions: permissions.iter().cloned().collect(),
            };
            if apps.insert(app_key.clone(), state).is_some() {
                return Err(EmulatorError::Config(format!("AppKey {app_key:?} is configured twice")));
            }
        }
        let max_recorded = config.max_recorded.max(1);
        let idle_close = IdleClose::default();
        idle_close.set(config.close_idle_after);
        Ok(Shared {
            apps: RwLock::new(apps),
            app_order: config.apps.iter().map(|a| a.app_key.clone()).collect(),
            users: config.users.iter().cloned().collect(),
            flow_controlled: config.flow_controlled.iter().cloned().collect(),
            mobiles: config.mobiles.iter().cloned().collect(),
            groups: config
                .groups
                .iter()
                .map(|GroupConfig { open_conversation_id, robot_codes }| {
                    (open_conversation_id.clone(), robot_codes.iter().cloned().collect())
                })
                .collect(),
            errcode_as_text: config.errcode_as_text,
            send_status_as_sample: config.send_status_as_sample,
            token_ttl: config.token_ttl,
            tokens: RwLock::new(Tokens::default()),
            deliveries: Mutex::new(Deliveries::default()),
            max_recorded,
            limiter: RateLimiter::new(config.qps_limit),
            faults: FaultBook::default(),
            counters: Counters::default(),
            idle_close,
            requests: Ring::new(max_recorded),
            uploads: Ring::new(max_recorded),
            webhooks: Webhooks::new(config, max_recorded)?,
            streams: Streams::new(port, config.stream_ticket_ttl, config.stream_disconnect_grace, max_recorded),
            cards: Cards::new(&config.card_templates, max_recorded),
            sessions: Sessions::new(config.session_webhook_ttl, max_recorded),
            base_url: format!("http://127.0.0.1:{port}"),
        })
    }

    /// True when `key`/`secret` name a configured app.
    pub(crate) fn credentials_ok(&self, key: &str, secret: &str) -> bool {
        self.apps.read().get(key).is_some_and(|a| a.secret == secret)
    }

    /// The first configured app, if any.
    pub(crate) fn first_app(&self) -> Option<String> {
        self.app_order.first().cloned()
    }

    /// The first configured app whose robot is in the group, if any.
    pub(crate) fn app_in_group(&self, open_conversation_id: &str) -> Option<String> {
        let robots = self.groups.get(open_conversation_id)?;
        let apps = self.apps.read();
        self.app_order.iter().find(|k| apps.get(*k).is_some_and(|a| robots.contains(&a.robot_code))).cloned()
    }

    /// The app's robot code, if the app exists.
    pub(crate) fn robot_code(&self, app_key: &str) -> Option<String> {
        self.apps.read().get(app_key).map(|a| a.robot_code.clone())
    }

    /// True when the app holds `permission`.
    pub(crate) fn has_permission(&self, app_key: &str, permission: &str) -> bool {
        self.apps.read().get(app_key).is_some_and(|a| a.permissions.contains(permission))
    }

    /// Replaces an app's permissions; false when there is no such app.
    pub(crate) fn set_permissions(&self, app_key: &str, perms: Vec<String>) -> bool {
        match self.apps.write().get_mut(app_key) {
            Some(app) => {
                app.permissions = perms.into_iter().collect();
                true
            }
            None => false,
        }
    }

    /// The app's current token (issuing one if there is none or it expired) and the
    /// seconds it has left.
    pub(crate) fn issue_token(&self, app_key: &str) -> (String, u64) {
        let now = Instant::now();
        let mut tokens = self.tokens.write();
        let live = tokens.current.get(app_key).and_then(|tok| {
            let info = tokens.by_token.get(tok)?;
            (info.expires_at > now).then(|| (tok.clone(), info.expires_at))
        });
        if let Some((tok, expires_at)) = live {
            let left = expires_at.saturating_duration_since(now);
            return (tok, left.as_secs().max(1));
        }
        // Forget tokens that expired long ago, so short TTLs cannot grow the map forever.
        let keep_after = now.checked_sub(Duration::from_secs(3600)).unwrap_or(now);
        tokens.by_token.retain(|_, i| i.expires_at > keep_after);
        let token = ids::access_token();
        tokens
            .by_token
            .insert(token.clone(), TokenInfo { app_key: Arc::from(app_key), expires_at: now + self.token_ttl });
        tokens.current.insert(app_key.to_owned(), token.clone());
        (token, self.token_ttl.as_secs().max(1))
    }

    /// The app a token belongs to.
    pub(crate) fn check_token(&self, token: &str) -> Result<Arc<str>, TokenError> {
        let tokens = self.tokens.read();
        match tokens.by_token.get(token) {
            None => Err(TokenError::Invalid),
            Some(info) if info.expires_at <= Instant::now() => Err(TokenError::Expired),
            Some(info) => Ok(info.app_key.clone()),
        }
    }

    /// Every issued token becomes invalid now.
    pub(crate) fn revoke_tokens(&self) {
        let mut tokens = self.tokens.write();
        tokens.by_token.clear();
        tokens.current.clear();
    }

    /// Whether `user` is a member of the org, and whether they are flow-controlled.
    pub(crate) fn user_status(&self, user: &str) -> UserStatus {
        if self.flow_controlled.contains(user) {
            UserStatus::FlowControlled
        } else if self.users.contains(user) {
            UserStatus::Ok
        } else {
            UserStatus::Invalid
        }
    }

    /// The user with this mobile number, if the org has one.
    pub(crate) fn user_by_mobile(&self, mobile: &str) -> Option<String> {
        self.mobiles.get(mobile).cloned()
    }

    /// The `type` a media id was uploaded as, if it was (and is still remembered).
    pub(crate) fn media_type(&self, media_id: &str) -> Option<String> {
        self.uploads.find_map(|m| (m.media_id == media_id).then(|| m.media_type.clone()))
    }

    /// Stores a processed batchSend.
    pub(crate) fn deliver(&self, app_key: Arc<str>, msg: DeliveredMessage) {
        let key = msg.process_query_key.clone();
        let mut d = self.deliveries.lock();
        if d.order.len() >= self.max_recorded {
            if let Some(old) = d.order.pop_front() {
                d.by_key.remove(&old);
            }
        }
        d.order.push_back(key.clone());
        d.by_key.insert(key, Delivery { app_key, msg, read_at: HashMap::new() });
    }

    /// Every stored delivery, oldest first.
    pub(crate) fn delivered(&self) -> Vec<DeliveredMessage> {
        let d = self.deliveries.lock();
        d.order.iter().filter_map(|k| d.by_key.get(k).map(|x| x.msg.clone())).collect()
    }

    /// Whether `robot_code` may post in the group `open_conversation_id`.
    pub(crate) fn group_access(&self, open_conversation_id: &str, robot_code: &str) -> GroupAccess {
        match self.groups.get(open_conversation_id) {
            None => GroupAccess::NoSuchGroup,
            Some(robots) if robots.contains(robot_code) => GroupAccess::Member,
            Some(_) => GroupAccess::NotInGroup,
        }
    }

    /// The delivery `key` of this app, in the conversation `group` (`None`: one-to-one), sent
    /// by `robot_code` within the window.
    fn lookup<'d>(
        d: &'d mut Deliveries,
        app_key: &str,
        robot_code: &str,
        key: &str,
        group: Option<&str>,
    ) -> Result<&'d mut Delivery, LookupError> {
        let del = d
            .by_key
            .get_mut(key)
            .filter(|x| &*x.app_key == app_key && x.msg.open_conversation_id.as_deref() == group)
            .ok_or(LookupError::NotFound)?;
        if del.msg.robot_code != robot_code {
            return Err(LookupError::OtherRobot);
        }
        let age = SystemTime::now().duration_since(del.msg.at).unwrap_or_default();
        if age > MESSAGE_WINDOW {
            return Err(LookupError::Expired);
        }
        Ok(del)
    }

    /// Read status of a one-to-one delivery made by this app's robot.
    pub(crate) fn read_info(&self, app_key: &str, robot_code: &str, key: &str) -> Result<ReadInfo, LookupError> {
        let mut d = self.deliveries.lock();
        let del = Self::lookup(&mut d, app_key, robot_code, key, None)?;
        Ok(ReadInfo {
            recalled: del.msg.recalled,
            users: del.msg.user_ids.iter().map(|u| (u.clone(), del.read_at.get(u).copied())).collect(),
        })
    }

    /// Recalls a delivery made by this app's robot, one-to-one (`group` `None`) or in the
    /// group named (recalling twice succeeds twice).
    pub(crate) fn recall(
        &self,
        app_key: &str,
        robot_code: &str,
        key: &str,
        group: Option<&str>,
    ) -> Result<(), LookupError> {
        let mut d = self.deliveries.lock();
        Self::lookup(&mut d, app_key, robot_code, key, group)?.msg.recalled = true;
        Ok(())
    }

    /// Marks a delivered message as read by `user`; false when there is no such delivery
    /// to that user.
    pub(crate) fn mark_read(&self, key: &str, user: &str) -> bool {
        let mut d = self.deliveries.lock();
        match d.by_key.get_mut(key) {
            Some(del) if del.msg.user_ids.iter().any(|u| u == user) => {
                del.read_at.insert(user.to_owned(), crate::record::unix_ms(SystemTime::now()));
                true
            }
            _ => false,
        }
    }

    /// Moves a delivery's send time `by` into the past (to pass the 24-hour window without
    /// waiting); false when there is no such delivery.
    pub(crate) fn backdate(&self, key: &str, by: Duration) -> bool {
        let mut d = self.deliveries.lock();
        match d.by_key.get_mut(key) {
            Some(del) => {
                del.msg.at = del.msg.at.checked_sub(by).unwrap_or(std::time::UNIX_EPOCH);
                true
            }
            None => false,
        }
    }
}

/// A recipient's fate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UserStatus {
    /// Member of the org: gets the message.
    Ok,
    /// Not a member: `invalidStaffIdList`.
    Invalid,
    /// Flow-controlled: `flowControlledStaffIdList`.
    FlowControlled,
}
