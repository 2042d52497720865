//! Session tasks (README, "Session tasks for app developers"): the steps that complete
//! `reset-password`, `setup-mfa` and `choose-organization`, and switching the active organization.
//! Every step re-reads the caller's session; a step for a task that is not the current one is
//! refused (a task cannot be skipped).

use super::{bounded, FlowResult, Outcome, RequestInfo, MAX_PASSWORD_BYTES};
use crate::domain::credentials::Channel;
use crate::domain::errors::{ErrorCode, FlowError};
use crate::domain::organization::{parse_name_and_slug, ROLE_ADMIN};
use crate::domain::redirect::{safe_redirect, with_redirect_url};
use crate::domain::session::TaskKey;
use crate::domain::verification::parse_code;
use crate::server::client::{load_client, ClientContext};
use crate::server::mfa;
use crate::server::state::AppState;
use crate::server::store::{BackupCodeSet, Conflict, NewFactor, SessionDetail, StoreError};

/// Where a task step was opened from: the destination carried through the tasks and the task
/// component's `redirect_url_complete`.
#[derive(Clone, Debug, Default)]
pub struct Destination {
    pub redirect_url: Option<String>,
    pub complete_url: Option<String>,
}

/// The caller's session, if `key` is its current task.
pub(crate) fn on_task<'a>(ctx: &'a ClientContext, key: &TaskKey) -> FlowResult<&'a SessionDetail> {
    let s = ctx.signed_in()?;
    if s.session.tasks.first() == Some(key) {
        Ok(s)
    } else {
        Err(ErrorCode::TaskNotCurrent.into())
    }
}

/// After a fact changed: reload (which recomputes the tasks) and answer the next URL — the next
/// task, else the carried `redirect_url`, else `redirect_url_complete`, else after-sign-in.
pub(crate) async fn next(
    state: &AppState,
    req: &RequestInfo,
    dest: &Destination,
) -> FlowResult<Outcome> {
    let ctx = load_client(state, &req.headers).await?;
    let urls = state.urls();
    let redirect = dest.redirect_url.as_deref().and_then(safe_redirect);
    let next = match ctx.active().and_then(|s| s.session.tasks.first()) {
        Some(task) => with_redirect_url(&urls.task_url(task), redirect.as_deref()),
        None => redirect
            .or_else(|| dest.complete_url.as_deref().and_then(safe_redirect))
            .unwrap_or(urls.after_sign_in_url.clone()),
    };
    Ok(Outcome {
        next,
        new_token: None,
    })
}

/// `reset-password`: a new password replaces the compromised one; sessions on other clients end.
pub async fn reset_password(
    state: &AppState,
    ctx: &ClientContext,
    req: &RequestInfo,
    password: &str,
    confirm: &str,
    sign_out_others: bool,
    dest: &Destination,
) -> FlowResult<Outcome> {
    let s = on_task(ctx, &TaskKey::ResetPassword)?;
    let password = bounded(password, MAX_PASSWORD_BYTES, "New password")?;
    let confirm = bounded(confirm, MAX_PASSWORD_BYTES, "Confirm password")?;
    let user = &s.user;
    super::credentials::authorize(state, s, Channel::ResetPasswordTask, &s.verified())?;
    let new_hash = super::credentials::new_password_hash(state, user, password, confirm).await?;
    // The password was compromised: sessions on other clients always end
    // (README, "Session tasks for app developers"). The box also ends this user's other sessions
    // on this browser.
    super::credentials::change_password(state, user, &new_hash, true, &s.session.client_id).await?;
    if sign_out_others {
        for other in ctx
            .sessions
            .iter()
            .filter(|o| o.user.id == user.id && o.session.id != s.session.id)
        {
            state
                .store
                .end_session(
                    &other.session.id,
                    crate::domain::session::SessionStatus::Revoked,
                    state.now(),
                )
                .await?;
        }
    }
    next(state, req, dest).await
}

