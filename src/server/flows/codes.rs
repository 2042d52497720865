//! One-time codes (README, "Security defaults"): every code goes out through one throttle, is bound
//! to the attempt and the user it was sent for, and is redeemed through one guarded judgement.

use super::{FlowResult, RequestInfo};
use crate::domain::errors::{ErrorCode, FlowError};
use crate::domain::verification::{parse_code, CodePurpose, CODE_RESEND_AFTER_SECS};
use crate::server::error::internal;
use crate::server::messages::{self, Template};
use crate::server::state::AppState;
use crate::server::store::CodeBinding;
use crate::server::tokens::new_code;

/// Codes one IP address may have sent per window (with `[rate_limits] enabled`).
pub const SEND_BUDGET_PER_IP: u32 = 20;
pub const SEND_BUDGET_WINDOW_SECS: i64 = 600;
/// Codes that follow a correct password one recipient may receive per hour and purpose.
pub const AFTER_PASSWORD_PER_HOUR: u32 = 10;
/// Text messages one phone number may receive in a day: verification codes (whoever asks), and
/// separately each user's second-factor codes to it. Each costs money, and a phone is not to be
/// flooded through this instance.
pub const SMS_PER_PHONE_PER_DAY: u32 = 10;
/// Text messages sent on one user's behalf in a day, to whichever numbers.
pub const SMS_PER_USER_PER_DAY: u32 = 20;

/// Why a code is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cause {
    /// Anyone can ask for it (an address typed into a form, "Resend code"): 30 s per recipient and
    /// purpose, and the per-IP budget.
    Requested,
    /// It follows a correct password (device trust, an SMS-only second factor): the per-IP
    /// budget only — the password attempts themselves are rate-limited and locked out, and the
    /// user who signs in again a moment later needs a fresh code.
    AfterPassword,
}

/// How a code travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channel {
    Email,
    Sms,
}

/// The one throttle every code send passes, whether or not the address has an account (so the
/// answers tell nothing): a per-IP budget and, for codes anyone can ask for, 30 s per recipient
/// and purpose.
pub async fn throttle(
    state: &AppState,
    req: &RequestInfo,
    purpose: CodePurpose,
    recipient: &str,
    cause: Cause,
) -> FlowResult<()> {
    throttle_message(state, req, purpose.as_str(), recipient, cause).await
}

/// [`throttle`] for any message a visitor can make the instance send, named by `kind` (a code's
/// purpose, or `invitation`): the same per-IP budget, and 30 s per recipient and kind.
pub async fn throttle_message(
    state: &AppState,
    req: &RequestInfo,
    kind: &str,
    recipient: &str,
    cause: Cause,
) -> FlowResult<()> {
    let now = state.now();
    if state.settings.rate_limits.enabled {
        let window = now - now.rem_euclid(SEND_BUDGET_WINDOW_SECS);
        let hits = state
            .store
            .hit(&format!("send:{}", req.ip_bucket()), window)
            .await?;
        if hits > SEND_BUDGET_PER_IP {
            return Err(FlowError::with_n(
                ErrorCode::TooManyRequests,
                (window + SEND_BUDGET_WINDOW_SECS - now).max(1) as u64,
            ));
        }
    }
    if cause == Cause::AfterPassword {
        // Whoever knows the password may not flood the inbox or phone either.
        let hour = now - now.rem_euclid(3_600);
        let bucket = format!("sent:{kind}:{}", recipient.to_lowercase());
        if state.store.hit(&bucket, hour).await? > AFTER_PASSWORD_PER_HOUR {
            return Err(FlowError::with_n(
                ErrorCode::TooManyRequests,
                (hour + 3_600 - now).max(1) as u64,
            ));
        }
        return Ok(());
    }
    let bucket = format!("send:{kind}:{}", recipient.to_lowercase());
    match state
        .store
        .claim_interval(&bucket, now, CODE_RESEND_AFTER_SECS)
        .await?
    {
        None => Ok(()),
        Some(wait) => Err(FlowError::with_n(ErrorCode::CodeResendTooSoon, wait as u64)),
    }
}

