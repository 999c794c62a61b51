//! Host name → shop. Hosts are stored normalised (lower-case, no port, no trailing dot).
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "shop_domain")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub shop_id: i64,
    #[sea_orm(unique)]
    pub host: String,
    /// The shop's canonical host (used for canonical links).
    pub is_primary: bool,
    /// Custom domains answer only once verified; default subdomains are created verified.
    pub verified: bool,
    pub created_at: DateTimeUtc,
    /// `dev`, `stage` or `prod`; `None` (hosts from before environments) behaves as `dev`:
    /// it shows the latest published pages.
    pub environment: Option<String>,
    /// A release's own preview host: serves exactly that release, live or not.
    pub release_id: Option<i64>,
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
