//! Storefront handlers: customers' shop pages, chosen by Host, rendered from published rows
//! with the block components, served from the render cache when possible (keyed by shop and
//! the page's own address, see [`cache`]).

pub mod cache;
pub mod content;
pub mod load;

use crate::state::AppState;
use crate::tenancy::{Tenant, normalize_host};
use app::blocks::{Block, BlockNode, PageType, validate_tree};
use app::route::Route;
use app::storefront::{
    NavLink, PageMeta, ShopView, StorefrontPage, UNKNOWN_HOST_HTML, render_page,
    render_shop_not_found,
};
use app::theme::ThemeTokens;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use cache::CachedPage;
use entity::{page, product};
use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter};

/// The block (and page title) shown when the shop has published no page of `route`'s type.
fn fallback(route: &Route) -> Option<(BlockNode, &'static str)> {
    let (id, block_type, props, title) = match route {
        Route::Home | Route::Page(_) => return None,
        Route::Products => (
            "products",
            "product_grid",
            serde_json::json!({"title": "All products", "limit": 24}),
            "Products",
        ),
        Route::Product(_) => (
            "product",
            "product_detail",
            serde_json::json!({}),
            "Products",
        ),
        Route::Cart => ("cart", "cart_section", serde_json::json!({}), "Cart"),
        Route::Checkout => (
            "checkout",
            "checkout_section",
            serde_json::json!({}),
            "Checkout",
        ),
    };
    let node = BlockNode {
        id: id.to_string(),
        block_type: block_type.to_string(),
        props: props.as_object().cloned().unwrap_or_default(),
        children: Vec::new(),
    };
    Some((node, title))
}

pub async fn home(State(state): State<AppState>, headers: HeaderMap) -> Response {
    serve(&state, &headers, Route::Home).await
}

pub async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(slug): Path<String>,
) -> Response {
    serve(&state, &headers, Route::Page(slug)).await
}

pub async fn products(State(state): State<AppState>, headers: HeaderMap) -> Response {
    serve(&state, &headers, Route::Products).await
}

pub async fn product(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(handle): Path<String>,
) -> Response {
    serve(&state, &headers, Route::Product(handle)).await
}

pub async fn cart(State(state): State<AppState>, headers: HeaderMap) -> Response {
    serve(&state, &headers, Route::Cart).await
}

pub async fn checkout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    serve(&state, &headers, Route::Checkout).await
}

