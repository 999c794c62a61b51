//! Sessions name their user, so that resetting a password can end that user's sessions.
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Session::Table)
                .add_column(big_integer_null(Session::UserId))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_session_user")
                .table(Session::Table)
                .col(Session::UserId)
                .to_owned(),
        )
        .await?;
        // Sessions from before this migration keep working and can be ended too: their user
        // id is in the JSON data (`{"user_id": 7}`).
        let backfill = match m.get_database_backend() {
            DbBackend::Sqlite => Some(
                "UPDATE session SET user_id = json_extract(data, '$.user_id') \
                 WHERE json_valid(data)",
            ),
            DbBackend::Postgres => {
                Some("UPDATE session SET user_id = (data::jsonb ->> 'user_id')::bigint")
            }
            _ => None,
        };
        if let Some(sql) = backfill {
            m.get_connection().execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("idx_session_user")
                .table(Session::Table)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Session::Table)
                .drop_column(Session::UserId)
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum Session {
    Table,
    UserId,
}
