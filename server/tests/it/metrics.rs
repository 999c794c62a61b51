//! `/metrics`: Prometheus text read back with a real parser; counters that move after a
//! request, a publish and a launch; labels that stay bounded whatever clients send; and the
//! endpoint closed unless configured. The recorder is process-wide and other tests run in
//! parallel, so counters are compared before and after, never as absolute values.

use crate::common::{self, TestApp};
use server::config::Secret;

const TOKEN: &str = "metrics-token-for-tests";

async fn scrape(app: &TestApp) -> prometheus_parse::Scrape {
    let res = app
        .client
        .get(format!("{}/metrics", app.base))
        .header("authorization", format!("Bearer {TOKEN}"))
        .send()
        .await
        .expect("scrape");
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = res.text().await.unwrap();
    prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).expect("parses")
}

/// The process's metrics now, parsed (without going through HTTP).
pub fn now() -> prometheus_parse::Scrape {
    let text = server::observability::render();
    prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).expect("parses")
}

/// The value of the sample `name` whose labels include `labels` (0 when absent).
pub fn value(scrape: &prometheus_parse::Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    scrape
        .samples
        .iter()
        .filter(|s| s.metric == name)
        .filter(|s| labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match s.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => v,
            _ => 0.0,
        })
        .sum()
}

async fn app_with_token() -> TestApp {
    TestApp::spawn_with(|c| c.metrics_token = Some(Secret::new(TOKEN))).await
}

#[tokio::test]
async fn metrics_are_closed_unless_configured_and_need_the_token() {
    let open = TestApp::spawn().await;
    let res = open
        .client
        .get(format!("{}/metrics", open.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404, "no token configured: no /metrics");
    let app = app_with_token().await;
    for auth in [None, Some("Bearer wrong"), Some(TOKEN)] {
        let mut req = app.client.get(format!("{}/metrics", app.base));
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        assert_eq!(req.send().await.unwrap().status(), 401, "{auth:?}");
    }
    scrape(&app).await;
}

#[tokio::test]
async fn a_separate_metrics_listener_serves_them_without_a_token() {
    let app = TestApp::spawn().await;
    let bound =
        server::observability::serve_metrics("127.0.0.1:0".parse().unwrap(), app.state.clone())
            .await
            .unwrap();
    let text = reqwest::get(format!("http://{bound}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).unwrap();
    assert!(
        scrape
            .samples
            .iter()
            .any(|s| s.metric == "vitrine_collab_rooms"),
        "{text}"
    );
}

#[tokio::test]
async fn requests_and_publishes_move_their_counters() {
    let app = app_with_token().await;
    let (shop, page) = common::shop_with_members(&app, "metered").await;
    let before = scrape(&app).await;
    for _ in 0..3 {
        assert_eq!(app.get("metered.localhost", "/").await.0, 200);
    }
    app.publish(shop, page, serde_json::json!([common::hero("h", "Again")]))
        .await;
    let after = scrape(&app).await;
    let storefront = [("class", "storefront"), ("status", "2xx")];
    assert!(
        value(&after, "vitrine_http_requests_total", &storefront)
            >= value(&before, "vitrine_http_requests_total", &storefront) + 3.0
    );
    let ok = [("status", "ok")];
    assert!(
        value(&after, "vitrine_page_publish_total", &ok)
            >= value(&before, "vitrine_page_publish_total", &ok) + 1.0
    );
    // Latency is a histogram per class.
    assert!(after.samples.iter().any(|s| {
        s.metric == "vitrine_http_request_duration_seconds"
            && s.labels.get("class") == Some("storefront")
            && matches!(s.value, prometheus_parse::Value::Histogram(_))
    }));
}

#[tokio::test]
async fn no_label_carries_a_path_or_a_host() {
    let app = app_with_token().await;
    common::shop_with_members(&app, "labels").await;
    for i in 0..300 {
        let host = format!("random-{i}.example");
        let path = format!("/pages/nothing-{i}?x={i}");
        let _ = app.get(&host, &path).await;
        let _ = app.get("labels.localhost", &format!("/wp-{i}.php")).await;
    }
    let scrape = scrape(&app).await;
    for s in scrape
        .samples
        .iter()
        .filter(|s| s.metric.starts_with("vitrine_"))
    {
        for (k, v) in s.labels.iter() {
            assert!(
                !v.contains('/') && !v.contains("random-") && !v.contains("nothing-"),
                "{}{{{k}={v}}}",
                s.metric
            );
        }
    }
    let series = scrape
        .samples
        .iter()
        .filter(|s| s.metric == "vitrine_http_requests_total")
        .count();
    assert!(series <= 11 * 5, "{series} request series");
}

#[tokio::test]
async fn outside_dev_every_request_log_line_is_json_with_service_env_request_and_shop() {
    use std::io::{BufRead, BufReader};
    let db = crate::common::TestDb::fresh().await;
    assert!(
        crate::binary::vitrine(&db, 0)
            .args(["seed", "--sample"])
            .status()
            .unwrap()
            .success()
    );
    let port = crate::binary::free_port();
    let mut child = crate::binary::vitrine(&db, port)
        .arg("serve")
        .env("VITRINE_ENV", "stage")
        .env("VITRINE_PREVIEW_KEYS", format!("k1:{}", "s".repeat(40)))
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut up = false;
    for _ in 0..200 {
        if client.get(format!("{base}/healthz")).send().await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(up, "the server did not start");
    let res = client
        .get(format!("{base}/"))
        .header("host", "demo.localhost")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let request_id = res.headers()["x-request-id"].to_str().unwrap().to_string();
    let _ = child.kill();
    let lines: Vec<String> = BufReader::new(child.stdout.take().unwrap())
        .lines()
        .map_while(Result::ok)
        .collect();
    let _ = child.wait();
    let events: Vec<serde_json::Value> = lines
        .iter()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let ours: Vec<&serde_json::Value> = events
        .iter()
        .filter(|e| e["span"]["request_id"] == request_id.as_str())
        .collect();
    assert!(
        !ours.is_empty(),
        "no JSON log line of the request in {lines:?}"
    );
    for e in ours {
        let span = &e["span"];
        assert_eq!(span["service"], "vitrine", "{e}");
        assert_eq!(span["env"], "stage", "{e}");
        assert!(span["shop_id"].is_number(), "{e}");
    }
}
