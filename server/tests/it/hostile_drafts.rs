//! Drafts nested absurdly deep: an editor pushing ~100k nested arrays (a few hundred KB of Yjs
//! update) must not take the server down — not through the socket, not through a draft that
//! already holds such content when it is read, published, previewed or published on schedule.

use crate::common::{TestApp, create_preview_link, login, shop_with_members, ws_connect};
use crate::yclient::{YClient, close_code};
use chrono::Utc;
use entity::{draft_update, page};
use futures_util::SinkExt;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::{Value, json};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use yrs::sync::{Message, SyncMessage};
use yrs::updates::encoder::Encode;
use yrs::{
    Any, Array, ArrayPrelim, ArrayRef, Doc, Map, MapPrelim, MapRef, Transact, TransactionMut,
};

const PW: &str = "password-123";
/// Far beyond any stack: each level costs yrs and serde several hundred bytes of stack.
const DEEP: usize = 100_000;

/// Nests `levels` empty Y.Arrays inside `array`, one inside the other, without recursion.
fn nest_arrays(txn: &mut TransactionMut, mut array: ArrayRef, levels: usize) {
    for _ in 0..levels {
        array = array.push_back(txn, ArrayPrelim::default());
    }
}

/// Appends a hero block `{id, type: hero, props: {}}` and returns its props map.
fn push_hero(txn: &mut TransactionMut, blocks: &ArrayRef, id: &str) -> MapRef {
    let block = blocks.push_back(
        txn,
        MapPrelim::from([("id", Any::from(id)), ("type", Any::from("hero"))]),
    );
    block.insert(txn, "props", MapPrelim::default())
}

/// A whole draft as one update: a valid hero `ok`, and a hero `deep` whose heading is
/// `levels` nested arrays.
fn poisoned_draft(levels: usize) -> Vec<u8> {
    let doc = Doc::new();
    let page = doc.get_or_insert_map("page");
    let blocks = doc.get_or_insert_array("blocks");
    let mut txn = doc.transact_mut();
    page.insert(&mut txn, "title", "Home");
    page.insert(&mut txn, "slug", "home");
    let ok = push_hero(&mut txn, &blocks, "ok");
    ok.insert(&mut txn, "heading", "Still standing");
    let deep = push_hero(&mut txn, &blocks, "deep");
    let heading = deep.insert(&mut txn, "heading", ArrayPrelim::default());
    nest_arrays(&mut txn, heading, levels);
    txn.encode_update_v1()
}

