//! Health badges per shop × environment, and the operator's overview.
//!
//! - `broken`: the last launch or rollback failed, the last smoke run failed, or at least
//!   `broken_errors` server errors in the last `error_window_minutes`;
//! - `needs attention`: no passed smoke run in the last `smoke_stale_hours`, a smoke run that
//!   skipped checks, or any server error in the window;
//! - `healthy` otherwise; `not launched` for stage/prod never launched.

use super::jobs;
use crate::state::AppState;
use app::lifecycle::{Health, HealthThresholds, HealthView, OperatorRow, OperatorView, ShopStatus};
use app::shop_config::Environment;
use chrono::{DateTime, Utc};
use entity::{job, release as release_row, shop, shop_domain, shop_environment};
use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use std::collections::HashMap;
use std::time::Duration;

/// Shops the operator view lists at most (worst first).
pub const MAX_OPERATOR_ROWS: usize = 500;

/// The thresholds this server uses.
pub fn thresholds(state: &AppState) -> HealthThresholds {
    let c = &state.config;
    HealthThresholds {
        smoke_stale_hours: c.health_smoke_stale_hours,
        error_window_minutes: c.health_error_window_minutes,
        broken_errors: c.health_broken_errors,
    }
}

/// What the badge of one environment is computed from.
pub struct Facts<'a> {
    pub environment: Environment,
    pub row: Option<&'a shop_environment::Model>,
    pub live_number: Option<i64>,
    pub server_errors: u32,
}

/// The badge and its reasons.
pub fn badge(facts: &Facts<'_>, t: &HealthThresholds, now: DateTime<Utc>) -> (Health, Vec<String>) {
    let row = facts.row;
    let launched = facts.live_number.is_some();
    let failure = row.and_then(|r| r.last_failure.clone());
    if facts.environment != Environment::Dev && !launched && failure.is_none() {
        return (
            Health::NotLaunched,
            vec![format!("never launched to {}", facts.environment)],
        );
    }
    let mut broken = Vec::new();
    let mut attention = Vec::new();
    if let Some(f) = failure {
        broken.push(f);
    }
    if row.and_then(|r| r.last_smoke_passed) == Some(false) {
        broken.push(format!(
            "the last smoke run failed ({})",
            row.and_then(|r| r.last_smoke_summary.clone())
                .unwrap_or_default()
        ));
    }
    if facts.server_errors >= t.broken_errors.max(1) {
        broken.push(format!(
            "{} server errors in the last {} minutes",
            facts.server_errors, t.error_window_minutes
        ));
    } else if facts.server_errors > 0 {
        attention.push(format!(
            "{} server error(s) in the last {} minutes",
            facts.server_errors, t.error_window_minutes
        ));
    }
    let stale = chrono::Duration::hours(i64::from(t.smoke_stale_hours));
    match row.and_then(|r| r.last_smoke_passed_at) {
        None => attention.push("no passed smoke run yet".into()),
        Some(at) if now - at > stale => attention.push(format!(
            "the last passed smoke run is older than {} hours",
            t.smoke_stale_hours
        )),
        Some(_) => {}
    }
    if let Some(summary) = row.and_then(|r| r.last_smoke_summary.as_deref())
        && skipped(summary) > 0
    {
        attention.push(format!("the last smoke run skipped checks ({summary})"));
    }
    if !broken.is_empty() {
        broken.extend(attention);
        (Health::Broken, broken)
    } else if !attention.is_empty() {
        (Health::NeedsAttention, attention)
    } else {
        (Health::Healthy, vec![])
    }
}

/// "8 passed, 0 failed, 2 skipped" → 2.
fn skipped(summary: &str) -> u32 {
    summary
        .split(", ")
        .find_map(|part| part.strip_suffix(" skipped")?.parse().ok())
        .unwrap_or(0)
}

/// The badges of every environment of `shop`.
pub async fn environments(state: &AppState, shop: &shop::Model) -> Result<Vec<HealthView>, DbErr> {
    let rows = shop_environment::Entity::find()
        .filter(shop_environment::Column::ShopId.eq(shop.id))
        .all(&state.db)
        .await?;
    let domains = shop_domain::Entity::find()
        .filter(shop_domain::Column::ShopId.eq(shop.id))
        .filter(shop_domain::Column::ReleaseId.is_null())
        .order_by_asc(shop_domain::Column::Id)
        .all(&state.db)
        .await?;
    let live_ids: Vec<i64> = rows.iter().filter_map(|r| r.live_release_id).collect();
    let numbers: HashMap<i64, i64> = release_row::Entity::find()
        .filter(release_row::Column::Id.is_in(live_ids))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|r| (r.id, r.number))
        .collect();
    let t = thresholds(state);
    let window = Duration::from_secs(u64::from(t.error_window_minutes) * 60);
    let server_errors = state.errors.recent_server_errors(shop.id, window);
    let now = Utc::now();
    Ok(Environment::ALL
        .into_iter()
        .map(|environment| {
            let row = rows.iter().find(|r| r.environment == environment.as_str());
            let live_number = row
                .and_then(|r| r.live_release_id)
                .and_then(|id| numbers.get(&id).copied());
            let facts = Facts {
                environment,
                row,
                live_number,
                server_errors,
            };
            let (health, reasons) = badge(&facts, &t, now);
            HealthView {
                environment,
                health,
                reasons,
                live_release: live_number,
                last_smoke_passed_at: row
                    .and_then(|r| r.last_smoke_passed_at)
                    .map(|t| t.to_rfc3339()),
                hosts: domains
                    .iter()
                    .filter(|d| {
                        d.environment
                            .as_deref()
                            .and_then(Environment::parse)
                            .unwrap_or(Environment::Dev)
                            == environment
                    })
                    .map(|d| d.host.clone())
                    .collect(),
            }
        })
        .collect())
}

