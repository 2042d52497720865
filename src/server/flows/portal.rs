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

/// How recent a first-factor verification stands in for the password (SPEC §9.4).
const REVERIFY_WINDOW_SECS: i64 = 600;

/// Re-verification for a security change: a sign-in in the last 10 minutes, or the current
/// password (wrong ones count towards the lockout).
async fn reverify_session(state: &AppState, s: &SessionDetail, password: &str) -> FlowResult<()> {
    if password.is_empty() {
        if state.now() - s.session.created_at <= REVERIFY_WINDOW_SECS {
            return Ok(());
        }
        return Err(ErrorCode::ReverificationRequired.into());
    }
    reverify(state, &s.user, password).await
}

/// The current password must be right (wrong ones count towards the lockout).
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
        totp_setup: user.totp_pending_secret.as_ref().map(|secret| {
            let qr = mfa::qr_png_base64(secret, &state.settings.instance.name, &user.email);
            (secret.clone(), qr.unwrap_or_default())
        }),
        pending_phone: user.sms_pending_phone.clone(),
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
    // Changing the password always takes the current one.
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
    reverify_session(state, s, current).await?;
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

/// Tells the user a second factor changed (OWASP ASVS 6.3.7).
async fn notify_factor_change(state: &AppState, user: &User, what: &str) {
    let name = &state.settings.instance.name;
    let body = format!(
        "{what} on your {name} account. If this was not you, reset your password at once and \
         review your two-step verification settings."
    );
    if let Err(e) = state
        .delivery
        .email(
            &user.email,
            &format!("Two-step verification changed on your {name} account"),
            &body,
            None,
            state.now(),
        )
        .await
    {
        tracing::warn!(error = %e, "factor-change notice not queued");
    }
}

/// Generates backup codes for the portal to show, if the user has none left.
async fn ensure_backup_codes(state: &AppState, user: &User) -> FlowResult<()> {
    if !state.settings.mfa.backup_codes || state.store.backup_codes_left(&user.id).await? > 0 {
        return Ok(());
    }
    let (codes, hashes) = mfa::new_backup_codes();
    let json = serde_json::to_string(&codes).map_err(internal)?;
    state
        .store
        .regenerate_backup_codes(&user.id, &hashes, &json)
        .await?;
    Ok(())
}

fn method_allowed(state: &AppState, method: &str) -> FlowResult<()> {
    if state.settings.mfa.methods.iter().any(|m| m == method) {
        Ok(())
    } else {
        Err(ErrorCode::Forbidden.into())
    }
}

/// "Add authenticator app": a secret to scan (re-verification first).
pub async fn start_totp(
    state: &AppState,
    ctx: &ClientContext,
    current: &str,
) -> FlowResult<Outcome> {
    let s = active(ctx)?;
    method_allowed(state, "totp")?;
    reverify_session(state, s, current).await?;
    state
        .store
        .set_totp_pending(&s.user.id, Some(&mfa::new_secret()))
        .await?;
    Ok(Outcome::stay())
}

/// The code that proves the new authenticator app.
pub async fn confirm_totp(
    state: &AppState,
    ctx: &ClientContext,
    code: &str,
) -> FlowResult<Outcome> {
    let s = active(ctx)?;
    let secret = s
        .user
        .totp_pending_secret
        .clone()
        .ok_or(FlowError::new(ErrorCode::Forbidden))?;
    let step = crate::domain::verification::parse_code(bounded(code, 64, "Verification code")?)
        .and_then(|c| mfa::verify(&secret, &c, state.now(), None))
        .ok_or(FlowError::new(ErrorCode::FormCodeIncorrect))?;
    state
        .store
        .enable_factor(
            &s.user.id,
            crate::server::store::NewFactor::Totp { secret, step },
            &[],
            None,
            state.now(),
        )
        .await?;
    ensure_backup_codes(state, &s.user).await?;
    notify_factor_change(state, &s.user, "An authenticator app was added").await;
    Ok(Outcome::stay())
}

/// "Add phone": a code goes to it (re-verification first).
pub async fn start_sms(
    state: &AppState,
    ctx: &ClientContext,
    current: &str,
    phone: &str,
) -> FlowResult<Outcome> {
    let s = active(ctx)?;
    reverify_session(state, s, current).await?;
    super::start_phone_verification(state, &s.user.id, phone).await?;
    Ok(Outcome::stay())
}

/// The code sent to the new phone.
pub async fn confirm_sms(state: &AppState, ctx: &ClientContext, code: &str) -> FlowResult<Outcome> {
    let s = active(ctx)?;
    let phone = super::confirm_phone_verification(state, &s.user, code).await?;
    state
        .store
        .enable_factor(
            &s.user.id,
            crate::server::store::NewFactor::Sms { phone },
            &[],
            None,
            state.now(),
        )
        .await?;
    ensure_backup_codes(state, &s.user).await?;
    notify_factor_change(state, &s.user, "A phone for SMS codes was added").await;
    Ok(Outcome::stay())
}

/// Removes a factor (re-verification first). The last one cannot go while MFA is required.
pub async fn remove_factor(
    state: &AppState,
    ctx: &ClientContext,
    factor: crate::server::store::FactorKind,
    current: &str,
) -> FlowResult<Outcome> {
    use crate::server::store::FactorKind;
    let s = active(ctx)?;
    let user = &s.user;
    reverify_session(state, s, current).await?;
    let (has, other) = match factor {
        FactorKind::Totp => (user.totp_secret.is_some(), user.sms_mfa),
        FactorKind::Sms => (user.sms_mfa, user.totp_secret.is_some()),
    };
    if !has {
        return Err(ErrorCode::ResourceNotFound.into());
    }
    if !other && state.settings.mfa.required {
        return Err(ErrorCode::LastFactorRequired.into());
    }
    state
        .store
        .disable_factor(&user.id, factor, !other, state.now())
        .await?;
    let what = match factor {
        FactorKind::Totp => "The authenticator app was removed",
        FactorKind::Sms => "The phone for SMS codes was removed",
    };
    notify_factor_change(state, user, what).await;
    Ok(Outcome::stay())
}
