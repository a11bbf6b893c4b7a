//! The custom (webhook) robots of the org's group chats: their security settings, how many
//! messages each sent in the current window, their bans, what each group received, and the
//! server's clock (which a test may set off from this machine's, to check clock skew).

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use base64::Engine as _;
use hmac::{Hmac, Mac};
use parking_lot::Mutex;
use serde::{Serialize, Serializer};
use sha2::Sha256;

use crate::config::{EmulatorConfig, WebhookConfig};
use crate::error::EmulatorError;
use crate::record::{Ring, unix_ms};

/// How far a signed request's `timestamp` may be from the server's clock (DingTalk: 1 hour).
pub(crate) const TIMESTAMP_WINDOW_MS: i64 = 3_600_000;

/// One message a group received from its custom robot.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupMessage {
    /// The group ([`WebhookConfig::group`]).
    pub group: String,
    /// The message type (`text`, `markdown`, `link`, `actionCard`, `feedCard`).
    pub msgtype: String,
    /// The JSON body as received (`msgtype`, the message object, `at`).
    pub body: serde_json::Value,
    /// When it was received (milliseconds since the Unix epoch when serialized).
    #[serde(serialize_with = "ser_time")]
    pub at: SystemTime,
}

fn ser_time<S: Serializer>(t: &SystemTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(unix_ms(*t))
}

/// A robot as the server sees it.
#[derive(Debug)]
pub(crate) struct Robot {
    pub(crate) group: String,
    pub(crate) secret: Option<String>,
    pub(crate) keywords: Vec<String>,
    /// (network, mask) pairs; empty = any address.
    allowed: Vec<(u32, u32)>,
}

impl Robot {
    /// Whether `ip` may send (IPv4 only, as DingTalk's allow-list).
    pub(crate) fn ip_allowed(&self, ip: Option<IpAddr>) -> bool {
        if self.allowed.is_empty() {
            return true;
        }
        let Some(IpAddr::V4(v4)) = ip.map(|ip| match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
            v4 => v4,
        }) else {
            return false;
        };
        let ip = u32::from(v4);
        self.allowed.iter().any(|(net, mask)| ip & mask == *net)
    }
}

/// How much one robot sent lately, and whether it is banned.
#[derive(Debug, Default)]
struct Traffic {
    sent: VecDeque<Instant>,
    banned_until: Option<Instant>,
}

/// Every custom robot of the org.
#[derive(Debug)]
pub(crate) struct Webhooks {
    robots: HashMap<String, Robot>,
    limit: u32,
    window: Duration,
    ban: Duration,
    traffic: Mutex<HashMap<String, Traffic>>,
    skew_ms: AtomicI64,
    pub(crate) received: Ring<GroupMessage>,
}

impl Webhooks {
    pub(crate) fn new(config: &EmulatorConfig, max_recorded: usize) -> Result<Self, EmulatorError> {
        let mut robots = HashMap::new();
        for WebhookConfig { access_token, group, secret, keywords, allowed_ips } in &config.webhooks {
            let allowed = allowed_ips.iter().map(|a| cidr(a)).collect::<Result<Vec<_>, _>>()?;
            let robot = Robot { group: group.clone(), secret: secret.clone(), keywords: keywords.clone(), allowed };
            if robots.insert(access_token.clone(), robot).is_some() {
                return Err(EmulatorError::Config(format!("the webhook of group {group:?} shares its access_token")));
            }
        }
        Ok(Webhooks {
            robots,
            limit: config.webhook_limit,
            window: config.webhook_window,
            ban: config.webhook_ban,
            traffic: Mutex::default(),
            skew_ms: AtomicI64::new(0),
            received: Ring::new(max_recorded),
        })
    }

    /// The robot whose webhook carries this `access_token`.
    pub(crate) fn robot(&self, token: &str) -> Option<&Robot> {
        self.robots.get(token)
    }

    /// Sets how far the server's clock is ahead of this machine's (negative: behind).
    pub(crate) fn set_skew_ms(&self, ms: i64) {
        self.skew_ms.store(ms, Ordering::Relaxed);
    }

    /// The server's clock: this machine's, off by the skew.
    pub(crate) fn now(&self) -> SystemTime {
        let skew = self.skew_ms.load(Ordering::Relaxed);
        let offset = Duration::from_millis(skew.unsigned_abs());
        let now = SystemTime::now();
        if skew >= 0 { now + offset } else { now.checked_sub(offset).unwrap_or(now) }
    }

