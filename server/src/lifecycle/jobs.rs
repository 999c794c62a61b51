//! Jobs: a shop's lifecycle work (create, launch, roll back, smoke) as rows a worker runs
//! step by step, recording an event per step. Every step is idempotent, so a job that was
//! interrupted (the process died mid-step) is simply run again from its first step that is
//! not done; a failed job keeps the step it failed at, and Retry resumes there.
//!
//! The worker claims a queued job with a conditional update (only one worker wins it), and
//! renews the job's heartbeat while it runs. A running job whose heartbeat is older than
//! [`STALE_AFTER`] was interrupted: it is queued again, or after [`MAX_ATTEMPTS`] marked
//! failed — never left "running".

use super::LifecycleError;
use crate::state::AppState;
use app::lifecycle::{JobEventView, JobKind, JobState, JobView, StepState, StepView};
use app::shop_config::Environment;
use chrono::{DateTime, Utc};
use entity::{job, job_event, user};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait, Set,
};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// How often a running job's heartbeat is renewed.
pub const HEARTBEAT: Duration = Duration::from_secs(2);
/// A running job whose heartbeat is older than this was interrupted.
pub const STALE_AFTER: Duration = Duration::from_secs(10);
/// Runs of one job before an interruption counts as a failure.
pub const MAX_ATTEMPTS: i32 = 3;
/// Jobs waiting or running at once, platform-wide; beyond it new jobs are refused (503).
pub const MAX_QUEUED: u64 = 1_000;
/// Jobs one user may have waiting or running at once (429 beyond).
pub const MAX_QUEUED_PER_USER: u64 = 5;
/// Jobs one process runs at once.
pub const CONCURRENT_JOBS: usize = 4;
/// Events a job lists (the newest).
const MAX_EVENTS_SHOWN: u64 = 200;
/// Finished jobs kept per shop, newest first: older ones are deleted with their events
/// whenever one of the shop's jobs ends, so job history cannot grow without bound.
pub const FINISHED_KEPT_PER_SHOP: u64 = 200;

/// A new job for `kind`.
pub struct NewJob {
    pub kind: JobKind,
    pub shop_handle: String,
    pub shop_id: Option<i64>,
    pub environment: Option<Environment>,
    pub payload: Value,
    pub created_by: Option<i64>,
}

