//! The bundled demo app (feature `demo`): its document, its route table around Vestibule's route
//! group, its own pages, and how it builds the server — the same public API any app uses.

pub mod app_task;
pub mod pages;

use crate::components::auth_provider::AuthLoaded;
use crate::components::{AuthGuard, AuthProvider, NotFound};
use crate::pages::{apply_page_csp, VestibuleHydrationScripts, VestibuleRoutes};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, SsrMode};
use pages::{AdminPage, DashboardPage, HomePage, OnboardingPage};

/// The demo's after-sign-in URL.
pub const AFTER_SIGN_IN_URL: &str = "/dashboard";

/// The HTML document.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    apply_page_csp();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <AutoReload options=options.clone()/>
                <VestibuleHydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    view! {
        <Stylesheet id="leptos" href="/pkg/vestibule.css"/>
        <Title text="Vestibule"/>
        <AuthProvider after_sign_in_url=AFTER_SIGN_IN_URL after_sign_out_url="/">
            <Router>
                <AuthGuard/>
                <div id="app" data-hydrated=move || hydrated.get().to_string()>
                    <main class="card">
                        <Routes fallback=NotFound>
                            <Route path=path!("/") view=|| view! { <AuthLoaded><HomePage/></AuthLoaded> } ssr=SsrMode::Async/>
                            <Route path=path!("/dashboard") view=|| view! { <AuthLoaded><DashboardPage/></AuthLoaded> } ssr=SsrMode::Async/>
                            <Route path=path!("/onboarding/:key") view=|| view! { <AuthLoaded><OnboardingPage/></AuthLoaded> } ssr=SsrMode::Async/>
                            <Route path=path!("/admin") view=|| view! { <AuthLoaded><AdminPage/></AuthLoaded> } ssr=SsrMode::Async/>
                            <VestibuleRoutes/>
                        </Routes>
                    </main>
                </div>
            </Router>
        </AuthProvider>
    }
}

/// The demo server: Vestibule's builder with the demo's URLs and its admin page. `main.rs` and the
/// integration tests build through it.
#[cfg(feature = "ssr")]
pub fn builder() -> crate::server::VestibuleBuilder {
    crate::server::Vestibule::builder()
        .urls(crate::domain::guard::AuthUrls {
            after_sign_in_url: AFTER_SIGN_IN_URL.into(),
            after_sign_out_url: "/".into(),
            ..Default::default()
        })
        .require_role("/admin", crate::domain::organization::ROLE_ADMIN)
        .hosted_islands(FLOWS_BUNDLE, TASKS_BUNDLE)
        .hosted_portal_island(PORTAL_BUNDLE)
}

/// The islands bundles the hosted sign-in and sign-up pages, and the task pages, load
/// (`make build` builds them with `scripts/build-islands.sh`).
pub const FLOWS_BUNDLE: &str = "vestibule_islands";
pub const TASKS_BUNDLE: &str = "vestibule_tasks";
/// The islands bundle the portal pages load (`scripts/build-islands.sh` builds it too).
pub const PORTAL_BUNDLE: &str = "vestibule_portal";
