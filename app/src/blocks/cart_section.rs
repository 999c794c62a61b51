//! `cart_section` (system block, `cart` pages only): the customer's cart.
//!
//! The storefront loads no JavaScript, so every change is a plain form that posts to the cart
//! API and comes back here with a `303`; the server puts the visitor's cart in
//! [`BlockContext::cart`] (this page is rendered for each request and never cached). The
//! helpers at the bottom (rental dates, the flash banner, totals) are shared with the checkout
//! block and the order confirmation page, so a line reads the same on all three.
use super::context::BlockContext;
use super::descriptor::{FieldDefault::*, FieldDescriptor as F, FieldKind::*};
use crate::commerce::{CartLineView, Flash, FlashKind, MAX_LINE_QUANTITY, ProductKind};
use crate::money::format_price;
use crate::route::Route;
use crate::safe_url::safe_image;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CartSectionProps {
    pub title: String,
    pub empty_message: String,
}

pub const FIELDS: &[F] = &[
    F::new("title", "Title", Text, Str("Your cart")).max_len(120),
    F::new(
        "empty_message",
        "When empty",
        Text,
        Str("Your cart is empty."),
    )
    .max_len(200),
];

#[component]
pub fn CartSectionBlock(props: CartSectionProps) -> impl IntoView {
    let ctx = use_context::<BlockContext>().unwrap_or_default();
    let cart = ctx.cart.clone().filter(|c| !c.lines.is_empty());
    let Some(cart) = cart else {
        // No cart, or nothing left in it: a refused change still explains itself.
        let flash = ctx
            .cart
            .as_ref()
            .and_then(|c| c.flash.clone())
            .map(|f| view! { <FlashBanner flash=f /> }.into_any());
        return view! { <EmptyCart flash title=props.title message=props.empty_message /> }
            .into_any();
    };
    let currency = cart.currency.clone();
    let blocked = cart.lines.iter().any(|l| l.problem.is_some());
    let rows = cart
        .lines
        .iter()
        .cloned()
        .map(|line| view! { <CartRow line=line currency=currency.clone() /> })
        .collect_view();
    // A cart with a line that cannot be bought cannot be paid either: the button is shown
    // but is no link, so the customer fixes (or removes) the red lines first.
    let checkout = if blocked {
        view! {
            <div class="flex flex-col items-end gap-2">
                <span aria-disabled="true" class="cursor-not-allowed rounded-theme bg-primary px-8 py-3 font-semibold text-white opacity-50" data-checkout-blocked="">"Checkout"</span>
                <p class="text-sm text-red-700">"Change or remove the lines marked in red to check out."</p>
            </div>
        }
        .into_any()
    } else {
        view! {
            <a href=Route::Checkout.path() class="rounded-theme bg-primary px-8 py-3 text-center font-semibold text-white transition hover:brightness-125">"Checkout"</a>
        }
        .into_any()
    };
    view! {
        <div class="mx-auto flex max-w-4xl flex-col gap-6">
            <h1 class="font-heading text-3xl font-semibold text-ink">{props.title}</h1>
            {cart.flash.clone().map(|f| view! { <FlashBanner flash=f /> })}
            <ul class="divide-y divide-black/10 rounded-theme bg-surface px-5 shadow-sm ring-1 ring-black/5">{rows}</ul>
            <div class="flex flex-col gap-6 rounded-theme bg-surface p-5 shadow-sm ring-1 ring-black/5 sm:flex-row sm:items-end sm:justify-between">
                <Totals subtotal=cart.subtotal deposits=cart.deposit_total total=cart.total currency=currency.clone() />
                <div class="flex flex-col items-stretch gap-3 sm:items-end">
                    {checkout}
                    <a href=Route::Products.path() class="text-center text-sm font-semibold text-primary hover:text-accent">"Continue shopping"</a>
                </div>
            </div>
        </div>
    }
    .into_any()
}

