//! Commerce: products are sold or rented (a rental variant's price is per day, with a
//! refundable deposit), server-side carts, orders with their lines, and the payment events
//! already handled (so a replayed webhook changes nothing).
use crate::index;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Product::Table)
                .add_column(string(Product::Kind).default("sale"))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(ProductVariant::Table)
                .add_column(big_integer(ProductVariant::Deposit).default(0))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Cart::Table)
                .col(pk_auto(Cart::Id).big_integer())
                .col(big_integer(Cart::ShopId))
                // SHA-256 of the cookie's random id: the database never holds a usable id.
                .col(string_uniq(Cart::TokenHash))
                .col(string_null(Cart::Flash))
                .col(timestamp_with_time_zone(Cart::CreatedAt))
                .col(timestamp_with_time_zone(Cart::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Cart::Table, Cart::ShopId)
                        .to(Shop::Table, Shop::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        index(
            m,
            "idx_cart_updated",
            Cart::Table,
            &[Cart::UpdatedAt.into_iden()],
            false,
        )
        .await?;

        m.create_table(
            Table::create()
                .table(CartLine::Table)
                .col(pk_auto(CartLine::Id).big_integer())
                .col(big_integer(CartLine::CartId))
                .col(big_integer(CartLine::ShopId))
                .col(big_integer(CartLine::VariantId))
                .col(integer(CartLine::Quantity))
                .col(date_null(CartLine::StartDate))
                .col(date_null(CartLine::EndDate))
                .col(timestamp_with_time_zone(CartLine::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(CartLine::Table, CartLine::CartId)
                        .to(Cart::Table, Cart::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(CartLine::Table, CartLine::VariantId)
                        .to(ProductVariant::Table, ProductVariant::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        index(
            m,
            "idx_cart_line_cart",
            CartLine::Table,
            &[CartLine::CartId.into_iden()],
            false,
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ShopOrder::Table)
                .col(pk_auto(ShopOrder::Id).big_integer())
                .col(big_integer(ShopOrder::ShopId))
                // Random, unguessable: the customer's confirmation page is `/orders/{token}`.
                .col(string_uniq(ShopOrder::Token))
                .col(string(ShopOrder::Status))
                .col(string(ShopOrder::Email))
                .col(string(ShopOrder::Currency))
                .col(big_integer(ShopOrder::Subtotal))
                .col(big_integer(ShopOrder::DepositTotal))
                .col(big_integer(ShopOrder::Total))
                .col(string(ShopOrder::Provider))
                .col(string_null(ShopOrder::ProviderSessionId))
                .col(string_null(ShopOrder::PaymentUrl))
                .col(string_null(ShopOrder::PaymentIntent))
                .col(big_integer_null(ShopOrder::CartId))
                // Until then a pending order holds its stock; after it, the hold is released.
                .col(timestamp_with_time_zone(ShopOrder::ExpiresAt))
                .col(timestamp_with_time_zone(ShopOrder::CreatedAt))
                .col(timestamp_with_time_zone_null(ShopOrder::PaidAt))
                .col(timestamp_with_time_zone_null(ShopOrder::ReturnedAt))
                .col(string_null(ShopOrder::RefundId))
                .col(big_integer(ShopOrder::Refunded).default(0))
                .foreign_key(
                    ForeignKey::create()
                        .from(ShopOrder::Table, ShopOrder::ShopId)
                        .to(Shop::Table, Shop::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        index(
            m,
            "idx_shop_order_shop_created",
            ShopOrder::Table,
            &[
                ShopOrder::ShopId.into_iden(),
                ShopOrder::CreatedAt.into_iden(),
            ],
            false,
        )
        .await?;
        index(
            m,
            "idx_shop_order_status",
            ShopOrder::Table,
            &[
                ShopOrder::Status.into_iden(),
                ShopOrder::ExpiresAt.into_iden(),
            ],
            false,
        )
        .await?;
        index(
            m,
            "idx_shop_order_session",
            ShopOrder::Table,
            &[ShopOrder::ProviderSessionId.into_iden()],
            false,
        )
        .await?;

        m.create_table(
            Table::create()
                .table(OrderLine::Table)
                .col(pk_auto(OrderLine::Id).big_integer())
                .col(big_integer(OrderLine::OrderId))
                .col(big_integer(OrderLine::ShopId))
                .col(big_integer(OrderLine::VariantId))
                .col(string(OrderLine::Kind))
                .col(string(OrderLine::ProductHandle))
                .col(string(OrderLine::ProductTitle))
                .col(string(OrderLine::VariantTitle))
                .col(big_integer(OrderLine::UnitPrice))
                .col(integer(OrderLine::Quantity))
                .col(date_null(OrderLine::StartDate))
                .col(date_null(OrderLine::EndDate))
                .col(integer(OrderLine::Days).default(0))
                .col(big_integer(OrderLine::Deposit).default(0))
                .col(big_integer(OrderLine::LineTotal))
                .foreign_key(
                    ForeignKey::create()
                        .from(OrderLine::Table, OrderLine::OrderId)
                        .to(ShopOrder::Table, ShopOrder::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        index(
            m,
            "idx_order_line_order",
            OrderLine::Table,
            &[OrderLine::OrderId.into_iden()],
            false,
        )
        .await?;
        // Availability looks up a variant's lines (and a rental's dates).
        index(
            m,
            "idx_order_line_variant",
            OrderLine::Table,
            &[
                OrderLine::VariantId.into_iden(),
                OrderLine::StartDate.into_iden(),
            ],
            false,
        )
        .await?;

        m.create_table(
            Table::create()
                .table(PaymentEvent::Table)
                .col(pk_auto(PaymentEvent::Id).big_integer())
                .col(string_uniq(PaymentEvent::EventId))
                .col(string(PaymentEvent::Kind))
                .col(big_integer_null(PaymentEvent::OrderId))
                .col(timestamp_with_time_zone(PaymentEvent::ReceivedAt))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            PaymentEvent::Table.into_iden(),
            OrderLine::Table.into_iden(),
            ShopOrder::Table.into_iden(),
            CartLine::Table.into_iden(),
            Cart::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        m.alter_table(
            Table::alter()
                .table(ProductVariant::Table)
                .drop_column(ProductVariant::Deposit)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Product::Table)
                .drop_column(Product::Kind)
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum Shop {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Product {
    Table,
    Kind,
}

#[derive(DeriveIden)]
enum ProductVariant {
    Table,
    Id,
    Deposit,
}

#[derive(DeriveIden)]
enum Cart {
    Table,
    Id,
    ShopId,
    TokenHash,
    Flash,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CartLine {
    Table,
    Id,
    CartId,
    ShopId,
    VariantId,
    Quantity,
    StartDate,
    EndDate,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ShopOrder {
    Table,
    Id,
    ShopId,
    Token,
    Status,
    Email,
    Currency,
    Subtotal,
    DepositTotal,
    Total,
    Provider,
    ProviderSessionId,
    PaymentUrl,
    PaymentIntent,
    CartId,
    ExpiresAt,
    CreatedAt,
    PaidAt,
    ReturnedAt,
    RefundId,
    Refunded,
}

#[derive(DeriveIden)]
enum OrderLine {
    Table,
    Id,
    OrderId,
    ShopId,
    VariantId,
    Kind,
    ProductHandle,
    ProductTitle,
    VariantTitle,
    UnitPrice,
    Quantity,
    StartDate,
    EndDate,
    Days,
    Deposit,
    LineTotal,
}

#[derive(DeriveIden)]
enum PaymentEvent {
    Table,
    Id,
    EventId,
    Kind,
    OrderId,
    ReceivedAt,
}