/// `GET /orders/{token}`: the customer's order confirmation (where the payment provider
/// sends them back). The token is the order's random secret; the page is never cached.
pub async fn order(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Response {
    let Some(host) = request_host(&headers) else {
        return unknown_host();
    };
    let tenant = match state.tenants.resolve(&state.db, &host).await {
        Ok(Some(t)) => t,
        Ok(None) => return unknown_host(),
        Err(e) => return server_error(e),
    };
    tracing::Span::current().record("shop_id", tenant.shop.id);
    let path = "/orders";
    let (order, shop) = match tokio::try_join!(
        crate::commerce::orders::by_token(&state.db, tenant.shop.id, &token),
        shop_view(&state, &tenant)
    ) {
        Ok(found) => found,
        Err(e) => return server_error(e),
    };
    let Some(order) = order else {
        return shop_not_found(&state, &tenant, shop, path);
    };
    let meta = PageMeta {
        title: format!("Order #{} · {}", order.id, tenant.shop.name),
        description: None,
        canonical: canonical(&state, &tenant, path),
        path: path.to_string(),
    };
    private_html(
        StatusCode::OK,
        Bytes::from(app::storefront::render_order_page(shop, meta, order)),
    )
}

/// Any other path: the shop's own 404 page, or the plain one for an unknown host.
pub async fn not_found(State(state): State<AppState>, headers: HeaderMap, uri: Uri) -> Response {
    let Some(host) = request_host(&headers) else {
        return unknown_host();
    };
    match state.tenants.resolve(&state.db, &host).await {
        Ok(Some(tenant)) => {
            tracing::Span::current().record("shop_id", tenant.shop.id);
            match shop_view(&state, &tenant).await {
                Ok(shop) => shop_not_found(&state, &tenant, shop, uri.path()),
                Err(e) => server_error(e),
            }
        }
        Ok(None) => unknown_host(),
        Err(e) => server_error(e),
    }
}

/// Serves a page from the render cache, or renders it and caches it. The Host only chooses
/// the shop: nothing the client spelled (host, port, path encoding) reaches the cache key or
/// the page.
async fn serve(state: &AppState, headers: &HeaderMap, route: Route) -> Response {
    let Some(host) = request_host(headers) else {
        return unknown_host();
    };
    // Read before anything a render uses is loaded (see `RenderCache::insert`).
    let generation = state.render_cache.generation();
    let tenant = match state.tenants.resolve(&state.db, &host).await {
        Ok(Some(t)) => t,
        Ok(None) => return unknown_host(),
        Err(e) => return server_error(e),
    };
    tracing::Span::current().record("shop_id", tenant.shop.id);
    if tenant.not_launched {
        return not_launched(&tenant);
    }
    let path = route.path();
    if matches!(route, Route::Cart | Route::Checkout) {
        return serve_personal(state, headers, &tenant, &path, route).await;
    }
    let cart = match cart_count(state, headers, tenant.shop.id).await {
        Ok(count) => count,
        Err(e) => return server_error(e),
    };
    let cache_path = tenant.cache_path(&path);
    if let Some(hit) = state.render_cache.get(tenant.shop.id, &cache_path) {
        return page_response(headers, hit.body, hit.etag, cart);
    }
    match render(state, &tenant, &path, route, None).await {
        Ok(Rendered::Page { body, revision_id }) => {
            let body = Bytes::from(body);
            let etag = etag_of(&body);
            let page = CachedPage {
                shop_id: tenant.shop.id,
                revision_id,
                body: body.clone(),
                etag: etag.clone(),
            };
            state.render_cache.insert(generation, &cache_path, page);
            page_response(headers, body, etag, cart)
        }
        Ok(Rendered::NotFound(shop)) => shop_not_found(state, &tenant, *shop, &path),
        Err(e) => server_error(e),
    }
}

/// Items in the visitor's cart, when they have a cart with something in it.
async fn cart_count(
    state: &AppState,
    headers: &HeaderMap,
    shop_id: i64,
) -> Result<Option<i32>, DbErr> {
    let Some(token) = crate::commerce::cart::token_from(headers) else {
        return Ok(None);
    };
    let Some(cart) = crate::commerce::cart::find(&state.db, shop_id, &token).await? else {
        return Ok(None);
    };
    let count = crate::commerce::cart::count(&state.db, cart.id).await?;
    Ok((count > 0).then_some(count))
}

/// The cart and checkout pages: the visitor's own cart in the page, rendered for each
/// request and never cached.
async fn serve_personal(
    state: &AppState,
    headers: &HeaderMap,
    tenant: &Tenant,
    path: &str,
    route: Route,
) -> Response {
    let cart = match crate::commerce::cart::token_from(headers) {
        Some(token) => crate::commerce::cart::find(&state.db, tenant.shop.id, &token).await,
        None => Ok(None),
    };
    let view = match cart {
        Ok(cart) => crate::commerce::cart::view(&state.db, &tenant.shop, cart.as_ref(), true).await,
        Err(e) => Err(e),
    };
    let view = match view {
        Ok(v) => std::sync::Arc::new(v),
        Err(e) => return server_error(e),
    };
    match render(state, tenant, path, route, Some(view)).await {
        Ok(Rendered::Page { body, .. }) => private_html(StatusCode::OK, Bytes::from(body)),
        Ok(Rendered::NotFound(shop)) => shop_not_found(state, tenant, *shop, path),
        Err(e) => server_error(e),
    }
}

enum Rendered {
    Page {
        body: String,
        revision_id: Option<i64>,
    },
    NotFound(Box<ShopView>),
}

/// Renders the page at `path` (the route's own address) from the shop's live revisions.
async fn render(
    state: &AppState,
    tenant: &Tenant,
    path: &str,
    route: Route,
    cart: Option<std::sync::Arc<app::commerce::CartView>>,
) -> Result<Rendered, DbErr> {
    let db = &state.db;
    let shop_id = tenant.shop.id;
    let pages = load::pages_of(db, &state.render_cache, tenant).await?;
    let shop = shop_view_from(tenant, &pages);
    let page_type = route.page_type();

    // The page whose live revision to show, and the product of a product page.
    let (page, page_product) = match &route {
        Route::Page(slug) => (
            pages
                .iter()
                .find(|p| &p.slug == slug && p.page_type == page_type.name()),
            None,
        ),
        Route::Product(handle) => {
            let Some(product) = product::Entity::find()
                .filter(product::Column::ShopId.eq(shop_id))
                .filter(product::Column::Handle.eq(handle.as_str()))
                .one(db)
                .await?
            else {
                return Ok(Rendered::NotFound(Box::new(shop)));
            };
            (
                pages.iter().find(|p| p.page_type == page_type.name()),
                Some(product),
            )
        }
        _ => (pages.iter().find(|p| p.page_type == page_type.name()), None),
    };

    let live = match page {
        Some(p) => load::live_content(db, &state.revisions, p).await?,
        None => None,
    };
    let (blocks, revision_id, title, seo_title, seo_description) = match (live, fallback(&route)) {
        (Some(live), _) => {
            let r = &live.revision;
            (
                live.blocks.clone(),
                Some(r.id),
                r.title.clone(),
                r.seo_title.clone(),
                r.seo_description.clone(),
            )
        }
        // A shop that has not published a page of this type still gets a working one.
        (None, Some((node, title))) => {
            let blocks: Vec<Block> = validate_tree(page_type, &[node]).unwrap_or_default();
            (blocks, None, title.to_string(), None, None)
        }
        (None, None) => return Ok(Rendered::NotFound(Box::new(shop))),
    };

    let (title, description) = match &page_product {
        Some(p) => (
            format!("{} · {}", p.title, tenant.shop.name),
            Some(p.description.chars().take(160).collect::<String>()),
        ),
        None => {
            let title = match (seo_title, &route) {
                (Some(t), _) if !t.is_empty() => t,
                (_, Route::Home) => format!("{} — {}", tenant.shop.name, tenant.shop.tagline),
                _ => format!("{title} · {}", tenant.shop.name),
            };
            (title, seo_description.filter(|d| !d.is_empty()))
        }
    };
    let body = render_blocks(
        state,
        tenant,
        path,
        shop,
        (blocks, revision_id),
        (title, description),
        page_product.as_ref().map(|p| p.handle.as_str()),
        None,
        cart,
    )
    .await?;
    Ok(Rendered::Page { body, revision_id })
}

/// Renders blocks in the shop's layout: loads the catalogue they need (remembered for a live
/// revision, `revision_id`), builds the head.
/// `path` is the page's own address on the shop's primary host (the canonical link).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn render_blocks(
    state: &AppState,
    tenant: &Tenant,
    path: &str,
    shop: ShopView,
    (blocks, revision_id): (Vec<Block>, Option<i64>),
    (title, description): (String, Option<String>),
    page_product: Option<&str>,
    preview: Option<app::storefront::PreviewBanner>,
    cart: Option<std::sync::Arc<app::commerce::CartView>>,
) -> Result<String, DbErr> {
    let mut context = load::live_block_context(
        &state.db,
        &state.render_cache,
        tenant.shop.id,
        revision_id,
        &blocks,
        page_product,
    )
    .await?;
    context.cart = cart;
    let meta = PageMeta {
        title,
        description,
        canonical: canonical(state, tenant, path),
        path: path.to_string(),
    };
    Ok(render_page(StorefrontPage {
        shop,
        meta,
        blocks,
        context,
        preview,
    }))
}

