//! The canvas: the draft rendered with the storefront's own block components (inside the
//! shop's theme), each block wrapped with a selection outline, a toolbar, presence tags and
//! drop zones. Text fields are edited in place (see `text`), bound to `Y.Text`.
//!
//! Lists are keyed by block (see `state::Item`) and each block watches its own signal, so a
//! change re-renders only its block; and a block re-renders only when something other than
//! its in-place text changes: that text reaches the field's element through
//! [`LiveFields`], so the element being typed into stays mounted.

use super::state::Item;
use super::tree::{self, children_of};
use super::{Drag, Ed};
use crate::blocks::{
    BlockContext, BlockNode, BlockType, BlockView, Editing, LiveFields, columns,
    validate::preview_value,
};
use crate::draft::edit::Slot;
use leptos::prelude::*;
use serde_json::Value;
use std::sync::Arc;

#[component]
pub fn Canvas() -> impl IntoView {
    let ed = expect_context::<Ed>();
    provide_context(Editing);
    provide_context(BlockContext::default());
    let frame_style = move || {
        let theme = ed
            .info
            .with(|i| i.as_ref().map(|i| i.theme_css.clone()))
            .unwrap_or_default();
        format!("{theme};max-width:{}", ed.device.get().width())
    };
    let root_items = ed.model.with_value(|m| m.root());
    let empty = {
        let root = root_items.clone();
        move || root.with(Vec::is_empty)
    };
    view! {
        <main
            class="min-w-0 flex-1 overflow-auto px-6 pt-12 pb-24"
            on:click=move |_| ed.select(None)
            on:mousedown=move |e| super::input::pressed(ed, e)
        >
            <div
                class="@container mx-auto min-h-full rounded-lg bg-background font-body text-ink shadow-xl ring-1 ring-slate-900/5 transition-[max-width] duration-300"
                style=frame_style
                data-testid="canvas"
                on:click=guard_links
                on:submit=|e| e.prevent_default()
                on:beforeinput=move |e| super::input::before_input(ed, e)
                on:input=move |e| super::input::after_input(ed, e)
                on:compositionend=move |e| super::input::composed(ed, e)
                on:keyup=move |_| super::input::track(ed)
                on:mouseup=move |_| super::input::track(ed)
                on:focusin=move |_| super::input::track(ed)
                on:focusout=move |e| super::input::left(ed, e)
            >
                <div class="mx-auto flex max-w-7xl flex-col gap-16 px-4 py-10 sm:px-6 lg:px-8">
                    <BlockListEdit parent=None items=root_items />
                    <Show when=empty>
                        <EmptyPage />
                    </Show>
                </div>
            </div>
        </main>
    }
}

/// Links and buttons on the canvas do not navigate: clicking selects.
fn guard_links(e: leptos::ev::MouseEvent) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        if let Some(el) = e
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            && el.closest("a[href], form button").ok().flatten().is_some()
        {
            e.prevent_default();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = e;
}

#[component]
fn EmptyPage() -> impl IntoView {
    view! {
        <div class="rounded-xl border-2 border-dashed border-slate-300 p-16 text-center font-sans text-slate-500">
            <p class="text-lg font-medium text-slate-700">"This page is empty"</p>
            <p class="mt-1">"Add a block from the panel on the left, or drag one here."</p>
            <DropZone parent=None before=None tall=true />
        </div>
    }
}

/// A list of blocks (the page, or a container's children) with drop zones between them.
#[component]
fn BlockListEdit(parent: Option<String>, items: ArcRwSignal<Vec<Item>>) -> impl IntoView {
    let end_parent = parent.clone();
    view! {
        <For
            each=move || items.get()
            key=Item::clone
            children=move |item| {
                let parent = parent.clone();
                view! { <EditBlock item=item parent=parent /> }
            }
        />
        <div class="relative">
            <DropZone parent=end_parent before=None tall=false />
        </div>
    }
}

