//! The organization portal (`/organization`), `use_organization_list()`, and invitations (SPEC §3,
//! §12). Every function re-reads the caller's session and checks the permission its role grants
//! in the active organization; the role is read from the membership on every request, so a change
//! is seen at once on every instance.

use super::codes::Cause;
use super::tasks::{next, Destination};
use super::{bounded, parse_email, FlowResult, Outcome, RequestInfo};

use crate::domain::errors::{ErrorCode, FlowError};
use crate::domain::organization::{
    is_known_role, parse_name_and_slug, MANAGE_INVITATIONS, MANAGE_MEMBERS, MANAGE_PROFILE,
};
use crate::domain::redirect::query_param;
use crate::domain::reverification::Reverification;
use crate::domain::snapshot::InvitationStatus;
use crate::server::client::{internal, organizations_enabled, ClientContext};
use crate::server::state::AppState;
use crate::server::store::{
    find_invitation, Conflict, Invitation, NewInvitation, SessionDetail, StoreError, User,
};
use crate::server::tokens::{hash, new_token};

/// How long an invitation link stays valid.
pub const INVITATION_TTL_SECS: i64 = 7 * 86_400;
pub use crate::domain::guard::INVITATION_PATH;

fn org_error(e: StoreError) -> FlowError {
    match e {
        StoreError::Conflict(Conflict::LastAdmin) => ErrorCode::LastAdminRequired.into(),
        StoreError::Conflict(Conflict::Slug) => ErrorCode::OrganizationSlugTaken.into(),
        StoreError::Conflict(Conflict::Membership) => ErrorCode::AlreadyMember.into(),
        StoreError::Conflict(Conflict::Invitation) => ErrorCode::InvitationAlreadyPending.into(),
        other => other.into(),
    }
}