/// Writes `update` straight into the page's draft log, as a server before this limit (or a
/// tampered database) would have left it.
async fn poison_log(app: &TestApp, shop: i64, page: i64, update: Vec<u8>) {
    draft_update::ActiveModel {
        page_id: Set(page),
        shop_id: Set(shop),
        data: Set(update),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .expect("draft row");
}

async fn get_draft(app: &TestApp, cookie: &str, page: i64) -> (u16, Value) {
    let res = app
        .client
        .get(format!("{}/api/v1/pages/{page}/draft", app.base))
        .header("cookie", cookie)
        .send()
        .await
        .expect("draft request");
    (res.status().as_u16(), res.json().await.expect("draft json"))
}

fn block_ids(draft: &Value) -> Vec<String> {
    draft["blocks"]
        .as_array()
        .expect("blocks")
        .iter()
        .filter_map(|b| b["id"].as_str().map(str::to_string))
        .collect()
}

/// The error on block `deep`'s heading, if any.
fn deep_heading_error(errors: &Value) -> Option<String> {
    errors.as_array()?.iter().find_map(|e| {
        (e["block_id"] == "deep" && e["field"] == "heading")
            .then(|| e["message"].as_str().unwrap_or_default().to_string())
    })
}

/// A binary Yjs update that inserts into root `blocks` one value nested `levels` arrays deep,
/// written byte by byte (encoding it with yrs would itself recurse once per level).
fn nested_value_update(levels: usize) -> Vec<u8> {
    fn var(out: &mut Vec<u8>, mut n: u64) {
        while n >= 0x80 {
            out.push((n as u8 & 0x7f) | 0x80);
            n >>= 7;
        }
        out.push(n as u8);
    }
    let mut b = Vec::new();
    var(&mut b, 1); // clients
    var(&mut b, 1); // structs of this client
    var(&mut b, 424_242); // client id
    var(&mut b, 0); // first clock
    b.push(8); // an item of `Any` content, no origins: the parent follows
    var(&mut b, 1); // the parent is a root type, by name
    var(&mut b, 6);
    b.extend_from_slice(b"blocks");
    var(&mut b, 1); // one value
    for _ in 0..levels {
        b.push(117); // an array…
        var(&mut b, 1); // …of one value
    }
    b.push(126); // null
    var(&mut b, 0); // empty delete set
    b
}

#[tokio::test]
async fn a_poisoned_draft_is_read_reported_refused_and_previewed_without_crashing() {
    let app = TestApp::spawn().await;
    let (shop, page) = shop_with_members(&app, "alpha").await;
    poison_log(&app, shop, page, poisoned_draft(DEEP)).await;
    let editor = login(&app, "editor@alpha.example", PW).await;

    let (status, draft) = get_draft(&app, &editor, page).await;
    assert_eq!(status, 200, "{draft}");
    assert_eq!(block_ids(&draft), ["ok", "deep"]);
    let message = deep_heading_error(&draft["errors"]).expect("an error on deep's heading");
    assert!(message.contains("nested too deeply"), "{message}");

    let res = app
        .client
        .post(format!("{}/api/v1/pages/{page}/publish", app.base))
        .header("cookie", &editor)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    let message = deep_heading_error(&body["errors"]).expect("publish names the block");
    assert!(message.contains("nested too deeply"), "{body}");

    // Preview: the valid block shows, the poisoned one is hidden and counted.
    let url = create_preview_link(&app, &editor, page).await;
    let path = &url[url.find("/preview/").unwrap()..];
    let res = app
        .client
        .get(format!("{}{path}", app.base))
        .header("host", "alpha.localhost")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let cookie = res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let res = app
        .client
        .get(format!("{}/preview/p/{page}", app.base))
        .header("host", "alpha.localhost")
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("Still standing"), "the valid block shows");
    assert!(html.contains("1 block(s) with errors hidden"), "{html}");
}

#[tokio::test]
async fn a_poisoned_draft_can_be_repaired_by_deleting_the_block() {
    let app = TestApp::spawn().await;
    let (shop, page) = shop_with_members(&app, "alpha").await;
    poison_log(&app, shop, page, poisoned_draft(DEEP)).await;
    let editor = login(&app, "editor@alpha.example", PW).await;

    // The editor gets the draft, deletes the broken block, and the deletion is stored.
    let mut c = YClient::join(ws_connect(&app, page, Some(&editor)).await.unwrap()).await;
    {
        let blocks = c.doc.get_or_insert_array("blocks");
        let mut txn = c.doc.transact_mut();
        let at = blocks
            .iter(&txn)
            .position(|b| match b {
                yrs::Out::YMap(m) => m.get(&txn, "id") == Some(yrs::Out::Any(Any::from("deep"))),
                _ => false,
            })
            .expect("the deep block reached the editor");
        blocks.remove(&mut txn, at as u32);
    }
    c.flush().await;
    assert!(
        c.pump(Duration::from_millis(300)).await,
        "the socket stays open"
    );
    let (status, draft) = get_draft(&app, &editor, page).await;
    assert_eq!(status, 200);
    assert_eq!(block_ids(&draft), ["ok"]);
    assert_eq!(draft["errors"], json!([]));
    drop(c);

    // And the page still loads after the server (its hub) starts again from the database.
    let url = app.state.config.database_url.clone();
    let db = server::db::connect_and_migrate(&url).await.unwrap();
    let restarted = server::AppState::new(db, server::Config::for_tests(&url));
    let page_row = page::Entity::find_by_id(page)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let room = restarted.hub.room(&page_row).await.expect("room loads");
    let blocks: Vec<String> = room
        .draft()
        .await
        .blocks
        .iter()
        .filter_map(|b| b["id"].as_str().map(str::to_string))
        .collect();
    assert_eq!(blocks, ["ok"]);
}

