//! Pages of a shop, their drafts, and publishing a draft.

use crate::auth::{CurrentUser, Role};
use crate::error::{AppError, AppJson};
use crate::publish::PreparedDraft;
use crate::publish::links::live_url;
use crate::state::AppState;
use app::api_types::{
    DraftAnswer, NewPage, PageAnswer, PageChanges, PageList, PageSummary, PublishAnswer,
    ScheduleRequest, ShopRef,
};
use app::blocks::PageType;
use app::draft::{PageField, PageFields};
use app::route::Route;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::Utc;
use entity::{page, shop};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set, SqlErr};

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

/// A stored page as the API shows it. Only known page types are ever stored.
fn summary(p: &page::Model) -> PageSummary {
    PageSummary {
        id: p.id,
        title: p.title.clone(),
        slug: p.slug.clone(),
        page_type: PageType::from_name(&p.page_type).unwrap_or(PageType::Page),
        seo_title: p.seo_title.clone(),
        seo_description: p.seo_description.clone(),
        live_revision_id: p.live_revision_id,
        updated_at: p.updated_at,
        publish_at: p.publish_at,
        schedule_error: p.schedule_error.clone(),
    }
}

pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(handle): Path<String>,
) -> Result<Json<PageList>, AppError> {
    let shop = shop_for(&state, user.user.id, &handle, Role::Viewer).await?;
    let pages = page::Entity::find()
        .filter(page::Column::ShopId.eq(shop.id))
        .order_by_asc(page::Column::Id)
        .all(&state.db)
        .await?;
    Ok(Json(PageList {
        pages: pages.iter().map(summary).collect(),
    }))
}

pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(handle): Path<String>,
    AppJson(body): AppJson<NewPage>,
) -> Result<(StatusCode, Json<PageSummary>), AppError> {
    let shop = shop_for(&state, user.user.id, &handle, Role::Editor).await?;
    let title = checked(PageField::Title, &body.title)?;
    let slug = checked(PageField::Slug, &body.slug)?;
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
    Ok((StatusCode::CREATED, Json(summary(&created))))
}

/// A page field as given, trimmed, or `400` saying what is wrong with it.
fn checked(field: PageField, value: &str) -> Result<&str, AppError> {
    field.check(value).map_err(AppError::BadRequest)?;
    Ok(value.trim())
}

fn slug_taken(e: sea_orm::DbErr, slug: &str) -> AppError {
    match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => {
            AppError::Conflict(format!("a page with slug `{slug}` exists"))
        }
        _ => AppError::Db(e),
    }
}

/// `PATCH /api/v1/pages/{id}`: changes the draft's title, address or search fields, as an
/// editor would (everyone editing the page sees it at once). Like every draft change, it
/// reaches the storefront with the next publish; the answer is the draft's page fields.
pub async fn update(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    AppJson(body): AppJson<PageChanges>,
) -> Result<Json<PageFields>, AppError> {
    let (page, _) = crate::pages::for_member(&state.db, user.user.id, id, Role::Editor).await?;
    let given = [
        (PageField::Title, &body.title),
        (PageField::Slug, &body.slug),
        (PageField::SeoTitle, &body.seo_title),
        (PageField::SeoDescription, &body.seo_description),
    ];
    let mut changes = Vec::new();
    for (field, value) in given {
        if let Some(value) = value {
            changes.push((field, checked(field, value)?.to_string()));
        }
    }
    if !changes.is_empty() {
        state.hub.set_page_fields(&page, &changes).await?;
    }
    let draft = state.hub.draft(&page).await?;
    Ok(Json(PageFields::from_map(&draft.page)))
}

/// `GET /api/v1/pages/{id}`: the page, its shop, the caller's role there and, while the
/// page is live, its absolute storefront URL on the shop's primary host.
pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<PageAnswer>, AppError> {
    let (page, role) = crate::pages::for_member(&state.db, user.user.id, id, Role::Viewer).await?;
    let shop = shop::Entity::find_by_id(page.shop_id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let live_url = live_url(&state.db, &state.config, &page).await?;
    Ok(Json(PageAnswer {
        page: summary(&page),
        shop: ShopRef {
            id: shop.id,
            handle: shop.handle,
            name: shop.name,
        },
        // The editor's canvas renders blocks in the shop's theme.
        theme: shop.theme,
        role,
        live_url,
    }))
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
) -> Result<Json<DraftAnswer>, AppError> {
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
    Ok(Json(DraftAnswer {
        page_id: page.id,
        page: draft.page,
        blocks,
        errors,
    }))
}

/// Publishes the current draft.
pub async fn publish(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<PublishAnswer>, AppError> {
    let (page, _) = crate::pages::for_member(&state.db, user.user.id, id, Role::Editor).await?;
    // Read without taking a room slot: publishing never waits for a free one.
    let draft = state.hub.draft(&page).await?;
    let published = state
        .publisher()
        .publish_draft(page.shop_id, page.id, &draft, Some(user.user.id))
        .await?;
    // A product-detail page has no one address; its products are listed at /products.
    let path = Route::of_page_named(&page.page_type, &published.slug)
        .unwrap_or(Route::Products)
        .path();
    Ok(Json(PublishAnswer {
        revision_id: published.revision_id,
        number: published.number,
        unchanged: published.unchanged,
        path,
    }))
}

/// `PUT /api/v1/pages/{id}/schedule` `{publish_at}`: publish the draft then.
pub async fn schedule(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    AppJson(body): AppJson<ScheduleRequest>,
) -> Result<Json<PageSummary>, AppError> {
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
    Ok(Json(summary(&updated)))
}

/// `DELETE /api/v1/pages/{id}/schedule`.
pub async fn unschedule(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<PageSummary>, AppError> {
    let (page, _) = crate::pages::for_member(&state.db, user.user.id, id, Role::Editor).await?;
    let updated = page::ActiveModel {
        id: Set(page.id),
        publish_at: Set(None),
        ..Default::default()
    }
    .update(&state.db)
    .await?;
    Ok(Json(summary(&updated)))
}
