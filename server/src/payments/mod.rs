//! Payments: the provider the shop's checkout hands customers to, behind one small trait.
//!
//! [`PaymentProvider`] opens a hosted payment page for an order and refunds payments;
//! [`stripe::Stripe`] speaks the Stripe API to do so. The provider reports what happened
//! through signed webhooks, read with [`signature`]. [`stub`] is a Stripe-compatible fake
//! that lives in memory: tests run against it over real sockets, and a development server
//! without keys serves it in-process, so checkout works on a laptop with no account and
//! no network.
//!
//! Amounts are integer minor units (cents) of the order's currency throughout.

pub mod signature;
pub mod stripe;
pub mod stub;

use crate::config::Config;
use async_trait::async_trait;
use std::sync::Arc;

/// One line of a payment page: what the customer sees and pays for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckoutLine {
    pub name: String,
    /// Per unit, in minor units.
    pub unit_amount: i64,
    pub quantity: i64,
}

/// What to open a payment session for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewCheckout {
    pub order_id: i64,
    /// Sent as the session's `client_reference_id`, so the webhook names the order.
    pub order_token: String,
    /// ISO 4217 code as the shop stores it (`EUR`); sent in lower case, as the API expects.
    pub currency: String,
    pub email: String,
    pub lines: Vec<CheckoutLine>,
    /// Where the customer lands after paying; `{CHECKOUT_SESSION_ID}` is replaced by the
    /// provider.
    pub success_url: String,
    pub cancel_url: String,
    /// When the session stops taking payments (unix seconds).
    pub expires_at: i64,
    /// One per order: a retried request then returns the session already made instead of
    /// opening a second one.
    pub idempotency_key: String,
}

/// An open payment session: where to send the customer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckoutSession {
    pub id: String,
    pub url: String,
    pub expires_at: i64,
}

/// A refund the provider accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refund {
    pub id: String,
    pub amount: i64,
    /// `succeeded`, `pending`, … as the provider says.
    pub status: String,
}

/// Why a provider call did not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    /// The provider understood and said no (a 4xx answer): retrying the same request will
    /// not help. `message` is the provider's own explanation.
    #[error("the payment provider refused the request ({status}): {message}")]
    Rejected { status: u16, message: String },
    /// The provider could not be reached or failed (network, timeout, 5xx, rate limit):
    /// the same request may work later, and with its idempotency key it is safe to repeat.
    #[error("the payment provider is unavailable: {0}")]
    Unavailable(String),
    /// The provider answered something this code cannot read.
    #[error("the payment provider gave an unreadable answer: {0}")]
    BadResponse(String),
}

/// A payment provider: hosted payment pages and refunds.
#[async_trait]
pub trait PaymentProvider: Send + Sync {
    /// The provider's name as stored on orders (`stripe`).
    fn name(&self) -> &'static str;

    /// Opens a payment session for an order.
    async fn create_checkout(&self, c: &NewCheckout) -> Result<CheckoutSession, PaymentError>;

    /// Closes an open payment session so it can no longer be paid (a customer checked out
    /// again; the earlier order no longer holds anything).
    async fn expire_checkout(&self, session_id: &str) -> Result<(), PaymentError>;

    /// Refunds `amount` of a payment. The same `idempotency_key` never refunds twice.
    async fn refund(
        &self,
        payment_intent: &str,
        amount: i64,
        idempotency_key: &str,
    ) -> Result<Refund, PaymentError>;
}

/// The server's payment setup: the provider checkout uses (none: checkout is off) and the
/// secret webhooks must be signed with (none: webhooks are refused).
#[derive(Clone, Default)]
pub struct Payments {
    pub provider: Option<Arc<dyn PaymentProvider>>,
    pub webhook_secret: Option<String>,
}

impl std::fmt::Debug for Payments {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Payments")
            .field("provider", &self.provider.as_ref().map(|p| p.name()))
            .field("webhook_secret", &self.webhook_secret.as_ref().map(|_| "…"))
            .finish()
    }
}

impl Payments {
    /// Payments off: no provider, no webhooks.
    pub fn none() -> Self {
        Self::default()
    }

    /// The provider configured by `STRIPE_SECRET_KEY` (at `VITRINE_STRIPE_API_BASE`) and the
    /// webhook secret from `STRIPE_WEBHOOK_SECRET`. Without a key there is no provider; a
    /// base URL that cannot be used is logged and leaves payments off rather than failing
    /// every checkout later. (`serve` in `dev` without a key installs the stub instead.)
    pub fn from_config(config: &Config) -> Self {
        let provider = config.stripe_secret_key().and_then(|key| {
            match stripe::Stripe::new(&config.stripe_api_base, key) {
                Ok(stripe) => Some(Arc::new(stripe) as Arc<dyn PaymentProvider>),
                Err(e) => {
                    tracing::error!("payments are off: {e}");
                    None
                }
            }
        });
        Self {
            provider,
            webhook_secret: config.stripe_webhook_secret().map(str::to_string),
        }
    }

    /// Whether checkout can take payments.
    pub fn enabled(&self) -> bool {
        self.provider.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;

    #[test]
    fn payments_come_from_the_secret_key_and_the_webhook_secret() {
        let mut config = Config::for_tests("sqlite::memory:");
        let off = Payments::from_config(&config);
        assert!(!off.enabled());
        assert!(off.webhook_secret.is_none());

        config.stripe_secret_key = Some(Secret::new("sk_test_123"));
        config.stripe_webhook_secret = Some(Secret::new("whsec_456"));
        let on = Payments::from_config(&config);
        assert_eq!(on.provider.as_ref().map(|p| p.name()), Some("stripe"));
        assert_eq!(on.webhook_secret.as_deref(), Some("whsec_456"));
        let shown = format!("{on:?}");
        assert!(
            !shown.contains("whsec_456") && !shown.contains("sk_test_123"),
            "{shown}"
        );

        // A base URL that is not http(s) leaves payments off instead of failing later.
        config.stripe_api_base = "ftp://example.invalid".into();
        assert!(!Payments::from_config(&config).enabled());
        assert!(!Payments::none().enabled());
    }
}
