//! Shops and their domains, pages with published revisions and blocks, the catalogue.
use crate::index;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Shop::Table)
                .col(pk_auto(Shop::Id).big_integer())
                .col(string_uniq(Shop::Handle))
                .col(string(Shop::Name))
                .col(string(Shop::Locale))
                .col(string(Shop::Currency))
                .col(json(Shop::Theme))
                .col(string(Shop::Tagline).default(""))
                .col(timestamp_with_time_zone(Shop::CreatedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ShopDomain::Table)
                .col(pk_auto(ShopDomain::Id).big_integer())
                .col(big_integer(ShopDomain::ShopId))
                .col(string_uniq(ShopDomain::Host))
                .col(boolean(ShopDomain::IsPrimary).default(false))
                .col(boolean(ShopDomain::Verified).default(false))
                .col(timestamp_with_time_zone(ShopDomain::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(ShopDomain::Table, ShopDomain::ShopId)
                        .to(Shop::Table, Shop::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        index(
            m,
            "idx_shop_domain_shop",
            ShopDomain::Table,
            &[ShopDomain::ShopId.into_iden()],
            false,
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Page::Table)
                .col(pk_auto(Page::Id).big_integer())
                .col(big_integer(Page::ShopId))
                .col(string(Page::Slug))
                .col(string(Page::Title))
                .col(string(Page::PageType))
                .col(string_null(Page::SeoTitle))
                .col(string_null(Page::SeoDescription))
                .col(big_integer_null(Page::LiveRevisionId))
                .col(big_integer(Page::PreviewEpoch).default(0))
                .col(timestamp_with_time_zone(Page::CreatedAt))
                .col(timestamp_with_time_zone(Page::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Page::Table, Page::ShopId)
                        .to(Shop::Table, Shop::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        // The storefront looks pages up by (shop, slug) and by (shop, page type).
        index(
            m,
            "uq_page_shop_slug",
            Page::Table,
            &[Page::ShopId.into_iden(), Page::Slug.into_iden()],
            true,
        )
        .await?;
        index(
            m,
            "idx_page_shop_type",
            Page::Table,
            &[Page::ShopId.into_iden(), Page::PageType.into_iden()],
            false,
        )
        .await?;

        m.create_table(
            Table::create()
                .table(PublishedPage::Table)
                .col(pk_auto(PublishedPage::Id).big_integer())
                .col(big_integer(PublishedPage::PageId))
                .col(big_integer(PublishedPage::ShopId))
                .col(big_integer(PublishedPage::Number))
                .col(string(PublishedPage::Title))
                .col(string(PublishedPage::Slug))
                .col(string_null(PublishedPage::SeoTitle))
                .col(string_null(PublishedPage::SeoDescription))
                .col(string(PublishedPage::ContentHash))
                .col(big_integer_null(PublishedPage::PublishedBy))
                .col(timestamp_with_time_zone(PublishedPage::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(PublishedPage::Table, PublishedPage::PageId)
                        .to(Page::Table, Page::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        // Two publishers racing for the same number: one wins, the other retries.
        index(
            m,
            "uq_published_page_number",
            PublishedPage::Table,
            &[
                PublishedPage::PageId.into_iden(),
                PublishedPage::Number.into_iden(),
            ],
            true,
        )
        .await?;

        m.create_table(
            Table::create()
                .table(PublishedBlock::Table)
                .col(pk_auto(PublishedBlock::Id).big_integer())
                .col(big_integer(PublishedBlock::RevisionId))
                .col(big_integer(PublishedBlock::ShopId))
                .col(integer(PublishedBlock::Position))
                .col(string(PublishedBlock::BlockId))
                .col(string_null(PublishedBlock::ParentBlockId))
                .col(string(PublishedBlock::BlockType))
                .col(json(PublishedBlock::Props))
                .foreign_key(
                    ForeignKey::create()
                        .from(PublishedBlock::Table, PublishedBlock::RevisionId)
                        .to(PublishedPage::Table, PublishedPage::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        index(
            m,
            "uq_published_block_position",
            PublishedBlock::Table,
            &[
                PublishedBlock::RevisionId.into_iden(),
                PublishedBlock::Position.into_iden(),
            ],
            true,
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Product::Table)
                .col(pk_auto(Product::Id).big_integer())
                .col(big_integer(Product::ShopId))
                .col(string(Product::Handle))
                .col(string(Product::Title))
                .col(text(Product::Description))
                .col(json(Product::Images))
                .col(boolean(Product::Featured).default(false))
                .col(integer(Product::Position).default(0))
                .col(timestamp_with_time_zone(Product::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Product::Table, Product::ShopId)
                        .to(Shop::Table, Shop::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        index(
            m,
            "uq_product_shop_handle",
            Product::Table,
            &[Product::ShopId.into_iden(), Product::Handle.into_iden()],
            true,
        )
        .await?;
        index(
            m,
            "idx_product_shop_position",
            Product::Table,
            &[Product::ShopId.into_iden(), Product::Position.into_iden()],
            false,
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ProductVariant::Table)
                .col(pk_auto(ProductVariant::Id).big_integer())
                .col(big_integer(ProductVariant::ProductId))
                .col(big_integer(ProductVariant::ShopId))
                .col(string(ProductVariant::Title))
                .col(string(ProductVariant::Sku))
                .col(big_integer(ProductVariant::Price))
                .col(string(ProductVariant::Currency))
                .col(integer(ProductVariant::Inventory).default(0))
                .col(integer(ProductVariant::Position).default(0))
                .foreign_key(
                    ForeignKey::create()
                        .from(ProductVariant::Table, ProductVariant::ProductId)
                        .to(Product::Table, Product::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        index(
            m,
            "idx_variant_product",
            ProductVariant::Table,
            &[ProductVariant::ProductId.into_iden()],
            false,
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ProductVariant::Table.into_iden(),
            Product::Table.into_iden(),
            PublishedBlock::Table.into_iden(),
            PublishedPage::Table.into_iden(),
            Page::Table.into_iden(),
            ShopDomain::Table.into_iden(),
            Shop::Table.into_iden(),
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
    Handle,
    Name,
    Locale,
    Currency,
    Theme,
    Tagline,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ShopDomain {
    Table,
    Id,
    ShopId,
    Host,
    IsPrimary,
    Verified,
    CreatedAt,
}

#[derive(DeriveIden)]
#[allow(clippy::enum_variant_names)] // `PageType` is the column name.
enum Page {
    Table,
    Id,
    ShopId,
    Slug,
    Title,
    PageType,
    SeoTitle,
    SeoDescription,
    LiveRevisionId,
    PreviewEpoch,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PublishedPage {
    Table,
    Id,
    PageId,
    ShopId,
    Number,
    Title,
    Slug,
    SeoTitle,
    SeoDescription,
    ContentHash,
    PublishedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PublishedBlock {
    Table,
    Id,
    RevisionId,
    ShopId,
    Position,
    BlockId,
    ParentBlockId,
    BlockType,
    Props,
}

#[derive(DeriveIden)]
enum Product {
    Table,
    Id,
    ShopId,
    Handle,
    Title,
    Description,
    Images,
    Featured,
    Position,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ProductVariant {
    Table,
    Id,
    ProductId,
    ShopId,
    Title,
    Sku,
    Price,
    Currency,
    Inventory,
    Position,
}
