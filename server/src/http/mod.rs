//! The axum router: storefront, admin, health, static files, and the layers around them
//! (request ids, tracing, sessions where editors work, framing and script rules for the
//! admin).

use crate::auth::session_store::DbSessionStore;
use crate::state::AppState;
use crate::storefront;
use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use http::{HeaderName, HeaderValue, header};
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower::ServiceBuilder;
use tower_http::request_id::{
    MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};
use tracing::Level;

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The id of the request being handled, if called inside one.
pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// The admin's session cookie.
pub const SESSION_COOKIE: &str = "vitrine_session";

/// The whole application.
pub fn router(state: AppState) -> Router {
    let leptos_options = state.leptos_options.clone();
    let admin_routes = generate_route_list(app::App);
    let site = ServeDir::new(&state.config.site_root)
        .append_index_html_on_directories(false)
        .fallback(axum::routing::any(storefront::not_found).with_state(state.clone()));
    let x_request_id = HeaderName::from_static("x-request-id");
    let env = state.config.env;

    // Sessions only where editors work: the storefront stays cookie-free and cacheable.
    let sessions = SessionManagerLayer::new(DbSessionStore::new(state.db.clone()))
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(!state.config.is_dev())
        .with_expiry(Expiry::OnInactivity(time::Duration::hours(12)))
        // Every request with a session extends it, so expiry means inactivity.
        .with_always_save(true);
    // The admin's HTML pages need a logged-in editor (the gate redirects to the login page);
    // the JSON API answers 401 itself.
    let admin_pages = Router::new()
        .leptos_routes(&state, admin_routes, {
            let options = leptos_options.clone();
            move || app::shell(options.clone())
        })
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            crate::auth::admin_gate,
        ));
    let editor_routes = Router::new()
        .nest("/api/v1", crate::api::router())
        .merge(crate::commerce::routes::operator_routes())
        .merge(admin_pages)
        .layer(sessions)
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(ADMIN_CSP),
        ));

    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(crate::observability::metrics_route))
        .route("/", get(storefront::home))
        .route("/pages/{slug}", get(storefront::page))
        .route("/products", get(storefront::products))
        .route("/products/{handle}", get(storefront::product))
        .route("/cart", get(storefront::cart))
        .route("/checkout", get(storefront::checkout))
        .route("/orders/{token}", get(storefront::order))
        // The customer's cart and checkout, and the payment provider's webhook: no session.
        .merge(crate::commerce::routes::storefront_routes())
        .route("/preview/{token}", get(crate::preview::enter))
        .route("/preview/p/{page}", get(crate::preview::show))
        .route("/preview/p/{page}/events", get(crate::preview::events))
        // Public (any site may read it): outside the session layer, so it never sets a cookie.
        .route(
            "/api/v1/content/pages/{slug}",
            get(storefront::content::page),
        )
        .merge(editor_routes)
        .fallback_service(site)
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(
                    x_request_id.clone(),
                    MakeRequestUuid,
                ))
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(move |req: &Request| {
                            let request_id = req
                                .extensions()
                                .get::<RequestId>()
                                .and_then(|id| id.header_value().to_str().ok())
                                .unwrap_or_default();
                            tracing::info_span!(
                                "request",
                                service = crate::observability::SERVICE,
                                env = env.as_str(),
                                request_id,
                                method = %req.method(),
                                path = %logged_path(req),
                                shop_id = tracing::field::Empty,
                            )
                        })
                        .on_response(DefaultOnResponse::new().level(Level::INFO)),
                )
                .layer(middleware::from_fn(scope_request_id))
                .layer(middleware::from_fn_with_state(
                    state.clone(),
                    crate::observability::track,
                ))
                .layer(PropagateRequestIdLayer::new(x_request_id)),
        )
        .with_state(state)
}

/// The admin's Content-Security-Policy. Framing is refused (`frame-ancestors 'none'`, with
/// `X-Frame-Options: DENY` for older browsers). Scripts come from this origin only, but inline
/// ones are allowed: Leptos' hydration script and its resource data are inline and carry no
/// nonce, and loading the wasm needs `'wasm-unsafe-eval'`. Styles allow inline `style`
/// attributes (the editor sets colours and sizes with them); the canvas shows the storefront's
/// blocks, whose images may come from any https (or, while developing, http) address.
/// Sockets (`ws:`/`wss:`) reach the collaboration endpoint and, during `cargo leptos watch`,
/// the reload server.
pub const ADMIN_CSP: &str = "default-src 'self'; \
    script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval'; \
    style-src 'self' 'unsafe-inline'; \
    img-src 'self' data: blob: https: http:; \
    font-src 'self' data:; \
    connect-src 'self' ws: wss:; \
    object-src 'none'; \
    base-uri 'self'; \
    form-action 'self'; \
    frame-ancestors 'none'";

/// The path the request log records: the matched route (`/preview/{token}`, not the token —
/// paths may carry secrets), or for unmatched requests the path itself (its first 256 bytes),
/// unless it lies under a route that carries secrets.
fn logged_path(req: &Request) -> &str {
    const MAX_LOGGED: usize = 256;
    if let Some(route) = req.extensions().get::<MatchedPath>() {
        return route.as_str();
    }
    let path = req.uri().path();
    if path.starts_with("/preview/") {
        return "/preview/…";
    }
    let mut end = path.len().min(MAX_LOGGED);
    while !path.is_char_boundary(end) {
        end -= 1;
    }
    &path[..end]
}

/// Makes the request id readable from anywhere in the handler (for error bodies).
async fn scope_request_id(req: Request, next: Next) -> Response {
    let id = req
        .extensions()
        .get::<RequestId>()
        .and_then(|id| id.header_value().to_str().ok())
        .unwrap_or_default()
        .to_string();
    REQUEST_ID.scope(id, next.run(req)).await
}

async fn healthz(axum::extract::State(state): axum::extract::State<AppState>) -> Response {
    use axum::response::IntoResponse;
    match state.db.ping().await {
        Ok(()) => (http::StatusCode::OK, "ok").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            (
                http::StatusCode::SERVICE_UNAVAILABLE,
                "database unreachable",
            )
                .into_response()
        }
    }
}
