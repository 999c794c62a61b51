//! The hub: the rooms in memory, every open connection (for quotas and permission
//! re-checks), and per-page change signals for preview pages.
//!
//! Rooms load lazily, are unloaded (compacted) when idle, and are all compacted on shutdown.
//! Reading a draft (the API, publishing, previews, scheduled publishing) never needs a room:
//! when none is loaded the draft is read from storage into a throwaway document, so a server
//! whose rooms are all taken still publishes.

use super::connection::Connection;
use super::replicas::{Event, Replicas};
use super::room::{DraftDoc, Rejected, Room, page_fields_update, replace_update};
use super::store::DraftStore;
use super::{Close, Limits, doc, new_doc};
use crate::error::AppError;
use crate::publish::store as published;
use crate::sync::lock;
use entity::page;
use sea_orm::{DatabaseConnection, DbErr};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;
use tokio::sync::{Mutex, watch};
use tokio_util::sync::{CancellationToken, DropGuard};
use yrs::Transact;

#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error("page not found")]
    NotFound,
    #[error("too many documents open; try again shortly")]
    RoomsFull,
    /// A per-user or per-shop quota; the message names it.
    #[error("{0}")]
    Quota(String),
    /// The room refused a change (closed meanwhile, or storage failed).
    #[error(transparent)]
    Refused(#[from] Rejected),
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl From<HubError> for AppError {
    fn from(e: HubError) -> Self {
        match e {
            HubError::NotFound => AppError::NotFound,
            HubError::RoomsFull | HubError::Quota(_) | HubError::Refused(Rejected::Closed) => {
                AppError::Unavailable(e.to_string())
            }
            HubError::Refused(why) => AppError::Internal(why.to_string()),
            HubError::Db(e) => AppError::Db(e),
        }
    }
}

/// Who a connection belongs to.
#[derive(Clone, Debug)]
pub struct Member {
    pub user_id: i64,
    /// The login session the connection was opened with; it closes when that ends.
    pub session_id: Option<String>,
    /// The name others see in this person's presence.
    pub name: String,
    /// Editors and owners; viewers' updates are refused.
    pub can_edit: bool,
}

/// The hub's handle on one open connection.
pub(crate) struct Link {
    pub id: u64,
    pub page_id: i64,
    pub shop_id: i64,
    /// `None` for connections not tied to a login (server tools, tests).
    pub member: Option<Member>,
    pub outbox: super::outbox::Outbox,
}

/// A connection's place in the hub's registry (quotas, re-checks), released on drop.
pub(crate) struct Seat {
    pub hub: Arc<Hub>,
    pub link: Arc<Link>,
}

impl Drop for Seat {
    fn drop(&mut self) {
        lock(&self.hub.links).remove(&self.link.id);
    }
}

/// What preview pages watch: bumped on every draft change, and when who may see the page
/// may have changed (preview links revoked, page deleted).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PageSignal {
    pub draft: u64,
    pub access: u64,
}

/// A draft read from storage.
struct Loaded {
    doc: DraftDoc,
    /// False when nothing was stored: `doc` was seeded from the live revision.
    stored: bool,
    /// Log rows not yet folded into the snapshot.
    pending: u64,
    /// Every stored update up to this log id is in `doc`.
    last_id: i64,
}

pub struct Hub {
    pub(crate) db: DatabaseConnection,
    store: DraftStore,
    /// Other processes on the same (PostgreSQL) database; none on SQLite.
    replicas: Option<Arc<Replicas>>,
    limits: Limits,
    rooms: Mutex<HashMap<i64, Arc<Room>>>,
    links: StdMutex<HashMap<u64, Arc<Link>>>,
    watches: StdMutex<HashMap<i64, watch::Sender<PageSignal>>>,
    next_connection: AtomicU64,
    /// Cancelled when the server shuts down (a child of the server's shutdown token) or when
    /// the hub is dropped: ends the hub's background tasks.
    tasks: CancellationToken,
    _tasks_end_on_drop: DropGuard,
}

impl Hub {
    /// Starts the hub, its storage writer and its permission re-checks (needs a Tokio
    /// runtime), for a tool or test that never shuts the server down.
    pub fn new(db: DatabaseConnection, limits: Limits) -> Arc<Self> {
        Self::with_shutdown(db, limits, &CancellationToken::new())
    }

