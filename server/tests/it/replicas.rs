//! Two real `vitrine` processes on one PostgreSQL database (replicas sharing rooms). These
//! need PostgreSQL: without `VITRINE_TEST_DATABASE_URL` they return at once (`scripts/test`
//! runs them in its PostgreSQL pass).

use crate::binary::{Server, free_port, sample_editor_and_about_page, start, vitrine};
use crate::common::{self, TestDb};
use crate::yclient::YClient;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use yrs::sync::awareness::AwarenessUpdateEntry;
use yrs::sync::{AwarenessUpdate, Message};
use yrs::types::ToJson;
use yrs::updates::encoder::Encode;
use yrs::{Any, Transact};

/// The seeded sample served by replicas A and B, an editor's cookie and the About page.
struct Pair {
    a: Server,
    b: Server,
    cookie: String,
    page: i64,
    // Last: the servers stop before their database is dropped.
    db: TestDb,
}

impl Pair {
    async fn start() -> Option<Self> {
        if !common::db::on_postgres() {
            eprintln!("skipped: replicas need {}", common::db::PG_ENV);
            return None;
        }
        let db = TestDb::fresh().await;
        assert!(
            vitrine(&db, 0)
                .args(["seed", "--sample"])
                .status()
                .unwrap()
                .success()
        );
        // A first: B then reuses the preview key A generated in their shared data directory.
        let a = start(&db, free_port()).await;
        let b = start(&db, free_port()).await;
        let (cookie, page) = sample_editor_and_about_page(&a.base, &b.base).await;
        Some(Self {
            a,
            b,
            cookie,
            page,
            db,
        })
    }

    async fn join(&self, server: &Server) -> YClient {
        YClient::join(
            common::ws_connect_to(&server.base, self.page, Some(&self.cookie))
                .await
                .unwrap(),
        )
        .await
    }
}

/// The client's blocks as JSON (maps compare by content, whatever their key order).
fn json_of(client: &YClient) -> serde_json::Value {
    let blocks = client.doc.get_or_insert_array("blocks");
    let txn = client.doc.transact();
    let mut out = String::new();
    blocks.to_json(&txn).to_json(&mut out);
    serde_json::from_str(&out).expect("blocks as JSON")
}

/// Pumps `client` until it has block `id`; the time it took.
async fn wait_for(client: &mut YClient, id: &str) -> Duration {
    let started = Instant::now();
    while !client.block_ids().iter().any(|i| i == id) {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{id} never arrived"
        );
        assert!(client.pump(Duration::from_millis(1)).await, "socket closed");
    }
    started.elapsed()
}

/// A y-sync awareness frame setting `client`'s presence (the editor's shape of it).
fn presence(client: &YClient, clock: u32, selected: &str) -> Vec<u8> {
    Message::Awareness(AwarenessUpdate {
        clients: HashMap::from([(
            client.doc.client_id(),
            AwarenessUpdateEntry {
                clock,
                json: Arc::from(format!(
                    r#"{{"user":{{"name":"x"}},"selected":"{selected}"}}"#
                )),
            },
        )]),
    })
    .encode_v1()
}

/// How many presence frames naming client `id` `client` has received.
fn presence_count(client: &YClient, id: u64) -> usize {
    client.presence_of.iter().filter(|c| **c == id).count()
}

/// Pumps `client` until it has received more than `seen` presence frames naming `id`; the
/// time it took.
async fn wait_for_presence(
    client: &mut YClient,
    id: u64,
    seen: usize,
    within: Duration,
) -> Duration {
    let started = Instant::now();
    while presence_count(client, id) <= seen {
        assert!(
            started.elapsed() < within,
            "presence of {id} not seen within {within:?}"
        );
        assert!(client.pump(Duration::from_millis(1)).await, "socket closed");
    }
    started.elapsed()
}

/// The median, the 99th percentile (nearest rank: of 100 samples the second slowest) and
/// the slowest.
fn percentiles(samples: &mut [Duration]) -> (Duration, Duration, Duration) {
    samples.sort();
    let rank = |p: usize| samples[(samples.len() * p).div_ceil(100) - 1];
    (rank(50), rank(99), rank(100))
}

