//! Storefront page views: the document, the shop's header and footer around the blocks.
//! Rendered on the server only, to plain HTML: no wasm, no hydration script. (The wasm build
//! compiles the types and components but has no caller for them yet.)
//!
//! Pages are cached and shared by every visitor, so nothing personal is rendered into them:
//! the header's cart link carries an empty, hidden slot ([`CART_COUNT_SLOT`]) that the server
//! fills per request with [`with_cart_count`]. The cart and checkout pages, rendered for each
//! request with the visitor's cart in [`BlockContext::cart`], get the count directly.
#![cfg_attr(not(feature = "ssr"), allow(dead_code, unused_imports))]

mod cart_count;
mod order;

pub use cart_count::{CART_COUNT_SLOT, MAX_SHOWN_CART_COUNT, cart_count_badge, with_cart_count};
#[cfg(feature = "ssr")]
pub use order::render_order_page;

use crate::blocks::{Block, BlockContext, BlockList};
use crate::route::Route;
use crate::theme::ThemeTokens;
use leptos::prelude::*;

/// A link in the shop's navigation.
#[derive(Clone, Debug, PartialEq)]
pub struct NavLink {
    pub label: String,
    pub href: String,
}

impl NavLink {
    /// The navigation a shop without header links gets: Home, Shop (the product list) and
    /// its content pages, given as (title, slug).
    pub fn defaults<'a>(content_pages: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vec<Self> {
        let link = |label: &str, route: Route| NavLink {
            label: label.to_string(),
            href: route.path(),
        };
        let mut nav = vec![link("Home", Route::Home), link("Shop", Route::Products)];
        nav.extend(
            content_pages
                .into_iter()
                .map(|(title, slug)| link(title, Route::Page(slug.to_string()))),
        );
        nav
    }
}

/// What the layout shows of the shop.
#[derive(Clone, Debug, PartialEq)]
pub struct ShopView {
    pub name: String,
    pub tagline: String,
    /// BCP 47 tag for `<html lang>`.
    pub locale: String,
    pub theme: ThemeTokens,
    pub nav: Vec<NavLink>,
    /// Links the shop configured for its footer (none: the footer shows no links).
    pub footer: Vec<NavLink>,
}

/// Head metadata of one page.
#[derive(Clone, Debug, PartialEq)]
pub struct PageMeta {
    pub title: String,
    pub description: Option<String>,
    pub canonical: String,
    /// Path of the page, to mark the current navigation link.
    pub path: String,
}

/// Everything needed to render one storefront page.
#[derive(Clone, Debug)]
pub struct StorefrontPage {
    pub shop: ShopView,
    pub meta: PageMeta,
    pub blocks: Vec<Block>,
    pub context: BlockContext,
    /// Set when a reviewer looks at a draft through a preview link.
    pub preview: Option<PreviewBanner>,
}

/// The thin bar above a previewed draft.
#[derive(Clone, Debug, PartialEq)]
pub struct PreviewBanner {
    pub page_title: String,
    /// When the link stops working, as shown to the reviewer.
    pub expires: String,
    /// Draft blocks left out because they do not validate yet.
    pub hidden_blocks: usize,
    /// Server-sent events that announce draft changes (the page reloads itself).
    pub events_url: String,
}

/// Reloads the preview when the draft changes. Static text: no data from editors.
const PREVIEW_RELOAD_SCRIPT: &str = "(function(){var s=document.currentScript;var es=new EventSource(s.getAttribute('data-events'));var t=null;es.addEventListener('changed',function(){clearTimeout(t);t=setTimeout(function(){location.reload()},250)});})();";

/// The stylesheet cargo-leptos builds from `style/main.css`.
pub const STYLESHEET: &str = "/pkg/vitrine.css";

