//! Migrations apply on an empty database, and roll back and forth cleanly.

use crate::common;

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, Statement};

#[tokio::test]
async fn migrations_apply_on_an_empty_database_and_roll_back() {
    let app = common::TestApp::spawn().await;
    let tables = table_names(&app.db).await;
    for t in [
        "shop",
        "shop_domain",
        "page",
        "published_page",
        "published_block",
        "product",
        "product_variant",
    ] {
        assert!(
            tables.contains(&t.to_string()),
            "missing table {t}: {tables:?}"
        );
    }
    Migrator::down(&app.db, None).await.expect("down");
    assert!(!table_names(&app.db).await.contains(&"shop".to_string()));
    Migrator::up(&app.db, None).await.expect("up again");
    assert!(
        table_names(&app.db)
            .await
            .contains(&"published_block".to_string())
    );
    // Applying again is a no-op.
    server::db::migrate(&app.db).await.expect("idempotent");
}

async fn table_names(db: &sea_orm::DatabaseConnection) -> Vec<String> {
    db.query_all_raw(Statement::from_string(
        db.get_database_backend(),
        "SELECT name FROM sqlite_master WHERE type='table'",
    ))
    .await
    .expect("tables")
    .into_iter()
    .map(|r| r.try_get::<String>("", "name").expect("name"))
    .collect()
}
