//! Preview links: a valid token gets a cookie, a 303 and the draft under a banner; every bad
//! token gets the same answer; the page reloads itself through server-sent events.

use crate::common::{TestApp, login, shop_with_members, ws_connect};
use crate::yclient::YClient;
use chrono::Utc;
use serde_json::{Value, json};
use server::preview::{Claims, Keyring};
use std::time::Duration;
use yrs::Any;

const PW: &str = "password-123";

async fn get(app: &TestApp, host: &str, path: &str, cookie: Option<&str>) -> reqwest::Response {
    let mut req = app
        .client
        .get(format!("{}{path}", app.base))
        .header("host", host);
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    req.send().await.unwrap()
}

fn assert_preview_headers(res: &reqwest::Response) {
    assert_eq!(res.headers()["x-robots-tag"], "noindex");
    assert_eq!(res.headers()["cache-control"], "private, no-store");
    assert_eq!(res.headers()["referrer-policy"], "no-referrer");
}

async fn add_draft_block(app: &TestApp, cookie: &str, page: i64, id: &str) -> YClient {
    let mut c = YClient::join(ws_connect(app, page, Some(cookie)).await.unwrap()).await;
    c.push_block(
        id,
        "rich_text",
        &[("body", Any::from(format!("Draft text {id}")))],
    );
    c.flush().await;
    c.pump(Duration::from_millis(100)).await;
    c
}

