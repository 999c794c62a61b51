//! One page's draft in memory: the document, who is connected and their presence.
//!
//! Every accepted update is applied and appended to the draft log before anyone else can see
//! it (the room's lock covers apply and queueing the write; the broadcast waits for the
//! commit), so nothing another editor has seen can be lost by a crash.

use super::hub::Link;
use super::presence::{Owner, Presence};
use super::replicas::{self, Event, Throttle};
use super::{Close, Hub, doc, new_doc};
use crate::sync::lock;
use bytes::Bytes;
use sea_orm::DbErr;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex as StdMutex};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;
use yrs::sync::awareness::AwarenessUpdateEntry;
use yrs::sync::{AwarenessUpdate, Message, SyncMessage};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{ClientID, Doc, ReadTxn, StateVector, Transact, Update};

/// The `from` of updates made by the server itself (restoring a revision), not a connection.
pub(crate) const SERVER: u64 = 0;

struct RoomState {
    doc: DraftDoc,
    /// Log rows not yet compacted.
    pending: u64,
    /// Every log update of the page up to this id is in `doc`.
    last_id: i64,
    /// With replicas: this room's own committed updates after `last_id` (the others' may
    /// lie between them until [`Room::catch_up`] reads them).
    own: Vec<i64>,
    /// The document's encoded size when last measured, plus every update accepted since.
    doc_bytes: usize,
    /// Bytes accepted since the size was last measured.
    unmeasured: usize,
}

impl RoomState {
    /// Whether `extra` more bytes keep the draft within `max`. The running estimate only
    /// grows (a deletion counts as growth too), so before saying no the document is measured
    /// if anything was accepted since the last measure: a draft near the limit can still
    /// shrink. Only drafts near the limit pay for that encode, and a refusal closes its
    /// connection.
    fn fits(&mut self, extra: usize, max: usize) -> bool {
        if self.doc_bytes + extra <= max {
            return true;
        }
        if self.unmeasured > 0 {
            self.doc_bytes = self.doc.encoded_len();
            self.unmeasured = 0;
            return self.doc_bytes + extra <= max;
        }
        false
    }
}

/// A page's draft document, read from storage or held by a room. Its full state is encoded
/// here only ([`DraftDoc::snapshot`]), so what a snapshot row stores, what the size limit
/// measures and what a restore starts from cannot drift apart.
pub(crate) struct DraftDoc(Doc);

impl DraftDoc {
    pub fn new(doc: Doc) -> Self {
        Self(doc)
    }

    /// The yrs document itself.
    pub fn doc(&self) -> &Doc {
        &self.0
    }

    /// The full state as one update: what a snapshot stores.
    pub fn snapshot(&self) -> Vec<u8> {
        self.0
            .transact()
            .encode_state_as_update_v1(&StateVector::default())
    }

    /// The size of the full state, as stored in a snapshot.
    pub fn encoded_len(&self) -> usize {
        self.snapshot().len()
    }
}

pub struct Room {
    pub page_id: i64,
    pub shop_id: i64,
    state: Mutex<RoomState>,
    /// Presence and the peer list stay consistent whatever panicked while holding them.
    presence: StdMutex<Presence>,
    /// Open connections, each with its own outbox.
    peers: StdMutex<HashMap<u64, Arc<Link>>>,
    /// Asking the other replicas for their presence on this page, and answering them: each
    /// at most once per [`replicas::PRESENCE_EVERY`].
    asked: StdMutex<Throttle>,
    answered: StdMutex<Throttle>,
    /// Committed updates not yet broadcast, with the connection each came from (see
    /// [`Room::broadcast_update`]). Held while a batch is queued, so batches go out in the
    /// order they were taken.
    unsent: StdMutex<Vec<(u64, Vec<u8>)>>,
    /// Set while a task writes queued frames out ([`Room::write_out`]).
    writing: AtomicBool,
    /// Frames were queued that the writing task may not have seen yet.
    queued: AtomicBool,
    /// Set when the room is dropped from the hub because its memory can no longer be trusted;
    /// its connections close so clients reconnect to a room reloaded from the database.
    closed: AtomicBool,
    last_active: StdMutex<Instant>,
}

