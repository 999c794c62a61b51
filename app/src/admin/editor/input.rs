//! Typing on the canvas. Every change to an in-place text field is intercepted
//! (`beforeinput`), applied to the field's `Y.Text` as a splice, and the field re-renders from
//! the draft with the caret put back — so the DOM never drifts from the document, and two
//! people typing in one field merge character by character. IME composition is let through and
//! reconciled by diff when it ends.
//!
//! One case is left to the browser: typing characters (no spaces) with the caret inside a text
//! node. The browser inserts them into that node and moves the caret, exactly as the field would
//! render them; `after_input` then checks the node shows what was expected and applies the same
//! splice to the draft. The field's text leaves ([`LiveText`](crate::blocks::live_text::LiveText))
//! see nothing to change, so the keystroke costs no DOM patch and no caret restore, which would
//! force a layout of the whole canvas. If the browser typed it otherwise, the draft still gets
//! the keystroke and the block is mounted anew from it.

use super::Ed;
#[cfg(feature = "hydrate")]
use super::Focus;
use leptos::ev::{FocusEvent, InputEvent};

#[cfg(feature = "hydrate")]
use {
    super::{text, tree::prop_text},
    crate::blocks::{BlockType, FieldKind},
    crate::draft::edit::text_diff,
    leptos::prelude::*,
    yrs::Any,
};

/// The kind of a block's text field, if it is one.
#[cfg(feature = "hydrate")]
fn field_kind(ed: Ed, block: &str, field: &str) -> Option<FieldKind> {
    let t = ed.with_tree(|b| super::tree::find(b, block).and_then(super::tree::type_of))?;
    let kind = BlockType::fields(t).iter().find(|f| f.name == field)?.kind;
    matches!(
        kind,
        FieldKind::Text | FieldKind::LongText | FieldKind::RichText
    )
    .then_some(kind)
}

/// UTF-16 offset of the previous (or next) word boundary from `at`.
#[cfg(feature = "hydrate")]
fn word_boundary(text: &str, at: u32, back: bool) -> u32 {
    let units: Vec<u16> = text.encode_utf16().collect();
    let is_space = |u: u16| u == b' ' as u16 || u == b'\n' as u16;
    let mut i = at as usize;
    if back {
        while i > 0 && is_space(units[i - 1]) {
            i -= 1;
        }
        while i > 0 && !is_space(units[i - 1]) {
            i -= 1;
        }
    } else {
        while i < units.len() && is_space(units[i]) {
            i += 1;
        }
        while i < units.len() && !is_space(units[i]) {
            i += 1;
        }
    }
    i as u32
}

/// Length in UTF-16 units of the character before (or after) `at`.
#[cfg(feature = "hydrate")]
fn char_len(text: &str, at: u32, back: bool) -> u32 {
    let units: Vec<u16> = text.encode_utf16().collect();
    let i = at as usize;
    let surrogate = |u: u16| (0xD800..0xE000).contains(&u);
    if back {
        if i >= 2 && surrogate(units[i - 1]) {
            2
        } else {
            u32::from(i >= 1)
        }
    } else if i + 1 < units.len() && surrogate(units[i]) {
        2
    } else {
        u32::from(i < units.len())
    }
}

