//! Orders after checkout: their views, `pending → paid` (stock taken off the shelf in the
//! same transaction), `pending → expired` (the hold released) and `paid → returned` for
//! rentals (the deposits refunded through the provider). Every transition is a conditional
//! update on the current status, so running one twice changes nothing the second time.

use super::CommerceError;
use crate::state::AppState;
use app::commerce::{OrderLineView, OrderStatus, OrderView, ProductKind};
use chrono::{DateTime, Utc};
use entity::{order_line, product_variant, shop_order};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use std::collections::HashMap;

/// The most orders one list answers with.
pub const MAX_LISTED: u64 = 200;

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// An order row and its lines as the API, the admin and the confirmation page show them.
pub fn view(order: &shop_order::Model, lines: &[order_line::Model]) -> OrderView {
    let rentals = lines
        .iter()
        .filter(|l| l.kind == ProductKind::Rental.as_str());
    let rental_start = rentals.clone().filter_map(|l| l.start_date).min();
    let rental_end = rentals.filter_map(|l| l.end_date).max();
    OrderView {
        id: order.id,
        shop_id: order.shop_id,
        token: order.token.clone(),
        status: OrderStatus::parse(&order.status).unwrap_or(OrderStatus::Expired),
        email: order.email.clone(),
        currency: order.currency.clone(),
        subtotal: order.subtotal,
        deposit_total: order.deposit_total,
        total: order.total,
        refunded: order.refunded,
        created_at: rfc3339(order.created_at),
        paid_at: order.paid_at.map(rfc3339),
        returned_at: order.returned_at.map(rfc3339),
        rental_start: rental_start.map(|d| d.to_string()),
        rental_end: rental_end.map(|d| d.to_string()),
        lines: lines
            .iter()
            .map(|l| OrderLineView {
                variant_id: l.variant_id,
                kind: ProductKind::parse(&l.kind),
                product_handle: l.product_handle.clone(),
                product_title: l.product_title.clone(),
                variant_title: l.variant_title.clone(),
                unit_price: l.unit_price,
                quantity: l.quantity,
                start_date: l.start_date.map(|d| d.to_string()),
                end_date: l.end_date.map(|d| d.to_string()),
                days: l.days,
                deposit: l.deposit,
                line_total: l.line_total,
            })
            .collect(),
    }
}

async fn lines_of<C: ConnectionTrait>(
    db: &C,
    order_ids: &[i64],
) -> Result<HashMap<i64, Vec<order_line::Model>>, DbErr> {
    let mut by_order: HashMap<i64, Vec<order_line::Model>> = HashMap::new();
    if order_ids.is_empty() {
        return Ok(by_order);
    }
    for line in order_line::Entity::find()
        .filter(order_line::Column::OrderId.is_in(order_ids.iter().copied()))
        .order_by_asc(order_line::Column::Id)
        .all(db)
        .await?
    {
        by_order.entry(line.order_id).or_default().push(line);
    }
    Ok(by_order)
}

/// One order with its lines.
pub async fn load<C: ConnectionTrait>(
    db: &C,
    order: shop_order::Model,
) -> Result<OrderView, DbErr> {
    let lines = lines_of(db, &[order.id]).await?;
    Ok(view(
        &order,
        lines.get(&order.id).map_or(&[], Vec::as_slice),
    ))
}

/// The shop's order with this customer token.
pub async fn by_token<C: ConnectionTrait>(
    db: &C,
    shop_id: i64,
    token: &str,
) -> Result<Option<OrderView>, DbErr> {
    let Some(order) = shop_order::Entity::find()
        .filter(shop_order::Column::Token.eq(token))
        .filter(shop_order::Column::ShopId.eq(shop_id))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(load(db, order).await?))
}

/// The shop's latest orders (at most [`MAX_LISTED`]), newest first, optionally of one status,
/// and whether there are more.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    shop_id: i64,
    status: Option<OrderStatus>,
) -> Result<(Vec<OrderView>, bool), DbErr> {
    let mut query = shop_order::Entity::find().filter(shop_order::Column::ShopId.eq(shop_id));
    if let Some(status) = status {
        query = query.filter(shop_order::Column::Status.eq(status.as_str()));
    }
    let orders = query
        .order_by_desc(shop_order::Column::CreatedAt)
        .order_by_desc(shop_order::Column::Id)
        .limit(MAX_LISTED + 1)
        .all(db)
        .await?;
    let truncated = orders.len() as u64 > MAX_LISTED;
    let orders = &orders[..orders.len().min(MAX_LISTED as usize)];
    let ids: Vec<i64> = orders.iter().map(|o| o.id).collect();
    let lines = lines_of(db, &ids).await?;
    let views = orders
        .iter()
        .map(|o| view(o, lines.get(&o.id).map_or(&[], Vec::as_slice)))
        .collect();
    Ok((views, truncated))
}

