//! Sign-in (SPEC §5): password, email code, forgot password, lockout, enumeration protection.

use super::sessions::start_session;
use super::{
    bounded, check_not_locked, check_resend, count_failure, ensure_client, parse_email,
    send_email_code, verify_code, FlowResult, Outcome, RequestInfo, MAX_PASSWORD_BYTES,
};
use crate::domain::errors::{ErrorCode, FlowError};
use crate::domain::redirect::safe_redirect;
use crate::domain::sign_in::{
    after_first_factor, after_new_password, FirstFactor, FirstFactorFacts, SignInStatus,
};
use crate::domain::verification::parse_code;
use crate::domain::verification::CodePurpose;
use crate::server::auth::ClientContext;
use crate::server::breached;
use crate::server::mfa;
use crate::server::state::AppState;
use crate::server::store::{SignInAttempt, User};
use crate::server::tokens::new_id;

const ATTEMPT_TTL_SECS: i64 = 30 * 60;

/// Which button submitted the first screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartAction {
    Continue,
    AnotherMethod,
    ForgotPassword,
}

impl StartAction {
    pub fn parse(s: &str) -> Self {
        match s {
            "another_method" => Self::AnotherMethod,
            "forgot_password" => Self::ForgotPassword,
            _ => Self::Continue,
        }
    }
}

fn outcome(next: &str, cookie: Option<String>) -> Outcome {
    Outcome {
        next: next.to_string(),
        new_token: cookie,
    }
}

/// Single-session mode: no sign-in while signed in. Multi-session mode: at most
/// `sessions.max_per_client` signed-in accounts on one browser.
fn refuse_if_signed_in(state: &AppState, ctx: &ClientContext) -> FlowResult<()> {
    let sessions = &state.settings.sessions;
    if !sessions.multi_session && ctx.active().is_some() {
        return Err(ErrorCode::SessionExists.into());
    }
    if sessions.multi_session && ctx.sessions.len() >= sessions.max_per_client {
        return Err(FlowError::with_n(
            ErrorCode::TooManySessions,
            sessions.max_per_client as u64,
        ));
    }
    Ok(())
}

/// Multi-session mode: an account already signed in on this browser is switched to instead of
/// signed in twice (`identifier_already_signed_in`).
async fn switch_if_signed_in(
    state: &AppState,
    ctx: &ClientContext,
    email: &str,
    redirect_url: Option<&str>,
) -> FlowResult<Option<Outcome>> {
    let Some(existing) = ctx.sessions.iter().find(|s| s.user.email == email) else {
        return Ok(None);
    };
    state
        .store
        .set_last_active_session(&existing.session.client_id, Some(&existing.session.id))
        .await?;
    let urls = state.settings.demo_urls();
    let next = match existing.session.tasks.first() {
        Some(task) => {
            crate::domain::redirect::with_redirect_url(&urls.task_url(*task), redirect_url)
        }
        None => urls.completion_target(redirect_url),
    };
    Ok(Some(outcome(&next, None)))
}

async fn attempt(state: &AppState, ctx: &ClientContext) -> FlowResult<SignInAttempt> {
    let client = ctx
        .client
        .as_ref()
        .ok_or(FlowError::new(ErrorCode::AttemptMissing))?;
    match state.store.sign_in_for_client(&client.id).await? {
        Some(a) if a.expires_at > state.now() => Ok(a),
        _ => Err(ErrorCode::AttemptMissing.into()),
    }
}

async fn user_of(state: &AppState, a: &SignInAttempt) -> FlowResult<Option<User>> {
    match &a.user_id {
        Some(id) => Ok(state.store.user_by_id(id).await?),
        None => Ok(None),
    }
}

