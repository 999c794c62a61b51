//! Durability: the real `vitrine` binary is killed with SIGKILL right after one client has
//! received another's latest edit; after a restart every such edit is there. Stopped with
//! SIGTERM, it closes its collaborators' sockets and compacts their room first.

use crate::common;

use crate::binary::{Server, free_port, sample_editor_and_about_page, start, vitrine};
use crate::yclient::YClient;
use std::time::Duration;
use yrs::updates::decoder::Decode;
use yrs::{Any, Array, MapPrelim, Transact};

/// The seeded sample on the real binary, an editor's session cookie and the About page.
struct Sample {
    db: common::TestDb,
    port: u16,
    server: Server,
    cookie: String,
    page: i64,
}

impl Sample {
    async fn start() -> Self {
        let db = common::TestDb::fresh().await;
        let status = vitrine(&db, 0).args(["seed", "--sample"]).status().unwrap();
        assert!(status.success());
        let port = free_port();
        let server = start(&db, port).await;
        let (cookie, page) = sample_editor_and_about_page(&server.base, &server.base).await;
        Self {
            db,
            port,
            server,
            cookie,
            page,
        }
    }

    async fn join(&self) -> YClient {
        YClient::join(
            common::ws_connect_to(&self.server.base, self.page, Some(&self.cookie))
                .await
                .unwrap(),
        )
        .await
    }
}

#[tokio::test]
async fn edits_seen_by_another_client_survive_sigkill() {
    let mut sample = Sample::start().await;
    let port = sample.port;
    let mut seen_by_b: Vec<String> = Vec::new();
    for round in 0..3 {
        let mut a = sample.join().await;
        let mut b = sample.join().await;
        let last = format!("r{round}-e19");
        for e in 0..20 {
            let blocks = a.doc.get_or_insert_array("blocks");
            {
                let mut txn = a.doc.transact_mut();
                blocks.push_back(
                    &mut txn,
                    MapPrelim::from([
                        ("id", Any::from(format!("r{round}-e{e}"))),
                        ("type", Any::from("divider")),
                    ]),
                );
            }
            a.flush().await;
        }
        // Kill the moment B has A's latest edit.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while !b.block_ids().contains(&last) {
            assert!(
                tokio::time::Instant::now() < deadline,
                "B never saw A's edit"
            );
            b.pump(Duration::from_millis(2)).await;
        }
        sample.server.kill();
        seen_by_b = b.block_ids();
        sample.server = start(&sample.db, port).await;
        let c = sample.join().await;
        let after = c.block_ids();
        for id in &seen_by_b {
            assert!(
                after.contains(id),
                "round {round}: {id} was seen by B but lost in the crash"
            );
        }
    }
    assert!(seen_by_b.len() >= 60);
    sample.server.kill();
}

#[tokio::test]
async fn sigterm_closes_collaborators_and_compacts_their_room() {
    let mut sample = Sample::start().await;
    let mut a = sample.join().await;
    let mut b = sample.join().await;
    for e in 0..5 {
        a.push_block(&format!("term-{e}"), "divider", &[]);
        a.flush().await;
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !b.block_ids().contains(&"term-4".to_string()) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "B never saw A's edit"
        );
        b.pump(Duration::from_millis(2)).await;
    }
    let pid = sample.server.child.id().to_string();
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(sent.success());
    assert_eq!(
        a.close_code(Duration::from_secs(10)).await,
        Some(1001),
        "collaborators are told the server is going away"
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = sample.server.child.try_wait().unwrap() {
            break status;
        }
        assert!(std::time::Instant::now() < deadline, "vitrine did not stop");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "{status}");
    // The room was compacted on the way out: its log is folded into the snapshot.
    let db = server::db::connect_and_migrate(&sample.db.url)
        .await
        .unwrap();
    let store = server::collab::store::DraftStore::new(db);
    assert_eq!(store.log_len(sample.page).await.unwrap(), 0);
    let stored = store.load(sample.page).await.unwrap();
    assert_eq!(stored.updates.len(), 1, "the snapshot alone");
    let doc = yrs::Doc::new();
    doc.transact_mut()
        .apply_update(yrs::Update::decode_v1(&stored.updates[0]).unwrap())
        .unwrap();
    let blocks = doc.get_or_insert_array("blocks");
    let kept = blocks.len(&doc.transact());
    assert!(kept >= 5, "the edits are in the snapshot ({kept} blocks)");
}
