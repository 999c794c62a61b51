//! Seeds many shops for the cold-storefront benchmark (`bench/storefront --shops N`): each shop
//! `shopN` (host `shopN.localhost`) gets three products and ten published pages — a home page
//! with a hero, a product grid and text, and nine content pages (`/pages/p1` … `/pages/p9`)
//! of hero, columns, rich text and a gallery — all through the real publish service.
//!
//! Usage: many_shops DATABASE_URL SHOPS

use app::blocks::BlockNode;
use chrono::Utc;
use entity::{page, product, product_variant, shop, shop_domain};
use sea_orm::{ActiveModelTrait, Set, TransactionTrait};
use serde_json::json;

fn home(i: usize) -> serde_json::Value {
    json!([
        {"id": "hero", "type": "hero", "props": {"heading": format!("Shop {i}: goods for slow mornings"), "subheading": "Made by hand, sent with care", "cta_label": "Shop now", "cta_url": "/products"}},
        {"id": "grid", "type": "product_grid", "props": {"title": "Featured", "source": "featured", "limit": 8}},
        {"id": "story", "type": "rich_text", "props": {"heading": "Our story", "body": [{"insert": "We started in a small workshop by the sea. "}, {"insert": "Everything", "attributes": {"bold": true}}, {"insert": " we sell is made to last. Read "}, {"insert": "about us", "attributes": {"link": "/pages/p1"}}, {"insert": "."}]}},
        {"id": "line", "type": "divider", "props": {"style": "solid", "color": "muted"}},
        {"id": "cta", "type": "button", "props": {"label": "See everything", "url": "/products"}}
    ])
}

fn content(i: usize, j: usize) -> serde_json::Value {
    let columns: Vec<_> = (0..3)
        .map(|k| json!({"id": format!("t{k}"), "type": "rich_text", "props": {"heading": format!("Part {k}"), "body": [{"insert": format!("Shop {i}, page {j}, part {k}: a paragraph of text long enough to look like a real one, with a "), }, {"insert": "link", "attributes": {"link": "/products"}}, {"insert": " in it."}]}}))
        .collect();
    json!([
        {"id": "hero", "type": "hero", "props": {"heading": format!("Page {j} of shop {i}"), "subheading": "Something worth reading", "cta_label": "Shop", "cta_url": "/products"}},
        {"id": "cols", "type": "columns", "props": {"columns": 3}, "children": columns},
        {"id": "gallery", "type": "gallery", "props": {"images": [{"src": "/images/gallery/coast.svg", "alt": "Coast"}, {"src": "/images/gallery/forest.svg", "alt": "Forest"}, {"src": "/images/gallery/harbor.svg", "alt": "Harbour"}]}},
        {"id": "gap", "type": "spacer", "props": {"size": "md"}},
        {"id": "more", "type": "rich_text", "props": {"body": [{"insert": "Thanks for reading."}]}}
    ])
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let url = args.next().expect("usage: many_shops DATABASE_URL SHOPS");
    let shops: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(1000);
    let db = server::db::connect_and_migrate(&url).await.expect("db");
    let state = server::AppState::new(db.clone(), server::Config::for_tests(&url));
    let publisher = state.publisher();
    let now = Utc::now();
    for i in 0..shops {
        let txn = db.begin().await.expect("txn");
        let s = shop::ActiveModel {
            handle: Set(format!("shop{i}")),
            name: Set(format!("Shop {i}")),
            locale: Set("en-GB".into()),
            currency: Set("EUR".into()),
            theme: Set(json!({})),
            tagline: Set("A shop among many".into()),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .expect("shop");
        shop_domain::ActiveModel {
            shop_id: Set(s.id),
            host: Set(format!("shop{i}.localhost")),
            is_primary: Set(true),
            verified: Set(true),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .expect("domain");
        for (position, name) in ["Mug", "Blanket", "Lantern"].into_iter().enumerate() {
            let p = product::ActiveModel {
                shop_id: Set(s.id),
                handle: Set(name.to_lowercase()),
                title: Set(format!("{name} {i}")),
                description: Set("Made to last.".into()),
                images: Set(json!(["/images/products/mug.svg"])),
                featured: Set(true),
                kind: Set("sale".into()),
                position: Set(position as i32),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await
            .expect("product");
            product_variant::ActiveModel {
                product_id: Set(p.id),
                shop_id: Set(s.id),
                title: Set("Default".into()),
                sku: Set(format!("S{i}-{position}")),
                price: Set(1900 + 100 * position as i64),
                currency: Set("EUR".into()),
                inventory: Set(50),
                deposit: Set(0),
                position: Set(0),
                ..Default::default()
            }
            .insert(&txn)
            .await
            .expect("variant");
        }
        txn.commit().await.expect("commit");
        let pages = std::iter::once(("home".to_string(), "Home".to_string(), "home", home(i)))
            .chain((1..10).map(|j| (format!("p{j}"), format!("Page {j}"), "page", content(i, j))));
        for (slug, title, page_type, blocks) in pages {
            let p = page::ActiveModel::new_page(s.id, &slug, &title, page_type)
                .insert(&db)
                .await
                .expect("page");
            let nodes: Vec<BlockNode> = serde_json::from_value(blocks).expect("nodes");
            publisher
                .publish_nodes(s.id, p.id, &nodes, None)
                .await
                .expect("publish");
        }
    }
    println!("{shops} shops × 10 pages seeded");
}
