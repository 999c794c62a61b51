//! What can still be sold or rented. A sale variant's `inventory` is what is on the shelf:
//! paid orders have already taken theirs off, pending orders hold theirs until their payment
//! session expires. A rental variant's `inventory` is how many units exist; on each day a
//! unit is out if a paid (not yet returned) or a still-pending order rents it that day.

use app::commerce::{OrderStatus, ProductKind};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{order_line, product_variant, shop_order};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, JoinType, QueryFilter, QuerySelect,
    RelationTrait,
};
use std::collections::HashMap;

/// Units of a sale variant held by pending orders that have not expired, by variant.
pub async fn held_for_sale<C: ConnectionTrait>(
    db: &C,
    variant_ids: &[i64],
    now: DateTime<Utc>,
) -> Result<HashMap<i64, i64>, DbErr> {
    if variant_ids.is_empty() {
        return Ok(HashMap::new());
    }
    use sea_orm::sea_query::ExprTrait;
    // Summed by the database: one row per variant, however many orders are pending.
    let rows: Vec<(i64, Option<i64>)> = order_line::Entity::find()
        .select_only()
        .column(order_line::Column::VariantId)
        .column_as(
            // SQLite's SUM of integers is an integer; PostgreSQL's SUM(int) a bigint.
            Expr::col((order_line::Entity, order_line::Column::Quantity)).sum(),
            "held",
        )
        .join(JoinType::InnerJoin, order_line_order())
        .filter(order_line::Column::VariantId.is_in(variant_ids.iter().copied()))
        .filter(order_line::Column::Kind.eq(ProductKind::Sale.as_str()))
        .filter(shop_order::Column::Status.eq(OrderStatus::Pending.as_str()))
        .filter(shop_order::Column::ExpiresAt.gt(now))
        .group_by(order_line::Column::VariantId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(variant, held)| (variant, held.unwrap_or(0)))
        .collect())
}

/// The most units of a rental variant out on any one day from `start` to `end` (inclusive),
/// counting paid orders not yet returned and pending orders that have not expired.
/// `except_order` leaves one order out (never used to double-count the order being made).
pub async fn rented_peak<C: ConnectionTrait>(
    db: &C,
    variant_id: i64,
    start: NaiveDate,
    end: NaiveDate,
    now: DateTime<Utc>,
) -> Result<i64, DbErr> {
    use sea_orm::sea_query::ExprTrait;
    let active = Expr::col((shop_order::Entity, shop_order::Column::Status))
        .eq(OrderStatus::Paid.as_str())
        .or(Expr::col((shop_order::Entity, shop_order::Column::Status))
            .eq(OrderStatus::Pending.as_str())
            .and(Expr::col((shop_order::Entity, shop_order::Column::ExpiresAt)).gt(now)));
    let rows: Vec<(i32, Option<NaiveDate>, Option<NaiveDate>)> = order_line::Entity::find()
        .select_only()
        .column(order_line::Column::Quantity)
        .column(order_line::Column::StartDate)
        .column(order_line::Column::EndDate)
        .join(JoinType::InnerJoin, order_line_order())
        .filter(order_line::Column::VariantId.eq(variant_id))
        .filter(order_line::Column::Kind.eq(ProductKind::Rental.as_str()))
        // Overlapping spans: starts on or before our end, ends on or after our start.
        .filter(order_line::Column::StartDate.lte(end))
        .filter(order_line::Column::EndDate.gte(start))
        .filter(active)
        .into_tuple()
        .all(db)
        .await?;
    Ok(peak(
        start,
        end,
        rows.into_iter()
            .filter_map(|(q, s, e)| Some((i64::from(q), s?, e?))),
    ))
}

/// The largest sum of quantities on one day of `start..=end` among `spans`.
fn peak(
    start: NaiveDate,
    end: NaiveDate,
    spans: impl Iterator<Item = (i64, NaiveDate, NaiveDate)>,
) -> i64 {
    // A sweep over the span's days: +q where a rental starts, −q the day after it ends.
    let mut changes: Vec<(NaiveDate, i64)> = Vec::new();
    for (q, s, e) in spans {
        changes.push((s.max(start), q));
        if let Some(after) = e.min(end).succ_opt() {
            changes.push((after, -q));
        }
    }
    changes.sort();
    let (mut out, mut best) = (0i64, 0i64);
    for (_, delta) in changes {
        out += delta;
        best = best.max(out);
    }
    best
}

