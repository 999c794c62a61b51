//! Configuration from the environment (a `.env` file is read first if present) and flags.

use app::route::ShopOrigins;
use clap::Args;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Where Vitrine runs; decides cookie security and log format. The same three environments
/// a shop is launched to.
pub use app::shop_config::Environment;

fn parse_environment(s: &str) -> Result<Environment, String> {
    Environment::parse(s).ok_or_else(|| format!("`{s}` is not one of dev, stage, prod"))
}

/// Settings shared by every subcommand.
#[derive(Clone, Debug, Args)]
pub struct Config {
    /// Database URL: `sqlite://path?mode=rwc` or `postgres://…`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://data/vitrine.db?mode=rwc",
        global = true
    )]
    pub database_url: String,

    /// Address to listen on.
    #[arg(
        long,
        env = "VITRINE_ADDR",
        default_value = "127.0.0.1:3000",
        global = true
    )]
    pub addr: SocketAddr,

    /// Public base URL of the server (used in links it hands out), e.g. `https://vitrine.example`.
    #[arg(long, env = "VITRINE_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,

    /// `dev`, `stage` or `prod`.
    #[arg(
        long,
        env = "VITRINE_ENV",
        value_parser = parse_environment,
        default_value = "dev",
        global = true
    )]
    pub env: Environment,

    /// Cache rendered storefront pages in memory (`on`/`off`).
    #[arg(long, env = "VITRINE_RENDER_CACHE", default_value = "on", value_parser = parse_on_off, global = true)]
    pub render_cache: bool,

    /// Memory for cached storefront pages, in MiB. When full, the shop holding the most gives
    /// up its least recently used page.
    #[arg(
        long,
        env = "VITRINE_RENDER_CACHE_MIB",
        default_value_t = 64,
        value_parser = clap::value_parser!(u32).range(1..=65_536),
        global = true
    )]
    pub render_cache_mib: u32,

    /// Preview-link signing keys, `kid:secret,kid:secret,…`; the first signs, all verify.
    /// Rotate by putting a new key first and keeping the old one until its links expire.
    /// Required outside `dev`. In `dev`, when unset, a random key is generated on first start
    /// and kept in the data directory (`preview-key`, readable by its owner only).
    #[arg(
        long,
        env = "VITRINE_PREVIEW_KEYS",
        global = true,
        hide_env_values = true
    )]
    pub preview_keys: Option<String>,

    /// Directory for the server's own files (the generated preview key). Default: the
    /// directory of the SQLite database file, or `data` for other databases.
    #[arg(long, env = "VITRINE_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,

    /// Password checks that may run at once (each holds ~19 MiB); logins beyond them wait
    /// briefly in a short queue, then get `503` with `Retry-After`. Default: the number of
    /// CPUs, from 2 to 16.
    #[arg(
        long,
        env = "VITRINE_LOGIN_CONCURRENCY",
        global = true,
        value_parser = clap::value_parser!(u16).range(1..=1024)
    )]
    pub login_concurrency: Option<u16>,

    /// Directory with the built site (stylesheet, wasm, images): cargo-leptos' site root.
    #[arg(
        long,
        env = "LEPTOS_SITE_ROOT",
        default_value = "target/site",
        global = true
    )]
    pub site_root: PathBuf,

    /// The payment provider's secret API key (`sk_live_…`/`sk_test_…`). Checkout is off
    /// without it, except in `dev`, where `serve` runs the built-in test provider instead.
    #[arg(long, env = "STRIPE_SECRET_KEY", global = true, hide_env_values = true)]
    pub stripe_secret_key: Option<Secret>,

    /// The secret the provider signs webhooks with (`whsec_…`); webhooks are refused
    /// without it.
    #[arg(
        long,
        env = "STRIPE_WEBHOOK_SECRET",
        global = true,
        hide_env_values = true
    )]
    pub stripe_webhook_secret: Option<Secret>,

    /// Where the payment provider's API lives (tests and local runs point it at the stub).
    #[arg(
        long,
        env = "VITRINE_STRIPE_API_BASE",
        default_value = STRIPE_API_BASE,
        global = true
    )]
    pub stripe_api_base: String,

    /// Serve `/metrics` (Prometheus text format) alone on this address, e.g. `127.0.0.1:9100`.
    #[arg(long, env = "VITRINE_METRICS_ADDR", global = true)]
    pub metrics_addr: Option<SocketAddr>,

    /// Serve `/metrics` on the main address too, to requests carrying
    /// `Authorization: Bearer <this token>` (unset: `/metrics` is not there).
    #[arg(
        long,
        env = "VITRINE_METRICS_TOKEN",
        global = true,
        hide_env_values = true
    )]
    pub metrics_token: Option<Secret>,

    /// Health badges: a shop whose last passed smoke run is older than this many hours
    /// "needs attention".
    #[arg(
        long,
        env = "VITRINE_HEALTH_SMOKE_STALE_HOURS",
        default_value_t = 24,
        global = true
    )]
    pub health_smoke_stale_hours: u32,

    /// Health badges: server errors are counted over this many minutes.
    #[arg(
        long,
        env = "VITRINE_HEALTH_ERROR_WINDOW_MINUTES",
        default_value_t = 15,
        global = true
    )]
    pub health_error_window_minutes: u32,

    /// Health badges: this many server errors in the window make a shop "broken" (one or
    /// more: "needs attention").
    #[arg(
        long,
        env = "VITRINE_HEALTH_BROKEN_ERRORS",
        default_value_t = 5,
        global = true
    )]
    pub health_broken_errors: u32,

    /// While shop pages are being served, the percent of the time cart changes and
    /// checkouts may hold the commerce write turn (1–100; 100: no limit). A checkout rush
    /// then slows down instead of crowding out the storefront; without page traffic commerce
    /// runs at full speed.
    #[arg(
        long,
        env = "VITRINE_COMMERCE_SHARE",
        default_value_t = 40,
        value_parser = clap::value_parser!(u32).range(1..=100),
        global = true
    )]
    pub commerce_share: u32,
}

