//! Collaboration benchmark (run by `bench/collab`): drives a running `vitrine` over loopback
//! with y-sync clients and prints edit→remote-apply latency, update rates and server memory.
//!
//! Usage: collab_bench BASE_URL SERVER_PID [SECONDS]
//! The server must hold the sample shop, its editor and the editors `bench0@bench.test` …
//! `bench10@bench.test` (password `vitrine-bench`) that `bench/collab` creates: the
//! connections are spread over them, 20 each (the hub's per-user quota), and every scenario
//! stays within the shop's quotas (200 connections, 100 rooms).

#[path = "../tests/it/common/mod.rs"]
mod common;
#[path = "../tests/it/yclient/mod.rs"]
mod yclient;

use futures_util::StreamExt;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use yclient::YClient;
use yrs::{Any, Map, Out, Transact};

/// Counts heap bytes in use, for the per-room memory figure.
struct CountingAlloc;
static HEAP: AtomicU64 = AtomicU64::new(0);

unsafe impl std::alloc::GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        HEAP.fetch_add(layout.size() as u64, Ordering::Relaxed);
        unsafe { std::alloc::System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        HEAP.fetch_sub(layout.size() as u64, Ordering::Relaxed);
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

/// Heap bytes per loaded, idle room, measured in this process with the real hub: 200 pages
/// holding the sample home page's blocks, each loaded (draft seeded from the live revision).
async fn heap_per_idle_room() -> f64 {
    let path = std::env::temp_dir().join(format!("vitrine-room-mem-{}.db", std::process::id()));
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let db = server::db::connect_and_migrate(&url).await.expect("db");
    let state = server::AppState::new(db.clone(), server::Config::for_tests(&url));
    server::seed::sample(&state).await.expect("seed");
    let home = entity::page::Entity::find()
        .filter(entity::page::Column::Slug.eq("home"))
        .one(&db)
        .await
        .expect("query")
        .expect("home page");
    let blocks = server::publish::store::load_revision(&db, home.live_revision_id.expect("live"))
        .await
        .expect("blocks");
    let nodes: Vec<app::blocks::BlockNode> =
        serde_json::from_value(serde_json::to_value(&blocks).expect("json")).expect("nodes");
    let mut pages = Vec::new();
    for i in 0..200 {
        let page = entity::page::ActiveModel::new_page(
            home.shop_id,
            &format!("mem-{i}"),
            &format!("Memory {i}"),
            "home",
        )
        .insert(&db)
        .await
        .expect("page");
        state
            .publisher()
            .publish_nodes(home.shop_id, page.id, &nodes, None)
            .await
            .expect("publish");
        pages.push(
            server::pages::find(&db, page.id)
                .await
                .expect("q")
                .expect("page"),
        );
    }
    let hub = server::collab::Hub::new(db.clone(), server::collab::Limits::default());
    // Load one first so one-time allocations (statement caches …) are not counted.
    hub.room(&pages[0]).await.expect("room");
    let before = HEAP.load(Ordering::Relaxed);
    for page in &pages[1..] {
        hub.room(page).await.expect("room");
    }
    let after = HEAP.load(Ordering::Relaxed);
    drop(hub);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    (after.saturating_sub(before)) as f64 / 199.0
}

/// Microseconds since the benchmark started (all clients share one clock).
fn now_us(epoch: Instant) -> f64 {
    epoch.elapsed().as_secs_f64() * 1e6
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .map(str::to_string)
        })
        .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

struct Report {
    latencies_us: Vec<f64>,
    sent: u64,
    applied: u64,
}

/// One client: sends an edit every `every` (its own key in the `bench` map holds the send
/// time) and, for every update it applies, records how long ago each changed key was sent.
async fn client(
    mut c: YClient,
    key: String,
    every: Duration,
    until: Instant,
    epoch: Instant,
    sent: Arc<AtomicU64>,
) -> (Vec<f64>, u64) {
    let bench = c.doc.get_or_insert_map("bench");
    let mut seen: std::collections::HashMap<String, f64> = std::collections::HashMap::new();
    let mut latencies = Vec::new();
    let mut applied = 0u64;
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while Instant::now() < until {
        tokio::select! {
            _ = ticker.tick() => {
                {
                    let mut txn = c.doc.transact_mut();
                    bench.insert(&mut txn, key.as_str(), Any::from(now_us(epoch)));
                }
                c.flush().await;
                sent.fetch_add(1, Ordering::Relaxed);
            }
            frame = c.ws.next() => match frame {
                Some(Ok(WsMessage::Binary(data))) => {
                    c.handle(&data).await;
                    applied += 1;
                    let now = now_us(epoch);
                    let txn = c.doc.transact();
                    for (k, v) in bench.iter(&txn) {
                        if k == key { continue; }
                        if let Out::Any(Any::Number(n)) = v
                            && let Some(t) = n.as_f64()
                            && seen.get(k) != Some(&t)
                        {
                            seen.insert(k.to_string(), t);
                            latencies.push(now - t);
                        }
                    }
                }
                Some(Ok(_)) => {}
                _ => break,
            },
        }
    }
    (latencies, applied)
}

