//! `/admin`: the shops this person belongs to and each shop's pages — create, rename, delete,
//! and open one in the editor — with a link to each shop's orders.

use super::{Brand, api};
use crate::api_types::{NewPage, PageList, PageSummary, Role, SessionAnswer};
use crate::blocks::PageType;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

const INPUT: &str = "block w-full rounded-md border border-slate-300 px-2.5 py-1.5 text-sm shadow-sm focus:border-blue-500 focus:ring-2 focus:ring-blue-500/30 focus:outline-none";
const BUTTON: &str = "rounded-md border border-slate-300 bg-white px-2.5 py-1 text-sm font-medium text-slate-700 hover:bg-slate-50";

/// A slug from a title: lower-case letters, digits and single dashes.
pub fn slugify(title: &str) -> String {
    let mut out = String::new();
    for c in title.to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').chars().take(100).collect()
}

fn page_type_label(t: PageType) -> &'static str {
    match t {
        PageType::Home => "Home",
        PageType::Page => "Page",
        PageType::ProductList => "Product list",
        PageType::ProductDetail => "Product detail",
        PageType::Cart => "Cart",
        PageType::Checkout => "Checkout",
    }
}

#[component]
pub fn Dashboard() -> impl IntoView {
    let me = LocalResource::new(|| api::get_json::<SessionAnswer>("/api/v1/session"));
    let query = use_query_map();
    let logout = move |_| {
        leptos::task::spawn_local(async move {
            let _ = api::delete("/api/v1/session").await;
            let _ = window().location().set_href("/admin/login");
        });
    };
    view! {
        <div class="min-h-screen">
            <header class="border-b border-slate-200 bg-white">
                <div class="mx-auto flex h-14 max-w-5xl items-center justify-between px-4">
                    <Brand />
                    <div class="flex items-center gap-3 text-sm text-slate-600">
                        {move || me.get().and_then(Result::ok).map(|session| session.user.email)}
                        {move || me.get().and_then(Result::ok).filter(|session| session.user.operator).map(|_| view! {
                            <a href="/admin/operator" class="hover:text-slate-900" data-testid="operator-link">"Operator"</a>
                        })}
                        <a href="/admin/shops/new" class="rounded-md bg-blue-600 px-2.5 py-1 text-sm font-semibold text-white hover:bg-blue-700" data-testid="new-shop">"New shop"</a>
                        <button type="button" class=BUTTON on:click=logout>"Log out"</button>
                    </div>
                </div>
            </header>
            <main class="mx-auto max-w-5xl px-4 py-8">
                <Suspense fallback=|| view! { <p class="text-slate-500">"Loading…"</p> }>
                    {move || me.get().map(|r| match r {
                        Err(e) => view! { <p class="text-red-600">{e.message}</p> }.into_any(),
                        Ok(session) => {
                            let shops = session.shops;
                            if shops.is_empty() {
                                return view! { <p class="text-slate-600">"You are not a member of any shop yet. Create one with "<a href="/admin/shops/new" class="font-medium text-blue-700 hover:underline">"New shop"</a>", or ask a shop owner to add you."</p> }.into_any();
                            }
                            let wanted = query.with(|q| q.get("shop"));
                            let current = shops.iter().find(|s| Some(&s.handle) == wanted.as_ref()).unwrap_or(&shops[0]).clone();
                            let (handle, name, role) = (current.handle, current.name, current.role);
                            view! {
                                {(shops.len() > 1).then(|| view! {
                                    <nav class="mb-6 flex gap-2" aria-label="Shops">
                                        {shops.iter().map(|s| {
                                            let (h, n) = (s.handle.clone(), s.name.clone());
                                            let active = h == handle;
                                            view! { <a href=format!("/admin?shop={h}") class=if active { "rounded-full bg-slate-900 px-3 py-1 text-sm text-white" } else { "rounded-full bg-white px-3 py-1 text-sm text-slate-700 ring-1 ring-slate-200" }>{n}</a> }
                                        }).collect_view()}
                                    </nav>
                                })}
                                <ShopPages handle=handle name=name role=role />
                            }.into_any()
                        }
                    })}
                </Suspense>
            </main>
        </div>
    }
}

