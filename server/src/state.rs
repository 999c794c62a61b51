//! Shared server state handed to every handler.

use crate::auth::rate_limit::LoginLimiter;
use crate::collab::{Hub, Limits};
use crate::config::Config;
use crate::preview::Keyring;
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
    pub hub: Arc<Hub>,
    pub login_limiter: Arc<LoginLimiter>,
    pub preview_keys: Arc<Keyring>,
    pub leptos_options: LeptosOptions,
}

impl AppState {
    pub fn new(db: DatabaseConnection, config: Config) -> Self {
        Self::with_limits(db, config, Limits::default())
    }

    /// State with explicit collaboration limits (tests use small ones).
    pub fn with_limits(db: DatabaseConnection, config: Config, limits: Limits) -> Self {
        let leptos_options = LeptosOptions::builder()
            .output_name("vitrine")
            .site_root(config.site_root.to_string_lossy().to_string())
            .site_pkg_dir("pkg")
            .site_addr(config.addr)
            .build();
        Self {
            db: db.clone(),
            render_cache: Arc::new(RenderCache::new(config.render_cache, 10_000)),
            revisions: Arc::new(RevisionCache::new(2_000)),
            tenants: Arc::new(TenantCache::new(
                Duration::from_secs(30),
                Duration::from_secs(5),
            )),
            hub: Hub::new(db.clone(), limits),
            // 10 failures per client address and 5 per email in 15 minutes.
            login_limiter: Arc::new(LoginLimiter::new(Duration::from_secs(15 * 60), 10, 5)),
            preview_keys: Arc::new(config.preview_keyring().unwrap_or_else(|e| {
                // `serve` refuses to start on this; other commands never check links.
                tracing::warn!("{e}; preview links use a throwaway key");
                Keyring::ephemeral()
            })),
            config: Arc::new(config),
            leptos_options,
        }
    }

    /// The publish service, wired to this state's cache.
    pub fn publisher(&self) -> crate::publish::Publisher {
        crate::publish::Publisher::new(self.db.clone(), self.render_cache.clone())
    }
}
