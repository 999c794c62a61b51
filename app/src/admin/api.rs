//! Calls to Vitrine's JSON API from the admin (browser fetch, same origin, session cookie).
//! Only the hydrated client calls these; on the server they fail, and nothing awaits them.
//!
//! Pages call the typed functions (`get_json`, `post_json` …) with the contract types of
//! [`crate::api_types`], [`crate::commerce`] and [`crate::lifecycle`]; the `Value` ones are
//! what they are built on.

use crate::api_types::ErrorBody;
use crate::blocks::ValidationError;
use crate::shop_config::Issue;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// An API error as the admin shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiError {
    /// HTTP status; 0 when there is no usable answer: the request never reached the server,
    /// or its body is not what was asked for (see [`decode`]).
    pub status: u16,
    pub message: String,
    /// The whole JSON body (422 carries `errors`).
    pub body: Value,
}

impl ApiError {
    /// The API's error body, when the server sent one.
    pub fn error_body(&self) -> Option<ErrorBody> {
        ErrorBody::deserialize(&self.body).ok()
    }

    /// What a refused publish (`422`) says is wrong; empty for any other error.
    pub fn validation_errors(&self) -> Vec<ValidationError> {
        self.error_body().and_then(|b| b.errors).unwrap_or_default()
    }

    /// What a shop configuration that is not ready (`422`) lacks; empty for any other error.
    pub fn issues(&self) -> Vec<Issue> {
        self.error_body().and_then(|b| b.issues).unwrap_or_default()
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

pub async fn get(path: &str) -> Result<Value, ApiError> {
    request("GET", path, None).await
}

pub async fn post(path: &str, body: Value) -> Result<Value, ApiError> {
    request("POST", path, Some(body)).await
}

pub async fn put(path: &str, body: Value) -> Result<Value, ApiError> {
    request("PUT", path, Some(body)).await
}

pub async fn delete(path: &str) -> Result<Value, ApiError> {
    request("DELETE", path, None).await
}

/// `GET path`, its JSON answer read as `T`: the typed twin of [`get`], so pages work with the
/// shared contract types instead of picking fields out of a `Value`.
pub async fn get_json<T: DeserializeOwned>(path: &str) -> Result<T, ApiError> {
    decode(get(path).await?)
}

/// `POST path` with `body` as JSON, the answer read as `T`.
pub async fn post_json<B: Serialize, T: DeserializeOwned>(
    path: &str,
    body: &B,
) -> Result<T, ApiError> {
    send_json("POST", path, body).await
}

/// `POST path` for an action that takes no fields (an empty object is sent), the answer read
/// as `T`.
pub async fn post_empty<T: DeserializeOwned>(path: &str) -> Result<T, ApiError> {
    send_json("POST", path, &serde_json::Map::new()).await
}

/// `PATCH path` with `body` as JSON, the answer read as `T`.
pub async fn patch_json<B: Serialize, T: DeserializeOwned>(
    path: &str,
    body: &B,
) -> Result<T, ApiError> {
    send_json("PATCH", path, body).await
}

/// `PUT path` with `body` as JSON, the answer read as `T`.
pub async fn put_json<B: Serialize, T: DeserializeOwned>(
    path: &str,
    body: &B,
) -> Result<T, ApiError> {
    send_json("PUT", path, body).await
}

/// `DELETE path`, the answer read as `T` (for deletions that answer with a body; the others
/// answer `204`: use [`delete`]).
pub async fn delete_json<T: DeserializeOwned>(path: &str) -> Result<T, ApiError> {
    decode(delete(path).await?)
}

/// `method path` with `body` written as JSON, the answer read as `T`.
async fn send_json<B: Serialize, T: DeserializeOwned>(
    method: &str,
    path: &str,
    body: &B,
) -> Result<T, ApiError> {
    let body = serde_json::to_value(body).map_err(|e| ApiError {
        status: 0,
        message: format!("The request could not be written: {e}."),
        body: Value::Null,
    })?;
    decode(request(method, path, Some(body)).await?)
}

/// Reads a successful answer as `T`. A body of another shape (a server older or newer than
/// this admin) is an error with status 0 that says so, rather than a page of blanks.
pub fn decode<T: DeserializeOwned>(body: Value) -> Result<T, ApiError> {
    // Read from a borrow, so the body is only kept (for the error) when it does not fit.
    T::deserialize(&body).map_err(|e| ApiError {
        status: 0,
        message: format!("The server's answer could not be read ({e}). Reload the page."),
        body,
    })
}

/// The message of an error body `{error:{message}}`, or a fallback for the status.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
fn message_of(status: u16, body: &Value) -> String {
    ErrorBody::deserialize(body)
        .map(|b| b.error.message)
        .unwrap_or_else(|_| match status {
            0 => "The server cannot be reached. Check your connection.".into(),
            401 => "Your session has ended. Log in again.".into(),
            404 => "Not found.".into(),
            _ => format!("The server answered {status}."),
        })
}

#[cfg(feature = "hydrate")]
pub async fn request(method: &str, path: &str, body: Option<Value>) -> Result<Value, ApiError> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    let unreachable = |_| ApiError {
        status: 0,
        message: message_of(0, &Value::Null),
        body: Value::Null,
    };
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    init.set_credentials(web_sys::RequestCredentials::SameOrigin);
    let headers = web_sys::Headers::new().map_err(unreachable)?;
    headers
        .set("accept", "application/json")
        .map_err(unreachable)?;
    if let Some(body) = &body {
        headers
            .set("content-type", "application/json")
            .map_err(unreachable)?;
        init.set_body(&wasm_bindgen::JsValue::from_str(&body.to_string()));
    }
    init.set_headers(&headers);
    let request = web_sys::Request::new_with_str_and_init(path, &init).map_err(unreachable)?;
    let window = web_sys::window().ok_or(ApiError {
        status: 0,
        message: "no window".into(),
        body: Value::Null,
    })?;
    let response: web_sys::Response = JsFuture::from(window.fetch_with_request(&request))
        .await
        .map_err(unreachable)?
        .unchecked_into();
    let status = response.status();
    let text = match response.text() {
        Ok(p) => JsFuture::from(p).await.ok().and_then(|t| t.as_string()),
        Err(_) => None,
    }
    .unwrap_or_default();
    let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    if response.ok() {
        return Ok(body);
    }
    if status == 401 && !path.ends_with("/session") {
        // The session ended: back to the login page, then here again.
        let location = window.location();
        let here = location.pathname().unwrap_or_default();
        let _ = location.set_href(&format!(
            "/admin/login?next={}",
            js_sys::encode_uri_component(&here)
        ));
    }
    Err(ApiError {
        status,
        message: message_of(status, &body),
        body,
    })
}

#[cfg(not(feature = "hydrate"))]
pub async fn request(_method: &str, _path: &str, _body: Option<Value>) -> Result<Value, ApiError> {
    Err(ApiError {
        status: 0,
        message: "the API is called from the browser only".into(),
        body: Value::Null,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, PartialEq, Deserialize)]
    struct Thing {
        id: i64,
    }

    #[test]
    fn decode_reads_the_asked_shape_or_says_it_cannot() {
        assert_eq!(
            decode::<Thing>(serde_json::json!({"id": 3})),
            Ok(Thing { id: 3 })
        );
        let e = decode::<Thing>(serde_json::json!({"id": "three"})).unwrap_err();
        assert_eq!(e.status, 0);
        assert!(
            e.message
                .starts_with("The server's answer could not be read"),
            "{e}"
        );
        assert_eq!(e.body, serde_json::json!({"id": "three"}));
    }

    #[test]
    fn error_messages_come_from_the_body_or_the_status() {
        let body = serde_json::json!({"error": {"code": "conflict", "message": "not paid", "request_id": "r"}});
        assert_eq!(message_of(409, &body), "not paid");
        assert_eq!(message_of(404, &Value::Null), "Not found.");
        assert_eq!(message_of(500, &Value::Null), "The server answered 500.");
    }

    #[test]
    fn a_refused_publish_names_its_blocks() {
        let refused = ApiError {
            status: 422,
            message: "the page has validation errors".into(),
            body: serde_json::json!({
                "error": {"code": "invalid", "message": "the page has validation errors", "request_id": "r"},
                "errors": [{"block_id": "hero-1", "field": "heading", "message": "too long"}],
            }),
        };
        let errors = refused.validation_errors();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].block_id, "hero-1");
        assert_eq!(errors[0].field.as_deref(), Some("heading"));
        let other = ApiError {
            status: 0,
            message: "unreachable".into(),
            body: Value::Null,
        };
        assert!(other.validation_errors().is_empty() && other.error_body().is_none());
    }
}
