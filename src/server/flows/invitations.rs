//! Invitations: sending one (the portal and the Backend API), its hourly allowance, revoking,
//! and checking and accepting an invitation for a user. Below sessions and organizations: a
//! sign-in that carries an invitation link accepts it here, and the organization pages use it.

use super::codes::Cause;
use super::{bounded, parse_email, FlowResult, Outcome, RequestInfo};
use crate::domain::errors::{ErrorCode, FlowError};
use crate::domain::organization::{is_known_role, MANAGE_INVITATIONS};
use crate::domain::redirect::query_param;
use crate::domain::snapshot::InvitationStatus;
use crate::server::client::{organizations_enabled, ClientContext};
use crate::server::error::internal;
use crate::server::state::AppState;
use crate::server::store::{
    find_invitation, Conflict, Invitation, NewInvitation, StoreError, User,
};
use crate::server::tokens::{hash, new_token};

/// How long an invitation link stays valid.
pub const INVITATION_TTL_SECS: i64 = 7 * 86_400;
pub use crate::domain::guard::INVITATION_PATH;

pub(super) fn org_error(e: StoreError) -> FlowError {
    match e {
        StoreError::Conflict(Conflict::LastAdmin) => ErrorCode::LastAdminRequired.into(),
        StoreError::Conflict(Conflict::Slug) => ErrorCode::OrganizationSlugTaken.into(),
        StoreError::Conflict(Conflict::Membership) => ErrorCode::AlreadyMember.into(),
        StoreError::Conflict(Conflict::Invitation) => ErrorCode::InvitationAlreadyPending.into(),
        other => other.into(),
    }
}

pub(super) fn role_param(role: &str) -> FlowResult<&str> {
    let role = bounded(role.trim(), 64, "Role")?;
    if is_known_role(role) {
        Ok(role)
    } else {
        Err(FlowError::with_detail(
            ErrorCode::FormParamFormatInvalid,
            "Role",
        ))
    }
}

/// The link an invitation email carries.
pub fn invitation_url(state: &AppState, token: &str) -> String {
    format!("{}{INVITATION_PATH}?token={token}", state.public_url())
}

/// Creates an invitation and emails its link; answers the invitation and the link. Shared by the
/// portal and the Backend API.
pub async fn send_invitation(
    state: &AppState,
    organization_id: &str,
    email: &str,
    role: &str,
    invited_by: Option<&str>,
) -> FlowResult<(Invitation, String)> {
    let email = parse_email(bounded(email, 320, "Email address")?)?;
    let role = role_param(role)?;
    let token = new_token();
    let now = state.now();
    let invitation = state
        .store
        .create_invitation(
            NewInvitation {
                organization_id: organization_id.to_string(),
                email: email.to_string(),
                role: role.to_string(),
                token_hash: hash(&token),
                invited_by: invited_by.map(str::to_string),
                expires_at: now + INVITATION_TTL_SECS,
            },
            now,
        )
        .await
        .map_err(org_error)?;
    let url = invitation_url(state, &token);
    let message = crate::server::messages::invitation(
        &state.settings.instance.name,
        &invitation.organization.name,
        &url,
    );
    state
        .delivery
        .email(email.as_str(), message, now)
        .await
        .map_err(internal)?;
    Ok((invitation, url))
}

/// "Send invitation" in the portal. Each email goes through the send throttle (per-IP budget,
/// 30 s per address), so a member cannot flood an inbox with invitations.
pub async fn invite(
    state: &AppState,
    ctx: &ClientContext,
    req: &RequestInfo,
    email: &str,
    role: &str,
) -> FlowResult<Outcome> {
    organizations_enabled(state)?;
    let (s, org) = ctx.with_permission(MANAGE_INVITATIONS)?;
    // Counted per address as it is stored: every spelling of one address is one address.
    let address = parse_email(bounded(email, 320, "Email address")?)?;
    super::codes::throttle_message(state, req, "invitation", address.as_str(), Cause::Requested)
        .await?;
    invitation_allowance(state, &s.user.id).await?;
    send_invitation(state, &org.organization_id, email, role, Some(&s.user.id)).await?;
    Ok(Outcome::stay())
}

/// Invitations one member may send in an hour, whatever the organization and the addresses: an
/// invitation is an email naming the organization, and an account is no mailing list.
pub const INVITATIONS_PER_HOUR: u32 = 50;

/// Counts one invitation against the member's hourly allowance (shared by every instance), or
/// `too_many_requests` until the next hour.
async fn invitation_allowance(state: &AppState, user_id: &str) -> FlowResult<()> {
    let now = state.now();
    let hour = now - now.rem_euclid(3_600);
    if state
        .store
        .hit(&format!("invitations:{user_id}"), hour)
        .await?
        > INVITATIONS_PER_HOUR
    {
        return Err(FlowError::with_n(
            ErrorCode::TooManyRequests,
            (hour + 3_600 - now).max(1) as u64,
        ));
    }
    Ok(())
}

/// "Revoke" a pending invitation of the active organization.
pub async fn revoke(
    state: &AppState,
    ctx: &ClientContext,
    invitation_id: &str,
) -> FlowResult<Outcome> {
    organizations_enabled(state)?;
    let (_, org) = ctx.with_permission(MANAGE_INVITATIONS)?;
    let invitation_id = bounded(invitation_id, 128, "Invitation")?;
    state
        .store
        .revoke_invitation(&org.organization_id, invitation_id, state.now())
        .await?;
    Ok(Outcome::stay())
}

/// A usable invitation for `user`: pending, unexpired, addressed to the user's email.
pub(super) async fn usable_for(
    state: &AppState,
    token: &str,
    email: &str,
) -> FlowResult<Invitation> {
    match find_invitation(state.store.as_ref(), token, state.now()).await? {
        (Some(i), InvitationStatus::Pending) if i.email == email => Ok(i),
        (Some(_), InvitationStatus::Pending) => Err(ErrorCode::InvitationEmailMismatch.into()),
        _ => Err(ErrorCode::InvitationInvalid.into()),
    }
}

/// Checks, before an account is created for it, that `token` is a usable invitation for `email`;
/// answers the invitation's id.
pub async fn check_invitation(state: &AppState, token: &str, email: &str) -> FlowResult<String> {
    organizations_enabled(state)?;
    usable_for(state, token, email).await.map(|i| i.id)
}

/// Accepts the invitation behind `token` for `user` and answers the organization joined.
pub async fn accept_for(state: &AppState, user: &User, token: &str) -> FlowResult<String> {
    let invitation = usable_for(state, token, &user.email).await?;
    accept_checked(state, &invitation, &user.id).await
}

/// Accepts an invitation already checked for the user; answers the organization joined. One
/// used, revoked or expired meanwhile is `invitation_invalid`.
pub(super) async fn accept_checked(
    state: &AppState,
    invitation: &Invitation,
    user_id: &str,
) -> FlowResult<String> {
    let membership = state
        .store
        .accept_invitation(&invitation.id, user_id, state.now())
        .await
        .map_err(|e| match e {
            StoreError::Conflict(Conflict::Invitation) => ErrorCode::InvitationInvalid.into(),
            other => FlowError::from(other),
        })?;
    Ok(membership.organization.id)
}

/// The invitation token a carried `redirect_url` holds, when it is an invitation link.
pub fn token_in_redirect(redirect_url: &str) -> Option<String> {
    let (path, query) = redirect_url.split_once('?')?;
    (path == INVITATION_PATH)
        .then(|| query_param(query, "token"))
        .flatten()
}
