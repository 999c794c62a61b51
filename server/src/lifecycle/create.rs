//! `create_from_config`: the one service that turns a configuration into a shop — the
//! wizard's "Create shop", `POST /api/v1/shops` and `vitrine shop create --config` all call
//! it. It queues a create job whose steps each converge the database on the configuration
//! (so running a step twice changes nothing):
//!
//! validate → shop (row, settings; marked `needs_repair` until the job finishes) → owner
//! (the creator, who can then see and retry the job) → domains (per environment) →
//! catalogue (two starter products when the shop has none) → pages (the chosen templates) →
//! publish (every template page not yet live).
//!
//! The same configuration again is a no-op; a changed one is reconciled — unless the shop is
//! live in production (or this server runs as `prod`), where only an explicit update does.

use super::jobs::{self, NewJob};
use super::{LifecycleError, config, release, templates};
use crate::seed::{NewProduct, insert_product};
use crate::state::AppState;
use app::commerce::ProductKind;
use app::lifecycle::{JobKind, JobState, ShopStatus};
use app::shop_config::{Environment, ShopConfig, validate};
use chrono::Utc;
use entity::{job, membership, page, product, shop, shop_domain};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};
use serde::{Deserialize, Serialize};

/// Configurator-created shops one user may own (operators: no limit).
pub const MAX_SHOPS_PER_USER: u64 = 20;

/// What `create_from_config` did.
#[derive(Debug)]
pub enum Created {
    /// A job was queued to create or reconcile the shop.
    Queued(job::Model),
    /// The shop already matches the configuration: nothing to do.
    Unchanged(shop::Model),
}

/// The create job's payload.
#[derive(Debug, Serialize, Deserialize)]
struct Payload {
    config: ShopConfig,
    /// The shop existed: bring it in line instead of creating it.
    reconcile: bool,
}

/// Who asks (`None`: the command line, which may do anything).
#[derive(Clone, Copy, Debug)]
pub struct Caller {
    pub user_id: i64,
    pub operator: bool,
}

/// Creates the shop of `config`, or reconciles the existing shop of its handle with it.
pub async fn create_from_config(
    state: &AppState,
    config: ShopConfig,
    caller: Option<Caller>,
    update: bool,
) -> Result<Created, LifecycleError> {
    let issues = validate(
        &config,
        Environment::Dev,
        &config::secrets_present(&state.config),
    );
    if !issues.is_empty() {
        return Err(LifecycleError::NotReady(
            "the configuration has problems".into(),
            issues,
        ));
    }
    let handle = config.basics.handle.clone();
    let existing = shop::Entity::find()
        .filter(shop::Column::Handle.eq(&handle))
        .one(&state.db)
        .await?;
    if let Some(shop) = &existing {
        if let Some(c) = caller
            && !c.operator
            && crate::auth::role_in(&state.db, c.user_id, shop.id).await?
                != Some(crate::auth::Role::Owner)
        {
            return Err(LifecycleError::Conflict(format!(
                "the handle `{handle}` is taken: choose another"
            )));
        }
        let same = config::stored(shop).as_ref() == Some(&config);
        if same && shop.status == ShopStatus::Active.as_str() {
            return Ok(Created::Unchanged(shop.clone()));
        }
        if !same && !update && protected(state, shop).await? {
            return Err(LifecycleError::Conflict(format!(
                "`{handle}` is live in production: changing it takes an explicit update \
                 (`vitrine shop create --config FILE --update`, or `?update=true`)"
            )));
        }
    } else if let Some(c) = caller
        && !c.operator
    {
        let owned = membership::Entity::find()
            .filter(membership::Column::UserId.eq(c.user_id))
            .filter(membership::Column::Role.eq(crate::auth::Role::Owner.as_str()))
            .count(&state.db)
            .await?;
        if owned >= MAX_SHOPS_PER_USER {
            return Err(LifecycleError::Forbidden(format!(
                "you own {owned} shops already, the most one account may create"
            )));
        }
    }
    if let Some(running) = job::Entity::find()
        .filter(job::Column::ShopHandle.eq(&handle))
        .filter(job::Column::Kind.eq(JobKind::CreateShop.as_str()))
        .filter(job::Column::State.is_in([JobState::Queued.as_str(), JobState::Running.as_str()]))
        .one(&state.db)
        .await?
    {
        return Err(LifecycleError::Conflict(format!(
            "`{handle}` is being created already (job {})",
            running.id
        )));
    }
    let payload = Payload {
        config,
        reconcile: existing.is_some(),
    };
    let job = jobs::enqueue(
        state,
        NewJob {
            kind: JobKind::CreateShop,
            shop_handle: handle,
            shop_id: existing.map(|s| s.id),
            environment: None,
            payload: serde_json::to_value(&payload).expect("payload serialises"),
            created_by: caller.map(|c| c.user_id),
        },
    )
    .await?;
    Ok(Created::Queued(job))
}

