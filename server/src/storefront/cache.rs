//! The render cache: finished storefront HTML per (host, path), valid for the revision it was
//! rendered from. Publishing bumps a generation counter and drops the shop's entries; a render
//! that started before the bump is never stored, so a stale page cannot outlive a publish.

use bytes::Bytes;
use std::collections::HashMap;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};

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

pub struct RenderCache {
    enabled: bool,
    max_entries: usize,
    generation: AtomicU64,
    /// host → path → page (nested so lookups borrow the request's strings).
    entries: RwLock<HashMap<String, HashMap<String, CachedPage>>>,
    count: std::sync::atomic::AtomicUsize,
}

impl RenderCache {
    pub fn new(enabled: bool, max_entries: usize) -> Self {
        Self {
            enabled,
            max_entries,
            generation: AtomicU64::new(0),
            entries: RwLock::new(HashMap::new()),
            count: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    pub fn get(&self, host: &str, path: &str) -> Option<CachedPage> {
        if !self.enabled {
            return None;
        }
        self.entries
            .read()
            .expect("render cache lock")
            .get(host)?
            .get(path)
            .cloned()
    }

    /// Read before loading what a render needs; pass to [`RenderCache::insert`].
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Stores a page rendered from data read at `generation`, unless anything was invalidated
    /// since (then the data may be stale and the page is simply not cached).
    pub fn insert(&self, generation: u64, host: &str, path: &str, page: CachedPage) {
        if !self.enabled {
            return;
        }
        let mut entries = self.entries.write().expect("render cache lock");
        // Checked under the write lock: invalidation bumps the generation under the same lock.
        if self.generation.load(Ordering::Acquire) != generation {
            return;
        }
        if self.count.load(Ordering::Relaxed) >= self.max_entries {
            entries.clear();
            self.count.store(0, Ordering::Relaxed);
        }
        let previous = entries
            .entry(host.to_string())
            .or_default()
            .insert(path.to_string(), page);
        if previous.is_none() {
            self.count.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Drops every page of a shop. Publishing one page calls this: the header's navigation
    /// and product grids make other pages of the shop depend on it too.
    pub fn invalidate_shop(&self, shop_id: i64) {
        let mut entries = self.entries.write().expect("render cache lock");
        self.generation.fetch_add(1, Ordering::AcqRel);
        for pages in entries.values_mut() {
            pages.retain(|_, page| page.shop_id != shop_id);
        }
        entries.retain(|_, pages| !pages.is_empty());
        self.count
            .store(entries.values().map(HashMap::len).sum(), Ordering::Relaxed);
    }

    pub fn len(&self) -> usize {
        self.count.load(Ordering::Relaxed)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(shop_id: i64, rev: i64) -> CachedPage {
        CachedPage {
            shop_id,
            revision_id: Some(rev),
            body: Bytes::from(format!("rev {rev}")),
            etag: http::HeaderValue::from_static("\"x\""),
        }
    }

    #[test]
    fn render_started_before_invalidation_is_not_stored() {
        let cache = RenderCache::new(true, 10);
        let g = cache.generation();
        cache.invalidate_shop(1);
        cache.insert(g, "a", "/", page(1, 1));
        assert!(cache.get("a", "/").is_none());
        cache.insert(cache.generation(), "a", "/", page(1, 2));
        assert_eq!(cache.get("a", "/").unwrap().revision_id, Some(2));
    }

    #[test]
    fn invalidation_is_per_shop_and_disabled_cache_stores_nothing() {
        let cache = RenderCache::new(true, 10);
        cache.insert(cache.generation(), "a", "/", page(1, 1));
        cache.insert(cache.generation(), "b", "/", page(2, 1));
        cache.invalidate_shop(1);
        assert!(cache.get("a", "/").is_none());
        assert!(cache.get("b", "/").is_some());
        let off = RenderCache::new(false, 10);
        off.insert(off.generation(), "a", "/", page(1, 1));
        assert!(off.get("a", "/").is_none());
    }
}
