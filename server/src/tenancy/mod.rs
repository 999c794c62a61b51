//! Tenancy: which shop a request is for, chosen by its Host header alone.

use entity::{shop, shop_domain};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// Normalises a Host header value: lower-cased, port and trailing dot stripped, IPv6
/// brackets kept. `None` for values that cannot be a host name.
pub fn normalize_host(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let host = if raw.starts_with('[') {
        // [::1]:3000 → [::1]
        let end = raw.find(']')?;
        &raw[..=end]
    } else {
        match raw.rsplit_once(':') {
            Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
            Some(_) => return None,
            None => raw,
        }
    };
    let host = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
    let valid = !host.is_empty()
        && host.len() <= 253
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '[' | ']' | ':'));
    valid.then_some(host)
}

/// The shop a request belongs to.
#[derive(Clone, Debug)]
pub struct Tenant {
    pub shop: shop::Model,
    /// The shop's primary host, for canonical links.
    pub primary_host: String,
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
    let primary_host = primary_host(db, shop.id).await?.unwrap_or(domain.host);
    Ok(Some(Tenant { shop, primary_host }))
}

/// When a host was looked up, and what it resolved to.
type CachedTenant = (Instant, Option<Arc<Tenant>>);

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
/// are remembered briefly too, so a flood of them does not reach the database.
pub struct TenantCache {
    entries: RwLock<HashMap<String, CachedTenant>>,
    ttl: Duration,
    negative_ttl: Duration,
    max_entries: usize,
}

impl TenantCache {
    pub fn new(ttl: Duration, negative_ttl: Duration) -> Self {
        Self {
            entries: RwLock::new(HashMap::new()),
            ttl,
            negative_ttl,
            max_entries: 10_000,
        }
    }

    /// The tenant for `host` (already normalised), from memory or the database.
    pub async fn resolve(
        &self,
        db: &DatabaseConnection,
        host: &str,
    ) -> Result<Option<Arc<Tenant>>, DbErr> {
        if let Some((at, tenant)) = self.entries.read().expect("tenant cache lock").get(host) {
            let ttl = if tenant.is_some() {
                self.ttl
            } else {
                self.negative_ttl
            };
            if at.elapsed() < ttl {
                return Ok(tenant.clone());
            }
        }
        let tenant = resolve_host(db, host).await?.map(Arc::new);
        let mut entries = self.entries.write().expect("tenant cache lock");
        if entries.len() >= self.max_entries {
            entries.clear();
        }
        entries.insert(host.to_string(), (Instant::now(), tenant.clone()));
        Ok(tenant)
    }

    /// Forgets every host of a shop (after its domains or settings change).
    pub fn invalidate_shop(&self, shop_id: i64) {
        self.entries
            .write()
            .expect("tenant cache lock")
            .retain(|_, (_, t)| t.as_ref().is_some_and(|t| t.shop.id != shop_id));
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
}
