//! Updates from peers, checked before yrs sees them: yrs decodes a value nested 100k arrays
//! deep by recursing 100k times, and a document holding types nested that deep can no longer
//! be edited safely (see [`super::nesting`]). So an incoming update is first read by a scanner
//! that mirrors yrs' v1 decoding without building anything and without recursing, then
//! decoded by yrs, and — when it adds shared types — checked against the document before it
//! is applied. Nothing is applied when a check fails, so a refusal costs only the sender.

use super::nesting::MAX_NESTING;
use std::collections::{HashMap, HashSet};
use yrs::branch::BranchPtr;
use yrs::encoding::read::{Cursor, Error as ReadError, Read};
use yrs::updates::decoder::{Decode, Decoder, DecoderV1};
use yrs::updates::encoder::Encode;
use yrs::{Assoc, BranchID, ClientID, Doc, ID, ReadTxn, StickyIndex, Transact, Update};

/// Why an update was refused.
#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    #[error("values nested deeper than {MAX_NESTING} levels")]
    ValuesTooDeep,
    #[error("shared types nested deeper than {MAX_NESTING} levels")]
    TypesTooDeep,
    #[error("client id {0} is out of range")]
    ClientOutOfRange(u64),
    #[error("{0}")]
    Malformed(#[from] ReadError),
    #[error("{0}")]
    Apply(#[from] yrs::error::UpdateError),
}

/// An update that passed the scanner, decoded.
pub struct CheckedUpdate {
    update: Update,
    scan: Scan,
}

impl CheckedUpdate {
    pub fn is_empty(&self) -> bool {
        self.update.is_empty()
    }

    /// The decoded update, for callers that check the document as a whole afterwards (loading
    /// a stored draft: [`super::nesting::rebuild_if_too_deep`]).
    pub fn into_update(self) -> Update {
        self.update
    }
}

/// Scans a v1 update — refusing values nested deeper than [`MAX_NESTING`], client ids yrs
/// would reject, anything malformed — then decodes it. Costs O(bytes), and no recursion.
pub fn decode_update(data: &[u8]) -> Result<CheckedUpdate, UpdateError> {
    let scan = scan(data)?;
    let update = Update::decode_v1(data)?;
    Ok(CheckedUpdate { update, scan })
}

/// Applies a peer's update to a draft, unless it would nest a shared type deeper than
/// [`MAX_NESTING`]: then nothing is applied.
///
/// Updates that add no shared type (typing, formatting, setting values, deleting) are applied
/// without looking at the document. For the others the level of each added type is worked out
/// from the update itself and, where it attaches to the document, from the document's parent
/// chain there — never by walking the whole document. Changes yrs keeps pending (they build on
/// something not yet received) are checked with the update that lets them in.
pub fn apply_update(doc: &Doc, update: CheckedUpdate) -> Result<(), UpdateError> {
    let mut txn = doc.transact_mut();
    // Changes yrs holds back until what they build on arrives: this update may release them.
    let pending = match txn.store().pending_update() {
        Some(p) => Some(scan(&p.update.encode_v1())?),
        None => None,
    };
    if update.scan.has_types || pending.as_ref().is_some_and(|p| p.has_types) {
        let scans: Vec<Scan> = std::iter::once(update.scan).chain(pending).collect();
        check_levels(&txn, &scans)?;
    }
    txn.apply_update(update.update)?;
    Ok(())
}

// ---- the scanner --------------------------------------------------------------------------

const HAS_ORIGIN: u8 = 0b1000_0000;
const HAS_RIGHT_ORIGIN: u8 = 0b0100_0000;
const HAS_PARENT_SUB: u8 = 0b0010_0000;
const GC: u8 = 0;
const SKIP: u8 = 10;
/// Client ids are 53-bit (JavaScript numbers); yrs asserts it.
const MAX_CLIENT: u64 = (1 << 53) - 1;

/// What the level check needs to know of an update: its structs, client by client.
#[derive(Default)]
struct Scan {
    clients: HashMap<u64, Vec<Struct>>,
    has_types: bool,
}

struct Struct {
    clock: u32,
    len: u32,
    kind: Kind,
}

enum Kind {
    Item(Item),
    Gc,
    Skip,
}

struct Item {
    origin: Option<(u64, u32)>,
    right_origin: Option<(u64, u32)>,
    parent: Parent,
    is_type: bool,
}

enum Parent {
    /// A root type, by name.
    Root,
    /// The type whose item has this id.
    Id((u64, u32)),
    /// The parent of the origin (or right origin) item.
    Implicit,
}

/// Reads the update as `Update::decode` (yrs 0.28, v1) does, byte for byte, without building
/// values. Also refuses what yrs would assert on (debug builds) rather than report: client ids
/// beyond 53 bits and clocks that overflow.
fn scan(data: &[u8]) -> Result<Scan, UpdateError> {
    let mut d = DecoderV1::new(Cursor::new(data));
    let mut out = Scan::default();
    let clients: u32 = d.read_var()?;
    for _ in 0..clients {
        let count: u32 = d.read_var()?;
        let client = read_client(&mut d)?;
        let mut clock: u32 = d.read_var()?;
        let structs = out.clients.entry(client).or_default();
        for _ in 0..count {
            let info = d.read_info()?;
            let (len, kind) = match info {
                SKIP => (d.read_var::<u32>()?, Kind::Skip),
                GC => (d.read_len()?, Kind::Gc),
                info => {
                    let (len, item) = scan_item(&mut d, info)?;
                    out.has_types |= item.is_type;
                    (len, Kind::Item(item))
                }
            };
            if len == 0 {
                if matches!(kind, Kind::Item(_)) {
                    continue; // yrs drops empty items without advancing the clock
                }
                return Err(ReadError::UnexpectedValue.into());
            }
            structs.push(Struct { clock, len, kind });
            clock = clock.checked_add(len).ok_or(ReadError::UnexpectedValue)?;
        }
    }
    for structs in out.clients.values_mut() {
        structs.sort_by_key(|s| s.clock);
        // Encoders write each client's structs once, in a run; overlaps would make an id
        // ambiguous.
        if structs
            .windows(2)
            .any(|w| w[1].clock < w[0].clock + w[0].len)
        {
            return Err(ReadError::UnexpectedValue.into());
        }
    }
    // The delete set (`IdSet::decode`): client by client, ranges of clocks.
    let clients: u32 = d.read_var()?;
    for _ in 0..clients {
        read_client(&mut d)?;
        let ranges: u32 = d.read_var()?;
        for _ in 0..ranges {
            let clock = d.read_ds_clock()?;
            let len = d.read_ds_len()?;
            clock.checked_add(len).ok_or(ReadError::UnexpectedValue)?;
        }
    }
    Ok(out)
}

fn read_client(d: &mut DecoderV1) -> Result<u64, UpdateError> {
    let client: u64 = d.read_var()?;
    if client > MAX_CLIENT {
        return Err(UpdateError::ClientOutOfRange(client));
    }
    Ok(client)
}

fn read_id(d: &mut DecoderV1) -> Result<(u64, u32), UpdateError> {
    let client = read_client(d)?;
    Ok((client, d.read_var()?))
}

/// One item (as `Update::decode_block` and `ItemContent::decode`): its references and the
/// length of its content in clock units (`ItemContent::len_utf16`).
fn scan_item(d: &mut DecoderV1, info: u8) -> Result<(u32, Item), UpdateError> {
    let origin = (info & HAS_ORIGIN != 0).then(|| read_id(d)).transpose()?;
    let right_origin = (info & HAS_RIGHT_ORIGIN != 0)
        .then(|| read_id(d))
        .transpose()?;
    let parent = if info & (HAS_ORIGIN | HAS_RIGHT_ORIGIN) == 0 {
        let parent = if d.read_parent_info()? {
            d.read_string()?;
            Parent::Root
        } else {
            Parent::Id(read_id(d)?)
        };
        if info & HAS_PARENT_SUB != 0 {
            d.read_string()?;
        }
        parent
    } else {
        Parent::Implicit
    };
    let mut is_type = false;
    let len = match info & 0b1111 {
        // Deleted
        1 => d.read_len()?,
        // JSON: yrs reads one string more than the count says.
        2 => {
            let count = d.read_len()?;
            if count > i32::MAX as u32 {
                return Err(ReadError::UnexpectedValue.into());
            }
            for _ in 0..=count {
                d.read_string()?;
            }
            count + 1
        }
        // Binary
        3 => {
            d.read_buf()?;
            1
        }
        // String
        4 => d.read_string()?.encode_utf16().count() as u32,
        // Embed: a JSON value
        5 => {
            check_json(d.read_string()?)?;
            1
        }
        // Format: a key and a JSON value
        6 => {
            d.read_string()?;
            check_json(d.read_string()?)?;
            1
        }
        // A shared type
        7 => {
            is_type = true;
            match d.read_type_ref()? {
                // array, map, text, XML fragment, hook, text, document, undefined
                0 | 1 | 2 | 4 | 5 | 6 | 9 | 15 => {}
                // XML element: its tag name
                3 => {
                    d.read_string()?;
                }
                // Weak links are not compiled into yrs here; it would refuse them too.
                _ => return Err(ReadError::UnexpectedValue.into()),
            }
            1
        }
        // Any values
        8 => {
            let count = d.read_len()?;
            for _ in 0..count {
                skip_any(d)?;
            }
            count
        }
        // A sub-document: its guid and options
        9 => {
            d.read_string()?;
            skip_any(d)?;
            1
        }
        _ => return Err(ReadError::UnexpectedValue.into()),
    };
    Ok((
        len,
        Item {
            origin,
            right_origin,
            parent,
            is_type,
        },
    ))
}

/// Skips one `Any` as `Any::decode` reads it, with a stack instead of recursion.
fn skip_any(d: &mut DecoderV1) -> Result<(), UpdateError> {
    /// An open array or map: values still to read, and whether each comes after a key.
    struct Open {
        left: usize,
        map: bool,
    }
    let mut open: Vec<Open> = Vec::new();
    loop {
        match d.read_u8()? {
            127 | 126 | 121 | 120 => {}
            125 => {
                d.read_var::<i64>()?;
            }
            124 => {
                d.read_f32()?;
            }
            123 => {
                d.read_f64()?;
            }
            122 => {
                d.read_i64()?;
            }
            119 => {
                d.read_string()?;
            }
            116 => {
                d.read_buf()?;
            }
            tag @ (118 | 117) => {
                let len: usize = d.read_var()?;
                if len > 0 {
                    if open.len() >= MAX_NESTING {
                        return Err(UpdateError::ValuesTooDeep);
                    }
                    let map = tag == 118;
                    if map {
                        d.read_string()?;
                    }
                    open.push(Open { left: len, map });
                    continue;
                }
            }
            _ => return Err(ReadError::UnexpectedValue.into()),
        }
        // A value is complete: close what it completed, then read the next key if any.
        loop {
            let Some(top) = open.last_mut() else {
                return Ok(());
            };
            top.left -= 1;
            if top.left == 0 {
                open.pop();
                continue;
            }
            if top.map {
                d.read_string()?;
            }
            break;
        }
    }
}

/// Refuses JSON text (embeds and formatting attributes, which yrs parses with serde_json)
/// nesting arrays and objects deeper than [`MAX_NESTING`].
fn check_json(json: &str) -> Result<(), UpdateError> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for b in json.bytes() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(UpdateError::ValuesTooDeep);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

// ---- the level check ----------------------------------------------------------------------

/// A struct of one of the scanned updates: (which update, client, index in its list).
type Key = (usize, u64, usize);

/// Where an item hangs.
#[derive(Clone, Copy)]
enum Anchor {
    Root,
    /// A shared type added by a scanned update.
    Added(Key),
    /// The existing type whose item has this id.
    Type(ID),
    /// The parent of this existing item.
    ParentOf(ID),
    /// Nowhere yrs can resolve: the item is integrated as garbage.
    Nowhere,
    /// Builds on something neither the document nor the updates hold: yrs keeps it pending
    /// (it is checked when what it needs arrives).
    Missing,
}

/// The levels of the shared types that applying `scans` (the incoming update, and what yrs
/// holds pending, which the update may release) would add. Their anchors are resolved as yrs
/// does: an explicit parent, else the origin's parent, else the right origin's.
fn check_levels<T: ReadTxn>(txn: &T, scans: &[Scan]) -> Result<(), UpdateError> {
    let state = txn.state_vector();
    let in_doc = |(client, clock): (u64, u32)| clock < state.get(&ClientID::new(client));
    let find = |(client, clock): (u64, u32)| -> Option<Key> {
        scans.iter().enumerate().find_map(|(u, scan)| {
            let structs = scan.clients.get(&client)?;
            let i = structs
                .partition_point(|s| s.clock <= clock)
                .checked_sub(1)?;
            (clock - structs[i].clock < structs[i].len).then_some((u, client, i))
        })
    };
    let get = |(u, client, i): Key| &scans[u].clients[&client][i];
    let is_item = |key: Key| matches!(get(key).kind, Kind::Item(_));

    let mut anchors: HashMap<Key, Anchor> = HashMap::new();
    let mut anchor_of = |start: Key| -> Anchor {
        // Iterative: a run of typing is a long chain of origins.
        let mut path = Vec::new();
        let mut on_path = HashSet::new();
        let mut at = start;
        let anchor = loop {
            if let Some(a) = anchors.get(&at) {
                break *a;
            }
            path.push(at);
            on_path.insert(at);
            let Kind::Item(item) = &get(at).kind else {
                break Anchor::Nowhere;
            };
            match item.parent {
                Parent::Root => break Anchor::Root,
                Parent::Id(id) => {
                    break match find(id) {
                        Some(key) => match &get(key).kind {
                            Kind::Item(p) if p.is_type => Anchor::Added(key),
                            Kind::Skip => Anchor::Missing,
                            _ => Anchor::Nowhere,
                        },
                        None if in_doc(id) => Anchor::Type(to_id(id)),
                        None => Anchor::Missing,
                    };
                }
                Parent::Implicit => {}
            }
            let mut next = Err(Anchor::Nowhere);
            for id in [item.origin, item.right_origin].into_iter().flatten() {
                match find(id) {
                    Some(key) if is_item(key) => {
                        next = Ok(key);
                        break;
                    }
                    // Garbage has no parent to take; try the right origin.
                    Some(key) if matches!(get(key).kind, Kind::Gc) => continue,
                    Some(_) => next = Err(Anchor::Missing),
                    None if in_doc(id) => next = Err(Anchor::ParentOf(to_id(id))),
                    None => next = Err(Anchor::Missing),
                }
                break;
            }
            match next {
                Ok(origin) if !on_path.contains(&origin) => at = origin,
                Ok(_) => break Anchor::Nowhere,
                Err(anchor) => break anchor,
            }
        };
        for p in path {
            anchors.insert(p, anchor);
        }
        anchor
    };

    // Levels of added types, each from its anchor's, memoised; iterative for long chains.
    let mut levels: HashMap<Key, Option<usize>> = HashMap::new();
    let mut doc_levels: HashMap<BranchPtr, usize> = HashMap::new();
    for (u, scan) in scans.iter().enumerate() {
        for (&client, structs) in &scan.clients {
            for (i, s) in structs.iter().enumerate() {
                if !matches!(&s.kind, Kind::Item(item) if item.is_type) {
                    continue;
                }
                let mut chain = vec![(u, client, i)];
                // `None`: hangs on something missing, so it is not added now.
                let base: Option<usize> = loop {
                    let &top = chain.last().expect("never empty");
                    if let Some(&level) = levels.get(&top) {
                        chain.pop();
                        break level;
                    }
                    match anchor_of(top) {
                        Anchor::Root => break Some(1),
                        Anchor::Nowhere => break Some(0),
                        Anchor::Missing => break None,
                        Anchor::Type(id) => {
                            break Some(match BranchID::get_nested(txn, &id) {
                                Some(b) => doc_level(txn, b, &mut doc_levels),
                                None => 0,
                            });
                        }
                        Anchor::ParentOf(id) => {
                            break Some(
                                match StickyIndex::from_id(id, Assoc::After).get_offset(txn) {
                                    Some(offset) => doc_level(txn, offset.branch, &mut doc_levels),
                                    None => 0,
                                },
                            );
                        }
                        Anchor::Added(key) => {
                            if chain.len() > MAX_NESTING {
                                // Too deep whatever lies above.
                                break Some(MAX_NESTING);
                            }
                            if chain.contains(&key) {
                                break Some(0); // a cycle integrates nowhere
                            }
                            chain.push(key);
                        }
                    }
                };
                let mut level = base;
                for at in chain.into_iter().rev() {
                    level = level.map(|l| l + 1);
                    levels.insert(at, level);
                }
                if level.is_some_and(|l| l > MAX_NESTING) {
                    return Err(UpdateError::TypesTooDeep);
                }
            }
        }
    }
    Ok(())
}

fn to_id((client, clock): (u64, u32)) -> ID {
    ID::new(ClientID::new(client), clock)
}

/// The level of an existing type: 1 for a root, one more per parent up to it. Stops counting
/// past [`MAX_NESTING`].
fn doc_level<T: ReadTxn>(
    txn: &T,
    branch: BranchPtr,
    memo: &mut HashMap<BranchPtr, usize>,
) -> usize {
    if let Some(&level) = memo.get(&branch) {
        return level;
    }
    let mut path = vec![branch];
    let mut base = 0;
    while let Some(&at) = path.last() {
        if let Some(&level) = memo.get(&at) {
            path.pop();
            base = level;
            break;
        }
        let BranchID::Nested(id) = at.id() else { break };
        if path.len() > MAX_NESTING {
            base = MAX_NESTING;
            break;
        }
        // An item's parent, as yrs resolves a sticky index relative to it.
        match StickyIndex::from_id(id, Assoc::After).get_offset(txn) {
            Some(offset) => path.push(offset.branch),
            None => break,
        }
    }
    let mut level = base;
    for at in path.into_iter().rev() {
        level += 1;
        memo.insert(at, level);
    }
    memo[&branch]
}

#[cfg(test)]
mod tests {
    use super::super::{BLOCKS_ROOT, edit, new_doc, read_draft};
    use super::*;
    use crate::blocks::{BlockNode, BlockType};
    use yrs::encoding::write::Write;
    use yrs::updates::encoder::{Encoder, EncoderV1};
    use yrs::{
        Any, Array, ArrayPrelim, ArrayRef, GetString, Map, MapPrelim, MapRef, Out, StateVector,
        Text, TextPrelim, TransactionMut, XmlElementPrelim, XmlFragment, XmlTextPrelim,
    };

    /// What `from` has that `to` lacks, as an update.
    fn diff(from: &Doc, to: &Doc) -> Vec<u8> {
        let sv = to.transact().state_vector();
        from.transact().encode_state_as_update_v1(&sv)
    }

    fn send(from: &Doc, to: &Doc) -> Result<(), UpdateError> {
        apply_update(to, decode_update(&diff(from, to))?)
    }

    /// A peer that starts from `server`'s state.
    fn peer(server: &Doc) -> Doc {
        let doc = new_doc();
        send(server, &doc).expect("sync");
        doc
    }

    fn nest(txn: &mut TransactionMut, mut array: ArrayRef, levels: usize) -> ArrayRef {
        for _ in 0..levels {
            array = array.push_back(txn, ArrayPrelim::default());
        }
        array
    }

    /// An update with one value: an array nested `levels` deep (lib0 v1, written by hand).
    fn nested_value(levels: usize) -> Vec<u8> {
        let mut e = EncoderV1::new();
        e.write_var(1u32); // clients
        e.write_var(1u32); // structs
        e.write_var(77u64); // client
        e.write_var(0u32); // clock
        e.write_u8(8); // Any content, parent follows
        e.write_var(1u32); // a root, by name
        e.write_string(BLOCKS_ROOT);
        e.write_var(1u32); // one value
        for _ in 0..levels {
            e.write_u8(117);
            e.write_var(1u32);
        }
        e.write_u8(126);
        e.write_var(0u32); // delete set
        e.to_vec()
    }

    #[test]
    fn values_nested_past_the_limit_are_refused_before_yrs_decodes_them() {
        assert!(decode_update(&nested_value(MAX_NESTING)).is_ok());
        assert!(matches!(
            decode_update(&nested_value(MAX_NESTING + 1)),
            Err(UpdateError::ValuesTooDeep)
        ));
        // yrs would recurse 100k times decoding this one.
        assert!(matches!(
            decode_update(&nested_value(100_000)),
            Err(UpdateError::ValuesTooDeep)
        ));
        // JSON (embeds, formatting) likewise.
        let doc = new_doc();
        let text = doc.get_or_insert_text("t");
        let deep_json = |n: usize| {
            let mut v = Any::Null;
            for _ in 0..n {
                v = Any::Array(vec![v].into());
            }
            v
        };
        let update = |n: usize| {
            let mut txn = doc.transact_mut();
            text.insert_embed(&mut txn, 0, deep_json(n));
            txn.encode_update_v1()
        };
        assert!(decode_update(&update(MAX_NESTING)).is_ok());
        assert!(matches!(
            decode_update(&update(MAX_NESTING + 1)),
            Err(UpdateError::ValuesTooDeep)
        ));
    }

    #[test]
    fn the_scanner_reads_every_kind_of_update_yrs_writes() {
        let doc = new_doc();
        let mut updates = Vec::new();
        let (page, blocks) = edit::roots(&doc);
        let mut step = |f: &dyn Fn(&mut TransactionMut)| {
            let mut txn = doc.transact_mut();
            f(&mut txn);
            updates.push(txn.encode_update_v1());
        };
        step(&|txn| {
            page.insert(txn, "title", "Hello ✓ 😀");
        });
        step(&|txn| {
            let mut node = edit::new_block(BlockType::RichText, "r".into());
            node.props.insert(
                "body".into(),
                serde_json::json!([{"insert": "a😀b"}, {"insert": "c", "attributes": {"bold": true, "link": "/x"}}]),
            );
            edit::insert_node(txn, &blocks, 0, &node);
        });
        step(&|txn| {
            let mut node = BlockNode {
                children: vec![edit::new_block(BlockType::Spacer, "s".into())],
                ..edit::new_block(BlockType::Columns, "c".into())
            };
            node.props.insert(
                "odd".into(),
                serde_json::json!({"a": [1, 2.5, "x", null, true, {"b": []}]}),
            );
            edit::insert_node(txn, &blocks, 1, &node);
        });
        step(&|txn| {
            let m: MapRef = blocks.insert(txn, 2, MapPrelim::default());
            m.insert(txn, "bin", Any::from(vec![1u8, 2, 3]));
            m.insert(txn, "big", Any::from(1i64 << 60));
            m.insert(txn, "float", Any::from(0.1f64));
            let t = m.insert(txn, "t", TextPrelim::new("x"));
            t.insert_embed(txn, 1, Any::from("embed"));
            t.insert_embed(txn, 2, ArrayPrelim::default());
            let x = m.insert(txn, "x", yrs::XmlFragmentPrelim::default());
            let el = x.push_back(txn, XmlElementPrelim::empty("p"));
            el.push_back(txn, XmlTextPrelim::new("xml"));
            m.insert(txn, "sub", yrs::Doc::new());
        });
        step(&|txn| blocks.remove_range(txn, 0, 1));
        // Whole state, and each update on its own.
        updates.push(
            doc.transact()
                .encode_state_as_update_v1(&StateVector::default()),
        );
        for (i, u) in updates.iter().enumerate() {
            let checked = decode_update(u).unwrap_or_else(|e| panic!("update {i}: {e}"));
            assert!(!checked.is_empty());
        }
        // Cut short or corrupted, never a panic (an error is fine).
        let whole = updates.last().unwrap();
        for cut in 0..whole.len() {
            let _ = decode_update(&whole[..cut]);
            let mut flipped = whole.clone();
            flipped[cut] ^= 0x5a;
            let _ = decode_update(&flipped);
        }
    }

    #[test]
    fn an_update_nesting_types_past_the_limit_is_refused_and_nothing_is_applied() {
        let server = new_doc();
        let client = peer(&server);
        {
            let blocks = client.get_or_insert_array(BLOCKS_ROOT);
            let mut txn = client.transact_mut();
            let first = blocks.push_back(&mut txn, ArrayPrelim::default());
            nest(&mut txn, first, 100_000);
        }
        let before = server.transact().state_vector();
        assert!(matches!(
            send(&client, &server),
            Err(UpdateError::TypesTooDeep)
        ));
        assert_eq!(server.transact().state_vector(), before, "nothing applied");
    }

    #[test]
    fn the_limit_is_exact_whether_types_arrive_at_once_or_level_by_level() {
        // At once: the root is level 1, so 31 nested arrays reach 32.
        for (levels, ok) in [(MAX_NESTING - 1, true), (MAX_NESTING, false)] {
            let server = new_doc();
            let client = peer(&server);
            {
                let blocks = client.get_or_insert_array(BLOCKS_ROOT);
                let mut txn = client.transact_mut();
                let first = blocks.push_back(&mut txn, ArrayPrelim::default());
                nest(&mut txn, first, levels - 1);
            }
            assert_eq!(
                send(&client, &server).is_ok(),
                ok,
                "{levels} levels at once"
            );
        }
        // One level per update, each inside the last (the parent named by id).
        let server = new_doc();
        let client = peer(&server);
        let blocks = client.get_or_insert_array(BLOCKS_ROOT);
        let mut inner = blocks.push_back(&mut client.transact_mut(), ArrayPrelim::default());
        send(&client, &server).unwrap();
        for level in 3..=MAX_NESTING {
            inner = inner.push_back(&mut client.transact_mut(), ArrayPrelim::default());
            send(&client, &server).unwrap_or_else(|e| panic!("level {level}: {e}"));
        }
        // Values at level 32 are fine; a type inside it is not.
        inner.push_back(&mut client.transact_mut(), Any::from(1));
        send(&client, &server).unwrap();
        inner.push_back(&mut client.transact_mut(), ArrayPrelim::default());
        assert!(matches!(
            send(&client, &server),
            Err(UpdateError::TypesTooDeep)
        ));

        // A sibling of the innermost array, after it (the parent known only through the
        // origin): level 32, fine; one inside it, refused.
        let other = peer(&server);
        let parent = deepest(&other, 1);
        let after: ArrayRef = {
            let mut txn = other.transact_mut();
            let len = parent.len(&txn);
            parent.insert(&mut txn, len, ArrayPrelim::default())
        };
        send(&other, &server).unwrap();
        after.push_back(&mut other.transact_mut(), ArrayPrelim::default());
        assert!(matches!(
            send(&other, &server),
            Err(UpdateError::TypesTooDeep)
        ));

        // Before it (only a right origin): the same.
        let other = peer(&server);
        let parent = deepest(&other, 1);
        let before: ArrayRef = parent.insert(&mut other.transact_mut(), 0, ArrayPrelim::default());
        send(&other, &server).unwrap();
        before.push_back(&mut other.transact_mut(), ArrayPrelim::default());
        assert!(matches!(
            send(&other, &server),
            Err(UpdateError::TypesTooDeep)
        ));
    }

    /// The array `up` levels above the innermost one, following first elements from `blocks`.
    fn deepest(doc: &Doc, up: usize) -> ArrayRef {
        let mut at = doc.get_or_insert_array(BLOCKS_ROOT);
        let txn = doc.transact();
        let mut path = vec![at.clone()];
        while let Some(Out::YArray(next)) = at.get(&txn, 0) {
            path.push(next.clone());
            at = next;
        }
        path[path.len() - 1 - up].clone()
    }

    #[test]
    fn maps_texts_and_unknown_roots_count_levels_too() {
        let server = new_doc();
        let client = peer(&server);
        {
            let root = client.get_or_insert_map("not-a-draft-root");
            let mut txn = client.transact_mut();
            let mut map: MapRef = root.insert(&mut txn, "k", MapPrelim::default());
            for _ in 0..20 {
                map = map.insert(&mut txn, "k", MapPrelim::default());
            }
            let text = map.insert(&mut txn, "t", TextPrelim::new("x"));
            let mut array: ArrayRef = text.insert_embed(&mut txn, 1, ArrayPrelim::default());
            array = nest(&mut txn, array, 10);
            array.push_back(&mut txn, Any::from("leaf"));
        }
        // root 1, 21 maps, text 23, embedded array 24, 10 more: 34.
        assert!(matches!(
            send(&client, &server),
            Err(UpdateError::TypesTooDeep)
        ));
    }

    #[test]
    fn a_real_edit_session_is_accepted_including_offline_changes_merged_at_once() {
        let server = new_doc();
        let a = peer(&server);
        // A four-level tree of blocks with rich text at the bottom: the deepest shape.
        let tree = |id: &str| {
            let mut node = edit::new_block(BlockType::RichText, format!("{id}-r"));
            node.props.insert(
                "body".into(),
                serde_json::json!([{"insert": "x", "attributes": {"bold": true}}]),
            );
            for level in 0..3 {
                node = BlockNode {
                    children: vec![node],
                    ..edit::new_block(BlockType::Columns, format!("{id}-c{level}"))
                };
            }
            node
        };
        {
            let (_, blocks) = edit::roots(&a);
            edit::insert_node(&mut a.transact_mut(), &blocks, 0, &tree("a"));
        }
        send(&a, &server).unwrap();
        // B goes offline, types in the deepest text, adds another tree; then reconnects.
        let b = peer(&server);
        {
            let (_, blocks) = edit::roots(&b);
            let mut txn = b.transact_mut();
            let text = edit::text_prop(&mut txn, &blocks, "a-r", "body").unwrap();
            edit::splice_text(&mut txn, &text, 1, 0, "yz");
            edit::insert_node(&mut txn, &blocks, 1, &tree("b"));
        }
        send(&b, &server).unwrap();
        let draft = read_draft(&server);
        assert_eq!(edit::all_ids(&draft.blocks).len(), 8);
        let (_, blocks) = edit::roots(&server);
        let txn = server.transact();
        let found = edit::find_block(&txn, &blocks, "a-r").unwrap();
        let Some(Out::YMap(props)) = found.map.get(&txn, "props") else {
            panic!("props")
        };
        let Some(Out::YText(body)) = props.get(&txn, "body") else {
            panic!("body")
        };
        assert_eq!(body.get_string(&txn), "xyz");
    }

    #[test]
    fn changes_held_pending_are_checked_with_the_update_that_lets_them_in() {
        let since = |from: &Doc, sv: &StateVector| from.transact().encode_state_as_update_v1(sv);
        let pending = |doc: &Doc| doc.transact().store().pending_update().is_some();

        // Legitimate: an update arrives before the one it builds on (a reconnecting client).
        let server = new_doc();
        let client = peer(&server);
        let blocks = client.get_or_insert_array(BLOCKS_ROOT);
        let start = client.transact().state_vector();
        let first = blocks.push_back(&mut client.transact_mut(), ArrayPrelim::default());
        let first_update = since(&client, &start);
        let mid = client.transact().state_vector();
        first.push_back(&mut client.transact_mut(), ArrayPrelim::default());
        let second_update = since(&client, &mid);
        apply_update(&server, decode_update(&second_update).unwrap()).unwrap();
        assert!(pending(&server), "held back");
        apply_update(&server, decode_update(&first_update).unwrap()).unwrap();
        assert!(!pending(&server), "let in");
        assert_eq!(deepest(&server, 0).len(&server.transact()), 0);
        assert_eq!(deepest(&server, 1).len(&server.transact()), 1);

        // Hostile: a chain too deep sent ahead of the array it hangs in, then that array — or,
        // with no shared type in it at all, the item the chain is placed after.
        for anchor_is_a_type in [true, false] {
            let server = new_doc();
            let client = peer(&server);
            let blocks = client.get_or_insert_array(BLOCKS_ROOT);
            let start = client.transact().state_vector();
            let root: Option<ArrayRef> = {
                let mut txn = client.transact_mut();
                if anchor_is_a_type {
                    Some(blocks.push_back(&mut txn, ArrayPrelim::default()))
                } else {
                    blocks.push_back(&mut txn, Any::from("placed after this"));
                    None
                }
            };
            let anchor = since(&client, &start);
            let mid = client.transact().state_vector();
            {
                let mut txn = client.transact_mut();
                let root = match root {
                    Some(root) => root,
                    None => blocks.push_back(&mut txn, ArrayPrelim::default()),
                };
                nest(&mut txn, root, 40);
            }
            let chain = since(&client, &mid);
            apply_update(&server, decode_update(&chain).unwrap()).unwrap();
            assert!(pending(&server), "held back");
            let before = server.transact().state_vector();
            assert!(
                matches!(
                    apply_update(&server, decode_update(&anchor).unwrap()),
                    Err(UpdateError::TypesTooDeep)
                ),
                "anchor is a type: {anchor_is_a_type}"
            );
            assert_eq!(server.transact().state_vector(), before, "nothing applied");
        }
    }

    #[test]
    fn out_of_range_client_ids_are_refused_not_asserted() {
        let mut e = EncoderV1::new();
        e.write_var(1u32);
        e.write_var(1u32);
        e.write_var(1u64 << 60);
        e.write_var(0u32);
        e.write_u8(4);
        e.write_var(1u32);
        e.write_string(BLOCKS_ROOT);
        e.write_string("x");
        e.write_var(0u32);
        assert!(matches!(
            decode_update(&e.to_vec()),
            Err(UpdateError::ClientOutOfRange(_))
        ));
    }
}