pub(crate) async fn shop_view(state: &AppState, tenant: &Tenant) -> Result<ShopView, DbErr> {
    let pages = load::pages_of(&state.db, &state.render_cache, tenant).await?;
    Ok(shop_view_from(tenant, &pages))
}

fn shop_view_from(tenant: &Tenant, pages: &[page::Model]) -> ShopView {
    let links = |links: &[app::shop_config::Link]| -> Vec<NavLink> {
        links
            .iter()
            .map(|l| NavLink {
                label: l.label.clone(),
                href: l.href.clone(),
            })
            .collect()
    };
    let footer = links(&tenant.links.footer);
    if !tenant.links.header.is_empty() {
        return ShopView {
            name: tenant.shop.name.clone(),
            tagline: tenant.shop.tagline.clone(),
            locale: tenant.shop.locale.clone(),
            theme: ThemeTokens::from_json(&tenant.shop.theme),
            nav: links(&tenant.links.header),
            footer,
        };
    }
    let nav = NavLink::defaults(
        pages
            .iter()
            .filter(|p| p.page_type == PageType::Page.name())
            .map(|p| (p.title.as_str(), p.slug.as_str())),
    );
    ShopView {
        name: tenant.shop.name.clone(),
        tagline: tenant.shop.tagline.clone(),
        locale: tenant.shop.locale.clone(),
        theme: ThemeTokens::from_json(&tenant.shop.theme),
        nav,
        footer,
    }
}

