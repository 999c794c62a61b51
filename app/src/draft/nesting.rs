//! How deeply a draft may nest, and the walks that keep it so.
//!
//! yrs and serde recurse once per nesting level when they decode, encode, delete, drop or
//! serialise a value, at a few hundred bytes of stack a level (more in debug builds), so a
//! peer that nests 100k arrays — a few hundred KB of update — would overflow any thread's
//! stack and take every shop down. So:
//!
//! - reading a draft ([`super::read_draft`]) stops at [`MAX_NESTING`] levels and puts a
//!   [marker](too_deep_marker) where the rest was, which validation reports on its block and
//!   field ("nested too deeply");
//! - the hub refuses, before applying it, an update that would nest shared types deeper, and
//!   one holding values (`Any`, JSON) nested deeper before yrs decodes it ([`super::update`]);
//! - a document that is too deep all the same (a log written before these limits) is
//!   [rebuilt](rebuild_if_too_deep) from what can be read, because yrs deletes a nested type by
//!   recursing into it: deleting such a block, or replaying its deletion from the log, would
//!   overflow the stack.
//!
//! Levels count containers from a root type (level 1): Y.Map, Y.Array and Y.Text, and arrays
//! and maps inside values. The deepest shapes Vitrine's editor writes need 12 — blocks (1) →
//! 4th-level block (8) → props (9) → Y.Text (10) → its delta ops (11) → their attributes
//! (12); a gallery's images are props → list → image map. 32 leaves room for other Yjs
//! clients and for reading a tree one level too deep so the validator can say so.
//!
//! None of these walks recurses once per level of input.

use serde_json::{Map, Value};
use yrs::branch::{Branch, BranchPtr};
use yrs::types::text::YChange;
use yrs::{Map as _, MapRef, Out, ReadTxn, Text as _, TextRef};

/// The deepest nesting a draft may hold, in levels (see the module documentation).
pub const MAX_NESTING: usize = 32;

/// The key of the object that stands in for a value nested deeper than [`MAX_NESTING`].
pub const TOO_DEEP_KEY: &str = "$too_deep";

/// What reading puts where a value was nested too deeply: `{"$too_deep": 32}`.
pub fn too_deep_marker() -> Value {
    let mut marker = Map::new();
    marker.insert(TOO_DEEP_KEY.into(), Value::from(MAX_NESTING));
    Value::Object(marker)
}

/// Whether `value` holds a [too-deep marker](too_deep_marker) anywhere (walked with a stack).
pub fn contains_too_deep(value: &Value) -> bool {
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(o) if o.contains_key(TOO_DEEP_KEY) => return true,
            Value::Object(o) => stack.extend(o.values()),
            Value::Array(a) => stack.extend(a.iter()),
            _ => {}
        }
    }
    false
}

/// Whether any shared type of the document sits deeper than [`MAX_NESTING`]. Walks the whole
/// document (once, when a draft is loaded), stopping at the first one too deep.
pub fn types_too_deep<T: ReadTxn>(txn: &T) -> bool {
    let mut stack: Vec<(BranchPtr, usize)> = txn
        .root_refs()
        .filter_map(|(_, root)| branch_of(&root))
        .map(|b| (b, 1))
        .collect();
    let mut children = Vec::new();
    while let Some((branch, level)) = stack.pop() {
        if level > MAX_NESTING {
            return true;
        }
        child_types(txn, branch, &mut children);
        stack.extend(children.drain(..).map(|c| (c, level + 1)));
    }
    false
}

/// The shared types directly inside `branch`, whatever its kind: map entries (a map's values,
/// an XML element's attributes) and sequence items (an array's elements, a text's embeds, an
/// XML node's children). Deleted ones are skipped.
fn child_types<T: ReadTxn>(txn: &T, branch: BranchPtr, out: &mut Vec<BranchPtr>) {
    out.extend(
        MapRef::from(branch)
            .iter(txn)
            .filter_map(|(_, v)| branch_of(&v)),
    );
    // A text's delta lists every live item of any sequence, shared types among them.
    out.extend(
        TextRef::from(branch)
            .diff(txn, YChange::identity)
            .iter()
            .filter_map(|d| branch_of(&d.insert)),
    );
}

