//! SeaORM entities, one file per table. Every tenant-owned row carries `shop_id`; queries
//! are always scoped by it.

pub mod cart;
pub mod cart_line;
pub mod config_draft;
pub mod draft_snapshot;
pub mod draft_update;
pub mod job;
pub mod job_event;
pub mod membership;
pub mod order_line;
pub mod page;
pub mod payment_event;
pub mod prelude;
pub mod preview_link;
pub mod product;
pub mod product_variant;
pub mod published_block;
pub mod published_page;
pub mod release;
pub mod session;
pub mod shop;
pub mod shop_domain;
pub mod shop_environment;
pub mod shop_order;
pub mod user;
