//! `<VestibuleRoutes/>`: the hosted pages as a route group an app places inside its own
//! `<Routes>` — the sign-in and sign-up steps, the task pages, the account portal, the
//! organization pages and the invitation landing. Each page waits for the client snapshot on the
//! server (`SsrMode::Async`), so it renders completely without JavaScript. The sign-in and
//! sign-up paths here are `domain::guard::is_hosted_flow_path`'s.

use super::hosted::{HostedFlowPage, HostedPortalPage, PortalPage};
use crate::components::auth_provider::AuthLoaded;
use crate::components::islands::HostedFlow;
use leptos::prelude::*;
use leptos_router::any_nested_route::IntoAnyNestedRoute;
use leptos_router::components::Route;
use leptos_router::{path, SsrMode};

/// The hosted pages at their default paths: `/sign-in` (and its steps and
/// `/sign-in/tasks/<key>`), `/sign-up` (and `/sign-up/verify-email-address`), `/user` (and `/user/verify`),
/// `/organization`, `/organization/new` and `/invitation`. An app that signs in at other paths
/// mounts `SignIn` / `SignUp` there itself (with the same URLs given to its `AuthProvider` and
/// the server builder).
#[component(transparent)]
pub fn VestibuleRoutes() -> impl leptos_router::MatchNestedRoutes + Clone {
    view! {
        <Route path=path!("/sign-in") view=|| view! { <AuthLoaded><HostedFlowPage flow=HostedFlow::SignIn/></AuthLoaded> } ssr=SsrMode::Async/>
        <Route path=path!("/sign-in/:step") view=|| view! { <AuthLoaded><HostedFlowPage flow=HostedFlow::SignIn/></AuthLoaded> } ssr=SsrMode::Async/>
        <Route path=path!("/sign-in/tasks/:key") view=|| view! { <AuthLoaded><HostedFlowPage flow=HostedFlow::SignIn/></AuthLoaded> } ssr=SsrMode::Async/>
        <Route path=path!("/sign-up") view=|| view! { <AuthLoaded><HostedFlowPage flow=HostedFlow::SignUp/></AuthLoaded> } ssr=SsrMode::Async/>
        <Route path=path!("/sign-up/verify-email-address") view=|| view! { <AuthLoaded><HostedFlowPage flow=HostedFlow::SignUp/></AuthLoaded> } ssr=SsrMode::Async/>
        <Route path=path!("/user") view=|| view! { <AuthLoaded><HostedPortalPage page=PortalPage::Account/></AuthLoaded> } ssr=SsrMode::Async/>
        <Route path=path!("/user/verify") view=|| view! { <AuthLoaded><HostedPortalPage page=PortalPage::Verify/></AuthLoaded> } ssr=SsrMode::Async/>
        <Route path=path!("/organization") view=|| view! { <AuthLoaded><HostedPortalPage page=PortalPage::Organization/></AuthLoaded> } ssr=SsrMode::Async/>
        <Route path=path!("/organization/new") view=|| view! { <AuthLoaded><HostedPortalPage page=PortalPage::NewOrganization/></AuthLoaded> } ssr=SsrMode::Async/>
        <Route path=path!("/invitation") view=|| view! { <AuthLoaded><HostedPortalPage page=PortalPage::Invitation/></AuthLoaded> } ssr=SsrMode::Async/>
    }
    .into_inner()
    // One route value either way: with `--cfg erase_components` a transparent component must
    // return `AnyNestedRoute`.
    .into_any_nested_route()
}
