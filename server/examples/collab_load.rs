//! Collaboration load client (run by `bench/collab`): many y-sync connections on one document,
//! the same traffic against Vitrine or the stock Node `y-websocket` server, and the server's
//! CPU per 1,000 edits.
//!
//! Most connections are light: each keeps a document of its own edits only, sends one edit
//! (its own key in the `bench` map, holding the send time) at a steady rate and drains what
//! arrives without applying it, so the client is not the bottleneck. A few observers apply
//! everything and record edit → remote-apply latency per changed key.
//!
//! ```text
//! collab_load --label L --clients N --observers K --rate EDITS_PER_S_PER_CLIENT --secs S
//!             --pid PID [--pid PID …]
//!             (--node ws://HOST:PORT | --vitrine http://HOST:PORT [--vitrine …] --users EMAIL_PREFIX)
//! ```
//! With `--vitrine`, it logs in as `EMAIL_PREFIX{i}@bench.test` (password `vitrine-bench`,
//! editors of the sample shop, created by the script; 20 connections each, the per-user
//! quota), creates a page and spreads the clients over the servers given, round-robin; the
//! observers of one server measure separately the edits made through it and through the
//! others (the two-replica figures). Prints one table row.

use futures_util::{SinkExt, StreamExt};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use yrs::sync::{Message, SyncMessage};
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{Any, Doc, Map, Out, ReadTxn, StateVector, Transact, Update};

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Connections one user may hold (the hub's per-user quota).
const PER_USER: usize = 20;
pub const PASSWORD: &str = "vitrine-bench";

struct Args {
    label: String,
    clients: usize,
    observers: usize,
    rate: f64,
    secs: f64,
    pids: Vec<u32>,
    node: Option<String>,
    vitrine: Vec<String>,
    users: String,
}

fn args() -> Args {
    let mut a = Args {
        label: String::new(),
        clients: 50,
        observers: 3,
        rate: 2.0,
        secs: 10.0,
        pids: Vec::new(),
        node: None,
        vitrine: Vec::new(),
        users: "bench".into(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--label" => a.label = value(),
            "--clients" => a.clients = value().parse().expect("--clients: a number"),
            "--observers" => a.observers = value().parse().expect("--observers: a number"),
            "--rate" => a.rate = value().parse().expect("--rate: edits per second"),
            "--secs" => a.secs = value().parse().expect("--secs: seconds"),
            "--pid" => a.pids.push(value().parse().expect("--pid: a process id")),
            "--node" => a.node = Some(value()),
            "--vitrine" => a.vitrine.push(value()),
            "--users" => a.users = value(),
            other => panic!("unknown argument {other}"),
        }
    }
    assert!(
        a.node.is_some() == a.vitrine.is_empty(),
        "give --node or --vitrine"
    );
    assert!(
        a.observers >= 1 && a.observers < a.clients,
        "1 ≤ observers < clients"
    );
    a
}

/// CPU seconds (user + system) the processes have used so far.
fn cpu_secs(pids: &[u32]) -> f64 {
    let tick = 100.0; // USER_HZ: 100 on every Linux this runs on.
    pids.iter()
        .map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .unwrap_or_else(|e| panic!("/proc/{pid}/stat: {e}"));
            // Fields after the command name (which may hold spaces), from field 3 on.
            let rest = &stat[stat.rfind(')').expect("stat") + 2..];
            let f: Vec<&str> = rest.split(' ').collect();
            let utime: f64 = f[11].parse().expect("utime");
            let stime: f64 = f[12].parse().expect("stime");
            (utime + stime) / tick
        })
        .sum()
}

/// Where a connection goes: its URL, its login cookie, its server's index.
struct Target {
    url: String,
    cookie: Option<String>,
    server: usize,
}

async fn connect(t: &Target) -> Ws {
    let mut request = t.url.as_str().into_client_request().expect("request");
    if let Some(cookie) = &t.cookie {
        request
            .headers_mut()
            .insert("cookie", cookie.parse().expect("cookie header"));
    }
    // TCP_NODELAY, as browsers set it: with Nagle's algorithm a client sending edit after edit
    // waits for the server's delayed ACK.
    let (ws, _) = tokio_tungstenite::connect_async_with_config(request, None, true)
        .await
        .unwrap_or_else(|e| panic!("connecting to {}: {e}", t.url));
    ws
}

