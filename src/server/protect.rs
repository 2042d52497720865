//! Route protection applied before rendering (the counterpart of `createRouteMatcher` plus
//! middleware; README, "Session tasks for app developers"): a protected page never streams to a
//! signed-out or pending visitor, and the sign-in and task pages send visitors where they belong —
//! with an HTTP redirect.

use super::auth::Auth;
use super::client::load_client;
use super::state::AppState;
use crate::domain::errors::{ErrorCode, FlowError};
use crate::domain::guard::{
    decide, Visitor, CREATE_ORGANIZATION_PATH, INVITATION_PATH, ORGANIZATION_PROFILE_PATH,
};
use crate::domain::path::{normalize_path, AmbiguousPath};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use http::{header, HeaderValue, Method, StatusCode};

/// `/sign-in/tasks/<key>` for a key that is no task of this instance (the page says "Page not
/// found"; the status says it too).
fn unknown_task_page(urls: &crate::domain::guard::AuthUrls, path: &str) -> bool {
    urls.sign_in_step_of(path)
        .is_some_and(|s| s.starts_with("tasks/"))
        && urls.task_of_path(path).is_none()
}

/// A permanent redirect to the normal form of the path, with the query as it came: the page is
/// then protected, and rendered, under the one path the router reads.
fn to_normal_path(normal: String, query: Option<&str>) -> Response {
    let to = match query {
        Some(q) => format!("{normal}?{q}"),
        None => normal,
    };
    match HeaderValue::from_str(&to) {
        Ok(location) => (
            StatusCode::PERMANENT_REDIRECT,
            [(header::LOCATION, location)],
        )
            .into_response(),
        Err(_) => malformed(true),
    }
}

/// 400 `malformed_request`, as a small page to a browser's page load and as JSON otherwise.
fn malformed(html: bool) -> Response {
    super::http::error_response(&FlowError::new(ErrorCode::MalformedRequest), html, None)
}

/// Hosted pages that exist only while organizations are enabled (404 otherwise).
const ORGANIZATION_PAGES: &[&str] = &[ORGANIZATION_PROFILE_PATH, INVITATION_PATH];

/// Also leaves the loaded [`ClientContext`](super::client::ClientContext) in the request's
/// extensions, so rendering the page does not load it again.
pub async fn protect_pages(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path().to_string();
    // Before any exemption: `/api/../dashboard` is no API call, whatever its first segment says.
    let page_read = req.method() == Method::GET || req.method() == Method::HEAD;
    match normalize_path(&path) {
        Ok(normal) if normal == path => {}
        Ok(normal) if page_read => return to_normal_path(normal, req.uri().query()),
        // Any other method is refused, not redirected: a 308 has the client send the same body to
        // a path it never named. An ambiguous path has no single reading to redirect to.
        Ok(_) | Err(AmbiguousPath) => return malformed(page_read),
    }
    // HEAD too: axum answers it with the GET route, so it renders the page (and its status and
    // length tell what the page holds) exactly as GET would.
    if !page_read
        || path.starts_with("/api/")
        || path.starts_with("/v1/")
        || path.starts_with("/__testing/")
        || path.starts_with("/pkg/")
        || path == "/healthz"
        || path == "/readyz"
    {
        return next.run(req).await;
    }
    let ctx = match load_client(&state, req.headers()).await {
        Ok(ctx) => ctx,
        Err(e) => return super::http::error_response(&e, true, None),
    };
    // An invitation link: join, or go to sign-in / sign-up, before anything renders.
    if path == INVITATION_PATH {
        let token = crate::domain::redirect::query_param(req.uri().query().unwrap_or(""), "token")
            .unwrap_or_default();
        let info = crate::server::flows::RequestInfo::new(req.headers().clone(), None);
        match crate::server::flows::organizations::landing(&state, &ctx, &info, &token).await {
            Ok(Some(to)) => return Redirect::to(&to).into_response(),
            Ok(None) => {}
            Err(e) => tracing::info!(code = %e.code, "invitation link not followed"),
        }
    }
    let auth = Auth::from_context(&ctx);
    let full = auth.with(false);
    let tasks = ctx
        .active()
        .map(|s| s.session.tasks.clone())
        .unwrap_or_default();
    let visitor = match (full.is_signed_in, full.is_pending()) {
        (false, _) => Visitor::SignedOut,
        (true, true) => Visitor::Pending(&tasks),
        (true, false) => Visitor::Active,
    };
    let query = req.uri().query().unwrap_or("").to_string();
    if let Some(to) = decide(
        &path,
        &query,
        visitor,
        state.settings.sessions.multi_session,
        state.urls(),
        &state.site.protected,
    ) {
        return Redirect::to(&to).into_response();
    }
    // A page that needs a role answers "not found" to everyone else (`auth.protect(has)`).
    let missing_role = state
        .site
        .role_pages
        .iter()
        .any(|(page, role)| *page == path && !auth.view().has_role(role))
        || (!state.settings.organizations.enabled
            && ORGANIZATION_PAGES
                .iter()
                .any(|p| path == *p || path.starts_with(&format!("{p}/"))))
        || (path == CREATE_ORGANIZATION_PATH && !state.settings.organizations.creation_enabled)
        || unknown_task_page(state.urls(), &path);
    req.extensions_mut().insert(ctx);
    let mut res = next.run(req).await;
    if missing_role {
        *res.status_mut() = http::StatusCode::NOT_FOUND;
    }
    res
}
