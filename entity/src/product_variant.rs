//! A purchasable variant of a product (size, colour …) with its price and stock.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "product_variant")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub product_id: i64,
    pub shop_id: i64,
    pub title: String,
    pub sku: String,
    /// Price in minor units of `currency` (cents).
    pub price: i64,
    pub currency: String,
    /// Units in stock (a sale), or units that can be out on rent at once (a rental).
    pub inventory: i32,
    /// Refundable deposit per unit of a rental, in minor units (0 for sales).
    pub deposit: i64,
    pub position: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::product::Entity",
        from = "Column::ProductId",
        to = "super::product::Column::Id",
        on_delete = "Cascade"
    )]
    Product,
}

impl Related<super::product::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Product.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
