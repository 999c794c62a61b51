//! Editors: accounts, roles per shop, login sessions, login rate limits and the Origin check
//! that keeps other sites from driving an editor's session.

pub mod password;
pub mod rate_limit;
pub mod session_store;

use crate::error::AppError;
use crate::state::AppState;
use app::admin::{LOGIN_PATH as ADMIN_LOGIN, is_admin_path, is_login_path, is_safe_next};
use axum::extract::{FromRequestParts, Request};
use axum::http::{Method, request::Parts};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use entity::{membership, user};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set,
};
use tower_sessions::Session;

/// Session key holding the logged-in user's id.
pub const USER_ID_KEY: &str = "user_id";

/// The longest email address accepted (RFC 5321's limit for a path).
pub const MAX_EMAIL_LEN: usize = 254;
/// The longest password accepted, in bytes: far beyond what anyone types, and it bounds what
/// a login makes the server hash.
pub const MAX_PASSWORD_LEN: usize = 1024;

/// A member's role in a shop: one enum for the server and the admin.
pub use app::api_types::Role;

/// The logged-in user of a request; rejects with 401 when there is none.
#[derive(Clone, Debug)]
pub struct CurrentUser {
    pub user: user::Model,
    pub session: Session,
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let session = Session::from_request_parts(parts, state)
            .await
            .map_err(|_| AppError::Unauthorized)?;
        let user_id: Option<i64> = session
            .get(USER_ID_KEY)
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let user_id = user_id.ok_or(AppError::Unauthorized)?;
        let user = user::Entity::find_by_id(user_id)
            .one(&state.db)
            .await?
            .ok_or(AppError::Unauthorized)?;
        Ok(CurrentUser { user, session })
    }
}

/// Gates the admin's HTML pages (the Leptos routes): without a logged-in session a `GET` of
/// `/admin` or `/admin/…` answers `303` to `/admin/login?next=<the page>`, and the login page
/// itself answers `303` to `/admin` (or to a `next` inside the admin) when already logged
/// in. The session is read exactly as [`CurrentUser`] reads it. The JSON API (which answers
/// `401`) and static files are not routed through here.
pub async fn admin_gate(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    if !matches!(*req.method(), Method::GET | Method::HEAD) || !is_admin_path(req.uri().path()) {
        return next.run(req).await;
    }
    let (mut parts, body) = req.into_parts();
    let logged_in = match CurrentUser::from_request_parts(&mut parts, &state).await {
        Ok(_) => true,
        Err(AppError::Unauthorized) => false,
        Err(e) => return e.into_response(),
    };
    match admin_redirect(&parts.uri, logged_in) {
        Some(location) => see_other(&location),
        None => next.run(Request::from_parts(parts, body)).await,
    }
}

/// Where an admin page request goes instead of being served, if anywhere.
fn admin_redirect(uri: &axum::http::Uri, logged_in: bool) -> Option<String> {
    let path = uri.path();
    match (is_login_path(path), logged_in) {
        (false, false) => {
            let original = uri.path_and_query().map_or(path, |pq| pq.as_str());
            Some(format!(
                "{ADMIN_LOGIN}?next={}",
                percent_encoding::utf8_percent_encode(original, COMPONENT)
            ))
        }
        (true, true) => {
            let next =
                axum::extract::Query::<std::collections::HashMap<String, String>>::try_from_uri(
                    uri,
                )
                .ok()
                .and_then(|q| q.0.get("next").cloned())
                .filter(|n| is_safe_next(n));
            Some(next.unwrap_or_else(|| "/admin".to_string()))
        }
        _ => None,
    }
}

/// What `encodeURIComponent` leaves as it is: RFC 3986 unreserved characters.
const COMPONENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

