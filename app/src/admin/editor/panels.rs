//! The editor's chrome: the top bar (connection, presence, devices, undo/redo, preview links,
//! history, publish and schedule), the block palette and notifications.

use super::{Conn, Device, Drag, Ed, PageInfo, api, tree};
use crate::blocks::BlockType;
use leptos::prelude::*;
use serde_json::{Value, json};

const BUTTON: &str = "inline-flex items-center gap-1.5 rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-700 shadow-sm hover:bg-slate-50 disabled:cursor-not-allowed disabled:opacity-50";
const PRIMARY: &str = "inline-flex items-center gap-1.5 rounded-md bg-blue-600 px-3.5 py-1.5 text-sm font-semibold text-white shadow-sm hover:bg-blue-700 disabled:cursor-not-allowed disabled:opacity-50";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Dialog {
    None,
    Preview,
    History,
    Schedule,
}

#[component]
pub fn TopBar() -> impl IntoView {
    let ed = expect_context::<Ed>();
    let dialog = RwSignal::new(Dialog::None);
    let title = move || {
        ed.info
            .with(|i| i.as_ref().map(|i| i.title.clone()))
            .unwrap_or_default()
    };
    let shop = move || {
        ed.info
            .with(|i| {
                i.as_ref()
                    .map(|i| (i.shop_handle.clone(), i.shop_name.clone()))
            })
            .unwrap_or_default()
    };
    let status_class = move || match ed.status.get() {
        Conn::Connected => "bg-green-500",
        Conn::Connecting | Conn::Reconnecting => "bg-amber-400 animate-pulse",
        Conn::Offline => "bg-slate-400",
    };
    let editable = move || ed.info.with(|i| i.as_ref().is_some_and(PageInfo::can_edit));
    view! {
        <header class="flex h-14 shrink-0 items-center gap-3 border-b border-slate-200 bg-white px-4">
            <a href=move || format!("/admin?shop={}", shop().0) class="text-sm text-slate-500 hover:text-slate-900">"← Pages"</a>
            <div class="min-w-0">
                <h1 class="truncate text-sm font-semibold text-slate-900" data-testid="page-title">{title}</h1>
                <p class="truncate text-xs text-slate-500">{move || shop().1}</p>
            </div>
            <div class="flex items-center gap-1.5 rounded-full bg-slate-100 px-2.5 py-1 text-xs text-slate-600" data-testid="connection" data-state=move || format!("{:?}", ed.status.get()).to_lowercase()>
                <span class=move || format!("h-2 w-2 rounded-full {}", status_class())></span>
                {move || ed.status.get().label()}
            </div>
            <Presence />
            <div class="ml-auto flex items-center gap-2">
                <div class="flex rounded-md border border-slate-300 bg-white p-0.5 text-xs" role="group" aria-label="Device width">
                    {Device::ALL.into_iter().map(|d| view! {
                        <button type="button"
                            class=move || if ed.device.get() == d { "rounded bg-slate-900 px-2 py-1 text-white" } else { "rounded px-2 py-1 text-slate-600 hover:bg-slate-100" }
                            aria-pressed=move || (ed.device.get() == d).to_string()
                            on:click=move |_| ed.device.set(d)>{d.label()}</button>
                    }).collect_view()}
                </div>
                <button type="button" class=BUTTON title="Undo (Ctrl+Z)" aria-label="Undo" disabled=move || !ed.can_undo.get() on:click=move |_| ed.undo()>"↶"</button>
                <button type="button" class=BUTTON title="Redo (Ctrl+Shift+Z)" aria-label="Redo" disabled=move || !ed.can_redo.get() on:click=move |_| ed.redo()>"↷"</button>
                <button type="button" class=BUTTON on:click=move |_| dialog.set(Dialog::History)>"History"</button>
                <button type="button" class=BUTTON disabled=move || !editable() on:click=move |_| dialog.set(Dialog::Preview)>"Preview link"</button>
                <button type="button" class=BUTTON disabled=move || !editable() on:click=move |_| dialog.set(Dialog::Schedule)>
                    {move || ed.info.with(|i| i.as_ref().and_then(|i| i.publish_at.clone())).map(|_| "Scheduled").unwrap_or("Schedule")}
                </button>
                <PublishButton />
            </div>
        </header>
        {move || match dialog.get() {
            Dialog::None => ().into_any(),
            Dialog::Preview => view! { <PreviewDialog close=move || dialog.set(Dialog::None) /> }.into_any(),
            Dialog::History => view! { <HistoryPanel close=move || dialog.set(Dialog::None) /> }.into_any(),
            Dialog::Schedule => view! { <ScheduleDialog close=move || dialog.set(Dialog::None) /> }.into_any(),
        }}
    }
}

