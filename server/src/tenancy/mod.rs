//! Tenancy: which shop a request is for, chosen by its Host header alone.

use crate::lifecycle::config::Links;
use crate::lifecycle::release::{Snapshot, served_by};
use crate::sync::lock;
use app::shop_config::Environment;
use entity::{shop, shop_domain};
use hashlink::LruCache;
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The longest Host header worth reading: a 253-byte name (or a bracketed IPv6 address) and a
/// port. Anything longer is refused before it is parsed, cached or logged.
const MAX_HOST_HEADER_LEN: usize = 253 + ":65535".len();

/// Normalises a Host header value: lower-cased, port and trailing dot stripped, IPv6
/// brackets kept. `None` for values that cannot be a host: a name of more than 253 bytes or
/// with an empty or over-long label, characters outside letters, digits, `-` and `.`, or a
/// port that is not a number from 1 to 65535 (an empty port, `host:`, counts as none).
pub fn normalize_host(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if raw.len() > MAX_HOST_HEADER_LEN {
        return None;
    }
    let (host, port) = match raw.strip_prefix('[') {
        // [::1]:3000 → [::1]
        Some(rest) => {
            let (address, after) = rest.split_once(']')?;
            let port = match after {
                "" => None,
                after => Some(after.strip_prefix(':')?),
            };
            let valid = !address.is_empty()
                && address
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() || matches!(c, ':' | '.'));
            if !valid {
                return None;
            }
            (format!("[{}]", address.to_ascii_lowercase()), port)
        }
        None => {
            let (name, port) = match raw.split_once(':') {
                Some((name, port)) => (name, Some(port)),
                None => (raw, None),
            };
            let name = name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase();
            let valid = !name.is_empty()
                && name.len() <= 253
                && name
                    .split('.')
                    .all(|label| !label.is_empty() && label.len() <= 63)
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.'));
            if !valid {
                return None;
            }
            (name, port)
        }
    };
    match port {
        None | Some("") => Some(host),
        Some(port) => valid_port(port).then_some(host),
    }
}

/// A TCP port a client could have connected to: 1 to 65535, digits only.
fn valid_port(port: &str) -> bool {
    port.len() <= 5
        && port.bytes().all(|b| b.is_ascii_digit())
        && port.parse::<u16>().is_ok_and(|p| p != 0)
}

/// The shop a request belongs to, and what its host serves.
#[derive(Clone, Debug)]
pub struct Tenant {
    /// The shop as the host shows it (a release's name, tagline and theme on a release host).
    pub shop: shop::Model,
    /// The host for canonical links: the shop's primary host, or on an environment's host
    /// that environment's first host.
    pub primary_host: String,
    pub environment: Environment,
    /// The release a stage/prod or preview host serves; `None`: the latest published pages.
    pub release: Option<Arc<ServedRelease>>,
    /// A stage or prod host of an environment never launched: it serves nothing yet.
    pub not_launched: bool,
    /// The header and footer links the shop configured.
    pub links: Links,
}

/// A release as the storefront serves it.
#[derive(Debug)]
pub struct ServedRelease {
    pub id: i64,
    /// The release's pages as rows with its revisions live.
    pub pages: crate::storefront::cache::LivePages,
}

impl Tenant {
    /// The render cache's key for `path` on this host: a release's pages are cached apart
    /// from the latest publish and from other releases.
    pub fn cache_path(&self, path: &str) -> String {
        match &self.release {
            Some(r) => format!("{path}#release-{}", r.id),
            None => path.to_string(),
        }
    }
}

