//! The editor's state of the draft's blocks, fine-grained, so a keystroke costs the block it
//! changes and not the page:
//!
//! - the whole tree as JSON (what `read_draft` reads), for the questions `tree` answers; not
//!   reactive, patched in place;
//! - one signal per block (its JSON without `children`), which its canvas block and inspector
//!   watch;
//! - one signal per list (the page's blocks, each container's children): keys and types in
//!   order, which the canvas's lists watch; it changes only when the shape does;
//! - validation errors per top-level block plus the page-wide ones
//!   ([`block_errors`], [`page_wide_errors`]), recomputed only for what changed.
//!
//! [`Model::replace`] takes a whole tree (after blocks were added, removed or moved),
//! [`Model::update`] one block whose content changed (see `Client::take_changes`). Both set
//! only the signals whose value changed.

use super::tree::{children_of, id_of};
use crate::blocks::validate::{block_errors, page_wide_errors};
use crate::blocks::{BlockType, PageType, ValidationError};
use crate::draft::{MAX_NODE_DEPTH, node_from_value};
use leptos::prelude::*;
use serde_json::Value;
use std::collections::{HashMap, HashSet};

/// A block in a list on the canvas. `key` is unique on the page: the block's id, or for a
/// block whose id an earlier block already has, that id with `#2`, `#3` … (such a page does
/// not validate, but the canvas still shows every block). `mount` counts the times the block
/// was mounted anew on purpose ([`Model::remount`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Item {
    pub key: String,
    pub id: String,
    pub type_name: String,
    pub mount: u32,
}

/// The keys of a block and its children, parallel to the JSON tree.
#[derive(Clone, Debug, Default, PartialEq)]
struct Shape {
    key: String,
    children: Vec<Shape>,
}

pub struct Model {
    tree: Vec<Value>,
    shape: Vec<Shape>,
    cells: HashMap<String, ArcRwSignal<Value>>,
    root: ArcRwSignal<Vec<Item>>,
    /// Children of containers (and of any block that has them), by the block's key.
    lists: HashMap<String, ArcRwSignal<Vec<Item>>>,
    /// Blocks mounted anew on purpose, by key (see [`Item::mount`]).
    mounts: HashMap<String, u32>,
    /// Parallel to `tree`.
    block_errors: Vec<Vec<ValidationError>>,
    page_errors: Vec<ValidationError>,
    errors: ArcRwSignal<Vec<ValidationError>>,
    page_type: PageType,
}

impl Default for Model {
    fn default() -> Self {
        Self::new()
    }
}

impl Model {
    pub fn new() -> Self {
        Self {
            tree: Vec::new(),
            shape: Vec::new(),
            cells: HashMap::new(),
            root: ArcRwSignal::new(Vec::new()),
            lists: HashMap::new(),
            mounts: HashMap::new(),
            block_errors: Vec::new(),
            page_errors: Vec::new(),
            errors: ArcRwSignal::new(Vec::new()),
            page_type: PageType::Page,
        }
    }

    /// The whole tree as JSON.
    pub fn tree(&self) -> &[Value] {
        &self.tree
    }

    /// Every validation error of the page, as `validate_tree` finds them (page-wide ones
    /// first, then block by block).
    pub fn errors(&self) -> ArcRwSignal<Vec<ValidationError>> {
        self.errors.clone()
    }

    /// The page's blocks.
    pub fn root(&self) -> ArcRwSignal<Vec<Item>> {
        self.root.clone()
    }

    /// A block's JSON without its children, by key (created empty for a key not seen yet).
    pub fn cell(&mut self, key: &str) -> ArcRwSignal<Value> {
        self.cells
            .entry(key.to_string())
            .or_insert_with(|| ArcRwSignal::new(Value::Null))
            .clone()
    }

