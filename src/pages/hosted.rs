//! Islands mode for the hosted sign-in, sign-up and task pages, which keeps their bundles small
//! (README, "Architecture"). A server built with `hosted_islands(flows, tasks)` serves `/sign-in`
//! (and its steps) and `/sign-up` (and `/sign-up/verify-email-address`) with the flow as an island
//! ([`HostedIsland`]) loading only the `flows` bundle, and the task pages `/sign-in/tasks/<key>`
//! with the task as an island ([`HostedTaskIsland`]) loading only the `tasks` bundle — each far
//! smaller than the app's whole-page bundle. With `hosted_portal_island(portal)` the portal pages
//! (`/user`, `/user/verify`, `/organization`, `/organization/new`, `/invitation`) are one island
//! each, from the `portal` bundle. Every other page hydrates whole, as does any page the server was
//! not told to serve this way. A client-side navigation to a portal page renders it with the app's
//! bundle.

use super::account::AccountPage;
#[cfg(any(feature = "ssr", feature = "islands-portal"))]
use super::account::InitialAccount;
use super::organization::{InvitationPage, NewOrganizationPage, OrganizationPage};
use super::verify::VerifyPage;
use crate::components::islands::HostedFlow;
#[cfg(any(feature = "ssr", feature = "islands-portal"))]
use crate::components::islands::{island_frame, IslandPage};
#[cfg(feature = "ssr")]
use crate::components::islands::{HostedIsland, HostedTaskIsland};
#[cfg(not(all(
    feature = "no-hosted-flows",
    feature = "hydrate",
    not(any(feature = "ssr", feature = "islands"))
)))]
use crate::components::{SignIn, SignUp};
#[cfg(feature = "ssr")]
use crate::domain::guard::is_hosted_flow_path;
use crate::domain::snapshot::AccountView;
use leptos::config::LeptosOptions;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The server's islands setting, in the context of every page render: the names of the bundles
/// (`/pkg/<name>.js` and `.wasm`, builds of this crate's library with the `islands-flows`,
/// `islands-tasks` and `islands-portal` features); `None` where those pages hydrate whole.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostedIslands {
    /// For the sign-in steps and the sign-up pages.
    pub flows: Option<String>,
    /// For the task pages.
    pub tasks: Option<String>,
    /// For the portal pages (see [`PortalPage`]).
    pub portal: Option<String>,
}

/// What a portal island is handed besides the snapshot: its page, and — on the account page —
/// the account as the server loaded it for this render. (New backup codes are shown once: the
/// island shows these, and loads the account again only after a change it makes.)
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortalIsland {
    pub page: PortalPage,
    pub account: Option<AccountView>,
}

/// A page of the hosted portal, at its path in `VestibuleRoutes`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PortalPage {
    Account,
    Verify,
    Organization,
    NewOrganization,
    Invitation,
}

impl PortalPage {
    /// Which portal page `path` is, if any.
    pub fn of_path(path: &str) -> Option<Self> {
        Some(match path {
            "/user" => Self::Account,
            "/user/verify" => Self::Verify,
            "/organization" => Self::Organization,
            "/organization/new" => Self::NewOrganization,
            "/invitation" => Self::Invitation,
            _ => return None,
        })
    }

    fn view(self) -> AnyView {
        match self {
            Self::Account => view! { <AccountPage/> }.into_any(),
            Self::Verify => view! { <VerifyPage/> }.into_any(),
            Self::Organization => view! { <OrganizationPage/> }.into_any(),
            Self::NewOrganization => view! { <NewOrganizationPage/> }.into_any(),
            Self::Invitation => view! { <InvitationPage/> }.into_any(),
        }
    }
}

/// Whether `path` is a hosted task page (its island comes from the tasks bundle).
#[cfg(feature = "ssr")]
fn is_task_path(path: &str) -> bool {
    path.starts_with("/sign-in/tasks/")
}

/// The islands bundle, when this render is of a hosted flow or portal page in islands mode.
fn islands_here() -> Option<String> {
    #[cfg(feature = "ssr")]
    {
        let islands = use_context::<HostedIslands>()?;
        let parts = use_context::<http::request::Parts>()?;
        let path = parts.uri.path();
        if is_hosted_flow_path(path) {
            if is_task_path(path) {
                islands.tasks
            } else {
                islands.flows
            }
        } else if PortalPage::of_path(path).is_some() {
            islands.portal
        } else {
            None
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
        return island_page(async move { flow }, |page| {
            if is_task_path(&page.path) {
                view! { <HostedTaskIsland page=page/> }.into_any()
            } else {
                view! { <HostedIsland page=page/> }.into_any()
            }
        });
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

/// What the server hands an island on this page (see [`IslandPage`]), rendered by `render`
/// once the snapshot is there — once: the island's page may load data that is shown only once
/// (new backup codes), so its view is never built twice in a render.
#[cfg(feature = "ssr")]
fn island_page<W: Send + 'static>(
    which: impl std::future::Future<Output = W> + Send + 'static,
    render: impl FnOnce(IslandPage<W>) -> AnyView + Send + 'static,
) -> AnyView {
    let ctx = crate::components::use_auth_context();
    let location = leptos_router::hooks::use_location();
    let (path, search) = (
        location.pathname.get_untracked(),
        location.search.get_untracked(),
    );
    Suspend::new(async move {
        let snapshot = ctx.loaded().await?;
        let urls = untrack(|| ctx.urls());
        Some(render(IslandPage {
            which: which.await,
            snapshot,
            urls,
            path,
            search,
        }))
    })
    .into_any()
}

/// A hosted portal page: an island in islands mode (rendered on the server only: the browser
/// hydrates it from the portal bundle), else the page itself.
#[component]
pub(super) fn HostedPortalPage(page: PortalPage) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if islands_here().is_some() {
        let which = async move {
            let account = match page {
                PortalPage::Account => crate::api::get_account().await.ok(),
                _ => None,
            };
            PortalIsland { page, account }
        };
        return island_page(which, |page| {
            view! { <HostedPortalIsland page=page/> }.into_any()
        });
    }
    page.view()
}

/// A portal page as an island (the `vestibule_portal` bundle: `islands-portal`). Its data
/// (the account, the organization) loads in the island, which the server renders with it.
#[cfg(any(feature = "ssr", feature = "islands-portal"))]
#[island]
pub fn HostedPortalIsland(page: IslandPage<PortalIsland>) -> impl IntoView {
    let PortalIsland {
        page: which,
        account,
    } = page.which.clone();
    island_frame(page, move || {
        if let Some(account) = account {
            provide_context(InitialAccount(account));
        }
        view! { <Suspense fallback=|| ()>{which.view()}</Suspense> }.into_any()
    })
}

#[cfg(test)]
mod tests {
    use super::PortalPage;

    #[test]
    fn portal_pages_are_the_route_groups_paths_only() {
        assert_eq!(PortalPage::of_path("/user"), Some(PortalPage::Account));
        assert_eq!(
            PortalPage::of_path("/user/verify"),
            Some(PortalPage::Verify)
        );
        assert_eq!(
            PortalPage::of_path("/organization"),
            Some(PortalPage::Organization)
        );
        assert_eq!(
            PortalPage::of_path("/organization/new"),
            Some(PortalPage::NewOrganization)
        );
        assert_eq!(
            PortalPage::of_path("/invitation"),
            Some(PortalPage::Invitation)
        );
        for other in [
            "/",
            "/user/",
            "/users",
            "/user/other",
            "/dashboard",
            "/sign-in",
        ] {
            assert_eq!(PortalPage::of_path(other), None, "{other}");
        }
    }
}
