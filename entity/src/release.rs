//! An immutable, numbered snapshot of what a shop serves in one environment: theme, settings
//! and the live revision of every page. Rolling back makes an older one live again.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "release")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub shop_id: i64,
    pub environment: String,
    /// 1, 2, 3 … per shop and environment.
    pub number: i64,
    /// An `app::lifecycle::ReleaseState`.
    pub state: String,
    /// The snapshot as JSON (see `server::lifecycle::release::Snapshot`).
    pub snapshot: String,
    /// The host that serves exactly this release.
    pub preview_host: String,
    pub smoke_summary: Option<String>,
    pub smoke_output: Option<String>,
    /// What differs from the release before it, in a line.
    pub changes: String,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub launched_at: Option<DateTimeUtc>,
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
