//! The real `vitrine` binary on a loopback port, for tests that kill or restart it.

use crate::common::TestDb;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct Server {
    pub child: Child,
    pub base: String,
}

impl Server {
    /// SIGKILL, no chance to flush anything.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The `vitrine` binary on `db` (a SQLite file or a PostgreSQL database, see `TestDb`).
pub fn vitrine(db: &TestDb, port: u16) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vitrine"));
    // Files the server keeps (its generated preview key) go in this test's directory: every
    // process of one test shares them, as replicas share their preview keys.
    cmd.env("DATABASE_URL", &db.url)
        .env("VITRINE_DATA_DIR", db.data_dir())
        .env("VITRINE_ADDR", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

pub async fn start(db: &TestDb, port: u16) -> Server {
    let child = vitrine(db, port)
        .arg("serve")
        .spawn()
        .expect("start vitrine");
    let base = format!("http://127.0.0.1:{port}");
    let mut server = Server { child, base };
    for _ in 0..200 {
        if reqwest::get(format!("{}/healthz", server.base))
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            return server;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.kill();
    panic!("vitrine did not start");
}

/// Logs in as the sample seed's editor at `login_base` and finds the sample's About page
/// through `pages_base` (the same server, or another replica): the session cookie and the
/// page's id.
pub async fn sample_editor_and_about_page(login_base: &str, pages_base: &str) -> (String, i64) {
    let client = reqwest::Client::new();
    let login = client
        .post(format!("{login_base}/api/v1/session"))
        .json(&serde_json::json!({"email": "editor@harborandpine.example", "password": "vitrine-demo"}))
        .send()
        .await
        .unwrap();
    let cookie = crate::common::session_cookie(&login).unwrap();
    let pages: serde_json::Value = client
        .get(format!("{pages_base}/api/v1/shops/demo/pages"))
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
    (cookie, page)
}
