//! The draft document ↔ JSON. Roots: `page` (Y.Map of page fields) and
//! `blocks` (Y.Array of block maps: `id`, `type`, `props` (Y.Map), `children` (Y.Array)).
//! Text props are `Y.Text` (formatting as `bold` / `italic` / `link` attributes); reading turns
//! them into Yjs deltas, which the block validator accepts for every text kind.
//!
//! A peer controls how deeply the document nests, so reading stops at [`MAX_NESTING`] levels
//! (see [`nesting`]) and the walks here never recurse once per level of input.

use crate::blocks::{Block, BlockNode, RichText};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::Arc;
use yrs::types::text::{Diff, YChange};
use yrs::{
    Any, Array, ArrayRef, Doc, Map as YMap, Out, ReadTxn, Text, TextRef, Transact, TransactionMut,
};

pub mod edit;
pub mod nesting;
pub mod page_fields;
pub mod update;

pub use nesting::{MAX_NESTING, contains_too_deep, rebuild_if_too_deep, too_deep_marker};
pub use page_fields::{PageField, PageFields};
pub use update::{CheckedUpdate, UpdateError, apply_update, decode_update};

pub const PAGE_ROOT: &str = "page";
pub const BLOCKS_ROOT: &str = "blocks";

/// The draft read as JSON: page fields and raw block nodes.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct DraftJson {
    pub page: Map<String, Value>,
    pub blocks: Vec<Value>,
}

impl DraftJson {
    /// The blocks as nodes for validation; a block map that is not even node-shaped (no string
    /// `id`/`type`) becomes a node with what could be read, so validation reports it.
    pub fn nodes(&self) -> Vec<BlockNode> {
        self.blocks.iter().map(node_from_value).collect()
    }
}

/// How many levels of blocks [`node_from_value`] reads: one more than the validator allows,
/// so it reports the first level too many. Deeper blocks are left out of the node tree.
pub const MAX_NODE_DEPTH: usize = crate::blocks::validate::MAX_DEPTH + 1;

/// One block map read as JSON → a node for validation (see [`DraftJson::nodes`]). Blocks
/// nested below [`MAX_NODE_DEPTH`] levels are not read.
pub fn node_from_value(v: &Value) -> BlockNode {
    node_at(v, 1)
}

