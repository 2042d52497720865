//! `AuthProvider`: the client snapshot, rendered on the server and hydrated without a
//! second fetch, refreshed by every auth mutation; `use_auth()`; and the router-level guard.

use crate::api::get_client_snapshot;
use crate::domain::guard::{decide, AuthUrls, Visitor};
use crate::domain::snapshot::{AuthView, ClientSnapshot};
use leptos::prelude::*;
use leptos_router::hooks::use_location;
use std::collections::BTreeMap;

/// What the provider shares with every component below it.
#[derive(Clone, Copy)]
pub struct AuthContext {
    /// Where the snapshot comes from (none in a hosted island, which is given it).
    resource: Option<Resource<Result<ClientSnapshot, crate::domain::errors::FlowError>>>,
    latest: RwSignal<Option<ClientSnapshot>>,
    urls: StoredValue<UrlProps>,
}

/// The URLs an `AuthProvider` was given; the rest come from the server (the same builder
/// settings that decide its redirects).
#[derive(Clone, Debug, Default)]
struct UrlProps {
    task_urls: Option<BTreeMap<String, String>>,
    sign_in_url: Option<String>,
    sign_up_url: Option<String>,
    after_sign_in_url: Option<String>,
    after_sign_out_url: Option<String>,
}

impl AuthContext {
    /// The current snapshot (`None` while loading).
    pub fn snapshot(&self) -> Option<ClientSnapshot> {
        self.latest
            .get()
            .or_else(|| self.resource.and_then(|r| r.get()).and_then(Result::ok))
    }

    /// The snapshot once it has loaded (`None` if it could not be), for a server-side render that
    /// must build its view once, with it.
    #[cfg(feature = "ssr")]
    pub(crate) async fn loaded(&self) -> Option<ClientSnapshot> {
        if let Some(snapshot) = self.latest.get_untracked() {
            return Some(snapshot);
        }
        self.resource?.await.ok()
    }

    /// A context holding `snapshot` and resolved `urls` (what a hosted island is given by the
    /// page's provider), refreshed only by the answers of the island's own mutations.
    pub(crate) fn fixed(snapshot: ClientSnapshot, urls: AuthUrls) -> Self {
        let props = UrlProps {
            task_urls: Some(urls.task_urls),
            sign_in_url: Some(urls.sign_in_url),
            sign_up_url: Some(urls.sign_up_url),
            after_sign_in_url: Some(urls.after_sign_in_url),
            after_sign_out_url: Some(urls.after_sign_out_url),
        };
        Self {
            resource: None,
            latest: RwSignal::new(Some(snapshot)),
            urls: StoredValue::new(props),
        }
    }

    /// Replaces the snapshot after a mutation answered with a fresh one.
    pub fn set_snapshot(&self, snapshot: ClientSnapshot) {
        self.latest.set(Some(snapshot));
    }

    /// The provider's URLs: each prop it was given, else the server's.
    pub fn urls(&self) -> AuthUrls {
        let props = self.urls.get_value();
        let mut urls = self.snapshot().map(|s| s.env.urls).unwrap_or_default();
        if let Some(t) = props.task_urls {
            urls.task_urls = t;
        }
        for (value, slot) in [
            (props.sign_in_url, &mut urls.sign_in_url),
            (props.sign_up_url, &mut urls.sign_up_url),
            (props.after_sign_in_url, &mut urls.after_sign_in_url),
            (props.after_sign_out_url, &mut urls.after_sign_out_url),
        ] {
            if let Some(v) = value {
                *slot = v;
            }
        }
        urls
    }

    pub fn is_loaded(&self) -> bool {
        self.snapshot().is_some()
    }
}

pub fn use_auth_context() -> AuthContext {
    expect_context::<AuthContext>()
}

/// `use_auth()`: the active session as checks see it, a pending session signed out by default.
pub fn use_auth() -> Signal<AuthView> {
    use_auth_with(true)
}

/// `use_auth()` with an explicit `treat_pending_as_signed_out`.
pub fn use_auth_with(treat_pending_as_signed_out: bool) -> Signal<AuthView> {
    let ctx = use_auth_context();
    Signal::derive(move || {
        let snap = ctx.snapshot();
        AuthView::of(
            snap.as_ref().and_then(|s| s.active_session()),
            treat_pending_as_signed_out,
        )
    })
}