#[tokio::test]
async fn clients_on_two_replicas_converge_quickly_and_see_each_others_presence() {
    let Some(pair) = Pair::start().await else {
        return;
    };
    let mut on_a = pair.join(&pair.a).await;
    let mut on_b = pair.join(&pair.b).await;
    let mut latencies = Vec::new();
    for i in 0..200 {
        let id = format!("e{i}");
        let (writer, reader) = if i % 2 == 0 {
            (&mut on_a, &mut on_b)
        } else {
            (&mut on_b, &mut on_a)
        };
        writer.push_block(&id, "divider", &[]);
        writer.flush().await;
        latencies.push(wait_for(reader, &id).await);
    }
    // Concurrent edits on both sides converge to one document.
    for i in 0..20 {
        on_a.push_block(&format!("ca{i}"), "divider", &[]);
        on_b.push_block(&format!("cb{i}"), "divider", &[]);
        on_a.flush().await;
        on_b.flush().await;
    }
    wait_for(&mut on_a, "cb19").await;
    wait_for(&mut on_b, "ca19").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while json_of(&on_a) != json_of(&on_b) {
        assert!(
            Instant::now() < deadline,
            "the replicas' clients never converged:\n{}\n{}",
            json_of(&on_a),
            json_of(&on_b)
        );
        on_a.pump(Duration::from_millis(5)).await;
        on_b.pump(Duration::from_millis(5)).await;
    }
    // The same on one replica, for comparison on this (shared, loaded) machine.
    let mut also_on_a = pair.join(&pair.a).await;
    let mut local = Vec::new();
    for i in 0..200 {
        let id = format!("l{i}");
        on_a.push_block(&id, "divider", &[]);
        on_a.flush().await;
        local.push(wait_for(&mut also_on_a, &id).await);
    }
    let (p50, p99, max) = percentiles(&mut latencies);
    let (local_p50, local_p99, local_max) = percentiles(&mut local);
    eprintln!(
        "edit → client on the other replica: p50 {p50:?}, p99 {p99:?}, max {max:?}; \
         on the same replica: p50 {local_p50:?}, p99 {local_p99:?}, max {local_max:?}"
    );
    // The issue's target. A debug build on this 2-core machine shared with other builds
    // gives 15-55 ms; nothing in the path waits (the notification is read within a
    // millisecond of the commit): it is the writer's transaction on one side and reading the
    // log on the other, CPU-bound and slower when the machine is busy. With busy loops on
    // top of the builds (load 8-9) it goes over now and then: every hop (client, replica,
    // PostgreSQL, replica, client) waits for a core, and PostgreSQL commits notifying
    // transactions one at a time.
    assert!(p99 < Duration::from_millis(100), "p99 {p99:?}");

    // Presence set on A reaches the client on B: each change, timed.
    let me = on_a.doc.client_id().get();
    let mut presence_latencies = Vec::new();
    for clock in 1..=200 {
        let seen = presence_count(&on_b, me);
        on_a.send_raw(presence(&on_a, clock, &format!("e{clock}")))
            .await;
        presence_latencies
            .push(wait_for_presence(&mut on_b, me, seen, Duration::from_secs(5)).await);
    }
    let (p50, p99, max) = percentiles(&mut presence_latencies);
    eprintln!("presence on A → client on B: p50 {p50:?}, p99 {p99:?}, max {max:?}");
    // No database read on the way: faster than an edit.
    assert!(p99 < Duration::from_millis(100), "presence p99 {p99:?}");
}

/// A client on `replica` whose presence (on `block`) the replica has taken: its echo came back.
async fn present_on(pair: &Pair, replica: &Server, block: &str) -> (YClient, u64) {
    let mut client = pair.join(replica).await;
    let me = client.doc.client_id().get();
    client.send_raw(presence(&client, 1, block)).await;
    wait_for_presence(&mut client, me, 0, Duration::from_secs(5)).await;
    (client, me)
}