/// Queues `new` (refusing it when the queue is full) and wakes this process's worker.
pub async fn enqueue(state: &AppState, new: NewJob) -> Result<job::Model, LifecycleError> {
    let db = &state.db;
    let waiting = || {
        job::Entity::find().filter(
            job::Column::State.is_in([JobState::Queued.as_str(), JobState::Running.as_str()]),
        )
    };
    if waiting().count(db).await? >= MAX_QUEUED {
        return Err(LifecycleError::Busy(
            "too many shop jobs are waiting; try again in a minute".into(),
        ));
    }
    if let Some(user_id) = new.created_by
        && waiting()
            .filter(job::Column::CreatedBy.eq(user_id))
            .count(db)
            .await?
            >= MAX_QUEUED_PER_USER
    {
        return Err(LifecycleError::TooMany(format!(
            "you have {MAX_QUEUED_PER_USER} jobs waiting or running; wait for them to finish"
        )));
    }
    let steps: Vec<StepView> = new
        .kind
        .steps()
        .iter()
        .map(|name| StepView {
            name: name.to_string(),
            state: StepState::Pending,
        })
        .collect();
    let job = job::ActiveModel {
        kind: Set(new.kind.as_str().into()),
        state: Set(JobState::Queued.as_str().into()),
        shop_handle: Set(new.shop_handle),
        shop_id: Set(new.shop_id),
        environment: Set(new.environment.map(|e| e.as_str().to_string())),
        payload: Set(new.payload.to_string()),
        steps: Set(serde_json::to_string(&steps).expect("steps serialise")),
        attempts: Set(0),
        operation_id: Set(uuid::Uuid::new_v4().simple().to_string()),
        created_by: Set(new.created_by),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    event(db, &job, "queued", "info", "queued").await?;
    state.jobs.notify.notify_one();
    crate::observability::set_job_queue_depth(queue_depth(db).await?);
    Ok(job)
}

/// Jobs waiting or running.
pub async fn queue_depth(db: &impl ConnectionTrait) -> Result<i64, DbErr> {
    Ok(job::Entity::find()
        .filter(job::Column::State.is_in([JobState::Queued.as_str(), JobState::Running.as_str()]))
        .count(db)
        .await? as i64)
}

/// Records an event of `job`.
pub async fn event(
    db: &impl ConnectionTrait,
    job: &job::Model,
    step: &str,
    level: &str,
    message: &str,
) -> Result<(), DbErr> {
    match level {
        "error" => {
            tracing::warn!(job_id = job.id, operation_id = %job.operation_id, step, "{message}")
        }
        _ => tracing::info!(job_id = job.id, operation_id = %job.operation_id, step, "{message}"),
    }
    job_event::ActiveModel {
        job_id: Set(job.id),
        at: Set(Utc::now()),
        step: Set(step.into()),
        level: Set(level.into()),
        message: Set(message.into()),
        operation_id: Set(job.operation_id.clone()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The job as stored now.
pub async fn reload(db: &impl ConnectionTrait, id: i64) -> Result<job::Model, DbErr> {
    job::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("job {id}")))
}

/// The steps of `job` as stored.
pub fn steps_of(job: &job::Model) -> Vec<StepView> {
    serde_json::from_str(&job.steps).unwrap_or_default()
}

async fn set_steps(
    db: &impl ConnectionTrait,
    job_id: i64,
    steps: &[StepView],
) -> Result<(), DbErr> {
    job::Entity::update_many()
        .col_expr(
            job::Column::Steps,
            Expr::value(serde_json::to_string(steps).expect("steps serialise")),
        )
        .filter(job::Column::Id.eq(job_id))
        .exec(db)
        .await?;
    Ok(())
}

/// The job as the API shows it.
pub async fn view(db: &impl ConnectionTrait, job: &job::Model) -> Result<JobView, DbErr> {
    let mut events: Vec<job_event::Model> = job_event::Entity::find()
        .filter(job_event::Column::JobId.eq(job.id))
        .order_by_desc(job_event::Column::Id)
        .limit(MAX_EVENTS_SHOWN)
        .all(db)
        .await?;
    events.reverse();
    let created_by = match job.created_by {
        Some(id) => user::Entity::find_by_id(id).one(db).await?.map(|u| u.email),
        None => None,
    };
    Ok(summary(job, created_by, events))
}

/// The job without its events (for lists).
pub fn summary(
    job: &job::Model,
    created_by: Option<String>,
    events: Vec<job_event::Model>,
) -> JobView {
    JobView {
        id: job.id,
        kind: JobKind::parse(&job.kind).unwrap_or(JobKind::Smoke),
        state: JobState::parse(&job.state).unwrap_or(JobState::Failed),
        shop: job.shop_handle.clone(),
        environment: job.environment.as_deref().and_then(Environment::parse),
        failed_step: job.failed_step.clone(),
        error: job.error.clone(),
        steps: steps_of(job),
        events: events
            .into_iter()
            .map(|e| JobEventView {
                at: e.at.to_rfc3339(),
                step: e.step,
                level: e.level,
                message: e.message,
                operation_id: e.operation_id,
            })
            .collect(),
        attempts: job.attempts,
        operation_id: job.operation_id.clone(),
        created_by,
        created_at: job.created_at.to_rfc3339(),
        finished_at: job.finished_at.map(|t| t.to_rfc3339()),
        release: job.release_id,
    }
}

/// Queues a failed job again: it resumes at the step it failed at.
pub async fn retry(
    state: &AppState,
    job: &job::Model,
    by: &str,
) -> Result<job::Model, LifecycleError> {
    if job.state != JobState::Failed.as_str() {
        return Err(LifecycleError::Conflict(format!(
            "job {} is {}: only a failed job can be retried",
            job.id, job.state
        )));
    }
    let mut steps = steps_of(job);
    for s in &mut steps {
        if s.state != StepState::Done {
            s.state = StepState::Pending;
        }
    }
    let updated = job::Entity::update_many()
        .col_expr(job::Column::State, Expr::value(JobState::Queued.as_str()))
        .col_expr(job::Column::Error, Expr::value(Option::<String>::None))
        .col_expr(
            job::Column::FinishedAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(job::Column::Attempts, Expr::value(0))
        .col_expr(
            job::Column::Steps,
            Expr::value(serde_json::to_string(&steps).expect("steps serialise")),
        )
        .filter(job::Column::Id.eq(job.id))
        .filter(job::Column::State.eq(JobState::Failed.as_str()))
        .exec(&state.db)
        .await?;
    if updated.rows_affected != 1 {
        return Err(LifecycleError::Conflict(format!(
            "job {} was retried already",
            job.id
        )));
    }
    let from = job.failed_step.as_deref().unwrap_or("the start");
    event(
        &state.db,
        job,
        from,
        "info",
        &format!("retry requested by {by}, resuming at {from}"),
    )
    .await?;
    state.jobs.notify.notify_one();
    Ok(job::Entity::find_by_id(job.id)
        .one(&state.db)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("job".into()))?)
}

/// The worker's shared parts: how to wake it, and what tests make it do wrong.
#[derive(Default)]
pub struct Jobs {
    pub notify: Notify,
    /// Fault injection for tests: fail this (kind, step) once, after the step's work.
    pub fail_once_after: std::sync::Mutex<Option<(JobKind, &'static str)>>,
}

impl Jobs {
    /// Makes the next run of `step` of a `kind` job fail after it did its work (tests).
    pub fn inject_failure_after(&self, kind: JobKind, step: &'static str) {
        *crate::sync::lock(&self.fail_once_after) = Some((kind, step));
    }

    fn take_injected(&self, kind: JobKind, step: &str) -> bool {
        let mut slot = crate::sync::lock(&self.fail_once_after);
        if slot.is_some_and(|(k, s)| k == kind && s == step) {
            *slot = None;
            return true;
        }
        false
    }
}

/// Runs jobs in the background until the server shuts down (jobs already running finish
/// or are resumed at the next start), [`CONCURRENT_JOBS`] at a time (a
/// slow smoke suite of one shop does not hold up every other shop's jobs). `base` is where
/// this server listens (launches run the smoke suite against it).
pub fn spawn_worker(state: AppState, base: String) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let base: Arc<str> = base.into();
        let slots = Arc::new(tokio::sync::Semaphore::new(CONCURRENT_JOBS));
        while !state.shutdown.is_cancelled() {
            if let Err(e) = recover_stale(&state).await {
                tracing::warn!("recovering interrupted jobs: {e}");
            }
            while let Ok(slot) = slots.clone().try_acquire_owned() {
                match claim_next(&state.db).await {
                    Ok(Some(job)) => {
                        let (state, base) = (state.clone(), base.clone());
                        tokio::spawn(async move {
                            run(&state, &base, job).await;
                            drop(slot);
                            // A slot is free: look for the next job at once.
                            state.jobs.notify.notify_one();
                        });
                    }
                    Ok(None) => break,
                    Err(e) => {
                        tracing::warn!("claiming a job: {e}");
                        break;
                    }
                }
            }
            // Another process may queue jobs too: look again every second.
            tokio::select! {
                _ = tokio::time::timeout(Duration::from_secs(1), state.jobs.notify.notified()) => {}
                _ = state.shutdown.cancelled() => {}
            }
        }
    })
}