fn node_at(v: &Value, depth: usize) -> BlockNode {
    let obj = v.as_object();
    let text = |k: &str| {
        obj.and_then(|o| o.get(k))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let children = match obj
        .and_then(|o| o.get("children"))
        .and_then(Value::as_array)
    {
        // Recursion bounded by MAX_NODE_DEPTH, whatever the input.
        Some(c) if depth < MAX_NODE_DEPTH => c.iter().map(|c| node_at(c, depth + 1)).collect(),
        _ => Vec::new(),
    };
    BlockNode {
        id: text("id"),
        block_type: text("type"),
        props: obj
            .and_then(|o| o.get("props"))
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default(),
        children,
    }
}

/// Reads the draft.
pub fn read_draft(doc: &Doc) -> DraftJson {
    let page = doc.get_or_insert_map(PAGE_ROOT);
    let blocks = doc.get_or_insert_array(BLOCKS_ROOT);
    let txn = doc.transact();
    let page = match out_to_json(&txn, Out::YMap(page)) {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    let blocks = match out_to_json(&txn, Out::YArray(blocks)) {
        Value::Array(a) => a,
        _ => Vec::new(),
    };
    DraftJson { page, blocks }
}

/// One block of the draft as JSON, exactly as [`read_draft`] reads it in its place: found by
/// its index path (`[i]`: the page's i-th block, `[i, j]`: that block's j-th child …).
/// `None` when there is no block map there.
pub fn read_block<T: ReadTxn>(txn: &T, root: &ArrayRef, path: &[u32]) -> Option<Value> {
    let (&last, parents) = path.split_last()?;
    let mut array = root.clone();
    for &i in parents {
        let Some(Out::YMap(block)) = array.get(txn, i) else {
            return None;
        };
        let Some(Out::YArray(children)) = block.get(txn, "children") else {
            return None;
        };
        array = children;
    }
    match array.get(txn, last)? {
        // The root array is level 1; each block map and children array one more.
        map @ Out::YMap(_) => Some(out_at(txn, map, 2 * path.len())),
        _ => None,
    }
}

/// What a change inside the `blocks` root touched, from a deep-observe event's path: the
/// index path of the one block whose content (props, or any key but `id`, `type` and
/// `children`) changed, or `None` when the tree's shape may have changed (blocks added,
/// removed or moved, a block map's own keys set).
pub fn changed_block(path: &yrs::types::Path) -> Option<Vec<u32>> {
    use yrs::types::PathSegment;
    let mut blocks = Vec::new();
    let mut segments = path.iter();
    loop {
        // An index into the page's blocks or a container's children: a block map.
        let Some(PathSegment::Index(i)) = segments.next() else {
            return None;
        };
        blocks.push(*i);
        match segments.next() {
            // The block map itself.
            None => return None,
            Some(PathSegment::Key(k)) if k.as_ref() == "children" => continue,
            Some(PathSegment::Key(k)) if matches!(k.as_ref(), "id" | "type") => return None,
            Some(_) => return Some(blocks),
        }
    }
}

/// A value of the document as JSON, the root types at level 1: a container that would sit
/// deeper than [`MAX_NESTING`] levels is read as the [marker](too_deep_marker). The recursion
/// is bounded by that limit, not by the input.
pub(crate) fn out_to_json<T: ReadTxn>(txn: &T, v: Out) -> Value {
    out_at(txn, v, 1)
}

fn out_at<T: ReadTxn>(txn: &T, v: Out, level: usize) -> Value {
    match v {
        Out::Any(a) => any_at(&a, level),
        Out::YMap(m) => nested(level, || {
            Value::Object(
                m.iter(txn)
                    .map(|(k, v)| (k.to_string(), out_at(txn, v, level + 1)))
                    .collect(),
            )
        }),
        Out::YArray(a) => nested(level, || {
            Value::Array(a.iter(txn).map(|v| out_at(txn, v, level + 1)).collect())
        }),
        // A delta: ops at the next level, their insert and attributes at the one after.
        Out::YText(t) => nested(level, || {
            let diff: Vec<Diff<YChange>> = t.diff(txn, YChange::identity);
            Value::Array(
                diff.into_iter()
                    .map(|d| {
                        nested(level + 1, || {
                            let mut op = Map::new();
                            op.insert("insert".into(), out_at(txn, d.insert, level + 2));
                            if let Some(attrs) = d.attributes {
                                let attrs = nested(level + 2, || {
                                    Value::Object(
                                        attrs
                                            .iter()
                                            .map(|(k, v)| (k.to_string(), any_at(v, level + 3)))
                                            .collect(),
                                    )
                                });
                                op.insert("attributes".into(), attrs);
                            }
                            Value::Object(op)
                        })
                    })
                    .collect(),
            )
        }),
        // XML, sub-documents and types of unknown kind are no part of a draft (and reading
        // XML as a string would recurse into it).
        _ => Value::Null,
    }
}

/// A plain value (`Any`) at `level`, cut off like shared types.
fn any_at(a: &Any, level: usize) -> Value {
    match a {
        Any::Array(items) => nested(level, || {
            Value::Array(items.iter().map(|v| any_at(v, level + 1)).collect())
        }),
        Any::Map(entries) => nested(level, || {
            Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), any_at(v, level + 1)))
                    .collect(),
            )
        }),
        scalar => serde_json::to_value(scalar).unwrap_or(Value::Null),
    }
}

/// The container built by `read` when `level` is within [`MAX_NESTING`], else the marker.
fn nested(level: usize, read: impl FnOnce() -> Value) -> Value {
    if level > MAX_NESTING {
        too_deep_marker()
    } else {
        read()
    }
}

