//! The tasks beyond the built-in three (README, "Custom tasks"): `TaskAcceptTerms` (the terms
//! changed since the user accepted them) and `TaskCustom`, the hosted page of an app-defined task —
//! its title, its description and "Continue". Like the others, each renders only while its task is
//! the current one.

use super::auth_provider::use_auth_context;
use super::forms::{error_of, flow_action, FlowForm, FormAlert};
use super::task_gate::{Destination, TaskGate};
use super::vestibule::{FinalizeNavigate, NavigateArgs};
use crate::api::{Activate, TaskAcceptTerms as AcceptTermsFn, TaskComplete};
use crate::domain::session::TaskKey;
use leptos::prelude::*;

/// The `accept-terms` task.
#[component]
pub fn TaskAcceptTerms(
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
        <TaskGate key=TaskKey::AcceptTerms complete=redirect_url_complete>
            <AcceptTermsForm complete=complete.clone()/>
        </TaskGate>
    }
}

#[component]
fn AcceptTermsForm(complete: Option<String>) -> impl IntoView {
    let action = flow_action::<AcceptTermsFn>();
    view! {
        <h1>"Accept the updated terms"</h1>
        <p>"The Terms of Service and Privacy Policy have changed. Accept them to continue."</p>
        <FlowForm action=action>
            <Destination complete=complete/>
            <div class="check">
                <input id="terms-accepted" type="checkbox" name="legal_accepted" value="true"/>
                <label for="terms-accepted">"I agree to the Terms of Service and Privacy Policy"</label>
            </div>
            <FormAlert error=error_of(action)/>
            <button type="submit" class="primary">"Continue"</button>
        </FlowForm>
    }
}

/// The hosted page of an app-defined task: the configured title as the heading, the description,
/// and "Continue", which completes the task.
#[component]
pub fn TaskCustom(
    /// The task's key, as configured in `[[tasks.custom]]`.
    #[prop(into)]
    key: String,
    #[prop(optional, into)] redirect_url_complete: Option<String>,
    /// Called instead of the default navigation once the flow ends with an active session.
    #[prop(optional)]
    navigate: Option<Callback<NavigateArgs>>,
) -> impl IntoView {
    if let Some(cb) = navigate {
        provide_context(FinalizeNavigate(cb));
    }
    let complete = redirect_url_complete.clone();
    let task = TaskKey::Custom(key.clone());
    view! {
        <TaskGate key=task complete=redirect_url_complete>
            <CustomTaskForm key=key.clone() complete=complete.clone()/>
        </TaskGate>
    }
}

#[component]
fn CustomTaskForm(key: String, complete: Option<String>) -> impl IntoView {
    let ctx = use_auth_context();
    let action = flow_action::<TaskComplete>();
    let definition = {
        let key = key.clone();
        move || {
            ctx.snapshot()
                .and_then(|s| s.env.custom_tasks.into_iter().find(|t| t.key == key))
        }
    };
    let title = {
        let definition = definition.clone();
        move || definition().map(|t| t.title).unwrap_or_default()
    };
    let description = move || {
        definition()
            .and_then(|t| t.description)
            .map(|d| view! { <p>{d}</p> })
    };
    view! {
        <h1>{title}</h1>
        {description}
        <FlowForm action=action>
            <input type="hidden" name="key" value=key/>
            <Destination complete=complete/>
            <FormAlert error=error_of(action)/>
            <button type="submit" class="primary">"Continue"</button>
        </FlowForm>
    }
}

/// Under `setup-mfa` owed to an organization that requires a second factor: the member may go on
/// in another organization or the personal account instead (README, "Custom tasks") — they are
/// never locked out of the others. Renders nothing otherwise.
#[component]
pub(crate) fn SwitchAwayFromStrictOrganization(complete: Option<String>) -> impl IntoView {
    let ctx = use_auth_context();
    let action = flow_action::<Activate>();
    move || {
        let snap = ctx.snapshot()?;
        let personal = snap.env.allow_personal_accounts;
        let session = snap.active_session()?.clone();
        let strict = session.organization.filter(|o| o.require_mfa)?;
        let others: Vec<_> = session
            .memberships
            .into_iter()
            .filter(|m| m.id != strict.id)
            .collect();
        let complete = complete.clone();
        let choices = (personal || !others.is_empty()).then(|| {
            let complete_personal = complete.clone();
            view! {
                <p>"Or continue somewhere else:"</p>
                <ul class="choices">
                    {others
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
                    {personal.then(|| view! {
                        <li>
                            <FlowForm action=action>
                                <Destination complete=complete_personal/>
                                <input type="hidden" name="personal" value="true"/>
                                <button type="submit" class="choice">"Personal account"</button>
                            </FlowForm>
                        </li>
                    })}
                </ul>
                <FormAlert error=error_of(action)/>
            }
        });
        Some(view! {
            <section class="switch-away">
                <p>{format!("{} requires two-step verification for its members.", strict.name)}</p>
                {choices}
            </section>
        })
    }
}
