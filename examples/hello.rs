//! A bare axum hello-world on `127.0.0.1:<port>` (the first argument): the ceiling `bench/run.sh`
//! measures Vestibule's request rates against, in the same run on the same machine.

use axum::routing::get;

#[tokio::main]
async fn main() {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(3399);
    let app = axum::Router::new().route("/", get(|| async { "Hello, world!" }));
    let listener = match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("cannot listen on port {port}: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = axum::serve(listener, app).await {
        eprintln!("server failed: {e}");
        std::process::exit(1);
    }
}
