//! Verifying Vestibule session tokens in another Rust service (SPEC §15), offline: the JWKS is
//! fetched once and cached (fetched again when a token names a key it does not hold, so a key
//! rotation never breaks verification), and each token is checked for its ES256 signature, `exp`
//! and `nbf` (with a small leeway), `iss` and, when a list is given, `azp`.
//!
//! ```ignore
//! let verifier = Verifier::new(VerifierOptions::new("https://auth.example.com"));
//! let app = Router::new().route("/me", get(me)).with_state(verifier);
//! async fn me(claims: SessionClaims) -> String { claims.sub }
//! ```
//!
//! The extractor refuses a pending session (one that still owes a task), as `auth()` does
//! (SPEC §4.2), unless the verifier was built with `treat_pending_as_signed_out = false`.
//! Nothing here depends on the server side of Vestibule (feature `verify` only).

pub use crate::domain::claims::{OrganizationClaims, SessionClaims};
use axum::extract::{FromRef, FromRequestParts};
use axum::response::{IntoResponse, Response};
use http::request::Parts;
use http::{header, HeaderValue, StatusCode};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::RwLock;

/// How a [`Verifier`] checks tokens.
#[derive(Clone, Debug)]
pub struct VerifierOptions {
    /// The instance's public URL: the `iss` every token must carry.
    pub issuer: String,
    /// Where the keys are (default `<issuer>/.well-known/jwks.json`).
    pub jwks_url: Option<String>,
    /// Origins a browser-minted token may name in `azp`; empty accepts any. A token minted by the
    /// Backend API has no `azp` and is always accepted.
    pub authorized_parties: Vec<String>,
    /// Clock skew allowed on `exp` and `nbf`.
    pub leeway: Duration,
    /// A pending session's token is refused (the default), as `auth()` treats it as signed out.
    pub treat_pending_as_signed_out: bool,
    /// How long the fetched keys are used before they are fetched again.
    pub cache_for: Duration,
    /// A token naming an unknown key fetches the keys again at most this often.
    pub min_refetch_interval: Duration,
}

impl VerifierOptions {
    pub fn new(issuer: impl Into<String>) -> Self {
        Self {
            issuer: issuer.into().trim_end_matches('/').to_string(),
            jwks_url: None,
            authorized_parties: Vec::new(),
            leeway: Duration::from_secs(5),
            treat_pending_as_signed_out: true,
            cache_for: Duration::from_secs(300),
            min_refetch_interval: Duration::from_secs(10),
        }
    }
}

/// Why a token was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VerifyError {
    #[error("no session token")]
    Missing,
    #[error("malformed token: {0}")]
    Malformed(String),
    #[error("token signed with an unknown key")]
    UnknownKey,
    #[error("invalid token: {0}")]
    Invalid(String),
    #[error("the session is pending")]
    Pending,
    #[error("cannot fetch the keys: {0}")]
    Jwks(String),
}

struct KeyCache {
    keys: HashMap<String, DecodingKey>,
    fetched_at: Option<Instant>,
    /// The last fetch tried (successful or not): fetches are at most `min_refetch_interval` apart.
    tried_at: Option<Instant>,
}

struct Inner {
    options: VerifierOptions,
    jwks_url: String,
    http: reqwest::Client,
    cache: RwLock<KeyCache>,
    /// Tokens already verified, by their exact text, until they expire: a browser reuses its
    /// token for most of its minute, and a signature is checked once, not on every request.
    verified: std::sync::RwLock<HashMap<String, SessionClaims>>,
}

/// At most this many verified tokens are remembered (expired ones are dropped first).
const VERIFIED_CAP: usize = 10_000;

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Verifies session tokens against an instance's published keys. Cheap to clone (shared cache).
#[derive(Clone)]
pub struct Verifier(Arc<Inner>);

impl Verifier {
    pub fn new(options: VerifierOptions) -> Self {
        let jwks_url = options
            .jwks_url
            .clone()
            .unwrap_or_else(|| format!("{}/.well-known/jwks.json", options.issuer));
        Self(Arc::new(Inner {
            options,
            jwks_url,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap_or_default(),
            cache: RwLock::new(KeyCache {
                keys: HashMap::new(),
                fetched_at: None,
                tried_at: None,
            }),
            verified: std::sync::RwLock::new(HashMap::new()),
        }))
    }

    pub fn options(&self) -> &VerifierOptions {
        &self.0.options
    }

    /// The token's claims when it is valid and, with the default options, its session active.
    pub async fn verify(&self, token: &str) -> Result<SessionClaims, VerifyError> {
        let claims = self.verify_signed(token).await?;
        if self.0.options.treat_pending_as_signed_out && !claims.is_active() {
            return Err(VerifyError::Pending);
        }
        Ok(claims)
    }

    /// The claims of a valid token, pending or not.
    pub async fn verify_signed(&self, token: &str) -> Result<SessionClaims, VerifyError> {
        let leeway = self.0.options.leeway.as_secs() as i64;
        let now = unix_now();
        let still_valid = |c: &SessionClaims| c.exp + leeway > now && c.nbf - leeway <= now;
        if let Ok(verified) = self.0.verified.read() {
            if let Some(c) = verified.get(token).filter(|c| still_valid(c)) {
                return Ok(c.clone());
            }
        }
        let claims = self.verify_uncached(token).await?;
        if let Ok(mut verified) = self.0.verified.write() {
            if verified.len() >= VERIFIED_CAP {
                verified.retain(|_, c| still_valid(c));
                if verified.len() >= VERIFIED_CAP {
                    verified.clear();
                }
            }
            verified.insert(token.to_string(), claims.clone());
        }
        Ok(claims)
    }

