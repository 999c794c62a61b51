//! Editors' sessions: login, cookie flags, id cycling, logout, rate limits, Origin checks.

use crate::common;

use crate::common::{TestApp, session_cookie, shop_with_members};
use serde_json::json;
use std::net::IpAddr;
use std::time::{Duration, Instant};

#[tokio::test]
async fn login_sets_a_strict_cookie_cycles_the_id_and_logout_ends_the_session() {
    let app = TestApp::spawn().await;
    shop_with_members(&app, "alpha").await;
    let url = format!("{}/api/v1/session", app.base);

    // A session that exists before login (here: planted by a failed attempt's cookie, or
    // any earlier session) must not survive login under the same id.
    let res = app.client.get(&url).send().await.unwrap();
    assert_eq!(res.status(), 401);

    let res = app
        .client
        .post(&url)
        .json(&json!({"email": "Editor@Alpha.example", "password": "password-123"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let set_cookie: Vec<String> = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    let header = set_cookie
        .iter()
        .find(|c| c.starts_with("vitrine_session="))
        .expect("cookie");
    assert!(header.contains("HttpOnly"), "{header}");
    assert!(header.contains("SameSite=Lax"), "{header}");
    assert!(header.contains("Max-Age="), "inactivity expiry: {header}");
    assert!(
        !header.contains("Secure"),
        "plain http in development: {header}"
    );
    let first = session_cookie(&res).unwrap();
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["user"]["email"], "editor@alpha.example");
    assert_eq!(body["shops"][0]["role"], "editor");

    // Logging in again from that session gives a new id; the old one stops working.
    let res = app
        .client
        .post(&url)
        .header("cookie", &first)
        .json(&json!({"email": "editor@alpha.example", "password": "password-123"}))
        .send()
        .await
        .unwrap();
    let second = session_cookie(&res).unwrap();
    assert_ne!(first, second, "session id cycled at login");
    let res = app
        .client
        .get(&url)
        .header("cookie", &first)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401, "the pre-login id is dead");
    let res = app
        .client
        .get(&url)
        .header("cookie", &second)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    // Logout deletes the session and clears the cookie.
    let res = app
        .client
        .delete(&url)
        .header("cookie", &second)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let cleared = res
        .headers()
        .get("set-cookie")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    let res = app
        .client
        .get(&url)
        .header("cookie", &second)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn secure_cookies_outside_development() {
    let app = TestApp::spawn_with(|c| c.env = server::config::Environment::Prod).await;
    shop_with_members(&app, "alpha").await;
    let res = app
        .client
        .post(format!("{}/api/v1/session", app.base))
        .json(&json!({"email": "editor@alpha.example", "password": "password-123"}))
        .send()
        .await
        .unwrap();
    let header = res
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        header.contains("Secure") && header.contains("HttpOnly"),
        "{header}"
    );
}

#[tokio::test]
async fn wrong_passwords_get_the_same_answer_and_are_rate_limited() {
    let app = TestApp::spawn().await;
    shop_with_members(&app, "alpha").await;
    let url = format!("{}/api/v1/session", app.base);
    let attempt = |email: &'static str, password: &'static str| {
        let client = app.client.clone();
        let url = url.clone();
        async move {
            client
                .post(url)
                .json(&json!({"email": email, "password": password}))
                .send()
                .await
                .unwrap()
        }
    };
    let unknown = attempt("nobody@alpha.example", "password-123").await;
    assert_eq!(unknown.status(), 401);
    let unknown_body: serde_json::Value = unknown.json().await.unwrap();
    let wrong = attempt("editor@alpha.example", "nope-nope").await;
    assert_eq!(wrong.status(), 401);
    let wrong_body: serde_json::Value = wrong.json().await.unwrap();
    assert_eq!(
        unknown_body["error"]["message"], wrong_body["error"]["message"],
        "no account enumeration"
    );
    assert_eq!(wrong_body["error"]["code"], "invalid_credentials");
    assert!(
        !wrong_body["error"]["request_id"]
            .as_str()
            .unwrap()
            .is_empty()
    );
    // Three failures are free; then the email waits 1 s, 2 s, 4 s … after each failure. Keep
    // guessing until the wait is at least 2 s, so the next request surely falls inside it.
    let deadline = Instant::now() + Duration::from_secs(60);
    let wait = loop {
        assert!(Instant::now() < deadline, "the email was never delayed");
        let res = attempt("editor@alpha.example", "nope-nope").await;
        if res.status() == 429 {
            let wait = retry_after(&res);
            if wait >= 2 {
                break wait;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        } else {
            assert_eq!(res.status(), 401);
        }
    };
    assert!(wait <= 60, "a delay, not a lockout: {wait} s");
    // Even the right password waits now.
    let limited = attempt("editor@alpha.example", "password-123").await;
    assert_eq!(limited.status(), 429);
    assert!(retry_after(&limited) <= wait);
    // Another account from the same client still has attempts left.
    assert_eq!(
        attempt("owner@alpha.example", "password-123")
            .await
            .status(),
        200
    );
    // After the wait the right password gets in, and the streak is over.
    tokio::time::sleep(Duration::from_secs(retry_after(&limited))).await;
    assert_eq!(
        attempt("editor@alpha.example", "password-123")
            .await
            .status(),
        200
    );
    assert_eq!(
        attempt("editor@alpha.example", "nope-nope").await.status(),
        401
    );
}

/// The `Retry-After` seconds of a response.
fn retry_after(res: &reqwest::Response) -> u64 {
    res.headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{} without Retry-After", res.status()))
}

/// An HTTP client whose connections come from `ip` (any 127.x.y.z reaches the test server),
/// so tests can play many clients.
fn client_from(ip: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(ip.parse::<IpAddr>().expect("ip"))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// Sends all logins at once and returns the statuses, checking that every refusal says when
/// to retry.
async fn login_burst(app: &TestApp, logins: Vec<(reqwest::Client, String, String)>) -> Vec<u16> {
    let url = format!("{}/api/v1/session", app.base);
    let requests = logins.into_iter().map(|(client, email, password)| {
        let url = url.clone();
        async move {
            let res = client
                .post(url)
                .json(&json!({"email": email, "password": password}))
                .send()
                .await
                .expect("login request");
            let status = res.status().as_u16();
            if matches!(status, 429 | 503) {
                assert!(retry_after(&res) >= 1);
            }
            status
        }
    });
    futures_util::future::join_all(requests).await
}

fn count(statuses: &[u16], status: u16) -> usize {
    statuses.iter().filter(|s| **s == status).count()
}

#[tokio::test]
async fn a_burst_of_concurrent_wrong_logins_gets_no_more_guesses_than_the_limits() {
    let app = TestApp::spawn().await;
    shop_with_members(&app, "alpha").await;
    // One client, 200 different emails at once: at most its 10 failures are checked.
    let one = client_from("127.0.0.1");
    let statuses = login_burst(
        &app,
        (0..200)
            .map(|i| {
                (
                    one.clone(),
                    format!("user{i}@alpha.example"),
                    "nope-nope".into(),
                )
            })
            .collect(),
    )
    .await;
    assert!(count(&statuses, 401) <= 10, "{statuses:?}");
    assert_eq!(
        count(&statuses, 429) + count(&statuses, 503) + count(&statuses, 401),
        200,
        "{statuses:?}"
    );
    // Another client, one email 200 times at once: only the email's 3 free failures.
    let two = client_from("127.0.0.2");
    let statuses = login_burst(
        &app,
        (0..200)
            .map(|_| {
                (
                    two.clone(),
                    "editor@alpha.example".into(),
                    "nope-nope".into(),
                )
            })
            .collect(),
    )
    .await;
    assert!(count(&statuses, 401) <= 3, "{statuses:?}");
    let gate = &app.state.hash_gate;
    assert!(
        gate.peak() <= gate.capacity(),
        "{} checks at once",
        gate.peak()
    );
}

#[tokio::test]
async fn password_checks_in_flight_never_exceed_the_cap_and_the_excess_gets_503_at_once() {
    let app = TestApp::spawn_with(|c| c.login_concurrency = Some(1)).await;
    shop_with_members(&app, "alpha").await;
    // Many clients (so the per-client limit is not what stops them), some of which hang up
    // while their password is being checked.
    let logins = (0..120)
        .map(|i| {
            let ip = format!("127.0.1.{}", 1 + i % 40);
            let client = if i % 3 == 0 {
                reqwest::Client::builder()
                    .local_address(ip.parse::<IpAddr>().unwrap())
                    .timeout(Duration::from_millis(20))
                    .build()
                    .unwrap()
            } else {
                client_from(&ip)
            };
            (client, format!("user{i}@alpha.example"))
        })
        .collect::<Vec<_>>();
    let url = format!("{}/api/v1/session", app.base);
    let statuses = futures_util::future::join_all(logins.into_iter().map(|(client, email)| {
        let url = url.clone();
        async move {
            client
                .post(url)
                .json(&json!({"email": email, "password": "nope-nope"}))
                .send()
                .await
                .map(|r| r.status().as_u16())
                .ok()
        }
    }))
    .await;
    assert!(
        statuses
            .iter()
            .flatten()
            .all(|s| matches!(s, 401 | 429 | 503)),
        "{statuses:?}"
    );
    let gate = &app.state.hash_gate;
    let deadline = Instant::now() + Duration::from_secs(60);
    while gate.in_flight() > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(gate.peak(), 1, "one check at a time");

    // While the only permit is taken, logins beyond the short queue are refused at once and
    // the queued ones after a bounded wait: nobody waits behind hundreds of hashes.
    let held = gate.enter().await.expect("the free permit");
    let started = Instant::now();
    let statuses = login_burst(
        &app,
        (0..40)
            .map(|i| {
                let client = client_from(&format!("127.0.2.{}", 1 + i));
                (client, "owner@alpha.example".into(), "password-123".into())
            })
            .collect(),
    )
    .await;
    assert_eq!(count(&statuses, 503), 40, "{statuses:?}");
    assert!(started.elapsed() < Duration::from_secs(30));
    drop(held);
    common::login(&app, "owner@alpha.example", "password-123").await;
}

#[tokio::test]
async fn oversized_logins_are_refused_before_any_password_check() {
    let app = TestApp::spawn().await;
    shop_with_members(&app, "alpha").await;
    let url = format!("{}/api/v1/session", app.base);
    let post = |body: serde_json::Value| app.client.post(&url).json(&body).send();
    let long_email = format!("{}@alpha.example", "e".repeat(300));
    let res = post(json!({"email": long_email, "password": "password-123"}))
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "bad_request");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("email"),
        "{body}"
    );
    let res = post(json!({"email": "editor@alpha.example", "password": "p".repeat(1025)}))
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("password"),
        "{body}"
    );
    for size in [17 * 1024, 3 * 1024 * 1024] {
        let res = post(json!({
            "email": "editor@alpha.example",
            "password": "password-123",
            "padding": "x".repeat(size),
        }))
        .await
        .unwrap();
        assert_eq!(res.status(), 413, "a {size}-byte body");
    }
    assert_eq!(app.state.hash_gate.peak(), 0, "no password was checked");
    // Refusals of the shape are not failed attempts.
    common::login(&app, "editor@alpha.example", "password-123").await;
}

