//! Server-side carts. A visitor's cookie holds only a random id; the cart row keeps its
//! SHA-256, so neither a database dump nor a log holds a usable cart id. A cart belongs to
//! one shop: the id of another shop's cart finds nothing here. Prices are never stored in a
//! cart: every view and every checkout prices the lines from the catalogue again.

use super::CommerceError;
use super::stock;
use app::commerce::{
    CartAdd, CartLineView, CartView, Flash, FlashKind, MAX_CART_LINES, MAX_LINE_QUANTITY,
    MAX_RENTAL_DAYS, MAX_RENTAL_LEAD_DAYS, ProductKind, rental_days,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::{DateTime, NaiveDate, Utc};
use entity::{cart, cart_line, product, product_variant};
use http::{HeaderMap, HeaderValue, header};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// The cart cookie's name.
pub const CART_COOKIE: &str = "vitrine_cart";
/// Carts untouched this long are deleted (and their cookie expires with them).
pub const CART_IDLE_DAYS: i64 = 30;

/// A new random cart id (256 bits).
pub fn new_token() -> String {
    B64.encode(rand::random::<[u8; 32]>())
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The cart id the request's cookie carries, if it looks like one of ours.
pub fn token_from(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(tower_sessions::cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == CART_COOKIE)
        .map(|c| c.value().to_string())
        .filter(|v| v.len() == 43 && B64.decode(v).is_ok())
}

/// The `Set-Cookie` value that gives a visitor their cart id: HttpOnly, SameSite=Lax,
/// Secure outside development, for the whole shop.
pub fn cookie(token: &str, secure: bool) -> HeaderValue {
    use tower_sessions::cookie::{Cookie, SameSite, time::Duration};
    let cookie = Cookie::build((CART_COOKIE, token.to_string()))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(Duration::days(CART_IDLE_DAYS))
        .build();
    HeaderValue::from_str(&cookie.to_string()).expect("a cookie of base64 is a valid header")
}

/// The shop's cart with this id.
pub async fn find<C: ConnectionTrait>(
    db: &C,
    shop_id: i64,
    token: &str,
) -> Result<Option<cart::Model>, DbErr> {
    cart::Entity::find()
        .filter(cart::Column::TokenHash.eq(token_hash(token)))
        .filter(cart::Column::ShopId.eq(shop_id))
        .one(db)
        .await
}

/// The shop's cart with this id, or a new one (with its new id to hand to the visitor).
pub async fn find_or_create<C: ConnectionTrait>(
    db: &C,
    shop_id: i64,
    token: Option<&str>,
) -> Result<(cart::Model, Option<String>), DbErr> {
    if let Some(token) = token
        && let Some(cart) = find(db, shop_id, token).await?
    {
        return Ok((cart, None));
    }
    let token = new_token();
    let now = Utc::now();
    let cart = cart::ActiveModel {
        shop_id: Set(shop_id),
        token_hash: Set(token_hash(&token)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok((cart, Some(token)))
}

/// A cart line priced from today's catalogue.
#[derive(Clone, Debug)]
pub struct PricedLine {
    pub line: cart_line::Model,
    pub variant: product_variant::Model,
    pub product: product::Model,
    pub kind: ProductKind,
    pub dates: Option<(NaiveDate, NaiveDate)>,
    pub days: i64,
    pub unit_price: i64,
    /// Deposit per unit (rentals).
    pub deposit: i64,
    /// unit_price × quantity (× days).
    pub line_total: i64,
    /// Units that could still be taken (for a rental, over its dates).
    pub available: i64,
    /// A rental whose start date has gone by while it sat in the cart.
    pub dates_passed: bool,
}

impl PricedLine {
    /// Why the line cannot be bought as it is, if it cannot.
    pub fn problem(&self) -> Option<String> {
        let title = &self.product.title;
        let wanted = i64::from(self.line.quantity);
        if self.dates_passed {
            return Some(format!(
                "The dates chosen for {title} have passed: remove it and choose new dates"
            ));
        }
        match (self.kind, self.available) {
            (_, a) if a >= wanted => None,
            (ProductKind::Rental, 0) => Some(format!("{title} is booked on these dates")),
            (ProductKind::Rental, a) => Some(format!("Only {a} of {title} free on these dates")),
            (ProductKind::Sale, 0) => Some(format!("{title} is sold out")),
            (ProductKind::Sale, a) => Some(format!("Only {a} of {title} left")),
        }
    }

    fn view(&self) -> CartLineView {
        CartLineView {
            id: self.line.id,
            variant_id: self.variant.id,
            product_handle: self.product.handle.clone(),
            product_title: self.product.title.clone(),
            variant_title: self.variant.title.clone(),
            image: crate::storefront::load::product_images(&self.product)
                .into_iter()
                .next(),
            kind: self.kind,
            unit_price: self.unit_price,
            quantity: self.line.quantity,
            start_date: self.dates.map(|(s, _)| s.to_string()),
            end_date: self.dates.map(|(_, e)| e.to_string()),
            days: self.days as i32,
            deposit: self.deposit,
            line_total: self.line_total,
            problem: self.problem(),
        }
    }
}

/// The cart's lines, oldest first.
pub async fn lines<C: ConnectionTrait>(
    db: &C,
    cart_id: i64,
) -> Result<Vec<cart_line::Model>, DbErr> {
    cart_line::Entity::find()
        .filter(cart_line::Column::CartId.eq(cart_id))
        .order_by_asc(cart_line::Column::Id)
        .all(db)
        .await
}

/// Prices `lines` from the shop's catalogue and checks what is available now. Lines whose
/// variant left the shop's catalogue are dropped.
pub async fn price<C: ConnectionTrait>(
    db: &C,
    shop_id: i64,
    lines: Vec<cart_line::Model>,
    now: DateTime<Utc>,
) -> Result<Vec<PricedLine>, DbErr> {
    if lines.is_empty() {
        return Ok(Vec::new());
    }
    let variant_ids: Vec<i64> = lines.iter().map(|l| l.variant_id).collect();
    let variants: HashMap<i64, product_variant::Model> = product_variant::Entity::find()
        .filter(product_variant::Column::Id.is_in(variant_ids.clone()))
        .filter(product_variant::Column::ShopId.eq(shop_id))
        .all(db)
        .await?
        .into_iter()
        .map(|v| (v.id, v))
        .collect();
    let products: HashMap<i64, product::Model> = product::Entity::find()
        .filter(product::Column::Id.is_in(variants.values().map(|v| v.product_id)))
        .filter(product::Column::ShopId.eq(shop_id))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let held = stock::held_for_sale(db, &variant_ids, now).await?;
    // Several lines of one sale variant share its shelf: each sees what the earlier took.
    let mut taken: HashMap<i64, i64> = HashMap::new();
    let mut priced = Vec::with_capacity(lines.len());
    for line in lines {
        let Some(variant) = variants.get(&line.variant_id) else {
            continue;
        };
        let Some(product) = products.get(&variant.product_id) else {
            continue;
        };
        let kind = ProductKind::parse(&product.kind);
        let dates = line.start_date.zip(line.end_date);
        let quantity = i64::from(line.quantity);
        let dates_passed =
            kind == ProductKind::Rental && dates.is_some_and(|(start, _)| start < now.date_naive());
        let (days, available) = match (kind, dates) {
            (ProductKind::Rental, Some((start, end))) => (
                rental_days(start, end),
                i64::from(variant.inventory.max(0))
                    - stock::rented_peak(db, variant.id, start, end, now).await?
                    - taken.get(&variant.id).copied().unwrap_or(0),
            ),
            (ProductKind::Rental, None) => (0, 0),
            (ProductKind::Sale, _) => (
                0,
                i64::from(variant.inventory.max(0))
                    - held.get(&variant.id).copied().unwrap_or(0)
                    - taken.get(&variant.id).copied().unwrap_or(0),
            ),
        };
        // Rentals of one variant on other dates share units too; counting every line of the
        // variant as taken is the cautious reading (a cart rarely holds two).
        *taken.entry(variant.id).or_insert(0) += quantity;
        let per_unit = match kind {
            ProductKind::Rental => variant.price.saturating_mul(days),
            ProductKind::Sale => variant.price,
        };
        priced.push(PricedLine {
            kind,
            dates,
            days,
            unit_price: variant.price,
            deposit: if kind == ProductKind::Rental {
                variant.deposit.max(0)
            } else {
                0
            },
            line_total: per_unit.saturating_mul(quantity),
            available: available.max(0),
            dates_passed,
            variant: variant.clone(),
            product: product.clone(),
            line,
        });
    }
    Ok(priced)
}

/// Totals of priced lines: (subtotal, deposits).
pub fn totals(lines: &[PricedLine]) -> (i64, i64) {
    lines.iter().fold((0i64, 0i64), |(sub, dep), l| {
        (
            sub.saturating_add(l.line_total),
            dep.saturating_add(l.deposit.saturating_mul(i64::from(l.line.quantity))),
        )
    })
}

/// The cart as its pages and the JSON API show it. Takes the one-time flash with it when
/// `take_flash` (a page that shows it), so it is shown once.
pub async fn view<C: ConnectionTrait>(
    db: &C,
    shop: &entity::shop::Model,
    cart: Option<&cart::Model>,
    take_flash: bool,
) -> Result<CartView, DbErr> {
    let Some(cart) = cart else {
        return Ok(CartView {
            currency: shop.currency.clone(),
            ..Default::default()
        });
    };
    let priced = price(db, shop.id, lines(db, cart.id).await?, Utc::now()).await?;
    let (subtotal, deposit_total) = totals(&priced);
    let flash = match (&cart.flash, take_flash) {
        (Some(raw), true) => {
            set_flash(db, cart.id, None).await?;
            serde_json::from_str(raw).ok()
        }
        _ => None,
    };
    Ok(CartView {
        currency: priced
            .first()
            .map(|l| l.variant.currency.clone())
            .unwrap_or_else(|| shop.currency.clone()),
        count: priced.iter().map(|l| l.line.quantity).sum(),
        lines: priced.iter().map(PricedLine::view).collect(),
        subtotal,
        deposit_total,
        total: subtotal.saturating_add(deposit_total),
        flash,
    })
}

/// Items in the cart (the header's count), without pricing anything.
pub async fn count<C: ConnectionTrait>(db: &C, cart_id: i64) -> Result<i32, DbErr> {
    Ok(lines(db, cart_id).await?.iter().map(|l| l.quantity).sum())
}

/// Keeps a message for the visitor's next cart or checkout page (or clears it).
pub async fn set_flash<C: ConnectionTrait>(
    db: &C,
    cart_id: i64,
    flash: Option<Flash>,
) -> Result<(), DbErr> {
    cart::Entity::update_many()
        .col_expr(
            cart::Column::Flash,
            sea_orm::sea_query::Expr::value(
                flash.map(|f| serde_json::to_string(&f).unwrap_or_default()),
            ),
        )
        .col_expr(
            cart::Column::UpdatedAt,
            sea_orm::sea_query::Expr::value(Utc::now()),
        )
        .filter(cart::Column::Id.eq(cart_id))
        .exec(db)
        .await?;
    Ok(())
}

pub fn success(message: impl Into<String>) -> Flash {
    Flash {
        kind: FlashKind::Success,
        message: message.into(),
    }
}

pub fn failure(message: impl Into<String>) -> Flash {
    Flash {
        kind: FlashKind::Error,
        message: message.into(),
    }
}

/// Reads a rental's dates: both present, `YYYY-MM-DD`, from today on, the end not before
/// the start, at most [`MAX_RENTAL_DAYS`] long and starting within [`MAX_RENTAL_LEAD_DAYS`].
pub fn rental_dates(
    start: Option<&str>,
    end: Option<&str>,
    today: NaiveDate,
) -> Result<(NaiveDate, NaiveDate), CommerceError> {
    let parse = |s: Option<&str>, what: &str| {
        let s = s.map(str::trim).filter(|s| !s.is_empty()).ok_or_else(|| {
            CommerceError::Invalid(format!("choose the {what} date of the rental"))
        })?;
        NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
            CommerceError::Invalid(format!(
                "the {what} date must be a date like 2026-12-24, not `{}`",
                s.chars().take(20).collect::<String>()
            ))
        })
    };
    let (start, end) = (parse(start, "start")?, parse(end, "end")?);
    if start < today {
        return Err(CommerceError::Invalid(
            "a rental cannot start in the past".into(),
        ));
    }
    if end < start {
        return Err(CommerceError::Invalid(
            "the rental must end on or after its start date".into(),
        ));
    }
    if rental_days(start, end) > MAX_RENTAL_DAYS {
        return Err(CommerceError::Invalid(format!(
            "a rental lasts at most {MAX_RENTAL_DAYS} days"
        )));
    }
    if (start - today).num_days() > MAX_RENTAL_LEAD_DAYS {
        return Err(CommerceError::Invalid(format!(
            "rentals can be booked at most {MAX_RENTAL_LEAD_DAYS} days ahead"
        )));
    }
    Ok((start, end))
}

fn check_quantity(quantity: i32, min: i32) -> Result<i32, CommerceError> {
    if (min..=MAX_LINE_QUANTITY).contains(&quantity) {
        Ok(quantity)
    } else {
        Err(CommerceError::Invalid(format!(
            "quantity must be from {min} to {MAX_LINE_QUANTITY}"
        )))
    }
}

/// Adds a variant of the shop to the cart (adding to the line of the same variant and
/// dates if there is one). Refuses what is not available now; returns the message to show.
pub async fn add<C: ConnectionTrait>(
    db: &C,
    shop_id: i64,
    cart: &cart::Model,
    add: &CartAdd,
) -> Result<String, CommerceError> {
    let quantity = check_quantity(add.quantity, 1)?;
    let (variant, product) = variant_of_shop(db, shop_id, add.variant_id).await?;
    let kind = ProductKind::parse(&product.kind);
    let now = Utc::now();
    let dates = match kind {
        ProductKind::Rental => Some(rental_dates(
            add.start_date.as_deref(),
            add.end_date.as_deref(),
            now.date_naive(),
        )?),
        ProductKind::Sale => None,
    };
    let existing = lines(db, cart.id).await?;
    let same = existing
        .iter()
        .find(|l| l.variant_id == variant.id && l.start_date.zip(l.end_date) == dates);
    let wanted = same.map_or(0, |l| l.quantity) + quantity;
    if wanted > MAX_LINE_QUANTITY {
        return Err(CommerceError::Invalid(format!(
            "at most {MAX_LINE_QUANTITY} of one item per order"
        )));
    }
    if same.is_none() && existing.len() >= MAX_CART_LINES {
        return Err(CommerceError::Invalid(format!(
            "a cart holds at most {MAX_CART_LINES} different items"
        )));
    }
    let available = stock::available(db, &variant, kind, dates, now).await?;
    if i64::from(wanted) > available {
        return Err(unavailable(&product.title, kind, available));
    }
    match same {
        Some(line) => {
            cart_line::ActiveModel {
                id: Set(line.id),
                quantity: Set(wanted),
                ..Default::default()
            }
            .update(db)
            .await?;
        }
        None => {
            cart_line::ActiveModel {
                cart_id: Set(cart.id),
                shop_id: Set(shop_id),
                variant_id: Set(variant.id),
                quantity: Set(quantity),
                start_date: Set(dates.map(|d| d.0)),
                end_date: Set(dates.map(|d| d.1)),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(db)
            .await?;
        }
    }
    Ok(match dates {
        Some((s, e)) => format!("Added {} from {s} to {e} to your cart", product.title),
        None if quantity == 1 => format!("Added {} to your cart", product.title),
        None => format!("Added {quantity} × {} to your cart", product.title),
    })
}

/// Sets a line's quantity (0 removes it).
pub async fn update<C: ConnectionTrait>(
    db: &C,
    shop_id: i64,
    cart: &cart::Model,
    line_id: i64,
    quantity: i32,
) -> Result<String, CommerceError> {
    let quantity = check_quantity(quantity, 0)?;
    let line = line_of(db, cart, line_id).await?;
    if quantity == 0 {
        return remove(db, shop_id, cart, line_id).await;
    }
    let (variant, product) = variant_of_shop(db, shop_id, line.variant_id).await?;
    let kind = ProductKind::parse(&product.kind);
    if quantity > line.quantity {
        let dates = line.start_date.zip(line.end_date);
        let available = stock::available(db, &variant, kind, dates, Utc::now()).await?;
        if i64::from(quantity) > available {
            return Err(unavailable(&product.title, kind, available));
        }
    }
    cart_line::ActiveModel {
        id: Set(line.id),
        quantity: Set(quantity),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(format!("Updated {}", product.title))
}

/// Removes a line.
pub async fn remove<C: ConnectionTrait>(
    db: &C,
    shop_id: i64,
    cart: &cart::Model,
    line_id: i64,
) -> Result<String, CommerceError> {
    let line = line_of(db, cart, line_id).await?;
    cart_line::Entity::delete_by_id(line.id).exec(db).await?;
    let title = match variant_of_shop(db, shop_id, line.variant_id).await {
        Ok((_, product)) => product.title,
        Err(_) => "the item".into(),
    };
    Ok(format!("Removed {title}"))
}

/// Deletes the cart's lines (after its order was paid).
pub async fn empty<C: ConnectionTrait>(db: &C, cart_id: i64) -> Result<(), DbErr> {
    cart_line::Entity::delete_many()
        .filter(cart_line::Column::CartId.eq(cart_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Empty carts are deleted after this many hours untouched (a visitor whose only add was
/// refused, or who emptied their cart), so carts nobody fills do not pile up for a month.
pub const EMPTY_CART_IDLE_HOURS: i64 = 24;

/// Deletes carts nobody touched for [`CART_IDLE_DAYS`], and empty ones after
/// [`EMPTY_CART_IDLE_HOURS`]; returns how many.
pub async fn sweep<C: ConnectionTrait>(db: &C, now: DateTime<Utc>) -> Result<u64, DbErr> {
    use sea_orm::sea_query::Query;
    let idle = cart::Entity::delete_many()
        .filter(cart::Column::UpdatedAt.lt(now - chrono::Duration::days(CART_IDLE_DAYS)))
        .exec(db)
        .await?
        .rows_affected;
    let empty = cart::Entity::delete_many()
        .filter(cart::Column::UpdatedAt.lt(now - chrono::Duration::hours(EMPTY_CART_IDLE_HOURS)))
        .filter(
            cart::Column::Id.not_in_subquery(
                Query::select()
                    .column(cart_line::Column::CartId)
                    .from(cart_line::Entity)
                    .to_owned(),
            ),
        )
        .exec(db)
        .await?
        .rows_affected;
    Ok(idle + empty)
}

async fn line_of<C: ConnectionTrait>(
    db: &C,
    cart: &cart::Model,
    line_id: i64,
) -> Result<cart_line::Model, CommerceError> {
    cart_line::Entity::find_by_id(line_id)
        .filter(cart_line::Column::CartId.eq(cart.id))
        .one(db)
        .await?
        .ok_or_else(|| CommerceError::NotFound("that line is not in your cart".into()))
}

async fn variant_of_shop<C: ConnectionTrait>(
    db: &C,
    shop_id: i64,
    variant_id: i64,
) -> Result<(product_variant::Model, product::Model), CommerceError> {
    let not_found = || CommerceError::NotFound("this shop has no such product".into());
    // One query: the variant with its product, both of this shop.
    let (variant, product) = product_variant::Entity::find_by_id(variant_id)
        .filter(product_variant::Column::ShopId.eq(shop_id))
        .find_also_related(product::Entity)
        .filter(product::Column::ShopId.eq(shop_id))
        .one(db)
        .await?
        .ok_or_else(not_found)?;
    Ok((variant, product.ok_or_else(not_found)?))
}

fn unavailable(title: &str, kind: ProductKind, available: i64) -> CommerceError {
    CommerceError::Unavailable(match (kind, available) {
        (ProductKind::Rental, 0) => format!("{title} is already booked on these dates"),
        (ProductKind::Rental, n) => format!("only {n} of {title} free on these dates"),
        (ProductKind::Sale, 0) => format!("{title} is sold out"),
        (ProductKind::Sale, n) => format!("only {n} of {title} left"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rental_dates_are_checked() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let ok = rental_dates(Some("2026-12-01"), Some("2026-12-03"), today).unwrap();
        assert_eq!(ok.0.to_string(), "2026-12-01");
        for (s, e, why) in [
            (None, Some("2026-12-03"), "start"),
            (Some("2026-12-01"), Some(""), "end"),
            (Some("01/12/2026"), Some("2026-12-03"), "like 2026-12-24"),
            (Some("2026-11-22"), Some("2026-12-03"), "past"),
            (Some("2026-12-03"), Some("2026-12-01"), "on or after"),
            (Some("2026-12-01"), Some("2027-03-15"), "at most 90 days"),
            (Some("2027-12-01"), Some("2027-12-02"), "ahead"),
        ] {
            let err = rental_dates(s, e, today).unwrap_err().to_string();
            assert!(err.contains(why), "{err} should say {why}");
        }
    }

    #[test]
    fn cookies_carry_only_well_formed_ids() {
        let token = new_token();
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("a=b; {CART_COOKIE}={token}")).unwrap(),
        );
        assert_eq!(token_from(&headers), Some(token.clone()));
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("vitrine_cart=short"),
        );
        assert_eq!(token_from(&headers), None);
        let set = cookie(&token, true);
        let set = set.to_str().unwrap();
        for part in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
            assert!(set.contains(part), "{set}");
        }
        assert!(!cookie(&token, false).to_str().unwrap().contains("Secure"));
    }
}