    /// The cell of the first block with this id.
    pub fn cell_of_id(&self, id: &str) -> Option<ArcRwSignal<Value>> {
        fn walk<'a>(tree: &[Value], shape: &'a [Shape], id: &str) -> Option<&'a str> {
            tree.iter().zip(shape).find_map(|(v, s)| {
                if id_of(v) == id {
                    Some(s.key.as_str())
                } else {
                    walk(children_of(v), &s.children, id)
                }
            })
        }
        walk(&self.tree, &self.shape, id).and_then(|k| self.cells.get(k).cloned())
    }

    /// A block's children, by the block's key (created empty for a key not seen yet).
    pub fn list(&mut self, key: &str) -> ArcRwSignal<Vec<Item>> {
        self.lists
            .entry(key.to_string())
            .or_insert_with(|| ArcRwSignal::new(Vec::new()))
            .clone()
    }

    /// The page type blocks are validated for; re-validates every block when it changes.
    pub fn set_page_type(&mut self, page_type: PageType) {
        if page_type == self.page_type {
            return;
        }
        self.page_type = page_type;
        self.block_errors = self
            .tree
            .iter()
            .map(|b| block_errors(page_type, &node_from_value(b)))
            .collect();
        self.publish_errors();
    }

    /// A new tree (its shape may have changed). Blocks keep their signals by key; only
    /// changed values are set; only changed top-level blocks are validated again.
    pub fn replace(&mut self, tree: Vec<Value>) {
        let shape = shape_of(&tree);
        // Errors of unchanged top-level blocks are kept.
        let mut before: HashMap<String, (Value, Vec<ValidationError>)> = HashMap::new();
        for ((value, s), errors) in std::mem::take(&mut self.tree)
            .into_iter()
            .zip(&self.shape)
            .zip(std::mem::take(&mut self.block_errors))
        {
            before.insert(s.key.clone(), (value, errors));
        }
        let page_type = self.page_type;
        self.block_errors = tree
            .iter()
            .zip(&shape)
            .map(|(v, s)| match before.remove(&s.key) {
                Some((old, errors)) if &old == v => errors,
                _ => block_errors(page_type, &node_from_value(v)),
            })
            .collect();

        let mut cells = HashMap::new();
        let mut lists = HashMap::new();
        let mut old_cells = std::mem::take(&mut self.cells);
        let mut old_lists = std::mem::take(&mut self.lists);
        self.mounts.retain(|k, _| old_cells.contains_key(k));
        let mounts = &self.mounts;
        #[allow(clippy::too_many_arguments)]
        fn walk(
            tree: &[Value],
            shape: &[Shape],
            mounts: &HashMap<String, u32>,
            old_cells: &mut HashMap<String, ArcRwSignal<Value>>,
            old_lists: &mut HashMap<String, ArcRwSignal<Vec<Item>>>,
            cells: &mut HashMap<String, ArcRwSignal<Value>>,
            lists: &mut HashMap<String, ArcRwSignal<Vec<Item>>>,
        ) {
            for (v, s) in tree.iter().zip(shape) {
                let signal = old_cells
                    .remove(&s.key)
                    .unwrap_or_else(|| ArcRwSignal::new(Value::Null));
                set_if_changed(&signal, without_children(v));
                cells.insert(s.key.clone(), signal);
                let children = children_of(v);
                let container = super::tree::type_of(v).is_some_and(BlockType::is_container);
                if container || !children.is_empty() || old_lists.contains_key(&s.key) {
                    let list = old_lists
                        .remove(&s.key)
                        .unwrap_or_else(|| ArcRwSignal::new(Vec::new()));
                    set_if_changed(&list, items(children, &s.children, mounts));
                    lists.insert(s.key.clone(), list);
                }
                walk(
                    children,
                    &s.children,
                    mounts,
                    old_cells,
                    old_lists,
                    cells,
                    lists,
                );
            }
        }
        walk(
            &tree,
            &shape,
            mounts,
            &mut old_cells,
            &mut old_lists,
            &mut cells,
            &mut lists,
        );
        // Cells of blocks that are gone are dropped (views still showing them hold their own
        // handle until they unmount).
        self.cells = cells;
        self.lists = lists;
        set_if_changed(&self.root, items(&tree, &shape, &self.mounts));
        self.page_errors = page_wide_errors(reading_order(&tree));
        self.tree = tree;
        self.shape = shape;
        self.publish_errors();
    }

    /// One block whose content changed (not its id, type or children), by index path.
    /// Returns false, changing nothing, when the path does not lead to that block in the tree
    /// as it is: the caller then reads the whole tree ([`replace`](Self::replace)).
    pub fn update(&mut self, path: &[u32], block: Value) -> bool {
        let Some((key, node)) = locate(&mut self.tree, &self.shape, path) else {
            return false;
        };
        if id_of(node) != id_of(&block)
            || node.get("type") != block.get("type")
            || node.get("children") != block.get("children")
        {
            return false;
        }
        *node = block;
        let key = key.to_string();
        if let Some(cell) = self.cells.get(&key) {
            let value = self.tree_value(path).map(without_children);
            if let Some(value) = value {
                set_if_changed(cell, value);
            }
        }
        let top = path[0] as usize;
        let errors = block_errors(self.page_type, &node_from_value(&self.tree[top]));
        if self.block_errors[top] != errors {
            self.block_errors[top] = errors;
            self.publish_errors();
        }
        true
    }

    /// Mounts the first block with this id anew on the canvas (after the browser changed its
    /// DOM itself, as an IME composition does: patching that DOM could keep what the browser
    /// added).
    pub fn remount(&mut self, id: &str) {
        /// Where a block is: its parent's key, its list (JSON and shapes) and its key.
        type Found<'a> = (Option<&'a str>, &'a [Value], &'a [Shape], &'a str);
        fn find<'a>(
            tree: &'a [Value],
            shape: &'a [Shape],
            parent: Option<&'a str>,
            id: &str,
        ) -> Option<Found<'a>> {
            tree.iter().zip(shape).find_map(|(v, s)| {
                if id_of(v) == id {
                    Some((parent, tree, shape, s.key.as_str()))
                } else {
                    find(children_of(v), &s.children, Some(&s.key), id)
                }
            })
        }
        let Some((parent, siblings, shapes, key)) = find(&self.tree, &self.shape, None, id) else {
            return;
        };
        *self.mounts.entry(key.to_string()).or_default() += 1;
        let list = match parent {
            None => Some(&self.root),
            Some(p) => self.lists.get(p),
        };
        if let Some(list) = list {
            set_if_changed(list, items(siblings, shapes, &self.mounts));
        }
    }

    fn tree_value(&self, path: &[u32]) -> Option<&Value> {
        let (&first, rest) = path.split_first()?;
        let mut node = self.tree.get(first as usize)?;
        for &i in rest {
            node = children_of(node).get(i as usize)?;
        }
        Some(node)
    }

    fn publish_errors(&self) {
        let all: Vec<ValidationError> = self
            .page_errors
            .iter()
            .chain(self.block_errors.iter().flatten())
            .cloned()
            .collect();
        set_if_changed(&self.errors, all);
    }
}