/// The real payment provider's API origin.
pub const STRIPE_API_BASE: &str = "https://api.stripe.com";

/// A secret setting (an API key, a signing secret). Its `Debug` form hides the value, so a
/// logged or printed `Config` never shows it; read it with [`Secret::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the one place that must send or use it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_string()))
    }
}

fn parse_on_off(v: &str) -> Result<bool, String> {
    match v.to_ascii_lowercase().as_str() {
        "on" | "true" | "1" | "yes" => Ok(true),
        "off" | "false" | "0" | "no" => Ok(false),
        other => Err(format!("expected on or off, got `{other}`")),
    }
}

impl Config {
    /// A configuration for tests: the given database, no listening address needed.
    pub fn for_tests(database_url: &str) -> Self {
        Self {
            database_url: database_url.to_string(),
            addr: "127.0.0.1:0".parse().expect("static address"),
            public_url: None,
            env: Environment::Dev,
            render_cache: true,
            render_cache_mib: 64,
            preview_keys: None,
            data_dir: None,
            login_concurrency: None,
            site_root: PathBuf::from("target/site"),
            stripe_secret_key: None,
            stripe_webhook_secret: None,
            stripe_api_base: STRIPE_API_BASE.to_string(),
            metrics_addr: None,
            metrics_token: None,
            health_smoke_stale_hours: 24,
            health_error_window_minutes: 15,
            health_broken_errors: 5,
            commerce_share: 40,
        }
    }

    pub fn is_dev(&self) -> bool {
        self.env == Environment::Dev
    }

    /// The scheme customers reach shops with.
    pub fn scheme(&self) -> &'static str {
        self.shop_origins().scheme()
    }

    /// How this server's links reach shop hosts (see [`ShopOrigins`]): a development server
    /// names the port it is configured to listen on (`http://demo.localhost:3000`).
    pub fn shop_origins(&self) -> ShopOrigins {
        ShopOrigins {
            dev: self.is_dev(),
            port: self.addr.port(),
        }
    }

    /// Where customers reach a shop host: `scheme://host[:port]`, by [`ShopOrigins`]' rule.
    pub fn shop_origin(&self, host: &str) -> String {
        self.shop_origins().origin(host)
    }

    /// The payment provider's secret key, when one is set (an empty value counts as unset, as
    /// a blank line in `.env` would give).
    pub fn stripe_secret_key(&self) -> Option<&str> {
        non_empty(self.stripe_secret_key.as_ref())
    }

    /// The webhook signing secret, when one is set (empty counts as unset).
    pub fn stripe_webhook_secret(&self) -> Option<&str> {
        non_empty(self.stripe_webhook_secret.as_ref())
    }

    /// The render cache's bound in bytes.
    pub fn render_cache_bytes(&self) -> usize {
        usize::try_from(self.render_cache_mib)
            .unwrap_or(usize::MAX)
            .saturating_mul(1024 * 1024)
    }

    /// The directory for the server's own files: `VITRINE_DATA_DIR`, else the directory of
    /// the SQLite database file, else `data`.
    pub fn data_dir(&self) -> PathBuf {
        if let Some(dir) = &self.data_dir {
            return dir.clone();
        }
        sqlite_file(&self.database_url)
            .map(|file| match file.parent() {
                Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
                _ => PathBuf::from("."),
            })
            .unwrap_or_else(|| PathBuf::from("data"))
    }
}