/// Looks a normalised host up in the database. Unverified custom domains do not resolve.
pub async fn resolve_host(db: &DatabaseConnection, host: &str) -> Result<Option<Tenant>, DbErr> {
    let Some(domain) = shop_domain::Entity::find()
        .filter(shop_domain::Column::Host.eq(host))
        .filter(shop_domain::Column::Verified.eq(true))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let Some(shop) = shop::Entity::find_by_id(domain.shop_id).one(db).await? else {
        return Ok(None);
    };
    let (environment, release) = served_by(db, &domain).await?;
    let primary_host = match &domain.environment {
        // A release or environment host links to its environment's own host.
        Some(env) => environment_host(db, shop.id, env).await?,
        None => primary_host(db, shop.id).await?,
    }
    .unwrap_or(domain.host);
    let (shop, release, links) = match release {
        Some(r) => {
            let snapshot = Snapshot::parse(&r.snapshot)?;
            let links = Links {
                header: snapshot.settings.header_links.clone(),
                footer: snapshot.settings.footer_links.clone(),
            };
            let served = ServedRelease {
                id: r.id,
                pages: Arc::new(snapshot.page_rows(shop.id)),
            };
            (snapshot.apply_to(&shop), Some(Arc::new(served)), links)
        }
        None => {
            let links = crate::lifecycle::config::links_of(&shop);
            (shop, None, links)
        }
    };
    Ok(Some(Tenant {
        not_launched: environment != Environment::Dev && release.is_none(),
        shop,
        primary_host,
        environment,
        release,
        links,
    }))
}

/// The first host of an environment of a shop (not a release's preview host).
async fn environment_host(
    db: &DatabaseConnection,
    shop_id: i64,
    environment: &str,
) -> Result<Option<String>, DbErr> {
    Ok(shop_domain::Entity::find()
        .filter(shop_domain::Column::ShopId.eq(shop_id))
        .filter(shop_domain::Column::Environment.eq(environment))
        .filter(shop_domain::Column::ReleaseId.is_null())
        .order_by_desc(shop_domain::Column::IsPrimary)
        .order_by_asc(shop_domain::Column::Id)
        .one(db)
        .await?
        .map(|d| d.host))
}

/// A shop's primary host (for links the server hands out).
pub async fn primary_host(db: &DatabaseConnection, shop_id: i64) -> Result<Option<String>, DbErr> {
    Ok(shop_domain::Entity::find()
        .filter(shop_domain::Column::ShopId.eq(shop_id))
        .filter(shop_domain::Column::IsPrimary.eq(true))
        .one(db)
        .await?
        .map(|d| d.host))
}

/// A short-lived in-memory map of host → tenant, so hot pages skip the lookup. Unknown hosts
/// are remembered briefly too, so repeating one does not reach the database.
///
/// Known and unknown hosts are kept apart, each in its own least-recently-used map: a flood
/// of distinct unknown hosts (anyone can send any Host) only pushes out other unknown hosts,
/// never a shop's entry. Known hosts are bounded by the verified domains in the database.
pub struct TenantCache {
    /// The maps stay consistent whatever panicked while holding the lock.
    entries: Mutex<Entries>,
    ttl: Duration,
    negative_ttl: Duration,
}

struct Entries {
    /// Host → when it was looked up and its shop.
    known: LruCache<String, (Instant, Arc<Tenant>)>,
    /// Host → when it was found to belong to no shop.
    unknown: LruCache<String, Instant>,
}

impl TenantCache {
    /// Hosts of shops remembered at once (beyond it, the least recently used is looked up
    /// again when next asked for).
    pub const MAX_KNOWN: usize = 50_000;
    /// Unknown hosts remembered at once.
    pub const MAX_UNKNOWN: usize = 10_000;

    pub fn new(ttl: Duration, negative_ttl: Duration) -> Self {
        Self::with_capacity(ttl, negative_ttl, Self::MAX_KNOWN, Self::MAX_UNKNOWN)
    }

    /// A cache holding at most `max_known` shop hosts and `max_unknown` unknown ones.
    pub fn with_capacity(
        ttl: Duration,
        negative_ttl: Duration,
        max_known: usize,
        max_unknown: usize,
    ) -> Self {
        Self {
            entries: Mutex::new(Entries {
                known: LruCache::new(max_known.max(1)),
                unknown: LruCache::new(max_unknown.max(1)),
            }),
            ttl,
            negative_ttl,
        }
    }

