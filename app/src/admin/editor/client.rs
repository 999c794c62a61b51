//! One editor's copy of a page draft: the yrs document, this person's undo history and the
//! awareness states (presence), speaking y-sync (`yrs::sync`) with the collaboration hub. The
//! protocol side here is transport-free (bytes in, frames out); `transport` carries the frames
//! over a browser WebSocket.

use crate::draft::{self, DraftJson};
use std::collections::{BTreeSet, HashSet};
use std::sync::{Arc, Mutex};
use yrs::encoding::read::Cursor;
use yrs::sync::{Awareness, Message, MessageReader, SyncMessage};
use yrs::undo::{Options as UndoOptions, UndoManager};
use yrs::updates::decoder::{Decode, DecoderV1};
use yrs::updates::encoder::Encode;
use yrs::{
    ArrayRef, DeepObservable, Doc, MapRef, Origin, ReadTxn, Transact, TransactionMut, Update,
};

/// Origin of this person's own edits: the only origin their undo manager tracks.
pub const LOCAL: &str = "vitrine-local";
/// Origin of changes that arrived from the hub.
pub const REMOTE: &str = "remote";

/// How long typing keeps adding to one undo step.
const UNDO_CAPTURE_MS: u64 = 500;

/// What the client learned from one incoming frame.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Received {
    /// The document changed.
    pub doc: bool,
    /// Someone's presence changed.
    pub presence: bool,
}

pub struct Client {
    pub awareness: Awareness,
    undo: UndoManager<()>,
    /// Encoded frames with local updates, waiting for the transport.
    outbox: Arc<Mutex<Vec<Vec<u8>>>>,
    /// What changed in the blocks since the editor last looked, from every transaction
    /// (local edits, undo, remote updates).
    changes: Arc<Mutex<Changes>>,
    next_id: u64,
}

/// The blocks' changes since the last [`Client::take_changes`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Changes {
    /// The tree's shape may have changed: read it all again.
    pub shape: bool,
    /// Blocks whose content changed, by index path (see [`draft::changed_block`]).
    pub blocks: BTreeSet<Vec<u32>>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        !self.shape && self.blocks.is_empty()
    }
}

fn now_ms() -> u64 {
    #[cfg(all(target_family = "wasm", target_os = "unknown"))]
    {
        js_sys::Date::now() as u64
    }
    #[cfg(not(all(target_family = "wasm", target_os = "unknown")))]
    {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or_default()
    }
}

impl Client {
    pub fn new() -> Self {
        let doc = draft::new_doc();
        let (page, blocks) = draft::edit::roots(&doc);
        let outbox: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
        let sink = outbox.clone();
        // Everything not received from the hub goes out: own edits, undo and redo.
        doc.observe_update_v1("vitrine-outbox", move |txn, e| {
            if txn.origin().is_none_or(|o| o.as_ref() != REMOTE.as_bytes()) {
                let frame = Message::Sync(SyncMessage::Update(e.update.clone())).encode_v1();
                if let Ok(mut out) = sink.lock() {
                    out.push(frame);
                }
            }
        })
        .expect("a fresh document accepts observers");
        let changes: Arc<Mutex<Changes>> = Arc::default();
        let seen = changes.clone();
        blocks.observe_deep("vitrine-changes", move |_, events| {
            if let Ok(mut c) = seen.lock() {
                for e in events.iter() {
                    if c.shape {
                        break;
                    }
                    match draft::changed_block(&e.path()) {
                        Some(path) => {
                            c.blocks.insert(path);
                        }
                        None => c.shape = true,
                    }
                }
            }
        });
        let mut undo = UndoManager::with_options(UndoOptions {
            capture_timeout_millis: UNDO_CAPTURE_MS,
            tracked_origins: HashSet::from([Origin::from(LOCAL)]),
            capture_transaction: None,
            timestamp: Arc::new(now_ms),
            init_undo_stack: Vec::new(),
            init_redo_stack: Vec::new(),
        });
        undo.expand_scope(&doc, &blocks);
        undo.expand_scope(&doc, &page);
        let awareness = Awareness::with_clock(doc, now_ms);
        Self {
            awareness,
            undo,
            outbox,
            changes,
            next_id: 0,
        }
    }

