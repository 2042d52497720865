//! Sign-up: email and password, an emailed code, then a session. An address that already
//! has an account is never revealed while enumeration protection is on.

use super::codes::{self, Channel, Redeemed};
use super::sessions::{start_session, StartSession};
use super::{
    bounded, ensure_client, parse_email, FlowResult, Outcome, RequestInfo, MAX_PASSWORD_BYTES,
};
use crate::domain::errors::{ErrorCode, FlowError};
use crate::domain::redirect::safe_redirect;
use crate::domain::sign_up::SignUpState;
use crate::domain::verification::{resend_wait, CodePurpose};
use crate::server::breached;
use crate::server::client::ClientContext;
use crate::server::error::internal;
use crate::server::messages;
use crate::server::state::AppState;
use crate::server::store::{CodeBinding, Conflict, NewUser, SignUpAttempt, StoreError};
use crate::server::tokens::new_id;

const ATTEMPT_TTL_SECS: i64 = 30 * 60;

/// What the first sign-up screen sends.
#[derive(Clone, Copy, Debug, Default)]
pub struct SignUpForm<'a> {
    pub email: &'a str,
    pub password: &'a str,
    pub legal_accepted: bool,
    pub redirect_url: Option<&'a str>,
    /// The token of the invitation link the visitor came from.
    pub invitation: Option<&'a str>,
}

/// The first screen: email address, password and (when configured) legal consent.
pub async fn create(
    state: &AppState,
    ctx: &ClientContext,
    req: &RequestInfo,
    form: SignUpForm<'_>,
) -> FlowResult<Outcome> {
    let SignUpForm {
        email,
        password,
        legal_accepted,
        redirect_url,
        invitation,
    } = form;
    if !state.settings.sign_up.enabled {
        return Err(ErrorCode::SignUpDisabled.into());
    }
    super::sessions::room_for_another(state, ctx)?;
    let email = parse_email(bounded(email, 320, "Email address")?)?;
    let password = bounded(password, MAX_PASSWORD_BYTES, "Password")?;
    state
        .settings
        .password_policy()
        .check(password, email.as_str(), breached::is_breached)?;
    if state.settings.sign_up.legal_consent && !legal_accepted {
        return Err(ErrorCode::FormLegalConsentMissing.into());
    }
    if let Some(token) = invitation.filter(|t| !t.is_empty()) {
        return create_invited(state, ctx, email.as_str(), password, token, req).await;
    }
    let existing = state.store.user_by_email(email.as_str()).await?;
    if existing.is_some() && !state.settings.sign_in.enumeration_protection {
        return Err(ErrorCode::FormIdentifierExists.into());
    }
    // The same throttle whether or not the address has an account.
    codes::throttle(
        state,
        req,
        CodePurpose::SignUpEmail,
        email.as_str(),
        codes::Cause::Requested,
    )
    .await?;
    // Hash in every case, so an existing address costs the same time as a new one.
    let password_hash = state
        .hasher
        .hash(password.to_string())
        .await
        .map_err(FlowError::from)?;
    let now = state.now();
    let (client, cookie) = ensure_client(state, ctx).await?;
    let attempt = SignUpAttempt {
        id: new_id("sua"),
        client_id: client.id,
        state: SignUpState {
            email: email.to_string(),
            password_hash,
            legal_accepted,
            existing_account: existing.is_some(),
        },
        redirect_url: redirect_url.and_then(safe_redirect),
        code_sent_at: Some(now),
        expires_at: now + ATTEMPT_TTL_SECS,
    };
    state.store.create_sign_up(&attempt, now).await?;
    send(state, &attempt).await?;
    Ok(Outcome {
        next: state.urls().sign_up_step("verify-email-address"),
        new_token: cookie,
    })
}

/// The code for a new address; for an address that has an account, a notice to its owner
/// instead (no code), so the form looks the same.
async fn send(state: &AppState, a: &SignUpAttempt) -> FlowResult<()> {
    if a.state.existing_account {
        let message = messages::sign_up_on_existing_account(&state.settings.instance.name);
        return state
            .delivery
            .email(&a.state.email, message, state.now())
            .await
            .map_err(internal);
    }
    codes::send(state, &binding(a), Channel::Email).await
}

/// A sign-up code is bound to its attempt and its address (there is no user yet).
/// Codes one address may have judged at sign-up in an hour, across attempts and resends: three
/// codes' worth of guesses. Each code allows five, and "Resend code" brings a fresh one every
/// 30 s, so without this bound the guesses for one address would have no end.
pub const SIGN_UP_CODES_PER_ADDRESS_PER_HOUR: u32 = 15;

/// Counts one code typed for `email` (every submission, the same for an address with an account
/// and one without), or `too_many_requests` until the next hour.
async fn code_allowance(state: &AppState, email: &str) -> FlowResult<()> {
    let now = state.now();
    let hour = now - now.rem_euclid(3_600);
    let bucket = format!("sign-up-code:{}", email.to_lowercase());
    if state.store.hit(&bucket, hour).await? > SIGN_UP_CODES_PER_ADDRESS_PER_HOUR {
        return Err(FlowError::with_n(
            ErrorCode::TooManyRequests,
            (hour + 3_600 - now).max(1) as u64,
        ));
    }
    Ok(())
}

