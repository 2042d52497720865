//! Server functions of invitation links (README, "Organizations, the switcher and invitations").

use super::AuthResult;
use crate::domain::errors::FlowError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::edge::{self, destination};
#[cfg(feature = "ssr")]
use crate::server::http::Limit;

/// What the invitation page shows for a link's token. Anyone may call (the token is the secret).
#[server(prefix = "/api", endpoint = "invitations/lookup", output = crate::api::JsonText)]
pub async fn get_invitation(
    token: String,
) -> Result<crate::domain::snapshot::InvitationPageView, FlowError> {
    let (state, _) = edge::request()?;
    let ctx = edge::client(&state).await?;
    crate::server::views::organizations::page(&state, &ctx, &token)
        .await
        .inspect_err(edge::set_status)
}

/// "Accept invitation": the signed-in invitee joins the organization.
#[server(prefix = "/api", endpoint = "invitations/accept", output = crate::api::JsonText)]
pub async fn accept_invitation(token: String) -> Result<AuthResult, FlowError> {
    edge::step(Limit::None, |state, ctx, req| async move {
        crate::server::flows::organizations::accept(&state, &ctx, &req, &token).await
    })
    .await
}

/// "Join <organization>": accepts one of the caller's pending invitations (by id) and makes the
/// organization active.
#[server(prefix = "/api", endpoint = "invitations/join", output = crate::api::JsonText)]
pub async fn join_invitation(
    invitation_id: String,
    redirect_url: Option<String>,
    complete_url: Option<String>,
) -> Result<AuthResult, FlowError> {
    edge::step(Limit::None, |state, ctx, req| async move {
        crate::server::flows::organizations::join_by_id(
            &state,
            &ctx,
            &req,
            &invitation_id,
            &destination(redirect_url, complete_url),
        )
        .await
    })
    .await
}
