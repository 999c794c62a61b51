//! The admin shell: the only hydrated part of Vitrine. Serves `/admin`.

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    StaticSegment,
    components::{Route, Router, Routes},
};

/// The HTML document around the admin app, with hydration scripts.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="robots" content="noindex" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body class="bg-slate-50 text-slate-900 antialiased">
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
                <Route path=StaticSegment("admin") view=AdminHome />
            </Routes>
        </Router>
    }
}

#[component]
fn AdminHome() -> impl IntoView {
    let block_types = crate::blocks::BlockType::ALL;
    view! {
        <main class="mx-auto max-w-3xl p-8">
            <h1 class="text-3xl font-semibold">"Vitrine admin"</h1>
            <p class="mt-2 text-slate-600">
                "The visual editor is not built yet. Drafts can already be edited together by any Yjs client over "
                <code class="rounded bg-slate-200 px-1">"/api/v1/pages/{id}/collab"</code>
                ", and published, previewed and restored through the JSON API (see the README)."
            </p>
            <h2 class="mt-8 text-lg font-semibold">"Block library"</h2>
            <ul class="mt-2 grid grid-cols-2 gap-2 sm:grid-cols-3">
                {block_types.into_iter().map(|t| view! {
                    <li class="rounded border border-slate-200 bg-white px-3 py-2 text-sm">{t.label()}</li>
                }).collect_view()}
            </ul>
        </main>
    }
}
