//! Who is calling: the client behind the `__client` cookie, its sessions (expired ones ended, tasks
//! recomputed from current facts so the next request sees a change), and the `Auth` object of
//! SPEC §8 for server functions and axum handlers.

use super::cookies::client_token;
use super::flows::tasks::{memberships, mfa_setup};
use super::state::AppState;
use super::store::{Client, SessionDetail, SignInAttempt, StoreError};
use super::tokens::hash;
use crate::domain::errors::{ErrorCode, FlowError};
use crate::domain::session::{compute_tasks, live_status, SessionStatus, TaskFacts};
use crate::domain::snapshot::{
    AuthView, ClientSnapshot, OrganizationView, SessionView, SignInView, SignUpView, UserView,
};
use axum::extract::FromRequestParts;
use http::request::Parts;
use http::HeaderMap;

/// The calling client and its signed-in sessions.
#[derive(Clone, Debug, Default)]
pub struct ClientContext {
    pub client: Option<Client>,
    /// Live sessions, most recently active first.
    pub sessions: Vec<SessionDetail>,
}

impl ClientContext {
    pub fn active(&self) -> Option<&SessionDetail> {
        let id = self.client.as_ref()?.last_active_session_id.as_deref()?;
        self.sessions.iter().find(|s| s.session.id == id)
    }
}

pub fn internal(e: impl std::fmt::Display) -> FlowError {
    tracing::error!(error = %e, "internal error");
    FlowError::new(ErrorCode::Internal)
}

impl From<StoreError> for FlowError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => FlowError::new(ErrorCode::ResourceNotFound),
            // The sign-in attempt a session was to complete was completed by another request.
            StoreError::Conflict("attempt") => FlowError::new(ErrorCode::SignInStepInvalid),
            other => internal(other),
        }
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
    let Some(client) = state.store.client_by_token_hash(&hash(token)).await? else {
        return Ok(ClientContext::default());
    };
    let now = state.now();
    let inactivity = state.settings.sessions.inactivity_timeout.secs();
    let task_settings = state.settings.task_settings();
    let mut sessions = Vec::new();
    for mut detail in state.store.client_sessions(&client.id).await? {
        let idle = inactivity.is_some_and(|t| detail.session.last_active_at + t <= now);
        if detail.session.expire_at <= now || idle {
            state
                .store
                .end_session(&detail.session.id, SessionStatus::Expired, now)
                .await?;
            continue;
        }
        // An operator lock signs the user out at the next request (the lock also revoked the
        // sessions it saw; this catches any that raced it).
        if detail.user.locked {
            state
                .store
                .end_session(&detail.session.id, SessionStatus::Revoked, now)
                .await?;
            continue;
        }
        let facts = TaskFacts {
            password_compromised: detail.user.password_compromised,
            // A factor counts for the session that proved it (or enrolled it), not for every
            // session of the user.
            has_second_factor: detail.user.has_second_factor()
                && detail.session.second_factor_at.is_some(),
            backup_codes_pending: detail.user.backup_codes_pending_for(&detail.session.id),
            has_active_organization: detail.organization.is_some(),
        };
        let tasks = compute_tasks(task_settings, facts);
        if tasks != detail.session.tasks {
            state
                .store
                .set_session_tasks(&detail.session.id, &tasks)
                .await?;
            detail.session.status = live_status(&tasks);
            detail.session.tasks = tasks;
        }
        sessions.push(detail);
    }
    let ctx = ClientContext {
        client: Some(client),
        sessions,
    };
    // Activity of the active session, at most once a minute (the idle timeout reads it).
    if let Some(active) = ctx.active() {
        if now - active.session.last_active_at >= 60 {
            state.store.touch_session(&active.session.id, now).await?;
        }
    }
    Ok(ctx)
}

fn session_view(d: &SessionDetail) -> SessionView {
    SessionView {
        id: d.session.id.clone(),
        status: d.session.status,
        tasks: d.session.tasks.clone(),
        user: UserView {
            id: d.user.id.clone(),
            email: d.user.email.clone(),
        },
        organization: d.organization.as_ref().map(|o| OrganizationView {
            id: o.organization_id.clone(),
            name: o.name.clone(),
            slug: o.slug.clone(),
            role: o.role.clone(),
        }),
        memberships: Vec::new(),
        invitations: Vec::new(),
    }
}