/// The first screen: email and password with "Continue", or one of the two other buttons.
pub async fn start(
    state: &AppState,
    ctx: &ClientContext,
    req: &RequestInfo,
    email: &str,
    password: &str,
    action: StartAction,
    redirect_url: Option<&str>,
) -> FlowResult<Outcome> {
    let email = bounded(email, 320, "Email address")?;
    let password = bounded(password, MAX_PASSWORD_BYTES, "Password")?;
    let redirect_url = redirect_url.and_then(safe_redirect);
    if state.settings.sessions.multi_session && !email.trim().is_empty() {
        if let Ok(parsed) = parse_email(email) {
            if let Some(out) =
                switch_if_signed_in(state, ctx, parsed.as_str(), redirect_url.as_deref()).await?
            {
                return Ok(out);
            }
        }
    }
    refuse_if_signed_in(state, ctx)?;
    let now = state.now();
    let (client, cookie) = ensure_client(state, ctx).await?;
    let mut attempt = SignInAttempt {
        id: new_id("sia"),
        client_id: client.id.clone(),
        identifier: None,
        user_id: None,
        status: SignInStatus::NeedsFirstFactor,
        strategy: None,
        password_compromised: false,
        redirect_url,
        expires_at: now + ATTEMPT_TTL_SECS,
    };

    if action != StartAction::Continue && email.trim().is_empty() {
        // The next page asks for the email address first.
        attempt.strategy =
            (action == StartAction::ForgotPassword).then_some(FirstFactor::ResetPasswordEmailCode);
        state.store.put_sign_in(&attempt, now).await?;
        let next = match action {
            StartAction::ForgotPassword => "/sign-in/reset-password",
            _ => "/sign-in/factor-one",
        };
        return Ok(outcome(next, cookie));
    }

    let email = parse_email(email)?;
    let user = state.store.user_by_email(email.as_str()).await?;
    if user.is_none() && !state.settings.sign_in.enumeration_protection {
        return Err(ErrorCode::FormIdentifierNotFound.into());
    }
    attempt.identifier = Some(email.to_string());
    attempt.user_id = user.as_ref().map(|u| u.id.clone());

    match action {
        StartAction::AnotherMethod => {
            state.store.put_sign_in(&attempt, now).await?;
            Ok(outcome("/sign-in/factor-one", cookie))
        }
        StartAction::ForgotPassword => {
            attempt.strategy = Some(FirstFactor::ResetPasswordEmailCode);
            state.store.put_sign_in(&attempt, now).await?;
            if let Some(u) = &user {
                send_email_code(
                    state,
                    &attempt.id,
                    CodePurpose::ResetPassword,
                    &u.email,
                    "reset your password",
                )
                .await?;
            }
            Ok(outcome("/sign-in/reset-password", cookie))
        }
        StartAction::Continue => {
            if password.is_empty() {
                return Err(FlowError::with_detail(
                    ErrorCode::FormParamMissing,
                    "Password",
                ));
            }
            if let Some(u) = &user {
                check_not_locked(u, now)?;
            }
            let ok = state
                .hasher
                .verify(
                    password.to_string(),
                    user.as_ref().and_then(|u| u.password_hash.clone()),
                )
                .await
                .map_err(crate::server::auth::internal)?;
            let user = match user {
                Some(u) if ok => u,
                Some(u) => {
                    return Err(count_failure(state, &u, ErrorCode::FormPasswordIncorrect).await)
                }
                None => return Err(ErrorCode::FormPasswordIncorrect.into()),
            };
            state.store.clear_failures(&user.id).await?;
            let breached =
                state.settings.password.reject_breached && breached::is_breached(password);
            if breached && !user.password_compromised {
                state.store.set_compromised(&user.id, true, now).await?;
            }
            if user.password_compromised || breached {
                // Right password, but it must not be trusted: continue with an email code and reset
                // the password after signing in (SPEC §5.2).
                attempt.password_compromised = true;
                state.store.put_sign_in(&attempt, now).await?;
                return Ok(outcome("/sign-in/factor-one", cookie));
            }
            let facts = FirstFactorFacts {
                has_second_factor: user.has_second_factor(),
                client_trust_enabled: state.settings.client_trust.enabled,
                client_known: state.store.client_knows_user(&client.id, &user.id).await?,
            };
            attempt.strategy = Some(FirstFactor::Password);
            advance(
                state,
                req,
                attempt,
                &user,
                after_first_factor(FirstFactor::Password, facts),
                cookie,
            )
            .await
        }
    }
}

