//! The live preview beside the basics, theme and navigation steps: the storefront's own
//! header, hero block, product cards and footer, inside the chosen theme's CSS variables, so
//! it looks exactly as the shop will.

use super::wizard;
use crate::blocks::PageType;
use crate::blocks::ProductCard;
use crate::blocks::hero::{HeroBlock, HeroProps};
use crate::blocks::product_grid::ProductCardView;
use crate::commerce::ProductKind;
use crate::route::Route;
use crate::shop_config::{Link, ShopConfig};
use crate::storefront::{Footer, Header, NavLink, ShopView};
use leptos::prelude::*;

/// What the storefront's header and footer will show for `config`. Without header links
/// the storefront shows Home, Shop and the content pages, and so does the preview.
pub fn shop_view(config: &ShopConfig) -> ShopView {
    let links = |links: &[Link]| -> Vec<NavLink> {
        links
            .iter()
            .map(|l| NavLink {
                label: l.label.clone(),
                href: l.href.clone(),
            })
            .collect()
    };
    let nav = if config.navigation.header.is_empty() {
        NavLink::defaults(
            config
                .pages
                .chosen()
                .filter(|t| t.page_type == PageType::Page.name())
                .map(|t| (t.title, t.slug)),
        )
    } else {
        links(&config.navigation.header)
    };
    let name = config.basics.name.trim();
    ShopView {
        name: if name.is_empty() { "Your shop" } else { name }.to_string(),
        tagline: config.basics.tagline.clone(),
        locale: config.basics.primary_locale.clone(),
        theme: config.theme.clone().sanitized(),
        nav,
        footer: links(&config.navigation.footer),
    }
}

/// The hero the home page template starts with.
fn hero(shop: &ShopView) -> HeroProps {
    HeroProps {
        heading: shop.name.clone(),
        subheading: if shop.tagline.is_empty() {
            "Welcome to our shop.".into()
        } else {
            shop.tagline.clone()
        },
        image: "/images/hero/harbor-hero.svg".into(),
        cta_label: "Shop now".into(),
        cta_url: Route::Products.path(),
        align: "left".into(),
    }
}

/// The two starter products a new shop gets.
fn products(currency: &str) -> [ProductCard; 2] {
    let card = |handle: &str, title: &str, image: &str, price, kind| ProductCard {
        handle: handle.into(),
        title: title.into(),
        image: Some(image.into()),
        price,
        currency: currency.into(),
        featured: true,
        available: true,
        kind,
    };
    [
        card(
            "sample-product",
            "Sample product",
            "/images/products/ceramic-mug.svg",
            2400,
            ProductKind::Sale,
        ),
        card(
            "sample-rental",
            "Sample rental",
            "/images/products/cedar-canoe.svg",
            3500,
            ProductKind::Rental,
        ),
    ]
}

#[component]
pub fn Preview() -> impl IntoView {
    let w = wizard();
    let frame = move || {
        let (shop, currency) = w.config.with(|c| (shop_view(c), c.basics.currency.clone()));
        let style = shop.theme.css_variables();
        let cards = products(&currency)
            .into_iter()
            .map(|p| view! { <ProductCardView product=p show_price=true /> })
            .collect_view();
        let hero = hero(&shop);
        view! {
            <div inert class="@container bg-background font-body text-ink" style=style data-testid="theme-preview">
                <Header shop=shop.clone() path="/".to_string() />
                <div class="flex flex-col gap-8 p-4">
                    <HeroBlock props=hero />
                    <div class="grid grid-cols-2 gap-4">{cards}</div>
                </div>
                <Footer shop=shop />
            </div>
        }
    };
    view! {
        <section aria-labelledby="preview-title" class="lg:sticky lg:top-4">
            <div class="mb-2 flex items-center justify-between">
                <h3 id="preview-title" class="text-sm font-medium text-slate-700">"Live preview"</h3>
                <span class="text-xs text-slate-400">"Home page, as visitors will see it"</span>
            </div>
            <div class="overflow-hidden rounded-xl shadow-lg ring-1 ring-slate-900/10">
                <div class="flex items-center gap-1.5 border-b border-slate-200 bg-slate-100 px-3 py-2" aria-hidden="true">
                    <span class="h-2.5 w-2.5 rounded-full bg-slate-300"></span>
                    <span class="h-2.5 w-2.5 rounded-full bg-slate-300"></span>
                    <span class="h-2.5 w-2.5 rounded-full bg-slate-300"></span>
                    <span class="ml-3 truncate rounded bg-white px-2 py-0.5 font-mono text-[11px] text-slate-500">
                        {move || w.config.with(|c| c.domains.dev.first().cloned().unwrap_or_else(|| format!("{}.localhost", c.basics.handle)))}
                    </span>
                </div>
                <div class="max-h-[70vh] overflow-y-auto">{frame}</div>
            </div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_preview_shows_the_storefront_default_links_until_header_links_are_set() {
        let mut c = ShopConfig::starter("Fern");
        let hrefs = |v: &ShopView| v.nav.iter().map(|l| l.href.clone()).collect::<Vec<_>>();
        assert_eq!(hrefs(&shop_view(&c)), ["/", "/products", "/pages/about"]);
        c.pages.about = false;
        assert_eq!(hrefs(&shop_view(&c)), ["/", "/products"]);
        c.navigation.header = vec![Link {
            label: "Journal".into(),
            href: "/pages/journal".into(),
        }];
        assert_eq!(hrefs(&shop_view(&c)), ["/pages/journal"]);
        c.basics.name = "  ".into();
        assert_eq!(shop_view(&c).name, "Your shop");
        // A half-typed colour never reaches the CSS.
        c.theme.primary = "#12".into();
        assert_eq!(
            shop_view(&c).theme.primary,
            ShopConfig::default().theme.primary
        );
    }
}
