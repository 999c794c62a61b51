//! Launch, rollback and smoke jobs.
//!
//! - Launch to an environment: validate the configuration for it → snapshot what goes live
//!   as the next numbered release, served at once on its own preview host → run the smoke
//!   suite against that host → only if it passes, point the environment at the release.
//! - Rollback: an earlier launched release is smoke-tested again on its preview host and
//!   made live.
//! - Smoke: the suite against what an environment serves now (its live release; dev's
//!   latest publish), recorded for the health badge.
//!
//! A failure leaves the environment's live release as it was and is recorded on the
//! environment (and on the release, with the suite's output).

use super::jobs::{self, NewJob};
use super::release::{self, Snapshot};
use super::{LifecycleError, config};
use crate::state::AppState;
use app::lifecycle::{JobKind, JobState, ReleaseState};
use app::shop_config::{Environment, validate};
use chrono::Utc;
use entity::{job, release as release_row, shop, shop_domain, shop_environment};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};
use serde_json::json;

/// Queues a launch of `shop` to `env` after checking its configuration is ready for it.
pub async fn launch(
    state: &AppState,
    shop: &shop::Model,
    env: Environment,
    by: Option<i64>,
) -> Result<job::Model, LifecycleError> {
    if env == Environment::Dev {
        return Err(LifecycleError::Conflict(
            "dev always shows the latest published pages: launch to stage or prod".into(),
        ));
    }
    let config = config::of_shop(&state.db, shop).await?;
    let issues = validate(&config, env, &config::secrets_present(&state.config));
    if !issues.is_empty() {
        return Err(LifecycleError::NotReady(
            format!("`{}` is not ready for {env}", shop.handle),
            issues,
        ));
    }
    queue(state, shop, JobKind::Launch, env, json!({}), by).await
}

/// Queues making release `number` of `env` live again.
pub async fn rollback(
    state: &AppState,
    shop: &shop::Model,
    env: Environment,
    number: i64,
    by: Option<i64>,
) -> Result<job::Model, LifecycleError> {
    let target = release_by_number(state, shop.id, env, number).await?;
    if target.state != ReleaseState::Launched.as_str() {
        return Err(LifecycleError::Conflict(format!(
            "release {number} never passed its smoke suite: only launched releases can be made live again"
        )));
    }
    queue(
        state,
        shop,
        JobKind::Rollback,
        env,
        json!({"release": number}),
        by,
    )
    .await
}

/// Queues a smoke run against what `env` serves now.
pub async fn smoke(
    state: &AppState,
    shop: &shop::Model,
    env: Environment,
    by: Option<i64>,
) -> Result<job::Model, LifecycleError> {
    if env != Environment::Dev
        && release::live_release(&state.db, shop.id, env)
            .await?
            .is_none()
    {
        return Err(LifecycleError::Conflict(format!(
            "`{}` was never launched to {env}",
            shop.handle
        )));
    }
    queue(state, shop, JobKind::Smoke, env, json!({}), by).await
}

/// One launch, rollback or smoke job per shop and environment at a time.
async fn queue(
    state: &AppState,
    shop: &shop::Model,
    kind: JobKind,
    env: Environment,
    payload: serde_json::Value,
    by: Option<i64>,
) -> Result<job::Model, LifecycleError> {
    if let Some(busy) = job::Entity::find()
        .filter(job::Column::ShopId.eq(shop.id))
        .filter(job::Column::Environment.eq(env.as_str()))
        .filter(job::Column::State.is_in([JobState::Queued.as_str(), JobState::Running.as_str()]))
        .one(&state.db)
        .await?
    {
        return Err(LifecycleError::Conflict(format!(
            "job {} ({}) is already working on {env}; wait for it to finish",
            busy.id, busy.kind
        )));
    }
    jobs::enqueue(
        state,
        NewJob {
            kind,
            shop_handle: shop.handle.clone(),
            shop_id: Some(shop.id),
            environment: Some(env),
            payload,
            created_by: by,
        },
    )
    .await
}

async fn release_by_number(
    state: &AppState,
    shop_id: i64,
    env: Environment,
    number: i64,
) -> Result<release_row::Model, LifecycleError> {
    release_row::Entity::find()
        .filter(release_row::Column::ShopId.eq(shop_id))
        .filter(release_row::Column::Environment.eq(env.as_str()))
        .filter(release_row::Column::Number.eq(number))
        .one(&state.db)
        .await?
        .ok_or_else(|| LifecycleError::NotFound(format!("no release {number} in {env}")))
}

