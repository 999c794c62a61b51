//! Fuzzing the collaboration protocol: random and mutated y-sync frames and Yjs updates go
//! to one `Connection` of the real hub (in process, real SQLite) while two well-behaved
//! editors share the room.
//!
//! Frames are random bytes, or real messages (updates from a real yrs document, state
//! vectors, presence, queries) with bits flipped, cut short, a varint (a length prefix, a
//! client id, a clock) replaced by a huge one, bytes inserted or removed; deeply nested
//! arrays; many messages in one frame. Properties, for every case:
//! - no panic escapes `receive` (an `Err(Close)` for the sender is fine);
//! - the two editors are never closed, and afterwards still converge through the room;
//! - memory stays bounded: the replies to one frame stay within a few copies of the
//!   document, and the room's document grows by no more than what was sent;
//! - once everyone has left, the room unloads (no connection is leaked).
//!
//! Reproducible: a fixed seed and case count (`PROPTEST_CASES`, default 300;
//! `FUZZ_SYNC_SEED` picks another seed), no regression files.

use crate::common::TestApp;
use futures_util::FutureExt;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use server::collab::{Connection, Hub, Limits, Room};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;
use yrs::encoding::read::Cursor;
use yrs::sync::awareness::AwarenessUpdateEntry;
use yrs::sync::{AwarenessUpdate, Message, MessageReader, SyncMessage};
use yrs::updates::decoder::{Decode, DecoderV1};
use yrs::updates::encoder::Encode;
use yrs::{
    Array, ArrayPrelim, ClientID, Doc, GetString, ReadTxn, StateVector, Text, Transact, Update,
};

/// Largest frame the generator builds (repeats are cut to fit).
const MAX_FRAME: usize = 64 * 1024;
/// Replies to one frame may hold this much beyond a few copies of the document.
const REPLY_SLACK: usize = 64 * 1024;
/// The root the well-behaved editors type into (the fuzzer's corpus never names it).
const CHECK_ROOT: &str = "fuzz-check";

fn sync(m: SyncMessage) -> Vec<u8> {
    Message::Sync(m).encode_v1()
}

/// A document with Vitrine's draft options and a fixed client id.
fn draft_doc(client: u64) -> Doc {
    Doc::with_options(yrs::Options {
        client_id: ClientID::new(client),
        skip_gc: true,
        offset_kind: yrs::OffsetKind::Utf16,
        ..yrs::Options::default()
    })
}

