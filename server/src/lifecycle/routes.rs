//! The lifecycle's HTTP API under `/api/v1` (session, Origin check): the configurator's
//! draft, creating shops, jobs, a shop's launches/rollbacks/smoke runs and the operator's
//! overview. Answers are the types of `app::lifecycle`.

use super::create::{Caller, Created, create_from_config};
use super::{config, health, jobs, launch};
use crate::api::require_role;
use crate::auth::{CurrentUser, Role};
use crate::error::{AppError, AppJson};
use crate::state::AppState;
use app::lifecycle::{
    ConfigDraftView, JobView, LaunchRequest, OperatorView, ReleaseState, ReleaseView,
    RollbackRequest, ShopLifecycle, ShopStatus,
};
use app::shop_config::{Environment, MAX_CONFIG_BYTES, ShopConfig};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use entity::{job, release, shop, user};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Deserialize;
use std::collections::HashMap;

/// Jobs a shop's lifecycle page lists.
const JOBS_LISTED: u64 = 20;
/// Releases a shop's lifecycle page lists per environment.
const RELEASES_LISTED: u64 = 50;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/configurator/draft",
            get(get_draft).put(put_draft).delete(delete_draft),
        )
        .route("/shops", post(create_shop))
        .route("/jobs/{id}", get(show_job))
        .route("/jobs/{id}/retry", post(retry_job))
        .route("/shops/{shop}/lifecycle", get(lifecycle))
        .route("/shops/{shop}/launches", post(launch_shop))
        .route("/shops/{shop}/rollbacks", post(rollback_shop))
        .route("/shops/{shop}/smoke", post(smoke_shop))
        .route("/operator/shops", get(operator))
        .layer(DefaultBodyLimit::max(MAX_CONFIG_BYTES))
}

fn caller(user: &CurrentUser) -> Caller {
    Caller {
        user_id: user.user.id,
        operator: user.user.is_operator,
    }
}

