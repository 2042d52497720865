//! The emailed-code steps of sign-in: the address when the first screen had none, "Email code",
//! the typed code (email sign-in, password reset, device trust), "Resend code", and the new
//! password of forgot-password.

use super::super::codes::{self, Redeemed};
use super::super::{check_address_not_locked, count_address_failure};
use super::*;
use crate::domain::verification::{CODE_MAX_ATTEMPTS, CODE_TTL_SECS};

/// The email-address step of `/sign-in/factor-one` or `/sign-in/reset-password` when the first
/// screen was submitted without one. The identifier is set once: an attempt that has one refuses
/// (another address starts a new attempt from the first screen).
pub async fn identify(
    state: &AppState,
    ctx: &ClientContext,
    req: &RequestInfo,
    email: &str,
) -> FlowResult<Outcome> {
    refuse_if_signed_in(state, ctx)?;
    let a = attempt(state, ctx).await?;
    if a.state.identifier().is_some() {
        return Err(ErrorCode::SignInStepInvalid.into());
    }
    let email = parse_email(bounded(email, 320, "Email address")?)?;
    let user = state.store.user_by_email(email.as_str()).await?;
    if user.is_none() && !state.settings.sign_in.enumeration_protection {
        return Err(ErrorCode::FormIdentifierNotFound.into());
    }
    let account = Account {
        identifier: email.to_string(),
        user_id: user.map(|u| u.id),
    };
    let Step::Continue(next) = a.state.clone().identify(account)? else {
        return Err(ErrorCode::SignInStepInvalid.into());
    };
    let purpose = next.code_purpose();
    if let Some(purpose) = purpose {
        codes::throttle(state, req, purpose, email.as_str(), codes::Cause::Requested).await?;
    }
    store_state(state, &a, &next, purpose.is_some()).await?;
    if let Some(purpose) = purpose {
        let a = SignInAttempt {
            state: next.clone(),
            ..a
        };
        send_code_for(state, &a, purpose).await?;
    }
    Ok(go(&page(state, &next), None))
}

/// "Email code" on `/sign-in/factor-one`: sends a code to the attempt's address (if it has an
/// account; an unknown address looks the same).
pub async fn choose_email_code(
    state: &AppState,
    ctx: &ClientContext,
    req: &RequestInfo,
) -> FlowResult<Outcome> {
    refuse_if_signed_in(state, ctx)?;
    let a = attempt(state, ctx).await?;
    let identifier = a
        .state
        .identifier()
        .ok_or(FlowError::with_detail(
            ErrorCode::FormParamMissing,
            "Email address",
        ))?
        .to_string();
    let Step::Continue(next) = a.state.clone().choose_email_code()? else {
        return Err(ErrorCode::SignInStepInvalid.into());
    };
    codes::throttle(
        state,
        req,
        CodePurpose::SignInEmail,
        &identifier,
        codes::Cause::Requested,
    )
    .await?;
    store_state(state, &a, &next, true).await?;
    let a = SignInAttempt { state: next, ..a };
    send_code_for(state, &a, CodePurpose::SignInEmail).await?;
    Ok(go(&state.urls().sign_in_step("factor-one"), None))
}

/// A typed code: for an email-code sign-in, a password reset or device trust — checked for the
/// attempt's own user and attempt.
pub async fn attempt_code(
    state: &AppState,
    ctx: &ClientContext,
    req: &RequestInfo,
    code: &str,
) -> FlowResult<Outcome> {
    refuse_if_signed_in(state, ctx)?;
    let code = bounded(code, 64, "Verification code")?;
    let a = attempt(state, ctx).await?;
    let purpose = a
        .state
        .code_purpose()
        .ok_or(FlowError::new(ErrorCode::SignInStepInvalid))?;
    let Some(user_id) = a.state.user_id() else {
        return Err(code_without_account(state, &a).await?);
    };
    let user = state
        .store
        .user_by_id(user_id)
        .await?
        .ok_or(FlowError::new(ErrorCode::FormCodeIncorrect))?;
    check_not_locked(&user, state.now())?;
    match codes::redeem(state, &email_binding(&a, purpose, &user), code).await? {
        Redeemed::Accepted => {}
        Redeemed::Wrong => {
            return Err(count_failure(state, &user, ErrorCode::FormCodeIncorrect).await)
        }
        Redeemed::Unusable => return Err(ErrorCode::FormCodeIncorrect.into()),
    }
    let facts = FirstFactorFacts {
        has_second_factor: user.has_second_factor(),
        ..Default::default()
    };
    match a.state.clone().code_verified(facts)? {
        Step::Complete(done) => complete(state, req, &a, done).await,
        Step::Continue(next) => {
            store_state(state, &a, &next, false).await?;
            let a = SignInAttempt {
                state: next,
                version: a.version + 1,
                ..a
            };
            waiting_at(state, req, &a, &user).await?;
            let cookie = proven(state, req, &a.client_id).await?;
            Ok(go(&page(state, &a.state), cookie))
        }
    }
}