/// Fills an empty document with a page and its typed blocks (seeding a draft from the live
/// revision). Text props become `Y.Text` so editors can type into them together.
pub fn seed_doc(doc: &Doc, fields: &PageFields, blocks: &[Block]) {
    let page = doc.get_or_insert_map(PAGE_ROOT);
    let root = doc.get_or_insert_array(BLOCKS_ROOT);
    let mut txn = doc.transact_mut();
    write_page_fields(&mut txn, &page, fields);
    for block in blocks {
        push_block(&mut txn, &root, block);
    }
}

/// Writes every page field into the draft's `page` map (an unset search field is removed).
pub fn write_page_fields(txn: &mut TransactionMut, page: &yrs::MapRef, fields: &PageFields) {
    for field in PageField::ALL {
        edit::set_page_field(txn, page, field, fields.get(field));
    }
}

/// Appends one typed block (and its children) to a Y.Array.
pub fn push_block(txn: &mut TransactionMut, array: &ArrayRef, block: &Block) {
    let node: BlockNode = serde_json::to_value(block)
        .and_then(serde_json::from_value)
        .unwrap_or_default();
    let end = array.len(txn);
    edit::insert_node(txn, array, end, &node);
}

/// Writes formatted runs into an empty `Y.Text`.
pub(crate) fn write_text(txn: &mut TransactionMut, text: &TextRef, rich: &RichText) {
    let mut at = text.len(txn);
    for run in &rich.0 {
        let mut attrs: HashMap<Arc<str>, Any> = HashMap::new();
        if run.bold {
            attrs.insert("bold".into(), Any::Bool(true));
        }
        if run.italic {
            attrs.insert("italic".into(), Any::Bool(true));
        }
        if let Some(link) = &run.link {
            attrs.insert("link".into(), Any::from(link.as_str()));
        }
        if attrs.is_empty() {
            text.insert(txn, at, &run.text);
        } else {
            text.insert_with_attributes(txn, at, &run.text, attrs);
        }
        at = text.len(txn);
    }
}

/// A document as Vitrine keeps drafts: UTF-16 offsets (as Yjs and the DOM count) and no
/// garbage collection of deleted content (yrs 0.28 mis-integrates some GC'd ranges).
pub fn new_doc() -> Doc {
    Doc::with_options(yrs::Options {
        skip_gc: true,
        offset_kind: yrs::OffsetKind::Utf16,
        ..yrs::Options::default()
    })
}

