//! Server functions of sign-in: the first screen, the email-code steps, forgot
//! password, the second factor, "Back".

use super::AuthResult;
use crate::domain::errors::FlowError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::edge::{self, flag};
#[cfg(feature = "ssr")]
use crate::server::http::Limit;

/// The first sign-in screen. `action` is the submit button: `continue` (password),
/// `another_method` or `forgot_password`. Anyone may call; rate-limited as an attempt start.
#[server(prefix = "/api", endpoint = "sign_in/start", output = crate::api::JsonText)]
pub async fn sign_in_start(
    email: String,
    password: Option<String>,
    action: Option<String>,
    redirect_url: Option<String>,
) -> Result<AuthResult, FlowError> {
    use crate::server::flows::sign_in::{start, StartAction};
    edge::step(Limit::Start, |state, ctx, req| async move {
        let action = StartAction::parse(action.as_deref().unwrap_or("continue"));
        start(
            &state,
            &ctx,
            &req,
            &email,
            password.as_deref().unwrap_or(""),
            action,
            redirect_url.as_deref(),
        )
        .await
    })
    .await
}

/// The email-address step when the first screen was left empty. Rate-limited as an attempt
/// start (it is where the address is typed).
#[server(prefix = "/api", endpoint = "sign_in/identify", output = crate::api::JsonText)]
pub async fn sign_in_identify(email: String) -> Result<AuthResult, FlowError> {
    edge::step(Limit::Start, |state, ctx, req| async move {
        crate::server::flows::sign_in::identify(&state, &ctx, &req, &email).await
    })
    .await
}

/// "Email code" on `/sign-in/factor-one`.
#[server(prefix = "/api", endpoint = "sign_in/email_code", output = crate::api::JsonText)]
pub async fn sign_in_email_code() -> Result<AuthResult, FlowError> {
    edge::step(Limit::None, |state, ctx, req| async move {
        crate::server::flows::sign_in::choose_email_code(&state, &ctx, &req).await
    })
    .await
}

/// A typed code (email code, reset code, device code). Rate-limited as a factor attempt.
#[server(prefix = "/api", endpoint = "sign_in/code", output = crate::api::JsonText)]
pub async fn sign_in_code(code: String) -> Result<AuthResult, FlowError> {
    edge::step(Limit::Factor, |state, ctx, req| async move {
        crate::server::flows::sign_in::attempt_code(&state, &ctx, &req, &code).await
    })
    .await
}

/// "Resend code" on a sign-in code step.
#[server(prefix = "/api", endpoint = "sign_in/resend", output = crate::api::JsonText)]
pub async fn sign_in_resend() -> Result<AuthResult, FlowError> {
    edge::step(Limit::None, |state, ctx, req| async move {
        crate::server::flows::sign_in::resend_code(&state, &ctx, &req).await
    })
    .await
}

/// The new password of forgot-password. Rate-limited as a factor attempt.
#[server(prefix = "/api", endpoint = "sign_in/new_password", output = crate::api::JsonText)]
pub async fn sign_in_new_password(
    password: String,
    confirm_password: String,
    sign_out_others: Option<String>,
) -> Result<AuthResult, FlowError> {
    edge::step(Limit::Factor, |state, ctx, req| async move {
        crate::server::flows::sign_in::reset_password(
            &state,
            &ctx,
            &req,
            &password,
            &confirm_password,
            flag(&sign_out_others),
        )
        .await
    })
    .await
}

/// "Back": abandons the sign-in attempt.
#[server(prefix = "/api", endpoint = "sign_in/back", output = crate::api::JsonText)]
pub async fn sign_in_back() -> Result<AuthResult, FlowError> {
    edge::step(Limit::None, |state, ctx, _| async move {
        crate::server::flows::sign_in::abandon(&state, &ctx).await
    })
    .await
}

/// The second factor at sign-in: `method` is `totp`, `sms` or `backup_code`. Rate-limited as a
/// factor attempt; wrong codes count towards the lockout.
#[server(prefix = "/api", endpoint = "sign_in/second_factor", output = crate::api::JsonText)]
pub async fn sign_in_second_factor(method: String, code: String) -> Result<AuthResult, FlowError> {
    edge::step(Limit::Factor, |state, ctx, req| async move {
        crate::server::flows::sign_in::attempt_second_factor(&state, &ctx, &req, &method, &code)
            .await
    })
    .await
}

/// "SMS code" at `/sign-in/factor-two`: sends a code to the reserved phone.
#[server(prefix = "/api", endpoint = "sign_in/sms_code", output = crate::api::JsonText)]
pub async fn sign_in_sms_code() -> Result<AuthResult, FlowError> {
    edge::step(Limit::None, |state, ctx, req| async move {
        crate::server::flows::sign_in::send_sms_code(&state, &ctx, &req).await
    })
    .await
}
