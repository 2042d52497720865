//! The edge every server function shares: the request, the caller's client, the per-IP rate
//! limit, the answer (cookie, snapshot, redirect for a plain form post) and the error status.

use super::AuthResult;
use crate::domain::errors::{ErrorCode, FlowError};
use crate::server::client::{
    load_client, load_client_by_token, start_totp_enrolment, ClientContext,
};
use crate::server::cookies::client_cookie;
use crate::server::flows::{Outcome, RequestInfo};
use crate::server::http::{check_limit, Limit};
use crate::server::state::AppState;
use crate::server::views::snapshot;
use axum::extract::ConnectInfo;
use http::request::Parts;
use http::{header, HeaderValue};
use leptos::prelude::*;
use leptos_axum::ResponseOptions;
use std::net::SocketAddr;

/// The client the page-protection middleware already loaded for this request (page renders
/// only), else a fresh load.
pub async fn client(state: &AppState) -> Result<ClientContext, FlowError> {
    let parts = use_context::<Parts>().ok_or(FlowError::new(ErrorCode::Internal))?;
    match parts.extensions.get::<ClientContext>() {
        Some(ctx) => Ok(ctx.clone()),
        None => load_client(state, &parts.headers).await,
    }
}

/// The app state and the request, as the integration provides them.
pub fn request() -> Result<(AppState, RequestInfo), FlowError> {
    let state = use_context::<AppState>().ok_or(FlowError::new(ErrorCode::Internal))?;
    let parts = use_context::<Parts>().ok_or(FlowError::new(ErrorCode::Internal))?;
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    if peer.is_none() {
        warn_no_peer_address();
    }
    let ip =
        crate::server::client_ip::client_ip(peer, &parts.headers, &state.settings.trusted_proxies);
    let req = RequestInfo::new(parts.headers, ip);
    Ok((state, req))
}

/// Said once per process: without the peer's address every visitor shares one rate-limit bucket
/// (one visitor's flood then limits everyone), so an app that serves the router without it hears
/// about it loudly.
fn warn_no_peer_address() {
    static WARNED: std::sync::Once = std::sync::Once::new();
    WARNED.call_once(|| {
        tracing::error!(
            "requests arrive without the client's address: serve the router with \
             into_make_service_with_connect_info::<SocketAddr>() (Vestibule::serve does); \
             until then every visitor shares one rate-limit bucket"
        );
    });
}

fn accepts_html(req: &RequestInfo) -> bool {
    req.headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}

/// Runs one step with the caller's client loaded, after the per-IP rate limit of its class
/// (declared here, with the endpoint, so no endpoint can be left out of a list).
pub async fn step<F, Fut>(limit: Limit, f: F) -> Result<AuthResult, FlowError>
where
    F: FnOnce(AppState, ClientContext, RequestInfo) -> Fut,
    Fut: std::future::Future<Output = Result<Outcome, FlowError>>,
{
    let (state, req) = request()?;
    let html = accepts_html(&req);
    let result = async {
        check_limit(&state, &req, limit).await?;
        let ctx = load_client(&state, &req.headers).await?;
        let out = f(state.clone(), ctx, req.clone()).await?;
        finish(&state, &req, out).await
    }
    .await;
    if let Err(e) = &result {
        // A plain form post that needs a recent verification goes to the hosted page, which
        // returns to the form's page once verified (README, "Reverification"); a script
        // gets the 403.
        if html && e.code == ErrorCode::ReverificationRequired {
            let level = e
                .detail
                .as_deref()
                .and_then(crate::domain::reverification::Reverification::from_param)
                .unwrap_or(crate::domain::reverification::Reverification::STRICT);
            let next = crate::server::flows::reverify::page_url(&req, &level.to_param());
            let out = Outcome {
                next,
                new_token: None,
            };
            return finish(&state, &req, out).await;
        }
        if !html {
            set_status(e);
        }
    }
    result
}

/// Gives an error answer to a script (not a plain form post) its HTTP status, and a rate
/// limit its `Retry-After`.
pub fn set_status(e: &FlowError) {
    if let Some(res) = use_context::<ResponseOptions>() {
        res.set_status(
            http::StatusCode::from_u16(e.code.http_status())
                .unwrap_or(http::StatusCode::BAD_REQUEST),
        );
        if e.code == ErrorCode::TooManyRequests {
            if let Some(v) = e.n.and_then(|n| HeaderValue::from_str(&n.to_string()).ok()) {
                res.insert_header(header::RETRY_AFTER, v);
            }
        }
    }
}

async fn finish(
    state: &AppState,
    req: &RequestInfo,
    out: Outcome,
) -> Result<AuthResult, FlowError> {
    let mut ctx = match &out.new_token {
        Some(token) => {
            if let (Some(res), Ok(v)) = (
                use_context::<ResponseOptions>(),
                HeaderValue::from_str(&client_cookie(token, state.https())),
            ) {
                res.append_header(header::SET_COOKIE, v);
            }
            load_client_by_token(state, token).await?
        }
        None => load_client(state, &req.headers).await?,
    };
    start_totp_enrolment(state, &mut ctx).await?;
    let snap = snapshot(state, &ctx).await?;
    if accepts_html(req) && !out.next.is_empty() {
        leptos_axum::redirect(&out.next);
    }
    Ok(AuthResult {
        next: out.next,
        snapshot: snap,
    })
}

/// A checkbox or hidden flag field: present and not `false`/`off`.
pub fn flag(v: &Option<String>) -> bool {
    v.as_deref()
        .is_some_and(|s| !s.is_empty() && s != "false" && s != "off")
}

/// Where a task step was opened from: the carried `redirect_url` and the task component's
/// `redirect_url_complete` (empty fields are none).
pub fn destination(
    redirect_url: Option<String>,
    complete_url: Option<String>,
) -> crate::server::flows::tasks::Destination {
    crate::server::flows::tasks::Destination {
        redirect_url: redirect_url.filter(|s| !s.is_empty()),
        complete_url: complete_url.filter(|s| !s.is_empty()),
    }
}
