//! The second factor at `/sign-in/factor-two`: the authenticator app, an SMS code or
//! a backup code, each checked for the attempt's own user and counted against the attempt.

use super::super::codes::{self, Channel, Redeemed};
use super::*;

/// The attempt at `needs_second_factor`, its user, and a check that the user has `method`.
async fn at_second_factor(
    state: &AppState,
    ctx: &ClientContext,
    method: SecondFactorMethod,
) -> FlowResult<(SignInAttempt, User)> {
    refuse_if_signed_in(state, ctx)?;
    let a = attempt(state, ctx).await?;
    if !matches!(a.state, SignInState::NeedsSecondFactor { .. }) {
        return Err(ErrorCode::SignInStepInvalid.into());
    }
    let user = user_of(state, &a).await?;
    let left = state.store.backup_codes_left(&user.id).await?;
    if !mfa::available_methods(&user, left).contains(&method.as_str().to_string()) {
        return Err(ErrorCode::StrategyForUserInvalid.into());
    }
    Ok((a, user))
}

/// "SMS code" on `/sign-in/factor-two`: a code goes to the user's reserved phone.
pub async fn send_sms_code(
    state: &AppState,
    ctx: &ClientContext,
    req: &RequestInfo,
) -> FlowResult<Outcome> {
    let (a, user) = at_second_factor(state, ctx, SecondFactorMethod::Sms).await?;
    let phone = user
        .sms_phone()
        .ok_or(FlowError::new(ErrorCode::StrategyForUserInvalid))?;
    codes::throttle(
        state,
        req,
        CodePurpose::SmsSecondFactor,
        phone,
        codes::Cause::Requested,
    )
    .await?;
    store_state(state, &a, &a.state, true).await?;
    codes::send(state, &sms_binding(&a, &user, phone), Channel::Sms).await?;
    Ok(go(
        &format!("{}?method=sms", state.urls().sign_in_step("factor-two")),
        None,
    ))
}

/// The second factor: an authenticator code (each time step once), an SMS code, or a backup code
/// (each once). Every judgement counts against the attempt (5, then it is abandoned) and every
/// wrong one against the lockout.
pub async fn attempt_second_factor(
    state: &AppState,
    ctx: &ClientContext,
    req: &RequestInfo,
    method: &str,
    code: &str,
) -> FlowResult<Outcome> {
    let code = bounded(code, 64, "Verification code")?;
    let method = SecondFactorMethod::parse(method).ok_or(FlowError::with_detail(
        ErrorCode::FormParamFormatInvalid,
        "Method",
    ))?;
    let (a, user) = at_second_factor(state, ctx, method).await?;
    check_not_locked(&user, state.now())?;
    if !state.store.judge_second_factor(&a.id).await? {
        state.store.delete_sign_in(&a.client_id).await?;
        return Err(ErrorCode::AttemptMissing.into());
    }
    let now = state.now();
    let proven = match method {
        SecondFactorMethod::Totp => match (&user.totp_secret, parse_code(code)) {
            (Some(secret), Some(code)) => {
                match mfa::verify(secret, &code, now, user.totp_last_step) {
                    Some(step) => state.store.record_totp_step(&user.id, step).await?,
                    None => false,
                }
            }
            _ => false,
        },
        SecondFactorMethod::Sms => match user.sms_phone() {
            Some(phone) => {
                codes::redeem(state, &sms_binding(&a, &user, phone), code).await?
                    == Redeemed::Accepted
            }
            None => false,
        },
        SecondFactorMethod::BackupCode => {
            crate::server::flows::credentials::use_backup_code(state, &user, code).await?
        }
    };
    if !proven {
        return Err(count_failure(state, &user, ErrorCode::FormCodeIncorrect).await);
    }
    let Step::Complete(done) = a.state.clone().second_factor_verified()? else {
        return Err(ErrorCode::SignInStepInvalid.into());
    };
    complete(state, req, &a, done).await
}
