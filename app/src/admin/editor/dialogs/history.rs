//! The history dialog: the page's revisions, view one, restore one, unpublish the page.

use super::{BUTTON, Modal};
use crate::admin::editor::{Ed, api};
use crate::admin::minute_utc;
use crate::api_types::{
    RestoreAnswer, RestoreRequest, RevisionAnswer, RevisionList, RevisionSummary, UnpublishAnswer,
};
use crate::blocks::Block;
use leptos::prelude::*;
use serde_json::Value;

/// Who published a revision.
fn author(r: &RevisionSummary) -> String {
    r.published_by
        .as_ref()
        .and_then(|p| p.email.clone())
        .unwrap_or_else(|| "automatically".to_string())
}

/// A block of a viewed revision: its type, and its heading when it has one.
fn block_line(b: &Block) -> String {
    let props = b.props.props_json();
    match props.get("heading").and_then(Value::as_str) {
        Some(h) if !h.is_empty() => format!("{} — “{h}”", b.block_type().label()),
        _ => b.block_type().label().to_string(),
    }
}

#[component]
pub fn HistoryPanel(close: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let ed = expect_context::<Ed>();
    let reload = RwSignal::new(0u32);
    let reset_draft = RwSignal::new(true);
    let revisions = LocalResource::new(move || {
        reload.get();
        async move {
            api::get_json::<RevisionList>(&format!("/api/v1/pages/{}/revisions", ed.page_id)).await
        }
    });
    let viewing = RwSignal::new(None::<(i64, Vec<Block>)>);
    let restore = move |number: i64| {
        leptos::task::spawn_local(async move {
            let r = api::post_json::<_, RestoreAnswer>(
                &format!("/api/v1/pages/{}/revisions/{number}/restore", ed.page_id),
                &RestoreRequest {
                    reset_draft: reset_draft.get_untracked(),
                },
            )
            .await;
            match r {
                Ok(restored) => {
                    let n = restored.number;
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
            if let Ok(r) = api::get_json::<RevisionAnswer>(&format!(
                "/api/v1/pages/{}/revisions/{number}",
                ed.page_id
            ))
            .await
            {
                viewing.set(Some((number, r.blocks)));
            }
        });
    };
    let unpublish = move |_| {
        leptos::task::spawn_local(async move {
            match api::post_empty::<UnpublishAnswer>(&format!(
                "/api/v1/pages/{}/unpublish",
                ed.page_id
            ))
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
                    Ok(list) => {
                        let items = list.revisions;
                        if items.is_empty() {
                            return view! { <p class="mt-3 text-sm text-slate-500">"Not published yet."</p> }.into_any();
                        }
                        view! {
                            <ol class="mt-3 max-h-96 divide-y divide-slate-100 overflow-y-auto" data-testid="revisions">
                                {items.into_iter().map(|r| {
                                    let number = r.number;
                                    let live = r.live;
                                    let who = author(&r);
                                    let when = minute_utc(&r.published_at);
                                    let s = r.summary;
                                    let summary = format!("+{} added · −{} removed · {} changed", s.added, s.removed, s.changed);
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
                        {blocks.iter().map(|b| view! { <li>{block_line(b)}</li> }).collect_view()}
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
