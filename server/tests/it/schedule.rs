//! Scheduled publishing: the schedule shows in the page list, survives a restart (it lives in
//! the database), publishes the draft when due, and reports a draft that does not validate.

use crate::common::{TestApp, login, shop_with_members, ws_connect};
use crate::yclient::YClient;
use serde_json::{Value, json};
use std::time::Duration;
use yrs::{Any, Array, MapPrelim, Transact};

const PW: &str = "password-123";

async fn pages(app: &TestApp, cookie: &str) -> Vec<Value> {
    let res = app
        .client
        .get(format!("{}/api/v1/shops/alpha/pages", app.base))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    res.json::<Value>().await.unwrap()["pages"]
        .as_array()
        .unwrap()
        .clone()
}

async fn schedule(
    app: &TestApp,
    cookie: &str,
    page: i64,
    at: chrono::DateTime<chrono::Utc>,
) -> u16 {
    app.client
        .put(format!("{}/api/v1/pages/{page}/schedule", app.base))
        .header("cookie", cookie)
        .json(&json!({"publish_at": at}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn add_block(c: &mut YClient, id: &str, block_type: &str) {
    {
        let blocks = c.doc.get_or_insert_array("blocks");
        let mut txn = c.doc.transact_mut();
        blocks.push_back(
            &mut txn,
            MapPrelim::from([("id", Any::from(id)), ("type", Any::from(block_type))]),
        );
    }
    c.flush().await;
    c.pump(Duration::from_millis(100)).await;
}

#[tokio::test]
async fn scheduled_drafts_go_live_when_due_even_after_a_restart() {
    let app = TestApp::spawn().await;
    let (_, page) = shop_with_members(&app, "alpha").await;
    let editor = login(&app, "editor@alpha.example", PW).await;
    let viewer = login(&app, "viewer@alpha.example", PW).await;
    let now = chrono::Utc::now();
    assert_eq!(
        schedule(&app, &editor, page, now - chrono::Duration::minutes(1)).await,
        400,
        "not in the past"
    );
    assert_eq!(
        schedule(&app, &viewer, page, now + chrono::Duration::minutes(1)).await,
        403
    );

    let mut c = YClient::join(ws_connect(&app, page, Some(&editor)).await.unwrap()).await;
    add_block(&mut c, "scheduled", "divider").await;
    let at = chrono::Utc::now() + chrono::Duration::milliseconds(800);
    assert_eq!(schedule(&app, &editor, page, at).await, 200);
    let listed = pages(&app, &editor).await;
    assert!(
        listed[0]["publish_at"].is_string(),
        "the schedule shows in the page list: {listed:?}"
    );
    assert_eq!(
        server::publish::schedule::run_due(&app.state)
            .await
            .unwrap(),
        0,
        "not due yet"
    );

    tokio::time::sleep(Duration::from_millis(900)).await;
    // A fresh server on the same database, as after a restart.
    let url = app.state.config.database_url.clone();
    let db = server::db::connect_and_migrate(&url).await.unwrap();
    let restarted = server::AppState::new(db, server::Config::for_tests(&url));
    assert_eq!(
        server::publish::schedule::run_due(&restarted)
            .await
            .unwrap(),
        1
    );
    let (_, html) = app.get("alpha.localhost", "/").await;
    assert!(html.contains(r#"data-block-id="scheduled""#));
    assert!(pages(&app, &editor).await[0]["publish_at"].is_null());

    // A draft that does not validate: the schedule ends with the reason.
    add_block(&mut c, "bad", "checkout_section").await;
    assert_eq!(
        schedule(
            &app,
            &editor,
            page,
            chrono::Utc::now() + chrono::Duration::milliseconds(300)
        )
        .await,
        200
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        server::publish::schedule::run_due(&app.state)
            .await
            .unwrap(),
        0
    );
    let listed = pages(&app, &editor).await;
    assert!(listed[0]["publish_at"].is_null());
    assert!(
        listed[0]["schedule_error"]
            .as_str()
            .unwrap()
            .contains("validation")
    );
}
