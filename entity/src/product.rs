//! A catalogue product. Prices live on its variants.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "product")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub shop_id: i64,
    pub handle: String,
    pub title: String,
    pub description: String,
    /// Image URLs (site-relative or http(s)), first one is the main image.
    pub images: Json,
    pub featured: bool,
    /// `sale` or `rental` (a rental variant's price is per day).
    pub kind: String,
    /// Sort order in listings.
    pub position: i32,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::shop::Entity",
        from = "Column::ShopId",
        to = "super::shop::Column::Id",
        on_delete = "Cascade"
    )]
    Shop,
    #[sea_orm(has_many = "super::product_variant::Entity")]
    ProductVariant,
}

impl Related<super::shop::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Shop.def()
    }
}

impl Related<super::product_variant::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ProductVariant.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
