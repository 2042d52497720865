//! Sign-in: each step loads the client's attempt, applies one transition of the
//! domain state machine (`domain::sign_in`) and stores the next state with a compare-and-set, so
//! a step can run neither out of order nor twice. Codes and factors are checked for the user the
//! attempt names, through guarded statements that hold every limit.

use super::codes::{self, Channel};
use super::notices::notify;
use super::sessions::{start_session, StartSession};
use super::{
    bounded, check_address_guess, check_not_locked, check_password_guess, count_failure,
    ensure_client, parse_email, FlowResult, Outcome, RequestInfo, MAX_PASSWORD_BYTES,
};
use crate::domain::errors::{ErrorCode, FlowError};
use crate::domain::redirect::safe_redirect;
use crate::domain::sign_in::{
    after_password, Account, Completion, FirstFactorFacts, FirstFactorStep, Intent,
    PendingPassword, SignInError, SignInState, Step,
};
use crate::domain::verification::{parse_code, resend_wait, CodePurpose};
use crate::server::breached;
use crate::server::client::ClientContext;
use crate::server::messages;
use crate::server::mfa;
use crate::server::state::AppState;
use crate::server::store::{CodeBinding, CodeSend, PasswordChange, SignInAttempt, User};
use crate::server::tokens::new_id;

mod email_code;
mod second_factor;

pub use email_code::{attempt_code, choose_email_code, identify, resend_code, reset_password};
pub use second_factor::{attempt_second_factor, send_sms_code};

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

/// A second-factor method at `/sign-in/factor-two`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecondFactorMethod {
    Totp,
    Sms,
    BackupCode,
}

impl SecondFactorMethod {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "totp" => Some(Self::Totp),
            "sms" => Some(Self::Sms),
            "backup_code" => Some(Self::BackupCode),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Totp => "totp",
            Self::Sms => "sms",
            Self::BackupCode => "backup_code",
        }
    }
}

impl From<SignInError> for FlowError {
    fn from(e: SignInError) -> Self {
        match e {
            SignInError::StepInvalid => ErrorCode::SignInStepInvalid.into(),
            SignInError::CodeIncorrect => ErrorCode::FormCodeIncorrect.into(),
        }
    }
}

/// A factor was proven on the attempt of `client_id` (and the attempt goes on): the client gets
/// a new token, answered as the cookie to set. Whoever planted or copied the old cookie before
/// the proof cannot carry the attempt on with it.
async fn proven(
    state: &AppState,
    req: &RequestInfo,
    client_id: &str,
) -> FlowResult<Option<String>> {
    use crate::server::tokens::{hash, new_token};
    let presented = crate::server::cookies::client_token(&req.headers, state.https())
        .ok_or(FlowError::new(ErrorCode::SignInStepInvalid))?;
    let token = new_token();
    // Another request of this client rotated first (a double submit): its answer carries the
    // cookie that counts.
    if !state
        .store
        .rotate_client_token(client_id, &hash(&presented), &hash(&token), state.now())
        .await?
    {
        return Err(ErrorCode::SignInStepInvalid.into());
    }
    Ok(Some(token))
}

fn go(next: &str, cookie: Option<String>) -> Outcome {
    Outcome {
        next: next.to_string(),
        new_token: cookie,
    }
}

/// The sign-in page of a state (below `sign_in_url`).
fn page(app: &AppState, state: &SignInState) -> String {
    let step = match state {
        SignInState::NeedsIdentifier {
            intent: Intent::ResetPassword,
        }
        | SignInState::NeedsFirstFactor {
            step: FirstFactorStep::ResetCode,
            ..
        }
        | SignInState::NeedsNewPassword { .. } => "reset-password",
        other => other.status().step(),
    };
    app.urls().sign_in_step(step)
}

/// Single-session mode: no sign-in while signed in. Multi-session mode: at most
/// `sessions.max_per_client` signed-in accounts on one browser.
fn refuse_if_signed_in(state: &AppState, ctx: &ClientContext) -> FlowResult<()> {
    super::sessions::room_for_another(state, ctx)
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
    let urls = state.urls();
    let next = match existing.session.tasks.first() {
        Some(task) => {
            crate::domain::redirect::with_redirect_url(&urls.task_url(task), redirect_url)
        }
        None => urls.completion_target(redirect_url),
    };
    Ok(Some(go(&next, None)))
}

