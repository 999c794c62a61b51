//! Soak driver (run by `bench/soak`): the collaboration and admin side of a mixed load on a
//! running `vitrine`, over loopback, while `bench/soak` runs wrk on three storefronts.
//!
//! - `soak setup DATABASE_URL` (before the server starts): adds two shops, `north` and
//!   `south` (hosts `north.localhost`, `south.localhost`), each with the sample home page
//!   published, next to the sample shop.
//! - `soak run BASE_URL SERVER_PID SECONDS READY_FILE`: logs each soak editor account in once,
//!   creates 5 pages, and joins 4 editors and 1 observer per page over real WebSockets. It
//!   touches READY_FILE when the load starts, then for SECONDS: every editor types short
//!   unique words (one `Y.Text` insert each, ~7 a second, like a fast typist) into its own
//!   rich-text block; a page is published every second (round-robin); a preview link is
//!   created and opened every second (link → 303 with its cookie → the preview page → its
//!   event stream). Then editors stop, observers catch up, everyone leaves, and each page's
//!   draft is fetched over the API.
//!
//! Counted as errors: every HTTP answer outside 2xx/3xx where one is expected, every
//! WebSocket closed or failed by the server, every request that fails. Lost edits: words an
//! observer (a second client) saw that are missing from the draft afterwards. Prints the
//! figures and exits non-zero on any error or lost edit.

#[path = "../tests/it/common/mod.rs"]
mod common;

use futures_util::{SinkExt, StreamExt};
use rand::{Rng, SeedableRng};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use std::collections::{HashMap, HashSet};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use yrs::encoding::read::Cursor;
use yrs::sync::awareness::AwarenessUpdateEntry;
use yrs::sync::{AwarenessUpdate, Message, MessageReader, SyncMessage};
use yrs::updates::decoder::{Decode, DecoderV1};
use yrs::updates::encoder::Encode;
use yrs::{Array, Doc, GetString, Map, Out, ReadTxn, Text, Transact, Update};

/// Pages edited at once, editors per page, and the accounts they share (one per page).
const PAGES: usize = 5;
const EDITORS_PER_PAGE: usize = 4;
/// The soak editor accounts `bench/soak` creates: `soak-editor-{i}@harborandpine.example`.
const PASSWORD: &str = "soak-password-1";
/// A fast typist: one word every 100–180 ms (~7 a second).
const TYPE_EVERY_MS: std::ops::Range<u64> = 100..180;
/// Time allowed after the load for observers to see the last words.
const SETTLE: Duration = Duration::from_secs(15);
/// Presence is re-announced this often, as the admin's editor does (a socket that sends
/// nothing for a while is closed as abandoned).
const PRESENCE_EVERY: Duration = Duration::from_secs(10);
/// Every wait on the server is bounded by this.
const TIMEOUT: Duration = Duration::from_secs(20);

// ---------------------------------------------------------------------------------------
// setup

async fn setup(url: &str) -> Result<(), String> {
    let db = server::db::connect_and_migrate(url)
        .await
        .map_err(|e| format!("database: {e}"))?;
    let state = server::AppState::new(db.clone(), server::Config::for_tests(url));
    let home = entity::page::Entity::find()
        .filter(entity::page::Column::Slug.eq("home"))
        .one(&db)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("the sample shop is not seeded (run `vitrine seed --sample` first)")?;
    let live = home
        .live_revision_id
        .ok_or("the sample home page is not live")?;
    let blocks = server::publish::store::load_revision(&db, live)
        .await
        .map_err(|e| e.to_string())?;
    let nodes: Vec<app::blocks::BlockNode> = serde_json::to_value(&blocks)
        .and_then(serde_json::from_value)
        .map_err(|e| e.to_string())?;
    for (handle, name) in [
        ("north", "North Soak Supply"),
        ("south", "South Soak Supply"),
    ] {
        let now = chrono::Utc::now();
        let shop = entity::shop::ActiveModel {
            handle: Set(handle.into()),
            name: Set(name.into()),
            locale: Set("en".into()),
            currency: Set("EUR".into()),
            theme: Set(serde_json::json!({})),
            tagline: Set(format!("{name}, a second tenant for the soak")),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&db)
        .await
        .map_err(|e| format!("shop {handle}: {e}"))?;
        entity::shop_domain::ActiveModel {
            shop_id: Set(shop.id),
            host: Set(format!("{handle}.localhost")),
            is_primary: Set(true),
            verified: Set(true),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&db)
        .await
        .map_err(|e| format!("domain of {handle}: {e}"))?;
        let page = entity::page::ActiveModel::new_page(shop.id, "home", "Home", "home")
            .insert(&db)
            .await
            .map_err(|e| format!("home page of {handle}: {e}"))?;
        state
            .publisher()
            .publish_nodes(shop.id, page.id, &nodes, None)
            .await
            .map_err(|e| format!("publishing {handle}'s home page: {e:?}"))?;
    }
    println!("added shops north and south");
    Ok(())
}