/// A thin strip that accepts a dragged block while something is being dragged.
#[component]
fn DropZone(parent: Option<String>, before: Option<String>, tall: bool) -> impl IntoView {
    let ed = expect_context::<Ed>();
    let over = RwSignal::new(false);
    let class = move || {
        let base = if tall {
            "relative mt-6 h-16 rounded-lg"
        } else {
            "absolute inset-x-0 -top-12 z-10 h-10 rounded-lg"
        };
        match (ed.drag.with(Option::is_some), over.get()) {
            (false, _) => format!("{base} pointer-events-none"),
            (true, false) => format!("{base} flex items-center"),
            (true, true) => format!("{base} flex items-center bg-blue-500/10 ring-2 ring-blue-500"),
        }
    };
    let drop_parent = parent.clone();
    let drop = move |e: leptos::ev::DragEvent| {
        e.prevent_default();
        e.stop_propagation();
        over.set(false);
        let Some(drag) = ed.drag.get_untracked() else {
            return;
        };
        ed.drag.set(None);
        let index = ed.with_tree(|b| match &before {
            Some(id) => tree::place(b, id).map(|p| p.index),
            None => Some(match &drop_parent {
                None => b.len(),
                Some(p) => tree::find(b, p).map(|n| children_of(n).len()).unwrap_or(0),
            }),
        });
        let Some(index) = index else { return };
        let slot = Slot {
            parent: drop_parent.clone(),
            index: index as u32,
        };
        match drag {
            Drag::New(t) => ed.insert(t, slot),
            Drag::Move(id) => ed.move_to(&id, slot),
        }
    };
    view! {
        <div
            class=class
            data-drop-parent=parent.clone().unwrap_or_default()
            on:dragover=move |e| {
                e.prevent_default();
                over.set(true);
            }
            on:dragleave=move |_| over.set(false)
            on:drop=drop
        >
            <div class=move || if over.get() { "mx-2 h-1 flex-1 rounded bg-blue-500" } else { "hidden" }></div>
        </div>
    }
}

/// One block on the canvas.
#[component]
fn EditBlock(item: Item, parent: Option<String>) -> impl IntoView {
    let ed = expect_context::<Ed>();
    let Item {
        key, id, type_name, ..
    } = item;
    let cell = ed
        .model
        .try_update_value(|m| m.cell(&key))
        .unwrap_or_else(|| ArcRwSignal::new(Value::Null));
    let block_type = BlockType::from_name(&type_name);
    let is_selected = {
        let id = id.clone();
        move || ed.selected.with(|s| s.as_deref() == Some(id.as_str()))
    };
    let peers_here = {
        let id = id.clone();
        move || {
            ed.peers.with(|p| {
                p.iter()
                    .filter(|p| p.selected.as_deref() == Some(id.as_str()))
                    .cloned()
                    .collect::<Vec<_>>()
            })
        }
    };
    let has_error = {
        let id = id.clone();
        move || ed.show_errors.get() && ed.errors.with(|e| e.iter().any(|e| e.block_id == id))
    };
    let outline = {
        let is_selected = is_selected.clone();
        let peers_here = peers_here.clone();
        let has_error = has_error.clone();
        move || {
            let color = if has_error() {
                Some("#dc2626".to_string())
            } else if is_selected() {
                Some("#2563eb".to_string())
            } else {
                peers_here().first().map(|p| p.color.clone())
            };
            match color {
                Some(c) => format!("outline:2px solid {c};outline-offset:4px;border-radius:4px"),
                None => String::new(),
            }
        }
    };
    let inner = match block_type {
        Some(BlockType::Columns) => {
            view! { <ColumnsEdit block_key=key.clone() id=id.clone() cell=cell /> }.into_any()
        }
        Some(t) => {
            provide_context(live_fields(ed, id.clone(), t, cell.clone()));
            // Everything but the in-place text: the block re-renders when this changes.
            let fixed = Memo::new(move |_| {
                cell.with(|v| {
                    crate::draft::preview_block(&crate::draft::node_from_value(&without_in_place(
                        v, t,
                    )))
                })
            });
            let name = type_name.clone();
            (move || match fixed.get() {
                Some(block) => view! { <BlockView block=block /> }.into_any(),
                None => unknown(&name).into_any(),
            })
            .into_any()
        }
        None => {
            view! { <div class="vt-block" data-block-id=id.clone()>{unknown(&type_name)}</div> }
                .into_any()
        }
    };
    let label = block_type.map(BlockType::label).unwrap_or("Unknown block");
    let select_id = id.clone();
    let toolbar_id = id.clone();
    let before = Some(id.clone());
    #[cfg(feature = "hydrate")]
    queue_microtask(move || restore_caret(ed));
    view! {
        <div
            class="group/block relative"
            data-edit-id=id.clone()
            data-selected=move || is_selected().then_some("true")
            style=outline
            on:click=move |e| {
                e.stop_propagation();
                ed.select(Some(select_id.clone()));
            }
        >
            <DropZone parent=parent before=before tall=false />
            <div class="pointer-events-none absolute -top-3 left-2 z-20 flex gap-1">
                {move || peers_here().into_iter().map(|p| {
                    let style = format!("background:{}", p.color);
                    view! { <span class="rounded px-1.5 py-0.5 font-sans text-xs font-medium text-white shadow" style=style data-testid="peer-tag">{p.name}</span> }
                }).collect_view()}
            </div>
            <Show when=is_selected.clone()>
                <Toolbar id=toolbar_id.clone() label=label />
            </Show>
            <Show when=has_error.clone()>
                <span class="pointer-events-none absolute -top-3 right-2 z-20 rounded bg-red-600 px-1.5 py-0.5 font-sans text-xs font-medium text-white shadow">"Needs attention"</span>
            </Show>
            {inner}
        </div>
    }
}