#[tokio::test]
async fn a_client_joining_on_one_replica_sees_at_once_who_is_on_the_page_on_the_other() {
    let Some(pair) = Pair::start().await else {
        return;
    };
    // A took it (its echo came back), and the live relay to B is past: B has no room yet.
    let (_on_a, me) = present_on(&pair, &pair.a, "hero").await;
    // Editors renew their presence every 10 s (stock Yjs clients every 15 s); these clients
    // never do, so only the replicas asking each other can show it to a client joining B.
    let (mut joined, mut seen) = (Vec::new(), Vec::new());
    let mut clients = Vec::new();
    for wait in [0, 0, 300] {
        // The second client joins at once (within the window of the first one's question),
        // the third after it.
        tokio::time::sleep(Duration::from_millis(wait)).await;
        let started = Instant::now();
        let mut client = pair.join(&pair.b).await;
        joined.push(started.elapsed());
        wait_for_presence(&mut client, me, 0, Duration::from_secs(2)).await;
        seen.push(started.elapsed());
        clients.push(client);
    }
    eprintln!(
        "clients joining B (synced after {joined:?}) saw the presence set on A after {seen:?}"
    );
    let mut third = clients.pop().unwrap();
    // And the other way round: presence set on B is seen by a client joining A.
    let them = third.doc.client_id().get();
    third.send_raw(presence(&third, 1, "footer")).await;
    wait_for_presence(&mut third, them, 0, Duration::from_secs(5)).await;
    let mut also_on_a = pair.join(&pair.a).await;
    wait_for_presence(&mut also_on_a, them, 0, Duration::from_secs(2)).await;
}