async fn vitrine_targets(bases: &[String], users: &str, clients: usize) -> Vec<Target> {
    let http = reqwest::Client::new();
    let mut cookies = Vec::new();
    for u in 0..clients.div_ceil(PER_USER) {
        let res = http
            .post(format!("{}/api/v1/session", bases[0]))
            .json(&serde_json::json!({"email": format!("{users}{u}@bench.test"), "password": PASSWORD}))
            .send()
            .await
            .expect("login");
        assert!(
            res.status().is_success(),
            "login {users}{u}: {}",
            res.status()
        );
        let cookie = res
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("vitrine_session="))
            .map(|v| v.split(';').next().unwrap_or_default().to_string())
            .expect("session cookie");
        cookies.push(cookie);
    }
    let nonce = std::process::id() as u128 * 1_000_000
        + std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_micros()
            % 1_000_000;
    let res = http
        .post(format!("{}/api/v1/shops/demo/pages", bases[0]))
        .header("cookie", &cookies[0])
        .json(&serde_json::json!({"title": "Load", "slug": format!("load-{nonce}"), "page_type": "page"}))
        .send()
        .await
        .expect("create page");
    assert!(res.status().is_success(), "create page: {}", res.status());
    let body: serde_json::Value = res.json().await.expect("page json");
    let page = body["id"].as_i64().expect("page id");
    (0..clients)
        .map(|i| {
            let server = i % bases.len();
            Target {
                url: format!(
                    "{}/api/v1/pages/{page}/collab",
                    bases[server].replace("http://", "ws://")
                ),
                cookie: Some(cookies[i / PER_USER].clone()),
                server,
            }
        })
        .collect()
}

#[derive(Default)]
struct Totals {
    sent: AtomicU64,
    received: AtomicU64,
}

/// Edit → remote-apply latencies (µs) one observer saw, for edits made through its own
/// server and through another.
#[derive(Default)]
struct Seen {
    same: Vec<f64>,
    other: Vec<f64>,
}

fn now_us(epoch: Instant) -> f64 {
    epoch.elapsed().as_secs_f64() * 1e6
}

/// The awareness update a stock client sends when it sets its local state.
fn awareness(client: u64, name: &str) -> Vec<u8> {
    let mut clients = std::collections::HashMap::new();
    clients.insert(
        yrs::ClientID::new(client),
        yrs::sync::awareness::AwarenessUpdateEntry {
            clock: 1,
            json: format!(r#"{{"user":{{"name":"{name}"}}}}"#).into(),
        },
    );
    Message::Awareness(yrs::sync::AwarenessUpdate { clients }).encode_v1()
}

struct Plan {
    epoch: Instant,
    start: Instant,
    stop: Instant,
    every: Duration,
}

/// A light connection: sends its edits, answers the server's SyncStep1, drains the rest.
async fn sender(
    mut ws: Ws,
    index: usize,
    server: usize,
    plan: Arc<Plan>,
    totals: Arc<Totals>,
) -> Result<(), String> {
    let doc = Doc::with_client_id(1_000 + index as u64);
    let map = doc.get_or_insert_map("bench");
    let key = format!("s{server}c{index}");
    let phase = plan.every.mul_f64((index % 97) as f64 / 97.0);
    let mut ticker = tokio::time::interval_at((plan.start + phase).into(), plan.every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let end = tokio::time::Instant::from(plan.stop + Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = ticker.tick(), if Instant::now() < plan.stop => {
                let before = doc.transact().state_vector();
                map.insert(&mut doc.transact_mut(), key.as_str(), Any::from(now_us(plan.epoch)));
                let update = doc.transact().encode_state_as_update_v1(&before);
                let frame = Message::Sync(SyncMessage::Update(update)).encode_v1();
                ws.send(WsMessage::Binary(frame.into())).await.map_err(|e| e.to_string())?;
                totals.sent.fetch_add(1, Ordering::Relaxed);
            }
            frame = ws.next() => match frame {
                Some(Ok(WsMessage::Binary(data))) => {
                    totals.received.fetch_add(1, Ordering::Relaxed);
                    // y-sync SyncStep1: [0 = sync, 0 = step 1, state vector].
                    // (Only those are decoded: the state vector is a length-prefixed buffer.)
                    if data.len() >= 2 && data[0] == 0 && data[1] == 0 {
                        let Message::Sync(SyncMessage::SyncStep1(sv)) =
                            Message::decode_v1(&data).map_err(|e| e.to_string())?
                        else {
                            continue;
                        };
                        let reply = doc.transact().encode_state_as_update_v1(&sv);
                        let frame = Message::Sync(SyncMessage::SyncStep2(reply)).encode_v1();
                        ws.send(WsMessage::Binary(frame.into())).await.map_err(|e| e.to_string())?;
                    }
                }
                Some(Ok(WsMessage::Close(c))) => return Err(format!("closed by the server: {c:?}")),
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e.to_string()),
                None => return Err("connection ended".into()),
            },
            _ = tokio::time::sleep_until(end) => return Ok(()),
        }
    }
}

