//! The body of every API error: `{"error":{"code","message","request_id"}}`, plus the list a
//! `422` is about.

use crate::blocks::ValidationError;
use crate::shop_config::Issue;
use serde::{Deserialize, Serialize};

/// An API error's body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
    /// A refused publish (`422`, code `invalid`): what is wrong with which block.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<ValidationError>>,
    /// A shop configuration that is not ready (`422`, code `not_ready`): what is missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issues: Option<Vec<Issue>>,
}

/// What went wrong, for people and for programs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// Stable and machine-readable: `not_found`, `forbidden`, `conflict`, `invalid` …
    pub code: String,
    /// For a person; never internal detail.
    pub message: String,
    /// The request's `X-Request-ID`, to find it in the logs (empty when there was none).
    pub request_id: String,
}

impl ErrorBody {
    /// An error body without a list.
    pub fn new(
        code: impl Into<String>,
        message: impl Into<String>,
        request_id: impl Into<String>,
    ) -> Self {
        Self {
            error: ErrorDetail {
                code: code.into(),
                message: message.into(),
                request_id: request_id.into(),
            },
            errors: None,
            issues: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lists_are_on_the_wire_only_when_there_are_some() {
        let plain = ErrorBody::new("not_found", "not found", "r1");
        assert_eq!(
            serde_json::to_value(&plain).unwrap(),
            json!({"error": {"code": "not_found", "message": "not found", "request_id": "r1"}})
        );
        let invalid = ErrorBody {
            errors: Some(vec![ValidationError {
                block_id: "b1".into(),
                field: None,
                message: "unknown".into(),
            }]),
            ..ErrorBody::new("invalid", "the page has validation errors", "")
        };
        let v = serde_json::to_value(&invalid).unwrap();
        assert_eq!(
            v["errors"],
            json!([{"block_id": "b1", "field": null, "message": "unknown"}])
        );
        assert!(v.get("issues").is_none());
        assert_eq!(serde_json::from_value::<ErrorBody>(v).unwrap(), invalid);
    }
}
