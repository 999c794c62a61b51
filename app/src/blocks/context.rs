//! What blocks may read besides their props: the slice of the catalogue the page needs.
//! The server fills it before rendering; the editor fills it from its product picker data.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;

/// A product as a grid shows it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProductCard {
    pub handle: String,
    pub title: String,
    pub image: Option<String>,
    /// Lowest variant price in minor units.
    pub price: i64,
    pub currency: String,
    pub featured: bool,
    pub available: bool,
    /// A rental's price is per day.
    pub kind: crate::commerce::ProductKind,
}

/// A variant as the product page shows it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct VariantView {
    pub id: i64,
    pub title: String,
    pub price: i64,
    pub currency: String,
    pub inventory: i32,
    /// Refundable deposit per unit (rentals).
    pub deposit: i64,
}

/// A product as its own page shows it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProductDetail {
    pub handle: String,
    pub title: String,
    pub description: String,
    pub images: Vec<String>,
    /// Sold, or rented by the day (the product page then asks for dates).
    pub kind: crate::commerce::ProductKind,
    pub variants: Vec<VariantView>,
}

/// Catalogue data provided as Leptos context while a page renders.
#[derive(Clone, Debug, Default)]
pub struct BlockContext {
    /// Products in listing order (already limited to what the page's grids can show).
    pub products: Arc<Vec<ProductCard>>,
    /// Details of the products a page shows in full, by handle.
    pub details: Arc<HashMap<String, ProductDetail>>,
    /// The product of a `/products/{handle}` page, used by `product_detail` blocks whose
    /// `product` prop is empty.
    pub page_product: Option<String>,
    /// The visitor's cart, on the pages that show it (cart, checkout); `None` elsewhere, so
    /// those pages stay the same for every visitor and cacheable.
    pub cart: Option<Arc<crate::commerce::CartView>>,
}

impl BlockContext {
    /// The product a `product_detail` block should show.
    pub fn detail_for(&self, handle: &str) -> Option<&ProductDetail> {
        let handle = if handle.is_empty() {
            self.page_product.as_deref()?
        } else {
            handle
        };
        self.details.get(handle)
    }
}
