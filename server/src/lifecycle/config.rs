//! A shop's configuration on the server: the secrets check, a shop's stored configuration
//! (and one derived from its rows for shops from before the configurator), the links it
//! puts in the header and footer, and the configurator's per-user drafts.

use crate::config::Config;
use app::lifecycle::{ConfigDraftView, EnvironmentChecks};
use app::shop_config::{Environment, Link, SecretsPresent, ShopConfig, checklist};
use app::theme::ThemeTokens;
use entity::{config_draft, page, shop, shop_domain};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};

/// Which provider secrets this server has (names only, never values).
pub fn secrets_present(config: &Config) -> SecretsPresent {
    let mut present = Vec::new();
    if config.stripe_secret_key().is_some() {
        present.push("STRIPE_SECRET_KEY".to_string());
    }
    if config.stripe_webhook_secret().is_some() {
        present.push("STRIPE_WEBHOOK_SECRET".to_string());
    }
    SecretsPresent { present }
}

/// The header and footer links a shop configured (empty: the storefront's defaults).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Links {
    pub header: Vec<Link>,
    pub footer: Vec<Link>,
}

/// The links of `shop`'s stored configuration.
pub fn links_of(shop: &shop::Model) -> Links {
    stored(shop)
        .map(|c| Links {
            header: c.navigation.header,
            footer: c.navigation.footer,
        })
        .unwrap_or_default()
}

/// The configuration stored on `shop`, if it has one that reads.
pub fn stored(shop: &shop::Model) -> Option<ShopConfig> {
    ShopConfig::from_json(shop.config.as_deref()?).ok()
}

/// The shop's configuration: the stored one, or for a shop from before the configurator one
/// read off its rows (what `vitrine shop export` writes for it).
pub async fn of_shop(db: &impl ConnectionTrait, shop: &shop::Model) -> Result<ShopConfig, DbErr> {
    if let Some(config) = stored(shop) {
        return Ok(config);
    }
    let mut config = ShopConfig::default();
    config.basics.name = shop.name.clone();
    config.basics.handle = shop.handle.clone();
    config.basics.tagline = shop.tagline.clone();
    config.basics.primary_locale = shop.locale.clone();
    config.basics.currency = shop.currency.clone();
    config.theme = ThemeTokens::from_json(&shop.theme);
    let pages = page::Entity::find()
        .filter(page::Column::ShopId.eq(shop.id))
        .all(db)
        .await?;
    for template in app::shop_config::PAGE_TEMPLATES {
        let present = pages.iter().any(|p| {
            p.page_type == template.page_type
                && (template.page_type != "page" || p.slug == template.slug)
        });
        config.pages.set(template.key, present);
    }
    let domains = shop_domain::Entity::find()
        .filter(shop_domain::Column::ShopId.eq(shop.id))
        .filter(shop_domain::Column::ReleaseId.is_null())
        .order_by_asc(shop_domain::Column::Id)
        .all(db)
        .await?;
    for d in domains {
        let env = d
            .environment
            .as_deref()
            .and_then(Environment::parse)
            .unwrap_or(Environment::Dev);
        config.domains.hosts_mut(env).push(d.host);
    }
    Ok(config)
}

/// The checklist of `config` for every environment, as the configurator shows it.
pub fn checks(config: &ShopConfig, secrets: &SecretsPresent) -> Vec<EnvironmentChecks> {
    Environment::ALL
        .into_iter()
        .map(|environment| {
            let checks = checklist(config, environment, secrets);
            let ready = checks.iter().all(|c| c.problem.is_none());
            EnvironmentChecks {
                environment,
                checks,
                ready,
            }
        })
        .collect()
}

/// Whether `handle` is already a shop's.
pub async fn handle_taken(db: &impl ConnectionTrait, handle: &str) -> Result<bool, DbErr> {
    Ok(!handle.is_empty()
        && shop::Entity::find()
            .filter(shop::Column::Handle.eq(handle))
            .one(db)
            .await?
            .is_some())
}

/// The draft's view: the configuration with its checks.
pub async fn draft_view(
    db: &impl ConnectionTrait,
    config: ShopConfig,
    updated_at: Option<chrono::DateTime<chrono::Utc>>,
    secrets: SecretsPresent,
) -> Result<ConfigDraftView, DbErr> {
    Ok(ConfigDraftView {
        checks: checks(&config, &secrets),
        handle_taken: handle_taken(db, &config.basics.handle).await?,
        config,
        updated_at: updated_at.map(|t| t.to_rfc3339()),
        secrets,
    })
}

/// The user's saved draft (a fresh configuration when none or when it no longer reads).
pub async fn load_draft(
    db: &impl ConnectionTrait,
    user_id: i64,
) -> Result<(ShopConfig, Option<chrono::DateTime<chrono::Utc>>), DbErr> {
    let row = config_draft::Entity::find()
        .filter(config_draft::Column::UserId.eq(user_id))
        .one(db)
        .await?;
    Ok(match row {
        Some(r) => (
            ShopConfig::from_json(&r.config).unwrap_or_default(),
            Some(r.updated_at),
        ),
        None => (ShopConfig::default(), None),
    })
}

/// Saves the user's draft (one per user, replaced).
pub async fn save_draft(
    db: &impl ConnectionTrait,
    user_id: i64,
    config: &ShopConfig,
) -> Result<chrono::DateTime<chrono::Utc>, DbErr> {
    let now = chrono::Utc::now();
    let json = serde_json::to_string(config).map_err(|e| DbErr::Custom(e.to_string()))?;
    let existing = config_draft::Entity::find()
        .filter(config_draft::Column::UserId.eq(user_id))
        .one(db)
        .await?;
    match existing {
        Some(row) => {
            let mut row: config_draft::ActiveModel = row.into();
            row.config = Set(json);
            row.updated_at = Set(now);
            row.update(db).await?;
        }
        None => {
            config_draft::ActiveModel {
                user_id: Set(user_id),
                config: Set(json),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(db)
            .await?;
        }
    }
    Ok(now)
}

pub async fn delete_draft(db: &impl ConnectionTrait, user_id: i64) -> Result<(), DbErr> {
    config_draft::Entity::delete_many()
        .filter(config_draft::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}
