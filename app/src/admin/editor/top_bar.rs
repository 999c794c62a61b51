//! The editor's top bar: back to the pages, the connection state, who is here, device
//! widths, undo/redo, the dialogs (history, preview links, schedule) and Publish.

use super::dialogs::{BUTTON, HistoryPanel, PRIMARY, PreviewDialog, ScheduleDialog};
use super::{Conn, Device, Ed, PageInfo, api};
use crate::api_types::PublishAnswer;
use leptos::prelude::*;

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
            .with(|i| i.as_ref().map(|i| i.answer.page.title.clone()))
            .unwrap_or_default()
    };
    let shop = move || {
        ed.info
            .with(|i| {
                i.as_ref()
                    .map(|i| (i.answer.shop.handle.clone(), i.answer.shop.name.clone()))
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
                    {move || ed.info.with(|i| i.as_ref().and_then(|i| i.answer.page.publish_at)).map(|_| "Scheduled").unwrap_or("Schedule")}
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
                api::post_empty::<PublishAnswer>(&format!("/api/v1/pages/{}/publish", ed.page_id))
                    .await;
            busy.set(false);
            match result {
                Ok(published) => {
                    ed.show_errors.set(false);
                    let number = published.number;
                    if published.unchanged {
                        ed.notify(true, format!("Nothing changed since revision {number}."));
                    } else {
                        ed.notify(true, format!("Published revision {number}."));
                    }
                    ed.reload_info();
                }
                Err(e) if e.status == 422 => {
                    ed.show_errors.set(true);
                    let errors = e.validation_errors();
                    if let Some(first) = errors.first() {
                        // A problem with the page's own fields (no block): its settings.
                        ed.select(Some(first.block_id.clone()).filter(|id| !id.is_empty()));
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
        {move || ed.info.with(|i| i.as_ref().and_then(|i| i.answer.live_url.clone())).map(|url| view! {
            <a href=url target="_blank" rel="noopener" class="text-xs text-blue-700 hover:underline" data-testid="live-link">"View live"</a>
        })}
    }
}
