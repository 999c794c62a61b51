//! The command line: `vitrine [serve]`, `vitrine migrate`, `vitrine seed --sample`,
//! `vitrine user create`, `vitrine smoke`, `vitrine stub-payments`.

use crate::config::{Config, Environment};
use crate::payments::{Payments, stripe::Stripe, stub};
use crate::state::AppState;
use crate::{db, http, seed};
use axum::serve::ListenerExt;
use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
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
    /// Create shops from a configuration, export them, launch and roll them back.
    Shop {
        #[command(subcommand)]
        command: ShopCommand,
    },
    /// Load data into the database.
    Seed {
        /// The sample shop "Harbor & Pine" with pages and products (skipped if present).
        #[arg(long)]
        sample: bool,
    },
    /// Run the shop's smoke suite against a running server: one line per check, a summary,
    /// and a non-zero exit status when a check fails.
    Smoke {
        /// The shop's handle.
        #[arg(long)]
        shop: String,
        /// Where the server listens (default: http://VITRINE_ADDR).
        #[arg(long)]
        base: Option<String>,
        /// An owner or editor of the shop, to record the rental's return (default for the
        /// sample shop in `dev`: its development login).
        #[arg(long, env = "VITRINE_SMOKE_EMAIL")]
        email: Option<String>,
        #[arg(long, env = "VITRINE_SMOKE_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
    /// Run the Stripe-compatible test payment provider on its own (no real money moves).
    /// It takes the key in STRIPE_SECRET_KEY and signs webhooks with STRIPE_WEBHOOK_SECRET;
    /// either is generated and printed when unset. Point a server at it with
    /// VITRINE_STRIPE_API_BASE=http://ADDR and the same two secrets.
    StubPayments {
        /// Address the stub listens on. (Only this flag counts: VITRINE_ADDR is the server's.)
        #[arg(long, default_value = STUB_ADDR)]
        addr: std::net::SocketAddr,
        /// Where to POST signed events, e.g. http://127.0.0.1:3000/api/webhooks/stripe.
        #[arg(long)]
        webhook_url: Option<String>,
        /// Where browsers reach the stub, for payment page links (default: http://ADDR).
        /// (Only this flag counts: VITRINE_PUBLIC_URL is the server's.)
        #[arg(long)]
        public_url: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ShopCommand {
    /// Create a shop from a configuration file (what the configurator writes), or bring the
    /// existing shop of its handle in line with it. The same file twice changes nothing.
    Create {
        /// A JSON configuration (`vitrine shop export` writes one).
        #[arg(long)]
        config: std::path::PathBuf,
        /// Change a shop that is live in production (refused without it).
        #[arg(long)]
        update: bool,
    },
    /// Print a shop's configuration as JSON.
    Export {
        /// The shop's handle.
        handle: String,
    },
    /// Launch a shop to stage or prod: snapshot a release, smoke-test it against the running
    /// server, and make it live only if the suite passes.
    Launch {
        handle: String,
        #[arg(long = "to", value_parser = parse_launch_env)]
        env: app::shop_config::Environment,
        /// Where the server listens (default: http://VITRINE_ADDR).
        #[arg(long)]
        base: Option<String>,
    },
    /// Make an earlier release of an environment live again (smoke-tested first).
    Rollback {
        handle: String,
        #[arg(long = "in", value_parser = parse_launch_env)]
        env: app::shop_config::Environment,
        /// The release number to go back to.
        #[arg(long)]
        release: i64,
        #[arg(long)]
        base: Option<String>,
    },
}

fn parse_launch_env(s: &str) -> Result<app::shop_config::Environment, String> {
    app::shop_config::Environment::parse(s)
        .filter(|e| app::shop_config::Environment::LAUNCHABLE.contains(e))
        .ok_or_else(|| format!("`{s}` is not stage or prod"))
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user (or reset the password of an existing one), with a role in a shop.
    Create {
        #[arg(long)]
        email: String,
        /// At least 8 characters.
        #[arg(long)]
        password: String,
        /// The shop's handle (none: an account that can create its own shops).
        #[arg(long)]
        shop: Option<String>,
        /// Make the user a platform operator (sees and acts on every shop).
        #[arg(long)]
        operator: bool,
        /// owner, editor or viewer.
        #[arg(long, default_value = "editor")]
        role: String,
        /// Display name (defaults to the email).
        #[arg(long, default_value = "")]
        name: String,
    },
}

/// Where `vitrine stub-payments` listens unless told otherwise.
pub const STUB_ADDR: &str = "127.0.0.1:12111";

impl Cli {
    /// The command line (and environment) read into a `Cli`, exiting with clap's message
    /// on bad input.
    pub fn from_env() -> Self {
        let matches = Cli::command().get_matches();
        let mut cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
        cli.keep_stub_flags_to_its_command_line(&matches);
        cli
    }

    /// `stub-payments --addr/--public-url` share their ids with the server's global flags,
    /// and clap hands a global flag's environment value (`VITRINE_ADDR`, say, from `.env`)
    /// down to a subcommand's flag of the same id, over its default. The stub would then
    /// take the server's own address. It keeps only what its command line says.
    fn keep_stub_flags_to_its_command_line(&mut self, matches: &clap::ArgMatches) {
        let Some(Command::StubPayments {
            addr, public_url, ..
        }) = &mut self.command
        else {
            return;
        };
        let sub = matches.subcommand_matches("stub-payments");
        let given =
            |id: &str| sub.and_then(|m| m.value_source(id)) == Some(ValueSource::CommandLine);
        if !given("addr") {
            *addr = STUB_ADDR.parse().expect("static address");
        }
        if !given("public_url") {
            *public_url = None;
        }
    }
}

pub async fn main() -> ExitCode {
    let _ = dotenvy::dotenv();
    let cli = Cli::from_env();
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
                    operator,
                    role,
                    name,
                },
        } => {
            let db = db::connect_and_migrate(&config.database_url).await?;
            let role =
                crate::auth::Role::parse(&role).ok_or("role must be owner, editor or viewer")?;
            let shop = match shop {
                Some(handle) => Some(
                    entity::shop::Entity::find()
                        .filter(entity::shop::Column::Handle.eq(handle.as_str()))
                        .one(&db)
                        .await?
                        .ok_or_else(|| format!("no shop with handle `{handle}`"))?,
                ),
                None => None,
            };
            let user = crate::auth::upsert_user(&db, &email, &password, &name).await?;
            if let Some(shop) = &shop {
                crate::auth::set_role(&db, user.id, shop.id, role).await?;
                println!(
                    "user {} is {} of {}",
                    user.email,
                    role.as_str(),
                    shop.handle
                );
            } else {
                println!("user {} can log in and create shops", user.email);
            }
            if operator {
                crate::auth::set_operator(&db, user.id, true).await?;
                println!("user {} is a platform operator", user.email);
            }
        }
        Command::Shop { command } => shop_command(config, command).await?,
        Command::Smoke {
            shop,
            base,
            email,
            password,
        } => {
            let operator = email
                .zip(password)
                .map(|(email, password)| crate::smoke::Operator::Login { email, password });
            let target = crate::smoke::target_for_shop(&config, &shop, base, operator).await?;
            println!(
                "smoke suite of `{shop}` at {} (Host: {})",
                target.base, target.host
            );
            let report = crate::smoke::run(&target).await;
            println!("{report}");
            if !report.passed() {
                return Err(format!("the smoke suite of `{shop}` failed").into());
            }
        }
        Command::StubPayments {
            addr,
            webhook_url,
            public_url,
        } => stub_payments(&config, addr, webhook_url, public_url).await?,
        Command::Serve => serve(config).await?,
    }
    Ok(())
}

