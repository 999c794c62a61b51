//! Every block type renders its props, carries its data attributes and escapes hostile text.

use super::*;
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;

const EVIL: &str = r#"<script>alert(1)</script>"><img src=x onerror=alert(2)>"#;
/// For fields too short to hold `EVIL`.
const SHORT_EVIL: &str = "<script>alert(1)</script>";

fn render(block: Block) -> String {
    let owner = Owner::new();
    let ctx = BlockContext {
        products: Arc::new(vec![
            ProductCard {
                handle: "mug".into(),
                title: EVIL.into(),
                image: Some("/m.svg".into()),
                price: 1250,
                currency: "EUR".into(),
                featured: true,
                available: true,
            },
            ProductCard {
                handle: "bowl".into(),
                title: EVIL.into(),
                image: Some("/b.svg".into()),
                price: 3900,
                currency: "EUR".into(),
                featured: true,
                available: false,
            },
        ]),
        details: Arc::new(HashMap::from([(
            "mug".to_string(),
            ProductDetail {
                handle: "mug".into(),
                title: EVIL.into(),
                description: EVIL.into(),
                images: vec!["/m.svg".into(), "javascript:alert(1)".into()],
                variants: vec![VariantView {
                    id: 7,
                    title: EVIL.into(),
                    price: 1250,
                    currency: "EUR".into(),
                    inventory: 3,
                }],
            },
        )])),
        page_product: Some("mug".into()),
    };
    let html = owner.with(|| {
        provide_context(ctx);
        view! { <BlockView block=block /> }.to_html()
    });
    owner.cleanup();
    html
}

/// Builds a valid block of `t` with every text-like prop set to `EVIL` and URLs set to
/// recognisable values.
fn hostile_block(t: BlockType) -> Block {
    let mut props = serde_json::Map::new();
    for f in t.fields() {
        let v = match f.kind {
            FieldKind::Text | FieldKind::LongText | FieldKind::RichText => {
                json!(if f.max_len.is_some_and(|m| m < EVIL.len()) {
                    SHORT_EVIL
                } else {
                    EVIL
                })
            }
            FieldKind::Url => json!("https://example.com/go"),
            FieldKind::Image => json!("/img/pic.svg"),
            FieldKind::ImageList => json!([{"src": "/img/g1.svg", "alt": EVIL}]),
            _ => continue,
        };
        props.insert(f.name.to_string(), v);
    }
    let page = t.system_page().unwrap_or(PageType::Page);
    let children = if t.is_container() {
        vec![BlockNode {
            id: "child".into(),
            block_type: "spacer".into(),
            ..Default::default()
        }]
    } else {
        vec![]
    };
    let node = BlockNode {
        id: format!("id-{}", t.name()),
        block_type: t.name().into(),
        props,
        children,
    };
    validate_tree(page, &[node])
        .unwrap_or_else(|e| panic!("{}: {e:?}", t.name()))
        .remove(0)
}

#[test]
fn every_block_renders_with_data_attributes_and_escapes_text() {
    for t in BlockType::ALL {
        let html = render(hostile_block(t));
        assert!(
            html.contains(&format!(r#"data-block-id="id-{}""#, t.name())),
            "{}: {html}",
            t.name()
        );
        assert!(
            html.contains(&format!(r#"data-block-type="{}""#, t.name())),
            "{}",
            t.name()
        );
        assert!(
            !html.contains("<script"),
            "{}: unescaped script in {html}",
            t.name()
        );
        assert!(
            !html.contains("<img src=x"),
            "{}: attribute breakout in {html}",
            t.name()
        );
        assert!(!html.contains("javascript:"), "{}: {html}", t.name());
        let shows_text = t.fields().iter().any(|f| {
            matches!(
                f.kind,
                FieldKind::Text | FieldKind::LongText | FieldKind::RichText
            )
        });
        if shows_text && !matches!(t, BlockType::Button) {
            assert!(
                html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
                "{}: text not shown escaped: {html}",
                t.name()
            );
        }
    }
}

#[test]
fn blocks_render_their_props() {
    let html = render(hostile_block(BlockType::Hero));
    assert!(html.contains("/img/pic.svg") && html.contains("https://example.com/go"));
    let html = render(hostile_block(BlockType::Gallery));
    assert!(html.contains(r#"src="/img/g1.svg""#));
    let html = render(hostile_block(BlockType::ProductGrid));
    // The page's own product (`mug`) is left out of grids on its page.
    assert!(
        html.contains(r#"href="/products/bowl""#)
            && html.contains("€39.00")
            && html.contains("Sold out")
    );
    assert!(!html.contains(r#"href="/products/mug""#));
    let html = render(hostile_block(BlockType::ProductDetail));
    assert!(html.contains(r#"action="/api/cart""#) && html.contains(r#"name="variant" value="7""#));
    let html = render(hostile_block(BlockType::Columns));
    assert!(html.contains(r#"data-block-id="child""#));
    let button = validate_tree(
        PageType::Page,
        &[serde_json::from_value(
            json!({"id": "b", "type": "button", "props": {"label": "Buy now", "url": "/products"}}),
        )
        .unwrap()],
    )
    .unwrap()
    .remove(0);
    let html = render(button);
    assert!(html.contains(r#"href="/products""#) && html.contains(">Buy now</a>"));
}

#[test]
fn rich_text_links_are_filtered_at_render_too() {
    // Stored rows are trusted less than the validator: an unsafe link renders as plain text.
    let props = BlockProps::from_parts(
        BlockType::RichText,
        json!({"body": [{"text": "click", "link": "javascript:alert(1)"}, {"text": " safe", "link": "/ok"}]}),
    )
    .unwrap();
    let html = render(Block {
        id: "r".into(),
        props,
        children: vec![],
    });
    assert!(!html.contains("javascript:"));
    assert!(html.contains(r#"href="/ok""#));
}
