//! The app's document, layout and route table. Vestibule's `AuthProvider` wraps the router, its
//! guard runs on every navigation, and `<VestibuleRoutes/>` mounts the hosted sign-in, sign-up,
//! task, account and organization pages inside this app's own `<main>`.

use crate::projects::ProjectsPage;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, SsrMode};
use std::collections::BTreeMap;
use vestibule::components::{
    AuthGuard, AuthLoaded, AuthProvider, NotFound, OrganizationSwitcher, Show,
    TaskChooseOrganization, UserButton, When,
};
use vestibule::domain::guard::AuthUrls;
use vestibule::pages::{apply_page_csp, VestibuleRoutes};

/// Where a signed-in user lands.
pub const AFTER_SIGN_IN_URL: &str = "/projects";
/// This app's own page for the `choose-organization` task.
pub const CHOOSE_ORGANIZATION_URL: &str = "/welcome/organization";

/// The app's URLs: given to its `AuthProvider` here and to the server builder in `main.rs`, so
/// redirects without JavaScript and navigations with it agree.
pub fn urls() -> AuthUrls {
    AuthUrls {
        after_sign_in_url: AFTER_SIGN_IN_URL.into(),
        after_sign_out_url: "/".into(),
        task_urls: task_urls(),
        ..Default::default()
    }
}

fn task_urls() -> BTreeMap<String, String> {
    BTreeMap::from([(
        "choose-organization".to_string(),
        CHOOSE_ORGANIZATION_URL.to_string(),
    )])
}

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
        <Title text="Acme Projects"/>
        <AuthProvider task_urls=task_urls() after_sign_in_url=AFTER_SIGN_IN_URL after_sign_out_url="/">
            <Router>
                <AuthGuard/>
                <div id="app" data-hydrated=move || hydrated.get().to_string()>
                    <header class="topbar">
                        <a class="brand" href="/">"Acme Projects"</a>
                        <a href=AFTER_SIGN_IN_URL>"Projects"</a>
                        <AuthLoaded>
                            <Show when=When::SignedIn fallback=|| view! { <a href="/sign-in">"Sign in"</a> }>
                                <OrganizationSwitcher/>
                                <UserButton/>
                            </Show>
                        </AuthLoaded>
                    </header>
                    <main class="content">
                        <Routes fallback=NotFound>
                            <Route path=path!("/") view=|| view! { <AuthLoaded><Landing/></AuthLoaded> } ssr=SsrMode::Async/>
                            <Route path=path!("/projects") view=|| view! { <AuthLoaded><ProjectsPage/></AuthLoaded> } ssr=SsrMode::Async/>
                            <Route
                                path=path!("/welcome/organization")
                                view=|| view! {
                                    <AuthLoaded>
                                        <p class="welcome">"Welcome to Acme Projects! One more step."</p>
                                        <TaskChooseOrganization redirect_url_complete=AFTER_SIGN_IN_URL/>
                                    </AuthLoaded>
                                }
                                ssr=SsrMode::Async
                            />
                            <VestibuleRoutes/>
                        </Routes>
                    </main>
                </div>
            </Router>
        </AuthProvider>
    }
}

/// `/`: the public landing page.
#[component]
fn Landing() -> impl IntoView {
    view! {
        <h1>"Acme Projects"</h1>
        <p>"Plan your projects with your team."</p>
        <Show when=When::SignedIn fallback=|| view! {
            <p><a href="/sign-up">"Create an account"</a> " or " <a href="/sign-in">"sign in"</a></p>
        }>
            <p><a href=AFTER_SIGN_IN_URL>"Open your projects"</a></p>
        </Show>
    }
}
