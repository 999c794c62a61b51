//! Observability: Prometheus metrics (the `metrics` facade, exported by
//! `metrics-exporter-prometheus`), request metrics by route class, a bounded per-shop log
//! of recent server errors (for health badges), and the span a lifecycle job's events run in.
//!
//! Labels never carry unbounded values: a request is counted by its route *class* and its
//! status class, never by path or host; shops appear in no label.

use crate::sync::lock;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hashlink::LruCache;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::collections::VecDeque;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The service name every log line and span carries.
pub const SERVICE: &str = "vitrine";

/// Request latency buckets, in seconds.
const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The process's metrics recorder, installed on first use (tests build many servers in one
/// process; they share it and compare deltas).
pub fn prometheus() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full("vitrine_http_request_duration_seconds".into()),
                LATENCY_BUCKETS,
            )
            .expect("static buckets")
            .build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was installed already; /metrics shows only its own");
        }
        describe();
        handle
    })
}

fn describe() {
    metrics::describe_counter!(
        "vitrine_http_requests_total",
        "HTTP requests by route class and status class"
    );
    metrics::describe_histogram!(
        "vitrine_http_request_duration_seconds",
        metrics::Unit::Seconds,
        "HTTP request latency by route class"
    );
    metrics::describe_counter!("vitrine_page_publish_total", "page publishes by outcome");
    metrics::describe_counter!(
        "vitrine_checkout_requests_total",
        "checkout sessions by outcome"
    );
    metrics::describe_counter!("vitrine_shop_create_total", "shop create jobs by outcome");
    metrics::describe_counter!(
        "vitrine_launch_total",
        "launches by environment and outcome"
    );
    metrics::describe_gauge!(
        "vitrine_job_queue_depth",
        "lifecycle jobs waiting or running"
    );
    metrics::describe_gauge!("vitrine_collab_rooms", "open collaboration rooms");
    metrics::describe_gauge!("vitrine_collab_connections", "open collaboration sockets");
}

/// The metrics in Prometheus' text format.
pub fn render() -> String {
    let handle = prometheus();
    handle.run_upkeep();
    handle.render()
}

/// `vitrine_shop_create_total{status}` (`succeeded`, `failed`).
pub fn shop_created(status: &'static str) {
    prometheus();
    metrics::counter!("vitrine_shop_create_total", "status" => status).increment(1);
}

/// `vitrine_launch_total{env,status}`.
pub fn launched(env: &'static str, status: &'static str) {
    prometheus();
    metrics::counter!("vitrine_launch_total", "env" => env, "status" => status).increment(1);
}

/// `vitrine_page_publish_total{status}` (`ok`, `unchanged`, `invalid`, `error`).
pub fn published(status: &'static str) {
    prometheus();
    metrics::counter!("vitrine_page_publish_total", "status" => status).increment(1);
}

/// `vitrine_checkout_requests_total{status}` (`ok`, `rejected`, `unavailable`, `error`).
pub fn checkout(status: &'static str) {
    prometheus();
    metrics::counter!("vitrine_checkout_requests_total", "status" => status).increment(1);
}

/// `vitrine_job_queue_depth`.
pub fn set_job_queue_depth(n: i64) {
    prometheus();
    metrics::gauge!("vitrine_job_queue_depth").set(n as f64);
}

/// `vitrine_collab_rooms`, `vitrine_collab_connections`.
pub fn set_collab(rooms: usize, connections: usize) {
    prometheus();
    metrics::gauge!("vitrine_collab_rooms").set(rooms as f64);
    metrics::gauge!("vitrine_collab_connections").set(connections as f64);
}

/// A span every event of one lifecycle job runs in.
pub fn operation_span(operation_id: &str, shop_id: Option<i64>) -> tracing::Span {
    tracing::info_span!("operation", service = SERVICE, operation_id, shop_id)
}

/// The route class of a request path: a handful of fixed names.
pub fn route_class(path: &str) -> &'static str {
    let under = |prefix: &str| path == prefix || path.starts_with(&format!("{prefix}/"));
    if path.starts_with("/api/v1/pages/") && path.ends_with("/collab") {
        "collab"
    } else if under("/api/v1/content") {
        "content_api"
    } else if under("/api/v1") {
        "api"
    } else if under("/api/cart")
        || under("/api/checkout-session")
        || under("/api/returns")
        || under("/api/webhooks")
    {
        "commerce"
    } else if under("/admin") {
        "admin"
    } else if under("/preview") {
        "preview"
    } else if under("/pkg") || under("/images") || path.starts_with("/favicon.") {
        "static"
    } else if path == "/metrics" {
        "metrics"
    } else if path == "/healthz" {
        "health"
    } else if path == "/"
        || under("/pages")
        || under("/products")
        || path == "/cart"
        || path == "/checkout"
        || under("/orders")
    {
        "storefront"
    } else {
        "other"
    }
}

