//! Where a page lives on the storefront: the one place that maps a page to its path and its
//! absolute URL on the shop's primary host (the publish answer and the page API use it).

use crate::config::Config;
use app::blocks::PageType;
use axum::http::{HeaderMap, header};
use entity::page;
use sea_orm::{DatabaseConnection, DbErr};

/// The storefront path that serves `page`: home `/`, a content page `/pages/{slug}`, the
/// product list `/products`, `/cart`, `/checkout`. `None` for a product-detail page, which
/// lays out every `/products/{handle}` rather than one address.
pub fn storefront_path(page: &page::Model) -> Option<String> {
    match PageType::from_name(&page.page_type)? {
        PageType::Home => Some("/".to_string()),
        PageType::Page => Some(format!("/pages/{}", page.slug)),
        PageType::ProductList => Some("/products".to_string()),
        PageType::Cart => Some("/cart".to_string()),
        PageType::Checkout => Some("/checkout".to_string()),
        PageType::ProductDetail => None,
    }
}

/// The absolute storefront URL of `page` while it is live: `scheme://primary-host[:port]/path`.
/// The port is the one the request came in on (as the storefront's canonical links do), so a
/// development server on `:3000` hands out `http://demo.localhost:3000/…`. `None` when the
/// page has no live revision, no single address, or its shop no primary host.
pub async fn live_url(
    db: &DatabaseConnection,
    config: &Config,
    headers: &HeaderMap,
    page: &page::Model,
) -> Result<Option<String>, DbErr> {
    if page.live_revision_id.is_none() {
        return Ok(None);
    }
    let Some(path) = storefront_path(page) else {
        return Ok(None);
    };
    let Some(host) = crate::tenancy::primary_host(db, page.shop_id).await? else {
        return Ok(None);
    };
    let port = request_port(headers)
        .map(|p| format!(":{p}"))
        .unwrap_or_default();
    Ok(Some(format!("{}://{host}{port}{path}", config.scheme())))
}

/// The port of the request's `Host` header, if it names one.
fn request_port(headers: &HeaderMap) -> Option<&str> {
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let (_, port) = host.rsplit_once(':')?;
    (!port.is_empty() && port.len() <= 5 && port.chars().all(|c| c.is_ascii_digit()))
        .then_some(port)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(page_type: &str, slug: &str) -> page::Model {
        let now = chrono::Utc::now();
        page::Model {
            id: 1,
            shop_id: 1,
            slug: slug.into(),
            title: "T".into(),
            page_type: page_type.into(),
            seo_title: None,
            seo_description: None,
            live_revision_id: Some(1),
            preview_epoch: 0,
            publish_at: None,
            schedule_error: None,
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn paths_follow_the_storefront_routes() {
        let cases = [
            ("home", Some("/")),
            ("page", Some("/pages/about")),
            ("product_list", Some("/products")),
            ("cart", Some("/cart")),
            ("checkout", Some("/checkout")),
            ("product_detail", None),
            ("nonsense", None),
        ];
        for (t, want) in cases {
            assert_eq!(storefront_path(&page(t, "about")).as_deref(), want, "{t}");
        }
    }

    #[test]
    fn ports_come_from_the_host_header() {
        let mut h = HeaderMap::new();
        assert_eq!(request_port(&h), None);
        h.insert(header::HOST, "localhost:3000".parse().unwrap());
        assert_eq!(request_port(&h), Some("3000"));
        h.insert(header::HOST, "[::1]:8080".parse().unwrap());
        assert_eq!(request_port(&h), Some("8080"));
        h.insert(header::HOST, "[::1]".parse().unwrap());
        assert_eq!(request_port(&h), None);
        h.insert(header::HOST, "shop.example".parse().unwrap());
        assert_eq!(request_port(&h), None);
    }
}
