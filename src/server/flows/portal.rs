//! The account portal (`/user`; README, "Hosted pages"): the signed-in user's password, backup
//! codes and signed-in devices. Every step needs an active session (a pending one is signed out),
//! and security changes need the password re-entered (README, "Security defaults").

use super::credentials::{codes_json, fresh_backup_codes};
use super::{bounded, FlowResult, Outcome, RequestInfo, MAX_PASSWORD_BYTES};
use crate::domain::credentials::Channel;
use crate::domain::errors::{ErrorCode, FlowError};
use crate::domain::session::{SessionStatus, TaskKey};
use crate::server::client::ClientContext;
use crate::server::messages;
use crate::server::mfa;
use crate::server::state::AppState;
use crate::server::store::{FactorKind, NewFactor, SessionDetail, User};

/// Where the portal goes after a factor was added or removed: the page offers to sign out of all
/// other devices (ASVS 7.4.3).
pub const FACTOR_CHANGED: &str = "/user?factor_changed=1";

/// Reverification for a security change (`strict`; README, "Reverification"): the factors verified
/// in the last 10 minutes. The form's password field, when filled, verifies the first factor on the
/// way (a wrong one counts towards the lockout); what is still missing is
/// `reverification_required`.
async fn reverify_session(state: &AppState, s: &SessionDetail, password: &str) -> FlowResult<()> {
    let mut v = s.verified();
    if !password.is_empty() {
        super::credentials::check_password(state, s, password).await?;
        v.first_at = state.now();
    }
    super::credentials::authorize(state, s, Channel::Portal, &v)
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
    let s = ctx.require_active()?;
    let user = &s.user;
    // Changing the password always takes the current one (and, for a user with a second factor,
    // that factor verified in the last 10 minutes).
    if current.is_empty() {
        return Err(ErrorCode::FormPasswordIncorrect.into());
    }
    reverify_session(state, s, current).await?;
    let password = bounded(password, MAX_PASSWORD_BYTES, "New password")?;
    let confirm = bounded(confirm, MAX_PASSWORD_BYTES, "Confirm password")?;
    if password == current {
        return Err(ErrorCode::FormNewPasswordMatchesCurrent.into());
    }
    let hash = super::credentials::new_password_hash(state, user, password, confirm).await?;
    super::credentials::change_password(state, user, &hash, sign_out_others, &s.session.client_id)
        .await?;
    Ok(Outcome::stay())
}

/// New backup codes (the old ones stop working), shown once on the portal.
pub async fn regenerate_backup_codes(
    state: &AppState,
    ctx: &ClientContext,
    current: &str,
) -> FlowResult<Outcome> {
    let s = ctx.require_active()?;
    let user = &s.user;
    reverify_session(state, s, current).await?;
    if !user.has_second_factor() {
        return Err(FlowError::with_detail(
            ErrorCode::Forbidden,
            "no second factor",
        ));
    }
    store_fresh_codes(state, s).await?;
    super::notices::notify(
        state,
        user,
        messages::backup_codes_regenerated(&state.settings.instance.name),
    )
    .await;
    Ok(Outcome::stay())
}

/// Replaces the user's backup codes with fresh ones the portal shows once, to this session.
async fn store_fresh_codes(state: &AppState, s: &SessionDetail) -> FlowResult<()> {
    let (codes, stored) = fresh_backup_codes(state).await?;
    state
        .store
        .regenerate_backup_codes(&s.user.id, &s.session.id, &stored, &codes_json(&codes)?)
        .await?;
    Ok(())
}

/// Signs out one of the user's sessions, on any device ("Sign out" in the device list). Needs a
/// recent verification (ASVS 7.5.2) — the password, unless the first factor is fresh.
pub async fn revoke_device(
    state: &AppState,
    ctx: &ClientContext,
    session_id: &str,
    current: &str,
) -> FlowResult<Outcome> {
    let s = ctx.require_active()?;
    let target = state
        .store
        .session_by_id(bounded(session_id, 64, "Session")?)
        .await?
        .filter(|t| t.user_id == s.user.id)
        .ok_or(FlowError::new(ErrorCode::ResourceNotFound))?;
    if target.id != s.session.id {
        reverify_session(state, s, current).await?;
    }
    state
        .store
        .end_session(&target.id, SessionStatus::Revoked, state.now())
        .await?;
    if target.id == s.session.id {
        return Ok(Outcome {
            next: state.urls().after_sign_out_url.clone(),
            new_token: None,
        });
    }
    Ok(Outcome::stay())
}

/// "Sign out of all other devices" (offered after a factor changed): every other live session of
/// the user ends. Needs a recent verification.
pub async fn sign_out_other_devices(
    state: &AppState,
    ctx: &ClientContext,
    current: &str,
) -> FlowResult<Outcome> {
    let s = ctx.require_active()?;
    reverify_session(state, s, current).await?;
    let now = state.now();
    for other in state.store.user_sessions(&s.user.id).await? {
        if other.id != s.session.id && other.status.is_signed_in() {
            state
                .store
                .end_session(&other.id, SessionStatus::Revoked, now)
                .await?;
        }
    }
    Ok(Outcome {
        next: "/user".into(),
        new_token: None,
    })
}

