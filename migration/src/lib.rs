//! Database migrations, applied at start-up and by `vitrine migrate`.
pub use sea_orm_migration::prelude::*;

mod m20261123_000001_initial;
mod m20261123_000002_editors_and_drafts;
mod m20261123_000003_preview_links;
mod m20261123_000004_scheduled_publishing;
mod m20261124_000005_session_user;

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
        ]
    }
}
