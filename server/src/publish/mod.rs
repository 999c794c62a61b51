//! The publish service: a block tree → validation → one transaction that writes a new
//! immutable revision with its blocks and makes it live → the render cache invalidated.
//! Everything that changes what is live goes through [`Publisher`]: the API (publish,
//! restore, unpublish), scheduled publishing, the seed, the lifecycle's
//! templates, payments that change stock and release switches.

pub mod links;
pub mod rich_html;
pub mod schedule;
pub mod store;

use crate::storefront::cache::RenderCache;
use app::blocks::{Block, BlockNode, PageType, ValidationError, validate_tree};
use app::draft::{DraftJson, PageField, PageFields};
use chrono::Utc;
use entity::{page, published_block, published_page};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter,
    QuerySelect, Set, SqlErr, TransactionTrait,
};
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// Why a publish (or an unpublish) did not happen.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("page not found")]
    NotFound,
    #[error("the page has {} validation error(s)", .0.len())]
    Invalid(Vec<ValidationError>),
    #[error("another publish of this page won the race; try again")]
    Conflict,
    #[error("database error: {0}")]
    Db(#[from] DbErr),
}

/// A draft's blocks as the validator is to read them: rich text given as `{"html": …}` is
/// sanitised and turned into formatted runs ([`rich_html`]), with any problem doing so
/// reported as a validation error on its block and field.
pub struct PreparedDraft {
    pub nodes: Vec<BlockNode>,
    pub errors: Vec<ValidationError>,
}

impl PreparedDraft {
    pub fn new(nodes: &[BlockNode]) -> Self {
        let mut nodes = nodes.to_vec();
        let errors = if rich_html::has_html_props(&nodes) {
            rich_html::convert_html_props(&mut nodes)
        } else {
            Vec::new()
        };
        Self { nodes, errors }
    }

    /// The typed tree, or every problem: conversion errors first, then the validator's (one
    /// message per block and field).
    pub fn validate(&self, page_type: PageType) -> Result<Vec<Block>, Vec<ValidationError>> {
        match validate_tree(page_type, &self.nodes) {
            Ok(blocks) if self.errors.is_empty() => Ok(blocks),
            Ok(_) => Err(self.errors.clone()),
            Err(more) => {
                let mut errors = self.errors.clone();
                errors.extend(more.into_iter().filter(|e| {
                    !self
                        .errors
                        .iter()
                        .any(|c| c.block_id == e.block_id && c.field == e.field)
                }));
                Err(errors)
            }
        }
    }
}

/// Validates draft blocks the way the server always does (publish, the draft endpoint,
/// preview): HTML rich text converted first, then [`validate_tree`].
pub fn validate_draft(
    page_type: PageType,
    nodes: &[BlockNode],
) -> Result<Vec<Block>, Vec<ValidationError>> {
    PreparedDraft::new(nodes).validate(page_type)
}

/// The outcome of a publish.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Published {
    pub revision_id: i64,
    pub number: i64,
    /// True when the content equalled the live revision and nothing new was written.
    pub unchanged: bool,
    /// The live page's address now (a publish can change it).
    pub slug: String,
}

/// The one way to change what a shop's storefront shows. Publishing a draft, restoring a
/// revision (with its page fields), unpublishing, and anything else that changes live content (a
/// deleted page, stock, a release switched) end here, so the rules hold everywhere: each
/// change is one transaction, and the shop's rendered pages are dropped only after it
/// commits (a render that read the old state is never cached, see `RenderCache::insert`).
#[derive(Clone)]
pub struct Publisher {
    db: DatabaseConnection,
    cache: Arc<RenderCache>,
}

impl Publisher {
    /// A publisher writing to `db` and dropping rendered pages from `cache`.
    pub fn new(db: DatabaseConnection, cache: Arc<RenderCache>) -> Self {
        Self { db, cache }
    }