async fn get_draft(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<ConfigDraftView>, AppError> {
    let (config, updated_at) = config::load_draft(&state.db, user.user.id).await?;
    let secrets = config::secrets_present(&state.config);
    Ok(Json(
        config::draft_view(&state.db, config, updated_at, secrets).await?,
    ))
}

async fn put_draft(
    State(state): State<AppState>,
    user: CurrentUser,
    AppJson(config): AppJson<ShopConfig>,
) -> Result<Json<ConfigDraftView>, AppError> {
    let updated_at = config::save_draft(&state.db, user.user.id, &config).await?;
    let secrets = config::secrets_present(&state.config);
    Ok(Json(
        config::draft_view(&state.db, config, Some(updated_at), secrets).await?,
    ))
}

async fn delete_draft(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<StatusCode, AppError> {
    config::delete_draft(&state.db, user.user.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct CreateQuery {
    #[serde(default)]
    update: bool,
}

/// `POST /api/v1/shops`: 202 with the create job, 200 with `{"unchanged": handle}` when
/// the shop already matches.
async fn create_shop(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<CreateQuery>,
    AppJson(config): AppJson<ShopConfig>,
) -> Result<Response, AppError> {
    match create_from_config(&state, config, Some(caller(&user)), query.update).await? {
        Created::Queued(job) => {
            // The wizard's work is done: its draft would only confuse the next shop.
            config::delete_draft(&state.db, user.user.id).await?;
            let view = jobs::view(&state.db, &job).await?;
            Ok((StatusCode::ACCEPTED, Json(view)).into_response())
        }
        Created::Unchanged(shop) => {
            Ok(Json(serde_json::json!({"unchanged": shop.handle})).into_response())
        }
    }
}

/// A job the user may see: their own, one of a shop they are a member of, or any for an
/// operator. Others answer 404.
async fn job_for(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    min: Role,
) -> Result<job::Model, AppError> {
    let job = job::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    if user.user.is_operator || job.created_by == Some(user.user.id) {
        return Ok(job);
    }
    let shop_id = job.shop_id.ok_or(AppError::NotFound)?;
    require_role(&state.db, user.user.id, shop_id, min).await?;
    Ok(job)
}

async fn show_job(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<JobView>, AppError> {
    let job = job_for(&state, &user, id, Role::Viewer).await?;
    Ok(Json(jobs::view(&state.db, &job).await?))
}

async fn retry_job(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<(StatusCode, Json<JobView>), AppError> {
    let job = job_for(&state, &user, id, Role::Owner).await?;
    let job = jobs::retry(&state, &job, &user.user.email).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(jobs::view(&state.db, &job).await?),
    ))
}

/// The shop by handle, if the user may act on it with `min` (operators: any shop).
async fn shop_for(
    state: &AppState,
    user: &CurrentUser,
    handle: &str,
    min: Role,
) -> Result<(shop::Model, bool), AppError> {
    let shop = shop::Entity::find()
        .filter(shop::Column::Handle.eq(handle))
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    if user.user.is_operator {
        return Ok((shop, true));
    }
    let role = require_role(&state.db, user.user.id, shop.id, min).await?;
    Ok((shop, role == Role::Owner))
}

async fn lifecycle(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(handle): Path<String>,
) -> Result<Json<ShopLifecycle>, AppError> {
    let (shop, can_launch) = shop_for(&state, &user, &handle, Role::Viewer).await?;
    let environments = health::environments(&state, &shop).await?;
    let mut releases = Vec::new();
    for env in Environment::LAUNCHABLE {
        let live_number = environments
            .iter()
            .find(|e| e.environment == env)
            .and_then(|e| e.live_release);
        let rows = release::Entity::find()
            .filter(release::Column::ShopId.eq(shop.id))
            .filter(release::Column::Environment.eq(env.as_str()))
            .order_by_desc(release::Column::Number)
            .limit(RELEASES_LISTED)
            .all(&state.db)
            .await?;
        for r in rows {
            releases.push(release_view(&state, r, env, live_number).await?);
        }
    }
    releases.sort_by_key(|r| std::cmp::Reverse(r.id));
    let job_rows = job::Entity::find()
        .filter(job::Column::ShopHandle.eq(&shop.handle))
        .order_by_desc(job::Column::Id)
        .limit(JOBS_LISTED)
        .all(&state.db)
        .await?;
    let emails = emails(&state, job_rows.iter().filter_map(|j| j.created_by)).await?;
    let jobs = job_rows
        .iter()
        .map(|j| {
            jobs::summary(
                j,
                j.created_by.and_then(|id| emails.get(&id).cloned()),
                vec![],
            )
        })
        .collect();
    Ok(Json(ShopLifecycle {
        id: shop.id,
        repair_job: health::repair_job(&state, &shop).await?,
        handle: shop.handle.clone(),
        name: shop.name.clone(),
        status: ShopStatus::parse(&shop.status).unwrap_or(ShopStatus::Active),
        environments,
        releases,
        jobs,
        can_launch,
        origins: state.config.shop_origins(),
    }))
}

async fn emails(
    state: &AppState,
    ids: impl Iterator<Item = i64>,
) -> Result<HashMap<i64, String>, AppError> {
    let ids: Vec<i64> = ids.collect();
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.email))
        .collect())
}

async fn release_view(
    state: &AppState,
    r: release::Model,
    env: Environment,
    live_number: Option<i64>,
) -> Result<ReleaseView, AppError> {
    let created_by = match r.created_by {
        Some(id) => user::Entity::find_by_id(id)
            .one(&state.db)
            .await?
            .map(|u| u.email),
        None => None,
    };
    Ok(ReleaseView {
        id: r.id,
        environment: env,
        number: r.number,
        state: ReleaseState::parse(&r.state).unwrap_or(ReleaseState::Failed),
        live: live_number == Some(r.number),
        created_by,
        created_at: r.created_at.to_rfc3339(),
        smoke_summary: r.smoke_summary,
        smoke_output: r.smoke_output,
        changes: r.changes,
        preview_host: r.preview_host,
    })
}

async fn accepted(
    state: &AppState,
    job: job::Model,
) -> Result<(StatusCode, Json<JobView>), AppError> {
    Ok((
        StatusCode::ACCEPTED,
        Json(jobs::view(&state.db, &job).await?),
    ))
}

async fn launch_shop(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(handle): Path<String>,
    AppJson(body): AppJson<LaunchRequest>,
) -> Result<(StatusCode, Json<JobView>), AppError> {
    let (shop, _) = shop_for(&state, &user, &handle, Role::Owner).await?;
    let job = launch::launch(&state, &shop, body.environment, Some(user.user.id)).await?;
    accepted(&state, job).await
}

async fn rollback_shop(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(handle): Path<String>,
    AppJson(body): AppJson<RollbackRequest>,
) -> Result<(StatusCode, Json<JobView>), AppError> {
    let (shop, _) = shop_for(&state, &user, &handle, Role::Owner).await?;
    let job = launch::rollback(
        &state,
        &shop,
        body.environment,
        body.release,
        Some(user.user.id),
    )
    .await?;
    accepted(&state, job).await
}

async fn smoke_shop(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(handle): Path<String>,
    AppJson(body): AppJson<LaunchRequest>,
) -> Result<(StatusCode, Json<JobView>), AppError> {
    let (shop, _) = shop_for(&state, &user, &handle, Role::Owner).await?;
    let job = launch::smoke(&state, &shop, body.environment, Some(user.user.id)).await?;
    accepted(&state, job).await
}

async fn operator(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<OperatorView>, AppError> {
    if !user.user.is_operator {
        return Err(AppError::Forbidden(
            "only platform operators see every shop".into(),
        ));
    }
    Ok(Json(health::operator_view(&state).await?))
}
