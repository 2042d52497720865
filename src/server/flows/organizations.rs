//! The organization portal (`/organization`), `use_organization_list()`, and invitations
//! (README, "Organizations, the switcher and invitations"). Every function re-reads the caller's
//! session and checks the permission its role grants in the active organization; the role is read
//! from the membership on every request, so a change is seen at once on every instance.

use super::invitations::{accept_checked, org_error, role_param};
pub use super::invitations::{
    accept_for, check_invitation, invitation_url, invite, revoke, send_invitation,
    token_in_redirect, INVITATIONS_PER_HOUR, INVITATION_PATH, INVITATION_TTL_SECS,
};
use super::tasks::{next, Destination};
use super::{bounded, FlowResult, Outcome, RequestInfo};

use crate::domain::errors::{ErrorCode, FlowError};
use crate::domain::organization::{parse_name_and_slug, MANAGE_MEMBERS, MANAGE_PROFILE};
use crate::domain::reverification::Reverification;
use crate::domain::snapshot::InvitationStatus;
use crate::server::client::{organizations_enabled, ClientContext};
use crate::server::state::AppState;
use crate::server::store::{find_invitation, SessionDetail};

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
    // Members without a second factor owe `setup-mfa` at their next request in it
    // (README, "Custom tasks").
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

/// "Leave organization": any member but the last admin, after a strict reverification
/// (README, "Reverification").
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
/// (README, "Reverification"): its memberships and invitations go with it, and every session that
/// had it active is back in its personal account (or owes `choose-organization`).
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
