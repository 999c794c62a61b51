//! Durable draft state: an append-only log of CRDT updates per page and a compacted snapshot.

use chrono::Utc;
use entity::{draft_snapshot, draft_update};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, Set, TransactionTrait,
};
use tokio::sync::{mpsc, oneshot};

/// What is stored for a page's draft.
pub struct StoredDraft {
    /// The snapshot (if any) first, then every later update, in order.
    pub updates: Vec<Vec<u8>>,
    /// Log rows not yet folded into the snapshot.
    pub pending: u64,
}

#[derive(Clone)]
pub struct DraftStore {
    db: DatabaseConnection,
    writer: mpsc::Sender<Write>,
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
    /// Starts the writer task (needs a Tokio runtime).
    pub fn new(db: DatabaseConnection) -> Self {
        let (writer, rx) = mpsc::channel(4096);
        tokio::spawn(write_loop(db.clone(), rx));
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
        let updates = snapshot
            .map(|s| s.data)
            .into_iter()
            .chain(rows.into_iter().map(|r| r.data))
            .collect();
        Ok(StoredDraft { updates, pending })
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
    /// after those updates, in one transaction.
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

async fn write_loop(db: DatabaseConnection, mut rx: mpsc::Receiver<Write>) {
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
            write_batch(&db, &rows).await
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
) -> Result<Vec<i64>, String> {
    let txn = db.begin().await.map_err(|e| e.to_string())?;
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
    txn.commit().await.map_err(|e| e.to_string())?;
    Ok(ids)
}
