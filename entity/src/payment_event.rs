//! A payment provider's event already handled: a replayed or duplicated webhook finds its
//! id here and changes nothing.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payment_event")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub event_id: String,
    pub kind: String,
    pub order_id: Option<i64>,
    pub received_at: DateTimeUtc,
    /// The `t=` of the delivery that was handled (an exact replay carries the same one).
    pub signed_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