fn role_param(role: &str) -> FlowResult<&str> {
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

/// A form names the organization it was shown for; another one active by now is refused.
fn expect_active(
    org: &crate::server::store::OrganizationMembership,
    organization_id: Option<&str>,
) -> FlowResult<()> {
    match organization_id.filter(|id| !id.is_empty()) {
        Some(id) if id != org.organization_id => Err(FlowError::with_detail(
            ErrorCode::Forbidden,
            "not the active organization",
        )),
        _ => Ok(()),
    }
}

/// Renames the active organization (and changes its slug when one is given).
pub async fn rename(
    state: &AppState,
    ctx: &ClientContext,
    name: &str,
    slug: &str,
    require_mfa: Option<bool>,
) -> FlowResult<Outcome> {
    organizations_enabled(state)?;
    let (s, org) = ctx.with_permission(MANAGE_PROFILE)?;
    // Requiring a second factor makes every member without one enrol at their next request (a
    // stolen session must not summon that enrolment for itself); dropping the requirement
    // weakens every member's account. Either change needs the admin verified just now.
    if require_mfa.is_some_and(|on| on != org.require_mfa) {
        super::reverify::require(state, s, Reverification::STRICT)?;
    }
    // An empty slug keeps the current one.
    let slug = match slug.trim() {
        "" => org.slug.as_str(),
        given => given,
    };
    let (name, slug) = parse_name_and_slug(name, Some(slug))?;
    if require_mfa == Some(true) && state.settings.mfa.methods.is_empty() {
        return Err(FlowError::with_detail(
            ErrorCode::FormParamFormatInvalid,
            "require_mfa",
        ));
    }
    state
        .store
        .rename_organization(&org.organization_id, &name, slug.as_str())
        .await
        .map_err(org_error)?;
    // Members without a second factor owe `setup-mfa` at their next request in it (SPEC §4.4).
    if let Some(on) = require_mfa.filter(|on| *on != org.require_mfa) {
        super::required::set_organization_require_mfa(state, &org.organization_id, on).await?;
    }
    Ok(Outcome::stay())
}

/// Changes a member's role. The last admin cannot be demoted.
pub async fn set_role(
    state: &AppState,
    ctx: &ClientContext,
    user_id: &str,
    role: &str,
) -> FlowResult<Outcome> {
    organizations_enabled(state)?;
    let (_, org) = ctx.with_permission(MANAGE_MEMBERS)?;
    let user_id = bounded(user_id, 128, "Member")?;
    let role = role_param(role)?;
    state
        .store
        .set_member_role(&org.organization_id, user_id, role)
        .await
        .map_err(org_error)?;
    Ok(Outcome::stay())
}

/// Removes a member. The last admin cannot be removed; the member's sessions lose the
/// organization at once (a session that needs one turns pending again). An admin removing
/// themselves leaves the organization, which takes a strict reverification as "Leave
/// organization" does (README, "Reverification").
pub async fn remove_member(
    state: &AppState,
    ctx: &ClientContext,
    req: &RequestInfo,
    user_id: &str,
) -> FlowResult<Outcome> {
    organizations_enabled(state)?;
    let (s, org) = ctx.with_permission(MANAGE_MEMBERS)?;
    let user_id = bounded(user_id, 128, "Member")?;
    if user_id == s.user.id {
        super::reverify::require(state, s, Reverification::STRICT)?;
    }
    state
        .store
        .remove_member(&org.organization_id, user_id)
        .await
        .map_err(org_error)?;
    if user_id == s.user.id {
        return next(state, req, &Destination::default()).await;
    }
    Ok(Outcome::stay())
}

/// "Leave organization": any member but the last admin, after a strict reverification (SPEC §16).
pub async fn leave(
    state: &AppState,
    ctx: &ClientContext,
    req: &RequestInfo,
    organization_id: Option<&str>,
) -> FlowResult<Outcome> {
    organizations_enabled(state)?;
    let (s, org) = ctx.in_organization()?;
    expect_active(org, organization_id)?;
    super::reverify::require(state, s, Reverification::STRICT)?;
    state
        .store
        .remove_member(&org.organization_id, &s.user.id)
        .await
        .map_err(org_error)?;
    next(state, req, &Destination::default()).await
}

/// "Delete organization" (admins: `org:sys_profile:manage`), after a strict reverification
/// (SPEC §16): its memberships and invitations go with it, and every session that had it active
/// is back in its personal account (or owes `choose-organization`).
pub async fn delete(
    state: &AppState,
    ctx: &ClientContext,
    req: &RequestInfo,
    organization_id: Option<&str>,
) -> FlowResult<Outcome> {
    organizations_enabled(state)?;
    let (s, org) = ctx.with_permission(MANAGE_PROFILE)?;
    expect_active(org, organization_id)?;
    super::reverify::require(state, s, Reverification::STRICT)?;
    state
        .store
        .delete_organization(&org.organization_id)
        .await
        .map_err(org_error)?;
    next(state, req, &Destination::default()).await
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
    super::codes::throttle_message(state, req, "invitation", email.trim(), Cause::Requested)
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
async fn usable_for(state: &AppState, token: &str, email: &str) -> FlowResult<Invitation> {
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
async fn accept_checked(
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

/// Makes `org_id` the session's active organization and answers the next page (a remaining
/// task, else the carried destination, else the after-sign-in URL).
async fn activate(
    state: &AppState,
    s: &SessionDetail,
    req: &RequestInfo,
    org_id: &str,
    dest: &Destination,
) -> FlowResult<Outcome> {
    state
        .store
        .set_session_organization(&s.session.id, Some(org_id))
        .await?;
    next(state, req, dest).await
}

/// The invitation token a carried `redirect_url` holds, when it is an invitation link.
pub fn token_in_redirect(redirect_url: &str) -> Option<String> {
    let (path, query) = redirect_url.split_once('?')?;
    (path == INVITATION_PATH)
        .then(|| query_param(query, "token"))
        .flatten()
}

/// Where a full page load of the invitation link goes before anything renders: the signed-in
/// invitee joins and lands on the after-sign-in URL (or the next task); a signed-out invitee goes
/// to sign-in (existing account) or sign-up (new address), with the link carried. `None` renders
/// the page (a used, revoked or expired link, or another account signed in).
pub async fn landing(
    state: &AppState,
    ctx: &ClientContext,
    req: &RequestInfo,
    token: &str,
) -> FlowResult<Option<String>> {
    if !state.settings.organizations.enabled {
        return Ok(None);
    }
    let (Some(invitation), InvitationStatus::Pending) =
        find_invitation(state.store.as_ref(), token, state.now()).await?
    else {
        return Ok(None);
    };
    let here = format!("{INVITATION_PATH}?token={}", token.trim());
    match ctx.active() {
        Some(s) if s.user.email == invitation.email => {
            super::tasks::may_choose_organization(s)?;
            let org_id = accept_checked(state, &invitation, &s.user.id).await?;
            let out = activate(state, s, req, &org_id, &Destination::default()).await?;
            Ok(Some(out.next))
        }
        Some(_) => Ok(None),
        None => {
            let existing = state.store.user_by_email(&invitation.email).await?;
            let to = if existing.is_some() {
                crate::domain::redirect::with_redirect_url(&state.urls().sign_in_url, Some(&here))
            } else {
                format!(
                    "{}?invitation={}&email={}",
                    state.urls().sign_up_url,
                    crate::domain::redirect::encode_component(token.trim()),
                    crate::domain::redirect::encode_component(&invitation.email)
                )
            };
            Ok(Some(to))
        }
    }
}

/// "Join <organization>" for one of the invitations the signed-in user sees (the switcher, the
/// organization chooser): the invitation must be addressed to the user's email. Pending sessions
/// may join (it completes `choose-organization`).
pub async fn join_by_id(
    state: &AppState,
    ctx: &ClientContext,
    req: &RequestInfo,
    invitation_id: &str,
    dest: &Destination,
) -> FlowResult<Outcome> {
    organizations_enabled(state)?;
    let s = ctx
        .active()
        .ok_or(FlowError::new(ErrorCode::Unauthenticated))?;
    let invitation_id = bounded(invitation_id, 128, "Invitation")?;
    let invitation = state
        .store
        .invitation_by_id(invitation_id)
        .await?
        .filter(|i| i.email == s.user.email)
        .ok_or(FlowError::new(ErrorCode::ResourceNotFound))?;
    super::tasks::may_choose_organization(s)?;
    if invitation.status_at(state.now()) != InvitationStatus::Pending {
        return Err(ErrorCode::InvitationInvalid.into());
    }
    let org_id = accept_checked(state, &invitation, &s.user.id).await?;
    activate(state, s, req, &org_id, dest).await
}

/// "Accept invitation" on the invitation page (after an in-app navigation there): the signed-in
/// invitee joins. Pending sessions may accept (joining may be what completes their task).
pub async fn accept(
    state: &AppState,
    ctx: &ClientContext,
    req: &RequestInfo,
    token: &str,
) -> FlowResult<Outcome> {
    organizations_enabled(state)?;
    let s = ctx
        .active()
        .ok_or(FlowError::new(ErrorCode::Unauthenticated))?;
    super::tasks::may_choose_organization(s)?;
    let org_id = accept_for(state, &s.user, token).await?;
    activate(state, s, req, &org_id, &Destination::default()).await
}
