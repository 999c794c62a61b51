//! `vitrine seed --sample`: the demo shop "Harbor & Pine", its catalogue and pages, published
//! through the same publish service editors use.

use crate::state::AppState;
use app::blocks::BlockNode;
use app::commerce::ProductKind;
use app::theme::ThemeTokens;
use chrono::Utc;
use entity::{page, product, product_variant, shop, shop_domain};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DbErr, EntityTrait, QueryFilter, Set, TransactionTrait,
};
use serde_json::{Value, json};

pub const SAMPLE_HANDLE: &str = "demo";
/// The development login the sample seed creates (printed by `vitrine seed --sample`).
pub const SAMPLE_EDITOR_EMAIL: &str = "editor@harborandpine.example";
pub const SAMPLE_EDITOR_PASSWORD: &str = "vitrine-demo";

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error("publishing sample page `{0}` failed: {1}")]
    Publish(String, String),
    #[error("creating the sample editor failed: {0}")]
    Editor(String),
}

/// Creates the sample shop unless it exists; returns what to tell the user.
pub async fn sample(state: &AppState) -> Result<String, SeedError> {
    let port = state.config.addr.port();
    let urls = format!(
        "  storefront: http://localhost:{port}  and  http://{SAMPLE_HANDLE}.localhost:{port}\n  log in at http://localhost:{port}/admin/login as {SAMPLE_EDITOR_EMAIL} / {SAMPLE_EDITOR_PASSWORD}\n  create a shop of your own at http://localhost:{port}/admin/shops/new"
    );
    if shop::Entity::find()
        .filter(shop::Column::Handle.eq(SAMPLE_HANDLE))
        .one(&state.db)
        .await?
        .is_some()
    {
        return Ok(format!("sample shop already present\n{urls}"));
    }
    let shop_id = create_shop_and_catalogue(state).await?;
    let publisher = state.publisher();
    for (slug, title, page_type, seo_description, blocks) in sample_pages() {
        let page = page::ActiveModel {
            seo_description: Set(seo_description.map(str::to_string)),
            ..page::ActiveModel::new_page(shop_id, slug, title, page_type)
        }
        .insert(&state.db)
        .await?;
        let nodes: Vec<BlockNode> = serde_json::from_value(blocks)
            .map_err(|e| SeedError::Publish(slug.into(), e.to_string()))?;
        publisher
            .publish_nodes(shop_id, page.id, &nodes, None)
            .await
            .map_err(|e| SeedError::Publish(slug.into(), format!("{e:?}")))?;
    }
    let editor = crate::auth::upsert_user_with_role(
        &state.db,
        SAMPLE_EDITOR_EMAIL,
        SAMPLE_EDITOR_PASSWORD,
        "Demo Editor",
        shop_id,
        crate::auth::Role::Owner,
    )
    .await
    .map_err(|e| SeedError::Editor(e.to_string()))?;
    // The demo login also shows the operator's view of every shop.
    crate::auth::set_operator(&state.db, editor.id, true).await?;
    state.tenants.invalidate_shop(shop_id);
    Ok(format!("sample shop \"Harbor & Pine\" created\n{urls}"))
}

