//! Editing operations on a draft document, as the editor performs them. Each takes an open
//! transaction, so a caller groups several into one undo step. Offsets into text are in the
//! document's offset kind (the editor uses UTF-16, as the DOM and Yjs do).
//!
//! Moving a block is a delete plus a re-insert of a copy with the same id: stock Yjs clients
//! cannot decode yrs' move items, and the draft is a contract other clients speak.

use super::{BLOCKS_ROOT, PAGE_ROOT, out_to_json, write_text};
use crate::blocks::{BlockNode, BlockType, FieldKind};
use serde_json::{Map, Value};
use yrs::{
    Any, Array, ArrayPrelim, ArrayRef, Doc, GetString, Map as YMap, MapPrelim, MapRef, Out,
    ReadTxn, Text, TextPrelim, TextRef, TransactionMut,
};

/// Where a block sits: its parent array, its index there, and its map.
pub struct Located {
    pub parent: ArrayRef,
    pub index: u32,
    pub map: MapRef,
}

/// Where to put a block: inside `parent` (a container's id, or `None` for the page) at `index`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slot {
    pub parent: Option<String>,
    pub index: u32,
}

/// The roots of a draft document.
pub fn roots(doc: &Doc) -> (yrs::MapRef, ArrayRef) {
    (
        doc.get_or_insert_map(PAGE_ROOT),
        doc.get_or_insert_array(BLOCKS_ROOT),
    )
}

/// A new block of `block_type` with every prop at its default.
pub fn new_block(block_type: BlockType, id: String) -> BlockNode {
    let props = block_type
        .fields()
        .iter()
        .map(|f| (f.name.to_string(), f.default.to_value()))
        .collect();
    BlockNode {
        id,
        block_type: block_type.name().to_string(),
        props,
        children: Vec::new(),
    }
}

/// Finds a block anywhere in the tree by id (first in document order). Looks no deeper than
/// blocks can nest in a document within [`super::MAX_NESTING`] levels.
pub fn find_block<T: ReadTxn>(txn: &T, root: &ArrayRef, id: &str) -> Option<Located> {
    // Pre-order with an explicit stack of (array, its items, next index, depth).
    let mut stack = vec![(root.clone(), root.iter(txn), 0u32, 1usize)];
    while let Some((array, items, index, depth)) = stack.last_mut() {
        let Some(item) = items.next() else {
            stack.pop();
            continue;
        };
        let (at, depth) = (*index, *depth);
        *index += 1;
        let Out::YMap(map) = item else { continue };
        if block_id(txn, &map).as_deref() == Some(id) {
            return Some(Located {
                parent: array.clone(),
                index: at,
                map,
            });
        }
        if depth < MAX_BLOCK_LEVELS
            && let Some(Out::YArray(children)) = map.get(txn, "children")
        {
            let items = children.iter(txn);
            stack.push((children, items, 0, depth + 1));
        }
    }
    None
}

/// Levels of blocks that fit in [`super::MAX_NESTING`]: each takes two (map, children).
const MAX_BLOCK_LEVELS: usize = super::MAX_NESTING / 2;

fn block_id<T: ReadTxn>(txn: &T, map: &MapRef) -> Option<String> {
    match map.get(txn, "id") {
        Some(Out::Any(Any::String(s))) => Some(s.to_string()),
        _ => None,
    }
}

/// The array a slot points into: the page's blocks, or a container's children (created when
/// missing). `None` when the parent does not exist or is not a container.
fn slot_array(txn: &mut TransactionMut, root: &ArrayRef, parent: Option<&str>) -> Option<ArrayRef> {
    let Some(parent) = parent else {
        return Some(root.clone());
    };
    let found = find_block(txn, root, parent)?;
    let is_container = match found.map.get(txn, "type") {
        Some(Out::Any(Any::String(t))) => {
            BlockType::from_name(&t).is_some_and(|t| t.is_container())
        }
        _ => false,
    };
    if !is_container {
        return None;
    }
    match found.map.get(txn, "children") {
        Some(Out::YArray(children)) => Some(children),
        _ => Some(found.map.insert(txn, "children", ArrayPrelim::default())),
    }
}