/// Who else is here.
#[component]
fn Presence() -> impl IntoView {
    let ed = expect_context::<Ed>();
    view! {
        <ul class="flex -space-x-1.5" aria-label="People on this page" data-testid="presence">
            {move || {
                let (name, color) = ed.me.get();
                let me = (!name.is_empty()).then(|| view! {
                    <li class="flex h-7 w-7 items-center justify-center rounded-full text-xs font-semibold text-white ring-2 ring-white" style=format!("background:{color}") title=format!("{name} (you)")>{initial(&name)}</li>
                });
                let others = ed.peers.get().into_iter().map(|p| view! {
                    <li class="flex h-7 w-7 items-center justify-center rounded-full text-xs font-semibold text-white ring-2 ring-white" style=format!("background:{}", p.color) title=p.name.clone() data-testid="peer">{initial(&p.name)}</li>
                }).collect_view();
                view! { {me} {others} }
            }}
        </ul>
    }
}

fn initial(name: &str) -> String {
    name.chars()
        .next()
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_default()
}

#[component]
fn PublishButton() -> impl IntoView {
    let ed = expect_context::<Ed>();
    let busy = RwSignal::new(false);
    let publish = move |_| {
        busy.set(true);
        leptos::task::spawn_local(async move {
            let result =
                api::post(&format!("/api/v1/pages/{}/publish", ed.page_id), json!({})).await;
            busy.set(false);
            match result {
                Ok(v) => {
                    ed.show_errors.set(false);
                    let number = v.get("number").and_then(Value::as_i64).unwrap_or_default();
                    if v.get("unchanged").and_then(Value::as_bool) == Some(true) {
                        ed.notify(true, format!("Nothing changed since revision {number}."));
                    } else {
                        ed.notify(true, format!("Published revision {number}."));
                    }
                    ed.reload_info();
                }
                Err(e) if e.status == 422 => {
                    ed.show_errors.set(true);
                    let errors = e
                        .body
                        .get("errors")
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default();
                    if let Some(first) = errors
                        .first()
                        .and_then(|e| e.get("block_id"))
                        .and_then(Value::as_str)
                    {
                        ed.select(Some(first.to_string()));
                    }
                    ed.notify(
                        false,
                        format!(
                            "Not published: {} problem{} to fix (outlined in red).",
                            errors.len(),
                            if errors.len() == 1 { "" } else { "s" }
                        ),
                    );
                }
                Err(e) => ed.notify(false, format!("Not published: {}", e.message)),
            }
        });
    };
    view! {
        <button type="button" class=PRIMARY data-testid="publish" disabled=move || busy.get() || !ed.info.with(|i| i.as_ref().is_some_and(PageInfo::can_edit)) on:click=publish>
            {move || if busy.get() { "Publishing…" } else { "Publish" }}
        </button>
        {move || ed.info.with(|i| i.as_ref().and_then(|i| i.live_url.clone())).map(|url| view! {
            <a href=url target="_blank" rel="noopener" class="text-xs text-blue-700 hover:underline" data-testid="live-link">"View live"</a>
        })}
    }
}