// ---------------------------------------------------------------------------------------
// run

/// Everything the load's tasks share.
struct Ctx {
    base: String,
    http: reqwest::Client,
    /// Error messages (the first few are printed) and their count.
    errors: Mutex<Vec<String>>,
    error_count: AtomicU64,
    /// When each word was sent, for the edit → second client latency.
    sent_at: Mutex<HashMap<String, Instant>>,
    latencies_ms: Mutex<Vec<f64>>,
    publishes: Mutex<Vec<f64>>,
    previews: Mutex<Vec<f64>>,
}

impl Ctx {
    fn error(&self, what: String) {
        self.error_count.fetch_add(1, Ordering::Relaxed);
        let mut errors = self.errors.lock().expect("errors");
        if errors.len() < 50 {
            errors.push(what);
        }
    }
}

type Ws = common::Ws;

/// A Yjs peer on the collaboration socket (the y-websocket provider's protocol).
struct Peer {
    who: String,
    doc: Doc,
    ws: Ws,
    outbox: Arc<Mutex<Vec<Vec<u8>>>>,
    presence_clock: u32,
}

impl Peer {
    /// Connects and waits for the initial sync.
    async fn join(ctx: &Ctx, page: i64, cookie: &str, who: String) -> Result<Self, String> {
        let ws = tokio::time::timeout(
            TIMEOUT,
            common::ws_connect_to(&ctx.base, page, Some(cookie)),
        )
        .await
        .map_err(|_| format!("{who}: connecting timed out"))?
        .map_err(|e| format!("{who}: connecting failed: {e}"))?;
        let doc = app::draft::new_doc();
        let outbox = Arc::new(Mutex::new(Vec::new()));
        let sink = outbox.clone();
        doc.observe_update_v1("soak", move |txn, e| {
            if txn.origin().is_none_or(|o| o.as_ref() != b"remote") {
                sink.lock().expect("outbox").push(e.update.clone());
            }
        })
        .map_err(|e| e.to_string())?;
        let mut peer = Self {
            who,
            doc,
            ws,
            outbox,
            presence_clock: 0,
        };
        let sv = peer.doc.transact().state_vector();
        peer.send(Message::Sync(SyncMessage::SyncStep1(sv)).encode_v1())
            .await?;
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let frame = tokio::time::timeout(left, peer.ws.next())
                .await
                .map_err(|_| format!("{}: no initial sync", peer.who))?;
            if peer.on_frame(frame).await?.synced {
                peer.announce().await?;
                return Ok(peer);
            }
        }
    }

    async fn send(&mut self, data: Vec<u8>) -> Result<(), String> {
        tokio::time::timeout(TIMEOUT, self.ws.send(WsMessage::Binary(data.into())))
            .await
            .map_err(|_| format!("{}: sending timed out", self.who))?
            .map_err(|e| format!("{}: sending failed: {e}", self.who))
    }

    /// Sets (or refreshes) this client's presence.
    async fn announce(&mut self) -> Result<(), String> {
        self.presence_clock += 1;
        let json = serde_json::json!({"user": {"name": self.who}}).to_string();
        let update = AwarenessUpdate {
            clients: HashMap::from([(
                self.doc.client_id(),
                AwarenessUpdateEntry {
                    clock: self.presence_clock,
                    json: json.into(),
                },
            )]),
        };
        self.send(Message::Awareness(update).encode_v1()).await
    }

    /// Sends the local changes made since the last call.
    async fn flush(&mut self) -> Result<(), String> {
        let updates = std::mem::take(&mut *self.outbox.lock().expect("outbox"));
        for u in updates {
            self.send(Message::Sync(SyncMessage::Update(u)).encode_v1())
                .await?;
        }
        Ok(())
    }

    /// Handles what the socket gave; a close or error from the server is an `Err`.
    async fn on_frame(
        &mut self,
        frame: Option<Result<WsMessage, tokio_tungstenite::tungstenite::Error>>,
    ) -> Result<Received, String> {
        let data = match frame {
            Some(Ok(WsMessage::Binary(data))) => data,
            Some(Ok(WsMessage::Close(close))) => {
                return Err(match close {
                    Some(f) => format!(
                        "{}: the server closed the socket: {} {}",
                        self.who,
                        u16::from(f.code),
                        f.reason
                    ),
                    None => format!("{}: the server closed the socket (no code)", self.who),
                });
            }
            Some(Ok(_)) => return Ok(Received::default()),
            Some(Err(e)) => return Err(format!("{}: socket error: {e}", self.who)),
            None => return Err(format!("{}: the socket ended", self.who)),
        };
        let mut decoder = DecoderV1::new(Cursor::new(&data));
        let messages: Vec<Message> = MessageReader::new(&mut decoder)
            .collect::<Result<_, _>>()
            .map_err(|e| format!("{}: unreadable y-sync frame: {e}", self.who))?;
        let mut received = Received::default();
        for m in messages {
            match m {
                Message::Sync(SyncMessage::SyncStep1(sv)) => {
                    let update = self.doc.transact().encode_state_as_update_v1(&sv);
                    self.send(Message::Sync(SyncMessage::SyncStep2(update)).encode_v1())
                        .await?;
                }
                Message::Sync(SyncMessage::SyncStep2(u)) => {
                    self.apply(&u)?;
                    received.synced = true;
                    received.changed = true;
                }
                Message::Sync(SyncMessage::Update(u)) => {
                    self.apply(&u)?;
                    received.changed = true;
                }
                _ => {}
            }
        }
        Ok(received)
    }

    fn apply(&self, data: &[u8]) -> Result<(), String> {
        let update =
            Update::decode_v1(data).map_err(|e| format!("{}: bad update: {e}", self.who))?;
        self.doc
            .transact_mut_with("remote")
            .apply_update(update)
            .map_err(|e| format!("{}: update does not apply: {e}", self.who))
    }

    /// Closes the socket as a browser tab does and waits (bounded) for the server's answer.
    async fn leave(mut self) -> Result<(), String> {
        let _ = self.ws.close(None).await;
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, self.ws.next()).await {
                Ok(Some(Ok(_))) => continue,
                Ok(None) | Ok(Some(Err(_))) | Err(_) => return Ok(()),
            }
        }
    }

    /// Every word in the page's rich-text bodies.
    fn words(&self) -> Vec<String> {
        let blocks = self.doc.get_or_insert_array(app::draft::BLOCKS_ROOT);
        let txn = self.doc.transact();
        let mut words = Vec::new();
        for block in blocks.iter(&txn) {
            let Out::YMap(block) = block else { continue };
            let Some(Out::YMap(props)) = block.get(&txn, "props") else {
                continue;
            };
            if let Some(Out::YText(body)) = props.get(&txn, "body") {
                words.extend(body.get_string(&txn).split_whitespace().map(str::to_string));
            }
        }
        words
    }
}