/// Tells the user a second factor changed (OWASP ASVS 6.3.7).
async fn notify_factor_change(state: &AppState, user: &User, what: &str) {
    let message = messages::factor_changed(&state.settings.instance.name, what);
    super::notices::notify(state, user, message).await;
}

/// After a factor was added: the session proved it, and backup codes exist (fresh ones, shown
/// once, if the user had none left).
async fn factor_added(state: &AppState, s: &SessionDetail, what: &str) -> FlowResult<Outcome> {
    if state.settings.mfa.backup_codes && state.store.backup_codes_left(&s.user.id).await? == 0 {
        store_fresh_codes(state, s).await?;
    }
    notify_factor_change(state, &s.user, what).await;
    Ok(Outcome {
        next: FACTOR_CHANGED.into(),
        new_token: None,
    })
}

fn method_allowed(state: &AppState, method: &str) -> FlowResult<()> {
    if state
        .settings
        .mfa
        .methods
        .iter()
        .any(|m| m.as_str() == method)
    {
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
    let s = ctx.require_active()?;
    method_allowed(state, "totp")?;
    reverify_session(state, s, current).await?;
    state
        .store
        .set_totp_pending(&s.user.id, &s.session.id, &mfa::new_secret())
        .await?;
    Ok(Outcome::stay())
}

/// The code that proves the new authenticator app.
pub async fn confirm_totp(
    state: &AppState,
    ctx: &ClientContext,
    code: &str,
) -> FlowResult<Outcome> {
    let s = ctx.require_active()?;
    let secret = s
        .user
        .totp_pending_for(&s.session.id)
        .map(str::to_string)
        .ok_or(FlowError::new(ErrorCode::Forbidden))?;
    let step = crate::domain::verification::parse_code(bounded(code, 64, "Verification code")?)
        .and_then(|c| mfa::verify(&secret, &c, state.now(), None))
        .ok_or(FlowError::new(ErrorCode::FormCodeIncorrect))?;
    state
        .store
        .enable_factor(
            &s.user.id,
            &s.session.id,
            NewFactor::Totp { secret, step },
            false,
            None,
            state.now(),
        )
        .await?;
    factor_added(state, s, "An authenticator app was added").await
}

/// "Add phone": a code goes to it (re-verification first).
pub async fn start_sms(
    state: &AppState,
    ctx: &ClientContext,
    req: &RequestInfo,
    current: &str,
    phone: &str,
) -> FlowResult<Outcome> {
    let s = ctx.require_active()?;
    reverify_session(state, s, current).await?;
    super::start_phone_verification(state, req, s, phone).await?;
    Ok(Outcome::stay())
}

/// The code sent to the new phone.
pub async fn confirm_sms(state: &AppState, ctx: &ClientContext, code: &str) -> FlowResult<Outcome> {
    let s = ctx.require_active()?;
    let phone = super::confirm_phone_verification(state, s, code).await?;
    state
        .store
        .enable_factor(
            &s.user.id,
            &s.session.id,
            NewFactor::Sms { phone },
            false,
            None,
            state.now(),
        )
        .await?;
    factor_added(state, s, "A phone for SMS codes was added").await
}

/// Removes a factor (re-verification first). The last one cannot go while MFA is required.
pub async fn remove_factor(
    state: &AppState,
    ctx: &ClientContext,
    factor: FactorKind,
    current: &str,
) -> FlowResult<Outcome> {
    let s = ctx.require_active()?;
    let user = &s.user;
    reverify_session(state, s, current).await?;
    let (has, other) = match factor {
        FactorKind::Totp => (user.totp_secret.is_some(), user.sms_mfa),
        FactorKind::Sms => (user.sms_mfa, user.totp_secret.is_some()),
    };
    if !has {
        return Err(ErrorCode::ResourceNotFound.into());
    }
    let required = state.settings.mfa.required
        || s.organization.as_ref().is_some_and(|o| o.require_mfa)
        || user.requested_tasks.contains(&TaskKey::SetupMfa);
    if !other && required {
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
    Ok(Outcome {
        next: FACTOR_CHANGED.into(),
        new_token: None,
    })
}

/// "Delete account" (README, "Reverification"): after a strict reverification the user goes, with
/// every session, factor and membership of theirs (one statement; the rest cascades).
pub async fn delete_account(
    state: &AppState,
    ctx: &ClientContext,
    user_id: Option<&str>,
) -> FlowResult<Outcome> {
    let s = ctx.require_active()?;
    if user_id.is_some_and(|id| !id.is_empty() && id != s.user.id) {
        return Err(FlowError::with_detail(
            ErrorCode::Forbidden,
            "not the active user",
        ));
    }
    reverify_session(state, s, "").await?;
    state.store.delete_user(&s.user.id).await?;
    Ok(Outcome {
        next: state.urls().after_sign_out_url.clone(),
        new_token: None,
    })
}
