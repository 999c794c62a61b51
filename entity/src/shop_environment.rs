//! One environment of a shop: its live release and how its last smoke run and launch went
//! (what the health badge is computed from).
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "shop_environment")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub shop_id: i64,
    pub environment: String,
    pub live_release_id: Option<i64>,
    pub last_smoke_at: Option<DateTimeUtc>,
    pub last_smoke_passed: Option<bool>,
    pub last_smoke_passed_at: Option<DateTimeUtc>,
    pub last_smoke_summary: Option<String>,
    /// The last failed launch or rollback, cleared by the next one that succeeds.
    pub last_failure: Option<String>,
    pub last_failure_at: Option<DateTimeUtc>,
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
}

impl Related<super::shop::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Shop.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
