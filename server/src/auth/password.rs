//! argon2id password hashes (PHC strings), and the gate that bounds how many checks run at
//! once. Hashing runs off the async threads.

use crate::error::AppError;
use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Hashes a password with argon2id and a random salt.
pub async fn hash(password: &str) -> Result<String, AppError> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
    .map_err(|e| AppError::Internal(format!("hashing failed: {e}")))
}

/// Checks a password against a stored hash; a malformed hash never matches. With `None`
/// (no such user) the same work is done against a fixed hash, so timing does not tell
/// whether an account exists. The permit travels with the hashing thread: a request dropped
/// mid-check (the client hung up) still holds its place until the hash is done.
pub async fn verify(permit: HashPermit, password: &str, stored: Option<&str>) -> bool {
    const DUMMY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0hNHVNBk2s0YchkvyflF7/jkcNMWzNIK0N4Ya1g8BoM";
    let exists = stored.is_some();
    let stored = stored.unwrap_or(DUMMY).to_string();
    let password = password.to_string();
    let ok = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        PasswordHash::new(&stored)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false);
    ok && exists
}

/// Bounds the password checks in flight. Each argon2 check holds ~19 MiB and a CPU for tens
/// of milliseconds, so hundreds at once would take the memory every shop is served from.
/// Beyond the permits, a short queue waits at most [`HashGate::MAX_WAIT`]; when the queue is
/// full too, a login is refused at once (the handler answers `503` with `Retry-After`).
pub struct HashGate {
    permits: Arc<Semaphore>,
    queue: Arc<Semaphore>,
    capacity: usize,
    counts: Arc<Counts>,
}

#[derive(Default)]
struct Counts {
    in_flight: AtomicUsize,
    peak: AtomicUsize,
}

/// The right to run one password check; see [`verify`].
pub struct HashPermit {
    _permit: OwnedSemaphorePermit,
    counts: Arc<Counts>,
}

impl Drop for HashPermit {
    fn drop(&mut self) {
        self.counts.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

impl HashGate {
    /// How long a login waits in the queue for a permit before it is refused.
    pub const MAX_WAIT: Duration = Duration::from_secs(3);
    /// Logins that may wait for a permit, per permit.
    const QUEUE_PER_PERMIT: usize = 16;

    /// `capacity` checks at once (at least one).
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            permits: Arc::new(Semaphore::new(capacity)),
            queue: Arc::new(Semaphore::new(capacity * Self::QUEUE_PER_PERMIT)),
            capacity,
            counts: Arc::default(),
        }
    }

    /// The configured capacity (`VITRINE_LOGIN_CONCURRENCY`), or as many checks as there are
    /// CPUs, from 2 to 16.
    pub fn for_config(config: &crate::config::Config) -> Self {
        let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self::new(
            config
                .login_concurrency
                .map_or(cpus.clamp(2, 16), usize::from),
        )
    }

    /// A permit, waiting in the queue for at most [`Self::MAX_WAIT`]; `None` when the queue
    /// is full or the wait ran out.
    pub async fn enter(&self) -> Option<HashPermit> {
        let _place = self.queue.clone().try_acquire_owned().ok()?;
        let permit = tokio::time::timeout(Self::MAX_WAIT, self.permits.clone().acquire_owned())
            .await
            .ok()?
            .ok()?;
        let now = self.counts.in_flight.fetch_add(1, Ordering::AcqRel) + 1;
        self.counts.peak.fetch_max(now, Ordering::AcqRel);
        Some(HashPermit {
            _permit: permit,
            counts: self.counts.clone(),
        })
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Checks running now.
    pub fn in_flight(&self) -> usize {
        self.counts.in_flight.load(Ordering::Acquire)
    }

    /// The most checks that ever ran at once.
    pub fn peak(&self) -> usize {
        self.counts.peak.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_differ() {
        let gate = HashGate::new(2);
        let a = hash("correct horse").await.unwrap();
        let b = hash("correct horse").await.unwrap();
        assert!(a.starts_with("$argon2id$"));
        assert_ne!(a, b, "salted");
        let check = |password: &'static str, stored: Option<String>| {
            let gate = &gate;
            async move {
                let permit = gate.enter().await.expect("permit");
                verify(permit, password, stored.as_deref()).await
            }
        };
        assert!(check("correct horse", Some(a.clone())).await);
        assert!(!check("wrong horse", Some(a)).await);
        assert!(!check("correct horse", Some("not a hash".into())).await);
        assert!(!check("anything", None).await);
        assert_eq!(gate.in_flight(), 0, "permits come back");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn the_gate_caps_checks_in_flight() {
        let gate = Arc::new(HashGate::new(2));
        let stored = hash("correct horse").await.unwrap();
        let tasks: Vec<_> = (0..40)
            .map(|_| {
                let (gate, stored) = (gate.clone(), stored.clone());
                tokio::spawn(async move {
                    if let Some(permit) = gate.enter().await {
                        verify(permit, "wrong", Some(&stored)).await;
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        assert!((1..=2).contains(&gate.peak()), "peak {}", gate.peak());
        assert_eq!(gate.in_flight(), 0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_busy_gate_refuses_instead_of_queueing_without_end() {
        let gate = Arc::new(HashGate::new(2));
        let held = [gate.enter().await.unwrap(), gate.enter().await.unwrap()];
        let tasks: Vec<_> = (0..200)
            .map(|_| {
                let gate = gate.clone();
                tokio::spawn(async move { gate.enter().await.is_none() })
            })
            .collect();
        for t in tasks {
            assert!(t.await.unwrap(), "refused while both permits are held");
        }
        assert_eq!(gate.peak(), 2);
        drop(held);
        assert!(gate.enter().await.is_some());
    }
}