    pub fn doc(&self) -> &Doc {
        self.awareness.doc()
    }

    pub fn blocks_root(&self) -> ArrayRef {
        draft::edit::roots(self.doc()).1
    }

    /// The frames to send when a connection opens: our state vector (the hub answers with
    /// what we miss) and our presence.
    pub fn hello(&self) -> Vec<Vec<u8>> {
        let sv = self.doc().transact().state_vector();
        let mut frames = vec![Message::Sync(SyncMessage::SyncStep1(sv)).encode_v1()];
        frames.extend(self.presence_frame());
        frames
    }

    /// Handles one frame from the hub; returns what changed and appends replies to `replies`.
    pub fn receive(&mut self, data: &[u8], replies: &mut Vec<Vec<u8>>) -> Result<Received, String> {
        let mut decoder = DecoderV1::new(Cursor::new(data));
        let mut got = Received::default();
        let messages: Vec<Message> = MessageReader::new(&mut decoder)
            .collect::<Result<_, _>>()
            .map_err(|e| format!("malformed frame: {e}"))?;
        for message in messages {
            match message {
                Message::Sync(SyncMessage::SyncStep1(sv)) => {
                    // What the hub lacks, including everything edited while offline.
                    let update = self.doc().transact().encode_state_as_update_v1(&sv);
                    replies.push(Message::Sync(SyncMessage::SyncStep2(update)).encode_v1());
                }
                Message::Sync(SyncMessage::SyncStep2(u)) => {
                    self.apply_remote(&u)?;
                    got.doc = true;
                }
                Message::Sync(SyncMessage::Update(u)) => {
                    self.apply_remote(&u)?;
                    got.doc = true;
                }
                Message::Awareness(update) => {
                    self.awareness
                        .apply_update(update)
                        .map_err(|e| format!("bad presence: {e}"))?;
                    got.presence = true;
                }
                Message::AwarenessQuery => replies.extend(self.presence_frame()),
                _ => {}
            }
        }
        Ok(got)
    }

    fn apply_remote(&self, data: &[u8]) -> Result<(), String> {
        let update = Update::decode_v1(data).map_err(|e| format!("bad update: {e}"))?;
        self.doc()
            .transact_mut_with(REMOTE)
            .apply_update(update)
            .map_err(|e| format!("update not applied: {e}"))
    }

    /// Runs one local edit as one transaction (and, within the capture window, one undo step).
    pub fn edit<R>(&mut self, f: impl FnOnce(&mut TransactionMut, &ArrayRef) -> R) -> R {
        let root = self.blocks_root();
        let mut txn = self.doc().transact_mut_with(LOCAL);
        f(&mut txn, &root)
    }

    /// The draft's page fields (its `page` map), read leniently.
    pub fn page_fields(&self) -> draft::PageFields {
        let page = draft::edit::roots(self.doc()).0;
        let txn = self.doc().transact();
        let text = |field: draft::PageField| match yrs::Map::get(&page, &txn, field.name()) {
            Some(yrs::Out::Any(yrs::Any::String(s))) => s.to_string(),
            Some(yrs::Out::YText(t)) => yrs::GetString::get_string(&t, &txn),
            _ => String::new(),
        };
        let optional = |field| Some(text(field)).filter(|v| !v.is_empty());
        draft::PageFields {
            title: text(draft::PageField::Title),
            slug: text(draft::PageField::Slug),
            seo_title: optional(draft::PageField::SeoTitle),
            seo_description: optional(draft::PageField::SeoDescription),
        }
    }

    /// Runs one local edit of the page's own fields (the draft's `page` map).
    pub fn edit_page<R>(&mut self, f: impl FnOnce(&mut TransactionMut, &MapRef) -> R) -> R {
        let page = draft::edit::roots(self.doc()).0;
        let mut txn = self.doc().transact_mut_with(LOCAL);
        f(&mut txn, &page)
    }

    /// Closes the current undo step, so the next edit starts a new one.
    pub fn end_undo_step(&mut self) {
        self.undo.reset();
    }

