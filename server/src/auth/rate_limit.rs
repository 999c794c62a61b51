//! Failed-login limits per client address and per email, in a sliding window.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct LoginLimiter {
    window: Duration,
    per_client: usize,
    per_email: usize,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl LoginLimiter {
    pub fn new(window: Duration, per_client: usize, per_email: usize) -> Self {
        Self {
            window,
            per_client,
            per_email,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(seconds to wait)` when either key has used up its attempts.
    pub fn check(&self, client: &str, email: &str) -> Result<(), u64> {
        let mut failures = self.failures.lock().expect("limiter lock");
        let now = Instant::now();
        let mut wait = 0u64;
        for (key, max) in [
            (format!("client:{client}"), self.per_client),
            (format!("email:{email}"), self.per_email),
        ] {
            if let Some(times) = failures.get_mut(&key) {
                while times
                    .front()
                    .is_some_and(|t| now.duration_since(*t) > self.window)
                {
                    times.pop_front();
                }
                if times.len() >= max
                    && let Some(oldest) = times.front()
                {
                    let left = self.window.saturating_sub(now.duration_since(*oldest));
                    wait = wait.max(left.as_secs().max(1));
                }
            }
        }
        if wait > 0 { Err(wait) } else { Ok(()) }
    }

    pub fn record_failure(&self, client: &str, email: &str) {
        let mut failures = self.failures.lock().expect("limiter lock");
        if failures.len() > 100_000 {
            // Bounded memory under a flood of distinct keys: forget the oldest state wholesale.
            failures.clear();
        }
        let now = Instant::now();
        for key in [format!("client:{client}"), format!("email:{email}")] {
            failures.entry(key).or_default().push_back(now);
        }
    }

    /// A successful login forgets the email's failures (not the client's).
    pub fn record_success(&self, email: &str) {
        self.failures
            .lock()
            .expect("limiter lock")
            .remove(&format!("email:{email}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_email_and_per_client() {
        let l = LoginLimiter::new(Duration::from_secs(60), 4, 2);
        l.record_failure("1.1.1.1", "a@x.io");
        assert!(l.check("1.1.1.1", "a@x.io").is_ok());
        l.record_failure("2.2.2.2", "a@x.io");
        assert!(
            l.check("3.3.3.3", "a@x.io").is_err(),
            "email exhausted from any client"
        );
        assert!(l.check("1.1.1.1", "b@x.io").is_ok());
        l.record_failure("1.1.1.1", "c@x.io");
        l.record_failure("1.1.1.1", "d@x.io");
        l.record_failure("1.1.1.1", "e@x.io");
        assert!(
            l.check("1.1.1.1", "f@x.io").is_err(),
            "client exhausted for any email"
        );
        l.record_success("a@x.io");
        assert!(l.check("3.3.3.3", "a@x.io").is_ok());
    }
}