pub fn before_input(ed: Ed, e: InputEvent) {
    #[cfg(feature = "hydrate")]
    {
        let Some(target) = e.target() else { return };
        let Some((el, block, field)) = text::field_at(&target) else {
            return;
        };
        let input_type = e.input_type();
        ed.typing.set_value(None);
        if input_type == "insertCompositionText" {
            return; // an IME is composing: reconciled in `composed` when it ends
        }
        let kind = field_kind(ed, &block, &field);
        if input_type == "insertText"
            && kind.is_some()
            && ed.can_edit()
            && let Some(typed) = e
                .data()
                .and_then(|data| Typed::at_caret(&el, block.clone(), field.clone(), data))
        {
            ed.typing.set_value(Some(typed));
            return; // the browser types it; `after_input` gives it to the draft
        }
        e.prevent_default();
        let Some(kind) = kind else {
            return;
        };
        if !ed.can_edit() {
            return;
        }
        let current = ed
            .with_tree(|b| prop_text(b, &block, &field))
            .unwrap_or_default();
        let len = current.encode_utf16().count() as u32;
        let (start, end) = text::selection_in(&el).unwrap_or((len, len));
        let (start, end) = (start.min(len), end.min(len));
        let multiline = kind != FieldKind::Text;
        let clean = |s: String| {
            if multiline {
                s.replace("\r\n", "\n")
            } else {
                s.replace(['\r', '\n'], " ")
            }
        };
        let pasted = || {
            e.data_transfer()
                .and_then(|d| d.get_data("text/plain").ok())
                .or_else(|| e.data())
                .unwrap_or_default()
        };
        let (at, delete, insert) = match input_type.as_str() {
            "insertText" | "insertReplacementText" => {
                (start, end - start, clean(e.data().unwrap_or_else(pasted)))
            }
            "insertParagraph" | "insertLineBreak" if multiline => (start, end - start, "\n".into()),
            "insertFromPaste" | "insertFromDrop" | "insertFromYank" => {
                (start, end - start, clean(pasted()))
            }
            "deleteContentBackward" if start == end => {
                let n = char_len(&current, start, true);
                (start - n, n, String::new())
            }
            "deleteContentForward" if start == end => {
                (start, char_len(&current, start, false), String::new())
            }
            "deleteWordBackward" | "deleteSoftLineBackward" | "deleteHardLineBackward"
                if start == end =>
            {
                let b = word_boundary(&current, start, true);
                (b, start - b, String::new())
            }
            "deleteWordForward" | "deleteSoftLineForward" | "deleteHardLineForward"
                if start == end =>
            {
                (
                    start,
                    word_boundary(&current, start, false) - start,
                    String::new(),
                )
            }
            t if t.starts_with("delete") => (start, end - start, String::new()),
            "formatBold" | "formatItalic" if kind == FieldKind::RichText && end > start => {
                let mark = if input_type == "formatBold" {
                    "bold"
                } else {
                    "italic"
                };
                toggle_mark(ed, &block, &field, start, end, mark);
                return;
            }
            "historyUndo" => {
                ed.undo();
                return;
            }
            "historyRedo" => {
                ed.redo();
                return;
            }
            _ => return,
        };
        if delete == 0 && insert.is_empty() {
            return;
        }
        type_in(ed, &block, &field, at, delete, &insert);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (ed, e);
}

/// Splices typed text into a field's draft, with the caret after it.
#[cfg(feature = "hydrate")]
fn type_in(ed: Ed, block: &str, field: &str, at: u32, delete: u32, insert: &str) {
    let caret = at + insert.encode_utf16().count() as u32;
    ed.focus.set_value(Some(Focus {
        block: block.into(),
        field: field.into(),
        start: caret,
        end: caret,
    }));
    ed.splice(block, field, at, delete, insert);
}

/// A keystroke left to the browser: characters typed at a caret inside a text node.
#[cfg(feature = "hydrate")]
pub struct Typed {
    block: String,
    field: String,
    /// Where they go in the field's text (UTF-16 units).
    at: u32,
    data: String,
    node: web_sys::Text,
    /// What the node shows once the browser has typed them.
    expected: String,
}

#[cfg(feature = "hydrate")]
impl Typed {
    /// `data` typed at the caret in `field_el`, when the browser will put it where the field
    /// would render it: a collapsed caret after the first character of a text node (at its end
    /// only outside links, which Chromium does not extend), no whitespace typed or next to the
    /// caret (the browser turns spaces into non-breaking ones, and a collapsed trailing space
    /// moves its caret).
    fn at_caret(
        field_el: &web_sys::Element,
        block: String,
        field: String,
        data: String,
    ) -> Option<Self> {
        use wasm_bindgen::JsCast;
        if data.is_empty() || data.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return None;
        }
        let sel = web_sys::window()?.get_selection().ok()??;
        if !sel.is_collapsed() {
            return None;
        }
        let node: web_sys::Text = sel.anchor_node()?.dyn_into().ok()?;
        let offset = sel.anchor_offset();
        let mut units: Vec<u16> = node.data().encode_utf16().collect();
        let len = units.len() as u32;
        if offset == 0 || offset > len {
            return None;
        }
        let space = |u: Option<&u16>| {
            u.and_then(|u| char::from_u32(u32::from(*u)))
                .is_some_and(char::is_whitespace)
        };
        if space(units.get(offset as usize - 1)) || space(units.get(offset as usize)) {
            return None;
        }
        if offset == len
            && node
                .parent_element()?
                .closest("a")
                .ok()?
                .is_some_and(|a| field_el.contains(Some(&a)))
        {
            return None;
        }
        let (start, _) = text::selection_in(field_el)?;
        units.splice(offset as usize..offset as usize, data.encode_utf16());
        Some(Self {
            block,
            field,
            at: start,
            expected: String::from_utf16(&units).ok()?,
            data,
            node,
        })
    }

    /// Whether the browser typed it as expected: the same node, still in the page, showing
    /// the characters where they were meant to go.
    fn landed(&self) -> bool {
        self.node.is_connected() && self.node.data() == self.expected
    }
}

