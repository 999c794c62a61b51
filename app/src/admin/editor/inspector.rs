//! The inspector: a form for the selected block generated from its type's field descriptors,
//! each control bound to the draft, each showing its validation message inline. With nothing
//! selected it shows the page's settings.

use super::Ed;
use super::tree;
use crate::blocks::{BlockType, FieldDescriptor, FieldKind};
use crate::draft::PageField;
use crate::draft::edit::text_diff;
use leptos::prelude::*;
use serde_json::{Value, json};

const INPUT: &str = "mt-1 block w-full rounded-md border border-slate-300 bg-white px-2.5 py-1.5 text-sm shadow-sm focus:border-blue-500 focus:ring-2 focus:ring-blue-500/30 focus:outline-none disabled:bg-slate-50";

#[component]
pub fn Inspector() -> impl IntoView {
    let ed = expect_context::<Ed>();
    view! {
        <aside class="w-80 shrink-0 overflow-y-auto border-l border-slate-200 bg-white" data-testid="inspector">
            {move || match ed.selected.get() {
                Some(id) => view! { <BlockInspector id=id /> }.into_any(),
                None => view! { <PageSettings /> }.into_any(),
            }}
        </aside>
    }
}

#[component]
fn BlockInspector(id: String) -> impl IntoView {
    let ed = expect_context::<Ed>();
    let block_type = ed.with_tree(|b| tree::find(b, &id).and_then(tree::type_of));
    let block_errors = {
        let id = id.clone();
        move || {
            ed.errors.with(|e| {
                e.iter()
                    .filter(|e| {
                        e.block_id == id
                            && block_type.is_none_or(|t| {
                                !t.fields()
                                    .iter()
                                    .any(|f| Some(f.name) == e.field.as_deref())
                            })
                    })
                    .map(|e| e.message.clone())
                    .collect::<Vec<_>>()
            })
        }
    };
    let fields = block_type.map(BlockType::fields).unwrap_or_default();
    let title = block_type.map(BlockType::label).unwrap_or("Unknown block");
    let remove = id.clone();
    view! {
        <div class="p-4">
            <div class="flex items-center justify-between">
                <h2 class="text-sm font-semibold text-slate-900">{title}</h2>
                <button type="button" class="text-xs text-slate-500 hover:text-slate-900" on:click=move |_| ed.select(None)>"Page settings"</button>
            </div>
            <p class="mt-0.5 font-mono text-[11px] text-slate-400">{id.clone()}</p>
            <ul class="mt-3 space-y-1">
                {move || block_errors().into_iter().map(|m| view! {
                    <li class="rounded bg-red-50 px-2 py-1 text-xs text-red-700">{m}</li>
                }).collect_view()}
            </ul>
            <div class="mt-2 space-y-4">
                {fields.iter().map(|f| view! { <FieldControl id=id.clone() desc=*f /> }).collect_view()}
            </div>
            {ed.can_edit().then(|| view! {
                <button type="button" class="mt-6 w-full rounded-md border border-red-200 px-3 py-1.5 text-sm text-red-700 hover:bg-red-50" on:click=move |_| ed.remove(&remove)>"Delete block"</button>
            })}
        </div>
    }
}

/// One prop's control.
#[component]
fn FieldControl(id: String, desc: FieldDescriptor) -> impl IntoView {
    let ed = expect_context::<Ed>();
    // The block's own signal: the control follows this block's changes only.
    let cell = ed.model.with_value(|m| m.cell_of_id(&id));
    let value = Memo::new(move |_| {
        cell.as_ref()
            .and_then(|c| c.with(|v| v.get("props")?.get(desc.name).cloned()))
            .unwrap_or(Value::Null)
    });
    let error = {
        let id = id.clone();
        move || {
            ed.errors.with(|e| {
                e.iter()
                    .find(|e| e.block_id == id && e.field.as_deref() == Some(desc.name))
                    .map(|e| e.message.clone())
            })
        }
    };
    let has_error = {
        let error = error.clone();
        move || error().is_some()
    };
    let disabled = !ed.can_edit();
    let input_id = format!("f-{}-{}", id, desc.name);
    let control = control(ed, id, desc, value, disabled, input_id.clone());
    let hint = match (desc.kind, desc.max_len, desc.min, desc.max) {
        (FieldKind::Number, _, Some(min), Some(max)) => Some(format!("{min}–{max}")),
        (FieldKind::RichText, _, _, _) => {
            Some("Format on the canvas: select text, then Ctrl+B / Ctrl+I.".into())
        }
        _ => None,
    };
    view! {
        <div data-field-control=desc.name data-invalid=move || has_error().then_some("true")>
            <label for=input_id class="block text-xs font-medium text-slate-700">
                {desc.label}
                {desc.required.then_some(view! { <span class="text-red-600">" *"</span> })}
            </label>
            {control}
            {hint.map(|h| view! { <p class="mt-1 text-[11px] text-slate-400">{h}</p> })}
            {move || error().map(|m| view! { <p class="mt-1 text-xs text-red-600" role="alert">{m}</p> })}
        </div>
    }
}

