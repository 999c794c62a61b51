//! The block palette.

use super::{Drag, Ed, tree};
use crate::blocks::BlockType;
use leptos::prelude::*;

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
                                let slot = ed.with_tree(|b| tree::insert_slot(b, ed.selected.get_untracked().as_deref()));
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
