//! The collaboration socket under hostile or careless clients: per-frame budgets, presence
//! bounds and ownership, quotas, idle sockets, document size, panics, permissions that change
//! while a socket is open, and drafts that stay readable when every room slot is taken.

use crate::common::{
    TestApp, Ws, create_preview_link, login, preview_cookie, shop_with_members, ws_connect,
};
use crate::yclient::{self, YClient};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use server::collab::Limits;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use yrs::encoding::read::Cursor;
use yrs::sync::awareness::AwarenessUpdateEntry;
use yrs::sync::{AwarenessUpdate, Message, MessageReader, SyncMessage};
use yrs::updates::decoder::DecoderV1;
use yrs::updates::encoder::Encode;
use yrs::{ClientID, StateVector};

const PW: &str = "password-123";

/// An awareness message setting (or, with `"null"`, removing) one client's state.
fn awareness(client: u64, clock: u32, json: &str) -> Vec<u8> {
    Message::Awareness(AwarenessUpdate {
        clients: HashMap::from([(
            ClientID::new(client),
            AwarenessUpdateEntry {
                clock,
                json: Arc::from(json),
            },
        )]),
    })
    .encode_v1()
}

fn decode(frame: &[u8]) -> Vec<Message> {
    let mut decoder = DecoderV1::new(Cursor::new(frame));
    MessageReader::new(&mut decoder)
        .map(|m| m.expect("the server sends valid y-sync"))
        .collect()
}

/// Binary frames received within `wait`, and the close code if the socket was closed.
async fn drain(ws: &mut Ws, wait: Duration) -> (Vec<Vec<u8>>, Option<u16>) {
    let deadline = tokio::time::Instant::now() + wait;
    let mut frames = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match tokio::time::timeout(left, ws.next()).await {
            Ok(Some(Ok(WsMessage::Binary(data)))) => frames.push(data.to_vec()),
            Ok(Some(Ok(WsMessage::Close(frame)))) => {
                return (frames, frame.map(|f| u16::from(f.code)));
            }
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(_)) | None) | Err(_) => return (frames, None),
        }
    }
}

/// Every awareness state in `frames`, last one per client id winning.
fn presence(frames: &[Vec<u8>]) -> HashMap<u64, String> {
    let mut out = HashMap::new();
    for frame in frames {
        for m in decode(frame) {
            if let Message::Awareness(u) = m {
                for (id, e) in u.clients {
                    out.insert(id.get(), e.json.to_string());
                }
            }
        }
    }
    out
}

/// Permissions re-checked every 100 ms instead of every 5 s.
fn quick_rechecks() -> Limits {
    Limits {
        recheck_every: Duration::from_millis(100),
        ..Limits::default()
    }
}

/// Reads frames until one's presence satisfies `done` (within 10 s), and returns it: a way
/// to know the server got this far without guessing how long it takes.
async fn presence_until(
    ws: &mut Ws,
    done: impl Fn(&HashMap<u64, String>) -> bool,
) -> HashMap<u64, String> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match tokio::time::timeout(left, ws.next()).await {
            Ok(Some(Ok(WsMessage::Binary(data)))) => {
                let seen = presence(&[data.to_vec()]);
                if done(&seen) {
                    return seen;
                }
            }
            Ok(Some(Ok(WsMessage::Close(frame)))) => panic!("closed while waiting: {frame:?}"),
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(e))) => panic!("socket failed while waiting: {e}"),
            Ok(None) | Err(_) => panic!("the awaited presence never came"),
        }
    }
}

async fn send(ws: &mut Ws, data: Vec<u8>) {
    ws.send(WsMessage::Binary(data.into())).await.expect("send");
}

#[tokio::test]
async fn a_frame_of_many_awareness_queries_closes_that_connection_instead_of_answering_each() {
    let app = TestApp::spawn().await;
    let (_, page) = shop_with_members(&app, "alpha").await;
    let viewer = login(&app, "viewer@alpha.example", PW).await;
    let mut ws = ws_connect(&app, page, Some(&viewer)).await.unwrap();
    let (greeting, _) = drain(&mut ws, Duration::from_millis(300)).await;
    // 1000 queries (0x03) in one frame.
    send(&mut ws, vec![3u8; 1000]).await;
    let (frames, code) = drain(&mut ws, Duration::from_secs(5)).await;
    assert_eq!(code, Some(1009), "closed as over budget");
    assert!(
        frames.len() <= 1,
        "{} replies to one frame (greeting was {})",
        frames.len(),
        greeting.len()
    );
}

