//! `UserButton` (SPEC §7.4): a `<details>` disclosure, so it opens without JavaScript.

use super::auth_provider::use_auth_context;
use super::forms::flow_action;
use crate::api::SignOut;
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
    view! {
        <details class="menu user-button">
            <summary aria-label="Open user menu" title="Open user menu">
                <span class="avatar" aria-hidden="true">{initials}</span>
            </summary>
            <div class="menu-body">
                <p class="menu-email">{email}</p>
                <a href="/user">"Manage account"</a>
                <ActionForm action=sign_out>
                    <button type="submit">"Sign out"</button>
                </ActionForm>
            </div>
        </details>
    }
}