/// A block as the editor's canvas shows it while it is being written: every prop that passes
/// its descriptor, the default for any that does not yet (publish reports those). `None` for
/// a type this version does not know. Children are not included.
pub fn preview_block(node: &BlockNode) -> Option<Block> {
    let block_type = crate::blocks::BlockType::from_name(&node.block_type)?;
    let props: serde_json::Map<String, Value> = block_type
        .fields()
        .iter()
        .map(|f| {
            let value = crate::blocks::validate::preview_value(f, node.props.get(f.name));
            (f.name.to_string(), value)
        })
        .collect();
    let props = crate::blocks::BlockProps::from_parts(block_type, Value::Object(props)).ok()?;
    Some(Block {
        id: node.id.clone(),
        props,
        children: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blocks::{PageType, validate_tree};
    use serde_json::json;

    #[test]
    fn the_canvas_shows_text_past_its_limits_as_typed_and_other_bad_values_as_defaults() {
        let long = "x".repeat(130);
        let node: BlockNode = serde_json::from_value(json!({
            "id": "r", "type": "rich_text",
            "props": {
                "heading": long,
                "body": [{"text": "Two\nlines", "link": "javascript:alert(1)"}],
                "width": 7,
            }
        }))
        .unwrap();
        let errors = validate_tree(PageType::Page, std::slice::from_ref(&node)).unwrap_err();
        assert!(errors.iter().any(|e| e.field.as_deref() == Some("heading")));
        let Some(Block {
            props: crate::blocks::BlockProps::RichText(p),
            ..
        }) = preview_block(&node)
        else {
            panic!("a rich-text block previews as one");
        };
        // Over the heading's 120 characters: still shown, as typed.
        assert_eq!(p.heading, long);
        // A link that does not validate is dropped, its text kept.
        assert_eq!(p.body.to_plain(), "Two\nlines");
        assert!(p.body.0.iter().all(|r| r.link.is_none()));
        // A value of the wrong kind shows the default.
        assert_eq!(p.width, "narrow");
    }

    #[test]
    fn a_block_missing_its_props_previews_with_their_defaults() {
        for t in crate::blocks::BlockType::ALL {
            let node = BlockNode {
                id: "b".into(),
                block_type: t.name().into(),
                ..Default::default()
            };
            assert!(preview_block(&node).is_some(), "{}", t.name());
        }
    }

    #[test]
    fn a_typed_tree_survives_the_round_trip_through_a_doc() {
        let nodes: Vec<BlockNode> = serde_json::from_value(json!([
            {"id": "h", "type": "hero", "props": {"heading": "Hello", "cta_url": "/x", "cta_label": "Go"}},
            {"id": "c", "type": "columns", "props": {"columns": 3}, "children": [
                {"id": "r", "type": "rich_text", "props": {"body": [
                    {"insert": "plain "}, {"insert": "bold", "attributes": {"bold": true}},
                    {"insert": " link", "attributes": {"link": "/about", "italic": true}}
                ]}},
                {"id": "g", "type": "gallery", "props": {"images": [{"src": "/a.svg", "alt": "A"}]}}
            ]}
        ]))
        .unwrap();
        let typed = validate_tree(PageType::Page, &nodes).unwrap();
        let doc = Doc::new();
        seed_doc(
            &doc,
            &PageFields {
                title: "T".into(),
                slug: "t".into(),
                seo_title: None,
                seo_description: Some("D".into()),
            },
            &typed,
        );
        let draft = read_draft(&doc);
        assert_eq!(draft.page["title"], "T");
        assert_eq!(draft.page["seo_description"], "D");
        let back = validate_tree(PageType::Page, &draft.nodes()).unwrap();
        assert_eq!(back, typed);
    }

    /// A block whose heading is `levels` Y.Arrays nested one inside the other, built without
    /// recursion (nested prelims would recurse).
    fn deep_doc(levels: usize) -> Doc {
        use yrs::{ArrayPrelim, MapPrelim};
        let doc = new_doc();
        let blocks = doc.get_or_insert_array(BLOCKS_ROOT);
        let mut txn = doc.transact_mut();
        let block = blocks.push_back(
            &mut txn,
            MapPrelim::from([("id", Any::from("deep")), ("type", Any::from("hero"))]),
        );
        let props = block.insert(&mut txn, "props", MapPrelim::default());
        let mut array = props.insert(&mut txn, "heading", ArrayPrelim::default());
        for _ in 1..levels {
            array = array.push_back(&mut txn, ArrayPrelim::default());
        }
        drop(txn);
        doc
    }

    #[test]
    fn a_hundred_thousand_nested_arrays_read_as_an_error_not_a_stack_overflow() {
        let doc = deep_doc(100_000);
        let draft = read_draft(&doc);
        let errors = validate_tree(PageType::Page, &draft.nodes()).unwrap_err();
        assert!(
            errors.iter().any(|e| e.block_id == "deep"
                && e.field.as_deref() == Some("heading")
                && e.message.contains("nested too deeply")),
            "{errors:?}"
        );
    }

    #[test]
    fn odd_shapes_become_validation_errors_not_panics() {
        let draft = DraftJson {
            page: Map::new(),
            blocks: vec![json!(5), json!({"id": 3, "type": ["x"]})],
        };
        let errors = validate_tree(PageType::Page, &draft.nodes()).unwrap_err();
        assert!(errors.len() >= 2);
    }
}
