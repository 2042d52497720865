//! `SignIn`: every step of the hosted sign-in, chosen by the current path, each a plain
//! form that works without JavaScript and is enhanced after hydration.

use super::auth_provider::use_auth_context;
use super::forms::{carried_redirect, error_of, flow_action, Field, FlowForm, FormAlert};
use super::nav::use_nav;
use super::vestibule::{FinalizeNavigate, NavigateArgs};
#[cfg(not(feature = "islands-flows"))]
use super::{not_found::NotFound, tasks::HostedTask};
use crate::api::{
    SignInBack, SignInCode, SignInEmailCode, SignInIdentify, SignInNewPassword, SignInResend,
    SignInSecondFactor, SignInSmsCode, SignInStart,
};
use crate::domain::errors::{ErrorCode, FlowError};
use crate::domain::redirect::query_param;
use crate::domain::sign_in::{FirstFactor, SignInStatus};
use leptos::prelude::*;

#[component]
pub fn SignIn(
    /// Called instead of the default navigation once the flow ends with an active session.
    #[prop(optional)]
    navigate: Option<Callback<NavigateArgs>>,
) -> impl IntoView {
    if let Some(cb) = navigate {
        provide_context(FinalizeNavigate(cb));
    }
    let location = use_nav();
    let ctx = use_auth_context();
    // The step is the path below the provider's `sign_in_url`.
    move || {
        let urls = ctx.urls();
        let path = location.pathname.get();
        let step = urls.sign_in_step_of(&path).unwrap_or_default().to_string();
        match step.as_str() {
            // The guard sends visitors of `/sign-in/tasks` to their current task.
            "tasks" => ().into_any(),
            // (A hosted task page in islands mode is its own island, from its own bundle.)
            #[cfg(feature = "islands-flows")]
            s if s.starts_with("tasks/") => ().into_any(),
            #[cfg(not(feature = "islands-flows"))]
            s if s.starts_with("tasks/") => match urls.task_of_path(&path) {
                Some(key) => view! { <HostedTask key=key/> }.into_any(),
                None => view! { <NotFound/> }.into_any(),
            },
            "factor-one" => view! { <FactorOne/> }.into_any(),
            "factor-two" => view! { <FactorTwo/> }.into_any(),
            "choose" => view! { <ChooseAccount/> }.into_any(),
            "reset-password" => view! { <ForgotPassword/> }.into_any(),
            "client-trust" => view! { <ClientTrust/> }.into_any(),
            _ => view! { <StartStep/> }.into_any(),
        }
    }
}

#[component]
fn StartStep() -> impl IntoView {
    let action = flow_action::<SignInStart>();
    let redirect = carried_redirect();
    let ctx = use_auth_context();
    let sign_up = move || {
        let env = ctx
            .snapshot()
            .map(|s| s.env.sign_up_enabled)
            .unwrap_or(true);
        let href = ctx.urls().sign_up_url;
        env.then(|| view! { <p class="aside">"No account? " <a href=href>"Sign up"</a></p> })
    };
    view! {
        <h1>"Sign in"</h1>
        <FlowForm action=action>
            <input type="hidden" name="redirect_url" value=redirect/>
            <Field label="Email address" name="email" kind="email" autocomplete="username"/>
            <Field label="Password" name="password" kind="password" autocomplete="current-password"/>
            <FormAlert error=error_of(action)/>
            <button type="submit" name="action" value="continue" class="primary">"Continue"</button>
            <div class="secondary-actions">
                <button type="submit" name="action" value="another_method" formnovalidate=true>
                    "Use another method"
                </button>
                <button type="submit" name="action" value="forgot_password" formnovalidate=true>
                    "Forgot password?"
                </button>
            </div>
        </FlowForm>
        {sign_up}
    }
}

/// The attempt's state, or a note that it expired.
fn expired() -> AnyView {
    let href = use_auth_context().urls().sign_in_url;
    view! {
        <p role="alert">{FlowError::new(ErrorCode::AttemptMissing).sentence()}</p>
        <a href=href>"Back"</a>
    }
    .into_any()
}

