//! The shell, and the demo app: `AuthProvider` around the `Router`, the guard, the route table.

use crate::components::auth_provider::AuthLoaded;
use crate::components::sign_in::SignIn;
use crate::components::sign_up::SignUp;
use crate::components::{AuthGuard, AuthProvider};
use crate::pages::account::AccountPage;
use crate::pages::organization::{InvitationPage, NewOrganizationPage, OrganizationPage};
use crate::pages::{AdminPage, DashboardPage, HomePage, NotFoundPage, OnboardingPage};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, SsrMode};

/// The HTML document. On the server it also sets the page's CSP with this response's nonce.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let (Some(nonce), Some(res)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) {
        if let Ok(v) =
            http::HeaderValue::from_str(&crate::server::http::page_csp(&nonce.to_string()))
        {
            res.insert_header(http::header::CONTENT_SECURITY_POLICY, v);
        }
    }
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
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
        <AuthProvider after_sign_in_url="/dashboard" after_sign_out_url="/">
            <Router>
                <AuthGuard/>
                <div id="app" data-hydrated=move || hydrated.get().to_string()>
                    <main class="card">
                        <Routes fallback=NotFoundPage>
                            <Route path=path!("/") view=|| view! { <AuthLoaded><HomePage/></AuthLoaded> } ssr=SsrMode::Async/>
                            <Route path=path!("/dashboard") view=|| view! { <AuthLoaded><DashboardPage/></AuthLoaded> } ssr=SsrMode::Async/>
                            <Route path=path!("/sign-in") view=|| view! { <AuthLoaded><SignIn/></AuthLoaded> } ssr=SsrMode::Async/>
                            <Route path=path!("/sign-in/:step") view=|| view! { <AuthLoaded><SignIn/></AuthLoaded> } ssr=SsrMode::Async/>
                            <Route path=path!("/sign-in/tasks/:key") view=|| view! { <AuthLoaded><SignIn/></AuthLoaded> } ssr=SsrMode::Async/>
                            <Route path=path!("/onboarding/:key") view=|| view! { <AuthLoaded><OnboardingPage/></AuthLoaded> } ssr=SsrMode::Async/>
                            <Route path=path!("/user") view=|| view! { <AuthLoaded><AccountPage/></AuthLoaded> } ssr=SsrMode::Async/>
                            <Route path=path!("/organization") view=|| view! { <AuthLoaded><OrganizationPage/></AuthLoaded> } ssr=SsrMode::Async/>
                            <Route path=path!("/organization/new") view=|| view! { <AuthLoaded><NewOrganizationPage/></AuthLoaded> } ssr=SsrMode::Async/>
                            <Route path=path!("/invitation") view=|| view! { <AuthLoaded><InvitationPage/></AuthLoaded> } ssr=SsrMode::Async/>
                            <Route path=path!("/admin") view=|| view! { <AuthLoaded><AdminPage/></AuthLoaded> } ssr=SsrMode::Async/>
                            <Route path=path!("/sign-up") view=|| view! { <AuthLoaded><SignUp/></AuthLoaded> } ssr=SsrMode::Async/>
                            <Route path=path!("/sign-up/verify-email-address") view=|| view! { <AuthLoaded><SignUp/></AuthLoaded> } ssr=SsrMode::Async/>
                        </Routes>
                    </main>
                </div>
            </Router>
        </AuthProvider>
    }
}
