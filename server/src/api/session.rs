//! `POST /api/v1/session` (log in), `DELETE` (log out), `GET` (who am I).
//!
//! A login passes, in order: size bounds on the body and its fields (`400`/`413`, before
//! anything else), a read-only look at the rate limits (`429`, so held-back clients never
//! queue), the password-check gate (`503` with `Retry-After` when the server is busy), and the
//! rate limits again, this time counting the attempt as a failure before the password is
//! checked (see [`crate::auth::rate_limit`]).

use crate::auth::{
    CurrentUser, MAX_EMAIL_LEN, MAX_PASSWORD_LEN, Role, USER_ID_KEY, normalize_email, password,
};
use crate::error::{AppError, AppJson};
use crate::state::AppState;
use app::api_types::{LoginRequest, SessionAnswer, SessionUser, ShopMembership};
use axum::Json;
use axum::extract::{ConnectInfo, DefaultBodyLimit, State};
use axum::handler::Handler;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, post};
use entity::{membership, shop, user};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::net::{IpAddr, SocketAddr};
use tower_sessions::Session;

/// The largest login body read: an email and a password fit many times over.
pub const MAX_LOGIN_BODY: usize = 16 * 1024;

/// `/session`: log in (with the body bounded), log out, who am I.
pub fn routes() -> MethodRouter<AppState> {
    post(login.layer(DefaultBodyLimit::max(MAX_LOGIN_BODY)))
        .delete(logout)
        .get(me)
}

pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    session: Session,
    AppJson(body): AppJson<LoginRequest>,
) -> Result<Response, AppError> {
    let email = body.email.trim();
    if email.len() > MAX_EMAIL_LEN {
        return Err(AppError::BadRequest(format!(
            "an email address has at most {MAX_EMAIL_LEN} characters"
        )));
    }
    if body.password.len() > MAX_PASSWORD_LEN {
        return Err(AppError::BadRequest(format!(
            "a password has at most {MAX_PASSWORD_LEN} bytes"
        )));
    }
    let email = normalize_email(email).unwrap_or_else(|| email.to_lowercase());
    let client = client_key(peer.ip());
    let limiter = &state.login_limiter;
    limiter
        .check(&client, &email)
        .map_err(AppError::TooManyRequests)?;
    let Some(permit) = state.hash_gate.enter().await else {
        tracing::debug!(%client, "login refused: password checks busy");
        return Err(AppError::Busy);
    };
    // Counted as a failure from here on, unless the password turns out right.
    let attempt = limiter
        .begin(&client, &email)
        .map_err(AppError::TooManyRequests)?;
    let found = user::Entity::find()
        .filter(user::Column::Email.eq(&email))
        .one(&state.db)
        .await?;
    if !password::verify(
        permit,
        &body.password,
        found.as_ref().map(|u| u.password_hash.as_str()),
    )
    .await
    {
        tracing::info!(%client, "failed login");
        return Err(AppError::InvalidCredentials);
    }
    let user = found.ok_or(AppError::InvalidCredentials)?;
    attempt.succeeded();
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
    Ok(Json(profile(&state, &user).await?).into_response())
}

/// The rate limits' key for a peer: its IPv4 address, or its IPv6 /64 (one host usually has
/// a whole /64, so single IPv6 addresses would give it endless fresh keys).
fn client_key(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

pub async fn logout(
    State(state): State<AppState>,
    session: Session,
) -> Result<StatusCode, AppError> {
    let id = session.id();
    // Deletes the stored session and tells the browser to drop the cookie.
    session
        .flush()
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    // Collaboration sockets opened with this session close now, not at the next re-check.
    if let Some(id) = id {
        state.hub.session_ended(&id.to_string());
    }
    Ok(StatusCode::NO_CONTENT)
}

pub async fn me(
    State(state): State<AppState>,
    current: CurrentUser,
) -> Result<Json<SessionAnswer>, AppError> {
    Ok(Json(profile(&state, &current.user).await?))
}

async fn profile(state: &AppState, user: &user::Model) -> Result<SessionAnswer, AppError> {
    let memberships = membership::Entity::find()
        .filter(membership::Column::UserId.eq(user.id))
        .find_also_related(shop::Entity)
        .all(&state.db)
        .await?;
    // A membership with a role this server does not know grants nothing (as in `role_in`).
    let shops = memberships
        .into_iter()
        .filter_map(|(m, s)| {
            let (s, role) = (s?, Role::parse(&m.role)?);
            Some(ShopMembership {
                id: s.id,
                handle: s.handle,
                name: s.name,
                role,
            })
        })
        .collect();
    Ok(SessionAnswer {
        user: SessionUser {
            id: user.id,
            email: user.email.clone(),
            name: user.name.clone(),
            operator: user.is_operator,
        },
        shops,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn clients_are_keyed_by_address_or_ipv6_prefix() {
        let key = |ip: &str| super::client_key(ip.parse().expect("ip"));
        assert_eq!(key("192.0.2.7"), "192.0.2.7");
        assert_eq!(key("::ffff:192.0.2.7"), "192.0.2.7");
        assert_eq!(key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(key("2001:db8:1:2:bbbb::9"), key("2001:db8:1:2:aaaa::1"));
    }
}