/// How many units of `variant` can still be taken: for a sale, its shelf minus pending
/// holds; for a rental, its units minus the busiest day of the span.
pub async fn available<C: ConnectionTrait>(
    db: &C,
    variant: &product_variant::Model,
    kind: ProductKind,
    dates: Option<(NaiveDate, NaiveDate)>,
    now: DateTime<Utc>,
) -> Result<i64, DbErr> {
    let units = i64::from(variant.inventory.max(0));
    Ok(match (kind, dates) {
        (ProductKind::Rental, Some((start, end))) => {
            units - rented_peak(db, variant.id, start, end, now).await?
        }
        (ProductKind::Rental, None) => 0,
        (ProductKind::Sale, _) => {
            let held = held_for_sale(db, &[variant.id], now).await?;
            units - held.get(&variant.id).copied().unwrap_or(0)
        }
    }
    .max(0))
}

/// Takes the write lock on the variants in a cart (a no-op update: SQLite's database write
/// lock, row locks in PostgreSQL), so that two checkouts of the same stock run one after
/// the other and the second sees the first's hold. One statement, before anything is read.
pub async fn lock_cart_variants<C: ConnectionTrait>(db: &C, cart_id: i64) -> Result<(), DbErr> {
    use sea_orm::sea_query::Query;
    lock_variants_in(
        db,
        Query::select()
            .column(entity::cart_line::Column::VariantId)
            .from(entity::cart_line::Entity)
            .and_where(entity::cart_line::Column::CartId.eq(cart_id))
            .to_owned(),
    )
    .await
}

/// The same write lock on the variants of an order's lines (a late payment re-checks them).
pub async fn lock_order_variants<C: ConnectionTrait>(db: &C, order_id: i64) -> Result<(), DbErr> {
    use sea_orm::sea_query::Query;
    lock_variants_in(
        db,
        Query::select()
            .column(order_line::Column::VariantId)
            .from(order_line::Entity)
            .and_where(order_line::Column::OrderId.eq(order_id))
            .to_owned(),
    )
    .await
}

async fn lock_variants_in<C: ConnectionTrait>(
    db: &C,
    variant_ids: sea_orm::sea_query::SelectStatement,
) -> Result<(), DbErr> {
    product_variant::Entity::update_many()
        .col_expr(
            product_variant::Column::Inventory,
            Expr::col(product_variant::Column::Inventory),
        )
        .filter(product_variant::Column::Id.in_subquery(variant_ids))
        .exec(db)
        .await?;
    Ok(())
}

fn order_line_order() -> sea_orm::RelationDef {
    order_line::Relation::Order.def()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn the_peak_is_the_busiest_day_not_the_sum_of_overlaps() {
        let (s, e) = (d("2026-12-01"), d("2026-12-10"));
        // Two rentals that overlap the span but not each other: one unit out at a time.
        let spans = [
            (1, d("2026-11-28"), d("2026-12-02")),
            (1, d("2026-12-05"), d("2026-12-20")),
        ];
        assert_eq!(peak(s, e, spans.into_iter()), 1);
        // A third overlapping the second: two out on the 5th–8th.
        let spans = [
            (1, d("2026-11-28"), d("2026-12-02")),
            (1, d("2026-12-05"), d("2026-12-20")),
            (2, d("2026-12-08"), d("2026-12-08")),
        ];
        assert_eq!(peak(s, e, spans.into_iter()), 3);
        // Back to back (one ends the day before the other starts) never overlap.
        let spans = [
            (1, d("2026-12-01"), d("2026-12-03")),
            (1, d("2026-12-04"), d("2026-12-06")),
        ];
        assert_eq!(peak(s, e, spans.into_iter()), 1);
        assert_eq!(peak(s, e, std::iter::empty()), 0);
    }
}