/// The page's address on the shop's primary host, whichever of its hosts was asked: pages
/// are cached per shop, so nothing of the request's own Host may appear in them.
fn canonical(state: &AppState, tenant: &Tenant, path: &str) -> String {
    format!("{}{path}", state.config.shop_origin(&tenant.primary_host))
}

/// The request's shop host: its Host header normalised, `None` when it is missing or cannot
/// be a host (then no lookup is made and nothing is cached).
pub(crate) fn request_host(headers: &HeaderMap) -> Option<String> {
    normalize_host(headers.get(header::HOST)?.to_str().ok()?)
}

fn shop_not_found(state: &AppState, tenant: &Tenant, shop: ShopView, path: &str) -> Response {
    let meta = PageMeta {
        title: format!("Not found · {}", tenant.shop.name),
        description: None,
        canonical: canonical(state, tenant, path),
        path: path.to_string(),
    };
    html(
        StatusCode::NOT_FOUND,
        Bytes::from(render_shop_not_found(shop, meta)),
    )
}

fn unknown_host() -> Response {
    html(
        StatusCode::NOT_FOUND,
        Bytes::from_static(UNKNOWN_HOST_HTML.as_bytes()),
    )
}

/// A stage or prod host before the shop's first launch to that environment.
fn not_launched(tenant: &Tenant) -> Response {
    let body = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"robots\" content=\"noindex\"><title>Not open yet</title></head><body><h1>This shop is not open yet</h1><p>Nothing has been launched to {} yet.</p></body></html>",
        tenant.environment
    );
    html(StatusCode::NOT_FOUND, Bytes::from(body))
}

fn server_error(e: DbErr) -> Response {
    tracing::error!(error = %e, "storefront request failed");
    let body = Bytes::from_static(b"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Something went wrong</title></head><body><h1>Something went wrong</h1><p>Please try again in a moment.</p></body></html>");
    html(StatusCode::INTERNAL_SERVER_ERROR, body)
}

/// Shop pages may sit in a CDN briefly: a short max-age, served stale while revalidating.
/// Publishing drops the server's own cache at once; the ETag lets caches revalidate cheaply.
pub const STOREFRONT_CACHE_CONTROL: &str = "public, max-age=60, stale-while-revalidate=600";

/// A strong ETag for a body: the first 128 bits of its SHA-256.
pub fn etag_of(body: &[u8]) -> HeaderValue {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(body);
    HeaderValue::from_str(&format!("\"{}\"", hex::encode(&digest[..16])))
        .expect("hex is a valid header value")
}

/// Whether the request's `If-None-Match` names `etag` (or `*`).
pub fn not_modified(headers: &HeaderMap, etag: &HeaderValue) -> bool {
    let Some(inm) = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let want = etag.to_str().unwrap_or_default();
    inm.split(',')
        .map(str::trim)
        .any(|t| t == "*" || t == want || t.strip_prefix("W/") == Some(want))
}

/// A shop page: shared and cacheable, unless the visitor has items in their cart (`cart`),
/// whose count the header then shows — that copy is theirs alone.
fn page_response(
    headers: &HeaderMap,
    body: Bytes,
    etag: HeaderValue,
    cart: Option<i32>,
) -> Response {
    if let Some(count) = cart
        && let Some(personal) =
            app::storefront::with_cart_count(std::str::from_utf8(&body).unwrap_or_default(), count)
    {
        return private_html(StatusCode::OK, Bytes::from(personal));
    }
    let cache = HeaderValue::from_static(STOREFRONT_CACHE_CONTROL);
    if not_modified(headers, &etag) {
        return (
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, etag), (header::CACHE_CONTROL, cache)],
        )
            .into_response();
    }
    (
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (header::ETAG, etag),
            (header::CACHE_CONTROL, cache),
            // The cart cookie changes the header's count: shared caches keep one copy per
            // cookie (in practice: they only keep the cookie-less one).
            (header::VARY, HeaderValue::from_static("Cookie")),
        ],
        body,
    )
        .into_response()
}

/// A page for this visitor only (their cart): never stored by any cache.
pub(crate) fn private_html(status: StatusCode, body: Bytes) -> Response {
    html_with(status, body, "private, no-store")
}

/// Error pages (404, 500): never cached.
fn html(status: StatusCode, body: Bytes) -> Response {
    html_with(status, body, "no-store")
}

fn html_with(status: StatusCode, body: Bytes, cache_control: &'static str) -> Response {
    (
        status,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static(cache_control),
            ),
        ],
        body,
    )
        .into_response()
}