/// `vitrine shop …`: the lifecycle service, run in this process (jobs run here, or wait for
/// a server that picked them up first).
async fn shop_command(
    config: Config,
    command: ShopCommand,
) -> Result<(), Box<dyn std::error::Error>> {
    use crate::lifecycle::{create, jobs, launch};
    let db = db::connect_and_migrate(&config.database_url).await?;
    let default_base = crate::smoke::loopback_base(config.addr);
    let state = AppState::new(db, config);
    let find_shop = |handle: String| {
        let db = state.db.clone();
        async move {
            entity::shop::Entity::find()
                .filter(entity::shop::Column::Handle.eq(handle.as_str()))
                .one(&db)
                .await?
                .ok_or_else(|| -> Box<dyn std::error::Error> {
                    format!("no shop with handle `{handle}`").into()
                })
        }
    };
    let (job, base) = match command {
        ShopCommand::Export { handle } => {
            let shop = find_shop(handle).await?;
            let config = crate::lifecycle::config::of_shop(&state.db, &shop).await?;
            println!("{}", config.to_pretty_json());
            return Ok(());
        }
        ShopCommand::Create { config, update } => {
            let text = std::fs::read_to_string(&config)
                .map_err(|e| format!("cannot read {}: {e}", config.display()))?;
            let shop_config = app::shop_config::ShopConfig::from_json(&text)
                .map_err(|e| format!("{}: {e}", config.display()))?;
            match create::create_from_config(&state, shop_config, None, update).await {
                Ok(create::Created::Unchanged(shop)) => {
                    println!(
                        "`{}` already matches {}: nothing to do",
                        shop.handle,
                        config.display()
                    );
                    return Ok(());
                }
                Ok(create::Created::Queued(job)) => (job, default_base),
                Err(crate::lifecycle::LifecycleError::NotReady(message, issues)) => {
                    for issue in &issues {
                        eprintln!(
                            "  {} ({}): {}",
                            issue.field,
                            issue.step.title(),
                            issue.message
                        );
                    }
                    return Err(message.into());
                }
                Err(e) => return Err(e.to_string().into()),
            }
        }
        ShopCommand::Launch { handle, env, base } => {
            let shop = find_shop(handle).await?;
            match launch::launch(&state, &shop, env, None).await {
                Ok(job) => (job, base.unwrap_or(default_base)),
                Err(crate::lifecycle::LifecycleError::NotReady(message, issues)) => {
                    for issue in &issues {
                        eprintln!(
                            "  {} ({}): {}",
                            issue.field,
                            issue.step.title(),
                            issue.message
                        );
                    }
                    return Err(message.into());
                }
                Err(e) => return Err(e.to_string().into()),
            }
        }
        ShopCommand::Rollback {
            handle,
            env,
            release,
            base,
        } => {
            let shop = find_shop(handle).await?;
            let job = launch::rollback(&state, &shop, env, release, None)
                .await
                .map_err(|e| e.to_string())?;
            (job, base.unwrap_or(default_base))
        }
    };
    println!("job {} ({}) started", job.id, job.kind);
    let done = jobs::run_now(&state, &base, job.id)
        .await
        .map_err(|e| e.to_string())?;
    for event in jobs::view(&state.db, &done).await?.events {
        println!("  {:<9} {}", event.step, event.message);
    }
    if done.state != app::lifecycle::JobState::Succeeded.as_str() {
        return Err(format!(
            "job {} failed at {}: {}",
            done.id,
            done.failed_step.unwrap_or_default(),
            done.error.unwrap_or_default()
        )
        .into());
    }
    println!("job {} succeeded", done.id);
    Ok(())
}

