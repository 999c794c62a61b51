//! `POST /api/webhooks/stripe`: the payment provider tells us a payment session completed or
//! expired. The `Stripe-Signature` header must verify against `STRIPE_WEBHOOK_SECRET` (HMAC
//! over the timestamp and the raw body, five minutes' tolerance); anything else is `400` and
//! changes nothing. Each event is recorded with its effect in one transaction, so a duplicated
//! event (the provider's redelivery, signed afresh) finds its id and changes nothing, and an
//! exact replay of a delivery already handled is `400`.

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
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set, TransactionTrait};
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
    let signed_at = signature::verify(
        header,
        &body,
        secret,
        Utc::now().timestamp(),
        SIGNATURE_TOLERANCE_SECS,
    )
    .map_err(|e| AppError::BadRequest(format!("the webhook signature does not verify: {e}")))?;
    let event = signature::parse_event(&body)
        .map_err(|e| AppError::BadRequest(format!("the webhook event cannot be read: {e}")))?;

    let turn = state
        .commerce_writes
        .enter()
        .await
        .map_err(AppError::from)?;
    let txn = state.db.begin().await?;
    if !record_event(&txn, &event, signed_at).await? {
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
                match outcome {
                    PaidOutcome::Paid { order_id, shop_id } => {
                        tracing::info!(order_id, shop_id, "order paid");
                        paid_shop = Some(shop_id);
                    }
                    PaidOutcome::TooLate {
                        order_id,
                        amount,
                        token,
                    } => match payment_intent {
                        // Nothing is recorded until the money is on its way back: a refund
                        // the provider cannot take now leaves the event unrecorded, and
                        // the provider delivers it again (the idempotency key makes the
                        // retried refund the same one).
                        Some(intent) => {
                            let late = LatePayment {
                                order_id,
                                payment_intent: intent.clone(),
                                amount,
                                order_token: token,
                            };
                            drop(txn);
                            drop(turn);
                            return refund_late_payment(&state, &event, signed_at, late).await;
                        }
                        None => tracing::error!(
                            order_id,
                            "a late payment names no payment intent: refund it by hand"
                        ),
                    },
                    PaidOutcome::AlreadyPaid | PaidOutcome::Mismatch | PaidOutcome::Unknown => {}
                }
            }
        }
        EventKind::CheckoutExpired { session_id, .. } => {
            orders::expire_session(&txn, session_id).await?;
        }
        EventKind::Other(_) => {}
    }
    txn.commit().await?;
    drop(turn);
    // Stock changed: product pages (sold out, stock shown) must not stay cached.
    if let Some(shop_id) = paid_shop {
        state.publisher().shop_changed(shop_id);
    }
    Ok(Json(json!({"received": true})))
}

/// Records the event's id and signed timestamp: `Ok(false)` when the provider delivers an
/// event again (signed afresh: it changes nothing), an error when the very delivery handled
/// before is sent again (a replay).
async fn record_event<C: sea_orm::ConnectionTrait>(
    db: &C,
    event: &signature::ProviderEvent,
    signed_at: i64,
) -> Result<bool, AppError> {
    let recorded = payment_event::Entity::insert(payment_event::ActiveModel {
        event_id: Set(event.id.clone()),
        kind: Set(kind_name(&event.kind).into()),
        received_at: Set(Utc::now()),
        signed_at: Set(Some(signed_at)),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(payment_event::Column::EventId)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    if recorded == 1 {
        return Ok(true);
    }
    let earlier = payment_event::Entity::find()
        .filter(payment_event::Column::EventId.eq(event.id.as_str()))
        .one(db)
        .await?;
    if earlier.is_some_and(|e| e.signed_at == Some(signed_at)) {
        return Err(AppError::BadRequest(
            "this signed delivery was received before (a replay); nothing changed".into(),
        ));
    }
    Ok(false)
}

/// A payment that arrived after its order had expired and lost its stock.
struct LatePayment {
    order_id: i64,
    payment_intent: String,
    amount: i64,
    order_token: String,
}

/// Gives a late payment back in full, then records the event with the refund on the (still
/// expired) order.
async fn refund_late_payment(
    state: &AppState,
    event: &signature::ProviderEvent,
    signed_at: i64,
    late: LatePayment,
) -> Result<Json<Value>, AppError> {
    let provider = state.payments.provider.clone().ok_or_else(|| {
        AppError::Unavailable("payments are off: the late payment cannot be refunded".into())
    })?;
    let refund = provider
        .refund(
            &late.payment_intent,
            late.amount,
            &format!("vitrine-late-{}", late.order_token),
        )
        .await
        .map_err(|e| AppError::Unavailable(format!("the late payment's refund failed: {e}")))?;
    let _turn = state
        .commerce_writes
        .enter()
        .await
        .map_err(AppError::from)?;
    let txn = state.db.begin().await?;
    if record_event(&txn, event, signed_at).await? {
        orders::record_late_refund(&txn, late.order_id, &refund).await?;
    }
    txn.commit().await?;
    tracing::info!(order_id = late.order_id, refund = %refund.id, "late payment refunded");
    Ok(Json(json!({"received": true, "refunded": true})))
}

fn kind_name(kind: &EventKind) -> &str {
    match kind {
        EventKind::CheckoutCompleted { .. } => "checkout.session.completed",
        EventKind::CheckoutExpired { .. } => "checkout.session.expired",
        EventKind::Other(name) => name.get(..name.len().min(100)).unwrap_or("other"),
    }
}
