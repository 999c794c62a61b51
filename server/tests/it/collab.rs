//! The collaboration hub over real WebSockets: sync between peers, durability, authorisation
//! before and after the upgrade, and bad input that closes only the offending connection.

use crate::yclient;

use crate::common::{TestApp, login, shop_with_members, ws_connect};
use crate::yclient::YClient;
use futures_util::SinkExt;
use serde_json::Value;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use yrs::{Any, Array, Map, MapPrelim, Transact};

const PW: &str = "password-123";

async fn draft(app: &TestApp, cookie: &str, page: i64) -> Value {
    let res = app
        .client
        .get(format!("{}/api/v1/pages/{page}/draft", app.base))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

/// Inserts a spacer block at the end of the draft.
fn add_spacer(client: &YClient, id: &str) {
    client.push_block(id, "spacer", &[("size", Any::from("lg"))]);
}

fn block_ids(v: &Value) -> Vec<String> {
    v["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn edits_reach_other_peers_the_draft_and_the_log() {
    let app = TestApp::spawn().await;
    let (_, page) = shop_with_members(&app, "alpha").await;
    let editor = login(&app, "editor@alpha.example", PW).await;
    let owner = login(&app, "owner@alpha.example", PW).await;
    let mut a = YClient::join(ws_connect(&app, page, Some(&editor)).await.unwrap()).await;
    let mut b = YClient::join(ws_connect(&app, page, Some(&owner)).await.unwrap()).await;
    // The draft was seeded from the live revision.
    assert_eq!(
        b.doc.get_or_insert_array("blocks").len(&b.doc.transact()),
        1
    );

    add_spacer(&a, "from-a");
    a.flush().await;
    let mut seen = false;
    for _ in 0..20 {
        b.pump(Duration::from_millis(50)).await;
        if b.doc.get_or_insert_array("blocks").len(&b.doc.transact()) == 2 {
            seen = true;
            break;
        }
    }
    assert!(seen, "B received A's block");
    let d = draft(&app, &editor, page).await;
    assert_eq!(block_ids(&d), vec!["h", "from-a"]);
    assert_eq!(d["errors"], serde_json::json!([]));
    assert!(
        app.state.hub.store().log_len(page).await.unwrap() >= 2,
        "seed and the edit are in the log"
    );
    a.pump(Duration::from_millis(10)).await;
}

#[tokio::test]
async fn drafts_survive_a_restart_and_publish_to_the_storefront() {
    let app = TestApp::spawn().await;
    let (_, page) = shop_with_members(&app, "alpha").await;
    let editor = login(&app, "editor@alpha.example", PW).await;
    {
        let mut a = YClient::join(ws_connect(&app, page, Some(&editor)).await.unwrap()).await;
        add_spacer(&a, "kept");
        a.flush().await;
        a.pump(Duration::from_millis(100)).await;
    }
    // A second server on the same database, as after a crash: nothing was compacted.
    let restarted = AppStateOnSameDb::new(&app).await;
    let room = restarted
        .hub
        .room(&restarted.page(page).await)
        .await
        .unwrap();
    let ids: Vec<String> = room
        .draft()
        .await
        .blocks
        .iter()
        .map(|b| b["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, vec!["h", "kept"]);

    let res = app
        .client
        .post(format!("{}/api/v1/pages/{page}/publish", app.base))
        .header("cookie", &editor)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["number"], 2);
    let (_, html) = app.get("alpha.localhost", "/").await;
    assert!(html.contains(r#"data-block-id="kept""#));
}

struct AppStateOnSameDb {
    state: server::AppState,
}

impl AppStateOnSameDb {
    async fn new(app: &TestApp) -> Self {
        let url = app.state.config.database_url.clone();
        let db = server::db::connect_and_migrate(&url).await.unwrap();
        Self {
            state: server::AppState::new(db, server::Config::for_tests(&url)),
        }
    }
    async fn page(&self, id: i64) -> entity::page::Model {
        server::pages::find(&self.state.db, id)
            .await
            .unwrap()
            .unwrap()
    }
}

impl std::ops::Deref for AppStateOnSameDb {
    type Target = server::AppState;
    fn deref(&self) -> &server::AppState {
        &self.state
    }
}

#[tokio::test]
async fn invalid_drafts_are_refused_at_publish_with_block_and_field() {
    let app = TestApp::spawn().await;
    let (_, page) = shop_with_members(&app, "alpha").await;
    let editor = login(&app, "editor@alpha.example", PW).await;
    let mut a = YClient::join(ws_connect(&app, page, Some(&editor)).await.unwrap()).await;
    {
        let blocks = a.doc.get_or_insert_array("blocks");
        let mut txn = a.doc.transact_mut();
        blocks.push_back(
            &mut txn,
            MapPrelim::from([
                ("id", Any::from("cart")),
                ("type", Any::from("cart_section")),
            ]),
        );
        blocks.push_back(
            &mut txn,
            MapPrelim::from([("id", Any::from("odd")), ("type", Any::from("marquee"))]),
        );
    }
    a.flush().await;
    a.pump(Duration::from_millis(100)).await;
    let res = app
        .client
        .post(format!("{}/api/v1/pages/{page}/publish", app.base))
        .header("cookie", &editor)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    let errors = body["errors"].as_array().unwrap();
    assert!(
        errors
            .iter()
            .any(|e| e["block_id"] == "cart" && e["field"] == "type"),
        "{body}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e["block_id"] == "odd" && e["field"] == "type"),
        "{body}"
    );
    let (_, html) = app.get("alpha.localhost", "/").await;
    assert!(html.contains("Live heading"), "the live page is untouched");
}

#[tokio::test]
async fn authorisation_before_and_inside_the_socket() {
    let app = TestApp::spawn().await;
    let (_, page) = shop_with_members(&app, "alpha").await;
    let (_, other_page) = shop_with_members(&app, "beta").await;
    // No session: the upgrade is refused.
    match ws_connect(&app, page, None).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => assert_eq!(res.status(), 401),
        other => panic!("expected 401, got {:?}", other.map(|_| "a socket")),
    }
    // Another shop's member: the page does not exist for them.
    let beta_editor = login(&app, "editor@beta.example", PW).await;
    match ws_connect(&app, page, Some(&beta_editor)).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => assert_eq!(res.status(), 404),
        other => panic!("expected 404, got {:?}", other.map(|_| "a socket")),
    }
    assert!(
        ws_connect(&app, other_page, Some(&beta_editor))
            .await
            .is_ok()
    );

    // A viewer's update is neither applied, stored nor broadcast.
    let viewer = login(&app, "viewer@alpha.example", PW).await;
    let editor = login(&app, "editor@alpha.example", PW).await;
    let mut watcher = YClient::join(ws_connect(&app, page, Some(&editor)).await.unwrap()).await;
    let mut v = YClient::join(ws_connect(&app, page, Some(&viewer)).await.unwrap()).await;
    let log_before = app.state.hub.store().log_len(page).await.unwrap();
    add_spacer(&v, "from-viewer");
    v.flush().await;
    v.pump(Duration::from_millis(150)).await;
    watcher.pump(Duration::from_millis(150)).await;
    assert_eq!(
        watcher
            .doc
            .get_or_insert_array("blocks")
            .len(&watcher.doc.transact()),
        1,
        "not broadcast"
    );
    assert_eq!(
        app.state.hub.store().log_len(page).await.unwrap(),
        log_before,
        "not stored"
    );
    assert!(
        !block_ids(&draft(&app, &editor, page).await).contains(&"from-viewer".to_string()),
        "not applied"
    );
}

#[tokio::test]
async fn bad_input_closes_only_that_connection() {
    // A rate low enough that the flood below exceeds it however slowly this machine (or the
    // database: each update is committed before the next is read) takes it in.
    let app = TestApp::spawn_with_limits(server::collab::Limits {
        messages_per_second: 20.0,
        message_burst: 60.0,
        ..Default::default()
    })
    .await;
    let (_, page) = shop_with_members(&app, "alpha").await;
    let editor = login(&app, "editor@alpha.example", PW).await;
    let mut bystander = YClient::join(ws_connect(&app, page, Some(&editor)).await.unwrap()).await;

    // Malformed y-sync.
    let mut bad = ws_connect(&app, page, Some(&editor)).await.unwrap();
    bad.send(WsMessage::Binary(vec![0, 2, 200, 200, 200].into()))
        .await
        .unwrap();
    assert_eq!(
        yclient::close_code(&mut bad, Duration::from_secs(3)).await,
        Some(1007)
    );

    // Text frames are not y-sync either.
    let mut text = ws_connect(&app, page, Some(&editor)).await.unwrap();
    text.send(WsMessage::Text("hello".into())).await.unwrap();
    assert_eq!(
        yclient::close_code(&mut text, Duration::from_secs(3)).await,
        Some(1007)
    );

    // Oversized message.
    let limit = app.state.hub.limits().max_message_bytes;
    let mut big = ws_connect(&app, page, Some(&editor)).await.unwrap();
    big.send(WsMessage::Binary(vec![0u8; limit + 1].into()))
        .await
        .unwrap();
    assert_eq!(
        yclient::close_code(&mut big, Duration::from_secs(3)).await,
        Some(1009)
    );

    // A flood of updates.
    let mut flood = YClient::join(ws_connect(&app, page, Some(&editor)).await.unwrap()).await;
    let mut closed = None;
    for i in 0..2000 {
        add_spacer(&flood, &format!("f{i}"));
        flood.flush().await;
        if i % 50 == 0
            && let Some(code) = flood.close_code(Duration::from_millis(1)).await
        {
            closed = Some(code);
            break;
        }
    }
    let closed = match closed {
        Some(c) => Some(c),
        None => flood.close_code(Duration::from_secs(3)).await,
    };
    assert_eq!(closed, Some(4429));

    // The bystander is still connected and still gets edits; the server still answers.
    let mut writer = YClient::join(ws_connect(&app, page, Some(&editor)).await.unwrap()).await;
    let before = bystander
        .doc
        .get_or_insert_array("blocks")
        .len(&bystander.doc.transact());
    bystander.pump(Duration::from_millis(100)).await;
    add_spacer(&writer, "after-the-storm");
    writer.flush().await;
    let mut got = false;
    for _ in 0..40 {
        assert!(
            bystander.pump(Duration::from_millis(50)).await,
            "bystander was disconnected"
        );
        let ids: Vec<String> = {
            let blocks = bystander.doc.get_or_insert_array("blocks");
            let txn = bystander.doc.transact();
            blocks
                .iter(&txn)
                .filter_map(|b| match b {
                    yrs::Out::YMap(m) => m.get(&txn, "id").map(|v| v.to_string(&txn)),
                    _ => None,
                })
                .collect()
        };
        if ids.contains(&"after-the-storm".to_string()) {
            got = true;
            break;
        }
    }
    assert!(got, "bystander kept receiving (had {before} blocks)");
    assert_eq!(app.get("alpha.localhost", "/").await.0, 200);
}