#[component]
fn ShopPages(handle: String, name: String, role: Role) -> impl IntoView {
    let reload = RwSignal::new(0u32);
    let list_path = format!("/api/v1/shops/{handle}/pages");
    let pages = {
        let path = list_path.clone();
        LocalResource::new(move || {
            reload.get();
            let path = path.clone();
            async move { api::get_json::<PageList>(&path).await }
        })
    };
    let can_edit = role.can_edit();
    let refresh = move || reload.update(|n| *n += 1);
    // Orders carry customers' emails: the server shows them to owners and editors only, so
    // viewers get no link to a page that would refuse them.
    let orders_link = can_edit.then(|| {
        view! {
            <div class="flex gap-2">
                <a href=format!("/admin/shops/{handle}/launch") class=BUTTON data-testid="shop-launches">"Launches"</a>
                <a href=format!("/admin/shops/{handle}/orders") class=BUTTON data-testid="shop-orders">"Orders"</a>
            </div>
        }
    });
    view! {
        <div class="flex items-end justify-between">
            <div>
                <h1 class="text-2xl font-semibold tracking-tight">{name}</h1>
                <p class="text-sm text-slate-500">"Pages · you are " {role.as_str()}</p>
            </div>
            {orders_link}
        </div>
        {can_edit.then(|| view! { <NewPage path=list_path.clone() done=refresh /> })}
        <Suspense fallback=|| view! { <p class="mt-6 text-slate-500">"Loading pages…"</p> }>
            {move || pages.get().map(|r| match r {
                Err(e) => view! { <p class="mt-6 text-red-600">{e.message}</p> }.into_any(),
                Ok(list) => {
                    let list = list.pages;
                    view! {
                        <div class="mt-6 overflow-hidden rounded-xl bg-white shadow-sm ring-1 ring-slate-900/5">
                            <table class="w-full text-left text-sm" data-testid="pages">
                                <thead class="bg-slate-50 text-xs text-slate-500 uppercase">
                                    <tr>
                                        <th class="px-4 py-2 font-semibold">"Page"</th>
                                        <th class="px-4 py-2 font-semibold">"Type"</th>
                                        <th class="px-4 py-2 font-semibold">"Status"</th>
                                        <th class="px-4 py-2"></th>
                                    </tr>
                                </thead>
                                <tbody class="divide-y divide-slate-100">
                                    {list.into_iter().map(|p| view! { <PageRow page=p can_edit=can_edit done=refresh /> }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }.into_any()
                }
            })}
        </Suspense>
    }
}

#[component]
fn PageRow(
    page: PageSummary,
    can_edit: bool,
    done: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let PageSummary {
        id,
        title,
        slug,
        page_type,
        live_revision_id,
        publish_at,
        schedule_error,
        ..
    } = page;
    let live = live_revision_id.is_some();
    let confirming = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let delete = move |_| {
        leptos::task::spawn_local(async move {
            match api::delete(&format!("/api/v1/pages/{id}")).await {
                Ok(_) => done(),
                Err(e) => error.set(Some(e.message)),
            }
        });
    };
    let display_title = title.clone();
    view! {
        <tr data-page-id=id>
            <td class="px-4 py-3">
                // The live revision's title and address (renaming is an edit in the editor).
                <a href=format!("/admin/pages/{id}") class="font-medium text-slate-900 hover:text-blue-700">{display_title}</a>
                <p class="font-mono text-xs text-slate-400">{format!("/{slug}")}</p>
                {move || error.get().map(|m| view! { <p class="mt-1 text-xs text-red-600" role="alert">{m}</p> })}
            </td>
            <td class="px-4 py-3 text-slate-600">{page_type_label(page_type)}</td>
            <td class="px-4 py-3">
                {if live {
                    view! { <span class="rounded bg-green-100 px-1.5 py-0.5 text-xs font-medium text-green-800">"Live"</span> }.into_any()
                } else {
                    view! { <span class="rounded bg-slate-100 px-1.5 py-0.5 text-xs font-medium text-slate-600">"Draft"</span> }.into_any()
                }}
                {publish_at.map(|at| view! { <p class="mt-1 text-xs text-blue-700">"Scheduled " {super::minute_utc(&at)} " UTC"</p> })}
                {schedule_error.map(|e| view! { <p class="mt-1 text-xs text-red-600">{e}</p> })}
            </td>
            <td class="px-4 py-3 text-right whitespace-nowrap">
                {can_edit.then(|| view! {
                    <a href=format!("/admin/pages/{id}") class="rounded-md bg-blue-600 px-2.5 py-1 text-sm font-semibold text-white hover:bg-blue-700">"Edit"</a>
                    " "
                    <button type="button" class="rounded-md px-2.5 py-1 text-sm text-red-700 hover:bg-red-50" on:click=move |_| confirming.set(true)>"Delete"</button>
                })}
                <Show when=move || confirming.get()>
                    <div class="fixed inset-0 z-50 flex items-center justify-center bg-slate-900/40" role="dialog" aria-modal="true" aria-label="Delete page">
                        <div class="w-full max-w-sm rounded-xl bg-white p-5 text-left shadow-2xl">
                            <h2 class="font-semibold">"Delete “" {title.clone()} "”?"</h2>
                            <p class="mt-2 text-sm text-slate-600">"Its draft, its history and its live version are removed. Anyone editing it is disconnected. This cannot be undone."</p>
                            <div class="mt-4 flex justify-end gap-2">
                                <button type="button" class=BUTTON on:click=move |_| confirming.set(false)>"Keep it"</button>
                                <button type="button" class="rounded-md bg-red-600 px-3 py-1 text-sm font-semibold text-white hover:bg-red-700" on:click=delete>"Delete page"</button>
                            </div>
                        </div>
                    </div>
                </Show>
            </td>
        </tr>
    }
}

#[component]
fn NewPage(path: String, done: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let title = RwSignal::new(String::new());
    let slug = RwSignal::new(String::new());
    let slug_touched = RwSignal::new(false);
    let page_type = RwSignal::new("page".to_string());
    let error = RwSignal::new(None::<String>);
    let create = move |e: leptos::ev::SubmitEvent| {
        e.prevent_default();
        let path = path.clone();
        leptos::task::spawn_local(async move {
            let body = NewPage {
                title: title.get_untracked(),
                slug: slug.get_untracked(),
                page_type: page_type.get_untracked(),
            };
            match api::post_json::<_, PageSummary>(&path, &body).await {
                Ok(created) => {
                    error.set(None);
                    title.set(String::new());
                    slug.set(String::new());
                    slug_touched.set(false);
                    done();
                    let _ = window()
                        .location()
                        .set_href(&format!("/admin/pages/{}", created.id));
                }
                Err(e) => error.set(Some(e.message)),
            }
        });
    };
    view! {
        <form class="mt-6 flex flex-wrap items-end gap-3 rounded-xl bg-white p-4 shadow-sm ring-1 ring-slate-900/5" on:submit=create data-testid="new-page">
            <label class="min-w-48 flex-1 text-xs font-medium text-slate-700">"Title"
                <input class=INPUT name="title" required prop:value=title on:input=move |e| {
                    let v = event_target_value(&e);
                    if !slug_touched.get_untracked() { slug.set(slugify(&v)); }
                    title.set(v);
                } />
            </label>
            <label class="min-w-40 flex-1 text-xs font-medium text-slate-700">"Address"
                <input class=INPUT name="slug" required prop:value=slug on:input=move |e| { slug_touched.set(true); slug.set(event_target_value(&e)); } />
            </label>
            <label class="text-xs font-medium text-slate-700">"Type"
                <select class=INPUT name="page_type" on:change=move |e| page_type.set(event_target_value(&e))>
                    {PageType::ALL.into_iter().map(|t| view! { <option value=t.name() selected=t == PageType::Page>{page_type_label(t)}</option> }).collect_view()}
                </select>
            </label>
            <button type="submit" class="rounded-md bg-blue-600 px-3 py-1.5 text-sm font-semibold text-white hover:bg-blue-700">"Create page"</button>
            {move || error.get().map(|m| view! { <p class="w-full text-sm text-red-600" role="alert">{m}</p> })}
        </form>
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn slugs_from_titles() {
        assert_eq!(super::slugify("About Us!"), "about-us");
        assert_eq!(super::slugify("  Summer -- Sale 2026 "), "summer-sale-2026");
        assert_eq!(super::slugify("Ünïcode"), "n-code");
    }
}