impl Room {
    pub(crate) fn new(
        page_id: i64,
        shop_id: i64,
        doc: DraftDoc,
        pending: u64,
        last_id: i64,
        doc_bytes: usize,
    ) -> Self {
        Self {
            page_id,
            shop_id,
            state: Mutex::new(RoomState {
                doc,
                pending,
                last_id,
                own: Vec::new(),
                doc_bytes,
                unmeasured: 0,
            }),
            presence: StdMutex::new(Presence::default()),
            peers: StdMutex::new(HashMap::new()),
            asked: StdMutex::default(),
            answered: StdMutex::default(),
            unsent: StdMutex::new(Vec::new()),
            writing: AtomicBool::new(false),
            queued: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            last_active: StdMutex::new(Instant::now()),
        }
    }

    pub(crate) fn touch(&self) {
        *lock(&self.last_active) = Instant::now();
    }

    /// Closes the room if nobody is connected and it has been idle for `idle`; true if it
    /// did. Decided under the peer lock, so a connection attaching at the same moment either
    /// keeps the room open or finds it closed (and reconnects to a fresh one) — never writes
    /// into a room the hub has already unloaded.
    pub(crate) fn retire_if_idle(&self, idle: Duration) -> bool {
        let peers = lock(&self.peers);
        let retire = peers.is_empty() && lock(&self.last_active).elapsed() >= idle;
        if retire {
            self.closed.store(true, Ordering::Release);
        }
        retire
    }

    /// Open connections to this room.
    pub fn connection_count(&self) -> usize {
        lock(&self.peers).len()
    }

    /// Adds a connection's outbox; a room already closed closes it at once.
    pub(crate) fn attach(&self, link: Arc<Link>) {
        let mut peers = lock(&self.peers);
        if self.closed.load(Ordering::Acquire) {
            // Unloaded meanwhile: the client reconnects and gets the room afresh.
            link.outbox.close(Close::GoingAway);
        }
        peers.insert(link.id, link);
        drop(peers);
        self.touch();
    }

    /// Removes a connection: its presence goes, and the others are told.
    pub(crate) fn detach(&self, hub: &Hub, connection: u64) {
        lock(&self.peers).remove(&connection);
        let gone = lock(&self.presence).leave(connection);
        if !gone.is_empty() {
            let frame = Frame::presence(gone);
            self.relay_presence(hub, &frame);
            self.broadcast(hub, connection, false, frame);
        }
        self.touch();
    }

    /// Closes every connection (the room is being dropped); later updates are refused.
    pub(crate) fn close_all(&self, why: Close) {
        let peers = lock(&self.peers);
        self.closed.store(true, Ordering::Release);
        for link in peers.values() {
            link.outbox.close(why.clone());
        }
    }

    /// Sends a frame to every connection but `from` (and to `from` too if `to_sender`): see
    /// [`Room::queue`] and [`Room::write_out`].
    pub(crate) fn broadcast(&self, hub: &Hub, from: u64, to_sender: bool, frame: Frame) {
        self.queue(hub, from, to_sender, frame);
        self.write_out();
    }

    /// Queues a frame for every connection but `from` (and for `from` too if `to_sender`).
    /// A document update also wakes the page's preview streams: its kind says so, not its
    /// bytes.
    fn queue(&self, hub: &Hub, from: u64, to_sender: bool, frame: Frame) {
        let limit = hub.limits().max_queued_bytes;
        for (id, link) in lock(&self.peers).iter() {
            if *id != from || to_sender {
                // The bytes are shared, not copied, per recipient.
                link.outbox.push(frame.bytes.clone(), limit);
            }
        }
        match frame.kind {
            FrameKind::Update => hub.page_changed(self.page_id),
            FrameKind::Presence => {}
        }
    }

