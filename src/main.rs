//! The Vestibule server: settings → store (connect + migrate) → AppState → axum Router.

use clap::Parser;
use leptos::prelude::*;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use vestibule::server::{
    clock::SystemClock, delivery::Delivery, password::Hasher, settings::Settings, state::AppState,
    store::sqlite::SqliteStore,
};

#[derive(Parser)]
#[command(
    name = "vestibule",
    about = "Self-hosted authentication with session tasks"
)]
struct Cli {
    /// The instance configuration (default: Leptos.toml in the working directory).
    #[arg(long)]
    config: Option<PathBuf>,
}

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("vestibule: {e}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .init();
    let cli = Cli::parse();
    let (path, optional) = match cli.config {
        Some(p) => (p, false),
        None => (PathBuf::from("Leptos.toml"), true),
    };
    let settings = Settings::load(&path, optional, std::env::vars())?;
    let database_url =
        std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite://vestibule.db".into());
    if !database_url.starts_with("sqlite:") {
        return Err(
            format!("unsupported DATABASE_URL scheme: {database_url} (sqlite:// only)").into(),
        );
    }
    let store: Arc<dyn vestibule::server::store::Store> =
        Arc::new(SqliteStore::connect(&database_url).await?);
    let conf = get_configuration(None)?;
    let leptos_options = conf.leptos_options;
    let addr: SocketAddr = leptos_options.site_addr;
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    let delivery = Delivery::new(store.clone(), &settings)?;
    if delivery.is_development() {
        tracing::warn!(
            "no email.smtp_url and no sms.webhook_url: messages are not delivered, only logged \
             (with their codes) — for development only"
        );
    }
    if settings.testing.enabled
        && settings
            .instance
            .public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))
    {
        tracing::warn!(
            "testing.enabled is on for an https public_url: the testing endpoints sign anyone in \
             and show every code — never run a production instance with it"
        );
    }
    let state = AppState {
        settings: Arc::new(settings),
        store,
        clock: Arc::new(SystemClock),
        hasher: Hasher::new(cores)?,
        delivery,
        leptos_options: leptos_options.clone(),
    };
    let app = vestibule::server::router(state);
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!("Vestibule listening on http://{addr}");
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}
