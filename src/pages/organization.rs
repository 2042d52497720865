//! `/organization`: the hosted organization portal — profile, members and roles, invitations —
//! plus `/organization/new` (the organization form) and `/invitation` (where invitation links
//! land).

use crate::api::{
    get_invitation, get_organization_profile, AcceptInvitation, Activate, OrganizationDelete,
    OrganizationInvite, OrganizationLeave, OrganizationMemberRemove, OrganizationMemberRole,
    OrganizationRename, OrganizationRevokeInvitation, SignOut,
};
use crate::components::forms::{error_of, flow_action, Field, FlowForm, FormAlert};
use crate::components::nav::use_nav;
use crate::components::organizations::OrganizationSwitcher;
use crate::components::tasks::CreateOrganizationForm;
use crate::components::FlowAction;
use crate::components::UserButton;
use crate::domain::organization::{
    MANAGE_INVITATIONS, MANAGE_MEMBERS, MANAGE_PROFILE, ROLE_ADMIN, ROLE_MEMBER,
};
use crate::domain::redirect::{encode_component, query_param, with_redirect_url};
use crate::domain::snapshot::{
    InvitationPageView, InvitationStatus, MemberView, OrganizationProfileView,
};
use leptos::prelude::*;

fn role_name(role: &str) -> &'static str {
    match role {
        ROLE_ADMIN => "Admin",
        ROLE_MEMBER => "Member",
        _ => "Custom role",
    }
}

/// The portal's server actions; the page reloads its data after each.
#[derive(Clone, Copy)]
struct Actions {
    rename: FlowAction,
    role: FlowAction,
    remove: FlowAction,
    invite: FlowAction,
    revoke: FlowAction,
    leave: FlowAction,
    delete: FlowAction,
}

#[component]
pub fn OrganizationPage() -> impl IntoView {
    let actions = Actions {
        rename: flow_action::<OrganizationRename>(),
        role: flow_action::<OrganizationMemberRole>(),
        remove: flow_action::<OrganizationMemberRemove>(),
        invite: flow_action::<OrganizationInvite>(),
        revoke: flow_action::<OrganizationRevokeInvitation>(),
        leave: flow_action::<OrganizationLeave>(),
        delete: flow_action::<OrganizationDelete>(),
    };
    // Leaving needs a recent verification (README, "Reverification"), and so does an admin removing themselves:
    // the dialog asks, then retries.
    crate::components::use_reverification(actions.rename);
    crate::components::use_reverification(actions.leave);
    crate::components::use_reverification(actions.remove);
    crate::components::use_reverification(actions.delete);
    let changes = move || {
        (
            actions.rename.version().get(),
            actions.role.version().get(),
            actions.remove.version().get(),
            actions.invite.version().get(),
            actions.revoke.version().get(),
            actions.leave.version().get(),
            actions.delete.version().get(),
        )
    };
    let ctx = crate::components::use_auth_context();
    // Also reloaded when another organization becomes active (the switcher stays on this page).
    let active = Memo::new(move |_| {
        ctx.snapshot()
            .and_then(|s| s.active_session().and_then(|a| a.organization.clone()))
            .map(|o| o.id)
    });
    let profile = Resource::new(
        move || (changes(), active.get()),
        |_| get_organization_profile(),
    );
    // A memo: the page is rebuilt only if the setting changes, not on every snapshot refresh.
    let enabled = Memo::new(move |_| ctx.snapshot().is_some_and(|s| s.env.organizations_enabled));
    move || {
        if !enabled.get() {
            return view! { <crate::components::NotFound/> }.into_any();
        }
        view! {
        <header class="app-header">
            <a href=move || ctx.urls().after_sign_in_url>"Home"</a>
            <OrganizationSwitcher/>
            <UserButton/>
        </header>
        <h1>"Organization"</h1>
        <crate::components::ReverificationDialog/>
        {move || profile.get().map(|r| match r {
            Ok(p) => view! { <Portal profile=p actions=actions/> }.into_any(),
            Err(_) => view! {
                <p>"You have no active organization. Choose or create one from the organization menu."</p>
            }.into_any(),
        })}
    }
    .into_any()
    }
}