/// Sets a signal only when the value differs, so nothing watching it runs for nothing.
fn set_if_changed<T: PartialEq + Send + Sync + 'static>(signal: &ArcRwSignal<T>, value: T) {
    if signal.with_untracked(|v| v != &value) {
        signal.set(value);
    }
}

/// A block's JSON without its children (a container's cell does not change when they do).
fn without_children(v: &Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| k.as_str() != "children")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Keys for a tree, in reading order (see [`Item`]).
fn shape_of(tree: &[Value]) -> Vec<Shape> {
    fn walk(list: &[Value], used: &mut HashSet<String>) -> Vec<Shape> {
        list.iter()
            .map(|v| {
                let id = id_of(v);
                let mut key = id.to_string();
                let mut n = 1;
                while used.contains(&key) {
                    n += 1;
                    key = format!("{id}#{n}");
                }
                used.insert(key.clone());
                Shape {
                    key,
                    children: walk(children_of(v), used),
                }
            })
            .collect()
    }
    walk(tree, &mut HashSet::new())
}

fn items(list: &[Value], shape: &[Shape], mounts: &HashMap<String, u32>) -> Vec<Item> {
    list.iter()
        .zip(shape)
        .map(|(v, s)| Item {
            mount: mounts.get(&s.key).copied().unwrap_or_default(),
            key: s.key.clone(),
            id: id_of(v).to_string(),
            type_name: v
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
        })
        .collect()
}

