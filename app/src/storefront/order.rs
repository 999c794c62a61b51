//! The customer's order confirmation (`/orders/{token}`), in the shop's layout.
//!
//! The payment provider sends the customer here as soon as they have paid, which can be a
//! moment before its webhook marks the order paid. With no JavaScript on the storefront, a
//! pending order's page waits by reloading itself every [`PENDING_REFRESH_SECONDS`] until the
//! status changes. The page is the customer's alone: never indexed, never cached.
#![cfg_attr(not(feature = "ssr"), allow(dead_code, unused_imports))]

use super::{Footer, Head, Header, PageMeta, ShopView};
use crate::blocks::cart_section::{Totals, line_label, rental_summary};
use crate::commerce::{OrderLineView, OrderStatus, OrderView};
use crate::money::format_price;
use crate::route::Route;
use leptos::prelude::*;

/// How often a pending order's page reloads itself while it waits for the payment.
pub const PENDING_REFRESH_SECONDS: u32 = 2;

/// Renders a complete HTML document: "Thank you", the order's number and status, its lines
/// and totals. `data-order-status` carries the status for tests and scripts.
#[cfg(feature = "ssr")]
pub fn render_order_page(shop: ShopView, meta: PageMeta, order: OrderView) -> String {
    let head = super::head_html(
        &shop,
        &meta,
        Head {
            noindex: true,
            refresh_seconds: (order.status == OrderStatus::Pending)
                .then_some(PENDING_REFRESH_SECONDS),
        },
    );
    let lang = shop.locale.clone();
    let body = super::render_detached(move || {
        let vars = shop.theme.css_variables();
        view! {
            <body class="flex min-h-screen flex-col bg-background font-body text-ink antialiased" style=vars>
                <Header shop=shop.clone() path=meta.path.clone() />
                <main class="flex-1 px-4 py-12 sm:px-6 lg:px-8">
                    <OrderSummary order=order />
                </main>
                <Footer shop=shop />
            </body>
        }
    });
    super::document(&lang, &head, &body)
}

#[component]
fn OrderSummary(order: OrderView) -> impl IntoView {
    let currency = order.currency.clone();
    let (heading, message) = match order.status {
        OrderStatus::Pending => (
            "Thank you for your order",
            "We are waiting for the payment confirmation. This page refreshes itself until it arrives.",
        ),
        OrderStatus::Paid => (
            "Thank you for your order",
            "Your payment is confirmed. We have everything we need.",
        ),
        OrderStatus::Returned => (
            "Thank you for renting with us",
            "Everything came back and the deposits were refunded.",
        ),
        OrderStatus::Expired => (
            "This order was not paid",
            "The payment never arrived, so the items were released.",
        ),
    };
    let pill = match order.status {
        OrderStatus::Pending => "bg-amber-100 text-amber-900",
        OrderStatus::Paid | OrderStatus::Returned => "bg-green-100 text-green-800",
        OrderStatus::Expired => "bg-black/10 text-ink",
    };
    let lines = order
        .lines
        .iter()
        .cloned()
        .map(|line| view! { <OrderLine line=line currency=currency.clone() /> })
        .collect_view();
    let refunded = (order.refunded > 0).then(|| {
        view! {
            <p class="flex justify-between gap-8 text-sm">
                <span class="text-muted">"Refunded"</span>
                <span class="font-medium text-green-800" data-order-refunded="">{format_price(order.refunded, &currency)}</span>
            </p>
        }
    });
    view! {
        <article class="mx-auto flex max-w-3xl flex-col gap-6 rounded-theme bg-surface p-8 shadow-sm ring-1 ring-black/5">
            <header class="flex flex-col gap-3">
                <h1 class="font-heading text-3xl font-semibold text-ink">{heading}</h1>
                <div class="flex flex-wrap items-center gap-3">
                    <p class="text-lg font-semibold text-ink">{format!("Order #{}", order.id)}</p>
                    <span class=format!("rounded-full px-3 py-1 text-xs font-bold uppercase tracking-wide {pill}") data-order-status=order.status.as_str()>
                        {order.status.label()}
                    </span>
                </div>
                <p class="text-muted" role="status">{message}</p>
                <p class="text-sm text-muted">"Email: " <span class="font-medium text-ink" data-order-email="">{order.email.clone()}</span></p>
            </header>
            <ul class="divide-y divide-black/10 border-y border-black/10">{lines}</ul>
            <div class="flex flex-col items-end gap-2">
                <Totals subtotal=order.subtotal deposits=order.deposit_total total=order.total currency=currency.clone() deposit_note="Refunded when the rental comes back." />
                {refunded}
            </div>
            <a href=Route::Products.path() class="w-fit rounded-theme bg-primary px-6 py-3 font-semibold text-white">"Continue shopping"</a>
        </article>
    }
}

/// `2 × Ceramic Mug — Sage`, its rental dates, its total.
#[component]
fn OrderLine(line: OrderLineView, currency: String) -> impl IntoView {
    let name = line_label(line.quantity, &line.product_title, &line.variant_title);
    let dates = rental_summary(
        line.start_date.as_deref(),
        line.end_date.as_deref(),
        line.days,
    );
    view! {
        <li class="flex justify-between gap-4 py-3 text-sm" data-order-line="">
            <div class="flex flex-col gap-0.5">
                <span class="font-medium text-ink">{name}</span>
                {dates.map(|d| view! { <span class="text-muted" data-rental-dates="">{d}</span> })}
            </div>
            <span class="shrink-0 font-medium text-ink">{format_price(line.line_total, &currency)}</span>
        </li>
    }
}