fn branch_of(v: &Out) -> Option<BranchPtr> {
    fn ptr(branch: &Branch) -> Option<BranchPtr> {
        Some(BranchPtr::from(branch))
    }
    match v {
        Out::YText(t) => ptr(t.as_ref()),
        Out::YArray(a) => ptr(a.as_ref()),
        Out::YMap(m) => ptr(m.as_ref()),
        Out::YXmlElement(x) => ptr(x.as_ref()),
        Out::YXmlFragment(x) => ptr(x.as_ref()),
        Out::YXmlText(x) => ptr(x.as_ref()),
        Out::UndefinedRef(b) => Some(*b),
        // A sub-document is a document of its own; values nest no shared types.
        _ => None,
    }
}

/// A document as deep as this can still be read, but not safely edited: yrs deletes a nested
/// type by recursing into it, so deleting the block — or replaying that deletion from the
/// log — would overflow the stack. When `doc` has a shared type deeper than [`MAX_NESTING`]
/// this returns a new document with the same draft as it reads: page fields and blocks, text
/// props as Y.Text, what was nested too deeply replaced by the [marker](too_deep_marker) (so
/// validation still names the block and field), other root types dropped. The caller stores
/// it in place of the old log. `None` when `doc` is fine (changes yrs holds pending are left
/// alone: [`super::apply_update`] checks them with the update that would let them in).
pub fn rebuild_if_too_deep(doc: &yrs::Doc) -> Option<yrs::Doc> {
    use yrs::Transact;
    if !types_too_deep(&doc.transact()) {
        return None;
    }
    let draft = super::read_draft(doc);
    let fresh = super::new_doc();
    let (page, blocks) = super::edit::roots(&fresh);
    {
        let mut txn = fresh.transact_mut();
        for (key, value) in &draft.page {
            let any: yrs::Any = serde_json::from_value(value.clone()).unwrap_or(yrs::Any::Null);
            page.insert(&mut txn, key.as_str(), any);
        }
        for (i, block) in draft.blocks.iter().enumerate() {
            super::edit::insert_node(&mut txn, &blocks, i as u32, &super::node_from_value(block));
        }
    }
    Some(fresh)
}

#[cfg(test)]
mod tests {
    use super::super::{BLOCKS_ROOT, decode_update, new_doc, read_draft};
    use super::*;
    use crate::blocks::{PageType, validate_tree};
    use serde_json::json;
    use yrs::{
        Any, Array, ArrayPrelim, ArrayRef, Doc, Map, MapPrelim, StateVector, Transact, Update,
    };

    /// A hero `deep` whose heading is an array holding `levels - 1` more, one inside the other
    /// (built in a loop: nested prelims would recurse). The innermost array sits at level
    /// `3 + levels` (blocks 1, block 2, props 3).
    fn deep_doc(levels: usize) -> Doc {
        let doc = new_doc();
        let blocks = doc.get_or_insert_array(BLOCKS_ROOT);
        let mut txn = doc.transact_mut();
        let ok = blocks.push_back(
            &mut txn,
            MapPrelim::from([("id", Any::from("ok")), ("type", Any::from("spacer"))]),
        );
        ok.insert(&mut txn, "props", MapPrelim::default());
        let block = blocks.push_back(
            &mut txn,
            MapPrelim::from([("id", Any::from("deep")), ("type", Any::from("hero"))]),
        );
        let props = block.insert(&mut txn, "props", MapPrelim::default());
        let mut array: ArrayRef = props.insert(&mut txn, "heading", ArrayPrelim::default());
        for _ in 1..levels {
            array = array.push_back(&mut txn, ArrayPrelim::default());
        }
        drop(txn);
        doc
    }

    fn heading(doc: &Doc) -> Value {
        read_draft(doc).blocks[1]["props"]["heading"].clone()
    }

    /// How many arrays are nested in `v`, and whether the innermost holds the marker.
    fn arrays_and_marker(v: &Value) -> (usize, bool) {
        let mut n = 0;
        let mut at = v;
        while let Some(a) = at.as_array() {
            n += 1;
            match a.first() {
                Some(next) => at = next,
                None => return (n, false),
            }
        }
        (n, contains_too_deep(at))
    }

    #[test]
    fn reading_keeps_every_level_up_to_the_limit_and_marks_the_first_beyond() {
        // Innermost array at level 32: read whole.
        let at_limit = deep_doc(MAX_NESTING - 3);
        assert_eq!(
            arrays_and_marker(&heading(&at_limit)),
            (MAX_NESTING - 3, false)
        );
        assert!(!types_too_deep(&at_limit.transact()));
        // At level 33: the marker takes its place.
        let beyond = deep_doc(MAX_NESTING - 2);
        assert_eq!(
            arrays_and_marker(&heading(&beyond)),
            (MAX_NESTING - 3, true)
        );
        assert!(types_too_deep(&beyond.transact()));
        let errors = validate_tree(PageType::Page, &read_draft(&beyond).nodes()).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(
            (errors[0].block_id.as_str(), errors[0].field.as_deref()),
            ("deep", Some("heading"))
        );
        assert!(
            errors[0].message.contains("nested too deeply"),
            "{errors:?}"
        );
    }

