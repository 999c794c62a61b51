//! The shop lifecycle over real HTTP and a real SQLite file: a shop created from a
//! configuration by a background job, a failure part-way repaired by Retry, launches gated
//! by the smoke suite (which runs against the real server and the payment stub), rollback
//! byte for byte, and the real binary killed in the middle of a launch.

use crate::common::payments::PaymentsApp;
use crate::common::{self, TestApp};
use app::lifecycle::{
    ConfigDraftView, Health, JobKind, JobState, JobView, OperatorView, ReleaseState, ShopLifecycle,
    ShopStatus,
};
use app::shop_config::{Environment, Link, ShopConfig};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use std::time::Duration;

const PASSWORD: &str = "password-123";

/// A configuration ready for dev and stage.
fn config(handle: &str, name: &str) -> ShopConfig {
    let mut c = ShopConfig::starter(name);
    c.basics.handle = handle.into();
    c.basics.tagline = "Small things, well made".into();
    c.theme.primary = "#123456".into();
    c.domains.dev = vec![format!("{handle}.localhost")];
    c.domains.stage = vec![format!("{handle}-stage.localhost")];
    c.navigation.footer = vec![Link {
        label: "About us".into(),
        href: "/pages/about".into(),
    }];
    c
}

/// A user without shops, logged in.
async fn new_owner(app: &TestApp, email: &str) -> String {
    server::auth::upsert_user(&app.db, email, PASSWORD, "New Owner")
        .await
        .expect("user");
    common::login(app, email, PASSWORD).await
}

async fn api(
    app: &TestApp,
    cookie: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("an HTTP method");
    common::api(app, method, path, cookie, body).await
}

