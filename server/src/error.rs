//! One error type for HTTP handlers. Internal detail is logged, never sent to the client;
//! API errors are JSON `{error:{code,message,request_id}}` ([`ErrorBody`], which the admin reads
//! back) — request bodies the API cannot read too (see [`AppJson`]).

use app::api_types::ErrorBody;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, OptionalFromRequest, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    /// `404` that says what is missing.
    #[error("{0}")]
    Missing(String),
    #[error("log in first")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("wrong email or password")]
    InvalidCredentials,
    #[error("too many attempts; try again in {0} seconds")]
    TooManyRequests(u64),
    #[error("{0}")]
    Conflict(String),
    #[error("the page has validation errors")]
    Invalid(Vec<app::blocks::ValidationError>),
    /// A shop configuration that is not ready for what was asked (the body lists `issues`).
    #[error("{0}")]
    NotReady(String, Vec<app::shop_config::Issue>),
    /// `503` with a message for the client (what is unavailable, what to do): expected, so
    /// shown as it is rather than hidden behind the generic message.
    #[error("{0}")]
    Unavailable(String),
    /// Every password check is taken: `503` with `Retry-After: 1`. Expected under load, so
    /// neither logged as a failure nor hidden behind the generic message.
    #[error("the server is busy checking other logins; try again in a moment")]
    Busy,
    #[error("{0}")]
    BadRequest(String),
    /// A request body that could not be read: its status (400, 413, 415 or 422) and why.
    #[error("{1}")]
    Body(StatusCode, String),
    #[error("database error: {0}")]
    Db(#[from] sea_orm::DbErr),
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound | AppError::Missing(_) => StatusCode::NOT_FOUND,
            AppError::Unauthorized | AppError::InvalidCredentials => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Invalid(_) | AppError::NotReady(..) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Unavailable(_) | AppError::Busy => StatusCode::SERVICE_UNAVAILABLE,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Body(status, _) => *status,
            AppError::Db(_) | AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::NotFound | AppError::Missing(_) => "not_found",
            AppError::Unauthorized => "unauthorized",
            AppError::InvalidCredentials => "invalid_credentials",
            AppError::Forbidden(_) => "forbidden",
            AppError::TooManyRequests(_) => "rate_limited",
            AppError::Conflict(_) => "conflict",
            AppError::Invalid(_) => "invalid",
            AppError::NotReady(..) => "not_ready",
            AppError::Unavailable(_) => "unavailable",
            AppError::Busy => "busy",
            AppError::BadRequest(_) => "bad_request",
            AppError::Body(status, _) => match *status {
                StatusCode::PAYLOAD_TOO_LARGE => "too_large",
                StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
                _ => "bad_request",
            },
            AppError::Db(_) | AppError::Internal(_) => "internal",
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = if status.is_server_error()
            && !matches!(self, AppError::Busy | AppError::Unavailable(_))
        {
            tracing::error!(error = %self, "request failed");
            "something went wrong on our side".to_string()
        } else {
            self.to_string()
        };
        // The request id is filled in by the request-id layer's span; the header carries it too.
        let request_id = crate::http::current_request_id().unwrap_or_default();
        let mut body = ErrorBody::new(self.code(), message, request_id);
        let mut retry_after = None;
        match self {
            AppError::Invalid(errors) => body.errors = Some(errors),
            AppError::NotReady(_, issues) => body.issues = Some(issues),
            AppError::TooManyRequests(seconds) => retry_after = Some(HeaderValue::from(seconds)),
            AppError::Busy => retry_after = Some(HeaderValue::from_static("1")),
            _ => {}
        }
        let mut response = (status, Json(body)).into_response();
        if let Some(v) = retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        response
    }
}

impl From<crate::publish::PublishError> for AppError {
    fn from(e: crate::publish::PublishError) -> Self {
        use crate::publish::PublishError;
        match e {
            PublishError::NotFound => AppError::NotFound,
            PublishError::Invalid(errors) => AppError::Invalid(errors),
            PublishError::Conflict => AppError::Conflict(e.to_string()),
            PublishError::Db(e) => AppError::Db(e),
        }
    }
}

impl From<JsonRejection> for AppError {
    fn from(rejection: JsonRejection) -> Self {
        AppError::Body(rejection.status(), rejection.body_text())
    }
}

/// A JSON request body, like [`axum::Json`], but rejected in the API's error format (with
/// axum's status: 400 for malformed JSON, 415 without a JSON content type, 413 over the body
/// limit, 422 for JSON of the wrong shape) instead of axum's plain text.
///
/// As `Option<AppJson<T>>` a request without a `Content-Type` gives `None`.
#[derive(Debug, Clone, Copy, Default)]
pub struct AppJson<T>(pub T);

impl<T, S> FromRequest<S> for AppJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let Json(value) = <Json<T> as FromRequest<S>>::from_request(req, state).await?;
        Ok(AppJson(value))
    }
}

impl<T, S> OptionalFromRequest<S> for AppJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Option<Self>, Self::Rejection> {
        let value = <Json<T> as OptionalFromRequest<S>>::from_request(req, state).await?;
        Ok(value.map(|Json(value)| AppJson(value)))
    }
}
