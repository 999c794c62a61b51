//! An immutable published revision of a page. Rollback publishes an old one again as a new row.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "published_page")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub page_id: i64,
    pub shop_id: i64,
    /// 1, 2, 3 … per page.
    pub number: i64,
    pub title: String,
    pub slug: String,
    pub seo_title: Option<String>,
    pub seo_description: Option<String>,
    /// Hash of the validated block tree and page fields, to spot an unchanged publish.
    pub content_hash: String,
    pub published_by: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::page::Entity",
        from = "Column::PageId",
        to = "super::page::Column::Id",
        on_delete = "Cascade"
    )]
    Page,
    #[sea_orm(has_many = "super::published_block::Entity")]
    PublishedBlock,
}

impl Related<super::page::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Page.def()
    }
}

impl Related<super::published_block::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::PublishedBlock.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
