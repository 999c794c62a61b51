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
    #[error("the payment provider did not take the request: {0}")]
    Provider(#[from] PaymentError),
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl From<CommerceError> for AppError {
    fn from(e: CommerceError) -> Self {
        match e {
            CommerceError::NotFound(m) => AppError::Missing(m),
            CommerceError::Invalid(m) => AppError::BadRequest(m),
            CommerceError::Unavailable(m) | CommerceError::Conflict(m) => AppError::Conflict(m),
            CommerceError::PaymentsOff => {
                AppError::Unavailable(CommerceError::PaymentsOff.to_string())
            }
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
/// (their holds already stopped counting), carts idle for [`cart::CART_IDLE_DAYS`] go.
pub fn spawn_sweeper(db: sea_orm::DatabaseConnection) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(SWEEP_PERIOD);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
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
