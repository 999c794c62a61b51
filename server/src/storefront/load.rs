//! What the storefront reads: live pages, their revisions, and the slice of the catalogue a
//! page's blocks show. Every query is scoped by shop id.

use crate::publish::store;
use crate::storefront::cache::{LivePages, RenderCache};
use crate::sync::lock;
use app::blocks::product_grid::ProductGridProps;
use app::blocks::{Block, BlockContext, BlockProps, ProductCard, ProductDetail, VariantView};
use app::commerce::ProductKind;
use entity::{page, product, product_variant, published_page};
use hashlink::LruCache;
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

/// A live page with its revision's blocks.
pub struct LivePage {
    pub revision: published_page::Model,
    pub blocks: Vec<Block>,
}

/// Published revisions by id. Revisions are immutable, so an entry can never be stale; this
/// saves two queries and the JSON decoding of every block on each uncached render. Bounded by
/// bytes (what the revision's blocks take as JSON, roughly what they take in memory); the
/// least recently used go first.
pub struct RevisionCache {
    entries: Mutex<Revisions>,
    max_bytes: usize,
}

struct Revisions {
    lru: LruCache<i64, (Arc<LivePage>, usize)>,
    bytes: usize,
}

/// What the revision cache may hold by default.
pub const REVISION_CACHE_BYTES: usize = 32 << 20;

impl RevisionCache {
    pub fn new(max_bytes: usize) -> Self {
        Self {
            entries: Mutex::new(Revisions {
                lru: LruCache::new_unbounded(),
                bytes: 0,
            }),
            max_bytes,
        }
    }

    fn get(&self, revision_id: i64) -> Option<Arc<LivePage>> {
        lock(&self.entries)
            .lru
            .get(&revision_id)
            .map(|(page, _)| page.clone())
    }

    fn insert(&self, page: Arc<LivePage>) {
        // The blocks' size as JSON plus the revision's own fields: an estimate, made once
        // per load from the database.
        let cost = serde_json::to_vec(&page.blocks).map_or(0, |v| v.len()) + 512;
        if cost > self.max_bytes {
            return;
        }
        let mut entries = lock(&self.entries);
        if let Some((_, old)) = entries.lru.insert(page.revision.id, (page, cost)) {
            entries.bytes -= old;
        }
        entries.bytes += cost;
        while entries.bytes > self.max_bytes {
            let Some((_, (_, freed))) = entries.lru.remove_lru() else {
                break;
            };
            entries.bytes -= freed;
        }
    }

    /// Revisions held, and the bytes they count for.
    pub fn usage(&self) -> (usize, usize) {
        let entries = lock(&self.entries);
        (entries.lru.len(), entries.bytes)
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

/// The pages the tenant's host serves: a release's, or the shop's published pages (from
/// memory until the shop changes, see [`RenderCache::live_pages`]).
pub async fn pages_of(
    db: &DatabaseConnection,
    cache: &RenderCache,
    tenant: &crate::tenancy::Tenant,
) -> Result<LivePages, DbErr> {
    if let Some(release) = &tenant.release {
        return Ok(release.pages.clone());
    }
    let shop_id = tenant.shop.id;
    if let Some(pages) = cache.live_pages(shop_id) {
        return Ok(pages);
    }
    // Read before the query: a change committed meanwhile keeps this list out of memory.
    let generation = cache.generation();
    let pages = Arc::new(live_pages(db, shop_id).await?);
    cache.remember_live_pages(generation, shop_id, pages.clone());
    Ok(pages)
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

/// The products a live revision's blocks need, from memory until the shop changes (see
/// [`RenderCache::catalogue`]); blocks that are not a live revision's (a preview's draft, a
/// page shown before any is published) are read fresh.
pub async fn live_block_context(
    db: &DatabaseConnection,
    cache: &RenderCache,
    shop_id: i64,
    revision_id: Option<i64>,
    blocks: &[Block],
    page_product: Option<&str>,
) -> Result<BlockContext, DbErr> {
    let Some(revision_id) = revision_id else {
        return block_context(db, shop_id, blocks, page_product).await;
    };
    if let Some(hit) = cache.catalogue(shop_id, revision_id, page_product) {
        return Ok(hit);
    }
    // Read before the queries: a change committed meanwhile keeps this slice out of memory.
    let generation = cache.generation();
    let context = block_context(db, shop_id, blocks, page_product).await?;
    cache.remember_catalogue(
        generation,
        (shop_id, revision_id, page_product),
        context.clone(),
    );
    Ok(context)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn revision(id: i64, text_len: usize) -> Arc<LivePage> {
        // Heroes of 100 characters each, `text_len` characters in all.
        let nodes: Vec<_> = (0..text_len / 100)
            .map(|i| {
                app::draft::node_from_value(&serde_json::json!(
                    {"id": format!("h{i}"), "type": "hero", "props": {"heading": "H", "subheading": "x".repeat(100)}}
                ))
            })
            .collect();
        let blocks = app::blocks::validate_tree(app::blocks::PageType::Page, &nodes).unwrap();
        Arc::new(LivePage {
            revision: published_page::Model {
                id,
                page_id: id,
                shop_id: 1,
                number: 1,
                title: "T".into(),
                slug: "t".into(),
                seo_title: None,
                seo_description: None,
                content_hash: String::new(),
                published_by: None,
                created_at: chrono::Utc::now(),
            },
            blocks,
        })
    }

    #[test]
    fn the_revision_cache_keeps_to_its_bytes_and_drops_the_least_recently_used() {
        // Room for five revisions of this size.
        let probe = RevisionCache::new(usize::MAX);
        probe.insert(revision(0, 1_000));
        let one = probe.usage().1;
        let cache = RevisionCache::new(5 * one + one / 2);
        for id in 1..=20 {
            cache.insert(revision(id, 1_000));
            // Revision 1 stays in use, so it stays.
            assert!(cache.get(1).is_some(), "after inserting {id}");
        }
        let (held, bytes) = cache.usage();
        assert!(bytes <= 5 * one + one / 2, "{bytes} bytes held");
        assert_eq!(held, 5, "{held} revisions held");
        assert!(cache.get(2).is_none(), "the least recently used went first");
        assert!(cache.get(20).is_some());
        // One revision larger than the whole cache is not stored (and evicts nothing).
        cache.insert(revision(99, 10_000));
        assert!(cache.get(99).is_none());
        assert!(cache.get(20).is_some());
    }
}
