//! Failed-login limits, so passwords cannot be guessed quickly and an editor cannot be kept
//! out of their shop by someone else's wrong guesses:
//!
//! - **Per client address**: at most `per_client` failures in a sliding `window` (10 in 15
//!   minutes); then the address waits until its oldest failure leaves the window.
//! - **Per email**: the first `email_free` failures (3) cost nothing; after that each attempt
//!   must wait 1 s, 2 s, 4 s … (at most 60 s) after the email's previous failure. A streak ends
//!   `window` after its last failure, or with a successful login. A short delay rather than a
//!   lockout: an attacker spread over many addresses gets about one guess a minute at an
//!   account, and holds its owner up for at most a minute at a time.
//! - **Known addresses**: an address that logged in as an email within `known_for` (30 days)
//!   is not held by that email's delay (only by its own per-address limit), so nobody can keep
//!   an editor out from where they usually log in.
//!
//! An attempt counts as a failure *before* its password is checked ([`LoginLimiter::begin`])
//! and is released only when the password was right, so a burst of concurrent guesses cannot
//! all pass the check while the first ones are still hashing.
//!
//! Memory is bounded: entries older than their window are dropped once per `window`, and each
//! map holds at most `max_keys` keys; when one is full, the entries that hold nobody back are
//! evicted first (oldest first), so a flood of new keys cannot wipe an existing block.

use crate::sync::lock;
use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The numbers of the login limits; [`Default`] is what the server uses.
#[derive(Clone, Debug)]
pub struct LoginLimits {
    /// How long a failure counts against its address, and how long an email's streak lasts.
    pub window: Duration,
    /// Failures an address may have within `window`.
    pub per_client: usize,
    /// Failures an email may have before each further attempt must wait.
    pub email_free: u32,
    /// The first wait; it doubles with each further failure.
    pub email_delay: Duration,
    /// The longest wait.
    pub email_delay_max: Duration,
    /// How long a successful login makes its address known for that email.
    pub known_for: Duration,
    /// Keys each map (addresses, emails, known addresses) holds at most.
    pub max_keys: usize,
}

impl Default for LoginLimits {
    fn default() -> Self {
        Self {
            window: Duration::from_secs(15 * 60),
            per_client: 10,
            email_free: 3,
            email_delay: Duration::from_secs(1),
            email_delay_max: Duration::from_secs(60),
            known_for: Duration::from_secs(30 * 24 * 3600),
            max_keys: 50_000,
        }
    }
}

pub struct LoginLimiter {
    limits: LoginLimits,
    /// Stays consistent even if a holder panicked: every update is one step.
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Failure times per client address, oldest first; never longer than `per_client`.
    clients: HashMap<String, VecDeque<Instant>>,
    emails: HashMap<String, Streak>,
    /// (email, address) → last successful login.
    known: HashMap<(String, String), Instant>,
    last_prune: Option<Instant>,
}

/// An email's run of failures.
#[derive(Clone, Copy, Debug)]
struct Streak {
    failures: u32,
    last: Instant,
}

/// A login attempt that passed the limits and was counted as a failure up front. Unless
/// [`Attempt::succeeded`] is called it stays one, also when the request is dropped mid-way.
#[must_use = "an attempt not marked as succeeded counts as a failure"]
pub struct Attempt<'a> {
    limiter: &'a LoginLimiter,
    client: String,
    email: String,
    at: Instant,
}

impl Attempt<'_> {
    /// The password was right: the address gets its attempt back, the email's streak ends
    /// and the address becomes known for the email.
    pub fn succeeded(self) {
        self.limiter.succeeded(&self.client, &self.email, self.at);
    }
}

impl LoginLimiter {
    pub fn new(limits: LoginLimits) -> Self {
        Self {
            limits,
            state: Mutex::new(State::default()),
        }
    }

    /// `Err(seconds to wait)` when the address or the email has to wait now; changes nothing.
    /// A cheap pre-check, so clients that are held back never queue for a password check.
    pub fn check(&self, client: &str, email: &str) -> Result<(), u64> {
        self.check_at(client, email, Instant::now())
    }

    pub fn check_at(&self, client: &str, email: &str, now: Instant) -> Result<(), u64> {
        let mut state = lock(&self.state);
        state.prune_if_due(&self.limits, now);
        match state.wait(&self.limits, client, email, now) {
            wait if wait.is_zero() => Ok(()),
            wait => Err(whole_seconds(wait)),
        }
    }

