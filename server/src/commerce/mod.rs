//! Commerce, the runtime every shop gets without code: server-side carts ([`cart`]), what
//! stock is free ([`stock`]), checkout into a pending order and a payment session with the
//! shop's payment provider ([`checkout`]), orders and rental returns ([`orders`]), the
//! provider's webhook that marks orders paid exactly once ([`webhook`]), and their HTTP
//! routes ([`routes`]). Amounts are integer minor units end to end.

pub mod cart;
pub mod checkout;
pub mod orders;
pub mod routes;
pub mod stock;
pub mod webhook;

use crate::error::AppError;
use crate::payments::PaymentError;
use sea_orm::DbErr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// What checkout answers for a shop configured without online payments (`vitrine smoke`
/// reads it as steps that do not apply, not a failure).
pub const NO_ONLINE_PAYMENTS: &str = "this shop takes no online payments";

/// Why a commerce operation did not happen. Every variant but `Db` is the customer's or
/// operator's to fix, and says how.
#[derive(Debug, thiserror::Error)]
pub enum CommerceError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    /// Not enough stock (or the dates are taken).
    #[error("{0}")]
    Unavailable(String),
    /// The order is not in a state that allows this.
    #[error("{0}")]
    Conflict(String),
    #[error("payments are not set up for this shop yet")]
    PaymentsOff,
    /// The shop's configuration chose no online payments (its cart still works).
    #[error("{NO_ONLINE_PAYMENTS}")]
    NoOnlinePayments,
    /// Too many customers are changing carts or checking out at this moment.
    #[error("the shop is very busy right now; please try again in a moment")]
    Busy,
    #[error("the payment provider did not take the request: {0}")]
    Provider(#[from] PaymentError),
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl From<CommerceError> for AppError {
    fn from(e: CommerceError) -> Self {
        let message = e.to_string();
        match e {
            CommerceError::NotFound(m) => AppError::Missing(m),
            CommerceError::Invalid(m) => AppError::BadRequest(m),
            CommerceError::Unavailable(m) | CommerceError::Conflict(m) => AppError::Conflict(m),
            CommerceError::NoOnlinePayments => AppError::Conflict(message),
            CommerceError::PaymentsOff | CommerceError::Busy => AppError::Unavailable(message),
            CommerceError::Provider(p) => {
                tracing::warn!(error = %p, "payment provider call failed");
                AppError::Unavailable(
                    "the payment provider cannot be reached right now; nothing was charged, please try again in a moment".into(),
                )
            }
            CommerceError::Db(e) => AppError::Db(e),
        }
    }
}

/// How often the commerce sweeper runs.
pub const SWEEP_PERIOD: Duration = Duration::from_secs(60);

/// Starts the background sweep: pending orders past their payment window become `expired`
/// (their holds already stopped counting), carts idle for [`cart::CART_IDLE_DAYS`] go. Runs
/// until `stop` is cancelled.
pub fn spawn_sweeper(db: sea_orm::DatabaseConnection, stop: CancellationToken) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(SWEEP_PERIOD);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stop.cancelled() => break,
            }
            let now = chrono::Utc::now();
            if let Err(e) = orders::sweep_expired(&db, now).await {
                tracing::warn!(error = %e, "expiring unpaid orders failed");
            }
            if let Err(e) = cart::sweep(&db, now).await {
                tracing::warn!(error = %e, "deleting idle carts failed");
            }
        }
    });
}

