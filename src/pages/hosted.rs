//! Islands mode for the hosted sign-in, sign-up and task pages (issue 14). A server built with
//! `hosted_islands(flows, tasks)` serves `/sign-in` (and its steps) and `/sign-up` (and
//! `/sign-up/verify-email-address`) with the flow as an island ([`HostedIsland`]) loading only
//! the `flows` bundle, and the task pages `/sign-in/tasks/<key>` with the task as an island
//! ([`HostedTaskIsland`]) loading only the `tasks` bundle — each a few hundred KB less than the
//! app's whole-page bundle. Every other page hydrates whole, as does any page when the server was
//! built without it.

use crate::components::islands::HostedFlow;
#[cfg(feature = "ssr")]
use crate::components::islands::{HostedIsland, HostedTaskIsland, IslandPage};
#[cfg(not(all(
    feature = "no-hosted-flows",
    feature = "hydrate",
    not(any(feature = "ssr", feature = "islands"))
)))]
use crate::components::{SignIn, SignUp};
#[cfg(feature = "ssr")]
use crate::domain::guard::is_hosted_flow_path;
use leptos::config::LeptosOptions;
use leptos::prelude::*;

/// The server's islands setting, in the context of every page render: the names of the two
/// bundles (`/pkg/<name>.js` and `.wasm`, builds of this crate's library with the
/// `islands-flows` and `islands-tasks` features).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostedIslands {
    /// For the sign-in steps and the sign-up pages.
    pub flows: String,
    /// For the task pages.
    pub tasks: String,
}

/// Whether `path` is a hosted task page (its island comes from the tasks bundle).
#[cfg(feature = "ssr")]
fn is_task_path(path: &str) -> bool {
    path.starts_with("/sign-in/tasks/")
}

/// The islands bundle, when this render is of a hosted flow page in islands mode.
fn islands_here() -> Option<String> {
    #[cfg(feature = "ssr")]
    {
        let islands = use_context::<HostedIslands>()?;
        let parts = use_context::<http::request::Parts>()?;
        let path = parts.uri.path();
        if !is_hosted_flow_path(path) {
            None
        } else if is_task_path(path) {
            Some(islands.tasks)
        } else {
            Some(islands.flows)
        }
    }
    #[cfg(not(feature = "ssr"))]
    None
}

/// The document's hydration scripts, for the app's `shell` in place of Leptos's
/// `HydrationScripts`: an islands bundle on a hosted flow page in islands mode, the app's own
/// bundle everywhere else.
#[component]
pub fn VestibuleHydrationScripts(options: LeptosOptions) -> impl IntoView {
    match islands_here() {
        Some(bundle) => {
            let mut options = options;
            options.output_name = bundle.into();
            view! { <HydrationScripts options islands=true/> }.into_any()
        }
        None => view! { <HydrationScripts options/> }.into_any(),
    }
}

/// A hosted flow page: the flow (or the task) as an island in islands mode (rendered on the
/// server only: the browser hydrates the island from its bundle), else the component itself. In
/// an app bundle built with `no-hosted-flows` (for a server in islands mode), a client-side
/// navigation here loads the page from the server.
#[component]
pub(super) fn HostedFlowPage(flow: HostedFlow) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if islands_here().is_some() {
        let ctx = crate::components::use_auth_context();
        let location = leptos_router::hooks::use_location();
        return (move || {
            ctx.snapshot().map(|snapshot| {
                let path = location.pathname.get();
                let task = is_task_path(&path);
                let page = IslandPage {
                    flow,
                    snapshot,
                    urls: ctx.urls(),
                    path,
                    search: location.search.get(),
                };
                if task {
                    view! { <HostedTaskIsland page=page/> }.into_any()
                } else {
                    view! { <HostedIsland page=page/> }.into_any()
                }
            })
        })
        .into_any();
    }
    #[cfg(all(
        feature = "no-hosted-flows",
        feature = "hydrate",
        not(any(feature = "ssr", feature = "islands"))
    ))]
    {
        let _ = flow;
        crate::components::nav::load_from_server()
    }
    #[cfg(not(all(
        feature = "no-hosted-flows",
        feature = "hydrate",
        not(any(feature = "ssr", feature = "islands"))
    )))]
    match flow {
        HostedFlow::SignIn => view! { <SignIn/> }.into_any(),
        HostedFlow::SignUp => view! { <SignUp/> }.into_any(),
    }
}
