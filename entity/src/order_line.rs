//! One line of an order, with the product as it was sold (titles and prices are copied, so
//! later catalogue edits do not change past orders).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "order_line")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub order_id: i64,
    pub shop_id: i64,
    pub variant_id: i64,
    /// `sale` or `rental`.
    pub kind: String,
    pub product_handle: String,
    pub product_title: String,
    pub variant_title: String,
    /// Per unit (a sale) or per unit and day (a rental).
    pub unit_price: i64,
    pub quantity: i32,
    pub start_date: Option<Date>,
    pub end_date: Option<Date>,
    /// Rental days (0 for a sale).
    pub days: i32,
    /// Refundable deposit per unit (rentals).
    pub deposit: i64,
    /// unit_price × quantity (× days), without the deposit.
    pub line_total: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::shop_order::Entity",
        from = "Column::OrderId",
        to = "super::shop_order::Column::Id",
        on_delete = "Cascade"
    )]
    Order,
}

impl Related<super::shop_order::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Order.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
