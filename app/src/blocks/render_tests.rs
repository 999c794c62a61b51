//! Every block type renders its props, carries its data attributes and escapes hostile text.

use super::*;
use crate::commerce::{
    CartLineView, CartView, Flash, FlashKind, OrderLineView, OrderStatus, OrderView, ProductKind,
};
use crate::storefront::{
    CART_COUNT_SLOT, PageMeta, ShopView, StorefrontPage, render_order_page, render_page,
    with_cart_count,
};
use scraper::{Html, Selector};
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;

const EVIL: &str = r#"<script>alert(1)</script>"><img src=x onerror=alert(2)>"#;
/// For fields too short to hold `EVIL`.
const SHORT_EVIL: &str = "<script>alert(1)</script>";

fn render(block: Block) -> String {
    render_in(catalogue(), block)
}

/// The test catalogue: a mug for sale (the page's product), a sold-out bowl, a canoe to rent.
fn catalogue() -> BlockContext {
    BlockContext {
        products: Arc::new(vec![
            ProductCard {
                handle: "mug".into(),
                title: EVIL.into(),
                image: Some("/m.svg".into()),
                price: 1250,
                currency: "EUR".into(),
                featured: true,
                available: true,
                kind: Default::default(),
            },
            ProductCard {
                handle: "bowl".into(),
                title: EVIL.into(),
                image: Some("/b.svg".into()),
                price: 3900,
                currency: "EUR".into(),
                featured: true,
                available: false,
                kind: Default::default(),
            },
        ]),
        details: Arc::new(HashMap::from([(
            "mug".to_string(),
            ProductDetail {
                handle: "mug".into(),
                title: EVIL.into(),
                description: EVIL.into(),
                images: vec!["/m.svg".into(), "javascript:alert(1)".into()],
                kind: ProductKind::Sale,
                variants: vec![VariantView {
                    id: 7,
                    title: EVIL.into(),
                    price: 1250,
                    currency: "EUR".into(),
                    inventory: 3,
                    deposit: 0,
                }],
            },
        )])),
        page_product: Some("mug".into()),
        cart: None,
    }
}

fn render_in(ctx: BlockContext, block: Block) -> String {
    let owner = Owner::new();
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
    assert!(
        html.contains(r#"action="/api/cart""#) && html.contains(r#"name="variant_id" value="7""#)
    );
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

// ---- Commerce views: product forms, cart, checkout, header count, order page. ----

fn parse(html: &str) -> Html {
    Html::parse_fragment(html)
}

fn sel(css: &str) -> Selector {
    Selector::parse(css).unwrap_or_else(|e| panic!("{css}: {e:?}"))
}

/// The elements `css` finds.
fn all<'a>(doc: &'a Html, css: &str) -> Vec<scraper::ElementRef<'a>> {
    doc.select(&sel(css)).collect()
}

/// The one element `css` finds (panics on none or several).
fn one<'a>(doc: &'a Html, css: &str) -> scraper::ElementRef<'a> {
    let found = all(doc, css);
    assert_eq!(found.len(), 1, "{css}: {} matches", found.len());
    found[0]
}

fn text(el: scraper::ElementRef<'_>) -> String {
    el.text().collect::<String>().trim().to_string()
}

/// A validated block of `t` with these props.
fn block(t: BlockType, props: serde_json::Value) -> Block {
    let node = serde_json::from_value(json!({"id": "b", "type": t.name(), "props": props}))
        .expect("a block node");
    validate_tree(t.system_page().unwrap_or(PageType::Page), &[node])
        .unwrap_or_else(|e| panic!("{e:?}"))
        .remove(0)
}

fn sale_line() -> CartLineView {
    CartLineView {
        id: 11,
        variant_id: 7,
        product_handle: "ceramic-mug".into(),
        product_title: "Ceramic Mug".into(),
        variant_title: "Sage".into(),
        image: Some("/m.svg".into()),
        kind: ProductKind::Sale,
        unit_price: 2400,
        quantity: 2,
        line_total: 4800,
        ..Default::default()
    }
}

fn rental_line() -> CartLineView {
    CartLineView {
        id: 12,
        variant_id: 9,
        product_handle: "cedar-canoe".into(),
        product_title: "Cedar Canoe".into(),
        variant_title: "Two seats".into(),
        image: Some("javascript:alert(1)".into()),
        kind: ProductKind::Rental,
        unit_price: 6500,
        quantity: 1,
        start_date: Some("2026-12-01".into()),
        end_date: Some("2026-12-03".into()),
        days: 3,
        deposit: 20000,
        line_total: 3 * 6500,
        ..Default::default()
    }
}

