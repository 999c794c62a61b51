//! Questions the editor asks of the draft's block tree (as JSON): where a block sits, where the
//! next insert goes, where "move up/down" takes a block (into and out of columns).

use crate::blocks::{BlockType, RichText};
use crate::draft::edit::Slot;
use serde_json::Value;

/// A block's place: its parent container (None = the page), its index, its siblings' count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Place {
    pub parent: Option<String>,
    pub index: usize,
    pub siblings: usize,
}

pub fn id_of(v: &Value) -> &str {
    v.get("id").and_then(Value::as_str).unwrap_or_default()
}

pub fn type_of(v: &Value) -> Option<BlockType> {
    v.get("type")
        .and_then(Value::as_str)
        .and_then(BlockType::from_name)
}

pub fn children_of(v: &Value) -> &[Value] {
    v.get("children")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

fn is_container(v: &Value) -> bool {
    type_of(v).is_some_and(BlockType::is_container)
}

/// Finds a block's place in the tree.
pub fn place(blocks: &[Value], id: &str) -> Option<Place> {
    fn walk(list: &[Value], parent: Option<&str>, id: &str) -> Option<Place> {
        for (i, b) in list.iter().enumerate() {
            if id_of(b) == id {
                return Some(Place {
                    parent: parent.map(str::to_string),
                    index: i,
                    siblings: list.len(),
                });
            }
            if let Some(p) = walk(children_of(b), Some(id_of(b)), id) {
                return Some(p);
            }
        }
        None
    }
    walk(blocks, None, id)
}

/// A block's prop, by block id and prop name.
pub fn prop<'a>(blocks: &'a [Value], id: &str, field: &str) -> Option<&'a Value> {
    find(blocks, id)?.get("props")?.get(field)
}

/// A text value's plain text (a string, runs or a Yjs delta), formatting dropped.
pub fn plain(value: &Value) -> String {
    RichText::from_value(value)
        .map(|r| r.to_plain())
        .unwrap_or_default()
}

/// A text prop's plain text.
pub fn prop_text(blocks: &[Value], id: &str, field: &str) -> Option<String> {
    prop(blocks, id, field).map(plain)
}

/// A block by id.
pub fn find<'a>(blocks: &'a [Value], id: &str) -> Option<&'a Value> {
    blocks.iter().find_map(|b| {
        if id_of(b) == id {
            Some(b)
        } else {
            find(children_of(b), id)
        }
    })
}

fn siblings<'a>(blocks: &'a [Value], parent: Option<&str>) -> &'a [Value] {
    match parent {
        None => blocks,
        Some(p) => find(blocks, p).map(children_of).unwrap_or_default(),
    }
}

/// Where a new block goes: right after the selected one (inside a selected container, at its
/// end), or at the end of the page.
pub fn insert_slot(blocks: &[Value], selected: Option<&str>) -> Slot {
    if let Some(sel) = selected
        && let Some(block) = find(blocks, sel)
    {
        if is_container(block) {
            return Slot {
                parent: Some(sel.to_string()),
                index: children_of(block).len() as u32,
            };
        }
        if let Some(p) = place(blocks, sel) {
            return Slot {
                parent: p.parent,
                index: p.index as u32 + 1,
            };
        }
    }
    Slot {
        parent: None,
        index: blocks.len() as u32,
    }
}

/// Where "move up" (or down) takes a block: past its neighbour; into a neighbouring container
/// (as its last child going up, its first going down); out of its container at either end.
/// Indexes count positions before the move, as `move_block` expects.
pub fn step_slot(blocks: &[Value], id: &str, up: bool) -> Option<Slot> {
    let p = place(blocks, id)?;
    let list = siblings(blocks, p.parent.as_deref());
    let neighbour = if up {
        p.index.checked_sub(1).and_then(|i| list.get(i))
    } else {
        list.get(p.index + 1)
    };
    match neighbour {
        Some(n) if is_container(n) => Some(Slot {
            parent: Some(id_of(n).to_string()),
            index: if up { children_of(n).len() as u32 } else { 0 },
        }),
        Some(_) => Some(Slot {
            parent: p.parent.clone(),
            index: if up {
                p.index as u32 - 1
            } else {
                p.index as u32 + 2
            },
        }),
        None => {
            let container = p.parent?;
            let cp = place(blocks, &container)?;
            Some(Slot {
                parent: cp.parent,
                index: if up {
                    cp.index as u32
                } else {
                    cp.index as u32 + 1
                },
            })
        }
    }
}