    /// Whether the robot is serving a ban now.
    pub(crate) fn banned(&self, token: &str, now: Instant) -> bool {
        self.traffic.lock().get(token).and_then(|t| t.banned_until).is_some_and(|until| now < until)
    }

    /// Counts a message unless the robot already sent its limit in the window, in which case
    /// the robot is banned and `false` is returned. A limit of 0 means no limit.
    pub(crate) fn admit(&self, token: &str, now: Instant) -> bool {
        if self.limit == 0 {
            return true;
        }
        let mut traffic = self.traffic.lock();
        let t = traffic.entry(token.to_owned()).or_default();
        while t.sent.front().is_some_and(|s| now.saturating_duration_since(*s) >= self.window) {
            t.sent.pop_front();
        }
        if t.sent.len() >= self.limit as usize {
            t.banned_until = Some(now + self.ban);
            t.sent.clear();
            return false;
        }
        t.sent.push_back(now);
        true
    }
}

/// `base64(HmacSHA256(key = secret, timestamp + "\n" + secret))`: the signature DingTalk
/// expects (before URL encoding).
pub(crate) fn signature(secret: &str, timestamp: &str) -> String {
    // HMAC takes a key of any length: this cannot fail.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else { return String::new() };
    mac.update(format!("{timestamp}\n{secret}").as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// `1.2.3.4` or `1.2.3.0/24` as (network, mask).
fn cidr(text: &str) -> Result<(u32, u32), EmulatorError> {
    let bad = || EmulatorError::Config(format!("{text:?} is not an IPv4 address or CIDR range"));
    let (addr, bits) = match text.trim().split_once('/') {
        Some((a, b)) => (a, b.parse::<u32>().map_err(|_| bad())?),
        None => (text.trim(), 32),
    };
    let addr: Ipv4Addr = addr.parse().map_err(|_| bad())?;
    if bits > 32 {
        return Err(bad());
    }
    let mask = if bits == 0 { 0 } else { u32::MAX << (32 - bits) };
    Ok((u32::from(addr) & mask, mask))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_dingtalks_sample_computation() {
        // Computed with Python's hmac/hashlib/base64, as DingTalk's security-settings page does.
        assert_eq!(signature("SECtest", "1700000000000"), "aZLLrriXgn05YbwaGR7knYsLeJADjr9NwLaNNKpxh4g=");
    }

    #[test]
    fn allow_lists_take_addresses_and_ranges() {
        let robot = |list: &[&str]| Robot {
            group: String::new(),
            secret: None,
            keywords: Vec::new(),
            allowed: list.iter().map(|a| cidr(a).unwrap()).collect(),
        };
        let lo = Some(IpAddr::V4(Ipv4Addr::LOCALHOST));
        assert!(robot(&[]).ip_allowed(lo));
        assert!(robot(&["127.0.0.1"]).ip_allowed(lo));
        assert!(robot(&["127.0.0.0/8"]).ip_allowed(lo));
        assert!(!robot(&["10.0.0.0/8", "1.2.3.4"]).ip_allowed(lo));
        assert!(!robot(&["127.0.0.1"]).ip_allowed(None));
        assert!(cidr("1.2.3.4/33").is_err() && cidr("example").is_err());
    }

    #[test]
    fn past_the_limit_the_robot_is_banned() {
        let config = EmulatorConfig {
            webhooks: vec![WebhookConfig::new("t", "g")],
            webhook_limit: 2,
            webhook_window: Duration::from_secs(60),
            webhook_ban: Duration::from_secs(600),
            ..EmulatorConfig::default()
        };
        let hooks = Webhooks::new(&config, 10).unwrap();
        let t0 = Instant::now();
        assert!(hooks.admit("t", t0) && hooks.admit("t", t0 + Duration::from_secs(1)));
        assert!(!hooks.banned("t", t0 + Duration::from_secs(2)));
        assert!(!hooks.admit("t", t0 + Duration::from_secs(2)), "the third in a minute");
        assert!(hooks.banned("t", t0 + Duration::from_secs(300)));
        assert!(!hooks.banned("t", t0 + Duration::from_secs(603)));
    }
}