/// A modal panel.
#[component]
fn Modal(
    title: &'static str,
    close: impl Fn() + Copy + Send + Sync + 'static,
    children: Children,
) -> impl IntoView {
    view! {
        <div class="fixed inset-0 z-50 flex items-start justify-center bg-slate-900/40 p-4 pt-24" on:click=move |_| close()>
            <div class="w-full max-w-lg rounded-xl bg-white p-5 shadow-2xl" role="dialog" aria-modal="true" aria-label=title on:click=|e| e.stop_propagation()>
                <div class="flex items-center justify-between">
                    <h2 class="text-base font-semibold text-slate-900">{title}</h2>
                    <button type="button" class="text-slate-400 hover:text-slate-700" aria-label="Close" on:click=move |_| close()>"✕"</button>
                </div>
                <div class="mt-4">{children()}</div>
            </div>
        </div>
    }
}

#[component]
fn PreviewDialog(close: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let ed = expect_context::<Ed>();
    let path = format!("/api/v1/pages/{}/preview-links", ed.page_id);
    let lifetime = RwSignal::new(3600i64);
    let link = RwSignal::new(None::<(String, String)>);
    let active = RwSignal::new(None::<i64>);
    let message = RwSignal::new(None::<String>);
    let count_path = path.clone();
    leptos::task::spawn_local(async move {
        if let Ok(v) = api::get(&count_path).await {
            active.set(v.get("active_links").and_then(Value::as_i64));
        }
    });
    let create_path = path.clone();
    let create = move |_| {
        let path = create_path.clone();
        leptos::task::spawn_local(async move {
            match api::post(&path, json!({"ttl_seconds": lifetime.get_untracked()})).await {
                Ok(v) => {
                    let url = v
                        .get("url")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string();
                    let expires = v
                        .get("expires_at")
                        .map(|e| {
                            e.as_str()
                                .map(str::to_string)
                                .unwrap_or_else(|| e.to_string())
                        })
                        .unwrap_or_default();
                    link.set(Some((url, expires)));
                    active.set(v.get("active_links").and_then(Value::as_i64));
                    message.set(None);
                }
                Err(e) => message.set(Some(e.message)),
            }
        });
    };
    let revoke = move |_| {
        let path = path.clone();
        leptos::task::spawn_local(async move {
            match api::delete(&path).await {
                Ok(_) => {
                    link.set(None);
                    active.set(Some(0));
                    message.set(Some(
                        "Every preview link of this page stopped working.".into(),
                    ));
                }
                Err(e) => message.set(Some(e.message)),
            }
        });
    };
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some((url, _)) = link.get_untracked() {
            let clipboard = window().navigator().clipboard();
            let _ = clipboard.write_text(&url);
            message.set(Some("Copied to the clipboard.".into()));
        }
    };
    view! {
        <Modal title="Preview link" close=close>
            <p class="text-sm text-slate-600">"Anyone with the link sees the current draft, as customers would — no login needed. It updates as you edit."</p>
            <div class="mt-4 flex items-end gap-2">
                <label class="text-xs font-medium text-slate-700">"Works for"
                    <select class="mt-1 block rounded-md border border-slate-300 px-2 py-1.5 text-sm" on:change=move |e| lifetime.set(event_target_value(&e).parse().unwrap_or(3600))>
                        <option value="3600">"1 hour"</option>
                        <option value="86400">"1 day"</option>
                        <option value="604800">"7 days"</option>
                    </select>
                </label>
                <button type="button" class=PRIMARY data-testid="create-preview" on:click=create>"Create link"</button>
            </div>
            {move || link.get().map(|(url, expires)| view! {
                <div class="mt-4">
                    <div class="flex gap-2">
                        <input type="text" readonly class="block w-full rounded-md border border-slate-300 bg-slate-50 px-2 py-1.5 font-mono text-xs" prop:value=url.clone() data-testid="preview-url" />
                        <button type="button" class=BUTTON on:click=copy>"Copy"</button>
                        <a href=url target="_blank" rel="noopener" class=BUTTON>"Open"</a>
                    </div>
                    <p class="mt-1 text-xs text-slate-500">"Expires " {expires}</p>
                </div>
            })}
            <div class="mt-5 flex items-center justify-between border-t border-slate-100 pt-4">
                <p class="text-sm text-slate-600" data-testid="active-links">{move || match active.get() {
                    Some(1) => "1 active link".to_string(),
                    Some(n) => format!("{n} active links"),
                    None => String::new(),
                }}</p>
                <button type="button" class="text-sm font-medium text-red-700 hover:underline disabled:opacity-40" disabled=move || active.get() == Some(0) on:click=revoke>"Revoke all"</button>
            </div>
            {move || message.get().map(|m| view! { <p class="mt-2 text-xs text-slate-600">{m}</p> })}
        </Modal>
    }
}