/// A link to `/sign-in/factor-two` (below the provider's `sign_in_url`) with `query`.
fn factor_two(query: &str) -> String {
    format!(
        "{}?{query}",
        use_auth_context().urls().sign_in_step("factor-two")
    )
}

#[component]
fn IdentifyStep() -> impl IntoView {
    let action = flow_action::<SignInIdentify>();
    view! {
        <FlowForm action=action>
            <Field label="Email address" name="email" kind="email" autocomplete="username" required=true/>
            <FormAlert error=error_of(action)/>
            <button type="submit" class="primary">"Continue"</button>
        </FlowForm>
    }
}

#[component]
fn CodeStep() -> impl IntoView {
    let action = flow_action::<SignInCode>();
    let resend = flow_action::<SignInResend>();
    view! {
        <FlowForm action=action>
            <Field label="Verification code" name="code" kind="text" autocomplete="one-time-code" required=true/>
            <FormAlert error=error_of(action)/>
            <button type="submit" class="primary">"Continue"</button>
        </FlowForm>
        <FlowForm action=resend>
            <FormAlert error=error_of(resend)/>
            <button type="submit" class="link">"Resend code"</button>
        </FlowForm>
    }
}

#[component]
fn BackButton() -> impl IntoView {
    let back = flow_action::<SignInBack>();
    view! {
        <FlowForm action=back>
            <button type="submit" class="link">"Back"</button>
        </FlowForm>
    }
}

#[component]
fn FactorOne() -> impl IntoView {
    let ctx = use_auth_context();
    let choose = flow_action::<SignInEmailCode>();
    move || {
        let Some(attempt) = ctx.snapshot().and_then(|s| s.sign_in) else {
            return expired();
        };
        let identifier = attempt.identifier.clone();
        let body = if identifier.is_none() {
            view! { <IdentifyStep/> }.into_any()
        } else if attempt.strategy == Some(FirstFactor::EmailCode) {
            view! {
                <p>"We sent a verification code to " <strong>{identifier.clone()}</strong> "."</p>
                <CodeStep/>
            }
            .into_any()
        } else {
            let compromised = attempt.password_compromised.then(|| {
                view! {
                    <p role="alert">{FlowError::new(ErrorCode::FormPasswordCompromised).sentence()}</p>
                }
            });
            view! {
                {compromised}
                <p>"Continue as " <strong>{identifier.clone()}</strong> " with:"</p>
                <FlowForm action=choose>
                    <FormAlert error=error_of(choose)/>
                    <button type="submit" class="primary">"Email code"</button>
                </FlowForm>
            }
            .into_any()
        };
        view! {
            <h1>"Sign in"</h1>
            {body}
            <BackButton/>
        }
        .into_any()
    }
}

#[component]
fn NewPasswordStep() -> impl IntoView {
    let action = flow_action::<SignInNewPassword>();
    view! {
        <FlowForm action=action>
            <Field label="New password" name="password" kind="password" autocomplete="new-password" required=true/>
            <Field label="Confirm password" name="confirm_password" kind="password" autocomplete="new-password" required=true/>
            <div class="check">
                <input id="sign-out-others" type="checkbox" name="sign_out_others" value="true" checked=true/>
                <label for="sign-out-others">"Sign out of all other devices"</label>
            </div>
            <FormAlert error=error_of(action)/>
            <button type="submit" class="primary">"Reset password"</button>
        </FlowForm>
    }
}

#[component]
fn ForgotPassword() -> impl IntoView {
    let ctx = use_auth_context();
    move || {
        let Some(attempt) = ctx.snapshot().and_then(|s| s.sign_in) else {
            return expired();
        };
        let body = if attempt.identifier.is_none() {
            view! { <IdentifyStep/> }.into_any()
        } else if attempt.status == SignInStatus::NeedsNewPassword {
            view! { <NewPasswordStep/> }.into_any()
        } else {
            view! {
                <p>"We sent a code to " <strong>{attempt.identifier.clone()}</strong> " to reset your password."</p>
                <CodeStep/>
            }
            .into_any()
        };
        view! {
            <h1>"Reset your password"</h1>
            {body}
            <BackButton/>
        }
        .into_any()
    }
}