/// Whether changing the shop needs an explicit update: it is live in production, or this
/// server is production.
async fn protected(state: &AppState, shop: &shop::Model) -> Result<bool, LifecycleError> {
    Ok(state.config.env == Environment::Prod
        || release::live_release(&state.db, shop.id, Environment::Prod)
            .await?
            .is_some())
}

/// One step of a create job.
pub async fn run_step(
    state: &AppState,
    step: &str,
    job: &job::Model,
) -> Result<String, LifecycleError> {
    let payload: Payload = serde_json::from_str(&job.payload).map_err(|e| {
        LifecycleError::Failed(format!("the job's configuration does not read: {e}"))
    })?;
    let config = &payload.config;
    if step == "validate" {
        return validate_step(state, config, job, payload.reconcile).await;
    }
    if step == "shop" {
        return shop_step(state, config, job).await;
    }
    let shop_id = job
        .shop_id
        .ok_or_else(|| LifecycleError::Failed("the shop step has not run".into()))?;
    let result = match step {
        "domains" => domains_step(state, config, shop_id).await,
        "catalogue" => catalogue_step(state, config, shop_id).await,
        "pages" => pages_step(state, config, shop_id).await,
        "publish" => publish_step(state, config, shop_id, job.created_by).await,
        "owner" => owner_step(state, shop_id, job.created_by).await,
        other => Err(LifecycleError::Failed(format!("unknown step `{other}`"))),
    };
    state.tenants.invalidate_shop(shop_id);
    result
}

async fn validate_step(
    state: &AppState,
    config: &ShopConfig,
    job: &job::Model,
    reconcile: bool,
) -> Result<String, LifecycleError> {
    let issues = validate(
        config,
        Environment::Dev,
        &config::secrets_present(&state.config),
    );
    if let Some(first) = issues.first() {
        return Err(LifecycleError::Failed(format!(
            "{}: {} ({} problem(s))",
            first.field,
            first.message,
            issues.len()
        )));
    }
    let existing = shop::Entity::find()
        .filter(shop::Column::Handle.eq(&config.basics.handle))
        .one(&state.db)
        .await?;
    match existing {
        // Someone else's shop took the handle since the job was queued.
        Some(shop) if !reconcile && Some(shop.id) != job.shop_id => Err(LifecycleError::Failed(
            format!("the handle `{}` was taken meanwhile", shop.handle),
        )),
        _ => Ok("the configuration is valid".into()),
    }
}

