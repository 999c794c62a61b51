//! `cart_section` (system block, `cart` pages only): the customer's cart.
use super::descriptor::{FieldDefault::*, FieldDescriptor as F, FieldKind::*};
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
    // Cart contents arrive with the commerce work; until then the cart is always empty.
    view! {
        <div class="mx-auto max-w-3xl rounded-theme bg-surface p-10 text-center shadow-sm ring-1 ring-black/5">
            <h1 class="font-heading text-3xl font-semibold text-ink">{props.title}</h1>
            <p class="mt-3 text-muted">{props.empty_message}</p>
            <a href="/products" class="mt-6 inline-flex rounded-theme bg-primary px-6 py-3 font-semibold text-white">"Browse products"</a>
        </div>
    }
}