/// The client's live attempt.
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

/// The user the attempt names (refused when it names none).
async fn user_of(state: &AppState, a: &SignInAttempt) -> FlowResult<User> {
    let id = a
        .state
        .user_id()
        .ok_or(FlowError::new(ErrorCode::SignInStepInvalid))?;
    state
        .store
        .user_by_id(id)
        .await?
        .ok_or(FlowError::new(ErrorCode::AttemptMissing))
}

/// Stores the attempt's next state (compare-and-set on its version). With `send`, the same
/// statement claims the attempt's resend timer.
async fn store_state(
    state: &AppState,
    a: &SignInAttempt,
    next: &SignInState,
    send: bool,
) -> FlowResult<()> {
    let now = state.now();
    let claim = if send {
        CodeSend::Claim(now)
    } else {
        CodeSend::None
    };
    if state
        .store
        .advance_sign_in(&a.id, a.version, next, claim)
        .await?
    {
        return Ok(());
    }
    if send {
        if let Some(sent) = a.code_sent_at {
            let wait = resend_wait(sent, now);
            if wait > 0 {
                return Err(FlowError::with_n(ErrorCode::CodeResendTooSoon, wait as u64));
            }
        }
    }
    // Another request moved the attempt first.
    Err(ErrorCode::SignInStepInvalid.into())
}

/// The binding of an emailed code of this attempt.
fn email_binding(a: &SignInAttempt, purpose: CodePurpose, user: &User) -> CodeBinding {
    CodeBinding {
        purpose,
        attempt_id: a.id.clone(),
        user_id: user.id.clone(),
        recipient: user.email.clone(),
    }
}

fn sms_binding(a: &SignInAttempt, user: &User, phone: &str) -> CodeBinding {
    CodeBinding {
        purpose: CodePurpose::SmsSecondFactor,
        attempt_id: a.id.clone(),
        user_id: user.id.clone(),
        recipient: phone.to_string(),
    }
}

/// Sends the code `next` waits for, once the state is stored: through the throttle, to the
/// attempt's own user only (an unknown address gets nothing, and looks the same).
async fn send_code_for(
    state: &AppState,
    a: &SignInAttempt,
    purpose: CodePurpose,
) -> FlowResult<()> {
    let Some(user_id) = a.state.user_id() else {
        return Ok(());
    };
    let Some(user) = state.store.user_by_id(user_id).await? else {
        return Ok(());
    };
    codes::send(state, &email_binding(a, purpose, &user), Channel::Email).await
}

