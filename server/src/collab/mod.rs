//! The collaboration hub: one room per page draft, speaking the y-sync protocol (`yrs::sync`)
//! with any Yjs client. This module is transport-free (frames in, frames out) so it is tested
//! without sockets; `ws` moves its frames over axum WebSockets.
//!
//! Every accepted update is applied and appended to the draft log before anyone else can see
//! it (the room's lock covers apply, store and broadcast), so nothing another editor has seen
//! can be lost by a crash. Rooms load lazily, are unloaded (compacted) when idle, and are all
//! compacted on shutdown.

pub use app::draft as doc;
pub mod store;
pub mod ws;

use crate::publish::store as published;
use entity::page;
use sea_orm::{DatabaseConnection, DbErr, EntityTrait};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex as StdMutex};
use std::time::{Duration, Instant};
use store::DraftStore;
use tokio::sync::{Mutex, broadcast, watch};
use yrs::encoding::read::Cursor;
use yrs::sync::{Awareness, AwarenessUpdate, Message, MessageReader, SyncMessage};
use yrs::updates::decoder::{Decode, DecoderV1};
use yrs::updates::encoder::Encode;
use yrs::{ClientID, Doc, ReadTxn, StateVector, Transact, Update};

/// Limits that protect the server from one client.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Largest WebSocket message accepted.
    pub max_message_bytes: usize,
    /// Sustained messages per second per connection …
    pub messages_per_second: f64,
    /// … and the burst allowed above that.
    pub message_burst: f64,
    /// Rooms kept in memory at once.
    pub max_rooms: usize,
    /// A room with no connections for this long is compacted and unloaded.
    pub idle_unload: Duration,
    /// Compact the log into a snapshot after this many updates.
    pub compact_every: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_message_bytes: 1024 * 1024,
            messages_per_second: 100.0,
            message_burst: 400.0,
            max_rooms: 1000,
            idle_unload: Duration::from_secs(60),
            compact_every: 500,
        }
    }
}

/// Why a connection is closed, with the WebSocket close code it is answered with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Close {
    /// 1009: a message over [`Limits::max_message_bytes`].
    TooBig,
    /// 1007: a frame that is not a y-sync message, or an update that does not decode.
    Malformed(String),
    /// 4429: more messages than [`Limits::messages_per_second`] allows.
    RateLimited,
    /// 1011: the server could not store an update (the update was not applied).
    Internal,
    /// 1001: the server is shutting down.
    GoingAway,
    /// 1013: the client reads too slowly to keep up with the room.
    TooSlow,
}

impl Close {
    pub fn code(&self) -> u16 {
        match self {
            Close::TooBig => 1009,
            Close::Malformed(_) => 1007,
            Close::RateLimited => 4429,
            Close::Internal => 1011,
            Close::GoingAway => 1001,
            Close::TooSlow => 1013,
        }
    }

