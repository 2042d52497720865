//! The auth services: each flow step parses its input, checks the attempt's state, talks to the
//! store and answers where the browser goes next. Server functions and the testing API are thin
//! wrappers around these.

pub mod codes;
pub mod credentials;
pub mod invitations;
pub mod lockout;
pub mod notices;
pub mod operators;
pub mod organizations;
pub mod portal;
pub mod required;
pub mod reverify;
pub mod sessions;
pub mod sign_in;
pub mod sign_up;
pub mod tasks;

pub use lockout::{
    check_address_guess, check_address_not_locked, check_not_locked, check_password_guess,
    count_address_failure, count_failure,
};

use super::client::ClientContext;
use super::state::AppState;
use super::store::{Client, CodeBinding, SessionDetail};
use super::tokens::{hash, new_token};
use crate::domain::email::EmailAddress;
use crate::domain::errors::{ErrorCode, FlowError};
use crate::domain::verification::CodePurpose;
use http::HeaderMap;
use std::net::IpAddr;

pub type FlowResult<T> = Result<T, FlowError>;

/// What the caller knows of the HTTP request.
#[derive(Clone, Debug, Default)]
pub struct RequestInfo {
    pub headers: HeaderMap,
    /// The client's address (behind trusted proxies, the forwarded one).
    pub ip: Option<String>,
    /// The rate-limit bucket of the address (IPv6 by /64).
    bucket: Option<String>,
}

impl RequestInfo {
    /// The request's facts: its headers and the client's address as the edge found it (behind
    /// `[http] trusted_proxies`, the forwarded one). Flows never read an address from headers.
    pub fn new(headers: HeaderMap, ip: Option<IpAddr>) -> Self {
        Self {
            headers,
            ip: ip.map(|i| i.to_string()),
            bucket: ip.map(super::client_ip::bucket),
        }
    }

    pub fn user_agent(&self) -> Option<String> {
        self.headers
            .get(http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(512).collect())
    }

    /// The bucket rate limits count this request in.
    pub fn ip_bucket(&self) -> &str {
        self.bucket.as_deref().unwrap_or("unknown")
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

/// The binding of a phone-verification code: the user and the phone being verified.
fn phone_binding(user_id: &str, phone: &str) -> CodeBinding {
    CodeBinding {
        purpose: CodePurpose::PhoneVerification,
        attempt_id: String::new(),
        user_id: user_id.to_string(),
        recipient: phone.to_string(),
    }
}

/// Starts verifying a phone for SMS codes (the setup-mfa task and the portal): parses it, keeps it
/// pending on the user and texts a code (through the send throttle).
pub async fn start_phone_verification(
    state: &AppState,
    req: &RequestInfo,
    s: &SessionDetail,
    phone: &str,
) -> FlowResult<()> {
    if !(state.settings.mfa.methods).contains(&crate::domain::mfa::MfaMethod::Sms) {
        return Err(ErrorCode::Forbidden.into());
    }
    let phone = crate::domain::phone::parse_phone(bounded(phone, 64, "Phone number")?).ok_or(
        FlowError::with_detail(ErrorCode::FormParamFormatInvalid, "Phone number"),
    )?;
    codes::throttle(
        state,
        req,
        CodePurpose::PhoneVerification,
        &phone,
        codes::Cause::Requested,
    )
    .await?;
    let user_id = &s.user.id;
    state
        .store
        .set_sms_pending(user_id, &s.session.id, &phone)
        .await?;
    codes::send(state, &phone_binding(user_id, &phone), codes::Channel::Sms).await
}

/// Finishes a phone verification: the code must be the one texted to the pending phone; answers
/// the phone.
pub async fn confirm_phone_verification(
    state: &AppState,
    s: &SessionDetail,
    code: &str,
) -> FlowResult<String> {
    let user = &s.user;
    let phone = user
        .sms_pending_for(&s.session.id)
        .map(str::to_string)
        .ok_or(FlowError::new(ErrorCode::Forbidden))?;
    let code = bounded(code, 64, "Verification code")?;
    match codes::redeem(state, &phone_binding(&user.id, &phone), code).await? {
        codes::Redeemed::Accepted => Ok(phone),
        _ => Err(ErrorCode::FormCodeIncorrect.into()),
    }
}
