//! HTTP middleware (README, "Security defaults"): CSRF origin checks, per-IP rate limits, security
//! headers, and the error responses they share.

use super::flows::RequestInfo;
use super::state::AppState;
use crate::domain::errors::{ErrorCode, FlowError};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{header, HeaderValue, Method, StatusCode};

/// The per-IP rate-limit class of an endpoint (README, "Security defaults"), declared with the
/// endpoint itself (`edge::step(Limit::Factor, …)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    /// Not rate-limited (every code it sends still passes the send throttle).
    None,
    /// A sign-in or sign-up form submitted from its first screen.
    Start,
    /// A password or a code submitted after the first screen.
    Factor,
}

/// Counts the request in its class's fixed 10 s window (in the database, so every instance
/// shares it); over the limit is `too_many_requests` with the seconds to wait.
pub async fn check_limit(
    state: &AppState,
    req: &RequestInfo,
    limit: Limit,
) -> Result<(), FlowError> {
    let limits = &state.settings.rate_limits;
    let (kind, max) = match limit {
        Limit::None => return Ok(()),
        Limit::Start => ("start", limits.attempt_starts_per_10s),
        Limit::Factor => ("factor", limits.factor_attempts_per_10s),
    };
    if !limits.enabled {
        return Ok(());
    }
    let now = state.now();
    let window = now - now.rem_euclid(10);
    let hits = state
        .store
        .hit(&format!("{kind}:{}", req.ip_bucket()), window)
        .await?;
    if hits > max {
        return Err(FlowError::with_n(
            ErrorCode::TooManyRequests,
            (window + 10 - now).max(1) as u64,
        ));
    }
    Ok(())
}

/// Session tokens one session may mint in 10 s: a page refreshes its token once a minute, so
/// this is room for many tabs, not for a script minting tokens in a loop.
pub const TOKENS_PER_SESSION_PER_10S: u32 = 10;

/// Counts a token minted for `session_id` in its fixed 10 s window (shared by every instance);
/// over the limit is `too_many_requests` with the seconds to wait.
pub async fn check_token_limit(state: &AppState, session_id: &str) -> Result<(), FlowError> {
    if !state.settings.rate_limits.enabled {
        return Ok(());
    }
    let now = state.now();
    let window = now - now.rem_euclid(10);
    let hits = state
        .store
        .hit(&format!("token:{session_id}"), window)
        .await?;
    if hits > TOKENS_PER_SESSION_PER_10S {
        return Err(FlowError::with_n(
            ErrorCode::TooManyRequests,
            (window + 10 - now).max(1) as u64,
        ));
    }
    Ok(())
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// An error answer: JSON `{errors:[{code,message}]}` plus the flow error for server-function
/// clients, or a small page for a plain form post without JavaScript.
pub fn error_response(err: &FlowError, html: bool, back: Option<&str>) -> Response {
    let status = StatusCode::from_u16(err.code.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut res = if html {
        let back = back
            .and_then(crate::domain::redirect::safe_redirect)
            .unwrap_or("/".into());
        let page = format!(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Error</title>\
             <link rel=\"stylesheet\" href=\"/pkg/vestibule.css\"></head><body><main class=\"card\">\
             <h1>Please wait</h1><p role=\"alert\">{}</p><a href=\"{}\">Back</a></main></body></html>",
            escape(&err.sentence()),
            escape(&back)
        );
        (
            status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            page,
        )
            .into_response()
    } else {
        let body = serde_json::json!({
            "code": err.code,
            "n": err.n,
            "errors": [{ "code": err.code.as_str(), "message": err.sentence() }],
        });
        (status, axum::Json(body)).into_response()
    };
    if err.code == ErrorCode::TooManyRequests {
        if let Some(n) = err
            .n
            .and_then(|n| HeaderValue::from_str(&n.to_string()).ok())
        {
            res.headers_mut().insert(header::RETRY_AFTER, n);
        }
    }
    res
}

/// The scheme and host (with its port) of an absolute URL.
fn origin_of(url: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = url.split_once("://")?;
    Some((scheme, rest.split('/').next().unwrap_or(rest)))
}

/// Refuses a POST under `/api/` whose `Origin` (or, without one, `Referer`) is another site's —
/// another host, or, when `public_url` says the site is served over https, plain http (a page of
/// a network attacker's on the same host name).
pub async fn csrf_guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() == Method::POST && req.uri().path().starts_with("/api/") {
        let headers = req.headers();
        let host = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let public = state
            .settings
            .instance
            .public_url
            .as_deref()
            .and_then(origin_of);
        let same = |url: &str| {
            origin_of(url).is_some_and(|(scheme, h)| {
                let scheme_ok = public.is_none_or(|(s, _)| s.eq_ignore_ascii_case(scheme));
                let host_ok = h.eq_ignore_ascii_case(host) || public.is_some_and(|(_, p)| p == h);
                scheme_ok && host_ok
            })
        };
        let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
        let referer = headers.get(header::REFERER).and_then(|v| v.to_str().ok());
        let refused = match (origin, referer) {
            (Some(o), _) => !same(o),
            (None, Some(r)) => !same(r),
            (None, None) => false,
        };
        if refused {
            return error_response(&ErrorCode::OriginMismatch.into(), false, None);
        }
    }
    next.run(req).await
}

/// A server function whose arguments could not be read (a missing field, a number that is not
/// one) fails before any of our code runs, and the integration answers 500. This restores the
/// error's own status, 400 `malformed_request`.
pub async fn malformed_is_bad_request(req: Request, next: Next) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let res = next.run(req).await;
    if !api || res.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return error_response(&FlowError::new(ErrorCode::Internal), false, None);
    };
    if let Ok(e) = serde_json::from_slice::<FlowError>(&bytes) {
        if e.code == ErrorCode::MalformedRequest {
            parts.status = StatusCode::BAD_REQUEST;
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// Headers on every response. Pages get their CSP (with the hydration nonce) from the shell; this
/// sets a strict one on everything else. Nothing but the static assets may be cached (pages and
/// API answers carry who is signed in), and over https browsers are told to stay on https.
pub async fn security_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    // The public keys are public and meant to be cached (they say for how long).
    let cacheable = path.starts_with("/pkg/") || path == JWKS_PATH;
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    if !cacheable {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if state.https() {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        );
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'; base-uri 'none'"),
        );
    }
    res
}

/// Where the public keys of session tokens are published
/// (README, "Session tokens for other services").
pub const JWKS_PATH: &str = "/.well-known/jwks.json";

/// The CSP of a rendered page: scripts only from this origin or carrying the page's nonce.
pub fn page_csp(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; \
         frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    )
}
