//! The organization portal `/organization`, `use_organization_list()` and the invitation page:
//! what each shows. The role is read from the membership on every request, so a change is seen at
//! once on every instance.

use crate::domain::errors::FlowError;
use crate::domain::organization::{MANAGE_INVITATIONS, READ_MEMBERS};
use crate::domain::snapshot::{
    role_permissions, InvitationPageView, InvitationStatus, InvitationView, MemberView,
    OrganizationListPage, OrganizationProfileView, OrganizationView,
};
use crate::server::client::{organizations_enabled, ClientContext};
use crate::server::state::AppState;
use crate::server::store::{find_invitation, Invitation};

pub(crate) fn invitation_view(i: &Invitation) -> InvitationView {
    InvitationView {
        id: i.id.clone(),
        organization_id: i.organization.id.clone(),
        organization_name: i.organization.name.clone(),
        email: i.email.clone(),
        role: i.role.clone(),
    }
}

/// What `/organization` shows: the organization, its members, and (for admins) the pending
/// invitations.
pub async fn profile(
    state: &AppState,
    ctx: &ClientContext,
) -> Result<OrganizationProfileView, FlowError> {
    organizations_enabled(state)?;
    let (s, org) = ctx.with_permission(READ_MEMBERS)?;
    let permissions: Vec<String> = role_permissions(&org.role)
        .iter()
        .map(|p| p.to_string())
        .collect();
    let members = state
        .store
        .organization_members(&org.organization_id)
        .await?
        .into_iter()
        .map(|m| MemberView {
            is_self: m.user_id == s.user.id,
            user_id: m.user_id,
            email: m.email,
            role: m.role,
        })
        .collect();
    let invitations = if permissions.iter().any(|p| p == MANAGE_INVITATIONS) {
        state
            .store
            .pending_invitations(&org.organization_id, state.now())
            .await?
            .iter()
            .map(invitation_view)
            .collect()
    } else {
        Vec::new()
    };
    Ok(OrganizationProfileView {
        organization: OrganizationView {
            id: org.organization_id.clone(),
            name: org.name.clone(),
            slug: org.slug.clone(),
            role: org.role.clone(),
            require_mfa: org.require_mfa,
        },
        permissions,
        members,
        invitations,
    })
}

/// Pending invitations addressed to `email`.
pub async fn invitations_for(
    state: &AppState,
    email: &str,
) -> Result<Vec<InvitationView>, FlowError> {
    Ok(state
        .store
        .invitations_for_email(email, state.now())
        .await?
        .iter()
        .map(invitation_view)
        .collect())
}

/// Page `page` (from 0) of the caller's memberships and invitations (`use_organization_list()`).
pub async fn list(
    state: &AppState,
    ctx: &ClientContext,
    page: u32,
) -> Result<OrganizationListPage, FlowError> {
    organizations_enabled(state)?;
    let s = ctx.require_active()?;
    let memberships = super::memberships(state, &s.user.id).await?;
    let invitations = invitations_for(state, &s.user.email).await?;
    Ok(OrganizationListPage::of(page, &memberships, &invitations))
}

/// What the invitation page shows for `token` to this browser.
pub async fn page(
    state: &AppState,
    ctx: &ClientContext,
    token: &str,
) -> Result<InvitationPageView, FlowError> {
    organizations_enabled(state)?;
    let (invitation, status) = find_invitation(state.store.as_ref(), token, state.now()).await?;
    let signed_in_as = ctx.active().map(|s| s.user.email.clone());
    let mut view = InvitationPageView {
        status,
        organization_name: invitation.as_ref().map(|i| i.organization.name.clone()),
        email: None,
        signed_in_as,
        account_exists: false,
        invitee_session_id: None,
    };
    if let (Some(i), InvitationStatus::Pending) = (&invitation, status) {
        view.email = Some(i.email.clone());
        view.account_exists = state.store.user_by_email(&i.email).await?.is_some();
        view.invitee_session_id = ctx
            .sessions
            .iter()
            .find(|s| s.user.email == i.email)
            .map(|s| s.session.id.clone());
    }
    Ok(view)
}