fn binding(a: &SignUpAttempt) -> CodeBinding {
    CodeBinding {
        purpose: CodePurpose::SignUpEmail,
        attempt_id: a.id.clone(),
        user_id: String::new(),
        recipient: a.state.email.clone(),
    }
}

/// Sign-up through an invitation link: the link proved the address, so the account is created at
/// once (no code) and joins the organization with its first session.
async fn create_invited(
    state: &AppState,
    ctx: &ClientContext,
    email: &str,
    password: &str,
    token: &str,
    req: &RequestInfo,
) -> FlowResult<Outcome> {
    let invitation_id = super::organizations::check_invitation(state, token, email).await?;
    // The invitee learns the address has an account (the link was sent to that address).
    if state.store.user_by_email(email).await?.is_some() {
        return Err(ErrorCode::FormIdentifierExists.into());
    }
    let password_hash = state
        .hasher
        .hash(password.to_string())
        .await
        .map_err(FlowError::from)?;
    let (client, cookie) = ensure_client(state, ctx).await?;
    // The account and the membership are created together, or neither is.
    let (user, membership) = match state
        .store
        .create_invited_user(
            NewUser {
                email: email.to_string(),
                email_verified: true,
                phone: None,
                password_hash: Some(password_hash),
                totp_secret: None,
                // Consent was checked on the form when the instance asks for it.
                legal_accepted: state.settings.sign_up.legal_consent,
                terms_version: state.settings.sign_up.terms_version.clone(),
            },
            &invitation_id,
            state.now(),
        )
        .await
    {
        Ok(created) => created,
        Err(StoreError::Conflict(Conflict::Email)) => {
            return Err(ErrorCode::FormIdentifierExists.into())
        }
        Err(StoreError::Conflict(Conflict::Invitation)) => {
            return Err(ErrorCode::InvitationInvalid.into())
        }
        Err(e) => return Err(e.into()),
    };
    let (_, mut out) = start_session(
        state,
        &client.id,
        req,
        &user,
        StartSession {
            organization: Some(membership.organization.id),
            ..Default::default()
        },
    )
    .await?;
    if out.new_token.is_none() {
        out.new_token = cookie;
    }
    Ok(out)
}

async fn attempt(state: &AppState, ctx: &ClientContext) -> FlowResult<SignUpAttempt> {
    let client = ctx
        .client
        .as_ref()
        .ok_or(FlowError::new(ErrorCode::AttemptMissing))?;
    match state.store.sign_up_for_client(&client.id).await? {
        Some(a) if a.expires_at > state.now() => Ok(a),
        _ => Err(ErrorCode::AttemptMissing.into()),
    }
}

/// The emailed code: creates the user (email verified) and the session.
pub async fn verify(
    state: &AppState,
    ctx: &ClientContext,
    req: &RequestInfo,
    code: &str,
) -> FlowResult<Outcome> {
    let code = bounded(code, 64, "Verification code")?;
    super::sessions::room_for_another(state, ctx)?;
    let a = attempt(state, ctx).await?;
    code_allowance(state, &a.state.email).await?;
    if a.state.existing_account {
        return Err(ErrorCode::FormCodeIncorrect.into());
    }
    if codes::redeem(state, &binding(&a), code).await? != Redeemed::Accepted {
        return Err(ErrorCode::FormCodeIncorrect.into());
    }
    let done = a
        .state
        .clone()
        .code_verified()
        .map_err(|_| FlowError::new(ErrorCode::FormCodeIncorrect))?;
    let user = match state
        .store
        .create_user(
            NewUser {
                email: done.email,
                email_verified: true,
                phone: None,
                password_hash: Some(done.password_hash),
                totp_secret: None,
                legal_accepted: a.state.legal_accepted,
                terms_version: state.settings.sign_up.terms_version.clone(),
            },
            state.now(),
        )
        .await
    {
        Ok(u) => u,
        // The address was taken meanwhile (another sign-up or the Backend API).
        Err(StoreError::Conflict(Conflict::Email)) => {
            return Err(ErrorCode::FormCodeIncorrect.into())
        }
        Err(e) => return Err(e.into()),
    };
    let (_, out) = start_session(
        state,
        &a.client_id,
        req,
        &user,
        StartSession {
            redirect_url: a.redirect_url.as_deref(),
            ..Default::default()
        },
    )
    .await?;
    Ok(out)
}

/// "Resend code" on the verification step: the same 30 s whether or not the address has an
/// account (the owner of an existing one gets the notice again).
pub async fn resend(
    state: &AppState,
    ctx: &ClientContext,
    req: &RequestInfo,
) -> FlowResult<Outcome> {
    let a = attempt(state, ctx).await?;
    let now = state.now();
    if let Some(sent) = a.code_sent_at {
        let wait = resend_wait(sent, now);
        if wait > 0 {
            return Err(FlowError::with_n(ErrorCode::CodeResendTooSoon, wait as u64));
        }
    }
    codes::throttle(
        state,
        req,
        CodePurpose::SignUpEmail,
        &a.state.email,
        codes::Cause::Requested,
    )
    .await?;
    if !state.store.claim_sign_up_send(&a.id, now).await? {
        return Err(FlowError::with_n(
            ErrorCode::CodeResendTooSoon,
            crate::domain::verification::CODE_RESEND_AFTER_SECS as u64,
        ));
    }
    send(state, &a).await?;
    Ok(Outcome {
        next: state.urls().sign_up_step("verify-email-address"),
        new_token: None,
    })
}
