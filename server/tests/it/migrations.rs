//! Migrations apply on an empty database, and roll back and forth cleanly.

use crate::common;

use migration::SchemaManager;
use migration::{Migrator, MigratorTrait};

#[tokio::test]
async fn migrations_apply_on_an_empty_database_and_roll_back() {
    let app = common::TestApp::spawn().await;
    for t in [
        "shop",
        "shop_domain",
        "page",
        "published_page",
        "published_block",
        "product",
        "product_variant",
    ] {
        assert!(has_table(&app.db, t).await, "missing table {t}");
    }
    Migrator::down(&app.db, None).await.expect("down");
    assert!(!has_table(&app.db, "shop").await);
    Migrator::up(&app.db, None).await.expect("up again");
    assert!(has_table(&app.db, "published_block").await);
    // Applying again is a no-op.
    server::db::migrate(&app.db).await.expect("idempotent");
}

/// Asks the database's own catalogue (SQLite's or PostgreSQL's), through SeaORM.
async fn has_table(db: &sea_orm::DatabaseConnection, table: &str) -> bool {
    SchemaManager::new(db)
        .has_table(table)
        .await
        .expect("tables")
}