#[component]
fn Portal(profile: OrganizationProfileView, actions: Actions) -> impl IntoView {
    let can = |p: &str| profile.permissions.iter().any(|x| x == p);
    let (manage_members, manage_invitations, manage_profile) = (
        can(MANAGE_MEMBERS),
        can(MANAGE_INVITATIONS),
        can(MANAGE_PROFILE),
    );
    let org = profile.organization.clone();
    let (leave_id, delete_id) = (org.id.clone(), org.id.clone());
    view! {
        <section aria-labelledby="org-profile-heading">
            <h2 id="org-profile-heading">"Profile"</h2>
            <dl class="facts">
                <dt>"Name"</dt><dd>{org.name.clone()}</dd>
                <dt>"Slug"</dt><dd>{org.slug.clone()}</dd>
                <dt>"Your role"</dt><dd>{org.role.clone()}</dd>
            </dl>
            {manage_profile.then(|| view! {
                <FlowForm action=actions.rename>
                    <Field label="Name" name="name" id="org-name" value=org.name.clone() required=true/>
                    <Field label="Slug" name="slug" id="org-slug" value=org.slug.clone()/>
                    <input type="hidden" name="mfa_setting" value="true"/>
                    <div class="check">
                        <input id="org-require-mfa" type="checkbox" name="require_mfa" value="true" checked=org.require_mfa/>
                        <label for="org-require-mfa">"Require two-step verification"</label>
                    </div>
                    <FormAlert error=error_of(actions.rename)/>
                    <button type="submit">"Save"</button>
                </FlowForm>
            })}
        </section>
        <section aria-labelledby="members-heading">
            <h2 id="members-heading">"Members"</h2>
            <FormAlert error=error_of(actions.role)/>
            <FormAlert error=error_of(actions.remove)/>
            <table class="members">
                <thead><tr><th scope="col">"Email"</th><th scope="col">"Role"</th>
                    {manage_members.then(|| view! { <th scope="col">"Actions"</th> })}
                </tr></thead>
                <tbody>
                    {profile.members.into_iter().map(|m| view! {
                        <MemberRow member=m manage=manage_members actions=actions/>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
        {manage_invitations.then(|| view! {
            <InvitationsSection invitations=profile.invitations.clone() actions=actions/>
        })}
        <section aria-labelledby="leave-heading">
            <h2 id="leave-heading">"Leave organization"</h2>
            <FlowForm action=actions.leave>
                <input type="hidden" name="organization_id" value=leave_id/>
                <FormAlert error=error_of(actions.leave)/>
                <button type="submit" class="danger">"Leave organization"</button>
            </FlowForm>
        </section>
        {manage_profile.then(|| view! {
            <section aria-labelledby="delete-org-heading">
                <h2 id="delete-org-heading">"Delete organization"</h2>
                <p>"Its memberships and invitations are deleted for good."</p>
                <FlowForm action=actions.delete>
                    <input type="hidden" name="organization_id" value=delete_id.clone()/>
                    <FormAlert error=error_of(actions.delete)/>
                    <button type="submit" class="danger">"Delete organization"</button>
                </FlowForm>
            </section>
        })}
    }
}

#[component]
fn MemberRow(member: MemberView, manage: bool, actions: Actions) -> impl IntoView {
    let who = if member.is_self {
        format!("{} (you)", member.email)
    } else {
        member.email.clone()
    };
    let user_id = member.user_id.clone();
    let email = member.email.clone();
    let role = member.role.clone();
    let controls = manage.then(move || {
        let select_id = format!("role-{user_id}");
        let other = if role == ROLE_ADMIN {
            ROLE_MEMBER
        } else {
            ROLE_ADMIN
        };
        let current = role_name(&role);
        let (role_label, change_label, remove_label) = (
            format!("Role of {email}"),
            format!("Change role of {email}"),
            format!("Remove {email}"),
        );
        let remove_id = user_id.clone();
        view! {
            <td>
                <FlowForm action=actions.role>
                    <input type="hidden" name="user_id" value=user_id/>
                    <label for=select_id.clone() class="visually-hidden">{role_label}</label>
                    <select id=select_id name="role">
                        <option value=role selected=true>{current}</option>
                        <option value=other>{role_name(other)}</option>
                    </select>
                    <button type="submit" aria-label=change_label>"Change role"</button>
                </FlowForm>
                <FlowForm action=actions.remove>
                    <input type="hidden" name="user_id" value=remove_id/>
                    <button type="submit" class="danger" aria-label=remove_label>"Remove"</button>
                </FlowForm>
            </td>
        }
    });
    view! {
        <tr>
            <td>{who}</td>
            <td>{member.role.clone()}</td>
            {controls}
        </tr>
    }
}

#[component]
fn InvitationsSection(
    invitations: Vec<crate::domain::snapshot::InvitationView>,
    actions: Actions,
) -> impl IntoView {
    let sent = move || {
        matches!(actions.invite.value().get(), Some(Ok(_)))
            .then(|| view! { <p role="status">"Invitation sent."</p> })
    };
    view! {
        <section aria-labelledby="invite-heading">
            <h2 id="invite-heading">"Invite a member"</h2>
            <FlowForm action=actions.invite>
                <Field label="Email address" name="email" kind="email" id="invite-email" required=true/>
                <div class="field">
                    <label for="invite-role">"Role"</label>
                    <select id="invite-role" name="role">
                        <option value=ROLE_MEMBER selected=true>"Member"</option>
                        <option value=ROLE_ADMIN>"Admin"</option>
                    </select>
                </div>
                <FormAlert error=error_of(actions.invite)/>
                {sent}
                <button type="submit" class="primary">"Send invitation"</button>
            </FlowForm>
        </section>
        <section aria-labelledby="invitations-heading">
            <h2 id="invitations-heading">"Pending invitations"</h2>
            <FormAlert error=error_of(actions.revoke)/>
            {if invitations.is_empty() {
                view! { <p>"No pending invitations."</p> }.into_any()
            } else {
                view! {
                    <ul class="invitations">
                        {invitations.into_iter().map(|i| view! {
                            <li>
                                <span>{format!("{} ({})", i.email, i.role)}</span>
                                <FlowForm action=actions.revoke>
                                    <input type="hidden" name="invitation_id" value=i.id.clone()/>
                                    <button type="submit" aria-label=format!("Revoke invitation for {}", i.email)>"Revoke"</button>
                                </FlowForm>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

/// `/organization/new`: the organization form, opened by "Create organization" in the switcher.
#[component]
pub fn NewOrganizationPage() -> impl IntoView {
    let ctx = crate::components::use_auth_context();
    let env = Memo::new(move |_| ctx.snapshot().map(|s| s.env).unwrap_or_default());
    move || {
        let env = env.get();
        if env.organizations_enabled && env.organization_creation_enabled {
            // The app's after-sign-in URL, not a page of the demo's.
            let complete = ctx.urls().after_sign_in_url;
            view! { <CreateOrganizationForm complete=Some(complete)/> }.into_any()
        } else {
            view! { <crate::components::NotFound/> }.into_any()
        }
    }
}

/// `/invitation?token=…`: where an invitation link lands. A full page load is answered by the
/// server before this renders (join, or go to sign-in / sign-up); what is left to show here is a
/// used, revoked or expired link, another account signed in, or — after an in-app navigation —
/// the button that joins.
#[component]
pub fn InvitationPage() -> impl IntoView {
    let location = use_nav();
    let token = Memo::new(move |_| {
        query_param(location.search.get().trim_start_matches('?'), "token").unwrap_or_default()
    });
    let view_of = Resource::new(move || token.get(), get_invitation);
    view! {
        <h1>"Invitation"</h1>
        {move || view_of.get().map(|r| match r {
            Ok(v) => view! { <InvitationBody view=v token=token.get_untracked()/> }.into_any(),
            Err(e) => view! { <p role="alert">{e.sentence()}</p> }.into_any(),
        })}
    }
}

#[component]
fn InvitationBody(view: InvitationPageView, token: String) -> impl IntoView {
    let org = view.organization_name.clone().unwrap_or_default();
    let here = format!("/invitation?token={token}");
    let message = match view.status {
        InvitationStatus::Accepted => Some("This invitation has already been accepted."),
        InvitationStatus::Revoked => Some("This invitation has been revoked."),
        InvitationStatus::Expired => Some("This invitation has expired."),
        InvitationStatus::Invalid => Some("This invitation link is invalid."),
        InvitationStatus::Pending => None,
    };
    if let Some(message) = message {
        return view! {
            <p role="alert">{message} " Ask an admin of the organization to invite you again."</p>
            <p><a href="/">"Go home"</a></p>
        }
        .into_any();
    }
    let email = view.email.clone().unwrap_or_default();
    match view.signed_in_as.clone() {
        Some(current) if current == email => {
            let accept = flow_action::<AcceptInvitation>();
            view! {
                <p>{format!("You have been invited to join {org}.")}</p>
                <FlowForm action=accept>
                    <input type="hidden" name="token" value=token/>
                    <FormAlert error=error_of(accept)/>
                    <button type="submit" class="primary">"Accept invitation"</button>
                </FlowForm>
            }
            .into_any()
        }
        Some(current) => {
            view! { <OtherAccount view=view current=current email=email org=org here=here/> }
                .into_any()
        }
        None => {
            let (href, text) = if view.account_exists {
                (
                    with_redirect_url("/sign-in", Some(&here)),
                    "Sign in to accept",
                )
            } else {
                (
                    format!(
                        "/sign-up?invitation={}&email={}",
                        encode_component(&token),
                        encode_component(&email)
                    ),
                    "Create your account to accept",
                )
            };
            view! {
                <p>{format!("You have been invited to join {org}.")}</p>
                <p><a class="button primary" href=href>{text}</a></p>
            }
            .into_any()
        }
    }
}

/// Another account is signed in: say so, and offer to switch to (or add) the invited account, or
/// to sign out and continue.
#[component]
fn OtherAccount(
    view: InvitationPageView,
    current: String,
    email: String,
    org: String,
    here: String,
) -> impl IntoView {
    let switch = flow_action::<Activate>();
    let sign_out = flow_action::<SignOut>();
    let multi = crate::components::use_auth_context()
        .snapshot()
        .is_some_and(|s| s.env.multi_session);
    let switch_label = format!("Switch to {email}");
    let explanation = format!(
        "This invitation to join {org} was sent to {email}, but you are signed in as {current}."
    );
    let action = match (view.invitee_session_id.clone(), multi) {
        (Some(session), _) => view! {
            <FlowForm action=switch>
                <input type="hidden" name="session_id" value=session/>
                <input type="hidden" name="redirect_url" value=here.clone()/>
                <button type="submit" class="primary">{switch_label}</button>
            </FlowForm>
        }
        .into_any(),
        (None, true) => view! {
            <a class="button primary" href=with_redirect_url("/sign-in", Some(&here))>"Add account"</a>
        }
        .into_any(),
        (None, false) => view! {
            <FlowForm action=sign_out>
                <input type="hidden" name="redirect_url" value=here.clone()/>
                <button type="submit" class="primary">"Sign out"</button>
            </FlowForm>
        }
        .into_any(),
    };
    view! {
        <p role="alert">
            {explanation}
        </p>
        <p>"Continue with the invited account to accept it."</p>
        {action}
    }
}
