//! Releases: what an environment serves. A release is an immutable snapshot of the shop's
//! settings (name, tagline, locale, currency, theme, links) and of every page's live
//! revision at the time of the launch; the environment's live pointer
//! (`shop_environment.live_release_id`) picks one. Revisions are immutable too, so serving a
//! release is serving exactly what was smoke-tested, byte for byte.

use app::shop_config::{Environment, Link};
use entity::{page, release, shop, shop_domain, shop_environment};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The host suffix of release preview hosts: `{handle}-{env}-r{number}.` + this.
pub const PREVIEW_HOST_SUFFIX: &str = "release.localhost";

/// What a release serves.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub settings: Settings,
    pub pages: Vec<SnapshotPage>,
}

/// The shop-wide part of a release.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    pub name: String,
    pub tagline: String,
    pub locale: String,
    pub currency: String,
    pub theme: serde_json::Value,
    #[serde(default)]
    pub header_links: Vec<Link>,
    #[serde(default)]
    pub footer_links: Vec<Link>,
}

/// One page as the release serves it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SnapshotPage {
    pub page_id: i64,
    pub slug: String,
    pub title: String,
    pub page_type: String,
    pub seo_title: Option<String>,
    pub seo_description: Option<String>,
    pub revision_id: i64,
}

impl Snapshot {
    /// What the shop serves right now from its published pages.
    pub async fn take(db: &impl ConnectionTrait, shop: &shop::Model) -> Result<Self, DbErr> {
        let links = super::config::links_of(shop);
        let pages = page::Entity::find()
            .filter(page::Column::ShopId.eq(shop.id))
            .filter(page::Column::LiveRevisionId.is_not_null())
            .order_by_asc(page::Column::Id)
            .all(db)
            .await?;
        Ok(Snapshot {
            settings: Settings {
                name: shop.name.clone(),
                tagline: shop.tagline.clone(),
                locale: shop.locale.clone(),
                currency: shop.currency.clone(),
                theme: shop.theme.clone(),
                header_links: links.header,
                footer_links: links.footer,
            },
            pages: pages
                .into_iter()
                .filter_map(|p| {
                    Some(SnapshotPage {
                        revision_id: p.live_revision_id?,
                        page_id: p.id,
                        slug: p.slug,
                        title: p.title,
                        page_type: p.page_type,
                        seo_title: p.seo_title,
                        seo_description: p.seo_description,
                    })
                })
                .collect(),
        })
    }

    pub fn parse(json: &str) -> Result<Self, DbErr> {
        serde_json::from_str(json)
            .map_err(|e| DbErr::Custom(format!("a release snapshot does not parse: {e}")))
    }

    /// The shop row as this release shows it (the storefront reads name, theme … from it).
    pub fn apply_to(&self, shop: &shop::Model) -> shop::Model {
        let s = &self.settings;
        shop::Model {
            name: s.name.clone(),
            tagline: s.tagline.clone(),
            locale: s.locale.clone(),
            currency: s.currency.clone(),
            theme: s.theme.clone(),
            ..shop.clone()
        }
    }

    /// The pages as rows with this release's revisions live (what the storefront renders).
    pub fn page_rows(&self, shop_id: i64) -> Vec<page::Model> {
        let epoch = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH;
        self.pages
            .iter()
            .map(|p| page::Model {
                id: p.page_id,
                shop_id,
                slug: p.slug.clone(),
                title: p.title.clone(),
                page_type: p.page_type.clone(),
                seo_title: p.seo_title.clone(),
                seo_description: p.seo_description.clone(),
                live_revision_id: Some(p.revision_id),
                preview_epoch: 0,
                publish_at: None,
                schedule_error: None,
                created_at: epoch,
                updated_at: epoch,
            })
            .collect()
    }