#[derive(Default)]
struct Received {
    synced: bool,
    changed: bool,
}

/// A word nobody else types: editor letter pair + sequence number.
fn word(editor: usize, seq: u64) -> String {
    format!("w{editor:02}n{seq}")
}

/// One editor: adds its own rich-text block, then types a word every 100–180 ms until
/// `until`, reading the room all along; then reads until `leave_at`. Returns the words sent.
async fn editor(
    ctx: Arc<Ctx>,
    mut peer: Peer,
    index: usize,
    until: Instant,
    leave_at: Arc<tokio::sync::watch::Receiver<bool>>,
) -> Vec<String> {
    let block_id = format!("soak-{index}");
    {
        let (_, root) = app::draft::edit::roots(&peer.doc);
        let mut txn = peer.doc.transact_mut();
        let end = root.len(&txn);
        app::draft::edit::insert_node(
            &mut txn,
            &root,
            end,
            &app::draft::edit::new_block(app::blocks::BlockType::RichText, block_id.clone()),
        );
    }
    let mut sent = Vec::new();
    if let Err(e) = peer.flush().await {
        ctx.error(e);
        return sent;
    }
    let mut rng = rand::rngs::StdRng::seed_from_u64(index as u64);
    let mut next_word = tokio::time::Instant::now();
    let mut leave = (*leave_at).clone();
    let mut presence =
        tokio::time::interval_at(tokio::time::Instant::now() + PRESENCE_EVERY, PRESENCE_EVERY);
    loop {
        let typing = Instant::now() < until;
        tokio::select! {
            _ = tokio::time::sleep_until(next_word), if typing => {
                let w = word(index, sent.len() as u64);
                {
                    let (_, root) = app::draft::edit::roots(&peer.doc);
                    let mut txn = peer.doc.transact_mut();
                    if let Some(text) = app::draft::edit::text_prop(&mut txn, &root, &block_id, "body") {
                        let at = text.len(&txn);
                        text.insert(&mut txn, at, &format!("{w} "));
                    }
                }
                ctx.sent_at.lock().expect("sent").insert(w.clone(), Instant::now());
                sent.push(w);
                if let Err(e) = peer.flush().await {
                    ctx.error(e);
                    return sent;
                }
                next_word = tokio::time::Instant::now()
                    + Duration::from_millis(rng.random_range(TYPE_EVERY_MS));
            }
            frame = peer.ws.next() => {
                if let Err(e) = peer.on_frame(frame).await {
                    ctx.error(e);
                    return sent;
                }
            }
            _ = presence.tick() => {
                if let Err(e) = peer.announce().await {
                    ctx.error(e);
                    return sent;
                }
            }
            _ = leave.changed() => break,
            _ = tokio::time::sleep(Duration::from_millis(200)), if !typing => {}
        }
    }
    if let Err(e) = peer.leave().await {
        ctx.error(e);
    }
    sent
}

