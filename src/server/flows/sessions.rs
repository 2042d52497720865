//! Creating sessions at the end of a sign-in or sign-up, and signing out.

use super::{FlowResult, Outcome, RequestInfo};
use crate::domain::errors::{ErrorCode, FlowError};
use crate::domain::redirect::{safe_redirect, with_redirect_url};
use crate::domain::session::{compute_tasks, TaskKey};
use crate::server::client::{task_facts, ClientContext};
use crate::server::state::AppState;
use crate::server::store::{Conflict, NewSession, PasswordChange, Session, StoreError, User};
use crate::server::tokens::{hash, new_token};

/// How a session starts: where to go afterwards, its active organization, and what the sign-in
/// proved.
#[derive(Clone, Debug, Default)]
pub struct StartSession<'a> {
    pub redirect_url: Option<&'a str>,
    pub organization: Option<String>,
    /// A second factor was proven.
    pub second_factor: bool,
    /// Forgot-password: the new password, set with the session in one transaction.
    pub password_change: Option<PasswordChange>,
    /// The sign-in attempt the session completes (consumed with it).
    pub completes_attempt: Option<String>,
}

/// Whether the calling client may start one more session: single-session mode, no session yet
/// (`session_exists`); multi-session mode, fewer than `sessions.max_per_client`
/// (`too_many_sessions`). Asked before a sign-in or sign-up begins; the store counts again when
/// the session is created.
pub fn room_for_another(state: &AppState, ctx: &ClientContext) -> FlowResult<()> {
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

/// Creates a session for `user` on the calling client (rotating the client's token against
/// fixation) and answers where to go: the current task's URL if pending, else the carried
/// `redirect_url` if safe, else the after-sign-in URL.
pub async fn start_session(
    state: &AppState,
    client_id: &str,
    req: &RequestInfo,
    user: &User,
    start: StartSession<'_>,
) -> FlowResult<(Session, Outcome)> {
    let now = state.now();
    // An invitation link carried through the sign-in is accepted with the session: its
    // organization becomes the active one and the link is not visited again.
    let mut redirect_url = start.redirect_url;
    let mut organization = start.organization;
    if let Some(token) = redirect_url.and_then(super::invitations::token_in_redirect) {
        if state.settings.organizations.enabled && organization.is_none() {
            match super::invitations::accept_for(state, user, &token).await {
                Ok(org) => {
                    organization = Some(org);
                    redirect_url = None;
                }
                Err(e) => tracing::info!(code = %e.code, "invitation not accepted at sign-in"),
            }
        }
    }
    let require_mfa = match &organization {
        Some(id) => state.store.organization_requires_mfa(id).await?,
        None => false,
    };
    // Only the session that enrolled a factor confirms its backup codes.
    let mut facts = task_facts(
        user,
        start.second_factor,
        false,
        organization.as_ref().map(|_| require_mfa),
    );
    if start.password_change.is_some() {
        // A password set with this session is no longer the compromised one, and is what a
        // requested reset asked for.
        facts.password_compromised = false;
        facts.requested.retain(|k| *k != TaskKey::ResetPassword);
    }
    let tasks = compute_tasks(&state.tasks, &facts);
    let token = new_token();
    let multi_session = state.settings.sessions.multi_session;
    let lifetime = state
        .settings
        .sessions
        .lifetime
        .secs()
        .unwrap_or(7 * 86_400);
    let session = state
        .store
        .create_session(
            NewSession {
                user_id: user.id.clone(),
                client_id: client_id.to_string(),
                tasks,
                active_organization_id: organization,
                user_agent: req.user_agent(),
                ip: req.ip.clone(),
                expire_at: now + lifetime,
                client_token_hash: hash(&token),
                // Single-session mode: whatever this client had is replaced.
                replace_client_sessions: !multi_session,
                second_factor: start.second_factor,
                password_change: start.password_change,
                completes_attempt: start.completes_attempt,
                max_client_sessions: multi_session
                    .then_some(state.settings.sessions.max_per_client),
            },
            now,
        )
        .await
        .map_err(|e| match e {
            StoreError::Conflict(Conflict::SessionCap) => FlowError::with_n(
                ErrorCode::TooManySessions,
                state.settings.sessions.max_per_client as u64,
            ),
            other => other.into(),
        })?;
    let urls = state.urls();
    let next = match session.tasks.first() {
        Some(task) => with_redirect_url(&urls.task_url(task), redirect_url),
        None => urls.completion_target(redirect_url),
    };
    Ok((
        session,
        Outcome {
            next,
            new_token: Some(token),
        },
    ))
}

/// Signs out the active session (or, with `all`, every session of the client). Another signed-in
/// account, if any, becomes active (README, "Several accounts on one browser").
pub async fn sign_out(
    state: &AppState,
    ctx: &ClientContext,
    session_id: Option<&str>,
    all: bool,
    redirect_url: Option<&str>,
) -> FlowResult<Outcome> {
    let now = state.now();
    let urls = state.urls();
    let Some(client) = &ctx.client else {
        return Ok(Outcome {
            next: urls.after_sign_out_url.clone(),
            new_token: None,
        });
    };
    if all {
        state.store.end_client_sessions(&client.id, now).await?;
        let next = redirect_url
            .and_then(safe_redirect)
            .unwrap_or(urls.after_sign_out_url.clone());
        return Ok(Outcome {
            next,
            new_token: None,
        });
    }
    let target = match session_id {
        Some(id) => ctx.sessions.iter().find(|s| s.session.id == id),
        None => ctx.active(),
    };
    let Some(target) = target else {
        return Err(ErrorCode::ResourceNotFound.into());
    };
    state
        .store
        .end_session(
            &target.session.id,
            crate::domain::session::SessionStatus::Ended,
            now,
        )
        .await?;
    let was_active = ctx
        .active()
        .is_some_and(|a| a.session.id == target.session.id);
    let remaining = ctx
        .sessions
        .iter()
        .find(|s| s.session.id != target.session.id);
    if was_active {
        state
            .store
            .set_last_active_session(&client.id, remaining.map(|s| s.session.id.as_str()))
            .await?;
    }
    let next = match (was_active, remaining) {
        (true, Some(_)) => urls.after_sign_in_url.clone(),
        _ => redirect_url
            .and_then(safe_redirect)
            .unwrap_or(urls.after_sign_out_url.clone()),
    };
    Ok(Outcome {
        next,
        new_token: None,
    })
}
