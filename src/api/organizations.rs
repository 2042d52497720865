//! Server functions of the organization portal `/organization` and
//! `use_organization_list()`.

use super::AuthResult;
use crate::domain::errors::FlowError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::edge::{self, flag};
#[cfg(feature = "ssr")]
use crate::server::http::Limit;

/// What `/organization` shows for the active organization (members; invitations for admins).
/// Active sessions with an active organization only.
#[server(prefix = "/api", endpoint = "organizations/profile", output = crate::api::JsonText)]
pub async fn get_organization_profile(
) -> Result<crate::domain::snapshot::OrganizationProfileView, FlowError> {
    let (state, _) = edge::request()?;
    let ctx = edge::client(&state).await?;
    crate::server::views::organizations::profile(&state, &ctx)
        .await
        .inspect_err(edge::set_status)
}

/// Renames the active organization (`org:sys_profile:manage`).
#[server(prefix = "/api", endpoint = "organizations/rename", output = crate::api::JsonText)]
pub async fn organization_rename(
    name: String,
    slug: Option<String>,
    /// The form shows the "Require two-step verification" box (its absence then means off).
    mfa_setting: Option<String>,
    require_mfa: Option<String>,
) -> Result<AuthResult, FlowError> {
    edge::step(Limit::None, |state, ctx, _| async move {
        crate::server::flows::organizations::rename(
            &state,
            &ctx,
            &name,
            slug.as_deref().unwrap_or(""),
            flag(&mfa_setting).then(|| flag(&require_mfa)),
        )
        .await
    })
    .await
}

/// Changes a member's role (`org:sys_memberships:manage`); the last admin stays an admin.
#[server(prefix = "/api", endpoint = "organizations/members/role", output = crate::api::JsonText)]
pub async fn organization_member_role(
    user_id: String,
    role: String,
) -> Result<AuthResult, FlowError> {
    edge::step(Limit::None, |state, ctx, _| async move {
        crate::server::flows::organizations::set_role(&state, &ctx, &user_id, &role).await
    })
    .await
}

/// Removes a member (`org:sys_memberships:manage`); the last admin stays.
#[server(prefix = "/api", endpoint = "organizations/members/remove", output = crate::api::JsonText)]
pub async fn organization_member_remove(user_id: String) -> Result<AuthResult, FlowError> {
    edge::step(Limit::None, |state, ctx, req| async move {
        crate::server::flows::organizations::remove_member(&state, &ctx, &req, &user_id).await
    })
    .await
}

/// "Leave organization" (anyone but the last admin).
/// `organization_id`, when given, must be the active organization (as for deleting).
#[server(prefix = "/api", endpoint = "organizations/leave", output = crate::api::JsonText)]
pub async fn organization_leave(organization_id: Option<String>) -> Result<AuthResult, FlowError> {
    edge::step(Limit::None, |state, ctx, req| async move {
        crate::server::flows::organizations::leave(&state, &ctx, &req, organization_id.as_deref())
            .await
    })
    .await
}

/// "Delete organization" (admins, after a recent verification).
/// `organization_id`, when given, must be the active organization: a form shown for one
/// organization never deletes another that became active meanwhile.
#[server(prefix = "/api", endpoint = "organizations/delete", output = crate::api::JsonText)]
pub async fn organization_delete(organization_id: Option<String>) -> Result<AuthResult, FlowError> {
    edge::step(Limit::None, |state, ctx, req| async move {
        crate::server::flows::organizations::delete(&state, &ctx, &req, organization_id.as_deref())
            .await
    })
    .await
}

/// Invites an email address with a role (`org:sys_invitations:manage`).
#[server(prefix = "/api", endpoint = "organizations/invitations/create", output = crate::api::JsonText)]
pub async fn organization_invite(email: String, role: String) -> Result<AuthResult, FlowError> {
    edge::step(Limit::None, |state, ctx, req| async move {
        crate::server::flows::organizations::invite(&state, &ctx, &req, &email, &role).await
    })
    .await
}

/// Revokes a pending invitation (`org:sys_invitations:manage`).
#[server(prefix = "/api", endpoint = "organizations/invitations/revoke", output = crate::api::JsonText)]
pub async fn organization_revoke_invitation(
    invitation_id: String,
) -> Result<AuthResult, FlowError> {
    edge::step(Limit::None, |state, ctx, _| async move {
        crate::server::flows::organizations::revoke(&state, &ctx, &invitation_id).await
    })
    .await
}

/// One page (from 0, 10 per page) of the caller's memberships and pending invitations.
#[server(prefix = "/api", endpoint = "organizations/list", output = crate::api::JsonText)]
pub async fn organization_list(
    page: u32,
) -> Result<crate::domain::snapshot::OrganizationListPage, FlowError> {
    let (state, _) = edge::request()?;
    let ctx = edge::client(&state).await?;
    crate::server::views::organizations::list(&state, &ctx, page)
        .await
        .inspect_err(edge::set_status)
}
