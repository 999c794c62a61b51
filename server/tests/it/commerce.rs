//! Commerce over real HTTP: carts (forms and JSON), checkout against the Stripe-compatible
//! stub on its own loopback port (reqwest talks to it), the signed webhook, stock races,
//! rentals and their returns, and the operator's order API.

use crate::common;
use crate::common::payments::PaymentsApp;
use entity::product_variant;
use reqwest::Response;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::{Value, json};

const HOST: &str = "demo.localhost";

/// A visitor of the sample shop with their own cookie jar (just the cart cookie).
struct Shopper<'a> {
    app: &'a PaymentsApp,
    host: String,
    cookie: Option<String>,
}

impl<'a> Shopper<'a> {
    fn new(app: &'a PaymentsApp) -> Self {
        Self::at(app, HOST)
    }

    fn at(app: &'a PaymentsApp, host: &str) -> Self {
        Shopper {
            app,
            host: host.to_string(),
            cookie: None,
        }
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let mut req = self
            .app
            .client
            .request(method, format!("{}{path}", self.app.base))
            .header("host", &self.host);
        if let Some(c) = &self.cookie {
            req = req.header("cookie", c);
        }
        req
    }

    fn keep_cookie(&mut self, res: &Response) {
        if let Some(c) = res
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("vitrine_cart="))
        {
            self.cookie = Some(c.split(';').next().unwrap_or_default().to_string());
        }
    }

    async fn form(&mut self, path: &str, form: &[(&str, &str)]) -> Response {
        let res = self
            .request(reqwest::Method::POST, path)
            .form(form)
            .send()
            .await
            .expect("form post");
        self.keep_cookie(&res);
        res
    }

    async fn json(
        &mut self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self
            .request(method, path)
            .header("accept", "application/json");
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = req.send().await.expect("json request");
        self.keep_cookie(&res);
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    async fn add(&mut self, variant_id: i64, quantity: i32) -> (u16, Value) {
        self.json(
            reqwest::Method::POST,
            "/api/cart",
            Some(json!({"variant_id": variant_id, "quantity": quantity})),
        )
        .await
    }

    async fn rent(&mut self, variant_id: i64, start: &str, end: &str) -> (u16, Value) {
        self.json(
            reqwest::Method::POST,
            "/api/cart",
            Some(json!({"variant_id": variant_id, "quantity": 1, "start_date": start, "end_date": end})),
        )
        .await
    }

    async fn checkout(&mut self) -> (u16, Value) {
        self.json(
            reqwest::Method::POST,
            "/api/checkout-session",
            Some(json!({"email": "customer@example.com"})),
        )
        .await
    }

    async fn page(&self, path: &str) -> (u16, String, reqwest::header::HeaderMap) {
        let res = self
            .request(reqwest::Method::GET, path)
            .send()
            .await
            .expect("page");
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        (status, res.text().await.expect("body"), headers)
    }
}

/// The id of the sample variant `title` of product `handle`.
async fn variant(app: &PaymentsApp, handle: &str, title: &str) -> product_variant::Model {
    let product = entity::product::Entity::find()
        .filter(entity::product::Column::Handle.eq(handle))
        .one(&app.db)
        .await
        .expect("db")
        .expect("product");
    product_variant::Entity::find()
        .filter(product_variant::Column::ProductId.eq(product.id))
        .filter(product_variant::Column::Title.eq(title))
        .one(&app.db)
        .await
        .expect("db")
        .expect("variant")
}

