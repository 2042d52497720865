//! HTTP middleware: CSRF origin checks (SPEC §9.2), per-IP rate limits (SPEC §5.6), security
//! headers, and the error responses they share.

use super::state::AppState;
use crate::domain::errors::{ErrorCode, FlowError};
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use std::net::SocketAddr;

/// Server-function endpoints that start a sign-in or sign-up (the first screens).
pub const ATTEMPT_START_ENDPOINTS: &[&str] = &["/api/sign_in/start", "/api/sign_up/create"];
/// Endpoints that submit a password or a code after the first screen.
pub const FACTOR_ENDPOINTS: &[&str] = &[
    "/api/sign_in/code",
    "/api/sign_in/new_password",
    "/api/sign_in/second_factor",
    "/api/account/password",
    "/api/account/backup_codes",
    "/api/account/totp/confirm",
    "/api/account/sms/confirm",
    "/api/sign_up/verify",
    "/api/tasks/reset_password",
    "/api/tasks/mfa/totp",
    "/api/tasks/mfa/phone_code",
];

fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
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

fn host_of(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    Some(rest.split('/').next().unwrap_or(rest))
}

/// Refuses a POST under `/api/` whose `Origin` (or, without one, `Referer`) is another site's.
pub async fn csrf_guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() == Method::POST && req.uri().path().starts_with("/api/") {
        let headers = req.headers();
        let host = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let public_host = state
            .settings
            .instance
            .public_url
            .as_deref()
            .and_then(host_of);
        let same = |url: &str| {
            host_of(url).is_some_and(|h| h.eq_ignore_ascii_case(host) || Some(h) == public_host)
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

/// The caller's IP address (the socket peer; proxies are not trusted by default).
pub fn peer_ip(req: &Request<Body>) -> Option<String> {
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
}

/// Per-IP limits on sign-in/sign-up starts and on factor submissions, counted in the database so
/// every instance shares them. Answers 429 with `Retry-After`.
pub async fn rate_limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let limits = &state.settings.rate_limits;
    let path = req.uri().path();
    if !limits.enabled || req.method() != Method::POST {
        return next.run(req).await;
    }
    let (kind, limit) = if ATTEMPT_START_ENDPOINTS.contains(&path) {
        ("start", limits.attempt_starts_per_10s)
    } else if FACTOR_ENDPOINTS.contains(&path) {
        ("factor", limits.factor_attempts_per_10s)
    } else {
        return next.run(req).await;
    };
    let ip = peer_ip(&req).unwrap_or_else(|| "unknown".into());
    let now = state.now();
    let window = now - now.rem_euclid(10);
    match state.store.hit(&format!("{kind}:{ip}"), window).await {
        Ok(hits) if hits > limit => {
            let retry = (window + 10 - now).max(1) as u64;
            let back = req
                .headers()
                .get(header::REFERER)
                .and_then(|v| v.to_str().ok())
                .and_then(|r| host_of(r).map(|h| r.split_once(h).map(|x| x.1).unwrap_or("/")))
                .map(str::to_string);
            error_response(
                &FlowError::with_n(ErrorCode::TooManyRequests, retry),
                wants_html(req.headers()),
                back.as_deref(),
            )
        }
        Ok(_) => next.run(req).await,
        Err(e) => {
            tracing::error!(error = %e, "rate limit store failed");
            error_response(&ErrorCode::Internal.into(), wants_html(req.headers()), None)
        }
    }
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
/// sets a strict one on everything else.
pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
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

/// The CSP of a rendered page: scripts only from this origin or carrying the page's nonce.
pub fn page_csp(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; \
         frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    )
}