/// Toggles bold/italic on a range: on unless the range's first character has it already.
#[cfg(feature = "hydrate")]
pub fn toggle_mark(ed: Ed, block: &str, field: &str, start: u32, end: u32, mark: &str) {
    let has = ed.with_tree(|b| {
        let rich = crate::blocks::RichText::from_value(super::tree::prop(b, block, field)?)?;
        let mut pos = 0u32;
        for run in rich.0 {
            let len = run.text.encode_utf16().count() as u32;
            if start < pos + len {
                return Some(if mark == "bold" { run.bold } else { run.italic });
            }
            pos += len;
        }
        None
    });
    let value = if has == Some(true) {
        Any::Null
    } else {
        Any::Bool(true)
    };
    ed.focus.set_value(Some(Focus {
        block: block.into(),
        field: field.into(),
        start,
        end,
    }));
    ed.format(block, field, start, end - start, mark, value);
}

/// After an input the editor did not intercept: the DOM's text is compared with the draft and
/// the difference applied. While an IME composes, nothing is read (`composed` does it once the
/// composition ends: Chromium's last `input` of a composition is still marked composing).
pub fn after_input(ed: Ed, e: leptos::ev::Event) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        if e.dyn_ref::<web_sys::InputEvent>()
            .is_some_and(|i| i.is_composing())
        {
            return;
        }
        if let Some(typed) = ed.typing.try_update_value(Option::take).flatten() {
            type_in(ed, &typed.block, &typed.field, typed.at, 0, &typed.data);
            if !typed.landed() {
                // The browser typed it some other way: the draft has what was typed, and the
                // block is mounted anew from it.
                ed.model.update_value(|m| m.remount(&typed.block));
            }
            return;
        }
        reconcile(ed, &e);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (ed, e);
}

/// An IME composition ended: the text it left in the field goes into the draft.
pub fn composed(ed: Ed, e: leptos::ev::CompositionEvent) {
    #[cfg(feature = "hydrate")]
    reconcile(ed, &e);
    #[cfg(not(feature = "hydrate"))]
    let _ = (ed, e);
}

