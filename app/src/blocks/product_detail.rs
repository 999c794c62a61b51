//! `product_detail`: a product's images, description, variants and an add-to-cart form.
//!
//! The form is plain HTML (the storefront runs no JavaScript): it posts `variant_id`,
//! `quantity` and, for a rental, `start_date` and `end_date` to `/api/cart`, which answers
//! `303` to the cart. The page is cached and shared by every visitor, so it never claims a
//! rental is free on given dates: the server checks that when the form arrives.
use super::cart_section::per_day;
use super::context::{BlockContext, VariantView};
use super::descriptor::{FieldDefault::*, FieldDescriptor as F, FieldKind::*};
use crate::commerce::{MAX_LINE_QUANTITY, ProductKind};
use crate::money::format_price;
use crate::safe_url::safe_image;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProductDetailProps {
    pub product: String,
    pub show_description: bool,
    pub show_inventory: bool,
}

pub const FIELDS: &[F] = &[
    F::new("product", "Product", Product, Str("")).max_len(200),
    F::new("show_description", "Show description", Toggle, Bool(true)),
    F::new("show_inventory", "Show stock", Toggle, Bool(false)),
];

#[component]
pub fn ProductDetailBlock(props: ProductDetailProps) -> impl IntoView {
    let ctx = use_context::<BlockContext>().unwrap_or_default();
    let Some(product) = ctx.detail_for(&props.product).cloned() else {
        return view! {
            <div class="mx-auto max-w-3xl rounded-theme bg-surface p-10 text-center text-muted">"This product is not available."</div>
        }
        .into_any();
    };
    let rental = product.kind == ProductKind::Rental;
    let mut images = product
        .images
        .iter()
        .filter_map(|s| safe_image(s))
        .map(str::to_string);
    let main = images.next();
    let thumbs: Vec<String> = images.collect();
    // A sale variant without stock cannot be chosen. A rental's inventory is how many units
    // exist, not how many are free on some dates, so every rental variant can be asked for.
    let orderable = |v: &VariantView| rental || v.inventory > 0;
    let selected = product
        .variants
        .iter()
        .find(|v| orderable(v))
        .or(product.variants.first())
        .cloned();
    let can_order = selected.as_ref().is_some_and(orderable);
    let price = selected.as_ref().map(|v| price_label(v, rental));
    let deposit = selected
        .as_ref()
        .filter(|v| rental && v.deposit > 0)
        .map(|v| {
            format!(
                "Deposit {} per item, refunded on return",
                format_price(v.deposit, &v.currency)
            )
        });
    let multi = product.variants.len() > 1;
    let show_inventory = props.show_inventory && !rental;
    let selected_id = selected.as_ref().map(|v| v.id);
    let options = product
        .variants
        .iter()
        .map(|v| {
            let mut label = format!("{} — {}", v.title, price_label(v, rental));
            if rental && v.deposit > 0 {
                label.push_str(&format!(" + {} deposit", format_price(v.deposit, &v.currency)));
            }
            if show_inventory {
                label.push_str(&format!(" ({} in stock)", v.inventory.max(0)));
            }
            view! { <option value=v.id.to_string() selected=Some(v.id) == selected_id disabled=!orderable(v)>{label}</option> }
        })
        .collect_view();
    let variant_field = if multi {
        view! {
            <label class="flex flex-col gap-1 text-sm font-medium text-muted">
                "Option"
                <select name="variant_id" required=true class="rounded-theme border border-black/15 bg-white px-3 py-2 text-base text-ink">{options}</select>
            </label>
        }
        .into_any()
    } else {
        let id = selected_id.map(|id| id.to_string()).unwrap_or_default();
        view! { <input type="hidden" name="variant_id" value=id /> }.into_any()
    };
    let dates = rental.then(|| {
        view! {
            <fieldset class="grid grid-cols-2 gap-3">
                <legend class="mb-1 text-sm font-medium text-muted">"Rental dates (both days included)"</legend>
                <label class="flex flex-col gap-1 text-sm font-medium text-muted">
                    "From"
                    <input type="date" name="start_date" required=true class="rounded-theme border border-black/15 bg-white px-3 py-2 text-base text-ink" />
                </label>
                <label class="flex flex-col gap-1 text-sm font-medium text-muted">
                    "Until"
                    <input type="date" name="end_date" required=true class="rounded-theme border border-black/15 bg-white px-3 py-2 text-base text-ink" />
                </label>
            </fieldset>
        }
    });
    let button = match (rental, can_order) {
        (true, _) => "Rent",
        (false, true) => "Add to cart",
        (false, false) => "Sold out",
    };
    view! {
        <div class="mx-auto grid max-w-6xl grid-cols-1 gap-10 @3xl:grid-cols-2">
            <div class="space-y-4">
                {main.map(|src| view! {
                    <img src=src alt=product.title.clone() class="aspect-square w-full rounded-theme bg-surface object-cover shadow-sm" />
                })}
                {(!thumbs.is_empty()).then(|| view! {
                    <div class="grid grid-cols-4 gap-3">
                        {thumbs.into_iter().map(|src| view! { <img src=src alt="" loading="lazy" class="aspect-square rounded-theme object-cover" /> }).collect_view()}
                    </div>
                })}
            </div>
            <div class="flex flex-col gap-5">
                <h1 class="font-heading text-4xl font-semibold text-ink">{product.title.clone()}</h1>
                <div class="flex flex-col gap-1">
                    <p class="text-2xl font-medium text-primary" data-price="">{price}</p>
                    {deposit.map(|d| view! { <p class="text-sm text-muted" data-deposit="">{d}</p> })}
                </div>
                {props.show_description.then(|| view! {
                    <div class="space-y-3 text-lg leading-relaxed text-ink/80">
                        {product.description.split("\n\n").filter(|p| !p.trim().is_empty()).map(|p| view! { <p>{p.to_string()}</p> }).collect_view()}
                    </div>
                })}
                // A plain HTML form: works without JavaScript.
                <form method="post" action="/api/cart" class="flex flex-col gap-4 rounded-theme bg-surface p-5 ring-1 ring-black/5" data-product-kind=product.kind.as_str()>
                    {variant_field}
                    {dates}
                    <label class="flex items-center gap-3 text-sm font-medium text-muted">
                        "Quantity"
                        <input type="number" name="quantity" value="1" min="1" max=MAX_LINE_QUANTITY.to_string() required=true class="w-20 rounded-theme border border-black/15 bg-white px-3 py-2 text-base text-ink" />
                    </label>
                    <button type="submit" disabled=!can_order class="rounded-theme bg-primary px-6 py-3 font-semibold text-white transition hover:brightness-125 disabled:opacity-50">
                        {button}
                    </button>
                </form>
            </div>
        </div>
    }
    .into_any()
}

/// A variant's price as the page shows it: `€24.00`, or `€12.00 / day` for a rental.
fn price_label(v: &VariantView, rental: bool) -> String {
    if rental {
        per_day(v.price, &v.currency)
    } else {
        format_price(v.price, &v.currency)
    }
}
