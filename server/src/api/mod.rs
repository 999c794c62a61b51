//! The JSON API under `/api/v1`. Every route runs behind the session layer and
//! the Origin check; errors are `{error:{code,message,request_id}}`.

pub mod pages;
pub mod revisions;
pub mod session;

use crate::auth::{self, Role, role_in};
use crate::error::AppError;
use crate::state::AppState;
use axum::Router;
use axum::routing::{get, post};
use sea_orm::DatabaseConnection;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/session", session::routes())
        .route("/shops/{shop}/pages", get(pages::list).post(pages::create))
        .route("/pages/{id}/draft", get(pages::draft))
        .route("/pages/{id}/publish", post(pages::publish))
        .route("/pages/{id}/unpublish", post(revisions::unpublish))
        .route("/pages/{id}/revisions", get(revisions::list))
        .route("/pages/{id}/revisions/{number}", get(revisions::show))
        .route(
            "/pages/{id}/revisions/{number}/restore",
            post(revisions::restore),
        )
        .route("/pages/{id}/collab", get(crate::collab::ws::collab))
        .route(
            "/pages/{id}/preview-links",
            post(crate::preview::create)
                .get(crate::preview::count)
                .delete(crate::preview::revoke),
        )
        .route(
            "/pages/{id}/schedule",
            axum::routing::put(pages::schedule).delete(pages::unschedule),
        )
        .route(
            "/pages/{id}",
            get(pages::show).patch(pages::update).delete(pages::delete),
        )
        .merge(crate::commerce::routes::api_routes())
        .merge(crate::lifecycle::routes::routes())
        .layer(axum::middleware::from_fn(auth::check_origin))
}

/// The user's role in a shop if it is at least `min`: non-members get `404` (the shop's
/// objects do not exist for them), weaker members `403`.
pub async fn require_role(
    db: &DatabaseConnection,
    user_id: i64,
    shop_id: i64,
    min: Role,
) -> Result<Role, AppError> {
    let role = role_in(db, user_id, shop_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if role < min {
        return Err(AppError::Forbidden(format!(
            "needs the {} role",
            min.as_str()
        )));
    }
    Ok(role)
}