    pub fn undo(&mut self) -> bool {
        self.undo.undo_blocking()
    }

    pub fn redo(&mut self) -> bool {
        self.undo.redo_blocking()
    }

    pub fn can_undo(&self) -> bool {
        self.undo.can_undo()
    }

    pub fn can_redo(&self) -> bool {
        self.undo.can_redo()
    }

    /// Frames with local updates made since the last call.
    pub fn take_outgoing(&self) -> Vec<Vec<u8>> {
        self.outbox
            .lock()
            .map(|mut o| std::mem::take(&mut *o))
            .unwrap_or_default()
    }

    /// Sets this person's presence (`{user:{name,color}, selected}`) and returns the frame.
    pub fn set_presence(&mut self, state: &serde_json::Value) -> Option<Vec<u8>> {
        self.awareness.set_local_state(state).ok()?;
        self.presence_frame()
    }

    /// This person's presence as a frame (also sent periodically, so peers keep it).
    pub fn presence_frame(&self) -> Option<Vec<u8>> {
        let update = self.awareness.update().ok()?;
        Some(Message::Awareness(update).encode_v1())
    }

    /// Everyone else present: `(client id, state)`. States not refreshed within `stale_ms`
    /// are dropped (their owner left without saying so).
    pub fn peers(&mut self, stale_ms: u64) -> Vec<(u64, serde_json::Value)> {
        let me = self.awareness.client_id();
        let now = now_ms();
        let mut gone = Vec::new();
        let mut out = Vec::new();
        for (id, state) in self.awareness.iter() {
            if id == me {
                continue;
            }
            if now.saturating_sub(state.last_updated) > stale_ms {
                gone.push(id);
                continue;
            }
            if let Some(data) = state.data
                && let Ok(value) = serde_json::from_str::<serde_json::Value>(&data)
                && !value.is_null()
            {
                out.push((id.get(), value));
            }
        }
        for id in gone {
            self.awareness.remove_state(id);
        }
        out.sort_by_key(|(id, _)| *id);
        out
    }

    /// The draft as JSON.
    pub fn read(&self) -> DraftJson {
        draft::read_draft(self.doc())
    }

    /// What changed in the blocks since the last call.
    pub fn take_changes(&self) -> Changes {
        self.changes
            .lock()
            .map(|mut c| std::mem::take(&mut *c))
            .unwrap_or_default()
    }

    /// One block as JSON, by index path (as [`Changes::blocks`] name them).
    pub fn read_block(&self, path: &[u32]) -> Option<serde_json::Value> {
        // The root first: getting it takes a write transaction.
        let root = self.blocks_root();
        draft::read_block(&self.doc().transact(), &root, path)
    }

    /// A block id no one else will pick: this client's id and a counter.
    pub fn fresh_id(&mut self, prefix: &str) -> String {
        fresh_id(self.doc().client_id().get(), &mut self.next_id, prefix)
    }

    /// Copies a block (and its children, with fresh ids) right after itself, as one local
    /// edit. Returns the copy's id.
    pub fn duplicate(&mut self, id: &str) -> Option<String> {
        let root = self.blocks_root();
        let client = self.doc().client_id().get();
        let counter = &mut self.next_id;
        let mut txn = self.awareness.doc().transact_mut_with(LOCAL);
        draft::edit::duplicate_block(&mut txn, &root, id, &mut || {
            fresh_id(client, counter, "copy")
        })
    }
}

fn fresh_id(client: u64, counter: &mut u64, prefix: &str) -> String {
    *counter += 1;
    format!("{prefix}-{:x}{}", client % 0xFF_FFFF, counter)
}

impl Default for Client {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blocks::BlockType;
    use crate::draft::edit::{Slot, insert_at, new_block, splice_text, text_prop};

    /// Delivers every frame `from` has queued to `to`, and `to`'s replies back.
    fn deliver(from: &mut Client, to: &mut Client) {
        for frame in from.take_outgoing() {
            let mut replies = Vec::new();
            to.receive(&frame, &mut replies).unwrap();
        }
    }