/// Connections one user may hold (the hub's per-user quota).
const PER_USER: usize = 20;
/// Rooms in the many-rooms scenario: with the two single-page scenarios' rooms, under the
/// shop's 100, and at 2 clients each under its 200 connections.
const MANY_ROOMS: usize = 90;
/// How long a closed scenario's connections take to leave the hub's quotas.
const QUOTA_SETTLE: Duration = Duration::from_secs(1);

async fn scenario(
    base: &str,
    cookies: &[String],
    pages: &[i64],
    per_room: usize,
    every: Duration,
    secs: u64,
) -> Report {
    // The previous scenario's connections leave the quotas first.
    tokio::time::sleep(QUOTA_SETTLE).await;
    let epoch = Instant::now();
    let mut clients = Vec::new();
    for &page in pages {
        for i in 0..per_room {
            let cookie = &cookies[clients.len() / PER_USER];
            let ws = common::ws_connect_to(base, page, Some(cookie))
                .await
                .expect("connect");
            clients.push((YClient::join(ws).await, format!("p{page}c{i}")));
        }
    }
    let sent = Arc::new(AtomicU64::new(0));
    let until = Instant::now() + Duration::from_secs(secs);
    let tasks: Vec<_> = clients
        .into_iter()
        .map(|(c, key)| tokio::spawn(client(c, key, every, until, epoch, sent.clone())))
        .collect();
    let mut report = Report {
        latencies_us: Vec::new(),
        sent: 0,
        applied: 0,
    };
    for t in tasks {
        let (l, a) = t.await.expect("client task");
        report.latencies_us.extend(l);
        report.applied += a;
    }
    report.sent = sent.load(Ordering::Relaxed);
    report
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn print(name: &str, mut r: Report, secs: u64) {
    r.latencies_us.sort_by(|a, b| a.total_cmp(b));
    println!(
        "{name:<34} {:>8.2} {:>8.2} {:>10.0} {:>12.0} {:>9}",
        percentile(&r.latencies_us, 0.5) / 1000.0,
        percentile(&r.latencies_us, 0.99) / 1000.0,
        r.sent as f64 / secs as f64,
        r.applied as f64 / secs as f64,
        r.latencies_us.len()
    );
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let base = args.get(1).expect("BASE_URL").clone();
    let pid: u32 = args.get(2).expect("SERVER_PID").parse().expect("pid");
    let secs: u64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(10);
    let http = reqwest::Client::new();
    let login = http
        .post(format!("{base}/api/v1/session"))
        .json(&serde_json::json!({"email": "editor@harborandpine.example", "password": "vitrine-demo"}))
        .send()
        .await
        .expect("login");
    let cookie = common::session_cookie(&login).expect("session cookie");
    let mut cookies = Vec::new();
    for u in 0..=10 {
        let login = http
            .post(format!("{base}/api/v1/session"))
            .json(&serde_json::json!({"email": format!("bench{u}@bench.test"), "password": "vitrine-bench"}))
            .send()
            .await
            .expect("login");
        assert!(
            login.status().is_success(),
            "bench{u}@bench.test cannot log in: run this through bench/collab"
        );
        cookies.push(common::session_cookie(&login).expect("session cookie"));
    }

    // Two pages for the single-page scenarios, then the many rooms.
    let mut pages = Vec::new();
    for i in 0..2 + MANY_ROOMS {
        let res = http
            .post(format!("{base}/api/v1/shops/demo/pages"))
            .header("cookie", &cookie)
            .json(&serde_json::json!({"title": format!("Bench {i}"), "slug": format!("bench-{i}-{pid}"), "page_type": "page"}))
            .send()
            .await
            .expect("create page");
        let body: serde_json::Value = res.json().await.expect("page json");
        pages.push(body["id"].as_i64().expect("page id"));
    }

    println!(
        "{secs} s per scenario, loopback, release server, {} cores",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0)
    );
    println!(
        "{:<34} {:>8} {:>8} {:>10} {:>12} {:>9}",
        "scenario", "p50 ms", "p99 ms", "edits/s", "applied/s", "samples"
    );
    let one = &pages[..1];
    print(
        "10 clients, one page, 5 edits/s",
        scenario(&base, &cookies, one, 10, Duration::from_millis(200), secs).await,
        secs,
    );
    print(
        "50 clients, one page, 2 edits/s",
        scenario(
            &base,
            &cookies,
            &pages[1..2],
            50,
            Duration::from_millis(500),
            secs,
        )
        .await,
        secs,
    );

    // Memory: rooms loaded and idle after the many-rooms run, against before it.
    tokio::time::sleep(QUOTA_SETTLE).await;
    let before = rss_kib(pid);
    let many = scenario(
        &base,
        &cookies,
        &pages[2..],
        2,
        Duration::from_millis(1000),
        secs,
    )
    .await;
    print(
        &format!("{MANY_ROOMS} rooms x 2 clients, 1 edit/s"),
        many,
        secs,
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = rss_kib(pid);
    let per_room = (after.saturating_sub(before)) as f64 / MANY_ROOMS as f64;
    println!(
        "\nserver RSS: {before} KiB before the rooms, {after} KiB after {MANY_ROOMS} rooms ran and went idle → {per_room:.1} KiB per room (an upper bound: freed connection buffers stay in the allocator)"
    );
    let heap = heap_per_idle_room().await;
    println!(
        "heap per idle room (200 rooms holding the sample home page, counted allocator): {:.1} KB (target < 100 KB)",
        heap / 1000.0
    );
}