/// Applies what the browser changed in a field's DOM by itself (an IME) to the draft.
#[cfg(feature = "hydrate")]
fn reconcile(ed: Ed, e: &leptos::ev::Event) {
    let Some(target) = e.target() else { return };
    let Some((el, block, field)) = text::field_at(&target) else {
        return;
    };
    let current = ed
        .with_tree(|b| prop_text(b, &block, &field))
        .unwrap_or_default();
    let shown = text::field_text(&el);
    if let Some((at, delete, insert)) = text_diff(&current, &shown) {
        let (start, end) = text::selection_in(&el).unwrap_or((0, 0));
        ed.focus.set_value(Some(Focus {
            block: block.clone(),
            field: field.clone(),
            start,
            end,
        }));
        ed.splice(&block, &field, at, delete, &insert);
        // The browser changed the field's DOM itself: the block is mounted anew from the
        // draft rather than patched.
        ed.model.update_value(|m| m.remount(&block));
    }
}

/// Remembers where the caret is in the focused field.
pub fn track(ed: Ed) {
    #[cfg(feature = "hydrate")]
    {
        let document = leptos::prelude::document();
        let Some(active) = document.active_element() else {
            return;
        };
        let Some((el, block, field)) = text::field_at(active.as_ref()) else {
            return;
        };
        if let Some((start, end)) = text::selection_in(&el) {
            ed.focus.set_value(Some(Focus {
                block,
                field,
                start,
                end,
            }));
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = ed;
}

/// Focus left a field for something else (not because its block re-rendered).
pub fn left(ed: Ed, e: FocusEvent) {
    #[cfg(feature = "hydrate")]
    {
        if e.related_target().is_some() {
            ed.focus.set_value(None);
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (ed, e);
}

/// A press outside any text field (and outside controls that act on it) ends in-place editing.
pub fn pressed(ed: Ed, e: leptos::ev::MouseEvent) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let inside = e
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|el| el.closest("[data-field], [data-keep-focus]").ok().flatten())
            .is_some();
        if !inside {
            ed.focus.set_value(None);
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (ed, e);
}

/// Editor shortcuts: undo/redo everywhere; block navigation, moving, duplicating and deleting
/// when no text is being edited.
#[cfg(feature = "hydrate")]
pub fn install_keys(ed: Ed) {
    let handle = window_event_listener(leptos::ev::keydown, move |e| on_key(ed, e));
    on_cleanup(move || handle.remove());
}

#[cfg(feature = "hydrate")]
fn on_key(ed: Ed, e: leptos::ev::KeyboardEvent) {
    use wasm_bindgen::JsCast;
    let ctrl = e.ctrl_key() || e.meta_key();
    let key = e.key();
    if ctrl && key.eq_ignore_ascii_case("z") {
        e.prevent_default();
        if e.shift_key() {
            ed.redo();
        } else {
            ed.undo();
        }
        return;
    }
    if ctrl && key.eq_ignore_ascii_case("y") {
        e.prevent_default();
        ed.redo();
        return;
    }
    let target = e
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok());
    let typing = target.as_ref().is_some_and(|t| {
        matches!(t.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
            || t.closest("[contenteditable]").ok().flatten().is_some()
    });
    if typing {
        if key == "Escape"
            && let Some(h) = target.and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok())
        {
            ed.focus.set_value(None);
            let _ = h.blur();
        }
        return;
    }
    let Some(id) = ed.selected.get_untracked() else {
        return;
    };
    match key.as_str() {
        "ArrowUp" | "ArrowDown" if e.alt_key() => {
            e.prevent_default();
            ed.step_move(&id, key == "ArrowUp");
        }
        "ArrowUp" | "ArrowDown" => {
            e.prevent_default();
            if let Some(next) = ed.with_tree(|b| super::tree::neighbour(b, &id, key == "ArrowUp")) {
                ed.select(Some(next));
            }
        }
        "Delete" | "Backspace" => {
            e.prevent_default();
            ed.remove(&id);
        }
        "d" | "D" if ctrl => {
            e.prevent_default();
            ed.duplicate(&id);
        }
        "Escape" => ed.select(None),
        _ => {}
    }
}
