//! Shop lifecycle: shops created from a configuration (kept on the shop, and a per-user
//! draft while the configurator runs), background jobs with their events, numbered
//! releases per environment with the environment's live pointer, hosts per environment,
//! and platform operators.
use crate::index;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        for mut column in [
            string(Shop::Status).default("active").to_owned(),
            text_null(Shop::Config),
        ] {
            m.alter_table(
                Table::alter()
                    .table(Shop::Table)
                    .add_column(&mut column)
                    .to_owned(),
            )
            .await?;
        }
        // `None`: a host from before environments, which follows the published pages (dev).
        for mut column in [
            string_null(ShopDomain::Environment),
            big_integer_null(ShopDomain::ReleaseId),
        ] {
            m.alter_table(
                Table::alter()
                    .table(ShopDomain::Table)
                    .add_column(&mut column)
                    .to_owned(),
            )
            .await?;
        }
        m.alter_table(
            Table::alter()
                .table(User::Table)
                .add_column(boolean(User::IsOperator).default(false))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ConfigDraft::Table)
                .col(pk_auto(ConfigDraft::Id).big_integer())
                .col(big_integer_uniq(ConfigDraft::UserId))
                .col(text(ConfigDraft::Config))
                .col(timestamp_with_time_zone(ConfigDraft::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(ConfigDraft::Table, ConfigDraft::UserId)
                        .to(User::Table, User::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Job::Table)
                .col(pk_auto(Job::Id).big_integer())
                .col(string(Job::Kind))
                .col(string(Job::State))
                .col(string(Job::ShopHandle))
                // No foreign key: a create job exists before its shop.
                .col(big_integer_null(Job::ShopId))
                .col(string_null(Job::Environment))
                // What the job works on (the configuration, the release to roll back to).
                .col(text(Job::Payload))
                // [{name, state}] in order.
                .col(text(Job::Steps))
                .col(string_null(Job::FailedStep))
                .col(text_null(Job::Error))
                .col(integer(Job::Attempts).default(0))
                .col(string(Job::OperationId))
                .col(big_integer_null(Job::ReleaseId))
                .col(big_integer_null(Job::CreatedBy))
                .col(timestamp_with_time_zone(Job::CreatedAt))
                .col(timestamp_with_time_zone_null(Job::StartedAt))
                // A running job's worker renews this; a stale one was interrupted.
                .col(timestamp_with_time_zone_null(Job::HeartbeatAt))
                .col(timestamp_with_time_zone_null(Job::FinishedAt))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "idx_job_state",
            Job::Table,
            &[Job::State.into_iden(), Job::Id.into_iden()],
            false,
        )
        .await?;
        index(
            m,
            "idx_job_shop",
            Job::Table,
            &[Job::ShopHandle.into_iden(), Job::Id.into_iden()],
            false,
        )
        .await?;

        m.create_table(
            Table::create()
                .table(JobEvent::Table)
                .col(pk_auto(JobEvent::Id).big_integer())
                .col(big_integer(JobEvent::JobId))
                .col(timestamp_with_time_zone(JobEvent::At))
                .col(string(JobEvent::Step))
                .col(string(JobEvent::Level))
                .col(text(JobEvent::Message))
                .col(string(JobEvent::OperationId))
                .foreign_key(
                    ForeignKey::create()
                        .from(JobEvent::Table, JobEvent::JobId)
                        .to(Job::Table, Job::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        index(
            m,
            "idx_job_event_job",
            JobEvent::Table,
            &[JobEvent::JobId.into_iden(), JobEvent::Id.into_iden()],
            false,
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Release::Table)
                .col(pk_auto(Release::Id).big_integer())
                .col(big_integer(Release::ShopId))
                .col(string(Release::Environment))
                .col(big_integer(Release::Number))
                .col(string(Release::State))
                // Theme, settings and every page's live revision, as served.
                .col(text(Release::Snapshot))
                .col(string(Release::PreviewHost))
                .col(string_null(Release::SmokeSummary))
                .col(text_null(Release::SmokeOutput))
                .col(text(Release::Changes))
                .col(big_integer_null(Release::CreatedBy))
                .col(timestamp_with_time_zone(Release::CreatedAt))
                .col(timestamp_with_time_zone_null(Release::LaunchedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Release::Table, Release::ShopId)
                        .to(Shop::Table, Shop::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        index(
            m,
            "idx_release_number",
            Release::Table,
            &[
                Release::ShopId.into_iden(),
                Release::Environment.into_iden(),
                Release::Number.into_iden(),
            ],
            true,
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ShopEnvironment::Table)
                .col(pk_auto(ShopEnvironment::Id).big_integer())
                .col(big_integer(ShopEnvironment::ShopId))
                .col(string(ShopEnvironment::Environment))
                // The release customers see; switching it is one update.
                .col(big_integer_null(ShopEnvironment::LiveReleaseId))
                .col(timestamp_with_time_zone_null(ShopEnvironment::LastSmokeAt))
                .col(boolean_null(ShopEnvironment::LastSmokePassed))
                .col(timestamp_with_time_zone_null(
                    ShopEnvironment::LastSmokePassedAt,
                ))
                .col(string_null(ShopEnvironment::LastSmokeSummary))
                // The last launch or rollback that failed, until one succeeds.
                .col(text_null(ShopEnvironment::LastFailure))
                .col(timestamp_with_time_zone_null(
                    ShopEnvironment::LastFailureAt,
                ))
                .foreign_key(
                    ForeignKey::create()
                        .from(ShopEnvironment::Table, ShopEnvironment::ShopId)
                        .to(Shop::Table, Shop::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        index(
            m,
            "idx_shop_environment",
            ShopEnvironment::Table,
            &[
                ShopEnvironment::ShopId.into_iden(),
                ShopEnvironment::Environment.into_iden(),
            ],
            true,
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ShopEnvironment::Table.into_iden(),
            Release::Table.into_iden(),
            JobEvent::Table.into_iden(),
            Job::Table.into_iden(),
            ConfigDraft::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        m.alter_table(
            Table::alter()
                .table(User::Table)
                .drop_column(User::IsOperator)
                .to_owned(),
        )
        .await?;
        for column in [ShopDomain::ReleaseId, ShopDomain::Environment] {
            m.alter_table(
                Table::alter()
                    .table(ShopDomain::Table)
                    .drop_column(column)
                    .to_owned(),
            )
            .await?;
        }
        for column in [Shop::Config, Shop::Status] {
            m.alter_table(
                Table::alter()
                    .table(Shop::Table)
                    .drop_column(column)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Shop {
    Table,
    Id,
    Status,
    Config,
}

#[derive(DeriveIden)]
enum ShopDomain {
    Table,
    Environment,
    ReleaseId,
}

#[derive(DeriveIden)]
enum User {
    Table,
    Id,
    IsOperator,
}

#[derive(DeriveIden)]
enum ConfigDraft {
    Table,
    Id,
    UserId,
    Config,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Job {
    Table,
    Id,
    Kind,
    State,
    ShopHandle,
    ShopId,
    Environment,
    Payload,
    Steps,
    FailedStep,
    Error,
    Attempts,
    OperationId,
    ReleaseId,
    CreatedBy,
    CreatedAt,
    StartedAt,
    HeartbeatAt,
    FinishedAt,
}

#[derive(DeriveIden)]
enum JobEvent {
    Table,
    Id,
    JobId,
    At,
    Step,
    Level,
    Message,
    OperationId,
}

#[derive(DeriveIden)]
enum Release {
    Table,
    Id,
    ShopId,
    Environment,
    Number,
    State,
    Snapshot,
    PreviewHost,
    SmokeSummary,
    SmokeOutput,
    Changes,
    CreatedBy,
    CreatedAt,
    LaunchedAt,
}

#[derive(DeriveIden)]
enum ShopEnvironment {
    Table,
    Id,
    ShopId,
    Environment,
    LiveReleaseId,
    LastSmokeAt,
    LastSmokePassed,
    LastSmokePassedAt,
    LastSmokeSummary,
    LastFailure,
    LastFailureAt,
}