/// Wraps the `Router`. Props: `sign_in_url`, `sign_up_url`, `after_sign_in_url`,
/// `after_sign_out_url` and `task_urls` (defaults `/sign-in`, `/sign-up`, `/`, `/`, no task URLs);
/// a prop left out takes the server's value, so the server builder's `urls` need not be repeated
/// here.
#[component]
pub fn AuthProvider(
    #[prop(optional)] task_urls: Option<BTreeMap<String, String>>,
    #[prop(optional, into)] sign_in_url: Option<String>,
    #[prop(optional, into)] sign_up_url: Option<String>,
    #[prop(optional, into)] after_sign_in_url: Option<String>,
    #[prop(optional, into)] after_sign_out_url: Option<String>,
    children: Children,
) -> impl IntoView {
    let urls = UrlProps {
        task_urls,
        sign_in_url,
        sign_up_url,
        after_sign_in_url,
        after_sign_out_url,
    };
    let resource = Resource::new_blocking(|| (), |_| get_client_snapshot());
    let ctx = AuthContext {
        resource: Some(resource),
        latest: RwSignal::new(None),
        urls: StoredValue::new(urls),
    };
    provide_context(ctx);
    children()
}

/// Wraps a page that reads the snapshot, so the server waits for it before rendering.
#[component]
pub fn AuthLoaded(children: ChildrenFn) -> impl IntoView {
    view! { <Suspense fallback=|| ()>{children()}</Suspense> }
}

/// The router-level guard: after hydration, every navigation is checked against the snapshot with
/// the same decision the server applies before rendering
/// (README, "Session tasks for app developers").
#[component]
pub fn AuthGuard() -> impl IntoView {
    let ctx = use_auth_context();
    let location = use_location();
    let go = super::nav::use_go();
    #[cfg(all(
        feature = "no-hosted-flows",
        feature = "hydrate",
        not(feature = "islands")
    ))]
    Effect::new(|_| super::nav::load_hosted_links());
    // After an in-app navigation (a new step, a new page), focus moves to the new page's
    // heading, where a full page load would put the reader; not on the first render.
    Effect::new(move |previous: Option<String>| {
        let here = format!("{}{}", location.pathname.get(), location.search.get());
        if previous.is_some_and(|p| p != here) {
            focus_heading_soon();
        }
        here
    });
    Effect::new(move |_| {
        let path = location.pathname.get();
        let query = location.search.get();
        let Some(snap) = ctx.snapshot() else { return };
        let urls = ctx.urls();
        let active = snap.active_session();
        let tasks = active.map(|s| s.tasks.clone()).unwrap_or_default();
        let visitor = match active {
            None => Visitor::SignedOut,
            Some(s) if !s.tasks.is_empty() => Visitor::Pending(&tasks),
            Some(_) => Visitor::Active,
        };
        let query = query.trim_start_matches('?').to_string();
        if let Some(to) = decide(
            &path,
            &query,
            visitor,
            snap.env.multi_session,
            &urls,
            &snap.env.protected,
        ) {
            go(&to, true);
        }
    });
}

/// Focuses the page's `h1` once the new route has rendered (browser only) — unless something
/// already has the focus (an error alert, or a field the user went on to type into): only a
/// focus that fell back to the page body when the old page went away is moved.
pub(crate) fn focus_heading_soon() {
    #[cfg(feature = "hydrate")]
    set_timeout(
        || {
            use wasm_bindgen::JsCast;
            let Some(document) = web_sys::window().and_then(|w| w.document()) else {
                return;
            };
            let body = document
                .body()
                .map(|b| b.unchecked_into::<web_sys::Element>());
            if document.active_element().is_some_and(|e| Some(e) != body) {
                return;
            }
            if let Some(h1) = document
                .query_selector("h1")
                .ok()
                .flatten()
                .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
            {
                if !h1.has_attribute("tabindex") {
                    let _ = h1.set_attribute("tabindex", "-1");
                }
                let _ = h1.focus();
            }
        },
        std::time::Duration::from_millis(50),
    );
}