    fn handshake(a: &mut Client, b: &mut Client) {
        for frame in a.hello() {
            let mut replies = Vec::new();
            b.receive(&frame, &mut replies).unwrap();
            for r in replies {
                a.receive(&r, &mut Vec::new()).unwrap();
            }
        }
    }

    #[test]
    fn undo_takes_back_only_my_own_edits() {
        let mut a = Client::new();
        let mut b = Client::new();
        a.edit(|txn, root| {
            let mut hero = new_block(BlockType::Hero, "h".into());
            hero.props.insert("heading".into(), "Hi".into());
            insert_at(
                txn,
                root,
                &Slot {
                    parent: None,
                    index: 0,
                },
                &hero,
            )
        });
        deliver(&mut a, &mut b);
        a.end_undo_step();
        // b types in the heading; a adds a spacer.
        b.edit(|txn, root| {
            let t = text_prop(txn, root, "h", "heading").unwrap();
            splice_text(txn, &t, 2, 0, " there");
        });
        a.edit(|txn, root| {
            insert_at(
                txn,
                root,
                &Slot {
                    parent: None,
                    index: 1,
                },
                &new_block(BlockType::Spacer, "s".into()),
            )
        });
        deliver(&mut b, &mut a);
        deliver(&mut a, &mut b);
        assert!(a.undo());
        deliver(&mut a, &mut b);
        let draft = b.read();
        assert_eq!(draft.blocks.len(), 1, "a's spacer is gone");
        assert_eq!(
            draft.blocks[0]["props"]["heading"],
            serde_json::json!([{"insert": "Hi there"}])
        );
        assert_eq!(a.read(), b.read());
        assert!(
            !b.undo()
                || b.read().blocks[0]["props"]["heading"] == serde_json::json!([{"insert": "Hi"}])
        );
    }

    #[test]
    fn edits_made_apart_merge_through_the_sync_handshake() {
        let mut a = Client::new();
        let mut b = Client::new();
        a.edit(|txn, root| {
            insert_at(
                txn,
                root,
                &Slot {
                    parent: None,
                    index: 0,
                },
                &new_block(BlockType::Divider, "d".into()),
            )
        });
        b.edit(|txn, root| {
            insert_at(
                txn,
                root,
                &Slot {
                    parent: None,
                    index: 0,
                },
                &new_block(BlockType::Spacer, "s".into()),
            )
        });
        a.take_outgoing();
        b.take_outgoing();
        handshake(&mut a, &mut b);
        handshake(&mut b, &mut a);
        assert_eq!(a.read(), b.read());
        assert_eq!(a.read().blocks.len(), 2);
    }

    #[test]
    fn a_duplicated_container_gets_fresh_unique_ids_however_many_children_it_has() {
        let mut a = Client::new();
        let columns = crate::blocks::BlockNode {
            children: (0..100)
                .map(|i| new_block(BlockType::Spacer, format!("s{i}")))
                .collect(),
            ..new_block(BlockType::Columns, "c".into())
        };
        a.edit(|txn, root| {
            insert_at(
                txn,
                root,
                &Slot {
                    parent: None,
                    index: 0,
                },
                &columns,
            )
        });
        let copy = a.duplicate("c").expect("copied");
        let ids = crate::draft::edit::all_ids(&a.read().blocks);
        assert_eq!(ids.len(), 202);
        assert!(ids.iter().all(|id| !id.is_empty()));
        assert_eq!(
            ids.iter().collect::<std::collections::HashSet<_>>().len(),
            202
        );
        assert_eq!(ids[101], copy);
    }

    #[test]
    fn presence_travels_and_malformed_frames_are_errors() {
        let mut a = Client::new();
        let mut b = Client::new();
        let frame = a
            .set_presence(
                &serde_json::json!({"user": {"name": "Ann", "color": "#e11d48"}, "selected": "h"}),
            )
            .unwrap();
        let got = b.receive(&frame, &mut Vec::new()).unwrap();
        assert!(got.presence);
        let peers = b.peers(60_000);
        assert_eq!(peers.len(), 1);
        assert_eq!(peers[0].1["user"]["name"], "Ann");
        assert!(b.receive(&[0, 9, 9, 9], &mut Vec::new()).is_err());
    }
}