fn control(
    ed: Ed,
    id: String,
    desc: FieldDescriptor,
    value: Memo<Value>,
    disabled: bool,
    input_id: String,
) -> AnyView {
    let name = desc.name;
    match desc.kind {
        FieldKind::Text | FieldKind::LongText | FieldKind::RichText => {
            let on_input = move |e: leptos::ev::Event| {
                let new = event_target_value(&e);
                let old = tree::plain(&value.get_untracked());
                if let Some((at, del, ins)) = text_diff(&old, &new) {
                    ed.splice(&id, name, at, del, &ins);
                }
            };
            let text = move || tree::plain(&value.get());
            if desc.kind == FieldKind::Text {
                view! { <input id=input_id type="text" class=INPUT prop:value=text on:input=on_input disabled=disabled maxlength=desc.max_len /> }.into_any()
            } else {
                view! { <textarea id=input_id class=INPUT rows="4" prop:value=text on:input=on_input disabled=disabled></textarea> }.into_any()
            }
        }
        FieldKind::Number => {
            let text = move || match value.get() {
                Value::Number(n) => n.to_string(),
                _ => String::new(),
            };
            view! {
                <input id=input_id type="number" class=INPUT prop:value=text disabled=disabled
                    min=desc.min max=desc.max
                    on:change=move |e| {
                        let raw = event_target_value(&e);
                        let v = raw.trim().parse::<i64>().map(Value::from).unwrap_or(Value::String(raw));
                        ed.set_prop(&id, name, v);
                    } />
            }
            .into_any()
        }
        FieldKind::Toggle => view! {
            <input id=input_id type="checkbox" class="mt-1 h-4 w-4 rounded border-slate-300" disabled=disabled
                prop:checked=move || value.get() == Value::Bool(true)
                on:change=move |e| ed.set_prop(&id, name, Value::Bool(event_target_checked(&e))) />
        }
        .into_any(),
        FieldKind::Select(options) => view! {
            <select id=input_id class=INPUT disabled=disabled
                prop:value=move || value.get().as_str().unwrap_or_default().to_string()
                on:change=move |e| ed.set_prop(&id, name, Value::String(event_target_value(&e)))>
                {options.iter().map(|(v, label)| view! { <option value=*v>{*label}</option> }).collect_view()}
            </select>
        }
        .into_any(),
        FieldKind::ColorToken => {
            let theme = ed
                .info
                .with_untracked(|i| i.as_ref().map(|i| i.theme_css.clone()))
                .unwrap_or_default();
            view! {
                <div class="mt-1 flex flex-wrap gap-1.5" role="radiogroup" id=input_id>
                    {crate::theme::COLOR_TOKENS.iter().map(|token| {
                        let id = id.clone();
                        let style = format!("{theme};background:var(--vt-{token})");
                        let on = move || value.get().as_str() == Some(*token);
                        view! {
                            <button type="button" role="radio" aria-checked=move || on().to_string() title=*token disabled=disabled
                                class=move || if on() { "h-7 w-7 rounded-full ring-2 ring-blue-600 ring-offset-2 border border-slate-300" } else { "h-7 w-7 rounded-full border border-slate-300" }
                                style=style
                                on:click=move |_| ed.set_prop(&id, name, Value::String(token.to_string()))></button>
                        }
                    }).collect_view()}
                </div>
            }
            .into_any()
        }
        FieldKind::Url | FieldKind::Image | FieldKind::Product => {
            let placeholder = match desc.kind {
                FieldKind::Url => "https://… or /pages/…",
                FieldKind::Image => "/images/… or https://…",
                _ => "product handle (empty: this page's product)",
            };
            let preview = (desc.kind == FieldKind::Image).then(|| view! {
                {move || {
                    let src = tree::plain(&value.get());
                    crate::safe_url::safe_image(&src).map(|s| {
                        let s = s.to_string();
                        view! { <img src=s alt="" class="mt-2 h-20 w-full rounded object-cover ring-1 ring-slate-200" /> }
                    })
                }}
            });
            view! {
                <input id=input_id type="text" class=INPUT placeholder=placeholder disabled=disabled
                    prop:value=move || tree::plain(&value.get())
                    on:input=move |e| ed.set_prop(&id, name, Value::String(event_target_value(&e))) />
                {preview}
            }
            .into_any()
        }
        FieldKind::ImageList => {
            let items = move || value.get().as_array().cloned().unwrap_or_default();
            let set = {
                let id = id.clone();
                move |f: &dyn Fn(&mut Vec<Value>)| {
                    let mut list = value.get_untracked().as_array().cloned().unwrap_or_default();
                    f(&mut list);
                    ed.set_prop(&id, name, Value::Array(list));
                }
            };
            let set = StoredValue::new(std::sync::Arc::new(set) as std::sync::Arc<dyn Fn(&dyn Fn(&mut Vec<Value>)) + Send + Sync>);
            let max = desc.max_items.unwrap_or(usize::MAX);
            view! {
                <div class="mt-1 space-y-2" id=input_id>
                    {move || items().into_iter().enumerate().map(|(i, item)| {
                        let src = item.get("src").and_then(Value::as_str).unwrap_or_default().to_string();
                        let alt = item.get("alt").and_then(Value::as_str).unwrap_or_default().to_string();
                        view! {
                            <div class="rounded-md border border-slate-200 p-2">
                                <input type="text" class=INPUT placeholder="Image address" prop:value=src disabled=disabled
                                    on:change=move |e| { let v = event_target_value(&e); set.get_value()(&|l| if let Some(x) = l.get_mut(i) { x["src"] = Value::String(v.clone()) }); } />
                                <input type="text" class=INPUT placeholder="Alt text" prop:value=alt disabled=disabled
                                    on:change=move |e| { let v = event_target_value(&e); set.get_value()(&|l| if let Some(x) = l.get_mut(i) { x["alt"] = Value::String(v.clone()) }); } />
                                <button type="button" class="mt-1 text-xs text-red-700 hover:underline" disabled=disabled
                                    on:click=move |_| set.get_value()(&|l| { if i < l.len() { l.remove(i); } })>"Remove"</button>
                            </div>
                        }
                    }).collect_view()}
                    <button type="button" class="rounded-md border border-slate-300 px-2 py-1 text-xs hover:bg-slate-50"
                        disabled=move || { disabled || items().len() >= max }
                        on:click=move |_| set.get_value()(&|l| l.push(json!({"src": "/images/gallery/coast.svg", "alt": ""})))>"Add image"</button>
                </div>
            }
            .into_any()
        }
    }
}

