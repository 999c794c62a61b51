pub use super::page::Entity as Page;
pub use super::product::Entity as Product;
pub use super::product_variant::Entity as ProductVariant;
pub use super::published_block::Entity as PublishedBlock;
pub use super::published_page::Entity as PublishedPage;
pub use super::shop::Entity as Shop;
pub use super::shop_domain::Entity as ShopDomain;
