//! Checkout: the cart becomes a pending order (prices recomputed from the catalogue, stock
//! held), then a payment session with the shop's provider, where the customer is sent.
//! Two customers after the last unit: the stock check and the hold are one transaction
//! behind a write lock on the variants, so exactly one gets it and the other a clear error.

use super::cart::{self, PricedLine};
use super::{CommerceError, stock};
use crate::payments::{CheckoutLine, NewCheckout};
use crate::state::AppState;
use app::commerce::{MAX_LINE_QUANTITY, OrderStatus, ProductKind};
use app::route::Route;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::{Duration, Utc};
use entity::{order_line, shop, shop_order};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QuerySelect, Set, TransactionTrait,
};

/// How long a customer has to pay; the order holds its stock until then. (Stripe accepts
/// payment sessions of 30 minutes to 24 hours from their creation, which comes a moment
/// after this is computed: one minute of margin.)
pub const PAYMENT_WINDOW_MINUTES: i64 = 31;

/// A placed order and where its customer pays.
pub struct Placed {
    pub order: shop_order::Model,
    pub lines: Vec<order_line::Model>,
    pub payment_url: String,
}

/// Places the cart's order and opens its payment session. `origin` is where the customer
/// reached the shop (`https://shop.example`): the provider sends them back there.
pub async fn place(
    state: &AppState,
    shop: &shop::Model,
    cart: &entity::cart::Model,
    email: &str,
    origin: &str,
) -> Result<Placed, CommerceError> {
    let email = crate::auth::normalize_email(email)
        .ok_or_else(|| CommerceError::Invalid("enter a valid email address".into()))?;
    // A shop configured without online payments takes none, whatever this server could
    // take. (A shop from before the configurator has no stored choice: the server decides.)
    if crate::lifecycle::config::stored(shop)
        .is_some_and(|c| c.providers.payments == app::shop_config::PaymentsChoice::None)
    {
        return Err(CommerceError::NoOnlinePayments);
    }
    let provider = state
        .payments
        .provider
        .clone()
        .ok_or(CommerceError::PaymentsOff)?;
    let now = Utc::now();
    let expires_at = now + Duration::minutes(PAYMENT_WINDOW_MINUTES);

    // One turn covers the transaction (not the provider call below).
    let turn = state.commerce_writes.enter().await?;
    let txn = state.db.begin().await?;
    // The write lock comes first, before the transaction reads anything: SQLite then waits
    // for another checkout's commit (a read snapshot taken earlier could not be upgraded),
    // and the checks below see every hold committed before ours.
    stock::lock_cart_variants(&txn, cart.id).await?;
    let lines = cart::lines(&txn, cart.id).await?;
    if lines.is_empty() {
        return Err(CommerceError::Invalid("your cart is empty".into()));
    }
    // A customer who comes back from the payment page and checks out again releases what
    // their earlier, unpaid attempt held (and its payment page is closed below).
    let superseded: Vec<String> = shop_order::Entity::find()
        .select_only()
        .column(shop_order::Column::ProviderSessionId)
        .filter(shop_order::Column::CartId.eq(cart.id))
        .filter(shop_order::Column::Status.eq(OrderStatus::Pending.as_str()))
        .filter(shop_order::Column::ProviderSessionId.is_not_null())
        .into_tuple::<Option<String>>()
        .all(&txn)
        .await?
        .into_iter()
        .flatten()
        .collect();
    shop_order::Entity::update_many()
        .col_expr(
            shop_order::Column::Status,
            Expr::value(OrderStatus::Expired.as_str()),
        )
        .filter(shop_order::Column::CartId.eq(cart.id))
        .filter(shop_order::Column::Status.eq(OrderStatus::Pending.as_str()))
        .exec(&txn)
        .await?;
    let wanted = lines.len();
    let priced = cart::price(&txn, shop.id, lines, now).await?;
    if priced.len() != wanted {
        return Err(CommerceError::Unavailable(
            "an item in your cart is no longer sold; remove it and try again".into(),
        ));
    }
    if let Some(problem) = priced.iter().find_map(PricedLine::problem) {
        return Err(CommerceError::Unavailable(problem));
    }
    let Some(currency) = priced.first().map(|l| l.variant.currency.clone()) else {
        return Err(CommerceError::Invalid("your cart is empty".into()));
    };
    if priced.iter().any(|l| l.variant.currency != currency) {
        return Err(CommerceError::Invalid(
            "items priced in different currencies cannot be paid together".into(),
        ));
    }
    let (subtotal, deposit_total) = cart::totals(&priced);
    let order = shop_order::ActiveModel {
        shop_id: Set(shop.id),
        token: Set(B64.encode(rand::random::<[u8; 24]>())),
        status: Set(OrderStatus::Pending.as_str().into()),
        email: Set(email.clone()),
        currency: Set(currency.clone()),
        subtotal: Set(subtotal),
        deposit_total: Set(deposit_total),
        total: Set(subtotal.saturating_add(deposit_total)),
        provider: Set(provider.name().into()),
        cart_id: Set(Some(cart.id)),
        expires_at: Set(expires_at),
        created_at: Set(now),
        refunded: Set(0),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let mut order_lines = Vec::with_capacity(priced.len());
    for l in &priced {
        let line = order_line::ActiveModel {
            order_id: Set(order.id),
            shop_id: Set(shop.id),
            variant_id: Set(l.variant.id),
            kind: Set(l.kind.as_str().into()),
            product_handle: Set(l.product.handle.clone()),
            product_title: Set(l.product.title.clone()),
            variant_title: Set(l.variant.title.clone()),
            unit_price: Set(l.unit_price),
            quantity: Set(l.line.quantity.min(MAX_LINE_QUANTITY)),
            start_date: Set(l.dates.map(|d| d.0)),
            end_date: Set(l.dates.map(|d| d.1)),
            days: Set(l.days as i32),
            deposit: Set(l.deposit),
            line_total: Set(l.line_total),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        order_lines.push(line);
    }
    txn.commit().await?;
    drop(turn);

    // Best effort: an earlier payment page left open could still be paid; such a late
    // payment is refunded if its stock is gone (see `orders::mark_paid`).
    for session_id in superseded {
        if let Err(e) = provider.expire_checkout(&session_id).await {
            tracing::warn!(
                session_id,
                "could not close a superseded payment session: {e}"
            );
        }
    }

    // The provider is called outside the transaction: no lock is held across the network.
    let checkout = NewCheckout {
        order_id: order.id,
        order_token: order.token.clone(),
        currency: currency.clone(),
        email,
        lines: provider_lines(&priced),
        success_url: format!("{origin}{}", Route::order_path(&order.token)),
        cancel_url: format!("{origin}{}", Route::Cart.path()),
        expires_at: expires_at.timestamp(),
        idempotency_key: format!("vitrine-order-{}", order.token),
    };
    let session = match provider.create_checkout(&checkout).await {
        Ok(session) => session,
        Err(e) => {
            // Nothing can be paid: give the stock back at once.
            let _turn = state.commerce_writes.enter().await?;
            super::orders::expire(&state.db, order.id).await?;
            return Err(e.into());
        }
    };
    let _turn = state.commerce_writes.enter().await?;
    let order = shop_order::ActiveModel {
        id: Set(order.id),
        provider_session_id: Set(Some(session.id.clone())),
        payment_url: Set(Some(session.url.clone())),
        ..Default::default()
    }
    .update(&state.db)
    .await?;
    Ok(Placed {
        order,
        lines: order_lines,
        payment_url: session.url,
    })
}

/// What the provider's payment page lists: each line at its price (a rental's for all its
/// days), and each rental's deposit on a line of its own.
fn provider_lines(priced: &[PricedLine]) -> Vec<CheckoutLine> {
    let mut out = Vec::new();
    for l in priced {
        let quantity = i64::from(l.line.quantity);
        let name = format!("{} — {}", l.product.title, l.variant.title);
        match (l.kind, l.dates) {
            (ProductKind::Rental, Some((start, end))) => {
                out.push(CheckoutLine {
                    name: format!("{name} (rental {start} to {end}, {} days)", l.days),
                    unit_amount: l.unit_price.saturating_mul(l.days),
                    quantity,
                });
                if l.deposit > 0 {
                    out.push(CheckoutLine {
                        name: format!("Refundable deposit — {}", l.product.title),
                        unit_amount: l.deposit,
                        quantity,
                    });
                }
            }
            _ => out.push(CheckoutLine {
                name,
                unit_amount: l.unit_price,
                quantity,
            }),
        }
    }
    out
}
