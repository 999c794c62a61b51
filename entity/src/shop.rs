//! A tenant: one storefront with its own domains, pages, catalogue and theme.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "shop")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// URL-safe handle; the default domain is `{handle}.localhost` in development.
    #[sea_orm(unique)]
    pub handle: String,
    pub name: String,
    /// BCP 47 language tag, e.g. `en-GB`.
    pub locale: String,
    /// ISO 4217 code used for prices, e.g. `EUR`.
    pub currency: String,
    /// Theme tokens (colours, fonts, radius) as JSON; see `app::theme::ThemeTokens`.
    pub theme: Json,
    /// Short line shown under the shop name in the header and in the footer.
    pub tagline: String,
    pub created_at: DateTimeUtc,
    /// `active`, or `needs_repair` while a lifecycle job that failed part-way awaits a Retry.
    pub status: String,
    /// The `app::shop_config::ShopConfig` the shop was created (or last reconciled) from, as
    /// JSON; `None` for shops from before the configurator (the sample seed's).
    pub config: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::shop_domain::Entity")]
    ShopDomain,
    #[sea_orm(has_many = "super::page::Entity")]
    Page,
    #[sea_orm(has_many = "super::product::Entity")]
    Product,
}

impl Related<super::shop_domain::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ShopDomain.def()
    }
}

impl Related<super::page::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Page.def()
    }
}

impl Related<super::product::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Product.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
