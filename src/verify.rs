//! Verifying Vestibule session tokens in another Rust service, offline: the JWKS is fetched and
//! cached (fetched again when a token names a key it does not hold, so a key rotation never breaks
//! verification), and each token is checked for its ES256 signature, `exp` and `nbf` (with a small
//! leeway), `iss`, a lifetime (`exp − iat`) no longer than `max_lifetime` and, when a list is
//! given, `azp`.
//!
//! A key the instance stops publishing (the previous key aging out, or revoked after a suspected
//! leak) is forgotten at the next fetch, and so is every token it verified: the keys are fetched
//! again at the latest `cache_for` after the last fetch, or as soon as a token names a new key.
//!
//! ```ignore
//! let verifier = Verifier::new(VerifierOptions::new("https://auth.example.com"));
//! let app = Router::new().route("/me", get(me)).with_state(verifier);
//! async fn me(claims: SessionClaims) -> String { claims.sub }
//! ```
//!
//! The extractor refuses a pending session (one that still owes a task), as `auth()` does, unless
//! the verifier was built with `treat_pending_as_signed_out = false`.
//! Nothing here depends on the server side of Vestibule (feature `verify` only).

pub use crate::domain::claims::{OrganizationClaims, SessionClaims};
use axum::extract::{FromRef, FromRequestParts};
use axum::response::{IntoResponse, Response};
use http::request::Parts;
use http::{header, HeaderValue, StatusCode};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

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
    /// This service's audience: a token must name it in `aud` (one without `aud` is refused).
    /// `None` accepts only tokens that name no audience: a token minted for another service is
    /// never accepted here (RFC 7519, `aud`).
    pub audience: Option<String>,
    /// Clock skew allowed on `exp`, `nbf` and `iat`.
    pub leeway: Duration,
    /// A pending session's token is refused (the default), as `auth()` treats it as signed out.
    pub treat_pending_as_signed_out: bool,
    /// How long the fetched keys, and the tokens they verified, are trusted before the keys are
    /// fetched again: the longest a key the instance withdrew can still be accepted here.
    pub cache_for: Duration,
    /// A token naming an unknown key fetches the keys again at most this often.
    pub min_refetch_interval: Duration,
    /// The longest lifetime (`exp − iat`) a token may claim (default one day; Vestibule's own
    /// last a minute). Whoever holds a leaked key can sign tokens that claim to be valid for
    /// years: this bounds how long such a token stays usable, whatever it claims.
    pub max_lifetime: Duration,
}