struct Ctx<'a> {
    state: &'a AppState,
    job: &'a job::Model,
    shop: shop::Model,
    env: Environment,
}

/// One step of a launch, rollback or smoke job.
pub async fn run_step(
    state: &AppState,
    base: &str,
    kind: JobKind,
    step: &str,
    job: &job::Model,
) -> Result<String, LifecycleError> {
    let shop = shop::Entity::find_by_id(job.shop_id.unwrap_or_default())
        .one(&state.db)
        .await?
        .ok_or_else(|| LifecycleError::Failed(format!("the shop `{}` is gone", job.shop_handle)))?;
    let env = job
        .environment
        .as_deref()
        .and_then(Environment::parse)
        .ok_or_else(|| LifecycleError::Failed("the job names no environment".into()))?;
    let ctx = Ctx {
        state,
        job,
        shop,
        env,
    };
    match (kind, step) {
        (JobKind::Launch, "validate") => validate_step(&ctx).await,
        (JobKind::Launch, "snapshot") => snapshot_step(&ctx).await,
        (JobKind::Rollback, "check") => check_step(&ctx).await,
        (JobKind::Launch | JobKind::Rollback, "smoke") => {
            let release = job_release(&ctx).await?;
            smoke_release(&ctx, base, &release).await
        }
        (JobKind::Launch | JobKind::Rollback, "switch") => switch_step(&ctx).await,
        (JobKind::Smoke, "smoke") => smoke_live(&ctx, base).await,
        _ => Err(LifecycleError::Failed(format!("unknown step `{step}`"))),
    }
}

async fn validate_step(ctx: &Ctx<'_>) -> Result<String, LifecycleError> {
    let config = config::of_shop(&ctx.state.db, &ctx.shop).await?;
    let issues = validate(
        &config,
        ctx.env,
        &config::secrets_present(&ctx.state.config),
    );
    match issues.first() {
        Some(first) => Err(LifecycleError::Failed(format!(
            "not ready for {}: {} — {}",
            ctx.env, first.field, first.message
        ))),
        None => Ok(format!("the configuration is ready for {}", ctx.env)),
    }
}

