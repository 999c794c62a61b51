//! A shop's lifecycle as the API shows it: jobs (create, launch, roll back, smoke) with their
//! steps and events, releases per environment, health badges and the operator's overview.
//! The server answers with these types and the admin reads them.

use crate::route::ShopOrigins;
use crate::shop_config::{Check, Environment, SecretsPresent, ShopConfig};
use serde::{Deserialize, Serialize};

/// What a job does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    CreateShop,
    Launch,
    Rollback,
    Smoke,
}

impl JobKind {
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::CreateShop => "create_shop",
            JobKind::Launch => "launch",
            JobKind::Rollback => "rollback",
            JobKind::Smoke => "smoke",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::CreateShop, Self::Launch, Self::Rollback, Self::Smoke]
            .into_iter()
            .find(|k| k.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            JobKind::CreateShop => "Create shop",
            JobKind::Launch => "Launch",
            JobKind::Rollback => "Roll back",
            JobKind::Smoke => "Smoke test",
        }
    }

    /// The steps a job of this kind runs, in order.
    pub fn steps(self) -> &'static [&'static str] {
        match self {
            JobKind::CreateShop => &[
                "validate",
                "shop",
                "owner",
                "domains",
                "catalogue",
                "pages",
                "publish",
            ],
            JobKind::Launch => &["validate", "snapshot", "smoke", "switch"],
            JobKind::Rollback => &["check", "smoke", "switch"],
            JobKind::Smoke => &["smoke"],
        }
    }
}

/// Where a job is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Queued,
    Running,
    Succeeded,
    Failed,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Succeeded => "succeeded",
            JobState::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Queued, Self::Running, Self::Succeeded, Self::Failed]
            .into_iter()
            .find(|k| k.as_str() == s)
    }

    pub fn is_finished(self) -> bool {
        matches!(self, JobState::Succeeded | JobState::Failed)
    }
}

/// One step of a job.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepState {
    Pending,
    Running,
    Done,
    Failed,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepView {
    pub name: String,
    pub state: StepState,
}

/// Something a job recorded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobEventView {
    /// RFC 3339.
    pub at: String,
    pub step: String,
    /// `info` or `error`.
    pub level: String,
    pub message: String,
    pub operation_id: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobView {
    pub id: i64,
    pub kind: JobKind,
    pub state: JobState,
    /// The shop's handle (the shop may not exist yet for a create job that failed early).
    pub shop: String,
    pub environment: Option<Environment>,
    /// The step that failed, for a failed job (Retry resumes there).
    pub failed_step: Option<String>,
    pub error: Option<String>,
    pub steps: Vec<StepView>,
    pub events: Vec<JobEventView>,
    pub attempts: i32,
    pub operation_id: String,
    pub created_by: Option<String>,
    pub created_at: String,
    pub finished_at: Option<String>,
    /// The release a launch or rollback made live, or tried to.
    pub release: Option<i64>,
}

/// A release's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReleaseState {
    /// Snapshot taken, smoke not yet passed.
    Candidate,
    /// Smoke passed and it was (or is) live.
    Launched,
    /// Smoke failed: never served to customers.
    Failed,
}

impl ReleaseState {
    pub fn as_str(self) -> &'static str {
        match self {
            ReleaseState::Candidate => "candidate",
            ReleaseState::Launched => "launched",
            ReleaseState::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Candidate, Self::Launched, Self::Failed]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// One numbered release of a shop to an environment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReleaseView {
    pub id: i64,
    pub environment: Environment,
    /// 1, 2, 3 … per shop and environment.
    pub number: i64,
    pub state: ReleaseState,
    pub live: bool,
    pub created_by: Option<String>,
    pub created_at: String,
    /// e.g. "8 passed, 0 failed, 0 skipped".
    pub smoke_summary: Option<String>,
    /// One line per check.
    pub smoke_output: Option<String>,
    /// What differs from the release before it, e.g. "theme; pages: home r3→r4".
    pub changes: String,
    /// The host that serves exactly this release (for checking it before it goes live).
    pub preview_host: String,
}

