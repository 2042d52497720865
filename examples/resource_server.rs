//! Another service that trusts Vestibule's sessions without calling it on each request: an axum
//! API that verifies the session token a browser (or a backend) sends as `Authorization: Bearer`,
//! offline, against the instance's published keys (README, "Session tokens for other services").
//!
//! ```sh
//! VESTIBULE_URL=http://127.0.0.1:3000 cargo run --example resource_server --features verify -- 3400
//! curl -H "Authorization: Bearer $JWT" http://127.0.0.1:3400/me
//! ```
//!
//! `GET /me` answers the signed-in user (a pending session is refused, 401); `GET /me/any`
//! answers a pending session too; `GET /admin` needs the `org:admin` role; `GET /sub` answers
//! the user id as text; `GET /` is a plain hello-world, for the benchmark's ceiling.

use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};
use vestibule::verify::{bearer, Rejection, SessionClaims, Verifier, VerifierOptions, VerifyError};

/// The service's state: the default verifier (pending refused) and one that lets pending
/// sessions through, for the one route that wants them.
#[derive(Clone)]
pub struct Services {
    pub verifier: Verifier,
    pub pending_ok: Verifier,
}

impl FromRef<Services> for Verifier {
    fn from_ref(s: &Services) -> Self {
        s.verifier.clone()
    }
}

impl Services {
    /// Both verifiers for `options` (its `treat_pending_as_signed_out` is the default route's).
    pub fn new(options: VerifierOptions) -> Self {
        let mut any = options.clone();
        any.treat_pending_as_signed_out = false;
        Self {
            verifier: Verifier::new(options),
            pending_ok: Verifier::new(any),
        }
    }
}

fn claims_json(c: &SessionClaims) -> Json<Value> {
    Json(json!({
        "user_id": c.sub,
        "session_id": c.sid,
        "status": c.sts,
        "task": c.tsk,
        "organization": c.o.as_ref().map(|o| &o.slg),
        "role": c.org_role(),
    }))
}

async fn me(claims: SessionClaims) -> Json<Value> {
    claims_json(&claims)
}

async fn me_any(
    State(s): State<Services>,
    headers: axum::http::HeaderMap,
) -> Result<Json<Value>, Rejection> {
    let token = bearer(&headers).ok_or(Rejection(VerifyError::Missing))?;
    let claims = s.pending_ok.verify(token).await.map_err(Rejection)?;
    Ok(claims_json(&claims))
}

async fn admin(claims: SessionClaims) -> Result<Json<Value>, StatusCode> {
    if claims.org_role() != Some("org:admin") {
        return Err(StatusCode::FORBIDDEN);
    }
    Ok(claims_json(&claims))
}

/// The service's routes.
pub fn router(services: Services) -> Router {
    Router::new()
        .route("/", get(|| async { "Hello, world!" }))
        .route("/me", get(me))
        // The smallest protected answer (the benchmark's verification rate).
        .route(
            "/sub",
            get(|claims: SessionClaims| async move { claims.sub }),
        )
        .route("/me/any", get(me_any))
        .route("/admin", get(admin))
        .with_state(services)
}

#[tokio::main]
async fn main() {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(3400);
    let issuer = std::env::var("VESTIBULE_URL").unwrap_or_else(|_| "http://127.0.0.1:3000".into());
    let mut options = VerifierOptions::new(issuer);
    if let Ok(parties) = std::env::var("AUTHORIZED_PARTIES") {
        options.authorized_parties = parties.split(',').map(|p| p.trim().to_string()).collect();
    }
    let listener = match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("cannot listen on port {port}: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = axum::serve(listener, router(Services::new(options))).await {
        eprintln!("server failed: {e}");
        std::process::exit(1);
    }
}
