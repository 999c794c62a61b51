//! A shop's pages: `/api/v1/shops/{handle}/pages`, `/api/v1/pages/{id}`, its draft, publishing
//! and scheduling.

use super::Role;
use crate::blocks::{PageType, ValidationError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A page's own fields: one row of the page list, and the answer to creating, changing or
/// scheduling a page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PageSummary {
    pub id: i64,
    pub title: String,
    pub slug: String,
    pub page_type: PageType,
    pub seo_title: Option<String>,
    pub seo_description: Option<String>,
    /// `null` while the page is not live.
    pub live_revision_id: Option<i64>,
    pub updated_at: DateTime<Utc>,
    /// When the draft is scheduled to be published.
    pub publish_at: Option<DateTime<Utc>>,
    /// Why the last scheduled publish did not happen (the draft did not validate).
    pub schedule_error: Option<String>,
}

/// `GET /api/v1/shops/{handle}/pages`: the shop's pages, oldest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PageList {
    pub pages: Vec<PageSummary>,
}

/// `POST /api/v1/shops/{handle}/pages`: a new page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPage {
    pub title: String,
    pub slug: String,
    /// A [`PageType`] name; any other is refused with `400` and says which.
    pub page_type: String,
}

/// `PATCH /api/v1/pages/{id}`: the fields to change; the others are left out.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageChanges {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slug: Option<String>,
    /// `""` clears.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seo_title: Option<String>,
    /// `""` clears.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seo_description: Option<String>,
}

/// The shop a page belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShopRef {
    pub id: i64,
    pub handle: String,
    pub name: String,
}

/// `GET /api/v1/pages/{id}`: the page's fields, its shop, the caller's role there and, while
/// the page is live, its absolute storefront address.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PageAnswer {
    #[serde(flatten)]
    pub page: PageSummary,
    pub shop: ShopRef,
    /// The shop's stored theme, as it is: the editor's canvas renders blocks in it (read
    /// leniently with [`crate::theme::ThemeTokens::from_json`]).
    pub theme: Value,
    pub role: Role,
    /// `null` while unpublished and for product-detail pages.
    pub live_url: Option<String>,
}

/// `GET /api/v1/pages/{id}/draft`: the draft as publishing would read it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DraftAnswer {
    pub page_id: i64,
    /// The draft's page fields (`title`, `slug`, `seo_title`, `seo_description`), as stored.
    pub page: Map<String, Value>,
    /// The typed block tree when `errors` is empty, else the raw block nodes.
    pub blocks: Value,
    /// What publishing would refuse.
    pub errors: Vec<ValidationError>,
}

/// `POST /api/v1/pages/{id}/publish`: the revision now live. A refused publish is a `422`
/// [`super::ErrorBody`] with `errors`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishAnswer {
    pub revision_id: i64,
    pub number: i64,
    /// The draft showed what the live revision shows: no new revision was made.
    pub unchanged: bool,
    /// The page's storefront path (`/products` for a product-detail page).
    pub path: String,
}

/// `PUT /api/v1/pages/{id}/schedule`: publish the draft then (answered with the page's
/// [`PageSummary`], as is `DELETE`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleRequest {
    /// In the future, at most a year ahead.
    pub publish_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_page_answer_is_the_page_with_its_shop_beside_it() {
        let wire = json!({
            "id": 4, "title": "About", "slug": "about", "page_type": "page",
            "seo_title": null, "seo_description": "Us", "live_revision_id": null,
            "updated_at": "2026-12-01T10:00:00Z", "publish_at": null, "schedule_error": null,
            "shop": {"id": 1, "handle": "demo", "name": "Demo"},
            "theme": {"primary": "#123456"}, "role": "editor", "live_url": null,
        });
        let answer: PageAnswer = serde_json::from_value(wire.clone()).unwrap();
        assert_eq!(answer.page.page_type, PageType::Page);
        assert_eq!(answer.role, Role::Editor);
        assert_eq!(answer.shop.handle, "demo");
        assert_eq!(serde_json::to_value(&answer).unwrap(), wire);
    }

    #[test]
    fn page_changes_send_only_what_changes() {
        let changes = PageChanges {
            seo_title: Some(String::new()),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_value(&changes).unwrap(),
            json!({"seo_title": ""})
        );
    }
}
