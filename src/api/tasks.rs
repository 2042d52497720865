//! Server functions of the session tasks (SPEC §4): reset-password, setup-mfa and the
//! organization form of choose-organization.

use super::AuthResult;
use crate::domain::errors::FlowError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::edge::{self, destination, flag};
#[cfg(feature = "ssr")]
use crate::server::http::Limit;

/// The `reset-password` task. Only for a session whose current task it is.
#[server(prefix = "/api", endpoint = "tasks/reset_password")]
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
#[server(prefix = "/api", endpoint = "organizations/create")]
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
#[server(prefix = "/api", endpoint = "tasks/mfa/totp")]
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
#[server(prefix = "/api", endpoint = "tasks/mfa/phone")]
pub async fn mfa_phone(phone: String) -> Result<AuthResult, FlowError> {
    edge::step(Limit::None, |state, ctx, req| async move {
        crate::server::flows::tasks::mfa_phone(&state, &ctx, &req, &phone).await
    })
    .await
}

/// The code sent to the phone. Rate-limited as a factor attempt.
#[server(prefix = "/api", endpoint = "tasks/mfa/phone_code")]
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
#[server(prefix = "/api", endpoint = "tasks/mfa/done")]
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
