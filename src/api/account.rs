//! Server functions of the account portal `/user` (README, "Hosted pages" and "Reverification").

use super::AuthResult;
#[cfg(feature = "ssr")]
use crate::domain::errors::ErrorCode;
use crate::domain::errors::FlowError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::edge::{self, flag};
#[cfg(feature = "ssr")]
use crate::server::http::Limit;

/// What the account portal shows. Active sessions only.
#[server(prefix = "/api", endpoint = "account", output = crate::api::JsonText)]
pub async fn get_account() -> Result<crate::domain::snapshot::AccountView, FlowError> {
    let (state, _) = edge::request()?;
    let ctx = edge::client(&state).await?;
    crate::server::views::account::account(&state, &ctx)
        .await
        .inspect_err(edge::set_status)
}

/// Changes the password from the portal. Rate-limited as a factor attempt.
#[server(prefix = "/api", endpoint = "account/password", output = crate::api::JsonText)]
pub async fn account_password(
    current_password: String,
    password: String,
    confirm_password: String,
    sign_out_others: Option<String>,
) -> Result<AuthResult, FlowError> {
    edge::step(Limit::Factor, |state, ctx, _| async move {
        crate::server::flows::portal::change_password(
            &state,
            &ctx,
            &current_password,
            &password,
            &confirm_password,
            flag(&sign_out_others),
        )
        .await
    })
    .await
}

/// "Regenerate backup codes" (password re-entered). Rate-limited as a factor attempt.
#[server(prefix = "/api", endpoint = "account/backup_codes", output = crate::api::JsonText)]
pub async fn account_backup_codes(current_password: String) -> Result<AuthResult, FlowError> {
    edge::step(Limit::Factor, |state, ctx, _| async move {
        crate::server::flows::portal::regenerate_backup_codes(&state, &ctx, &current_password).await
    })
    .await
}

/// "Sign out" of one device in the portal's device list (password, unless the sign-in or the
/// last re-verification is less than 10 minutes old). Rate-limited as a factor attempt.
#[server(prefix = "/api", endpoint = "account/devices/sign_out", output = crate::api::JsonText)]
pub async fn account_device_sign_out(
    session_id: String,
    current_password: Option<String>,
) -> Result<AuthResult, FlowError> {
    edge::step(Limit::Factor, |state, ctx, _| async move {
        crate::server::flows::portal::revoke_device(
            &state,
            &ctx,
            &session_id,
            current_password.as_deref().unwrap_or(""),
        )
        .await
    })
    .await
}

/// "Sign out of all other devices", offered after a factor changed (re-verification as above).
/// Rate-limited as a factor attempt.
#[server(prefix = "/api", endpoint = "account/devices/sign_out_others", output = crate::api::JsonText)]
pub async fn account_sign_out_others(
    current_password: Option<String>,
) -> Result<AuthResult, FlowError> {
    edge::step(Limit::Factor, |state, ctx, _| async move {
        crate::server::flows::portal::sign_out_other_devices(
            &state,
            &ctx,
            current_password.as_deref().unwrap_or(""),
        )
        .await
    })
    .await
}

/// "Add authenticator app" in the portal (password, unless signed in within 10 minutes).
#[server(prefix = "/api", endpoint = "account/totp/start", output = crate::api::JsonText)]
pub async fn account_totp_start(current_password: Option<String>) -> Result<AuthResult, FlowError> {
    edge::step(Limit::Factor, |state, ctx, _| async move {
        crate::server::flows::portal::start_totp(
            &state,
            &ctx,
            current_password.as_deref().unwrap_or(""),
        )
        .await
    })
    .await
}

/// The code that proves the new authenticator app. Rate-limited as a factor attempt.
#[server(prefix = "/api", endpoint = "account/totp/confirm", output = crate::api::JsonText)]
pub async fn account_totp_confirm(code: String) -> Result<AuthResult, FlowError> {
    edge::step(Limit::Factor, |state, ctx, _| async move {
        crate::server::flows::portal::confirm_totp(&state, &ctx, &code).await
    })
    .await
}

/// "Add phone" in the portal: a code goes to it.
#[server(prefix = "/api", endpoint = "account/sms/start", output = crate::api::JsonText)]
pub async fn account_sms_start(
    current_password: Option<String>,
    phone: String,
) -> Result<AuthResult, FlowError> {
    edge::step(Limit::Factor, |state, ctx, req| async move {
        crate::server::flows::portal::start_sms(
            &state,
            &ctx,
            &req,
            current_password.as_deref().unwrap_or(""),
            &phone,
        )
        .await
    })
    .await
}

/// The code sent to the new phone. Rate-limited as a factor attempt.
#[server(prefix = "/api", endpoint = "account/sms/confirm", output = crate::api::JsonText)]
pub async fn account_sms_confirm(code: String) -> Result<AuthResult, FlowError> {
    edge::step(Limit::Factor, |state, ctx, _| async move {
        crate::server::flows::portal::confirm_sms(&state, &ctx, &code).await
    })
    .await
}

/// Removes a second factor (`factor` is `totp` or `sms`).
#[server(prefix = "/api", endpoint = "account/factor/remove", output = crate::api::JsonText)]
pub async fn account_factor_remove(
    factor: String,
    current_password: Option<String>,
) -> Result<AuthResult, FlowError> {
    edge::step(Limit::Factor, |state, ctx, _| async move {
        use crate::server::store::FactorKind;
        let factor = match factor.as_str() {
            "totp" => FactorKind::Totp,
            "sms" => FactorKind::Sms,
            _ => {
                return Err(FlowError::with_detail(
                    ErrorCode::FormParamFormatInvalid,
                    "Factor",
                ))
            }
        };
        crate::server::flows::portal::remove_factor(
            &state,
            &ctx,
            factor,
            current_password.as_deref().unwrap_or(""),
        )
        .await
    })
    .await
}

/// "Delete account" in the portal: after a strict reverification (README, "Reverification"), the
/// user and everything of theirs is deleted, and the browser goes to the after-sign-out URL.
/// `user_id`, when given, must be the signed-in user's: a form shown for one account never
/// deletes another that became active meanwhile (several accounts on one browser).
#[server(prefix = "/api", endpoint = "account/delete", output = crate::api::JsonText)]
pub async fn account_delete(user_id: Option<String>) -> Result<AuthResult, FlowError> {
    edge::step(Limit::None, |state, ctx, _| async move {
        crate::server::flows::portal::delete_account(&state, &ctx, user_id.as_deref()).await
    })
    .await
}