/// `vitrine stub-payments`: the test provider on its own port.
async fn stub_payments(
    config: &Config,
    addr: std::net::SocketAddr,
    webhook_url: Option<String>,
    public_url: Option<String>,
) -> Result<(), Box<dyn std::error::Error>> {
    let secret_key = match config.stripe_secret_key() {
        Some(key) => key.to_string(),
        None => {
            let key = stub::generate_secret("sk_test_stub_");
            println!("STRIPE_SECRET_KEY={key}");
            key
        }
    };
    let webhook_secret = match config.stripe_webhook_secret() {
        Some(secret) => secret.to_string(),
        None => {
            let secret = stub::generate_secret("whsec_stub_");
            println!("STRIPE_WEBHOOK_SECRET={secret}");
            secret
        }
    };
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let public_base = public_url.unwrap_or_else(|| format!("http://{bound}"));
    println!(
        "test payments (no real money moves) on http://{bound}; payment pages at {public_base}/pay/…; webhooks to {}",
        webhook_url
            .as_deref()
            .unwrap_or("nowhere (pass --webhook-url)")
    );
    let app = stub::router(stub::StubConfig {
        webhook_url,
        webhook_secret,
        public_base,
        secret_key,
    });
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    Ok(())
}

/// The path `serve` mounts the development payment stub under.
pub const DEV_STUB_PATH: &str = "/_stub/payments";

