//! The example's server: Vestibule's builder with this app's URLs and protected pages, and this
//! app's own root component and document.
//!
//! `embedded [--config PATH]` (default `Embedded.toml` in the working directory).

use vestibule::server::Vestibule;

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("embedded: {e}");
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
    let args: Vec<String> = std::env::args().collect();
    let config = match args.iter().position(|a| a == "--config") {
        Some(i) => args.get(i + 1).cloned().ok_or("--config needs a path")?,
        None => "Embedded.toml".to_string(),
    };
    // The testing endpoints need this flag as well as `[testing] enabled` (the Playwright run
    // passes it); a settings file alone never turns them on.
    let allow_testing = args.iter().any(|a| a == "--allow-testing-endpoints");
    let vestibule = Vestibule::builder()
        .config_file(config)
        .urls(embedded::app::urls())
        .protect(["/projects"])
        .allow_testing_endpoints(allow_testing)
        .build()
        .await?;
    for warning in vestibule.warnings() {
        tracing::warn!("{warning}");
    }
    let app = vestibule.router(embedded::app::App, embedded::app::shell);
    vestibule.serve(app).await?;
    Ok(())
}
