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
    ParamSegment, StaticSegment,
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
                <Route path=(StaticSegment("admin"), StaticSegment("shops"), StaticSegment("new")) view=configurator::Configurator />
                <Route path=(StaticSegment("admin"), StaticSegment("pages"), ParamSegment("id")) view=editor::EditorPage />
                <Route path=(StaticSegment("admin"), StaticSegment("shops"), ParamSegment("shop"), StaticSegment("orders")) view=orders::ShopOrders />
                <Route path=(StaticSegment("admin"), StaticSegment("orders"), ParamSegment("id")) view=orders::OrderPage />
                <Route path=(StaticSegment("admin"), StaticSegment("shops"), ParamSegment("shop"), StaticSegment("launch")) view=launches::LaunchPage />
                <Route path=(StaticSegment("admin"), StaticSegment("jobs"), ParamSegment("id")) view=launches::JobPage />
                <Route path=(StaticSegment("admin"), StaticSegment("operator")) view=launches::OperatorPage />
            </Routes>
        </Router>
    }
}

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