    pub fn reason(&self) -> String {
        match self {
            Close::TooBig => "message too big".into(),
            Close::Malformed(why) => format!("malformed message: {why}")
                .chars()
                .take(120)
                .collect(),
            Close::RateLimited => "too many messages".into(),
            Close::Internal => "could not store the update".into(),
            Close::GoingAway => "server shutting down".into(),
            Close::TooSlow => "client too slow".into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error("page not found")]
    NotFound,
    #[error("too many documents open; try again shortly")]
    RoomsFull,
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// A frame for the room's other connections.
#[derive(Clone, Debug)]
pub struct Frame {
    pub from: u64,
    /// Awareness is echoed to its sender too (Yjs clients expect it).
    pub to_sender: bool,
    pub data: Arc<Vec<u8>>,
}

pub struct Hub {
    db: DatabaseConnection,
    store: DraftStore,
    limits: Limits,
    rooms: Mutex<HashMap<i64, Arc<Room>>>,
    next_connection: AtomicU64,
    shutdown: watch::Sender<bool>,
}

impl Hub {
    pub fn new(db: DatabaseConnection, limits: Limits) -> Arc<Self> {
        Arc::new(Self {
            store: DraftStore::new(db.clone()),
            db,
            limits,
            rooms: Mutex::new(HashMap::new()),
            next_connection: AtomicU64::new(1),
            shutdown: watch::channel(false).0,
        })
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    pub fn store(&self) -> &DraftStore {
        &self.store
    }

    /// Resolves when the hub is told to shut down.
    pub fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.shutdown.subscribe()
    }

    /// The page's room, loading it (or seeding the draft from the live revision) if needed.
    pub async fn room(&self, page: &page::Model) -> Result<Arc<Room>, HubError> {
        let mut rooms = self.rooms.lock().await;
        if let Some(room) = rooms.get(&page.id) {
            room.touch();
            return Ok(room.clone());
        }
        if rooms.len() >= self.limits.max_rooms {
            self.evict_idle(&mut rooms, Duration::ZERO).await;
            if rooms.len() >= self.limits.max_rooms {
                return Err(HubError::RoomsFull);
            }
        }
        let room = Arc::new(self.load(page).await?);
        rooms.insert(page.id, room.clone());
        Ok(room)
    }

    /// Number of rooms in memory.
    pub async fn room_count(&self) -> usize {
        self.rooms.lock().await.len()
    }

    async fn load(&self, page: &page::Model) -> Result<Room, DbErr> {
        let stored = self.store.load(page.id).await?;
        let doc = new_doc();
        let mut pending = stored.pending;
        if stored.updates.is_empty() {
            // A page without a draft starts from what customers see now.
            let blocks = match page.live_revision_id {
                Some(rev) => published::load_revision(&self.db, rev).await?,
                None => Vec::new(),
            };
            let fields = doc::PageFields {
                title: &page.title,
                slug: &page.slug,
                seo_title: page.seo_title.as_deref(),
                seo_description: page.seo_description.as_deref(),
            };
            doc::seed_doc(&doc, &fields, &blocks);
            let state = doc
                .transact()
                .encode_state_as_update_v1(&StateVector::default());
            self.store.append(page.shop_id, page.id, state).await?;
            pending = 1;
        } else {
            let mut txn = doc.transact_mut();
            for (i, data) in stored.updates.iter().enumerate() {
                match Update::decode_v1(data).map(|u| txn.apply_update(u)) {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => {
                        tracing::error!(page_id = page.id, index = i, error = %e, "stored draft update does not apply; skipped")
                    }
                    Err(e) => {
                        tracing::error!(page_id = page.id, index = i, error = %e, "stored draft update does not decode; skipped")
                    }
                }
            }
        }
        let last_id = self.store.last_update_id(page.id).await?;
        tracing::debug!(page_id = page.id, pending, "room loaded");
        Ok(Room::new(page.id, page.shop_id, doc, pending, last_id))
    }

    /// Opens a connection to a room. `can_edit` is false for viewers: their updates are
    /// refused (neither applied, stored nor broadcast).
    pub fn connect(self: &Arc<Self>, room: Arc<Room>, can_edit: bool) -> Connection {
        room.connections.fetch_add(1, Ordering::AcqRel);
        room.touch();
        Connection {
            id: self.next_connection.fetch_add(1, Ordering::Relaxed),
            hub: self.clone(),
            rx: room.tx.subscribe(),
            room,
            can_edit,
            bucket: TokenBucket::new(self.limits.messages_per_second, self.limits.message_burst),
            awareness_clients: HashSet::new(),
        }
    }

    /// Compacts and drops rooms nobody has been connected to for `idle`.
    async fn evict_idle(&self, rooms: &mut HashMap<i64, Arc<Room>>, idle: Duration) {
        let idle_ids: Vec<i64> = rooms
            .iter()
            .filter(|(_, r)| r.is_idle_for(idle))
            .map(|(id, _)| *id)
            .collect();
        for id in idle_ids {
            if let Some(room) = rooms.remove(&id)
                && let Err(e) = room.compact(&self.store).await
            {
                tracing::error!(page_id = id, error = %e, "compacting an idle room failed (its log is intact)");
            }
        }
    }

    /// Unloads rooms idle for longer than [`Limits::idle_unload`].
    pub async fn sweep(&self) {
        let mut rooms = self.rooms.lock().await;
        self.evict_idle(&mut rooms, self.limits.idle_unload).await;
    }

    /// Runs [`Hub::sweep`] periodically until shutdown.
    pub fn spawn_sweeper(self: &Arc<Self>) {
        let hub = self.clone();
        let mut stop = self.shutdown_signal();
        tokio::spawn(async move {
            let every = (hub.limits.idle_unload / 2).max(Duration::from_millis(50));
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(every) => hub.sweep().await,
                    _ = stop.changed() => break,
                }
            }
        });
    }