/// The payment setup of `serve`: the configured provider; in `dev` without a key, the test
/// stub mounted in this server (its router, to nest at [`DEV_STUB_PATH`]); elsewhere
/// without a key, none. `bound` is the address the server listens on. Says which in one line.
fn serve_payments(
    config: &Config,
    bound: std::net::SocketAddr,
) -> Result<(Payments, Option<axum::Router>, String), Box<dyn std::error::Error>> {
    if config.stripe_secret_key().is_some() {
        let payments = Payments::from_config(config);
        if !payments.enabled() {
            return Err(
                "STRIPE_SECRET_KEY is set but VITRINE_STRIPE_API_BASE cannot be used (see the log)"
                    .into(),
            );
        }
        let mut line = format!("payments: Stripe at {}", config.stripe_api_base);
        if payments.webhook_secret.is_none() {
            line.push_str(" — STRIPE_WEBHOOK_SECRET is unset, so no order will be marked paid");
        }
        return Ok((payments, None, line));
    }
    if !config.is_dev() {
        return Ok((
            Payments::from_config(config),
            None,
            "payments: off (set STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET to take payments)"
                .into(),
        ));
    }
    // The server calls itself: over loopback when it listens on every interface.
    let host = if bound.ip().is_unspecified() {
        std::net::SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), bound.port())
    } else {
        bound
    };
    let secret_key = stub::generate_secret("sk_test_stub_");
    let webhook_secret = stub::generate_secret("whsec_stub_");
    let router = stub::router(stub::StubConfig {
        webhook_url: Some(format!("http://{host}/api/webhooks/stripe")),
        webhook_secret: webhook_secret.clone(),
        public_base: format!("http://localhost:{}{DEV_STUB_PATH}", bound.port()),
        secret_key: secret_key.clone(),
    });
    let provider = Stripe::new(&format!("http://{host}{DEV_STUB_PATH}"), &secret_key)?;
    let payments = Payments {
        provider: Some(std::sync::Arc::new(provider)),
        webhook_secret: Some(webhook_secret),
    };
    let line = format!(
        "payments: test payments are on (no real money moves; the built-in stub at http://localhost:{}{DEV_STUB_PATH}); set STRIPE_SECRET_KEY for real ones",
        bound.port()
    );
    Ok((payments, Some(router), line))
}