#[tokio::test]
async fn duplicate_requests_in_one_frame_get_one_reply_each() {
    let app = TestApp::spawn().await;
    let (_, page) = shop_with_members(&app, "alpha").await;
    let viewer = login(&app, "viewer@alpha.example", PW).await;
    let mut ws = ws_connect(&app, page, Some(&viewer)).await.unwrap();
    drain(&mut ws, Duration::from_millis(300)).await;
    let step1 = Message::Sync(SyncMessage::SyncStep1(StateVector::default())).encode_v1();
    let mut frame = Vec::new();
    for _ in 0..5 {
        frame.extend_from_slice(&step1);
        frame.push(3);
    }
    send(&mut ws, frame).await;
    let (frames, code) = drain(&mut ws, Duration::from_millis(800)).await;
    assert_eq!(code, None, "still open");
    let messages: Vec<Message> = frames.iter().flat_map(|f| decode(f)).collect();
    let step2 = messages
        .iter()
        .filter(|m| matches!(m, Message::Sync(SyncMessage::SyncStep2(_))))
        .count();
    let presence = messages
        .iter()
        .filter(|m| matches!(m, Message::Awareness(_)))
        .count();
    assert_eq!(
        (step2, presence),
        (1, 1),
        "one document and one presence reply"
    );
}

#[tokio::test]
async fn a_presence_state_over_the_size_limit_closes_only_that_connection() {
    let app = TestApp::spawn().await;
    let (_, page) = shop_with_members(&app, "alpha").await;
    let viewer = login(&app, "viewer@alpha.example", PW).await;
    let editor = login(&app, "editor@alpha.example", PW).await;
    let mut bystander = YClient::join(ws_connect(&app, page, Some(&editor)).await.unwrap()).await;
    let mut ws = ws_connect(&app, page, Some(&viewer)).await.unwrap();
    drain(&mut ws, Duration::from_millis(300)).await;
    let big = json!({"user": {"name": "x"}, "junk": "a".repeat(100 * 1024)}).to_string();
    send(&mut ws, awareness(77, 1, &big)).await;
    let (_, code) = drain(&mut ws, Duration::from_secs(5)).await;
    assert_eq!(code, Some(1009));
    assert!(
        bystander.pump(Duration::from_millis(200)).await,
        "bystander still connected"
    );
}