/// A code typed for an address without an account. No code was sent, so every code is wrong,
/// but it is judged as a sent one would be — within the code's life, at most
/// `CODE_MAX_ATTEMPTS` times per code — and each judged guess counts against the address's own
/// lockout: the answers are those a user's wrong codes get.
async fn code_without_account(state: &AppState, a: &SignInAttempt) -> FlowResult<FlowError> {
    let address = a.state.identifier().unwrap_or_default();
    check_address_not_locked(state, address).await?;
    let sent_at = a.code_sent_at.unwrap_or(0);
    let judged = state
        .store
        .hit(&format!("code-without-account:{}", a.id), sent_at)
        .await?;
    if state.now() >= sent_at + CODE_TTL_SECS || judged > CODE_MAX_ATTEMPTS {
        return Ok(ErrorCode::FormCodeIncorrect.into());
    }
    Ok(count_address_failure(state, address, ErrorCode::FormCodeIncorrect).await)
}

/// "Resend code" on a code step (the same 30 s for every address, with an account or not).
pub async fn resend_code(
    state: &AppState,
    ctx: &ClientContext,
    req: &RequestInfo,
) -> FlowResult<Outcome> {
    let a = attempt(state, ctx).await?;
    let purpose = a
        .state
        .code_purpose()
        .ok_or(FlowError::new(ErrorCode::SignInStepInvalid))?;
    let identifier = a.state.identifier().unwrap_or_default().to_string();
    if let Some(sent) = a.code_sent_at {
        let wait = resend_wait(sent, state.now());
        if wait > 0 {
            return Err(FlowError::with_n(ErrorCode::CodeResendTooSoon, wait as u64));
        }
    }
    codes::throttle(state, req, purpose, &identifier, codes::Cause::Requested).await?;
    store_state(state, &a, &a.state, true).await?;
    send_code_for(state, &a, purpose).await?;
    Ok(go(&page(state, &a.state), None))
}

/// The new-password step of forgot-password. The password is set when the sign-in completes —
/// after the second factor for a user with MFA.
pub async fn reset_password(
    state: &AppState,
    ctx: &ClientContext,
    req: &RequestInfo,
    password: &str,
    confirm: &str,
    sign_out_others: bool,
) -> FlowResult<Outcome> {
    refuse_if_signed_in(state, ctx)?;
    let password = bounded(password, MAX_PASSWORD_BYTES, "New password")?;
    let confirm = bounded(confirm, MAX_PASSWORD_BYTES, "Confirm password")?;
    let a = attempt(state, ctx).await?;
    if !matches!(a.state, SignInState::NeedsNewPassword { .. }) {
        return Err(ErrorCode::SignInStepInvalid.into());
    }
    let user = user_of(state, &a).await?;
    let hash =
        crate::server::flows::credentials::new_password_hash(state, &user, password, confirm)
            .await?;
    let pending = PendingPassword {
        hash,
        sign_out_others,
    };
    match a
        .state
        .clone()
        .new_password(pending, user.has_second_factor())?
    {
        Step::Complete(done) => complete(state, req, &a, done).await,
        Step::Continue(next) => {
            store_state(state, &a, &next, false).await?;
            let a = SignInAttempt {
                state: next,
                version: a.version + 1,
                ..a
            };
            waiting_at(state, req, &a, &user).await?;
            Ok(go(&page(state, &a.state), None))
        }
    }
}