/// Real messages: updates captured while editing a draft the way the admin does, a
/// concurrent peer's updates, whole-state updates, state vectors, presence, queries.
fn corpus() -> Vec<Vec<u8>> {
    use app::blocks::BlockType;
    use app::draft::edit;
    let doc = draft_doc(4242);
    let updates = Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = updates.clone();
    doc.observe_update_v1("corpus", move |_, e| {
        sink.lock().expect("sink").push(e.update.clone())
    })
    .expect("observe");
    let (page, root) = edit::roots(&doc);
    let step = |f: &dyn Fn(&mut yrs::TransactionMut)| f(&mut doc.transact_mut());
    step(&|txn| edit::set_page_field(txn, &page, app::draft::PageField::Title, "Fuzzed"));
    step(&|txn| {
        edit::insert_node(
            txn,
            &root,
            0,
            &edit::new_block(BlockType::RichText, "r1".into()),
        )
    });
    step(&|txn| {
        edit::insert_node(
            txn,
            &root,
            1,
            &edit::new_block(BlockType::Hero, "h1".into()),
        )
    });
    step(&|txn| {
        let mut columns = edit::new_block(BlockType::Columns, "c1".into());
        columns.children = vec![edit::new_block(BlockType::RichText, "r2".into())];
        edit::insert_node(txn, &root, 2, &columns)
    });
    for word in ["Hello", " wide", " world", "é🙂"] {
        step(&|txn| {
            if let Some(text) = edit::text_prop(txn, &root, "r1", "body") {
                let at = text.len(txn);
                edit::splice_text(txn, &text, at, 0, word);
            }
        });
    }
    step(&|txn| {
        if let Some(text) = edit::text_prop(txn, &root, "r1", "body") {
            edit::format_text(txn, &text, 0, 5, "bold", yrs::Any::Bool(true));
            edit::splice_text(txn, &text, 2, 3, "");
        }
    });
    step(&|txn| {
        edit::set_prop(txn, &root, "h1", "cta_url", &serde_json::json!("/about"));
    });
    step(&|txn| {
        edit::delete_block(txn, &root, "h1");
    });
    // A second peer editing concurrently from the same starting point.
    let other = draft_doc(777);
    let first = Update::decode_v1(&updates.lock().expect("updates")[0]).expect("update");
    other.transact_mut().apply_update(first).expect("apply");
    let before = other.transact().state_vector();
    {
        let (_, other_root) = edit::roots(&other);
        let mut txn = other.transact_mut();
        edit::insert_node(
            &mut txn,
            &other_root,
            0,
            &edit::new_block(BlockType::Spacer, "s1".into()),
        );
    }
    let concurrent = other.transact().encode_state_as_update_v1(&before);
    doc.unobserve_update_v1("corpus").expect("unobserve");

    let full = doc
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    let sv = doc.transact().state_vector();
    let mut out = Vec::new();
    for u in updates.lock().expect("updates").iter() {
        out.push(sync(SyncMessage::Update(u.clone())));
        out.push(sync(SyncMessage::SyncStep2(u.clone())));
    }
    out.push(sync(SyncMessage::Update(concurrent)));
    out.push(sync(SyncMessage::Update(full.clone())));
    out.push(sync(SyncMessage::SyncStep2(full)));
    out.push(sync(SyncMessage::SyncStep1(StateVector::default())));
    out.push(sync(SyncMessage::SyncStep1(sv)));
    out.push(Message::AwarenessQuery.encode_v1());
    out.push(Message::Auth(Some("denied".into())).encode_v1());
    out.push(Message::Custom(9, vec![1, 2, 3]).encode_v1());
    out.push(awareness(
        123,
        1,
        r##"{"user":{"name":"Fuzz","color":"#f00"}}"##,
    ));
    out.push(awareness(123, 2, "null"));
    out
}

fn awareness(client: u64, clock: u32, json: &str) -> Vec<u8> {
    Message::Awareness(AwarenessUpdate {
        clients: [(
            ClientID::new(client),
            AwarenessUpdateEntry {
                clock,
                json: json.into(),
            },
        )]
        .into(),
    })
    .encode_v1()
}

/// Appends `v` as a y-sync (lib0) varint.
fn write_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8 & 0x7f) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// An update that nests `depth` arrays inside the draft's blocks, made by a real document.
fn deep_update(depth: usize) -> Vec<u8> {
    let doc = app::draft::new_doc();
    let blocks = doc.get_or_insert_array(app::draft::BLOCKS_ROOT);
    {
        let mut txn = doc.transact_mut();
        let mut array = blocks.push_back(&mut txn, ArrayPrelim::default());
        for _ in 1..depth {
            array = array.push_back(&mut txn, ArrayPrelim::default());
        }
    }
    let update = doc
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    sync(SyncMessage::Update(update))
}

#[derive(Clone, Debug)]
enum Piece {
    /// A real message from the corpus.
    Real(usize),
    Random(Vec<u8>),
    /// A message tag and sub-tag followed by varints far beyond any real length or id.
    HugeVarints(u8, u8, usize),
    /// A state vector with arbitrary clients and clocks.
    StateVector(Vec<(u64, u32)>),
    /// Presence with a state of `len` bytes.
    Presence(u64, u32, usize),
    /// Arrays nested this deep.
    Deep(usize),
}

