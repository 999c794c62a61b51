//! A page's own fields: its title, its address (slug) and its search appearance.
//!
//! The draft's `page` map is their one source of truth. Editors change them there, co-edited
//! like blocks (each field a plain string, the last writer wins); publishing validates them
//! together with the blocks and stores them in the new revision; restoring a revision brings
//! its fields back. The page row carries the live revision's values for routing and the page
//! list, and only the publish service writes them.

use crate::blocks::ValidationError;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One of the page's fields, by its key in the draft's `page` map.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageField {
    Title,
    Slug,
    SeoTitle,
    SeoDescription,
}

impl PageField {
    pub const ALL: [PageField; 4] = [
        PageField::Title,
        PageField::Slug,
        PageField::SeoTitle,
        PageField::SeoDescription,
    ];

    /// The key in the draft's `page` map (and in the API's JSON).
    pub fn name(self) -> &'static str {
        match self {
            PageField::Title => "title",
            PageField::Slug => "slug",
            PageField::SeoTitle => "seo_title",
            PageField::SeoDescription => "seo_description",
        }
    }

    pub fn from_name(name: &str) -> Option<PageField> {
        PageField::ALL.into_iter().find(|f| f.name() == name)
    }

    pub fn label(self) -> &'static str {
        match self {
            PageField::Title => "Title",
            PageField::Slug => "Address (slug)",
            PageField::SeoTitle => "Search title",
            PageField::SeoDescription => "Search description",
        }
    }

    /// Whether an empty value means "not set" (the search fields) rather than an error.
    pub fn optional(self) -> bool {
        matches!(self, PageField::SeoTitle | PageField::SeoDescription)
    }

    /// Checks a value as typed (surrounding space is trimmed when it is stored).
    pub fn check(self, value: &str) -> Result<(), String> {
        let value = value.trim();
        let chars = value.chars().count();
        match self {
            PageField::Title if chars == 0 || chars > TITLE_MAX_CHARS => {
                Err(format!("a title has 1 to {TITLE_MAX_CHARS} characters"))
            }
            PageField::Slug if !slug_ok(value) => Err(format!(
                "an address uses lower-case letters, digits and '-' (at most {SLUG_MAX_LEN}, not starting with '-')"
            )),
            PageField::SeoTitle if chars > SEO_TITLE_MAX_CHARS => Err(format!(
                "a search title has at most {SEO_TITLE_MAX_CHARS} characters"
            )),
            PageField::SeoDescription if chars > SEO_DESCRIPTION_MAX_CHARS => Err(format!(
                "a search description has at most {SEO_DESCRIPTION_MAX_CHARS} characters"
            )),
            _ => Ok(()),
        }
    }
}

pub const TITLE_MAX_CHARS: usize = 200;
pub const SLUG_MAX_LEN: usize = 100;
pub const SEO_TITLE_MAX_CHARS: usize = 120;
pub const SEO_DESCRIPTION_MAX_CHARS: usize = 320;

fn slug_ok(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= SLUG_MAX_LEN
        && !slug.starts_with('-')
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// The page's fields, as stored in a revision (trimmed; empty search fields are `None`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageFields {
    pub title: String,
    pub slug: String,
    pub seo_title: Option<String>,
    pub seo_description: Option<String>,
}

impl PageFields {
    /// Reads a draft's `page` map as it is: a missing or non-text field reads as empty.
    pub fn from_map(map: &Map<String, Value>) -> Self {
        let text = |f: PageField| map.get(f.name()).and_then(Value::as_str).unwrap_or("");
        let optional = |f: PageField| Some(text(f).to_string()).filter(|v| !v.is_empty());
        Self {
            title: text(PageField::Title).to_string(),
            slug: text(PageField::Slug).to_string(),
            seo_title: optional(PageField::SeoTitle),
            seo_description: optional(PageField::SeoDescription),
        }
    }

    pub fn get(&self, field: PageField) -> &str {
        match field {
            PageField::Title => &self.title,
            PageField::Slug => &self.slug,
            PageField::SeoTitle => self.seo_title.as_deref().unwrap_or(""),
            PageField::SeoDescription => self.seo_description.as_deref().unwrap_or(""),
        }
    }

    /// Every problem, one per field, as validation errors on the page (an empty `block_id`).
    pub fn errors(&self) -> Vec<ValidationError> {
        PageField::ALL
            .into_iter()
            .filter_map(|f| {
                f.check(self.get(f)).err().map(|message| ValidationError {
                    block_id: String::new(),
                    field: Some(f.name().to_string()),
                    message,
                })
            })
            .collect()
    }

    /// The fields as a revision stores them, or every problem.
    pub fn validated(&self) -> Result<PageFields, Vec<ValidationError>> {
        let errors = self.errors();
        if !errors.is_empty() {
            return Err(errors);
        }
        let optional = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        Ok(PageFields {
            title: self.title.trim().to_string(),
            slug: self.slug.trim().to_string(),
            seo_title: optional(&self.seo_title),
            seo_description: optional(&self.seo_description),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(v: Value) -> PageFields {
        PageFields::from_map(v.as_object().unwrap())
    }

    #[test]
    fn a_draft_page_map_reads_leniently() {
        let f = fields(json!({"title": "About", "slug": 7, "seo_title": ""}));
        assert_eq!(f.title, "About");
        assert_eq!(f.slug, "");
        assert_eq!(f.seo_title, None);
        assert_eq!(f.seo_description, None);
    }

    #[test]
    fn each_field_reports_its_own_problem() {
        let long = "x".repeat(TITLE_MAX_CHARS + 1);
        let f = fields(json!({"title": long, "slug": "About Us", "seo_description": "ok"}));
        let errors = f.errors();
        let named: Vec<_> = errors.iter().filter_map(|e| e.field.as_deref()).collect();
        assert_eq!(named, ["title", "slug"]);
        assert!(errors.iter().all(|e| e.block_id.is_empty()));
        assert!(f.validated().is_err());
    }

    #[test]
    fn limits_are_counted_in_characters_and_hit_exactly() {
        for (field, max) in [
            (PageField::Title, TITLE_MAX_CHARS),
            (PageField::SeoTitle, SEO_TITLE_MAX_CHARS),
            (PageField::SeoDescription, SEO_DESCRIPTION_MAX_CHARS),
        ] {
            assert!(
                field.check(&"é".repeat(max)).is_ok(),
                "{field:?} at its limit"
            );
            assert!(
                field.check(&"é".repeat(max + 1)).is_err(),
                "{field:?} past it"
            );
        }
        assert!(PageField::Slug.check(&"a".repeat(SLUG_MAX_LEN)).is_ok());
        assert!(
            PageField::Slug
                .check(&"a".repeat(SLUG_MAX_LEN + 1))
                .is_err()
        );
        for bad in ["", "-a", "A", "a b", "a/b", "ä"] {
            assert!(PageField::Slug.check(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn stored_fields_are_trimmed_and_empty_search_fields_are_unset() {
        let f = fields(json!({"title": "  About ", "slug": "about", "seo_title": "   "}));
        let stored = f.validated().unwrap();
        assert_eq!(stored.title, "About");
        assert_eq!(stored.seo_title, None);
    }

    #[test]
    fn field_names_round_trip() {
        for f in PageField::ALL {
            assert_eq!(PageField::from_name(f.name()), Some(f));
        }
        assert_eq!(PageField::from_name("page_type"), None);
    }
}