/// Creates a fresh attempt for this client (the earlier one and its codes go).
async fn create(
    state: &AppState,
    client_id: &str,
    sign_in: SignInState,
    redirect_url: Option<String>,
    code_sent: bool,
) -> FlowResult<SignInAttempt> {
    let now = state.now();
    let a = SignInAttempt {
        id: new_id("sia"),
        client_id: client_id.to_string(),
        version: 0,
        state: sign_in,
        redirect_url,
        code_sent_at: code_sent.then_some(now),
        expires_at: now + ATTEMPT_TTL_SECS,
    };
    state.store.create_sign_in(&a, now).await?;
    Ok(a)
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

    if action != StartAction::Continue && email.trim().is_empty() {
        // The next page asks for the email address first.
        let intent = match action {
            StartAction::ForgotPassword => Intent::ResetPassword,
            _ => Intent::AnotherMethod,
        };
        let (client, cookie) = ensure_client(state, ctx).await?;
        let sign_in = SignInState::NeedsIdentifier { intent };
        let next = page(state, &sign_in);
        create(state, &client.id, sign_in, redirect_url, false).await?;
        return Ok(go(&next, cookie));
    }

    let email = parse_email(email)?;
    let user = state.store.user_by_email(email.as_str()).await?;
    if user.is_none() && !state.settings.sign_in.enumeration_protection {
        return Err(ErrorCode::FormIdentifierNotFound.into());
    }
    let account = Account {
        identifier: email.to_string(),
        user_id: user.as_ref().map(|u| u.id.clone()),
    };

    match action {
        StartAction::AnotherMethod => {
            let (client, cookie) = ensure_client(state, ctx).await?;
            let sign_in = SignInState::NeedsFirstFactor {
                account,
                step: FirstFactorStep::Choose {
                    password_compromised: false,
                },
            };
            create(state, &client.id, sign_in, redirect_url, false).await?;
            Ok(go(&state.urls().sign_in_step("factor-one"), cookie))
        }
        StartAction::ForgotPassword => {
            codes::throttle(
                state,
                req,
                CodePurpose::ResetPassword,
                email.as_str(),
                codes::Cause::Requested,
            )
            .await?;
            let (client, cookie) = ensure_client(state, ctx).await?;
            let sign_in = SignInState::NeedsFirstFactor {
                account,
                step: FirstFactorStep::ResetCode,
            };
            let a = create(state, &client.id, sign_in, redirect_url, true).await?;
            send_code_for(state, &a, CodePurpose::ResetPassword).await?;
            Ok(go(&state.urls().sign_in_step("reset-password"), cookie))
        }
        StartAction::Continue => {
            if password.is_empty() {
                return Err(FlowError::with_detail(
                    ErrorCode::FormParamMissing,
                    "Password",
                ));
            }
            let now = state.now();
            let user = match user {
                Some(u) => {
                    check_password_guess(state, &u, password).await?;
                    u
                }
                None => {
                    // The same lockout, judged the same way, so neither the answer nor its
                    // time says whether the address has an account.
                    return Err(check_address_guess(state, email.as_str(), password).await);
                }
            };
            // The lock may have been set while this request waited for the hasher.
            let mut user = state
                .store
                .user_by_id(&user.id)
                .await?
                .ok_or(FlowError::new(ErrorCode::FormPasswordIncorrect))?;
            check_not_locked(&user, state.now())?;
            let breached =
                state.settings.password.reject_breached && breached::is_breached(password);
            if breached && !user.password_compromised {
                state.store.set_compromised(&user.id, true, now).await?;
                // The session's tasks follow from this user as stored now.
                user.password_compromised = true;
            }
            let (client, cookie) = ensure_client(state, ctx).await?;
            // A client created by this request (it comes with a new cookie) knows nobody yet.
            let client_known =
                cookie.is_none() && state.store.client_knows_user(&client.id, &user.id).await?;
            let facts = FirstFactorFacts {
                has_second_factor: user.has_second_factor(),
                client_trust_enabled: state.settings.client_trust.enabled,
                client_known,
            };
            let step = after_password(account, user.password_compromised || breached, facts);
            match step {
                Step::Complete(done) => {
                    let at = Finish {
                        client_id: &client.id,
                        attempt_id: None,
                        redirect_url: redirect_url.as_deref(),
                        checked: Some((user, client_known)),
                    };
                    finish(state, req, at, done).await
                }
                Step::Continue(next) => {
                    let a = create(state, &client.id, next, redirect_url, false).await?;
                    waiting_at(state, req, &a, &user).await?;
                    // A client made by this request already has a fresh token.
                    let cookie = match cookie {
                        Some(fresh) => Some(fresh),
                        None => proven(state, req, &client.id).await?,
                    };
                    Ok(go(&page(state, &a.state), cookie))
                }
            }
        }
    }
}

/// A state reached without the visitor asking for a code may still need one sent: the device
/// code of device trust, and the SMS code when SMS is the user's only second factor.
async fn waiting_at(
    state: &AppState,
    req: &RequestInfo,
    a: &SignInAttempt,
    user: &User,
) -> FlowResult<()> {
    let (binding, channel) = match &a.state {
        SignInState::NeedsClientTrust { .. } => (
            email_binding(a, CodePurpose::ClientTrust, user),
            Channel::Email,
        ),
        SignInState::NeedsSecondFactor { .. } if user.totp_secret.is_none() => {
            let Some(phone) = user.sms_phone() else {
                return Ok(());
            };
            (sms_binding(a, user, phone), Channel::Sms)
        }
        _ => return Ok(()),
    };
    codes::throttle(
        state,
        req,
        binding.purpose,
        &binding.recipient,
        codes::Cause::AfterPassword,
    )
    .await?;
    if !state
        .store
        .advance_sign_in(&a.id, a.version, &a.state, CodeSend::Record(state.now()))
        .await?
    {
        return Ok(());
    }
    codes::send(state, &binding, channel).await
}