async fn serve(config: Config) -> Result<(), Box<dyn std::error::Error>> {
    // Outside dev this refuses to start without configured keys; in dev it generates one.
    let (preview_keys, key_source) = config.preview_keyring()?;
    println!("preview links: {key_source}");
    let db = db::connect_and_migrate(&config.database_url).await?;
    let addr = config.addr;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let port = bound.port();
    let (payments, payment_stub, payments_line) = serve_payments(&config, bound)?;
    println!("{payments_line}");
    let state = AppState::new(db, config)
        .with_preview_keys(preview_keys)
        .with_payments(payments);
    // Ctrl-C or SIGTERM cancels the one shutdown token; everything below watches it.
    let shutdown = state.shutdown.clone();
    tokio::spawn({
        let shutdown = shutdown.clone();
        async move {
            shutdown_signal().await;
            shutdown.cancel();
        }
    });
    state.hub.spawn_sweeper();
    crate::auth::session_store::DbSessionStore::new(state.db.clone())
        .spawn_sweeper(crate::auth::session_store::SWEEP_PERIOD, shutdown.clone());
    crate::publish::schedule::spawn(state.clone(), std::time::Duration::from_secs(5));
    crate::commerce::spawn_sweeper(state.db.clone(), shutdown.clone());
    crate::lifecycle::jobs::spawn_worker(state.clone(), crate::smoke::loopback_base(bound));
    if let Some(metrics_addr) = state.config.metrics_addr {
        let bound = crate::observability::serve_metrics(metrics_addr, state.clone()).await?;
        println!("metrics: http://{bound}/metrics");
    }
    let hub = state.hub.clone();
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
    let mut app = http::router(state);
    if let Some(stub) = payment_stub {
        app = app.nest(DEV_STUB_PATH, stub);
    }
    let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown.cancelled().await;
            // Collaborators' sockets close on the token; drafts are already stored, this
            // leaves the log short for the next start.
            hub.flush().await;
        })
        .await?;
    tracing::info!("shut down");
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM (`serve` turns this into cancelling
/// [`AppState::shutdown`]).
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_well_formed_and_takes_stub_payments_flags() {
        Cli::command().debug_assert();
        let cli = Cli::try_parse_from([
            "vitrine",
            "stub-payments",
            "--addr",
            "127.0.0.1:4242",
            "--webhook-url",
            "http://127.0.0.1:3000/api/webhooks/stripe",
            "--public-url",
            "http://localhost:4242",
        ])
        .expect("parses");
        let Some(Command::StubPayments {
            addr,
            webhook_url,
            public_url,
        }) = cli.command
        else {
            panic!("not stub-payments: {:?}", cli.command)
        };
        assert_eq!(addr, "127.0.0.1:4242".parse().unwrap());
        assert_eq!(
            webhook_url.as_deref(),
            Some("http://127.0.0.1:3000/api/webhooks/stripe")
        );
        assert_eq!(public_url.as_deref(), Some("http://localhost:4242"));
        let cli = Cli::try_parse_from(["vitrine", "stub-payments"]).expect("parses");
        assert!(
            matches!(cli.command, Some(Command::StubPayments { addr, .. }) if addr.port() == 12111)
        );
    }

    /// What `Cli::from_env` makes of `args` when the server's `--public-url` has a value
    /// in the environment (`PATH` stands in for `VITRINE_PUBLIC_URL`: it is always set).
    fn stub_flags(args: &[&str]) -> (std::net::SocketAddr, Option<String>) {
        let command = Cli::command().mut_arg("public_url", |a| a.env("PATH"));
        let matches = command.try_get_matches_from(args).expect("parses");
        let mut cli = Cli::from_arg_matches(&matches).expect("cli");
        cli.keep_stub_flags_to_its_command_line(&matches);
        match cli.command {
            Some(Command::StubPayments {
                addr, public_url, ..
            }) => (addr, public_url),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_stub_takes_its_address_from_its_own_flags_only() {
        assert_eq!(
            stub_flags(&["vitrine", "stub-payments"]),
            (STUB_ADDR.parse().unwrap(), None)
        );
        assert_eq!(
            stub_flags(&[
                "vitrine",
                "stub-payments",
                "--addr",
                "127.0.0.1:4000",
                "--public-url",
                "http://pay.localhost:4000"
            ]),
            (
                "127.0.0.1:4000".parse().unwrap(),
                Some("http://pay.localhost:4000".into())
            )
        );
    }

    #[test]
    fn outside_dev_without_a_key_payments_are_off_and_with_one_they_are_stripes() {
        let bound: std::net::SocketAddr = "127.0.0.1:3000".parse().unwrap();
        let mut config = Config::for_tests("sqlite::memory:");
        config.env = Environment::Prod;
        let (payments, stub, line) = serve_payments(&config, bound).unwrap();
        assert!(!payments.enabled() && stub.is_none(), "{line}");
        assert!(line.contains("off"), "{line}");

        config.stripe_secret_key = Some(crate::config::Secret::new("sk_live_1"));
        let (payments, stub, line) = serve_payments(&config, bound).unwrap();
        assert!(payments.enabled() && stub.is_none());
        assert!(line.contains("STRIPE_WEBHOOK_SECRET is unset"), "{line}");
        assert!(!line.contains("sk_live_1"), "{line}");

        config.stripe_api_base = "not a url".into();
        assert!(
            serve_payments(&config, bound).is_err(),
            "a key with a broken base"
        );
    }

    /// `serve` in dev without keys: the stub lives under `/_stub/payments` of the server
    /// itself, the provider calls it there, and paying sends the signed webhook to the
    /// server's own `/api/webhooks/stripe`.
    #[tokio::test]
    async fn dev_without_a_key_serves_test_payments_from_the_server_itself() {
        use crate::payments::{CheckoutLine, NewCheckout, signature};
        use axum::routing::post;
        use std::sync::{Arc, Mutex};

        let listener = tokio::net::TcpListener::bind("0.0.0.0:0").await.unwrap();
        let bound = listener.local_addr().unwrap();
        let config = Config::for_tests("sqlite::memory:");
        let (payments, stub, line) = serve_payments(&config, bound).unwrap();
        assert!(line.contains("test payments are on"), "{line}");
        let secret = payments.webhook_secret.clone().expect("a webhook secret");
        let provider = payments.provider.clone().expect("a provider");

        let received = Arc::new(Mutex::new(Vec::new()));
        let seen = received.clone();
        let app = axum::Router::new()
            .route(
                "/api/webhooks/stripe",
                post(move |headers: ::http::HeaderMap, body: bytes::Bytes| {
                    let seen = seen.clone();
                    async move {
                        let sig = headers["stripe-signature"].to_str().unwrap();
                        let now = chrono::Utc::now().timestamp();
                        signature::verify(sig, &body, &secret, now, 300).expect("signed");
                        seen.lock()
                            .unwrap()
                            .push(signature::parse_event(&body).unwrap());
                    }
                }),
            )
            .nest(DEV_STUB_PATH, stub.expect("the stub router"));
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

        let session = provider
            .create_checkout(&NewCheckout {
                order_id: 1,
                order_token: "tok".into(),
                currency: "EUR".into(),
                email: "a@example.com".into(),
                lines: vec![CheckoutLine {
                    name: "Mug".into(),
                    unit_amount: 1234,
                    quantity: 1,
                }],
                success_url: "http://demo.localhost/orders/tok".into(),
                cancel_url: "http://demo.localhost/checkout".into(),
                expires_at: chrono::Utc::now().timestamp() + 1800,
                idempotency_key: "vitrine-order-tok".into(),
            })
            .await
            .expect("a session from the in-process stub");
        let page = format!("{DEV_STUB_PATH}/pay/{}", session.id);
        assert_eq!(
            session.url,
            format!("http://localhost:{}{page}", bound.port())
        );
        let local = format!("http://127.0.0.1:{}{page}", bound.port());
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let html = client
            .get(&local)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            html.contains("data-stub-pay") && html.contains("Pay €12.34"),
            "{html}"
        );
        let res = client.post(&local).send().await.unwrap();
        assert_eq!(res.status(), 303);
        assert_eq!(
            received.lock().unwrap().len(),
            1,
            "the webhook reached the server"
        );
    }
}
