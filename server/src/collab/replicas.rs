//! Replicas sharing rooms (PostgreSQL only): several `vitrine` processes on one database each
//! keep their own rooms in memory and tell each other what changed with `NOTIFY` on one
//! channel. On SQLite (one process) none of this exists.
//!
//! - A draft update: the writer's transaction notifies `(page, log id)` and the notification
//!   is delivered only when that transaction commits, so "durable before broadcast" holds
//!   across replicas too: the others read the update from the durable log
//!   ([`Room::catch_up`](super::Room::catch_up)), never from the notification.
//! - Presence: the awareness frame itself, when it fits ([`MAX_RELAYED_PRESENCE`]). A room
//!   that gains a connection asks the others for their connections' presence on its page
//!   ([`Event::PresenceWanted`]), and each replica with presence there answers with its
//!   states, so a client joining on one replica sees at once who is on the page on the others,
//!   as on one server. Both the question and the answer go out at most once per
//!   [`PRESENCE_EVERY`] per page and replica ([`Throttle`]): joining again and again cannot
//!   make the replicas flood each other.
//! - A shop's storefront changed (publish, unpublish, stock, a release switched): the others
//!   drop its rendered pages and its tenancy entries.
//! - A page's preview links were revoked, or the page was deleted: the others' preview
//!   streams re-check, their room of a deleted page closes.
//!
//! A listener that lost its connection reconnects and then catches every loaded room up from
//! the log, asks the others again for the presence on every page with connections here, and
//! drops every cached page, before it handles anything else.
//!
//! Not covered: a replica that dies without closing its connections (`kill -9`) sends no
//! removals, so its editors' presence stays on the others' clients until those drop it (30 s
//! without renewal). Ending it sooner would take each room remembering which replica every
//! relayed state came from, and a way to learn that a replica died: PostgreSQL tells no one
//! when another session ends, so that means polling `pg_stat_activity` (or heartbeats), with a
//! grace period for a listener that is only reconnecting.

use super::Hub;
use crate::storefront::cache::RenderCache;
use crate::tenancy::TenantCache;
use base64::Engine;
use sea_orm::sea_query::{Func, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr};
use std::collections::HashMap;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};
use yrs::ClientID;
use yrs::sync::awareness::AwarenessUpdateEntry;
use yrs::sync::{AwarenessUpdate, Message};
use yrs::updates::encoder::Encode;

/// The one channel every replica listens on.
pub const CHANNEL: &str = "vitrine_replicas";

/// The largest awareness frame relayed to other replicas (PostgreSQL's payloads stop at
/// 8000 bytes, and the frame travels as base64). A larger one reaches only this replica's
/// connections; the editor's own states are a few hundred bytes.
pub const MAX_RELAYED_PRESENCE: usize = 5_000;

/// A replica asks the others for a page's presence, and answers them for a page, at most
/// once in this time; what comes meanwhile is covered by one more at the window's end.
pub const PRESENCE_EVERY: Duration = Duration::from_millis(250);

/// What one replica tells the others.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A page's draft log has a committed update up to this id.
    Update { page_id: i64, id: i64 },
    /// An awareness frame (y-sync bytes) for a page's connections.
    Presence { page_id: i64, frame: Vec<u8> },
    /// A page's room gained a connection: the others send their presence on it.
    PresenceWanted { page_id: i64 },
    /// A shop's storefront changed: drop its rendered pages.
    ShopChanged { shop_id: i64 },
    /// A page's preview links were revoked.
    PreviewsRevoked { page_id: i64 },
    /// A page was deleted.
    PageGone { page_id: i64 },
}

/// This process's side of the channel.
#[derive(Clone)]
pub struct Replicas {
    db: DatabaseConnection,
    /// Random per process: a replica skips its own notifications.
    id: String,
}

impl Replicas {
    /// Replicas for a PostgreSQL database; none for SQLite.
    pub fn for_db(db: &DatabaseConnection) -> Option<Arc<Self>> {
        (db.get_database_backend() == DbBackend::Postgres).then(|| {
            Arc::new(Self {
                db: db.clone(),
                id: format!("{:016x}", rand::random::<u64>()),
            })
        })
    }