#[tokio::test]
async fn joining_again_and_again_does_not_make_the_replicas_flood_each_other() {
    use sea_orm::sqlx::postgres::PgListener;
    let Some(pair) = Pair::start().await else {
        return;
    };
    let (_on_a, _) = present_on(&pair, &pair.a, "hero").await;
    // Whatever A relayed of that is out before the count starts.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut relay = PgListener::connect(&pair.db.url).await.unwrap();
    relay.listen("vitrine_replicas").await.unwrap();

    // 45 joins, 15 at a time (the user's connection quota is 20).
    let started = Instant::now();
    for _ in 0..3 {
        let clients = futures_util::future::join_all((0..15).map(|_| pair.join(&pair.b))).await;
        for mut client in clients {
            client.ws.close(None).await.unwrap();
        }
        // Their seats are free again before the next round.
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let took = started.elapsed();
    // Let a question or answer scheduled at the end of the last window go out.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let (mut asked, mut told) = (0, 0);
    while let Ok(Ok(Some(n))) =
        tokio::time::timeout(Duration::from_millis(200), relay.try_recv()).await
    {
        asked += usize::from(n.payload().contains(":q:"));
        told += usize::from(n.payload().contains(":p:"));
    }
    // At most one question (and one answer) per 250 ms window, plus the one at the start
    // and the one at the end of the last window.
    let windows = (took + Duration::from_millis(600)).as_millis() as usize / 250 + 2;
    eprintln!("45 joins in {took:?}: {asked} questions, {told} answers (at most {windows})");
    assert!(asked >= 1, "joining B never asked A");
    assert!(asked <= windows, "{asked} questions for 45 joins");
    assert!(told <= windows, "{told} answers for 45 joins");
}

/// Ends every replica's LISTEN connection from the database side (what a PostgreSQL restart
/// or a network cut does to it); answers how many were ended.
async fn end_listener_connections(db: &TestDb) -> i64 {
    use sea_orm::{ConnectionTrait, Database, Statement};
    let admin = Database::connect(&db.url).await.unwrap();
    let row = admin
        .query_one_raw(Statement::from_string(
            admin.get_database_backend(),
            "SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid() \
             AND query ILIKE 'LISTEN%'",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get("", "n").unwrap()
}

#[tokio::test]
async fn a_replica_whose_listener_connection_drops_catches_up_and_keeps_relaying() {
    let Some(pair) = Pair::start().await else {
        return;
    };
    let mut on_a = pair.join(&pair.a).await;
    let mut on_b = pair.join(&pair.b).await;
    on_a.push_block("before", "divider", &[]);
    on_a.flush().await;
    wait_for(&mut on_b, "before").await;
    let me = on_a.doc.client_id().get();
    on_a.send_raw(presence(&on_a, 1, "before")).await;
    wait_for_presence(&mut on_b, me, 0, Duration::from_secs(5)).await;
    let presence_seen = presence_count(&on_b, me);

    assert_eq!(
        end_listener_connections(&pair.db).await,
        2,
        "one listener per replica"
    );
    // Edits made at once, while the listeners are gone or coming back. A notification sent
    // in that window (a few ms here) is lost, and with nothing edited after them only the
    // catch-up from the log, once the replica listens again, brings such an edit across.
    for i in 0..5 {
        on_a.push_block(&format!("gap-a{i}"), "divider", &[]);
        on_b.push_block(&format!("gap-b{i}"), "divider", &[]);
    }
    on_a.flush().await;
    on_b.flush().await;
    for i in 0..5 {
        wait_for(&mut on_b, &format!("gap-a{i}")).await;
        wait_for(&mut on_a, &format!("gap-b{i}")).await;
    }
    // And the relay works again in both directions.
    on_a.push_block("after-a", "divider", &[]);
    on_a.flush().await;
    wait_for(&mut on_b, "after-a").await;
    on_b.push_block("after-b", "divider", &[]);
    on_b.flush().await;
    wait_for(&mut on_a, "after-b").await;
    assert_eq!(json_of(&on_a), json_of(&on_b));
    // A presence change sent in the gap is lost too: B, listening again, asked A for the
    // page's presence, and A's states came again without anyone changing them.
    wait_for_presence(&mut on_b, me, presence_seen, Duration::from_secs(2)).await;
}

#[tokio::test]
async fn a_replica_killed_mid_editing_loses_nothing_the_other_side_saw() {
    let Some(mut pair) = Pair::start().await else {
        return;
    };
    let mut on_a = pair.join(&pair.a).await;
    let mut on_b = pair.join(&pair.b).await;
    for i in 0..30 {
        on_a.push_block(&format!("k{i}"), "divider", &[]);
        on_a.flush().await;
        on_b.pump(Duration::from_millis(1)).await;
    }
    wait_for(&mut on_b, "k29").await;
    pair.a.kill();
    let seen = on_b.block_ids();
    // B's client carries on; A's client reconnects to the surviving replica.
    on_b.push_block("after-kill", "divider", &[]);
    on_b.flush().await;
    let mut again = pair.join(&pair.b).await;
    wait_for(&mut again, "after-kill").await;
    let now = again.block_ids();
    for id in &seen {
        assert!(now.contains(id), "{id} was seen on B but lost when A died");
    }
    again.push_block("from-reconnected", "divider", &[]);
    again.flush().await;
    wait_for(&mut on_b, "from-reconnected").await;
}

#[tokio::test]
async fn a_publish_on_one_replica_shows_on_the_other_and_preview_links_work_on_both() {
    let Some(pair) = Pair::start().await else {
        return;
    };
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page_on = |server: &Server| {
        http.get(format!("{}/pages/about", server.base))
            .header("host", "demo.localhost")
            .send()
    };
    // B has the page rendered and cached.
    for _ in 0..2 {
        let res = page_on(&pair.b).await.unwrap();
        assert_eq!(res.status(), 200);
        assert!(!res.text().await.unwrap().contains("Replicated heading"));
    }
    let mut on_a = pair.join(&pair.a).await;
    on_a.push_block(
        "replicated",
        "hero",
        &[("heading", Any::from("Replicated heading"))],
    );
    on_a.flush().await;
    on_a.pump(Duration::from_millis(50)).await;

    // A preview link made on A opens on B and shows the draft.
    let res = http
        .post(format!(
            "{}/api/v1/pages/{}/preview-links",
            pair.a.base, pair.page
        ))
        .header("cookie", &pair.cookie)
        .json(&serde_json::json!({"ttl_seconds": 600}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let link: serde_json::Value = res.json().await.unwrap();
    let url = link["url"].as_str().unwrap();
    let path = &url[url.find("/preview/").unwrap()..];
    let res = http
        .get(format!("{}{path}", pair.b.base))
        .header("host", "demo.localhost")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "B accepts A's preview link");
    let cookie = res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let res = http
        .get(format!("{}/preview/p/{}", pair.b.base, pair.page))
        .header("host", "demo.localhost")
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("Replicated heading"));

    // Publish on A; B's storefront shows it (its cached page was dropped).
    let res = http
        .post(format!(
            "{}/api/v1/pages/{}/publish",
            pair.a.base, pair.page
        ))
        .header("cookie", &pair.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let started = Instant::now();
    let mut requests = 0;
    loop {
        requests += 1;
        let body = page_on(&pair.b).await.unwrap().text().await.unwrap();
        if body.contains("Replicated heading") {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "B kept serving the old revision"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    eprintln!("B showed the publish on request {requests}");
}
