//! Login throttling: at most so many failed attempts per user name and per client address within a
//! sliding window, in memory.
//!
//! # Design
//!
//! Each key (a user name as typed, or a client IP address) has the times of its recent failures,
//! at most `limit` of them. An attempt is admitted only if none of its keys has `limit` failures
//! within the window; otherwise it is refused with the time until the oldest of them leaves the
//! window, without checking the password (so a refused attempt costs no Argon2 and teaches nothing).
//!
//! An admitted attempt is counted as a failure **before** the password is checked and forgiven if it
//! succeeds: attempts running at the same moment cannot together exceed the limit. A success clears
//! the user name's failures and forgives its own entry on the address. Unknown names are counted like
//! known ones, so the throttle does not tell which names exist.
//!
//! Memory is bounded: when the map is full, keys whose failures have all left the window go first,
//! then the keys whose latest failure is oldest. State is per process and lost on restart.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::time::Duration;

use time::OffsetDateTime;

/// What is counted.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Key {
    /// A user name as typed (cut to 65 characters: a longer one names no user anyway).
    User(String),
    /// A client address.
    Ip(IpAddr),
}

impl Key {
    pub(crate) fn user(name: &str) -> Key {
        Key::User(name.chars().take(truce_store::MAX_NAME_LEN + 1).collect())
    }
}

/// The failures of every key. See the module documentation.
#[derive(Debug)]
pub(crate) struct Throttle {
    limit: usize,
    window: Duration,
    capacity: usize,
    failures: HashMap<Key, VecDeque<OffsetDateTime>>,
}

impl Throttle {
    /// At most `limit` failures per key within `window`; at most `capacity` keys remembered.
    pub(crate) fn new(limit: usize, window: Duration, capacity: usize) -> Self {
        Self { limit: limit.max(1), window, capacity: capacity.max(1), failures: HashMap::new() }
    }

    /// Drops the failures of `times` that have left the window at `now`.
    fn expire(times: &mut VecDeque<OffsetDateTime>, window: Duration, now: OffsetDateTime) {
        while times.front().is_some_and(|&t| now - t >= window) {
            times.pop_front();
        }
    }

    /// Admits an attempt by `keys` at `now` and counts it as a failure until [`Throttle::succeeded`]
    /// forgives it; or refuses it, with how long until the window allows one again.
    pub(crate) fn admit(&mut self, keys: &[Key], now: OffsetDateTime) -> Result<(), Duration> {
        let mut wait = Duration::ZERO;
        for key in keys {
            if let Some(times) = self.failures.get_mut(key) {
                Self::expire(times, self.window, now);
                if times.len() >= self.limit
                    && let Some(&oldest) = times.front()
                {
                    let left = (oldest + self.window) - now;
                    wait = wait.max(left.try_into().unwrap_or(Duration::ZERO));
                }
            }
        }
        if wait > Duration::ZERO {
            return Err(wait);
        }
        for key in keys {
            self.record(key.clone(), now);
        }
        Ok(())
    }

    fn record(&mut self, key: Key, now: OffsetDateTime) {
        if !self.failures.contains_key(&key) && self.failures.len() >= self.capacity {
            self.evict(now);
        }
        let times = self.failures.entry(key).or_default();
        if times.len() >= self.limit {
            times.pop_front();
        }
        times.push_back(now);
    }

    /// Makes room for one key: first forget keys with nothing in the window, then, if still full,
    /// the key whose latest failure is oldest.
    fn evict(&mut self, now: OffsetDateTime) {
        let window = self.window;
        self.failures.retain(|_, times| {
            Self::expire(times, window, now);
            !times.is_empty()
        });
        if self.failures.len() >= self.capacity {
            let stalest =
                self.failures.iter().min_by_key(|(_, times)| times.back().copied()).map(|(key, _)| key.clone());
            if let Some(key) = stalest {
                self.failures.remove(&key);
            }
        }
    }

    /// The attempt admitted at `at` succeeded: the user's failures are cleared, and the attempt's
    /// own entry is taken back from the other keys.
    pub(crate) fn succeeded(&mut self, keys: &[Key], at: OffsetDateTime) {
        for key in keys {
            if matches!(key, Key::User(_)) {
                self.failures.remove(key);
            } else {
                self.forgive_one(key, at);
            }
        }
    }

