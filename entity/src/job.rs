//! A background job of a shop's lifecycle (create, launch, roll back, smoke): its state,
//! its steps and where it failed. A worker claims queued jobs and renews `heartbeat_at`
//! while it runs one; a running job with a stale heartbeat was interrupted.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "job")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// An `app::lifecycle::JobKind`.
    pub kind: String,
    /// An `app::lifecycle::JobState`.
    pub state: String,
    pub shop_handle: String,
    /// Set once the shop exists (a create job starts without one).
    pub shop_id: Option<i64>,
    pub environment: Option<String>,
    /// What the job works on, as JSON (the configuration; the release to roll back to).
    pub payload: String,
    /// `[{"name", "state"}]` as JSON, in order.
    pub steps: String,
    pub failed_step: Option<String>,
    pub error: Option<String>,
    pub attempts: i32,
    /// Carried by every event and log line of the job.
    pub operation_id: String,
    pub release_id: Option<i64>,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub heartbeat_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::job_event::Entity")]
    JobEvent,
}

impl Related<super::job_event::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::JobEvent.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
