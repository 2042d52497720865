//! `Show`, `RedirectToSignIn` and `RedirectToTasks` (README, "Session tasks for app developers").

use super::auth_provider::{use_auth_context, use_auth_with};
use super::nav::redirect_view;
use crate::domain::redirect::with_redirect_url;
use leptos::prelude::*;
use leptos_router::hooks::use_location;

/// The condition of a `Show`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum When {
    SignedIn,
    SignedOut,
    Role(String),
    Permission(String),
}

/// Renders `children` when `when` holds, else `fallback`. A pending session is signed out unless
/// `treat_pending_as_signed_out` is false.
#[component]
pub fn Show(
    when: When,
    #[prop(optional, into)] fallback: ViewFn,
    #[prop(default = true)] treat_pending_as_signed_out: bool,
    children: ChildrenFn,
) -> impl IntoView {
    let auth = use_auth_with(treat_pending_as_signed_out);
    let holds = move || {
        let a = auth.get();
        match &when {
            When::SignedIn => a.is_signed_in,
            When::SignedOut => !a.is_signed_in,
            When::Role(r) => a.has_role(r),
            When::Permission(p) => a.has_permission(p),
        }
    };
    move || {
        if holds() {
            children().into_any()
        } else {
            fallback.run().into_any()
        }
    }
}

/// Redirects a signed-out visitor to sign-in, carrying the current page as `redirect_url`.
#[component]
pub fn RedirectToSignIn() -> impl IntoView {
    let ctx = use_auth_context();
    let auth = use_auth_with(false);
    let location = use_location();
    move || {
        (!auth.get().is_signed_in && ctx.is_loaded()).then(|| {
            let here = format!("{}{}", location.pathname.get(), location.search.get());
            redirect_view(with_redirect_url(&ctx.urls().sign_in_url, Some(&here)))
        })
    }
}

/// Redirects a pending session to its current task's URL.
#[component]
pub fn RedirectToTasks() -> impl IntoView {
    let ctx = use_auth_context();
    let auth = use_auth_with(false);
    let location = use_location();
    move || {
        auth.get()
            .current_task
            .filter(|_| auth.get().is_pending())
            .map(|task| {
                let here = format!("{}{}", location.pathname.get(), location.search.get());
                redirect_view(with_redirect_url(&ctx.urls().task_url(&task), Some(&here)))
            })
    }
}