/// Renders a complete HTML document for a storefront page.
#[cfg(feature = "ssr")]
pub fn render_page(page: StorefrontPage) -> String {
    let head = head_html(&page.shop, &page.meta, Head::default());
    let lang = page.shop.locale.clone();
    // The visitor's own page (cart, checkout): their count goes straight into the header.
    let count = page.context.cart.as_ref().map(|c| c.count);
    let body = render_detached(move || {
        provide_context(page.context.clone());
        let vars = page.shop.theme.css_variables();
        let banner = page
            .preview
            .clone()
            .map(|b| view! { <PreviewBar banner=b /> });
        view! {
            <body class="flex min-h-screen flex-col bg-background font-body text-ink antialiased" style=vars>
                {banner}
                <Header shop=page.shop.clone() path=page.meta.path.clone() />
                <main class="@container flex-1">
                    <div class="mx-auto flex max-w-7xl flex-col gap-16 px-4 py-10 sm:px-6 lg:px-8">
                        <BlockList blocks=page.blocks />
                    </div>
                </main>
                <Footer shop=page.shop />
            </body>
        }
    });
    let body = match count {
        Some(count) => with_cart_count(&body, count).unwrap_or(body),
        None => body,
    };
    document(&lang, &head, &body)
}

/// Renders the shop's own "not found" page (an unknown path on a known shop).
#[cfg(feature = "ssr")]
pub fn render_shop_not_found(shop: ShopView, meta: PageMeta) -> String {
    let head = head_html(
        &shop,
        &meta,
        Head {
            noindex: true,
            ..Head::default()
        },
    );
    let lang = shop.locale.clone();
    let body = render_detached(move || {
        let vars = shop.theme.css_variables();
        view! {
            <body class="flex min-h-screen flex-col bg-background font-body text-ink antialiased" style=vars>
                <Header shop=shop.clone() path=meta.path.clone() />
                <main class="flex flex-1 flex-col items-center justify-center gap-4 px-6 py-24 text-center">
                    <p class="text-sm font-semibold uppercase tracking-widest text-accent">"404"</p>
                    <h1 class="font-heading text-4xl font-semibold">"This page does not exist"</h1>
                    <a href=Route::Home.path() class="mt-4 rounded-theme bg-primary px-6 py-3 font-semibold text-white">"Back to the shop"</a>
                </main>
                <Footer shop=shop />
            </body>
        }
    });
    document(&lang, &head, &body)
}

/// The plain page for a host that belongs to no shop. It names no shop and loads nothing.
pub const UNKNOWN_HOST_HTML: &str = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"robots\" content=\"noindex\"><title>Shop not found</title></head><body style=\"font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222\"><h1>Shop not found</h1><p>No shop is served at this address.</p></body></html>";

/// Runs a view to HTML in its own reactive owner (so context never leaks between requests).
#[cfg(feature = "ssr")]
pub(crate) fn render_detached<V: IntoView + 'static>(f: impl FnOnce() -> V) -> String {
    let owner = Owner::new();
    let html = owner.with(|| f().into_view().to_html());
    owner.cleanup();
    html
}

#[cfg(feature = "ssr")]
pub(crate) fn document(lang: &str, head: &str, body: &str) -> String {
    use html_escape::encode_double_quoted_attribute as attr;
    format!(
        "<!DOCTYPE html><html lang=\"{}\">{head}{body}</html>",
        attr(lang)
    )
}

/// What a page's `<head>` says besides its title and description.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Head {
    /// Keep search engines out (error pages, private order pages).
    pub noindex: bool,
    /// Reload the page after this many seconds (`<meta http-equiv="refresh">`): how a page
    /// without JavaScript waits for something to happen on the server.
    pub refresh_seconds: Option<u32>,
}

/// The `<head>`, written directly: `<title>` holds raw text, where the hydration markers a
/// Leptos view would add are not allowed.
#[cfg(feature = "ssr")]
pub(crate) fn head_html(shop: &ShopView, meta: &PageMeta, options: Head) -> String {
    use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};
    let description = meta.description.as_deref().unwrap_or(&shop.tagline);
    format!(
        concat!(
            "<head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
            "{refresh}<title>{title}</title><meta name=\"description\" content=\"{description}\">",
            "<link rel=\"canonical\" href=\"{canonical}\">{robots}",
            "<meta property=\"og:title\" content=\"{og_title}\"><meta property=\"og:site_name\" content=\"{site}\">",
            "<link rel=\"icon\" href=\"/favicon.svg\" type=\"image/svg+xml\"><link rel=\"stylesheet\" href=\"{css}\"></head>"
        ),
        title = text(&meta.title),
        description = attr(description),
        canonical = attr(&meta.canonical),
        refresh = match options.refresh_seconds {
            Some(s) => format!("<meta http-equiv=\"refresh\" content=\"{s}\">"),
            None => String::new(),
        },
        robots = if options.noindex {
            "<meta name=\"robots\" content=\"noindex\">"
        } else {
            ""
        },
        og_title = attr(&meta.title),
        site = attr(&shop.name),
        css = STYLESHEET,
    )
}

