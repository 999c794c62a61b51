//! Preview links: signed, expiring links that show a page's current draft with
//! the storefront's own components to someone without a login.
//!
//! `/preview/{token}` checks the token and answers with a short-lived HttpOnly cookie and a
//! 303 to `/preview/p/{page}`, which renders the draft under a thin banner and reloads itself
//! when the draft changes (server-sent events from `/preview/p/{page}/events`). Every failure
//! — bad signature, wrong shop or page, expired, revoked — gets the same answer.

pub mod token;

use crate::auth::{CurrentUser, Role};
use crate::error::{AppError, AppJson};
use crate::state::AppState;
use crate::storefront::{render_blocks, request_host, shop_view};
use crate::tenancy::Tenant;
use app::api_types::{NewPreviewLink, PreviewLink, PreviewLinkCount, PreviewLinksRevoked};
use app::blocks::PageType;
use app::storefront::PreviewBanner;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use entity::{page, preview_link};
use futures_util::StreamExt;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use std::convert::Infallible;
use std::sync::Arc;
pub use token::{Claims, Keyring};
use tower_sessions::cookie::{Cookie, SameSite};

pub const DEFAULT_TTL_SECS: i64 = 3600;
pub const MAX_TTL_SECS: i64 = 7 * 24 * 3600;
pub const MIN_TTL_SECS: i64 = 60;
const COOKIE_PREFIX: &str = "vitrine_preview_";
const REJECTED: &str = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"robots\" content=\"noindex\"><title>Preview unavailable</title></head><body style=\"font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222\"><h1>Preview unavailable</h1><p>This preview link is invalid or has expired. Ask for a new one.</p></body></html>";

fn preview_headers() -> [(HeaderName, HeaderValue); 3] {
    [
        (
            HeaderName::from_static("x-robots-tag"),
            HeaderValue::from_static("noindex"),
        ),
        (
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-store"),
        ),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ),
    ]
}

/// The one answer to every bad, expired, revoked or misplaced token.
fn rejected() -> Response {
    (
        StatusCode::NOT_FOUND,
        preview_headers(),
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        )],
        REJECTED,
    )
        .into_response()
}

/// Checks a token against the request: signature and times, the Host's shop, the page in that
/// shop, and the page's current preview epoch.
async fn check(
    state: &AppState,
    headers: &HeaderMap,
    token: &str,
) -> Option<(Arc<Tenant>, page::Model, Claims)> {
    let claims = state.preview_keys.verify(token, Utc::now().timestamp())?;
    let host = request_host(headers)?;
    let tenant = state.tenants.resolve(&state.db, &host).await.ok()??;
    if tenant.shop.id != claims.shop_id {
        return None;
    }
    let page = crate::pages::in_shop(&state.db, claims.shop_id, claims.page_id)
        .await
        .ok()??;
    (page.preview_epoch == claims.epoch).then_some((tenant, page, claims))
}

/// `GET /preview/{token}`.
pub async fn enter(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Response {
    let Some((_, page, claims)) = check(&state, &headers, &token).await else {
        return rejected();
    };
    let max_age = (claims.expires_at - Utc::now().timestamp()).clamp(1, DEFAULT_TTL_SECS);
    let cookie = Cookie::build((format!("{COOKIE_PREFIX}{}", page.id), token))
        .path(format!("/preview/p/{}", page.id))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(!state.config.is_dev())
        .max_age(time::Duration::seconds(max_age))
        .build();
    let location = format!("/preview/p/{}", page.id);
    let (Ok(cookie), Ok(location)) = (
        HeaderValue::from_str(&cookie.to_string()),
        HeaderValue::from_str(&location),
    ) else {
        return rejected();
    };
    (
        StatusCode::SEE_OTHER,
        preview_headers(),
        [(header::SET_COOKIE, cookie), (header::LOCATION, location)],
    )
        .into_response()
}

fn cookie_token(headers: &HeaderMap, page_id: i64) -> Option<String> {
    let name = format!("{COOKIE_PREFIX}{page_id}");
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| {
            Cookie::split_parse(v.to_string())
                .filter_map(Result::ok)
                .collect::<Vec<_>>()
        })
        .find(|c| c.name() == name)
        .map(|c| c.value().to_string())
}

/// The preview cookie of `page_id`, checked like a fresh token, and for that page.
async fn from_cookie(
    state: &AppState,
    headers: &HeaderMap,
    page_id: i64,
) -> Option<(Arc<Tenant>, page::Model, Claims)> {
    let token = cookie_token(headers, page_id)?;
    check(state, headers, &token)
        .await
        .filter(|(_, _, claims)| claims.page_id == page_id)
}