/// Lets cart changes and checkouts do their database work one (SQLite) or a few at a time.
/// SQLite takes one writer at a time anyway; without the gate, 32 customers checking out at
/// once each hold a pool connection and retry the database lock with growing sleeps, and
/// their work crowds out the storefront's readers on a small machine. In the gate they
/// queue in order instead, each waiting at most [`WriteGate::MAX_WAIT`] (then `503`).
///
/// While shop pages are being served, commerce also keeps to a share of the time: a turn
/// that held the gate for `t` keeps it, idle, for `t × (100 − share) / share` more before the
/// next writer goes, so a checkout rush takes at most about `share`% of the time and the
/// storefront keeps the rest. With no page traffic the next writer goes at once, so commerce
/// never starves and runs at full speed when nobody browses. Payment provider calls happen
/// outside the gate (they wait on the network, not the CPU).
pub struct WriteGate {
    permits: Arc<tokio::sync::Semaphore>,
    wait: Duration,
    /// Percent (1–100) of the time commerce may hold its turns while pages are served.
    share: u32,
    pages: Arc<PageTraffic>,
}

impl WriteGate {
    /// How long a write waits for its turn before the customer gets `503`.
    pub const MAX_WAIT: Duration = Duration::from_secs(5);
    /// The longest idle pause after one turn, however long that turn took.
    pub const MAX_PAUSE: Duration = Duration::from_millis(100);

    /// One writer for SQLite, sixteen for a server database; commerce takes at most `share`%
    /// of the time while pages are being served (see [`WriteGate::page_started`]).
    pub fn for_backend(backend: sea_orm::DbBackend, share: u32) -> Self {
        let permits = match backend {
            sea_orm::DbBackend::Sqlite => 1,
            _ => 16,
        };
        Self::new(permits, Self::MAX_WAIT, share, Arc::default())
    }

    /// The storefront started serving a page: commerce keeps to its share for a while.
    pub fn page_started(&self) {
        self.pages.started();
    }

    /// `permits` writers at a time, each waiting at most `wait` for a turn.
    pub fn new(permits: usize, wait: Duration, share: u32, pages: Arc<PageTraffic>) -> Self {
        WriteGate {
            permits: Arc::new(tokio::sync::Semaphore::new(permits)),
            wait,
            share: share.clamp(1, 100),
            pages,
        }
    }

    /// Waits for a turn to write; the turn ends when the returned [`Turn`] is dropped.
    pub async fn enter(&self) -> Result<Turn, CommerceError> {
        match tokio::time::timeout(self.wait, self.permits.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(Turn {
                permit: Some(permit),
                started: Instant::now(),
                share: self.share,
                pages: self.pages.clone(),
            }),
            _ => Err(CommerceError::Busy),
        }
    }
}

/// One writer's turn in the [`WriteGate`]. Dropping it hands the turn on — after the pause
/// the gate's share asks for, when pages are being served.
pub struct Turn {
    permit: Option<tokio::sync::OwnedSemaphorePermit>,
    started: Instant,
    share: u32,
    pages: Arc<PageTraffic>,
}

impl Turn {
    /// How long the gate stays closed after a turn that lasted `held`.
    fn pause(&self, held: Duration) -> Duration {
        if self.share >= 100 || !self.pages.busy() {
            return Duration::ZERO;
        }
        (held * (100 - self.share) / self.share).min(WriteGate::MAX_PAUSE)
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        let Some(permit) = self.permit.take() else {
            return;
        };
        let pause = self.pause(self.started.elapsed());
        if pause.is_zero() {
            return;
        }
        // Outside a runtime (never in the server) the turn simply ends now.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                tokio::time::sleep(pause).await;
                drop(permit);
            });
        }
    }
}

/// Whether shop pages are being served right now: the storefront notes each page request
/// it starts, and "busy" means one started within [`PageTraffic::WINDOW`].
pub struct PageTraffic {
    epoch: Instant,
    /// Milliseconds after `epoch` when the last page request started, plus one (0: never).
    last: AtomicU64,
}

impl Default for PageTraffic {
    fn default() -> Self {
        PageTraffic {
            epoch: Instant::now(),
            last: AtomicU64::new(0),
        }
    }
}

impl PageTraffic {
    /// How recent the last page request must be for pages to count as being served.
    pub const WINDOW: Duration = Duration::from_millis(250);