#[component]
fn PreviewBar(banner: PreviewBanner) -> impl IntoView {
    let hidden = (banner.hidden_blocks > 0).then(|| {
        let n = banner.hidden_blocks;
        view! { <span class="text-amber-200">{format!("{n} block(s) with errors hidden")}</span> }
    });
    view! {
        <div class="relative z-20 flex flex-wrap items-center justify-center gap-x-4 gap-y-1 bg-ink px-4 py-2 text-center text-xs text-white" data-preview-banner="">
            <span class="rounded bg-accent px-2 py-0.5 font-bold uppercase tracking-wider">"Draft"</span>
            <span class="font-semibold">{banner.page_title}</span>
            <span class="text-white/70">"Preview link valid until " {banner.expires}</span>
            {hidden}
            <script data-events=banner.events_url inner_html=PREVIEW_RELOAD_SCRIPT></script>
        </div>
    }
}

#[component]
pub(crate) fn Header(shop: ShopView, path: String) -> impl IntoView {
    let links = shop
        .nav
        .into_iter()
        .map(|link| {
            let current = link.href == path;
            let class = if current {
                "rounded-theme px-3 py-2 text-sm font-semibold text-primary bg-primary/10"
            } else {
                "rounded-theme px-3 py-2 text-sm font-medium text-ink/75 hover:text-primary hover:bg-primary/5"
            };
            view! { <a href=link.href aria-current=current.then_some("page") class=class>{link.label}</a> }
        })
        .collect_view();
    view! {
        <header class="sticky top-0 z-10 border-b border-black/5 bg-background/90 backdrop-blur">
            <div class="mx-auto flex max-w-7xl flex-wrap items-center justify-between gap-4 px-4 py-4 sm:px-6 lg:px-8">
                <a href=Route::Home.path() class="flex flex-col leading-tight">
                    <span class="font-heading text-2xl font-semibold text-primary">{shop.name}</span>
                    <span class="text-xs tracking-wide text-muted">{shop.tagline}</span>
                </a>
                <nav class="flex flex-wrap items-center gap-1" aria-label="Main">
                    {links}
                    // The count's slot: hidden and empty in the shared page, see `with_cart_count`.
                    <a href=Route::Cart.path() class="ml-2 inline-flex items-center gap-2 rounded-theme border border-primary/30 px-4 py-2 text-sm font-semibold text-primary hover:bg-primary hover:text-white">"Cart"<span data-cart-slot="" hidden></span></a>
                </nav>
            </div>
        </header>
    }
}

#[component]
pub(crate) fn Footer(shop: ShopView) -> impl IntoView {
    view! {
        <footer class="mt-16 bg-primary text-white/85">
            <div class="mx-auto flex max-w-7xl flex-col gap-2 px-4 py-10 sm:flex-row sm:items-center sm:justify-between sm:px-6 lg:px-8">
                <div>
                    <p class="font-heading text-xl font-semibold text-white">{shop.name}</p>
                    <p class="text-sm">{shop.tagline}</p>
                </div>
                <nav aria-label="Footer" class="flex flex-wrap gap-x-5 gap-y-1 text-sm">
                    {shop
                        .footer
                        .into_iter()
                        .map(|l| {
                            view! {
                                <a class="hover:text-white hover:underline" href=l.href>
                                    {l.label}
                                </a>
                            }
                        })
                        .collect_view()}
                </nav>
                <p class="text-xs text-white/60">"Powered by Vitrine"</p>
            </div>
        </footer>
    }
}
