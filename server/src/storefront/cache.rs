//! The render cache: finished storefront HTML per (shop, page address), valid for the revision
//! it was rendered from. Publishing bumps a generation counter and drops the shop's entries; a
//! render that started before the bump is never stored, so a stale page cannot outlive a
//! publish.
//!
//! Keys are what the server chose, not what the client sent: the shop resolved from the
//! normalised Host and the page's canonical path, so no spelling of a Host or path makes a new
//! entry. The cache is bounded by bytes; when full, the shop holding the most bytes gives up
//! its least recently used page, so one shop (or one crawler of one shop) can push out only
//! its own pages until it holds no more than the others.

use crate::sync::lock;
use bytes::Bytes;
use hashlink::LruCache;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Pages at addresses longer than this are rendered but never stored.
pub const MAX_KEY_LEN: usize = 512;

/// How many shops' live page lists are remembered (least recently used go first). A list is
/// a shop's published pages (a few hundred bytes each), so this bounds it to a few MiB.
pub const MAX_SHOPS_REMEMBERED: usize = 4_096;

/// How many catalogue slices are remembered: what one live revision's product blocks show
/// (a few KiB each), least recently used first.
pub const MAX_CATALOGUES_REMEMBERED: usize = 4_096;

/// A catalogue slice's key: the shop, the live revision, and the product a product page shows.
type CatalogueKey = (i64, i64, Option<String>);

/// A shop's published pages, in creation order: its navigation and routing.
pub type LivePages = Arc<Vec<entity::page::Model>>;

/// What an entry costs beyond its body and key (the ETag, the bookkeeping).
const ENTRY_OVERHEAD: usize = 128;

/// One rendered page.
#[derive(Clone, Debug)]
pub struct CachedPage {
    pub shop_id: i64,
    /// The revision rendered (`None` for pages built only from the catalogue).
    pub revision_id: Option<i64>,
    pub body: Bytes,
    /// Strong validator of `body`.
    pub etag: http::HeaderValue,
}

impl CachedPage {
    fn cost(&self, path: &str) -> usize {
        self.body.len() + path.len() + ENTRY_OVERHEAD
    }
}

pub struct RenderCache {
    enabled: bool,
    max_bytes: usize,
    generation: AtomicU64,
    /// Every update leaves the maps consistent, whatever panicked while holding the lock.
    shops: Mutex<Shops>,
    /// Each shop's live pages, kept until the shop changes, so an uncached render makes no
    /// query for them. Dropped and guarded by the generation exactly like rendered pages.
    live_pages: Mutex<LruCache<i64, LivePages>>,
    /// The catalogue each live revision's product blocks show, kept until the shop changes
    /// (stock and products change only with a `shop_changed`), guarded the same way.
    catalogues: Mutex<LruCache<CatalogueKey, app::blocks::BlockContext>>,
    /// Other replicas (PostgreSQL) whose caches drop a shop's pages when this one does.
    replicas: std::sync::OnceLock<Arc<crate::collab::replicas::Replicas>>,
}

#[derive(Default)]
struct Shops {
    by_id: HashMap<i64, ShopPages>,
    /// Every shop that holds pages, by the bytes it holds: the largest is found without
    /// looking at every shop (eviction runs on most inserts once the cache is full).
    by_size: BTreeSet<(usize, i64)>,
    bytes: usize,
    pages: usize,
}

/// One shop's pages by path, least recently used first.
struct ShopPages {
    pages: LruCache<String, CachedPage>,
    bytes: usize,
}

impl RenderCache {
    /// A cache of at most `max_bytes` of pages (bodies, keys and a little overhead each).
    pub fn new(enabled: bool, max_bytes: usize) -> Self {
        Self {
            enabled,
            max_bytes,
            generation: AtomicU64::new(0),
            shops: Mutex::new(Shops::default()),
            live_pages: Mutex::new(LruCache::new(MAX_SHOPS_REMEMBERED)),
            catalogues: Mutex::new(LruCache::new(MAX_CATALOGUES_REMEMBERED)),
            replicas: std::sync::OnceLock::new(),
        }
    }