    /// Starts the hub like [`Hub::new`]; its background tasks end when `shutdown` is
    /// cancelled (the server's token, [`AppState::shutdown`](crate::AppState::shutdown)).
    pub fn with_shutdown(
        db: DatabaseConnection,
        limits: Limits,
        shutdown: &CancellationToken,
    ) -> Arc<Self> {
        let tasks = shutdown.child_token();
        let replicas = Replicas::for_db(&db);
        let hub = Arc::new(Self {
            store: DraftStore::with_replicas(db.clone(), replicas.clone()),
            replicas,
            db,
            limits,
            rooms: Mutex::new(HashMap::new()),
            links: StdMutex::new(HashMap::new()),
            watches: StdMutex::new(HashMap::new()),
            next_connection: AtomicU64::new(1),
            _tasks_end_on_drop: tasks.clone().drop_guard(),
            tasks,
        });
        super::recheck::spawn(&hub);
        hub
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    pub fn store(&self) -> &DraftStore {
        &self.store
    }

    /// The other replicas' channel (PostgreSQL), if any.
    pub fn replicas(&self) -> Option<&Arc<Replicas>> {
        self.replicas.as_ref()
    }

    /// Cancelled at shutdown or when the hub is dropped: its background tasks watch this.
    pub(crate) fn tasks(&self) -> &CancellationToken {
        &self.tasks
    }

    /// The page's room, loading it (or seeding the draft from the live revision) if needed.
    pub async fn room(&self, page: &page::Model) -> Result<Arc<Room>, HubError> {
        let mut rooms = self.rooms.lock().await;
        if let Some(room) = rooms.get(&page.id) {
            room.touch();
            return Ok(room.clone());
        }
        let per_shop = self.limits.max_rooms_per_shop;
        let of_shop = |rooms: &HashMap<i64, Arc<Room>>| {
            rooms.values().filter(|r| r.shop_id == page.shop_id).count()
        };
        if rooms.len() >= self.limits.max_rooms || of_shop(&rooms) >= per_shop {
            self.evict_idle(&mut rooms, Duration::ZERO).await;
            if rooms.len() >= self.limits.max_rooms {
                return Err(HubError::RoomsFull);
            }
            if of_shop(&rooms) >= per_shop {
                return Err(HubError::Quota(format!(
                    "this shop has {per_shop} documents open, its limit; close some and retry"
                )));
            }
        }
        let room = Arc::new(self.load(page).await?);
        rooms.insert(page.id, room.clone());
        Ok(room)
    }

    /// The page's room if it is loaded.
    async fn loaded(&self, page_id: i64) -> Option<Arc<Room>> {
        self.rooms.lock().await.get(&page_id).cloned()
    }

    /// Number of rooms in memory.
    pub async fn room_count(&self) -> usize {
        self.rooms.lock().await.len()
    }

    /// Number of open connections.
    pub fn connection_count(&self) -> usize {
        lock(&self.links).len()
    }

    /// The stored draft in a fresh document; seeded (in memory only) from the live revision
    /// when nothing is stored.
    async fn read_doc(&self, page: &page::Model) -> Result<Loaded, DbErr> {
        let stored = self.store.load(page.id).await?;
        let doc = new_doc();
        if stored.updates.is_empty() {
            // A page without a draft starts from what customers see now.
            let blocks = match page.live_revision_id {
                Some(rev) => published::load_revision(&self.db, rev).await?,
                None => Vec::new(),
            };
            doc::seed_doc(&doc, &crate::pages::fields(page), &blocks);
            return Ok(Loaded {
                doc: DraftDoc::new(doc),
                stored: false,
                pending: 0,
                last_id: 0,
            });
        }
        for (i, data) in stored.updates.iter().enumerate() {
            // A stored update that makes yrs panic costs that update, not the server.
            let applied = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                // Checked first: a value nested 100k deep would overflow yrs' decoder.
                doc::decode_update(data).map(|u| doc.transact_mut().apply_update(u.into_update()))
            }));
            match applied {
                Ok(Ok(Ok(()))) => {}
                Ok(Ok(Err(e))) => {
                    tracing::error!(page_id = page.id, index = i, error = %e, "stored draft update does not apply; skipped")
                }
                Ok(Err(e)) => {
                    tracing::error!(page_id = page.id, index = i, error = %e, "stored draft update does not decode; skipped")
                }
                Err(_) => {
                    tracing::error!(
                        page_id = page.id,
                        index = i,
                        "stored draft update panicked; skipped"
                    )
                }
            }
        }
        Ok(Loaded {
            doc: DraftDoc::new(doc),
            stored: true,
            pending: stored.pending,
            last_id: stored.last_id,
        })
    }

    async fn load(&self, page: &page::Model) -> Result<Room, DbErr> {
        let mut loaded = self.read_doc(page).await?;
        // Another replica may seed the same page at the same moment: one seed is stored, the
        // other replica reads it (two seeds would be two copies of every block).
        for _ in 0..3 {
            if loaded.stored {
                break;
            }
            let state = loaded.doc.snapshot();
            if self
                .store
                .seed_if_empty(page.shop_id, page.id, state)
                .await?
            {
                loaded.stored = true;
                loaded.pending = 1;
                loaded.last_id = self.store.last_update_id(page.id).await?;
            } else {
                loaded = self.read_doc(page).await?;
            }
        }
        self.rebuild_if_too_deep(page, &mut loaded).await?;
        let last_id = loaded.last_id;
        let size = loaded.doc.encoded_len();
        tracing::debug!(
            page_id = page.id,
            pending = loaded.pending,
            size,
            "room loaded"
        );
        Ok(Room::new(
            page.id,
            page.shop_id,
            loaded.doc,
            loaded.pending,
            last_id,
            size,
        ))
    }

    /// A stored draft nesting shared types too deeply to edit safely (written before the hub
    /// refused such updates) is replaced — in memory and in storage, as a snapshot in place of
    /// the log — by one rebuilt from what it reads (`doc::rebuild_if_too_deep`). Called with
    /// the room map locked and the page's room not loaded, so nothing else writes its draft.
    async fn rebuild_if_too_deep(
        &self,
        page: &page::Model,
        loaded: &mut Loaded,
    ) -> Result<(), DbErr> {
        if !loaded.stored {
            return Ok(());
        }
        let Some(rebuilt) = doc::rebuild_if_too_deep(loaded.doc.doc()) else {
            return Ok(());
        };
        tracing::warn!(
            page_id = page.id,
            "stored draft nested too deeply to edit safely; rebuilt from what it reads"
        );
        let rebuilt = DraftDoc::new(rebuilt);
        let upto = loaded.last_id;
        self.store
            .compact(page.shop_id, page.id, rebuilt.snapshot(), upto)
            .await?;
        loaded.doc = rebuilt;
        loaded.pending = 0;
        Ok(())
    }

    /// The page's draft as JSON: from its room when loaded, otherwise read from storage
    /// (no room is loaded, nothing is written).
    pub async fn draft(&self, page: &page::Model) -> Result<doc::DraftJson, HubError> {
        if let Some(room) = self.loaded(page.id).await {
            return Ok(room.draft().await);
        }
        let loaded = self.read_doc(page).await?;
        Ok(doc::read_draft(loaded.doc.doc()))
    }

    /// Makes a server-side change to the draft (restoring a revision into it, page fields
    /// changed through the API): `change` gets a copy of the current draft and returns the
    /// update it made. Through the room when loaded (editors see it at once), otherwise
    /// straight into storage.
    async fn edit_draft(
        &self,
        page: &page::Model,
        change: impl Fn(&yrs::Doc) -> Vec<u8>,
    ) -> Result<(), HubError> {
        let rooms = self.rooms.lock().await;
        if let Some(room) = rooms.get(&page.id).cloned() {
            drop(rooms);
            return Ok(room.edit(self, change).await?);
        }
        // The room map stays locked until the write is stored, so the page's room cannot
        // load meanwhile and miss it.
        let mut loaded = self.read_doc(page).await?;
        // Replacing blocks deletes the old ones, which yrs does by recursing into them.
        self.rebuild_if_too_deep(page, &mut loaded).await?;
        let update = change(loaded.doc.doc());
        if loaded.stored {
            self.store.append(page.shop_id, page.id, update).await?;
        } else {
            // Nothing stored yet: the seed and the change go in as one full state, unless
            // another replica stored a draft meanwhile (then the change goes on top of it).
            let state = loaded.doc.snapshot();
            if !self
                .store
                .seed_if_empty(page.shop_id, page.id, state)
                .await?
            {
                let mut loaded = self.read_doc(page).await?;
                self.rebuild_if_too_deep(page, &mut loaded).await?;
                let update = change(loaded.doc.doc());
                self.store.append(page.shop_id, page.id, update).await?;
            }
        }
        drop(rooms);
        self.page_changed(page.id);
        Ok(())
    }

    /// Sets some of the draft's page fields (the API's page changes), as editors see it.
    pub async fn set_page_fields(
        &self,
        page: &page::Model,
        changes: &[(app::draft::PageField, String)],
    ) -> Result<(), HubError> {
        self.edit_draft(page, |doc| page_fields_update(doc, changes))
            .await
    }

    /// Replaces the draft with a published revision: its blocks and its page fields.
    pub async fn reset_draft(
        &self,
        page: &page::Model,
        fields: &app::draft::PageFields,
        blocks: &[app::blocks::Block],
    ) -> Result<(), HubError> {
        self.edit_draft(page, |doc| replace_update(doc, fields, blocks))
            .await
    }

    /// Opens a connection for a logged-in member, within the per-user and per-shop quotas.
    pub async fn join(
        self: &Arc<Self>,
        page: &page::Model,
        member: Member,
    ) -> Result<Connection, HubError> {
        let can_edit = member.can_edit;
        let seat = self.seat(page.id, page.shop_id, Some(member))?;
        let room = self.room(page).await?;
        Ok(Connection::new(seat, room, can_edit))
    }

    /// Opens a connection not tied to a login (server tools, tests): no quotas, no
    /// re-checks. `can_edit` is false for viewers: their updates are refused (neither
    /// applied, stored nor broadcast).
    pub fn connect(self: &Arc<Self>, room: Arc<Room>, can_edit: bool) -> Connection {
        let seat = self
            .seat(room.page_id, room.shop_id, None)
            .expect("no quota applies to a connection without a member");
        Connection::new(seat, room, can_edit)
    }

    /// Takes a seat for a connection; a member's only if their and the shop's quotas allow.
    fn seat(
        self: &Arc<Self>,
        page_id: i64,
        shop_id: i64,
        member: Option<Member>,
    ) -> Result<Seat, HubError> {
        let mut links = lock(&self.links);
        if let Some(m) = &member {
            let (mut of_user, mut of_shop) = (0, 0);
            for link in links.values() {
                of_shop += usize::from(link.shop_id == shop_id);
                of_user +=
                    usize::from(link.member.as_ref().is_some_and(|l| l.user_id == m.user_id));
            }
            let max_user = self.limits.max_connections_per_user;
            if of_user >= max_user {
                return Err(HubError::Quota(format!(
                    "you have {max_user} connections open, the limit; close a tab and retry"
                )));
            }
            let max_shop = self.limits.max_connections_per_shop;
            if of_shop >= max_shop {
                return Err(HubError::Quota(format!(
                    "this shop has {max_shop} connections open, its limit; retry later"
                )));
            }
        }
        let link = Arc::new(Link {
            id: self.next_connection.fetch_add(1, Ordering::Relaxed),
            page_id,
            shop_id,
            member,
            outbox: Default::default(),
        });
        links.insert(link.id, link.clone());
        Ok(Seat {
            hub: self.clone(),
            link,
        })
    }

    /// Every open connection of a logged-in member.
    pub(crate) fn member_links(&self) -> Vec<Arc<Link>> {
        lock(&self.links)
            .values()
            .filter(|l| l.member.is_some() && !l.outbox.is_closed())
            .cloned()
            .collect()
    }

    /// Closes every connection opened with this login session (call on logout).
    pub fn session_ended(&self, session_id: &str) {
        for link in lock(&self.links).values() {
            let member = link.member.as_ref();
            if member.is_some_and(|m| m.session_id.as_deref() == Some(session_id)) {
                link.outbox.close(Close::SessionEnded);
            }
        }
    }

    /// Signals for one page; the sender lives while anyone watches.
    pub fn watch_page(&self, page_id: i64) -> watch::Receiver<PageSignal> {
        lock(&self.watches)
            .entry(page_id)
            .or_insert_with(|| watch::channel(PageSignal::default()).0)
            .subscribe()
    }

    /// Preview streams watching a page now.
    pub fn page_watchers(&self, page_id: i64) -> usize {
        lock(&self.watches)
            .get(&page_id)
            .map_or(0, |tx| tx.receiver_count())
    }

    /// The draft of a page changed.
    pub(crate) fn page_changed(&self, page_id: i64) {
        self.signal(page_id, |s| s.draft += 1);
    }

    /// A page's preview links were revoked: its preview streams re-check their link (on
    /// every replica).
    pub fn previews_revoked(&self, page_id: i64) {
        self.previews_revoked_local(page_id);
        if let Some(replicas) = &self.replicas {
            replicas.notify_soon(Event::PreviewsRevoked { page_id });
        }
    }

    pub(crate) fn previews_revoked_local(&self, page_id: i64) {
        self.signal(page_id, |s| s.access += 1);
    }

    /// Another replica committed a page's draft update `id`: the page's room here reads it
    /// from the log; without a room, the page's preview streams are woken.
    pub(crate) async fn remote_update(&self, page_id: i64, id: i64) {
        match self.loaded(page_id).await {
            Some(room) => {
                if let Err(e) = room.catch_up(self, Some(id)).await {
                    tracing::error!(page_id, error = %e, "reading another replica's update failed; reloading the room");
                    self.discard(&room).await;
                }
            }
            None => self.page_changed(page_id),
        }
    }

    /// Presence from another replica for a page's connections here.
    pub(crate) async fn remote_presence(&self, page_id: i64, frame: Vec<u8>) {
        if let Some(room) = self.loaded(page_id).await {
            room.remote_presence(self, frame);
        }
    }

    /// Another replica asked for a page's presence: this replica's, if it has the page's room.
    pub(crate) async fn presence_wanted(&self, page_id: i64) {
        if let Some(room) = self.loaded(page_id).await {
            room.tell_presence(self);
        }
    }

    /// Catches every loaded room up from the log, asks the other replicas again for the
    /// presence on every page with connections here, and wakes every preview stream (this
    /// replica may have missed notifications).
    pub(crate) async fn catch_up_all(&self) {
        let rooms: Vec<Arc<Room>> = self.rooms.lock().await.values().cloned().collect();
        for room in rooms {
            if let Err(e) = room.catch_up(self, None).await {
                tracing::error!(page_id = room.page_id, error = %e, "catching up failed; reloading the room");
                self.discard(&room).await;
            } else if room.connection_count() > 0 {
                room.ask_presence(self);
            }
        }
        let pages: Vec<i64> = lock(&self.watches).keys().copied().collect();
        for page_id in pages {
            self.signal(page_id, |s| {
                s.draft += 1;
                s.access += 1;
            });
        }
    }

    fn signal(&self, page_id: i64, change: impl FnOnce(&mut PageSignal)) {
        let mut watches = lock(&self.watches);
        if let Some(tx) = watches.get(&page_id) {
            if tx.receiver_count() == 0 {
                watches.remove(&page_id);
            } else {
                tx.send_modify(change);
            }
        }
    }

    /// Compacts and drops rooms nobody has been connected to for `idle`.
    async fn evict_idle(&self, rooms: &mut HashMap<i64, Arc<Room>>, idle: Duration) {
        let idle_ids: Vec<i64> = rooms
            .iter()
            .filter(|(_, r)| r.retire_if_idle(idle))
            .map(|(id, _)| *id)
            .collect();
        for id in idle_ids {
            if let Some(room) = rooms.remove(&id)
                && let Err(e) = room.compact(self).await
            {
                tracing::error!(page_id = id, error = %e, "compacting an idle room failed (its log is intact)");
            }
        }
    }

    /// Unloads rooms idle for longer than [`Limits::idle_unload`] and forgets unwatched
    /// pages.
    pub async fn sweep(&self) {
        let mut rooms = self.rooms.lock().await;
        self.evict_idle(&mut rooms, self.limits.idle_unload).await;
        drop(rooms);
        lock(&self.watches).retain(|_, tx| tx.receiver_count() > 0);
    }

    /// Runs [`Hub::sweep`] periodically until shutdown.
    pub fn spawn_sweeper(self: &Arc<Self>) {
        let hub = self.clone();
        tokio::spawn(async move {
            let every = (hub.limits.idle_unload / 2).max(Duration::from_millis(50));
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(every) => hub.sweep().await,
                    _ = hub.tasks.cancelled() => break,
                }
            }
        });
    }

    /// Compacts every room, once the server's shutdown token is cancelled (which closes the
    /// connections). Updates are already durable; this only leaves the log short for the
    /// next start.
    pub async fn flush(&self) {
        let mut rooms = self.rooms.lock().await;
        for (id, room) in rooms.drain() {
            if let Err(e) = room.compact(self).await {
                tracing::error!(page_id = id, error = %e, "compacting at shutdown failed (its log is intact)");
            }
        }
    }

    /// Closes a page's room, if loaded, without compacting (the page is going away), and
    /// ends its preview streams — on every replica.
    pub async fn forget_page(&self, page_id: i64) {
        self.forget_page_local(page_id).await;
        if let Some(replicas) = &self.replicas {
            replicas.notify(Event::PageGone { page_id }).await;
        }
    }

    pub(crate) async fn forget_page_local(&self, page_id: i64) {
        if let Some(room) = self.loaded(page_id).await {
            self.discard(&room).await;
        }
        self.signal(page_id, |s| s.access += 1);
    }

    /// Drops a room from memory without compacting and closes its connections (after a
    /// storage failure or a panic while applying, so the next connection reloads what is
    /// really stored).
    pub(crate) async fn discard(&self, room: &Room) {
        room.close_all(Close::Internal);
        let mut rooms = self.rooms.lock().await;
        if rooms
            .get(&room.page_id)
            .is_some_and(|r| std::ptr::eq(r.as_ref(), room))
        {
            rooms.remove(&room.page_id);
        }
    }
}
