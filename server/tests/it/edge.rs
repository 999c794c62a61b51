//! The edge facing anonymous clients: hostile Host headers and paths against the tenant and
//! render caches, canonical links, headers on public and admin responses, what the request
//! log records, and the error format of rejected JSON bodies.

use crate::common::{TestApp, hero, login, shop_with_members};
use chrono::Utc;
use entity::page;
use futures_util::StreamExt;
use sea_orm::{ActiveModelTrait, Set};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

/// A shop `alpha` with a published home page and a published content page `about` (listed in
/// the header's navigation); returns (shop id, about page id).
async fn alpha_with_about(app: &TestApp) -> (i64, i64) {
    let shop = app.create_shop("alpha", "Alpha Goods").await;
    let home = app.create_page(shop, "home", "Home", "home").await;
    app.publish(shop, home, json!([hero("h", "Welcome to Alpha")]))
        .await;
    let about = app.create_page(shop, "about", "About us", "page").await;
    app.publish(shop, about, json!([hero("h", "About Alpha")]))
        .await;
    (shop, about)
}

/// Renames a page behind the publish service's back, so nothing is invalidated: a page
/// rendered before shows the old navigation label for as long as it stays cached.
async fn rename_quietly(app: &TestApp, page_id: i64, title: &str) {
    page::ActiveModel {
        id: Set(page_id),
        title: Set(title.into()),
        ..Default::default()
    }
    .update(&app.db)
    .await
    .expect("rename");
}

