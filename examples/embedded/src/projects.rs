//! `/projects`: a protected page of the app. The route is protected before rendering (the server
//! builder's `protect`), and its server function checks the session itself with
//! `vestibule::api::auth()` — the router guard is only navigation.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use vestibule::domain::errors::FlowError;

/// What `/projects` shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectList {
    pub user_id: String,
    pub organization: Option<String>,
    pub role: Option<String>,
    pub projects: Vec<String>,
}

/// The signed-in user's projects: those of the active organization. A pending session is signed
/// out here (`require(true)`), so a task cannot be skipped by calling this directly.
#[server(prefix = "/api", endpoint = "example/projects")]
pub async fn list_projects() -> Result<ProjectList, FlowError> {
    // Signed in and active, or `unauthenticated` with HTTP 401.
    let me = vestibule::api::require_auth(true).await?;
    let organization = me.org_slug.clone();
    let projects = match &organization {
        Some(slug) => vec![format!("{slug} website"), format!("{slug} mobile app")],
        None => Vec::new(),
    };
    Ok(ProjectList {
        user_id: me.user_id.clone().unwrap_or_default(),
        organization,
        role: me.org_role.clone(),
        projects,
    })
}

#[component]
pub fn ProjectsPage() -> impl IntoView {
    let list = Resource::new(|| (), |_| list_projects());
    view! {
        <h1>"Projects"</h1>
        {move || list.get().map(|r| match r {
            Ok(list) => view! {
                <dl>
                    <dt>"User ID"</dt><dd>{list.user_id}</dd>
                    <dt>"Organization"</dt><dd>{list.organization.unwrap_or_else(|| "None".into())}</dd>
                    <dt>"Role"</dt><dd>{list.role.unwrap_or_else(|| "None".into())}</dd>
                </dl>
                <ul aria-label="Your projects">
                    {list.projects.into_iter().map(|p| view! { <li>{p}</li> }).collect_view()}
                </ul>
            }
            .into_any(),
            Err(e) => view! { <p role="alert">{e.sentence()}</p> }.into_any(),
        })}
    }
}