    /// Checks the limits and, in the same step, counts the attempt as a failure of both the
    /// address and the email. `Err(seconds to wait)` when either has to wait.
    pub fn begin(&self, client: &str, email: &str) -> Result<Attempt<'_>, u64> {
        self.begin_at(client, email, Instant::now())
    }

    pub fn begin_at(&self, client: &str, email: &str, now: Instant) -> Result<Attempt<'_>, u64> {
        let limits = &self.limits;
        let mut state = lock(&self.state);
        state.prune_if_due(limits, now);
        let wait = state.wait(limits, client, email, now);
        if !wait.is_zero() {
            return Err(whole_seconds(wait));
        }
        let State {
            clients, emails, ..
        } = &mut *state;
        if !clients.contains_key(client) {
            make_room(clients, limits.max_keys, |times| {
                (
                    times.len() >= limits.per_client,
                    times.back().copied().unwrap_or(now),
                )
            });
        }
        clients.entry(client.to_owned()).or_default().push_back(now);
        if !emails.contains_key(email) {
            make_room(emails, limits.max_keys, |s| {
                (s.failures >= limits.email_free, s.last)
            });
        }
        let streak = emails.entry(email.to_owned()).or_insert(Streak {
            failures: 0,
            last: now,
        });
        if !streak.active(now, limits.window) {
            streak.failures = 0;
        }
        streak.failures = streak.failures.saturating_add(1);
        streak.last = now;
        Ok(Attempt {
            limiter: self,
            client: client.to_owned(),
            email: email.to_owned(),
            at: now,
        })
    }

    fn succeeded(&self, client: &str, email: &str, at: Instant) {
        let limits = &self.limits;
        let mut state = lock(&self.state);
        if let Some(times) = state.clients.get_mut(client) {
            if let Some(i) = times.iter().position(|t| *t == at) {
                times.remove(i);
            }
            if times.is_empty() {
                state.clients.remove(client);
            }
        }
        state.emails.remove(email);
        let key = (email.to_owned(), client.to_owned());
        if !state.known.contains_key(&key) {
            make_room(&mut state.known, limits.max_keys, |last| (false, *last));
        }
        state.known.insert(key, at);
    }

    /// Keys held per map (addresses, emails, known addresses), for tests and metrics.
    pub fn len(&self) -> (usize, usize, usize) {
        let state = lock(&self.state);
        (state.clients.len(), state.emails.len(), state.known.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == (0, 0, 0)
    }
}

impl State {
    /// How long `client` trying `email` has to wait now (zero: not at all).
    fn wait(&mut self, limits: &LoginLimits, client: &str, email: &str, now: Instant) -> Duration {
        let mut wait = Duration::ZERO;
        if let Some(times) = self.clients.get_mut(client) {
            drop_expired(times, now, limits.window);
            if times.len() >= limits.per_client
                && let Some(oldest) = times.front()
            {
                wait = limits
                    .window
                    .saturating_sub(now.saturating_duration_since(*oldest));
            }
        }
        let known = self
            .known
            .get(&(email.to_owned(), client.to_owned()))
            .is_some_and(|at| now.saturating_duration_since(*at) < limits.known_for);
        if !known
            && let Some(streak) = self.emails.get(email)
            && streak.active(now, limits.window)
        {
            wait = wait.max(streak.wait(now, limits));
        }
        wait
    }

    /// Drops what no longer holds anyone back, once per window.
    fn prune_if_due(&mut self, limits: &LoginLimits, now: Instant) {
        if self
            .last_prune
            .is_some_and(|at| now.saturating_duration_since(at) < limits.window)
        {
            return;
        }
        self.last_prune = Some(now);
        self.clients.retain(|_, times| {
            drop_expired(times, now, limits.window);
            !times.is_empty()
        });
        self.emails.retain(|_, s| s.active(now, limits.window));
        self.known
            .retain(|_, at| now.saturating_duration_since(*at) < limits.known_for);
    }
}

impl Streak {
    fn active(&self, now: Instant, window: Duration) -> bool {
        now.saturating_duration_since(self.last) <= window
    }

    /// The wait after the last failure: none for the free ones, then doubling up to the cap.
    fn wait(&self, now: Instant, limits: &LoginLimits) -> Duration {
        let Some(over) = self.failures.checked_sub(limits.email_free) else {
            return Duration::ZERO;
        };
        let delay = limits
            .email_delay
            .saturating_mul(1u32 << over.min(20))
            .min(limits.email_delay_max);
        delay.saturating_sub(now.saturating_duration_since(self.last))
    }
}

