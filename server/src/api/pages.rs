//! Pages of a shop, their drafts, and publishing a draft.

use crate::auth::{CurrentUser, Role};
use crate::error::{AppError, AppJson};
use crate::publish::PreparedDraft;
use crate::publish::links::{live_url, route};
use crate::state::AppState;
use app::blocks::PageType;
use app::route::Route;
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
    AppJson(body): AppJson<NewPage>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let shop = shop_for(&state, user.user.id, &handle, Role::Editor).await?;
    let title = check_title(&body.title)?;
    let slug = check_slug(&body.slug)?;
    let page_type = PageType::from_name(&body.page_type).ok_or_else(|| {
        AppError::BadRequest(format!(
            "unknown page type `{}`",
            body.page_type.chars().take(40).collect::<String>()
        ))
    })?;
    let created = page::ActiveModel::new_page(shop.id, slug, title, page_type.name())
        .insert(&state.db)
        .await
        .map_err(|e| slug_taken(e, slug))?;
    Ok((StatusCode::CREATED, Json(page_json(&created))))
}

fn check_title(title: &str) -> Result<&str, AppError> {
    let title = title.trim();
    if title.is_empty() || title.chars().count() > 200 {
        return Err(AppError::BadRequest(
            "a title has 1 to 200 characters".into(),
        ));
    }
    Ok(title)
}

fn check_slug(slug: &str) -> Result<&str, AppError> {
    let slug = slug.trim();
    let ok = !slug.is_empty()
        && slug.len() <= 100
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !slug.starts_with('-');
    if !ok {
        return Err(AppError::BadRequest(
            "a slug uses lower-case letters, digits and '-'".into(),
        ));
    }
    Ok(slug)
}

fn slug_taken(e: sea_orm::DbErr, slug: &str) -> AppError {
    match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => {
            AppError::Conflict(format!("a page with slug `{slug}` exists"))
        }
        _ => AppError::Db(e),
    }
}

#[derive(Deserialize)]
pub struct PageChanges {
    pub title: Option<String>,
    pub slug: Option<String>,
    /// `""` clears.
    pub seo_title: Option<String>,
    /// `""` clears.
    pub seo_description: Option<String>,
}

/// `PATCH /api/v1/pages/{id}`: rename, change the slug or SEO fields. Takes effect on the
/// storefront at once (navigation and URLs), like renaming a page in a page list.
pub async fn update(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    AppJson(body): AppJson<PageChanges>,
) -> Result<Json<Value>, AppError> {
    let (page, _) = crate::pages::for_member(&state.db, user.user.id, id, Role::Editor).await?;
    let mut changes = page::ActiveModel {
        id: Set(page.id),
        updated_at: Set(Utc::now()),
        ..Default::default()
    };
    if let Some(title) = &body.title {
        changes.title = Set(check_title(title)?.to_string());
    }
    let slug = body.slug.as_deref().map(check_slug).transpose()?;
    if let Some(slug) = slug {
        changes.slug = Set(slug.to_string());
    }
    let optional = |v: &Option<String>, max: usize| -> Result<Option<Option<String>>, AppError> {
        match v.as_deref().map(str::trim) {
            None => Ok(None),
            Some("") => Ok(Some(None)),
            Some(text) if text.chars().count() <= max => Ok(Some(Some(text.to_string()))),
            Some(_) => Err(AppError::BadRequest(format!(
                "SEO fields have at most {max} characters"
            ))),
        }
    };
    if let Some(v) = optional(&body.seo_title, 120)? {
        changes.seo_title = Set(v);
    }
    if let Some(v) = optional(&body.seo_description, 320)? {
        changes.seo_description = Set(v);
    }
    let updated = changes
        .update(&state.db)
        .await
        .map_err(|e| slug_taken(e, slug.unwrap_or_default()))?;
    state.publisher().shop_changed(page.shop_id);
    Ok(Json(page_json(&updated)))
}

/// `GET /api/v1/pages/{id}`: the page, its shop, the caller's role there and, while the
/// page is live, its absolute storefront URL on the shop's primary host.
pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<Value>, AppError> {
    let (page, role) = crate::pages::for_member(&state.db, user.user.id, id, Role::Viewer).await?;
    let shop = shop::Entity::find_by_id(page.shop_id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let live_url = live_url(&state.db, &state.config, &page).await?;
    let mut body = page_json(&page);
    body["shop"] = json!({"id": shop.id, "handle": shop.handle, "name": shop.name});
    // The editor's canvas renders blocks in the shop's theme.
    body["theme"] = shop.theme.clone();
    body["role"] = json!(role.as_str());
    body["live_url"] = json!(live_url);
    Ok(Json(body))
}

/// `DELETE /api/v1/pages/{id}`: the page, its revisions and its draft.
pub async fn delete(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    let (page, _) = crate::pages::for_member(&state.db, user.user.id, id, Role::Editor).await?;
    // Editors still connected are closed first, so nobody keeps editing a deleted draft.
    state.hub.forget_page(page.id).await;
    page::Entity::delete_by_id(page.id).exec(&state.db).await?;
    state.publisher().shop_changed(page.shop_id);
    tracing::info!(page_id = page.id, user_id = user.user.id, "page deleted");
    Ok(StatusCode::NO_CONTENT)
}

/// The draft as the block tree, with any validation errors it would meet at publish.
pub async fn draft(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<Value>, AppError> {
    let (page, _) = crate::pages::for_member(&state.db, user.user.id, id, Role::Viewer).await?;
    // Read without taking a room slot: a server with every room taken still answers.
    let draft = state.hub.draft(&page).await?;
    let page_type = PageType::from_name(&page.page_type).unwrap_or(PageType::Page);
    // HTML rich text is shown as the runs it becomes, never as the HTML that was written.
    let prepared = PreparedDraft::new(&draft.nodes());
    let (blocks, errors) = match prepared.validate(page_type) {
        Ok(typed) => (serde_json::to_value(typed).unwrap_or_default(), Vec::new()),
        Err(errors) => (
            serde_json::to_value(&prepared.nodes).unwrap_or_default(),
            errors,
        ),
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
    let (page, _) = crate::pages::for_member(&state.db, user.user.id, id, Role::Editor).await?;
    // Read without taking a room slot: publishing never waits for a free one.
    let nodes = state.hub.draft(&page).await?.nodes();
    let published = state
        .publisher()
        .publish_draft(page.shop_id, page.id, &nodes, Some(user.user.id))
        .await?;
    // A product-detail page has no one address; its products are listed at /products.
    let path = route(&page).unwrap_or(Route::Products).path();
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
    AppJson(body): AppJson<Schedule>,
) -> Result<Json<Value>, AppError> {
    let (page, _) = crate::pages::for_member(&state.db, user.user.id, id, Role::Editor).await?;
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
    let (page, _) = crate::pages::for_member(&state.db, user.user.id, id, Role::Editor).await?;
    let updated = page::ActiveModel {
        id: Set(page.id),
        publish_at: Set(None),
        ..Default::default()
    }
    .update(&state.db)
    .await?;
    Ok(Json(page_json(&updated)))
}
