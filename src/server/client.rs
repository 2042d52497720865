//! The client context: who is calling — the client behind the `__client` cookie and its signed-in
//! sessions, with expired, idle and locked ones ended and every live session's tasks recomputed
//! from current facts (so the next request sees a change) — and the access checks every flow and
//! read model starts from. This is the only layer below the flows that writes.
//!
//! The hot path is one indexed query (the client by its token's hash, joined with its live
//! sessions, their users and active memberships); the facts the tasks follow from come in the same
//! row, so recomputing them is a few comparisons in memory, and a request writes only when
//! something changed: a session ended, tasks that differ from the stored ones, or activity last
//! recorded a minute ago or more.

use super::cookies::client_token;
use super::mfa;
use super::state::AppState;
use super::store::{Client, OrganizationMembership, SessionDetail, User};
use super::tokens::hash;
use crate::domain::errors::{ErrorCode, FlowError};
use crate::domain::session::{compute_tasks, live_status, SessionStatus, TaskFacts, TaskKey};
use crate::domain::snapshot::role_permissions;
use http::HeaderMap;

/// The calling client and its signed-in sessions.
#[derive(Clone, Debug, Default)]
pub struct ClientContext {
    pub client: Option<Client>,
    /// Live sessions, most recently active first.
    pub sessions: Vec<SessionDetail>,
    /// Whether a sign-in or a sign-up attempt is in progress on the client (read only then).
    pub has_sign_in: bool,
    pub has_sign_up: bool,
}

impl ClientContext {
    /// The client's active session (pending or not).
    pub fn active(&self) -> Option<&SessionDetail> {
        let id = self.client.as_ref()?.last_active_session_id.as_deref()?;
        self.sessions.iter().find(|s| s.session.id == id)
    }

    /// The active session, pending allowed (tasks are done while pending), or `unauthenticated`.
    pub fn signed_in(&self) -> Result<&SessionDetail, FlowError> {
        self.active()
            .ok_or(FlowError::new(ErrorCode::Unauthenticated))
    }

    /// The active session when it is not pending (a pending session is signed out), or
    /// `unauthenticated`.
    pub fn require_active(&self) -> Result<&SessionDetail, FlowError> {
        self.active()
            .filter(|s| s.session.status == SessionStatus::Active)
            .ok_or(FlowError::new(ErrorCode::Unauthenticated))
    }

    /// The active (not pending) session and its active organization.
    pub fn in_organization(&self) -> Result<(&SessionDetail, &OrganizationMembership), FlowError> {
        let s = self.require_active()?;
        let org = s
            .organization
            .as_ref()
            .ok_or(FlowError::new(ErrorCode::ResourceNotFound))?;
        Ok((s, org))
    }

    /// The same, when the role grants `permission` (`forbidden` otherwise).
    pub fn with_permission(
        &self,
        permission: &str,
    ) -> Result<(&SessionDetail, &OrganizationMembership), FlowError> {
        let (s, org) = self.in_organization()?;
        if role_permissions(&org.role).contains(&permission) {
            Ok((s, org))
        } else {
            Err(ErrorCode::Forbidden.into())
        }
    }
}

/// Organization features answer "not found" while organizations are off.
pub fn organizations_enabled(state: &AppState) -> Result<(), FlowError> {
    if state.settings.organizations.enabled {
        Ok(())
    } else {
        Err(ErrorCode::ResourceNotFound.into())
    }
}