/// Runs the jobs queued for the shop commands of the CLI in this process, until none is
/// left of `job_id`'s (used by `vitrine shop …`, which has no server to wait for).
pub async fn run_now(
    state: &AppState,
    base: &str,
    job_id: i64,
) -> Result<job::Model, LifecycleError> {
    recover_stale(state).await?;
    loop {
        let job = job::Entity::find_by_id(job_id)
            .one(&state.db)
            .await?
            .ok_or_else(|| DbErr::RecordNotFound("job".into()))?;
        match JobState::parse(&job.state) {
            Some(JobState::Succeeded | JobState::Failed) => return Ok(job),
            Some(JobState::Queued) => {
                if let Some(claimed) = claim(&state.db, job.id).await? {
                    run(state, base, claimed).await;
                }
            }
            // A server is running it: wait for it.
            _ => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

/// Claims the oldest queued job, if any (a conditional update: one worker wins it).
async fn claim_next(db: &impl ConnectionTrait) -> Result<Option<job::Model>, DbErr> {
    loop {
        let Some(next) = job::Entity::find()
            .filter(job::Column::State.eq(JobState::Queued.as_str()))
            .order_by_asc(job::Column::Id)
            .one(db)
            .await?
        else {
            return Ok(None);
        };
        if let Some(job) = claim(db, next.id).await? {
            return Ok(Some(job));
        }
    }
}

async fn claim(db: &impl ConnectionTrait, id: i64) -> Result<Option<job::Model>, DbErr> {
    let now = Utc::now();
    let claimed = job::Entity::update_many()
        .col_expr(job::Column::State, Expr::value(JobState::Running.as_str()))
        .col_expr(job::Column::StartedAt, Expr::value(now))
        .col_expr(job::Column::HeartbeatAt, Expr::value(now))
        .col_expr(
            job::Column::Attempts,
            Expr::col(job::Column::Attempts).add(1),
        )
        .filter(job::Column::Id.eq(id))
        .filter(job::Column::State.eq(JobState::Queued.as_str()))
        .exec(db)
        .await?;
    if claimed.rows_affected != 1 {
        return Ok(None);
    }
    job::Entity::find_by_id(id).one(db).await
}

/// Queues again (or fails) the running jobs whose worker stopped renewing them.
pub async fn recover_stale(state: &AppState) -> Result<(), DbErr> {
    let db = &state.db;
    let cutoff = Utc::now() - chrono::Duration::from_std(STALE_AFTER).expect("small duration");
    let stale = job::Entity::find()
        .filter(job::Column::State.eq(JobState::Running.as_str()))
        .filter(job::Column::HeartbeatAt.lt(cutoff))
        .all(db)
        .await?;
    for job in stale {
        let step = steps_of(&job)
            .into_iter()
            .find(|s| s.state != StepState::Done)
            .map_or_else(|| "finish".to_string(), |s| s.name);
        let give_up = job.attempts >= MAX_ATTEMPTS;
        let next = if give_up {
            JobState::Failed
        } else {
            JobState::Queued
        };
        let mut update = job::Entity::update_many()
            .col_expr(job::Column::State, Expr::value(next.as_str()))
            .filter(job::Column::Id.eq(job.id))
            .filter(job::Column::State.eq(JobState::Running.as_str()))
            .filter(job::Column::HeartbeatAt.lt(cutoff));
        if give_up {
            update = update
                .col_expr(job::Column::FailedStep, Expr::value(step.clone()))
                .col_expr(
                    job::Column::Error,
                    Expr::value(format!("interrupted {} times", job.attempts)),
                )
                .col_expr(job::Column::FinishedAt, Expr::value(Utc::now()));
        }
        if update.exec(db).await?.rows_affected != 1 {
            continue;
        }
        let message = if give_up {
            format!("interrupted during {step} {} times: failed", job.attempts)
        } else {
            format!("interrupted during {step} (the worker stopped); picked up again")
        };
        event(
            db,
            &job,
            &step,
            if give_up { "error" } else { "info" },
            &message,
        )
        .await?;
        if give_up {
            super::on_failure(state, &job, &step, &message).await?;
        }
    }
    Ok(())
}

/// Runs `job` from its first step that is not done.
async fn run(state: &AppState, base: &str, job: job::Model) {
    use tracing::Instrument;
    let shop_id = job.shop_id;
    let span = crate::observability::operation_span(&job.operation_id, shop_id);
    run_in_span(state, base, job).instrument(span).await;
    if let Err(e) = prune_finished(&state.db, shop_id, FINISHED_KEPT_PER_SHOP).await {
        tracing::warn!("pruning finished jobs: {e}");
    }
}

/// Deletes the finished jobs of `shop_id` (or of no shop) beyond the newest `keep` (at
/// least one is kept), with their events; answers how many jobs went. Queued and running
/// jobs are never touched.
pub async fn prune_finished(
    db: &impl ConnectionTrait,
    shop_id: Option<i64>,
    keep: u64,
) -> Result<u64, DbErr> {
    let finished = || {
        let q = job::Entity::find().filter(
            job::Column::State.is_in([JobState::Succeeded.as_str(), JobState::Failed.as_str()]),
        );
        match shop_id {
            Some(id) => q.filter(job::Column::ShopId.eq(id)),
            None => q.filter(job::Column::ShopId.is_null()),
        }
    };
    // The oldest job kept: anything finished before it goes.
    let Some(oldest_kept) = finished()
        .order_by_desc(job::Column::Id)
        .offset(keep.saturating_sub(1))
        .one(db)
        .await?
    else {
        return Ok(0);
    };
    let doomed = || {
        finished()
            .select_only()
            .column(job::Column::Id)
            .filter(job::Column::Id.lt(oldest_kept.id))
            .into_query()
    };
    job_event::Entity::delete_many()
        .filter(job_event::Column::JobId.in_subquery(doomed()))
        .exec(db)
        .await?;
    let removed = job::Entity::delete_many()
        .filter(job::Column::Id.in_subquery(doomed()))
        .exec(db)
        .await?;
    Ok(removed.rows_affected)
}

async fn run_in_span(state: &AppState, base: &str, job: job::Model) {
    let heartbeat = {
        let db = state.db.clone();
        let id = job.id;
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(HEARTBEAT).await;
                let _ = job::Entity::update_many()
                    .col_expr(job::Column::HeartbeatAt, Expr::value(Utc::now()))
                    .filter(job::Column::Id.eq(id))
                    .filter(job::Column::State.eq(JobState::Running.as_str()))
                    .exec(&db)
                    .await;
            }
        })
    };
    let outcome = run_steps(state, base, job.id).await;
    heartbeat.abort();
    if let Err(e) = outcome {
        tracing::error!(job_id = job.id, "job bookkeeping failed: {e}");
    }
    if let Ok(depth) = queue_depth(&state.db).await {
        crate::observability::set_job_queue_depth(depth);
    }
}

