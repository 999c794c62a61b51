//! Durable draft state: an append-only log of CRDT updates per page and a compacted snapshot.

use super::replicas::{Event, Replicas};
use chrono::Utc;
use entity::{draft_snapshot, draft_update};
use sea_orm::sea_query::{Expr, ExprTrait, LockType, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Set, TransactionTrait,
};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// What is stored for a page's draft.
pub struct StoredDraft {
    /// The snapshot (if any) first, then every later update, in order.
    pub updates: Vec<Vec<u8>>,
    /// Log rows not yet folded into the snapshot.
    pub pending: u64,
    /// The newest log id read (or the snapshot's), 0 when nothing is stored: every update up
    /// to it is in `updates`.
    pub last_id: i64,
}

/// What a room that has read its page's log up to some id lacks (see
/// [`DraftStore::updates_after`]).
#[derive(Default)]
pub struct Missed {
    /// Log rows after that id, in order: `(id, update)`.
    pub rows: Vec<(i64, Vec<u8>)>,
    /// The snapshot, `(upto id, full state)`, when it covers rows after that id that another
    /// replica's compaction has deleted.
    pub snapshot: Option<(i64, Vec<u8>)>,
}

#[derive(Clone)]
pub struct DraftStore {
    db: DatabaseConnection,
    writer: mpsc::Sender<Write>,
}

/// The current transaction's pages, locked (in id order: no deadlock) until it commits;
/// `NO KEY UPDATE` so rows that merely reference the pages are not held up. SQLite has one
/// writer anyway: the locking clause is left out there.
async fn lock_pages<C: ConnectionTrait>(txn: &C, mut pages: Vec<i64>) -> Result<(), DbErr> {
    pages.sort_unstable();
    pages.dedup();
    entity::page::Entity::find()
        .select_only()
        .column(entity::page::Column::Id)
        .filter(entity::page::Column::Id.is_in(pages))
        .order_by_asc(entity::page::Column::Id)
        .lock(LockType::NoKeyUpdate)
        .into_tuple::<i64>()
        .all(txn)
        .await?;
    Ok(())
}

/// A request to the single writer task.
enum Write {
    Append {
        shop_id: i64,
        page_id: i64,
        data: Vec<u8>,
        done: oneshot::Sender<Result<i64, String>>,
    },
    /// Answers once everything sent before it is committed.
    Barrier(oneshot::Sender<()>),
}

/// The most appends committed in one transaction.
const MAX_BATCH: usize = 256;

impl DraftStore {
    /// Starts the writer task (needs a Tokio runtime), for one process alone on its database.
    pub fn new(db: DatabaseConnection) -> Self {
        Self::with_replicas(db, None)
    }

    /// Starts the writer task; with `replicas`, each commit also notifies the other
    /// replicas of the pages it wrote (delivered only once it has committed).
    pub fn with_replicas(db: DatabaseConnection, replicas: Option<Arc<Replicas>>) -> Self {
        let (writer, rx) = mpsc::channel(4096);
        tokio::spawn(write_loop(db.clone(), rx, replicas));
        Self { db, writer }
    }

    pub async fn load(&self, page_id: i64) -> Result<StoredDraft, DbErr> {
        let snapshot = draft_snapshot::Entity::find_by_id(page_id)
            .one(&self.db)
            .await?;
        let after = snapshot.as_ref().map(|s| s.upto_update_id).unwrap_or(0);
        let rows = draft_update::Entity::find()
            .filter(draft_update::Column::PageId.eq(page_id))
            .filter(draft_update::Column::Id.gt(after))
            .order_by_asc(draft_update::Column::Id)
            .all(&self.db)
            .await?;
        let pending = rows.len() as u64;
        let last_id = rows.last().map_or(after, |r| r.id);
        let updates = snapshot
            .map(|s| s.data)
            .into_iter()
            .chain(rows.into_iter().map(|r| r.data))
            .collect();
        Ok(StoredDraft {
            updates,
            pending,
            last_id,
        })
    }

    /// What a room that has every update of `page_id` up to `after` lacks, leaving out its
    /// own updates `skip` (already applied). Rows are read before the snapshot: a compaction
    /// by another replica that deleted some of them in between has then written a snapshot
    /// covering them, which this returns too.
    pub async fn updates_after(
        &self,
        page_id: i64,
        after: i64,
        skip: &[i64],
    ) -> Result<Missed, DbErr> {
        let mut query = draft_update::Entity::find()
            .filter(draft_update::Column::PageId.eq(page_id))
            .filter(draft_update::Column::Id.gt(after));
        if !skip.is_empty() {
            query = query.filter(draft_update::Column::Id.is_not_in(skip.iter().copied()));
        }
        let rows = query
            .order_by_asc(draft_update::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|r| (r.id, r.data))
            .collect();
        let snapshot = draft_snapshot::Entity::find_by_id(page_id)
            .filter(draft_snapshot::Column::UptoUpdateId.gt(after))
            .one(&self.db)
            .await?
            .map(|s| (s.upto_update_id, s.data));
        Ok(Missed { rows, snapshot })
    }

