//! Headless delivery: `GET /api/v1/content/pages/{slug}` returns a shop's live page (shop by
//! Host) as the typed block tree, for other front ends. Revisions are immutable, so the
//! revision id is a perfect ETag.
//!
//! The route is public (`Access-Control-Allow-Origin: *`) and sits outside the session layer:
//! a response any site may read never sets or refreshes a cookie.

use super::{STOREFRONT_CACHE_CONTROL, load, not_modified, request_host};
use crate::error::AppError;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

pub async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    let host = request_host(&headers).ok_or(AppError::NotFound)?;
    let tenant = state
        .tenants
        .resolve(&state.db, &host)
        .await?
        .ok_or(AppError::NotFound)?;
    if tenant.not_launched {
        return Err(AppError::NotFound);
    }
    let pages = load::pages_of(&state.db, &state.render_cache, &tenant).await?;
    let page = pages
        .iter()
        .find(|p| p.slug == slug)
        .ok_or(AppError::NotFound)?;
    let live = load::live_content(&state.db, &state.revisions, page)
        .await?
        .ok_or(AppError::NotFound)?;
    let etag = HeaderValue::from_str(&format!("\"rev-{}\"", live.revision.id))
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let common = [
        (header::ETAG, etag.clone()),
        (
            header::CACHE_CONTROL,
            HeaderValue::from_static(STOREFRONT_CACHE_CONTROL),
        ),
        // Public content: any site may read it.
        (
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        ),
    ];
    if not_modified(&headers, &etag) {
        return Ok((StatusCode::NOT_MODIFIED, common).into_response());
    }
    let r = &live.revision;
    let body = json!({
        "page": {
            "slug": r.slug, "title": r.title, "page_type": page.page_type,
            "seo_title": r.seo_title, "seo_description": r.seo_description,
        },
        "revision": {"id": r.id, "number": r.number, "published_at": r.created_at},
        "blocks": live.blocks,
    });
    Ok((common, Json(body)).into_response())
}
