//! `checkout_section` (system block, `checkout` pages only): the checkout form.
use super::descriptor::{FieldDefault::*, FieldDescriptor as F, FieldKind::*};
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
    view! {
        <div class="mx-auto max-w-3xl rounded-theme bg-surface p-10 shadow-sm ring-1 ring-black/5">
            <h1 class="font-heading text-3xl font-semibold text-ink">{props.title}</h1>
            {(!props.note.is_empty()).then(|| view! { <p class="mt-3 text-muted">{props.note.clone()}</p> })}
            <form method="post" action="/api/checkout-session" class="mt-6 grid gap-4">
                <label class="grid gap-1 text-sm font-medium text-muted">
                    "Email"
                    <input type="email" name="email" required=true autocomplete="email" class="rounded-theme border border-black/15 bg-white px-3 py-2 text-base text-ink" />
                </label>
                <button type="submit" class="rounded-theme bg-primary px-6 py-3 font-semibold text-white">"Continue to payment"</button>
            </form>
        </div>
    }
}