async fn run_steps(state: &AppState, base: &str, job_id: i64) -> Result<(), DbErr> {
    let db = &state.db;
    let Some(kind) = job::Entity::find_by_id(job_id)
        .one(db)
        .await?
        .and_then(|j| JobKind::parse(&j.kind))
    else {
        return Ok(());
    };
    loop {
        // Steps read the job afresh: an earlier step may have set its shop or release.
        let job = job::Entity::find_by_id(job_id)
            .one(db)
            .await?
            .ok_or_else(|| DbErr::RecordNotFound("job".into()))?;
        let mut steps = steps_of(&job);
        let Some(index) = steps.iter().position(|s| s.state != StepState::Done) else {
            finish(state, &job).await?;
            return Ok(());
        };
        let name = steps[index].name.clone();
        steps[index].state = StepState::Running;
        set_steps(db, job.id, &steps).await?;
        event(db, &job, &name, "info", "started").await?;
        let mut result = super::run_step(state, base, kind, &name, &job).await;
        // Steps are idempotent: one that lost a race for SQLite's write lock runs again.
        for retry in 1..=5u64 {
            match &result {
                Err(LifecycleError::Db(e)) if crate::db::is_busy(e) => {
                    tokio::time::sleep(Duration::from_millis(50 * retry)).await;
                    result = super::run_step(state, base, kind, &name, &job).await;
                }
                _ => break,
            }
        }
        if result.is_ok() && state.jobs.take_injected(kind, &name) {
            result = Err(LifecycleError::Failed(format!(
                "injected failure after {name} (test)"
            )));
        }
        match result {
            Ok(message) => {
                steps[index].state = StepState::Done;
                set_steps(db, job.id, &steps).await?;
                event(db, &job, &name, "info", &message).await?;
            }
            Err(e) => {
                let message = e.to_string();
                steps[index].state = StepState::Failed;
                set_steps(db, job.id, &steps).await?;
                job::Entity::update_many()
                    .col_expr(job::Column::State, Expr::value(JobState::Failed.as_str()))
                    .col_expr(job::Column::FailedStep, Expr::value(name.clone()))
                    .col_expr(job::Column::Error, Expr::value(message.clone()))
                    .col_expr(job::Column::FinishedAt, Expr::value(Utc::now()))
                    .filter(job::Column::Id.eq(job.id))
                    .exec(db)
                    .await?;
                event(db, &job, &name, "error", &message).await?;
                let job = job::Entity::find_by_id(job_id)
                    .one(db)
                    .await?
                    .unwrap_or(job);
                super::on_failure(state, &job, &name, &message).await?;
                return Ok(());
            }
        }
    }
}

async fn finish(state: &AppState, job: &job::Model) -> Result<(), DbErr> {
    job::Entity::update_many()
        .col_expr(
            job::Column::State,
            Expr::value(JobState::Succeeded.as_str()),
        )
        .col_expr(job::Column::FailedStep, Expr::value(Option::<String>::None))
        .col_expr(job::Column::FinishedAt, Expr::value(Utc::now()))
        .filter(job::Column::Id.eq(job.id))
        .exec(&state.db)
        .await?;
    event(&state.db, job, "finish", "info", "succeeded").await?;
    super::on_success(state, job).await
}