fn status_class(status: StatusCode) -> &'static str {
    match status.as_u16() {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

/// Counts and times every request by route class; a server error on a shop's host goes to
/// the shop's error log.
pub async fn track(State(state): State<crate::AppState>, req: Request, next: Next) -> Response {
    let class = route_class(req.uri().path());
    if class == "storefront" {
        state.commerce_writes.page_started();
    }
    let host = crate::storefront::request_host(req.headers());
    let started = Instant::now();
    let res = next.run(req).await;
    let status = res.status();
    prometheus();
    metrics::counter!("vitrine_http_requests_total", "class" => class, "status" => status_class(status))
        .increment(1);
    metrics::histogram!("vitrine_http_request_duration_seconds", "class" => class)
        .record(started.elapsed().as_secs_f64());
    if status.is_server_error()
        && let Some(shop_id) = host.and_then(|h| state.tenants.cached_shop(&h))
    {
        state.errors.record(shop_id);
    }
    res
}

/// `GET /metrics` on the main router: only with `Authorization: Bearer <VITRINE_METRICS_TOKEN>`
/// (unset: 404, as if there were no such route).
pub async fn metrics_route(State(state): State<crate::AppState>, headers: HeaderMap) -> Response {
    let Some(token) = state
        .config
        .metrics_token
        .as_ref()
        .map(|t| t.expose().to_string())
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let ok = given.is_some_and(|g| {
        use subtle::ConstantTimeEq;
        g.as_bytes().ct_eq(token.as_bytes()).into()
    });
    if !ok {
        return (StatusCode::UNAUTHORIZED, "a metrics token is required\n").into_response();
    }
    exposition(&state).await
}

/// The metrics as an HTTP answer (gauges read now).
pub async fn exposition(state: &crate::AppState) -> Response {
    set_collab(state.hub.room_count().await, state.hub.connection_count());
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        render(),
    )
        .into_response()
}

/// Serves `/metrics` alone on `addr` (`VITRINE_METRICS_ADDR`), for a scraper on a private
/// network.
pub async fn serve_metrics(
    addr: std::net::SocketAddr,
    state: crate::AppState,
) -> std::io::Result<std::net::SocketAddr> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let stop = state.shutdown.clone();
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let state = state.clone();
            async move { exposition(&state).await }
        }),
    );
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(stop.cancelled_owned())
            .await
        {
            tracing::error!("the metrics listener stopped: {e}");
        }
    });
    Ok(bound)
}

/// Recent server errors per shop, in memory: at most [`ErrorLog::MAX_SHOPS`] shops (the
/// least recently failing is forgotten first) and [`ErrorLog::PER_SHOP`] timestamps each.
pub struct ErrorLog {
    shops: Mutex<LruCache<i64, VecDeque<Instant>>>,
}

impl Default for ErrorLog {
    fn default() -> Self {
        Self::with_capacity(Self::MAX_SHOPS)
    }
}

impl ErrorLog {
    pub const MAX_SHOPS: usize = 10_000;
    pub const PER_SHOP: usize = 64;

    pub fn with_capacity(shops: usize) -> Self {
        Self {
            shops: Mutex::new(LruCache::new(shops.max(1))),
        }
    }

    /// A server error on one of the shop's requests, now.
    pub fn record(&self, shop_id: i64) {
        self.record_at(shop_id, Instant::now());
    }

    fn record_at(&self, shop_id: i64, at: Instant) {
        let mut shops = lock(&self.shops);
        let times = match shops.get_mut(&shop_id) {
            Some(t) => t,
            None => {
                shops.insert(shop_id, VecDeque::new());
                shops.get_mut(&shop_id).expect("just inserted")
            }
        };
        if times.len() == Self::PER_SHOP {
            times.pop_front();
        }
        times.push_back(at);
    }

    /// Server errors of the shop within `window` (at most [`Self::PER_SHOP`]).
    pub fn recent_server_errors(&self, shop_id: i64, window: Duration) -> u32 {
        let mut shops = lock(&self.shops);
        shops.get(&shop_id).map_or(0, |times| {
            times.iter().filter(|t| t.elapsed() <= window).count() as u32
        })
    }

    /// Shops with errors remembered.
    pub fn shops(&self) -> usize {
        lock(&self.shops).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_classes_are_few_and_fixed() {
        assert_eq!(route_class("/"), "storefront");
        assert_eq!(route_class("/products/oak-board"), "storefront");
        assert_eq!(route_class("/api/v1/pages/7/collab"), "collab");
        assert_eq!(route_class("/api/v1/pages/7"), "api");
        assert_eq!(route_class("/api/v1/content/pages/about"), "content_api");
        assert_eq!(route_class("/api/cart/lines/3"), "commerce");
        assert_eq!(route_class("/admin/pages/3"), "admin");
        assert_eq!(route_class("/pkg/vitrine.wasm"), "static");
        assert_eq!(route_class("/favicon.svg"), "static");
        assert_eq!(route_class("/wp-login.php"), "other");
        assert_eq!(route_class("/pagesx"), "other");
    }

    #[test]
    fn the_error_log_is_bounded_in_shops_and_per_shop() {
        let log = ErrorLog::with_capacity(3);
        for shop in 0..10 {
            log.record(shop);
        }
        assert_eq!(log.shops(), 3, "only the most recent shops are kept");
        assert_eq!(log.recent_server_errors(0, Duration::from_secs(60)), 0);
        assert_eq!(log.recent_server_errors(9, Duration::from_secs(60)), 1);
        for _ in 0..1000 {
            log.record(9);
        }
        assert_eq!(
            log.recent_server_errors(9, Duration::from_secs(60)),
            ErrorLog::PER_SHOP as u32
        );
        // Old errors fall out of the window.
        let log = ErrorLog::default();
        // (A machine up for less than two minutes has no such instant: nothing to test.)
        let Some(old) = Instant::now().checked_sub(Duration::from_secs(120)) else {
            return;
        };
        log.record_at(1, old);
        log.record(1);
        assert_eq!(log.recent_server_errors(1, Duration::from_secs(60)), 1);
    }
}