/// The sample shop's row.
async fn demo_shop(app: &PaymentsApp) -> entity::shop::Model {
    entity::shop::Entity::find()
        .filter(entity::shop::Column::Handle.eq("demo"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
}

async fn set_inventory(app: &PaymentsApp, variant_id: i64, inventory: i32) {
    product_variant::ActiveModel {
        id: Set(variant_id),
        inventory: Set(inventory),
        ..Default::default()
    }
    .update(&app.db)
    .await
    .expect("inventory");
}

async fn order_count(app: &PaymentsApp) -> usize {
    entity::shop_order::Entity::find()
        .all(&app.db)
        .await
        .expect("db")
        .len()
}

async fn inventory(app: &PaymentsApp, variant_id: i64) -> i32 {
    product_variant::Entity::find_by_id(variant_id)
        .one(&app.db)
        .await
        .expect("db")
        .expect("variant")
        .inventory
}

async fn order_status(app: &PaymentsApp, order_id: i64) -> String {
    entity::shop_order::Entity::find_by_id(order_id)
        .one(&app.db)
        .await
        .expect("db")
        .expect("order")
        .status
}

/// A date `days` from today, as the forms send it.
fn day(days: i64) -> String {
    (chrono::Utc::now().date_naive() + chrono::Duration::days(days)).to_string()
}

/// Pays a payment session on the stub the way a customer does (its form), which sends the
/// signed webhook; answers the stub's redirect back to the shop.
async fn pay(app: &PaymentsApp, payment_url: &str) -> String {
    let res = app
        .client
        .post(payment_url)
        .form(&[("pay", "1")])
        .send()
        .await
        .expect("pay");
    assert_eq!(res.status(), 303, "the stub sends the customer back");
    res.headers()["location"]
        .to_str()
        .expect("location")
        .to_string()
}

#[tokio::test]
async fn a_customer_adds_changes_and_removes_with_plain_forms() {
    let app = PaymentsApp::spawn().await;
    let mug = variant(&app, "ceramic-mug", "Sage").await;
    let mut shopper = Shopper::new(&app);

    let res = shopper
        .form(
            "/api/cart",
            &[("variant_id", &mug.id.to_string()), ("quantity", "2")],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/cart");
    let set_cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
    for part in ["vitrine_cart=", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(set_cookie.contains(part), "{set_cookie}");
    }
    // Development serves plain http: no Secure (the unit test covers Secure outside dev).
    assert!(!set_cookie.contains("Secure"), "{set_cookie}");

    let (status, cart_page, headers) = shopper.page("/cart").await;
    assert_eq!(status, 200);
    assert_eq!(headers["cache-control"], "private, no-store");
    assert!(
        cart_page.contains("Added 2 × Ceramic Mug"),
        "the flash shows once"
    );
    assert!(cart_page.contains("data-cart-line="), "{cart_page}");
    assert!(cart_page.contains("€48.00"), "2 × €24.00");
    let (_, again, _) = shopper.page("/cart").await;
    assert!(!again.contains("Added 2 × Ceramic Mug"), "and only once");

    // Every page's header counts the items, and that copy is the visitor's alone.
    let (_, home, headers) = shopper.page("/").await;
    assert!(home.contains("data-cart-count"), "header count");
    assert_eq!(headers["cache-control"], "private, no-store");
    let (_, anonymous_home, anonymous_headers) = Shopper::new(&app).page("/").await;
    assert!(!anonymous_home.contains("data-cart-count=\"2\"") && !anonymous_home.contains(">2<"));
    assert!(
        anonymous_headers["cache-control"]
            .to_str()
            .unwrap()
            .starts_with("public")
    );

    let (_, cart) = shopper.json(reqwest::Method::GET, "/api/cart", None).await;
    let line = cart["lines"][0]["id"].as_i64().expect("line id");
    let res = shopper
        .form(&format!("/api/cart/lines/{line}"), &[("quantity", "3")])
        .await;
    assert_eq!(res.status(), 303);
    let (_, cart) = shopper.json(reqwest::Method::GET, "/api/cart", None).await;
    assert_eq!(cart["count"], 3);
    assert_eq!(cart["subtotal"], 3 * 2400);

    let res = shopper
        .form(&format!("/api/cart/lines/{line}/remove"), &[])
        .await;
    assert_eq!(res.status(), 303);
    let (_, cart) = shopper.json(reqwest::Method::GET, "/api/cart", None).await;
    assert_eq!(cart["lines"], json!([]));
    assert_eq!(cart["count"], 0);
}

#[tokio::test]
async fn the_json_cart_adds_updates_removes_and_reads() {
    let app = PaymentsApp::spawn().await;
    let mug = variant(&app, "ceramic-mug", "Sand").await;
    let apron = variant(&app, "linen-apron", "One size").await;
    let mut shopper = Shopper::new(&app);
    let (status, cart) = shopper.add(mug.id, 1).await;
    assert_eq!(status, 200, "{cart}");
    let (_, cart_again) = shopper.add(mug.id, 2).await;
    assert_eq!(
        cart_again["lines"].as_array().unwrap().len(),
        1,
        "same variant, one line"
    );
    assert_eq!(cart_again["lines"][0]["quantity"], 3);
    let (_, cart) = shopper.add(apron.id, 1).await;
    assert_eq!(cart["subtotal"], 3 * 2400 + 4800);
    assert_eq!(cart["total"], 3 * 2400 + 4800);
    let line = cart["lines"][1]["id"].as_i64().unwrap();
    let (status, cart) = shopper
        .json(
            reqwest::Method::PATCH,
            &format!("/api/cart/lines/{line}"),
            Some(json!({"quantity": 2})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(cart["count"], 5);
    let (status, cart) = shopper
        .json(
            reqwest::Method::DELETE,
            &format!("/api/cart/lines/{line}"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(cart["count"], 3);
    let _ = cart;
}

#[tokio::test]
async fn bad_cart_input_gets_clear_errors_and_changes_nothing() {
    let app = PaymentsApp::spawn().await;
    let mug = variant(&app, "ceramic-mug", "Sand").await;
    let lantern = variant(&app, "brass-lantern", "One size").await;
    let canoe = variant(&app, "cedar-canoe", "Two seats").await;
    let other = app.create_shop("other", "Other").await;
    let foreign = product_variant::ActiveModel {
        product_id: Set(entity::product::ActiveModel {
            shop_id: Set(other),
            handle: Set("foreign".into()),
            title: Set("Foreign".into()),
            description: Set(String::new()),
            images: Set(json!([])),
            featured: Set(false),
            position: Set(0),
            created_at: Set(chrono::Utc::now()),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap()
        .id),
        shop_id: Set(other),
        title: Set("x".into()),
        sku: Set("x".into()),
        price: Set(100),
        currency: Set("EUR".into()),
        inventory: Set(5),
        position: Set(0),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();

    let mut shopper = Shopper::new(&app);
    let cases: Vec<(Value, u16, &str)> = vec![
        (
            json!({"variant_id": mug.id, "quantity": 0}),
            400,
            "quantity",
        ),
        (
            json!({"variant_id": mug.id, "quantity": 100}),
            400,
            "quantity",
        ),
        (
            json!({"variant_id": 999_999, "quantity": 1}),
            404,
            "no such product",
        ),
        (
            json!({"variant_id": foreign.id, "quantity": 1}),
            404,
            "no such product",
        ),
        (
            json!({"variant_id": lantern.id, "quantity": 1}),
            409,
            "sold out",
        ),
        (
            json!({"variant_id": mug.id, "quantity": 19}),
            409,
            "only 18",
        ),
        (
            json!({"variant_id": canoe.id, "quantity": 1}),
            400,
            "start date",
        ),
        (
            json!({"variant_id": canoe.id, "quantity": 1, "start_date": day(-1), "end_date": day(1)}),
            400,
            "past",
        ),
        (
            json!({"variant_id": canoe.id, "quantity": 1, "start_date": day(5), "end_date": day(2)}),
            400,
            "on or after",
        ),
        (
            json!({"variant_id": canoe.id, "quantity": 1, "start_date": "soon", "end_date": day(2)}),
            400,
            "like 2026",
        ),
        (
            json!({"variant_id": canoe.id, "quantity": 4, "start_date": day(1), "end_date": day(2)}),
            409,
            "free on these dates",
        ),
        (json!({"variant_id": "seven"}), 422, ""),
    ];
    for (body, status, says) in cases {
        let (got, answer) = shopper
            .json(reqwest::Method::POST, "/api/cart", Some(body.clone()))
            .await;
        assert_eq!(got, status, "{body} → {answer}");
        let message = answer["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(says),
            "{body}: `{message}` should say `{says}`"
        );
        assert!(
            answer["error"]["request_id"].is_string(),
            "API error format: {answer}"
        );
    }
    let (_, cart) = shopper.json(reqwest::Method::GET, "/api/cart", None).await;
    assert_eq!(cart["count"], 0, "nothing was added");

    // A form gets the same refusal as a message on the cart page.
    let res = shopper
        .form(
            "/api/cart",
            &[("variant_id", &lantern.id.to_string()), ("quantity", "1")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let (_, page, _) = shopper.page("/cart").await;
    assert!(
        page.contains("Brass Lantern is sold out"),
        "flash error on the cart page"
    );

    // Neither a body that is not a form or JSON, nor an oversized one, is read.
    let res = shopper
        .request(reqwest::Method::POST, "/api/cart")
        .header("content-type", "text/plain")
        .body("variant_id=1")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 415);
    let res = shopper
        .request(reqwest::Method::POST, "/api/cart")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "variant_id={}&quantity=1&pad={}",
            mug.id,
            "x".repeat(20_000)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
}

#[tokio::test]
async fn carts_never_mix_between_shops() {
    let app = PaymentsApp::spawn().await;
    let mug = variant(&app, "ceramic-mug", "Sand").await;
    app.create_shop("other", "Other").await;
    let mut demo = Shopper::new(&app);
    demo.add(mug.id, 1).await;
    let (_, cart) = demo.json(reqwest::Method::GET, "/api/cart", None).await;
    let line = cart["lines"][0]["id"].as_i64().unwrap();

    // The same cookie sent to another shop finds no cart there, and cannot touch this one.
    let mut elsewhere = Shopper::at(&app, "other.localhost");
    elsewhere.cookie = demo.cookie.clone();
    let (_, cart) = elsewhere
        .json(reqwest::Method::GET, "/api/cart", None)
        .await;
    assert_eq!(cart["count"], 0);
    let (status, _) = elsewhere
        .json(
            reqwest::Method::DELETE,
            &format!("/api/cart/lines/{line}"),
            None,
        )
        .await;
    assert_eq!(status, 404);
    // Nor can another visitor of the same shop.
    let mut stranger = Shopper::new(&app);
    stranger.add(mug.id, 1).await;
    let (status, _) = stranger
        .json(
            reqwest::Method::DELETE,
            &format!("/api/cart/lines/{line}"),
            None,
        )
        .await;
    assert_eq!(status, 404);
    let (_, cart) = demo.json(reqwest::Method::GET, "/api/cart", None).await;
    assert_eq!(cart["count"], 1, "the owner's cart is intact");
}

#[tokio::test]
async fn a_cart_holds_a_bounded_number_of_lines() {
    let app = PaymentsApp::spawn().await;
    let shop = demo_shop(&app).await;
    let mug = variant(&app, "ceramic-mug", "Sand").await;
    let mut ids = Vec::new();
    for i in 0..=app::commerce::MAX_CART_LINES {
        let v = product_variant::ActiveModel {
            product_id: Set(mug.product_id),
            shop_id: Set(shop.id),
            title: Set(format!("Glaze {i}")),
            sku: Set(format!("G{i}")),
            price: Set(100),
            currency: Set("EUR".into()),
            inventory: Set(10),
            position: Set(10 + i as i32),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
        ids.push(v.id);
    }
    let mut shopper = Shopper::new(&app);
    for id in &ids[..app::commerce::MAX_CART_LINES] {
        let (status, _) = shopper.add(*id, 1).await;
        assert_eq!(status, 200);
    }
    let (status, answer) = shopper.add(ids[app::commerce::MAX_CART_LINES], 1).await;
    assert_eq!(status, 400);
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("at most 50")
    );
}

#[tokio::test]
async fn checkout_charges_catalogue_prices_whatever_the_form_says() {
    let app = PaymentsApp::spawn().await;
    let mug = variant(&app, "ceramic-mug", "Sand").await;
    let mut shopper = Shopper::new(&app);
    shopper.add(mug.id, 2).await;
    // A tampered form: prices and totals the customer would like to pay.
    let res = shopper
        .form(
            "/api/checkout-session",
            &[
                ("email", "Customer@Example.com"),
                ("price", "1"),
                ("total", "1"),
                ("unit_amount", "1"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let payment_url = res.headers()["location"].to_str().unwrap().to_string();
    assert!(payment_url.starts_with(&app.stub.base), "{payment_url}");
    let sent = app.stub_requests().await;
    let session = sent
        .iter()
        .rev()
        .find(|r| r["path"] == "/v1/checkout/sessions")
        .expect("a session was created");
    let params = session["params"].to_string();
    assert!(
        params.contains("2400"),
        "the catalogue price went to the provider: {params}"
    );
    let unit_amounts: Vec<&str> = session["params"]
        .as_object()
        .expect("params")
        .iter()
        .filter(|(k, _)| k.ends_with("[unit_amount]"))
        .map(|(_, v)| v.as_str().unwrap())
        .collect();
    assert_eq!(unit_amounts, ["2400"], "only catalogue prices: {params}");
    assert!(
        session["idempotency_key"]
            .as_str()
            .unwrap()
            .starts_with("vitrine-order-")
    );
    let order = entity::shop_order::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .expect("order");
    assert_eq!(order.total, 4800);
    assert_eq!(order.status, "pending");
    assert_eq!(order.email, "customer@example.com");

    // Paying sends the customer to the confirmation, which shows the order paid.
    let back = pay(&app, &payment_url).await;
    assert!(
        back.ends_with(&format!("/orders/{}", order.token)),
        "{back}"
    );
    let (status, page, headers) = shopper.page(&format!("/orders/{}", order.token)).await;
    assert_eq!(status, 200);
    assert_eq!(headers["cache-control"], "private, no-store");
    assert!(page.contains("data-order-status=\"paid\""), "{page}");
    assert_eq!(
        inventory(&app, mug.id).await,
        mug.inventory - 2,
        "stock taken"
    );
    let (_, cart) = shopper.json(reqwest::Method::GET, "/api/cart", None).await;
    assert_eq!(cart["count"], 0, "the cart is emptied once paid");
    // An unknown token is the shop's 404.
    let (status, _, _) = shopper.page("/orders/not-a-real-token").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn two_carts_after_the_last_unit_exactly_one_checkout_wins() {
    let app = PaymentsApp::spawn().await;
    let mug = variant(&app, "ceramic-mug", "Sand").await;
    set_inventory(&app, mug.id, 1).await;
    let mut a = Shopper::new(&app);
    let mut b = Shopper::new(&app);
    assert_eq!(a.add(mug.id, 1).await.0, 200);
    assert_eq!(b.add(mug.id, 1).await.0, 200);
    let ((sa, va), (sb, vb)) = tokio::join!(a.checkout(), b.checkout());
    let mut statuses = [sa, sb];
    statuses.sort();
    assert_eq!(statuses, [201, 409], "one wins: {va} / {vb}");
    let loser = if sa == 409 { va } else { vb };
    assert!(
        loser["error"]["message"]
            .as_str()
            .unwrap()
            .contains("sold out"),
        "{loser}"
    );
}

#[tokio::test]
async fn two_carts_renting_the_last_unit_on_overlapping_dates_one_wins() {
    let app = PaymentsApp::spawn().await;
    let canoe = variant(&app, "cedar-canoe", "Two seats").await;
    set_inventory(&app, canoe.id, 1).await;
    let mut a = Shopper::new(&app);
    let mut b = Shopper::new(&app);
    let mut c = Shopper::new(&app);
    assert_eq!(a.rent(canoe.id, &day(3), &day(5)).await.0, 200);
    assert_eq!(b.rent(canoe.id, &day(5), &day(8)).await.0, 200);
    // Back to back with a's rental: never overlaps, so it may always go.
    assert_eq!(c.rent(canoe.id, &day(6), &day(9)).await.0, 200);
    let ((sa, va), (sb, vb)) = tokio::join!(a.checkout(), b.checkout());
    let mut statuses = [sa, sb];
    statuses.sort();
    assert_eq!(statuses, [201, 409], "{va} / {vb}");
    let winner_is_a = sa == 201;
    let (sc, vc) = c.checkout().await;
    // c overlaps b (days 6–8) but not a.
    assert_eq!(sc, if winner_is_a { 201 } else { 409 }, "{vc}");
}

#[tokio::test]
async fn an_expired_payment_releases_the_hold() {
    let app = PaymentsApp::spawn().await;
    let mug = variant(&app, "ceramic-mug", "Sand").await;
    set_inventory(&app, mug.id, 1).await;
    let mut a = Shopper::new(&app);
    let mut b = Shopper::new(&app);
    a.add(mug.id, 1).await;
    let (status, placed) = a.checkout().await;
    assert_eq!(status, 201, "{placed}");
    // The unit is held: b can neither add it nor check it out.
    assert_eq!(b.add(mug.id, 1).await.0, 409);
    // The provider expires the session and tells us: the hold is released.
    let session = entity::shop_order::Entity::find_by_id(placed["order"]["id"].as_i64().unwrap())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .provider_session_id
        .unwrap();
    app.stub_expire(&session).await;
    assert_eq!(
        order_status(&app, placed["order"]["id"].as_i64().unwrap()).await,
        "expired"
    );
    assert_eq!(b.add(mug.id, 1).await.0, 200);
    assert_eq!(b.checkout().await.0, 201);
}

#[tokio::test]
async fn a_provider_that_cannot_be_reached_is_a_clear_error_and_holds_nothing() {
    let app = PaymentsApp::spawn_with_api_base("http://127.0.0.1:9").await;
    let mug = variant(&app, "ceramic-mug", "Sand").await;
    set_inventory(&app, mug.id, 1).await;
    let mut a = Shopper::new(&app);
    a.add(mug.id, 1).await;
    let (status, answer) = a.checkout().await;
    assert_eq!(status, 503, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("nothing was charged")
    );
    let mut b = Shopper::new(&app);
    assert_eq!(
        b.add(mug.id, 1).await.0,
        200,
        "the failed order holds no stock"
    );
}

/// A signed event for a payment session, as the provider sends it.
fn event(id: &str, kind: &str, session: &Value) -> Value {
    json!({"id": id, "object": "event", "type": kind, "created": chrono::Utc::now().timestamp(), "data": {"object": session}})
}

async fn post_webhook(app: &PaymentsApp, body: &str, signature: Option<String>) -> (u16, Value) {
    let mut req = app
        .client
        .post(format!("{}/api/webhooks/stripe", app.base))
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(sig) = signature {
        req = req.header("stripe-signature", sig);
    }
    let res = req.send().await.expect("webhook");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_webhook_refuses_every_bad_signature_and_pays_exactly_once() {
    let app = PaymentsApp::spawn().await;
    let mug = variant(&app, "ceramic-mug", "Sand").await;
    let mut shopper = Shopper::new(&app);
    shopper.add(mug.id, 2).await;
    let (_, placed) = shopper.checkout().await;
    let order_id = placed["order"]["id"].as_i64().unwrap();
    let order = entity::shop_order::Entity::find_by_id(order_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let session = json!({
        "id": order.provider_session_id, "object": "checkout.session",
        "client_reference_id": order.token, "payment_intent": "pi_test_1",
        "payment_status": "paid", "status": "complete",
        "amount_total": order.total, "currency": "eur",
    });
    let body = event("evt_test_1", "checkout.session.completed", &session).to_string();
    let now = chrono::Utc::now().timestamp();
    let secret = app.webhook_secret.clone();
    let sign = |secret: &str, t: i64, body: &str| {
        server::payments::signature::sign(secret, t, body.as_bytes())
    };
    let good = sign(&secret, now, &body);
    let bad_cases: Vec<(Option<String>, &str)> = vec![
        (None, "missing"),
        (Some(sign("whsec_wrong", now, &body)), "wrong secret"),
        (Some(sign(&secret, now - 301, &body)), "stale"),
        (Some(sign(&secret, now + 301, &body)), "from the future"),
        (Some("t=abc,v1=zz".into()), "malformed"),
        (Some(format!("t={now}")), "no v1"),
        (
            Some(good.replace(&format!("t={now}"), &format!("t={}", now - 1))),
            "timestamp swapped",
        ),
    ];
    for (signature, why) in bad_cases {
        let (status, answer) = post_webhook(&app, &body, signature).await;
        assert_eq!(status, 400, "{why}: {answer}");
        assert_eq!(
            answer["error"]["code"], "bad_request",
            "{why}: API error format"
        );
        assert_eq!(
            order_status(&app, order_id).await,
            "pending",
            "{why} changed nothing"
        );
    }
    // A body changed after signing does not verify either.
    let tampered = body.replace(&order.total.to_string(), "1");
    assert_eq!(
        post_webhook(&app, &tampered, Some(good.clone())).await.0,
        400
    );
    // Signed but not an event.
    let junk = "{not json";
    assert_eq!(
        post_webhook(&app, junk, Some(sign(&secret, now, junk)))
            .await
            .0,
        400
    );
    assert_eq!(inventory(&app, mug.id).await, mug.inventory);

    // The genuine event pays the order and takes the stock, once.
    let (status, answer) = post_webhook(&app, &body, Some(good.clone())).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(order_status(&app, order_id).await, "paid");
    assert_eq!(inventory(&app, mug.id).await, mug.inventory - 2);
    // The very delivery replayed: refused, nothing changes. The provider's own redelivery
    // of the event (signed afresh) is acknowledged as a duplicate, and changes nothing.
    let (status, answer) = post_webhook(&app, &body, Some(good)).await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["error"]["code"], "bad_request");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("replay"),
        "{answer}"
    );
    let redelivered = sign(&secret, now + 1, &body);
    let (status, answer) = post_webhook(&app, &body, Some(redelivered)).await;
    assert_eq!((status, answer["duplicate"].clone()), (200, json!(true)));
    let again = event("evt_test_2", "checkout.session.completed", &session).to_string();
    assert_eq!(
        post_webhook(&app, &again, Some(sign(&secret, now, &again)))
            .await
            .0,
        200
    );
    assert_eq!(
        inventory(&app, mug.id).await,
        mug.inventory - 2,
        "stock taken once"
    );
    // An event naming the wrong amount is recorded but pays nothing.
    shopper.add(mug.id, 1).await;
    let (_, placed) = shopper.checkout().await;
    let second = entity::shop_order::Entity::find_by_id(placed["order"]["id"].as_i64().unwrap())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let cheap = event(
        "evt_test_3",
        "checkout.session.completed",
        &json!({"id": second.provider_session_id, "payment_status": "paid", "amount_total": 1, "currency": "eur"}),
    )
    .to_string();
    assert_eq!(
        post_webhook(&app, &cheap, Some(sign(&secret, now, &cheap)))
            .await
            .0,
        200
    );
    assert_eq!(order_status(&app, second.id).await, "pending");
}

#[tokio::test]
async fn a_rental_is_booked_paid_and_returned_with_its_deposit_refunded() {
    let app = PaymentsApp::spawn().await;
    let canoe = variant(&app, "cedar-canoe", "Two seats").await;
    let mut shopper = Shopper::new(&app);
    // The product page asks for the dates.
    let (status, page, _) = shopper.page("/products/cedar-canoe").await;
    assert_eq!(status, 200);
    assert!(page.contains("name=\"start_date\"") && page.contains("name=\"end_date\""));
    let res = shopper
        .form(
            "/api/cart",
            &[
                ("variant_id", &canoe.id.to_string()),
                ("quantity", "1"),
                ("start_date", &day(2)),
                ("end_date", &day(4)),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let (_, cart) = shopper.json(reqwest::Method::GET, "/api/cart", None).await;
    assert_eq!(cart["lines"][0]["days"], 3);
    assert_eq!(cart["subtotal"], 3 * 6500);
    assert_eq!(cart["deposit_total"], 20000);
    assert_eq!(cart["total"], 3 * 6500 + 20000);
    let (status, placed) = shopper.checkout().await;
    assert_eq!(status, 201, "{placed}");
    pay(&app, placed["payment_url"].as_str().unwrap()).await;
    let order_id = placed["order"]["id"].as_i64().unwrap();
    assert_eq!(order_status(&app, order_id).await, "paid");
    assert_eq!(
        inventory(&app, canoe.id).await,
        canoe.inventory,
        "rentals come back: units stay"
    );

    // Operators only: strangers, other shops' owners and viewers cannot return it.
    let body = json!({"order_id": order_id});
    let returns = format!("{}/api/returns", app.base);
    let res = app.client.post(&returns).json(&body).send().await.unwrap();
    assert_eq!(res.status(), 401);
    let (_, _) = common::shop_with_members(&app, "rival").await;
    let rival = common::login(&app, "owner@rival.example", "password-123").await;
    let res = app
        .client
        .post(&returns)
        .header("cookie", &rival)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        404,
        "another shop's order does not exist for them"
    );
    let demo_shop = demo_shop(&app).await;
    server::auth::upsert_user_with_role(
        &app.db,
        "viewer@demo.example",
        "password-123",
        "v",
        demo_shop.id,
        server::auth::Role::Viewer,
    )
    .await
    .unwrap();
    let viewer = common::login(&app, "viewer@demo.example", "password-123").await;
    let res = app
        .client
        .post(&returns)
        .header("cookie", &viewer)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    let owner = common::login(
        &app,
        server::seed::SAMPLE_EDITOR_EMAIL,
        server::seed::SAMPLE_EDITOR_PASSWORD,
    )
    .await;
    let res = app
        .client
        .post(&returns)
        .header("cookie", &owner)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let returned: Value = res.json().await.unwrap();
    assert_eq!(returned["status"], "returned");
    assert_eq!(returned["refunded"], 20000);
    let refund = app
        .stub_requests()
        .await
        .into_iter()
        .find(|r| r["path"] == "/v1/refunds")
        .expect("a refund was asked for");
    assert!(refund["params"].to_string().contains("20000"), "{refund}");
    // Twice is refused and refunds nothing more.
    let res = app
        .client
        .post(&returns)
        .header("cookie", &owner)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    let refunds = app
        .stub_requests()
        .await
        .into_iter()
        .filter(|r| r["path"] == "/v1/refunds")
        .count();
    assert_eq!(refunds, 1);

    // The operator's order API lists it; viewers may not read customers' orders.
    let res = app
        .client
        .get(format!("{}/api/v1/shops/demo/orders", app.base))
        .header("cookie", &owner)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let list: Value = res.json().await.unwrap();
    assert_eq!(list["orders"][0]["id"], order_id);
    assert_eq!(list["orders"][0]["rental_start"], day(2));
    let res = app
        .client
        .get(format!("{}/api/v1/shops/demo/orders", app.base))
        .header("cookie", &viewer)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}

fn smoke_target(app: &PaymentsApp) -> server::smoke::Target {
    server::smoke::Target {
        base: app.base.clone(),
        host: HOST.into(),
        operator: Some(server::smoke::Operator::Login {
            email: server::seed::SAMPLE_EDITOR_EMAIL.into(),
            password: server::seed::SAMPLE_EDITOR_PASSWORD.into(),
        }),
    }
}

#[tokio::test]
async fn the_smoke_suite_passes_on_the_sample_shop() {
    let app = PaymentsApp::spawn().await;
    let report = server::smoke::run(&smoke_target(&app)).await;
    println!("{report}");
    assert!(report.passed(), "{report}");
    let names: Vec<&str> = report.checks.iter().map(|c| c.name).collect();
    for name in [
        "home",
        "product list",
        "product page",
        "content page",
        "cart add/update/remove",
        "checkout session",
        "webhook → order paid",
        "rental booked and returned",
    ] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
    assert!(
        report
            .checks
            .iter()
            .all(|c| matches!(c.outcome, server::smoke::Outcome::Pass(_))),
        "nothing skipped on the sample shop: {report}"
    );
}

#[tokio::test]
async fn the_smoke_suite_fails_when_checkout_cannot_reach_the_provider() {
    let app = PaymentsApp::spawn_with_api_base("http://127.0.0.1:9").await;
    let mut target = smoke_target(&app);
    let report = server::smoke::run(&target).await;
    assert!(!report.passed(), "{report}");
    let failed: Vec<&str> = report
        .checks
        .iter()
        .filter(|c| matches!(c.outcome, server::smoke::Outcome::Fail(_)))
        .map(|c| c.name)
        .collect();
    assert!(failed.contains(&"checkout session"), "{report}");
    // Pages still pass: the report says exactly what is broken.
    assert!(
        matches!(report.checks[0].outcome, server::smoke::Outcome::Pass(_)),
        "{report}"
    );
    // And a shop that is not there fails from the first check.
    target.host = "nowhere.localhost".into();
    assert!(!server::smoke::run(&target).await.passed());
}

#[tokio::test]
async fn idle_carts_and_unpaid_orders_are_swept() {
    use chrono::{Duration, Utc};
    let app = PaymentsApp::spawn().await;
    let mug = variant(&app, "ceramic-mug", "Sand").await;
    // Three visitors: one emptied their cart, one filled it, one filled it long ago.
    let mut emptied = Shopper::new(&app);
    let (_, cart) = emptied.add(mug.id, 1).await;
    let line = cart["lines"][0]["id"].as_i64().unwrap();
    emptied
        .json(
            reqwest::Method::DELETE,
            &format!("/api/cart/lines/{line}"),
            None,
        )
        .await;
    let mut filled = Shopper::new(&app);
    filled.add(mug.id, 1).await;
    let mut forgotten = Shopper::new(&app);
    forgotten.add(mug.id, 1).await;
    let mut paying = Shopper::new(&app);
    paying.add(mug.id, 1).await;
    let (_, placed) = paying.checkout().await;
    let order_id = placed["order"]["id"].as_i64().unwrap();

    let count = || async {
        entity::cart::Entity::find()
            .all(&app.db)
            .await
            .unwrap()
            .len()
    };
    assert_eq!(count().await, 4);
    let now = Utc::now();
    assert_eq!(
        server::commerce::cart::sweep(&app.db, now).await.unwrap(),
        0
    );
    // Two days later the empty cart goes, the filled ones stay; after a month, all go.
    let later = now + Duration::days(2);
    assert_eq!(
        server::commerce::cart::sweep(&app.db, later).await.unwrap(),
        1
    );
    assert_eq!(count().await, 3);
    assert_eq!(
        server::commerce::orders::sweep_expired(&app.db, now)
            .await
            .unwrap(),
        0
    );
    assert_eq!(order_status(&app, order_id).await, "pending");
    // Past its payment window the unpaid order is expired (its hold stopped counting then).
    let window = Duration::minutes(server::commerce::checkout::PAYMENT_WINDOW_MINUTES + 1);
    assert_eq!(
        server::commerce::orders::sweep_expired(&app.db, now + window)
            .await
            .unwrap(),
        1
    );
    assert_eq!(order_status(&app, order_id).await, "expired");
    let month = now + Duration::days(server::commerce::cart::CART_IDLE_DAYS + 1);
    server::commerce::cart::sweep(&app.db, month).await.unwrap();
    assert_eq!(count().await, 0);
    let (_, cart) = filled.json(reqwest::Method::GET, "/api/cart", None).await;
    assert_eq!(cart["count"], 0, "a swept cart's cookie finds nothing");
}

#[tokio::test]
async fn the_order_list_is_bounded_and_says_when_it_is_cut_short() {
    use entity::shop_order;
    let app = PaymentsApp::spawn().await;
    let shop = demo_shop(&app).await;
    let now = chrono::Utc::now();
    let orders: Vec<shop_order::ActiveModel> = (0..=server::commerce::orders::MAX_LISTED)
        .map(|i| shop_order::ActiveModel {
            shop_id: Set(shop.id),
            token: Set(format!("token-{i}")),
            status: Set("paid".into()),
            email: Set(format!("c{i}@example.com")),
            currency: Set("EUR".into()),
            subtotal: Set(100),
            deposit_total: Set(0),
            total: Set(100),
            provider: Set("stripe".into()),
            expires_at: Set(now),
            created_at: Set(now + chrono::Duration::seconds(i as i64)),
            refunded: Set(0),
            ..Default::default()
        })
        .collect();
    shop_order::Entity::insert_many(orders)
        .exec(&app.db)
        .await
        .unwrap();
    let owner = common::login(
        &app,
        server::seed::SAMPLE_EDITOR_EMAIL,
        server::seed::SAMPLE_EDITOR_PASSWORD,
    )
    .await;
    let list: Value = app
        .client
        .get(format!("{}/api/v1/shops/demo/orders", app.base))
        .header("cookie", &owner)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["orders"].as_array().unwrap().len(), 200);
    assert_eq!(list["truncated"], true);
    assert_eq!(
        list["orders"][0]["email"], "c200@example.com",
        "newest first"
    );
    let res = app
        .client
        .get(format!("{}/api/v1/shops/demo/orders?status=lost", app.base))
        .header("cookie", &owner)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
}

/// The provider's payment page of a placed order (from the JSON checkout answer).
fn payment_url(placed: &Value) -> String {
    placed["payment_url"]
        .as_str()
        .expect("payment_url")
        .to_string()
}

async fn order_row(app: &PaymentsApp, placed: &Value) -> entity::shop_order::Model {
    entity::shop_order::Entity::find_by_id(placed["order"]["id"].as_i64().unwrap())
        .one(&app.db)
        .await
        .expect("db")
        .expect("order")
}

/// Ends a placed order's payment window as the sweep does (its page at the provider stays
/// open).
async fn expire_by_hand(app: &PaymentsApp, placed: &Value) {
    entity::shop_order::ActiveModel {
        id: Set(placed["order"]["id"].as_i64().unwrap()),
        status: Set("expired".into()),
        expires_at: Set(chrono::Utc::now() - chrono::Duration::minutes(1)),
        ..Default::default()
    }
    .update(&app.db)
    .await
    .unwrap();
}

#[tokio::test]
async fn a_payment_after_the_hold_expired_and_the_stock_went_is_refunded_not_oversold() {
    let app = PaymentsApp::spawn().await;
    let mug = variant(&app, "ceramic-mug", "Sand").await;
    set_inventory(&app, mug.id, 1).await;
    let mut slow = Shopper::new(&app);
    slow.add(mug.id, 1).await;
    let (status, late) = slow.checkout().await;
    assert_eq!(status, 201, "{late}");
    // The slow customer's hold runs out (as the sweep finds it) while their payment page
    // stays open at the provider.
    expire_by_hand(&app, &late).await;
    let mut quick = Shopper::new(&app);
    assert_eq!(quick.add(mug.id, 1).await.0, 200);
    let (status, won) = quick.checkout().await;
    assert_eq!(status, 201, "{won}");
    pay(&app, &payment_url(&won)).await;
    assert_eq!(order_row(&app, &won).await.status, "paid");
    assert_eq!(inventory(&app, mug.id).await, 0);

    // Now the slow customer pays: the unit is gone, so the money goes back.
    pay(&app, &payment_url(&late)).await;
    let order = order_row(&app, &late).await;
    assert_eq!(order.status, "expired", "never paid without its stock");
    assert_eq!(order.refunded, order.total, "refunded in full");
    assert!(order.refund_id.is_some());
    assert_eq!(inventory(&app, mug.id).await, 0, "nothing oversold");
    let refunds: Vec<Value> = app
        .stub_requests()
        .await
        .into_iter()
        .filter(|r| r["path"] == "/v1/refunds")
        .collect();
    assert_eq!(refunds.len(), 1, "{refunds:?}");
    assert_eq!(
        refunds[0]["idempotency_key"],
        format!("vitrine-late-{}", order.token)
    );
    assert_eq!(refunds[0]["params"]["amount"], order.total.to_string());
}

#[tokio::test]
async fn a_late_payment_whose_stock_is_still_there_pays_its_order() {
    let app = PaymentsApp::spawn().await;
    let mug = variant(&app, "ceramic-mug", "Sand").await;
    set_inventory(&app, mug.id, 3).await;
    let mut shopper = Shopper::new(&app);
    shopper.add(mug.id, 2).await;
    let (_, placed) = shopper.checkout().await;
    expire_by_hand(&app, &placed).await;
    pay(&app, &payment_url(&placed)).await;
    assert_eq!(order_row(&app, &placed).await.status, "paid");
    assert_eq!(inventory(&app, mug.id).await, 1);
    assert!(
        !app.stub_requests()
            .await
            .iter()
            .any(|r| r["path"] == "/v1/refunds")
    );
}

#[tokio::test]
async fn checking_out_again_closes_the_earlier_payment_page() {
    let app = PaymentsApp::spawn().await;
    let mug = variant(&app, "ceramic-mug", "Sand").await;
    let mut shopper = Shopper::new(&app);
    shopper.add(mug.id, 1).await;
    let (_, first) = shopper.checkout().await;
    let (status, second) = shopper.checkout().await;
    assert_eq!(status, 201, "{second}");
    let first = order_row(&app, &first).await;
    assert_eq!(first.status, "expired", "the earlier attempt holds nothing");
    let session = first.provider_session_id.clone().unwrap();
    assert!(
        app.stub_requests()
            .await
            .iter()
            .any(|r| r["path"] == format!("/v1/checkout/sessions/{session}/expire")),
        "the provider was asked to close the first payment page"
    );
    // Its page no longer takes money.
    let page = app
        .client
        .get(first.payment_url.clone().unwrap())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("expired"), "{page}");
    assert_eq!(order_row(&app, &second).await.status, "pending");
}

#[tokio::test]
async fn a_rental_whose_dates_passed_in_the_cart_cannot_be_checked_out() {
    let app = PaymentsApp::spawn().await;
    let canoe = variant(&app, "cedar-canoe", "Two seats").await;
    let mut shopper = Shopper::new(&app);
    assert_eq!(shopper.rent(canoe.id, &day(1), &day(2)).await.0, 200);
    // Two days later, the cart still holds it.
    entity::cart_line::Entity::update_many()
        .col_expr(
            entity::cart_line::Column::StartDate,
            sea_orm::sea_query::Expr::value(
                chrono::Utc::now().date_naive() - chrono::Duration::days(1),
            ),
        )
        .exec(&app.db)
        .await
        .unwrap();
    let (status, answer) = shopper.checkout().await;
    assert_eq!(status, 409, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("have passed"),
        "{answer}"
    );
    let (_, cart) = shopper.json(reqwest::Method::GET, "/api/cart", None).await;
    assert!(
        cart["lines"][0]["problem"]
            .as_str()
            .unwrap_or_default()
            .contains("have passed"),
        "the cart says so too: {cart}"
    );
    assert_eq!(order_count(&app).await, 0, "no order was placed");
}

#[tokio::test]
async fn a_shop_configured_without_payments_takes_no_checkout_and_holds_nothing() {
    use app::shop_config::PaymentsChoice;
    let app = PaymentsApp::spawn().await;
    let mug = variant(&app, "ceramic-mug", "Sand").await;
    let shop = entity::shop::Entity::find()
        .filter(entity::shop::Column::Handle.eq("demo"))
        .one(&app.db)
        .await
        .unwrap()
        .expect("the sample shop");
    let config = server::lifecycle::config::of_shop(&app.db, &shop)
        .await
        .unwrap();
    let configure = |payments: PaymentsChoice| {
        let mut config = config.clone();
        config.providers.payments = payments;
        let active = entity::shop::ActiveModel {
            id: Set(shop.id),
            config: Set(Some(config.to_pretty_json())),
            ..Default::default()
        };
        async {
            active.update(&app.db).await.unwrap();
            app.state.tenants.invalidate_shop(shop.id);
        }
    };

    // Configured with no payments: the cart works, checkout is refused and holds nothing,
    // although this server could take payments (the stub is running).
    configure(PaymentsChoice::None).await;
    let mut shopper = Shopper::new(&app);
    assert_eq!(shopper.add(mug.id, 1).await.0, 200);
    let (status, answer) = shopper.checkout().await;
    assert_eq!(status, 409, "{answer}");
    assert_eq!(
        answer["error"]["message"],
        server::commerce::NO_ONLINE_PAYMENTS,
        "{answer}"
    );
    assert_eq!(order_count(&app).await, 0, "no order was placed");
    let stub_calls = app.stub_requests().await;
    assert!(
        !stub_calls
            .iter()
            .any(|r| r["path"] == "/v1/checkout/sessions"),
        "the provider was not called: {stub_calls:?}"
    );

    // The same cart checks out once the shop's configuration chooses a provider.
    configure(PaymentsChoice::Stripe).await;
    let (status, answer) = shopper.checkout().await;
    assert_eq!(status, 201, "{answer}");
}
