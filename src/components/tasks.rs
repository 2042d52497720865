//! The task components (README, "Session tasks for app developers"): `TaskResetPassword`,
//! `TaskChooseOrganization`, `TaskSetupMfa`, each rendering only while its task is the current one,
//! else redirecting where the session belongs. The hosted `/sign-in/tasks/<key>` pages and the
//! demo's `/onboarding/<key>` pages both mount them.

use super::auth_provider::use_auth_context;
use super::forms::{carried_redirect, error_of, flow_action, Field, FlowForm, FormAlert};
use super::nav::use_nav;
use super::required_tasks::{SwitchAwayFromStrictOrganization, TaskAcceptTerms, TaskCustom};
use super::reverification::verify_on_page;
use super::task_gate::Destination;
pub use super::task_gate::TaskGate;
use super::vestibule::{FinalizeNavigate, NavigateArgs};
use crate::api::{
    Activate, CreateOrganization, JoinInvitation, MfaDone, MfaPhone, MfaPhoneCode, MfaTotp,
    TaskResetPassword as ResetPasswordFn,
};
use crate::domain::redirect::{query_param, safe_redirect, with_redirect_url};
use crate::domain::session::TaskKey;
use leptos::prelude::*;

/// The `reset-password` task.
#[component]
pub fn TaskResetPassword(
    #[prop(optional, into)] redirect_url_complete: Option<String>,
    /// Called instead of the default navigation once the flow ends with an active session.
    #[prop(optional)]
    navigate: Option<Callback<NavigateArgs>>,
) -> impl IntoView {
    if let Some(cb) = navigate {
        provide_context(FinalizeNavigate(cb));
    }
    let complete = redirect_url_complete.clone();
    view! {
        <TaskGate key=TaskKey::ResetPassword complete=redirect_url_complete>
            <ResetPasswordForm complete=complete.clone()/>
        </TaskGate>
    }
}

#[component]
fn ResetPasswordForm(complete: Option<String>) -> impl IntoView {
    let action = flow_action::<ResetPasswordFn>();
    // A session whose sign-in is not recent proves itself again first (an emailed code).
    verify_on_page(action);
    view! {
        <h1>"Reset your password"</h1>
        <p>"Your password may have been exposed. Choose a new one to continue."</p>
        <FlowForm action=action>
            <Destination complete=complete/>
            <Field label="New password" name="password" kind="password" autocomplete="new-password" required=true/>
            <Field label="Confirm password" name="confirm_password" kind="password" autocomplete="new-password" required=true/>
            <div class="check">
                <input id="task-sign-out-others" type="checkbox" name="sign_out_others" value="true" checked=true/>
                <label for="task-sign-out-others">"Sign out of all other devices"</label>
            </div>
            <FormAlert error=error_of(action)/>
            <button type="submit" class="primary">"Reset password"</button>
        </FlowForm>
    }
}

/// The `choose-organization` task.
#[component]
pub fn TaskChooseOrganization(
    #[prop(optional, into)] redirect_url_complete: Option<String>,
    /// Called instead of the default navigation once the flow ends with an active session.
    #[prop(optional)]
    navigate: Option<Callback<NavigateArgs>>,
) -> impl IntoView {
    if let Some(cb) = navigate {
        provide_context(FinalizeNavigate(cb));
    }
    let complete = redirect_url_complete.clone();
    view! {
        <TaskGate key=TaskKey::ChooseOrganization complete=redirect_url_complete>
            <Chooser complete=complete.clone()/>
        </TaskGate>
    }
}

#[component]
fn Chooser(complete: Option<String>) -> impl IntoView {
    let ctx = use_auth_context();
    let location = use_nav();
    let creating =
        move || query_param(location.search.get().trim_start_matches('?'), "create").is_some();
    let can_create = move || {
        ctx.snapshot()
            .is_some_and(|s| s.env.organization_creation_enabled)
    };
    move || {
        let session = ctx.snapshot()?.active_session()?.clone();
        let (list, invitations) = (session.memberships, session.invitations);
        let complete = complete.clone();
        Some(
            if (list.is_empty() && invitations.is_empty()) || creating() {
                if can_create() {
                    view! { <CreateOrganizationForm complete=complete/> }.into_any()
                } else {
                    view! {
                    <h1>"Choose an organization"</h1>
                    <p role="alert">
                        "You must belong to an organization to continue. Ask an administrator of your organization to invite you."
                    </p>
                }
                .into_any()
                }
            } else {
                view! {
                <MembershipList list=list invitations=invitations complete=complete can_create=can_create()/>
            }
            .into_any()
            },
        )
    }
}

