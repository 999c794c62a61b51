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