/// A pending session may change its organization only while `choose-organization` is its current
/// task, or while it owes `setup-mfa` in an organization that requires it (a member is never
/// locked out of their other organizations; the tasks are computed again for the new one). An
/// active session always may.
pub(crate) fn may_choose_organization(s: &SessionDetail) -> FlowResult<()> {
    let strict_org = s.organization.as_ref().is_some_and(|o| o.require_mfa);
    match s.session.tasks.first() {
        None | Some(TaskKey::ChooseOrganization) => Ok(()),
        Some(TaskKey::SetupMfa) if strict_org => Ok(()),
        Some(_) => Err(ErrorCode::TaskNotCurrent.into()),
    }
}

/// `set_active`: makes `session` (one of this client's signed-in sessions) the active
/// one, and/or makes `organization` (an id or a slug; empty for the personal workspace) the
/// session's active organization. The chooser of `choose-organization` calls it.
pub async fn set_active(
    state: &AppState,
    ctx: &ClientContext,
    req: &RequestInfo,
    session: Option<&str>,
    organization: Option<&str>,
    dest: &Destination,
) -> FlowResult<Outcome> {
    let mut s = ctx.signed_in()?;
    if let Some(id) = session {
        s = ctx
            .sessions
            .iter()
            .find(|d| d.session.id == id)
            .ok_or(FlowError::new(ErrorCode::ResourceNotFound))?;
        state
            .store
            .set_last_active_session(&s.session.client_id, Some(id))
            .await?;
    }
    let Some(organization) = organization else {
        return next(state, req, dest).await;
    };
    may_choose_organization(s)?;
    let organization = bounded(organization.trim(), 128, "Organization")?;
    let org_id = if organization.is_empty() {
        if !state.settings.organizations.allow_personal_accounts {
            return Err(ErrorCode::PersonalWorkspaceDisabled.into());
        }
        None
    } else {
        let memberships = state.store.user_memberships(&s.user.id).await?;
        let m = memberships
            .iter()
            .find(|m| m.organization.id == organization || m.organization.slug == organization)
            .ok_or(FlowError::new(ErrorCode::ResourceNotFound))?;
        Some(m.organization.id.clone())
    };
    state
        .store
        .set_session_organization(&s.session.id, org_id.as_deref())
        .await?;
    next(state, req, dest).await
}

/// How many organizations one user may create in an hour: enough for anyone setting up, too few
/// for a stolen session to mint organizations in bulk.
pub const ORGANIZATIONS_PER_HOUR: u32 = 10;

/// Counts one creation against the user's hourly allowance (in the database, so every instance
/// shares it), or `too_many_requests` with the seconds until the next hour.
async fn creation_allowance(state: &AppState, s: &SessionDetail) -> FlowResult<()> {
    let now = state.now();
    let window = now - now.rem_euclid(3_600);
    let bucket = format!("organization_create:{}", s.user.id);
    if state.store.hit(&bucket, window).await? > ORGANIZATIONS_PER_HOUR {
        return Err(FlowError::with_n(
            ErrorCode::TooManyRequests,
            (window + 3_600 - now).max(1) as u64,
        ));
    }
    Ok(())
}

/// Creates an organization with the caller as `org:admin` and makes it active.
pub async fn create_organization(
    state: &AppState,
    ctx: &ClientContext,
    req: &RequestInfo,
    name: &str,
    slug: &str,
    dest: &Destination,
) -> FlowResult<Outcome> {
    let s = ctx.signed_in()?;
    if !state.settings.organizations.enabled || !state.settings.organizations.creation_enabled {
        return Err(ErrorCode::OrganizationCreationDisabled.into());
    }
    may_choose_organization(s)?;
    let (name, slug) = parse_name_and_slug(name, Some(slug.trim()))?;
    creation_allowance(state, s).await?;
    let org = match state
        .store
        .create_organization(
            &name,
            slug.as_str(),
            Some(&s.user.id),
            &[(s.user.id.clone(), ROLE_ADMIN.to_string())],
            state.now(),
        )
        .await
    {
        Ok(org) => org,
        Err(StoreError::Conflict(Conflict::Slug)) => {
            return Err(ErrorCode::OrganizationSlugTaken.into())
        }
        Err(e) => return Err(e.into()),
    };
    state
        .store
        .set_session_organization(&s.session.id, Some(&org.id))
        .await?;
    next(state, req, dest).await
}