    /// Notes that a page request started now.
    pub fn started(&self) {
        let now = self.epoch.elapsed().as_millis() as u64 + 1;
        // One store per request; skipping equal values keeps the cache line quiet under load.
        if self.last.load(Ordering::Relaxed) != now {
            self.last.store(now, Ordering::Relaxed);
        }
    }

    /// Whether a page request started within the last [`PageTraffic::WINDOW`].
    pub fn busy(&self) -> bool {
        let last = self.last.load(Ordering::Relaxed);
        let now = self.epoch.elapsed().as_millis() as u64 + 1;
        last != 0 && now.saturating_sub(last) <= Self::WINDOW.as_millis() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate(wait: Duration, share: u32) -> (WriteGate, Arc<PageTraffic>) {
        let pages = Arc::new(PageTraffic::default());
        (WriteGate::new(1, wait, share, pages.clone()), pages)
    }

    #[tokio::test]
    async fn writers_take_turns_and_one_that_waits_too_long_is_told_so() {
        let (gate, _) = gate(Duration::from_millis(50), 100);
        let first = gate.enter().await.expect("the first writer goes at once");
        // The second waits, then gives up with a clear error (503 for the customer).
        let second = gate.enter().await;
        assert!(matches!(second, Err(CommerceError::Busy)));
        assert_eq!(
            AppError::from(CommerceError::Busy).status(),
            http::StatusCode::SERVICE_UNAVAILABLE
        );
        drop(first);
        // Once the turn is given back, the next writer goes.
        assert!(gate.enter().await.is_ok());
        let sqlite = WriteGate::for_backend(sea_orm::DbBackend::Sqlite, 25);
        assert_eq!(sqlite.permits.available_permits(), 1);
    }

    /// How long the next writer waits for its turn after one that held it for `held`.
    async fn wait_after_turn(gate: &WriteGate, held: Duration) -> Duration {
        let turn = gate.enter().await.expect("a free gate");
        tokio::time::sleep(held).await;
        drop(turn);
        let asked = Instant::now();
        let _next = gate.enter().await.expect("the next turn");
        asked.elapsed()
    }

    #[tokio::test]
    async fn while_pages_are_served_commerce_keeps_to_its_share_of_the_time() {
        let (gate, pages) = gate(Duration::from_secs(5), 20);
        pages.started();
        assert!(pages.busy());
        // A 30 ms turn at a 20% share keeps the gate closed for 4 × 30 ms = 120 ms more.
        let waited = wait_after_turn(&gate, Duration::from_millis(30)).await;
        assert!(
            waited >= Duration::from_millis(100),
            "waited only {waited:?}"
        );
        assert!(waited < Duration::from_secs(2), "waited {waited:?}");
        // However long a turn was, the pause is bounded.
        pages.started();
        let waited = wait_after_turn(&gate, Duration::from_millis(200)).await;
        assert!(waited >= WriteGate::MAX_PAUSE - Duration::from_millis(20));
        assert!(waited < Duration::from_secs(1), "waited {waited:?}");
    }

    #[tokio::test]
    async fn without_page_traffic_the_next_writer_goes_at_once() {
        let (gate, pages) = gate(Duration::from_secs(5), 20);
        let waited = wait_after_turn(&gate, Duration::from_millis(30)).await;
        assert!(waited < Duration::from_millis(60), "waited {waited:?}");
        // Traffic that stopped longer ago than the window does not slow commerce either.
        pages.started();
        tokio::time::sleep(PageTraffic::WINDOW + Duration::from_millis(50)).await;
        assert!(!pages.busy());
        let waited = wait_after_turn(&gate, Duration::from_millis(30)).await;
        assert!(waited < Duration::from_millis(60), "waited {waited:?}");
        // A share of 100% never pauses.
        let (all, pages) = self::gate(Duration::from_secs(5), 100);
        pages.started();
        let waited = wait_after_turn(&all, Duration::from_millis(30)).await;
        assert!(waited < Duration::from_millis(60), "waited {waited:?}");
    }
}
