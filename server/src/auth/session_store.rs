//! tower-sessions store over the application database (SeaORM), so sessions survive restarts
//! and are shared by replicas. Each row also names its user, so a user's sessions can be
//! ended (at a password reset); expired rows are swept periodically.

use async_trait::async_trait;
use entity::session;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set};
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

/// How often `serve` deletes expired sessions.
pub const SWEEP_PERIOD: Duration = Duration::from_secs(5 * 60);

/// Ends every session of a user. Returns how many were ended.
pub async fn end_user_sessions(db: &DatabaseConnection, user_id: i64) -> Result<u64, DbErr> {
    Ok(session::Entity::delete_many()
        .filter(session::Column::UserId.eq(user_id))
        .exec(db)
        .await?
        .rows_affected)
}

/// A short-lived session the server opens for itself to act as a shop's owner over HTTP
/// (a launch's smoke suite records a rental's return through the API, as a person would).
/// It lasts [`ServiceSession::LIFETIME`] at most and is deleted when the work is done.
pub struct ServiceSession {
    id: Id,
}

impl ServiceSession {
    pub const LIFETIME: time::Duration = time::Duration::minutes(10);

    /// A session of `preferred` when they are an owner or editor of the shop, else of one of
    /// its owners; `None` when the shop has neither.
    pub async fn open(
        db: &DatabaseConnection,
        shop_id: i64,
        preferred: Option<i64>,
    ) -> Result<Option<Self>, DbErr> {
        use crate::auth::Role;
        use entity::membership;
        use sea_orm::QueryOrder;
        let members = membership::Entity::find()
            .filter(membership::Column::ShopId.eq(shop_id))
            .filter(membership::Column::Role.is_in([Role::Owner.as_str(), Role::Editor.as_str()]))
            .order_by_asc(membership::Column::Id)
            .all(db)
            .await?;
        let user = members
            .iter()
            .find(|m| Some(m.user_id) == preferred)
            .or_else(|| members.iter().find(|m| m.role == Role::Owner.as_str()))
            .or(members.first())
            .map(|m| m.user_id);
        let Some(user_id) = user else {
            return Ok(None);
        };
        let mut record = Record {
            id: Id::default(),
            data: [(
                crate::auth::USER_ID_KEY.to_string(),
                serde_json::json!(user_id),
            )]
            .into_iter()
            .collect(),
            expiry_date: time::OffsetDateTime::now_utc() + Self::LIFETIME,
        };
        DbSessionStore::new(db.clone())
            .create(&mut record)
            .await
            .map_err(|e| DbErr::Custom(e.to_string()))?;
        Ok(Some(Self { id: record.id }))
    }

    /// The `Cookie` header value that carries the session.
    pub fn cookie(&self) -> String {
        format!("{}={}", crate::http::SESSION_COOKIE, self.id)
    }

    pub async fn close(self, db: &DatabaseConnection) -> Result<(), DbErr> {
        session::Entity::delete_by_id(self.id.to_string())
            .exec(db)
            .await?;
        Ok(())
    }
}

#[derive(Clone, Debug)]
pub struct DbSessionStore {
    db: DatabaseConnection,
}

impl DbSessionStore {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// Removes expired sessions; run periodically.
    pub async fn delete_expired(&self) -> Result<u64, sea_orm::DbErr> {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        Ok(session::Entity::delete_many()
            .filter(session::Column::ExpiresAt.lt(now))
            .exec(&self.db)
            .await?
            .rows_affected)
    }

    /// Deletes expired sessions now and then every `period`, until `stop` is cancelled; a
    /// failed sweep is logged and retried at the next tick.
    pub fn spawn_sweeper(
        self,
        period: Duration,
        stop: CancellationToken,
    ) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(period);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = ticks.tick() => {}
                    _ = stop.cancelled() => break,
                }
                match self.delete_expired().await {
                    Ok(0) => {}
                    Ok(n) => tracing::debug!(deleted = n, "expired sessions deleted"),
                    Err(e) => tracing::warn!(error = %e, "deleting expired sessions failed"),
                }
            }
        })
    }

    fn row(record: &Record) -> session_store::Result<session::ActiveModel> {
        Ok(session::ActiveModel {
            id: Set(record.id.to_string()),
            data: Set(serde_json::to_string(&record.data)
                .map_err(|e| session_store::Error::Encode(e.to_string()))?),
            expires_at: Set(record.expiry_date.unix_timestamp()),
            user_id: Set(user_of(record)),
        })
    }
}

/// The logged-in user a record belongs to, if any.
fn user_of(record: &Record) -> Option<i64> {
    record
        .data
        .get(crate::auth::USER_ID_KEY)
        .and_then(serde_json::Value::as_i64)
}

fn backend(e: sea_orm::DbErr) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // A fresh id must not take over an existing session: retry on the (unlikely) collision.
        loop {
            let inserted = session::Entity::insert(Self::row(record)?)
                .on_conflict(
                    OnConflict::column(session::Column::Id)
                        .do_nothing()
                        .to_owned(),
                )
                .exec_without_returning(&self.db)
                .await
                .map_err(backend)?;
            if inserted == 1 {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    /// Updates a session loaded by this request (new sessions go through `create`). It never
    /// inserts: a request that was in flight while its session was ended (logout, password
    /// reset, expiry) must not bring the session back when it saves on the way out.
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let data = serde_json::to_string(&record.data)
            .map_err(|e| session_store::Error::Encode(e.to_string()))?;
        session::Entity::update_many()
            .col_expr(session::Column::Data, Expr::value(data))
            .col_expr(
                session::Column::ExpiresAt,
                Expr::value(record.expiry_date.unix_timestamp()),
            )
            .col_expr(session::Column::UserId, Expr::value(user_of(record)))
            .filter(session::Column::Id.eq(record.id.to_string()))
            .exec(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let Some(row) = session::Entity::find_by_id(id.to_string())
            .filter(session::Column::ExpiresAt.gt(now))
            .one(&self.db)
            .await
            .map_err(backend)?
        else {
            return Ok(None);
        };
        let data = serde_json::from_str(&row.data)
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        let expiry_date = time::OffsetDateTime::from_unix_timestamp(row.expires_at)
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        Ok(Some(Record {
            id: *id,
            data,
            expiry_date,
        }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        session::Entity::delete_by_id(id.to_string())
            .exec(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_name_the_logged_in_user() {
        let mut record = Record {
            id: Id::default(),
            data: Default::default(),
            expiry_date: time::OffsetDateTime::now_utc(),
        };
        assert_eq!(user_of(&record), None);
        record
            .data
            .insert(crate::auth::USER_ID_KEY.into(), serde_json::json!(7));
        assert_eq!(user_of(&record), Some(7));
    }
}