    /// This replica's id, as it appears in its notifications.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The payload of `event` from this replica; `None` when it does not fit a notification.
    pub fn encode(&self, event: &Event) -> Option<String> {
        let body = match event {
            Event::Update { page_id, id } => format!("u:{page_id}:{id}"),
            Event::Presence { page_id, frame } => {
                if frame.len() > MAX_RELAYED_PRESENCE {
                    return None;
                }
                let b64 = base64::engine::general_purpose::STANDARD.encode(frame);
                format!("p:{page_id}:{b64}")
            }
            Event::PresenceWanted { page_id } => format!("q:{page_id}"),
            Event::ShopChanged { shop_id } => format!("c:{shop_id}"),
            Event::PreviewsRevoked { page_id } => format!("r:{page_id}"),
            Event::PageGone { page_id } => format!("g:{page_id}"),
        };
        Some(format!("{}:{body}", self.id))
    }

    /// The replica and event in a payload; `None` for anything malformed.
    pub fn decode(payload: &str) -> Option<(&str, Event)> {
        let mut parts = payload.splitn(4, ':');
        let (from, kind, a) = (parts.next()?, parts.next()?, parts.next()?);
        let rest = parts.next();
        let n: i64 = a.parse().ok()?;
        let event = match (kind, rest) {
            ("u", Some(id)) => Event::Update {
                page_id: n,
                id: id.parse().ok()?,
            },
            ("p", Some(b64)) => Event::Presence {
                page_id: n,
                frame: base64::engine::general_purpose::STANDARD
                    .decode(b64)
                    .ok()
                    .filter(|f| f.len() <= MAX_RELAYED_PRESENCE)?,
            },
            ("q", None) => Event::PresenceWanted { page_id: n },
            ("c", None) => Event::ShopChanged { shop_id: n },
            ("r", None) => Event::PreviewsRevoked { page_id: n },
            ("g", None) => Event::PageGone { page_id: n },
            _ => return None,
        };
        Some((from, event))
    }

    /// Notifies the others through `db` (a transaction: delivered when it commits).
    pub async fn notify_in<C: ConnectionTrait>(&self, db: &C, event: &Event) -> Result<(), DbErr> {
        let Some(payload) = self.encode(event) else {
            return Ok(());
        };
        db.query_one(Query::select().expr(Func::cust("pg_notify").arg(CHANNEL).arg(payload)))
            .await?;
        Ok(())
    }

    /// Notifies the others now; a failure is logged (they catch up from the log).
    pub async fn notify(&self, event: Event) {
        if let Err(e) = self.notify_in(&self.db, &event).await {
            tracing::warn!(error = %e, ?event, "notifying the other replicas failed");
        }
    }

    /// Notifies the others from a synchronous caller, without waiting.
    pub fn notify_soon(self: &Arc<Self>, event: Event) {
        let this = self.clone();
        tokio::spawn(async move { this.notify(event).await });
    }
}

/// Presence states as awareness frames that each fit a notification
/// ([`MAX_RELAYED_PRESENCE`]); a state too large to fit alone is left out, as it is when it
/// changes.
pub(crate) fn presence_frames(states: AwarenessUpdate) -> Vec<Vec<u8>> {
    // An upper bound of what one entry adds to a frame: its client id, clock and length
    // prefix are varints of at most 10, 5 and 5 bytes; a frame's own header is under 8.
    let cost = |entry: &AwarenessUpdateEntry| entry.json.len() + 20;
    let mut entries: Vec<(ClientID, AwarenessUpdateEntry)> = states.clients.into_iter().collect();
    entries.sort_by_key(|(id, _)| id.get());
    let mut frames = Vec::new();
    let mut frame: HashMap<ClientID, AwarenessUpdateEntry> = HashMap::new();
    let mut size = 8;
    let encode = |clients| Message::Awareness(AwarenessUpdate { clients }).encode_v1();
    for (id, entry) in entries {
        if 8 + cost(&entry) > MAX_RELAYED_PRESENCE {
            continue;
        }
        if size + cost(&entry) > MAX_RELAYED_PRESENCE {
            frames.push(encode(std::mem::take(&mut frame)));
            size = 8;
        }
        size += cost(&entry);
        frame.insert(id, entry);
    }
    if !frame.is_empty() {
        frames.push(encode(frame));
    }
    frames
}

/// At most one send per window for one purpose (asking for a page's presence, answering for
/// it): a request within the window of the last send is served by one send at its end, with
/// every other request made meanwhile.
#[derive(Debug, Default)]
pub(crate) struct Throttle {
    last: Option<Instant>,
    scheduled: bool,
}

impl Throttle {
    /// A request at `now`: `Some(ZERO)` to send at once (counted as sent), `Some(wait)` to
    /// send after `wait` (then call [`Throttle::sent`]), `None` when a send already scheduled
    /// covers it.
    pub fn request(&mut self, now: Instant, every: Duration) -> Option<Duration> {
        if self.scheduled {
            return None;
        }
        match self.last {
            Some(last) if now < last + every => {
                self.scheduled = true;
                Some(last + every - now)
            }
            _ => {
                self.last = Some(now);
                Some(Duration::ZERO)
            }
        }
    }

