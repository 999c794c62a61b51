//! The page repository: "the page with this id", always asked with the tenant it belongs to.
//!
//! Every request-facing lookup is scoped — by the shop a preview link or the request's Host
//! names ([`in_shop`]), or by the user's membership ([`for_member`]) — and another shop's
//! page answers exactly like a page that does not exist (`404`).

use crate::api::require_role;
use crate::auth::Role;
use crate::error::AppError;
use app::draft::PageFields;
use entity::page;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};

/// A page by id in any shop, for server tools and tests; request handlers use [`in_shop`] or
/// [`for_member`].
pub async fn find(db: &impl ConnectionTrait, page_id: i64) -> Result<Option<page::Model>, DbErr> {
    page::Entity::find_by_id(page_id).one(db).await
}

/// The page if it belongs to `shop_id` (`None` for another shop's page). Takes a
/// transaction too, so a re-read inside one asks the same question.
pub async fn in_shop(
    db: &impl ConnectionTrait,
    shop_id: i64,
    page_id: i64,
) -> Result<Option<page::Model>, DbErr> {
    page::Entity::find_by_id(page_id)
        .filter(page::Column::ShopId.eq(shop_id))
        .one(db)
        .await
}

/// A page the user may act on with at least `min` role, and that role. Pages of shops the
/// user is not a member of answer `404`, exactly like pages that do not exist; weaker
/// members get `403`.
pub async fn for_member(
    db: &DatabaseConnection,
    user_id: i64,
    page_id: i64,
    min: Role,
) -> Result<(page::Model, Role), AppError> {
    let page = find(db, page_id).await?.ok_or(AppError::NotFound)?;
    let role = require_role(db, user_id, page.shop_id, min).await?;
    Ok((page, role))
}

/// The page row's own fields: the live revision's, or those it was created with until its
/// first publish. The draft's `page` map is where they change (see `app::draft::page_fields`);
/// the publish service copies them here.
pub fn fields(page: &page::Model) -> PageFields {
    PageFields {
        title: page.title.clone(),
        slug: page.slug.clone(),
        seo_title: page.seo_title.clone(),
        seo_description: page.seo_description.clone(),
    }
}