#[component]
fn MembershipList(
    list: Vec<crate::domain::snapshot::OrganizationView>,
    invitations: Vec<crate::domain::snapshot::InvitationView>,
    complete: Option<String>,
    can_create: bool,
) -> impl IntoView {
    let action = flow_action::<Activate>();
    let join = flow_action::<JoinInvitation>();
    let redirect = carried_redirect();
    let create_href = move || {
        let path = use_nav().pathname.get_untracked();
        with_redirect_url(
            &format!("{path}?create=1"),
            safe_redirect(&redirect.get()).as_deref(),
        )
    };
    view! {
        <h1>"Choose an organization"</h1>
        <FormAlert error=error_of(action)/>
        <ul class="choices">
            {list
                .into_iter()
                .map(|org| {
                    let complete = complete.clone();
                    view! {
                        <li>
                            <FlowForm action=action>
                                <Destination complete=complete/>
                                <input type="hidden" name="organization" value=org.id.clone()/>
                                <button type="submit" class="choice">{org.name.clone()}</button>
                            </FlowForm>
                        </li>
                    }
                })
                .collect_view()}
            {invitations
                .into_iter()
                .map(|i| {
                    let complete = complete.clone();
                    view! {
                        <li>
                            <FlowForm action=join>
                                <Destination complete=complete/>
                                <input type="hidden" name="invitation_id" value=i.id.clone()/>
                                <button type="submit" class="choice">{format!("Join {}", i.organization_name)}</button>
                            </FlowForm>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
        <FormAlert error=error_of(join)/>
        {can_create.then(|| view! { <a class="button" href=create_href()>"Create organization"</a> })}
    }
}

/// The organization form ("Name", "Slug", "Create organization"); the new organization becomes
/// the active one.
#[component]
pub fn CreateOrganizationForm(complete: Option<String>) -> impl IntoView {
    let action = flow_action::<CreateOrganization>();
    view! {
        <h1>"Set up your organization"</h1>
        <FlowForm action=action>
            <Destination complete=complete/>
            <Field label="Name" name="name" autocomplete="organization" required=true/>
            <Field label="Slug" name="slug"/>
            <p class="hint">"Lowercase letters, digits and dashes. Leave empty to derive it from the name."</p>
            <FormAlert error=error_of(action)/>
            <button type="submit" class="primary">"Create organization"</button>
        </FlowForm>
    }
}

/// The `setup-mfa` task.
#[component]
pub fn TaskSetupMfa(
    #[prop(optional, into)] redirect_url_complete: Option<String>,
    /// Called instead of the default navigation once the flow ends with an active session.
    #[prop(optional)]
    navigate: Option<Callback<NavigateArgs>>,
) -> impl IntoView {
    if let Some(cb) = navigate {
        provide_context(FinalizeNavigate(cb));
    }
    let complete = redirect_url_complete.clone();
    view! {
        <TaskGate key=TaskKey::SetupMfa complete=redirect_url_complete>
            <SetupMfa complete=complete.clone()/>
            <SwitchAwayFromStrictOrganization complete=complete.clone()/>
        </TaskGate>
    }
}

#[component]
fn SetupMfa(complete: Option<String>) -> impl IntoView {
    let ctx = use_auth_context();
    let location = use_nav();
    let method = move || {
        query_param(location.search.get().trim_start_matches('?'), "method").unwrap_or_default()
    };
    move || {
        let setup = ctx.snapshot()?.mfa_setup?;
        let complete = complete.clone();
        let chosen = match method().as_str() {
            "totp" | "sms" => method(),
            _ if setup.methods.len() == 1 => setup.methods[0].clone(),
            _ => String::new(),
        };
        Some(if let Some(codes) = setup.backup_codes.clone() {
            view! { <BackupCodes codes=codes complete=complete/> }.into_any()
        } else if setup.factor_elsewhere {
            view! {
                <h1>"Set up two-step verification"</h1>
                <p role="status">
                    "Two-step verification was set up from another device. Sign out, then sign in again with it to continue."
                </p>
            }
            .into_any()
        } else if chosen == "totp" {
            view! { <TotpStep setup=setup complete=complete/> }.into_any()
        } else if chosen == "sms" {
            view! { <SmsStep pending=setup.pending_phone.clone() complete=complete/> }.into_any()
        } else {
            view! { <MethodPicker/> }.into_any()
        })
    }
}

#[component]
fn MethodPicker() -> impl IntoView {
    let href = move |method: &str| {
        let location = use_nav();
        let redirect = carried_redirect().get_untracked();
        with_redirect_url(
            &format!("{}?method={method}", location.pathname.get_untracked()),
            safe_redirect(&redirect).as_deref(),
        )
    };
    view! {
        <h1>"Set up two-step verification"</h1>
        <p>"Choose how you will prove it's you when you sign in."</p>
        <ul class="choices">
            <li><a class="button" href=href("totp")>"Authenticator app"</a></li>
            <li><a class="button" href=href("sms")>"SMS code"</a></li>
        </ul>
    }
}

#[component]
fn TotpStep(
    setup: crate::domain::snapshot::MfaSetupView,
    complete: Option<String>,
) -> impl IntoView {
    let action = flow_action::<MfaTotp>();
    verify_on_page(action);
    let qr = setup
        .totp_qr_png_base64
        .map(|b64| format!("data:image/png;base64,{b64}"));
    view! {
        <h1>"Set up two-step verification"</h1>
        <p>"Scan the QR code with your authenticator app, or enter the secret key by hand."</p>
        {qr.map(|src| view! { <img class="qr" src=src alt="QR code" width="200" height="200"/> })}
        <p>
            <span id="secret-key-label">"Secret key"</span>": "
            <code class="secret" aria-labelledby="secret-key-label">{setup.totp_secret.clone()}</code>
        </p>
        <FlowForm action=action>
            <Destination complete=complete/>
            <Field label="Verification code" name="code" autocomplete="one-time-code" required=true/>
            <FormAlert error=error_of(action)/>
            <button type="submit" class="primary">"Continue"</button>
        </FlowForm>
    }
}

#[component]
fn SmsStep(pending: Option<String>, complete: Option<String>) -> impl IntoView {
    let action = flow_action::<MfaPhone>();
    let verify = flow_action::<MfaPhoneCode>();
    verify_on_page(action);
    verify_on_page(verify);
    let code_step = pending.clone().map(|phone| {
        view! {
            <p>"We sent a code to " <strong>{phone}</strong> "."</p>
            <FlowForm action=verify>
                <Destination complete=complete.clone()/>
                <Field label="Verification code" name="code" autocomplete="one-time-code" required=true/>
                <FormAlert error=error_of(verify)/>
                <button type="submit" class="primary">"Continue"</button>
            </FlowForm>
        }
    });
    let phone_step = pending.is_none().then(|| {
        view! {
            <FlowForm action=action>
                <Field label="Phone number" name="phone" kind="tel" autocomplete="tel" required=true/>
                <FormAlert error=error_of(action)/>
                <button type="submit" class="primary">"Continue"</button>
            </FlowForm>
        }
    });
    view! {
        <h1>"Set up two-step verification"</h1>
        {phone_step}
        {code_step}
    }
}

#[component]
fn BackupCodes(codes: Vec<String>, complete: Option<String>) -> impl IntoView {
    let action = flow_action::<MfaDone>();
    view! {
        <h1>"Set up two-step verification"</h1>
        <p>"Save these backup codes somewhere safe. Each works once if you lose your device. They will not be shown again."</p>
        <ul class="backup-codes" aria-label="Backup codes">
            {codes.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}
        </ul>
        <FlowForm action=action>
            <Destination complete=complete/>
            <FormAlert error=error_of(action)/>
            <button type="submit" class="primary">"Continue"</button>
        </FlowForm>
    }
}

/// The hosted `/sign-in/tasks/<key>` page.
#[component]
pub fn HostedTask(key: TaskKey) -> impl IntoView {
    match key {
        TaskKey::ResetPassword => view! { <TaskResetPassword/> }.into_any(),
        TaskKey::SetupMfa => view! { <TaskSetupMfa/> }.into_any(),
        TaskKey::AcceptTerms => view! { <TaskAcceptTerms/> }.into_any(),
        TaskKey::ChooseOrganization => view! { <TaskChooseOrganization/> }.into_any(),
        TaskKey::Custom(key) => view! { <TaskCustom key=key/> }.into_any(),
    }
}