    /// Writes what is queued to every connection whose task lent its transport (see
    /// `outbox`), each connection's frames as one write, from the calling task: no task
    /// wake-up per connection. One caller writes at a time; frames queued meanwhile are left
    /// to it (it passes again), so nobody waits for a busy writer, and a burst of edits
    /// reaches each connection not yet written to as one write.
    fn write_out(&self) {
        /// Lets the next caller write, however this one ends.
        struct Writing<'a>(&'a AtomicBool);
        impl Drop for Writing<'_> {
            fn drop(&mut self) {
                self.0.store(false, Ordering::SeqCst);
            }
        }
        self.queued.store(true, Ordering::SeqCst);
        loop {
            if self.writing.swap(true, Ordering::SeqCst) {
                // The writer sees `queued` before it stops.
                return;
            }
            let writing = Writing(&self.writing);
            while self.queued.swap(false, Ordering::SeqCst) {
                // Not under the peer lock: joining and leaving do not wait for the writes.
                let peers: Vec<Arc<Link>> = lock(&self.peers).values().cloned().collect();
                for link in peers {
                    link.outbox.write_queued();
                }
            }
            drop(writing);
            // Queued between the last pass and `writing` cleared: write it, unless another
            // caller already does.
            if !self.queued.load(Ordering::SeqCst) {
                return;
            }
        }
    }

    /// Broadcasts a committed update, together with the others committed at the same moment
    /// (one group commit wakes all their editors at once): the first to arrive yields once so
    /// the rest can join, then sends the batch as one update merged from all of it, so every
    /// recipient gets one frame (one write) per batch rather than one per update. A batch
    /// from one connection skips it as before; one from several goes to everyone, its
    /// senders included (applying an update one already has changes nothing).
    pub(crate) async fn broadcast_update(&self, hub: &Hub, from: u64, update: Vec<u8>) {
        let first = {
            let mut unsent = lock(&self.unsent);
            unsent.push((from, update));
            unsent.len() == 1
        };
        if !first {
            return;
        }
        tokio::task::yield_now().await;
        let mut unsent = lock(&self.unsent);
        let batch = std::mem::take(&mut *unsent);
        let from = batch[0].0;
        let one_sender = batch.iter().all(|(f, _)| *f == from);
        let merged = if batch.len() == 1 {
            None
        } else {
            yrs::merge_updates_v1(batch.iter().map(|(_, u)| u.as_slice())).ok()
        };
        match merged {
            Some(update) => {
                let from = if one_sender { from } else { SERVER };
                self.queue(hub, from, false, Frame::update(update));
            }
            // One update, or updates that yrs does not merge: as they are, in order.
            None => {
                for (from, update) in batch {
                    self.queue(hub, from, false, Frame::update(update));
                }
            }
        }
        drop(unsent);
        self.write_out();
    }

    /// Applies presence from a connection and passes on what was taken, as one frame, to
    /// everyone including the sender (Yjs clients expect their own state echoed).
    pub(crate) fn announce(
        &self,
        who: &Owner,
        own: &mut Option<ClientID>,
        update: AwarenessUpdate,
        hub: &Hub,
    ) -> Result<(), Close> {
        let accepted =
            lock(&self.presence).apply(who, own, update, hub.limits().max_presence_bytes)?;
        if !accepted.is_empty() {
            let frame = Frame::presence(accepted);
            self.relay_presence(hub, &frame);
            self.broadcast(hub, who.connection, true, frame);
        }
        Ok(())
    }

    /// Passes presence on to the other replicas' connections to this page.
    fn relay_presence(&self, hub: &Hub, frame: &Frame) {
        if let Some(replicas) = hub.replicas() {
            replicas.notify_soon(Event::Presence {
                page_id: self.page_id,
                frame: frame.bytes.to_vec(),
            });
        }
    }

    /// A connection joined: the other replicas are asked for their connections' presence on
    /// this page (they answer with [`Room::tell_presence`]), as this replica's is in the
    /// greeting. At most once per [`replicas::PRESENCE_EVERY`]; joins meanwhile are covered
    /// by one question at the window's end.
    pub(crate) fn ask_presence(self: &Arc<Self>, hub: &Hub) {
        let Some(replicas) = hub.replicas().cloned() else {
            return;
        };
        let page_id = self.page_id;
        self.throttled(
            |room| &room.asked,
            move |_| replicas.notify_soon(Event::PresenceWanted { page_id }),
        );
    }

    /// Another replica asked for this page's presence: this replica's connections' states go
    /// to the others, in frames that fit a notification. At most once per
    /// [`replicas::PRESENCE_EVERY`], like the question.
    pub(crate) fn tell_presence(self: &Arc<Self>, hub: &Hub) {
        let Some(replicas) = hub.replicas().cloned() else {
            return;
        };
        let page_id = self.page_id;
        self.throttled(
            |room| &room.answered,
            move |room| {
                let states = lock(&room.presence).snapshot();
                for frame in replicas::presence_frames(states) {
                    replicas.notify_soon(Event::Presence { page_id, frame });
                }
            },
        );
    }

    /// Runs `send` now, or once `throttle` allows (from a task, if the room is still there).
    fn throttled(
        self: &Arc<Self>,
        throttle: fn(&Room) -> &StdMutex<Throttle>,
        send: impl FnOnce(&Room) + Send + 'static,
    ) {
        let wait = lock(throttle(self)).request(Instant::now(), replicas::PRESENCE_EVERY);
        match wait {
            None => {}
            Some(wait) if wait.is_zero() => send(self),
            Some(wait) => {
                let room = Arc::downgrade(self);
                tokio::spawn(async move {
                    tokio::time::sleep(wait).await;
                    if let Some(room) = room.upgrade() {
                        lock(throttle(&room)).sent(Instant::now());
                        send(&room);
                    }
                });
            }
        }
    }

    /// Presence from another replica, for this replica's connections.
    pub(crate) fn remote_presence(&self, hub: &Hub, frame: Vec<u8>) {
        self.broadcast(
            hub,
            SERVER,
            false,
            Frame {
                kind: FrameKind::Presence,
                bytes: frame.into(),
            },
        );
    }

    /// Reads what other replicas committed to this page's log since this room last looked
    /// (up to at least `upto`, when given and not already seen), applies it and passes it
    /// on to this room's connections. The log is the only source: a notification only says
    /// where to look.
    pub async fn catch_up(&self, hub: &Hub, upto: Option<i64>) -> Result<(), DbErr> {
        let mut state = self.state.lock().await;
        if upto.is_some_and(|id| id <= state.last_id) || self.closed.load(Ordering::Acquire) {
            return Ok(());
        }
        self.catch_up_locked(hub, &mut state).await
    }

    async fn catch_up_locked(&self, hub: &Hub, state: &mut RoomState) -> Result<(), DbErr> {
        let missed = hub
            .store()
            .updates_after(self.page_id, state.last_id, &state.own)
            .await?;
        let mut last = state
            .last_id
            .max(state.own.iter().copied().max().unwrap_or(0));
        let snapshot = missed.snapshot.map(|(upto, data)| {
            last = last.max(upto);
            data
        });
        for (id, data) in missed
            .rows
            .into_iter()
            .map(|(id, data)| (Some(id), data))
            .chain(snapshot.map(|data| (None, data)))
        {
            if let Some(id) = id {
                last = last.max(id);
            }
            let doc = state.doc.doc();
            let applied = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                doc::decode_update(&data).map(|u| doc::apply_update(doc, u))
            }));
            if !matches!(applied, Ok(Ok(Ok(())))) {
                tracing::error!(
                    page_id = self.page_id,
                    ?id,
                    "an update from another replica does not apply; skipped"
                );
                continue;
            }
            state.doc_bytes += data.len();
            state.unmeasured += data.len();
            self.broadcast(hub, SERVER, false, Frame::update(data));
        }
        state.last_id = last;
        state.own.clear();
        Ok(())
    }

    /// Everyone's presence as one frame, if anybody is present.
    pub(crate) fn presence(&self) -> Option<Vec<u8>> {
        let presence = lock(&self.presence);
        (!presence.is_empty()).then(|| Message::Awareness(presence.snapshot()).encode_v1())
    }

    /// Everyone's presence, even when nobody is (the answer to an awareness query).
    pub(crate) fn presence_always(&self) -> Vec<u8> {
        Message::Awareness(lock(&self.presence).snapshot()).encode_v1()
    }

    /// The document's state vector.
    pub(crate) async fn state_vector(&self) -> StateVector {
        self.state.lock().await.doc.doc().transact().state_vector()
    }

    /// What a peer with state vector `sv` lacks.
    pub(crate) async fn diff(&self, sv: &StateVector) -> Vec<u8> {
        self.state
            .lock()
            .await
            .doc
            .doc()
            .transact()
            .encode_state_as_update_v1(sv)
    }

    /// The draft as JSON.
    pub async fn draft(&self) -> doc::DraftJson {
        let state = self.state.lock().await;
        doc::read_draft(state.doc.doc())
    }

    /// The draft's full state as one update: what a snapshot stores.
    pub async fn snapshot(&self) -> Vec<u8> {
        self.state.lock().await.doc.snapshot()
    }

    /// A change made on the server (see `Hub::edit_draft`), as one update that every editor
    /// receives: `change` edits a copy of the draft and returns its update.
    pub async fn edit(
        &self,
        hub: &Hub,
        change: impl FnOnce(&Doc) -> Vec<u8>,
    ) -> Result<(), Rejected> {
        let current = self.snapshot().await;
        let scratch = new_doc();
        let decoded =
            Update::decode_v1(&current).map_err(|e| Rejected::Malformed(e.to_string()))?;
        scratch
            .transact_mut()
            .apply_update(decoded)
            .map_err(|e| Rejected::Malformed(e.to_string()))?;
        let update = change(&scratch);
        self.apply_local(hub, update).await
    }

    /// Applies an update made on the server (not by a connection), stores and broadcasts it.
    pub async fn apply_local(&self, hub: &Hub, update: Vec<u8>) -> Result<(), Rejected> {
        self.accept_update(hub, SERVER, &update).await
    }

    /// Apply and queue the write under the room lock (so the log keeps apply order), wait
    /// for the commit without holding the room (group commit, other editors carry on), then
    /// broadcast: nobody sees an update before it is stored.
    pub(crate) async fn accept_update(
        &self,
        hub: &Hub,
        from: u64,
        data: &[u8],
    ) -> Result<(), Rejected> {
        let committed = {
            let mut state = self.state.lock().await;
            if self.closed.load(Ordering::Acquire) {
                return Err(Rejected::Closed);
            }
            // yrs asserts (debug builds) on client ids beyond 53 bits: malformed, not a panic.
            // Scanned before yrs decodes it: a value nested 100k deep would overflow yrs.
            let update = std::panic::catch_unwind(|| doc::decode_update(data))
                .map_err(|_| Rejected::Malformed("update: undecodable client id".into()))?
                .map_err(|e| Rejected::Malformed(format!("update: {e}")))?;
            if update.is_empty() {
                return Ok(());
            }
            // Server-made updates (a restore) are exempt: they are how an oversized draft
            // is reset.
            if from != SERVER && !state.fits(data.len(), hub.limits().max_document_bytes) {
                return Err(Rejected::TooLarge);
            }
            let doc = state.doc.doc();
            // yrs can panic on some inputs; a panic must cost this room, not the process.
            // Refuses (applying nothing) shared types nested too deeply to edit safely.
            let applied = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                doc::apply_update(doc, update)
            }));
            match applied {
                Ok(Ok(())) => {}
                Ok(Err(e)) => return Err(Rejected::Malformed(format!("update: {e}"))),
                Err(_) => {
                    tracing::error!(
                        page_id = self.page_id,
                        "applying an update panicked; reloading the room"
                    );
                    drop(state);
                    hub.discard(self).await;
                    return Err(Rejected::NotStored);
                }
            }
            state.doc_bytes += data.len();
            state.unmeasured += data.len();
            hub.store()
                .enqueue(self.shop_id, self.page_id, data.to_vec())
                .await
        };
        let id = match committed {
            Ok(commit) => commit.await,
            Err(e) => Err(e),
        };
        let id = match id {
            Ok(id) => id,
            Err(e) => {
                tracing::error!(page_id = self.page_id, error = %e, "storing a draft update failed; reloading the room");
                // The in-memory doc is ahead of the database: drop it so nobody sees that.
                hub.discard(self).await;
                return Err(Rejected::NotStored);
            }
        };
        self.broadcast_update(hub, from, data.to_vec()).await;
        let mut state = self.state.lock().await;
        if hub.replicas().is_none() {
            state.last_id = state.last_id.max(id);
        } else if id > state.last_id {
            // Other replicas' updates may lie below it, unread yet.
            state.own.push(id);
        }
        state.pending += 1;
        if state.pending >= hub.limits().compact_every {
            if hub.replicas().is_some()
                && let Err(e) = self.catch_up_locked(hub, &mut state).await
            {
                tracing::warn!(page_id = self.page_id, error = %e, "catching up before compaction failed; will retry");
                return Ok(());
            }
            let snapshot = state.doc.snapshot();
            let size = snapshot.len();
            match hub
                .store()
                .compact(self.shop_id, self.page_id, snapshot, state.last_id)
                .await
            {
                Ok(()) => {
                    state.pending = 0;
                    state.doc_bytes = size;
                    state.unmeasured = 0;
                }
                Err(e) => {
                    tracing::warn!(page_id = self.page_id, error = %e, "compaction failed; will retry")
                }
            }
        }
        Ok(())
    }

    /// Folds the log into a snapshot of the document (with replicas, after reading what the
    /// others wrote: the snapshot must hold every update up to the id it names).
    pub(crate) async fn compact(&self, hub: &Hub) -> Result<(), DbErr> {
        let mut state = self.state.lock().await;
        if state.pending == 0 {
            return Ok(());
        }
        if hub.replicas().is_some() {
            self.catch_up_locked(hub, &mut state).await?;
        }
        let snapshot = state.doc.snapshot();
        hub.store()
            .compact(self.shop_id, self.page_id, snapshot, state.last_id)
            .await?;
        state.pending = 0;
        Ok(())
    }
}