    /// Stores `state` as a page's first draft update unless anything is stored for the page
    /// already (another replica seeded it first: then false, and nothing is written). The
    /// page's row is locked meanwhile, so two replicas never both seed one page.
    pub async fn seed_if_empty(
        &self,
        shop_id: i64,
        page_id: i64,
        state: Vec<u8>,
    ) -> Result<bool, DbErr> {
        // Queued appends of this process go first.
        self.barrier().await;
        let txn = self.db.begin().await?;
        lock_pages(&txn, vec![page_id]).await?;
        let stored = draft_snapshot::Entity::find_by_id(page_id)
            .count(&txn)
            .await?
            > 0
            || draft_update::Entity::find()
                .filter(draft_update::Column::PageId.eq(page_id))
                .count(&txn)
                .await?
                > 0;
        if stored {
            return Ok(false);
        }
        draft_update::ActiveModel {
            page_id: Set(page_id),
            shop_id: Set(shop_id),
            data: Set(state),
            created_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        txn.commit().await?;
        Ok(true)
    }

    /// Appends one update; returns its log id once committed. Appends from every room go
    /// through one writer task that commits whatever has queued up in one transaction
    /// (group commit): SQLite has one writer anyway, and this spares a commit per keystroke.
    pub async fn append(&self, shop_id: i64, page_id: i64, data: Vec<u8>) -> Result<i64, DbErr> {
        self.enqueue(shop_id, page_id, data).await?.await
    }

    /// Queues an append and returns a future for its commit. Appends commit in the order
    /// they were queued.
    pub async fn enqueue(
        &self,
        shop_id: i64,
        page_id: i64,
        data: Vec<u8>,
    ) -> Result<impl Future<Output = Result<i64, DbErr>> + use<>, DbErr> {
        let (done, rx) = oneshot::channel();
        self.writer
            .send(Write::Append {
                shop_id,
                page_id,
                data,
                done,
            })
            .await
            .map_err(|_| DbErr::Custom("draft writer stopped".into()))?;
        Ok(async move {
            rx.await
                .map_err(|_| DbErr::Custom("draft writer stopped".into()))?
                .map_err(DbErr::Custom)
        })
    }

    /// Waits until every append sent so far is committed.
    pub async fn barrier(&self) {
        let (done, rx) = oneshot::channel();
        if self.writer.send(Write::Barrier(done)).await.is_ok() {
            let _ = rx.await;
        }
    }

    /// Replaces the log up to `upto_id` (inclusive) with `state`, the document's full state
    /// after those updates, in one transaction. A snapshot only moves forward: one already
    /// stored up to a later id (another replica compacted further) is kept.
    pub async fn compact(
        &self,
        shop_id: i64,
        page_id: i64,
        state: Vec<u8>,
        upto_id: i64,
    ) -> Result<(), DbErr> {
        let txn = self.db.begin().await?;
        draft_snapshot::Entity::insert(draft_snapshot::ActiveModel {
            page_id: Set(page_id),
            shop_id: Set(shop_id),
            data: Set(state),
            upto_update_id: Set(upto_id),
            updated_at: Set(Utc::now()),
        })
        .on_conflict(
            OnConflict::column(draft_snapshot::Column::PageId)
                .update_columns([
                    draft_snapshot::Column::Data,
                    draft_snapshot::Column::UptoUpdateId,
                    draft_snapshot::Column::UpdatedAt,
                ])
                .action_and_where(
                    Expr::col((draft_snapshot::Entity, draft_snapshot::Column::UptoUpdateId))
                        .lt(upto_id),
                )
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
        draft_update::Entity::delete_many()
            .filter(draft_update::Column::PageId.eq(page_id))
            .filter(draft_update::Column::Id.lte(upto_id))
            .exec(&txn)
            .await?;
        txn.commit().await
    }

    /// The newest log id of a page (0 when none).
    pub async fn last_update_id(&self, page_id: i64) -> Result<i64, DbErr> {
        Ok(draft_update::Entity::find()
            .filter(draft_update::Column::PageId.eq(page_id))
            .order_by_desc(draft_update::Column::Id)
            .one(&self.db)
            .await?
            .map(|r| r.id)
            .unwrap_or(0))
    }

    /// How many updates are stored for a page (log rows, not counting the snapshot).
    pub async fn log_len(&self, page_id: i64) -> Result<u64, DbErr> {
        draft_update::Entity::find()
            .filter(draft_update::Column::PageId.eq(page_id))
            .count(&self.db)
            .await
    }
}

async fn write_loop(
    db: DatabaseConnection,
    mut rx: mpsc::Receiver<Write>,
    replicas: Option<Arc<Replicas>>,
) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(w) => batch.push(w),
                Err(_) => break,
            }
        }
        let rows: Vec<(i64, i64, &[u8])> = batch
            .iter()
            .filter_map(|w| match w {
                Write::Append {
                    shop_id,
                    page_id,
                    data,
                    ..
                } => Some((*shop_id, *page_id, data.as_slice())),
                Write::Barrier(_) => None,
            })
            .collect();
        let result = if rows.is_empty() {
            Ok(Vec::new())
        } else {
            write_batch(&db, &rows, replicas.as_deref()).await
        };
        let mut ids = match &result {
            Ok(ids) => ids.clone().into_iter(),
            Err(_) => Vec::new().into_iter(),
        };
        for w in batch {
            match w {
                Write::Append { done, .. } => {
                    let _ = done.send(match &result {
                        Ok(_) => ids.next().ok_or_else(|| "missing id".to_string()),
                        Err(e) => Err(e.clone()),
                    });
                }
                Write::Barrier(done) => {
                    let _ = done.send(());
                }
            }
        }
    }
}

