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
    let vestibule = Vestibule::builder()
        .config_file(config)
        .urls(embedded::app::urls())
        .protect(["/projects"])
        .build()
        .await?;
    for warning in vestibule.warnings() {
        tracing::warn!("{warning}");
    }
    let app = vestibule.router(embedded::app::App, embedded::app::shell);
    vestibule.serve(app).await?;
    Ok(())
}
