//! The auth services: each flow step parses its input, checks the attempt's state, talks to the
//! store and answers where the browser goes next. Server functions and the testing API are thin
//! wrappers around these.

pub mod organizations;
pub mod portal;
pub mod sessions;
pub mod sign_in;
pub mod sign_up;
pub mod tasks;

use super::auth::{internal, ClientContext};
use super::state::AppState;
use super::store::{Client, User};
use super::tokens::{eq_ct, hash, new_code, new_token};
use crate::domain::email::EmailAddress;
use crate::domain::errors::{ErrorCode, FlowError};
use crate::domain::verification::{parse_code, CodeVerdict};
use http::HeaderMap;

pub type FlowResult<T> = Result<T, FlowError>;

/// What the caller knows of the HTTP request.
#[derive(Clone, Debug, Default)]
pub struct RequestInfo {
    pub headers: HeaderMap,
    pub ip: Option<String>,
}

impl RequestInfo {
    pub fn user_agent(&self) -> Option<String> {
        self.headers
            .get(http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(512).collect())
    }
}

/// Where the browser goes next, and the new client token to set as the cookie on the way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub next: String,
    pub new_token: Option<String>,
}

impl Outcome {
    /// Stay on the page the form was on (a plain form post returns to its page).
    pub fn stay() -> Self {
        Self {
            next: String::new(),
            new_token: None,
        }
    }
}

/// The client for this request, created (with a cookie to set) when the browser has none.
pub async fn ensure_client(
    state: &AppState,
    ctx: &ClientContext,
) -> FlowResult<(Client, Option<String>)> {
    if let Some(c) = &ctx.client {
        return Ok((c.clone(), None));
    }
    let token = new_token();
    let client = state
        .store
        .create_client(&hash(&token), state.now())
        .await?;
    Ok((client, Some(token)))
}

/// Parses a typed email address (surrounding white space trimmed) with a field-level error.
pub fn parse_email(raw: &str) -> FlowResult<EmailAddress> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(FlowError::with_detail(
            ErrorCode::FormParamMissing,
            "Email address",
        ));
    }
    EmailAddress::parse(trimmed).map_err(|_| FlowError::new(ErrorCode::FormParamFormatInvalid))
}

/// The most bytes a password field may carry: 256 characters of up to 4 bytes each.
pub const MAX_PASSWORD_BYTES: usize = crate::domain::password::MAX_PASSWORD_CHARS * 4;

/// Bounds a form field's length so nothing unbounded reaches hashing or storage.
pub fn bounded<'a>(value: &'a str, max: usize, field: &str) -> FlowResult<&'a str> {
    if value.len() > max {
        Err(FlowError::with_detail(ErrorCode::FormParamTooLong, field))
    } else {
        Ok(value)
    }
}

/// Sends a fresh 6-digit code for `subject`/`purpose` to `to` by email.
pub async fn send_email_code(
    state: &AppState,
    subject: &str,
    purpose: crate::domain::verification::CodePurpose,
    to: &str,
    what: &str,
) -> FlowResult<()> {
    let code = new_code();
    let now = state.now();
    state
        .store
        .issue_code(subject, purpose.as_str(), &hash(&code), now)
        .await?;
    let name = &state.settings.instance.name;
    let body = format!(
        "Your {name} verification code is {code}.\n\nUse it to {what}. It expires in 10 minutes. \
         If you did not ask for it, you can ignore this email."
    );
    state
        .delivery
        .email(
            to,
            &format!("{code} is your {name} verification code"),
            &body,
            Some(&code),
            now,
        )
        .await
        .map_err(internal)
}

/// Texts a fresh 6-digit code for `subject`/`purpose` to `phone`.
pub async fn send_sms_code(
    state: &AppState,
    subject: &str,
    purpose: crate::domain::verification::CodePurpose,
    phone: &str,
    what: &str,
) -> FlowResult<()> {
    let code = new_code();
    let now = state.now();
    state
        .store
        .issue_code(subject, purpose.as_str(), &hash(&code), now)
        .await?;
    let body = format!(
        "Your {} {what} code is {code}.",
        state.settings.instance.name
    );
    state
        .delivery
        .sms(phone, &body, Some(&code), now)
        .await
        .map_err(internal)
}