async fn create_shop_and_catalogue(state: &AppState) -> Result<i64, DbErr> {
    let txn = state.db.begin().await?;
    let now = Utc::now();
    let shop = shop::ActiveModel {
        handle: Set(SAMPLE_HANDLE.into()),
        name: Set("Harbor & Pine".into()),
        locale: Set("en-GB".into()),
        currency: Set("EUR".into()),
        theme: Set(serde_json::to_value(ThemeTokens::default()).unwrap_or_default()),
        tagline: Set("Goods for slow mornings and long walks".into()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    // The default subdomain is primary; plain `localhost` serves the sample shop in development.
    for (host, primary) in [
        (format!("{SAMPLE_HANDLE}.localhost"), true),
        ("localhost".to_string(), false),
    ] {
        shop_domain::ActiveModel {
            shop_id: Set(shop.id),
            host: Set(host),
            is_primary: Set(primary),
            verified: Set(true),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    // Rentals (priced per day, with a refundable deposit; inventory is units that exist)
    // come after the products for sale.
    let sales =
        sample_products()
            .into_iter()
            .map(|(handle, title, featured, description, variants)| {
                let variants = variants
                    .into_iter()
                    .map(|(v, price, stock)| (v, price, stock, 0))
                    .collect();
                (
                    handle,
                    title,
                    featured,
                    description,
                    ProductKind::Sale,
                    variants,
                )
            });
    let rentals = sample_rentals()
        .into_iter()
        .map(|(handle, title, description, variant)| {
            (
                handle,
                title,
                true,
                description,
                ProductKind::Rental,
                vec![variant],
            )
        });
    for (position, (handle, title, featured, description, kind, variants)) in
        sales.chain(rentals).enumerate()
    {
        let product = NewProduct {
            handle,
            title,
            description,
            featured,
            kind,
            image: format!("/images/products/{handle}.svg"),
            variants,
        };
        insert_product(&txn, shop.id, "EUR", position as i32, &product).await?;
    }
    txn.commit().await?;
    Ok(shop.id)
}

/// A product to add to a catalogue; a variant is (title, price, inventory, deposit).
pub(crate) struct NewProduct<'a> {
    pub handle: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    pub featured: bool,
    pub kind: ProductKind,
    pub image: String,
    pub variants: Vec<(&'a str, i64, i32, i64)>,
}

/// Adds `p` and its variants to the shop's catalogue (the sample seed's, and the starter
/// catalogue of a shop created from a configuration).
pub(crate) async fn insert_product(
    db: &impl sea_orm::ConnectionTrait,
    shop_id: i64,
    currency: &str,
    position: i32,
    p: &NewProduct<'_>,
) -> Result<(), DbErr> {
    let product = product::ActiveModel {
        shop_id: Set(shop_id),
        handle: Set(p.handle.into()),
        title: Set(p.title.into()),
        description: Set(p.description.into()),
        images: Set(json!([p.image])),
        featured: Set(p.featured),
        kind: Set(p.kind.as_str().into()),
        position: Set(position),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    for (i, (title, price, inventory, deposit)) in p.variants.iter().enumerate() {
        product_variant::ActiveModel {
            product_id: Set(product.id),
            shop_id: Set(shop_id),
            title: Set(title.to_string()),
            sku: Set(format!("{}-{}", p.handle.to_uppercase(), i + 1)),
            price: Set(*price),
            currency: Set(currency.into()),
            inventory: Set(*inventory),
            deposit: Set(*deposit),
            position: Set(i as i32),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// A sample rental: handle, title, description, and its variant (title, price per day,
/// units, deposit).
type SampleRental = (
    &'static str,
    &'static str,
    &'static str,
    (&'static str, i64, i32, i64),
);

fn sample_rentals() -> Vec<SampleRental> {
    vec![(
        "cedar-canoe",
        "Cedar Canoe (rental)",
        "A cedar-strip canoe for two, with paddles and life jackets, ready at the harbour.\n\nRent it by the day; the deposit comes back when the canoe does.",
        ("Two seats", 6500, 3, 20000),
    )]
}

type SampleProduct = (
    &'static str,
    &'static str,
    bool,
    &'static str,
    Vec<(&'static str, i64, i32)>,
);

fn sample_products() -> Vec<SampleProduct> {
    vec![
        (
            "ceramic-mug",
            "Ceramic Mug",
            true,
            "Wheel-thrown stoneware with a satin glaze that feels good in both hands.\n\nHolds 350 ml. Dishwasher safe.",
            vec![("Sand", 2400, 18), ("Sage", 2400, 9)],
        ),
        (
            "linen-apron",
            "Linen Apron",
            false,
            "Stonewashed European linen with deep pockets and adjustable ties.\n\nGets softer with every wash.",
            vec![("One size", 4800, 12)],
        ),
        (
            "enamel-camp-mug",
            "Enamel Camp Mug",
            true,
            "Light, tough and happy over a fire. Rolled rim, 300 ml.",
            vec![("Cream", 1600, 40), ("Slate", 1600, 22)],
        ),
        (
            "wool-throw",
            "Wool Throw",
            true,
            "Woven from undyed highland wool, 130 × 180 cm. Warm without weight.",
            vec![("Oat", 12900, 6)],
        ),
        (
            "cedar-candle",
            "Cedar Candle",
            false,
            "Soy wax with cedarwood, pine needle and a little smoke. Burns for 45 hours.",
            vec![("200 g", 2800, 25)],
        ),
        (
            "canvas-tote",
            "Canvas Tote",
            false,
            "Heavy 16 oz canvas with leather handles. Carries the week's groceries.",
            vec![("Natural", 3500, 30)],
        ),
        (
            "oak-cutting-board",
            "Oak Cutting Board",
            true,
            "Cut from a single plank of European oak and finished with food-safe oil.",
            vec![("Medium", 5500, 10), ("Large", 7200, 4)],
        ),
        (
            "brass-lantern",
            "Brass Lantern",
            false,
            "A hurricane lantern in solid brass that ages to a warm patina.",
            vec![("One size", 8900, 0)],
        ),
        (
            "field-notebook",
            "Field Notebook",
            false,
            "Dot-grid pages, lay-flat binding and a waxed cover that shrugs off rain.",
            vec![("A5", 1400, 60), ("A6", 1100, 45)],
        ),
        (
            "stoneware-bowl",
            "Stoneware Bowl",
            false,
            "A generous bowl for soups, salads and fruit on the table.",
            vec![("Ø 16 cm", 2900, 20), ("Ø 22 cm", 3900, 8)],
        ),
        (
            "copper-kettle",
            "Copper Kettle",
            true,
            "Hand-hammered copper with a tin lining and an oak handle. 1.2 litres.",
            vec![("1.2 l", 11900, 5)],
        ),
        (
            "knit-beanie",
            "Knit Beanie",
            false,
            "Ribbed merino beanie, knitted in a small mill up the coast.",
            vec![("Pine", 3200, 14), ("Rust", 3200, 11)],
        ),
    ]
}

type SamplePage = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    Value,
);

fn sample_pages() -> Vec<SamplePage> {
    vec![
        (
            "home",
            "Home",
            "home",
            Some("Handmade homewares and outdoor goods from a small workshop on the coast."),
            json!([
                {"id": "home-hero", "type": "hero", "props": {
                    "heading": "Goods for slow mornings and long walks",
                    "subheading": "Handmade homewares and outdoor goods from a small workshop on the coast.",
                    "image": "/images/hero/harbor-hero.svg",
                    "cta_label": "Shop the collection", "cta_url": "/products", "align": "left"}},
                {"id": "home-featured", "type": "product_grid", "props": {
                    "title": "Featured this season", "source": "featured", "limit": 4, "columns": 4}},
                {"id": "home-story", "type": "columns", "props": {"columns": 2, "gap": "lg", "vertical_align": "center"}, "children": [
                    {"id": "home-story-image", "type": "image", "props": {
                        "src": "/images/about/studio.svg", "alt": "Our studio with shelves of ceramics", "width": "content"}},
                    {"id": "home-story-text", "type": "rich_text", "props": {
                        "heading": "Made slowly, to last",
                        "body": [
                            {"insert": "Every piece in the shop is made by a handful of people we know by name. "},
                            {"insert": "No seasons, no sales calendar", "attributes": {"bold": true}},
                            {"insert": " — just things that get better with use.\nRead more "},
                            {"insert": "about the workshop", "attributes": {"link": "/pages/about"}},
                            {"insert": "."}
                        ]}}
                ]},
                {"id": "home-divider", "type": "divider", "props": {"style": "solid", "color": "muted"}},
                {"id": "home-gallery", "type": "gallery", "props": {
                    "title": "From the workshop", "columns": 4,
                    "images": [
                        {"src": "/images/gallery/workshop.svg", "alt": "The workbench"},
                        {"src": "/images/gallery/coast.svg", "alt": "The coast near the studio"},
                        {"src": "/images/gallery/forest.svg", "alt": "Pine forest in the mist"},
                        {"src": "/images/gallery/market.svg", "alt": "Our stall at the Saturday market"}
                    ]}},
                {"id": "home-spacer", "type": "spacer", "props": {"size": "sm"}},
                {"id": "home-promise", "type": "rich_text", "props": {
                    "heading": "Our promise", "align": "center",
                    "body": [
                        {"insert": "Free shipping over €60, plastic-free packaging, and "},
                        {"insert": "repairs for life", "attributes": {"italic": true}},
                        {"insert": " on everything we make."}
                    ]}},
                {"id": "home-cta", "type": "button", "props": {"label": "Browse all products", "url": "/products", "style": "primary", "align": "center"}}
            ]),
        ),
        (
            "about",
            "About",
            "page",
            Some("The people and the workshop behind Harbor & Pine."),
            json!([
                {"id": "about-intro", "type": "rich_text", "props": {
                    "heading": "About Harbor & Pine", "width": "wide",
                    "body": "We started in a boat shed in 2016 with one lathe and a kiln we bought second-hand.\nToday six of us make, pack and ship everything from the same stretch of coast."}},
                {"id": "about-image", "type": "image", "props": {
                    "src": "/images/gallery/workshop.svg", "alt": "The workbench", "caption": "The bench where most things begin.", "width": "wide"}},
                {"id": "about-columns", "type": "columns", "props": {"columns": 3}, "children": [
                    {"id": "about-col-1", "type": "rich_text", "props": {"heading": "Materials", "body": "Local oak, highland wool, stoneware clay from the next valley."}},
                    {"id": "about-col-2", "type": "rich_text", "props": {"heading": "Making", "body": "Small batches, by hand, with tools we mostly built ourselves."}},
                    {"id": "about-col-3", "type": "rich_text", "props": {"heading": "Mending", "body": "Send anything back and we will repair it, for as long as we are here."}}
                ]},
                {"id": "about-contact", "type": "button", "props": {"label": "Write to us", "url": "mailto:hello@harborandpine.example", "style": "outline"}}
            ]),
        ),
        (
            "shipping",
            "Shipping & returns",
            "page",
            None,
            json!([
                {"id": "shipping-text", "type": "rich_text", "props": {
                    "heading": "Shipping & returns",
                    "body": [
                        {"insert": "Orders leave the workshop within two working days. Shipping is free over €60.\n"},
                        {"insert": "Returns", "attributes": {"bold": true}},
                        {"insert": ": send anything back within 30 days for a full refund."}
                    ]}}
            ]),
        ),
        (
            "shop",
            "Shop",
            "product_list",
            Some("Everything we make, in one place."),
            json!([
                {"id": "shop-intro", "type": "rich_text", "props": {"heading": "The collection", "body": "Everything we make, in one place.", "width": "wide"}},
                {"id": "shop-grid", "type": "product_grid", "props": {"title": "", "limit": 24, "columns": 4}}
            ]),
        ),
        (
            "product",
            "Product",
            "product_detail",
            None,
            json!([
                {"id": "product-detail", "type": "product_detail", "props": {"show_description": true, "show_inventory": true}},
                {"id": "product-more", "type": "product_grid", "props": {"title": "You may also like", "source": "featured", "limit": 4}}
            ]),
        ),
        (
            "cart",
            "Cart",
            "cart",
            None,
            json!([{"id": "cart", "type": "cart_section", "props": {"title": "Your cart"}}]),
        ),
        (
            "checkout",
            "Checkout",
            "checkout",
            None,
            json!([{"id": "checkout", "type": "checkout_section", "props": {"note": "Payment is handled by our payment partner."}}]),
        ),
    ]
}
