//! A real server for tests: a fresh database (a SQLite file, or a PostgreSQL database when
//! `VITRINE_TEST_DATABASE_URL` is set: see `db.rs`), the real migrations, the real router on a
//! loopback port, and an HTTP client.
#![allow(dead_code)]

use app::blocks::BlockNode;
use chrono::Utc;
use entity::{page, shop, shop_domain};
use sea_orm::{ActiveModelTrait, DatabaseConnection, Set};
use server::{AppState, Config};

pub mod db;
pub mod payments;

pub use db::TestDb;

pub struct TestApp {
    pub state: AppState,
    pub db: DatabaseConnection,
    pub base: String,
    pub client: reqwest::Client,
    /// Last, so the pool above is dropped before its database.
    pub test_db: TestDb,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(configure: impl FnOnce(&mut Config)) -> Self {
        Self::spawn_full(configure, server::collab::Limits::default()).await
    }

    /// A server with explicit collaboration limits (small ones, so tests can hit them).
    pub async fn spawn_with_limits(limits: server::collab::Limits) -> Self {
        Self::spawn_full(|_| {}, limits).await
    }

    pub async fn spawn_full(
        configure: impl FnOnce(&mut Config),
        limits: server::collab::Limits,
    ) -> Self {
        let test_db = TestDb::fresh().await;
        let url = test_db.url.clone();
        let mut config = Config::for_tests(&url);
        configure(&mut config);
        let db = server::db::connect_and_migrate(&url)
            .await
            .expect("database");
        let state = AppState::with_limits(db.clone(), config, limits);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let router = server::http::router(state.clone())
            .into_make_service_with_connect_info::<std::net::SocketAddr>();
        tokio::spawn(async move {
            axum::serve(listener, router).await.expect("serve");
        });
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        Self {
            state,
            db,
            base,
            client,
            test_db,
        }
    }

    /// GET `path` as if sent to `host`.
    pub async fn get(&self, host: &str, path: &str) -> (u16, String) {
        let res = self
            .client
            .get(format!("{}{}", self.base, path))
            .header("host", host)
            .send()
            .await
            .expect("request");
        let status = res.status().as_u16();
        (status, res.text().await.expect("body"))
    }

    pub async fn create_shop(&self, handle: &str, name: &str) -> i64 {
        let now = Utc::now();
        let shop = shop::ActiveModel {
            handle: Set(handle.into()),
            name: Set(name.into()),
            locale: Set("en".into()),
            currency: Set("EUR".into()),
            theme: Set(serde_json::json!({})),
            tagline: Set(format!("{name} tagline")),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&self.db)
        .await
        .expect("shop");
        self.add_domain(shop.id, &format!("{handle}.localhost"), true, true)
            .await;
        shop.id
    }

    pub async fn add_domain(&self, shop_id: i64, host: &str, primary: bool, verified: bool) {
        shop_domain::ActiveModel {
            shop_id: Set(shop_id),
            host: Set(host.into()),
            is_primary: Set(primary),
            verified: Set(verified),
            created_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(&self.db)
        .await
        .expect("domain");
    }

    pub async fn create_page(&self, shop_id: i64, slug: &str, title: &str, page_type: &str) -> i64 {
        page::ActiveModel::new_page(shop_id, slug, title, page_type)
            .insert(&self.db)
            .await
            .expect("page")
            .id
    }

    /// Publishes blocks given as JSON through the real publish service.
    pub async fn publish(
        &self,
        shop_id: i64,
        page_id: i64,
        blocks: serde_json::Value,
    ) -> server::publish::Published {
        let nodes: Vec<BlockNode> = serde_json::from_value(blocks).expect("blocks json");
        self.state
            .publisher()
            .publish_nodes(shop_id, page_id, &nodes, None)
            .await
            .expect("publish")
    }
}

/// A hero block with the given heading.
pub fn hero(id: &str, heading: &str) -> serde_json::Value {
    serde_json::json!({"id": id, "type": "hero", "props": {"heading": heading}})
}

/// Logs in over the API and returns the session cookie (`name=value`).
pub async fn login(app: &TestApp, email: &str, password: &str) -> String {
    let res = app
        .client
        .post(format!("{}/api/v1/session", app.base))
        .json(&serde_json::json!({"email": email, "password": password}))
        .send()
        .await
        .expect("login request");
    assert_eq!(res.status(), 200, "login as {email}");
    session_cookie(&res).expect("session cookie")
}

/// The `vitrine_session=…` pair from a response's Set-Cookie, if any.
pub fn session_cookie(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("vitrine_session="))
        .map(|v| v.split(';').next().unwrap_or_default().to_string())
}

