//! Sessions name their user, so that resetting a password can end that user's sessions.
use sea_orm_migration::sea_orm::ConnectionTrait;
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
        // id is in the JSON data (`{"user_id": 7}`). Read here, not in SQL, so one statement
        // suits every backend.
        let db = m.get_connection();
        let rows = db
            .query_all(
                Query::select()
                    .columns([Session::Id, Session::Data])
                    .from(Session::Table),
            )
            .await?;
        for row in rows {
            let id: String = row.try_get("", "id")?;
            let data: String = row.try_get("", "data")?;
            let Some(user_id) = serde_json::from_str::<serde_json::Value>(&data)
                .ok()
                .and_then(|v| v.get("user_id").and_then(|u| u.as_i64()))
            else {
                continue;
            };
            db.execute(
                Query::update()
                    .table(Session::Table)
                    .value(Session::UserId, user_id)
                    .and_where(Expr::col(Session::Id).eq(id)),
            )
            .await?;
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
    Id,
    Data,
    UserId,
}