/// Inserts a block (and its children) at `index` of `array`. Text props become `Y.Text`.
pub fn insert_node(txn: &mut TransactionMut, array: &ArrayRef, index: u32, node: &BlockNode) {
    // Parents before children, with an explicit stack (a node tree may be deep).
    let mut stack = vec![(array.clone(), index, node)];
    while let Some((array, index, node)) = stack.pop() {
        let map = array.insert(
            txn,
            index.min(array.len(txn)),
            MapPrelim::from([
                ("id", Any::from(node.id.as_str())),
                ("type", Any::from(node.block_type.as_str())),
            ]),
        );
        let props = map.insert(txn, "props", MapPrelim::default());
        let fields = BlockType::from_name(&node.block_type).map(BlockType::fields);
        for (name, value) in &node.props {
            let kind = fields
                .and_then(|f| f.iter().find(|f| f.name == name))
                .map(|f| f.kind);
            write_prop(txn, &props, name, kind, value);
        }
        let children = map.insert(txn, "children", ArrayPrelim::default());
        // Reversed, so the first child is inserted first (each at its own index).
        for (i, child) in node.children.iter().enumerate().rev() {
            stack.push((children.clone(), i as u32, child));
        }
    }
}

fn write_prop(
    txn: &mut TransactionMut,
    props: &MapRef,
    name: &str,
    kind: Option<FieldKind>,
    value: &Value,
) {
    let is_text = matches!(
        kind,
        Some(FieldKind::Text | FieldKind::LongText | FieldKind::RichText)
    );
    match crate::blocks::RichText::from_value(value) {
        Some(rich) if is_text => {
            let text = props.insert(txn, name, TextPrelim::new(""));
            write_text(txn, &text, &rich);
        }
        _ => {
            let any: Any = serde_json::from_value(value.clone()).unwrap_or(Any::Null);
            props.insert(txn, name, any);
        }
    }
}

/// Inserts a block into a slot. Returns false when the slot's parent is not a container.
pub fn insert_at(txn: &mut TransactionMut, root: &ArrayRef, slot: &Slot, node: &BlockNode) -> bool {
    match slot_array(txn, root, slot.parent.as_deref()) {
        Some(array) => {
            insert_node(txn, &array, slot.index, node);
            true
        }
        None => false,
    }
}

/// Reads one block as a node (text props as Yjs deltas).
pub fn read_node<T: ReadTxn>(txn: &T, map: &MapRef) -> BlockNode {
    super::node_from_value(&out_to_json(txn, Out::YMap(map.clone())))
}

/// Deletes a block (and its children). Returns whether it existed.
pub fn delete_block(txn: &mut TransactionMut, root: &ArrayRef, id: &str) -> bool {
    match find_block(txn, root, id) {
        Some(found) => {
            found.parent.remove(txn, found.index);
            true
        }
        None => false,
    }
}

/// Moves a block into `to`. `to.index` counts positions as they are *before* the move.
/// Refuses (false) to move a block into itself or into a non-container.
pub fn move_block(txn: &mut TransactionMut, root: &ArrayRef, id: &str, to: &Slot) -> bool {
    let Some(found) = find_block(txn, root, id) else {
        return false;
    };
    let node = read_node(txn, &found.map);
    if let Some(parent) = &to.parent
        && (parent == id || node_contains(&node, parent))
    {
        return false;
    }
    let Some(target) = slot_array(txn, root, to.parent.as_deref()) else {
        return false;
    };
    let mut index = to.index;
    if target.as_ref() == found.parent.as_ref() {
        if index == found.index || index == found.index + 1 {
            return true; // already there
        }
        if index > found.index {
            index -= 1;
        }
    }
    found.parent.remove(txn, found.index);
    insert_node(txn, &target, index, &node);
    true
}

fn node_contains(node: &BlockNode, id: &str) -> bool {
    let mut stack: Vec<&BlockNode> = node.children.iter().collect();
    while let Some(n) = stack.pop() {
        if n.id == id {
            return true;
        }
        stack.extend(n.children.iter());
    }
    false
}