#[component]
fn ClientTrust() -> impl IntoView {
    let ctx = use_auth_context();
    move || {
        let Some(attempt) = ctx.snapshot().and_then(|s| s.sign_in) else {
            return expired();
        };
        view! {
            <h1>"Verify this device"</h1>
            <p class="notice">
                "You're signing in from a new device. We're asking for verification to keep your account secure."
            </p>
            <p>"We sent a code to " <strong>{attempt.identifier.clone()}</strong> "."</p>
            <CodeStep/>
            <BackButton/>
        }
        .into_any()
    }
}

/// `/sign-in/factor-two`: the authenticator code by default, or the SMS code, or a
/// backup code; "Use another method" lists the user's factors.
#[component]
fn FactorTwo() -> impl IntoView {
    let ctx = use_auth_context();
    let location = use_nav();
    let param = move |name: &str| query_param(location.search.get().trim_start_matches('?'), name);
    move || {
        let Some(attempt) = ctx.snapshot().and_then(|s| s.sign_in) else {
            return expired();
        };
        let factors = attempt.second_factors.clone();
        let method = param("method")
            .filter(|m| factors.contains(m))
            .or_else(|| factors.first().cloned())
            .unwrap_or_default();
        let body = if param("choose").is_some() {
            view! { <OtherMethods factors=factors/> }.into_any()
        } else {
            view! { <SecondFactorForm method=method phone_hint=attempt.phone_hint.clone()/> }
                .into_any()
        };
        view! {
            <h1>"Two-step verification"</h1>
            {body}
            <BackButton/>
        }
        .into_any()
    }
}

#[component]
fn SecondFactorForm(method: String, phone_hint: Option<String>) -> impl IntoView {
    let action = flow_action::<SignInSecondFactor>();
    let resend = flow_action::<SignInSmsCode>();
    let (intro, label) = match method.as_str() {
        "sms" => (
            format!(
                "Enter the code we sent to your phone ending in {}.",
                phone_hint.unwrap_or_default()
            ),
            "Verification code",
        ),
        "backup_code" => ("Enter one of your backup codes.".to_string(), "Backup code"),
        _ => (
            "Enter the code from your authenticator app.".to_string(),
            "Verification code",
        ),
    };
    let sms = method == "sms";
    view! {
        <p>{intro}</p>
        <FlowForm action=action>
            <input type="hidden" name="method" value=method.clone()/>
            <Field label=label name="code" autocomplete="one-time-code" required=true/>
            <FormAlert error=error_of(action)/>
            <button type="submit" class="primary">"Continue"</button>
        </FlowForm>
        {sms.then(|| view! {
            <FlowForm action=resend>
                <FormAlert error=error_of(resend)/>
                <button type="submit" class="link">"Resend code"</button>
            </FlowForm>
        })}
        <a class="button" href=factor_two("choose=1")>"Use another method"</a>
    }
}

#[component]
fn OtherMethods(factors: Vec<String>) -> impl IntoView {
    let send_sms = flow_action::<SignInSmsCode>();
    let has = |f: &str| factors.iter().any(|x| x == f);
    view! {
        <p>"Choose another way to verify it's you."</p>
        <FormAlert error=error_of(send_sms)/>
        <ul class="choices">
            {has("totp").then(|| view! {
                <li><a class="button" href=factor_two("method=totp")>"Authenticator app"</a></li>
            })}
            {has("sms").then(|| view! {
                <li>
                    <FlowForm action=send_sms>
                        <button type="submit">"SMS code"</button>
                    </FlowForm>
                </li>
            })}
            {has("backup_code").then(|| view! {
                <li><a class="button" href=factor_two("method=backup_code")>"Backup code"</a></li>
            })}
        </ul>
    }
}

/// `/sign-in/choose`: the accounts signed in on this browser (multi-session mode).
#[component]
fn ChooseAccount() -> impl IntoView {
    view! {
        <h1>"Choose an account"</h1>
        <super::user_button::AccountSwitcher include_active=true/>
    }
}
