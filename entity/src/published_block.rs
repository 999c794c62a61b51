//! One block of a published revision. The tree is stored flat in pre-order: `position` orders
//! the rows, `parent_block_id` links children of container blocks to their parent.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "published_block")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub revision_id: i64,
    pub shop_id: i64,
    pub position: i32,
    pub block_id: String,
    pub parent_block_id: Option<String>,
    pub block_type: String,
    /// Validated, normalised props (defaults filled in).
    pub props: Json,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::published_page::Entity",
        from = "Column::RevisionId",
        to = "super::published_page::Column::Id",
        on_delete = "Cascade"
    )]
    PublishedPage,
}

impl Related<super::published_page::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::PublishedPage.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
