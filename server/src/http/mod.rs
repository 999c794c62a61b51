//! The axum router: storefront, admin, health, static files, and the layers around them
//! (request ids, tracing).

use crate::auth::session_store::DbSessionStore;
use crate::state::AppState;
use crate::storefront;
use axum::Router;
use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use http::HeaderName;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower::ServiceBuilder;
use tower_http::request_id::{
    MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::services::ServeDir;
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

/// The whole application.
pub fn router(state: AppState) -> Router {
    let leptos_options = state.leptos_options.clone();
    let admin_routes = generate_route_list(app::App);
    let site = ServeDir::new(&state.config.site_root)
        .append_index_html_on_directories(false)
        .fallback(axum::routing::any(storefront::not_found).with_state(state.clone()));
    let x_request_id = HeaderName::from_static("x-request-id");

    // Sessions only where editors work: the storefront stays cookie-free and cacheable.
    let sessions = SessionManagerLayer::new(DbSessionStore::new(state.db.clone()))
        .with_name("vitrine_session")
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
        .merge(admin_pages)
        .layer(sessions);

    Router::new()
        .route("/healthz", get(healthz))
        .route("/", get(storefront::home))
        .route("/pages/{slug}", get(storefront::page))
        .route("/products", get(storefront::products))
        .route("/products/{handle}", get(storefront::product))
        .route("/cart", get(storefront::cart))
        .route("/checkout", get(storefront::checkout))
        .route("/preview/{token}", get(crate::preview::enter))
        .route("/preview/p/{page}", get(crate::preview::show))
        .route("/preview/p/{page}/events", get(crate::preview::events))
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
                        .make_span_with(|req: &Request| {
                            let request_id = req
                                .extensions()
                                .get::<RequestId>()
                                .and_then(|id| id.header_value().to_str().ok())
                                .unwrap_or_default();
                            tracing::info_span!(
                                "request",
                                request_id,
                                method = %req.method(),
                                path = %req.uri().path(),
                                shop_id = tracing::field::Empty,
                            )
                        })
                        .on_response(DefaultOnResponse::new().level(Level::INFO)),
                )
                .layer(middleware::from_fn(scope_request_id))
                .layer(PropagateRequestIdLayer::new(x_request_id)),
        )
        .with_state(state)
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