#[tokio::test]
async fn a_distributed_attacker_cannot_keep_the_owner_out() {
    let app = TestApp::spawn().await;
    shop_with_members(&app, "alpha").await;
    // The owner logs in from their usual address.
    common::login(&app, "owner@alpha.example", "password-123").await;
    // Forty addresses guess the owner's password.
    let statuses = login_burst(
        &app,
        (0..40)
            .map(|i| {
                let client = client_from(&format!("127.0.3.{}", 1 + i));
                (client, "owner@alpha.example".into(), "guess-guess".into())
            })
            .collect(),
    )
    .await;
    assert!(count(&statuses, 401) <= 3, "{statuses:?}");
    // From a new address the owner waits at most a minute (not 15).
    let res = client_from("127.0.3.200")
        .post(format!("{}/api/v1/session", app.base))
        .json(&json!({"email": "owner@alpha.example", "password": "password-123"}))
        .send()
        .await
        .unwrap();
    if res.status() == 429 {
        assert!(retry_after(&res) <= 60, "{}", retry_after(&res));
    } else {
        assert_eq!(res.status(), 200);
    }
    // From their usual address they are not held up at all.
    common::login(&app, "owner@alpha.example", "password-123").await;
}

#[tokio::test]
async fn foreign_origins_cannot_drive_a_session() {
    let app = TestApp::spawn().await;
    shop_with_members(&app, "alpha").await;
    let cookie = common::login(&app, "editor@alpha.example", "password-123").await;
    let host = app.base.trim_start_matches("http://").to_string();
    let create = |origin: Option<String>, slug: &'static str| {
        let mut req = app
            .client
            .post(format!("{}/api/v1/shops/alpha/pages", app.base))
            .header("cookie", &cookie)
            .json(&json!({"title": "New", "slug": slug, "page_type": "page"}));
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        req.send()
    };
    let res = create(Some("https://evil.example".into()), "evil")
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = create(Some(format!("http://{host}")), "fine")
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let res = create(None, "fine-too").await.unwrap();
    assert_eq!(res.status(), 201, "non-browser clients send no Origin");
    let res = create(None, "fine").await.unwrap();
    assert_eq!(res.status(), 409, "slug taken");
}

