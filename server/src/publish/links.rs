//! Where a page lives on the storefront: its [`Route`] and, while it is live, its absolute
//! URL on the shop's primary host (the publish answer and the page API use these).

use crate::config::Config;
use app::route::Route;
use entity::page;
use sea_orm::{DatabaseConnection, DbErr};

/// The storefront address that serves `page`; `None` for a product-detail page (it lays out
/// every `/products/{handle}`) or an unknown page type.
pub fn route(page: &page::Model) -> Option<Route> {
    Route::of_page_named(&page.page_type, &page.slug)
}

/// The absolute storefront URL of `page` while it is live, by the canonical links' rule
/// ([`app::route::ShopOrigins`]): `http://primary-host:port/path` on a development server
/// (its configured port), `https://primary-host/path` elsewhere. `None` when the page has no
/// live revision, no single address, or its shop no primary host.
pub async fn live_url(
    db: &DatabaseConnection,
    config: &Config,
    page: &page::Model,
) -> Result<Option<String>, DbErr> {
    if page.live_revision_id.is_none() {
        return Ok(None);
    }
    let Some(route) = route(page) else {
        return Ok(None);
    };
    let Some(host) = crate::tenancy::primary_host(db, page.shop_id).await? else {
        return Ok(None);
    };
    Ok(Some(route.url(config.shop_origins(), &host)))
}
