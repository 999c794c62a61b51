//! A shop page. Its content lives in published revisions (and, for editors, in the draft).
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "page")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub shop_id: i64,
    pub slug: String,
    pub title: String,
    /// One of `app::blocks::PageType` names: home, page, product_list, product_detail, cart, checkout.
    pub page_type: String,
    pub seo_title: Option<String>,
    pub seo_description: Option<String>,
    /// The revision customers see; `None` while unpublished. Explicit, so switching it is one update.
    pub live_revision_id: Option<i64>,
    /// Bumped to revoke every preview link of this page.
    pub preview_epoch: i64,
    /// When the draft is to be published (scheduled publishing), if at all.
    pub publish_at: Option<DateTimeUtc>,
    /// Why the last scheduled publish failed (it is not retried until rescheduled).
    pub schedule_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
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
    #[sea_orm(has_many = "super::published_page::Entity")]
    PublishedPage,
}

impl Related<super::shop::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Shop.def()
    }
}

impl Related<super::published_page::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::PublishedPage.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

impl ActiveModel {
    /// A new, unpublished page.
    pub fn new_page(shop_id: i64, slug: &str, title: &str, page_type: &str) -> Self {
        let now = chrono::Utc::now();
        Self {
            shop_id: sea_orm::Set(shop_id),
            slug: sea_orm::Set(slug.to_string()),
            title: sea_orm::Set(title.to_string()),
            page_type: sea_orm::Set(page_type.to_string()),
            seo_title: sea_orm::Set(None),
            seo_description: sea_orm::Set(None),
            live_revision_id: sea_orm::Set(None),
            preview_epoch: sea_orm::Set(0),
            publish_at: sea_orm::Set(None),
            schedule_error: sea_orm::Set(None),
            created_at: sea_orm::Set(now),
            updated_at: sea_orm::Set(now),
            ..Default::default()
        }
    }
}
