//! Who may call the service: `user` + `token = md5(user + password)`, or HTTP Basic; a throttle for
//! client addresses that keep failing.

use super::query::Params;
use crate::domain::Secret;
use base64::Engine;
use md5::{Digest, Md5};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The login and password the running service checks against.
#[derive(Clone, Debug)]
pub struct Credentials {
    pub login: String,
    pub password: Secret,
    pub anonymous: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthResult {
    /// The login that passed (empty for anonymous).
    Ok,
    Missing,
    Wrong,
}

/// `md5(login + password)` as lowercase hex: Roistat's token.
pub fn token(login: &str, password: &str) -> String {
    let mut hasher = Md5::new();
    hasher.update(login.as_bytes());
    hasher.update(password.as_bytes());
    hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares without an early exit, so timing does not tell how much of a secret matched.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for i in 0..a.len().max(b.len()) {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        diff |= usize::from(x ^ y);
    }
    std::hint::black_box(diff) == 0
}

/// Checks a request; `authorization` is the raw header, if any.
pub fn check(creds: &Credentials, params: &Params, authorization: Option<&str>) -> AuthResult {
    if creds.anonymous {
        return AuthResult::Ok;
    }
    if let Some(header) = authorization
        && let Some((user, password)) = basic(header)
    {
        let ok = constant_time_eq(user.as_bytes(), creds.login.as_bytes())
            & constant_time_eq(password.as_bytes(), creds.password.expose().as_bytes());
        return if ok { AuthResult::Ok } else { AuthResult::Wrong };
    }
    match (params.get("user"), params.get("token")) {
        // Roistat sends `user=` when its login field is blank, with the token over the empty login: the
        // password is the secret, the login only a label.
        (Some(user), Some(given)) => {
            let expected = token(user, creds.password.expose());
            let ok = (user.is_empty() | constant_time_eq(user.as_bytes(), creds.login.as_bytes()))
                & constant_time_eq(given.trim().to_ascii_lowercase().as_bytes(), expected.as_bytes());
            if ok { AuthResult::Ok } else { AuthResult::Wrong }
        }
        (None, None) if authorization.is_none() => AuthResult::Missing,
        _ => AuthResult::Wrong,
    }
}

fn basic(header: &str) -> Option<(String, String)> {
    let (scheme, encoded) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

/// Where the throttle reads the time: tests move a [`ManualClock`] instead of sleeping.
pub trait Clock: Send + Sync {
    fn now(&self) -> Instant;
}

impl std::fmt::Debug for dyn Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Clock")
    }
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// A clock that stands still until moved.
pub struct ManualClock(Mutex<Instant>);

impl ManualClock {
    pub fn new() -> ManualClock {
        ManualClock(Mutex::new(Instant::now()))
    }

    pub fn advance(&self, by: Duration) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) += by;
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        ManualClock::new()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Failed logins per client address: more than `max_failures` within a window → that address's
/// failures are answered 429 for a window. Only failures count and only failures are refused: a
/// correct login always passes, so nobody can lock Roistat out by failing in its name.
pub struct Throttle {
    max_failures: u32,
    window: Duration,
    clock: Arc<dyn Clock>,
    entries: Mutex<HashMap<IpAddr, Entry>>,
}

struct Entry {
    window_start: Instant,
    failures: u32,
    blocked_until: Option<Instant>,
}

/// Addresses remembered before expired ones are forgotten.
const MAX_TRACKED: usize = 10_000;

impl Throttle {
    pub fn new(max_failures: u32, window: Duration, clock: Arc<dyn Clock>) -> Throttle {
        Throttle { max_failures, window, clock, entries: Mutex::new(HashMap::new()) }
    }

    /// Counts a failed login from `ip`; returns how long to wait (for `Retry-After`) when the
    /// address is blocked now.
    pub fn fail(&self, ip: IpAddr) -> Option<Duration> {
        let now = self.clock.now();
        let window = self.window;
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() > MAX_TRACKED {
            // Bounded memory under a spray of addresses: forget what has expired.
            entries
                .retain(|_, e| e.blocked_until.is_some_and(|u| u > now) || now.duration_since(e.window_start) < window);
        }
        let entry = entries.entry(ip).or_insert(Entry { window_start: now, failures: 0, blocked_until: None });
        if let Some(until) = entry.blocked_until {
            if until > now {
                return Some(until - now);
            }
            *entry = Entry { window_start: now, failures: 0, blocked_until: None };
        }
        if now.duration_since(entry.window_start) >= window {
            entry.window_start = now;
            entry.failures = 0;
        }
        entry.failures += 1;
        if entry.failures > self.max_failures {
            entry.blocked_until = Some(now + window);
            return Some(window);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_matches_protocol_example() {
        assert_eq!(token("1", "1"), "6512bd43d9caa6e02c990b0a82652dca");
    }

    #[test]
    fn constant_time_compare() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert!(!constant_time_eq(b"", b"a"));
        assert!(constant_time_eq(b"", b""));
        let long = vec![b'a'; 256];
        assert!(!constant_time_eq(&long, b""));
    }

    #[test]
    fn throttle_counts_failures_per_address_and_expires() {
        let clock = Arc::new(ManualClock::new());
        let t = Throttle::new(2, Duration::from_secs(60), clock.clone());
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let other: IpAddr = "10.0.0.2".parse().unwrap();
        assert_eq!(t.fail(ip), None);
        assert_eq!(t.fail(ip), None);
        assert_eq!(t.fail(ip), Some(Duration::from_secs(60)), "the third failure starts the block");
        clock.advance(Duration::from_secs(20));
        assert_eq!(t.fail(ip), Some(Duration::from_secs(40)), "Retry-After counts down");
        assert_eq!(t.fail(other), None, "another address is not blocked");
        clock.advance(Duration::from_secs(40));
        assert_eq!(t.fail(ip), None, "the block has expired and counting starts over");
    }

    #[test]
    fn failures_spread_over_windows_do_not_block() {
        let clock = Arc::new(ManualClock::new());
        let t = Throttle::new(2, Duration::from_secs(60), clock.clone());
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        for _ in 0..10 {
            assert_eq!(t.fail(ip), None);
            assert_eq!(t.fail(ip), None);
            clock.advance(Duration::from_secs(61));
        }
    }
}