#[derive(Clone, Debug)]
enum Mutation {
    FlipBits(Vec<(usize, u8)>),
    Truncate(usize),
    /// The varint at this offset replaced by this value (a length prefix, an id, a clock).
    Varint(usize, u64),
    Insert(usize, Vec<u8>),
    Remove(usize, usize),
}

#[derive(Clone, Debug)]
struct FrameSpec {
    /// Pieces, each repeated (many messages in one frame).
    pieces: Vec<(Piece, usize)>,
    mutations: Vec<Mutation>,
}

#[derive(Clone, Debug)]
struct Case {
    can_edit: bool,
    frames: Vec<FrameSpec>,
}

fn piece(corpus_len: usize) -> impl Strategy<Value = Piece> {
    prop_oneof![
        6 => (0..corpus_len).prop_map(Piece::Real),
        3 => prop::collection::vec(any::<u8>(), 0..256).prop_map(Piece::Random),
        1 => (0u8..4, 0u8..4, 1usize..6).prop_map(|(t, s, n)| Piece::HugeVarints(t, s, n)),
        1 => prop::collection::vec((any::<u64>(), any::<u32>()), 0..8).prop_map(Piece::StateVector),
        1 => (0u64..(1 << 53), any::<u32>(), prop_oneof![0usize..64, 1024usize..32 * 1024])
            .prop_map(|(c, k, n)| Piece::Presence(c, k, n)),
        1 => prop_oneof![1usize..64, 500usize..2000].prop_map(Piece::Deep),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        prop::collection::vec((any::<usize>(), 0u8..8), 1..6).prop_map(Mutation::FlipBits),
        any::<usize>().prop_map(Mutation::Truncate),
        (
            any::<usize>(),
            prop_oneof![any::<u64>(), 1u64 << 20..1u64 << 40]
        )
            .prop_map(|(at, v)| Mutation::Varint(at, v)),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(at, b)| Mutation::Insert(at, b)),
        (any::<usize>(), 1usize..16).prop_map(|(at, n)| Mutation::Remove(at, n)),
    ]
}

fn frame(corpus_len: usize) -> impl Strategy<Value = FrameSpec> {
    let repeat = prop_oneof![8 => Just(1usize), 1 => 2usize..16, 1 => 100usize..2000];
    (
        prop::collection::vec((piece(corpus_len), repeat), 1..4),
        prop_oneof![
            1 => Just(Vec::new()),
            1 => prop::collection::vec(mutation(), 1..4),
        ],
    )
        .prop_map(|(pieces, mutations)| FrameSpec { pieces, mutations })
}

fn case(corpus_len: usize) -> impl Strategy<Value = Case> {
    (
        prop_oneof![4 => Just(true), 1 => Just(false)],
        prop::collection::vec(frame(corpus_len), 1..8),
    )
        .prop_map(|(can_edit, frames)| Case { can_edit, frames })
}

