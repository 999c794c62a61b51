//! What the storefront reads: live pages, their revisions, and the slice of the catalogue a
//! page's blocks show. Every query is scoped by shop id.

use crate::publish::store;
use app::blocks::product_grid::ProductGridProps;
use app::blocks::{Block, BlockContext, BlockProps, ProductCard, ProductDetail, VariantView};
use entity::{page, product, product_variant, published_page};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// A live page with its revision's blocks.
pub struct LivePage {
    pub revision: published_page::Model,
    pub blocks: Vec<Block>,
}

/// The shop's published pages (those with a live revision), in creation order.
pub async fn live_pages(db: &DatabaseConnection, shop_id: i64) -> Result<Vec<page::Model>, DbErr> {
    page::Entity::find()
        .filter(page::Column::ShopId.eq(shop_id))
        .filter(page::Column::LiveRevisionId.is_not_null())
        .order_by_asc(page::Column::Id)
        .all(db)
        .await
}

/// The live revision of `page` with its blocks.
pub async fn live_content(
    db: &DatabaseConnection,
    page: &page::Model,
) -> Result<Option<LivePage>, DbErr> {
    let Some(revision_id) = page.live_revision_id else {
        return Ok(None);
    };
    let Some(revision) = published_page::Entity::find_by_id(revision_id)
        .filter(published_page::Column::ShopId.eq(page.shop_id))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let blocks = store::load_revision(db, revision.id).await?;
    Ok(Some(LivePage { revision, blocks }))
}

/// Loads the products the blocks need: cards for product grids, details for product detail
/// blocks (and for `page_product`, the product of a `/products/{handle}` page).
pub async fn block_context(
    db: &DatabaseConnection,
    shop_id: i64,
    blocks: &[Block],
    page_product: Option<&str>,
) -> Result<BlockContext, DbErr> {
    let mut grids: Vec<&ProductGridProps> = Vec::new();
    let mut detail_handles: HashSet<String> =
        page_product.map(str::to_string).into_iter().collect();
    for block in blocks.iter().flat_map(Block::walk) {
        match &block.props {
            BlockProps::ProductGrid(g) => grids.push(g),
            BlockProps::ProductDetail(d) if !d.product.is_empty() => {
                detail_handles.insert(d.product.clone());
            }
            _ => {}
        }
    }

    let mut listed: Vec<product::Model> = Vec::new();
    if !grids.is_empty() {
        let limit = grids
            .iter()
            .map(|g| g.limit.clamp(1, 24) as u64)
            .max()
            .unwrap_or(8);
        listed = product::Entity::find()
            .filter(product::Column::ShopId.eq(shop_id))
            .order_by_asc(product::Column::Position)
            .order_by_asc(product::Column::Id)
            .limit(limit)
            .all(db)
            .await?;
        if grids.iter().any(|g| g.source == "featured") {
            let have: HashSet<i64> = listed.iter().map(|p| p.id).collect();
            let featured = product::Entity::find()
                .filter(product::Column::ShopId.eq(shop_id))
                .filter(product::Column::Featured.eq(true))
                .order_by_asc(product::Column::Position)
                .limit(limit)
                .all(db)
                .await?;
            listed.extend(featured.into_iter().filter(|p| !have.contains(&p.id)));
            listed.sort_by_key(|p| (p.position, p.id));
        }
    }
    let detailed: Vec<product::Model> = if detail_handles.is_empty() {
        Vec::new()
    } else {
        product::Entity::find()
            .filter(product::Column::ShopId.eq(shop_id))
            .filter(product::Column::Handle.is_in(detail_handles))
            .all(db)
            .await?
    };

    let ids: Vec<i64> = listed.iter().chain(&detailed).map(|p| p.id).collect();
    let mut variants: HashMap<i64, Vec<product_variant::Model>> = HashMap::new();
    if !ids.is_empty() {
        for v in product_variant::Entity::find()
            .filter(product_variant::Column::ShopId.eq(shop_id))
            .filter(product_variant::Column::ProductId.is_in(ids))
            .order_by_asc(product_variant::Column::Position)
            .all(db)
            .await?
        {
            variants.entry(v.product_id).or_default().push(v);
        }
    }
    let no_variants = Vec::new();
    let products = listed
        .iter()
        .map(|p| card(p, variants.get(&p.id).unwrap_or(&no_variants)))
        .collect();
    let details = detailed
        .iter()
        .map(|p| {
            (
                p.handle.clone(),
                detail(p, variants.get(&p.id).unwrap_or(&no_variants)),
            )
        })
        .collect();
    Ok(BlockContext {
        products: Arc::new(products),
        details: Arc::new(details),
        page_product: page_product.map(str::to_string),
    })
}

/// Image URLs stored on a product.
pub fn product_images(p: &product::Model) -> Vec<String> {
    serde_json::from_value(p.images.clone()).unwrap_or_default()
}

fn card(p: &product::Model, variants: &[product_variant::Model]) -> ProductCard {
    let cheapest = variants.iter().min_by_key(|v| v.price);
    ProductCard {
        handle: p.handle.clone(),
        title: p.title.clone(),
        image: product_images(p).into_iter().next(),
        price: cheapest.map(|v| v.price).unwrap_or(0),
        currency: cheapest.map(|v| v.currency.clone()).unwrap_or_default(),
        featured: p.featured,
        available: variants.iter().any(|v| v.inventory > 0),
    }
}

fn detail(p: &product::Model, variants: &[product_variant::Model]) -> ProductDetail {
    ProductDetail {
        handle: p.handle.clone(),
        title: p.title.clone(),
        description: p.description.clone(),
        images: product_images(p),
        variants: variants
            .iter()
            .map(|v| VariantView {
                id: v.id,
                title: v.title.clone(),
                price: v.price,
                currency: v.currency.clone(),
                inventory: v.inventory,
            })
            .collect(),
    }
}