/// The update that makes `doc`'s blocks `blocks` (applied to `doc` too).
pub(crate) fn replace_update(
    doc: &Doc,
    fields: &app::draft::PageFields,
    blocks: &[app::blocks::Block],
) -> Vec<u8> {
    let before = doc.transact().state_vector();
    let page = doc.get_or_insert_map(doc::PAGE_ROOT);
    let root = doc.get_or_insert_array(doc::BLOCKS_ROOT);
    {
        let mut txn = doc.transact_mut();
        doc::write_page_fields(&mut txn, &page, fields);
        let len = yrs::Array::len(&root, &txn);
        yrs::Array::remove_range(&root, &mut txn, 0, len);
        for block in blocks {
            doc::push_block(&mut txn, &root, block);
        }
    }
    doc.transact().encode_state_as_update_v1(&before)
}

/// A change to some of the draft's page fields, made on `doc`: the update it made.
pub(crate) fn page_fields_update(
    doc: &Doc,
    changes: &[(app::draft::PageField, String)],
) -> Vec<u8> {
    let before = doc.transact().state_vector();
    let page = doc.get_or_insert_map(doc::PAGE_ROOT);
    {
        let mut txn = doc.transact_mut();
        for (field, value) in changes {
            app::draft::edit::set_page_field(&mut txn, &page, *field, value);
        }
    }
    doc.transact().encode_state_as_update_v1(&before)
}

