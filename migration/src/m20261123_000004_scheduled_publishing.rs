//! Scheduled publishing: when a page's draft should go live, and why the last attempt failed.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        m.alter_table(
            Table::alter()
                .table(Page::Table)
                .add_column(timestamp_with_time_zone_null(Page::PublishAt))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Page::Table)
                .add_column(string_null(Page::ScheduleError))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_page_publish_at")
                .table(Page::Table)
                .col(Page::PublishAt)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("idx_page_publish_at")
                .table(Page::Table)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Page::Table)
                .drop_column(Page::ScheduleError)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Page::Table)
                .drop_column(Page::PublishAt)
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum Page {
    Table,
    PublishAt,
    ScheduleError,
}
