//! Text fields edited in place on the canvas (`contenteditable`, bound to `Y.Text`). The DOM of
//! a field is what the block component renders: text, inline marks (`strong`, `em`, `a`) and,
//! for multi-line fields, one `<p>` per paragraph. Its *logical text* is the field's text with
//! `\n` between paragraphs; offsets are UTF-16 units, as in the DOM and in the draft.

use wasm_bindgen::JsCast;
use web_sys::{Element, Node};

fn is_paragraph(node: &Node) -> bool {
    node.dyn_ref::<Element>()
        .is_some_and(|e| matches!(e.tag_name().as_str(), "P" | "DIV" | "LI"))
}

/// Walks a field's DOM in order, calling `visit` for text nodes, elements, and paragraph
/// starts other than the first (each counts as `\n`). Stops when `visit` returns true.
fn walk(node: &Node, first_para: &mut bool, visit: &mut dyn FnMut(Visit) -> bool) -> bool {
    let children = node.child_nodes();
    for i in 0..children.length() {
        let Some(child) = children.item(i) else {
            continue;
        };
        if child.node_type() == Node::TEXT_NODE {
            if visit(Visit::Text(&child)) {
                return true;
            }
        } else if child.node_type() == Node::ELEMENT_NODE {
            if is_paragraph(&child) {
                if *first_para {
                    *first_para = false;
                } else if visit(Visit::Break(&child)) {
                    return true;
                }
            }
            if visit(Visit::Enter(&child)) || walk(&child, first_para, visit) {
                return true;
            }
        }
    }
    false
}

enum Visit<'a> {
    Text(&'a Node),
    /// A new paragraph starts (counts as `\n`).
    Break(&'a Node),
    Enter(&'a Node),
}

fn utf16_len(node: &Node) -> u32 {
    node.text_content()
        .map(|t| t.encode_utf16().count() as u32)
        .unwrap_or(0)
}

/// The logical text of a field.
pub fn field_text(root: &Element) -> String {
    let mut out = String::new();
    let mut first = true;
    walk(root, &mut first, &mut |v| {
        match v {
            Visit::Text(n) => out.push_str(&n.text_content().unwrap_or_default()),
            Visit::Break(_) => out.push('\n'),
            Visit::Enter(_) => {}
        }
        false
    });
    out
}

/// The logical offset of a DOM position (`node`, `offset`) inside `root`.
fn offset_of(root: &Element, node: &Node, offset: u32) -> Option<u32> {
    let root_node: &Node = root.as_ref();
    if !root_node.contains(Some(node)) {
        return None;
    }
    if node.node_type() == Node::TEXT_NODE {
        return offset_start(root, node).map(|s| s + offset);
    }
    if let Some(child) = node.child_nodes().item(offset) {
        return offset_start(root, &child);
    }
    // The end of an element.
    if node == root_node {
        return Some(field_text(root).encode_utf16().count() as u32);
    }
    Some(offset_start(root, node)? + utf16_len(node))
}

/// Logical offset where `node` starts.
fn offset_start(root: &Element, node: &Node) -> Option<u32> {
    let mut pos = 0u32;
    let mut found = None;
    let mut first = true;
    walk(root, &mut first, &mut |v| match v {
        Visit::Text(n) => {
            if n == node {
                found = Some(pos);
                return true;
            }
            pos += utf16_len(n);
            false
        }
        Visit::Break(n) => {
            pos += 1;
            if n == node {
                found = Some(pos);
                return true;
            }
            false
        }
        Visit::Enter(n) => {
            if n == node {
                found = Some(pos);
                return true;
            }
            false
        }
    });
    found
}

/// The selection inside a field as logical offsets `(start, end)`, start ≤ end.
pub fn selection_in(root: &Element) -> Option<(u32, u32)> {
    let sel = web_sys::window()?.get_selection().ok()??;
    let anchor = sel.anchor_node()?;
    let focus = sel.focus_node()?;
    let a = offset_of(root, &anchor, sel.anchor_offset())?;
    let f = offset_of(root, &focus, sel.focus_offset())?;
    Some((a.min(f), a.max(f)))
}

/// Puts the caret (or a selection) at logical offsets inside a field.
pub fn select_in(root: &Element, start: u32, end: u32) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let (Some((sn, so)), Some((en, eo))) = (locate(root, start), locate(root, end)) else {
        return;
    };
    // One call: removing every range and adding a new one costs the browser two selection
    // updates per keystroke.
    if let Ok(Some(sel)) = window.get_selection() {
        let _ = sel.set_base_and_extent(&sn, so, &en, eo);
    }
}

/// The DOM position of a logical offset: a text node and an offset in it, or a paragraph
/// element (empty paragraphs) with offset 0.
fn locate(root: &Element, target: u32) -> Option<(Node, u32)> {
    let mut pos = 0u32;
    let mut candidate: Option<(Node, u32)> = Some((root.clone().into(), 0));
    let mut first = true;
    let mut hit = None;
    walk(root, &mut first, &mut |v| match v {
        Visit::Text(n) => {
            let len = utf16_len(n);
            if target <= pos + len {
                hit = Some((n.clone(), target - pos));
                return true;
            }
            pos += len;
            candidate = Some((n.clone(), len));
            false
        }
        Visit::Break(p) => {
            pos += 1;
            if target == pos {
                // The start of this paragraph; a text node inside it may follow.
                candidate = Some((p.clone(), 0));
            }
            false
        }
        Visit::Enter(_) => false,
    });
    // Past every text node: the end of the last text, or an empty last paragraph.
    hit.or(candidate)
}

/// The field element (`[data-field]`) an event target is in, with its block id and field.
pub fn field_at(target: &web_sys::EventTarget) -> Option<(Element, String, String)> {
    let el: Element = match target.dyn_ref::<Element>() {
        Some(e) => e.clone(),
        None => target.dyn_ref::<Node>()?.parent_element()?,
    };
    let field_el = el.closest("[data-field]").ok()??;
    let field = field_el.get_attribute("data-field")?;
    let block = field_el.closest("[data-block-id]").ok()??;
    let block_id = block.get_attribute("data-block-id")?;
    Some((field_el, block_id, field))
}