/// What a confirmed payment did to its order.
#[derive(Debug, PartialEq, Eq)]
pub enum PaidOutcome {
    /// Now paid; stock taken, the cart emptied.
    Paid { order_id: i64, shop_id: i64 },
    /// Already paid (a second event for the same payment): nothing changed.
    AlreadyPaid,
    /// The amount or currency paid is not the order's: left as it was, logged.
    Mismatch,
    /// No order has this payment session.
    Unknown,
    /// The payment came after the order's hold had expired and its stock or dates were
    /// taken since: the order stays expired and the payment is to be refunded in full.
    TooLate {
        order_id: i64,
        amount: i64,
        token: String,
    },
}

/// Marks the order of a completed payment session paid, exactly once: the status moves
/// only from `pending` (or `expired`: a customer who paid at the last second has paid, if
/// what the order holds is still free — else [`PaidOutcome::TooLate`]), and sale lines
/// leave the shelf. Run it in the transaction that records the event, so the two
/// happen together or not at all.
pub async fn mark_paid<C: ConnectionTrait>(
    txn: &C,
    session_id: &str,
    payment_intent: Option<&str>,
    amount: Option<i64>,
    currency: Option<&str>,
) -> Result<PaidOutcome, DbErr> {
    let Some(order) = shop_order::Entity::find()
        .filter(shop_order::Column::ProviderSessionId.eq(session_id))
        .one(txn)
        .await?
    else {
        return Ok(PaidOutcome::Unknown);
    };
    let status = OrderStatus::parse(&order.status);
    if !matches!(status, Some(OrderStatus::Pending | OrderStatus::Expired)) {
        return Ok(PaidOutcome::AlreadyPaid);
    }
    let amount_ok = amount.is_none_or(|a| a == order.total);
    let currency_ok = currency.is_none_or(|c| c.eq_ignore_ascii_case(&order.currency));
    if !amount_ok || !currency_ok {
        tracing::error!(
            order_id = order.id,
            ?amount,
            ?currency,
            expected = order.total,
            "payment does not match its order; left unpaid for an operator to look at"
        );
        return Ok(PaidOutcome::Mismatch);
    }
    let now = Utc::now();
    if status == Some(OrderStatus::Expired) && !still_free(txn, order.id, now).await? {
        tracing::warn!(
            order_id = order.id,
            "payment arrived after the order expired and its stock was taken; refunding it"
        );
        return Ok(PaidOutcome::TooLate {
            order_id: order.id,
            amount: order.total,
            token: order.token,
        });
    }
    let updated = shop_order::Entity::update_many()
        .col_expr(
            shop_order::Column::Status,
            Expr::value(OrderStatus::Paid.as_str()),
        )
        .col_expr(shop_order::Column::PaidAt, Expr::value(now))
        .col_expr(
            shop_order::Column::PaymentIntent,
            Expr::value(payment_intent.map(str::to_string)),
        )
        .filter(shop_order::Column::Id.eq(order.id))
        .filter(shop_order::Column::Status.eq(order.status.clone()))
        .exec(txn)
        .await?;
    if updated.rows_affected != 1 {
        return Ok(PaidOutcome::AlreadyPaid);
    }
    for line in order_line::Entity::find()
        .filter(order_line::Column::OrderId.eq(order.id))
        .filter(order_line::Column::Kind.eq(ProductKind::Sale.as_str()))
        .all(txn)
        .await?
    {
        use sea_orm::sea_query::ExprTrait;
        product_variant::Entity::update_many()
            .col_expr(
                product_variant::Column::Inventory,
                Expr::col(product_variant::Column::Inventory).sub(line.quantity),
            )
            .filter(product_variant::Column::Id.eq(line.variant_id))
            .exec(txn)
            .await?;
    }
    if let Some(cart_id) = order.cart_id {
        super::cart::empty(txn, cart_id).await?;
    }
    Ok(PaidOutcome::Paid {
        order_id: order.id,
        shop_id: order.shop_id,
    })
}