/// A block's JSON without its children and the props its component shows in place (those
/// are live).
fn without_in_place(v: &Value, t: BlockType) -> Value {
    let Some(block) = v.as_object() else {
        return v.clone();
    };
    let live = |k: &str| t.fields().iter().any(|f| f.in_place && f.name == k);
    Value::Object(
        block
            .iter()
            .filter(|(k, _)| k.as_str() != "children")
            .map(|(k, x)| match (k.as_str(), x.as_object()) {
                ("props", Some(props)) => (
                    k.clone(),
                    Value::Object(
                        props
                            .iter()
                            .filter(|(name, _)| !live(name))
                            .map(|(name, p)| (name.clone(), p.clone()))
                            .collect(),
                    ),
                ),
                _ => (k.clone(), x.clone()),
            })
            .collect(),
    )
}

/// The live values of a block's in-place text fields, from its cell.
fn live_fields(ed: Ed, id: String, t: BlockType, cell: ArcRwSignal<Value>) -> LiveFields {
    let value = move |name: &'static str| -> Signal<Value> {
        let Some(field) = t.fields().iter().find(|f| f.name == name).copied() else {
            return Signal::stored(Value::Null);
        };
        let cell = cell.clone();
        Memo::new(move |_| {
            cell.with(|v| preview_value(&field, v.get("props").and_then(|p| p.get(name))))
        })
        .into()
    };
    let rendered = move || {
        // The field's content is replaced: put the caret back if it was in this block.
        #[cfg(feature = "hydrate")]
        if ed
            .focus
            .with_value(|f| f.as_ref().is_some_and(|f| f.block == id))
        {
            queue_microtask(move || restore_caret(ed));
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (ed, &id);
    };
    LiveFields {
        value: Arc::new(value),
        rendered: Arc::new(rendered),
    }
}

fn unknown(type_name: &str) -> impl IntoView + use<> {
    let message = format!(
        "Unknown block type “{}”. It cannot be shown or published: delete it, or ask whoever added it.",
        type_name.chars().take(40).collect::<String>()
    );
    view! { <div class="rounded-lg border-2 border-dashed border-amber-400 bg-amber-50 p-6 font-sans text-amber-900">{message}</div> }
}

/// A `columns` block laid out like the storefront's, with editable children. Its children
/// come from their own list: a change inside a column touches neither this block nor its
/// other children.
#[component]
fn ColumnsEdit(block_key: String, id: String, cell: ArcRwSignal<Value>) -> impl IntoView {
    let ed = expect_context::<Ed>();
    let class = move || {
        let node: BlockNode = cell.with(crate::draft::node_from_value);
        let props = match crate::draft::preview_block(&node).map(|b| b.props) {
            Some(crate::blocks::BlockProps::Columns(p)) => p,
            _ => Default::default(),
        };
        format!("{} relative min-h-24", columns::grid_class(&props))
    };
    let items = ed
        .model
        .try_update_value(|m| m.list(&block_key))
        .unwrap_or_else(|| ArcRwSignal::new(Vec::new()));
    let empty = {
        let items = items.clone();
        move || items.with(Vec::is_empty)
    };
    let drop_parent = Some(id.clone());
    view! {
        <div class="vt-block" data-block-id=id.clone() data-block-type="columns">
            <div class=class>
                <BlockListEdit parent=Some(id.clone()) items=items />
                <Show when=empty>
                    <div class="col-span-full rounded-lg border-2 border-dashed border-slate-300 p-8 text-center font-sans text-sm text-slate-500">
                        "Empty columns: drag blocks here, or select this block and add from the palette."
                        <DropZone parent=drop_parent.clone() before=None tall=true />
                    </div>
                </Show>
            </div>
        </div>
    }
}

