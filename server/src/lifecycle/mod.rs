//! From nothing to a live shop: a shop is created from a configuration
//! (`app::shop_config::ShopConfig`), launched to an environment as a numbered release that
//! must pass the smoke suite before it is served, and rolled back to an earlier release —
//! each as a background job ([`jobs`]) whose steps are recorded and can be resumed.
//!
//! - [`config`]: the stored configuration, the secrets check, the configurator's drafts.
//! - [`create`]: `create_from_config`, the one service behind the wizard's "Create shop" and
//!   `vitrine shop create`, and the create job's steps.
//! - [`launch`]: launch, rollback and smoke jobs.
//! - [`release`]: release snapshots and what each host serves.
//! - [`health`]: health badges and the operator's overview.
//! - [`routes`]: the HTTP API.

pub mod config;
pub mod create;
pub mod health;
pub mod jobs;
pub mod launch;
pub mod release;
pub mod routes;
pub mod templates;

use crate::error::AppError;
use crate::state::AppState;
use app::lifecycle::{JobKind, ShopStatus};
use app::shop_config::{Environment, Issue};
use entity::{job, shop};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter};

#[derive(Debug, thiserror::Error)]
pub enum LifecycleError {
    #[error(transparent)]
    Db(#[from] DbErr),
    /// A step could not do its work (the job fails with this message).
    #[error("{0}")]
    Failed(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Forbidden(String),
    /// The platform's job queue is full.
    #[error("{0}")]
    Busy(String),
    /// This user has too many jobs waiting.
    #[error("{0}")]
    TooMany(String),
    #[error("{0}")]
    NotReady(String, Vec<Issue>),
}

impl From<LifecycleError> for AppError {
    fn from(e: LifecycleError) -> Self {
        match e {
            LifecycleError::Db(e) => AppError::Db(e),
            LifecycleError::Failed(m) => AppError::Internal(m),
            LifecycleError::Conflict(m) => AppError::Conflict(m),
            LifecycleError::NotFound(m) => AppError::Missing(m),
            LifecycleError::Forbidden(m) => AppError::Forbidden(m),
            LifecycleError::Busy(m) => AppError::Unavailable(m),
            LifecycleError::TooMany(_) => AppError::TooManyRequests(10),
            LifecycleError::NotReady(m, issues) => AppError::NotReady(m, issues),
        }
    }
}

/// Runs one step of a job; `Ok` carries what the step did, for the job's events.
async fn run_step(
    state: &AppState,
    base: &str,
    kind: JobKind,
    step: &str,
    job: &job::Model,
) -> Result<String, LifecycleError> {
    match kind {
        JobKind::CreateShop => create::run_step(state, step, job).await,
        JobKind::Launch | JobKind::Rollback | JobKind::Smoke => {
            launch::run_step(state, base, kind, step, job).await
        }
    }
}

/// After a job failed at `step`: the shop is marked as needing repair (a create job), or
/// the environment records the failed launch (its live release stays as it was).
async fn on_failure(
    state: &AppState,
    job: &job::Model,
    step: &str,
    message: &str,
) -> Result<(), DbErr> {
    let kind = JobKind::parse(&job.kind);
    crate::observability::set_job_queue_depth(jobs::queue_depth(&state.db).await?);
    match kind {
        Some(JobKind::CreateShop) => {
            crate::observability::shop_created("failed");
            if let Some(shop_id) = job.shop_id {
                set_status(state, shop_id, ShopStatus::NeedsRepair).await?;
            }
            Ok(())
        }
        Some(k @ (JobKind::Launch | JobKind::Rollback | JobKind::Smoke)) => {
            launch::on_failure(state, k, job, step, message).await
        }
        None => Ok(()),
    }
}

async fn on_success(state: &AppState, job: &job::Model) -> Result<(), DbErr> {
    match JobKind::parse(&job.kind) {
        Some(JobKind::CreateShop) => {
            crate::observability::shop_created("succeeded");
            if let Some(shop_id) = job.shop_id {
                set_status(state, shop_id, ShopStatus::Active).await?;
            }
            Ok(())
        }
        Some(JobKind::Launch) => {
            if let Some(env) = job.environment.as_deref().and_then(Environment::parse) {
                crate::observability::launched(env.as_str(), "succeeded");
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

async fn set_status(state: &AppState, shop_id: i64, status: ShopStatus) -> Result<(), DbErr> {
    shop::Entity::update_many()
        .col_expr(shop::Column::Status, Expr::value(status.as_str()))
        .filter(shop::Column::Id.eq(shop_id))
        .exec(&state.db)
        .await?;
    state.tenants.invalidate_shop(shop_id);
    Ok(())
}
