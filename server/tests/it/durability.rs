//! Durability: the real `vitrine` binary is killed with SIGKILL right after one client has
//! received another's latest edit; after a restart every such edit is there.

use crate::common;

use crate::binary::{free_port, start, vitrine};
use crate::yclient::YClient;
use std::time::Duration;
use yrs::{Any, Array, Map, MapPrelim, Out, Transact};

fn ids(client: &YClient) -> Vec<String> {
    let blocks = client.doc.get_or_insert_array("blocks");
    let txn = client.doc.transact();
    blocks
        .iter(&txn)
        .filter_map(|b| match b {
            Out::YMap(m) => m.get(&txn, "id").map(|v| v.to_string(&txn)),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn edits_seen_by_another_client_survive_sigkill() {
    let db_path = std::env::temp_dir().join(format!("vitrine-kill-{}.db", uuid::Uuid::new_v4()));
    let db_url = format!("sqlite://{}?mode=rwc", db_path.display());
    let status = vitrine(&db_url, 0)
        .args(["seed", "--sample"])
        .status()
        .unwrap();
    assert!(status.success());
    let port = free_port();
    let mut server = start(&db_url, port).await;
    let client = reqwest::Client::new();
    let login = client
        .post(format!("{}/api/v1/session", server.base))
        .json(&serde_json::json!({"email": "editor@harborandpine.example", "password": "vitrine-demo"}))
        .send()
        .await
        .unwrap();
    let cookie = common::session_cookie(&login).unwrap();
    let pages: serde_json::Value = client
        .get(format!("{}/api/v1/shops/demo/pages", server.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let page = pages["pages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["slug"] == "about")
        .unwrap()["id"]
        .as_i64()
        .unwrap();

    let mut seen_by_b: Vec<String> = Vec::new();
    for round in 0..3 {
        let mut a = YClient::join(
            common::ws_connect_to(&server.base, page, Some(&cookie))
                .await
                .unwrap(),
        )
        .await;
        let mut b = YClient::join(
            common::ws_connect_to(&server.base, page, Some(&cookie))
                .await
                .unwrap(),
        )
        .await;
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
        while !ids(&b).contains(&last) {
            assert!(
                tokio::time::Instant::now() < deadline,
                "B never saw A's edit"
            );
            b.pump(Duration::from_millis(2)).await;
        }
        server.kill();
        seen_by_b = ids(&b);
        server = start(&db_url, port).await;
        let c = YClient::join(
            common::ws_connect_to(&server.base, page, Some(&cookie))
                .await
                .unwrap(),
        )
        .await;
        let after = ids(&c);
        for id in &seen_by_b {
            assert!(
                after.contains(id),
                "round {round}: {id} was seen by B but lost in the crash"
            );
        }
    }
    assert!(seen_by_b.len() >= 60);
    drop(server);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db_path.display()));
    }
    let _ = std::fs::remove_dir_all(format!("{}.data", db_path.display()));
}