#[component]
fn HistoryPanel(close: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let ed = expect_context::<Ed>();
    let reload = RwSignal::new(0u32);
    let reset_draft = RwSignal::new(true);
    let revisions = LocalResource::new(move || {
        reload.get();
        async move { api::get(&format!("/api/v1/pages/{}/revisions", ed.page_id)).await }
    });
    let viewing = RwSignal::new(None::<(i64, Vec<Value>)>);
    let restore = move |number: i64| {
        leptos::task::spawn_local(async move {
            let r = api::post(
                &format!("/api/v1/pages/{}/revisions/{number}/restore", ed.page_id),
                json!({"reset_draft": reset_draft.get_untracked()}),
            )
            .await;
            match r {
                Ok(v) => {
                    let n = v.get("number").and_then(Value::as_i64).unwrap_or_default();
                    ed.notify(
                        true,
                        format!("Revision {number} is live again (as revision {n})."),
                    );
                    ed.reload_info();
                    reload.update(|n| *n += 1);
                }
                Err(e) => ed.notify(false, e.message),
            }
        });
    };
    let view_rev = move |number: i64| {
        leptos::task::spawn_local(async move {
            if let Ok(v) =
                api::get(&format!("/api/v1/pages/{}/revisions/{number}", ed.page_id)).await
            {
                viewing.set(Some((
                    number,
                    v.get("blocks")
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default(),
                )));
            }
        });
    };
    let unpublish = move |_| {
        leptos::task::spawn_local(async move {
            match api::post(
                &format!("/api/v1/pages/{}/unpublish", ed.page_id),
                json!({}),
            )
            .await
            {
                Ok(_) => {
                    ed.notify(true, "The page is no longer live.");
                    ed.reload_info();
                    reload.update(|n| *n += 1);
                }
                Err(e) => ed.notify(false, e.message),
            }
        });
    };
    let editable = ed.can_edit();
    view! {
        <Modal title="History" close=close>
            <label class="flex items-center gap-2 text-xs text-slate-600">
                <input type="checkbox" prop:checked=move || reset_draft.get() on:change=move |e| reset_draft.set(event_target_checked(&e)) />
                "When restoring, also reset the draft to that revision"
            </label>
            <Suspense fallback=|| view! { <p class="mt-3 text-sm text-slate-500">"Loading…"</p> }>
                {move || revisions.get().map(|r| match r {
                    Err(e) => view! { <p class="mt-3 text-sm text-red-600">{e.message}</p> }.into_any(),
                    Ok(v) => {
                        let items = v.get("revisions").and_then(Value::as_array).cloned().unwrap_or_default();
                        if items.is_empty() {
                            return view! { <p class="mt-3 text-sm text-slate-500">"Not published yet."</p> }.into_any();
                        }
                        view! {
                            <ol class="mt-3 max-h-96 divide-y divide-slate-100 overflow-y-auto" data-testid="revisions">
                                {items.into_iter().map(|r| {
                                    let number = r.get("number").and_then(Value::as_i64).unwrap_or_default();
                                    let live = r.get("live").and_then(Value::as_bool).unwrap_or(false);
                                    let who = r.pointer("/published_by/email").and_then(Value::as_str).unwrap_or("scheduled").to_string();
                                    let when = r.get("published_at").and_then(Value::as_str).unwrap_or_default().replace('T', " ").chars().take(16).collect::<String>();
                                    let s = |k: &str| r.pointer(&format!("/summary/{k}")).and_then(Value::as_i64).unwrap_or(0);
                                    let summary = format!("+{} added · −{} removed · {} changed", s("added"), s("removed"), s("changed"));
                                    view! {
                                        <li class="flex items-center gap-3 py-2.5" data-revision=number>
                                            <div class="min-w-0 flex-1">
                                                <p class="text-sm font-medium text-slate-900">
                                                    {format!("Revision {number}")}
                                                    {live.then(|| view! { <span class="ml-2 rounded bg-green-100 px-1.5 py-0.5 text-xs font-medium text-green-800">"Live"</span> })}
                                                </p>
                                                <p class="text-xs text-slate-500">{when} " · " {who}</p>
                                                <p class="text-xs text-slate-500">{summary}</p>
                                            </div>
                                            <button type="button" class=BUTTON on:click=move |_| view_rev(number)>"View"</button>
                                            {(editable && !live).then(|| view! {
                                                <button type="button" class=BUTTON data-testid="restore" on:click=move |_| restore(number)>"Restore"</button>
                                            })}
                                        </li>
                                    }
                                }).collect_view()}
                            </ol>
                        }.into_any()
                    }
                })}
            </Suspense>
            {move || viewing.get().map(|(n, blocks)| view! {
                <div class="mt-3 rounded-md bg-slate-50 p-3">
                    <p class="text-xs font-semibold text-slate-700">{format!("Revision {n}: {} blocks", blocks.len())}</p>
                    <ul class="mt-1 space-y-0.5 text-xs text-slate-600">
                        {blocks.iter().map(|b| {
                            let t = tree::type_of(b).map(BlockType::label).unwrap_or("?");
                            let heading = b.pointer("/props/heading").and_then(Value::as_str).unwrap_or_default().to_string();
                            view! { <li>{t} {(!heading.is_empty()).then(|| format!(" — “{heading}”"))}</li> }
                        }).collect_view()}
                    </ul>
                </div>
            })}
            {editable.then(|| view! {
                <div class="mt-4 border-t border-slate-100 pt-3 text-right">
                    <button type="button" class="text-sm font-medium text-red-700 hover:underline" on:click=unpublish>"Unpublish page"</button>
                </div>
            })}
        </Modal>
    }
}