/// Blocks in reading order (parents before children), for arrow-key selection.
pub fn flatten(blocks: &[Value]) -> Vec<String> {
    let mut out = Vec::new();
    fn walk(list: &[Value], out: &mut Vec<String>) {
        for b in list {
            out.push(id_of(b).to_string());
            walk(children_of(b), out);
        }
    }
    walk(blocks, &mut out);
    out
}

/// The block before (or after) `id` in reading order.
pub fn neighbour(blocks: &[Value], id: &str, up: bool) -> Option<String> {
    let all = flatten(blocks);
    let i = all.iter().position(|b| b == id)?;
    if up {
        i.checked_sub(1).map(|j| all[j].clone())
    } else {
        all.get(i + 1).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blocks::BlockNode;
    use crate::draft::edit::{insert_node, move_block, roots};
    use crate::draft::{new_doc, read_draft};
    use serde_json::json;
    use yrs::Transact;

    fn page() -> Vec<Value> {
        json!([
            {"id": "a", "type": "spacer", "props": {}},
            {"id": "c", "type": "columns", "props": {}, "children": [
                {"id": "x", "type": "divider", "props": {}},
                {"id": "y", "type": "divider", "props": {}}
            ]},
            {"id": "b", "type": "spacer", "props": {}}
        ])
        .as_array()
        .unwrap()
        .clone()
    }

    /// Applies a step to a real document and returns the resulting order.
    fn stepped(id: &str, up: bool) -> Vec<String> {
        let blocks = page();
        let slot = step_slot(&blocks, id, up).expect("a move");
        let doc = new_doc();
        let (_, root) = roots(&doc);
        {
            let mut txn = doc.transact_mut();
            for (i, b) in blocks.iter().enumerate() {
                let node: BlockNode = serde_json::from_value(b.clone()).unwrap();
                insert_node(&mut txn, &root, i as u32, &node);
            }
            assert!(move_block(&mut txn, &root, id, &slot));
        }
        let after = read_draft(&doc).blocks;
        let mut out = Vec::new();
        for b in &after {
            let kids: Vec<&str> = children_of(b).iter().map(id_of).collect();
            out.push(if kids.is_empty() {
                id_of(b).to_string()
            } else {
                format!("{}[{}]", id_of(b), kids.join(","))
            });
        }
        out
    }

    #[test]
    fn moving_steps_through_columns() {
        assert_eq!(stepped("a", false), ["c[a,x,y]", "b"]);
        assert_eq!(stepped("b", true), ["a", "c[x,y,b]"]);
        assert_eq!(stepped("x", true), ["a", "x", "c[y]", "b"]);
        assert_eq!(stepped("y", false), ["a", "c[x]", "y", "b"]);
        assert_eq!(stepped("x", false), ["a", "c[y,x]", "b"]);
        assert_eq!(step_slot(&page(), "a", true), None);
        assert_eq!(step_slot(&page(), "b", false), None);
    }

    #[test]
    fn inserts_go_after_the_selection_or_into_a_selected_container() {
        let blocks = page();
        assert_eq!(
            insert_slot(&blocks, None),
            Slot {
                parent: None,
                index: 3
            }
        );
        assert_eq!(
            insert_slot(&blocks, Some("a")),
            Slot {
                parent: None,
                index: 1
            }
        );
        assert_eq!(
            insert_slot(&blocks, Some("c")),
            Slot {
                parent: Some("c".into()),
                index: 2
            }
        );
        assert_eq!(
            insert_slot(&blocks, Some("x")),
            Slot {
                parent: Some("c".into()),
                index: 1
            }
        );
        assert_eq!(neighbour(&blocks, "c", false).as_deref(), Some("x"));
        assert_eq!(neighbour(&blocks, "b", true).as_deref(), Some("y"));
    }
}