/// The snapshot the `AuthProvider` renders: sessions, attempts in progress, public settings.
pub async fn snapshot(state: &AppState, ctx: &ClientContext) -> Result<ClientSnapshot, FlowError> {
    let now = state.now();
    let mut snap = ClientSnapshot {
        sessions: ctx.sessions.iter().map(session_view).collect(),
        last_active_session_id: ctx.active().map(|d| d.session.id.clone()),
        env: state.settings.public(),
        ..Default::default()
    };
    if state.settings.organizations.enabled {
        for view in &mut snap.sessions {
            view.memberships = memberships(state, &view.user.id).await?;
            if Some(&view.id) == snap.last_active_session_id.as_ref() {
                view.invitations =
                    crate::server::flows::organizations::invitations_for(state, &view.user.email)
                        .await?;
            }
        }
    }
    if let Some(active) = ctx.active() {
        if active.session.tasks.first() == Some(&crate::domain::session::TaskKey::SetupMfa) {
            snap.mfa_setup = Some(mfa_setup(state, active).await?);
        }
    }
    if let Some(client) = &ctx.client {
        if let Some(a) = state.store.sign_in_for_client(&client.id).await? {
            if a.expires_at > now {
                snap.sign_in = Some(sign_in_view(state, a).await?);
            }
        }
        if let Some(a) = state.store.sign_up_for_client(&client.id).await? {
            if a.expires_at > now {
                let p = a.state.progress(state.settings.sign_up.legal_consent);
                snap.sign_up = Some(SignUpView {
                    status: p.status,
                    email: Some(a.state.email),
                    missing_fields: p.missing_fields,
                    unverified_fields: p.unverified_fields,
                    redirect_url: a.redirect_url,
                });
            }
        }
    }
    Ok(snap)
}

/// What the sign-in pages show of an attempt: its status, address and strategy and, at the second
/// factor, the user's methods and the last digits of the SMS phone.
async fn sign_in_view(state: &AppState, a: SignInAttempt) -> Result<SignInView, FlowError> {
    let mut view = SignInView {
        status: a.state.status(),
        identifier: a.state.identifier().map(str::to_string),
        strategy: a.state.strategy(),
        password_compromised: a.state.password_compromised(),
        redirect_url: a.redirect_url.clone(),
        second_factors: Vec::new(),
        phone_hint: None,
    };
    if a.state.status() == crate::domain::sign_in::SignInStatus::NeedsSecondFactor {
        if let Some(user) = match a.state.user_id() {
            Some(id) => state.store.user_by_id(id).await?,
            None => None,
        } {
            let left = state.store.backup_codes_left(&user.id).await?;
            view.second_factors = crate::server::flows::sign_in::second_factors(&user, left);
            view.phone_hint = user.sms_phone().map(|p| {
                p.chars()
                    .skip(p.chars().count().saturating_sub(2))
                    .collect()
            });
        }
    }
    Ok(view)
}

/// The `Auth` object of SPEC §8, as an axum extractor and through [`auth`] in server functions.
#[derive(Clone, Debug)]
pub struct Auth {
    /// Everything about the active session, pending or not.
    full: AuthView,
    /// The same with a pending session treated as signed out (the default).
    default: AuthView,
}

impl Auth {
    pub fn from_context(ctx: &ClientContext) -> Self {
        let active = ctx.active().map(session_view);
        Self {
            full: AuthView::of(active.as_ref(), false),
            default: AuthView::of(active.as_ref(), true),
        }
    }

    /// The view with the default `treat_pending_as_signed_out = true`.
    pub fn view(&self) -> &AuthView {
        &self.default
    }

    /// The view for one call site: `treat_pending_as_signed_out = false` exposes a pending
    /// session's user, organization and so on.
    pub fn with(&self, treat_pending_as_signed_out: bool) -> &AuthView {
        if treat_pending_as_signed_out {
            &self.default
        } else {
            &self.full
        }
    }

    /// `auth.has(&Has::role(..) | &Has::permission(..))` with the default view.
    pub fn has(&self, check: &crate::domain::snapshot::Has) -> bool {
        self.default.has(check)
    }

    /// The signed-in user's id, or `unauthenticated` (HTTP 401) for server functions and APIs.
    pub fn require(&self, treat_pending_as_signed_out: bool) -> Result<&AuthView, FlowError> {
        let view = self.with(treat_pending_as_signed_out);
        if view.is_signed_in {
            Ok(view)
        } else {
            Err(ErrorCode::Unauthenticated.into())
        }
    }
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = (http::StatusCode, String);

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ctx = load_client(state, &parts.headers)
            .await
            .map_err(|e| (http::StatusCode::INTERNAL_SERVER_ERROR, e.sentence()))?;
        Ok(Auth::from_context(&ctx))
    }
}