#[component]
fn ScheduleDialog(close: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let ed = expect_context::<Ed>();
    let when = RwSignal::new(String::new());
    let message = RwSignal::new(None::<String>);
    let path = format!("/api/v1/pages/{}/schedule", ed.page_id);
    let set_path = path.clone();
    let schedule = move |_| {
        let path = set_path.clone();
        let local = when.get_untracked();
        leptos::task::spawn_local(async move {
            // The picker gives local time; the API takes RFC 3339.
            let at = local_to_rfc3339(&local);
            match api::put(&path, json!({"publish_at": at})).await {
                Ok(_) => {
                    ed.notify(true, "Publishing is scheduled.");
                    ed.reload_info();
                    close();
                }
                Err(e) => message.set(Some(e.message)),
            }
        });
    };
    let cancel = move |_| {
        let path = path.clone();
        leptos::task::spawn_local(async move {
            match api::delete(&path).await {
                Ok(_) => {
                    ed.notify(true, "The schedule is cancelled.");
                    ed.reload_info();
                    close();
                }
                Err(e) => message.set(Some(e.message)),
            }
        });
    };
    let current = move || {
        ed.info
            .with(|i| i.as_ref().and_then(|i| i.publish_at.clone()))
    };
    let problem = move || {
        ed.info
            .with(|i| i.as_ref().and_then(|i| i.schedule_error.clone()))
    };
    view! {
        <Modal title="Schedule publishing" close=close>
            {move || current().map(|at| view! {
                <p class="text-sm text-slate-700">"Scheduled for " <strong>{at}</strong> " (UTC)."</p>
            })}
            {move || problem().map(|p| view! { <p class="mt-1 text-sm text-red-600">{p}</p> })}
            <label class="mt-3 block text-xs font-medium text-slate-700">"Publish the draft at"
                <input type="datetime-local" class="mt-1 block rounded-md border border-slate-300 px-2 py-1.5 text-sm" on:input=move |e| when.set(event_target_value(&e)) />
            </label>
            <div class="mt-4 flex gap-2">
                <button type="button" class=PRIMARY disabled=move || when.get().is_empty() on:click=schedule>"Schedule"</button>
                {move || current().map(|_| view! { <button type="button" class=BUTTON on:click=cancel.clone()>"Cancel schedule"</button> })}
            </div>
            {move || message.get().map(|m| view! { <p class="mt-2 text-xs text-red-600">{m}</p> })}
        </Modal>
    }
}