/// `GET /preview/p/{page}`: the draft, rendered like the storefront.
pub async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(page_id): Path<i64>,
) -> Response {
    let Some((tenant, page, claims)) = from_cookie(&state, &headers, page_id).await else {
        return rejected();
    };
    match render_draft(&state, &tenant, &page, &claims).await {
        Ok(html) => (
            StatusCode::OK,
            preview_headers(),
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            )],
            html,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, page_id, "preview failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                preview_headers(),
                "Something went wrong",
            )
                .into_response()
        }
    }
}

async fn render_draft(
    state: &AppState,
    tenant: &Tenant,
    page: &page::Model,
    claims: &Claims,
) -> Result<String, AppError> {
    // Read without taking a room slot: previews work however many rooms are open.
    let draft = state.hub.draft(page).await?;
    let page_type = PageType::from_name(&page.page_type).unwrap_or(PageType::Page);
    // Each top-level block on its own: one broken block hides only itself.
    let mut blocks = Vec::new();
    let mut hidden = 0;
    for node in draft.nodes() {
        match crate::publish::validate_draft(page_type, std::slice::from_ref(&node)) {
            Ok(mut ok) => blocks.append(&mut ok),
            Err(_) => hidden += 1,
        }
    }
    // The draft's own fields: a preview shows the title that publishing would make live.
    let fields = app::draft::PageFields::from_map(&draft.page);
    let title = Some(fields.title.trim().to_string())
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| page.title.clone());
    let description = fields.seo_description;
    let page_product = if page_type == PageType::ProductDetail {
        entity::product::Entity::find()
            .filter(entity::product::Column::ShopId.eq(page.shop_id))
            .one(&state.db)
            .await?
            .map(|p| p.handle)
    } else {
        None
    };
    let expires = chrono::DateTime::from_timestamp(claims.expires_at, 0)
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default();
    let banner = PreviewBanner {
        page_title: title.clone(),
        expires,
        hidden_blocks: hidden,
        events_url: format!("/preview/p/{}/events", page.id),
    };
    let shop = shop_view(state, tenant).await?;
    let path = format!("/preview/p/{}", page.id);
    let head = (
        format!("Preview: {title} · {}", tenant.shop.name),
        description,
    );
    Ok(render_blocks(
        state,
        tenant,
        &path,
        shop,
        (blocks, None),
        head,
        page_product.as_deref(),
        Some(banner),
        None,
    )
    .await?)
}

/// `GET /preview/p/{page}/events`: a `changed` event whenever the draft changes, until the
/// link expires or is revoked, or the page is deleted. Needs no room: it watches the hub's
/// per-page signal, and checks the link against the database when told that access changed
/// and every [`Limits::recheck_every`](crate::collab::Limits::recheck_every) (another
/// process may have revoked it).
pub async fn events(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(page_id): Path<i64>,
) -> Response {
    let Some((_, page, claims)) = from_cookie(&state, &headers, page_id).await else {
        return rejected();
    };
    // Each stream holds a connection and polls its link: one link must not open thousands.
    if state.hub.page_watchers(page.id) >= state.hub.limits().max_preview_streams_per_page {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            preview_headers(),
            [(header::RETRY_AFTER, HeaderValue::from_static("30"))],
            "too many open previews of this page",
        )
            .into_response();
    }
    let until = tokio::time::Instant::now()
        + std::time::Duration::from_secs((claims.expires_at - Utc::now().timestamp()).max(0) as u64);
    let every = state.hub.limits().recheck_every;
    let signal = state.hub.watch_page(page.id);
    let seen = *signal.borrow();
    let watch = Watch {
        seen,
        signal,
        checks: tokio::time::interval_at(tokio::time::Instant::now() + every, every),
        db: state.db.clone(),
        page_id: page.id,
        shop_id: page.shop_id,
        epoch: claims.epoch,
    };
    let stream = futures_util::stream::unfold(watch, |mut w| async move {
        w.next_change().await.then(|| {
            (
                Ok::<_, Infallible>(Event::default().event("changed").data("draft")),
                w,
            )
        })
    })
    .take_until(tokio::time::sleep_until(until))
    .take_until(state.shutdown.clone().cancelled_owned());
    (
        preview_headers(),
        Sse::new(stream).keep_alive(KeepAlive::default()),
    )
        .into_response()
}

/// One preview page's view of its draft's changes.
struct Watch {
    db: sea_orm::DatabaseConnection,
    signal: tokio::sync::watch::Receiver<crate::collab::PageSignal>,
    /// The signal as last acted on.
    seen: crate::collab::PageSignal,
    checks: tokio::time::Interval,
    page_id: i64,
    shop_id: i64,
    epoch: i64,
}