/// What a code's MAC covers besides the code: everything it is bound to. A code is stored as
/// HMAC-SHA256 under the keyring's code subkey (README, "Encryption at rest"), so a copy of the
/// database cannot try the million codes against it, nor move it to another binding.
fn mac_binding(binding: &CodeBinding) -> [&str; 4] {
    [
        binding.purpose.as_str(),
        &binding.attempt_id,
        &binding.user_id,
        &binding.recipient,
    ]
}

/// The template of a code for `purpose`.
fn template(purpose: CodePurpose) -> Template {
    match purpose {
        CodePurpose::SignUpEmail => Template::SignUpCode,
        CodePurpose::SignInEmail => Template::SignInCode,
        CodePurpose::ResetPassword => Template::ResetPasswordCode,
        CodePurpose::ClientTrust => Template::ClientTrustCode,
        CodePurpose::SmsSecondFactor => Template::SignInSmsCode,
        CodePurpose::PhoneVerification => Template::PhoneVerificationCode,
    }
}

/// Issues a fresh code for `binding` (replacing the earlier one) and sends it to its recipient.
/// The caller has passed [`throttle`].
pub async fn send(state: &AppState, binding: &CodeBinding, channel: Channel) -> FlowResult<()> {
    let now = state.now();
    if channel == Channel::Sms {
        sms_allowance(state, binding, now).await?;
    }
    let code = new_code();
    let mac = state.keyring.code_mac(&mac_binding(binding), &code);
    state.store.issue_code(binding, &mac, now).await?;
    let message = messages::code(
        template(binding.purpose),
        &state.settings.instance.name,
        &code,
    );
    match channel {
        Channel::Email => state.delivery.email(&binding.recipient, message, now).await,
        Channel::Sms => state.delivery.sms(&binding.recipient, message, now).await,
    }
    .map_err(internal)
}

/// Counts one text message against the daily caps of its phone number and of its user (in the
/// database, shared by every instance), or `too_many_requests` until the next day.
async fn sms_allowance(state: &AppState, binding: &CodeBinding, now: i64) -> FlowResult<()> {
    let day = now - now.rem_euclid(86_400);
    // A number being verified is whatever someone typed: its texts are counted apart from the
    // codes an enrolled factor receives, which a stranger can then never use up.
    let phone = match binding.purpose {
        CodePurpose::PhoneVerification => format!("sms-day:verify:{}", binding.recipient),
        _ => format!("sms-day:factor:{}:{}", binding.user_id, binding.recipient),
    };
    let caps = [
        (phone, SMS_PER_PHONE_PER_DAY),
        (
            format!("sms-day:user:{}", binding.user_id),
            SMS_PER_USER_PER_DAY,
        ),
    ];
    for (bucket, cap) in caps {
        if state.store.hit(&bucket, day).await? > cap {
            return Err(FlowError::with_n(
                ErrorCode::TooManyRequests,
                (day + 86_400 - now).max(1) as u64,
            ));
        }
    }
    Ok(())
}

/// What a typed code turned out to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Redeemed {
    /// The right code, now consumed.
    Accepted,
    /// Judged and wrong (counts towards the lockout).
    Wrong,
    /// No judgement left: no code, expired, used up, or already consumed.
    Unusable,
}

/// Redeems a typed code through its binding: one guarded judgement (at most 5 per code, however
/// many requests race), a constant-time comparison, and a single-use consumption.
pub async fn redeem(state: &AppState, binding: &CodeBinding, typed: &str) -> FlowResult<Redeemed> {
    let now = state.now();
    let Some(judged) = state.store.judge_code(binding, now).await? else {
        return Ok(Redeemed::Unusable);
    };
    let matches = parse_code(typed).is_some_and(|c| {
        state
            .keyring
            .verify_code_mac(&mac_binding(binding), &c, &judged.code_hash)
    });
    if !matches {
        return Ok(Redeemed::Wrong);
    }
    if state.store.consume_code(&judged.id, now).await? {
        Ok(Redeemed::Accepted)
    } else {
        Ok(Redeemed::Unusable)
    }
}