/// Polls a job until it finishes.
async fn wait_job(app: &TestApp, cookie: &str, id: i64) -> JobView {
    for _ in 0..1200 {
        let (status, body) = api(app, cookie, "GET", &format!("/jobs/{id}"), None).await;
        assert_eq!(status, 200, "{body}");
        let job: JobView = serde_json::from_value(body).expect("job view");
        if job.state == JobState::Succeeded || job.state == JobState::Failed {
            return job;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("job {id} did not finish within a minute");
}

async fn get_job(client: &reqwest::Client, url: &str, cookie: &str) -> JobView {
    let res = client
        .get(url)
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    res.json().await.expect("a job")
}

fn start_worker(app: &TestApp) {
    server::lifecycle::jobs::spawn_worker(app.state.clone(), app.base.clone());
}

async fn create(app: &TestApp, cookie: &str, c: &ShopConfig) -> JobView {
    let (status, body) = api(app, cookie, "POST", "/shops", Some(json!(c))).await;
    assert_eq!(status, 202, "{body}");
    let job: JobView = serde_json::from_value(body).expect("job");
    assert_eq!(job.kind, JobKind::CreateShop);
    wait_job(app, cookie, job.id).await
}

async fn lifecycle(app: &TestApp, cookie: &str, handle: &str) -> ShopLifecycle {
    let (status, body) = api(
        app,
        cookie,
        "GET",
        &format!("/shops/{handle}/lifecycle"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_value(body).expect("lifecycle")
}

fn env_of(life: &ShopLifecycle, env: Environment) -> &app::lifecycle::HealthView {
    life.environments
        .iter()
        .find(|e| e.environment == env)
        .expect("every environment is listed")
}

async fn launch(app: &TestApp, cookie: &str, handle: &str) -> JobView {
    let (status, body) = api(
        app,
        cookie,
        "POST",
        &format!("/shops/{handle}/launches"),
        Some(json!({"environment": "stage"})),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    let job: JobView = serde_json::from_value(body).expect("job");
    wait_job(app, cookie, job.id).await
}

#[tokio::test]
async fn the_configurator_draft_is_kept_on_the_server_with_its_checks() {
    let app = TestApp::spawn().await;
    let cookie = new_owner(&app, "draft@owner.example").await;
    let (status, body) = api(&app, &cookie, "GET", "/configurator/draft", None).await;
    assert_eq!(status, 200);
    let fresh: ConfigDraftView = serde_json::from_value(body).unwrap();
    assert_eq!(fresh.updated_at, None);
    assert!(
        !fresh.checks[0].ready,
        "an empty draft is not ready for dev"
    );

    let c = config("fern", "Fern & Flint");
    let (status, body) = api(&app, &cookie, "PUT", "/configurator/draft", Some(json!(c))).await;
    assert_eq!(status, 200, "{body}");
    let saved: ConfigDraftView = serde_json::from_value(body).unwrap();
    assert!(saved.updated_at.is_some());
    let ready: Vec<(Environment, bool)> = saved
        .checks
        .iter()
        .map(|e| (e.environment, e.ready))
        .collect();
    assert_eq!(
        ready,
        [
            (Environment::Dev, true),
            (Environment::Stage, true),
            (Environment::Prod, false)
        ]
    );
    // Closing the tab loses nothing: a new request reads it back.
    let (_, body) = api(&app, &cookie, "GET", "/configurator/draft", None).await;
    let again: ConfigDraftView = serde_json::from_value(body).unwrap();
    assert_eq!(again.config, c);
    // Another user has their own draft.
    let other = new_owner(&app, "other@owner.example").await;
    let (_, body) = api(&app, &other, "GET", "/configurator/draft", None).await;
    assert_eq!(
        serde_json::from_value::<ConfigDraftView>(body)
            .unwrap()
            .updated_at,
        None
    );
    // Bad drafts are refused with a clear error and the saved one is kept.
    let (status, body) = api(
        &app,
        &cookie,
        "PUT",
        "/configurator/draft",
        Some(json!({"basics": {"nmae": "x"}})),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("unknown field"),
        "{body}"
    );
    let huge = json!({"basics": {"name": "x".repeat(70 * 1024)}});
    let (status, _) = api(&app, &cookie, "PUT", "/configurator/draft", Some(huge)).await;
    assert_eq!(status, 413);
    let (_, body) = api(&app, &cookie, "GET", "/configurator/draft", None).await;
    assert_eq!(
        serde_json::from_value::<ConfigDraftView>(body)
            .unwrap()
            .config,
        c
    );
    // Without a session: 401.
    let res = app
        .client
        .get(format!("{}/api/v1/configurator/draft", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn a_shop_created_from_a_configuration_is_live_in_dev_and_the_same_configuration_again_changes_nothing()
 {
    let app = TestApp::spawn().await;
    start_worker(&app);
    let cookie = new_owner(&app, "owner@fern.example").await;
    let c = config("fern", "Fern & Flint");
    let job = create(&app, &cookie, &c).await;
    assert_eq!(job.state, JobState::Succeeded, "{job:?}");
    assert!(
        job.steps
            .iter()
            .all(|s| s.state == app::lifecycle::StepState::Done)
    );
    assert!(
        job.events
            .iter()
            .all(|e| e.operation_id == job.operation_id)
    );
    assert!(
        job.events
            .iter()
            .any(|e| e.step == "publish" && e.message.contains("home")),
        "{:?}",
        job.events
    );

    // The dev host shows the shop, its theme and its footer link.
    let (status, html) = app.get("fern.localhost", "/").await;
    assert_eq!(status, 200);
    assert!(html.contains("Fern &amp; Flint"), "{html}");
    assert!(html.contains("--vt-primary:#123456"));
    assert!(html.contains(r#"href="/pages/about""#) && html.contains("About us"));
    for path in [
        "/products",
        "/products/sample-product",
        "/pages/about",
        "/cart",
        "/checkout",
    ] {
        assert_eq!(app.get("fern.localhost", path).await.0, 200, "{path}");
    }
    // Stage was never launched: its host serves nothing yet.
    let (status, html) = app.get("fern-stage.localhost", "/").await;
    assert_eq!(status, 404);
    assert!(html.contains("not open yet"));
    // The creator owns it.
    let life = lifecycle(&app, &cookie, "fern").await;
    assert_eq!(life.status, ShopStatus::Active);
    assert!(life.can_launch);

    // The same configuration again: nothing to do, no job.
    let (status, body) = api(&app, &cookie, "POST", "/shops", Some(json!(c))).await;
    assert_eq!(
        (status, body["unchanged"].as_str()),
        (200, Some("fern")),
        "{body}"
    );
    // A changed one is reconciled (dev/stage).
    let mut changed = c.clone();
    changed.basics.tagline = "Now with more flint".into();
    let job = create(&app, &cookie, &changed).await;
    assert_eq!(job.state, JobState::Succeeded, "{job:?}");
    assert!(
        app.get("fern.localhost", "/")
            .await
            .1
            .contains("Now with more flint")
    );
    // The handle is someone else's for another user.
    let stranger = new_owner(&app, "stranger@else.example").await;
    let (status, body) = api(&app, &stranger, "POST", "/shops", Some(json!(changed))).await;
    assert_eq!(status, 409, "{body}");
    // And their view of the shop's jobs and lifecycle: as if it did not exist.
    assert_eq!(
        api(&app, &stranger, "GET", &format!("/jobs/{}", job.id), None)
            .await
            .0,
        404
    );
    assert_eq!(
        api(&app, &stranger, "GET", "/shops/fern/lifecycle", None)
            .await
            .0,
        404
    );
    // An invalid configuration: 422 with the issues per field.
    let mut bad = config("bad-shop", "Bad");
    bad.basics.currency = "euro".into();
    let (status, body) = api(&app, &stranger, "POST", "/shops", Some(json!(bad))).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["issues"][0]["field"], "basics.currency");
}

#[tokio::test]
async fn a_failure_after_the_database_writes_leaves_the_shop_needing_repair_and_retry_completes_it()
{
    let app = TestApp::spawn().await;
    start_worker(&app);
    let cookie = new_owner(&app, "owner@repair.example").await;
    app.state
        .jobs
        .inject_failure_after(JobKind::CreateShop, "pages");
    let job = create(&app, &cookie, &config("repair", "Repair Me")).await;
    assert_eq!(job.state, JobState::Failed, "{job:?}");
    assert_eq!(job.failed_step.as_deref(), Some("pages"), "{job:?}");
    assert!(job.error.as_deref().unwrap().contains("injected"));
    // The pages exist, nothing is published, and the shop says it needs repair.
    let life = lifecycle(&app, &cookie, "repair").await;
    assert_eq!(life.status, ShopStatus::NeedsRepair);
    assert_eq!(life.repair_job, Some(job.id));
    assert_eq!(app.get("repair.localhost", "/").await.0, 404);
    // A later job of the shop that succeeded (a smoke run, say) does not hide the repair.
    {
        use sea_orm::{ActiveModelTrait, Set};
        let failed = entity::job::Entity::find_by_id(job.id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        entity::job::ActiveModel {
            kind: Set("smoke".into()),
            state: Set(JobState::Succeeded.as_str().into()),
            shop_handle: Set(failed.shop_handle.clone()),
            shop_id: Set(failed.shop_id),
            environment: Set(Some("dev".into())),
            payload: Set("{}".into()),
            steps: Set("[]".into()),
            attempts: Set(1),
            operation_id: Set("op-later".into()),
            created_at: Set(chrono::Utc::now()),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
    }
    assert_eq!(
        lifecycle(&app, &cookie, "repair").await.repair_job,
        Some(job.id)
    );

    let (status, body) = api(
        &app,
        &cookie,
        "POST",
        &format!("/jobs/{}/retry", job.id),
        None,
    )
    .await;
    assert_eq!(status, 202, "{body}");
    let done = wait_job(&app, &cookie, job.id).await;
    assert_eq!(done.state, JobState::Succeeded, "{done:?}");
    // It resumed at the failed step: the steps before it ran once.
    let started = |step: &str| {
        done.events
            .iter()
            .filter(|e| e.step == step && e.message == "started")
            .count()
    };
    assert_eq!(
        (started("shop"), started("pages"), started("publish")),
        (1, 2, 1)
    );
    assert!(
        done.events
            .iter()
            .any(|e| e.message.contains("retry requested"))
    );
    assert_eq!(
        lifecycle(&app, &cookie, "repair").await.status,
        ShopStatus::Active
    );
    assert_eq!(app.get("repair.localhost", "/").await.0, 200);
    // Retrying a finished job: 409.
    assert_eq!(
        api(
            &app,
            &cookie,
            "POST",
            &format!("/jobs/{}/retry", job.id),
            None
        )
        .await
        .0,
        409
    );
}

#[tokio::test]
async fn a_launch_is_gated_by_the_smoke_suite_and_rollback_restores_the_earlier_release_byte_for_byte()
 {
    let app = PaymentsApp::spawn().await;
    start_worker(&app);
    let cookie = new_owner(&app, "owner@gate.example").await;
    assert_eq!(
        create(&app, &cookie, &config("gate", "Gate Keepers"))
            .await
            .state,
        JobState::Succeeded
    );

    // Release 1.
    let launches = |status: &'static str| {
        let scrape = crate::metrics::now();
        let labels = [("env", "stage"), ("status", status)];
        crate::metrics::value(&scrape, "vitrine_launch_total", &labels)
    };
    let (succeeded, failed) = (launches("succeeded"), launches("failed"));
    let job = launch(&app, &cookie, "gate").await;
    assert_eq!(job.state, JobState::Succeeded, "{job:?}");
    let (status, first) = app.get("gate-stage.localhost", "/").await;
    assert_eq!(status, 200);
    assert!(first.contains("Gate Keepers"));
    let life = lifecycle(&app, &cookie, "gate").await;
    let stage = env_of(&life, Environment::Stage);
    assert_eq!(
        (stage.health, stage.live_release),
        (Health::Healthy, Some(1)),
        "{stage:?}"
    );
    let r1 = &life.releases[0];
    assert!(r1.live && r1.state == ReleaseState::Launched);
    assert!(
        r1.smoke_summary.as_deref().unwrap().contains("0 failed"),
        "{r1:?}"
    );
    // The shop is configured without online payments: checkout, the payment and the rental
    // do not apply to it, which leaves it healthy (not "skipped checks").
    assert!(
        r1.smoke_summary
            .as_deref()
            .unwrap()
            .ends_with("0 skipped, 3 not applicable"),
        "{r1:?}"
    );

    // A publish reaches dev at once, stage only with the next launch.
    let home = entity::page::Entity::find()
        .filter(entity::page::Column::PageType.eq("home"))
        .filter(entity::page::Column::ShopId.eq(life.id))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    app.publish(
        life.id,
        home.id,
        json!([common::hero("h", "Second season")]),
    )
    .await;
    assert!(
        app.get("gate.localhost", "/")
            .await
            .1
            .contains("Second season")
    );
    assert_eq!(app.get("gate-stage.localhost", "/").await.1, first);
    assert_eq!(
        launch(&app, &cookie, "gate").await.state,
        JobState::Succeeded
    );
    let (_, second) = app.get("gate-stage.localhost", "/").await;
    assert!(launches("succeeded") >= succeeded + 2.0);
    let failed_before = failed;
    assert!(second.contains("Second season"));

    // Release 3 would serve a product page without its product (an editor dropped the
    // block): its smoke suite fails and it never goes live.
    let product_page = entity::page::Entity::find()
        .filter(entity::page::Column::PageType.eq("product_detail"))
        .filter(entity::page::Column::ShopId.eq(life.id))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    app.publish(
        life.id,
        product_page.id,
        json!([{"id": "oops", "type": "rich_text", "props": {"heading": "Details soon", "body": "Nothing to buy here."}}]),
    )
    .await;
    let failed = launch(&app, &cookie, "gate").await;
    assert_eq!(failed.state, JobState::Failed);
    assert_eq!(failed.failed_step.as_deref(), Some("smoke"));
    assert!(launches("failed") >= failed_before + 1.0);
    assert!(
        failed.error.as_deref().unwrap().contains("product page"),
        "{failed:?}"
    );
    assert_eq!(
        app.get("gate-stage.localhost", "/").await.1,
        second,
        "release 2 still serves"
    );
    let life = lifecycle(&app, &cookie, "gate").await;
    let r3 = life.releases.iter().find(|r| r.number == 3).unwrap();
    assert_eq!(r3.state, ReleaseState::Failed);
    assert!(r3.smoke_output.as_deref().unwrap().contains("product page"));
    // The candidate's own host shows what failed.
    let (status, candidate) = app.get(&r3.preview_host, "/products/sample-product").await;
    assert_eq!(status, 200);
    assert!(candidate.contains("Nothing to buy here") && !candidate.contains("variant_id"));
    let stage = env_of(&life, Environment::Stage);
    assert_eq!(
        (stage.health, stage.live_release),
        (Health::Broken, Some(2)),
        "{stage:?}"
    );

    // Roll back to release 1: byte for byte what it served.
    let (status, body) = api(
        &app,
        &cookie,
        "POST",
        "/shops/gate/rollbacks",
        Some(json!({"environment": "stage", "release": 1})),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    let rollback: JobView = serde_json::from_value(body).unwrap();
    let rollback = wait_job(&app, &cookie, rollback.id).await;
    assert_eq!(rollback.state, JobState::Succeeded, "{rollback:?}");
    assert_eq!(app.get("gate-stage.localhost", "/").await.1, first);
    let life = lifecycle(&app, &cookie, "gate").await;
    let stage = env_of(&life, Environment::Stage);
    assert_eq!(
        (stage.health, stage.live_release),
        (Health::Healthy, Some(1)),
        "{stage:?}"
    );
    // A failed release cannot be made live.
    let (status, _) = api(
        &app,
        &cookie,
        "POST",
        "/shops/gate/rollbacks",
        Some(json!({"environment": "stage", "release": 3})),
    )
    .await;
    assert_eq!(status, 409);
}

#[tokio::test]
async fn launches_need_an_owner_a_ready_configuration_and_one_job_at_a_time() {
    let app = TestApp::spawn().await;
    let (shop_id, _) = common::shop_with_members(&app, "legacy").await;
    let owner = common::login(&app, "owner@legacy.example", PASSWORD).await;
    let editor = common::login(&app, "editor@legacy.example", PASSWORD).await;
    // An editor may look but not launch.
    assert_eq!(
        api(&app, &editor, "GET", "/shops/legacy/lifecycle", None)
            .await
            .0,
        200
    );
    let body = Some(json!({"environment": "stage"}));
    assert_eq!(
        api(
            &app,
            &editor,
            "POST",
            "/shops/legacy/launches",
            body.clone()
        )
        .await
        .0,
        403
    );
    // A shop from before the configurator has no stage host: not ready, and says why.
    let (status, res) = api(&app, &owner, "POST", "/shops/legacy/launches", body.clone()).await;
    assert_eq!(status, 422, "{res}");
    let fields: Vec<&str> = res["issues"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["field"].as_str())
        .collect();
    assert!(fields.contains(&"domains.stage"), "{res}");
    // Dev is never launched; unknown environments are refused.
    let (status, _) = api(
        &app,
        &owner,
        "POST",
        "/shops/legacy/launches",
        Some(json!({"environment": "dev"})),
    )
    .await;
    assert_eq!(status, 409);
    let (status, _) = api(
        &app,
        &owner,
        "POST",
        "/shops/legacy/launches",
        Some(json!({"environment": "qa"})),
    )
    .await;
    assert_eq!(status, 422);
    // Not an operator: no overview.
    assert_eq!(
        api(&app, &owner, "GET", "/operator/shops", None).await.0,
        403
    );
    let _ = shop_id;
}

#[tokio::test]
async fn one_user_cannot_flood_the_job_queue() {
    // No worker: jobs stay queued.
    let app = TestApp::spawn().await;
    let cookie = new_owner(&app, "flood@jobs.example").await;
    for i in 0..server::lifecycle::jobs::MAX_QUEUED_PER_USER {
        let (status, body) = api(
            &app,
            &cookie,
            "POST",
            "/shops",
            Some(json!(config(&format!("flood-{i}"), "Flood"))),
        )
        .await;
        assert_eq!(status, 202, "{body}");
    }
    let (status, body) = api(
        &app,
        &cookie,
        "POST",
        "/shops",
        Some(json!(config("flood-x", "Flood"))),
    )
    .await;
    assert_eq!(status, 429, "{body}");
    // The same handle twice while its job waits: 409.
    let other = new_owner(&app, "other@jobs.example").await;
    let (status, _) = api(
        &app,
        &other,
        "POST",
        "/shops",
        Some(json!(config("flood-0", "Flood"))),
    )
    .await;
    assert_eq!(status, 409);
}

#[tokio::test]
async fn the_operator_sees_every_shop_worst_first() {
    let app = PaymentsApp::spawn().await;
    start_worker(&app);
    // The sample seed's login is an operator.
    let operator = common::login(
        &app,
        server::seed::SAMPLE_EDITOR_EMAIL,
        server::seed::SAMPLE_EDITOR_PASSWORD,
    )
    .await;
    let owner = new_owner(&app, "owner@ops.example").await;
    app.state
        .jobs
        .inject_failure_after(JobKind::CreateShop, "catalogue");
    assert_eq!(
        create(&app, &owner, &config("ops", "Ops Shop")).await.state,
        JobState::Failed
    );
    let (status, body) = api(&app, &operator, "GET", "/operator/shops", None).await;
    assert_eq!(status, 200, "{body}");
    let view: OperatorView = serde_json::from_value(body).unwrap();
    let handles: Vec<&str> = view.shops.iter().map(|s| s.handle.as_str()).collect();
    assert_eq!(handles, ["ops", "demo"], "the broken shop first");
    assert_eq!(view.shops[0].status, ShopStatus::NeedsRepair);
    assert!(view.shops[0].repair_job.is_some());
    // The operator may retry it.
    let job = view.shops[0].repair_job.unwrap();
    assert_eq!(
        api(&app, &operator, "POST", &format!("/jobs/{job}/retry"), None)
            .await
            .0,
        202
    );
    assert_eq!(
        wait_job(&app, &operator, job).await.state,
        JobState::Succeeded
    );
    // A smoke run of the sample shop's dev host makes its dev badge healthy.
    let (status, body) = api(
        &app,
        &operator,
        "POST",
        "/shops/demo/smoke",
        Some(json!({"environment": "dev"})),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    let smoke: JobView = serde_json::from_value(body).unwrap();
    let smoke = wait_job(&app, &operator, smoke.id).await;
    assert_eq!(smoke.state, JobState::Succeeded, "{smoke:?}");
    let life = lifecycle(&app, &operator, "demo").await;
    let dev = env_of(&life, Environment::Dev);
    assert_eq!(dev.health, Health::Healthy, "{dev:?}");
}

#[tokio::test]
async fn the_cli_creates_a_shop_once_and_exports_its_configuration() {
    use crate::binary::vitrine;
    let db = crate::common::TestDb::fresh().await;
    let file = db.file("shop.json");
    std::fs::write(
        &file,
        config("cli-shop", "Command Line Co").to_pretty_json(),
    )
    .unwrap();
    let run = |args: &[&str]| {
        let out = vitrine(&db, 0)
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).to_string()
                + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let path = file.to_str().unwrap();
    let (ok, out) = run(&["shop", "create", "--config", path]);
    assert!(ok, "{out}");
    assert!(out.contains("succeeded"), "{out}");
    let (ok, out) = run(&["shop", "create", "--config", path]);
    assert!(ok, "{out}");
    assert!(out.contains("nothing to do"), "{out}");
    let (ok, exported) = run(&["shop", "export", "cli-shop"]);
    assert!(ok, "{exported}");
    assert_eq!(
        ShopConfig::from_json(&exported).unwrap(),
        config("cli-shop", "Command Line Co")
    );
    // A broken file: a clear error, nothing created.
    std::fs::write(&file, r#"{"basics":{"name":"X","handle":"x y"}}"#).unwrap();
    let (ok, out) = run(&["shop", "create", "--config", path]);
    assert!(!ok);
    assert!(out.contains("basics.handle"), "{out}");
}

#[tokio::test]
async fn a_launch_interrupted_by_sigkill_is_picked_up_again_after_a_restart() {
    use crate::binary::{free_port, start, vitrine};
    let db = crate::common::TestDb::fresh().await;
    assert!(
        vitrine(&db, 0)
            .args(["seed", "--sample"])
            .status()
            .unwrap()
            .success()
    );
    let file = db.file("shop.json");
    std::fs::write(&file, config("killme", "Kill Me").to_pretty_json()).unwrap();
    assert!(
        vitrine(&db, 0)
            .args(["shop", "create", "--config", file.to_str().unwrap()])
            .status()
            .unwrap()
            .success()
    );
    // An owner, whose session the launch's smoke suite uses to record the rental's return.
    assert!(
        vitrine(&db, 0)
            .args([
                "user",
                "create",
                "--email",
                "owner@killme.example",
                "--password",
                PASSWORD
            ])
            .args(["--shop", "killme", "--role", "owner"])
            .status()
            .unwrap()
            .success()
    );
    let port = free_port();
    let mut server = start(&db, port).await;
    let client = reqwest::Client::new();
    let login = client
        .post(format!("{}/api/v1/session", server.base))
        .json(&json!({"email": server::seed::SAMPLE_EDITOR_EMAIL, "password": server::seed::SAMPLE_EDITOR_PASSWORD}))
        .send()
        .await
        .unwrap();
    let cookie = common::session_cookie(&login).unwrap();
    let job: JobView = client
        .post(format!("{}/api/v1/shops/killme/launches", server.base))
        .header("cookie", &cookie)
        .json(&json!({"environment": "stage"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // Kill it while the smoke suite runs.
    let job_url = format!("{}/api/v1/jobs/{}", server.base, job.id);
    let mut killed = false;
    for _ in 0..400 {
        let view: JobView = get_job(&client, &job_url, &cookie).await;
        if view
            .steps
            .iter()
            .any(|s| s.name == "smoke" && s.state == app::lifecycle::StepState::Running)
        {
            server.kill();
            killed = true;
            break;
        }
        assert!(
            !view.state.is_finished(),
            "finished before it could be killed: {view:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(killed, "the smoke step never ran");
    let server = start(&db, port).await;
    let job_url = format!("{}/api/v1/jobs/{}", server.base, job.id);
    let mut last = None;
    for _ in 0..600 {
        let view: JobView = get_job(&client, &job_url, &cookie).await;
        if view.state.is_finished() {
            last = Some(view);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let view = last.expect("the job finished after the restart");
    assert_eq!(view.state, JobState::Succeeded, "{view:?}");
    assert!(
        view.events
            .iter()
            .any(|e| e.message.contains("picked up again")),
        "{:?}",
        view.events
    );
    let res = client
        .get(format!("{}/", server.base))
        .header("host", "killme-stage.localhost")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("Kill Me"));
}

#[tokio::test]
async fn on_a_production_server_a_changed_configuration_needs_an_explicit_update() {
    let app = TestApp::spawn_with(|c| c.env = Environment::Prod).await;
    start_worker(&app);
    let cookie = new_owner(&app, "owner@prod.example").await;
    let c = config("prod-shop", "Prod Shop");
    assert_eq!(create(&app, &cookie, &c).await.state, JobState::Succeeded);
    let mut changed = c.clone();
    changed.basics.name = "Prod Shop, renamed".into();
    let (status, body) = api(&app, &cookie, "POST", "/shops", Some(json!(changed))).await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("explicit update"),
        "{body}"
    );
    // Nothing changed.
    assert!(
        app.get("prod-shop.localhost", "/")
            .await
            .1
            .contains("Prod Shop")
    );
    let (status, body) = api(
        &app,
        &cookie,
        "POST",
        "/shops?update=true",
        Some(json!(changed)),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    let job: JobView = serde_json::from_value(body).unwrap();
    assert_eq!(
        wait_job(&app, &cookie, job.id).await.state,
        JobState::Succeeded
    );
    assert!(
        app.get("prod-shop.localhost", "/")
            .await
            .1
            .contains("Prod Shop, renamed")
    );
}

#[tokio::test]
async fn the_platform_job_queue_and_shops_per_account_are_bounded() {
    use sea_orm::Set;
    // No worker: jobs stay queued.
    let app = TestApp::spawn().await;
    let cookie = new_owner(&app, "many@shops.example").await;
    // An account that owns the most shops it may create gets 403.
    let user = entity::user::Entity::find()
        .filter(entity::user::Column::Email.eq("many@shops.example"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    for i in 0..server::lifecycle::create::MAX_SHOPS_PER_USER {
        let shop = app.create_shop(&format!("owned-{i}"), "Owned").await;
        server::auth::set_role(&app.db, user.id, shop, server::auth::Role::Owner)
            .await
            .unwrap();
    }
    let (status, body) = api(
        &app,
        &cookie,
        "POST",
        "/shops",
        Some(json!(config("one-more", "One More"))),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    // A full platform queue: 503 for everyone, nothing queued.
    let someone = new_owner(&app, "someone@else.example").await;
    let now = chrono::Utc::now();
    let rows: Vec<entity::job::ActiveModel> = (0..server::lifecycle::jobs::MAX_QUEUED)
        .map(|i| entity::job::ActiveModel {
            kind: Set("smoke".into()),
            state: Set("queued".into()),
            shop_handle: Set(format!("x{i}")),
            payload: Set("{}".into()),
            steps: Set("[]".into()),
            attempts: Set(0),
            operation_id: Set(format!("op{i}")),
            created_at: Set(now),
            ..Default::default()
        })
        .collect();
    for chunk in rows.chunks(200) {
        entity::job::Entity::insert_many(chunk.to_vec())
            .exec(&app.db)
            .await
            .unwrap();
    }
    let (status, body) = api(
        &app,
        &someone,
        "POST",
        "/shops",
        Some(json!(config("late", "Late"))),
    )
    .await;
    assert_eq!(status, 503, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("too many shop jobs"),
        "{body}"
    );
}

/// The admin's lifecycle pages render on the server (a browser-only call while rendering
/// would abort the whole process, every shop with it).
#[tokio::test]
async fn the_lifecycle_pages_render_on_the_server() {
    let app = PaymentsApp::spawn().await;
    start_worker(&app);
    let cookie = common::login(
        &app,
        server::seed::SAMPLE_EDITOR_EMAIL,
        server::seed::SAMPLE_EDITOR_PASSWORD,
    )
    .await;
    let (status, body) = api(
        &app,
        &cookie,
        "POST",
        "/shops/demo/smoke",
        Some(json!({"environment": "dev"})),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    let job: JobView = serde_json::from_value(body).unwrap();
    for path in [
        format!("/admin/jobs/{}", job.id),
        "/admin/shops/demo/launch".to_string(),
        "/admin/operator".to_string(),
        "/admin/shops/new".to_string(),
    ] {
        let res = app
            .client
            .get(format!("{}{path}", app.base))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{path}");
        assert!(
            res.text().await.unwrap().contains("<!DOCTYPE html>"),
            "{path}"
        );
    }
    assert_eq!(
        wait_job(&app, &cookie, job.id).await.state,
        JobState::Succeeded
    );
}

#[tokio::test]
async fn finished_jobs_beyond_the_newest_kept_are_pruned_with_their_events() {
    use entity::{job, job_event};
    use sea_orm::{ActiveModelTrait, PaginatorTrait, Set};
    let app = TestApp::spawn().await;
    let insert = |shop_id: Option<i64>, state: JobState| {
        let db = app.db.clone();
        async move {
            let job = job::ActiveModel {
                kind: Set(JobKind::Smoke.as_str().into()),
                state: Set(state.as_str().into()),
                shop_handle: Set("demo".into()),
                shop_id: Set(shop_id),
                payload: Set("{}".into()),
                steps: Set("[]".into()),
                attempts: Set(1),
                operation_id: Set(uuid::Uuid::new_v4().simple().to_string()),
                created_at: Set(chrono::Utc::now()),
                ..Default::default()
            }
            .insert(&db)
            .await
            .unwrap();
            server::lifecycle::jobs::event(&db, &job, "smoke", "info", "ran")
                .await
                .unwrap();
            job.id
        }
    };
    let mut finished = Vec::new();
    for i in 0..12 {
        let state = if i % 3 == 0 {
            JobState::Failed
        } else {
            JobState::Succeeded
        };
        finished.push(insert(Some(1), state).await);
    }
    // Never pruned: a job still waiting, and another shop's (or no shop's) history.
    let queued = insert(Some(1), JobState::Queued).await;
    let other = insert(Some(2), JobState::Succeeded).await;
    let orphan = insert(None, JobState::Failed).await;

    let removed = server::lifecycle::jobs::prune_finished(&app.db, Some(1), 5)
        .await
        .unwrap();
    assert_eq!(removed, 7);
    let mut left: Vec<i64> = job::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|j| j.id)
        .collect();
    left.sort();
    let mut expected = finished[7..].to_vec();
    expected.extend([queued, other, orphan]);
    assert_eq!(
        left, expected,
        "the newest 5 finished, and the rest untouched"
    );
    for gone in &finished[..7] {
        let events = job_event::Entity::find()
            .filter(job_event::Column::JobId.eq(*gone))
            .count(&app.db)
            .await
            .unwrap();
        assert_eq!(events, 0, "job {gone}'s events went with it");
    }
    assert_eq!(
        job_event::Entity::find().count(&app.db).await.unwrap(),
        8,
        "the kept jobs keep their events"
    );
    // Nothing more to prune; the no-shop group is pruned the same way.
    assert_eq!(
        server::lifecycle::jobs::prune_finished(&app.db, Some(1), 5)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        server::lifecycle::jobs::prune_finished(&app.db, None, 1)
            .await
            .unwrap(),
        0,
        "the one job of no shop is the newest kept"
    );
}
