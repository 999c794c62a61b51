//! The storefront over real HTTP: the sample shop's pages, head metadata, catalogue pages,
//! request ids, and hostile content that must come out inert.

use crate::common;

use crate::common::TestApp;
use scraper::{Html, Selector};
use serde_json::json;

async fn seeded() -> TestApp {
    let app = TestApp::spawn().await;
    server::seed::sample(&app.state).await.expect("seed");
    app
}

fn select<'a>(doc: &'a Html, css: &str) -> Vec<scraper::ElementRef<'a>> {
    doc.select(&Selector::parse(css).expect("selector"))
        .collect()
}

#[tokio::test]
async fn the_sample_home_page_renders_every_block_with_head_metadata() {
    let app = seeded().await;
    let (status, body) = app.get("demo.localhost:3000", "/").await;
    assert_eq!(status, 200);
    let doc = Html::parse_document(&body);
    for t in [
        "hero",
        "product_grid",
        "columns",
        "image",
        "rich_text",
        "divider",
        "gallery",
        "spacer",
        "button",
    ] {
        assert!(
            !select(&doc, &format!("[data-block-type={t}]")).is_empty(),
            "home lacks a {t} block"
        );
    }
    for el in select(&doc, "[data-block-type]") {
        assert!(
            el.value()
                .attr("data-block-id")
                .is_some_and(|id| !id.is_empty())
        );
    }
    let title = select(&doc, "title")[0].text().collect::<String>();
    assert_eq!(
        title,
        "Harbor & Pine — Goods for slow mornings and long walks"
    );
    let canonical = select(&doc, "link[rel=canonical]")[0]
        .value()
        .attr("href")
        .unwrap()
        .to_string();
    // The primary host, without the port the request named (the test server's own address
    // has none to give; see edge.rs for a development server's port).
    assert_eq!(canonical, "http://demo.localhost/");
    assert!(
        select(&doc, "meta[name=description]")[0]
            .value()
            .attr("content")
            .unwrap()
            .contains("workshop")
    );
    // Featured products in the grid, with prices.
    assert_eq!(
        select(&doc, "[data-block-id=home-featured] a[data-product-handle]").len(),
        4
    );
    assert!(body.contains("€24.00"));
    // Theme tokens reach the page as CSS variables.
    assert!(
        select(&doc, "body")[0]
            .value()
            .attr("style")
            .unwrap()
            .contains("--vt-primary:#1f4d3a")
    );
    // No wasm, no hydration, no script at all.
    assert!(select(&doc, "script").is_empty());
    assert!(!body.contains(".wasm"));
    // The header links to published pages.
    assert!(!select(&doc, "header a[href='/pages/about']").is_empty());
}