/// Moves the attempt to `status`: a session when complete, else the page of the next step.
async fn advance(
    state: &AppState,
    req: &RequestInfo,
    mut attempt: SignInAttempt,
    user: &User,
    status: SignInStatus,
    cookie: Option<String>,
) -> FlowResult<Outcome> {
    if status == SignInStatus::Complete {
        let known = state
            .store
            .client_knows_user(&attempt.client_id, &user.id)
            .await?;
        // The session rotates the client token, which supersedes any cookie set on the way.
        let (_, out) = start_session(
            state,
            &attempt.client_id,
            req,
            user,
            attempt.redirect_url.as_deref(),
        )
        .await?;
        if !known {
            notify_new_device(state, user, req).await;
        }
        return Ok(out);
    }
    // Until the next step is done the attempt waits at it and no session exists.
    match status {
        SignInStatus::NeedsClientTrust => {
            send_email_code(
                state,
                &attempt.id,
                CodePurpose::ClientTrust,
                &user.email,
                "verify this device",
            )
            .await?
        }
        // SMS is the only factor: its code goes out at once.
        SignInStatus::NeedsSecondFactor if user.totp_secret.is_none() && user.sms_mfa => {
            send_sms_code_to(state, &attempt, user).await?
        }
        _ => {}
    }
    attempt.status = status;
    state.store.put_sign_in(&attempt, state.now()).await?;
    Ok(outcome(status.path(), cookie))
}

/// Tells the user about a sign-in from a browser that never signed in as them (ASVS 6.3.5).
async fn notify_new_device(state: &AppState, user: &User, req: &RequestInfo) {
    let name = &state.settings.instance.name;
    let device = req
        .user_agent()
        .unwrap_or_else(|| "an unknown browser".into());
    let ip = req
        .ip
        .clone()
        .unwrap_or_else(|| "an unknown address".into());
    let body = format!(
        "Your {name} account was just signed in to from a new device: {device}, from {ip}. If \
         this was not you, reset your password and sign out of all devices."
    );
    if let Err(e) = state
        .delivery
        .email(
            &user.email,
            &format!("New sign-in to your {name} account"),
            &body,
            None,
            state.now(),
        )
        .await
    {
        tracing::warn!(error = %e, "new-device notice not queued");
    }
}

/// The second factors a user can prove at sign-in, the default first: the authenticator app, then
/// SMS, then backup codes.
pub fn second_factors(user: &User) -> Vec<String> {
    let mut factors = Vec::new();
    if user.totp_secret.is_some() {
        factors.push("totp".to_string());
    }
    if user.sms_mfa && user.phone.is_some() {
        factors.push("sms".to_string());
    }
    if user.has_second_factor() {
        factors.push("backup_code".to_string());
    }
    factors
}

async fn send_sms_code_to(
    state: &AppState,
    attempt: &SignInAttempt,
    user: &User,
) -> FlowResult<()> {
    let Some(phone) = user.phone.as_deref().filter(|_| user.sms_mfa) else {
        return Err(ErrorCode::Forbidden.into());
    };
    super::send_sms_code(
        state,
        &attempt.id,
        CodePurpose::SmsSecondFactor,
        phone,
        "sign-in",
    )
    .await
}

/// "SMS code" on `/sign-in/factor-two`: a code goes to the user's reserved phone.
pub async fn send_sms_code(state: &AppState, ctx: &ClientContext) -> FlowResult<Outcome> {
    refuse_if_signed_in(state, ctx)?;
    let a = attempt(state, ctx).await?;
    if a.status != SignInStatus::NeedsSecondFactor {
        return Err(ErrorCode::AttemptMissing.into());
    }
    let user = user_of(state, &a)
        .await?
        .ok_or(FlowError::new(ErrorCode::AttemptMissing))?;
    if let Some(code) = state
        .store
        .current_code(&a.id, CodePurpose::SmsSecondFactor.as_str())
        .await?
    {
        let wait = code.state.resend_wait(state.now());
        if wait > 0 {
            return Err(FlowError::with_n(ErrorCode::CodeResendTooSoon, wait as u64));
        }
    }
    send_sms_code_to(state, &a, &user).await?;
    Ok(outcome("/sign-in/factor-two?method=sms", None))
}