    #[test]
    fn plain_values_and_text_deltas_are_cut_at_the_same_limit() {
        let doc = new_doc();
        let page = doc.get_or_insert_map("page");
        {
            let mut txn = doc.transact_mut();
            // A value 40 arrays deep inside the page map (level 2 and on).
            let mut value = Any::Null;
            for _ in 0..40 {
                value = Any::Array(vec![value].into());
            }
            page.insert(&mut txn, "odd", value);
            // A text at level 32: its ops would sit at 33.
            let mut map = page.insert(&mut txn, "m", MapPrelim::default());
            for _ in 3..MAX_NESTING {
                map = map.insert(&mut txn, "m", MapPrelim::default());
            }
            let text = map.insert(&mut txn, "t", yrs::TextPrelim::new("hi"));
            assert_eq!(text.len(&txn), 2);
        }
        let draft = read_draft(&doc);
        let (arrays, marked) = arrays_and_marker(&draft.page["odd"]);
        assert_eq!((arrays, marked), (MAX_NESTING - 1, true));
        let mut at = &draft.page["m"];
        for _ in 3..MAX_NESTING {
            at = &at["m"];
        }
        assert_eq!(at["t"], json!([too_deep_marker()]));
    }

    #[test]
    fn a_document_too_deep_is_rebuilt_into_one_that_can_be_edited_and_replayed() {
        let deep = deep_doc(100_000);
        let rebuilt = rebuild_if_too_deep(&deep).expect("rebuilt");
        assert!(!types_too_deep(&rebuilt.transact()));
        let draft = read_draft(&rebuilt);
        assert_eq!(crate::draft::edit::all_ids(&draft.blocks), ["ok", "deep"]);
        let errors = validate_tree(PageType::Page, &draft.nodes()).unwrap_err();
        assert!(
            errors[0].message.contains("nested too deeply"),
            "{errors:?}"
        );

        // Its state passes the checks a stored log meets when loaded, and replays.
        let state = rebuilt
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        let replayed = new_doc();
        replayed
            .transact_mut()
            .apply_update(decode_update(&state).expect("checks").into_update())
            .unwrap();
        // Deleting the block (yrs recurses into it) and replaying that deletion are safe.
        let blocks = replayed.get_or_insert_array(BLOCKS_ROOT);
        blocks.remove(&mut replayed.transact_mut(), 1);
        let again = new_doc();
        let all = replayed
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        use yrs::updates::decoder::Decode;
        again
            .transact_mut()
            .apply_update(Update::decode_v1(&all).unwrap())
            .unwrap();
        assert_eq!(
            crate::draft::edit::all_ids(&read_draft(&again).blocks),
            ["ok"]
        );

        assert!(
            rebuild_if_too_deep(&again).is_none(),
            "a sane document is kept"
        );
    }

    #[test]
    fn changes_held_pending_do_not_make_a_document_be_rebuilt() {
        use yrs::updates::decoder::Decode;
        let source = new_doc();
        let blocks = source.get_or_insert_array(BLOCKS_ROOT);
        blocks.push_back(
            &mut source.transact_mut(),
            MapPrelim::from([("id", Any::from("a"))]),
        );
        let sv = source.transact().state_vector();
        blocks.push_back(
            &mut source.transact_mut(),
            MapPrelim::from([("id", Any::from("b"))]),
        );
        let second = source.transact().encode_state_as_update_v1(&sv);
        let doc = new_doc();
        doc.transact_mut()
            .apply_update(Update::decode_v1(&second).unwrap())
            .unwrap();
        assert!(doc.transact().store().pending_update().is_some());
        assert!(rebuild_if_too_deep(&doc).is_none());
    }

    #[test]
    fn markers_are_found_anywhere_in_a_value() {
        assert!(contains_too_deep(&too_deep_marker()));
        assert!(contains_too_deep(&json!([{"a": [1, too_deep_marker()]}])));
        assert!(!contains_too_deep(&json!([{"a": [1, {"b": 2}]}])));
    }
}