fn encode_piece(p: &Piece, corpus: &[Vec<u8>]) -> Vec<u8> {
    match p {
        Piece::Real(i) => corpus[*i].clone(),
        Piece::Random(bytes) => bytes.clone(),
        Piece::HugeVarints(tag, sub, n) => {
            let mut out = vec![*tag, *sub];
            for i in 0..*n {
                write_varint(&mut out, u64::MAX - i as u64);
            }
            out
        }
        Piece::StateVector(entries) => {
            // Written by hand: ids beyond 53 bits cannot be built through yrs's own types.
            let mut body = Vec::new();
            write_varint(&mut body, entries.len() as u64);
            for (client, clock) in entries {
                write_varint(&mut body, *client);
                write_varint(&mut body, u64::from(*clock));
            }
            let mut out = vec![0, 0];
            write_varint(&mut out, body.len() as u64);
            out.extend(body);
            out
        }
        Piece::Presence(client, clock, len) => {
            let json = format!(r#"{{"user":{{"name":"{}"}}}}"#, "x".repeat(*len));
            awareness(*client, *clock, &json)
        }
        Piece::Deep(depth) => deep_update(*depth),
    }
}

/// The bytes of a frame: its pieces (repeated, cut to [`MAX_FRAME`]), then its mutations.
fn build(spec: &FrameSpec, corpus: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for (p, repeat) in &spec.pieces {
        let bytes = encode_piece(p, corpus);
        let fit = (MAX_FRAME.saturating_sub(out.len()) / bytes.len().max(1)).max(1);
        for _ in 0..(*repeat).min(fit) {
            out.extend_from_slice(&bytes);
        }
    }
    for m in &spec.mutations {
        let len = out.len();
        match m {
            Mutation::FlipBits(flips) if len > 0 => {
                for (at, bit) in flips {
                    out[at % len] ^= 1 << bit;
                }
            }
            Mutation::Truncate(at) => out.truncate(at % (len + 1)),
            Mutation::Varint(at, value) if len > 0 => {
                let start = at % len;
                let mut end = start;
                while end < len && out[end] & 0x80 != 0 {
                    end += 1;
                }
                let mut v = Vec::new();
                write_varint(&mut v, *value);
                out.splice(start..(end + 1).min(len), v);
            }
            Mutation::Insert(at, bytes) => {
                let at = at % (len + 1);
                out.splice(at..at, bytes.iter().copied());
            }
            Mutation::Remove(at, n) if len > 0 => {
                let at = at % len;
                out.drain(at..(at + n).min(len));
            }
            _ => {}
        }
    }
    out
}

/// A well-behaved editor: a yrs document kept in sync through its own connection.
struct Editor {
    name: &'static str,
    doc: Doc,
    conn: Connection,
}

impl Editor {
    async fn join(hub: &Arc<Hub>, room: &Arc<Room>, name: &'static str) -> Self {
        let conn = hub.connect(room.clone(), true);
        let mut editor = Self {
            name,
            doc: app::draft::new_doc(),
            conn,
        };
        for frame in editor.conn.greeting().await {
            editor.apply(&frame).await.expect("greeting");
        }
        let sv = editor.doc.transact().state_vector();
        let replies = editor
            .conn
            .receive(&sync(SyncMessage::SyncStep1(sv)))
            .await
            .expect("sync step 1");
        for r in replies {
            editor.apply(&r).await.expect("sync step 2");
        }
        let presence = awareness(
            editor.doc.client_id().get(),
            1,
            &format!(r#"{{"user":{{"name":"{name}"}}}}"#),
        );
        editor.conn.receive(&presence).await.expect("presence");
        editor
    }

    /// Handles one frame from the room as a Yjs client does.
    async fn apply(&mut self, frame: &[u8]) -> Result<(), String> {
        let mut decoder = DecoderV1::new(Cursor::new(frame));
        let messages: Vec<Message> = MessageReader::new(&mut decoder)
            .collect::<Result<_, _>>()
            .map_err(|e| format!("{}: the room sent a frame it cannot read: {e}", self.name))?;
        for m in messages {
            match m {
                Message::Sync(SyncMessage::SyncStep1(sv)) => {
                    let update = self.doc.transact().encode_state_as_update_v1(&sv);
                    self.conn
                        .receive(&sync(SyncMessage::SyncStep2(update)))
                        .await
                        .map_err(|c| format!("{}: closed answering a sync: {c:?}", self.name))?;
                }
                Message::Sync(SyncMessage::SyncStep2(u) | SyncMessage::Update(u)) => {
                    let update = Update::decode_v1(&u).map_err(|e| {
                        format!(
                            "{}: the room forwarded an update it cannot decode: {e}",
                            self.name
                        )
                    })?;
                    let doc = &self.doc;
                    std::panic::catch_unwind(AssertUnwindSafe(|| {
                        doc.transact_mut_with("remote").apply_update(update)
                    }))
                    .map_err(|_| {
                        format!(
                            "{}: applying an update the room forwarded panicked",
                            self.name
                        )
                    })?
                    .map_err(|e| {
                        format!("{}: a forwarded update does not apply: {e}", self.name)
                    })?;
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Applies everything the room has sent; any close of this connection is a failure.
    async fn drain(&mut self) -> Result<(), String> {
        while let Some(next) = self.conn.try_next_broadcast() {
            let frame =
                next.map_err(|c| format!("{}, a bystander, was closed: {c:?}", self.name))?;
            self.apply(&frame).await?;
        }
        Ok(())
    }

    /// Types `word` at the end of the check text and sends the update.
    async fn type_word(&mut self, word: &str) -> Result<(), String> {
        let text = self.doc.get_or_insert_text(CHECK_ROOT);
        let before = self.doc.transact().state_vector();
        {
            let mut txn = self.doc.transact_mut();
            let at = text.len(&txn);
            text.insert(&mut txn, at, word);
        }
        let update = self.doc.transact().encode_state_as_update_v1(&before);
        self.conn
            .receive(&sync(SyncMessage::Update(update)))
            .await
            .map(|_| ())
            .map_err(|c| format!("{}: a well-formed edit was refused: {c:?}", self.name))
    }

    fn check_text(&self) -> String {
        let text = self.doc.get_or_insert_text(CHECK_ROOT);
        text.get_string(&self.doc.transact())
    }
}

/// The room's document as a new client receives it: (state vector, encoded state length).
async fn room_state(hub: &Arc<Hub>, room: &Arc<Room>) -> (StateVector, usize) {
    let mut conn = hub.connect(room.clone(), false);
    let mut found = None;
    for frame in conn.greeting().await {
        let mut decoder = DecoderV1::new(Cursor::new(&frame));
        for m in MessageReader::new(&mut decoder).flatten() {
            if let Message::Sync(SyncMessage::SyncStep1(sv)) = m {
                found = Some(sv);
            }
        }
    }
    let replies = conn
        .receive(&sync(SyncMessage::SyncStep1(StateVector::default())))
        .await
        .expect("a fresh reader's sync");
    let size = replies.iter().map(Vec::len).sum();
    drop(conn);
    (found.expect("the greeting holds a state vector"), size)
}

struct Fixture {
    app: TestApp,
    hub: Arc<Hub>,
    shop_id: i64,
    corpus: Vec<Vec<u8>>,
    /// How frames were answered ("answered", or the close code), to show what was reached.
    outcomes: std::sync::Mutex<std::collections::BTreeMap<String, usize>>,
}

impl Fixture {
    fn count(&self, outcome: String) {
        *self
            .outcomes
            .lock()
            .expect("outcomes")
            .entry(outcome)
            .or_default() += 1;
    }
}

/// Runs one case in a room of its own; `Err` says which property broke.
async fn run_case(f: &Fixture, n: u64, case: &Case) -> Result<(), String> {
    let page_id = f
        .app
        .create_page(f.shop_id, &format!("fuzz-{n}"), "Fuzz", "page")
        .await;
    let page = server::pages::find(&f.app.db, page_id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("page")?;
    let room = f.hub.room(&page).await.map_err(|e| e.to_string())?;
    let mut b = Editor::join(&f.hub, &room, "editor B").await;
    let mut c = Editor::join(&f.hub, &room, "editor C").await;
    let (_, initial) = room_state(&f.hub, &room).await;

    let mut sender = Some(f.hub.connect(room.clone(), case.can_edit));
    let mut fed = 0usize;
    for (i, spec) in case.frames.iter().enumerate() {
        // A closed client reconnects, as a browser tab does.
        let conn = sender.get_or_insert_with(|| f.hub.connect(room.clone(), case.can_edit));
        let bytes = build(spec, &f.corpus);
        fed += bytes.len();
        let (_, size) = room_state(&f.hub, &room).await;
        let outcome = AssertUnwindSafe(conn.receive(&bytes)).catch_unwind().await;
        match outcome {
            Err(panic) => {
                let why = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                return Err(format!(
                    "frame {i} ({} bytes): a panic escaped receive: {why}",
                    bytes.len()
                ));
            }
            Ok(Ok(replies)) => {
                f.count("answered".into());
                let reply_bytes: usize = replies.iter().map(Vec::len).sum();
                let bound = 4 * size + REPLY_SLACK;
                if reply_bytes > bound {
                    return Err(format!(
                        "frame {i} ({} bytes) drew {} replies of {reply_bytes} bytes in all \
                         (document {size} bytes; bound {bound})",
                        bytes.len(),
                        replies.len()
                    ));
                }
            }
            Ok(Err(close)) => {
                f.count(format!("closed {}", close.code()));
                // Only the sender is closed; the driver lets it leave.
                drop(sender.take());
            }
        }
        b.drain().await?;
        c.drain().await?;
    }
    drop(sender.take());

    // The bystanders still edit together, through the room.
    b.drain().await?;
    c.drain().await?;
    b.type_word(&format!("b{n} ")).await?;
    c.drain().await?;
    c.type_word(&format!("c{n} ")).await?;
    b.drain().await?;
    c.drain().await?;
    let (sv, size) = room_state(&f.hub, &room).await;
    let (tb, tc) = (b.check_text(), c.check_text());
    if tb != tc || !tb.contains(&format!("b{n} ")) || !tb.contains(&format!("c{n} ")) {
        return Err(format!(
            "the bystanders diverged: B has {tb:?}, C has {tc:?}"
        ));
    }
    let (svb, svc) = (
        b.doc.transact().state_vector(),
        c.doc.transact().state_vector(),
    );
    if svb != sv || svc != sv {
        return Err(format!(
            "state vectors differ: room {sv:?}, B {svb:?}, C {svc:?}"
        ));
    }
    let bound = initial + 2 * fed + REPLY_SLACK;
    if size > bound {
        return Err(format!(
            "the room's document grew to {size} bytes from {initial} after {fed} bytes were sent"
        ));
    }

    drop(b.conn);
    drop(c.conn);
    drop(room);
    f.hub.sweep().await;
    let left = f.hub.room_count().await;
    if left != 0 {
        return Err(format!(
            "{left} room(s) still loaded after everyone left (a connection was not released)"
        ));
    }
    Ok(())
}

#[test]
fn random_and_mutated_frames_never_crash_the_hub_or_close_bystanders() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let fixture = rt.block_on(async {
        let app = TestApp::spawn().await;
        let shop_id = app.create_shop("fuzz", "Fuzz").await;
        let hub = Hub::new(
            app.db.clone(),
            Limits {
                // Rate limits are not what is fuzzed here.
                messages_per_second: 1e9,
                message_burst: 1e9,
                // Unload rooms as soon as they are idle, to see none is kept.
                idle_unload: Duration::ZERO,
                ..Limits::default()
            },
        );
        Fixture {
            app,
            hub,
            shop_id,
            corpus: corpus(),
            outcomes: Default::default(),
        }
    });
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300);
    let rng = match std::env::var("FUZZ_SYNC_SEED") {
        Ok(seed) => {
            let mut bytes = [0u8; 32];
            for (i, b) in seed.bytes().take(32).enumerate() {
                bytes[i] = b;
            }
            TestRng::from_seed(RngAlgorithm::ChaCha, &bytes)
        }
        Err(_) => TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    };
    let config = Config {
        cases,
        failure_persistence: None,
        // Shrinking reruns whole cases; keep a failure's report prompt.
        max_shrink_iters: 200,
        ..Config::default()
    };
    let mut runner = TestRunner::new_with_rng(config, rng);
    let counter = std::sync::atomic::AtomicU64::new(0);
    let result = runner.run(&case(fixture.corpus.len()), |case| {
        let n = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        rt.block_on(run_case(&fixture, n, &case))
            .map_err(TestCaseError::fail)
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    eprintln!(
        "fuzz_sync: {cases} cases, frames by outcome: {:?}",
        fixture.outcomes.lock().expect("outcomes")
    );
}