    /// The scheduled send happens at `now`.
    pub fn sent(&mut self, now: Instant) {
        self.scheduled = false;
        self.last = Some(now);
    }
}

/// Starts listening for the other replicas (PostgreSQL only; needs a Tokio runtime). The task
/// holds its targets weakly and ends with the hub's tasks (shutdown, or the hub dropped).
pub fn spawn_listener(hub: &Arc<Hub>, render_cache: &Arc<RenderCache>, tenants: &Arc<TenantCache>) {
    let Some(replicas) = hub.replicas().cloned() else {
        return;
    };
    let targets = Targets {
        hub: Arc::downgrade(hub),
        render_cache: Arc::downgrade(render_cache),
        tenants: Arc::downgrade(tenants),
    };
    let stop = hub.tasks().clone();
    tokio::spawn(async move {
        tokio::select! {
            _ = listen(replicas, targets) => {}
            _ = stop.cancelled() => {}
        }
    });
}

struct Targets {
    hub: Weak<Hub>,
    render_cache: Weak<RenderCache>,
    tenants: Weak<TenantCache>,
}

async fn listen(replicas: Arc<Replicas>, targets: Targets) {
    use sea_orm::sqlx::postgres::PgListener;
    let pool = replicas.db.get_postgres_connection_pool().clone();
    let mut backoff = Duration::from_millis(100);
    loop {
        let mut listener = match PgListener::connect_with(&pool).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "replica listener cannot connect; retrying");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
                continue;
            }
        };
        if let Err(e) = listener.listen(CHANNEL).await {
            tracing::warn!(error = %e, "replica listener cannot LISTEN; retrying");
            tokio::time::sleep(backoff).await;
            continue;
        }
        backoff = Duration::from_millis(100);
        // Anything sent while this replica was not listening (start-up, a lost connection)
        // is read from the log before the next notification is handled.
        if !resync(&targets).await {
            return;
        }
        loop {
            match listener.try_recv().await {
                Ok(Some(n)) => {
                    let Some((from, event)) = Replicas::decode(n.payload()) else {
                        tracing::warn!(payload = n.payload(), "malformed replica notification");
                        continue;
                    };
                    if from == replicas.id() {
                        continue;
                    }
                    if !handle(&targets, event).await {
                        return;
                    }
                }
                Ok(None) => {
                    // The connection dropped (notifications may be lost). A new listener
                    // LISTENs first and then catches up: catching up before listening again
                    // would miss whatever is committed in between.
                    tracing::warn!("replica listener lost its connection; reconnecting");
                    break;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "replica listener failed; reconnecting");
                    tokio::time::sleep(backoff).await;
                    break;
                }
            }
        }
    }
}

/// Catches every loaded room up from the log and drops every cached page; false once the
/// server is gone.
async fn resync(targets: &Targets) -> bool {
    let Some(hub) = targets.hub.upgrade() else {
        return false;
    };
    hub.catch_up_all().await;
    if let Some(cache) = targets.render_cache.upgrade() {
        cache.invalidate_all_local();
    }
    if let Some(tenants) = targets.tenants.upgrade() {
        tenants.clear();
    }
    true
}

