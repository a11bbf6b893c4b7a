//! [`MobileMemory`]: what a connection knows of mobile numbers, so that each is looked up once.

use std::collections::HashMap;
use std::time::Duration;

use tokio::time::Instant;

/// The most mobile-number resolutions a connection remembers; past it the memory starts over.
const MAX_CACHED_MOBILES: usize = 100_000;
/// How long a connection believes that a mobile number names no one of the org: long enough
/// that a flow sending to the same list again and again asks once, short enough that a new
/// colleague whose number HR adds is found within the run of a long flow.
pub const UNKNOWN_MOBILE_TTL: Duration = Duration::from_secs(10 * 60);

/// What a connection knows of mobile numbers, as DingTalk answered: the user ID of each that
/// resolved, and when it said that one names no one (believed for [`UNKNOWN_MOBILE_TTL`]).
#[derive(Default)]
pub(super) struct MobileMemory(HashMap<String, Known>);

/// DingTalk's answer for one mobile number.
enum Known {
    /// The employee's user ID.
    User(String),
    /// No one of the org, as said at this instant.
    Nobody(Instant),
}

impl MobileMemory {
    /// `Some(Some(user))`, or `Some(None)` when DingTalk said "no one" less than the TTL before
    /// `now`: the number need not be asked again. `None` when it must be.
    pub(super) fn get(&self, mobile: &str, now: Instant) -> Option<Option<String>> {
        match self.0.get(mobile)? {
            Known::User(user) => Some(Some(user.clone())),
            Known::Nobody(said) => (now.saturating_duration_since(*said) < UNKNOWN_MOBILE_TTL).then_some(None),
        }
    }

    /// Remembers DingTalk's answer for `mobile`, given at `now`; past [`MAX_CACHED_MOBILES`]
    /// numbers the memory starts over.
    pub(super) fn remember(&mut self, mobile: &str, user: Option<&str>, now: Instant) {
        if self.0.len() >= MAX_CACHED_MOBILES {
            self.0.clear();
        }
        let known = user.map_or(Known::Nobody(now), |u| Known::User(u.to_string()));
        self.0.insert(mobile.to_string(), known);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobiles_are_remembered_and_misses_for_the_ttl_only() {
        let mut memory = MobileMemory::default();
        let t0 = Instant::now();
        assert_eq!(memory.get("13800000001", t0), None, "never asked: ask");
        memory.remember("13800000001", Some("manager01"), t0);
        memory.remember("13900000009", None, t0);
        let later = t0 + UNKNOWN_MOBILE_TTL * 100;
        assert_eq!(
            memory.get("13800000001", later),
            Some(Some("manager01".into())),
            "a user for the connection's life"
        );
        assert_eq!(memory.get("13900000009", t0 + UNKNOWN_MOBILE_TTL / 2), Some(None), "no one, within the TTL");
        assert_eq!(memory.get("13900000009", t0 + UNKNOWN_MOBILE_TTL), None, "no one, said too long ago: ask again");
        memory.remember("13900000009", Some("newhire"), t0 + UNKNOWN_MOBILE_TTL);
        assert_eq!(memory.get("13900000009", later), Some(Some("newhire".into())));
    }
}
