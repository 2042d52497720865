//! The `Auth` object for server functions and axum handlers
//! (README, "Session tasks for app developers"): the caller's active session as checks see it, a
//! pending session signed out by default.

use super::client::{load_client, ClientContext};
use super::state::AppState;
use super::views::session_view;
use crate::domain::errors::{ErrorCode, FlowError};
use crate::domain::reverification::{Reverification, Verified};
use crate::domain::snapshot::{AuthView, Has};
use axum::extract::FromRequestParts;
use http::request::Parts;

/// The `Auth` object, as an axum extractor and through [`auth`] in server functions.
#[derive(Clone, Debug)]
pub struct Auth {
    /// Everything about the active session, pending or not.
    full: AuthView,
    /// The same with a pending session treated as signed out (the default).
    default: AuthView,
    /// When the active session last verified its factors, and the time of the request.
    verified: Option<(Verified, i64)>,
}

impl Auth {
    pub fn from_context(ctx: &ClientContext) -> Self {
        let active = ctx.active().map(session_view);
        Self {
            full: AuthView::of(active.as_ref(), false),
            default: AuthView::of(active.as_ref(), true),
            verified: None,
        }
    }

    /// The same, able to judge `Has::Reverification` at `now`.
    pub fn at(ctx: &ClientContext, now: i64) -> Self {
        Self {
            verified: ctx.active().map(|s| (s.verified(), now)),
            ..Self::from_context(ctx)
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

    /// `auth.has(&Has::role(..) | &Has::permission(..) | &Has::reverification(..))` with the
    /// default view (a pending session has nothing).
    pub fn has(&self, check: &Has) -> bool {
        match check {
            Has::Reverification(level) => {
                self.default.is_signed_in
                    && self
                        .verified
                        .as_ref()
                        .is_some_and(|(v, now)| level.is_met(*now, v))
            }
            other => self.default.has(other),
        }
    }

    /// For a server function that needs a recent verification: `Ok` when the session has it,
    /// else `unauthenticated` (signed out) or `reverification_required` (403) naming the level.
    pub fn require_reverification(&self, level: Reverification) -> Result<(), FlowError> {
        if !self.default.is_signed_in {
            return Err(ErrorCode::Unauthenticated.into());
        }
        if self.has(&Has::Reverification(level)) {
            return Ok(());
        }
        Err(FlowError::with_detail(
            ErrorCode::ReverificationRequired,
            level.to_param(),
        ))
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
        Ok(Auth::at(&ctx, state.now()))
    }
}
