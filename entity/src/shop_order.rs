//! An order: created `pending` at checkout (holding its stock until `expires_at`), `paid`
//! once the payment provider confirms it, `expired` when the payment never came, `returned`
//! when a rental came back and its deposit was refunded. Amounts in minor units.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "shop_order")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub shop_id: i64,
    /// Random and unguessable: the confirmation page is `/orders/{token}`.
    #[sea_orm(unique)]
    pub token: String,
    pub status: String,
    pub email: String,
    pub currency: String,
    /// Sale lines plus rental days, without deposits.
    pub subtotal: i64,
    pub deposit_total: i64,
    /// What the customer pays: subtotal plus deposits.
    pub total: i64,
    /// The provider that took the payment (`stripe`).
    pub provider: String,
    pub provider_session_id: Option<String>,
    /// The provider's page where the customer pays.
    pub payment_url: Option<String>,
    /// The provider's payment, refunds are made against it.
    pub payment_intent: Option<String>,
    pub cart_id: Option<i64>,
    pub expires_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
    pub paid_at: Option<DateTimeUtc>,
    pub returned_at: Option<DateTimeUtc>,
    pub refund_id: Option<String>,
    /// Refunded so far (the deposits of a returned rental).
    pub refunded: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::order_line::Entity")]
    OrderLine,
}

impl Related<super::order_line::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::OrderLine.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