/// Loads the client named by the request's cookie, ends its expired sessions and brings every live
/// session's tasks up to date.
pub async fn load_client(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<ClientContext, FlowError> {
    match client_token(headers, state.https()) {
        Some(token) => load_client_by_token(state, &token).await,
        None => Ok(ClientContext::default()),
    }
}

/// Like [`load_client`], for a token in hand (the one a response is about to set).
pub async fn load_client_by_token(
    state: &AppState,
    token: &str,
) -> Result<ClientContext, FlowError> {
    let token_hash = hash(token);
    let Some(record) = state.store.client_by_token_hash(&token_hash).await? else {
        // Rare unless something is wrong: a cookie from before a rotation that the browser
        // should have replaced, a purged client, or a forged token. (A prefix of the token's
        // hash tells the requests apart; it says nothing of the token.)
        tracing::info!(
            token = &token_hash[..8],
            "the client cookie names no client: a stale or forged token"
        );
        return Ok(ClientContext::default());
    };
    let now = state.now();
    let mut sessions = Vec::new();
    for detail in record.sessions {
        if let Some(detail) = refresh_session(state, detail, now).await? {
            sessions.push(detail);
        }
    }
    let ctx = ClientContext {
        client: Some(record.client),
        sessions,
        has_sign_in: record.has_sign_in,
        has_sign_up: record.has_sign_up,
    };
    // Activity of the active session, at most once a minute (the idle timeout reads it).
    if let Some(active) = ctx.active() {
        if now - active.session.last_active_at >= 60 {
            state.store.touch_session(&active.session.id, now).await?;
        }
    }
    Ok(ctx)
}

/// A signed-in session as a request sees it: `None` once it has expired, idled out or its user
/// was locked (it is ended on the way); otherwise with its tasks recomputed (and stored when they
/// changed).
pub(crate) async fn refresh_session(
    state: &AppState,
    mut detail: SessionDetail,
    now: i64,
) -> Result<Option<SessionDetail>, FlowError> {
    let inactivity = state.settings.sessions.inactivity_timeout.secs();
    let task_settings = &state.tasks;
    let idle = inactivity.is_some_and(|t| detail.session.last_active_at + t <= now);
    if detail.session.expire_at <= now || idle {
        state
            .store
            .end_session(&detail.session.id, SessionStatus::Expired, now)
            .await?;
        return Ok(None);
    }
    // An operator lock signs the user out at the next request (the lock also revoked the
    // sessions it saw; this catches any that raced it).
    if detail.user.locked {
        state
            .store
            .end_session(&detail.session.id, SessionStatus::Revoked, now)
            .await?;
        return Ok(None);
    }
    let facts = task_facts(
        &detail.user,
        // A factor counts for the session that proved it (or enrolled it), not for every
        // session of the user.
        detail.session.second_factor_at.is_some(),
        detail.user.backup_codes_pending_for(&detail.session.id),
        detail.organization.as_ref().map(|o| o.require_mfa),
    );
    let tasks = compute_tasks(task_settings, &facts);
    // A requested setup-mfa or choose-organization is done once its fact holds (a factor
    // set up, an organization active): the request is not a standing rule.
    for done in detail
        .user
        .requested_tasks
        .iter()
        .filter(|k| matches!(k, TaskKey::SetupMfa | TaskKey::ChooseOrganization))
        .filter(|k| !tasks.contains(k) && !facts.backup_codes_pending)
    {
        state
            .store
            .withdraw_task(&detail.user.id, done.as_str())
            .await?;
    }
    if tasks != detail.session.tasks {
        state
            .store
            .set_session_tasks(&detail.session.id, &tasks)
            .await?;
        detail.session.status = live_status(&tasks);
        detail.session.tasks = tasks;
    }
    Ok(Some(detail))
}

/// The facts a session's tasks are computed from: its user, whether the session proved (or
/// enrolled) the second factor, whether it still owes a look at its backup codes, and its active
/// organization (`Some(require_mfa)`, or `None` for the personal account).
pub(crate) fn task_facts(
    user: &User,
    second_factor_proved: bool,
    backup_codes_pending: bool,
    organization: Option<bool>,
) -> TaskFacts {
    TaskFacts {
        password_compromised: user.password_compromised,
        has_second_factor: user.has_second_factor() && second_factor_proved,
        user_has_second_factor: user.has_second_factor(),
        backup_codes_pending,
        has_active_organization: organization.is_some(),
        organization_requires_mfa: organization == Some(true),
        accepted_terms_version: user.terms_version.clone(),
        user_created_at: user.created_at,
        requested: user.requested_tasks.clone(),
        completed: user.completed_tasks.clone(),
    }
}

/// Before a snapshot is shown: a session whose current task is `setup-mfa` gets its own pending
/// authenticator secret, so the task page can show it with its QR code (the snapshot itself only
/// reads).
pub async fn start_totp_enrolment(
    state: &AppState,
    ctx: &mut ClientContext,
) -> Result<(), FlowError> {
    if !(state.settings.mfa.methods).contains(&crate::domain::mfa::MfaMethod::Totp) {
        return Ok(());
    }
    let Some(id) = ctx.active().map(|s| s.session.id.clone()) else {
        return Ok(());
    };
    let Some(s) = ctx.sessions.iter_mut().find(|s| s.session.id == id) else {
        return Ok(());
    };
    let user = &s.user;
    let owes = s.session.tasks.first() == Some(&TaskKey::SetupMfa)
        && !user.has_second_factor()
        && user.totp_pending_for(&id).is_none();
    if owes {
        let secret = mfa::new_secret();
        state.store.set_totp_pending(&user.id, &id, &secret).await?;
        s.user.totp_pending_secret = Some(secret);
        s.user.totp_pending_session = Some(id);
    }
    Ok(())
}