/// Why a room did not take an update. The socket layer answers a connection with the
/// matching close code (`From<Rejected> for Close`); the API answers a restore with an HTTP
/// error (`From<HubError> for AppError`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Rejected {
    /// The room was closed meanwhile (unloaded, or the server is shutting down); a fresh
    /// room takes the update.
    #[error("server shutting down")]
    Closed,
    /// The update does not decode, or nests too deeply.
    #[error("malformed message: {0}")]
    Malformed(String),
    /// The update would make the draft larger than
    /// [`Limits::max_document_bytes`](super::Limits::max_document_bytes).
    #[error("the draft would be too large")]
    TooLarge,
    /// Applying or storing the update failed; the room was dropped so it reloads from what
    /// is stored.
    #[error("could not store the update")]
    NotStored,
}

/// What a frame the room sends to its connections carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FrameKind {
    /// A change to the document (a y-sync update).
    Update,
    /// Presence (y-sync awareness): who is here and what they have selected.
    Presence,
}

/// A frame the room broadcasts: its kind, and the y-sync bytes that go on the wire.
#[derive(Clone, Debug)]
pub(crate) struct Frame {
    pub kind: FrameKind,
    pub bytes: Bytes,
}

impl Frame {
    /// A document update, as y-sync sends it.
    fn update(update: Vec<u8>) -> Self {
        Self {
            kind: FrameKind::Update,
            bytes: Message::Sync(SyncMessage::Update(update))
                .encode_v1()
                .into(),
        }
    }

    /// Presence entries, as y-sync sends them.
    fn presence(entries: HashMap<ClientID, AwarenessUpdateEntry>) -> Self {
        Self {
            kind: FrameKind::Presence,
            bytes: Message::Awareness(AwarenessUpdate { clients: entries })
                .encode_v1()
                .into(),
        }
    }
}
