//! Pages of a shop, their drafts, and publishing a draft.

use super::page_for;
use crate::auth::{CurrentUser, Role};
use crate::error::AppError;
use crate::state::AppState;
use app::blocks::{PageType, validate_tree};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::Utc;
use entity::{page, shop};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set, SqlErr};
use serde::Deserialize;
use serde_json::{Value, json};

async fn shop_for(
    state: &AppState,
    user_id: i64,
    handle: &str,
    min: Role,
) -> Result<shop::Model, AppError> {
    let shop = shop::Entity::find()
        .filter(shop::Column::Handle.eq(handle))
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    super::require_role(&state.db, user_id, shop.id, min).await?;
    Ok(shop)
}

fn page_json(p: &page::Model) -> Value {
    json!({
        "id": p.id, "title": p.title, "slug": p.slug, "page_type": p.page_type,
        "seo_title": p.seo_title, "seo_description": p.seo_description,
        "live_revision_id": p.live_revision_id, "updated_at": p.updated_at,
        "publish_at": p.publish_at, "schedule_error": p.schedule_error,
    })
}

pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(handle): Path<String>,
) -> Result<Json<Value>, AppError> {
    let shop = shop_for(&state, user.user.id, &handle, Role::Viewer).await?;
    let pages = page::Entity::find()
        .filter(page::Column::ShopId.eq(shop.id))
        .order_by_asc(page::Column::Id)
        .all(&state.db)
        .await?;
    Ok(Json(
        json!({"pages": pages.iter().map(page_json).collect::<Vec<_>>()}),
    ))
}

#[derive(Deserialize)]
pub struct NewPage {
    pub title: String,
    pub slug: String,
    pub page_type: String,
}

pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(handle): Path<String>,
    Json(body): Json<NewPage>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let shop = shop_for(&state, user.user.id, &handle, Role::Editor).await?;
    let title = body.title.trim();
    if title.is_empty() || title.chars().count() > 200 {
        return Err(AppError::BadRequest(
            "a title has 1 to 200 characters".into(),
        ));
    }
    let slug = body.slug.trim();
    let slug_ok = !slug.is_empty()
        && slug.len() <= 100
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !slug.starts_with('-');
    if !slug_ok {
        return Err(AppError::BadRequest(
            "a slug uses lower-case letters, digits and '-'".into(),
        ));
    }
    let page_type = PageType::from_name(&body.page_type).ok_or_else(|| {
        AppError::BadRequest(format!(
            "unknown page type `{}`",
            body.page_type.chars().take(40).collect::<String>()
        ))
    })?;
    let created = page::ActiveModel::new_page(shop.id, slug, title, page_type.name())
        .insert(&state.db)
        .await
        .map_err(|e| match e.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => {
                AppError::Conflict(format!("a page with slug `{slug}` exists"))
            }
            _ => AppError::Db(e),
        })?;
    Ok((StatusCode::CREATED, Json(page_json(&created))))
}

/// The draft as the block tree, with any validation errors it would meet at publish.
pub async fn draft(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<Value>, AppError> {
    let (page, _) = page_for(&state.db, user.user.id, id, Role::Viewer).await?;
    let room = state
        .hub
        .room(&page)
        .await
        .map_err(|e| AppError::Unavailable(e.to_string()))?;
    let draft = room.draft().await;
    let page_type = PageType::from_name(&page.page_type).unwrap_or(PageType::Page);
    let nodes = draft.nodes();
    let (blocks, errors) = match validate_tree(page_type, &nodes) {
        Ok(typed) => (serde_json::to_value(typed).unwrap_or_default(), Vec::new()),
        Err(errors) => (serde_json::to_value(&nodes).unwrap_or_default(), errors),
    };
    Ok(Json(
        json!({"page_id": page.id, "page": draft.page, "blocks": blocks, "errors": errors}),
    ))
}

/// Publishes the current draft.
pub async fn publish(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<Value>, AppError> {
    let (page, _) = page_for(&state.db, user.user.id, id, Role::Editor).await?;
    let room = state
        .hub
        .room(&page)
        .await
        .map_err(|e| AppError::Unavailable(e.to_string()))?;
    let nodes = room.draft().await.nodes();
    let published = state
        .publisher()
        .publish(page.shop_id, page.id, &nodes, Some(user.user.id))
        .await?;
    let path = match PageType::from_name(&page.page_type) {
        Some(PageType::Home) => "/".to_string(),
        Some(PageType::Page) => format!("/pages/{}", page.slug),
        Some(PageType::ProductList) => "/products".to_string(),
        Some(PageType::Cart) => "/cart".to_string(),
        Some(PageType::Checkout) => "/checkout".to_string(),
        Some(PageType::ProductDetail) | None => "/products".to_string(),
    };
    Ok(Json(json!({
        "revision_id": published.revision_id,
        "number": published.number,
        "unchanged": published.unchanged,
        "path": path,
    })))
}

#[derive(Deserialize)]
pub struct Schedule {
    /// RFC 3339 time, in the future (at most a year ahead).
    pub publish_at: chrono::DateTime<Utc>,
}

/// `PUT /api/v1/pages/{id}/schedule` `{publish_at}`: publish the draft then.
pub async fn schedule(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Json(body): Json<Schedule>,
) -> Result<Json<Value>, AppError> {
    let (page, _) = page_for(&state.db, user.user.id, id, Role::Editor).await?;
    let now = Utc::now();
    if body.publish_at <= now || body.publish_at > now + chrono::Duration::days(366) {
        return Err(AppError::BadRequest(
            "publish_at is a time in the next year".into(),
        ));
    }
    let updated = page::ActiveModel {
        id: Set(page.id),
        publish_at: Set(Some(body.publish_at)),
        schedule_error: Set(None),
        ..Default::default()
    }
    .update(&state.db)
    .await?;
    Ok(Json(page_json(&updated)))
}

/// `DELETE /api/v1/pages/{id}/schedule`.
pub async fn unschedule(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<Value>, AppError> {
    let (page, _) = page_for(&state.db, user.user.id, id, Role::Editor).await?;
    let updated = page::ActiveModel {
        id: Set(page.id),
        publish_at: Set(None),
        ..Default::default()
    }
    .update(&state.db)
    .await?;
    Ok(Json(page_json(&updated)))
}
