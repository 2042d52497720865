//! `UserButton` (README, "Several accounts on one browser"): a `<details>` disclosure, so it opens
//! without JavaScript, and the account list it shares with `/sign-in/choose`.

use super::auth_provider::use_auth_context;
use super::forms::{flow_action, FlowForm};
use crate::api::{Activate, SignOut};
use crate::domain::guard::USER_PROFILE_PATH;
use leptos::prelude::*;

#[component]
pub fn UserButton() -> impl IntoView {
    let ctx = use_auth_context();
    let sign_out = flow_action::<SignOut>();
    let email = move || {
        ctx.snapshot()
            .and_then(|s| s.active_session().map(|a| a.user.email.clone()))
            .unwrap_or_default()
    };
    let initials = move || {
        email()
            .chars()
            .next()
            .map(|c| c.to_uppercase().to_string())
            .unwrap_or_default()
    };
    let multi = move || ctx.snapshot().is_some_and(|s| s.env.multi_session);
    let details = NodeRef::<leptos::html::Details>::new();
    close_on_change(details);
    // The initials stand beside the opener, not inside it: the opener's accessible name is
    // exactly "Open user menu", so no visible text of the control may differ from it (WCAG 2.5.3).
    view! {
        <div class="menu-wrap">
            <span class="avatar" aria-hidden="true">{initials}</span>
            <details class="menu user-button" node_ref=details>
                <summary aria-label="Open user menu" title="Open user menu">
                    <span class="chevron" aria-hidden="true">"▾"</span>
                </summary>
                <div class="menu-body">
                    <p class="menu-email">{email}</p>
                    <a href=USER_PROFILE_PATH>"Manage account"</a>
                    <FlowForm action=sign_out>
                        <button type="submit">"Sign out"</button>
                    </FlowForm>
                    {move || multi().then(|| view! { <AccountSwitcher/> })}
                </div>
            </details>
        </div>
    }
}

/// Closes a disclosure menu after every navigation and every change of the client (a switch, a
/// sign-out), as a full page load would. A menu that hydrates is left as it is on the effect's
/// first run (the page hydrating): one the user opened before that stays open. A menu built
/// after hydration closes on its first run too, since a change of the client can rebuild it over
/// the open `<details>` it replaces.
pub fn close_on_change(details: NodeRef<leptos::html::Details>) {
    let ctx = use_auth_context();
    let location = super::nav::use_nav();
    let hydrating = Owner::current_shared_context().is_some_and(|sc| sc.during_hydration());
    Effect::new(move |ran: Option<()>| {
        location.pathname.track();
        location.search.track();
        let _ = ctx.snapshot();
        #[cfg(feature = "hydrate")]
        if ran.is_some() || !hydrating {
            if let Some(d) = details.get_untracked() {
                d.set_open(false);
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (details, ran, hydrating);
    });
}

/// The signed-in accounts as "Switch to <email>" buttons (the active one too with
/// `include_active`), "Add account" and "Sign out of all accounts" (multi-session mode).
#[component]
pub fn AccountSwitcher(#[prop(default = false)] include_active: bool) -> impl IntoView {
    let ctx = use_auth_context();
    let switch = flow_action::<Activate>();
    let sign_out_all = flow_action::<SignOut>();
    let others = move || {
        let snap = ctx.snapshot().unwrap_or_default();
        let active = snap.last_active_session_id.clone();
        snap.sessions
            .into_iter()
            .filter(|s| include_active || Some(&s.id) != active.as_ref())
            .collect::<Vec<_>>()
    };
    view! {
        <ul class="accounts">
            {move || {
                others()
                    .into_iter()
                    .map(|s| {
                        view! {
                            <li>
                                <FlowForm action=switch>
                                    <input type="hidden" name="session_id" value=s.id.clone()/>
                                    <button type="submit">{format!("Switch to {}", s.user.email)}</button>
                                </FlowForm>
                            </li>
                        }
                    })
                    .collect_view()
            }}
        </ul>
        <a class="button" href=move || ctx.urls().sign_in_url>"Add account"</a>
        <FlowForm action=sign_out_all>
            <input type="hidden" name="all" value="true"/>
            <button type="submit">"Sign out of all accounts"</button>
        </FlowForm>
    }
}
