//! How a block tree is stored: one `published_block` row per block, in pre-order, children
//! pointing at their parent's block id.

use app::blocks::{Block, BlockProps, BlockType};
use entity::{published_block, published_page};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set};
use std::collections::HashMap;

/// The rows for a tree (ids left to the database).
pub fn flatten(
    revision_id: i64,
    shop_id: i64,
    blocks: &[Block],
) -> Vec<published_block::ActiveModel> {
    fn walk(
        out: &mut Vec<published_block::ActiveModel>,
        revision_id: i64,
        shop_id: i64,
        parent: Option<&str>,
        blocks: &[Block],
    ) {
        for block in blocks {
            out.push(published_block::ActiveModel {
                revision_id: Set(revision_id),
                shop_id: Set(shop_id),
                position: Set(out.len() as i32),
                block_id: Set(block.id.clone()),
                parent_block_id: Set(parent.map(str::to_string)),
                block_type: Set(block.block_type().name().to_string()),
                props: Set(block.props.props_json()),
                ..Default::default()
            });
            walk(out, revision_id, shop_id, Some(&block.id), &block.children);
        }
    }
    let mut out = Vec::new();
    walk(&mut out, revision_id, shop_id, None, blocks);
    out
}

/// Rebuilds the tree from rows ordered by position. A row whose type or props this build no
/// longer understands is skipped (and logged) rather than failing the whole page.
pub fn unflatten(rows: Vec<published_block::Model>) -> Vec<Block> {
    let mut by_parent: HashMap<Option<String>, Vec<Block>> = HashMap::new();
    for row in rows {
        let Some(block_type) = BlockType::from_name(&row.block_type) else {
            tracing::warn!(block_id = %row.block_id, block_type = %row.block_type, "skipping stored block of unknown type");
            continue;
        };
        match BlockProps::from_parts(block_type, row.props) {
            Ok(props) => {
                by_parent
                    .entry(row.parent_block_id)
                    .or_default()
                    .push(Block {
                        id: row.block_id,
                        props,
                        children: Vec::new(),
                    });
            }
            Err(e) => {
                tracing::warn!(block_id = %row.block_id, error = %e, "skipping stored block with unreadable props")
            }
        }
    }
    fn build(
        by_parent: &mut HashMap<Option<String>, Vec<Block>>,
        parent: Option<String>,
    ) -> Vec<Block> {
        let mut blocks = by_parent.remove(&parent).unwrap_or_default();
        for block in &mut blocks {
            block.children = build(by_parent, Some(block.id.clone()));
        }
        blocks
    }
    build(&mut by_parent, None)
}

/// The block tree of a revision.
pub async fn load_revision(
    db: &impl ConnectionTrait,
    revision_id: i64,
) -> Result<Vec<Block>, DbErr> {
    let rows = published_block::Entity::find()
        .filter(published_block::Column::RevisionId.eq(revision_id))
        .order_by_asc(published_block::Column::Position)
        .all(db)
        .await?;
    Ok(unflatten(rows))
}

/// A revision's page fields, as it was published.
pub fn revision_fields(revision: &published_page::Model) -> app::draft::PageFields {
    app::draft::PageFields {
        title: revision.title.clone(),
        slug: revision.slug.clone(),
        seo_title: revision.seo_title.clone(),
        seo_description: revision.seo_description.clone(),
    }
}