/// An observer: applies everything and records, for every edit sent in the measured window,
/// how long ago it was sent.
async fn observer(
    mut ws: Ws,
    server: usize,
    plan: Arc<Plan>,
    totals: Arc<Totals>,
) -> Result<Seen, String> {
    let doc = Doc::new();
    let map = doc.get_or_insert_map("bench");
    let mut last: std::collections::HashMap<String, f64> = Default::default();
    let mut seen = Seen::default();
    let from = (plan.start - plan.epoch).as_secs_f64() * 1e6;
    let end = tokio::time::Instant::from(plan.stop + Duration::from_secs(1));
    let own = format!("s{server}c");
    loop {
        tokio::select! {
            frame = ws.next() => match frame {
                Some(Ok(WsMessage::Binary(data))) => {
                    totals.received.fetch_add(1, Ordering::Relaxed);
                    let message = Message::decode_v1(&data).map_err(|e| e.to_string())?;
                    let update = match message {
                        Message::Sync(SyncMessage::SyncStep1(sv)) => {
                            let reply = doc.transact().encode_state_as_update_v1(&sv);
                            let frame = Message::Sync(SyncMessage::SyncStep2(reply)).encode_v1();
                            ws.send(WsMessage::Binary(frame.into())).await.map_err(|e| e.to_string())?;
                            continue;
                        }
                        Message::Sync(SyncMessage::SyncStep2(u) | SyncMessage::Update(u)) => u,
                        _ => continue,
                    };
                    let update = Update::decode_v1(&update).map_err(|e| e.to_string())?;
                    doc.transact_mut().apply_update(update).map_err(|e| e.to_string())?;
                    let now = now_us(plan.epoch);
                    let txn = doc.transact();
                    for (k, v) in map.iter(&txn) {
                        if let Out::Any(Any::Number(n)) = v
                            && let Some(t) = n.as_f64()
                            && last.get(k) != Some(&t)
                        {
                            last.insert(k.to_string(), t);
                            if t >= from {
                                let into = if k.starts_with(&own) { &mut seen.same } else { &mut seen.other };
                                into.push(now - t);
                            }
                        }
                    }
                }
                Some(Ok(WsMessage::Close(c))) => return Err(format!("closed by the server: {c:?}")),
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e.to_string()),
                None => return Err("connection ended".into()),
            },
            _ = tokio::time::sleep_until(end) => return Ok(seen),
        }
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(mut v: Vec<f64>) -> (f64, f64, usize) {
    v.sort_by(|a, b| a.total_cmp(b));
    (
        percentile(&v, 0.5) / 1000.0,
        percentile(&v, 0.99) / 1000.0,
        v.len(),
    )
}

/// One thread: the client must stay lighter than the server it measures.
#[tokio::main(flavor = "current_thread")]
async fn main() {
    let a = args();
    let targets: Vec<Target> = match &a.node {
        Some(base) => {
            let room = format!("load-{}-{}", a.label.replace(' ', "-"), std::process::id());
            (0..a.clients)
                .map(|_| Target {
                    url: format!("{base}/{room}"),
                    cookie: None,
                    server: 0,
                })
                .collect()
        }
        None => vitrine_targets(&a.vitrine, &a.users, a.clients).await,
    };
    let servers = targets.iter().map(|t| t.server).max().unwrap_or(0) + 1;
    // Connect everyone, each with its presence set (as a stock client does), then let the
    // greetings and presence settle before measuring.
    let mut sockets = Vec::new();
    for (i, t) in targets.iter().enumerate() {
        let mut ws = connect(t).await;
        let hello = [
            Message::Sync(SyncMessage::SyncStep1(StateVector::default())).encode_v1(),
            awareness(1_000 + i as u64, &format!("bench {i}")),
        ];
        for frame in hello {
            ws.send(WsMessage::Binary(frame.into()))
                .await
                .expect("hello");
        }
        sockets.push((ws, t.server));
    }
    let epoch = Instant::now();
    let start = epoch + Duration::from_secs(2);
    let plan = Arc::new(Plan {
        epoch,
        start,
        stop: start + Duration::from_secs_f64(a.secs),
        every: Duration::from_secs_f64(1.0 / a.rate),
    });
    let totals = Arc::new(Totals::default());
    let mut observers = Vec::new();
    let mut senders = Vec::new();
    // Observers spread over the servers: the first `observers` connections of each kind.
    for (i, (ws, server)) in sockets.into_iter().enumerate() {
        let (plan, totals) = (plan.clone(), totals.clone());
        if i < a.observers {
            observers.push(tokio::spawn(observer(ws, server, plan, totals)));
        } else {
            senders.push(tokio::spawn(sender(ws, i, server, plan, totals)));
        }
    }
    tokio::time::sleep_until(start.into()).await;
    let (cpu0, received0, t0) = (
        cpu_secs(&a.pids),
        totals.received.load(Ordering::Relaxed),
        Instant::now(),
    );
    // The window: the edits, then half a second for the last ones to arrive everywhere.
    tokio::time::sleep_until((plan.stop + Duration::from_millis(500)).into()).await;
    let (cpu1, received1, elapsed) = (
        cpu_secs(&a.pids),
        totals.received.load(Ordering::Relaxed),
        t0.elapsed().as_secs_f64(),
    );
    let mut failed = 0;
    for s in senders {
        if let Err(e) = s.await.expect("sender task") {
            failed += 1;
            eprintln!("{}: a sender failed: {e}", a.label);
        }
    }
    let (mut same, mut other) = (Vec::new(), Vec::new());
    for o in observers {
        match o.await.expect("observer task") {
            Ok(seen) => {
                same.extend(seen.same);
                other.extend(seen.other);
            }
            Err(e) => {
                failed += 1;
                eprintln!("{}: an observer failed: {e}", a.label);
            }
        }
    }
    let sent = totals.sent.load(Ordering::Relaxed) as f64;
    let cpu_ms_per_1000 = (cpu1 - cpu0) * 1000.0 / sent * 1000.0;
    let (p50, p99, n) = ms(same.iter().chain(&other).copied().collect());
    let mut row = format!(
        "{:<30} {:>8.2} {:>8.2} {:>9.0} {:>11.0} {:>8.0} {:>9.1} {:>7}",
        a.label,
        p50,
        p99,
        sent / a.secs,
        (received1 - received0) as f64 / elapsed,
        (cpu1 - cpu0) * 1000.0,
        cpu_ms_per_1000,
        n
    );
    if servers > 1 {
        let (p50, p99, n) = ms(other);
        row += &format!("   other replica: p50 {p50:.2} ms, p99 {p99:.2} ms ({n} samples)");
    }
    println!("{row}");
    if failed > 0 {
        eprintln!("{}: {failed} connections failed", a.label);
        std::process::exit(1);
    }
}
