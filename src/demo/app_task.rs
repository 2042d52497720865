//! An app-defined task page of the demo's own (SPEC §4.4): `/onboarding/<key>` for a custom task
//! renders the app's page, whose form calls the app's own server function, which completes the
//! task through `vestibule::api::complete_task` — what any app writes for a task with its own UI.

use crate::api::AuthResult;
use crate::components::auth_provider::use_auth_context;
use crate::components::forms::{error_of, flow_action, FlowForm, FormAlert};
use crate::components::TaskGate;
use crate::domain::errors::FlowError;
use crate::domain::session::TaskKey;
use leptos::prelude::*;

/// The demo's own server function: whatever the app records first (nothing, here), then the
/// task is completed for the caller's session — refused unless it is its current task.
#[server(prefix = "/api", endpoint = "demo/finish_task", output = crate::api::JsonText)]
pub async fn demo_finish_task(key: String) -> Result<AuthResult, FlowError> {
    crate::api::complete_task(&key).await
}

/// The app's page for the custom task `key`.
#[component]
pub fn AppTaskPage(key: String) -> impl IntoView {
    view! {
        <TaskGate key=TaskKey::Custom(key.clone()) complete=Some("/dashboard".to_string())>
            <AppTaskForm key=key.clone()/>
        </TaskGate>
    }
}

#[component]
fn AppTaskForm(key: String) -> impl IntoView {
    let ctx = use_auth_context();
    let action = flow_action::<DemoFinishTask>();
    let title = {
        let key = key.clone();
        move || {
            ctx.snapshot()
                .and_then(|s| s.env.custom_tasks.into_iter().find(|t| t.key == key))
                .map(|t| t.title)
                .unwrap_or_default()
        }
    };
    view! {
        <h1>{title}</h1>
        <p>"This page belongs to the app: its form calls the app's own server function."</p>
        <FlowForm action=action>
            <input type="hidden" name="key" value=key/>
            <FormAlert error=error_of(action)/>
            <button type="submit" class="primary">"Continue"</button>
        </FlowForm>
    }
}
