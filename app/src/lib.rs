//! Vitrine's isomorphic UI: the block library shared by the storefront and the editor, the
//! storefront page views, and the admin shell (the only part that hydrates).

// The editor's view types nest deeply; release builds need more room to compute their layout.
#![recursion_limit = "512"]

pub mod admin;
pub mod api_types;
pub mod blocks;
pub mod commerce;
pub mod draft;
pub mod lifecycle;
pub mod money;
pub mod route;
pub mod safe_url;
pub mod shop_config;
pub mod storefront;
pub mod theme;

pub use admin::{App, shell};