/// `YYYY-MM-DDTHH:MM` in the browser's time zone → RFC 3339 in UTC.
fn local_to_rfc3339(local: &str) -> String {
    #[cfg(feature = "hydrate")]
    {
        let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(local));
        if !d.get_time().is_nan() {
            return String::from(d.to_iso_string());
        }
    }
    local.to_string()
}

/// The block palette: the types allowed on this page, click to insert after the selection,
/// or drag onto the canvas.
#[component]
pub fn Palette() -> impl IntoView {
    let ed = expect_context::<Ed>();
    let page_type = ed.page_type();
    let types: Vec<BlockType> = BlockType::ALL
        .into_iter()
        .filter(|t| t.allowed_on(page_type))
        .collect();
    let editable = ed.can_edit();
    view! {
        <aside class="w-52 shrink-0 overflow-y-auto border-r border-slate-200 bg-white p-3" data-testid="palette">
            <h2 class="px-1 text-xs font-semibold tracking-wide text-slate-500 uppercase">"Add a block"</h2>
            <p class="px-1 pt-1 text-[11px] text-slate-400">"Click to add after the selected block, or drag onto the page."</p>
            <ul class="mt-2 space-y-1">
                {types.into_iter().map(|t| view! {
                    <li>
                        <button type="button"
                            class="flex w-full cursor-grab items-center gap-2 rounded-md border border-slate-200 px-2.5 py-2 text-left text-sm text-slate-700 hover:border-blue-400 hover:bg-blue-50 disabled:opacity-50"
                            draggable=editable.then_some("true")
                            disabled=!editable
                            data-block-type=t.name()
                            on:dragstart=move |e| {
                                ed.drag.set(Some(Drag::New(t)));
                                if let Some(dt) = e.data_transfer() {
                                    let _ = dt.set_data("text/plain", t.name());
                                }
                            }
                            on:dragend=move |_| ed.drag.set(None)
                            on:click=move |e| {
                                e.stop_propagation();
                                let slot = ed.blocks.with_untracked(|b| tree::insert_slot(b, ed.selected.get_untracked().as_deref()));
                                ed.insert(t, slot);
                            }>
                            <span class="inline-block h-2 w-2 rounded-sm bg-slate-300"></span>
                            {t.label()}
                        </button>
                    </li>
                }).collect_view()}
            </ul>
        </aside>
    }
}

/// The last notification, dismissed after a few seconds.
#[component]
pub fn Toast() -> impl IntoView {
    let ed = expect_context::<Ed>();
    Effect::new(move |_| {
        if ed.toast.get().is_some() {
            set_timeout(
                move || ed.toast.set(None),
                std::time::Duration::from_secs(6),
            );
        }
    });
    view! {
        {move || ed.toast.get().map(|(ok, m)| view! {
            <div class=if ok { "fixed bottom-5 left-1/2 z-50 -translate-x-1/2 rounded-lg bg-slate-900 px-4 py-2.5 text-sm text-white shadow-xl" } else { "fixed bottom-5 left-1/2 z-50 -translate-x-1/2 rounded-lg bg-red-700 px-4 py-2.5 text-sm text-white shadow-xl" }
                role="status" data-testid="toast">{m}</div>
        })}
    }
}