/// The second client of a page: records every word it sees (and when) until every word the
/// page's editors sent has arrived, or `settle_until`.
async fn observer(
    ctx: Arc<Ctx>,
    mut peer: Peer,
    until: Instant,
    settle_until: Instant,
    expected: tokio::sync::watch::Receiver<Option<HashSet<String>>>,
) -> HashSet<String> {
    let mut seen: HashSet<String> = HashSet::new();
    let mut check = tokio::time::interval(Duration::from_millis(100));
    let mut presence =
        tokio::time::interval_at(tokio::time::Instant::now() + PRESENCE_EVERY, PRESENCE_EVERY);
    loop {
        tokio::select! {
            _ = presence.tick() => {
                if let Err(e) = peer.announce().await {
                    ctx.error(e);
                    return seen;
                }
            }
            frame = peer.ws.next() => match peer.on_frame(frame).await {
                Ok(r) if r.changed => {
                    // Read at once, so the latency is the edit's, not a polling interval's.
                    let now = Instant::now();
                    let new: Vec<String> =
                        peer.words().into_iter().filter(|w| !seen.contains(w)).collect();
                    if !new.is_empty() {
                        let sent_at = ctx.sent_at.lock().expect("sent");
                        let mut latencies = ctx.latencies_ms.lock().expect("latencies");
                        for w in &new {
                            if let Some(t) = sent_at.get(w) {
                                latencies.push(now.duration_since(*t).as_secs_f64() * 1000.0);
                            }
                        }
                    }
                    seen.extend(new);
                }
                Ok(_) => {}
                Err(e) => { ctx.error(e); return seen; }
            },
            _ = check.tick() => {
                let now = Instant::now();
                if now >= settle_until {
                    break;
                }
                if now >= until
                    && let Some(expected) = expected.borrow().as_ref()
                    && expected.is_subset(&seen)
                {
                    break;
                }
            }
        }
    }
    if let Err(e) = peer.leave().await {
        ctx.error(e);
    }
    seen
}