/// A cart of `lines` with its totals summed as the server does.
fn cart_of(lines: Vec<CartLineView>, flash: Option<Flash>) -> CartView {
    let subtotal = lines.iter().map(|l| l.line_total).sum();
    let deposit_total = lines
        .iter()
        .map(|l| l.deposit * i64::from(l.quantity))
        .sum();
    CartView {
        count: lines.iter().map(|l| l.quantity).sum(),
        lines,
        currency: "EUR".into(),
        subtotal,
        deposit_total,
        total: subtotal + deposit_total,
        flash,
    }
}

fn with_cart(cart: Option<CartView>) -> BlockContext {
    BlockContext {
        cart: cart.map(Arc::new),
        ..catalogue()
    }
}

fn cart_page(cart: Option<CartView>) -> Html {
    parse(&render_in(
        with_cart(cart),
        block(BlockType::CartSection, json!({})),
    ))
}

fn checkout_page(cart: Option<CartView>) -> Html {
    parse(&render_in(
        with_cart(cart),
        block(BlockType::CheckoutSection, json!({})),
    ))
}

#[test]
fn the_cart_shows_each_line_with_its_forms_and_the_totals() {
    let flash = Flash {
        kind: FlashKind::Success,
        message: "Added 2 × Ceramic Mug".into(),
    };
    let doc = cart_page(Some(cart_of(vec![sale_line(), rental_line()], Some(flash))));
    assert_eq!(text(one(&doc, "[role=status]")), "Added 2 × Ceramic Mug");
    let lines = all(&doc, "[data-cart-line]");
    let ids: Vec<_> = lines
        .iter()
        .map(|l| l.value().attr("data-cart-line").unwrap())
        .collect();
    assert_eq!(ids, ["11", "12"]);

    let line = parse(&lines[0].html());
    assert_eq!(
        text(one(&line, r#"a[href="/products/ceramic-mug"]"#)),
        "Ceramic Mug"
    );
    assert!(text(lines[0]).contains("Sage") && text(lines[0]).contains("€24.00 each"));
    assert_eq!(one(&line, "img").value().attr("src"), Some("/m.svg"));
    let update = one(&line, r#"form[method=post][action="/api/cart/lines/11"]"#);
    let update = parse(&update.html());
    let qty = one(&update, "input[name=quantity]").value();
    assert_eq!(
        (
            qty.attr("type"),
            qty.attr("value"),
            qty.attr("min"),
            qty.attr("max")
        ),
        (Some("number"), Some("2"), Some("0"), Some("99"))
    );
    assert_eq!(text(one(&update, "button[type=submit]")), "Update");
    let remove = one(
        &line,
        r#"form[method=post][action="/api/cart/lines/11/remove"]"#,
    );
    assert_eq!(text(remove), "Remove");
    assert_eq!(text(one(&line, "[data-line-total]")), "€48.00");

    // 48 + 3 × 65 = 243, plus a 200 deposit.
    assert_eq!(text(one(&doc, "[data-cart-subtotal]")), "€243.00");
    assert_eq!(text(one(&doc, "[data-cart-deposits]")), "€200.00");
    assert_eq!(text(one(&doc, "[data-cart-total]")), "€443.00");
    assert_eq!(text(one(&doc, r#"a[href="/checkout"]"#)), "Checkout");
    assert!(all(&doc, "[data-checkout-blocked]").is_empty());
}

#[test]
fn a_rental_line_shows_its_dates_days_and_deposit() {
    let doc = cart_page(Some(cart_of(vec![rental_line()], None)));
    let line = one(&doc, r#"[data-cart-line="12"]"#);
    let line = parse(&line.html());
    assert_eq!(
        text(one(&line, "[data-rental-dates]")),
        "1 Dec – 3 Dec 2026 · 3 days"
    );
    assert_eq!(
        text(one(&line, "[data-line-deposit]")),
        "Deposit €200.00, refunded on return"
    );
    assert_eq!(text(one(&line, "[data-unit-price]")), "€65.00 / day");
    assert_eq!(text(one(&line, "[data-line-total]")), "€195.00");
    // An unsafe image source is dropped, not rendered.
    assert!(all(&line, "img").is_empty());
}

#[test]
fn a_line_with_a_problem_blocks_the_checkout_link() {
    let mut line = sale_line();
    line.problem = Some("Only 1 left".into());
    let doc = cart_page(Some(cart_of(vec![line], None)));
    assert_eq!(text(one(&doc, "[data-cart-problem]")), "Only 1 left");
    assert!(all(&doc, r#"a[href="/checkout"]"#).is_empty(), "no link");
    let blocked = one(&doc, "[data-checkout-blocked]");
    assert_eq!(blocked.value().attr("aria-disabled"), Some("true"));
    assert_eq!(text(blocked), "Checkout");
    // Only sale lines: no deposits row.
    assert!(all(&doc, "[data-cart-deposits]").is_empty());
}

#[test]
fn an_empty_cart_shows_the_empty_state_and_any_flash() {
    let doc = cart_page(None);
    assert!(all(&doc, "[data-cart-line]").is_empty());
    assert_eq!(text(one(&doc, "h1")), "Your cart");
    assert!(doc.html().contains("Your cart is empty."));
    assert_eq!(text(one(&doc, r#"a[href="/products"]"#)), "Browse products");
    assert!(all(&doc, "[role=status], [role=alert]").is_empty());

    let refused = Flash {
        kind: FlashKind::Error,
        message: "That line is gone".into(),
    };
    let doc = cart_page(Some(cart_of(vec![], Some(refused))));
    assert_eq!(text(one(&doc, "[role=alert]")), "That line is gone");
    assert!(all(&doc, "[data-cart-total]").is_empty());
}

#[test]
fn checkout_summarises_the_cart_and_posts_the_email_for_the_total() {
    let flash = Flash {
        kind: FlashKind::Error,
        message: "The last one was just sold".into(),
    };
    let html = render_in(
        with_cart(Some(cart_of(vec![sale_line(), rental_line()], Some(flash)))),
        block(BlockType::CheckoutSection, json!({})),
    );
    let doc = parse(&html);
    let alert = one(&doc, "[role=alert]");
    assert_eq!(text(alert), "The last one was just sold");
    let form = one(&doc, r#"form[method=post][action="/api/checkout-session"]"#);
    assert!(
        html.find("The last one was just sold") < html.find("/api/checkout-session"),
        "the error is above the form"
    );
    let form = parse(&form.html());
    let email = one(&form, "input[name=email]").value();
    assert_eq!(email.attr("type"), Some("email"));
    assert!(email.attr("required").is_some());
    assert_eq!(text(one(&form, "button[type=submit]")), "Pay €443.00");
    let lines: Vec<String> = all(&doc, "[data-checkout-line]")
        .into_iter()
        .map(text)
        .collect();
    assert_eq!(lines.len(), 2);
    assert!(lines[0].contains("2 × Ceramic Mug — Sage") && lines[0].contains("€48.00"));
    assert!(lines[1].contains("1 × Cedar Canoe — Two seats"));
    assert!(lines[1].contains("1 Dec – 3 Dec 2026 · 3 days") && lines[1].contains("€195.00"));
    assert_eq!(text(one(&doc, "[data-cart-subtotal]")), "€243.00");
    assert_eq!(text(one(&doc, "[data-cart-deposits]")), "€200.00");
    assert_eq!(text(one(&doc, "[data-cart-total]")), "€443.00");
}

#[test]
fn checkout_without_lines_or_with_a_problem_has_no_payment_form() {
    for cart in [None, Some(cart_of(vec![], None))] {
        let doc = checkout_page(cart);
        assert!(all(&doc, "form").is_empty());
        assert_eq!(text(one(&doc, r#"a[href="/products"]"#)), "Browse products");
    }
    let mut line = rental_line();
    line.problem = Some("Not free on these dates".into());
    let doc = checkout_page(Some(cart_of(vec![line], None)));
    assert!(all(&doc, "form").is_empty());
    assert_eq!(
        text(one(&doc, "[data-cart-problem]")),
        "Not free on these dates"
    );
    assert!(!all(&doc, r#"[data-checkout-blocked] a[href="/cart"]"#).is_empty());
}

/// The catalogue plus a canoe for rent (one variant with no units at all) and a two-variant
/// bowl whose first variant is sold out.
fn shop_with_rental() -> BlockContext {
    let mut ctx = catalogue();
    let mut details = (*ctx.details).clone();
    let variant = |id: i64, title: &str, price: i64, inventory: i32, deposit: i64| VariantView {
        id,
        title: title.into(),
        price,
        currency: "EUR".into(),
        inventory,
        deposit,
    };
    details.insert(
        "cedar-canoe".into(),
        ProductDetail {
            handle: "cedar-canoe".into(),
            title: "Cedar Canoe".into(),
            kind: ProductKind::Rental,
            variants: vec![
                variant(9, "Two seats", 1200, 0, 5000),
                variant(10, "Three seats", 1500, 2, 6000),
            ],
            ..Default::default()
        },
    );
    details.insert(
        "bowl".into(),
        ProductDetail {
            handle: "bowl".into(),
            title: "Bowl".into(),
            kind: ProductKind::Sale,
            variants: vec![
                variant(20, "Blue", 3900, 0, 0),
                variant(21, "Red", 3900, 4, 0),
            ],
            ..Default::default()
        },
    );
    details.insert(
        "vase".into(),
        ProductDetail {
            handle: "vase".into(),
            title: "Vase".into(),
            variants: vec![variant(30, "One size", 5000, 0, 0)],
            ..Default::default()
        },
    );
    ctx.details = Arc::new(details);
    ctx
}

fn product_page(handle: &str) -> Html {
    parse(&render_in(
        shop_with_rental(),
        block(BlockType::ProductDetail, json!({"product": handle})),
    ))
}

#[test]
fn a_rental_product_asks_for_dates_and_prices_by_the_day() {
    let doc = product_page("cedar-canoe");
    assert_eq!(text(one(&doc, "[data-price]")), "€12.00 / day");
    assert_eq!(
        text(one(&doc, "[data-deposit]")),
        "Deposit €50.00 per item, refunded on return"
    );
    let form = parse(&one(&doc, r#"form[method=post][action="/api/cart"]"#).html());
    for (name, label) in [("start_date", "From"), ("end_date", "Until")] {
        let input = one(&form, &format!("input[name={name}]"));
        assert_eq!(input.value().attr("type"), Some("date"));
        assert!(input.value().attr("required").is_some(), "{name}");
        let label_text = text(scraper::ElementRef::wrap(input.parent().unwrap()).unwrap());
        assert_eq!(label_text, label);
    }
    // Units are not availability: no variant is disabled, nothing is "sold out".
    assert!(all(&form, "select[name=variant_id] option[disabled]").is_empty());
    assert_eq!(all(&form, "select[name=variant_id] option").len(), 2);
    assert!(!doc.html().contains("Sold out"));
    let button = one(&form, "button[type=submit]");
    assert_eq!(text(button), "Rent");
    assert!(button.value().attr("disabled").is_none());
    assert!(text(one(&form, "option[value=\"10\"]")).contains("€15.00 / day"));
}

#[test]
fn a_sale_product_posts_variant_id_and_quantity() {
    let doc = product_page("bowl");
    let form = parse(&one(&doc, r#"form[method=post][action="/api/cart"]"#).html());
    let names: Vec<&str> = all(&form, "[name]")
        .iter()
        .filter_map(|e| e.value().attr("name"))
        .collect();
    assert_eq!(names, ["variant_id", "quantity"]);
    // The sold-out variant cannot be chosen; the first one in stock is selected.
    assert!(
        one(&form, r#"option[value="20"]"#)
            .value()
            .attr("disabled")
            .is_some()
    );
    assert!(
        one(&form, r#"option[value="21"]"#)
            .value()
            .attr("selected")
            .is_some()
    );
    let qty = one(&form, "input[name=quantity]").value();
    assert_eq!(
        (qty.attr("min"), qty.attr("max"), qty.attr("value")),
        (Some("1"), Some("99"), Some("1"))
    );
    assert_eq!(text(one(&form, "button[type=submit]")), "Add to cart");
    assert!(all(&form, "input[type=date]").is_empty());
    assert_eq!(text(one(&doc, "[data-price]")), "€39.00");

    // Every variant at 0: sold out, and the button is off.
    let doc = product_page("vase");
    let button = one(&doc, "button[type=submit]");
    assert_eq!(text(button), "Sold out");
    assert!(button.value().attr("disabled").is_some());
    assert_eq!(
        one(&doc, "input[type=hidden][name=variant_id]")
            .value()
            .attr("value"),
        Some("30")
    );
}

fn shop() -> ShopView {
    ShopView {
        name: "Harbor & Pine".into(),
        tagline: "Goods".into(),
        locale: "en".into(),
        theme: Default::default(),
        nav: vec![],
        footer: vec![],
    }
}

fn meta(path: &str) -> PageMeta {
    PageMeta {
        title: "A page".into(),
        description: None,
        canonical: format!("http://demo.localhost:3000{path}"),
        path: path.into(),
    }
}

fn full_page(context: BlockContext, blocks: Vec<Block>) -> String {
    render_page(StorefrontPage {
        shop: shop(),
        meta: meta("/"),
        blocks,
        context,
        preview: None,
    })
}

#[test]
fn the_header_slot_survives_rendering_and_takes_the_count_once() {
    // Hostile page content spelling the slot (text and attributes) cannot make a second one.
    let mut ctx = catalogue();
    let mut products = (*ctx.products).clone();
    products[0].title = CART_COUNT_SLOT.into();
    ctx.products = Arc::new(products);
    let blocks = vec![
        hostile_block(BlockType::ProductGrid),
        block(BlockType::Hero, json!({"heading": CART_COUNT_SLOT})),
    ];
    let html = full_page(ctx, blocks);
    assert_eq!(html.matches(CART_COUNT_SLOT).count(), 1, "{html}");
    let doc = Html::parse_document(&html);
    assert_eq!(
        all(&doc, r#"header a[href="/cart"] [data-cart-slot][hidden]"#).len(),
        1
    );
    assert!(all(&doc, "[data-cart-count]").is_empty());

    let filled = with_cart_count(&html, 2).expect("the slot is there");
    let doc = Html::parse_document(&filled);
    let badge = one(&doc, "header a[href=\"/cart\"] [data-cart-count]");
    assert_eq!(text(badge), "2");
    assert_eq!(badge.value().attr("aria-label"), Some("2 items in cart"));
    assert!(all(&doc, "[data-cart-slot]").is_empty());
    assert_eq!(filled.matches("data-cart-count").count(), 1);
    // Filled once: a second pass finds no slot and changes nothing.
    assert_eq!(with_cart_count(&filled, 5), None);
    assert_eq!(with_cart_count(&html, 0).as_deref(), Some(html.as_str()));
}

#[test]
fn the_cart_page_shows_the_visitors_count_in_its_header() {
    let ctx = with_cart(Some(cart_of(vec![sale_line(), rental_line()], None)));
    let html = full_page(ctx, vec![block(BlockType::CartSection, json!({}))]);
    let doc = Html::parse_document(&html);
    assert_eq!(text(one(&doc, "header [data-cart-count]")), "3");
    assert!(!html.contains(CART_COUNT_SLOT));
    // An empty cart: no badge, and nothing visible in the link.
    let html = full_page(
        with_cart(Some(cart_of(vec![], None))),
        vec![block(BlockType::CartSection, json!({}))],
    );
    assert!(!html.contains("data-cart-count"));
}

fn order(status: OrderStatus) -> OrderView {
    let rental = rental_line();
    OrderView {
        id: 42,
        shop_id: 1,
        token: "secret".into(),
        status,
        email: "noah@example.com".into(),
        currency: "EUR".into(),
        subtotal: 19500,
        deposit_total: 20000,
        total: 39500,
        refunded: if status == OrderStatus::Returned {
            20000
        } else {
            0
        },
        created_at: "2026-11-20T10:00:00Z".into(),
        paid_at: None,
        returned_at: None,
        rental_start: rental.start_date.clone(),
        rental_end: rental.end_date.clone(),
        lines: vec![OrderLineView {
            variant_id: rental.variant_id,
            kind: ProductKind::Rental,
            product_handle: rental.product_handle,
            product_title: EVIL.into(),
            variant_title: rental.variant_title,
            unit_price: rental.unit_price,
            quantity: 1,
            start_date: rental.start_date,
            end_date: rental.end_date,
            days: 3,
            deposit: rental.deposit,
            line_total: rental.line_total,
        }],
    }
}

#[test]
fn a_pending_order_page_refreshes_itself_and_a_paid_one_does_not() {
    let pending = render_order_page(shop(), meta("/orders"), order(OrderStatus::Pending));
    assert!(
        pending.contains(r#"<meta http-equiv="refresh" content="2">"#),
        "{pending}"
    );
    assert!(pending.contains(r#"<meta name="robots" content="noindex">"#));
    let doc = Html::parse_document(&pending);
    let status = one(&doc, "[data-order-status]");
    assert_eq!(status.value().attr("data-order-status"), Some("pending"));
    assert_eq!(text(status), "Awaiting payment");
    assert!(pending.contains("waiting for the payment confirmation"));
    assert!(pending.contains("Thank you") && pending.contains("Order #42"));
    assert!(pending.contains("noah@example.com"));
    assert!(
        !pending.contains("<script"),
        "no JavaScript, and titles are escaped"
    );
    assert_eq!(
        text(one(&doc, "[data-rental-dates]")),
        "1 Dec – 3 Dec 2026 · 3 days"
    );
    assert_eq!(text(one(&doc, "[data-cart-total]")), "€395.00");
    assert_eq!(text(one(&doc, "[data-cart-deposits]")), "€200.00");
    assert!(pending.contains("Refunded when the rental comes back."));
    assert!(all(&doc, "[data-order-refunded]").is_empty());
    // The same header as every page: the cart link with its (empty) slot.
    assert_eq!(all(&doc, r#"header a[href="/cart"]"#).len(), 1);

    let paid = render_order_page(shop(), meta("/orders"), order(OrderStatus::Paid));
    assert!(!paid.contains("http-equiv"), "{paid}");
    assert!(paid.contains(r#"<meta name="robots" content="noindex">"#));
    assert!(paid.contains(r#"data-order-status="paid""#));
    assert!(!paid.contains("waiting for the payment"));

    let returned = render_order_page(shop(), meta("/orders"), order(OrderStatus::Returned));
    let doc = Html::parse_document(&returned);
    assert_eq!(text(one(&doc, "[data-order-refunded]")), "€200.00");
    assert!(!returned.contains("http-equiv"));
}

#[test]
fn shop_pages_neither_refresh_nor_hide_from_search() {
    let html = full_page(catalogue(), vec![hostile_block(BlockType::ProductGrid)]);
    assert!(!html.contains("http-equiv") && !html.contains("noindex"));
}

/// Renders a block as the editor's canvas does, with `live` as its live fields if given.
fn render_editing(block: Block, live: Option<LiveFields>) -> String {
    let owner = Owner::new();
    let html = owner.with(|| {
        provide_context(catalogue());
        provide_context(Editing);
        if let Some(live) = live {
            provide_context(live);
        }
        view! { <BlockView block=block /> }.to_html()
    });
    owner.cleanup();
    html
}

#[test]
fn the_fields_edited_in_place_are_the_ones_their_descriptors_name() {
    for t in BlockType::ALL {
        let doc = parse(&render_editing(hostile_block(t), None));
        let mut shown: Vec<&str> = all(&doc, "[data-field]")
            .iter()
            .filter_map(|e| e.value().attr("data-field"))
            .collect();
        shown.sort();
        let mut declared: Vec<&str> = t
            .fields()
            .iter()
            .filter(|f| f.in_place)
            .map(|f| f.name)
            .collect();
        declared.sort();
        assert_eq!(shown, declared, "{}", t.name());
    }
}

#[test]
fn on_the_canvas_in_place_fields_show_their_live_values() {
    let live = LiveFields {
        value: Arc::new(|name| {
            Signal::stored(match name {
                "body" => {
                    json!([{"insert": "live "}, {"insert": "body", "attributes": {"bold": true}}])
                }
                other => json!(format!("live {other}")),
            })
        }),
        rendered: Arc::new(|| {}),
    };
    let rich = block(
        BlockType::RichText,
        json!({"heading": "given", "body": "given"}),
    );
    let doc = parse(&render_editing(rich, Some(live.clone())));
    assert_eq!(text(one(&doc, "[data-field=heading]")), "live heading");
    assert_eq!(text(one(&doc, "[data-field=body]")), "live body");
    assert_eq!(text(one(&doc, "[data-field=body] strong")), "body");
    let hero = block(BlockType::Hero, json!({"heading": "given"}));
    let doc = parse(&render_editing(hero, Some(live)));
    for field in ["heading", "subheading", "cta_label"] {
        assert_eq!(
            text(one(&doc, &format!("[data-field={field}]"))),
            format!("live {field}")
        );
    }
}