fn canonical(body: &str) -> String {
    let doc = scraper::Html::parse_document(body);
    let sel = scraper::Selector::parse("link[rel=canonical]").expect("selector");
    doc.select(&sel)
        .next()
        .and_then(|l| l.value().attr("href"))
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn a_host_with_an_out_of_range_port_is_refused_never_cached_nor_echoed() {
    let app = TestApp::spawn().await;
    alpha_with_about(&app).await;
    let huge = format!("alpha.localhost:{}", "7".repeat(100_000));
    for host in [
        huge.as_str(),
        "alpha.localhost:65536",
        "alpha.localhost:0",
        "alpha.localhost:-1",
        "alpha.localhost:80:80",
        "[::1]junk",
    ] {
        for path in ["/", "/pages/about", "/nope"] {
            let (status, body) = app.get(host, path).await;
            assert!(
                status == 400 || status == 404,
                "{path} on {:.40}: {status}",
                host
            );
            assert!(
                !body.contains("Welcome to Alpha") && !body.contains("7777"),
                "{path} on {:.40} was served",
                host
            );
        }
    }
    assert!(
        app.state.render_cache.is_empty(),
        "a refused host left a cache entry"
    );
    // The highest port is still a port.
    let (status, _) = app.get("alpha.localhost:65535", "/").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn ten_thousand_distinct_ports_and_unknown_hosts_do_not_evict_a_shops_cached_page() {
    let app = TestApp::spawn().await;
    let (_, about) = alpha_with_about(&app).await;
    let (status, body) = app.get("alpha.localhost", "/").await;
    assert_eq!(status, 200);
    assert!(body.contains("About us"));
    rename_quietly(&app, about, "Renamed quietly").await;
    let (_, body) = app.get("alpha.localhost", "/").await;
    assert!(body.contains("About us"), "the home page was not cached");

    let hosts = (1..=10_000u32)
        .map(|i| format!("alpha.localhost:{i}"))
        .chain((0..10_000u32).map(|i| format!("nobody-{i}.localhost")));
    let statuses: Vec<u16> = futures_util::stream::iter(hosts)
        .map(|host| {
            let app = &app;
            async move { app.get(&host, "/").await.0 }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 10_000);
    assert_eq!(statuses.iter().filter(|s| **s == 404).count(), 10_000);

    let (status, body) = app.get("alpha.localhost", "/").await;
    assert_eq!(status, 200);
    assert!(
        body.contains("About us") && !body.contains("Renamed quietly"),
        "the flood evicted the shop's cached home page"
    );
}

#[tokio::test]
async fn a_flood_of_unknown_hosts_does_not_evict_known_shops_from_the_tenant_cache() {
    let app = TestApp::spawn().await;
    let shop = app.create_shop("alpha", "Alpha Goods").await;
    let tenants = server::tenancy::TenantCache::new(
        std::time::Duration::from_secs(3600),
        std::time::Duration::from_secs(3600),
    );
    let known = tenants.resolve(&app.db, "alpha.localhost").await.unwrap();
    assert_eq!(known.unwrap().shop.name, "Alpha Goods");
    entity::shop::ActiveModel {
        id: Set(shop),
        name: Set("Renamed quietly".into()),
        ..Default::default()
    }
    .update(&app.db)
    .await
    .unwrap();
    for i in 0..10_000 {
        let host = format!("nobody-{i}.localhost");
        assert!(tenants.resolve(&app.db, &host).await.unwrap().is_none());
    }
    let known = tenants.resolve(&app.db, "alpha.localhost").await.unwrap();
    assert_eq!(
        known.unwrap().shop.name,
        "Alpha Goods",
        "the flood evicted a known shop's entry"
    );
}

#[tokio::test]
async fn canonical_links_use_the_primary_host_and_the_pages_own_path() {
    let app = TestApp::spawn().await;
    let (shop, _) = alpha_with_about(&app).await;
    app.add_domain(shop, "www.alpha.example", false, true).await;

    // Neither the request's host nor its port reach the page.
    for host in ["alpha.localhost:4444", "www.alpha.example:31337"] {
        let (status, body) = app.get(host, "/").await;
        assert_eq!(status, 200, "{host}");
        assert_eq!(canonical(&body), "http://alpha.localhost/", "{host}");
    }
    // An encoded variant of a page's address is the same page: one canonical link and one
    // cache entry, however it is spelled.
    let before = app.state.render_cache.len();
    for path in [
        "/pages/about",
        "/pages/%61bout",
        "/pages/%61%62out",
        "/pages/ab%6Fut",
    ] {
        let (status, body) = app.get("alpha.localhost", path).await;
        assert_eq!(status, 200, "{path}");
        assert_eq!(
            canonical(&body),
            "http://alpha.localhost/pages/about",
            "{path}"
        );
    }
    assert_eq!(app.state.render_cache.len(), before + 1);

    // A development server names its own port (the one it listens on), not the client's.
    let app = TestApp::spawn_with(|c| c.addr = "127.0.0.1:3000".parse().unwrap()).await;
    alpha_with_about(&app).await;
    let (_, body) = app.get("alpha.localhost:4444", "/pages/about").await;
    assert_eq!(canonical(&body), "http://alpha.localhost:3000/pages/about");
}

#[tokio::test]
async fn the_content_api_never_sets_a_cookie_even_for_a_logged_in_editor() {
    let app = TestApp::spawn().await;
    shop_with_members(&app, "alpha").await;
    let cookie = login(&app, "editor@alpha.example", "password-123").await;
    let res = app
        .client
        .get(format!("{}/api/v1/content/pages/home", app.base))
        .header("host", "alpha.localhost")
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["access-control-allow-origin"], "*");
    assert!(
        res.headers().get("set-cookie").is_none(),
        "public content carried {:?}",
        res.headers().get("set-cookie")
    );
}

/// Everything the server logs while `f` runs on this thread (the test runtime's only one).
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn preview_tokens_never_reach_the_request_log() {
    let app = TestApp::spawn().await;
    let (shop, page) = shop_with_members(&app, "alpha").await;
    let now = Utc::now().timestamp();
    let token = app.state.preview_keys.sign(server::preview::Claims {
        kid: String::new(),
        shop_id: shop,
        page_id: page,
        epoch: 0,
        issued_at: now,
        expires_at: now + 600,
    });
    let log = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(log.clone())
        .with_max_level(tracing::Level::INFO)
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    for path in [
        format!("/preview/{token}"),
        format!("/preview/{token}/more"),
        format!("/preview/{token}x"),
    ] {
        let res = app
            .client
            .get(format!("{}{path}", app.base))
            .header("host", "alpha.localhost")
            .send()
            .await
            .unwrap();
        assert!(res.status().as_u16() < 500, "{path}");
    }
    let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    assert!(
        text.contains("/preview/{token}"),
        "the route is logged: {text}"
    );
    let secret_part = token.split('.').next_back().unwrap();
    assert!(
        !text.contains(secret_part),
        "a preview token was logged: {text}"
    );
}

#[tokio::test]
async fn admin_pages_refuse_framing_and_carry_a_content_security_policy() {
    let app = TestApp::spawn().await;
    shop_with_members(&app, "alpha").await;
    let cookie = login(&app, "editor@alpha.example", "password-123").await;
    for (path, cookie) in [("/admin/login", None), ("/admin", Some(&cookie))] {
        let mut req = app.client.get(format!("{}{path}", app.base));
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(res.headers()["x-frame-options"], "DENY", "{path}");
        let csp = res.headers()["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        // The hydration script is inline and instantiates WebAssembly.
        assert!(csp.contains("'wasm-unsafe-eval'"), "{path}: {csp}");
    }
}

#[tokio::test]
async fn rejected_json_bodies_get_the_api_error_format() {
    let app = TestApp::spawn().await;
    let (_, page) = shop_with_members(&app, "alpha").await;
    let cookie = login(&app, "editor@alpha.example", "password-123").await;
    let cases: [(&str, &str, Option<&str>, &str, u16); 5] = [
        (
            "POST",
            "/api/v1/session",
            Some("application/json"),
            "{not json",
            400,
        ),
        (
            "POST",
            "/api/v1/session",
            None,
            r#"{"email":"a","password":"b"}"#,
            415,
        ),
        (
            "POST",
            "/api/v1/session",
            Some("application/json"),
            r#"{"email":7}"#,
            422,
        ),
        (
            "PATCH",
            "/api/v1/pages/{page}",
            Some("application/json"),
            "[",
            400,
        ),
        (
            "POST",
            "/api/v1/pages/{page}/preview-links",
            Some("application/json"),
            r#"{"ttl_seconds":"soon"}"#,
            422,
        ),
    ];
    for (method, path, content_type, body, status) in cases {
        let path = path.replace("{page}", &page.to_string());
        let mut req = app
            .client
            .request(method.parse().unwrap(), format!("{}{path}", app.base))
            .header("cookie", &cookie)
            .body(body.to_string());
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status().as_u16(), status, "{method} {path} {body}");
        let request_id = res.headers()["x-request-id"].to_str().unwrap().to_string();
        let json: Value = res
            .json()
            .await
            .unwrap_or_else(|e| panic!("{method} {path} {body}: not JSON: {e}"));
        let error = &json["error"];
        assert!(
            error["code"].as_str().is_some_and(|c| !c.is_empty()),
            "{json}"
        );
        assert!(
            error["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{json}"
        );
        assert_eq!(error["request_id"], request_id.as_str(), "{json}");
    }
}

// SQLite-only (on either test pass): the default data directory is the SQLite file's.
#[tokio::test]
async fn a_development_server_without_keys_generates_one_in_its_data_directory_and_reuses_it() {
    use server::preview::token::KeySource;
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("vitrine-edge-{}", uuid::Uuid::new_v4()));
    let url = format!("sqlite://{}/vitrine.db?mode=rwc", dir.display());
    let key_file = dir.join("preview-key");
    let config = server::Config::for_tests(&url);

    let (first, source) = config.preview_keyring().expect("a development key");
    assert_eq!(source, KeySource::Generated(key_file.clone()));
    let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    let (second, source) = config.preview_keyring().expect("the same key");
    assert_eq!(source, KeySource::Stored(key_file.clone()));

    // Two servers over the data directory accept each other's links.
    let db = server::db::connect_and_migrate(&url).await.unwrap();
    let a = server::AppState::new(db.clone(), config.clone()).with_preview_keys(first);
    let b = server::AppState::new(db, config.clone()).with_preview_keys(second);
    let now = Utc::now().timestamp();
    let claims = server::preview::Claims {
        kid: String::new(),
        shop_id: 1,
        page_id: 1,
        epoch: 0,
        issued_at: now,
        expires_at: now + 60,
    };
    let token = a.preview_keys.sign(claims.clone());
    assert!(b.preview_keys.verify(&token, now).is_some());
    // A state built without `serve`'s key (tests, other commands) signs with its own.
    let c = server::AppState::new(b.db.clone(), config);
    assert!(c.preview_keys.verify(&token, now).is_none());

    // Outside development, keys must be configured.
    let mut stage = server::Config::for_tests(&url);
    stage.env = server::config::Environment::Stage;
    let err = stage.preview_keyring().unwrap_err();
    assert!(err.contains("VITRINE_PREVIEW_KEYS"), "{err}");
    stage.preview_keys = Some("k1:0123456789abcdef0123456789abcdef".into());
    assert_eq!(stage.preview_keyring().unwrap().1, KeySource::Configured);
    let _ = std::fs::remove_dir_all(&dir);
}

// SQLite-only (on either test pass), like the test above.
#[tokio::test]
async fn vitrine_serve_says_where_its_preview_key_comes_from() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let dir = std::env::temp_dir().join(format!("vitrine-edge-{}", uuid::Uuid::new_v4()));
    let url = format!("sqlite://{}/vitrine.db?mode=rwc", dir.display());
    let first_line = |env: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_vitrine"))
            .arg("serve")
            .env("DATABASE_URL", &url)
            .env("VITRINE_ADDR", "127.0.0.1:0")
            .env("VITRINE_ENV", env)
            .env_remove("VITRINE_PREVIEW_KEYS")
            .env_remove("VITRINE_DATA_DIR")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start vitrine");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let _ = child.kill();
        let _ = child.wait();
        line
    };
    let key_file = dir.join("preview-key");
    let line = first_line("dev");
    assert_eq!(
        line.trim(),
        format!("preview links: generated key in {}", key_file.display())
    );
    let line = first_line("dev");
    assert_eq!(
        line.trim(),
        format!("preview links: signing key from {}", key_file.display())
    );
    // Without keys a stage server does not start, and says why (its log goes to stdout).
    let line = first_line("stage");
    assert!(
        line.contains("VITRINE_PREVIEW_KEYS must be set") && !line.contains("preview links:"),
        "{line}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