    /// The attempt admitted at `at` could not be decided (the store failed): it is not counted.
    pub(crate) fn forgive(&mut self, keys: &[Key], at: OffsetDateTime) {
        for key in keys {
            self.forgive_one(key, at);
        }
    }

    fn forgive_one(&mut self, key: &Key, at: OffsetDateTime) {
        if let Some(times) = self.failures.get_mut(key) {
            if let Some(i) = times.iter().rposition(|&t| t == at) {
                times.remove(i);
            }
            if times.is_empty() {
                self.failures.remove(key);
            }
        }
    }

    /// Keys remembered.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.failures.len()
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    const T0: OffsetDateTime = datetime!(2026-11-20 08:00 UTC);
    const WINDOW: Duration = Duration::from_secs(15 * 60);

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([192, 0, 2, last])
    }

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn the_sixth_attempt_in_the_window_waits_for_the_oldest_to_leave_it() {
        let mut t = Throttle::new(5, WINDOW, 100);
        let keys = [Key::user("alpha"), Key::Ip(ip(1))];
        for i in 0..5 {
            t.admit(&keys, T0 + secs(60 * i)).expect("admitted");
        }
        assert_eq!(t.admit(&keys, T0 + secs(300)), Err(secs(600)));
        assert_eq!(t.admit(&keys, T0 + secs(899)), Err(secs(1)));
        t.admit(&keys, T0 + secs(900)).expect("the first failure has left the window");
        assert!(t.admit(&keys, T0 + secs(901)).is_err(), "the next one has not");
    }

    #[test]
    fn either_key_throttles() {
        let mut t = Throttle::new(5, WINDOW, 100);
        // One address trying five names: the sixth name is refused for the address.
        for n in 0..5 {
            t.admit(&[Key::user(&format!("u{n}")), Key::Ip(ip(1))], T0).expect("admitted");
        }
        assert!(t.admit(&[Key::user("u5"), Key::Ip(ip(1))], T0).is_err());
        // Five addresses trying one name: the sixth address is refused for the name.
        for a in 10..15 {
            t.admit(&[Key::user("target"), Key::Ip(ip(a))], T0).expect("admitted");
        }
        assert!(t.admit(&[Key::user("target"), Key::Ip(ip(20))], T0).is_err());
        t.admit(&[Key::user("other"), Key::Ip(ip(20))], T0).expect("an unrelated pair");
    }

    #[test]
    fn a_success_clears_the_name_and_forgives_its_own_attempt_on_the_address() {
        let mut t = Throttle::new(5, WINDOW, 100);
        let keys = [Key::user("alpha"), Key::Ip(ip(1))];
        for i in 0..4 {
            t.admit(&keys, T0 + secs(i)).expect("admitted");
        }
        t.admit(&keys, T0 + secs(10)).expect("admitted");
        t.succeeded(&keys, T0 + secs(10));
        // The name starts afresh; the address still has its four failures.
        t.admit(&[Key::user("alpha"), Key::Ip(ip(2))], T0 + secs(11)).expect("admitted");
        t.admit(&[Key::user("bravo"), Key::Ip(ip(1))], T0 + secs(12)).expect("the fifth failure of the address");
        assert!(t.admit(&[Key::user("charlie"), Key::Ip(ip(1))], T0 + secs(13)).is_err());
    }

    #[test]
    fn memory_is_bounded_and_the_stalest_key_goes_first() {
        let mut t = Throttle::new(5, WINDOW, 10);
        for i in 0..100u8 {
            t.admit(&[Key::Ip(ip(i))], T0 + secs(u64::from(i))).expect("admitted");
            assert!(t.len() <= 10);
        }
        // The latest ten remain.
        assert!(t.failures.contains_key(&Key::Ip(ip(99))) && t.failures.contains_key(&Key::Ip(ip(90))));
        assert!(!t.failures.contains_key(&Key::Ip(ip(89))));
        // Keys whose failures left the window go before any live one.
        t.admit(&[Key::Ip(ip(200))], T0 + secs(90 + 900)).expect("admitted");
        assert_eq!(t.len(), 10);
        assert!(!t.failures.contains_key(&Key::Ip(ip(90))), "its failure left the window");
        assert!(t.failures.contains_key(&Key::Ip(ip(91))) && t.failures.contains_key(&Key::Ip(ip(200))));
    }
}