/// One line of the cart with its own quantity and remove forms.
#[component]
fn CartRow(line: CartLineView, currency: String) -> impl IntoView {
    let CartLineView {
        id,
        product_handle,
        product_title,
        variant_title,
        image,
        kind,
        unit_price,
        quantity,
        start_date,
        end_date,
        days,
        deposit,
        line_total,
        problem,
        ..
    } = line;
    let image = image.as_deref().and_then(safe_image).map(str::to_string);
    let alt = product_title.clone();
    let unit = match kind {
        ProductKind::Sale => format!("{} each", format_price(unit_price, &currency)),
        ProductKind::Rental => per_day(unit_price, &currency),
    };
    let rental = (kind == ProductKind::Rental).then(|| {
        let dates = rental_summary(start_date.as_deref(), end_date.as_deref(), days);
        let deposit = line_deposit(deposit, quantity, &currency);
        view! {
            {dates.map(|d| view! { <p class="text-sm font-medium text-ink" data-rental-dates="">{d}</p> })}
            {deposit.map(|d| view! { <p class="text-sm text-muted" data-line-deposit="">{d}</p> })}
        }
    });
    let update = format!("/api/cart/lines/{id}");
    let remove = format!("/api/cart/lines/{id}/remove");
    view! {
        <li class="flex flex-col gap-4 py-5 sm:flex-row" data-cart-line=id.to_string()>
            <div class="size-20 shrink-0 overflow-hidden rounded-theme bg-background">
                {image.map(|src| view! { <img src=src alt=alt loading="lazy" class="h-full w-full object-cover" /> })}
            </div>
            <div class="flex min-w-0 flex-1 flex-col gap-1">
                <a href=Route::Product(product_handle.clone()).path() class="font-heading text-lg font-semibold text-ink hover:text-primary">{product_title}</a>
                {(!variant_title.is_empty()).then(|| view! { <p class="text-sm text-muted">{variant_title}</p> })}
                {rental}
                <p class="text-sm text-muted" data-unit-price="">{unit}</p>
                {problem.map(|p| view! { <p class="text-sm font-semibold text-red-700" data-cart-problem="">{p}</p> })}
                <div class="mt-2 flex flex-wrap items-center gap-3">
                    <form method="post" action=update class="flex items-center gap-2">
                        <label class="flex items-center gap-2 text-sm font-medium text-muted">
                            "Quantity"
                            <input type="number" name="quantity" value=quantity.to_string() min="0" max=MAX_LINE_QUANTITY.to_string() required=true class="w-20 rounded-theme border border-black/15 bg-white px-3 py-1.5 text-base text-ink" />
                        </label>
                        <button type="submit" class="rounded-theme border border-primary/30 px-3 py-1.5 text-sm font-semibold text-primary hover:bg-primary hover:text-white">"Update"</button>
                    </form>
                    <form method="post" action=remove>
                        <button type="submit" class="px-2 py-1.5 text-sm font-semibold text-muted underline-offset-4 hover:text-red-700 hover:underline">"Remove"</button>
                    </form>
                </div>
            </div>
            <p class="shrink-0 text-lg font-semibold text-ink sm:text-right" data-line-total="">{format_price(line_total, &currency)}</p>
        </li>
    }
}

/// The cart or checkout with nothing in it: the block's title, a message, a way back to the
/// products, and the flash that explains a refused change.
#[component]
pub fn EmptyCart(flash: Option<AnyView>, title: String, message: String) -> impl IntoView {
    view! {
        <div class="mx-auto flex max-w-3xl flex-col gap-6">
            {flash}
            <div class="rounded-theme bg-surface p-10 text-center shadow-sm ring-1 ring-black/5">
                <h1 class="font-heading text-3xl font-semibold text-ink">{title}</h1>
                <p class="mt-3 text-muted">{message}</p>
                <a href=Route::Products.path() class="mt-6 inline-flex rounded-theme bg-primary px-6 py-3 font-semibold text-white">"Browse products"</a>
            </div>
        </div>
    }
}

/// `2 × Ceramic Mug — Sage` (without the dash when the variant has no title).
pub fn line_label(quantity: i32, product: &str, variant: &str) -> String {
    if variant.is_empty() {
        format!("{quantity} × {product}")
    } else {
        format!("{quantity} × {product} — {variant}")
    }
}

/// Subtotal, refundable deposits (only when there are any) and the total, as a list the cart,
/// the checkout and the order page share. `data-cart-subtotal` / `data-cart-total` are read by
/// tests and the smoke suite.
#[component]
pub fn Totals(
    subtotal: i64,
    deposits: i64,
    total: i64,
    currency: String,
    /// Said under the deposits line (the order page explains when they come back).
    #[prop(optional)]
    deposit_note: Option<&'static str>,
) -> impl IntoView {
    let deposits = (deposits > 0).then(|| {
        view! {
            <div class="flex flex-wrap justify-between gap-x-8">
                <dt class="text-muted">"Refundable deposits"</dt>
                <dd class="font-medium text-ink" data-cart-deposits="">{format_price(deposits, &currency)}</dd>
                {deposit_note.map(|n| view! { <dd class="basis-full text-xs text-muted">{n}</dd> })}
            </div>
        }
    });
    view! {
        <dl class="grid min-w-64 gap-2 text-sm">
            <div class="flex justify-between gap-8">
                <dt class="text-muted">"Subtotal"</dt>
                <dd class="font-medium text-ink" data-cart-subtotal="">{format_price(subtotal, &currency)}</dd>
            </div>
            {deposits}
            <div class="flex justify-between gap-8 border-t border-black/10 pt-2 text-base">
                <dt class="font-semibold text-ink">"Total"</dt>
                <dd class="font-semibold text-ink" data-cart-total="">{format_price(total, &currency)}</dd>
            </div>
        </dl>
    }
}