/// The caller's session, if `setup-mfa` is its current task and it may enrol a factor now: a
/// session whose factors are old proves itself first, as in the portal.
fn on_setup_mfa<'a>(state: &AppState, ctx: &'a ClientContext) -> FlowResult<&'a SessionDetail> {
    let s = on_task(ctx, &TaskKey::SetupMfa)?;
    super::credentials::authorize(state, s, Channel::SetupMfaTask, &s.verified())?;
    Ok(s)
}

/// Enables the verified factor for the session that proved it, with fresh backup codes (kept
/// until that session confirms it saw them, when configured).
async fn enable(state: &AppState, s: &SessionDetail, factor: NewFactor) -> FlowResult<()> {
    let now = state.now();
    if s.user.has_second_factor() {
        return Err(ErrorCode::TaskNotCurrent.into());
    }
    let sid = &s.session.id;
    if state.settings.mfa.backup_codes {
        let (codes, stored) = super::credentials::fresh_backup_codes(state).await?;
        let unseen = super::credentials::codes_json(&codes)?;
        let set = BackupCodeSet {
            codes: &stored,
            unseen: &unseen,
            session_id: sid,
        };
        state
            .store
            .enable_factor(&s.user.id, sid, factor, true, Some(set), now)
            .await
    } else {
        state
            .store
            .enable_factor(&s.user.id, sid, factor, true, None, now)
            .await
    }
    .map_err(|e| match e {
        StoreError::Conflict(Conflict::Factor) => ErrorCode::TaskNotCurrent.into(),
        other => other.into(),
    })
}

/// The authenticator code that proves the pending secret.
pub async fn mfa_totp_verify(
    state: &AppState,
    ctx: &ClientContext,
    req: &RequestInfo,
    code: &str,
    dest: &Destination,
) -> FlowResult<Outcome> {
    let s = on_setup_mfa(state, ctx)?;
    let code = bounded(code, 64, "Verification code")?;
    let secret = s
        .user
        .totp_pending_for(&s.session.id)
        .map(str::to_string)
        .ok_or(FlowError::new(ErrorCode::TaskNotCurrent))?;
    let step = parse_code(code)
        .and_then(|c| mfa::verify(&secret, &c, state.now(), None))
        .ok_or(FlowError::new(ErrorCode::FormCodeIncorrect))?;
    enable(state, s, NewFactor::Totp { secret, step }).await?;
    next(state, req, dest).await
}

/// The phone number for SMS codes: a code goes to it.
pub async fn mfa_phone(
    state: &AppState,
    ctx: &ClientContext,
    req: &RequestInfo,
    phone: &str,
) -> FlowResult<Outcome> {
    let s = on_setup_mfa(state, ctx)?;
    if s.user.has_second_factor() {
        return Err(ErrorCode::TaskNotCurrent.into());
    }
    super::start_phone_verification(state, req, s, phone).await?;
    Ok(Outcome::stay())
}

/// The code sent to the phone: the phone becomes the SMS second factor.
pub async fn mfa_phone_verify(
    state: &AppState,
    ctx: &ClientContext,
    req: &RequestInfo,
    code: &str,
    dest: &Destination,
) -> FlowResult<Outcome> {
    let s = on_setup_mfa(state, ctx)?;
    let phone = super::confirm_phone_verification(state, s, code).await?;
    enable(state, s, NewFactor::Sms { phone }).await?;
    next(state, req, dest).await
}

/// "Continue" under the backup codes: this session saw them; the task is done.
pub async fn mfa_backup_codes_seen(
    state: &AppState,
    ctx: &ClientContext,
    req: &RequestInfo,
    dest: &Destination,
) -> FlowResult<Outcome> {
    let s = on_task(ctx, &TaskKey::SetupMfa)?;
    if !state
        .store
        .mark_backup_codes_seen(&s.user.id, &s.session.id)
        .await?
    {
        return Err(ErrorCode::TaskNotCurrent.into());
    }
    next(state, req, dest).await
}
