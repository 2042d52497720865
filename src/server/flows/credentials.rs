//! Credentials shared by the flows: the one rule every credential change follows (what a session
//! proves before it, `domain::credentials`), the one password-change service (forgot-password,
//! the reset-password task and the portal), and backup codes — generated, stored as salted hashes
//! (ASVS 6.5.2), verified and used once.

use super::{bounded, check_not_locked, check_password_guess, FlowResult, MAX_PASSWORD_BYTES};
use crate::domain::credentials::{self, Channel, LEVEL};
use crate::domain::errors::{ErrorCode, FlowError};
use crate::domain::reverification::Verified;
use crate::server::breached;
use crate::server::error::internal;
use crate::server::messages;
use crate::server::mfa;
use crate::server::state::AppState;
use crate::server::store::{NewBackupCode, SessionDetail, User};
use crate::server::tokens::{eq_ct, hash};

/// Lets a credential change asked through `channel` go ahead only when `verified` (what the
/// session has proven and when, including a password checked in this very request) meets the
/// rule; otherwise `reverification_required` naming the level, which sends the browser to verify
/// again (the hosted page or the kit's dialog) and retry.
pub fn authorize(
    state: &AppState,
    s: &SessionDetail,
    channel: Channel,
    verified: &Verified,
) -> FlowResult<()> {
    match credentials::required(
        channel,
        verified,
        s.user.password_hash.is_some(),
        state.now(),
    ) {
        None => Ok(()),
        Some(_) => Err(FlowError::with_detail(
            ErrorCode::ReverificationRequired,
            LEVEL.to_param(),
        )),
    }
}

/// Checks a new password — the policy (length, not the email, not breached), its confirmation,
/// and that it differs from the current one — and hashes it.
pub async fn new_password_hash(
    state: &AppState,
    user: &User,
    password: &str,
    confirm: &str,
) -> FlowResult<String> {
    state.settings.password_policy().check_new(
        password,
        confirm,
        &user.email,
        breached::is_breached,
    )?;
    if let Some(old) = &user.password_hash {
        if state
            .hasher
            .verify(password.to_string(), Some(old.clone()))
            .await
            .map_err(FlowError::from)?
        {
            return Err(ErrorCode::FormNewPasswordMatchesCurrent.into());
        }
    }
    state
        .hasher
        .hash(password.to_string())
        .await
        .map_err(FlowError::from)
}

/// Sets a checked new password: clears the compromised flag, ends the user's sessions on other
/// clients when asked, and tells the user.
pub async fn change_password(
    state: &AppState,
    user: &User,
    new_hash: &str,
    end_other_sessions: bool,
    keep_client: &str,
) -> FlowResult<()> {
    state
        .store
        .change_password(
            &user.id,
            new_hash,
            end_other_sessions,
            Some(keep_client),
            state.now(),
        )
        .await?;
    super::notices::notify(
        state,
        user,
        messages::password_changed(&state.settings.instance.name),
    )
    .await;
    Ok(())
}

/// Ten fresh backup codes: the plaintext to show once, and the stored form (selector and salted
/// hash) of each.
pub async fn fresh_backup_codes(state: &AppState) -> FlowResult<(Vec<String>, Vec<NewBackupCode>)> {
    let codes = mfa::new_backup_codes();
    let mut stored = Vec::with_capacity(codes.len());
    for code in &codes {
        let normal = mfa::normalize_backup_code(code);
        stored.push(NewBackupCode {
            selector: mfa::backup_code_selector(&normal),
            hash: state.hasher.hash(normal).await.map_err(FlowError::from)?,
        });
    }
    Ok((codes, stored))
}

/// The plaintext of fresh codes, as the database keeps it until shown.
pub fn codes_json(codes: &[String]) -> FlowResult<String> {
    serde_json::to_string(codes).map_err(internal)
}

/// A typed backup code: verified against the user's unused codes with its selector (salted
/// hashes; codes stored before salted hashing compare by SHA-256), then used — once, even when
/// requests race.
pub async fn use_backup_code(state: &AppState, user: &User, typed: &str) -> FlowResult<bool> {
    let normal = mfa::normalize_backup_code(typed);
    if normal.is_empty() || normal.len() > 64 {
        return Ok(false);
    }
    let candidates = state
        .store
        .backup_code_candidates(&user.id, &mfa::backup_code_selector(&normal))
        .await?;
    for c in candidates {
        let matches = if c.hash.starts_with("$argon2") {
            state
                .hasher
                .verify(normal.clone(), Some(c.hash.clone()))
                .await
                .map_err(FlowError::from)?
        } else {
            eq_ct(&hash(&normal), &c.hash)
        };
        if matches {
            return Ok(state.store.use_backup_code(&c.id, state.now()).await?);
        }
    }
    Ok(false)
}

/// The current password must be right (wrong ones count towards the lockout); the session's
/// first factor counts as verified again.
pub(super) async fn check_password(
    state: &AppState,
    s: &SessionDetail,
    password: &str,
) -> FlowResult<()> {
    let user = &s.user;
    let password = bounded(password, MAX_PASSWORD_BYTES, "Password")?;
    // A locked user may not keep guessing from a signed-in session either.
    check_password_guess(state, user, password).await?;
    let fresh = state
        .store
        .user_by_id(&user.id)
        .await?
        .ok_or(FlowError::new(ErrorCode::Unauthenticated))?;
    check_not_locked(&fresh, state.now())?;
    state
        .store
        .set_first_factor_verified(&s.session.id, state.now())
        .await?;
    Ok(())
}
