//! Server functions of the session tasks (README, "Session tasks for app developers"):
//! reset-password, setup-mfa and the organization form of choose-organization.

use super::AuthResult;
use crate::domain::errors::FlowError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::edge::{self, destination, flag};
#[cfg(feature = "ssr")]
use crate::server::http::Limit;

/// The `reset-password` task. Only for a session whose current task it is.
#[server(prefix = "/api", endpoint = "tasks/reset_password", output = crate::api::JsonText)]
pub async fn task_reset_password(
    password: String,
    confirm_password: String,
    sign_out_others: Option<String>,
    redirect_url: Option<String>,
    complete_url: Option<String>,
) -> Result<AuthResult, FlowError> {
    edge::step(Limit::Factor, |state, ctx, req| async move {
        crate::server::flows::tasks::reset_password(
            &state,
            &ctx,
            &req,
            &password,
            &confirm_password,
            flag(&sign_out_others),
            &destination(redirect_url, complete_url),
        )
        .await
    })
    .await
}

/// Creates an organization with the caller as admin and makes it active.
#[server(prefix = "/api", endpoint = "organizations/create", output = crate::api::JsonText)]
pub async fn create_organization(
    name: String,
    slug: Option<String>,
    redirect_url: Option<String>,
    complete_url: Option<String>,
) -> Result<AuthResult, FlowError> {
    edge::step(Limit::None, |state, ctx, req| async move {
        crate::server::flows::tasks::create_organization(
            &state,
            &ctx,
            &req,
            &name,
            slug.as_deref().unwrap_or(""),
            &destination(redirect_url, complete_url),
        )
        .await
    })
    .await
}

/// The authenticator code that proves the new secret. Rate-limited as a factor attempt.
#[server(prefix = "/api", endpoint = "tasks/mfa/totp", output = crate::api::JsonText)]
pub async fn mfa_totp(
    code: String,
    redirect_url: Option<String>,
    complete_url: Option<String>,
) -> Result<AuthResult, FlowError> {
    edge::step(Limit::Factor, |state, ctx, req| async move {
        crate::server::flows::tasks::mfa_totp_verify(
            &state,
            &ctx,
            &req,
            &code,
            &destination(redirect_url, complete_url),
        )
        .await
    })
    .await
}

/// The phone number for SMS codes.
#[server(prefix = "/api", endpoint = "tasks/mfa/phone", output = crate::api::JsonText)]
pub async fn mfa_phone(phone: String) -> Result<AuthResult, FlowError> {
    edge::step(Limit::None, |state, ctx, req| async move {
        crate::server::flows::tasks::mfa_phone(&state, &ctx, &req, &phone).await
    })
    .await
}

/// The code sent to the phone. Rate-limited as a factor attempt.
#[server(prefix = "/api", endpoint = "tasks/mfa/phone_code", output = crate::api::JsonText)]
pub async fn mfa_phone_code(
    code: String,
    redirect_url: Option<String>,
    complete_url: Option<String>,
) -> Result<AuthResult, FlowError> {
    edge::step(Limit::Factor, |state, ctx, req| async move {
        crate::server::flows::tasks::mfa_phone_verify(
            &state,
            &ctx,
            &req,
            &code,
            &destination(redirect_url, complete_url),
        )
        .await
    })
    .await
}

/// "Continue" under the backup codes.
#[server(prefix = "/api", endpoint = "tasks/mfa/done", output = crate::api::JsonText)]
pub async fn mfa_done(
    redirect_url: Option<String>,
    complete_url: Option<String>,
) -> Result<AuthResult, FlowError> {
    edge::step(Limit::None, |state, ctx, req| async move {
        crate::server::flows::tasks::mfa_backup_codes_seen(
            &state,
            &ctx,
            &req,
            &destination(redirect_url, complete_url),
        )
        .await
    })
    .await
}

/// "Continue" on the hosted page of an app-defined task (README, "Custom tasks"). Only for a
/// session whose current task it is.
#[server(prefix = "/api", endpoint = "tasks/complete", output = crate::api::JsonText)]
pub async fn task_complete(
    key: String,
    redirect_url: Option<String>,
    complete_url: Option<String>,
) -> Result<AuthResult, FlowError> {
    edge::step(Limit::None, |state, ctx, req| async move {
        crate::server::flows::required::complete_custom(
            &state,
            &ctx,
            &req,
            &key,
            crate::server::flows::required::CompletedBy::HostedPage,
            &destination(redirect_url, complete_url),
        )
        .await
    })
    .await
}

/// The `accept-terms` task: the consent box, then "Continue".
#[server(prefix = "/api", endpoint = "tasks/accept_terms", output = crate::api::JsonText)]
pub async fn task_accept_terms(
    legal_accepted: Option<String>,
    redirect_url: Option<String>,
    complete_url: Option<String>,
) -> Result<AuthResult, FlowError> {
    edge::step(Limit::None, |state, ctx, req| async move {
        crate::server::flows::required::accept_terms(
            &state,
            &ctx,
            &req,
            flag(&legal_accepted),
            &destination(redirect_url, complete_url),
        )
        .await
    })
    .await
}

/// For an app's own task page: completes the app-defined task `key` from the app's own server
/// function. Accepted only while `key` is the current task of the caller's active session
/// (`task_not_current` otherwise). The answer's `next` is the next task, else the `redirect_url`
/// the page was opened with (read from the form post's `Referer`), else the after-sign-in URL; a
/// plain form post (no JavaScript) is redirected there.
#[cfg(feature = "ssr")]
pub async fn complete_task(key: &str) -> Result<AuthResult, FlowError> {
    let carried = use_context::<http::request::Parts>().and_then(|p| {
        let referer = p.headers.get(http::header::REFERER)?.to_str().ok()?;
        let query = referer.split_once('?')?.1;
        crate::domain::redirect::query_param(query, "redirect_url")
    });
    complete_task_with(key, carried, None).await
}

/// [`complete_task`] with the destination given: the carried `redirect_url` (honoured only when
/// same-origin and relative) and where to go when the last task is done.
#[cfg(feature = "ssr")]
pub async fn complete_task_with(
    key: &str,
    redirect_url: Option<String>,
    complete_url: Option<String>,
) -> Result<AuthResult, FlowError> {
    let key = key.to_string();
    edge::step(Limit::None, |state, ctx, req| async move {
        crate::server::flows::required::complete_custom(
            &state,
            &ctx,
            &req,
            &key,
            crate::server::flows::required::CompletedBy::App,
            &destination(redirect_url, complete_url),
        )
        .await
    })
    .await
}
