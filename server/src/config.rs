//! Configuration from the environment (a `.env` file is read first if present) and flags.

use clap::{Args, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;

/// Where Vitrine runs; decides cookie security and log format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Environment {
    Dev,
    Stage,
    Prod,
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
        value_enum,
        default_value = "dev",
        global = true
    )]
    pub env: Environment,

    /// Cache rendered storefront pages in memory (`on`/`off`).
    #[arg(long, env = "VITRINE_RENDER_CACHE", default_value = "on", value_parser = parse_on_off, global = true)]
    pub render_cache: bool,

    /// Preview-link signing keys, `kid:secret,kid:secret,…`; the first signs, all verify.
    /// Rotate by putting a new key first and keeping the old one until its links expire.
    /// Required outside `dev` (in `dev` a fixed development key is used when unset).
    #[arg(
        long,
        env = "VITRINE_PREVIEW_KEYS",
        global = true,
        hide_env_values = true
    )]
    pub preview_keys: Option<String>,

    /// Directory with the built site (stylesheet, wasm, images): cargo-leptos' site root.
    #[arg(
        long,
        env = "LEPTOS_SITE_ROOT",
        default_value = "target/site",
        global = true
    )]
    pub site_root: PathBuf,
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
            preview_keys: None,
            site_root: PathBuf::from("target/site"),
        }
    }

    pub fn is_dev(&self) -> bool {
        self.env == Environment::Dev
    }

    /// The scheme customers reach shops with.
    pub fn scheme(&self) -> &'static str {
        if self.is_dev() { "http" } else { "https" }
    }
}

impl Config {
    /// The preview keyring from `VITRINE_PREVIEW_KEYS`; a fixed development key in `dev` when
    /// unset; an error elsewhere.
    pub fn preview_keyring(&self) -> Result<crate::preview::Keyring, String> {
        match &self.preview_keys {
            Some(spec) => crate::preview::Keyring::parse(spec)
                .map_err(|e| format!("VITRINE_PREVIEW_KEYS: {e}")),
            None if self.is_dev() => Ok(crate::preview::Keyring::development()),
            None => Err("VITRINE_PREVIEW_KEYS must be set outside dev".into()),
        }
    }
}
