//! The core pages' starting block trees (`app::shop_config::PAGE_TEMPLATES`), filled in with
//! the shop's name and tagline. Editors change them in the editor like any page.

use app::blocks::BlockNode;
use app::shop_config::{PageTemplate, ShopConfig};
use serde_json::{Value, json};

/// The blocks of `template` for the shop of `config`.
pub fn blocks(template: &PageTemplate, config: &ShopConfig) -> Result<Vec<BlockNode>, String> {
    let name = &config.basics.name;
    let tagline = if config.basics.tagline.is_empty() {
        "Welcome to our shop."
    } else {
        config.basics.tagline.as_str()
    };
    let tree: Value = match template.key {
        "home" => json!([
            {"id": "home-hero", "type": "hero", "props": {
                "heading": name, "subheading": tagline,
                "image": "/images/hero/harbor-hero.svg",
                "cta_label": "Shop now", "cta_url": "/products", "align": "left"}},
            {"id": "home-featured", "type": "product_grid", "props": {
                "title": "Featured", "source": "featured", "limit": 4, "columns": 4}},
            {"id": "home-story", "type": "rich_text", "props": {
                "heading": format!("About {name}"), "align": "center",
                "body": "Tell your customers who you are and what makes your products special."}},
            {"id": "home-cta", "type": "button", "props": {
                "label": "Browse all products", "url": "/products", "style": "primary", "align": "center"}}
        ]),
        "product_list" => json!([
            {"id": "shop-intro", "type": "rich_text", "props": {
                "heading": "All products", "body": format!("Everything {name} offers, in one place."), "width": "wide"}},
            {"id": "shop-grid", "type": "product_grid", "props": {"title": "", "limit": 24, "columns": 4}}
        ]),
        "product_detail" => json!([
            {"id": "product-detail", "type": "product_detail", "props": {"show_description": true, "show_inventory": true}},
            {"id": "product-more", "type": "product_grid", "props": {"title": "You may also like", "source": "featured", "limit": 4}}
        ]),
        "about" => json!([
            {"id": "about-intro", "type": "rich_text", "props": {
                "heading": format!("About {name}"), "width": "wide",
                "body": "Who you are, how you started and what you care about — a few paragraphs are enough."}}
        ]),
        "cart" => json!([{"id": "cart", "type": "cart_section", "props": {"title": "Your cart"}}]),
        "checkout" => json!([{"id": "checkout", "type": "checkout_section", "props": {
            "note": "Payment is handled by our payment partner."}}]),
        other => return Err(format!("no template `{other}`")),
    };
    serde_json::from_value(tree).map_err(|e| format!("template `{}`: {e}", template.key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::shop_config::PAGE_TEMPLATES;

    #[test]
    fn every_template_reads_as_valid_blocks_of_its_page_type() {
        let config = ShopConfig::starter("Fern & Flint");
        for template in PAGE_TEMPLATES {
            let nodes = blocks(template, &config).expect("template reads");
            assert!(!nodes.is_empty(), "{}", template.key);
            let page_type =
                app::blocks::PageType::from_name(template.page_type).expect("page type");
            let validated = crate::publish::validate_draft(page_type, &nodes);
            assert!(validated.is_ok(), "{}: {validated:?}", template.key);
        }
    }
}