fn drop_expired(times: &mut VecDeque<Instant>, now: Instant, window: Duration) {
    while times
        .front()
        .is_some_and(|t| now.saturating_duration_since(*t) > window)
    {
        times.pop_front();
    }
}

/// Makes room for one more key in a full map: evicts down to nine tenths of `max`, entries
/// that block nobody first, then the oldest (`rank` gives (blocks, last activity)). Evicting
/// a tenth at a time keeps the cost per insert small.
fn make_room<K: Eq + Hash + Clone, V>(
    map: &mut HashMap<K, V>,
    max: usize,
    rank: impl Fn(&V) -> (bool, Instant),
) {
    if map.len() < max {
        return;
    }
    let keep = max.saturating_sub(max / 10 + 1);
    let excess = map.len().saturating_sub(keep).max(1);
    let mut ranked: Vec<((bool, Instant), &K)> = map.iter().map(|(k, v)| (rank(v), k)).collect();
    if excess < ranked.len() {
        ranked.select_nth_unstable_by_key(excess, |(r, _)| *r);
    }
    let evict: Vec<K> = ranked
        .into_iter()
        .take(excess)
        .map(|(_, k)| k.clone())
        .collect();
    for k in evict {
        map.remove(&k);
    }
}

/// Whole seconds for `Retry-After`, rounded up and at least one.
fn whole_seconds(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(per_client: usize) -> LoginLimiter {
        LoginLimiter::new(LoginLimits {
            window: Duration::from_secs(60),
            per_client,
            email_free: 2,
            ..LoginLimits::default()
        })
    }

    fn fail(l: &LoginLimiter, client: &str, email: &str, at: Instant) -> Result<(), u64> {
        l.begin_at(client, email, at).map(drop)
    }

    #[test]
    fn limits_per_client_and_delays_per_email() {
        let l = limiter(4);
        let t = Instant::now();
        fail(&l, "1.1.1.1", "a@x.io", t).unwrap();
        fail(&l, "2.2.2.2", "a@x.io", t).unwrap();
        // Two free failures for the email; the third attempt waits a second, from anywhere.
        assert_eq!(l.check_at("3.3.3.3", "a@x.io", t), Err(1));
        let t = t + Duration::from_secs(1);
        fail(&l, "3.3.3.3", "a@x.io", t).unwrap();
        assert_eq!(l.check_at("3.3.3.3", "a@x.io", t), Err(2), "doubles");
        // Other emails from the same clients are not held by a's delay.
        assert!(l.check_at("1.1.1.1", "b@x.io", t).is_ok());
        for e in ["c@x.io", "d@x.io", "e@x.io"] {
            fail(&l, "1.1.1.1", e, t).unwrap();
        }
        assert_eq!(
            l.check_at("1.1.1.1", "f@x.io", t),
            Err(59),
            "client used up its 4 failures: waits for the oldest to leave the window"
        );
        assert!(
            l.check_at("1.1.1.1", "f@x.io", t + Duration::from_secs(60))
                .is_ok()
        );
    }

    #[test]
    fn a_burst_is_counted_before_any_password_is_checked() {
        let l = limiter(10);
        let t = Instant::now();
        // 200 concurrent attempts, none finished: only the limit gets through.
        let passed: Vec<_> = (0..200)
            .filter_map(|i| l.begin_at("1.1.1.1", &format!("u{i}@x.io"), t).ok())
            .collect();
        assert_eq!(passed.len(), 10);
        drop(passed);
        let l = limiter(10);
        let passed: Vec<_> = (0..200)
            .filter_map(|_| l.begin_at("1.1.1.1", "a@x.io", t).ok())
            .collect();
        assert_eq!(passed.len(), 2, "the email's free failures");
    }

    #[test]
    fn success_gives_the_attempt_back_and_ends_the_streak() {
        let l = limiter(2);
        let t = Instant::now();
        fail(&l, "1.1.1.1", "a@x.io", t).unwrap();
        l.begin_at("1.1.1.1", "a@x.io", t).unwrap().succeeded();
        fail(&l, "1.1.1.1", "a@x.io", t).unwrap();
        assert!(
            l.check_at("1.1.1.1", "b@x.io", t).is_err(),
            "two failures left on the client, the success released its own"
        );
        let l = limiter(10);
        fail(&l, "1.1.1.1", "a@x.io", t).unwrap();
        l.begin_at("1.1.1.1", "a@x.io", t).unwrap().succeeded();
        fail(&l, "2.2.2.2", "a@x.io", t).unwrap();
        assert!(
            l.check_at("3.3.3.3", "a@x.io", t).is_ok(),
            "streak restarted"
        );
    }

    #[test]
    fn a_distributed_attacker_holds_the_owner_up_briefly_and_never_where_they_log_in() {
        let l = limiter(10);
        let t0 = Instant::now();
        l.begin_at("10.0.0.1", "owner@x.io", t0)
            .unwrap()
            .succeeded();
        // An attacker with a thousand addresses guesses as fast as the delay lets them.
        let mut t = t0;
        let mut guesses = 0;
        for i in 0..1000 {
            t += Duration::from_secs(1);
            if fail(&l, &format!("192.0.2.{}", i % 250), "owner@x.io", t).is_ok() {
                guesses += 1;
            }
        }
        assert!(guesses < 30, "{guesses} guesses in 1000 s");
        // The owner, from the address they logged in from before: no wait at all.
        assert!(l.check_at("10.0.0.1", "owner@x.io", t).is_ok());
        // From a new address: at most a minute after the attacker's last guess.
        let wait = l.check_at("10.9.9.9", "owner@x.io", t).unwrap_err();
        assert!(wait <= 60, "{wait}");
        assert!(
            l.check_at("10.9.9.9", "owner@x.io", t + Duration::from_secs(60))
                .is_ok()
        );
        // The known address expires.
        let later = t0 + Duration::from_secs(31 * 24 * 3600);
        fail(&l, "192.0.2.1", "owner@x.io", later).unwrap();
        fail(&l, "192.0.2.2", "owner@x.io", later).unwrap();
        assert!(l.check_at("10.0.0.1", "owner@x.io", later).is_err());
    }

    #[test]
    fn memory_stays_bounded_and_a_flood_of_keys_does_not_lift_a_block() {
        let l = LoginLimiter::new(LoginLimits {
            window: Duration::from_secs(60),
            per_client: 3,
            email_free: 2,
            email_delay: Duration::from_secs(60),
            max_keys: 100,
            ..LoginLimits::default()
        });
        let t = Instant::now();
        for e in ["a@x.io", "b@x.io", "c@x.io"] {
            fail(&l, "6.6.6.6", e, t).unwrap();
        }
        fail(&l, "5.5.5.1", "victim@x.io", t).unwrap();
        fail(&l, "5.5.5.2", "victim@x.io", t).unwrap();
        assert!(l.check_at("6.6.6.6", "other@x.io", t).is_err());
        assert!(l.check_at("8.8.8.8", "victim@x.io", t).is_err());
        for i in 0..10_000u32 {
            let at = t + Duration::from_millis(u64::from(i));
            let client = format!("7.{}.{}.1", i / 250, i % 250);
            let _ = fail(&l, &client, &format!("u{i}@x.io"), at);
            let (clients, emails, known) = l.len();
            assert!(clients <= 100 && emails <= 100 && known <= 100);
        }
        let t = t + Duration::from_secs(10);
        assert!(
            l.check_at("6.6.6.6", "other@x.io", t).is_err(),
            "the blocked address is still blocked"
        );
        assert!(
            l.check_at("8.8.8.8", "victim@x.io", t).is_err(),
            "the delayed email is still delayed"
        );
    }

    #[test]
    fn stale_keys_are_dropped() {
        let l = limiter(10);
        let t = Instant::now();
        for i in 0..50 {
            fail(&l, &format!("9.9.9.{i}"), &format!("u{i}@x.io"), t).unwrap();
        }
        assert_eq!(l.len(), (50, 50, 0));
        // The next call after a window has passed prunes everything expired.
        assert!(
            l.check_at("1.1.1.1", "a@x.io", t + Duration::from_secs(61))
                .is_ok()
        );
        assert!(l.is_empty());
    }

    #[test]
    fn waits_round_up() {
        assert_eq!(whole_seconds(Duration::from_millis(1)), 1);
        assert_eq!(whole_seconds(Duration::from_millis(1001)), 2);
        assert_eq!(whole_seconds(Duration::from_secs(3)), 3);
    }
}