/// A shop with a page and users of each role; returns (shop_id, page_id).
pub async fn shop_with_members(app: &TestApp, handle: &str) -> (i64, i64) {
    use server::auth::{Role, upsert_user_with_role};
    let shop = app.create_shop(handle, handle).await;
    let page = app.create_page(shop, "home", "Home", "home").await;
    app.publish(shop, page, serde_json::json!([hero("h", "Live heading")]))
        .await;
    for (who, role) in [
        ("owner", Role::Owner),
        ("editor", Role::Editor),
        ("viewer", Role::Viewer),
    ] {
        upsert_user_with_role(
            &app.db,
            &format!("{who}@{handle}.example"),
            "password-123",
            who,
            shop,
            role,
        )
        .await
        .expect("user");
    }
    (shop, page)
}

pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens the collaboration socket of a page with a session cookie.
pub async fn ws_connect(
    app: &TestApp,
    page_id: i64,
    cookie: Option<&str>,
) -> Result<Ws, tokio_tungstenite::tungstenite::Error> {
    ws_connect_to(&app.base, page_id, cookie).await
}

/// Opens the collaboration socket of a page on the server at `base` (`http://host:port`).
pub async fn ws_connect_to(
    base: &str,
    page_id: i64,
    cookie: Option<&str>,
) -> Result<Ws, tokio_tungstenite::tungstenite::Error> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let url = format!(
        "{}/api/v1/pages/{page_id}/collab",
        base.replace("http://", "ws://")
    );
    let mut request = url.into_client_request().expect("request");
    if let Some(cookie) = cookie {
        request
            .headers_mut()
            .insert("cookie", cookie.parse().expect("cookie header"));
    }
    // TCP_NODELAY, as browsers set it on WebSockets: with Nagle's algorithm on, a client that
    // sends edit after edit without hearing back waits for the server's delayed ACK (40 ms)
    // before each next one, and that was most of what a test measured.
    tokio_tungstenite::connect_async_with_config(request, None, true)
        .await
        .map(|(ws, _)| ws)
}

/// Creates a 10-minute preview link for a page as the logged-in `cookie`; returns its URL.
pub async fn create_preview_link(app: &TestApp, cookie: &str, page_id: i64) -> String {
    let res = app
        .client
        .post(format!("{}/api/v1/pages/{page_id}/preview-links", app.base))
        .header("cookie", cookie)
        .json(&serde_json::json!({"ttl_seconds": 600}))
        .send()
        .await
        .expect("create preview link");
    assert_eq!(res.status(), 201, "create preview link");
    let link: serde_json::Value = res.json().await.expect("preview link json");
    link["url"].as_str().expect("preview link url").to_string()
}

/// The preview cookie (`name=value`) that a link's token becomes after `GET /preview/{token}`.
pub fn preview_cookie(page_id: i64, url: &str) -> String {
    let token = url.rsplit("/preview/").next().unwrap_or_default();
    format!("vitrine_preview_{page_id}={token}")
}

/// A JSON request to `/api/v1{path}` as the holder of `cookie`: the status and the JSON body
/// (`null` when there is none).
pub async fn api(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    cookie: &str,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    let mut req = app
        .client
        .request(method, format!("{}/api/v1{path}", app.base))
        .header("cookie", cookie);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(serde_json::Value::Null))
}
