//! One line of a cart: a variant, a quantity and, for a rental, its dates.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "cart_line")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub cart_id: i64,
    pub shop_id: i64,
    pub variant_id: i64,
    pub quantity: i32,
    /// First day of a rental (inclusive).
    pub start_date: Option<Date>,
    /// Last day of a rental (inclusive).
    pub end_date: Option<Date>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