/// How a shop is doing in one environment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Health {
    /// Worst first, so sorting by health puts the broken shops on top.
    Broken,
    NeedsAttention,
    Healthy,
    /// Never launched to this environment.
    NotLaunched,
}

impl Health {
    pub fn label(self) -> &'static str {
        match self {
            Health::Broken => "broken",
            Health::NeedsAttention => "needs attention",
            Health::Healthy => "healthy",
            Health::NotLaunched => "not launched",
        }
    }
}

/// The badge of one shop × environment, with the reasons behind it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HealthView {
    pub environment: Environment,
    pub health: Health,
    pub reasons: Vec<String>,
    pub live_release: Option<i64>,
    /// RFC 3339 of the last smoke run that passed.
    pub last_smoke_passed_at: Option<String>,
    pub hosts: Vec<String>,
}

/// A shop's state as a whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShopStatus {
    Active,
    /// A lifecycle job failed part-way: Retry resumes it.
    NeedsRepair,
}

impl ShopStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ShopStatus::Active => "active",
            ShopStatus::NeedsRepair => "needs_repair",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Active, Self::NeedsRepair]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// `GET /api/v1/shops/{handle}/lifecycle`: everything the shop's launch page shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShopLifecycle {
    pub id: i64,
    pub handle: String,
    pub name: String,
    pub status: ShopStatus,
    /// The job to retry when the shop needs repair.
    pub repair_job: Option<i64>,
    pub environments: Vec<HealthView>,
    /// Newest first.
    pub releases: Vec<ReleaseView>,
    /// Newest first, at most 20.
    pub jobs: Vec<JobView>,
    /// Whether the caller may launch and roll back (owners).
    pub can_launch: bool,
    /// How the server's links reach the shop's hosts (for links to them).
    pub origins: ShopOrigins,
}

/// `GET /api/v1/operator/shops`: one row per shop, worst health first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OperatorRow {
    pub id: i64,
    pub handle: String,
    pub name: String,
    pub status: ShopStatus,
    pub worst: Health,
    pub environments: Vec<HealthView>,
    pub repair_job: Option<i64>,
    /// The newest job, if any.
    pub last_job: Option<JobView>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OperatorView {
    pub shops: Vec<OperatorRow>,
    /// Jobs waiting or running, platform-wide.
    pub queue_depth: i64,
    pub thresholds: HealthThresholds,
}

/// When a shop stops being healthy (settings: `VITRINE_HEALTH_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthThresholds {
    /// A passed smoke run older than this makes the shop "needs attention".
    pub smoke_stale_hours: u32,
    /// Server errors are counted over this window.
    pub error_window_minutes: u32,
    /// This many server errors in the window: broken (at least one: needs attention).
    pub broken_errors: u32,
}

impl Default for HealthThresholds {
    fn default() -> Self {
        Self {
            smoke_stale_hours: 24,
            error_window_minutes: 15,
            broken_errors: 5,
        }
    }
}

/// `GET/PUT /api/v1/configurator/draft`: the wizard's progress, kept on the server.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConfigDraftView {
    pub config: ShopConfig,
    pub updated_at: Option<String>,
    /// The checklist for each environment.
    pub checks: Vec<EnvironmentChecks>,
    /// Which provider secrets the server has (names only).
    pub secrets: SecretsPresent,
    /// The handle is already another shop's.
    pub handle_taken: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EnvironmentChecks {
    pub environment: Environment,
    pub checks: Vec<Check>,
    pub ready: bool,
}

/// `POST /api/v1/shops/{handle}/launches`, `…/smoke`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LaunchRequest {
    pub environment: Environment,
}

/// `POST /api/v1/shops/{handle}/rollbacks`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RollbackRequest {
    pub environment: Environment,
    /// The release number to make live again.
    pub release: i64,
}
