//! `checkout_section` (system block, `checkout` pages only): a summary of the visitor's cart
//! and the form that starts the payment.
//!
//! Like the cart, it reads the cart from [`BlockContext::cart`] (the server renders this page
//! for each request) and posts a plain form: `POST /api/checkout-session` answers `303` to the
//! payment page, or back here with an error flash (e.g. the last one was just sold).
use super::cart_section::{EmptyCart, FlashBanner, Totals, line_label, rental_summary};
use super::context::BlockContext;
use super::descriptor::{FieldDefault::*, FieldDescriptor as F, FieldKind::*};
use crate::commerce::CartLineView;
use crate::money::format_price;
use crate::route::Route;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CheckoutSectionProps {
    pub title: String,
    pub note: String,
}

pub const FIELDS: &[F] = &[
    F::new("title", "Title", Text, Str("Checkout")).max_len(120),
    F::new("note", "Note above the form", LongText, Str("")).max_len(1000),
];

#[component]
pub fn CheckoutSectionBlock(props: CheckoutSectionProps) -> impl IntoView {
    let ctx = use_context::<BlockContext>().unwrap_or_default();
    let flash = ctx
        .cart
        .as_ref()
        .and_then(|c| c.flash.clone())
        .map(|f| view! { <FlashBanner flash=f /> }.into_any());
    let note = (!props.note.is_empty())
        .then(|| view! { <p class="mt-3 text-muted">{props.note.clone()}</p> });
    let Some(cart) = ctx.cart.clone().filter(|c| !c.lines.is_empty()) else {
        return view! {
            <EmptyCart flash title=props.title message="Your cart is empty: there is nothing to pay for yet.".to_string() />
        }
        .into_any();
    };
    let currency = cart.currency.clone();
    let blocked = cart.lines.iter().any(|l| l.problem.is_some());
    let lines = cart
        .lines
        .iter()
        .cloned()
        .map(|line| view! { <SummaryLine line=line currency=currency.clone() /> })
        .collect_view();
    // Paying for a line the server would refuse only leads back here: send the customer to
    // the cart to fix it instead of showing the button.
    let pay = if blocked {
        view! {
            <div class="grid gap-3 rounded-theme border border-red-200 bg-red-50 p-4 text-sm text-red-800" data-checkout-blocked="">
                <p>"Some items can no longer be bought as they are."</p>
                <a href=Route::Cart.path() class="font-semibold underline underline-offset-4">"Review your cart"</a>
            </div>
        }
        .into_any()
    } else {
        let label = format!("Pay {}", format_price(cart.total, &currency));
        view! {
            <form method="post" action="/api/checkout-session" class="grid gap-4">
                <label class="grid gap-1 text-sm font-medium text-muted">
                    "Email"
                    <input type="email" name="email" required=true maxlength="254" autocomplete="email" class="rounded-theme border border-black/15 bg-white px-3 py-2 text-base text-ink" />
                </label>
                <p class="text-xs text-muted">"We use it only for this order."</p>
                <button type="submit" class="rounded-theme bg-primary px-6 py-3 font-semibold text-white transition hover:brightness-125">{label}</button>
            </form>
        }
        .into_any()
    };
    view! {
        <div class="mx-auto flex max-w-4xl flex-col gap-6">
            <div>
                <h1 class="font-heading text-3xl font-semibold text-ink">{props.title}</h1>
                {note}
            </div>
            {flash}
            <div class="grid gap-6 @3xl:grid-cols-2">
                <section class="flex flex-col gap-4 rounded-theme bg-surface p-5 shadow-sm ring-1 ring-black/5" aria-label="Order summary">
                    <ul class="divide-y divide-black/10">{lines}</ul>
                    <Totals subtotal=cart.subtotal deposits=cart.deposit_total total=cart.total currency=currency.clone() />
                    <a href=Route::Cart.path() class="text-sm font-semibold text-primary hover:text-accent">"Edit cart"</a>
                </section>
                <section class="rounded-theme bg-surface p-5 shadow-sm ring-1 ring-black/5">{pay}</section>
            </div>
        </div>
    }
    .into_any()
}

/// One compact line: `2 × Ceramic Mug — Sage`, the rental dates, the line total.
#[component]
fn SummaryLine(line: CartLineView, currency: String) -> impl IntoView {
    let name = line_label(line.quantity, &line.product_title, &line.variant_title);
    let dates = rental_summary(
        line.start_date.as_deref(),
        line.end_date.as_deref(),
        line.days,
    );
    view! {
        <li class="flex justify-between gap-4 py-3 text-sm" data-checkout-line=line.id.to_string()>
            <div class="flex flex-col gap-0.5">
                <span class="font-medium text-ink">{name}</span>
                {dates.map(|d| view! { <span class="text-muted" data-rental-dates="">{d}</span> })}
                {line.problem.map(|p| view! { <span class="font-semibold text-red-700" data-cart-problem="">{p}</span> })}
            </div>
            <span class="shrink-0 font-medium text-ink">{format_price(line.line_total, &currency)}</span>
        </li>
    }
}