/// The job that would repair the shop: its newest failed job, when the shop needs repair.
pub async fn repair_job(state: &AppState, shop: &shop::Model) -> Result<Option<i64>, DbErr> {
    if shop.status != ShopStatus::NeedsRepair.as_str() {
        return Ok(None);
    }
    // The newest failed one, even when later jobs (a smoke run, say) came after it.
    Ok(job::Entity::find()
        .filter(job::Column::ShopId.eq(shop.id))
        .filter(job::Column::State.eq(app::lifecycle::JobState::Failed.as_str()))
        .order_by_desc(job::Column::Id)
        .one(&state.db)
        .await?
        .map(|j| j.id))
}

/// Every shop by health, worst first.
pub async fn operator_view(state: &AppState) -> Result<OperatorView, DbErr> {
    let shops = shop::Entity::find()
        .order_by_asc(shop::Column::Id)
        .all(&state.db)
        .await?;
    let mut rows = Vec::with_capacity(shops.len().min(MAX_OPERATOR_ROWS));
    for shop in shops {
        let environments = environments(state, &shop).await?;
        let worst = environments
            .iter()
            .map(|e| e.health)
            .min()
            .unwrap_or(Health::NotLaunched);
        let last_job = job::Entity::find()
            .filter(job::Column::ShopHandle.eq(&shop.handle))
            .order_by_desc(job::Column::Id)
            .one(&state.db)
            .await?
            .map(|j| jobs::summary(&j, None, vec![]));
        let status = ShopStatus::parse(&shop.status).unwrap_or(ShopStatus::Active);
        rows.push(OperatorRow {
            id: shop.id,
            repair_job: repair_job(state, &shop).await?,
            handle: shop.handle,
            name: shop.name,
            status,
            worst: if status == ShopStatus::NeedsRepair {
                Health::Broken
            } else {
                worst
            },
            environments,
            last_job,
        });
    }
    rows.sort_by_key(|r| (r.worst, r.id));
    rows.truncate(MAX_OPERATOR_ROWS);
    Ok(OperatorView {
        shops: rows,
        queue_depth: jobs::queue_depth(&state.db).await?,
        thresholds: thresholds(state),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(f: impl FnOnce(&mut shop_environment::Model)) -> shop_environment::Model {
        let mut r = shop_environment::Model {
            id: 1,
            shop_id: 1,
            environment: "stage".into(),
            live_release_id: Some(1),
            last_smoke_at: Some(Utc::now()),
            last_smoke_passed: Some(true),
            last_smoke_passed_at: Some(Utc::now()),
            last_smoke_summary: Some("8 passed, 0 failed, 0 skipped".into()),
            last_failure: None,
            last_failure_at: None,
        };
        f(&mut r);
        r
    }

    fn health(r: Option<&shop_environment::Model>, errors: u32, live: bool) -> Health {
        let facts = Facts {
            environment: Environment::Stage,
            row: r,
            live_number: live.then_some(1),
            server_errors: errors,
        };
        badge(&facts, &HealthThresholds::default(), Utc::now()).0
    }

    #[test]
    fn badges_follow_the_thresholds() {
        let fine = row(|_| {});
        assert_eq!(health(Some(&fine), 0, true), Health::Healthy);
        assert_eq!(health(None, 0, false), Health::NotLaunched);
        assert_eq!(health(Some(&fine), 1, true), Health::NeedsAttention);
        assert_eq!(health(Some(&fine), 4, true), Health::NeedsAttention);
        assert_eq!(health(Some(&fine), 5, true), Health::Broken);
        let stale =
            row(|r| r.last_smoke_passed_at = Some(Utc::now() - chrono::Duration::hours(25)));
        assert_eq!(health(Some(&stale), 0, true), Health::NeedsAttention);
        let skipped = row(|r| r.last_smoke_summary = Some("5 passed, 0 failed, 3 skipped".into()));
        assert_eq!(health(Some(&skipped), 0, true), Health::NeedsAttention);
        let failed_smoke = row(|r| r.last_smoke_passed = Some(false));
        assert_eq!(health(Some(&failed_smoke), 0, true), Health::Broken);
        // A failed first launch: broken, though nothing is live.
        let failed_launch = row(|r| {
            r.live_release_id = None;
            r.last_failure = Some("Launch failed at smoke".into());
        });
        assert_eq!(health(Some(&failed_launch), 0, false), Health::Broken);
    }
}
