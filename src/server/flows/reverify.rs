//! Reverification (README, "Reverification"): sensitive actions need the session's factors verified
//! recently (`Reverification::STRICT` for the portal's). An action that lacks it answers 403
//! `reverification_required`; the session then verifies again here — the password (or an email
//! code for a user without one), then the second factor when the level asks for it — on the
//! hosted `/user/verify` page or in the kit's dialog, and the action is tried again.

use super::codes::{self, Channel, Redeemed};
use super::{bounded, check_not_locked, count_failure, FlowResult, Outcome, RequestInfo};
use crate::domain::credentials::{self, first_proof, FirstProof};
use crate::domain::errors::{ErrorCode, FlowError};
use crate::domain::redirect::safe_redirect;
use crate::domain::reverification::{Reverification, Verified};
use crate::domain::session::TaskKey;
use crate::domain::snapshot::ReverificationView;
use crate::domain::verification::{parse_code, CodePurpose};
use crate::server::client::ClientContext;
use crate::server::mfa;
use crate::server::state::AppState;
use crate::server::store::{CodeBinding, SessionDetail};

/// The hosted reverification page.
pub use crate::domain::guard::VERIFY_PATH;

/// The session that verifies itself again: the active one, or a pending one whose current task
/// changes a credential (it proves itself before that change as the portal asks).
fn verifying(ctx: &ClientContext) -> FlowResult<&SessionDetail> {
    ctx.require_active().or_else(|e| {
        ctx.signed_in()
            .ok()
            .filter(|s| {
                s.session
                    .tasks
                    .first()
                    .is_some_and(TaskKey::changes_credential)
            })
            .ok_or(e)
    })
}

/// Who the verification is for: the task the session owes, else the portal.
fn channel(s: &SessionDetail) -> credentials::Channel {
    match s.session.tasks.first() {
        Some(TaskKey::ResetPassword) => credentials::Channel::ResetPasswordTask,
        Some(TaskKey::SetupMfa) => credentials::Channel::SetupMfaTask,
        _ => credentials::Channel::Portal,
    }
}

/// The first factor is proven by the password (else by an emailed code): not while the session
/// owes a new password, whose old one is the one under suspicion.
fn by_password(s: &SessionDetail) -> bool {
    first_proof(channel(s), s.user.password_hash.is_some()) == FirstProof::Password
}

/// The session meets `level` now, or `reverification_required` (403) naming the level.
pub fn require(state: &AppState, s: &SessionDetail, level: Reverification) -> FlowResult<()> {
    require_verified(state, &s.verified(), level)
}

/// The same for verification times in hand (a password checked in this very request).
pub fn require_verified(state: &AppState, v: &Verified, level: Reverification) -> FlowResult<()> {
    if level.is_met(state.now(), v) {
        return Ok(());
    }
    Err(FlowError::with_detail(
        ErrorCode::ReverificationRequired,
        level.to_param(),
    ))
}

/// Where a plain form post that needs reverification goes: the hosted page, then back to the page
/// the form was on (its `Referer`, when it is one of ours).
pub fn page_url(req: &RequestInfo, level: &str) -> String {
    let back = req
        .headers
        .get(http::header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| url::Url::parse(r).ok())
        .map(|u| match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_string(),
        })
        .and_then(|p| safe_redirect(&p))
        .filter(|p| !p.starts_with(VERIFY_PATH))
        .unwrap_or_else(|| "/user".into());
    crate::domain::redirect::with_redirect_url(&format!("{VERIFY_PATH}?level={level}"), Some(&back))
}

/// How a verification step was asked: on the hosted page (`redirect_url` to return to once
/// verified) or in the kit's dialog (no navigation: the dialog retries the action).
#[derive(Clone, Debug, Default)]
pub struct Asked {
    pub level: Option<String>,
    pub redirect_url: Option<String>,
    pub dialog: bool,
}

impl Asked {
    fn level(&self) -> Reverification {
        self.level
            .as_deref()
            .and_then(Reverification::from_param)
            .unwrap_or(Reverification::STRICT)
    }

    /// Where to go after a step: done → back where the action was (the dialog stays); not yet →
    /// stay for the next factor.
    fn after(
        &self,
        state: &AppState,
        s: &SessionDetail,
        first_at: i64,
        second_at: Option<i64>,
    ) -> Outcome {
        let mut v = s.verified();
        v.first_at = first_at;
        v.second_at = second_at;
        if self.dialog || !self.level().is_met(state.now(), &v) {
            return Outcome::stay();
        }
        Outcome {
            next: self
                .redirect_url
                .as_deref()
                .and_then(safe_redirect)
                .unwrap_or_else(|| "/user".into()),
            new_token: None,
        }
    }
}

/// What the page or dialog shows: the factor still needed for `level`, and how it can be given.
pub async fn view(
    state: &AppState,
    ctx: &ClientContext,
    level: Option<&str>,
) -> FlowResult<ReverificationView> {
    let s = verifying(ctx)?;
    let level = Asked {
        level: level.map(str::to_string),
        ..Asked::default()
    }
    .level();
    let user = &s.user;
    let left = state.store.backup_codes_left(&user.id).await?;
    Ok(ReverificationView {
        level: level.to_param(),
        needed: level.needed(state.now(), &s.verified()),
        has_password: by_password(s),
        email: user.email.clone(),
        second_factors: mfa::available_methods(user, left),
    })
}