/// Every block id in the order the validator meets them (as deep as `node_from_value` reads).
fn reading_order(tree: &[Value]) -> Vec<&str> {
    fn walk<'a>(list: &'a [Value], depth: usize, out: &mut Vec<&'a str>) {
        for v in list {
            out.push(id_of(v));
            if depth < MAX_NODE_DEPTH {
                walk(children_of(v), depth + 1, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(tree, 1, &mut out);
    out
}

/// The block at an index path, with its key.
fn locate<'a>(
    tree: &'a mut [Value],
    shape: &'a [Shape],
    path: &[u32],
) -> Option<(&'a str, &'a mut Value)> {
    let (&first, rest) = path.split_first()?;
    let mut node = tree.get_mut(first as usize)?;
    let mut s = shape.get(first as usize)?;
    for &i in rest {
        node = node
            .get_mut("children")
            .and_then(Value::as_array_mut)?
            .get_mut(i as usize)?;
        s = s.children.get(i as usize)?;
    }
    Some((s.key.as_str(), node))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admin::editor::client::Client;
    use crate::blocks::{BlockNode, validate_tree};
    use crate::draft::edit::{
        Slot, delete_block, insert_at, move_block, new_block, set_prop, splice_text, text_prop,
    };
    use serde_json::json;

    /// Brings the model up to date the way the editor does: one block at a time when only
    /// content changed, the whole tree otherwise.
    fn sync(model: &mut Model, client: &Client) {
        let changes = client.take_changes();
        let mut whole = changes.shape;
        if !whole {
            for path in &changes.blocks {
                if !client
                    .read_block(path)
                    .is_some_and(|v| model.update(path, v))
                {
                    whole = true;
                }
            }
        }
        if whole {
            model.replace(client.read().blocks);
        }
    }

    /// The model agrees with a fresh read of the document and a full validation.
    fn check(model: &Model, client: &Client) {
        let read = client.read().blocks;
        assert_eq!(model.tree(), read.as_slice());
        let nodes: Vec<BlockNode> = read.iter().map(node_from_value).collect();
        let mut whole = validate_tree(PageType::Page, &nodes)
            .err()
            .unwrap_or_default();
        let mut mine = model.errors.get_untracked();
        let key = |e: &ValidationError| (e.block_id.clone(), e.field.clone(), e.message.clone());
        whole.sort_by_key(key);
        mine.sort_by_key(key);
        assert_eq!(mine, whole);
        fn cells(model: &Model, list: &[Value], shape: &[Shape]) {
            for (v, s) in list.iter().zip(shape) {
                assert_eq!(
                    model.cells[&s.key].get_untracked(),
                    without_children(v),
                    "{}",
                    s.key
                );
                cells(model, children_of(v), &s.children);
            }
        }
        cells(model, &read, &model.shape);
    }

    fn slot(parent: Option<&str>, index: u32) -> Slot {
        Slot {
            parent: parent.map(str::to_string),
            index,
        }
    }

    #[test]
    fn typing_changes_one_block_and_its_signal_and_nothing_else() {
        let mut c = Client::new();
        let mut model = Model::new();
        c.edit(|txn, root| {
            for i in 0..5 {
                let mut b = new_block(BlockType::RichText, format!("r{i}"));
                b.props.insert("body".into(), json!(format!("Text {i}")));
                insert_at(txn, root, &slot(None, i), &b);
            }
            let columns = BlockNode {
                children: vec![new_block(BlockType::Hero, "h".into())],
                ..new_block(BlockType::Columns, "c".into())
            };
            insert_at(txn, root, &slot(None, 5), &columns);
        });
        assert!(c.take_changes().shape, "inserting blocks changes the shape");
        model.replace(c.read().blocks);
        check(&model, &c);
        let root = model.root();
        let r2 = model.cell("r2");
        let r3 = model.cell("r3");
        let columns = model.cell("c");
        let children = model.list("c");
        let hero = model.cell("h");
        let (root_v, r3_v, columns_v, children_v) = (
            root.get_untracked(),
            r3.get_untracked(),
            columns.get_untracked(),
            children.get_untracked(),
        );
        // The hero in the columns has no heading: an error on it.
        assert!(
            model
                .errors
                .get_untracked()
                .iter()
                .any(|e| e.block_id == "h")
        );

        // Typing in r2: one content change, r2's path.
        c.edit(|txn, root| {
            let t = text_prop(txn, root, "r2", "body").unwrap();
            splice_text(txn, &t, 6, 0, "!");
        });
        let changes = c.take_changes();
        assert!(!changes.shape);
        assert_eq!(changes.blocks.into_iter().collect::<Vec<_>>(), [vec![2]]);
        c.edit(|txn, root| {
            let t = text_prop(txn, root, "r2", "body").unwrap();
            splice_text(txn, &t, 7, 0, "?");
        });
        sync(&mut model, &c);
        check(&model, &c);
        assert_eq!(
            r2.get_untracked()["props"]["body"],
            json!([{"insert": "Text 2!?"}])
        );
        // Typing in the hero inside the columns: the hero's path, its error gone; the
        // columns block's cell and list are untouched.
        c.edit(|txn, root| {
            let t = text_prop(txn, root, "h", "heading").unwrap();
            splice_text(txn, &t, 0, 0, "Hello");
        });
        let changes = c.take_changes();
        assert_eq!(changes.blocks.iter().collect::<Vec<_>>(), [&vec![5, 0]]);
        assert!(model.update(&[5, 0], c.read_block(&[5, 0]).unwrap()));
        check(&model, &c);
        c.edit(|txn, root| set_prop(txn, root, "h", "align", &json!("center")));
        sync(&mut model, &c);
        check(&model, &c);
        assert_eq!(hero.get_untracked()["props"]["align"], "center");
        assert!(
            !model
                .errors
                .get_untracked()
                .iter()
                .any(|e| e.block_id == "h")
        );
        assert_eq!(root.get_untracked(), root_v);
        assert_eq!(r3.get_untracked(), r3_v);
        assert_eq!(columns.get_untracked(), columns_v);
        assert_eq!(children.get_untracked(), children_v);
    }

    #[test]
    fn shape_changes_keep_every_blocks_signal_and_update_lists() {
        let mut c = Client::new();
        let mut model = Model::new();
        c.edit(|txn, root| {
            for (i, id) in ["a", "b"].iter().enumerate() {
                insert_at(
                    txn,
                    root,
                    &slot(None, i as u32),
                    &new_block(BlockType::Spacer, id.to_string()),
                );
            }
            insert_at(
                txn,
                root,
                &slot(None, 2),
                &new_block(BlockType::Columns, "c".into()),
            );
        });
        sync(&mut model, &c);
        let a = model.cell("a");
        let kids = model.list("c");
        assert!(kids.get_untracked().is_empty());
        // Move a into the columns, delete b: a keeps its cell; the lists follow.
        c.end_undo_step();
        c.edit(|txn, root| {
            assert!(move_block(txn, root, "a", &slot(Some("c"), 0)));
            assert!(delete_block(txn, root, "b"));
        });
        sync(&mut model, &c);
        check(&model, &c);
        assert!(model.cell_of_id("a").is_some_and(|s| s == a));
        assert_eq!(
            kids.get_untracked()
                .iter()
                .map(|i| &i.key)
                .collect::<Vec<_>>(),
            ["a"]
        );
        assert_eq!(
            model
                .root()
                .get_untracked()
                .iter()
                .map(|i| &i.key)
                .collect::<Vec<_>>(),
            ["c"]
        );
        assert!(model.cell_of_id("b").is_none());
        // Undo puts b back and a where it was; a still keeps its cell.
        assert!(c.undo());
        sync(&mut model, &c);
        check(&model, &c);
        assert!(model.cell_of_id("a").is_some_and(|s| s == a));
        assert!(kids.get_untracked().is_empty());
        assert!(model.cell_of_id("b").is_some());
        // A block mounted anew gets a new item in its list (the others stay) and keeps it
        // through later changes.
        let before = kids.get_untracked();
        model.remount("a");
        model.remount("c");
        let mounts = |model: &Model| {
            model
                .root()
                .get_untracked()
                .into_iter()
                .map(|i| (i.key, i.mount))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            mounts(&model),
            [("a".to_string(), 1), ("b".into(), 0), ("c".into(), 1)]
        );
        assert_eq!(kids.get_untracked(), before);
        c.edit(|txn, root| set_prop(txn, root, "c", "columns", &json!(3)));
        c.edit(|txn, root| assert!(delete_block(txn, root, "b")));
        sync(&mut model, &c);
        check(&model, &c);
        assert_eq!(mounts(&model), [("a".to_string(), 1), ("c".into(), 1)]);
    }

    #[test]
    fn remote_edits_and_duplicate_ids_reach_the_right_blocks() {
        let mut a = Client::new();
        let mut b = Client::new();
        let mut model = Model::new();
        a.edit(|txn, root| {
            for (i, id) in ["x", "x", "y"].iter().enumerate() {
                let mut block = new_block(BlockType::RichText, id.to_string());
                block.props.insert("body".into(), json!(format!("{id}{i}")));
                insert_at(txn, root, &slot(None, i as u32), &block);
            }
        });
        for frame in a.take_outgoing() {
            b.receive(&frame, &mut Vec::new()).unwrap();
        }
        sync(&mut model, &b);
        check(&model, &b);
        let keys: Vec<String> = model
            .root()
            .get_untracked()
            .into_iter()
            .map(|i| i.key)
            .collect();
        assert_eq!(keys, ["x", "x#2", "y"]);
        assert!(
            model
                .errors
                .get_untracked()
                .iter()
                .any(|e| e.message.contains("used twice"))
        );
        // A remote edit of y: one block changes in b's model.
        a.edit(|txn, root| {
            let t = text_prop(txn, root, "y", "body").unwrap();
            splice_text(txn, &t, 0, 0, "remote ");
        });
        for frame in a.take_outgoing() {
            b.receive(&frame, &mut Vec::new()).unwrap();
        }
        let changes = b.take_changes();
        assert!(!changes.shape);
        for path in &changes.blocks {
            assert!(model.update(path, b.read_block(path).unwrap()));
        }
        check(&model, &b);
        assert_eq!(
            model.cell("y").get_untracked()["props"]["body"],
            json!([{"insert": "remote y2"}])
        );
        // A path that no longer fits the tree is refused, not applied to another block.
        assert!(!model.update(&[7], json!({"id": "z"})));
        assert!(!model.update(&[0], json!({"id": "y", "type": "rich_text"})));
    }
}
