//! Durable draft state: an append-only log of CRDT updates per page and a compacted snapshot.

use chrono::Utc;
use entity::{draft_snapshot, draft_update};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, Set, TransactionTrait,
};

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
}

impl DraftStore {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
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

    /// Appends one update; returns its log id. Committed when this returns.
    pub async fn append(&self, shop_id: i64, page_id: i64, data: Vec<u8>) -> Result<i64, DbErr> {
        let row = draft_update::ActiveModel {
            page_id: Set(page_id),
            shop_id: Set(shop_id),
            data: Set(data),
            created_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(&self.db)
        .await?;
        Ok(row.id)
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
