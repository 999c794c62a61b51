//! Page management over the API: rename, change slug and SEO fields, delete.

use crate::{common, yclient};

use crate::common::{TestApp, login, shop_with_members, ws_connect};
use serde_json::{Value, json};
use std::time::Duration;

const PW: &str = "password-123";

async fn patch(app: &TestApp, cookie: &str, page: i64, body: Value) -> (u16, Value) {
    let res = app
        .client
        .patch(format!("{}/api/v1/pages/{page}", app.base))
        .header("cookie", cookie)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn rename_move_and_delete_pages() {
    let app = TestApp::spawn().await;
    let (shop, _) = shop_with_members(&app, "alpha").await;
    let editor = login(&app, "editor@alpha.example", PW).await;
    let viewer = login(&app, "viewer@alpha.example", PW).await;
    let about = app.create_page(shop, "about", "About", "page").await;
    app.publish(shop, about, json!([common::hero("h", "About us")]))
        .await;
    app.create_page(shop, "taken", "Taken", "page").await;

    let (status, body) = patch(
        &app,
        &editor,
        about,
        json!({"title": "Our story", "slug": "story", "seo_description": "Who we are"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["slug"], "story");
    assert_eq!(app.get("alpha.localhost", "/pages/about").await.0, 404);
    let (status, html) = app.get("alpha.localhost", "/pages/story").await;
    assert_eq!(status, 200);
    assert!(
        html.contains(">Our story</a>"),
        "the navigation follows the rename"
    );

    assert_eq!(
        patch(&app, &editor, about, json!({"slug": "taken"}))
            .await
            .0,
        409
    );
    assert_eq!(
        patch(&app, &editor, about, json!({"slug": "Not A Slug"}))
            .await
            .0,
        400
    );
    assert_eq!(
        patch(&app, &editor, about, json!({"title": "  "})).await.0,
        400
    );
    assert_eq!(
        patch(&app, &viewer, about, json!({"title": "Nope"}))
            .await
            .0,
        403
    );

    // Deleting closes open editors and removes page, revisions and draft.
    let mut open = ws_connect(&app, about, Some(&editor)).await.unwrap();
    let res = app
        .client
        .delete(format!("{}/api/v1/pages/{about}", app.base))
        .header("cookie", &viewer)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = app
        .client
        .delete(format!("{}/api/v1/pages/{about}", app.base))
        .header("cookie", &editor)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(
        yclient::close_code(&mut open, Duration::from_secs(3)).await,
        Some(1011)
    );
    assert_eq!(app.get("alpha.localhost", "/pages/story").await.0, 404);
    let res = app
        .client
        .get(format!("{}/api/v1/pages/{about}/revisions", app.base))
        .header("cookie", &editor)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(app.state.hub.store().log_len(about).await.unwrap(), 0);
}

async fn get_page(app: &TestApp, cookie: Option<&str>, page: i64) -> (u16, Value) {
    let mut req = app.client.get(format!("{}/api/v1/pages/{page}", app.base));
    if let Some(cookie) = cookie {
        req = req.header("cookie", cookie);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn one_page_with_its_shop_role_and_live_url() {
    // A development server's links name the port it is configured to listen on.
    let app = TestApp::spawn_with(|c| c.addr = "127.0.0.1:3000".parse().unwrap()).await;
    let (shop, home) = shop_with_members(&app, "alpha").await;
    shop_with_members(&app, "beta").await;
    let editor = login(&app, "editor@alpha.example", PW).await;
    let viewer = login(&app, "viewer@alpha.example", PW).await;
    let outsider = login(&app, "owner@beta.example", PW).await;
    let about = app.create_page(shop, "about", "About", "page").await;
    app.publish(shop, about, json!([common::hero("h", "About us")]))
        .await;
    let draft_only = app.create_page(shop, "soon", "Soon", "page").await;

    let (status, body) = get_page(&app, Some(&editor), about).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["id"], about);
    assert_eq!(body["title"], "About");
    assert_eq!(body["slug"], "about");
    assert_eq!(body["page_type"], "page");
    assert!(body["live_revision_id"].is_i64(), "{body}");
    assert_eq!(body["shop"]["id"], shop);
    assert_eq!(body["shop"]["handle"], "alpha");
    assert_eq!(body["shop"]["name"], "alpha");
    assert_eq!(body["role"], "editor");
    let live_url = body["live_url"].as_str().unwrap();
    assert_eq!(live_url, "http://alpha.localhost:3000/pages/about");
    // The URL really serves the page (the storefront is chosen by Host).
    let (status, html) = app.get("alpha.localhost", "/pages/about").await;
    assert_eq!(status, 200);
    assert!(html.contains("About us"));

    let (status, body) = get_page(&app, Some(&viewer), home).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["role"], "viewer");
    assert_eq!(body["live_url"], "http://alpha.localhost:3000/");

    let (status, body) = get_page(&app, Some(&editor), draft_only).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["live_url"], Value::Null, "never published");

    // Another shop's member sees nothing, like a page that does not exist.
    let (status, body) = get_page(&app, Some(&outsider), about).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"]["code"], "not_found");
    assert_eq!(get_page(&app, Some(&editor), 999_999).await.0, 404);
    let (status, body) = get_page(&app, None, about).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"]["code"], "unauthorized");
}