#[tokio::test]
async fn a_valid_link_shows_the_draft_and_bad_ones_all_look_the_same() {
    // Links name the server's configured port in development, as canonical links do.
    let app = TestApp::spawn_with(|c| c.addr = "127.0.0.1:3000".parse().unwrap()).await;
    let (alpha, page) = shop_with_members(&app, "alpha").await;
    let (_, beta_page) = shop_with_members(&app, "beta").await;
    let editor = login(&app, "editor@alpha.example", PW).await;
    let _writer = add_draft_block(&app, &editor, page, "draft-only").await;

    let res = app
        .client
        .post(format!("{}/api/v1/pages/{page}/preview-links", app.base))
        .header("cookie", &editor)
        .json(&json!({"ttl_seconds": 600}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let link: Value = res.json().await.unwrap();
    let url = link["url"].as_str().unwrap();
    assert!(
        url.starts_with("http://alpha.localhost:3000/preview/"),
        "{url}"
    );
    assert_eq!(link["active_links"], 1);
    let path = &url[url.find("/preview/").unwrap()..];

    let res = get(&app, "alpha.localhost", path, None).await;
    assert_eq!(res.status(), 303);
    assert_preview_headers(&res);
    assert_eq!(
        res.headers()["location"],
        format!("/preview/p/{page}").as_str()
    );
    let set_cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
    for flag in [
        "HttpOnly",
        "SameSite=Lax",
        &format!("Path=/preview/p/{page}"),
        "Max-Age=",
    ] {
        assert!(set_cookie.contains(flag), "{flag} missing in {set_cookie}");
    }
    let cookie = set_cookie.split(';').next().unwrap().to_string();

    let res = get(
        &app,
        "alpha.localhost",
        &format!("/preview/p/{page}"),
        Some(&cookie),
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_preview_headers(&res);
    let html = res.text().await.unwrap();
    assert!(html.contains("Draft text draft-only"), "the draft is shown");
    assert!(html.contains("data-preview-banner") && html.contains("Draft"));
    // Customers still see the live page.
    let (_, live) = app.get("alpha.localhost", "/").await;
    assert!(!live.contains("Draft text draft-only"));

    // Every bad token: the same status and body, and no detail.
    let keys = &app.state.preview_keys;
    let now = Utc::now().timestamp();
    let claims = |shop_id: i64, page_id: i64, epoch: i64, iat: i64, exp: i64| Claims {
        kid: String::new(),
        shop_id,
        page_id,
        epoch,
        issued_at: iat,
        expires_at: exp,
    };
    let token = path.trim_start_matches("/preview/").to_string();
    let (payload, sig) = token.split_once('.').unwrap();
    let flipped_sig = format!(
        "{payload}.{}{}",
        if sig.starts_with('A') { "B" } else { "A" },
        &sig[1..]
    );
    let other = Keyring::parse("other:0123456789abcdef0123456789abcdef").unwrap();
    let bad_tokens = vec![
        ("tampered signature", flipped_sig),
        ("truncated", token[..token.len() - 5].to_string()),
        ("bad base64", "!!!.???".to_string()),
        (
            "unknown key id",
            other.sign(claims(alpha, page, 0, now, now + 600)),
        ),
        (
            "expired",
            keys.sign(claims(alpha, page, 0, now - 7200, now - 3600)),
        ),
        (
            "issued in the future",
            keys.sign(claims(alpha, page, 0, now + 3600, now + 7200)),
        ),
        (
            "another shop's page",
            keys.sign(claims(alpha, beta_page, 0, now, now + 600)),
        ),
    ];
    let reference = get(&app, "alpha.localhost", "/preview/nonsense", None).await;
    assert_eq!(reference.status(), 404);
    assert_preview_headers(&reference);
    let reference_body = reference.text().await.unwrap();
    for (what, bad) in &bad_tokens {
        let res = get(&app, "alpha.localhost", &format!("/preview/{bad}"), None).await;
        assert_eq!(res.status(), 404, "{what}");
        assert!(res.headers().get("set-cookie").is_none(), "{what}");
        assert_eq!(res.text().await.unwrap(), reference_body, "{what}");
    }
    // Shop A's valid token on shop B's host.
    let res = get(&app, "beta.localhost", path, None).await;
    assert_eq!(res.status(), 404);
    assert_eq!(res.text().await.unwrap(), reference_body);
    // Page X's token used for page Y.
    let other_page = app.create_page(alpha, "other", "Other", "page").await;
    let swapped = cookie.replace(
        &format!("vitrine_preview_{page}="),
        &format!("vitrine_preview_{other_page}="),
    );
    let res = get(
        &app,
        "alpha.localhost",
        &format!("/preview/p/{other_page}"),
        Some(&swapped),
    )
    .await;
    assert_eq!(res.status(), 404);
    assert_eq!(res.text().await.unwrap(), reference_body);

    // Revoking bumps the epoch: the link and the cookie stop working.
    let res = app
        .client
        .delete(format!("{}/api/v1/pages/{page}/preview-links", app.base))
        .header("cookie", &editor)
        .send()
        .await
        .unwrap();
    let revoked: Value = res.json().await.unwrap();
    assert_eq!(revoked["revoked"], 1);
    for res in [
        get(&app, "alpha.localhost", path, None).await,
        get(
            &app,
            "alpha.localhost",
            &format!("/preview/p/{page}"),
            Some(&cookie),
        )
        .await,
    ] {
        assert_eq!(res.status(), 404);
        assert_eq!(res.text().await.unwrap(), reference_body);
    }
}

#[tokio::test]
async fn link_lifetimes_and_counts() {
    let app = TestApp::spawn().await;
    let (_, page) = shop_with_members(&app, "alpha").await;
    let editor = login(&app, "editor@alpha.example", PW).await;
    let viewer = login(&app, "viewer@alpha.example", PW).await;
    let create = |cookie: &str, body: Value| {
        app.client
            .post(format!("{}/api/v1/pages/{page}/preview-links", app.base))
            .header("cookie", cookie)
            .json(&body)
            .send()
    };
    assert_eq!(
        create(&editor, json!({"ttl_seconds": 10}))
            .await
            .unwrap()
            .status(),
        400
    );
    assert_eq!(
        create(&editor, json!({"ttl_seconds": 8 * 24 * 3600}))
            .await
            .unwrap()
            .status(),
        400
    );
    assert_eq!(create(&viewer, json!({})).await.unwrap().status(), 403);
    let res = create(&editor, json!({})).await.unwrap();
    let body: Value = res.json().await.unwrap();
    let expires =
        chrono::DateTime::parse_from_rfc3339(body["expires_at"].as_str().unwrap()).unwrap();
    let hours = (expires.timestamp() - Utc::now().timestamp()) as f64 / 3600.0;
    assert!(
        (0.99..=1.01).contains(&hours),
        "default lifetime is an hour, got {hours}"
    );
    create(&editor, json!({"ttl_seconds": 7 * 24 * 3600}))
        .await
        .unwrap();
    let res = app
        .client
        .get(format!("{}/api/v1/pages/{page}/preview-links", app.base))
        .header("cookie", &viewer)
        .send()
        .await
        .unwrap();
    assert_eq!(res.json::<Value>().await.unwrap()["active_links"], 2);
}

#[tokio::test]
async fn the_preview_hears_about_draft_changes() {
    let app = TestApp::spawn().await;
    let (alpha, page) = shop_with_members(&app, "alpha").await;
    let editor = login(&app, "editor@alpha.example", PW).await;
    let now = Utc::now().timestamp();
    let token = app.state.preview_keys.sign(Claims {
        kid: String::new(),
        shop_id: alpha,
        page_id: page,
        epoch: 0,
        issued_at: now,
        expires_at: now + 600,
    });
    let cookie = format!("vitrine_preview_{page}={token}");
    let res = get(
        &app,
        "alpha.localhost",
        &format!("/preview/p/{page}/events"),
        Some(&cookie),
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/event-stream");
    let mut res = res;
    let _writer = add_draft_block(&app, &editor, page, "live-edit").await;
    let mut text = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    while !text.contains("event: changed") {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match tokio::time::timeout(left, res.chunk()).await {
            Ok(Ok(Some(chunk))) => text.push_str(&String::from_utf8_lossy(&chunk)),
            _ => panic!("no change event; got {text:?}"),
        }
    }
    // Without a valid cookie there is no stream.
    let res = get(
        &app,
        "alpha.localhost",
        &format!("/preview/p/{page}/events"),
        None,
    )
    .await;
    assert_eq!(res.status(), 404);
}
