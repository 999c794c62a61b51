//! Editors (users, memberships, sessions) and page drafts (the CRDT update log and snapshots).
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(User::Table)
                .col(pk_auto(User::Id).big_integer())
                .col(string_uniq(User::Email))
                .col(string(User::Name))
                .col(string(User::PasswordHash))
                .col(timestamp_with_time_zone(User::CreatedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Membership::Table)
                .col(pk_auto(Membership::Id).big_integer())
                .col(big_integer(Membership::UserId))
                .col(big_integer(Membership::ShopId))
                .col(string(Membership::Role))
                .col(timestamp_with_time_zone(Membership::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Membership::Table, Membership::UserId)
                        .to(User::Table, User::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Membership::Table, Membership::ShopId)
                        .to(Shop::Table, Shop::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_membership_user_shop")
                .table(Membership::Table)
                .col(Membership::UserId)
                .col(Membership::ShopId)
                .unique()
                .to_owned(),
        )
        .await?;

        // tower-sessions records: the id is the cookie value, data is JSON, expiry a unix time.
        m.create_table(
            Table::create()
                .table(Session::Table)
                .col(string(Session::Id).primary_key())
                .col(text(Session::Data))
                .col(big_integer(Session::ExpiresAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_session_expires")
                .table(Session::Table)
                .col(Session::ExpiresAt)
                .to_owned(),
        )
        .await?;

        // Every accepted CRDT update of a page draft, appended before it is broadcast.
        m.create_table(
            Table::create()
                .table(DraftUpdate::Table)
                .col(pk_auto(DraftUpdate::Id).big_integer())
                .col(big_integer(DraftUpdate::PageId))
                .col(big_integer(DraftUpdate::ShopId))
                .col(blob(DraftUpdate::Data))
                .col(timestamp_with_time_zone(DraftUpdate::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(DraftUpdate::Table, DraftUpdate::PageId)
                        .to(Page::Table, Page::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_draft_update_page")
                .table(DraftUpdate::Table)
                .col(DraftUpdate::PageId)
                .col(DraftUpdate::Id)
                .to_owned(),
        )
        .await?;

        // The compacted draft: the full state as one update, covering log rows up to `upto_update_id`.
        m.create_table(
            Table::create()
                .table(DraftSnapshot::Table)
                .col(big_integer(DraftSnapshot::PageId).primary_key())
                .col(big_integer(DraftSnapshot::ShopId))
                .col(blob(DraftSnapshot::Data))
                .col(big_integer(DraftSnapshot::UptoUpdateId))
                .col(timestamp_with_time_zone(DraftSnapshot::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(DraftSnapshot::Table, DraftSnapshot::PageId)
                        .to(Page::Table, Page::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            DraftSnapshot::Table.into_iden(),
            DraftUpdate::Table.into_iden(),
            Session::Table.into_iden(),
            Membership::Table.into_iden(),
            User::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Shop {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Page {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum User {
    Table,
    Id,
    Email,
    Name,
    PasswordHash,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Membership {
    Table,
    Id,
    UserId,
    ShopId,
    Role,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Session {
    Table,
    Id,
    Data,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum DraftUpdate {
    Table,
    Id,
    PageId,
    ShopId,
    Data,
    CreatedAt,
}

#[derive(DeriveIden)]
enum DraftSnapshot {
    Table,
    PageId,
    ShopId,
    Data,
    UptoUpdateId,
    UpdatedAt,
}