    /// Publishes a page's draft: its page fields (title, address, search appearance) and its
    /// blocks, validated together. `shop_id` scopes the page: another shop's page is
    /// `NotFound`.
    pub async fn publish_draft(
        &self,
        shop_id: i64,
        page_id: i64,
        draft: &DraftJson,
        published_by: Option<i64>,
    ) -> Result<Published, PublishError> {
        let page = self.scoped_page(shop_id, page_id).await?;
        let fields = PageFields::from_map(&draft.page).validated();
        let blocks = validate_draft(page_type_of(&page)?, &draft.nodes());
        let (fields, blocks) = match (fields, blocks) {
            (Ok(fields), Ok(blocks)) => (fields, blocks),
            (fields, blocks) => {
                crate::observability::published("invalid");
                let mut errors = fields.err().unwrap_or_default();
                errors.extend(blocks.err().unwrap_or_default());
                return Err(PublishError::Invalid(errors));
            }
        };
        self.publish_validated(&page, &fields, &blocks, published_by)
            .await
    }

    /// Publishes blocks that come from outside a draft (a template, the seed) with the
    /// page's current fields, validated as a draft's are.
    pub async fn publish_nodes(
        &self,
        shop_id: i64,
        page_id: i64,
        nodes: &[BlockNode],
        published_by: Option<i64>,
    ) -> Result<Published, PublishError> {
        let page = self.scoped_page(shop_id, page_id).await?;
        let blocks = validate_draft(page_type_of(&page)?, nodes).map_err(|errors| {
            crate::observability::published("invalid");
            PublishError::Invalid(errors)
        })?;
        let fields = crate::pages::fields(&page);
        self.publish_validated(&page, &fields, &blocks, published_by)
            .await
    }

    /// Publishes a revision's fields and typed tree as they are: they were validated when
    /// first published (restoring a revision of this page), so they are neither re-read nor
    /// validated again. Only the address is checked again: another page may have taken it.
    pub async fn publish_revision(
        &self,
        shop_id: i64,
        page_id: i64,
        fields: &PageFields,
        blocks: &[Block],
        published_by: Option<i64>,
    ) -> Result<Published, PublishError> {
        let page = self.scoped_page(shop_id, page_id).await?;
        self.publish_validated(&page, fields, blocks, published_by)
            .await
    }

    /// Takes the page off the storefront: no revision is live any more (they all stay in its
    /// history). `by` is who did it, for the log.
    pub async fn unpublish(
        &self,
        shop_id: i64,
        page_id: i64,
        by: Option<i64>,
    ) -> Result<(), PublishError> {
        let page = self.scoped_page(shop_id, page_id).await?;
        page::ActiveModel {
            id: Set(page.id),
            live_revision_id: Set(None),
            updated_at: Set(Utc::now()),
            ..Default::default()
        }
        .update(&self.db)
        .await?;
        self.shop_changed(shop_id);
        tracing::info!(shop_id, page_id, user_id = by, "page unpublished");
        Ok(())
    }

    /// Something the shop's storefront shows changed outside a publish, and that change has
    /// committed: its rendered pages are dropped.
    pub fn shop_changed(&self, shop_id: i64) {
        self.cache.invalidate_shop(shop_id);
    }

    async fn scoped_page(&self, shop_id: i64, page_id: i64) -> Result<page::Model, PublishError> {
        crate::pages::in_shop(&self.db, shop_id, page_id)
            .await?
            .ok_or(PublishError::NotFound)
    }

    /// Publishes an already validated tree. A few retries absorb a race with a concurrent
    /// publish of the same page (both computed the same next number; the unique index lets
    /// only one commit).
    async fn publish_validated(
        &self,
        page: &page::Model,
        fields: &PageFields,
        blocks: &[Block],
        published_by: Option<i64>,
    ) -> Result<Published, PublishError> {
        let result = self
            .publish_with_retries(page, fields, blocks, published_by)
            .await;
        crate::observability::published(match &result {
            Ok(p) if p.unchanged => "unchanged",
            Ok(_) => "ok",
            Err(PublishError::Invalid(_)) => "invalid",
            Err(_) => "error",
        });
        result
    }

    async fn publish_with_retries(
        &self,
        page: &page::Model,
        fields: &PageFields,
        blocks: &[Block],
        published_by: Option<i64>,
    ) -> Result<Published, PublishError> {
        let hash = content_hash(fields, blocks);
        for _ in 0..5 {
            match self
                .try_publish(page, fields, blocks, &hash, published_by)
                .await
            {
                Err(PublishError::Db(e)) if is_conflict(&e) => {
                    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                    continue;
                }
                Ok(published) => {
                    if !published.unchanged {
                        // After commit: a reader can no longer load the old revision as live.
                        self.shop_changed(page.shop_id);
                        tracing::info!(
                            shop_id = page.shop_id,
                            page_id = page.id,
                            number = published.number,
                            "page published"
                        );
                    }
                    return Ok(published);
                }
                Err(e) => return Err(e),
            }
        }
        Err(PublishError::Conflict)
    }

