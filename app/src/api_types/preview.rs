//! Preview links: `/api/v1/pages/{id}/preview-links`.

use serde::{Deserialize, Serialize};

/// `POST`: a new link (the body may be left out).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPreviewLink {
    /// How long the link works: 60 s to 7 days, 1 hour when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_seconds: Option<i64>,
}

/// The link just made.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewLink {
    /// On the shop's primary host.
    pub url: String,
    /// RFC 3339.
    pub expires_at: String,
    /// The page's links that still work, this one included.
    pub active_links: u64,
}

/// `GET`: how many of the page's links still work.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewLinkCount {
    pub active_links: u64,
}

/// `DELETE`: every link of the page revoked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewLinksRevoked {
    /// How many were still working.
    pub revoked: u64,
    /// Always 0.
    pub active_links: u64,
}