/// Starts verifying a phone for SMS codes (the setup-mfa task and the portal): parses it, keeps it
/// pending on the user and texts a code.
pub async fn start_phone_verification(
    state: &AppState,
    user_id: &str,
    phone: &str,
) -> FlowResult<()> {
    if !state.settings.mfa.methods.iter().any(|m| m == "sms") {
        return Err(ErrorCode::Forbidden.into());
    }
    let phone = crate::domain::phone::parse_phone(bounded(phone, 64, "Phone number")?).ok_or(
        FlowError::with_detail(ErrorCode::FormParamFormatInvalid, "Phone number"),
    )?;
    state.store.set_sms_pending(user_id, Some(&phone)).await?;
    let purpose = crate::domain::verification::CodePurpose::PhoneVerification;
    send_sms_code(state, user_id, purpose, &phone, "verification").await
}

/// Finishes a phone verification: the code must be the one texted; answers the phone.
pub async fn confirm_phone_verification(
    state: &AppState,
    user: &User,
    code: &str,
) -> FlowResult<String> {
    let phone = user
        .sms_pending_phone
        .clone()
        .ok_or(FlowError::new(ErrorCode::Forbidden))?;
    let purpose = crate::domain::verification::CodePurpose::PhoneVerification;
    verify_code(
        state,
        &user.id,
        purpose.as_str(),
        bounded(code, 64, "Verification code")?,
    )
    .await?;
    Ok(phone)
}

/// Refuses a resend within 30 s of the last code.
pub async fn check_resend(state: &AppState, subject: &str, purpose: &str) -> FlowResult<()> {
    if let Some(code) = state.store.current_code(subject, purpose).await? {
        let wait = code.state.resend_wait(state.now());
        if wait > 0 {
            return Err(FlowError::with_n(ErrorCode::CodeResendTooSoon, wait as u64));
        }
    }
    Ok(())
}

/// Checks a typed code against the current code for `subject`/`purpose`. Wrong, expired, used or
/// exhausted codes are all `form_code_incorrect`; a right code is consumed exactly once.
pub async fn verify_code(
    state: &AppState,
    subject: &str,
    purpose: &str,
    typed: &str,
) -> FlowResult<()> {
    let incorrect = || FlowError::new(ErrorCode::FormCodeIncorrect);
    let now = state.now();
    let Some(stored) = state.store.current_code(subject, purpose).await? else {
        return Err(incorrect());
    };
    let matches = parse_code(typed).is_some_and(|c| eq_ct(&hash(&c), &stored.code_hash));
    match stored.state.verdict(now, matches) {
        CodeVerdict::Accept => {
            if state.store.consume_code(&stored.id, now).await? {
                Ok(())
            } else {
                Err(incorrect())
            }
        }
        CodeVerdict::Wrong => {
            state.store.count_wrong_code(&stored.id).await?;
            Err(incorrect())
        }
        CodeVerdict::Unusable => Err(incorrect()),
    }
}

/// Refuses a locked user with the minutes left.
pub fn check_not_locked(user: &User, now: i64) -> FlowResult<()> {
    match user.locked_for(now) {
        Some(secs) => Err(FlowError::with_n(
            ErrorCode::UserLocked,
            ((secs + 59) / 60) as u64,
        )),
        None => Ok(()),
    }
}

/// Counts a failed password or code against the lockout (SPEC §5.6); answers `user_locked` when
/// this failure locked the user, else `fallback`.
pub async fn count_failure(state: &AppState, user: &User, fallback: ErrorCode) -> FlowError {
    let now = state.now();
    let duration = state.settings.lockout.duration.secs().unwrap_or(3_600);
    match state
        .store
        .record_failure(
            &user.id,
            state.settings.lockout.max_attempts,
            now + duration,
            now,
        )
        .await
    {
        Ok(Some(until)) => {
            FlowError::with_n(ErrorCode::UserLocked, ((until - now + 59) / 60) as u64)
        }
        Ok(None) => FlowError::new(fallback),
        Err(e) => e.into(),
    }
}