#[tokio::test]
async fn presence_is_only_ever_set_for_ones_own_client_id_and_name() {
    let app = TestApp::spawn().await;
    let (_, page) = shop_with_members(&app, "alpha").await;
    let editor = login(&app, "editor@alpha.example", PW).await;
    let viewer = login(&app, "viewer@alpha.example", PW).await;
    let mut ann = ws_connect(&app, page, Some(&editor)).await.unwrap();
    drain(&mut ann, Duration::from_millis(300)).await;
    send(
        &mut ann,
        awareness(
            1,
            1,
            r##"{"user":{"name":"editor","color":"#e11d48"},"selected":null}"##,
        ),
    )
    .await;
    presence_until(&mut ann, |p| p.contains_key(&1)).await;

    let mut mallory = ws_connect(&app, page, Some(&viewer)).await.unwrap();
    drain(&mut mallory, Duration::from_millis(300)).await;
    // Her own state, under someone else's name: the name is the logged-in user's.
    send(
        &mut mallory,
        awareness(2, 1, r#"{"user":{"name":"owner"}}"#),
    )
    .await;
    // Another person's client id: an impersonation and a removal.
    send(
        &mut mallory,
        awareness(1, 5, r#"{"user":{"name":"editor"},"selected":"h"}"#),
    )
    .await;
    send(&mut mallory, awareness(1, 6, "null")).await;
    // A second id of her own making.
    send(
        &mut mallory,
        awareness(3, 1, r#"{"user":{"name":"ghost"}}"#),
    )
    .await;
    // Her query is answered after everything before it was handled: with everyone's state
    // (the only frame to hold both ids).
    send(&mut mallory, vec![3]).await;
    presence_until(&mut mallory, |p| p.contains_key(&1) && p.contains_key(&2)).await;

    // What a newcomer sees.
    let mut newcomer = ws_connect(&app, page, Some(&editor)).await.unwrap();
    let seen = presence_until(&mut newcomer, |p| !p.is_empty()).await;
    let ann_state: Value = serde_json::from_str(&seen[&1]).unwrap();
    assert_eq!(
        ann_state["selected"],
        Value::Null,
        "Ann's state untouched: {seen:?}"
    );
    let mallory_state: Value = serde_json::from_str(&seen[&2]).unwrap();
    assert_eq!(mallory_state["user"]["name"], "viewer", "{seen:?}");
    assert!(
        !seen.contains_key(&3),
        "one client id per connection: {seen:?}"
    );
}

#[tokio::test]
async fn one_user_cannot_open_more_connections_than_the_quota() {
    let app = TestApp::spawn().await;
    let (_, page) = shop_with_members(&app, "alpha").await;
    let editor = login(&app, "editor@alpha.example", PW).await;
    let mut held = Vec::new();
    for _ in 0..20 {
        held.push(ws_connect(&app, page, Some(&editor)).await.unwrap());
    }
    let mut extra = ws_connect(&app, page, Some(&editor)).await.unwrap();
    assert_eq!(
        yclient::close_code(&mut extra, Duration::from_secs(3)).await,
        Some(1008)
    );
    // Another member of the shop is not affected.
    let owner = login(&app, "owner@alpha.example", PW).await;
    YClient::join(ws_connect(&app, page, Some(&owner)).await.unwrap()).await;
}

#[tokio::test]
async fn draft_publish_preview_and_schedule_work_when_every_room_slot_is_taken() {
    let app = TestApp::spawn_with_limits(Limits {
        max_rooms: 1,
        ..Limits::default()
    })
    .await;
    let (shop, page) = shop_with_members(&app, "alpha").await;
    let other = app.create_page(shop, "other", "Other", "page").await;
    app.publish(shop, other, json!([crate::common::hero("r1", "First")]))
        .await;
    let editor = login(&app, "editor@alpha.example", PW).await;
    // The one room is held by a socket on the home page.
    let _holder = YClient::join(ws_connect(&app, page, Some(&editor)).await.unwrap()).await;

    let res = app
        .client
        .get(format!("{}/api/v1/pages/{other}/draft", app.base))
        .header("cookie", &editor)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "GET draft");
    let res = app
        .client
        .post(format!("{}/api/v1/pages/{other}/publish", app.base))
        .header("cookie", &editor)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "publish");

    // Preview: render and events.
    let url = create_preview_link(&app, &editor, other).await;
    let cookie = preview_cookie(other, &url);
    for path in [
        format!("/preview/p/{other}"),
        format!("/preview/p/{other}/events"),
    ] {
        let res = app
            .client
            .get(format!("{}{path}", app.base))
            .header("host", "alpha.localhost")
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{path}");
    }

    // A scheduled publish is not postponed.
    let res = app
        .client
        .put(format!("{}/api/v1/pages/{other}/schedule", app.base))
        .header("cookie", &editor)
        .json(&json!({"publish_at": chrono::Utc::now() + chrono::Duration::milliseconds(300)}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        server::publish::schedule::run_due(&app.state)
            .await
            .unwrap(),
        1
    );

    // Restoring a revision into the draft goes straight into storage.
    let res = app
        .client
        .post(format!(
            "{}/api/v1/pages/{other}/revisions/1/restore",
            app.base
        ))
        .header("cookie", &editor)
        .json(&json!({"reset_draft": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "restore with reset_draft");
    assert!(app.state.hub.store().log_len(other).await.unwrap() >= 1);
    assert_eq!(
        app.state.hub.room_count().await,
        1,
        "no room was loaded for any of it"
    );
}

#[tokio::test]
async fn a_socket_is_closed_when_its_session_is_logged_out() {
    let app = TestApp::spawn_with_limits(quick_rechecks()).await;
    let (_, page) = shop_with_members(&app, "alpha").await;
    let editor = login(&app, "editor@alpha.example", PW).await;
    let mut c = YClient::join(ws_connect(&app, page, Some(&editor)).await.unwrap()).await;
    let res = app
        .client
        .delete(format!("{}/api/v1/session", app.base))
        .header("cookie", &editor)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(c.close_code(Duration::from_secs(10)).await, Some(4401));
}

#[tokio::test]
async fn a_socket_is_closed_when_its_user_is_demoted_to_viewer() {
    let app = TestApp::spawn_with_limits(quick_rechecks()).await;
    let (shop, page) = shop_with_members(&app, "alpha").await;
    let editor = login(&app, "editor@alpha.example", PW).await;
    let mut c = YClient::join(ws_connect(&app, page, Some(&editor)).await.unwrap()).await;
    // As another process would (the database is the only thing shared).
    use sea_orm::sea_query::Expr;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let editor_id = entity::user::Entity::find()
        .filter(entity::user::Column::Email.eq("editor@alpha.example"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .id;
    entity::membership::Entity::update_many()
        .col_expr(entity::membership::Column::Role, Expr::value("viewer"))
        .filter(entity::membership::Column::UserId.eq(editor_id))
        .filter(entity::membership::Column::ShopId.eq(shop))
        .exec(&app.db)
        .await
        .unwrap();
    assert_eq!(c.close_code(Duration::from_secs(10)).await, Some(4403));
    // The same session reconnects, as a viewer.
    YClient::join(ws_connect(&app, page, Some(&editor)).await.unwrap()).await;
}

#[tokio::test]
async fn preview_event_streams_per_page_are_capped() {
    let app = TestApp::spawn_with_limits(Limits {
        max_preview_streams_per_page: 2,
        ..Limits::default()
    })
    .await;
    let (_, page) = shop_with_members(&app, "alpha").await;
    let editor = login(&app, "editor@alpha.example", PW).await;
    let url = create_preview_link(&app, &editor, page).await;
    let open = || {
        app.client
            .get(format!("{}/preview/p/{page}/events", app.base))
            .header("host", "alpha.localhost")
            .header("cookie", preview_cookie(page, &url))
            .send()
    };
    let first = open().await.unwrap();
    let second = open().await.unwrap();
    assert_eq!(
        (first.status().as_u16(), second.status().as_u16()),
        (200, 200)
    );
    let third = open().await.unwrap();
    assert_eq!(third.status(), 429, "a third stream on the page is refused");
    assert!(third.headers().contains_key("retry-after"));
    // A stream that ends frees its place.
    drop(first);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let again = open().await.unwrap();
        if again.status() == 200 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "a closed stream's place is never freed"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(second);
}

#[tokio::test]
async fn a_preview_event_stream_ends_when_its_links_are_revoked() {
    let app = TestApp::spawn().await;
    let (_, page) = shop_with_members(&app, "alpha").await;
    let editor = login(&app, "editor@alpha.example", PW).await;
    let url = create_preview_link(&app, &editor, page).await;
    let mut events = app
        .client
        .get(format!("{}/preview/p/{page}/events", app.base))
        .header("host", "alpha.localhost")
        .header("cookie", preview_cookie(page, &url))
        .send()
        .await
        .unwrap();
    assert_eq!(events.status(), 200);
    let res = app
        .client
        .delete(format!("{}/api/v1/pages/{page}/preview-links", app.base))
        .header("cookie", &editor)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        while let Ok(Some(_)) = events.chunk().await {}
    })
    .await;
    assert!(ended.is_ok(), "the event stream ended");
}

#[tokio::test]
async fn the_rate_limit_counts_each_message_of_a_frame() {
    let app = TestApp::spawn_with_limits(Limits {
        messages_per_second: 1.0,
        message_burst: 20.0,
        ..Limits::default()
    })
    .await;
    let (_, page) = shop_with_members(&app, "alpha").await;
    let viewer = login(&app, "viewer@alpha.example", PW).await;
    let mut ws = ws_connect(&app, page, Some(&viewer)).await.unwrap();
    drain(&mut ws, Duration::from_millis(300)).await;
    // 30 messages in one frame: within the per-frame budget, over the burst.
    send(&mut ws, vec![3u8; 30]).await;
    let (_, code) = drain(&mut ws, Duration::from_secs(5)).await;
    assert_eq!(code, Some(4429));
}

/// A yrs update adding `bytes` characters to a scratch text of `doc`.
fn text_update(doc: &yrs::Doc, bytes: usize) -> Vec<u8> {
    use yrs::{ReadTxn, Text, Transact};
    let text = doc.get_or_insert_text("scratch");
    let before = doc.transact().state_vector();
    text.insert(&mut doc.transact_mut(), 0, &"x".repeat(bytes));
    doc.transact().encode_state_as_update_v1(&before)
}

#[tokio::test]
async fn a_reader_that_falls_too_far_behind_by_bytes_is_closed_and_only_it() {
    let app = TestApp::spawn_with_limits(Limits {
        max_queued_bytes: 32 * 1024,
        ..Limits::default()
    })
    .await;
    let (_, page_id) = shop_with_members(&app, "alpha").await;
    let page = server::pages::find(&app.db, page_id)
        .await
        .unwrap()
        .unwrap();
    let hub = &app.state.hub;
    let room = hub.room(&page).await.unwrap();
    let mut writer = hub.connect(room.clone(), true);
    let mut slow = hub.connect(room.clone(), false);
    let mut fast = hub.connect(room.clone(), false);
    let local = yrs::Doc::new();
    // Ten frames of 8 KiB: far under any frame count, over 32 KiB for whoever reads none.
    for _ in 0..10 {
        let update = text_update(&local, 8 * 1024);
        writer
            .receive(&Message::Sync(SyncMessage::Update(update)).encode_v1())
            .await
            .expect("accepted");
        while let Some(frame) = fast.try_next_broadcast() {
            frame.expect("the reader that keeps up stays");
        }
    }
    match slow.try_next_broadcast() {
        Some(Err(close)) => assert_eq!(close.code(), 1013),
        other => panic!("the slow reader should be closed, got {other:?}"),
    }
    assert!(writer.try_next_broadcast().is_none(), "the writer stays");
}

/// Over real sockets, where the room writes frames straight to each socket: a client that
/// stops reading is dropped (its socket fills, then its queue or its write timeout runs
/// out), and meanwhile the one that reads gets every edit, in order, none held up.
#[tokio::test]
async fn over_sockets_a_client_that_stops_reading_is_dropped_while_the_others_get_every_edit_in_order()
 {
    use yrs::{GetString, ReadTxn, Transact, Update, updates::decoder::Decode};
    let app = TestApp::spawn_with_limits(Limits {
        max_queued_bytes: 256 * 1024,
        write_timeout: Duration::from_secs(1),
        message_burst: 1000.0,
        max_document_bytes: 32 * 1024 * 1024,
        ..Limits::default()
    })
    .await;
    let (_, page) = shop_with_members(&app, "alpha").await;
    let editor = login(&app, "editor@alpha.example", PW).await;
    let mut writer = ws_connect(&app, page, Some(&editor)).await.unwrap();
    let mut reader = ws_connect(&app, page, Some(&editor)).await.unwrap();
    let _stalled = ws_connect(&app, page, Some(&editor)).await.unwrap();
    // 400 edits of 16 KiB: 6.4 MB, more than loopback socket buffers hold for a client that
    // reads nothing.
    const EDITS: usize = 400;
    const BYTES: usize = 16 * 1024;
    let reading = tokio::spawn(async move {
        let mirror = yrs::Doc::new();
        let scratch = mirror.get_or_insert_text("scratch");
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let data = match tokio::time::timeout(left, reader.next()).await {
                Ok(Some(Ok(WsMessage::Binary(data)))) => data,
                Ok(Some(Ok(_))) => continue,
                other => panic!("the reader stopped getting edits: {other:?}"),
            };
            for m in decode(&data) {
                if let Message::Sync(SyncMessage::Update(u) | SyncMessage::SyncStep2(u)) = m {
                    let update = Update::decode_v1(&u).expect("update");
                    mirror.transact_mut().apply_update(update).expect("applies");
                    assert!(
                        !mirror.transact().has_missing_updates(),
                        "an edit arrived before one it builds on"
                    );
                }
            }
            if scratch.get_string(&mirror.transact()).len() == EDITS * BYTES {
                return;
            }
        }
    });
    let local = yrs::Doc::new();
    for _ in 0..EDITS {
        let update = text_update(&local, BYTES);
        send(
            &mut writer,
            Message::Sync(SyncMessage::Update(update)).encode_v1(),
        )
        .await;
    }
    reading.await.expect("the reader got every edit");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while app.state.hub.connection_count() > 2 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the client that reads nothing is still connected"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (_, code) = drain(&mut writer, Duration::from_millis(200)).await;
    assert_eq!(code, None, "the writer stays");
}

#[tokio::test]
async fn idle_sockets_are_closed_and_talking_ones_are_not() {
    let app = TestApp::spawn_with_limits(Limits {
        idle_timeout: Duration::from_millis(1500),
        ..Limits::default()
    })
    .await;
    let (_, page) = shop_with_members(&app, "alpha").await;
    let editor = login(&app, "editor@alpha.example", PW).await;
    let mut idle = ws_connect(&app, page, Some(&editor)).await.unwrap();
    let mut talker = ws_connect(&app, page, Some(&editor)).await.unwrap();
    // Presence every 100 ms for 3 s: twice the idle timeout.
    for clock in 1..=30 {
        send(&mut talker, awareness(9, clock, "{}")).await;
        let (_, code) = drain(&mut talker, Duration::from_millis(100)).await;
        assert_eq!(code, None, "a socket that sends presence stays open");
    }
    let (_, code) = drain(&mut idle, Duration::from_secs(10)).await;
    assert_eq!(code, Some(4408));
}

/// A rich-text block whose body has `bytes` characters.
fn add_text_block(client: &YClient, id: &str, bytes: usize) {
    client.push_block(
        id,
        "rich_text",
        &[("body", yrs::Any::from("b".repeat(bytes)))],
    );
}

async fn draft_ids(app: &TestApp, cookie: &str, page: i64) -> Vec<String> {
    let res = app
        .client
        .get(format!("{}/api/v1/pages/{page}/draft", app.base))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    body["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn an_edit_that_would_make_the_draft_too_large_is_refused() {
    let app = TestApp::spawn_with_limits(Limits {
        max_document_bytes: 64 * 1024,
        ..Limits::default()
    })
    .await;
    let (_, page) = shop_with_members(&app, "alpha").await;
    let editor = login(&app, "editor@alpha.example", PW).await;
    let mut a = YClient::join(ws_connect(&app, page, Some(&editor)).await.unwrap()).await;
    for i in 0..5 {
        add_text_block(&a, &format!("fits{i}"), 4 * 1024);
        a.flush().await;
    }
    assert!(a.pump(Duration::from_millis(300)).await, "20 KiB fit");
    add_text_block(&a, "too-big", 80 * 1024);
    a.flush().await;
    assert_eq!(a.close_code(Duration::from_secs(5)).await, Some(4413));
    let ids = draft_ids(&app, &editor, page).await;
    assert!(ids.contains(&"fits4".to_string()), "{ids:?}");
    assert!(!ids.contains(&"too-big".to_string()), "{ids:?}");
    // Small edits still go in.
    let mut b = YClient::join(ws_connect(&app, page, Some(&editor)).await.unwrap()).await;
    add_text_block(&b, "small", 10);
    b.flush().await;
    b.pump(Duration::from_millis(300)).await;
    assert!(
        draft_ids(&app, &editor, page)
            .await
            .contains(&"small".to_string())
    );
}

#[tokio::test]
async fn a_panic_inside_receive_still_releases_the_connection() {
    let app = TestApp::spawn_with_limits(Limits {
        fault_injection: true,
        max_connections_per_user: 1,
        ..Limits::default()
    })
    .await;
    let (_, page) = shop_with_members(&app, "alpha").await;
    let editor = login(&app, "editor@alpha.example", PW).await;
    let owner = login(&app, "owner@alpha.example", PW).await;
    let mut observer = ws_connect(&app, page, Some(&owner)).await.unwrap();
    drain(&mut observer, Duration::from_millis(300)).await;

    let mut doomed = ws_connect(&app, page, Some(&editor)).await.unwrap();
    send(&mut doomed, awareness(42, 1, r#"{"user":{"name":"x"}}"#)).await;
    presence_until(&mut observer, |p| p.contains_key(&42)).await;

    let fault = Message::Custom(server::collab::limits::FAULT_TAG, Vec::new()).encode_v1();
    send(&mut doomed, fault).await;
    // Its presence is removed and announced.
    presence_until(&mut observer, |p| p.get(&42).is_some_and(|s| s == "null")).await;
    assert_eq!(
        app.state.hub.connection_count(),
        1,
        "only the observer is left"
    );
    // The quota seat (one connection for this user) was released.
    YClient::join(ws_connect(&app, page, Some(&editor)).await.unwrap()).await;
}

#[tokio::test]
async fn shops_have_connection_and_room_quotas() {
    let app = TestApp::spawn_with_limits(Limits {
        max_connections_per_shop: 3,
        max_rooms_per_shop: 2,
        ..Limits::default()
    })
    .await;
    let (shop, home) = shop_with_members(&app, "alpha").await;
    let (_, beta_page) = shop_with_members(&app, "beta").await;
    let second = app.create_page(shop, "second", "Second", "page").await;
    let third = app.create_page(shop, "third", "Third", "page").await;
    let editor = login(&app, "editor@alpha.example", PW).await;
    let _a = YClient::join(ws_connect(&app, home, Some(&editor)).await.unwrap()).await;
    let _b = YClient::join(ws_connect(&app, second, Some(&editor)).await.unwrap()).await;
    let mut refused = ws_connect(&app, third, Some(&editor)).await.unwrap();
    assert_eq!(
        yclient::close_code(&mut refused, Duration::from_secs(3)).await,
        Some(1008),
        "a third room for the shop"
    );
    let owner = login(&app, "owner@alpha.example", PW).await;
    let _c = YClient::join(ws_connect(&app, home, Some(&owner)).await.unwrap()).await;
    let viewer = login(&app, "viewer@alpha.example", PW).await;
    let mut refused = ws_connect(&app, home, Some(&viewer)).await.unwrap();
    assert_eq!(
        yclient::close_code(&mut refused, Duration::from_secs(3)).await,
        Some(1008),
        "a fourth connection to the shop"
    );
    // Another shop is not affected.
    let beta = login(&app, "editor@beta.example", PW).await;
    YClient::join(ws_connect(&app, beta_page, Some(&beta)).await.unwrap()).await;
}

/// The session id in a `vitrine_session=…` cookie.
fn session_id(cookie: &str) -> &str {
    cookie.split_once('=').map(|(_, v)| v).unwrap_or_default()
}

#[tokio::test]
async fn ending_a_session_in_process_closes_its_sockets_at_once() {
    // Re-checks are far apart: only the nudge can close the socket in time.
    let app = TestApp::spawn_with_limits(Limits {
        recheck_every: Duration::from_secs(3600),
        ..Limits::default()
    })
    .await;
    let (_, page) = shop_with_members(&app, "alpha").await;
    let first = login(&app, "editor@alpha.example", PW).await;
    let second = login(&app, "editor@alpha.example", PW).await;
    let mut a = YClient::join(ws_connect(&app, page, Some(&first)).await.unwrap()).await;
    let mut b = YClient::join(ws_connect(&app, page, Some(&second)).await.unwrap()).await;
    app.state.hub.session_ended(session_id(&first));
    assert_eq!(a.close_code(Duration::from_secs(3)).await, Some(4401));
    assert!(
        b.pump(Duration::from_millis(300)).await,
        "the other session stays"
    );
}

#[tokio::test]
async fn expired_sessions_and_removed_members_lose_their_sockets() {
    use sea_orm::sea_query::Expr;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let app = TestApp::spawn_with_limits(quick_rechecks()).await;
    let (shop, page) = shop_with_members(&app, "alpha").await;
    let editor = login(&app, "editor@alpha.example", PW).await;
    let viewer = login(&app, "viewer@alpha.example", PW).await;
    let mut e = YClient::join(ws_connect(&app, page, Some(&editor)).await.unwrap()).await;
    let mut v = YClient::join(ws_connect(&app, page, Some(&viewer)).await.unwrap()).await;

    entity::session::Entity::update_many()
        .col_expr(entity::session::Column::ExpiresAt, Expr::value(0))
        .filter(entity::session::Column::Id.eq(session_id(&editor)))
        .exec(&app.db)
        .await
        .unwrap();
    assert_eq!(e.close_code(Duration::from_secs(5)).await, Some(4401));

    let viewer_id = entity::user::Entity::find()
        .filter(entity::user::Column::Email.eq("viewer@alpha.example"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .id;
    entity::membership::Entity::delete_many()
        .filter(entity::membership::Column::UserId.eq(viewer_id))
        .filter(entity::membership::Column::ShopId.eq(shop))
        .exec(&app.db)
        .await
        .unwrap();
    assert_eq!(v.close_code(Duration::from_secs(5)).await, Some(4403));
}
