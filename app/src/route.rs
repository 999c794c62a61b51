//! Where things live on a shop's storefront: the one map from a page (its type and slug) to
//! its path, and the one rule for an absolute address on a shop host. The storefront's
//! handlers and canonical links, the page API's `live_url`, preview links, the smoke suite,
//! the lifecycle's views and the admin all use it.

use crate::blocks::PageType;
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use serde::{Deserialize, Serialize};

/// A storefront address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    /// `/`
    Home,
    /// `/pages/{slug}`
    Page(String),
    /// `/products`
    Products,
    /// `/products/{handle}`
    Product(String),
    /// `/cart`
    Cart,
    /// `/checkout`
    Checkout,
}

/// What a path segment must escape (RFC 3986 `pchar` allows the rest).
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');

impl Route {
    /// Where content pages live: `/pages/` + a slug.
    pub const PAGES_PREFIX: &'static str = "/pages/";
    /// Where product pages live: `/products/` + a product's handle.
    pub const PRODUCTS_PREFIX: &'static str = "/products/";
    /// Where order confirmations live: `/orders/` + an order's token.
    pub const ORDERS_PREFIX: &'static str = "/orders/";

    /// The address that serves a page of `page_type` with `slug`. `None` for a product-detail
    /// page, which lays out every `/products/{handle}` rather than one address.
    pub fn of_page(page_type: PageType, slug: &str) -> Option<Route> {
        match page_type {
            PageType::Home => Some(Route::Home),
            PageType::Page => Some(Route::Page(slug.to_string())),
            PageType::ProductList => Some(Route::Products),
            PageType::Cart => Some(Route::Cart),
            PageType::Checkout => Some(Route::Checkout),
            PageType::ProductDetail => None,
        }
    }

    /// [`Route::of_page`] for a page type given by name (as stored); `None` for an unknown one.
    pub fn of_page_named(page_type: &str, slug: &str) -> Option<Route> {
        Route::of_page(PageType::from_name(page_type)?, slug)
    }

    /// The type of page that lays this address out.
    pub fn page_type(&self) -> PageType {
        match self {
            Route::Home => PageType::Home,
            Route::Page(_) => PageType::Page,
            Route::Products => PageType::ProductList,
            Route::Product(_) => PageType::ProductDetail,
            Route::Cart => PageType::Cart,
            Route::Checkout => PageType::Checkout,
        }
    }

    /// The path, with the slug or handle escaped as a path segment: every spelling of an
    /// address (`/pages/%61bout`) has this one path (`/pages/about`), so it is what the
    /// render cache is keyed by and what canonical links name.
    pub fn path(&self) -> String {
        match self {
            Route::Home => "/".into(),
            Route::Page(slug) => format!(
                "{}{}",
                Route::PAGES_PREFIX,
                utf8_percent_encode(slug, SEGMENT)
            ),
            Route::Products => "/products".into(),
            Route::Product(handle) => format!(
                "{}{}",
                Route::PRODUCTS_PREFIX,
                utf8_percent_encode(handle, SEGMENT)
            ),
            Route::Cart => "/cart".into(),
            Route::Checkout => "/checkout".into(),
        }
    }

    /// The order confirmation page of the order with `token`, `/orders/{token}`: served by
    /// the storefront but laid out by no page of the page library, so not a variant.
    pub fn order_path(token: &str) -> String {
        format!(
            "{}{}",
            Route::ORDERS_PREFIX,
            utf8_percent_encode(token, SEGMENT)
        )
    }

    /// The absolute address on `host` (a shop's primary host, or a release's preview host).
    pub fn url(&self, origins: ShopOrigins, host: &str) -> String {
        format!("{}{}", origins.origin(host), self.path())
    }
}

/// The one rule for the absolute addresses the server hands out for shop hosts (canonical
/// links, `live_url`, preview links, the admin's links to hosts): `http` with the server's
/// configured port in development, `https` on the default port elsewhere (behind the TLS
/// proxy). Never the port of a request's `Host`: pages carrying these links are cached and
/// shared by every client.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShopOrigins {
    /// A development server (`VITRINE_ENV=dev`).
    pub dev: bool,
    /// The port the server is configured to listen on (`VITRINE_ADDR`); named only in
    /// development, and not when it is 0 (any port) or 80.
    pub port: u16,
}

impl ShopOrigins {
    /// The scheme customers reach shops with.
    pub fn scheme(self) -> &'static str {
        if self.dev { "http" } else { "https" }
    }

    /// `scheme://host[:port]`.
    pub fn origin(self, host: &str) -> String {
        match self.port {
            port if self.dev && port != 0 && port != 80 => format!("http://{host}:{port}"),
            _ => format!("{}://{host}", self.scheme()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_map_to_the_storefront_routes() {
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
            let path = Route::of_page_named(t, "about").map(|r| r.path());
            assert_eq!(path.as_deref(), want, "{t}");
        }
        for t in PageType::ALL {
            if let Some(route) = Route::of_page(t, "x") {
                assert_eq!(route.page_type(), t);
            }
        }
    }

    #[test]
    fn slugs_and_handles_are_one_escaped_segment() {
        assert_eq!(Route::Page("a b/c".into()).path(), "/pages/a%20b%2Fc");
        assert_eq!(Route::Product("mug".into()).path(), "/products/mug");
        assert!(
            Route::Product("mug".into())
                .path()
                .starts_with(Route::PRODUCTS_PREFIX)
        );
        assert_eq!(Route::order_path("Ab-_9"), "/orders/Ab-_9");
    }

    #[test]
    fn urls_name_the_configured_port_only_in_development() {
        let dev = |port| ShopOrigins { dev: true, port };
        assert_eq!(
            Route::Page("about".into()).url(dev(3000), "a.localhost"),
            "http://a.localhost:3000/pages/about"
        );
        assert_eq!(
            Route::Home.url(dev(0), "a.localhost"),
            "http://a.localhost/"
        );
        assert_eq!(
            Route::Home.url(dev(80), "a.localhost"),
            "http://a.localhost/"
        );
        let prod = ShopOrigins {
            dev: false,
            port: 3000,
        };
        assert_eq!(
            Route::Cart.url(prod, "shop.example"),
            "https://shop.example/cart"
        );
    }
}
