//! Payment events remember the signed timestamp of the delivery that was handled, so an
//! exact replay of that delivery is told apart from the provider's own redelivery (which is
//! signed afresh); orders are found by their cart (a second checkout closes the first's
//! payment session).
use crate::index;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(PaymentEvent::Table)
                .add_column(big_integer_null(PaymentEvent::SignedAt))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "idx_shop_order_cart",
            ShopOrder::Table,
            &[ShopOrder::CartId.into_iden()],
            false,
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("idx_shop_order_cart")
                .table(ShopOrder::Table)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(PaymentEvent::Table)
                .drop_column(PaymentEvent::SignedAt)
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum PaymentEvent {
    Table,
    SignedAt,
}

#[derive(DeriveIden)]
enum ShopOrder {
    Table,
    CartId,
}