/// With nothing selected: the page's title, address and search appearance. They are part of
/// the draft: co-edited, undone and published with the blocks.
#[component]
fn PageSettings() -> impl IntoView {
    let ed = expect_context::<Ed>();
    let disabled = !ed.can_edit();
    let field = move |field: PageField| {
        // Per field, so a change to another field (someone else's) leaves this input alone.
        let value = Memo::new(move |_| ed.page.with(|p| p.get(field).to_string()));
        let problem = move || field.check(&value.get()).err();
        let id = format!("page-{}", field.name());
        view! {
            <div>
                <label class="block text-xs font-medium text-slate-700" for=id.clone()>{field.label()}</label>
                <input id=id type="text" class=INPUT prop:value=value disabled=disabled
                    aria-invalid=move || problem().is_some().to_string()
                    on:change=move |e| ed.set_page_field(field, event_target_value(&e).trim()) />
                {move || problem().map(|m| view! { <p class="mt-1 text-xs text-red-600" role="alert">{m}</p> })}
            </div>
        }
    };
    view! {
        <div class="p-4">
            <h2 class="text-sm font-semibold text-slate-900">"Page settings"</h2>
            <p class="mt-1 text-xs text-slate-500">"Select a block on the canvas to edit it. Title, address and search appearance are part of the draft: they go live when you publish."</p>
            <div class="mt-4 space-y-4">
                {PageField::ALL.into_iter().map(field).collect_view()}
            </div>
            <h3 class="mt-8 text-xs font-semibold tracking-wide text-slate-500 uppercase">"Keyboard"</h3>
            <dl class="mt-2 grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 text-xs text-slate-600">
                <dt class="font-mono">"↑ ↓"</dt><dd>"select previous / next block"</dd>
                <dt class="font-mono">"Alt+↑ ↓"</dt><dd>"move block (into and out of columns)"</dd>
                <dt class="font-mono">"Ctrl+D"</dt><dd>"duplicate"</dd>
                <dt class="font-mono">"Del"</dt><dd>"delete block"</dd>
                <dt class="font-mono">"Ctrl+Z"</dt><dd>"undo your last change"</dd>
                <dt class="font-mono">"Ctrl+Shift+Z"</dt><dd>"redo"</dd>
                <dt class="font-mono">"Esc"</dt><dd>"deselect"</dd>
            </dl>
        </div>
    }
}