/// Whether everything an expired order asked for could still be taken now: its sale
/// variants' shelves (less what pending orders hold) and its rentals' days. The order's
/// variants are write-locked first, as checkout locks a cart's.
async fn still_free<C: ConnectionTrait>(
    txn: &C,
    order_id: i64,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    super::stock::lock_order_variants(txn, order_id).await?;
    let lines = lines_of(txn, &[order_id]).await?;
    let lines = lines.get(&order_id).map(Vec::as_slice).unwrap_or_default();
    let variants: HashMap<i64, product_variant::Model> = product_variant::Entity::find()
        .filter(product_variant::Column::Id.is_in(lines.iter().map(|l| l.variant_id)))
        .all(txn)
        .await?
        .into_iter()
        .map(|v| (v.id, v))
        .collect();
    // Lines of one variant share its units.
    let mut wanted: HashMap<i64, i64> = HashMap::new();
    for line in lines {
        let Some(variant) = variants.get(&line.variant_id) else {
            return Ok(false);
        };
        let kind = ProductKind::parse(&line.kind);
        let dates = line.start_date.zip(line.end_date);
        let want = wanted.entry(variant.id).or_insert(0);
        *want += i64::from(line.quantity);
        if super::stock::available(txn, variant, kind, dates, now).await? < *want {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Records the full refund of a payment that came too late for its order (see
/// [`PaidOutcome::TooLate`]); the order stays expired.
pub async fn record_late_refund<C: ConnectionTrait>(
    db: &C,
    order_id: i64,
    refund: &crate::payments::Refund,
) -> Result<(), DbErr> {
    shop_order::Entity::update_many()
        .col_expr(shop_order::Column::RefundId, Expr::value(refund.id.clone()))
        .col_expr(shop_order::Column::Refunded, Expr::value(refund.amount))
        .filter(shop_order::Column::Id.eq(order_id))
        .filter(shop_order::Column::Status.eq(OrderStatus::Expired.as_str()))
        .exec(db)
        .await?;
    Ok(())
}

/// Releases a pending order's hold (its payment session expired or could not be opened).
/// Returns whether it was pending.
pub async fn expire<C: ConnectionTrait>(db: &C, order_id: i64) -> Result<bool, DbErr> {
    let res = shop_order::Entity::update_many()
        .col_expr(
            shop_order::Column::Status,
            Expr::value(OrderStatus::Expired.as_str()),
        )
        .filter(shop_order::Column::Id.eq(order_id))
        .filter(shop_order::Column::Status.eq(OrderStatus::Pending.as_str()))
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// The order of an expired payment session, expired.
pub async fn expire_session<C: ConnectionTrait>(db: &C, session_id: &str) -> Result<bool, DbErr> {
    let res = shop_order::Entity::update_many()
        .col_expr(
            shop_order::Column::Status,
            Expr::value(OrderStatus::Expired.as_str()),
        )
        .filter(shop_order::Column::ProviderSessionId.eq(session_id))
        .filter(shop_order::Column::Status.eq(OrderStatus::Pending.as_str()))
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Marks pending orders whose payment window closed as expired (their holds already stopped
/// counting at `expires_at`; this makes the admin say so). Returns how many.
pub async fn sweep_expired<C: ConnectionTrait>(db: &C, now: DateTime<Utc>) -> Result<u64, DbErr> {
    Ok(shop_order::Entity::update_many()
        .col_expr(
            shop_order::Column::Status,
            Expr::value(OrderStatus::Expired.as_str()),
        )
        .filter(shop_order::Column::Status.eq(OrderStatus::Pending.as_str()))
        .filter(shop_order::Column::ExpiresAt.lt(now))
        .exec(db)
        .await?
        .rows_affected)
}

/// Records that a paid rental order came back and refunds its deposits through the
/// provider. The refund's idempotency key is the order's, so a retried or doubled return
/// never refunds twice; the status moves only from `paid`.
pub async fn record_return(
    state: &AppState,
    order: shop_order::Model,
) -> Result<OrderView, CommerceError> {
    let view_before = load(&state.db, order.clone()).await?;
    if view_before.status != OrderStatus::Paid {
        return Err(CommerceError::Conflict(format!(
            "only a paid order can be returned; this one is {}",
            view_before.status.as_str()
        )));
    }
    if !view_before.is_rental() {
        return Err(CommerceError::Conflict(
            "this order has no rentals to return".into(),
        ));
    }
    let refund = if order.deposit_total > 0 {
        let provider = state
            .payments
            .provider
            .clone()
            .ok_or(CommerceError::PaymentsOff)?;
        let intent = order.payment_intent.as_deref().ok_or_else(|| {
            CommerceError::Conflict("the order's payment is unknown; refund it by hand".into())
        })?;
        Some(
            provider
                .refund(
                    intent,
                    order.deposit_total,
                    &format!("vitrine-return-{}", order.token),
                )
                .await?,
        )
    } else {
        None
    };
    shop_order::Entity::update_many()
        .col_expr(
            shop_order::Column::Status,
            Expr::value(OrderStatus::Returned.as_str()),
        )
        .col_expr(shop_order::Column::ReturnedAt, Expr::value(Utc::now()))
        .col_expr(
            shop_order::Column::RefundId,
            Expr::value(refund.as_ref().map(|r| r.id.clone())),
        )
        .col_expr(
            shop_order::Column::Refunded,
            Expr::value(refund.as_ref().map_or(0, |r| r.amount)),
        )
        .filter(shop_order::Column::Id.eq(order.id))
        .filter(shop_order::Column::Status.eq(OrderStatus::Paid.as_str()))
        .exec(&state.db)
        .await?;
    let order = shop_order::Entity::find_by_id(order.id)
        .one(&state.db)
        .await?
        .ok_or_else(|| CommerceError::NotFound("the order is gone".into()))?;
    Ok(load(&state.db, order).await?)
}