/// Takes the snapshot as the next release (once: a resumed job reuses its release) and
/// gives it its preview host.
async fn snapshot_step(ctx: &Ctx<'_>) -> Result<String, LifecycleError> {
    if let Some(id) = ctx.job.release_id
        && let Some(r) = release_row::Entity::find_by_id(id)
            .one(&ctx.state.db)
            .await?
    {
        return Ok(format!("release {} (taken before)", r.number));
    }
    let db = &ctx.state.db;
    let snapshot = Snapshot::take(db, &ctx.shop).await?;
    if snapshot.pages.is_empty() {
        return Err(LifecycleError::Failed(
            "no page is published: nothing to launch".into(),
        ));
    }
    let previous = match release::live_release(db, ctx.shop.id, ctx.env).await? {
        Some(r) => Some(Snapshot::parse(&r.snapshot)?),
        None => None,
    };
    let txn = db.begin().await?;
    let last = release_row::Entity::find()
        .filter(release_row::Column::ShopId.eq(ctx.shop.id))
        .filter(release_row::Column::Environment.eq(ctx.env.as_str()))
        .order_by_desc(release_row::Column::Number)
        .one(&txn)
        .await?;
    let number = last.map_or(1, |r| r.number + 1);
    let preview_host = release::preview_host(&ctx.shop.handle, ctx.env, number);
    let now = Utc::now();
    let row = release_row::ActiveModel {
        shop_id: Set(ctx.shop.id),
        environment: Set(ctx.env.as_str().into()),
        number: Set(number),
        state: Set(ReleaseState::Candidate.as_str().into()),
        snapshot: Set(serde_json::to_string(&snapshot).expect("snapshot serialises")),
        preview_host: Set(preview_host.clone()),
        changes: Set(snapshot.changes_since(previous.as_ref())),
        created_by: Set(ctx.job.created_by),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    shop_domain::ActiveModel {
        shop_id: Set(ctx.shop.id),
        host: Set(preview_host.clone()),
        is_primary: Set(false),
        verified: Set(true),
        created_at: Set(now),
        environment: Set(Some(ctx.env.as_str().into())),
        release_id: Set(Some(row.id)),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    job::Entity::update_many()
        .col_expr(job::Column::ReleaseId, Expr::value(row.id))
        .filter(job::Column::Id.eq(ctx.job.id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    ctx.state.tenants.invalidate_shop(ctx.shop.id);
    Ok(format!(
        "release {number}: {} pages, served at {preview_host} ({})",
        snapshot.pages.len(),
        row.changes
    ))
}

/// Finds the rollback's release and checks it can go live again.
async fn check_step(ctx: &Ctx<'_>) -> Result<String, LifecycleError> {
    let number = serde_json::from_str::<serde_json::Value>(&ctx.job.payload)
        .ok()
        .and_then(|p| p["release"].as_i64())
        .ok_or_else(|| LifecycleError::Failed("the job names no release".into()))?;
    let target = release_by_number(ctx.state, ctx.shop.id, ctx.env, number).await?;
    if target.state != ReleaseState::Launched.as_str() {
        return Err(LifecycleError::Failed(format!(
            "release {number} was never launched"
        )));
    }
    job::Entity::update_many()
        .col_expr(job::Column::ReleaseId, Expr::value(target.id))
        .filter(job::Column::Id.eq(ctx.job.id))
        .exec(&ctx.state.db)
        .await?;
    Ok(format!("release {number} can go live again"))
}

async fn job_release(ctx: &Ctx<'_>) -> Result<release_row::Model, LifecycleError> {
    let id = jobs::reload(&ctx.state.db, ctx.job.id)
        .await?
        .release_id
        .ok_or_else(|| LifecycleError::Failed("the job has no release".into()))?;
    release_row::Entity::find_by_id(id)
        .one(&ctx.state.db)
        .await?
        .ok_or_else(|| LifecycleError::Failed("the release is gone".into()))
}

/// The smoke suite against a release's own host; fails the step unless it passes.
async fn smoke_release(
    ctx: &Ctx<'_>,
    base: &str,
    release: &release_row::Model,
) -> Result<String, LifecycleError> {
    let report = run_suite(ctx, base, &release.preview_host).await?;
    let summary = report.summary();
    release_row::Entity::update_many()
        .col_expr(
            release_row::Column::SmokeSummary,
            Expr::value(summary.clone()),
        )
        .col_expr(
            release_row::Column::SmokeOutput,
            Expr::value(report.to_string()),
        )
        .filter(release_row::Column::Id.eq(release.id))
        .exec(&ctx.state.db)
        .await?;
    record_smoke(ctx, report.passed(), &summary).await?;
    if !report.passed() {
        return Err(LifecycleError::Failed(format!(
            "the smoke suite failed on release {} ({summary}): {}",
            release.number,
            first_failure(&report)
        )));
    }
    Ok(format!(
        "smoke passed on {} ({summary})",
        release.preview_host
    ))
}

/// The smoke suite against what the environment serves now.
async fn smoke_live(ctx: &Ctx<'_>, base: &str) -> Result<String, LifecycleError> {
    let host = match release::live_release(&ctx.state.db, ctx.shop.id, ctx.env).await? {
        Some(r) => r.preview_host,
        None if ctx.env == Environment::Dev => env_host(ctx).await?,
        None => {
            return Err(LifecycleError::Failed(format!(
                "never launched to {}",
                ctx.env
            )));
        }
    };
    let report = run_suite(ctx, base, &host).await?;
    let summary = report.summary();
    record_smoke(ctx, report.passed(), &summary).await?;
    if !report.passed() {
        return Err(LifecycleError::Failed(format!(
            "the smoke suite failed ({summary}): {}",
            first_failure(&report)
        )));
    }
    Ok(format!("smoke passed on {host} ({summary})"))
}

/// A host of the environment (dev: a legacy host counts as dev).
async fn env_host(ctx: &Ctx<'_>) -> Result<String, LifecycleError> {
    let domains = shop_domain::Entity::find()
        .filter(shop_domain::Column::ShopId.eq(ctx.shop.id))
        .filter(shop_domain::Column::ReleaseId.is_null())
        .order_by_desc(shop_domain::Column::IsPrimary)
        .order_by_asc(shop_domain::Column::Id)
        .all(&ctx.state.db)
        .await?;
    domains
        .into_iter()
        .find(|d| {
            d.environment
                .as_deref()
                .and_then(Environment::parse)
                .unwrap_or(Environment::Dev)
                == ctx.env
        })
        .map(|d| d.host)
        .ok_or_else(|| LifecycleError::Failed(format!("no {} host", ctx.env)))
}

fn first_failure(report: &crate::smoke::Report) -> String {
    report
        .checks
        .iter()
        .find_map(|c| match &c.outcome {
            crate::smoke::Outcome::Fail(why) => Some(format!("{}: {why}", c.name)),
            _ => None,
        })
        .unwrap_or_default()
}

/// Runs the suite against `host` on this server, with a short-lived session of the job's
/// creator (or an owner) to record the rental's return.
async fn run_suite(
    ctx: &Ctx<'_>,
    base: &str,
    host: &str,
) -> Result<crate::smoke::Report, LifecycleError> {
    let session = crate::auth::session_store::ServiceSession::open(
        &ctx.state.db,
        ctx.shop.id,
        ctx.job.created_by,
    )
    .await?;
    let target = crate::smoke::Target {
        base: base.trim_end_matches('/').to_string(),
        host: host.to_string(),
        operator: session
            .as_ref()
            .map(|s| crate::smoke::Operator::Session { cookie: s.cookie() }),
    };
    let report = crate::smoke::run(&target).await;
    if let Some(s) = session {
        s.close(&ctx.state.db).await?;
    }
    Ok(report)
}

async fn record_smoke(ctx: &Ctx<'_>, passed: bool, summary: &str) -> Result<(), DbErr> {
    let row = release::environment_row(&ctx.state.db, ctx.shop.id, ctx.env).await?;
    let now = Utc::now();
    let mut active: shop_environment::ActiveModel = row.into();
    active.last_smoke_at = Set(Some(now));
    active.last_smoke_passed = Set(Some(passed));
    active.last_smoke_summary = Set(Some(summary.into()));
    if passed {
        active.last_smoke_passed_at = Set(Some(now));
    }
    active.update(&ctx.state.db).await?;
    Ok(())
}

/// Points the environment at the job's release: one update, then every cached page and
/// host of the shop is forgotten.
async fn switch_step(ctx: &Ctx<'_>) -> Result<String, LifecycleError> {
    let release = job_release(ctx).await?;
    let db = &ctx.state.db;
    let row = release::environment_row(db, ctx.shop.id, ctx.env).await?;
    let before = row.live_release_id;
    let txn = db.begin().await?;
    shop_environment::Entity::update_many()
        .col_expr(
            shop_environment::Column::LiveReleaseId,
            Expr::value(release.id),
        )
        .col_expr(
            shop_environment::Column::LastFailure,
            Expr::value(Option::<String>::None),
        )
        .filter(shop_environment::Column::Id.eq(row.id))
        .exec(&txn)
        .await?;
    let mut active: release_row::ActiveModel = release.clone().into();
    active.state = Set(ReleaseState::Launched.as_str().into());
    if release.launched_at.is_none() {
        active.launched_at = Set(Some(Utc::now()));
    }
    active.update(&txn).await?;
    txn.commit().await?;
    ctx.state.tenants.invalidate_shop(ctx.shop.id);
    ctx.state.publisher().shop_changed(ctx.shop.id);
    let from = match before {
        Some(id) if id == release.id => "it was live already".to_string(),
        Some(id) => match release_row::Entity::find_by_id(id).one(db).await? {
            Some(r) => format!("was release {}", r.number),
            None => "was another release".into(),
        },
        None => "first launch".into(),
    };
    Ok(format!(
        "{} now serves release {} ({from})",
        ctx.env, release.number
    ))
}

/// Records a failed launch or rollback on the environment (and a failed smoke on its
/// release); the live release stays.
pub async fn on_failure(
    state: &AppState,
    kind: JobKind,
    job: &job::Model,
    step: &str,
    message: &str,
) -> Result<(), DbErr> {
    let (Some(shop_id), Some(env)) = (
        job.shop_id,
        job.environment.as_deref().and_then(Environment::parse),
    ) else {
        return Ok(());
    };
    if kind == JobKind::Launch {
        crate::observability::launched(env.as_str(), "failed");
        if let Some(id) = job.release_id {
            release_row::Entity::update_many()
                .col_expr(
                    release_row::Column::State,
                    Expr::value(ReleaseState::Failed.as_str()),
                )
                .filter(release_row::Column::Id.eq(id))
                .filter(release_row::Column::State.eq(ReleaseState::Candidate.as_str()))
                .exec(&state.db)
                .await?;
        }
    }
    if kind == JobKind::Smoke {
        // A failed smoke run shows in the badge through the environment's smoke fields.
        return Ok(());
    }
    let row = release::environment_row(&state.db, shop_id, env).await?;
    let mut active: shop_environment::ActiveModel = row.into();
    active.last_failure = Set(Some(format!(
        "{} failed at {step}: {message}",
        kind.label()
    )));
    active.last_failure_at = Set(Some(Utc::now()));
    active.update(&state.db).await?;
    Ok(())
}