    /// What differs from `before`, in one line ("first release" without one).
    pub fn changes_since(&self, before: Option<&Snapshot>) -> String {
        let Some(before) = before else {
            return format!("first release: {} pages", self.pages.len());
        };
        let mut parts = Vec::new();
        let (a, b) = (&before.settings, &self.settings);
        if a.theme != b.theme {
            parts.push("theme".to_string());
        }
        if (&a.name, &a.tagline, &a.locale, &a.currency)
            != (&b.name, &b.tagline, &b.locale, &b.currency)
        {
            parts.push("settings".to_string());
        }
        if (&a.header_links, &a.footer_links) != (&b.header_links, &b.footer_links) {
            parts.push("links".to_string());
        }
        let old: BTreeMap<i64, &SnapshotPage> =
            before.pages.iter().map(|p| (p.page_id, p)).collect();
        let new: BTreeMap<i64, &SnapshotPage> = self.pages.iter().map(|p| (p.page_id, p)).collect();
        for (id, p) in &new {
            match old.get(id) {
                None => parts.push(format!("+{}", p.slug)),
                Some(o) if o.revision_id != p.revision_id || o.slug != p.slug => {
                    parts.push(format!("{} changed", p.slug))
                }
                _ => {}
            }
        }
        for (id, p) in &old {
            if !new.contains_key(id) {
                parts.push(format!("−{}", p.slug));
            }
        }
        if parts.is_empty() {
            "no changes".into()
        } else {
            parts.join(", ")
        }
    }
}

/// The preview host of release `number` of `handle` in `env`.
pub fn preview_host(handle: &str, env: Environment, number: i64) -> String {
    format!("{handle}-{env}-r{number}.{PREVIEW_HOST_SUFFIX}")
}

/// The environment row of a shop, created on first use.
pub async fn environment_row(
    db: &impl ConnectionTrait,
    shop_id: i64,
    env: Environment,
) -> Result<shop_environment::Model, DbErr> {
    let find = || {
        shop_environment::Entity::find()
            .filter(shop_environment::Column::ShopId.eq(shop_id))
            .filter(shop_environment::Column::Environment.eq(env.as_str()))
    };
    if let Some(row) = find().one(db).await? {
        return Ok(row);
    }
    let inserted = shop_environment::ActiveModel {
        shop_id: Set(shop_id),
        environment: Set(env.as_str().into()),
        ..Default::default()
    }
    .insert(db)
    .await;
    match inserted {
        Ok(row) => Ok(row),
        // Created meanwhile by someone else (the pair is unique).
        Err(_) => find()
            .one(db)
            .await?
            .ok_or_else(|| DbErr::RecordNotFound("shop environment".into())),
    }
}

/// The release an environment serves, if it was launched.
pub async fn live_release(
    db: &impl ConnectionTrait,
    shop_id: i64,
    env: Environment,
) -> Result<Option<release::Model>, DbErr> {
    let Some(row) = shop_environment::Entity::find()
        .filter(shop_environment::Column::ShopId.eq(shop_id))
        .filter(shop_environment::Column::Environment.eq(env.as_str()))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let Some(id) = row.live_release_id else {
        return Ok(None);
    };
    release::Entity::find_by_id(id)
        .filter(release::Column::ShopId.eq(shop_id))
        .one(db)
        .await
}

/// What a host serves: the environment it belongs to and the release it shows (a preview
/// host always shows its own release; an environment host its live one; `None` for dev
/// and for an environment never launched).
pub async fn served_by(
    db: &impl ConnectionTrait,
    domain: &shop_domain::Model,
) -> Result<(Environment, Option<release::Model>), DbErr> {
    let env = domain
        .environment
        .as_deref()
        .and_then(Environment::parse)
        .unwrap_or(Environment::Dev);
    if let Some(id) = domain.release_id {
        let release = release::Entity::find_by_id(id)
            .filter(release::Column::ShopId.eq(domain.shop_id))
            .one(db)
            .await?;
        return Ok((env, release));
    }
    if env == Environment::Dev {
        return Ok((env, None));
    }
    Ok((env, live_release(db, domain.shop_id, env).await?))
}
