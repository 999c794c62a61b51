//! One error type for HTTP handlers. Internal detail is logged, never sent to the client;
//! API errors are JSON `{error:{code,message,request_id}}`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
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
    #[error("{0}")]
    Unavailable(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("database error: {0}")]
    Db(#[from] sea_orm::DbErr),
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Unauthorized | AppError::InvalidCredentials => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Db(_) | AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::NotFound => "not_found",
            AppError::Unauthorized => "unauthorized",
            AppError::InvalidCredentials => "invalid_credentials",
            AppError::Forbidden(_) => "forbidden",
            AppError::TooManyRequests(_) => "rate_limited",
            AppError::Conflict(_) => "conflict",
            AppError::Invalid(_) => "invalid",
            AppError::Unavailable(_) => "unavailable",
            AppError::BadRequest(_) => "bad_request",
            AppError::Db(_) | AppError::Internal(_) => "internal",
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
            "something went wrong on our side".to_string()
        } else {
            self.to_string()
        };
        // The request id is filled in by the request-id layer's span; the header carries it too.
        let request_id = crate::http::current_request_id().unwrap_or_default();
        let mut body = json!({ "error": { "code": self.code(), "message": message, "request_id": request_id } });
        if let AppError::Invalid(errors) = &self {
            body["errors"] = json!(errors);
        }
        let mut response = (status, Json(body)).into_response();
        if let AppError::TooManyRequests(seconds) = self
            && let Ok(v) = axum::http::HeaderValue::from_str(&seconds.to_string())
        {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, v);
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