impl Watch {
    /// Waits for the next change of the draft; false once the link no longer holds.
    async fn next_change(&mut self) -> bool {
        loop {
            let now = *self.signal.borrow_and_update();
            if now.access != self.seen.access {
                self.seen.access = now.access;
                if !self.link_holds().await {
                    return false;
                }
            }
            if now.draft != self.seen.draft {
                self.seen.draft = now.draft;
                return true;
            }
            tokio::select! {
                changed = self.signal.changed() => {
                    if changed.is_err() {
                        return false;
                    }
                }
                _ = self.checks.tick() => {
                    if !self.link_holds().await {
                        return false;
                    }
                }
            }
        }
    }

    /// The page still exists in its shop at the link's epoch (links were not revoked).
    async fn link_holds(&self) -> bool {
        match crate::pages::in_shop(&self.db, self.shop_id, self.page_id).await {
            Ok(page) => page.is_some_and(|p| p.preview_epoch == self.epoch),
            // A database hiccup does not end a preview; the next check decides.
            Err(_) => true,
        }
    }
}

async fn active_links(state: &AppState, page: &page::Model) -> Result<u64, AppError> {
    Ok(preview_link::Entity::find()
        .filter(preview_link::Column::PageId.eq(page.id))
        .filter(preview_link::Column::Epoch.eq(page.preview_epoch))
        .filter(preview_link::Column::ExpiresAt.gt(Utc::now().timestamp()))
        .count(&state.db)
        .await?)
}

/// `POST /api/v1/pages/{id}/preview-links` `{ttl_seconds}` → `{url, expires_at, active_links}`.
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    body: Option<AppJson<NewPreviewLink>>,
) -> Result<(StatusCode, Json<PreviewLink>), AppError> {
    let (page, _) = crate::pages::for_member(&state.db, user.user.id, id, Role::Editor).await?;
    let ttl = body
        .and_then(|AppJson(b)| b.ttl_seconds)
        .unwrap_or(DEFAULT_TTL_SECS);
    if !(MIN_TTL_SECS..=MAX_TTL_SECS).contains(&ttl) {
        return Err(AppError::BadRequest(format!(
            "ttl_seconds is between {MIN_TTL_SECS} and {MAX_TTL_SECS} (7 days)"
        )));
    }
    let now = Utc::now().timestamp();
    let claims = Claims {
        kid: String::new(),
        shop_id: page.shop_id,
        page_id: page.id,
        epoch: page.preview_epoch,
        issued_at: now,
        expires_at: now + ttl,
    };
    let token = state.preview_keys.sign(claims);
    preview_link::ActiveModel {
        page_id: Set(page.id),
        shop_id: Set(page.shop_id),
        epoch: Set(page.preview_epoch),
        expires_at: Set(now + ttl),
        created_by: Set(Some(user.user.id)),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&state.db)
    .await?;
    let host = crate::tenancy::primary_host(&state.db, page.shop_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let url = format!("{}/preview/{token}", state.config.shop_origin(&host));
    let expires_at = chrono::DateTime::from_timestamp(now + ttl, 0)
        .map(|t| t.to_rfc3339())
        .unwrap_or_default();
    Ok((
        StatusCode::CREATED,
        Json(PreviewLink {
            url,
            expires_at,
            active_links: active_links(&state, &page).await?,
        }),
    ))
}

/// `GET /api/v1/pages/{id}/preview-links` → `{active_links}`.
pub async fn count(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<PreviewLinkCount>, AppError> {
    let (page, _) = crate::pages::for_member(&state.db, user.user.id, id, Role::Viewer).await?;
    Ok(Json(PreviewLinkCount {
        active_links: active_links(&state, &page).await?,
    }))
}

/// `DELETE /api/v1/pages/{id}/preview-links`: bumps the page's epoch, revoking every link.
pub async fn revoke(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<PreviewLinksRevoked>, AppError> {
    let (page, _) = crate::pages::for_member(&state.db, user.user.id, id, Role::Editor).await?;
    let revoked = active_links(&state, &page).await?;
    page::ActiveModel {
        id: Set(page.id),
        preview_epoch: Set(page.preview_epoch + 1),
        ..Default::default()
    }
    .update(&state.db)
    .await?;
    // Open preview pages stop receiving changes now, not at their links' expiry.
    state.hub.previews_revoked(page.id);
    tracing::info!(page_id = page.id, revoked, "preview links revoked");
    Ok(Json(PreviewLinksRevoked {
        revoked,
        active_links: 0,
    }))
}
