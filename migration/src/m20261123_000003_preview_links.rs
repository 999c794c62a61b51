//! Issued preview links, so editors see how many are active (revocation is the page's epoch).
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(PreviewLink::Table)
                .col(pk_auto(PreviewLink::Id).big_integer())
                .col(big_integer(PreviewLink::PageId))
                .col(big_integer(PreviewLink::ShopId))
                .col(big_integer(PreviewLink::Epoch))
                .col(big_integer(PreviewLink::ExpiresAt))
                .col(big_integer_null(PreviewLink::CreatedBy))
                .col(timestamp_with_time_zone(PreviewLink::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(PreviewLink::Table, PreviewLink::PageId)
                        .to(Page::Table, Page::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_preview_link_page")
                .table(PreviewLink::Table)
                .col(PreviewLink::PageId)
                .col(PreviewLink::Epoch)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(PreviewLink::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Page {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum PreviewLink {
    Table,
    Id,
    PageId,
    ShopId,
    Epoch,
    ExpiresAt,
    CreatedBy,
    CreatedAt,
}