    /// Tells connections to close and compacts every room. Updates are already durable; this
    /// only leaves the log short for the next start.
    pub async fn shutdown(&self) {
        let _ = self.shutdown.send(true);
        let mut rooms = self.rooms.lock().await;
        for (id, room) in rooms.drain() {
            if let Err(e) = room.compact(&self.store).await {
                tracing::error!(page_id = id, error = %e, "compacting at shutdown failed (its log is intact)");
            }
        }
    }

    /// Closes a page's room, if loaded, without compacting (the page is going away).
    pub async fn forget_page(&self, page_id: i64) {
        let room = self.rooms.lock().await.get(&page_id).cloned();
        if let Some(room) = room {
            self.discard(&room).await;
        }
    }

    /// Drops a room from memory without compacting and closes its connections (after a
    /// storage failure or a panic while applying, so the next connection reloads what is
    /// really stored).
    async fn discard(&self, room: &Room) {
        let _ = room.closed.send(true);
        let mut rooms = self.rooms.lock().await;
        if rooms
            .get(&room.page_id)
            .is_some_and(|r| std::ptr::eq(r.as_ref(), room))
        {
            rooms.remove(&room.page_id);
        }
    }
}

struct RoomState {
    awareness: Awareness,
    /// Log rows not yet compacted.
    pending: u64,
    last_id: i64,
}

pub struct Room {
    pub page_id: i64,
    pub shop_id: i64,
    state: Mutex<RoomState>,
    tx: broadcast::Sender<Frame>,
    /// Set when the room is dropped from the hub because its memory can no longer be trusted;
    /// its connections close so clients reconnect to a room reloaded from the database.
    closed: watch::Sender<bool>,
    connections: AtomicUsize,
    last_active: StdMutex<Instant>,
}

impl Room {
    fn new(page_id: i64, shop_id: i64, doc: Doc, pending: u64, last_id: i64) -> Self {
        Self {
            page_id,
            shop_id,
            state: Mutex::new(RoomState {
                awareness: Awareness::new(doc),
                pending,
                last_id,
            }),
            // Frames waiting for the slowest reader; a reader further behind is closed (1013).
            tx: broadcast::channel(256).0,
            closed: watch::channel(false).0,
            connections: AtomicUsize::new(0),
            last_active: StdMutex::new(Instant::now()),
        }
    }

    fn touch(&self) {
        *self.last_active.lock().expect("room clock") = Instant::now();
    }

    fn is_idle_for(&self, idle: Duration) -> bool {
        self.connections.load(Ordering::Acquire) == 0
            && self.last_active.lock().expect("room clock").elapsed() >= idle
    }

    /// Every frame the room sends (updates and presence).
    pub fn subscribe(&self) -> broadcast::Receiver<Frame> {
        self.tx.subscribe()
    }

    /// The draft as JSON.
    pub async fn draft(&self) -> doc::DraftJson {
        let state = self.state.lock().await;
        doc::read_draft(state.awareness.doc())
    }

    /// Replaces the draft's blocks (restoring a revision into the draft), as one update that
    /// every editor receives.
    pub async fn replace_blocks(
        &self,
        hub: &Hub,
        blocks: &[app::blocks::Block],
    ) -> Result<(), Close> {
        let update = {
            let state = self.state.lock().await;
            let current = state
                .awareness
                .doc()
                .transact()
                .encode_state_as_update_v1(&StateVector::default());
            drop(state);
            let scratch = new_doc();
            let decoded =
                Update::decode_v1(&current).map_err(|e| Close::Malformed(e.to_string()))?;
            scratch
                .transact_mut()
                .apply_update(decoded)
                .map_err(|e| Close::Malformed(e.to_string()))?;
            let before = scratch.transact().state_vector();
            let root = scratch.get_or_insert_array(doc::BLOCKS_ROOT);
            {
                let mut txn = scratch.transact_mut();
                let len = yrs::Array::len(&root, &txn);
                yrs::Array::remove_range(&root, &mut txn, 0, len);
                for block in blocks {
                    doc::push_block(&mut txn, &root, block);
                }
            }
            scratch.transact().encode_state_as_update_v1(&before)
        };
        self.apply_local(hub, update).await
    }

    /// Applies an update made on the server (not by a connection), stores and broadcasts it.
    pub async fn apply_local(&self, hub: &Hub, update: Vec<u8>) -> Result<(), Close> {
        self.accept_update(hub, 0, &update).await
    }

