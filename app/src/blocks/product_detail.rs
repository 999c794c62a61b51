//! `product_detail`: a product's images, description, variants and an add-to-cart form.
use super::context::BlockContext;
use super::descriptor::{FieldDefault::*, FieldDescriptor as F, FieldKind::*};
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
    let mut images = product
        .images
        .iter()
        .filter_map(|s| safe_image(s))
        .map(str::to_string);
    let main = images.next();
    let thumbs: Vec<String> = images.collect();
    let first_price = product
        .variants
        .first()
        .map(|v| format_price(v.price, &v.currency))
        .unwrap_or_default();
    let any_available = product.variants.iter().any(|v| v.inventory > 0);
    let multi = product.variants.len() > 1;
    let show_inventory = props.show_inventory;
    let variants = product
        .variants
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let label = if show_inventory {
                format!("{} — {} ({} in stock)", v.title, format_price(v.price, &v.currency), v.inventory.max(0))
            } else {
                format!("{} — {}", v.title, format_price(v.price, &v.currency))
            };
            view! { <option value=v.id.to_string() selected=i == 0 disabled=v.inventory <= 0>{label}</option> }
        })
        .collect_view();
    let single_variant = product
        .variants
        .first()
        .map(|v| v.id.to_string())
        .unwrap_or_default();
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
                <p class="text-2xl font-medium text-primary" data-price="">{first_price}</p>
                {props.show_description.then(|| view! {
                    <div class="space-y-3 text-lg leading-relaxed text-ink/80">
                        {product.description.split("\n\n").map(|p| view! { <p>{p.to_string()}</p> }).collect_view()}
                    </div>
                })}
                // A plain HTML form: works without JavaScript.
                <form method="post" action="/api/cart" class="flex flex-col gap-4 rounded-theme bg-surface p-5 ring-1 ring-black/5">
                    <input type="hidden" name="product" value=product.handle.clone() />
                    {if multi {
                        view! {
                            <label class="flex flex-col gap-1 text-sm font-medium text-muted">
                                "Option"
                                <select name="variant" class="rounded-theme border border-black/15 bg-white px-3 py-2 text-base text-ink">{variants}</select>
                            </label>
                        }.into_any()
                    } else {
                        view! { <input type="hidden" name="variant" value=single_variant /> }.into_any()
                    }}
                    <label class="flex items-center gap-3 text-sm font-medium text-muted">
                        "Quantity"
                        <input type="number" name="quantity" value="1" min="1" max="99" class="w-20 rounded-theme border border-black/15 bg-white px-3 py-2 text-base text-ink" />
                    </label>
                    <button type="submit" disabled=!any_available class="rounded-theme bg-primary px-6 py-3 font-semibold text-white transition hover:brightness-125 disabled:opacity-50">
                        {if any_available { "Add to cart" } else { "Sold out" }}
                    </button>
                </form>
            </div>
        </div>
    }
    .into_any()
}