/// The second factor: an authenticator code (each time step once), an SMS code, or a backup code
/// (each once). Wrong codes count towards the lockout.
pub async fn attempt_second_factor(
    state: &AppState,
    ctx: &ClientContext,
    req: &RequestInfo,
    method: &str,
    code: &str,
) -> FlowResult<Outcome> {
    refuse_if_signed_in(state, ctx)?;
    let code = bounded(code, 64, "Verification code")?;
    let a = attempt(state, ctx).await?;
    if a.status != SignInStatus::NeedsSecondFactor {
        return Err(ErrorCode::AttemptMissing.into());
    }
    let user = user_of(state, &a)
        .await?
        .ok_or(FlowError::new(ErrorCode::AttemptMissing))?;
    let now = state.now();
    check_not_locked(&user, now)?;
    let proven = match method {
        "totp" => match (&user.totp_secret, parse_code(code)) {
            (Some(secret), Some(code)) => {
                match mfa::verify(secret, &code, now, user.totp_last_step) {
                    Some(step) => state.store.record_totp_step(&user.id, step).await?,
                    None => false,
                }
            }
            _ => false,
        },
        "sms" => verify_code(state, &a.id, CodePurpose::SmsSecondFactor.as_str(), code)
            .await
            .is_ok(),
        "backup_code" => {
            state
                .store
                .use_backup_code(&user.id, &mfa::hash_backup_code(code), now)
                .await?
        }
        _ => false,
    };
    if !proven {
        return Err(count_failure(state, &user, ErrorCode::FormCodeIncorrect).await);
    }
    state.store.clear_failures(&user.id).await?;
    advance(state, req, a, &user, SignInStatus::Complete, None).await
}

/// The email-address step of `/sign-in/factor-one` or `/sign-in/reset-password` when the first
/// screen was submitted without one.
pub async fn identify(state: &AppState, ctx: &ClientContext, email: &str) -> FlowResult<Outcome> {
    refuse_if_signed_in(state, ctx)?;
    let mut a = attempt(state, ctx).await?;
    let email = parse_email(bounded(email, 320, "Email address")?)?;
    let user = state.store.user_by_email(email.as_str()).await?;
    if user.is_none() && !state.settings.sign_in.enumeration_protection {
        return Err(ErrorCode::FormIdentifierNotFound.into());
    }
    a.identifier = Some(email.to_string());
    a.user_id = user.as_ref().map(|u| u.id.clone());
    state.store.put_sign_in(&a, state.now()).await?;
    if a.strategy == Some(FirstFactor::ResetPasswordEmailCode) {
        if let Some(u) = &user {
            send_email_code(
                state,
                &a.id,
                CodePurpose::ResetPassword,
                &u.email,
                "reset your password",
            )
            .await?;
        }
        return Ok(outcome("/sign-in/reset-password", None));
    }
    Ok(outcome("/sign-in/factor-one", None))
}

/// "Email code" on `/sign-in/factor-one`: sends a code to the address (if it has an account).
pub async fn choose_email_code(state: &AppState, ctx: &ClientContext) -> FlowResult<Outcome> {
    refuse_if_signed_in(state, ctx)?;
    let mut a = attempt(state, ctx).await?;
    if a.identifier.is_none() {
        return Err(FlowError::with_detail(
            ErrorCode::FormParamMissing,
            "Email address",
        ));
    }
    a.strategy = Some(FirstFactor::EmailCode);
    state.store.put_sign_in(&a, state.now()).await?;
    if let Some(u) = user_of(state, &a).await? {
        send_email_code(state, &a.id, CodePurpose::SignInEmail, &u.email, "sign in").await?;
    }
    Ok(outcome("/sign-in/factor-one", None))
}

fn code_purpose(a: &SignInAttempt) -> FlowResult<CodePurpose> {
    match (a.status, a.strategy) {
        (SignInStatus::NeedsFirstFactor, Some(FirstFactor::EmailCode)) => {
            Ok(CodePurpose::SignInEmail)
        }
        (SignInStatus::NeedsFirstFactor, Some(FirstFactor::ResetPasswordEmailCode)) => {
            Ok(CodePurpose::ResetPassword)
        }
        (SignInStatus::NeedsClientTrust, _) => Ok(CodePurpose::ClientTrust),
        _ => Err(ErrorCode::AttemptMissing.into()),
    }
}