/// Actions on the selected block.
#[component]
fn Toolbar(id: String, label: &'static str) -> impl IntoView {
    let ed = expect_context::<Ed>();
    let editable = ed.can_edit();
    let btn = "rounded px-1.5 py-1 hover:bg-white/15 disabled:opacity-40";
    let (up, down, dup, del, drag) = (id.clone(), id.clone(), id.clone(), id.clone(), id.clone());
    view! {
        <div
            class="absolute -top-10 right-0 z-30 flex items-center gap-0.5 rounded-md bg-slate-900 px-1 py-0.5 font-sans text-xs text-white shadow-lg"
            data-testid="block-toolbar"
            on:click=|e| e.stop_propagation()
        >
            <span class="px-1.5 font-semibold">{label}</span>
            {editable.then(|| view! {
                <span
                    class="cursor-grab px-1.5 py-1 hover:bg-white/15"
                    draggable="true"
                    title="Drag to move"
                    aria-label="Drag to move"
                    on:dragstart=move |e| {
                        ed.drag.set(Some(Drag::Move(drag.clone())));
                        if let Some(dt) = e.data_transfer() {
                            let _ = dt.set_data("text/plain", &drag);
                        }
                    }
                    on:dragend=move |_| ed.drag.set(None)
                >"⠿"</span>
                <button type="button" class=btn title="Move up (Alt+↑)" aria-label="Move up" on:click=move |_| ed.step_move(&up, true)>"↑"</button>
                <button type="button" class=btn title="Move down (Alt+↓)" aria-label="Move down" on:click=move |_| ed.step_move(&down, false)>"↓"</button>
                <button type="button" class=btn title="Duplicate (Ctrl+D)" aria-label="Duplicate" on:click=move |_| ed.duplicate(&dup)>"Duplicate"</button>
                <button type="button" class=btn title="Delete (Del)" aria-label="Delete block" on:click=move |_| ed.remove(&del)>"Delete"</button>
            })}
        </div>
    }
}

/// Puts the caret back into the focused field after its block re-rendered.
#[cfg(feature = "hydrate")]
pub fn restore_caret(ed: Ed) {
    use wasm_bindgen::JsCast;
    let Some(f) = ed.focus.get_value() else {
        return;
    };
    let Some(field) = find_field(&f.block, &f.field) else {
        return;
    };
    let document = leptos::prelude::document();
    if document.active_element().as_ref() != Some(&field) {
        // Selection first, then focus: focusing keeps a selection already inside the field.
        super::text::select_in(&field, f.start, f.end);
        if let Some(h) = field.dyn_ref::<web_sys::HtmlElement>() {
            let _ = h.focus();
        }
    } else if super::text::selection_in(&field) != Some((f.start, f.end)) {
        super::text::select_in(&field, f.start, f.end);
    }
}

/// The `[data-field]` element of a block's field on the canvas: one query for the fields
/// inside that block, of which the block's own (not a nested block's) is kept.
#[cfg(feature = "hydrate")]
pub fn find_field(block: &str, field: &str) -> Option<web_sys::Element> {
    use wasm_bindgen::JsCast;
    let document = leptos::prelude::document();
    let list = document
        .query_selector_all(&format!(
            "[data-testid=canvas] [data-block-id=\"{}\"] [data-field=\"{}\"]",
            crate::theme::css_string(block),
            crate::theme::css_string(field)
        ))
        .ok()?;
    (0..list.length()).find_map(|i| {
        let el: web_sys::Element = list.item(i)?.dyn_into().ok()?;
        let owner = el.closest("[data-block-id]").ok()??;
        (owner.get_attribute("data-block-id").as_deref() == Some(block)).then_some(el)
    })
}