async fn write_batch(
    db: &DatabaseConnection,
    rows: &[(i64, i64, &[u8])],
    replicas: Option<&Replicas>,
) -> Result<Vec<i64>, String> {
    if replicas.is_none() && db.get_database_backend() == sea_orm::DatabaseBackend::Sqlite {
        return insert_returning_ids(db, rows)
            .await
            .map_err(|e| e.to_string());
    }
    let txn = db.begin().await.map_err(|e| e.to_string())?;
    // Log ids must grow in commit order per page: a reader that has seen id n of a page (a
    // replica catching up, `updates_after`) must never later find a smaller one. PostgreSQL
    // hands out ids from a sequence to concurrent writers (several replicas) in any commit
    // order, so each batch first locks its pages' rows and takes its ids only then; the lock
    // lasts until commit.
    // SQLite has one writer: its transactions already commit in the order they take ids.
    if txn.get_database_backend() != sea_orm::DatabaseBackend::Sqlite {
        lock_pages(&txn, rows.iter().map(|(_, page_id, _)| *page_id).collect())
            .await
            .map_err(|e| e.to_string())?;
    }
    let now = Utc::now();
    let mut ids = Vec::with_capacity(rows.len());
    for (shop_id, page_id, data) in rows {
        let row = draft_update::ActiveModel {
            page_id: Set(*page_id),
            shop_id: Set(*shop_id),
            data: Set(data.to_vec()),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .map_err(|e| e.to_string())?;
        ids.push(row.id);
    }
    if let Some(replicas) = replicas {
        // The newest id per page; delivered to the other replicas when this commits.
        let mut newest: std::collections::BTreeMap<i64, i64> = Default::default();
        for ((_, page_id, _), id) in rows.iter().zip(&ids) {
            newest.insert(*page_id, *id);
        }
        for (page_id, id) in newest {
            replicas
                .notify_in(&txn, &Event::Update { page_id, id })
                .await
                .map_err(|e| e.to_string())?;
        }
    }
    txn.commit().await.map_err(|e| e.to_string())?;
    Ok(ids)
}

/// SQLite, one process: the batch as one multi-row `INSERT … RETURNING id`, atomic on its own.
/// Each statement is a round trip to the connection's worker thread (two thread wake-ups);
/// this is one where a transaction took four per batch (BEGIN, INSERT, SELECT the new id,
/// COMMIT), paid for every keystroke when edits arrive one at a time.
async fn insert_returning_ids(
    db: &DatabaseConnection,
    rows: &[(i64, i64, &[u8])],
) -> Result<Vec<i64>, DbErr> {
    let now = Utc::now();
    let mut insert =
        draft_update::Entity::insert_many(rows.iter().map(|(shop_id, page_id, data)| {
            draft_update::ActiveModel {
                page_id: Set(*page_id),
                shop_id: Set(*shop_id),
                data: Set(data.to_vec()),
                created_at: Set(now),
                ..Default::default()
            }
        }))
        .into_query();
    insert.returning_col(draft_update::Column::Id);
    let mut ids = db
        .query_all(&insert)
        .await?
        .iter()
        .map(|row| row.try_get::<i64>("", "id"))
        .collect::<Result<Vec<_>, _>>()?;
    if ids.len() != rows.len() {
        return Err(DbErr::Custom(format!(
            "{} draft updates inserted, {} ids returned",
            rows.len(),
            ids.len()
        )));
    }
    // One writer: the rows take increasing ids in the order given, while the order RETURNING
    // lists them in is unspecified.
    ids.sort_unstable();
    Ok(ids)
}
