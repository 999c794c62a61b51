//! The commerce contract shared by the server, the storefront's blocks and the admin: what a
//! cart, an order and their lines look like, and the JSON bodies of the cart, checkout,
//! orders and returns API. Amounts are integer minor units of `currency` everywhere.

use serde::{Deserialize, Serialize};

/// How a product is sold.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProductKind {
    /// Bought once; stock goes down when the order is paid.
    #[default]
    Sale,
    /// Rented for a span of days at a per-day price plus a refundable deposit; stock is the
    /// number of units that can be out at once.
    Rental,
}

impl ProductKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProductKind::Sale => "sale",
            ProductKind::Rental => "rental",
        }
    }

    /// `sale` or `rental`; anything else is a sale.
    pub fn parse(s: &str) -> Self {
        if s == "rental" {
            ProductKind::Rental
        } else {
            ProductKind::Sale
        }
    }
}

/// The most of one line a customer can put in a cart.
pub const MAX_LINE_QUANTITY: i32 = 99;
/// The most lines one cart holds.
pub const MAX_CART_LINES: usize = 50;
/// The longest rental, in days.
pub const MAX_RENTAL_DAYS: i64 = 90;
/// How far ahead a rental may start, in days.
pub const MAX_RENTAL_LEAD_DAYS: i64 = 365;

/// Days of a rental from `start` to `end`, both inclusive (`2026-12-01`..`2026-12-03` is 3).
pub fn rental_days(start: chrono::NaiveDate, end: chrono::NaiveDate) -> i64 {
    (end - start).num_days() + 1
}

/// One line of a cart, priced by the server from the catalogue.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CartLineView {
    pub id: i64,
    pub variant_id: i64,
    pub product_handle: String,
    pub product_title: String,
    pub variant_title: String,
    pub image: Option<String>,
    pub kind: ProductKind,
    /// Per unit (a sale) or per unit and day (a rental).
    pub unit_price: i64,
    pub quantity: i32,
    /// A rental's first and last day (`YYYY-MM-DD`, inclusive).
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    /// Rental days (0 for a sale).
    pub days: i32,
    /// Refundable deposit per unit (rentals).
    pub deposit: i64,
    /// unit_price × quantity (× days), without deposits.
    pub line_total: i64,
    /// Why this line cannot be bought as it is (sold out, dates taken), if it cannot.
    pub problem: Option<String>,
}

/// A visitor's cart.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CartView {
    pub lines: Vec<CartLineView>,
    pub currency: String,
    /// Sum of the lines, without deposits.
    pub subtotal: i64,
    /// Refundable deposits of the rental lines.
    pub deposit_total: i64,
    /// What checkout charges: subtotal plus deposits.
    pub total: i64,
    /// Items (the sum of quantities): the header's count.
    pub count: i32,
    /// A one-time message after a change ("Added …", or why a change was refused).
    pub flash: Option<Flash>,
}

/// A message shown once on the next cart or checkout page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flash {
    pub kind: FlashKind,
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlashKind {
    Success,
    Error,
}

/// `POST /api/cart`: add a variant (form or JSON). Rentals need both dates.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CartAdd {
    pub variant_id: i64,
    #[serde(default = "one")]
    pub quantity: i32,
    #[serde(default)]
    pub start_date: Option<String>,
    #[serde(default)]
    pub end_date: Option<String>,
}

fn one() -> i32 {
    1
}

/// `PATCH /api/cart/lines/{id}` (or the form `POST /api/cart/lines/{id}`): a new quantity;
/// 0 removes the line.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CartUpdate {
    pub quantity: i32,
}

/// `POST /api/checkout-session` (form or JSON).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CheckoutRequest {
    pub email: String,
}

/// The JSON answer to a checkout: where the customer pays, and the order's own page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckoutResponse {
    pub order: OrderView,
    pub payment_url: String,
    pub order_url: String,
}

/// Where an order stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Waiting for payment; its stock is held until the payment session expires.
    Pending,
    Paid,
    /// The payment never came; the hold is released.
    Expired,
    /// A rental came back and its deposit was refunded.
    Returned,
}

impl OrderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Pending => "pending",
            OrderStatus::Paid => "paid",
            OrderStatus::Expired => "expired",
            OrderStatus::Returned => "returned",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => OrderStatus::Pending,
            "paid" => OrderStatus::Paid,
            "expired" => OrderStatus::Expired,
            "returned" => OrderStatus::Returned,
            _ => return None,
        })
    }

    /// What a person reads.
    pub fn label(self) -> &'static str {
        match self {
            OrderStatus::Pending => "Awaiting payment",
            OrderStatus::Paid => "Paid",
            OrderStatus::Expired => "Expired",
            OrderStatus::Returned => "Returned",
        }
    }
}

/// One line of an order, as sold.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct OrderLineView {
    pub variant_id: i64,
    pub kind: ProductKind,
    pub product_handle: String,
    pub product_title: String,
    pub variant_title: String,
    pub unit_price: i64,
    pub quantity: i32,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub days: i32,
    pub deposit: i64,
    pub line_total: i64,
}

/// An order with its lines (the admin's order page, the customer's confirmation, the API).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrderView {
    pub id: i64,
    pub shop_id: i64,
    /// Customers reach their order at `/orders/{token}`; the admin uses `id`.
    pub token: String,
    pub status: OrderStatus,
    pub email: String,
    pub currency: String,
    pub subtotal: i64,
    pub deposit_total: i64,
    pub total: i64,
    /// Refunded so far (deposits of a returned rental).
    pub refunded: i64,
    /// RFC 3339 times.
    pub created_at: String,
    pub paid_at: Option<String>,
    pub returned_at: Option<String>,
    /// The earliest start and latest end of its rental lines, if it has any.
    pub rental_start: Option<String>,
    pub rental_end: Option<String>,
    pub lines: Vec<OrderLineView>,
}

impl OrderView {
    /// Whether it has rental lines (and so can be returned once paid).
    pub fn is_rental(&self) -> bool {
        self.lines.iter().any(|l| l.kind == ProductKind::Rental)
    }
}

/// `GET /api/v1/shops/{shop_id}/orders`: newest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrderList {
    pub orders: Vec<OrderView>,
    /// More orders exist than the list holds (it answers the latest 200).
    #[serde(default)]
    pub truncated: bool,
}

/// `POST /api/returns` (operator): a paid rental order came back; its deposits are refunded.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ReturnRequest {
    pub order_id: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rental_days_count_both_ends() {
        let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(rental_days(d("2026-12-01"), d("2026-12-01")), 1);
        assert_eq!(rental_days(d("2026-12-01"), d("2026-12-03")), 3);
        assert_eq!(rental_days(d("2026-12-31"), d("2027-01-01")), 2);
    }

    #[test]
    fn kinds_and_statuses_read_back() {
        assert_eq!(ProductKind::parse("rental"), ProductKind::Rental);
        assert_eq!(ProductKind::parse("anything"), ProductKind::Sale);
        for s in [
            OrderStatus::Pending,
            OrderStatus::Paid,
            OrderStatus::Expired,
            OrderStatus::Returned,
        ] {
            assert_eq!(OrderStatus::parse(s.as_str()), Some(s));
        }
    }
}