#[tokio::test]
async fn a_scheduled_publish_of_a_poisoned_draft_records_the_error_instead_of_crashing() {
    let app = TestApp::spawn().await;
    let (shop, page) = shop_with_members(&app, "alpha").await;
    poison_log(&app, shop, page, poisoned_draft(DEEP)).await;
    page::ActiveModel {
        id: Set(page),
        publish_at: Set(Some(Utc::now() - chrono::Duration::seconds(1))),
        ..Default::default()
    }
    .update(&app.db)
    .await
    .unwrap();

    let published = server::publish::schedule::run_due(&app.state)
        .await
        .unwrap();
    assert_eq!(published, 0);
    let row = page::Entity::find_by_id(page)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        row.publish_at, None,
        "the schedule ends, so it is not retried"
    );
    let error = row.schedule_error.expect("the reason is recorded");
    assert!(error.contains("validation"), "{error}");
    // Customers still see the live revision.
    let (_, html) = app.get("alpha.localhost", "/").await;
    assert!(html.contains("Live heading"));
}

#[tokio::test]
async fn the_hub_refuses_an_update_nesting_shared_types_too_deeply() {
    let app = TestApp::spawn().await;
    let (_, page) = shop_with_members(&app, "alpha").await;
    let editor = login(&app, "editor@alpha.example", PW).await;
    let mut c = YClient::join(ws_connect(&app, page, Some(&editor)).await.unwrap()).await;
    {
        let blocks = c.doc.get_or_insert_array("blocks");
        let mut txn = c.doc.transact_mut();
        let props = push_hero(&mut txn, &blocks, "deep");
        let heading = props.insert(&mut txn, "heading", ArrayPrelim::default());
        // Well under the 1 MiB message limit.
        nest_arrays(&mut txn, heading, 20_000);
    }
    c.flush().await;
    assert_eq!(c.close_code(Duration::from_secs(10)).await, Some(1007));

    // Nothing of it was stored or kept: the draft reads as before, and editing goes on.
    let (status, draft) = get_draft(&app, &editor, page).await;
    assert_eq!(status, 200);
    assert_eq!(block_ids(&draft), ["h"]);
    let other = YClient::join(ws_connect(&app, page, Some(&editor)).await.unwrap()).await;
    let blocks = other.doc.get_or_insert_array("blocks");
    assert_eq!(blocks.len(&other.doc.transact()), 1);
}

#[tokio::test]
async fn the_hub_refuses_a_value_nested_too_deeply_before_decoding_it() {
    let app = TestApp::spawn().await;
    let (_, page) = shop_with_members(&app, "alpha").await;
    let editor = login(&app, "editor@alpha.example", PW).await;
    // The hand-written encoding is a real update: a shallow one decodes.
    yrs::updates::decoder::Decode::decode_v1(&nested_value_update(3))
        .map(|_: yrs::Update| ())
        .expect("a shallow nested value decodes");

    let mut ws = ws_connect(&app, page, Some(&editor)).await.unwrap();
    let frame = Message::Sync(SyncMessage::Update(nested_value_update(DEEP))).encode_v1();
    ws.send(WsMessage::Binary(frame.into())).await.unwrap();
    assert_eq!(
        close_code(&mut ws, Duration::from_secs(10)).await,
        Some(1007)
    );

    let (status, draft) = get_draft(&app, &editor, page).await;
    assert_eq!(status, 200);
    assert_eq!(block_ids(&draft), ["h"]);
}
