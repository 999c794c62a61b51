//! What the storefront reads: live pages, their revisions, and the slice of the catalogue a
//! page's blocks show. Every query is scoped by shop id.

use crate::publish::store;
use app::blocks::product_grid::ProductGridProps;
use app::blocks::{Block, BlockContext, BlockProps, ProductCard, ProductDetail, VariantView};
use app::commerce::ProductKind;
use entity::{page, product, product_variant, published_page};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};

/// A live page with its revision's blocks.
pub struct LivePage {
    pub revision: published_page::Model,
    pub blocks: Vec<Block>,
}

/// Published revisions by id. Revisions are immutable, so an entry can never be stale; this
/// saves two queries and the JSON decoding of every block on each uncached render.
pub struct RevisionCache {
    entries: RwLock<HashMap<i64, Arc<LivePage>>>,
    max_entries: usize,
}

impl RevisionCache {
    pub fn new(max_entries: usize) -> Self {
        Self {
            entries: RwLock::new(HashMap::new()),
            max_entries,
        }
    }

    fn get(&self, revision_id: i64) -> Option<Arc<LivePage>> {
        self.entries
            .read()
            .expect("revision cache lock")
            .get(&revision_id)
            .cloned()
    }

    fn insert(&self, page: Arc<LivePage>) {
        let mut entries = self.entries.write().expect("revision cache lock");
        if entries.len() >= self.max_entries {
            entries.clear();
        }
        entries.insert(page.revision.id, page);
    }
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

/// The pages the tenant's host serves: a release's, or the shop's published pages.
pub async fn pages_of(
    db: &DatabaseConnection,
    tenant: &crate::tenancy::Tenant,
) -> Result<Vec<page::Model>, DbErr> {
    match &tenant.release {
        Some(release) => Ok(release.pages.clone()),
        None => live_pages(db, tenant.shop.id).await,
    }
}

/// The live revision of `page` with its blocks.
pub async fn live_content(
    db: &DatabaseConnection,
    revisions: &RevisionCache,
    page: &page::Model,
) -> Result<Option<Arc<LivePage>>, DbErr> {
    let Some(revision_id) = page.live_revision_id else {
        return Ok(None);
    };
    if let Some(hit) = revisions.get(revision_id) {
        // Keyed by id alone, so check the tenant: another shop's revision is never shown.
        return Ok(
            (hit.revision.shop_id == page.shop_id && hit.revision.page_id == page.id)
                .then_some(hit),
        );
    }
    let Some(revision) = published_page::Entity::find_by_id(revision_id)
        .filter(published_page::Column::ShopId.eq(page.shop_id))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let blocks = store::load_revision(db, revision.id).await?;
    let live = Arc::new(LivePage { revision, blocks });
    revisions.insert(live.clone());
    Ok(Some(live))
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
        // One extra, in case the page's own product is among them and gets left out.
        let limit = grids
            .iter()
            .map(|g| g.limit.clamp(1, 24) as u64)
            .max()
            .unwrap_or(8)
            + 1;
        let wants_all = grids.iter().any(|g| g.source != "featured");
        let wants_featured = grids.iter().any(|g| g.source == "featured");
        let listing = |featured_only: bool| {
            let mut q = product::Entity::find().filter(product::Column::ShopId.eq(shop_id));
            if featured_only {
                q = q.filter(product::Column::Featured.eq(true));
            }
            q.order_by_asc(product::Column::Position)
                .order_by_asc(product::Column::Id)
                .limit(limit)
        };
        if wants_all {
            listed = listing(false).all(db).await?;
        }
        // The first `limit` products may not hold `limit` featured ones: ask for those too.
        if wants_featured && listed.iter().filter(|p| p.featured).count() < limit as usize {
            let have: HashSet<i64> = listed.iter().map(|p| p.id).collect();
            let featured = listing(true).all(db).await?;
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
        cart: None,
    })
}

/// Image URLs stored on a product.
pub fn product_images(p: &product::Model) -> Vec<String> {
    serde_json::from_value(p.images.clone()).unwrap_or_default()
}

fn card(p: &product::Model, variants: &[product_variant::Model]) -> ProductCard {
    let kind = ProductKind::parse(&p.kind);
    let cheapest = variants.iter().min_by_key(|v| v.price);
    ProductCard {
        handle: p.handle.clone(),
        title: p.title.clone(),
        image: product_images(p).into_iter().next(),
        price: cheapest.map(|v| v.price).unwrap_or(0),
        currency: cheapest.map(|v| v.currency.clone()).unwrap_or_default(),
        featured: p.featured,
        // A rental's availability depends on the dates asked for.
        available: kind == ProductKind::Rental || variants.iter().any(|v| v.inventory > 0),
        kind,
    }
}

fn detail(p: &product::Model, variants: &[product_variant::Model]) -> ProductDetail {
    ProductDetail {
        handle: p.handle.clone(),
        title: p.title.clone(),
        description: p.description.clone(),
        images: product_images(p),
        kind: ProductKind::parse(&p.kind),
        variants: variants
            .iter()
            .map(|v| VariantView {
                id: v.id,
                title: v.title.clone(),
                price: v.price,
                currency: v.currency.clone(),
                inventory: v.inventory,
                deposit: v.deposit,
            })
            .collect(),
    }
}
