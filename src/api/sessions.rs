//! Server functions of sessions (README, "Session tasks for app developers"): sign-out and
//! `set_active`.

use super::AuthResult;
use crate::domain::errors::FlowError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::edge::{self, destination, flag};
#[cfg(feature = "ssr")]
use crate::server::http::Limit;

/// Signs out the active session, a given session of this client, or (`all`) every session of the
/// client. Only sessions of the calling client can be named.
#[server(prefix = "/api", endpoint = "sessions/sign_out", output = crate::api::JsonText)]
pub async fn sign_out(
    session_id: Option<String>,
    all: Option<String>,
    redirect_url: Option<String>,
) -> Result<AuthResult, FlowError> {
    edge::step(Limit::None, |state, ctx, _| async move {
        crate::server::flows::sessions::sign_out(
            &state,
            &ctx,
            session_id.as_deref().filter(|s| !s.is_empty()),
            flag(&all),
            redirect_url.as_deref(),
        )
        .await
    })
    .await
}

/// `set_active({ session, organization })`: `session_id` one of this client's signed-in
/// sessions; `organization` an id or slug of the caller's memberships, or `personal` for the
/// personal workspace (refused while personal accounts are off); neither leaves it. Pending
/// sessions may call it: it is how `choose-organization` is done.
#[server(prefix = "/api", endpoint = "sessions/set_active", output = crate::api::JsonText)]
pub async fn activate(
    session_id: Option<String>,
    organization: Option<String>,
    personal: Option<String>,
    redirect_url: Option<String>,
    complete_url: Option<String>,
) -> Result<AuthResult, FlowError> {
    edge::step(Limit::None, |state, ctx, req| async move {
        crate::server::flows::tasks::set_active(
            &state,
            &ctx,
            &req,
            session_id.as_deref().filter(|s| !s.is_empty()),
            if flag(&personal) {
                Some("")
            } else {
                organization.as_deref().filter(|o| !o.is_empty())
            },
            &destination(redirect_url, complete_url),
        )
        .await
    })
    .await
}

/// A session token for calling other services (README, "Session tokens for other services"), and
/// when it expires (unix seconds).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SessionToken {
    pub jwt: String,
    pub expires_at: i64,
    pub session_id: String,
}

/// `POST /api/sessions/token` (`audience` optional): a token for the caller's active session,
/// pending or not (its `sts` says which). Cookie-authenticated; another site's origin is refused
/// (`csrf_guard`), and the requesting origin becomes `azp`, the audience `aud`. Signed out → 401;
/// an audience that is malformed or not in `[tokens] audiences` → 422; more than a few a second
/// for one session → 429.
#[server(prefix = "/api", endpoint = "sessions/token", output = crate::api::JsonText)]
pub async fn get_session_token(audience: Option<String>) -> Result<SessionToken, FlowError> {
    async {
        let (state, req) = edge::request()?;
        let ctx = crate::server::client::load_client(&state, &req.headers).await?;
        let active = ctx.signed_in()?;
        crate::server::http::check_token_limit(&state, &active.session.id).await?;
        // A request without Origin or Referer (not a browser's fetch) is this site's own.
        let azp = crate::server::session_tokens::request_origin(&req.headers)
            .or_else(|| Some(state.public_url()));
        let aud = crate::server::session_tokens::audience(&state, audience.as_deref())?;
        let requested = crate::server::session_tokens::Requested { azp, aud };
        let minted = crate::server::session_tokens::mint(&state, active, requested).await?;
        Ok(SessionToken {
            jwt: minted.jwt,
            expires_at: minted.expires_at,
            session_id: active.session.id.clone(),
        })
    }
    .await
    .inspect_err(edge::set_status)
}
