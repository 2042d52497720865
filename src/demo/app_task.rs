//! An app-defined task page of the demo's own (README, "Custom tasks"): `/onboarding/<key>` for a
//! custom task renders the app's page, whose form calls the app's own server function, which
//! completes the task through `vestibule::api::complete_task` — what any app writes for a task with
//! its own UI.

use crate::api::AuthResult;
use crate::components::auth_provider::use_auth_context;
use crate::components::forms::{error_of, flow_action, FlowForm, FormAlert};
use crate::components::TaskGate;
use crate::domain::errors::FlowError;
use crate::domain::session::TaskKey;
use leptos::prelude::*;

/// The demo's own server function: whatever the app records first (nothing, here), then the
/// caller's current task is completed — only when it is one whose page is this one. Which task
/// is the server's to say, never the form's: a handler that took the key from the client would
/// complete another page's task without whatever that page asks for.
#[server(prefix = "/api", endpoint = "demo/finish_task", output = crate::api::JsonText)]
pub async fn demo_finish_task() -> Result<AuthResult, FlowError> {
    // Where the demo's own task pages are: `/onboarding/<key>`.
    const ONBOARDING: &str = "/onboarding";
    let snapshot = crate::api::get_client_snapshot().await?;
    let key = snapshot
        .active_session()
        .and_then(|s| s.current_task())
        .filter(|k| {
            k.is_custom() && snapshot.env.urls.task_url(k) == format!("{ONBOARDING}/{}", k.as_str())
        })
        .ok_or(FlowError::new(crate::domain::errors::ErrorCode::Forbidden))
        .inspect_err(crate::api::set_status)?;
    crate::api::complete_task(key.as_str()).await
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
            <FormAlert error=error_of(action)/>
            <button type="submit" class="primary">"Continue"</button>
        </FlowForm>
    }
}