/// The one-time message after a cart change: green for success (`role="status"`, read out
/// politely), red for a refused change (`role="alert"`).
#[component]
pub fn FlashBanner(flash: Flash) -> impl IntoView {
    let (role, class) = match flash.kind {
        FlashKind::Success => (
            "status",
            "rounded-theme border border-green-200 bg-green-50 px-4 py-3 text-sm font-medium text-green-800",
        ),
        FlashKind::Error => (
            "alert",
            "rounded-theme border border-red-200 bg-red-50 px-4 py-3 text-sm font-medium text-red-800",
        ),
    };
    let kind = match flash.kind {
        FlashKind::Success => "success",
        FlashKind::Error => "error",
    };
    view! { <p role=role class=class data-flash=kind>{flash.message}</p> }
}

/// A per-day price: `€12.00 / day`.
pub fn per_day(minor: i64, currency: &str) -> String {
    format!("{} / day", format_price(minor, currency))
}

/// `1 day`, `3 days`.
pub fn days_label(days: i32) -> String {
    if days == 1 {
        "1 day".to_string()
    } else {
        format!("{days} days")
    }
}

/// A rental's span as people read it, both days inclusive: `1 Dec – 3 Dec 2026`, the year
/// once when both days share it (`30 Dec 2026 – 2 Jan 2027` otherwise), one date for a
/// one-day rental. Dates that are not `YYYY-MM-DD` are shown as they are rather than dropped:
/// the server wrote them, and a customer should still see what they booked.
pub fn rental_dates(start: &str, end: &str) -> String {
    use chrono::{Datelike, NaiveDate};
    let parse = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
    match (parse(start), parse(end)) {
        (Some(s), Some(e)) if s == e => s.format("%-d %b %Y").to_string(),
        (Some(s), Some(e)) if s.year() == e.year() => {
            format!("{} – {}", s.format("%-d %b"), e.format("%-d %b %Y"))
        }
        (Some(s), Some(e)) => format!("{} – {}", s.format("%-d %b %Y"), e.format("%-d %b %Y")),
        _ => format!("{start} – {end}"),
    }
}

/// `1 Dec – 3 Dec 2026 · 3 days`, or `None` when the line has no dates (a sale).
pub fn rental_summary(start: Option<&str>, end: Option<&str>, days: i32) -> Option<String> {
    let (start, end) = (start?, end?);
    Some(format!(
        "{} · {}",
        rental_dates(start, end),
        days_label(days)
    ))
}

/// What a rental line holds back until the items return: `Deposit €200.00, refunded on
/// return`, with the per-item amount when there are several. `None` without a deposit.
pub fn line_deposit(per_item: i64, quantity: i32, currency: &str) -> Option<String> {
    if per_item <= 0 {
        return None;
    }
    let total = per_item.saturating_mul(i64::from(quantity.max(0)));
    Some(if quantity > 1 {
        format!(
            "Deposit {} ({} × {}), refunded on return",
            format_price(total, currency),
            quantity,
            format_price(per_item, currency)
        )
    } else {
        format!(
            "Deposit {}, refunded on return",
            format_price(total, currency)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rental_dates_read_like_a_calendar() {
        assert_eq!(
            rental_dates("2026-12-01", "2026-12-03"),
            "1 Dec – 3 Dec 2026"
        );
        assert_eq!(
            rental_dates("2026-12-30", "2027-01-02"),
            "30 Dec 2026 – 2 Jan 2027"
        );
        assert_eq!(rental_dates("2026-12-01", "2026-12-01"), "1 Dec 2026");
        // Not a date: shown as written.
        assert_eq!(rental_dates("soon", "2026-12-01"), "soon – 2026-12-01");
        assert_eq!(
            rental_summary(Some("2026-12-01"), Some("2026-12-03"), 3).as_deref(),
            Some("1 Dec – 3 Dec 2026 · 3 days")
        );
        assert_eq!(rental_summary(None, Some("2026-12-03"), 0), None);
        assert_eq!(days_label(1), "1 day");
    }

    #[test]
    fn deposits_name_the_line_amount() {
        assert_eq!(
            line_deposit(5000, 1, "EUR").as_deref(),
            Some("Deposit €50.00, refunded on return")
        );
        assert_eq!(
            line_deposit(5000, 3, "EUR").as_deref(),
            Some("Deposit €150.00 (3 × €50.00), refunded on return")
        );
        assert_eq!(line_deposit(0, 3, "EUR"), None);
        assert_eq!(per_day(1200, "EUR"), "€12.00 / day");
    }
}