fn non_empty(secret: Option<&Secret>) -> Option<&str> {
    secret.map(Secret::expose).filter(|s| !s.trim().is_empty())
}

/// The file of a `sqlite:` database URL; `None` for in-memory and other databases.
fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let in_memory =
        path.is_empty() || path == ":memory:" || query.split('&').any(|p| p == "mode=memory");
    (!in_memory).then(|| PathBuf::from(path))
}

impl Config {
    /// The preview keyring `serve` signs with, and where it came from: `VITRINE_PREVIEW_KEYS`;
    /// in `dev` when unset, the key kept in the data directory (generated on first start);
    /// an error elsewhere.
    pub fn preview_keyring(
        &self,
    ) -> Result<(crate::preview::Keyring, crate::preview::token::KeySource), String> {
        use crate::preview::Keyring;
        use crate::preview::token::KeySource;
        match &self.preview_keys {
            Some(spec) => Keyring::parse(spec)
                .map(|keys| (keys, KeySource::Configured))
                .map_err(|e| format!("VITRINE_PREVIEW_KEYS: {e}")),
            None if self.is_dev() => {
                Keyring::load_or_generate(&self.data_dir().join(PREVIEW_KEY_FILE))
            }
            None => {
                Err("VITRINE_PREVIEW_KEYS must be set outside dev (VITRINE_ENV is not dev)".into())
            }
        }
    }
}

/// The file in the data directory that keeps a development server's preview key.
pub const PREVIEW_KEY_FILE: &str = "preview-key";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_data_directory_follows_the_sqlite_file() {
        let dir = |url: &str| Config::for_tests(url).data_dir();
        assert_eq!(
            dir("sqlite://data/vitrine.db?mode=rwc"),
            PathBuf::from("data")
        );
        assert_eq!(dir("sqlite:///var/lib/v/v.db"), PathBuf::from("/var/lib/v"));
        assert_eq!(dir("sqlite:vitrine.db"), PathBuf::from("."));
        assert_eq!(dir("sqlite::memory:"), PathBuf::from("data"));
        assert_eq!(dir("sqlite://x.db?mode=memory"), PathBuf::from("data"));
        assert_eq!(dir("postgres://db/vitrine"), PathBuf::from("data"));
        let mut config = Config::for_tests("sqlite://data/vitrine.db");
        config.data_dir = Some(PathBuf::from("/srv/vitrine"));
        assert_eq!(config.data_dir(), PathBuf::from("/srv/vitrine"));
    }

    #[test]
    fn shop_origins_name_the_servers_port_only_in_development() {
        let mut config = Config::for_tests("sqlite::memory:");
        assert_eq!(config.shop_origin("a.localhost"), "http://a.localhost");
        config.addr = "127.0.0.1:3000".parse().unwrap();
        assert_eq!(config.shop_origin("a.localhost"), "http://a.localhost:3000");
        config.env = Environment::Prod;
        assert_eq!(config.shop_origin("shop.example"), "https://shop.example");
    }

    #[test]
    fn payment_secrets_never_show_in_debug_output_and_blank_ones_are_unset() {
        let mut config = Config::for_tests("sqlite::memory:");
        config.stripe_secret_key = Some(Secret::new("sk_test_very_secret"));
        config.stripe_webhook_secret = Some(Secret::new("  "));
        let shown = format!("{config:?}");
        assert!(!shown.contains("sk_test_very_secret"), "{shown}");
        assert_eq!(config.stripe_secret_key(), Some("sk_test_very_secret"));
        assert_eq!(config.stripe_webhook_secret(), None);
    }
}
