//! The admin: the only hydrated part of Vitrine. `/admin/login`, the shops and pages list at
//! `/admin`, the page editor at `/admin/pages/{id}`, and a shop's orders at
//! `/admin/shops/{handle or id}/orders` and `/admin/orders/{id}`, and the configurator that
//! creates a shop at `/admin/shops/new`.

pub mod api;
pub mod configurator;
pub mod dashboard;
pub mod editor;
pub mod launches;
pub mod login;
pub mod orders;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    Lazy, LazyRoute, ParamSegment, StaticSegment,
    components::{Route, Router, Routes},
};

/// Where the admin's login page lives.
pub const LOGIN_PATH: &str = "/admin/login";

/// Whether a path is one of the admin's pages.
pub fn is_admin_path(path: &str) -> bool {
    path == "/admin" || path.starts_with("/admin/")
}

/// Whether a path is the login page.
pub fn is_login_path(path: &str) -> bool {
    path == LOGIN_PATH || path == "/admin/login/"
}

/// A `next` the login page may send someone to (the server's redirect and the login form
/// both ask): an admin page on this site, never another site (`//host`, `/\host`) nor the
/// login page again.
pub fn is_safe_next(next: &str) -> bool {
    let path = next.split(['?', '#']).next().unwrap_or_default();
    is_admin_path(path)
        && !is_login_path(path)
        && !next.contains('\\')
        && !next.chars().any(char::is_control)
}

/// A time as the admin's lists show it, to the minute: `2026-12-01 14:05` (UTC).
pub fn minute_utc(at: &chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d %H:%M").to_string()
}

/// The HTML document around the admin app, with hydration scripts.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="robots" content="noindex" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body class="bg-slate-50 font-sans text-slate-900 antialiased">
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href=crate::storefront::STYLESHEET />
        <Title text="Vitrine admin" />
        <Router>
            <Routes fallback=|| view! { <p class="p-8">"Not found."</p> }>
                <Route path=StaticSegment("admin") view=dashboard::Dashboard />
                <Route path=(StaticSegment("admin"), StaticSegment("login")) view=login::Login />
                <Route path=(StaticSegment("admin"), StaticSegment("shops"), StaticSegment("new")) view={Lazy::<ConfiguratorRoute>::new()} />
                <Route path=(StaticSegment("admin"), StaticSegment("pages"), ParamSegment("id")) view={Lazy::<EditorRoute>::new()} />
                <Route path=(StaticSegment("admin"), StaticSegment("shops"), ParamSegment("shop"), StaticSegment("orders")) view={Lazy::<OrdersRoute>::new()} />
                <Route path=(StaticSegment("admin"), StaticSegment("orders"), ParamSegment("id")) view={Lazy::<OrderRoute>::new()} />
                <Route path=(StaticSegment("admin"), StaticSegment("shops"), ParamSegment("shop"), StaticSegment("launch")) view={Lazy::<LaunchRoute>::new()} />
                <Route path=(StaticSegment("admin"), StaticSegment("jobs"), ParamSegment("id")) view={Lazy::<JobRoute>::new()} />
                <Route path=(StaticSegment("admin"), StaticSegment("operator")) view={Lazy::<OperatorRoute>::new()} />
            </Routes>
        </Router>
    }
}

// Lazy pages. The login page and the dashboard are plain routes; every other page's view is a
// `#[lazy]` function, which `cargo leptos build --split` (every build the scripts make) cuts
// into a wasm module of its own that the browser fetches when it first shows the page
// (hydration waits for it: `hydrate_lazy`). `#[lazy]` applies only where the build splits:
// `cfg(wasm_split)` is set by `app/build.rs` when the wasm is linked for splitting; any other
// wasm build (`cargo clippy` for the wasm target, a plain `cargo leptos build`) keeps them
// plain and in one module (docs/architecture.md, "The admin's wasm").
// On the server `#[lazy]` only notes which modules a page needs, so a split build's HTML
// preloads them. One `#[lazy]` function per module: the editor and the configurator each have
// their own, the order pages share one and the launch pages share one.

/// The order pages (one lazy module).
#[derive(Clone, Copy)]
enum OrdersView {
    Shop,
    Order,
}

/// The launch, job and operator pages (one lazy module).
#[derive(Clone, Copy)]
enum LaunchView {
    Launch,
    Job,
    Operator,
}

#[cfg_attr(any(feature = "ssr", wasm_split), leptos::lazy)]
fn editor_view() -> AnyView {
    view! { <editor::EditorPage /> }.into_any()
}

#[cfg_attr(any(feature = "ssr", wasm_split), leptos::lazy)]
fn configurator_view() -> AnyView {
    view! { <configurator::Configurator /> }.into_any()
}

#[cfg_attr(any(feature = "ssr", wasm_split), leptos::lazy)]
fn orders_view(page: OrdersView) -> AnyView {
    match page {
        OrdersView::Shop => view! { <orders::ShopOrders /> }.into_any(),
        OrdersView::Order => view! { <orders::OrderPage /> }.into_any(),
    }
}

#[cfg_attr(any(feature = "ssr", wasm_split), leptos::lazy)]
fn launches_view(page: LaunchView) -> AnyView {
    match page {
        LaunchView::Launch => view! { <launches::LaunchPage /> }.into_any(),
        LaunchView::Job => view! { <launches::JobPage /> }.into_any(),
        LaunchView::Operator => view! { <launches::OperatorPage /> }.into_any(),
    }
}

/// A route whose view is one of the lazy functions above: `$route` shows `$lazy($arg)`.
/// In a split build its `preload` loads `$lazy`'s module (`$preload` is the loader `#[lazy]`
/// generates, `__preload_<function>`). The router awaits `preload` before it hydrates the
/// route, so the view is ready when hydration reaches it; without that, hydration finds the
/// server's HTML where it expects the placeholder of a view still loading, and panics.
macro_rules! lazy_route {
    ($route:ident => $lazy:ident($($arg:expr)?), $preload:ident) => {
        struct $route;
        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }
            async fn view(_: Self) -> AnyView {
                // Without `#[lazy]` (an unsplit wasm build) the function is plain and sync.
                #[cfg(any(feature = "ssr", wasm_split))]
                let view = $lazy($($arg)?).await;
                #[cfg(not(any(feature = "ssr", wasm_split)))]
                let view = $lazy($($arg)?);
                view
            }
            async fn preload() {
                #[cfg(all(wasm_split, not(feature = "ssr")))]
                $preload().await;
            }
        }
    };
}

lazy_route!(EditorRoute => editor_view(), __preload_editor_view);
lazy_route!(ConfiguratorRoute => configurator_view(), __preload_configurator_view);
lazy_route!(OrdersRoute => orders_view(OrdersView::Shop), __preload_orders_view);
lazy_route!(OrderRoute => orders_view(OrdersView::Order), __preload_orders_view);
lazy_route!(LaunchRoute => launches_view(LaunchView::Launch), __preload_launches_view);
lazy_route!(JobRoute => launches_view(LaunchView::Job), __preload_launches_view);
lazy_route!(OperatorRoute => launches_view(LaunchView::Operator), __preload_launches_view);

/// Vitrine's mark, top left of admin pages.
#[component]
pub fn Brand() -> impl IntoView {
    view! {
        <a href="/admin" class="flex items-center gap-2 font-semibold tracking-tight text-slate-900">
            <span class="flex h-7 w-7 items-center justify-center rounded-md bg-slate-900 text-sm text-white">"V"</span>
            "Vitrine"
        </a>
    }
}
