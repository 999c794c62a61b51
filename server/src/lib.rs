//! Vitrine's server: configuration, database, tenancy, the storefront handlers, the publish
//! service, the sample seed and the CLI. `http::router` builds the whole axum app, so tests
//! drive exactly what production serves.

// The editor's view types nest deeply; release builds need more room to compute their layout.
#![recursion_limit = "512"]

pub mod api;
pub mod auth;
pub mod cli;
pub mod collab;
pub mod commerce;
pub mod config;
pub mod db;
pub mod error;
pub mod http;
pub mod lifecycle;
pub mod observability;
pub mod pages;
pub mod payments;
pub mod preview;
pub mod publish;
pub mod seed;
pub mod smoke;
pub mod state;
pub mod storefront;
mod sync;
pub mod tenancy;

pub use config::Config;
pub use state::AppState;