#[tokio::test]
async fn catalogue_and_content_pages() {
    let app = seeded().await;
    let (status, body) = app.get("localhost:3000", "/products").await;
    assert_eq!(status, 200);
    let doc = Html::parse_document(&body);
    assert_eq!(
        select(&doc, "[data-block-id=shop-grid] a[data-product-handle]").len(),
        13
    );

    let (status, body) = app.get("demo.localhost", "/products/copper-kettle").await;
    assert_eq!(status, 200);
    let doc = Html::parse_document(&body);
    assert_eq!(
        select(&doc, "title")[0].text().collect::<String>(),
        "Copper Kettle · Harbor & Pine"
    );
    assert!(
        !select(
            &doc,
            "[data-block-type=product_detail] form[action='/api/cart']"
        )
        .is_empty()
    );
    assert!(body.contains("€119.00"));
    // "You may also like" shows four other featured products, not this one.
    let more: Vec<_> = select(&doc, "[data-block-id=product-more] a[data-product-handle]")
        .into_iter()
        .map(|a| a.value().attr("data-product-handle").unwrap().to_string())
        .collect();
    assert_eq!(more.len(), 4, "{more:?}");
    assert!(!more.contains(&"copper-kettle".to_string()));

    let (status, body) = app.get("demo.localhost", "/products/brass-lantern").await;
    assert_eq!(status, 200);
    assert!(body.contains("Sold out"));

    for path in ["/pages/about", "/pages/shipping", "/cart", "/checkout"] {
        let (status, _) = app.get("demo.localhost", path).await;
        assert_eq!(status, 200, "{path}");
    }
    let (_, body) = app.get("demo.localhost", "/cart").await;
    assert!(body.contains("data-block-type=\"cart_section\""));

    for path in ["/pages/nope", "/products/nope", "/no/such/path"] {
        let (status, body) = app.get("demo.localhost", path).await;
        assert_eq!(status, 404, "{path}");
        assert!(
            body.contains("This page does not exist") && body.contains("Harbor &amp; Pine"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn request_ids_and_health() {
    let app = seeded().await;
    let res = app
        .client
        .get(format!("{}/", app.base))
        .header("host", "demo.localhost")
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "abc-123");
    let res = app
        .client
        .get(format!("{}/", app.base))
        .header("host", "demo.localhost")
        .send()
        .await
        .unwrap();
    assert!(
        res.headers()["x-request-id"].to_str().unwrap().len() >= 32,
        "a generated id"
    );
    let res = app
        .client
        .get(format!("{}/healthz", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn seeding_twice_is_harmless() {
    let app = seeded().await;
    let report = server::seed::sample(&app.state).await.expect("second seed");
    assert!(report.contains("already present"));
    // The report tells where to log in, and that login works.
    assert!(
        report.contains("editor@harborandpine.example / vitrine-demo"),
        "{report}"
    );
    common::login(&app, "editor@harborandpine.example", "vitrine-demo").await;
}

/// Hostile input in every text-like prop comes out as text: no script element, no event
/// handler attribute, no `javascript:` URL.
#[tokio::test]
async fn hostile_content_is_inert() {
    let app = TestApp::spawn().await;
    let shop = app.create_shop("alpha", "Alpha").await;
    let page = app
        .create_page(shop, "x", "<script>alert('title')</script>", "page")
        .await;
    let evil = r#"</p><script>alert(1)</script><img src=x onerror=alert(2)>"><svg onload=alert(3)>' onmouseover='alert(4)"#;
    let short = r#"<script>alert(8)</script>"><b onclick=x>"#;
    let blocks = json!([
        {"id": "hero", "type": "hero", "props": {"heading": evil, "subheading": evil, "cta_label": short, "cta_url": "/ok\" onclick=\"alert(5)", "image": "/x.svg\" onerror=\"alert(6)"}},
        {"id": "rt", "type": "rich_text", "props": {"heading": evil, "body": [
            {"insert": evil},
            {"insert": "link", "attributes": {"link": "/fine?a=\"><script>alert(7)</script>"}}
        ]}},
        {"id": "img", "type": "image", "props": {"src": "/a.svg", "alt": evil, "caption": evil, "link": "https://example.com/\"onmouseover=\"x"}},
        {"id": "gal", "type": "gallery", "props": {"title": evil, "images": [{"src": "/g.svg", "alt": evil}]}},
        {"id": "btn", "type": "button", "props": {"label": short, "url": "mailto:a@b.c?subject=<script>"}},
        {"id": "cols", "type": "columns", "children": [{"id": "in", "type": "rich_text", "props": {"body": evil}}]},
        {"id": "pg", "type": "product_grid", "props": {"title": evil}}
    ]);
    app.publish(shop, page, blocks).await;
    let (status, body) = app.get("alpha.localhost", "/pages/x").await;
    assert_eq!(status, 200);
    let doc = Html::parse_document(&body);
    assert!(
        select(&doc, "script").is_empty(),
        "script element in {body}"
    );
    assert!(select(&doc, "svg").is_empty());
    for el in select(&doc, "*") {
        for (name, value) in el.value().attrs() {
            assert!(
                !name.to_ascii_lowercase().starts_with("on"),
                "event handler {name}={value}"
            );
            assert!(
                !value.trim().to_ascii_lowercase().starts_with("javascript:"),
                "{name}={value}"
            );
        }
    }
    // The text is shown, escaped.
    assert!(
        doc.root_element()
            .text()
            .collect::<String>()
            .contains("<script>alert(1)</script>")
    );

    // Unsafe URLs are refused at publish, naming the field.
    for (field, props) in [
        ("url", json!({"label": "x", "url": "javascript:alert(1)"})),
        ("url", json!({"label": "x", "url": " JaVaScRiPt:alert(1)"})),
        (
            "url",
            json!({"label": "x", "url": "data:text/html,<script>"}),
        ),
    ] {
        let nodes: Vec<app::blocks::BlockNode> =
            serde_json::from_value(json!([{"id": "b", "type": "button", "props": props}])).unwrap();
        let err = app
            .state
            .publisher()
            .publish_nodes(shop, page, &nodes, None)
            .await
            .unwrap_err();
        let server::publish::PublishError::Invalid(errors) = err else {
            panic!("{err:?}")
        };
        assert!(
            errors
                .iter()
                .any(|e| e.block_id == "b" && e.field.as_deref() == Some(field)),
            "{errors:?}"
        );
    }
}

#[tokio::test]
async fn pages_carry_validators_and_cdn_friendly_caching() {
    let app = TestApp::spawn().await;
    let shop = app.create_shop("alpha", "Alpha").await;
    let page = app.create_page(shop, "home", "Home", "home").await;
    app.publish(shop, page, json!([common::hero("h", "First")]))
        .await;
    let get = |inm: Option<String>| {
        let mut req = app
            .client
            .get(format!("{}/", app.base))
            .header("host", "alpha.localhost");
        if let Some(v) = inm {
            req = req.header("if-none-match", v);
        }
        req.send()
    };
    let res = get(None).await.unwrap();
    assert_eq!(
        res.headers()["cache-control"],
        "public, max-age=60, stale-while-revalidate=600"
    );
    let etag = res.headers()["etag"].to_str().unwrap().to_string();
    let res = get(Some(etag.clone())).await.unwrap();
    assert_eq!(res.status(), 304);
    assert!(res.text().await.unwrap().is_empty());
    app.publish(shop, page, json!([common::hero("h", "Second")]))
        .await;
    let res = get(Some(etag.clone())).await.unwrap();
    assert_eq!(res.status(), 200, "a new revision is a new validator");
    assert_ne!(res.headers()["etag"].to_str().unwrap(), etag);
    let (status, _) = app.get("alpha.localhost", "/pages/missing").await;
    assert_eq!(status, 404);
    let res = app
        .client
        .get(format!("{}/pages/missing", app.base))
        .header("host", "alpha.localhost")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["cache-control"], "no-store");
}

#[tokio::test]
async fn headless_content_api() {
    let app = seeded().await;
    let url = format!("{}/api/v1/content/pages/about", app.base);
    let res = app
        .client
        .get(&url)
        .header("host", "demo.localhost")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["access-control-allow-origin"], "*");
    let etag = res.headers()["etag"].to_str().unwrap().to_string();
    assert!(etag.starts_with("\"rev-"));
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["page"]["title"], "About");
    assert_eq!(body["blocks"][0]["type"], "rich_text");
    assert_eq!(body["blocks"][2]["children"].as_array().unwrap().len(), 3);
    let res = app
        .client
        .get(&url)
        .header("host", "demo.localhost")
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 304);
    for (host, path) in [("demo.localhost", "nope"), ("other.localhost", "about")] {
        let res = app
            .client
            .get(format!("{}/api/v1/content/pages/{path}", app.base))
            .header("host", host)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404, "{host} {path}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "not_found");
    }
}