/// Where a completed sign-in happens: the client, the attempt it completes (none for a password
/// sign-in that needed no further step) and the carried destination.
struct Finish<'a> {
    client_id: &'a str,
    attempt_id: Option<&'a str>,
    redirect_url: Option<&'a str>,
    /// The user as the caller re-read and checked it after the last factor (not locked), and
    /// whether the client knew them; `None` reads both here.
    checked: Option<(User, bool)>,
}

/// Completes the sign-in of attempt `a`.
async fn complete(
    state: &AppState,
    req: &RequestInfo,
    a: &SignInAttempt,
    done: Completion,
) -> FlowResult<Outcome> {
    let at = Finish {
        client_id: &a.client_id,
        attempt_id: Some(&a.id),
        redirect_url: a.redirect_url.as_deref(),
        checked: None,
    };
    finish(state, req, at, done).await
}

/// Ends a sign-in: the user is re-read (a lock set meanwhile refuses it), the session is created
/// — consuming the attempt and setting the new password of a reset in the same transaction, so an
/// attempt completes once — and the lockout counter is cleared, only now that every factor is
/// proven.
async fn finish(
    state: &AppState,
    req: &RequestInfo,
    at: Finish<'_>,
    done: Completion,
) -> FlowResult<Outcome> {
    let Finish {
        client_id,
        attempt_id,
        redirect_url,
        checked,
    } = at;
    let (user, known) = match checked {
        Some(checked) if checked.0.id == done.user_id => checked,
        Some(_) => return Err(FlowError::new(ErrorCode::AttemptMissing)),
        None => {
            let user = state
                .store
                .user_by_id(&done.user_id)
                .await?
                .ok_or(FlowError::new(ErrorCode::AttemptMissing))?;
            check_not_locked(&user, state.now())?;
            let known = state.store.client_knows_user(client_id, &user.id).await?;
            (user, known)
        }
    };
    let password_change = done.new_password.as_ref().map(|p| PasswordChange {
        hash: p.hash.clone(),
        // Other devices are signed out when asked, and always when the password was compromised.
        end_other_sessions: p.sign_out_others || user.password_compromised,
    });
    let changed_password = password_change.is_some();
    // The session rotates the client token, which supersedes any cookie set on the way.
    let (_, out) = start_session(
        state,
        client_id,
        req,
        &user,
        StartSession {
            redirect_url,
            second_factor: done.second_factor,
            password_change,
            completes_attempt: attempt_id.map(str::to_string),
            ..Default::default()
        },
    )
    .await?;
    // Nothing to clear unless a failure was counted (a failure counted meanwhile is kept: the
    // stricter outcome).
    if user.failed_attempts > 0 {
        state.store.clear_failures(&user.id).await?;
    }
    if changed_password {
        notify(state, &user, messages::password_changed(&instance(state))).await;
    }
    if !known {
        let device = req
            .user_agent()
            .unwrap_or_else(|| "an unknown browser".into());
        let ip = req
            .ip
            .clone()
            .unwrap_or_else(|| "an unknown address".into());
        notify(
            state,
            &user,
            messages::new_device(&instance(state), &device, &ip),
        )
        .await;
    }
    Ok(out)
}

fn instance(state: &AppState) -> String {
    state.settings.instance.name.clone()
}

/// "Back": abandons the sign-in attempt (and its codes).
pub async fn abandon(state: &AppState, ctx: &ClientContext) -> FlowResult<Outcome> {
    if let Some(c) = &ctx.client {
        state.store.delete_sign_in(&c.id).await?;
    }
    Ok(go(&state.urls().sign_in_url, None))
}