/// Applies one event from another replica; false once the server is gone.
async fn handle(targets: &Targets, event: Event) -> bool {
    let Some(hub) = targets.hub.upgrade() else {
        return false;
    };
    match event {
        Event::Update { page_id, id } => hub.remote_update(page_id, id).await,
        Event::Presence { page_id, frame } => hub.remote_presence(page_id, frame).await,
        Event::PresenceWanted { page_id } => hub.presence_wanted(page_id).await,
        Event::ShopChanged { shop_id } => {
            if let Some(cache) = targets.render_cache.upgrade() {
                cache.invalidate_shop_local(shop_id);
            }
            if let Some(tenants) = targets.tenants.upgrade() {
                tenants.invalidate_shop(shop_id);
            }
        }
        Event::PreviewsRevoked { page_id } => hub.previews_revoked_local(page_id),
        Event::PageGone { page_id } => hub.forget_page_local(page_id).await,
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn replicas() -> Replicas {
        Replicas {
            db: DatabaseConnection::default(),
            id: "00000000000000ab".into(),
        }
    }

    #[test]
    fn every_event_round_trips_through_its_payload() {
        let r = replicas();
        for event in [
            Event::Update { page_id: 7, id: 42 },
            Event::Presence {
                page_id: 7,
                frame: vec![1, 2, 3, 0, 255],
            },
            Event::PresenceWanted { page_id: 7 },
            Event::ShopChanged { shop_id: 3 },
            Event::PreviewsRevoked { page_id: 9 },
            Event::PageGone { page_id: 9 },
        ] {
            let payload = r.encode(&event).expect("fits");
            assert!(payload.len() < 8000, "{}", payload.len());
            assert_eq!(Replicas::decode(&payload), Some((r.id(), event)));
        }
    }

    #[test]
    fn presence_over_the_relay_limit_is_not_relayed_and_the_largest_allowed_fits() {
        let r = replicas();
        let at_limit = Event::Presence {
            page_id: i64::MAX,
            frame: vec![0xAB; MAX_RELAYED_PRESENCE],
        };
        let payload = r.encode(&at_limit).expect("the limit itself is relayed");
        // PostgreSQL refuses payloads of 8000 bytes or more.
        assert!(payload.len() < 8000, "{}", payload.len());
        let over = Event::Presence {
            page_id: 1,
            frame: vec![0; MAX_RELAYED_PRESENCE + 1],
        };
        assert_eq!(r.encode(&over), None);
    }

    #[test]
    fn malformed_payloads_are_refused() {
        for bad in [
            "",
            "x",
            "id:u:1",
            "id:u:x:2",
            "id:u:1:y",
            "id:c:1:extra",
            "id:q:1:extra",
            "id:z:1",
            "id:p:1:not base64!",
        ] {
            assert_eq!(Replicas::decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_throttle_sends_at_once_then_once_per_window_covering_everything_meanwhile() {
        let every = Duration::from_millis(250);
        let t0 = Instant::now();
        let mut t = Throttle::default();
        assert_eq!(t.request(t0, every), Some(Duration::ZERO));
        // Within the window: one send at its end, and nothing more until it happened.
        let at = t0 + Duration::from_millis(100);
        assert_eq!(t.request(at, every), Some(Duration::from_millis(150)));
        for ms in [101, 200, 300] {
            assert_eq!(t.request(t0 + Duration::from_millis(ms), every), None);
        }
        t.sent(t0 + Duration::from_millis(250));
        assert_eq!(
            t.request(t0 + Duration::from_millis(260), every),
            Some(Duration::from_millis(240))
        );
        t.sent(t0 + Duration::from_millis(500));
        // A request after a quiet window is sent at once.
        assert_eq!(
            t.request(t0 + Duration::from_millis(900), every),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn presence_is_answered_in_frames_that_each_fit_a_notification() {
        use yrs::encoding::read::Cursor;
        use yrs::sync::MessageReader;
        use yrs::updates::decoder::DecoderV1;
        let state = |n: usize| AwarenessUpdateEntry {
            clock: u32::MAX,
            json: Arc::from(format!(r#"{{"x":"{}"}}"#, "a".repeat(n))),
        };
        // 40 states of about 1 KB, one of 4,990 bytes (too large with its framing) and one
        // just small enough to fit alone.
        let mut clients: HashMap<ClientID, AwarenessUpdateEntry> = (0..40u64)
            .map(|i| (ClientID::new((1 << 53) - 1 - i), state(1000)))
            .collect();
        clients.insert(ClientID::new(1), state(4990 - 8));
        clients.insert(ClientID::new(2), state(MAX_RELAYED_PRESENCE - 28 - 8));
        let frames = presence_frames(AwarenessUpdate { clients });
        let r = replicas();
        let mut seen = Vec::new();
        for frame in &frames {
            assert!(frame.len() <= MAX_RELAYED_PRESENCE, "{}", frame.len());
            let event = Event::Presence {
                page_id: i64::MAX,
                frame: frame.clone(),
            };
            assert!(r.encode(&event).is_some_and(|p| p.len() < 8000));
            let mut decoder = DecoderV1::new(Cursor::new(frame));
            for message in MessageReader::new(&mut decoder) {
                let Message::Awareness(update) = message.unwrap() else {
                    panic!("not presence")
                };
                seen.extend(update.clients.keys().map(|c| c.get()));
            }
        }
        seen.sort();
        assert_eq!(seen.len(), 41);
        assert_eq!(seen[0], 2, "the state that fits alone is sent");
        assert!(!seen.contains(&1), "the one that does not is left out");
        // Packed: the large one alone, then four of the others per frame.
        assert_eq!(frames.len(), 11);
        assert!(
            presence_frames(AwarenessUpdate {
                clients: HashMap::new()
            })
            .is_empty()
        );
    }
}
