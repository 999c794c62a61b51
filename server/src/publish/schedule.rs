//! Scheduled publishing: pages whose `publish_at` has come are published from their draft.
//! The schedule lives in the database, so it survives restarts; a replica that publishes a
//! page another already published finds the content unchanged and writes nothing.

use super::PublishError;
use crate::state::AppState;
use chrono::Utc;
use entity::page;
use sea_orm::{ActiveModelTrait, ColumnTrait, DbErr, EntityTrait, QueryFilter, Set};
use std::time::Duration;

/// Publishes every page that is due; returns how many were published.
pub async fn run_due(state: &AppState) -> Result<usize, DbErr> {
    let due = page::Entity::find()
        .filter(page::Column::PublishAt.lte(Utc::now()))
        .all(&state.db)
        .await?;
    let mut published = 0;
    for page in due {
        // Read without taking a room slot, so a busy server still publishes on time.
        let draft = match state.hub.draft(&page).await {
            Ok(draft) => draft,
            Err(e) => {
                tracing::warn!(page_id = page.id, error = %e, "scheduled publish postponed");
                continue;
            }
        };
        let outcome = state
            .publisher()
            .publish_draft(page.shop_id, page.id, &draft, None)
            .await;
        let error = match outcome {
            Ok(p) => {
                tracing::info!(
                    page_id = page.id,
                    number = p.number,
                    "scheduled publish done"
                );
                published += 1;
                None
            }
            Err(PublishError::Invalid(errors)) => Some(format!(
                "the draft has {} validation error(s); fix them and schedule again",
                errors.len()
            )),
            Err(PublishError::NotFound) => Some("the page no longer exists".into()),
            // Storage trouble or a lost race: leave the schedule in place and try again.
            Err(e) => {
                tracing::warn!(page_id = page.id, error = %e, "scheduled publish will be retried");
                continue;
            }
        };
        page::ActiveModel {
            id: Set(page.id),
            publish_at: Set(None),
            schedule_error: Set(error),
            ..Default::default()
        }
        .update(&state.db)
        .await?;
    }
    Ok(published)
}

/// Checks for due pages every `every` until the server shuts down.
pub fn spawn(state: AppState, every: Duration) {
    let stop = state.shutdown.clone();
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(every) => {
                    if let Err(e) = run_due(&state).await {
                        tracing::error!(error = %e, "scheduled publishing failed");
                    }
                }
                _ = stop.cancelled() => break,
            }
        }
    });
}
