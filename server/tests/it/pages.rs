//! Page management over the API: rename, change slug and SEO fields, delete.

use crate::{common, yclient};

use crate::common::{TestApp, api, login, shop_with_members, ws_connect};
use crate::yclient::YClient;
use serde_json::{Value, json};
use std::time::Duration;
use yrs::{Map, Transact};

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

async fn publish(app: &TestApp, cookie: &str, page: i64) -> (u16, Value) {
    let path = format!("/pages/{page}/publish");
    api(app, reqwest::Method::POST, &path, cookie, None).await
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

    // An editor with the page open sees a change made through the API at once.
    let mut open = YClient::join(ws_connect(&app, about, Some(&editor)).await.unwrap()).await;
    let (status, body) = patch(
        &app,
        &editor,
        about,
        json!({"title": " Our story ", "slug": "story", "seo_description": "Who we are"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"title": "Our story", "slug": "story", "seo_title": null, "seo_description": "Who we are"})
    );
    let page_map = open.doc.get_or_insert_map("page");
    let mut seen = false;
    for _ in 0..40 {
        open.pump(Duration::from_millis(25)).await;
        let title = page_map.get(&open.doc.transact(), "title");
        if title.is_some_and(|t| t.to_string(&open.doc.transact()) == "Our story") {
            seen = true;
            break;
        }
    }
    assert!(seen, "the open editor's draft has the new title");

    // A draft change: the storefront keeps the live title and address until a publish.
    assert_eq!(app.get("alpha.localhost", "/pages/about").await.0, 200);
    assert_eq!(app.get("alpha.localhost", "/pages/story").await.0, 404);
    let (_, live) = get_page(&app, Some(&editor), about).await;
    assert_eq!(live["title"], "About");
    let (status, published) = publish(&app, &editor, about).await;
    assert_eq!(status, 200, "{published}");
    assert_eq!(published["path"], "/pages/story");
    assert_eq!(app.get("alpha.localhost", "/pages/about").await.0, 404);
    let (status, html) = app.get("alpha.localhost", "/pages/story").await;
    assert_eq!(status, 200);
    assert!(
        html.contains(">Our story</a>"),
        "the navigation follows the rename"
    );
    assert!(
        html.contains("Who we are"),
        "the search description is live"
    );
    let (_, live) = get_page(&app, Some(&editor), about).await;
    assert_eq!(
        (&live["title"], &live["slug"]),
        (&json!("Our story"), &json!("story"))
    );

    // Another page's address is refused at publish, on the field, and nothing changes.
    let (status, _) = patch(&app, &editor, about, json!({"slug": "taken"})).await;
    assert_eq!(status, 200, "a draft may hold it for now");
    let (status, refused) = publish(&app, &editor, about).await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["errors"][0]["field"], "slug", "{refused}");
    assert_eq!(refused["errors"][0]["block_id"], "", "{refused}");
    assert_eq!(app.get("alpha.localhost", "/pages/story").await.0, 200);

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
    let long = "x".repeat(app::draft::page_fields::SEO_TITLE_MAX_CHARS + 1);
    assert_eq!(
        patch(&app, &editor, about, json!({"seo_title": long}))
            .await
            .0,
        400
    );
    assert_eq!(
        patch(&app, &viewer, about, json!({"title": "Nope"}))
            .await
            .0,
        403
    );
    drop(open);

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

#[tokio::test]
async fn restoring_a_revision_brings_back_its_title_and_address() {
    let app = TestApp::spawn().await;
    let (shop, _) = shop_with_members(&app, "alpha").await;
    let editor = login(&app, "editor@alpha.example", PW).await;
    let about = app.create_page(shop, "about", "About", "page").await;
    app.publish(shop, about, json!([common::hero("h", "About us")]))
        .await;
    let (status, _) = patch(
        &app,
        &editor,
        about,
        json!({"title": "Renamed", "slug": "renamed"}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(publish(&app, &editor, about).await.0, 200);
    assert_eq!(app.get("alpha.localhost", "/pages/renamed").await.0, 200);

    let path = format!("/pages/{about}/revisions/1/restore");
    let body = Some(json!({"reset_draft": true}));
    let (status, restored) = api(&app, reqwest::Method::POST, &path, &editor, body).await;
    assert_eq!(status, 200, "{restored}");
    assert_eq!(app.get("alpha.localhost", "/pages/renamed").await.0, 404);
    let (status, html) = app.get("alpha.localhost", "/pages/about").await;
    assert_eq!(status, 200);
    assert!(html.contains(">About</a>"), "the navigation names it again");
    let (_, draft) = api(
        &app,
        reqwest::Method::GET,
        &format!("/pages/{about}/draft"),
        &editor,
        None,
    )
    .await;
    assert_eq!(draft["page"]["title"], "About", "{draft}");
    assert_eq!(draft["page"]["slug"], "about", "{draft}");
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