    /// The signature and claims checked from scratch.
    async fn verify_uncached(&self, token: &str) -> Result<SessionClaims, VerifyError> {
        let header = decode_header(token).map_err(|e| VerifyError::Malformed(e.to_string()))?;
        if header.alg != Algorithm::ES256 {
            return Err(VerifyError::Invalid("unexpected algorithm".into()));
        }
        let kid = header.kid.ok_or(VerifyError::UnknownKey)?;
        let key = self.key(&kid).await?;
        let o = &self.0.options;
        let mut validation = Validation::new(Algorithm::ES256);
        validation.leeway = o.leeway.as_secs();
        validation.validate_nbf = true;
        validation.validate_aud = false;
        validation.set_issuer(&[o.issuer.as_str()]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "sub"]);
        let claims = decode::<SessionClaims>(token, &key, &validation)
            .map_err(|e| VerifyError::Invalid(e.to_string()))?
            .claims;
        if let Some(azp) = &claims.azp {
            if !o.authorized_parties.is_empty() && !o.authorized_parties.contains(azp) {
                return Err(VerifyError::Invalid("azp not authorized".into()));
            }
        }
        Ok(claims)
    }

    /// The key `kid`, from the cache while it is fresh, else from a new fetch.
    async fn key(&self, kid: &str) -> Result<DecodingKey, VerifyError> {
        let o = &self.0.options;
        {
            let cache = self.0.cache.read().await;
            let age = cache.fetched_at.map(|t| t.elapsed());
            let fresh = age.is_some_and(|a| a < o.cache_for);
            match cache.keys.get(kid) {
                Some(k) if fresh => return Ok(k.clone()),
                // Keys were fetched (or tried) a moment ago: do not let tokens make us fetch.
                None if cache
                    .tried_at
                    .is_some_and(|t| t.elapsed() < o.min_refetch_interval) =>
                {
                    return Err(VerifyError::UnknownKey)
                }
                _ => {}
            }
        }
        let mut cache = self.0.cache.write().await;
        // Another request may have fetched while this one waited for the lock.
        let since = cache.fetched_at.map(|t| t.elapsed());
        if let Some(k) = cache.keys.get(kid) {
            if since.is_some_and(|a| a < o.cache_for) {
                return Ok(k.clone());
            }
        }
        let tried = cache.tried_at.map(|t| t.elapsed());
        if tried.is_none_or(|a| a >= o.min_refetch_interval) {
            cache.tried_at = Some(Instant::now());
            match self.fetch().await {
                Ok(keys) => {
                    cache.keys = keys;
                    cache.fetched_at = Some(Instant::now());
                }
                // The keys cannot be fetched right now: a key already held is still good (it was
                // published, and tokens expire within minutes), anything else waits.
                Err(e) => return cache.keys.get(kid).cloned().ok_or(e),
            }
        }
        cache.keys.get(kid).cloned().ok_or(VerifyError::UnknownKey)
    }

    async fn fetch(&self) -> Result<HashMap<String, DecodingKey>, VerifyError> {
        let res = self
            .0
            .http
            .get(&self.0.jwks_url)
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .map_err(|e| VerifyError::Jwks(e.to_string()))?;
        let set: JwkSet = res
            .json()
            .await
            .map_err(|e| VerifyError::Jwks(e.to_string()))?;
        Ok(set
            .keys
            .iter()
            .filter_map(|jwk| {
                let kid = jwk.common.key_id.clone()?;
                DecodingKey::from_jwk(jwk).ok().map(|k| (kid, k))
            })
            .collect())
    }
}

/// The refusal of the [`SessionClaims`] extractor: 401 (503 when the keys cannot be fetched),
/// `{ "errors": [{ "code", "message" }] }` as the Backend API answers.
#[derive(Debug)]
pub struct Rejection(pub VerifyError);

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        let (status, code) = match &self.0 {
            VerifyError::Jwks(_) => (StatusCode::SERVICE_UNAVAILABLE, "jwks_unavailable"),
            VerifyError::Pending => (StatusCode::UNAUTHORIZED, "session_pending"),
            _ => (StatusCode::UNAUTHORIZED, "unauthenticated"),
        };
        let body = format!(
            r#"{{"errors":[{{"code":"{code}","message":"{}"}}]}}"#,
            self.0.to_string().replace(['"', '\\'], "'")
        );
        let mut res = (status, body).into_response();
        let h = res.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if status == StatusCode::UNAUTHORIZED {
            h.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer error=\"invalid_token\""),
            );
        }
        res
    }
}

/// The bearer token of a request (`Authorization: Bearer <jwt>`).
pub fn bearer(headers: &http::HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

impl<S> FromRequestParts<S> for SessionClaims
where
    Verifier: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let token = bearer(&parts.headers).ok_or(Rejection(VerifyError::Missing))?;
        Verifier::from_ref(state)
            .verify(token)
            .await
            .map_err(Rejection)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn garbage_and_foreign_algorithms_are_refused_before_any_fetch() {
        // An address nothing listens on: a fetch would fail with `Jwks`.
        let v = Verifier::new(VerifierOptions::new("http://127.0.0.1:9"));
        assert!(matches!(
            v.verify("not.a.jwt").await,
            Err(VerifyError::Malformed(_))
        ));
        // {"alg":"HS256","kid":"k"} . {} . sig
        let hs = "eyJhbGciOiJIUzI1NiIsImtpZCI6ImsifQ.e30.c2ln";
        assert!(matches!(v.verify(hs).await, Err(VerifyError::Invalid(_))));
        // {"alg":"ES256"} without a kid
        let no_kid = "eyJhbGciOiJFUzI1NiJ9.e30.c2ln";
        assert_eq!(v.verify(no_kid).await, Err(VerifyError::UnknownKey));
    }
}