/// Publishes one page a second, round-robin, until `until`.
async fn publisher(ctx: Arc<Ctx>, cookie: String, pages: Vec<i64>, until: Instant) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut i = 0;
    while Instant::now() < until {
        tick.tick().await;
        let page = pages[i % pages.len()];
        i += 1;
        let started = Instant::now();
        let res = ctx
            .http
            .post(format!("{}/api/v1/pages/{page}/publish", ctx.base))
            .header("cookie", &cookie)
            .send()
            .await;
        match res {
            Ok(r) if r.status().is_success() => ctx
                .publishes
                .lock()
                .expect("publishes")
                .push(started.elapsed().as_secs_f64() * 1000.0),
            Ok(r) => {
                let status = r.status();
                let body = r.text().await.unwrap_or_default();
                ctx.error(format!(
                    "POST /api/v1/pages/{page}/publish → {status}: {body:.300}"
                ));
            }
            Err(e) => ctx.error(format!("POST /api/v1/pages/{page}/publish failed: {e}")),
        }
    }
}

/// Creates and opens a preview link a second, round-robin over the pages, until `until`.
async fn previewer(ctx: Arc<Ctx>, cookie: String, pages: Vec<i64>, until: Instant, port: u16) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut i = 0;
    while Instant::now() < until {
        tick.tick().await;
        let page = pages[i % pages.len()];
        i += 1;
        let started = Instant::now();
        match open_preview(&ctx, &cookie, page, port).await {
            Ok(()) => ctx
                .previews
                .lock()
                .expect("previews")
                .push(started.elapsed().as_secs_f64() * 1000.0),
            Err(e) => ctx.error(e),
        }
    }
}

/// Link → 303 with the preview cookie → the preview page → its event stream (opened, then
/// dropped as a closed tab would).
async fn open_preview(ctx: &Ctx, cookie: &str, page: i64, port: u16) -> Result<(), String> {
    let create = format!("/api/v1/pages/{page}/preview-links");
    let res = ctx
        .http
        .post(format!("{}{create}", ctx.base))
        .header("cookie", cookie)
        .json(&serde_json::json!({}))
        .send()
        .await
        .map_err(|e| format!("POST {create} failed: {e}"))?;
    if !res.status().is_success() {
        let status = res.status();
        return Err(format!(
            "POST {create} → {status}: {:.300}",
            res.text().await.unwrap_or_default()
        ));
    }
    let body: serde_json::Value = res
        .json()
        .await
        .map_err(|e| format!("POST {create}: {e}"))?;
    let url = body["url"].as_str().unwrap_or_default();
    // Loopback only: the link must point at this server (its host resolves to 127.0.0.1).
    let origin = format!("http://demo.localhost:{port}/");
    if !url.starts_with(&origin) {
        return Err(format!("POST {create}: a link not on {origin}: {url:.200}"));
    }
    let res = ctx
        .http
        .get(url)
        .send()
        .await
        .map_err(|e| format!("GET /preview/{{token}} failed: {e}"))?;
    if res.status() != reqwest::StatusCode::SEE_OTHER {
        return Err(format!(
            "GET /preview/{{token}} → {} (303 expected)",
            res.status()
        ));
    }
    let preview_cookie =
        cookie_named(&res, "vitrine_preview_").ok_or("GET /preview/{token}: no preview cookie")?;
    let location = res
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    for path in [location.clone(), format!("{location}/events")] {
        let res = ctx
            .http
            .get(format!("http://demo.localhost:{port}{path}"))
            .header("cookie", &preview_cookie)
            .send()
            .await
            .map_err(|e| format!("GET {path} failed: {e}"))?;
        if res.status() != reqwest::StatusCode::OK {
            return Err(format!("GET {path} → {} (200 expected)", res.status()));
        }
        if !path.ends_with("/events") {
            res.text()
                .await
                .map_err(|e| format!("GET {path}: reading the page: {e}"))?;
        }
    }
    Ok(())
}

/// The first `name=value` pair of a Set-Cookie whose name starts with `prefix`.
fn cookie_named(res: &reqwest::Response, prefix: &str) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(prefix))
        .map(|v| v.split(';').next().unwrap_or_default().to_string())
}

