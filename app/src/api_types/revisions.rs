//! A page's history: `/api/v1/pages/{id}/revisions`, one revision, restoring one, and
//! unpublishing.

use crate::blocks::Block;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// `GET /api/v1/pages/{id}/revisions`: the newest revisions first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RevisionList {
    pub revisions: Vec<RevisionSummary>,
}

/// One revision in the history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RevisionSummary {
    pub id: i64,
    /// 1, 2, 3 … per page.
    pub number: i64,
    pub title: String,
    pub published_at: DateTime<Utc>,
    /// `null` when nobody published it (a scheduled publish, the seed).
    pub published_by: Option<RevisionAuthor>,
    /// The revision the storefront shows.
    pub live: bool,
    /// Blocks compared with the revision before it.
    pub summary: ChangeSummary,
}

/// Who published a revision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevisionAuthor {
    pub id: i64,
    /// `null` once the account is gone.
    pub email: Option<String>,
}

/// How many blocks a revision added, removed and changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeSummary {
    pub added: u64,
    pub removed: u64,
    pub changed: u64,
}

/// `GET /api/v1/pages/{id}/revisions/{number}`: the revision and its block tree.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RevisionAnswer {
    pub revision: RevisionInfo,
    pub blocks: Vec<Block>,
}

/// A revision's own fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevisionInfo {
    pub id: i64,
    pub number: i64,
    pub title: String,
    pub slug: String,
    pub published_at: DateTime<Utc>,
    pub live: bool,
}

/// `POST /api/v1/pages/{id}/revisions/{number}/restore` (the body may be left out).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestoreRequest {
    /// Also make the draft equal to the restored revision.
    #[serde(default)]
    pub reset_draft: bool,
}

/// What restoring published.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestoreAnswer {
    /// The new revision (or the live one, when it already showed the same).
    pub revision_id: i64,
    pub number: i64,
    pub unchanged: bool,
    /// The revision that was restored.
    pub restored_from: i64,
    pub draft_reset: bool,
}

/// `POST /api/v1/pages/{id}/unpublish`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnpublishAnswer {
    pub page_id: i64,
    /// Always `null`: nothing is live any more.
    pub live_revision_id: Option<i64>,
}