    async fn try_publish(
        &self,
        page: &page::Model,
        fields: &PageFields,
        blocks: &[Block],
        hash: &str,
        published_by: Option<i64>,
    ) -> Result<Published, PublishError> {
        let txn = self.db.begin().await?;
        // Re-read inside the transaction: the live revision may have moved since.
        let current = crate::pages::in_shop(&txn, page.shop_id, page.id)
            .await?
            .ok_or(PublishError::NotFound)?;
        if let Some(live_id) = current.live_revision_id
            && let Some(live) = published_page::Entity::find_by_id(live_id)
                .one(&txn)
                .await?
            && live.content_hash == hash
        {
            txn.rollback().await?;
            return Ok(Published {
                revision_id: live.id,
                number: live.number,
                unchanged: true,
                slug: live.slug,
            });
        }
        // The address is the shop's one way to this page: no other page may hold it (the
        // unique index on the page row settles a race; the retry then lands here).
        let taken = page::Entity::find()
            .filter(page::Column::ShopId.eq(page.shop_id))
            .filter(page::Column::Slug.eq(fields.slug.as_str()))
            .filter(page::Column::Id.ne(page.id))
            .one(&txn)
            .await?;
        if let Some(other) = taken {
            txn.rollback().await?;
            return Err(PublishError::Invalid(vec![ValidationError {
                block_id: String::new(),
                field: Some(PageField::Slug.name().into()),
                message: format!(
                    "the address `{}` belongs to another page of this shop (“{}”)",
                    fields.slug, other.title
                ),
            }]));
        }
        let last: Option<i64> = published_page::Entity::find()
            .select_only()
            .column_as(published_page::Column::Number.max(), "max_number")
            .filter(published_page::Column::PageId.eq(page.id))
            .into_tuple::<Option<i64>>()
            .one(&txn)
            .await?
            .flatten();
        let number = last.unwrap_or(0) + 1;
        let now = Utc::now();
        let revision = published_page::ActiveModel {
            page_id: Set(page.id),
            shop_id: Set(page.shop_id),
            number: Set(number),
            title: Set(fields.title.clone()),
            slug: Set(fields.slug.clone()),
            seo_title: Set(fields.seo_title.clone()),
            seo_description: Set(fields.seo_description.clone()),
            content_hash: Set(hash.to_string()),
            published_by: Set(published_by),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        let rows = store::flatten(revision.id, page.shop_id, blocks);
        if !rows.is_empty() {
            published_block::Entity::insert_many(rows)
                .exec(&txn)
                .await?;
        }
        // The row carries the live revision's fields (routing, the page list).
        page::ActiveModel {
            id: Set(page.id),
            title: Set(fields.title.clone()),
            slug: Set(fields.slug.clone()),
            seo_title: Set(fields.seo_title.clone()),
            seo_description: Set(fields.seo_description.clone()),
            live_revision_id: Set(Some(revision.id)),
            updated_at: Set(now),
            ..Default::default()
        }
        .update(&txn)
        .await?;
        txn.commit().await?;
        Ok(Published {
            revision_id: revision.id,
            number,
            unchanged: false,
            slug: fields.slug.clone(),
        })
    }
}

/// The page's type, which decides which blocks it may hold.
fn page_type_of(page: &page::Model) -> Result<PageType, PublishError> {
    PageType::from_name(&page.page_type).ok_or_else(|| {
        PublishError::Invalid(vec![ValidationError {
            block_id: String::new(),
            field: Some("page_type".into()),
            message: format!("unknown page type `{}`", page.page_type),
        }])
    })
}

/// A stable hash of what a revision shows: page fields and the typed tree.
fn content_hash(fields: &PageFields, blocks: &[Block]) -> String {
    let mut h = Sha256::new();
    let doc = serde_json::json!({
        "title": fields.title, "slug": fields.slug,
        "seo_title": fields.seo_title, "seo_description": fields.seo_description,
        "blocks": blocks,
    });
    h.update(doc.to_string().as_bytes());
    hex::encode(h.finalize())
}

fn is_conflict(e: &DbErr) -> bool {
    if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) {
        return true;
    }
    crate::db::is_busy(e)
}