/// The current password: the first factor again. Wrong ones count towards the lockout.
pub async fn password(
    state: &AppState,
    ctx: &ClientContext,
    password: &str,
    asked: &Asked,
) -> FlowResult<Outcome> {
    let s = verifying(ctx)?;
    if !by_password(s) {
        return Err(ErrorCode::StrategyForUserInvalid.into());
    }
    super::credentials::check_password(state, s, password).await?;
    let now = state.now();
    Ok(asked.after(state, s, now, s.session.second_factor_at))
}

fn email_binding(s: &SessionDetail) -> CodeBinding {
    // Bound to this session (never to a sign-in attempt: the ids differ in kind).
    CodeBinding {
        purpose: CodePurpose::SignInEmail,
        attempt_id: s.session.id.clone(),
        user_id: s.user.id.clone(),
        recipient: s.user.email.clone(),
    }
}

fn sms_binding(s: &SessionDetail, phone: &str) -> CodeBinding {
    CodeBinding {
        purpose: CodePurpose::SmsSecondFactor,
        attempt_id: s.session.id.clone(),
        user_id: s.user.id.clone(),
        recipient: phone.to_string(),
    }
}

/// Which code a "Send" asks for: the email code (first factor, users without a password) or the
/// SMS code (second factor).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeChannel {
    Email,
    Sms,
}

/// Sends a code to the user's email or reserved phone, bound to this session; the page then shows
/// the code field (`step=email_code|sms_code`).
pub async fn send_code(
    state: &AppState,
    ctx: &ClientContext,
    req: &RequestInfo,
    channel: CodeChannel,
    asked: &Asked,
) -> FlowResult<Outcome> {
    let s = verifying(ctx)?;
    let (binding, step, purpose, ch) = match channel {
        CodeChannel::Email => {
            if by_password(s) {
                return Err(ErrorCode::StrategyForUserInvalid.into());
            }
            (
                email_binding(s),
                "email_code",
                CodePurpose::SignInEmail,
                Channel::Email,
            )
        }
        CodeChannel::Sms => {
            let phone = s
                .user
                .sms_phone()
                .ok_or(FlowError::new(ErrorCode::StrategyForUserInvalid))?;
            (
                sms_binding(s, phone),
                "sms_code",
                CodePurpose::SmsSecondFactor,
                Channel::Sms,
            )
        }
    };
    codes::throttle(
        state,
        req,
        purpose,
        &binding.recipient,
        codes::Cause::Requested,
    )
    .await?;
    codes::send(state, &binding, ch).await?;
    if asked.dialog {
        return Ok(Outcome::stay());
    }
    let mut url = format!(
        "{VERIFY_PATH}?level={}&step={step}",
        asked.level().to_param()
    );
    if let Some(back) = asked.redirect_url.as_deref().and_then(safe_redirect) {
        url = crate::domain::redirect::with_redirect_url(&url, Some(&back));
    }
    Ok(Outcome {
        next: url,
        new_token: None,
    })
}

/// A code: `email_code` (the first factor of a user without a password), or a second factor —
/// `totp` (each time step once), `sms_code` or `backup_code` (each once). Wrong ones count
/// towards the lockout.
pub async fn code(
    state: &AppState,
    ctx: &ClientContext,
    strategy: &str,
    code: &str,
    asked: &Asked,
) -> FlowResult<Outcome> {
    let s = verifying(ctx)?;
    let user = &s.user;
    let code = bounded(code, 64, "Verification code")?;
    check_not_locked(user, state.now())?;
    let now = state.now();
    let first = strategy == "email_code";
    let proven = match strategy {
        "email_code" if !by_password(s) => {
            codes::redeem(state, &email_binding(s), code).await? == Redeemed::Accepted
        }
        "totp" => match (&user.totp_secret, parse_code(code)) {
            (Some(secret), Some(c)) => match mfa::verify(secret, &c, now, user.totp_last_step) {
                Some(step) => state.store.record_totp_step(&user.id, step).await?,
                None => false,
            },
            _ => false,
        },
        "sms" => match user.sms_phone() {
            Some(phone) => {
                codes::redeem(state, &sms_binding(s, phone), code).await? == Redeemed::Accepted
            }
            None => false,
        },
        "backup_code" if user.has_second_factor() => {
            super::credentials::use_backup_code(state, user, code).await?
        }
        "email_code" | "backup_code" => return Err(ErrorCode::StrategyForUserInvalid.into()),
        _ => {
            return Err(FlowError::with_detail(
                ErrorCode::FormParamFormatInvalid,
                "Strategy",
            ))
        }
    };
    if !proven {
        return Err(count_failure(state, user, ErrorCode::FormCodeIncorrect).await);
    }
    if first {
        state
            .store
            .set_first_factor_verified(&s.session.id, now)
            .await?;
        Ok(asked.after(state, s, now, s.session.second_factor_at))
    } else {
        state
            .store
            .set_second_factor_verified(&s.session.id, now)
            .await?;
        Ok(asked.after(state, s, s.session.first_factor_at, Some(now)))
    }
}
