//! The demo app's own pages: the public home, the protected dashboard, the admin page and the
//! onboarding pages that mount the standalone task components.

use crate::components::auth_provider::{use_auth_context, use_auth_with};
use crate::components::show::{Show, When};
use crate::components::{NotFound, OrganizationSwitcher, UserButton};
use crate::components::{TaskAcceptTerms, TaskChooseOrganization, TaskResetPassword, TaskSetupMfa};
use crate::domain::organization::ROLE_ADMIN;
use crate::domain::redirect::with_redirect_url;
use crate::domain::session::TaskKey;
use leptos::prelude::*;

/// `/`: the public home, showing `Show` at work.
#[component]
pub fn HomePage() -> impl IntoView {
    let ctx = use_auth_context();
    let email = move || {
        ctx.snapshot()
            .and_then(|s| s.active_session().map(|a| a.user.email.clone()))
            .unwrap_or_default()
    };
    let full = use_auth_with(false);
    let finish = move || {
        let a = full.get();
        let pending = a.is_pending();
        a.current_task.filter(|_| pending).map(|task| {
            let href = with_redirect_url(&ctx.urls().task_url(&task), Some("/dashboard"));
            view! { <p><a href=href>"Finish setting up your account"</a></p> }
        })
    };
    view! {
        <h1>{move || ctx.snapshot().map(|s| s.env.instance_name).unwrap_or_default()}</h1>
        <Show when=When::SignedIn fallback=|| view! { <p>"You are signed out"</p> }>
            <p>"You are signed in as " {email}</p>
            <p><a href="/dashboard">"Dashboard"</a></p>
        </Show>
        <Show when=When::SignedOut>
            <p><a href="/sign-in">"Sign in"</a> " · " <a href="/sign-up">"Sign up"</a></p>
        </Show>
        <Show when=When::SignedIn treat_pending_as_signed_out=false fallback=|| ()>
            {finish}
        </Show>
    }
}

/// `/dashboard`: the protected demo page (README, "Hosted pages").
#[component]
pub fn DashboardPage() -> impl IntoView {
    let ctx = use_auth_context();
    let session = move || ctx.snapshot().and_then(|s| s.active_session().cloned());
    let none = || "None".to_string();
    let organizations = move || ctx.snapshot().is_some_and(|s| s.env.organizations_enabled);
    view! {
        <header class="app-header">
            <a href="/">"Home"</a>
            {move || organizations().then(|| view! { <OrganizationSwitcher/> })}
            <UserButton/>
        </header>
        <h1>"Dashboard"</h1>
        {move || session().map(|s| {
            let org = s.organization.clone();
            view! {
                <dl class="facts">
                    <dt>"Email"</dt><dd>{s.user.email.clone()}</dd>
                    <dt>"User ID"</dt><dd>{s.user.id.clone()}</dd>
                    <dt>"Session ID"</dt><dd>{s.id.clone()}</dd>
                    <dt>"Session status"</dt><dd>{s.status.as_str()}</dd>
                    <dt>"Organization"</dt><dd>{org.as_ref().map(|o| o.name.clone()).unwrap_or_else(none)}</dd>
                    <dt>"Organization ID"</dt><dd>{org.as_ref().map(|o| o.id.clone()).unwrap_or_else(none)}</dd>
                    <dt>"Role"</dt><dd>{org.as_ref().map(|o| o.role.clone()).unwrap_or_else(none)}</dd>
                </dl>
            }
        })}
        <SessionTokenDemo/>
    }
}

/// `use_session_token()` at work (README, "Session tokens for other services"): the token the app's
/// other services would receive as `Authorization: Bearer`. Fetched by script; the same token comes
/// back until shortly before it expires.
#[component]
fn SessionTokenDemo() -> impl IntoView {
    let tokens = crate::components::use_session_token();
    let issued = RwSignal::new(None::<Result<String, String>>);
    let get = move |_| {
        leptos::task::spawn_local(async move {
            let got = tokens.get().await.map_err(|e| e.sentence());
            issued.set(Some(got));
        });
    };
    view! {
        <section aria-labelledby="token-heading">
            <h2 id="token-heading">"Calling other services"</h2>
            <button type="button" on:click=get>"Get session token"</button>
            {move || issued.get().map(|r| match r {
                Ok(jwt) => view! { <p><code class="secret" aria-label="Session token">{jwt}</code></p> }.into_any(),
                Err(e) => view! { <p class="alert" role="alert">{e}</p> }.into_any(),
            })}
        </section>
    }
}

/// `/onboarding/<key>`: the demo mounts the standalone task components (used with
/// `[app] task_urls`), finishing on `/dashboard`.
#[component]
pub fn OnboardingPage() -> impl IntoView {
    let params = leptos_router::hooks::use_params_map();
    move || {
        let key = params.read().get("key").and_then(|k| TaskKey::parse(&k));
        match key {
            Some(TaskKey::ResetPassword) => {
                view! { <TaskResetPassword redirect_url_complete="/dashboard"/> }.into_any()
            }
            Some(TaskKey::SetupMfa) => {
                view! { <TaskSetupMfa redirect_url_complete="/dashboard"/> }.into_any()
            }
            Some(TaskKey::AcceptTerms) => {
                view! { <TaskAcceptTerms redirect_url_complete="/dashboard"/> }.into_any()
            }
            Some(TaskKey::ChooseOrganization) => {
                view! { <TaskChooseOrganization redirect_url_complete="/dashboard"/> }.into_any()
            }
            Some(TaskKey::Custom(key)) => {
                view! { <super::app_task::AppTaskPage key=key/> }.into_any()
            }
            None => view! { <NotFound/> }.into_any(),
        }
    }
}

/// `/admin`: requires `org:admin` in the active organization; anyone else gets the 404 page (the
/// server answers it with status 404).
#[component]
pub fn AdminPage() -> impl IntoView {
    view! {
        <Show when=When::Role(ROLE_ADMIN.into()) fallback=|| view! { <NotFound/> }>
            <header class="app-header">
                <a href="/dashboard">"Dashboard"</a>
                <UserButton/>
            </header>
            <h1>"Admin"</h1>
            <p>"Only administrators of the active organization see this page."</p>
        </Show>
    }
}