async fn login(ctx: &Ctx, email: &str) -> Result<String, String> {
    let res = ctx
        .http
        .post(format!("{}/api/v1/session", ctx.base))
        .json(&serde_json::json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .map_err(|e| format!("logging in as {email}: {e}"))?;
    if !res.status().is_success() {
        return Err(format!("logging in as {email} → {}", res.status()));
    }
    common::session_cookie(&res).ok_or_else(|| format!("logging in as {email}: no cookie"))
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

fn percentile(values: &mut [f64], p: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    values[((values.len() as f64 - 1.0) * p).round() as usize]
}

async fn run(base: String, pid: u32, secs: u64, ready: &str) -> Result<bool, String> {
    let port: u16 = base
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .ok_or("BASE_URL needs a port")?;
    let loopback = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .resolve("demo.localhost", loopback)
        .timeout(TIMEOUT)
        .build()
        .map_err(|e| e.to_string())?;
    let ctx = Arc::new(Ctx {
        base,
        http,
        errors: Mutex::new(Vec::new()),
        error_count: AtomicU64::new(0),
        sent_at: Mutex::new(HashMap::new()),
        latencies_ms: Mutex::new(Vec::new()),
        publishes: Mutex::new(Vec::new()),
        previews: Mutex::new(Vec::new()),
    });

    // One login per account; each account's page gets its 4 editors and its observer.
    let mut cookies = Vec::new();
    for i in 0..PAGES {
        cookies.push(login(&ctx, &format!("soak-editor-{i}@harborandpine.example")).await?);
    }
    let run_id = std::process::id();
    let mut pages = Vec::new();
    for (i, cookie) in cookies.iter().enumerate() {
        let res = ctx
            .http
            .post(format!("{}/api/v1/shops/demo/pages", ctx.base))
            .header("cookie", cookie)
            .json(&serde_json::json!({"title": format!("Soak {i}"), "slug": format!("soak-{run_id}-{i}"), "page_type": "page"}))
            .send()
            .await
            .map_err(|e| format!("creating a page: {e}"))?;
        if !res.status().is_success() {
            return Err(format!("creating a page → {}", res.status()));
        }
        let body: serde_json::Value = res.json().await.map_err(|e| e.to_string())?;
        pages.push(body["id"].as_i64().ok_or("page id")?);
    }
    let mut editors = Vec::new();
    let mut observers = Vec::new();
    for (p, &page) in pages.iter().enumerate() {
        for e in 0..EDITORS_PER_PAGE {
            let index = p * EDITORS_PER_PAGE + e;
            editors.push((
                p,
                index,
                Peer::join(
                    &ctx,
                    page,
                    &cookies[p],
                    format!("editor {index} (page {page})"),
                )
                .await?,
            ));
        }
        observers
            .push(Peer::join(&ctx, page, &cookies[p], format!("observer of page {page}")).await?);
    }

    let rss_before = rss_kib(pid);
    std::fs::write(ready, b"ready").map_err(|e| format!("{ready}: {e}"))?;
    let started = Instant::now();
    let until = started + Duration::from_secs(secs);
    let settle_until = until + SETTLE;
    let (leave_tx, leave_rx) = tokio::sync::watch::channel(false);
    let leave_rx = Arc::new(leave_rx);
    let mut expected_tx = Vec::new();
    let mut observer_tasks = Vec::new();
    for peer in observers {
        let (tx, rx) = tokio::sync::watch::channel(None);
        expected_tx.push(tx);
        observer_tasks.push(tokio::spawn(observer(
            ctx.clone(),
            peer,
            until,
            settle_until,
            rx,
        )));
    }
    let editor_tasks: Vec<_> = editors
        .into_iter()
        .map(|(p, index, peer)| {
            (
                p,
                tokio::spawn(editor(ctx.clone(), peer, index, until, leave_rx.clone())),
            )
        })
        .collect();
    let publish_task = tokio::spawn(publisher(
        ctx.clone(),
        cookies[0].clone(),
        pages.clone(),
        until,
    ));
    let preview_task = tokio::spawn(previewer(
        ctx.clone(),
        cookies[1 % PAGES].clone(),
        pages.clone(),
        until,
        port,
    ));

    // Words sent per page, final once typing stops.
    tokio::time::sleep_until(until.into()).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let sent_words: Vec<HashSet<String>> = {
        let sent_at = ctx.sent_at.lock().expect("sent");
        (0..PAGES)
            .map(|p| {
                sent_at
                    .keys()
                    .filter(|w| {
                        let editor: usize = w[1..3].parse().unwrap_or(usize::MAX);
                        editor / EDITORS_PER_PAGE == p
                    })
                    .cloned()
                    .collect()
            })
            .collect()
    };
    for (tx, words) in expected_tx.iter().zip(&sent_words) {
        let _ = tx.send(Some(words.clone()));
    }
    let mut seen = Vec::new();
    for t in observer_tasks {
        seen.push(t.await.map_err(|e| format!("observer task: {e}"))?);
    }
    let _ = leave_tx.send(true);
    let mut sent_total = 0usize;
    for (_, t) in editor_tasks {
        sent_total += t.await.map_err(|e| format!("editor task: {e}"))?.len();
    }
    publish_task
        .await
        .map_err(|e| format!("publisher task: {e}"))?;
    preview_task
        .await
        .map_err(|e| format!("previewer task: {e}"))?;
    let rss_after = rss_kib(pid);

    // Every word a second client saw must be in the draft.
    let mut lost = 0usize;
    let mut unconfirmed = 0usize;
    let mut lost_examples = Vec::new();
    for (p, &page) in pages.iter().enumerate() {
        let path = format!("/api/v1/pages/{page}/draft");
        let res = ctx
            .http
            .get(format!("{}{path}", ctx.base))
            .header("cookie", &cookies[p])
            .send()
            .await
            .map_err(|e| format!("GET {path}: {e}"))?;
        if !res.status().is_success() {
            ctx.error(format!("GET {path} → {}", res.status()));
            continue;
        }
        let draft = res.text().await.map_err(|e| format!("GET {path}: {e}"))?;
        let in_draft: HashSet<&str> = draft
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| w.starts_with('w'))
            .collect();
        for w in &seen[p] {
            if !in_draft.contains(w.as_str()) {
                lost += 1;
                if lost_examples.len() < 10 {
                    lost_examples.push(format!("{w} (page {page})"));
                }
            }
        }
        unconfirmed += sent_words[p]
            .iter()
            .filter(|w| !in_draft.contains(w.as_str()))
            .count();
    }

    let seen_total: usize = seen.iter().map(HashSet::len).sum();
    let elapsed = secs as f64;
    let errors = ctx.error_count.load(Ordering::Relaxed);
    let mut latencies = std::mem::take(&mut *ctx.latencies_ms.lock().expect("latencies"));
    let mut publishes = std::mem::take(&mut *ctx.publishes.lock().expect("publishes"));
    let mut previews = std::mem::take(&mut *ctx.previews.lock().expect("previews"));
    println!(
        "editors                          {} on {PAGES} pages ({} accounts, one login each), 1 observer per page",
        PAGES * EDITORS_PER_PAGE,
        PAGES
    );
    println!(
        "edits sent                       {sent_total} ({:.1}/s)",
        sent_total as f64 / elapsed
    );
    println!("edits seen by a second client    {seen_total}");
    println!(
        "edit → second client             p50 {:.1} ms, p99 {:.1} ms",
        percentile(&mut latencies, 0.5),
        percentile(&mut latencies, 0.99)
    );
    println!("lost edits (seen, not in draft)  {lost}");
    println!("sent edits not in the draft      {unconfirmed}");
    println!(
        "publishes                        {} ok, p50 {:.1} ms, p99 {:.1} ms",
        publishes.len(),
        percentile(&mut publishes, 0.5),
        percentile(&mut publishes, 0.99)
    );
    println!(
        "preview links opened             {} ok, p50 {:.1} ms, p99 {:.1} ms",
        previews.len(),
        percentile(&mut previews, 0.5),
        percentile(&mut previews, 0.99)
    );
    println!("server RSS                       {rss_before} KiB at start, {rss_after} KiB after");
    println!("driver errors                    {errors}");
    for e in ctx.errors.lock().expect("errors").iter() {
        println!("  error: {e}");
    }
    for w in &lost_examples {
        println!("  lost: {w}");
    }
    Ok(errors == 0 && lost == 0 && unconfirmed == 0)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let result = match args.get(1).map(String::as_str) {
        Some("setup") if args.len() == 3 => setup(&args[2]).await.map(|()| true),
        Some("run") if args.len() == 6 => {
            let pid = args[3].parse().unwrap_or(0);
            let secs = args[4].parse().unwrap_or(60);
            run(args[2].clone(), pid, secs, &args[5]).await
        }
        _ => Err(
            "usage: soak setup DATABASE_URL | soak run BASE_URL SERVER_PID SECONDS READY_FILE"
                .into(),
        ),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("soak: {e}");
            ExitCode::from(2)
        }
    }
}
