//! A page's history: revisions with who, when and what changed; one revision's tree;
//! restoring an old revision (published again as a new one, optionally resetting the draft);
//! unpublishing.

use crate::auth::{CurrentUser, Role};
use crate::error::{AppError, AppJson};
use crate::publish::store;
use crate::state::AppState;
use app::api_types::{
    ChangeSummary, RestoreAnswer, RestoreRequest, RevisionAnswer, RevisionAuthor, RevisionInfo,
    RevisionList, RevisionSummary, UnpublishAnswer,
};
use app::blocks::Block;
use axum::Json;
use axum::extract::{Path, State};
use entity::{page, published_block, published_page, user};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

/// How many revisions one listing returns.
const HISTORY_LIMIT: u64 = 50;

pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<RevisionList>, AppError> {
    let (page, _) = crate::pages::for_member(&state.db, user.user.id, id, Role::Viewer).await?;
    // One more than shown, so the oldest shown revision has something to compare with.
    let revisions = published_page::Entity::find()
        .filter(published_page::Column::ShopId.eq(page.shop_id))
        .filter(published_page::Column::PageId.eq(page.id))
        .order_by_desc(published_page::Column::Number)
        .limit(HISTORY_LIMIT + 1)
        .all(&state.db)
        .await?;
    let ids: Vec<i64> = revisions.iter().map(|r| r.id).collect();
    let mut blocks: HashMap<i64, BTreeMap<String, (String, Value)>> = HashMap::new();
    for row in published_block::Entity::find()
        .filter(published_block::Column::RevisionId.is_in(ids))
        .all(&state.db)
        .await?
    {
        blocks
            .entry(row.revision_id)
            .or_default()
            .insert(row.block_id, (row.block_type, row.props));
    }
    let authors: HashMap<i64, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(revisions.iter().filter_map(|r| r.published_by)))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.email))
        .collect();
    let empty = BTreeMap::new();
    let count = |n: usize| n as u64;
    let items = revisions
        .iter()
        .take(HISTORY_LIMIT as usize)
        .enumerate()
        .map(|(i, r)| {
            let now = blocks.get(&r.id).unwrap_or(&empty);
            let before = revisions
                .get(i + 1)
                .and_then(|p| blocks.get(&p.id))
                .unwrap_or(&empty);
            let summary = ChangeSummary {
                added: count(now.keys().filter(|k| !before.contains_key(*k)).count()),
                removed: count(before.keys().filter(|k| !now.contains_key(*k)).count()),
                changed: count(
                    now.iter()
                        .filter(|(k, v)| before.get(*k).is_some_and(|b| b != *v))
                        .count(),
                ),
            };
            RevisionSummary {
                id: r.id,
                number: r.number,
                title: r.title.clone(),
                published_at: r.created_at,
                published_by: r.published_by.map(|id| RevisionAuthor {
                    id,
                    email: authors.get(&id).cloned(),
                }),
                live: page.live_revision_id == Some(r.id),
                summary,
            }
        })
        .collect();
    Ok(Json(RevisionList { revisions: items }))
}

async fn revision(
    state: &AppState,
    page: &page::Model,
    number: i64,
) -> Result<(published_page::Model, Vec<Block>), AppError> {
    let revision = published_page::Entity::find()
        .filter(published_page::Column::ShopId.eq(page.shop_id))
        .filter(published_page::Column::PageId.eq(page.id))
        .filter(published_page::Column::Number.eq(number))
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let blocks = store::load_revision(&state.db, revision.id).await?;
    Ok((revision, blocks))
}

pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, number)): Path<(i64, i64)>,
) -> Result<Json<RevisionAnswer>, AppError> {
    let (page, _) = crate::pages::for_member(&state.db, user.user.id, id, Role::Viewer).await?;
    let (r, blocks) = revision(&state, &page, number).await?;
    Ok(Json(RevisionAnswer {
        revision: RevisionInfo {
            id: r.id,
            number: r.number,
            title: r.title,
            slug: r.slug,
            published_at: r.created_at,
            live: page.live_revision_id == Some(r.id),
        },
        blocks,
    }))
}

pub async fn restore(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, number)): Path<(i64, i64)>,
    body: Option<AppJson<RestoreRequest>>,
) -> Result<Json<RestoreAnswer>, AppError> {
    let (page, _) = crate::pages::for_member(&state.db, user.user.id, id, Role::Editor).await?;
    let (revision, blocks) = revision(&state, &page, number).await?;
    let fields = store::revision_fields(&revision);
    // The stored revision was validated when it was first published: it goes back as it is.
    let published = state
        .publisher()
        .publish_revision(page.shop_id, page.id, &fields, &blocks, Some(user.user.id))
        .await?;
    let reset = body.map(|AppJson(b)| b.reset_draft).unwrap_or(false);
    if reset {
        // Through the room when one is open (editors see it at once), else into storage.
        state.hub.reset_draft(&page, &fields, &blocks).await?;
    }
    Ok(Json(RestoreAnswer {
        revision_id: published.revision_id,
        number: published.number,
        unchanged: published.unchanged,
        restored_from: number,
        draft_reset: reset,
    }))
}

pub async fn unpublish(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<UnpublishAnswer>, AppError> {
    let (page, _) = crate::pages::for_member(&state.db, user.user.id, id, Role::Editor).await?;
    state
        .publisher()
        .unpublish(page.shop_id, page.id, Some(user.user.id))
        .await?;
    Ok(Json(UnpublishAnswer {
        page_id: page.id,
        live_revision_id: None,
    }))
}
