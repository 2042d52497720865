//! The account portal (`/user`, SPEC §14): the signed-in user's password, backup codes and
//! signed-in devices. Every step needs an active session (a pending one is signed out), and
//! security changes need the password re-entered (SPEC §9.4).

use super::{bounded, count_failure, FlowResult, Outcome, MAX_PASSWORD_BYTES};
use crate::domain::errors::{ErrorCode, FlowError};
use crate::domain::session::SessionStatus;
use crate::domain::snapshot::{AccountView, DeviceView};
use crate::server::auth::{internal, ClientContext};
use crate::server::breached;
use crate::server::clock::rfc3339;
use crate::server::mfa;
use crate::server::state::AppState;
use crate::server::store::{SessionDetail, User};

/// The caller's active (not pending) session.
fn active(ctx: &ClientContext) -> FlowResult<&SessionDetail> {
    ctx.active()
        .filter(|s| s.session.status == SessionStatus::Active)
        .ok_or(FlowError::new(ErrorCode::Unauthenticated))
}

/// Re-verification: the current password must be right (wrong ones count towards the lockout).
async fn reverify(state: &AppState, user: &User, password: &str) -> FlowResult<()> {
    let password = bounded(password, MAX_PASSWORD_BYTES, "Password")?;
    let ok = state
        .hasher
        .verify(password.to_string(), user.password_hash.clone())
        .await
        .map_err(internal)?;
    if ok {
        Ok(())
    } else {
        Err(count_failure(state, user, ErrorCode::FormPasswordIncorrect).await)
    }
}

/// What `/user` shows.
pub async fn account(state: &AppState, ctx: &ClientContext) -> FlowResult<AccountView> {
    let s = active(ctx)?;
    let user = &s.user;
    let devices = state
        .store
        .user_sessions(&user.id)
        .await?
        .into_iter()
        .filter(|d| d.status.is_signed_in())
        .map(|d| DeviceView {
            this_device: d.client_id == s.session.client_id,
            session_id: d.id,
            user_agent: d.user_agent.unwrap_or_else(|| "Unknown device".into()),
            ip: d.ip.unwrap_or_default(),
            last_active_at: rfc3339(d.last_active_at),
        })
        .collect();
    let new_backup_codes = match state.store.take_regenerated_codes(&user.id).await? {
        Some(json) => Some(serde_json::from_str(&json).map_err(internal)?),
        None => None,
    };
    Ok(AccountView {
        email: user.email.clone(),
        authenticator_app: user.totp_secret.is_some(),
        sms_phone: user.phone.clone().filter(|_| user.sms_mfa),
        backup_codes_left: state.store.backup_codes_left(&user.id).await?,
        new_backup_codes,
        devices,
    })
}

/// Changes the password (current one required); other devices are signed out when asked.
pub async fn change_password(
    state: &AppState,
    ctx: &ClientContext,
    current: &str,
    password: &str,
    confirm: &str,
    sign_out_others: bool,
) -> FlowResult<Outcome> {
    let s = active(ctx)?;
    let user = &s.user;
    reverify(state, user, current).await?;
    let password = bounded(password, MAX_PASSWORD_BYTES, "New password")?;
    let confirm = bounded(confirm, MAX_PASSWORD_BYTES, "Confirm password")?;
    state.settings.password_policy().check_new(
        password,
        confirm,
        &user.email,
        breached::is_breached,
    )?;
    if password == current {
        return Err(ErrorCode::FormNewPasswordMatchesCurrent.into());
    }
    let hash = state
        .hasher
        .hash(password.to_string())
        .await
        .map_err(internal)?;
    state
        .store
        .change_password(
            &user.id,
            &hash,
            sign_out_others,
            Some(&s.session.client_id),
            state.now(),
        )
        .await?;
    super::sign_in::notify_password_changed(state, user).await;
    Ok(Outcome::stay())
}

/// New backup codes (the old ones stop working), shown once on the portal.
pub async fn regenerate_backup_codes(
    state: &AppState,
    ctx: &ClientContext,
    current: &str,
) -> FlowResult<Outcome> {
    let s = active(ctx)?;
    let user = &s.user;
    reverify(state, user, current).await?;
    if !user.has_second_factor() {
        return Err(FlowError::with_detail(
            ErrorCode::Forbidden,
            "no second factor",
        ));
    }
    let (codes, hashes) = mfa::new_backup_codes();
    let json = serde_json::to_string(&codes).map_err(internal)?;
    state
        .store
        .regenerate_backup_codes(&user.id, &hashes, &json)
        .await?;
    let name = &state.settings.instance.name;
    let _ = state
        .delivery
        .email(
            &user.email,
            &format!("Your {name} backup codes were regenerated"),
            "New backup codes were generated for your account; the old ones no longer work. If \
             this was not you, reset your password at once.",
            None,
            state.now(),
        )
        .await;
    Ok(Outcome::stay())
}

/// Signs out one of the user's sessions, on any device ("Sign out" in the device list).
pub async fn revoke_device(
    state: &AppState,
    ctx: &ClientContext,
    session_id: &str,
) -> FlowResult<Outcome> {
    let s = active(ctx)?;
    let target = state
        .store
        .session_by_id(bounded(session_id, 64, "Session")?)
        .await?
        .filter(|t| t.user_id == s.user.id)
        .ok_or(FlowError::new(ErrorCode::ResourceNotFound))?;
    state
        .store
        .end_session(&target.id, SessionStatus::Revoked, state.now())
        .await?;
    if target.id == s.session.id {
        return Ok(Outcome {
            next: state.settings.demo_urls().after_sign_out_url,
            new_token: None,
        });
    }
    Ok(Outcome::stay())
}
