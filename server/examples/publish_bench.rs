//! Publish benchmark (run by `bench/publish`): publishes a 200-block page repeatedly through
//! the real publish service on a SQLite file and prints p50/p99 latency.
//!
//! Usage: publish_bench [ITERATIONS]

use app::blocks::BlockNode;
use sea_orm::ActiveModelTrait;
use serde_json::json;
use std::time::Instant;

#[tokio::main]
async fn main() {
    let iterations: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    let path =
        std::env::temp_dir().join(format!("vitrine-publish-bench-{}.db", std::process::id()));
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let db = server::db::connect_and_migrate(&url).await.expect("db");
    let state = server::AppState::new(db.clone(), server::Config::for_tests(&url));
    server::seed::sample(&state).await.expect("seed");
    let page = entity::page::ActiveModel::new_page(1, "big", "Big page", "page")
        .insert(&db)
        .await
        .expect("page");

    // 200 blocks: 32 columns containers with 4 children each (160) + 40 top-level blocks.
    let tree = |round: usize| -> Vec<BlockNode> {
        let mut blocks = Vec::new();
        for i in 0..32 {
            let children: Vec<_> = (0..4)
                .map(|j| match j {
                    0 => json!({"id": format!("h{i}"), "type": "hero", "props": {"heading": format!("Heading {i} round {round}"), "subheading": "Sub", "cta_label": "Go", "cta_url": "/products"}}),
                    1 => json!({"id": format!("t{i}"), "type": "rich_text", "props": {"body": [{"insert": "Some "}, {"insert": "bold", "attributes": {"bold": true}}, {"insert": " text and a "}, {"insert": "link", "attributes": {"link": "/pages/about"}}]}}),
                    2 => json!({"id": format!("g{i}"), "type": "gallery", "props": {"images": [{"src": "/images/gallery/coast.svg", "alt": "Coast"}, {"src": "/images/gallery/forest.svg", "alt": "Forest"}]}}),
                    _ => json!({"id": format!("b{i}"), "type": "button", "props": {"label": "Shop", "url": "/products"}}),
                })
                .collect();
            blocks.push(json!({"id": format!("c{i}"), "type": "columns", "props": {"columns": 4}, "children": children}));
        }
        for i in 0..40 {
            blocks.push(json!({"id": format!("s{i}"), "type": if i % 2 == 0 { "spacer" } else { "divider" }}));
        }
        serde_json::from_value(json!(blocks)).expect("nodes")
    };
    let count: usize = tree(0).iter().map(|b| 1 + b.children.len()).sum();
    let publisher = state.publisher();
    let mut times = Vec::with_capacity(iterations);
    for round in 0..iterations + 5 {
        let nodes = tree(round);
        let started = Instant::now();
        let published = publisher
            .publish_nodes(1, page.id, &nodes, None)
            .await
            .expect("publish");
        let elapsed = started.elapsed().as_secs_f64() * 1000.0;
        assert!(!published.unchanged);
        if round >= 5 {
            times.push(elapsed);
        }
    }
    times.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| times[((times.len() as f64 - 1.0) * p).round() as usize];
    println!(
        "publishing a {count}-block page, {iterations} times (validate + one transaction + cache invalidation), SQLite file, release build"
    );
    println!(
        "p50 {:.2} ms   p99 {:.2} ms   max {:.2} ms   (target p99 < 50 ms)",
        pct(0.5),
        pct(0.99),
        pct(1.0)
    );
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}
