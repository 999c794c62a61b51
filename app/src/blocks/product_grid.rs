//! `product_grid`: products from the shop's catalogue as cards.
use super::context::{BlockContext, ProductCard};
use super::descriptor::{FieldDefault::*, FieldDescriptor as F, FieldKind::*};
use crate::money::format_price;
use crate::route::Route;
use crate::safe_url::safe_image;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProductGridProps {
    pub title: String,
    pub source: String,
    pub limit: i64,
    pub columns: i64,
    pub show_price: bool,
}

pub const FIELDS: &[F] = &[
    F::new("title", "Title", Text, Str("")).max_len(120),
    F::new(
        "source",
        "Products",
        Select(&[("all", "All products"), ("featured", "Featured only")]),
        Str("all"),
    ),
    F::new("limit", "How many", Number, Int(8)).range(1, 24),
    F::new("columns", "Columns", Number, Int(4)).range(2, 4),
    F::new("show_price", "Show prices", Toggle, Bool(true)),
];

impl ProductGridProps {
    /// The cards this grid shows, from the catalogue in listing order; `exclude` is the
    /// product whose own page this is (no "you may also like" the same thing).
    pub fn select<'a>(
        &self,
        products: &'a [ProductCard],
        exclude: Option<&str>,
    ) -> Vec<&'a ProductCard> {
        let featured_only = self.source == "featured";
        products
            .iter()
            .filter(|p| !featured_only || p.featured)
            .filter(|p| exclude != Some(p.handle.as_str()))
            .take(self.limit.clamp(0, 24) as usize)
            .collect()
    }
}

#[component]
pub fn ProductGridBlock(props: ProductGridProps) -> impl IntoView {
    let ctx = use_context::<BlockContext>().unwrap_or_default();
    let grid = match props.columns {
        2 => "grid grid-cols-1 gap-6 @xl:grid-cols-2",
        3 => "grid grid-cols-2 gap-6 @3xl:grid-cols-3",
        _ => "grid grid-cols-2 gap-6 @3xl:grid-cols-3 @5xl:grid-cols-4",
    };
    let show_price = props.show_price;
    let cards = props
        .select(&ctx.products, ctx.page_product.as_deref())
        .into_iter()
        .cloned()
        .map(|p| view! { <ProductCardView product=p show_price=show_price /> })
        .collect_view();
    view! {
        <div class="mx-auto max-w-6xl">
            {(!props.title.is_empty()).then(|| view! {
                <div class="mb-6 flex items-end justify-between gap-4">
                    <h2 class="font-heading text-3xl font-semibold text-ink">{props.title.clone()}</h2>
                    <a href=Route::Products.path() class="text-sm font-semibold text-primary hover:text-accent">"View all →"</a>
                </div>
            })}
            <div class=grid>{cards}</div>
        </div>
    }
}

/// One product card linking to its page.
#[component]
pub fn ProductCardView(product: ProductCard, show_price: bool) -> impl IntoView {
    let href = Route::Product(product.handle.clone()).path();
    let image = product
        .image
        .as_deref()
        .and_then(safe_image)
        .map(str::to_string);
    let price = match product.kind {
        crate::commerce::ProductKind::Rental => {
            format!("{} / day", format_price(product.price, &product.currency))
        }
        crate::commerce::ProductKind::Sale => format_price(product.price, &product.currency),
    };
    view! {
        <a href=href class="group flex flex-col overflow-hidden rounded-theme bg-surface shadow-sm ring-1 ring-black/5 transition hover:-translate-y-0.5 hover:shadow-md" data-product-handle=product.handle.clone()>
            <div class="aspect-square overflow-hidden bg-background">
                {image.map(|src| view! {
                    <img src=src alt=product.title.clone() loading="lazy" class="h-full w-full object-cover transition duration-300 group-hover:scale-105" />
                })}
            </div>
            <div class="flex flex-1 flex-col gap-1 p-4">
                <h3 class="font-heading text-lg leading-snug font-semibold text-ink">{product.title.clone()}</h3>
                {show_price.then(|| view! { <p class="text-sm font-medium text-muted">{price}</p> })}
                {(!product.available).then(|| view! { <p class="text-xs font-semibold uppercase tracking-wide text-accent">"Sold out"</p> })}
            </div>
        </a>
    }
}