/// A typed email code: for an email-code sign-in, a password reset or device trust.
pub async fn attempt_code(
    state: &AppState,
    ctx: &ClientContext,
    req: &RequestInfo,
    code: &str,
) -> FlowResult<Outcome> {
    refuse_if_signed_in(state, ctx)?;
    let code = bounded(code, 64, "Verification code")?;
    let a = attempt(state, ctx).await?;
    let purpose = code_purpose(&a)?;
    let Some(user) = user_of(state, &a).await? else {
        return Err(ErrorCode::FormCodeIncorrect.into());
    };
    check_not_locked(&user, state.now())?;
    if verify_code(state, &a.id, purpose.as_str(), code)
        .await
        .is_err()
    {
        return Err(count_failure(state, &user, ErrorCode::FormCodeIncorrect).await);
    }
    state.store.clear_failures(&user.id).await?;
    let next = match purpose {
        CodePurpose::ResetPassword => SignInStatus::NeedsNewPassword,
        CodePurpose::ClientTrust => SignInStatus::Complete,
        _ => after_first_factor(
            FirstFactor::EmailCode,
            FirstFactorFacts {
                has_second_factor: user.has_second_factor(),
                ..Default::default()
            },
        ),
    };
    advance(state, req, a, &user, next, None).await
}

/// "Resend code" on a code step.
pub async fn resend_code(state: &AppState, ctx: &ClientContext) -> FlowResult<Outcome> {
    let a = attempt(state, ctx).await?;
    let purpose = code_purpose(&a)?;
    check_resend(state, &a.id, purpose.as_str()).await?;
    if let Some(u) = user_of(state, &a).await? {
        send_email_code(state, &a.id, purpose, &u.email, "continue signing in").await?;
    }
    Ok(outcome(a.status.path(), None))
}

/// The new-password step of forgot-password.
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
    if a.status != SignInStatus::NeedsNewPassword {
        return Err(ErrorCode::AttemptMissing.into());
    }
    let user = user_of(state, &a)
        .await?
        .ok_or(FlowError::new(ErrorCode::AttemptMissing))?;
    state.settings.password_policy().check_new(
        password,
        confirm,
        &user.email,
        breached::is_breached,
    )?;
    if let Some(old) = &user.password_hash {
        let same = state
            .hasher
            .verify(password.to_string(), Some(old.clone()))
            .await
            .map_err(crate::server::auth::internal)?;
        if same {
            return Err(ErrorCode::FormNewPasswordMatchesCurrent.into());
        }
    }
    let new_hash = state
        .hasher
        .hash(password.to_string())
        .await
        .map_err(crate::server::auth::internal)?;
    // Other devices are signed out when asked, and always when the password was compromised.
    let end_others = sign_out_others || user.password_compromised;
    state
        .store
        .change_password(&user.id, &new_hash, end_others, None, state.now())
        .await?;
    notify_password_changed(state, &user).await;
    let user = state
        .store
        .user_by_id(&user.id)
        .await?
        .ok_or(FlowError::new(ErrorCode::AttemptMissing))?;
    advance(
        state,
        req,
        a,
        &user,
        after_new_password(user.has_second_factor()),
        None,
    )
    .await
}

/// Tells the user their password changed (OWASP ASVS 6.3.7).
pub async fn notify_password_changed(state: &AppState, user: &User) {
    let name = &state.settings.instance.name;
    let body = format!(
        "The password of your {name} account was just changed. If this was not you, reset your \
         password at once and contact your administrator."
    );
    if let Err(e) = state
        .delivery
        .email(
            &user.email,
            &format!("Your {name} password was changed"),
            &body,
            None,
            state.now(),
        )
        .await
    {
        tracing::warn!(error = %e, "password-change notice not queued");
    }
}

/// The sign-in attempt's redirect target, for pages that abandon it ("Back").
pub async fn abandon(state: &AppState, ctx: &ClientContext) -> FlowResult<Outcome> {
    if let Some(c) = &ctx.client {
        state.store.delete_sign_in(&c.id).await?;
    }
    Ok(outcome("/sign-in", None))
}