/// Copies a block right after itself with fresh ids (from `next_id`). Returns the copy's id.
pub fn duplicate_block(
    txn: &mut TransactionMut,
    root: &ArrayRef,
    id: &str,
    next_id: &mut dyn FnMut() -> String,
) -> Option<String> {
    let found = find_block(txn, root, id)?;
    let mut node = read_node(txn, &found.map);
    // Pre-order, so the copy takes the first id and its children the next ones in order.
    let mut stack = vec![&mut node];
    while let Some(n) = stack.pop() {
        n.id = next_id();
        stack.extend(n.children.iter_mut().rev());
    }
    insert_node(txn, &found.parent, found.index + 1, &node);
    Some(node.id)
}

/// The `props` map of a block, created when missing.
fn props_of(txn: &mut TransactionMut, block: &MapRef) -> MapRef {
    match block.get(txn, "props") {
        Some(Out::YMap(props)) => props,
        _ => block.insert(txn, "props", MapPrelim::default()),
    }
}

/// Sets a non-text prop (number, toggle, select, URL, image, list…) to a JSON value.
pub fn set_prop(
    txn: &mut TransactionMut,
    root: &ArrayRef,
    id: &str,
    field: &str,
    value: &Value,
) -> bool {
    let Some(found) = find_block(txn, root, id) else {
        return false;
    };
    let props = props_of(txn, &found.map);
    let any: Any = serde_json::from_value(value.clone()).unwrap_or(Any::Null);
    props.insert(txn, field, any);
    true
}

/// The `Y.Text` of a text prop, ready to type into. A plain string in its place (which other
/// clients may write) is turned into a `Y.Text` with the same content first.
pub fn text_prop(
    txn: &mut TransactionMut,
    root: &ArrayRef,
    id: &str,
    field: &str,
) -> Option<TextRef> {
    let found = find_block(txn, root, id)?;
    let props = props_of(txn, &found.map);
    match props.get(txn, field) {
        Some(Out::YText(text)) => Some(text),
        other => {
            let current = match other {
                Some(Out::Any(Any::String(s))) => s.to_string(),
                _ => String::new(),
            };
            let text = props.insert(txn, field, TextPrelim::new(current));
            Some(text)
        }
    }
}

/// Replaces `delete` characters at `at` with `insert` (an edit as a text input reports it).
/// New text takes the formatting of the text before it, as in any word processor.
pub fn splice_text(txn: &mut TransactionMut, text: &TextRef, at: u32, delete: u32, insert: &str) {
    let len = text.len(txn);
    let at = at.min(len);
    let delete = delete.min(len - at);
    if delete > 0 {
        text.remove_range(txn, at, delete);
    }
    if !insert.is_empty() {
        text.insert(txn, at, insert);
    }
}

/// The smallest splice turning `old` into `new`, in UTF-16 units: `(at, delete, insert)`.
pub fn text_diff(old: &str, new: &str) -> Option<(u32, u32, String)> {
    if old == new {
        return None;
    }
    let a: Vec<u16> = old.encode_utf16().collect();
    let b: Vec<u16> = new.encode_utf16().collect();
    let mut start = 0;
    while start < a.len() && start < b.len() && a[start] == b[start] {
        start += 1;
    }
    let mut end = 0;
    while end < a.len() - start
        && end < b.len() - start
        && a[a.len() - 1 - end] == b[b.len() - 1 - end]
    {
        end += 1;
    }
    // Never split a surrogate pair.
    while start > 0 && (0xDC00..0xE000).contains(&b.get(start).copied().unwrap_or(0)) {
        start -= 1;
    }
    let inserted = String::from_utf16_lossy(&b[start..b.len() - end]);
    Some((start as u32, (a.len() - end - start) as u32, inserted))
}

/// Sets one formatting attribute (`bold`, `italic`, `link`) on a range; `Any::Null` clears it.
pub fn format_text(
    txn: &mut TransactionMut,
    text: &TextRef,
    at: u32,
    len: u32,
    name: &str,
    value: Any,
) {
    let attrs = yrs::types::Attrs::from([(name.into(), value)]);
    text.format(txn, at, len, attrs);
}

/// The plain content of a text prop (formatting dropped).
pub fn text_string<T: ReadTxn>(txn: &T, text: &TextRef) -> String {
    text.get_string(txn)
}