impl VerifierOptions {
    pub fn new(issuer: impl Into<String>) -> Self {
        Self {
            issuer: issuer.into().trim_end_matches('/').to_string(),
            jwks_url: None,
            authorized_parties: Vec::new(),
            audience: None,
            leeway: Duration::from_secs(5),
            treat_pending_as_signed_out: true,
            cache_for: Duration::from_secs(300),
            min_refetch_interval: Duration::from_secs(10),
            max_lifetime: Duration::from_secs(86_400),
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

/// A token already verified, and the key that verified it.
struct Verified {
    kid: String,
    claims: SessionClaims,
}

/// The fetched keys and the tokens they verified. They live under one lock, held only for map
/// operations (never across a fetch), so that swapping in new keys drops the tokens of every key
/// that left the set in the same step.
#[derive(Default)]
struct Cache {
    keys: HashMap<String, DecodingKey>,
    /// When the request of the last successful fetch went out.
    fetched_at: Option<Instant>,
    /// When the request of the last fetch, successful or not, went out: fetches are at most
    /// `min_refetch_interval` apart.
    tried_at: Option<Instant>,
    /// Tokens already verified, by their exact text, until they expire: a browser reuses its
    /// token for most of its minute, and a signature is checked once, not on every request.
    verified: HashMap<String, Verified>,
}

impl Cache {
    /// Swaps in freshly fetched keys. A token verified by a key no longer published goes with
    /// its key: the instance withdrew the key, perhaps because it leaked, and a token forged with
    /// it must not outlive it here.
    fn replace(&mut self, keys: HashMap<String, DecodingKey>, fetched_at: Instant) {
        self.verified.retain(|_, v| keys.contains_key(&v.kid));
        self.keys = keys;
        self.fetched_at = Some(fetched_at);
    }

    fn fresh(&self, cache_for: Duration) -> bool {
        self.fetched_at.is_some_and(|t| t.elapsed() < cache_for)
    }
}

struct Inner {
    options: VerifierOptions,
    jwks_url: String,
    http: reqwest::Client,
    cache: RwLock<Cache>,
    /// One fetch at a time. Only verifications that need the new keys wait here; the others
    /// keep reading the cache while the fetch is under way.
    fetching: tokio::sync::Mutex<()>,
}

/// At most this many verified tokens are remembered (expired ones are dropped first).
const VERIFIED_CAP: usize = 10_000;

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

/// Whether remembered claims are still within `exp` and `nbf` at `now`.
fn still_valid(c: &SessionClaims, now: i64, leeway: i64) -> bool {
    c.exp.saturating_add(leeway) > now && c.nbf.saturating_sub(leeway) <= now
}

/// Refuses a token that claims a lifetime over `max`, or to be issued in the future: without the
/// second check a forger could move `iat` forward with `exp` and keep a short declared lifetime
/// while the token stays valid for years.
fn check_lifetime(
    claims: &SessionClaims,
    now: i64,
    leeway: i64,
    max: Duration,
) -> Result<(), VerifyError> {
    if claims.iat > now.saturating_add(leeway) {
        return Err(VerifyError::Invalid("issued in the future".into()));
    }
    if claims.exp.saturating_sub(claims.iat) > secs(max) {
        return Err(VerifyError::Invalid("lifetime over the maximum".into()));
    }
    Ok(())
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
            cache: RwLock::new(Cache::default()),
            fetching: tokio::sync::Mutex::new(()),
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
        let now = unix_now();
        if let Some(claims) = self.remembered(token, now) {
            return Ok(claims);
        }
        let header = decode_header(token).map_err(|e| VerifyError::Malformed(e.to_string()))?;
        if header.alg != Algorithm::ES256 {
            return Err(VerifyError::Invalid("unexpected algorithm".into()));
        }
        let kid = header.kid.ok_or(VerifyError::UnknownKey)?;
        let key = self.key(&kid).await?;
        let claims = self.check(token, &key, now)?;
        self.remember(token, kid, &claims, now)?;
        Ok(claims)
    }

    // A poisoned lock only means a panic elsewhere: the maps themselves are always whole.
    fn read(&self) -> RwLockReadGuard<'_, Cache> {
        self.0.cache.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, Cache> {
        self.0.cache.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// The claims of a token verified before, while the keys are fresh: once they are due, the
    /// token is checked again against keys fetched anew, which may no longer hold its key.
    fn remembered(&self, token: &str, now: i64) -> Option<SessionClaims> {
        let o = &self.0.options;
        let cache = self.read();
        if !cache.fresh(o.cache_for) {
            return None;
        }
        let v = cache.verified.get(token)?;
        (still_valid(&v.claims, now, secs(o.leeway)) && cache.keys.contains_key(&v.kid))
            .then(|| v.claims.clone())
    }

    fn remember(
        &self,
        token: &str,
        kid: String,
        claims: &SessionClaims,
        now: i64,
    ) -> Result<(), VerifyError> {
        let leeway = secs(self.0.options.leeway);
        let mut cache = self.write();
        // The keys were fetched again while this token was checked, and its key is gone.
        if !cache.keys.contains_key(&kid) {
            return Err(VerifyError::UnknownKey);
        }
        if cache.verified.len() >= VERIFIED_CAP {
            cache
                .verified
                .retain(|_, v| still_valid(&v.claims, now, leeway));
            if cache.verified.len() >= VERIFIED_CAP {
                cache.verified.clear();
            }
        }
        cache.verified.insert(
            token.to_string(),
            Verified {
                kid,
                claims: claims.clone(),
            },
        );
        Ok(())
    }

    /// The signature and claims checked from scratch.
    fn check(
        &self,
        token: &str,
        key: &DecodingKey,
        now: i64,
    ) -> Result<SessionClaims, VerifyError> {
        let o = &self.0.options;
        let mut validation = Validation::new(Algorithm::ES256);
        validation.leeway = o.leeway.as_secs();
        validation.validate_nbf = true;
        validation.set_issuer(&[o.issuer.as_str()]);
        match &o.audience {
            Some(aud) => {
                validation.set_audience(&[aud.as_str()]);
                validation.set_required_spec_claims(&["exp", "nbf", "iss", "sub", "aud"]);
            }
            None => {
                validation.validate_aud = false;
                validation.set_required_spec_claims(&["exp", "nbf", "iss", "sub"]);
            }
        }
        let claims = decode::<SessionClaims>(token, key, &validation)
            .map_err(|e| VerifyError::Invalid(e.to_string()))?
            .claims;
        if o.audience.is_none() && claims.aud.is_some() {
            return Err(VerifyError::Invalid("token is for another audience".into()));
        }
        check_lifetime(&claims, now, secs(o.leeway), o.max_lifetime)?;
        if let Some(azp) = &claims.azp {
            if !o.authorized_parties.is_empty() && !o.authorized_parties.contains(azp) {
                return Err(VerifyError::Invalid("azp not authorized".into()));
            }
        }
        Ok(claims)
    }

    /// The key `kid`, from the cache while it is fresh, else from a new fetch. The fetch runs
    /// outside the cache's lock and its keys are swapped in at the end, so verifications whose
    /// key is held never wait for the network.
    async fn key(&self, kid: &str) -> Result<DecodingKey, VerifyError> {
        let waiting_since = Instant::now();
        if let Some(answer) = self.held(kid, None) {
            return answer;
        }
        let _fetching = self.0.fetching.lock().await;
        if let Some(answer) = self.held(kid, Some(waiting_since)) {
            return answer;
        }
        let started = Instant::now();
        let fetched = self.fetch().await;
        let mut cache = self.write();
        // Dated when it ended: waiters behind a hung fetch take its outcome, not a new fetch.
        cache.tried_at = Some(Instant::now());
        match fetched {
            Ok(keys) => {
                cache.replace(keys, started);
                cache.keys.get(kid).cloned().ok_or(VerifyError::UnknownKey)
            }
            // The keys cannot be fetched right now: a key held from the last fetch is still good
            // (it was published then, and tokens expire within minutes), anything else waits.
            Err(e) => cache.keys.get(kid).cloned().ok_or(e),
        }
    }

    /// What the cache answers for `kid`, or `None` when the keys must be fetched first.
    fn held(
        &self,
        kid: &str,
        waiting_since: Option<Instant>,
    ) -> Option<Result<DecodingKey, VerifyError>> {
        let o = &self.0.options;
        let cache = self.read();
        let key = cache.keys.get(kid);
        // A fetch that went out after this verification began answers it as its own would.
        let answered = waiting_since.is_some_and(|s| cache.tried_at.is_some_and(|t| t >= s));
        // Keys were fetched (or tried) a moment ago: do not let tokens make us fetch.
        let tried_recently = cache
            .tried_at
            .is_some_and(|t| t.elapsed() < o.min_refetch_interval);
        match key {
            Some(k) if cache.fresh(o.cache_for) => Some(Ok(k.clone())),
            // A fetch went out a moment ago, or after this verification began: its outcome
            // stands. A key it did not list is unknown; one still held from before means the
            // fetch failed, and is used as when a fetch fails just now.
            _ if answered || tried_recently => Some(key.cloned().ok_or(VerifyError::UnknownKey)),
            _ => None,
        }
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
mod tests;
