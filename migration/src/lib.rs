//! Database migrations, applied at start-up and by `vitrine migrate`.
pub use sea_orm_migration::prelude::*;

mod m20261123_000001_initial;
mod m20261123_000002_editors_and_drafts;
mod m20261123_000003_preview_links;
mod m20261123_000004_scheduled_publishing;
mod m20261124_000005_session_user;
mod m20261125_000006_commerce;
mod m20261126_000007_lifecycle;
mod m20261204_000008_webhook_replays;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_initial::Migration),
            Box::new(m20261123_000002_editors_and_drafts::Migration),
            Box::new(m20261123_000003_preview_links::Migration),
            Box::new(m20261123_000004_scheduled_publishing::Migration),
            Box::new(m20261124_000005_session_user::Migration),
            Box::new(m20261125_000006_commerce::Migration),
            Box::new(m20261126_000007_lifecycle::Migration),
            Box::new(m20261204_000008_webhook_replays::Migration),
        ]
    }
}

/// Creates an index on `cols` of `table`.
pub(crate) async fn index(
    m: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden,
    cols: &[DynIden],
    unique: bool,
) -> Result<(), DbErr> {
    let mut idx = Index::create();
    idx.name(name).table(table);
    for col in cols {
        idx.col(col.clone());
    }
    if unique {
        idx.unique();
    }
    m.create_index(idx.to_owned()).await
}
