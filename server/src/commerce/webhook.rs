//! `POST /api/webhooks/stripe`: the payment provider tells us a payment session completed or
//! expired. The `Stripe-Signature` header must verify against `STRIPE_WEBHOOK_SECRET` (HMAC
//! over the timestamp and the raw body, five minutes' tolerance); anything else is `400` and
//! changes nothing. Each event is recorded with its effect in one transaction, so a replayed
//! or duplicated event finds its id and changes nothing either.

use super::orders::{self, PaidOutcome};
use crate::error::AppError;
use crate::payments::signature::{self, EventKind};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use bytes::Bytes;
use chrono::Utc;
use entity::payment_event;
use http::HeaderMap;
use sea_orm::sea_query::OnConflict;
use sea_orm::{EntityTrait, Set, TransactionTrait};
use serde_json::{Value, json};

/// The largest webhook body read (Stripe's events are a few KiB).
pub const MAX_WEBHOOK_BYTES: usize = 64 * 1024;
/// How old (or how far ahead) a signed timestamp may be.
pub const SIGNATURE_TOLERANCE_SECS: i64 = 300;

pub async fn stripe(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, AppError> {
    let secret = state.payments.webhook_secret.as_deref().ok_or_else(|| {
        AppError::Unavailable("payment webhooks are not configured on this server".into())
    })?;
    let header = headers
        .get("stripe-signature")
        .ok_or_else(|| AppError::BadRequest("the Stripe-Signature header is missing".into()))?
        .to_str()
        .map_err(|_| AppError::BadRequest("the Stripe-Signature header is not text".into()))?;
    signature::verify(
        header,
        &body,
        secret,
        Utc::now().timestamp(),
        SIGNATURE_TOLERANCE_SECS,
    )
    .map_err(|e| AppError::BadRequest(format!("the webhook signature does not verify: {e}")))?;
    let event = signature::parse_event(&body)
        .map_err(|e| AppError::BadRequest(format!("the webhook event cannot be read: {e}")))?;

    let _turn = state
        .commerce_writes
        .enter()
        .await
        .map_err(AppError::from)?;
    let txn = state.db.begin().await?;
    let recorded = payment_event::Entity::insert(payment_event::ActiveModel {
        event_id: Set(event.id.clone()),
        kind: Set(kind_name(&event.kind).into()),
        received_at: Set(Utc::now()),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(payment_event::Column::EventId)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    if recorded == 0 {
        return Ok(Json(json!({"received": true, "duplicate": true})));
    }
    let mut paid_shop = None;
    match &event.kind {
        EventKind::CheckoutCompleted {
            session_id,
            payment_intent,
            amount_total,
            currency,
            payment_status,
            ..
        } => {
            // Delayed payment methods complete the session unpaid; only "paid" takes stock.
            if payment_status.as_deref().is_none_or(|s| s == "paid") {
                let outcome = orders::mark_paid(
                    &txn,
                    session_id,
                    payment_intent.as_deref(),
                    *amount_total,
                    currency.as_deref(),
                )
                .await?;
                if let PaidOutcome::Paid { order_id, shop_id } = outcome {
                    tracing::info!(order_id, shop_id, "order paid");
                    paid_shop = Some(shop_id);
                }
            }
        }
        EventKind::CheckoutExpired { session_id, .. } => {
            orders::expire_session(&txn, session_id).await?;
        }
        EventKind::Other(_) => {}
    }
    txn.commit().await?;
    // Stock changed: product pages (sold out, stock shown) must not stay cached.
    if let Some(shop_id) = paid_shop {
        state.render_cache.invalidate_shop(shop_id);
    }
    Ok(Json(json!({"received": true})))
}

fn kind_name(kind: &EventKind) -> &str {
    match kind {
        EventKind::CheckoutCompleted { .. } => "checkout.session.completed",
        EventKind::CheckoutExpired { .. } => "checkout.session.expired",
        EventKind::Other(name) => name.get(..name.len().min(100)).unwrap_or("other"),
    }
}