/// Sets one of the draft's page fields; an empty search field is removed (not set).
pub fn set_page_field(
    txn: &mut TransactionMut,
    page: &yrs::MapRef,
    field: super::PageField,
    value: &str,
) {
    if value.is_empty() && field.optional() {
        page.remove(txn, field.name());
    } else {
        page.insert(txn, field.name(), value);
    }
}

/// Every block id in the tree (pre-order), to make fresh ids unique.
pub fn all_ids(blocks: &[Value]) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack: Vec<&Value> = blocks.iter().rev().collect();
    while let Some(v) = stack.pop() {
        if let Some(id) = v.get("id").and_then(Value::as_str) {
            out.push(id.to_string());
        }
        if let Some(children) = v.get("children").and_then(Value::as_array) {
            stack.extend(children.iter().rev());
        }
    }
    out
}

/// A node's props as a JSON map (for tests and callers that build nodes by hand).
pub fn props_map(pairs: &[(&str, Value)]) -> Map<String, Value> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::{new_doc, read_draft};
    use super::*;
    use crate::blocks::{PageType, validate_tree};
    use serde_json::json;
    use yrs::{Transact, updates::decoder::Decode};

    fn ids(doc: &Doc) -> Vec<String> {
        all_ids(&read_draft(doc).blocks)
    }

    fn doc_with(nodes: &[BlockNode]) -> Doc {
        let doc = new_doc();
        let (_, root) = roots(&doc);
        let mut txn = doc.transact_mut();
        for (i, n) in nodes.iter().enumerate() {
            insert_node(&mut txn, &root, i as u32, n);
        }
        drop(txn);
        doc
    }

    fn cols(id: &str, children: Vec<BlockNode>) -> BlockNode {
        BlockNode {
            children,
            ..new_block(BlockType::Columns, id.into())
        }
    }

    #[test]
    fn a_new_block_has_every_default_and_validates_once_required_fields_are_filled() {
        let mut hero = new_block(BlockType::Hero, "h1".into());
        assert_eq!(hero.props["align"], "left");
        assert!(validate_tree(PageType::Home, std::slice::from_ref(&hero)).is_err());
        hero.props.insert("heading".into(), json!("Hi"));
        let doc = doc_with(&[hero]);
        let nodes = read_draft(&doc).nodes();
        let typed = validate_tree(PageType::Home, &nodes).unwrap();
        assert_eq!(typed[0].id, "h1");
    }

    #[test]
    fn blocks_move_within_a_list_into_and_out_of_columns() {
        let doc = doc_with(&[
            new_block(BlockType::Spacer, "a".into()),
            new_block(BlockType::Divider, "b".into()),
            cols("c", vec![new_block(BlockType::Spacer, "d".into())]),
        ]);
        let (_, root) = roots(&doc);
        let mut txn = doc.transact_mut();
        // a to the end of the page
        assert!(move_block(
            &mut txn,
            &root,
            "a",
            &Slot {
                parent: None,
                index: 3
            }
        ));
        drop(txn);
        assert_eq!(ids(&doc), ["b", "c", "d", "a"]);
        let mut txn = doc.transact_mut();
        // b into the columns, before d
        assert!(move_block(
            &mut txn,
            &root,
            "b",
            &Slot {
                parent: Some("c".into()),
                index: 0
            }
        ));
        // d out of the columns, to the top
        assert!(move_block(
            &mut txn,
            &root,
            "d",
            &Slot {
                parent: None,
                index: 0
            }
        ));
        // a block cannot go into itself, nor into a non-container
        assert!(!move_block(
            &mut txn,
            &root,
            "c",
            &Slot {
                parent: Some("c".into()),
                index: 0
            }
        ));
        assert!(!move_block(
            &mut txn,
            &root,
            "a",
            &Slot {
                parent: Some("d".into()),
                index: 0
            }
        ));
        drop(txn);
        let draft = read_draft(&doc);
        assert_eq!(all_ids(&draft.blocks), ["d", "c", "b", "a"]);
        assert_eq!(draft.blocks[1]["children"][0]["id"], "b");
    }

    #[test]
    fn a_moved_block_keeps_its_formatted_text_and_unknown_props() {
        let mut rt = new_block(BlockType::RichText, "r".into());
        rt.props.insert(
            "body".into(),
            json!([{"insert": "Hello "}, {"insert": "world", "attributes": {"bold": true}}]),
        );
        rt.props.insert("future_prop".into(), json!(7));
        let doc = doc_with(&[new_block(BlockType::Spacer, "s".into()), rt]);
        let before = read_draft(&doc).blocks[1].clone();
        let (_, root) = roots(&doc);
        assert!(move_block(
            &mut doc.transact_mut(),
            &root,
            "r",
            &Slot {
                parent: None,
                index: 0
            }
        ));
        assert_eq!(read_draft(&doc).blocks[0], before);
    }

    #[test]
    fn duplicate_renumbers_the_copy_and_its_children() {
        let doc = doc_with(&[cols("c", vec![new_block(BlockType::Spacer, "d".into())])]);
        let (_, root) = roots(&doc);
        let mut n = 0;
        let copy = duplicate_block(&mut doc.transact_mut(), &root, "c", &mut || {
            n += 1;
            format!("n{n}")
        });
        assert_eq!(copy.as_deref(), Some("n1"));
        assert_eq!(ids(&doc), ["c", "d", "n1", "n2"]);
        assert!(delete_block(&mut doc.transact_mut(), &root, "d"));
        assert_eq!(ids(&doc), ["c", "n1", "n2"]);
    }

    #[test]
    fn typing_into_a_plain_string_prop_turns_it_into_text_and_keeps_formatting() {
        let mut hero = new_block(BlockType::Hero, "h".into());
        hero.props.insert("heading".into(), json!("Hello"));
        let doc = doc_with(&[hero]);
        let (_, root) = roots(&doc);
        // Another client wrote a plain string.
        {
            let mut txn = doc.transact_mut();
            let found = find_block(&txn, &root, "h").unwrap();
            let props = props_of(&mut txn, &found.map);
            props.insert(&mut txn, "heading", "Hello");
        }
        let mut txn = doc.transact_mut();
        let text = text_prop(&mut txn, &root, "h", "heading").unwrap();
        splice_text(&mut txn, &text, 5, 0, " there");
        format_text(&mut txn, &text, 0, 5, "bold", Any::Bool(true));
        splice_text(&mut txn, &text, 2, 0, "y");
        drop(txn);
        let heading = &read_draft(&doc).blocks[0]["props"]["heading"];
        assert_eq!(
            heading,
            &json!([{"insert": "Heyllo", "attributes": {"bold": true}}, {"insert": " there"}])
        );
    }

    #[test]
    fn text_diff_finds_the_smallest_splice_in_utf16() {
        assert_eq!(text_diff("abc", "abc"), None);
        assert_eq!(text_diff("abc", "abXc"), Some((2, 0, "X".into())));
        assert_eq!(text_diff("abc", "ac"), Some((1, 1, String::new())));
        assert_eq!(text_diff("aaa", "aaaa"), Some((3, 0, "a".into())));
        assert_eq!(text_diff("😀x", "😁x"), Some((0, 2, "😁".into())));
        assert_eq!(text_diff("", "héllo"), Some((0, 0, "héllo".into())));
    }

    #[test]
    fn two_people_typing_in_one_field_merge_character_by_character() {
        let mut hero = new_block(BlockType::Hero, "h".into());
        hero.props.insert("heading".into(), json!("ac"));
        let a = doc_with(&[hero]);
        let b = new_doc();
        let sync = |from: &Doc, to: &Doc| {
            let sv = to.transact().state_vector();
            let update = from.transact().encode_state_as_update_v1(&sv);
            to.transact_mut()
                .apply_update(yrs::Update::decode_v1(&update).unwrap())
                .unwrap();
        };
        sync(&a, &b);
        for (doc, at, s) in [(&a, 1, "B"), (&b, 2, "D")] {
            let (_, root) = roots(doc);
            let mut txn = doc.transact_mut();
            let text = text_prop(&mut txn, &root, "h", "heading").unwrap();
            splice_text(&mut txn, &text, at, 0, s);
        }
        sync(&a, &b);
        sync(&b, &a);
        assert_eq!(read_draft(&a), read_draft(&b));
        assert_eq!(
            read_draft(&a).blocks[0]["props"]["heading"],
            json!([{"insert": "aBcD"}])
        );
    }
}