    /// Makes [`RenderCache::invalidate_shop`] reach the other replicas' caches too.
    pub fn relay_to(&self, replicas: Arc<crate::collab::replicas::Replicas>) {
        let _ = self.replicas.set(replicas);
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// The page of `shop_id` at `path`, marked as recently used.
    pub fn get(&self, shop_id: i64, path: &str) -> Option<CachedPage> {
        if !self.enabled {
            return None;
        }
        lock(&self.shops)
            .by_id
            .get_mut(&shop_id)?
            .pages
            .get(path)
            .cloned()
    }

    /// Read before loading what a render needs; pass to [`RenderCache::insert`].
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Stores a page rendered from data read at `generation`, unless anything was invalidated
    /// since (then the data may be stale and the page is simply not cached). Pages whose path
    /// is over [`MAX_KEY_LEN`] or that would not fit in the whole cache are not stored.
    pub fn insert(&self, generation: u64, path: &str, page: CachedPage) {
        let cost = page.cost(path);
        if !self.enabled || path.len() > MAX_KEY_LEN || cost > self.max_bytes {
            return;
        }
        let mut shops = lock(&self.shops);
        // Checked under the lock: invalidation bumps the generation under the same lock.
        if self.generation.load(Ordering::Acquire) != generation {
            return;
        }
        let shop = shops
            .by_id
            .entry(page.shop_id)
            .or_insert_with(|| ShopPages {
                pages: LruCache::new_unbounded(),
                bytes: 0,
            });
        let shop_id = page.shop_id;
        let previous = shop.pages.insert(path.to_string(), page);
        let freed = previous.as_ref().map_or(0, |p| p.cost(path));
        let before = shop.bytes;
        shop.bytes = shop.bytes + cost - freed;
        let after = shop.bytes;
        shops.by_size.remove(&(before, shop_id));
        shops.by_size.insert((after, shop_id));
        shops.bytes = shops.bytes + cost - freed;
        if previous.is_none() {
            shops.pages += 1;
        }
        while shops.bytes > self.max_bytes {
            if !shops.evict_from_largest() {
                break;
            }
        }
    }

    /// The shop's live pages, when remembered (whether or not pages are cached: this is the
    /// data a render reads, not its output).
    pub fn live_pages(&self, shop_id: i64) -> Option<LivePages> {
        lock(&self.live_pages).get(&shop_id).cloned()
    }

    /// Remembers a shop's live pages read at `generation`, unless anything was invalidated
    /// since.
    pub fn remember_live_pages(&self, generation: u64, shop_id: i64, pages: LivePages) {
        let mut remembered = lock(&self.live_pages);
        // Checked under the lock: invalidation bumps the generation before it takes it.
        if self.generation.load(Ordering::Acquire) == generation {
            remembered.insert(shop_id, pages);
        }
    }

    /// The catalogue a live revision's blocks show (for the product page `product`).
    pub fn catalogue(
        &self,
        shop_id: i64,
        revision_id: i64,
        product: Option<&str>,
    ) -> Option<app::blocks::BlockContext> {
        lock(&self.catalogues)
            .get(&(shop_id, revision_id, product.map(str::to_string)))
            .cloned()
    }

    /// Remembers a catalogue slice read at `generation`, unless anything was invalidated
    /// since.
    pub fn remember_catalogue(
        &self,
        generation: u64,
        (shop_id, revision_id, product): (i64, i64, Option<&str>),
        context: app::blocks::BlockContext,
    ) {
        let mut remembered = lock(&self.catalogues);
        if self.generation.load(Ordering::Acquire) == generation {
            remembered.insert((shop_id, revision_id, product.map(str::to_string)), context);
        }
    }

    /// Catalogue slices remembered.
    pub fn catalogues_remembered(&self) -> usize {
        lock(&self.catalogues).len()
    }

    /// Shops whose live pages are remembered.
    pub fn shops_remembered(&self) -> usize {
        lock(&self.live_pages).len()
    }

    /// Drops every page of a shop. Publishing one page calls this: the header's navigation
    /// and product grids make other pages of the shop depend on it too.
    pub fn invalidate_shop(&self, shop_id: i64) {
        self.invalidate_shop_local(shop_id);
        if let Some(replicas) = self.replicas.get() {
            replicas.notify_soon(crate::collab::replicas::Event::ShopChanged { shop_id });
        }
    }

    /// Drops every page of a shop from this process's cache only (another replica changed
    /// the shop).
    pub fn invalidate_shop_local(&self, shop_id: i64) {
        {
            let mut shops = lock(&self.shops);
            self.generation.fetch_add(1, Ordering::AcqRel);
            if let Some(shop) = shops.by_id.remove(&shop_id) {
                shops.by_size.remove(&(shop.bytes, shop_id));
                shops.bytes -= shop.bytes;
                shops.pages -= shop.pages.len();
            }
        }
        lock(&self.live_pages).remove(&shop_id);
        let mut catalogues = lock(&self.catalogues);
        let stale: Vec<CatalogueKey> = catalogues
            .iter()
            .filter(|(key, _)| key.0 == shop_id)
            .map(|(key, _)| key.clone())
            .collect();
        for key in stale {
            catalogues.remove(&key);
        }
    }

    /// Drops every page (this replica may have missed other replicas' changes).
    pub fn invalidate_all_local(&self) {
        {
            let mut shops = lock(&self.shops);
            self.generation.fetch_add(1, Ordering::AcqRel);
            *shops = Shops::default();
        }
        lock(&self.live_pages).clear();
        lock(&self.catalogues).clear();
    }

    /// Pages stored.
    pub fn len(&self) -> usize {
        lock(&self.shops).pages
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes the stored pages count for (at most the configured bound).
    pub fn bytes(&self) -> usize {
        lock(&self.shops).bytes
    }
}

impl Shops {
    /// Drops the least recently used page of the shop holding the most bytes; `false` when
    /// there is nothing left to drop.
    fn evict_from_largest(&mut self) -> bool {
        let Some(&(_, shop_id)) = self.by_size.last() else {
            return false;
        };
        let Some(shop) = self.by_id.get_mut(&shop_id) else {
            return false;
        };
        let Some((path, page)) = shop.pages.remove_lru() else {
            return false;
        };
        let cost = page.cost(&path);
        self.by_size.remove(&(shop.bytes, shop_id));
        shop.bytes -= cost;
        self.bytes -= cost;
        self.pages -= 1;
        if shop.pages.is_empty() {
            self.by_id.remove(&shop_id);
        } else {
            self.by_size.insert((shop.bytes, shop_id));
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(shop_id: i64, rev: i64) -> CachedPage {
        sized(shop_id, rev, 8)
    }

    fn sized(shop_id: i64, rev: i64, len: usize) -> CachedPage {
        CachedPage {
            shop_id,
            revision_id: Some(rev),
            body: Bytes::from(vec![b'x'; len]),
            etag: http::HeaderValue::from_static("\"x\""),
        }
    }

    #[test]
    fn render_started_before_invalidation_is_not_stored() {
        let cache = RenderCache::new(true, 10_000);
        let g = cache.generation();
        cache.invalidate_shop(1);
        cache.insert(g, "/", page(1, 1));
        assert!(cache.get(1, "/").is_none());
        cache.insert(cache.generation(), "/", page(1, 2));
        assert_eq!(cache.get(1, "/").unwrap().revision_id, Some(2));
    }

    #[test]
    fn invalidation_is_per_shop_and_disabled_cache_stores_nothing() {
        let cache = RenderCache::new(true, 10_000);
        cache.insert(cache.generation(), "/", page(1, 1));
        cache.insert(cache.generation(), "/", page(2, 1));
        cache.invalidate_shop(1);
        assert!(cache.get(1, "/").is_none());
        assert!(cache.get(2, "/").is_some());
        assert_eq!((cache.len(), cache.bytes()), (1, 8 + 1 + ENTRY_OVERHEAD));
        let off = RenderCache::new(false, 10_000);
        off.insert(off.generation(), "/", page(1, 1));
        assert!(off.get(1, "/").is_none());
    }

    #[test]
    fn the_cache_is_bounded_by_bytes_and_drops_the_least_recently_used_first() {
        // Room for ten entries of 1000 bytes (body, key and overhead).
        let body = 1000 - ENTRY_OVERHEAD - "/p00".len();
        let cache = RenderCache::new(true, 10_000);
        for i in 0..10 {
            cache.insert(cache.generation(), &format!("/p{i:02}"), sized(1, i, body));
        }
        assert_eq!((cache.len(), cache.bytes()), (10, 10_000));
        // /p00 is used again, so /p01 is now the least recently used.
        assert!(cache.get(1, "/p00").is_some());
        for i in 10..100 {
            cache.insert(cache.generation(), &format!("/p{i:02}"), sized(1, i, body));
            assert!(cache.bytes() <= 10_000, "{} bytes", cache.bytes());
        }
        assert_eq!(cache.len(), 10);
        assert!(cache.get(1, "/p99").is_some());
        assert!(cache.get(1, "/p01").is_none());
        // Replacing a page counts its new size only.
        cache.insert(cache.generation(), "/p99", sized(1, 100, body));
        assert_eq!((cache.len(), cache.bytes()), (10, 10_000));
        // A page bigger than the whole cache, or at a very long address, is not stored.
        cache.insert(cache.generation(), "/big", sized(1, 1, 10_001));
        assert!(cache.get(1, "/big").is_none());
        let long = format!("/{}", "a".repeat(MAX_KEY_LEN));
        cache.insert(cache.generation(), &long, sized(1, 1, 1));
        assert!(cache.get(1, &long).is_none());
        assert_eq!(cache.len(), 10);
    }

    #[test]
    fn a_shop_filling_the_cache_evicts_its_own_pages_before_other_shops_pages() {
        let cache = RenderCache::new(true, 20 * 1000);
        let body = 1000 - ENTRY_OVERHEAD - "/p0000".len();
        // Two quiet shops with a few hot pages each.
        for shop in [2, 3] {
            for i in 0..3 {
                cache.insert(
                    cache.generation(),
                    &format!("/p{i:04}"),
                    sized(shop, i, body),
                );
            }
        }
        // Shop 1 is crawled: thousands of distinct pages, each used once.
        for i in 0..5000 {
            cache.insert(cache.generation(), &format!("/p{i:04}"), sized(1, i, body));
        }
        for shop in [2, 3] {
            for i in 0..3 {
                assert!(
                    cache.get(shop, &format!("/p{i:04}")).is_some(),
                    "shop {shop} lost /p{i:04}"
                );
            }
        }
        assert!(cache.bytes() <= 20 * 1000);
        assert_eq!(cache.len(), 20);
        // The crawled shop keeps the rest of the room, cycling through its own pages.
        let crawled = (0..5000)
            .filter(|i| cache.get(1, &format!("/p{i:04}")).is_some())
            .count();
        assert_eq!(crawled, 14);
    }

    #[test]
    fn live_page_lists_are_bounded_by_shops_dropped_with_the_shop_and_never_stale() {
        let cache = RenderCache::new(false, 10_000);
        let list = || LivePages::default();
        // Read before a change: not remembered.
        let g = cache.generation();
        cache.invalidate_shop_local(1);
        cache.remember_live_pages(g, 1, list());
        assert!(cache.live_pages(1).is_none());
        // Remembered even with rendered pages off; dropped with the shop only.
        cache.remember_live_pages(cache.generation(), 1, list());
        cache.remember_live_pages(cache.generation(), 2, list());
        cache.invalidate_shop_local(2);
        assert!(cache.live_pages(1).is_some());
        assert!(cache.live_pages(2).is_none());
        // Bounded: the least recently used shops go first.
        for shop in 10..(10 + MAX_SHOPS_REMEMBERED as i64 + 100) {
            cache.remember_live_pages(cache.generation(), shop, list());
            assert!(cache.live_pages(1).is_some(), "shop 1 stays in use");
        }
        assert_eq!(cache.shops_remembered(), MAX_SHOPS_REMEMBERED);
        assert!(cache.live_pages(10).is_none());
        cache.invalidate_all_local();
        assert_eq!(cache.shops_remembered(), 0);
    }

    #[test]
    fn catalogue_slices_are_bounded_dropped_with_their_shop_and_never_stale() {
        let cache = RenderCache::new(false, 10_000);
        let slice = app::blocks::BlockContext::default;
        let g = cache.generation();
        cache.invalidate_shop_local(7);
        cache.remember_catalogue(g, (1, 10, None), slice());
        assert!(
            cache.catalogue(1, 10, None).is_none(),
            "read before a change"
        );
        cache.remember_catalogue(cache.generation(), (1, 10, None), slice());
        cache.remember_catalogue(cache.generation(), (1, 10, Some("mug")), slice());
        cache.remember_catalogue(cache.generation(), (2, 20, None), slice());
        assert!(cache.catalogue(1, 10, Some("mug")).is_some());
        assert!(cache.catalogue(1, 10, Some("cup")).is_none());
        cache.invalidate_shop_local(1);
        assert!(cache.catalogue(1, 10, None).is_none());
        assert!(cache.catalogue(1, 10, Some("mug")).is_none());
        assert!(
            cache.catalogue(2, 20, None).is_some(),
            "other shops keep theirs"
        );
        for rev in 0..(MAX_CATALOGUES_REMEMBERED as i64 + 10) {
            cache.remember_catalogue(cache.generation(), (3, rev, None), slice());
        }
        assert_eq!(cache.catalogues_remembered(), MAX_CATALOGUES_REMEMBERED);
        assert!(
            cache.catalogue(2, 20, None).is_none(),
            "least recently used went first"
        );
    }
}