    /// Apply → store → broadcast, under the room lock.
    /// Apply and queue the write under the room lock (so the log keeps apply order), wait
    /// for the commit without holding the room (group commit, other editors carry on), then
    /// broadcast: nobody sees an update before it is stored.
    async fn accept_update(&self, hub: &Hub, from: u64, data: &[u8]) -> Result<(), Close> {
        let committed = {
            let state = self.state.lock().await;
            if *self.closed.borrow() {
                return Err(Close::GoingAway);
            }
            let update =
                Update::decode_v1(data).map_err(|e| Close::Malformed(format!("update: {e}")))?;
            if update.is_empty() {
                return Ok(());
            }
            let doc = state.awareness.doc();
            // yrs can panic on some inputs; a panic must cost this room, not the process.
            let applied = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                doc.transact_mut().apply_update(update)
            }));
            match applied {
                Ok(Ok(())) => {}
                Ok(Err(e)) => return Err(Close::Malformed(format!("update: {e}"))),
                Err(_) => {
                    tracing::error!(
                        page_id = self.page_id,
                        "applying an update panicked; reloading the room"
                    );
                    drop(state);
                    hub.discard(self).await;
                    return Err(Close::Internal);
                }
            }
            hub.store
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
                return Err(Close::Internal);
            }
        };
        let frame = Message::Sync(SyncMessage::Update(data.to_vec())).encode_v1();
        let _ = self.tx.send(Frame {
            from,
            to_sender: false,
            data: Arc::new(frame),
        });
        let mut state = self.state.lock().await;
        state.last_id = state.last_id.max(id);
        state.pending += 1;
        if state.pending >= hub.limits.compact_every {
            let snapshot = state
                .awareness
                .doc()
                .transact()
                .encode_state_as_update_v1(&StateVector::default());
            match hub
                .store
                .compact(self.shop_id, self.page_id, snapshot, state.last_id)
                .await
            {
                Ok(()) => state.pending = 0,
                Err(e) => {
                    tracing::warn!(page_id = self.page_id, error = %e, "compaction failed; will retry")
                }
            }
        }
        Ok(())
    }

    async fn compact(&self, store: &DraftStore) -> Result<(), DbErr> {
        let mut state = self.state.lock().await;
        if state.pending == 0 {
            return Ok(());
        }
        let snapshot = state
            .awareness
            .doc()
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        store
            .compact(self.shop_id, self.page_id, snapshot, state.last_id)
            .await?;
        state.pending = 0;
        Ok(())
    }
}

/// One client's connection to a room.
pub struct Connection {
    pub id: u64,
    hub: Arc<Hub>,
    room: Arc<Room>,
    rx: broadcast::Receiver<Frame>,
    can_edit: bool,
    bucket: TokenBucket,
    /// Awareness client ids this connection announced, removed when it leaves.
    awareness_clients: HashSet<ClientID>,
}

impl Connection {
    pub fn room(&self) -> &Arc<Room> {
        &self.room
    }

    /// What the server says first: its state vector (so the client sends what the server
    /// lacks) and everyone's presence.
    pub async fn greeting(&self) -> Vec<Vec<u8>> {
        let state = self.room.state.lock().await;
        let sv = state.awareness.doc().transact().state_vector();
        let mut frames = vec![Message::Sync(SyncMessage::SyncStep1(sv)).encode_v1()];
        if let Ok(update) = state.awareness.update()
            && !update.clients.is_empty()
        {
            frames.push(Message::Awareness(update).encode_v1());
        }
        frames
    }

    /// Handles one binary message; returns the frames to send back to this client only.
    pub async fn receive(&mut self, data: &[u8]) -> Result<Vec<Vec<u8>>, Close> {
        if data.len() > self.hub.limits.max_message_bytes {
            return Err(Close::TooBig);
        }
        if !self.bucket.take() {
            return Err(Close::RateLimited);
        }
        self.room.touch();
        let mut messages = Vec::new();
        let mut decoder = DecoderV1::new(Cursor::new(data));
        for message in MessageReader::new(&mut decoder) {
            messages.push(message.map_err(|e| Close::Malformed(e.to_string()))?);
        }
        if messages.is_empty() {
            return Err(Close::Malformed("empty message".into()));
        }
        let mut replies = Vec::new();
        for message in messages {
            match message {
                Message::Sync(SyncMessage::SyncStep1(sv)) => {
                    let update = {
                        let state = self.room.state.lock().await;
                        state
                            .awareness
                            .doc()
                            .transact()
                            .encode_state_as_update_v1(&sv)
                    };
                    // The reply may hold updates still being committed: wait for them, so
                    // nothing is seen before it is stored.
                    self.hub.store.barrier().await;
                    replies.push(Message::Sync(SyncMessage::SyncStep2(update)).encode_v1());
                }
                Message::Sync(SyncMessage::SyncStep2(data) | SyncMessage::Update(data)) => {
                    if !self.can_edit {
                        continue;
                    }
                    self.room.accept_update(&self.hub, self.id, &data).await?;
                }
                Message::Awareness(update) => self.awareness(update).await?,
                Message::AwarenessQuery => {
                    let state = self.room.state.lock().await;
                    if let Ok(update) = state.awareness.update() {
                        replies.push(Message::Awareness(update).encode_v1());
                    }
                }
                Message::Auth(_) | Message::Custom(..) => {}
            }
        }
        Ok(replies)
    }

