//! The command line: `vitrine [serve]`, `vitrine migrate`, `vitrine seed --sample`.

use crate::config::{Config, Environment};
use crate::state::AppState;
use crate::{db, http, seed};
use axum::serve::ListenerExt;
use clap::{Parser, Subcommand};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "vitrine",
    version,
    about = "Vitrine: a multi-tenant storefront CMS"
)]
pub struct Cli {
    #[command(flatten)]
    pub config: Config,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the storefront and the admin (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage editor accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Load data into the database.
    Seed {
        /// The sample shop "Harbor & Pine" with pages and products (skipped if present).
        #[arg(long)]
        sample: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user (or reset the password of an existing one) with a role in a shop.
    Create {
        #[arg(long)]
        email: String,
        /// At least 8 characters.
        #[arg(long)]
        password: String,
        /// The shop's handle.
        #[arg(long)]
        shop: String,
        /// owner, editor or viewer.
        #[arg(long, default_value = "editor")]
        role: String,
        /// Display name (defaults to the email).
        #[arg(long, default_value = "")]
        name: String,
    },
}

pub async fn main() -> ExitCode {
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    init_tracing(cli.config.env);
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    let config = cli.config;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Migrate => {
            db::connect_and_migrate(&config.database_url).await?;
            println!("migrations applied");
        }
        Command::Seed { sample } => {
            if !sample {
                return Err("nothing to seed: pass --sample".into());
            }
            let db = db::connect_and_migrate(&config.database_url).await?;
            let state = AppState::new(db, config);
            let report = seed::sample(&state).await?;
            println!("{report}");
        }
        Command::User {
            command:
                UserCommand::Create {
                    email,
                    password,
                    shop,
                    role,
                    name,
                },
        } => {
            let db = db::connect_and_migrate(&config.database_url).await?;
            let role =
                crate::auth::Role::parse(&role).ok_or("role must be owner, editor or viewer")?;
            let shop = entity::shop::Entity::find()
                .filter(entity::shop::Column::Handle.eq(shop.as_str()))
                .one(&db)
                .await?
                .ok_or_else(|| format!("no shop with handle `{shop}`"))?;
            let user =
                crate::auth::upsert_user_with_role(&db, &email, &password, &name, shop.id, role)
                    .await?;
            println!(
                "user {} is {} of {}",
                user.email,
                role.as_str(),
                shop.handle
            );
        }
        Command::Serve => serve(config).await?,
    }
    Ok(())
}

async fn serve(config: Config) -> Result<(), Box<dyn std::error::Error>> {
    // Outside dev this refuses to start without configured keys; in dev it generates one.
    let (preview_keys, key_source) = config.preview_keyring()?;
    println!("preview links: {key_source}");
    let db = db::connect_and_migrate(&config.database_url).await?;
    let addr = config.addr;
    let state = AppState::new(db, config).with_preview_keys(preview_keys);
    state.hub.spawn_sweeper();
    crate::auth::session_store::DbSessionStore::new(state.db.clone())
        .spawn_sweeper(crate::auth::session_store::SWEEP_PERIOD);
    crate::publish::schedule::spawn(state.clone(), std::time::Duration::from_secs(5));
    let hub = state.hub.clone();
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let port = listener.local_addr()?.port();
    // Without TCP_NODELAY a response written in two parts (headers, then a streamed file)
    // waits ~40 ms for the client's delayed ACK.
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::warn!(error = %e, "could not set TCP_NODELAY");
        }
    });
    tracing::info!(%addr, "listening");
    println!(
        "Vitrine is serving on http://{addr}  (sample shop: http://localhost:{port} and http://demo.localhost:{port})"
    );
    let app = http::router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            // Close collaborators' sockets so the server can stop; drafts are already stored.
            hub.shutdown().await;
        })
        .await?;
    tracing::info!("shut down");
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

fn init_tracing(env: Environment) {
    use tracing_subscriber::{EnvFilter, fmt};
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let builder = fmt().with_env_filter(filter).with_target(false);
    // Structured JSON outside development; compact lines while developing.
    let _ = if env == Environment::Dev {
        builder.compact().try_init()
    } else {
        builder.json().try_init()
    };
}
