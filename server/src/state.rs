//! Shared server state handed to every handler.

use crate::config::Config;
use crate::storefront::cache::RenderCache;
use crate::storefront::load::RevisionCache;
use crate::tenancy::TenantCache;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub render_cache: Arc<RenderCache>,
    pub revisions: Arc<RevisionCache>,
    pub tenants: Arc<TenantCache>,
    pub leptos_options: LeptosOptions,
}

impl AppState {
    pub fn new(db: DatabaseConnection, config: Config) -> Self {
        let leptos_options = LeptosOptions::builder()
            .output_name("vitrine")
            .site_root(config.site_root.to_string_lossy().to_string())
            .site_pkg_dir("pkg")
            .site_addr(config.addr)
            .build();
        Self {
            db,
            render_cache: Arc::new(RenderCache::new(config.render_cache, 10_000)),
            revisions: Arc::new(RevisionCache::new(2_000)),
            tenants: Arc::new(TenantCache::new(
                Duration::from_secs(30),
                Duration::from_secs(5),
            )),
            config: Arc::new(config),
            leptos_options,
        }
    }

    /// The publish service, wired to this state's cache.
    pub fn publisher(&self) -> crate::publish::Publisher {
        crate::publish::Publisher::new(self.db.clone(), self.render_cache.clone())
    }
}