pub(crate) fn see_other(location: &str) -> Response {
    use axum::http::{HeaderValue, StatusCode, header};
    let mut res = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// The user's role in a shop, if a member.
pub async fn role_in(
    db: &DatabaseConnection,
    user_id: i64,
    shop_id: i64,
) -> Result<Option<Role>, DbErr> {
    Ok(membership::Entity::find()
        .filter(membership::Column::UserId.eq(user_id))
        .filter(membership::Column::ShopId.eq(shop_id))
        .one(db)
        .await?
        .and_then(|m| Role::parse(&m.role)))
}

/// Creates a user (or updates the password of an existing one) and sets the role in a shop.
/// A new password ends every session the user had: whoever knew the old one is logged out.
pub async fn upsert_user_with_role(
    db: &DatabaseConnection,
    email: &str,
    password: &str,
    name: &str,
    shop_id: i64,
    role: Role,
) -> Result<user::Model, AppError> {
    let user = upsert_user(db, email, password, name).await?;
    set_role(db, user.id, shop_id, role).await?;
    Ok(user)
}

/// Creates a user, or sets a new password for an existing one (ending all their sessions).
pub async fn upsert_user(
    db: &DatabaseConnection,
    email: &str,
    password: &str,
    name: &str,
) -> Result<user::Model, AppError> {
    let email = normalize_email(email)
        .ok_or_else(|| AppError::BadRequest("not an email address".into()))?;
    if password.chars().count() < 8 {
        return Err(AppError::BadRequest(
            "passwords have at least 8 characters".into(),
        ));
    }
    if password.len() > MAX_PASSWORD_LEN {
        return Err(AppError::BadRequest(format!(
            "passwords have at most {MAX_PASSWORD_LEN} bytes"
        )));
    }
    let hash = password::hash(password).await?;
    let now = Utc::now();
    let user = match user::Entity::find()
        .filter(user::Column::Email.eq(&email))
        .one(db)
        .await?
    {
        Some(existing) => {
            let mut active: user::ActiveModel = existing.into();
            active.password_hash = Set(hash);
            let user = active.update(db).await?;
            let ended = session_store::end_user_sessions(db, user.id).await?;
            tracing::info!(user_id = user.id, ended, "password reset; sessions ended");
            user
        }
        None => {
            user::ActiveModel {
                email: Set(email.clone()),
                name: Set(if name.is_empty() {
                    email.clone()
                } else {
                    name.to_string()
                }),
                password_hash: Set(hash),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(db)
            .await?
        }
    };
    Ok(user)
}

/// Gives a user a role in a shop (a member's role changes).
pub async fn set_role(
    db: &impl sea_orm::ConnectionTrait,
    user_id: i64,
    shop_id: i64,
    role: Role,
) -> Result<(), DbErr> {
    match membership::Entity::find()
        .filter(membership::Column::UserId.eq(user_id))
        .filter(membership::Column::ShopId.eq(shop_id))
        .one(db)
        .await?
    {
        Some(m) if m.role == role.as_str() => {}
        Some(m) => {
            let mut active: membership::ActiveModel = m.into();
            active.role = Set(role.as_str().to_string());
            active.update(db).await?;
        }
        None => {
            membership::ActiveModel {
                user_id: Set(user_id),
                shop_id: Set(shop_id),
                role: Set(role.as_str().to_string()),
                created_at: Set(Utc::now()),
                ..Default::default()
            }
            .insert(db)
            .await?;
        }
    }
    Ok(())
}

/// Makes a user a platform operator, or not.
pub async fn set_operator(
    db: &DatabaseConnection,
    user_id: i64,
    operator: bool,
) -> Result<(), DbErr> {
    user::Entity::update_many()
        .col_expr(
            user::Column::IsOperator,
            sea_orm::sea_query::Expr::value(operator),
        )
        .filter(user::Column::Id.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Lower-cased and trimmed; `None` unless it looks like `local@domain`.
pub fn normalize_email(email: &str) -> Option<String> {
    let email = email.trim().to_lowercase();
    let (local, domain) = email.split_once('@')?;
    (!local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && email.len() <= MAX_EMAIL_LEN
        && !email.contains(char::is_whitespace))
    .then_some(email)
}

/// Refuses state-changing requests (and WebSocket upgrades) whose `Origin` is another site.
/// Requests without `Origin` (curl, server-to-server) pass; browsers always send it on
/// cross-origin POSTs and WebSocket handshakes.
pub async fn check_origin(req: Request, next: Next) -> Response {
    let mutating = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let upgrade = req.headers().contains_key(axum::http::header::UPGRADE);
    if (mutating || upgrade) && !same_origin(&req) {
        return AppError::Forbidden("cross-site request refused".into()).into_response();
    }
    next.run(req).await
}

fn same_origin(req: &Request) -> bool {
    let headers = req.headers();
    let Some(origin) = headers.get(axum::http::header::ORIGIN) else {
        // Browsers that send Fetch Metadata tell us directly.
        return headers
            .get("sec-fetch-site")
            .and_then(|v| v.to_str().ok())
            .is_none_or(|v| v != "cross-site");
    };
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let origin = origin.to_str().unwrap_or_default();
    let origin_host = origin
        .split_once("://")
        .map(|(_, rest)| rest)
        .unwrap_or_default();
    !host.is_empty() && origin_host.eq_ignore_ascii_case(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_pages_redirect_by_session() {
        let at = |uri: &str, logged_in: bool| admin_redirect(&uri.parse().expect("uri"), logged_in);
        assert_eq!(
            at("/admin", false).as_deref(),
            Some("/admin/login?next=%2Fadmin")
        );
        assert_eq!(
            at("/admin/pages/7?tab=seo&x=a%20b", false).as_deref(),
            Some("/admin/login?next=%2Fadmin%2Fpages%2F7%3Ftab%3Dseo%26x%3Da%2520b")
        );
        assert_eq!(at("/admin/pages/7", true), None);
        assert_eq!(at("/admin/login", false), None);
        assert_eq!(at("/admin/login?next=%2Fadmin", false), None);
        assert_eq!(at("/admin/login", true).as_deref(), Some("/admin"));
        assert_eq!(
            at("/admin/login?next=%2Fadmin%2Fpages%2F7%3Ftab%3Dseo", true).as_deref(),
            Some("/admin/pages/7?tab=seo")
        );
        for hostile in [
            "https%3A%2F%2Fevil.example",
            "%2F%2Fevil.example%2Fadmin",
            "%2Fadmin%5C..%5C%5Cevil.example",
            "%2Fadministrator",
            "%2Fadmin%2Flogin",
            "%2Fadmin%0D%0ASet-Cookie%3A%20x%3D1",
        ] {
            assert_eq!(
                at(&format!("/admin/login?next={hostile}"), true).as_deref(),
                Some("/admin"),
                "{hostile}"
            );
        }
        assert!(!is_admin_path("/administrator") && !is_admin_path("/api/v1/session"));
    }

    #[test]
    fn roles_order_and_emails_normalise() {
        assert!(Role::Owner.can_edit() && Role::Editor.can_edit() && !Role::Viewer.can_edit());
        assert_eq!(
            normalize_email(" Ed@Example.COM ").as_deref(),
            Some("ed@example.com")
        );
        for bad in [
            "",
            "ed",
            "@example.com",
            "ed@localhost",
            "ed@.com",
            "a b@c.d",
        ] {
            assert_eq!(normalize_email(bad), None, "{bad}");
        }
    }
}
