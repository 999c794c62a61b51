//! `POST /api/v1/session` (log in), `DELETE` (log out), `GET` (who am I).

use crate::auth::{CurrentUser, USER_ID_KEY, normalize_email, password};
use crate::error::AppError;
use crate::state::AppState;
use axum::Json;
use axum::extract::{ConnectInfo, State};
use entity::{membership, shop, user};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Deserialize;
use serde_json::{Value, json};
use std::net::SocketAddr;
use tower_sessions::Session;

#[derive(Deserialize)]
pub struct Login {
    pub email: String,
    pub password: String,
}

pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    session: Session,
    Json(body): Json<Login>,
) -> Result<Json<Value>, AppError> {
    let email = normalize_email(&body.email).unwrap_or_else(|| body.email.trim().to_lowercase());
    let client = peer.ip().to_string();
    state
        .login_limiter
        .check(&client, &email)
        .map_err(AppError::TooManyRequests)?;
    let found = user::Entity::find()
        .filter(user::Column::Email.eq(&email))
        .one(&state.db)
        .await?;
    if !password::verify(
        &body.password,
        found.as_ref().map(|u| u.password_hash.as_str()),
    )
    .await
    {
        state.login_limiter.record_failure(&client, &email);
        tracing::info!(%client, "failed login");
        return Err(AppError::InvalidCredentials);
    }
    let user = found.ok_or(AppError::InvalidCredentials)?;
    state.login_limiter.record_success(&email);
    // A new id at login: a session id planted before login is worthless afterwards.
    session
        .cycle_id()
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    session
        .insert(USER_ID_KEY, user.id)
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    tracing::info!(user_id = user.id, "logged in");
    Ok(Json(profile(&state, &user).await?))
}

pub async fn logout(session: Session) -> Result<axum::http::StatusCode, AppError> {
    // Deletes the stored session and tells the browser to drop the cookie.
    session
        .flush()
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

pub async fn me(
    State(state): State<AppState>,
    current: CurrentUser,
) -> Result<Json<Value>, AppError> {
    Ok(Json(profile(&state, &current.user).await?))
}

async fn profile(state: &AppState, user: &user::Model) -> Result<Value, AppError> {
    let memberships = membership::Entity::find()
        .filter(membership::Column::UserId.eq(user.id))
        .find_also_related(shop::Entity)
        .all(&state.db)
        .await?;
    let shops: Vec<Value> = memberships
        .into_iter()
        .filter_map(|(m, s)| {
            s.map(|s| json!({"id": s.id, "handle": s.handle, "name": s.name, "role": m.role}))
        })
        .collect();
    Ok(json!({"user": {"id": user.id, "email": user.email, "name": user.name}, "shops": shops}))
}