    async fn awareness(&mut self, update: AwarenessUpdate) -> Result<(), Close> {
        let ids: Vec<ClientID> = update.clients.keys().copied().collect();
        let frame = Message::Awareness(update.clone()).encode_v1();
        let mut state = self.room.state.lock().await;
        state
            .awareness
            .apply_update(update)
            .map_err(|e| Close::Malformed(format!("awareness: {e}")))?;
        self.awareness_clients.extend(ids);
        let _ = self.room.tx.send(Frame {
            from: self.id,
            to_sender: true,
            data: Arc::new(frame),
        });
        Ok(())
    }

    /// The next frame for this client from the room; `Err` when it fell too far behind or the
    /// room was closed.
    pub async fn next_broadcast(&mut self) -> Result<Arc<Vec<u8>>, Close> {
        let mut closed = self.room.closed.subscribe();
        loop {
            if *closed.borrow_and_update() {
                return Err(Close::Internal);
            }
            let received = tokio::select! {
                r = self.rx.recv() => r,
                _ = closed.changed() => return Err(Close::Internal),
            };
            match received {
                Ok(frame) if frame.from != self.id || frame.to_sender => return Ok(frame.data),
                Ok(_) => continue,
                Err(broadcast::error::RecvError::Lagged(_)) => return Err(Close::TooSlow),
                Err(broadcast::error::RecvError::Closed) => return Err(Close::GoingAway),
            }
        }
    }

    /// A frame already waiting for this client, without waiting (for drivers that poll).
    pub fn try_next_broadcast(&mut self) -> Option<Result<Arc<Vec<u8>>, Close>> {
        loop {
            match self.rx.try_recv() {
                Ok(frame) if frame.from != self.id || frame.to_sender => {
                    return Some(Ok(frame.data));
                }
                Ok(_) => continue,
                Err(broadcast::error::TryRecvError::Empty) => return None,
                Err(broadcast::error::TryRecvError::Lagged(_)) => return Some(Err(Close::TooSlow)),
                Err(broadcast::error::TryRecvError::Closed) => return Some(Err(Close::GoingAway)),
            }
        }
    }

    /// Leaves the room: this client's presence is removed and announced.
    pub async fn leave(self) {
        let mut state = self.room.state.lock().await;
        let ids: Vec<ClientID> = self.awareness_clients.iter().copied().collect();
        for id in &ids {
            state.awareness.remove_state(*id);
        }
        if !ids.is_empty()
            && let Ok(update) = state.awareness.update_with_clients(ids)
        {
            let frame = Message::Awareness(update).encode_v1();
            let _ = self.room.tx.send(Frame {
                from: self.id,
                to_sender: false,
                data: Arc::new(frame),
            });
        }
        drop(state);
        self.room.connections.fetch_sub(1, Ordering::AcqRel);
        self.room.touch();
    }
}

/// Allows `rate` messages per second with bursts up to `burst`.
struct TokenBucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    at: Instant,
}

impl TokenBucket {
    fn new(rate: f64, burst: f64) -> Self {
        Self {
            rate,
            burst,
            tokens: burst,
            at: Instant::now(),
        }
    }

    fn take(&mut self) -> bool {
        let now = Instant::now();
        self.tokens =
            (self.tokens + now.duration_since(self.at).as_secs_f64() * self.rate).min(self.burst);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

pub use app::draft::new_doc;

/// Loads a page by id (any shop); callers check membership.
pub async fn find_page(
    db: &DatabaseConnection,
    page_id: i64,
) -> Result<Option<page::Model>, DbErr> {
    page::Entity::find_by_id(page_id).one(db).await
}