/// Creates or updates the shop row from the configuration, marked `needs_repair` until the
/// job succeeds (so nothing half-created is left without that mark).
async fn shop_step(
    state: &AppState,
    config: &ShopConfig,
    job: &job::Model,
) -> Result<String, LifecycleError> {
    let b = &config.basics;
    let json = serde_json::to_string(config).expect("a configuration serialises");
    let theme = serde_json::to_value(&config.theme).expect("theme serialises");
    let txn = state.db.begin().await?;
    let existing = shop::Entity::find()
        .filter(shop::Column::Handle.eq(&b.handle))
        .one(&txn)
        .await?;
    let (shop, verb) = match existing {
        Some(shop) => {
            let mut active: shop::ActiveModel = shop.into();
            active.name = Set(b.name.clone());
            active.tagline = Set(b.tagline.clone());
            active.locale = Set(b.primary_locale.clone());
            active.currency = Set(b.currency.clone());
            active.theme = Set(theme);
            active.config = Set(Some(json));
            active.status = Set(ShopStatus::NeedsRepair.as_str().into());
            (active.update(&txn).await?, "updated")
        }
        None => (
            shop::ActiveModel {
                handle: Set(b.handle.clone()),
                name: Set(b.name.clone()),
                tagline: Set(b.tagline.clone()),
                locale: Set(b.primary_locale.clone()),
                currency: Set(b.currency.clone()),
                theme: Set(theme),
                config: Set(Some(json)),
                status: Set(ShopStatus::NeedsRepair.as_str().into()),
                created_at: Set(Utc::now()),
                ..Default::default()
            }
            .insert(&txn)
            .await?,
            "created",
        ),
    };
    job::Entity::update_many()
        .col_expr(
            job::Column::ShopId,
            sea_orm::sea_query::Expr::value(shop.id),
        )
        .filter(job::Column::Id.eq(job.id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    state.tenants.invalidate_shop(shop.id);
    state.publisher().shop_changed(shop.id);
    Ok(format!("shop `{}` {verb} (id {})", shop.handle, shop.id))
}

/// The shop's hosts per environment: adds what is missing, moves hosts between
/// environments, removes hosts no longer configured (release preview hosts stay).
async fn domains_step(
    state: &AppState,
    config: &ShopConfig,
    shop_id: i64,
) -> Result<String, LifecycleError> {
    let txn = state.db.begin().await?;
    let mine = shop_domain::Entity::find()
        .filter(shop_domain::Column::ShopId.eq(shop_id))
        .filter(shop_domain::Column::ReleaseId.is_null())
        .all(&txn)
        .await?;
    // The shop's canonical host: its first production host, else its first dev host.
    let primary = config
        .domains
        .prod
        .first()
        .or(config.domains.dev.first())
        .or(config.domains.stage.first())
        .cloned();
    let (mut added, mut removed) = (0, 0);
    for d in &mine {
        if !config.domains.all().any(|(_, h)| *h == d.host) {
            shop_domain::Entity::delete_by_id(d.id).exec(&txn).await?;
            removed += 1;
        }
    }
    for (env, host) in config.domains.all() {
        let is_primary = primary.as_deref() == Some(host.as_str());
        match shop_domain::Entity::find()
            .filter(shop_domain::Column::Host.eq(host))
            .one(&txn)
            .await?
        {
            Some(d) if d.shop_id != shop_id => {
                return Err(LifecycleError::Failed(format!(
                    "the host `{host}` belongs to another shop"
                )));
            }
            Some(d) => {
                let mut active: shop_domain::ActiveModel = d.into();
                active.environment = Set(Some(env.as_str().into()));
                active.is_primary = Set(is_primary);
                active.update(&txn).await?;
            }
            None => {
                shop_domain::ActiveModel {
                    shop_id: Set(shop_id),
                    host: Set(host.clone()),
                    is_primary: Set(is_primary),
                    verified: Set(true),
                    created_at: Set(Utc::now()),
                    environment: Set(Some(env.as_str().into())),
                    release_id: Set(None),
                    ..Default::default()
                }
                .insert(&txn)
                .await?;
                added += 1;
            }
        }
    }
    txn.commit().await?;
    Ok(format!(
        "{} hosts ({added} added, {removed} removed)",
        config.domains.all().count()
    ))
}

/// Two starter products (one for sale, one to rent) when the shop has none, so the shop's
/// pages have something to show and the smoke suite something to buy.
async fn catalogue_step(
    state: &AppState,
    config: &ShopConfig,
    shop_id: i64,
) -> Result<String, LifecycleError> {
    let count = product::Entity::find()
        .filter(product::Column::ShopId.eq(shop_id))
        .count(&state.db)
        .await?;
    if count > 0 {
        return Ok(format!("{count} products already"));
    }
    let starters = [
        NewProduct {
            handle: "sample-product",
            title: "Sample product",
            description: "A product to show how the shop looks. Replace it with your own.",
            featured: true,
            kind: ProductKind::Sale,
            image: "/images/products/ceramic-mug.svg".into(),
            variants: vec![("Standard", 2400, 50, 0)],
        },
        NewProduct {
            handle: "sample-rental",
            title: "Sample rental",
            description: "Something to rent by the day, with a refundable deposit.",
            featured: true,
            kind: ProductKind::Rental,
            image: "/images/products/cedar-canoe.svg".into(),
            variants: vec![("Standard", 3500, 3, 10000)],
        },
    ];
    let txn = state.db.begin().await?;
    for (position, p) in starters.iter().enumerate() {
        insert_product(&txn, shop_id, &config.basics.currency, position as i32, p).await?;
    }
    txn.commit().await?;
    Ok("2 starter products added".into())
}

/// The page of a template, found by its type (and slug for content pages).
async fn template_page(
    state: &AppState,
    shop_id: i64,
    template: &app::shop_config::PageTemplate,
) -> Result<Option<page::Model>, LifecycleError> {
    let mut query = page::Entity::find()
        .filter(page::Column::ShopId.eq(shop_id))
        .filter(page::Column::PageType.eq(template.page_type));
    if template.page_type == "page" {
        query = query.filter(page::Column::Slug.eq(template.slug));
    }
    Ok(query.order_by_asc(page::Column::Id).one(&state.db).await?)
}

/// A page for every chosen template the shop lacks (pages are never deleted here: they may
/// hold an editor's work).
async fn pages_step(
    state: &AppState,
    config: &ShopConfig,
    shop_id: i64,
) -> Result<String, LifecycleError> {
    let mut created = Vec::new();
    for template in config.pages.chosen() {
        if template_page(state, shop_id, template).await?.is_none() {
            page::ActiveModel::new_page(shop_id, template.slug, template.title, template.page_type)
                .insert(&state.db)
                .await?;
            created.push(template.key);
        }
    }
    Ok(if created.is_empty() {
        "every page exists".into()
    } else {
        format!("created {}", created.join(", "))
    })
}

/// Publishes the template of every chosen page that has never been published.
async fn publish_step(
    state: &AppState,
    config: &ShopConfig,
    shop_id: i64,
    by: Option<i64>,
) -> Result<String, LifecycleError> {
    let publisher = state.publisher();
    let mut published = Vec::new();
    for template in config.pages.chosen() {
        let Some(page) = template_page(state, shop_id, template).await? else {
            return Err(LifecycleError::Failed(format!(
                "the {} page is missing",
                template.key
            )));
        };
        if page.live_revision_id.is_some() {
            continue;
        }
        let nodes = templates::blocks(template, config).map_err(LifecycleError::Failed)?;
        publisher
            .publish_nodes(shop_id, page.id, &nodes, by)
            .await
            .map_err(|e| LifecycleError::Failed(format!("publishing {}: {e}", template.key)))?;
        published.push(template.key);
    }
    Ok(if published.is_empty() {
        "every page is live".into()
    } else {
        format!("published {}", published.join(", "))
    })
}

async fn owner_step(
    state: &AppState,
    shop_id: i64,
    user_id: Option<i64>,
) -> Result<String, LifecycleError> {
    let Some(user_id) = user_id else {
        return Ok("created from the command line: no owner to add".into());
    };
    crate::auth::set_role(&state.db, user_id, shop_id, crate::auth::Role::Owner).await?;
    Ok("the creator is the shop's owner".into())
}
