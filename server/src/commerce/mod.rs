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
use tokio_util::sync::CancellationToken;

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
pub const SWEEP_PERIOD: std::time::Duration = std::time::Duration::from_secs(60);

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
/// queue in order instead, each waiting at most [`WriteGate::MAX_WAIT`] (then `503`): a rush
/// of checkouts gets its turns, the shop pages keep theirs. Payment provider calls happen
/// outside it (they wait on the network, not the CPU).
pub struct WriteGate {
    permits: tokio::sync::Semaphore,
    wait: std::time::Duration,
}

impl WriteGate {
    /// How long a write waits for its turn before the customer gets `503`.
    pub const MAX_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

    /// One writer for SQLite, sixteen for a server database.
    pub fn for_backend(backend: sea_orm::DbBackend) -> Self {
        let permits = match backend {
            sea_orm::DbBackend::Sqlite => 1,
            _ => 16,
        };
        Self::new(permits, Self::MAX_WAIT)
    }

    /// `permits` writers at a time, each waiting at most `wait` for a turn.
    pub fn new(permits: usize, wait: std::time::Duration) -> Self {
        WriteGate {
            permits: tokio::sync::Semaphore::new(permits),
            wait,
        }
    }

    /// Waits for a turn to write.
    pub async fn enter(&self) -> Result<tokio::sync::SemaphorePermit<'_>, CommerceError> {
        match tokio::time::timeout(self.wait, self.permits.acquire()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(CommerceError::Busy),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn writers_take_turns_and_one_that_waits_too_long_is_told_so() {
        let gate = WriteGate::new(1, Duration::from_millis(50));
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
        assert!(matches!(
            WriteGate::for_backend(sea_orm::DbBackend::Sqlite)
                .permits
                .available_permits(),
            1
        ));
    }
}
