//! The bundled demo server: the demo app on Vestibule's builder — the same public entry an app
//! that embeds Vestibule uses.

use clap::Parser;
use std::path::PathBuf;
use vestibule::demo;

#[derive(Parser)]
#[command(
    name = "vestibule",
    about = "Self-hosted authentication with session tasks"
)]
struct Cli {
    /// The instance configuration (default: Leptos.toml in the working directory).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Serve the testing endpoints when the settings enable them (`[testing] enabled`): they
    /// sign anyone in and show every code sent. For test runs only; without this flag such a
    /// configuration refuses to start.
    #[arg(long)]
    allow_testing_endpoints: bool,
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
    let builder = match cli.config {
        Some(path) => demo::builder().config_file(path),
        None => demo::builder().config_file_if_present("Leptos.toml"),
    };
    let vestibule = builder
        .allow_testing_endpoints(cli.allow_testing_endpoints)
        .build()
        .await?;
    for warning in vestibule.warnings() {
        tracing::warn!("{warning}");
    }
    let app = vestibule.router(demo::App, demo::shell);
    vestibule.serve(app).await?;
    Ok(())
}
