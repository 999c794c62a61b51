//! Shared server state handed to every handler.

use crate::auth::password::HashGate;
use crate::auth::rate_limit::{LoginLimiter, LoginLimits};
use crate::collab::{Hub, Limits};
use crate::config::Config;
use crate::payments::Payments;
use crate::preview::Keyring;
use crate::storefront::cache::RenderCache;
use crate::storefront::load::RevisionCache;
use crate::tenancy::TenantCache;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub render_cache: Arc<RenderCache>,
    pub revisions: Arc<RevisionCache>,
    pub tenants: Arc<TenantCache>,
    pub hub: Arc<Hub>,
    /// Cancelled once, when the server stops (Ctrl-C or SIGTERM): open sockets close, preview
    /// streams end, background tasks stop, and then the hub compacts its rooms.
    pub shutdown: CancellationToken,
    pub login_limiter: Arc<LoginLimiter>,
    /// Bounds the password checks running at once (logins beyond it get `503`).
    pub hash_gate: Arc<HashGate>,
    pub preview_keys: Arc<Keyring>,
    /// The payment provider and webhook secret (none of either: checkout is off).
    pub payments: Arc<Payments>,
    /// Commerce's writes take turns here (see [`crate::commerce::WriteGate`]).
    pub commerce_writes: Arc<crate::commerce::WriteGate>,
    /// Wakes the lifecycle job worker (see [`crate::lifecycle::jobs`]).
    pub jobs: Arc<crate::lifecycle::jobs::Jobs>,
    /// Recent server errors per shop (health badges).
    pub errors: Arc<crate::observability::ErrorLog>,
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
        let shutdown = CancellationToken::new();
        let state = Self {
            db: db.clone(),
            render_cache: Arc::new(RenderCache::new(
                config.render_cache,
                config.render_cache_bytes(),
            )),
            revisions: Arc::new(RevisionCache::new(
                crate::storefront::load::REVISION_CACHE_BYTES,
            )),
            tenants: Arc::new(TenantCache::new(
                Duration::from_secs(30),
                Duration::from_secs(5),
            )),
            hub: Hub::with_shutdown(db.clone(), limits, &shutdown),
            shutdown,
            login_limiter: Arc::new(LoginLimiter::new(LoginLimits::default())),
            hash_gate: Arc::new(HashGate::for_config(&config)),
            // Configured keys, else a throwaway one: tests and the commands other than `serve`
            // check no links and must not write key files. `serve` installs its keys (the
            // development key kept on disk) with `with_preview_keys`.
            preview_keys: Arc::new(match &config.preview_keys {
                Some(spec) => Keyring::parse(spec).unwrap_or_else(|e| {
                    // `serve` refuses to start on this.
                    tracing::warn!("VITRINE_PREVIEW_KEYS: {e}; preview links use a throwaway key");
                    Keyring::ephemeral()
                }),
                None => Keyring::ephemeral(),
            }),
            payments: Arc::new(Payments::from_config(&config)),
            jobs: Arc::default(),
            errors: Arc::default(),
            commerce_writes: Arc::new(crate::commerce::WriteGate::for_backend(
                db.get_database_backend(),
                config.commerce_share,
            )),
            config: Arc::new(config),
            leptos_options,
        };
        // Replicas on one PostgreSQL database share rooms, publishes and preview signals.
        if let Some(replicas) = state.hub.replicas() {
            state.render_cache.relay_to(replicas.clone());
            crate::collab::replicas::spawn_listener(
                &state.hub,
                &state.render_cache,
                &state.tenants,
            );
        }
        state
    }

    /// This state signing and checking preview links with `keys`.
    pub fn with_preview_keys(mut self, keys: Keyring) -> Self {
        self.preview_keys = Arc::new(keys);
        self
    }

    /// This state taking payments through `payments` (`serve` installs the development
    /// stub this way; tests point it at theirs).
    pub fn with_payments(mut self, payments: Payments) -> Self {
        self.payments = Arc::new(payments);
        self
    }

    /// The publish service, wired to this state's cache.
    pub fn publisher(&self) -> crate::publish::Publisher {
        crate::publish::Publisher::new(self.db.clone(), self.render_cache.clone())
    }
}