#[tokio::test]
async fn the_user_create_command_and_roles() {
    let app = TestApp::spawn().await;
    let (_, page) = shop_with_members(&app, "alpha").await;
    let viewer = common::login(&app, "viewer@alpha.example", "password-123").await;
    let res = app
        .client
        .post(format!("{}/api/v1/pages/{page}/publish", app.base))
        .header("cookie", &viewer)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403, "viewers do not publish");
    let res = app
        .client
        .get(format!("{}/api/v1/pages/{page}/draft", app.base))
        .header("cookie", &viewer)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "viewers read drafts");
    let err = server::auth::upsert_user_with_role(
        &app.db,
        "x@alpha.example",
        "short",
        "",
        1,
        server::auth::Role::Editor,
    )
    .await;
    assert!(err.is_err(), "passwords have at least 8 characters");
}

#[tokio::test]
async fn admin_pages_need_a_session() {
    let app = TestApp::spawn().await;
    shop_with_members(&app, "alpha").await;
    let get = |path: &'static str, cookie: Option<String>| {
        let mut req = app.client.get(format!("{}{path}", app.base));
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        req.send()
    };
    let location = |res: &reqwest::Response| {
        res.headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_string())
    };

    // Logged out: the admin sends you to log in, remembering where you were going.
    let res = get("/admin", None).await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        location(&res).as_deref(),
        Some("/admin/login?next=%2Fadmin")
    );
    let res = get("/admin", Some("vitrine_session=forged".into()))
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "an unknown session id is no session");
    // The login page itself is open (it is not redirected to itself).
    let res = get("/admin/login", None).await.unwrap();
    assert_ne!(res.status(), 303);
    // Neither the JSON API nor static files are redirected.
    let res = get("/api/v1/session", None).await.unwrap();
    assert_eq!(res.status(), 401);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let res = get("/pkg/vitrine.css", None).await.unwrap();
    assert_ne!(res.status(), 303);

    // Logged in: the admin is served, and the login page sends you on to it.
    let cookie = common::login(&app, "editor@alpha.example", "password-123").await;
    let res = get("/admin", Some(cookie.clone())).await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("<html"));
    // The login page belongs to the admin UI; once it is one of the Leptos routes, the gate
    // covers it like every other admin page (the redirect rules are unit-tested in auth).
    let routes = leptos_axum::generate_route_list(app::App);
    if routes.iter().any(|r| r.path() == "/admin/login") {
        let res = get("/admin/login", Some(cookie.clone())).await.unwrap();
        assert_eq!(res.status(), 303);
        assert_eq!(location(&res).as_deref(), Some("/admin"));
    }

    // Logged out again: back to the login page.
    let res = app
        .client
        .delete(format!("{}/api/v1/session", app.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let res = get("/admin", Some(cookie)).await.unwrap();
    assert_eq!(res.status(), 303);
}

#[tokio::test]
async fn resetting_a_password_ends_the_users_sessions() {
    let app = TestApp::spawn().await;
    let (shop, _) = shop_with_members(&app, "alpha").await;
    let me = format!("{}/api/v1/session", app.base);
    let status = |cookie: String| {
        let req = app.client.get(&me).header("cookie", cookie);
        async move { req.send().await.unwrap().status().as_u16() }
    };
    let laptop = common::login(&app, "editor@alpha.example", "password-123").await;
    let phone = common::login(&app, "editor@alpha.example", "password-123").await;
    let owner = common::login(&app, "owner@alpha.example", "password-123").await;
    assert_eq!(status(laptop.clone()).await, 200);

    server::auth::upsert_user_with_role(
        &app.db,
        "editor@alpha.example",
        "new-password-456",
        "",
        shop,
        server::auth::Role::Editor,
    )
    .await
    .expect("reset");
    assert_eq!(status(laptop).await, 401, "the old cookie is dead");
    assert_eq!(status(phone).await, 401);
    assert_eq!(
        status(owner.clone()).await,
        200,
        "other users stay logged in"
    );

    // The same through `vitrine user create`, run against the server's database.
    let cookie = common::login(&app, "editor@alpha.example", "new-password-456").await;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_vitrine"))
        .env("DATABASE_URL", &app.state.config.database_url)
        .env("RUST_LOG", "warn")
        .args(["user", "create", "--email", "editor@alpha.example"])
        .args(["--password", "third-password-789", "--shop", "alpha"])
        .output()
        .expect("run vitrine user create");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(status(cookie).await, 401);
    assert_eq!(status(owner).await, 200);
    common::login(&app, "editor@alpha.example", "third-password-789").await;
}

#[tokio::test]
async fn a_request_in_flight_does_not_bring_an_ended_session_back() {
    use tower_sessions::SessionStore;
    use tower_sessions::session::{Id, Record};
    let app = TestApp::spawn().await;
    let store = server::auth::session_store::DbSessionStore::new(app.db.clone());
    let mut record = Record {
        id: Id::default(),
        data: [("user_id".to_string(), json!(1))].into_iter().collect(),
        expiry_date: time::OffsetDateTime::now_utc() + time::Duration::hours(1),
    };
    store.create(&mut record).await.unwrap();
    assert!(store.load(&record.id).await.unwrap().is_some());
    // A request loaded the session; meanwhile it is ended (logout, password reset) …
    store.delete(&record.id).await.unwrap();
    // … and the request saves the session on its way out, as every request does.
    store.save(&record).await.unwrap();
    assert!(
        store.load(&record.id).await.unwrap().is_none(),
        "an ended session stays ended"
    );
}

#[tokio::test]
async fn the_running_server_sweeps_expired_sessions() {
    use entity::session;
    use sea_orm::{ActiveModelTrait, EntityTrait, Set};
    let app = TestApp::spawn().await;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    for (id, expires_at) in [("expired", now - 60), ("live", now + 3600)] {
        session::ActiveModel {
            id: Set(id.into()),
            data: Set("{}".into()),
            expires_at: Set(expires_at),
            user_id: Set(None),
        }
        .insert(&app.db)
        .await
        .unwrap();
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_vitrine"))
        .env("DATABASE_URL", &app.state.config.database_url)
        // Its generated preview key goes in this test's directory (on PostgreSQL there is
        // no database file to put it next to).
        .env("VITRINE_DATA_DIR", app.test_db.data_dir())
        .env("VITRINE_ADDR", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        .arg("serve")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start vitrine");
    let _server = KillOnDrop(child);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let expired = session::Entity::find_by_id("expired").one(&app.db).await;
        if expired.is_ok_and(|row| row.is_none()) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the expired session is still there"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        session::Entity::find_by_id("live")
            .one(&app.db)
            .await
            .unwrap()
            .is_some()
    );
}

/// A child process killed when the test ends, however it ends.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