    /// The tenant for `host` (already normalised), from memory or the database.
    pub async fn resolve(
        &self,
        db: &DatabaseConnection,
        host: &str,
    ) -> Result<Option<Arc<Tenant>>, DbErr> {
        {
            let mut entries = lock(&self.entries);
            if let Some((at, tenant)) = entries.known.get(host)
                && at.elapsed() < self.ttl
            {
                return Ok(Some(tenant.clone()));
            }
            if let Some(at) = entries.unknown.get(host)
                && at.elapsed() < self.negative_ttl
            {
                return Ok(None);
            }
        }
        let tenant = resolve_host(db, host).await?.map(Arc::new);
        let mut entries = lock(&self.entries);
        match &tenant {
            Some(t) => {
                entries.unknown.remove(host);
                entries
                    .known
                    .insert(host.to_string(), (Instant::now(), t.clone()));
            }
            None => {
                entries.known.remove(host);
                entries.unknown.insert(host.to_string(), Instant::now());
            }
        }
        Ok(tenant)
    }

    /// The shop of `host` if it is in memory (never asks the database).
    pub fn cached_shop(&self, host: &str) -> Option<i64> {
        lock(&self.entries).known.peek(host).map(|(_, t)| t.shop.id)
    }

    /// Forgets every host of a shop, and every unknown host (one may be the shop's new
    /// domain), after its domains or settings change.
    pub fn invalidate_shop(&self, shop_id: i64) {
        let mut entries = lock(&self.entries);
        entries.known.retain(|_, (_, t)| t.shop.id != shop_id);
        entries.unknown.clear();
    }

    /// Forgets every host (this replica may have missed other replicas' changes).
    pub fn clear(&self) {
        let mut entries = lock(&self.entries);
        entries.known.clear();
        entries.unknown.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::normalize_host;

    #[test]
    fn normalizes_hosts() {
        assert_eq!(
            normalize_host("Demo.LocalHost:3000").as_deref(),
            Some("demo.localhost")
        );
        assert_eq!(
            normalize_host("shop.example.com.").as_deref(),
            Some("shop.example.com")
        );
        assert_eq!(
            normalize_host("shop.example.com.:443").as_deref(),
            Some("shop.example.com")
        );
        assert_eq!(normalize_host("[::1]:3000").as_deref(), Some("[::1]"));
        assert_eq!(normalize_host("").as_deref(), None);
        assert_eq!(normalize_host("evil.com/x").as_deref(), None);
        assert_eq!(normalize_host("a b").as_deref(), None);
        assert_eq!(normalize_host("host:port").as_deref(), None);
    }

    #[test]
    fn ports_must_be_ports() {
        for ok in [
            "demo.localhost:1",
            "demo.localhost:65535",
            "demo.localhost:",
        ] {
            assert_eq!(
                normalize_host(ok).as_deref(),
                Some("demo.localhost"),
                "{ok}"
            );
        }
        assert_eq!(normalize_host("[::1]:65535").as_deref(), Some("[::1]"));
        let huge = format!("demo.localhost:{}", "7".repeat(300_000));
        for bad in [
            huge.as_str(),
            "demo.localhost:0",
            "demo.localhost:65536",
            "demo.localhost:000003000",
            "demo.localhost:+80",
            "demo.localhost:80:80",
            "[::1]:0",
            "[::1]junk",
            "[::1]:99999",
            "[]",
            "[evil.com]",
        ] {
            assert_eq!(normalize_host(bad), None, "{bad:.40}");
        }
    }

    #[test]
    fn names_must_be_dns_names() {
        let long_label = format!("{}.example", "a".repeat(64));
        let long_name = format!("{}example", "abcdefghi.".repeat(25));
        for bad in [
            long_label.as_str(),
            long_name.as_str(),
            "a..b",
            ".",
            ".example",
            "a:b:c",
        ] {
            assert_eq!(normalize_host(bad), None, "{bad}");
        }
        assert_eq!(
            normalize_host(&format!("{}.example", "a".repeat(63))).map(|h| h.len()),
            Some(71)
        );
    }
}
