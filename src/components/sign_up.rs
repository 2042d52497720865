//! `SignUp`: the account form, then the emailed code.

use super::auth_provider::use_auth_context;
use super::forms::{carried_redirect, error_of, flow_action, Field, FlowForm, FormAlert};
use super::nav::use_nav;
use super::vestibule::{FinalizeNavigate, NavigateArgs};
use crate::api::{SignUpCreate, SignUpResend, SignUpVerify};
use crate::domain::redirect::query_param;
use leptos::prelude::*;

#[component]
pub fn SignUp(
    /// Called instead of the default navigation once the flow ends with an active session.
    #[prop(optional)]
    navigate: Option<Callback<NavigateArgs>>,
) -> impl IntoView {
    if let Some(cb) = navigate {
        provide_context(FinalizeNavigate(cb));
    }
    let location = use_nav();
    let ctx = use_auth_context();
    // The step is the path below the provider's `sign_up_url`.
    move || {
        let urls = ctx.urls();
        match urls.sign_up_step_of(&location.pathname.get()) {
            Some("verify-email-address") => view! { <VerifyStep/> }.into_any(),
            _ => view! { <CreateStep/> }.into_any(),
        }
    }
}

#[component]
fn CreateStep() -> impl IntoView {
    let ctx = use_auth_context();
    let action = flow_action::<SignUpCreate>();
    let redirect = carried_redirect();
    // Arriving from an invitation link: the address is the invited one, and no code is needed.
    let location = use_nav();
    let param = move |name: &str| {
        query_param(
            location.search.get_untracked().trim_start_matches('?'),
            name,
        )
        .unwrap_or_default()
    };
    let (invitation, invited_email) = (param("invitation"), param("email"));
    let legal = move || {
        ctx.snapshot().is_some_and(|s| s.env.legal_consent).then(|| {
            view! {
                <div class="check">
                    <input id="legal-accepted" type="checkbox" name="legal_accepted" value="true"/>
                    <label for="legal-accepted">"I agree to the Terms of Service and Privacy Policy"</label>
                </div>
            }
        })
    };
    view! {
        <h1>"Create your account"</h1>
        <FlowForm action=action>
            <input type="hidden" name="redirect_url" value=redirect/>
            <input type="hidden" name="invitation" value=invitation/>
            <Field label="Email address" name="email" kind="email" autocomplete="email" value=invited_email required=true/>
            <Field label="Password" name="password" kind="password" autocomplete="new-password" required=true/>
            {legal}
            <FormAlert error=error_of(action)/>
            <button type="submit" class="primary">"Continue"</button>
        </FlowForm>
        <p class="aside">"Have an account? " <a href=ctx.urls().sign_in_url>"Sign in"</a></p>
    }
}

#[component]
fn VerifyStep() -> impl IntoView {
    let ctx = use_auth_context();
    let action = flow_action::<SignUpVerify>();
    let resend = flow_action::<SignUpResend>();
    let email = move || ctx.snapshot().and_then(|s| s.sign_up).and_then(|a| a.email);
    view! {
        <h1>"Verify your email"</h1>
        <p>"We sent a verification code to " <strong>{email}</strong> "."</p>
        <FlowForm action=action>
            <Field label="Verification code" name="code" autocomplete="one-time-code" required=true/>
            <FormAlert error=error_of(action)/>
            <button type="submit" class="primary">"Continue"</button>
        </FlowForm>
        <FlowForm action=resend>
            <FormAlert error=error_of(resend)/>
            <button type="submit" class="link">"Resend code"</button>
        </FlowForm>
    }
}
