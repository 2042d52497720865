//! Where the page is, and how a flow component goes elsewhere: the router's location and
//! navigation in a page that hydrates whole, the page's own URL and full page loads in a hosted
//! island (see [`super::islands`]), where no router runs in the browser. The flow components
//! read the location and navigate only through here, so the islands bundle carries no router.

use leptos::prelude::*;

/// The current page's path and query (`?a=b`, or empty).
#[derive(Clone, Copy)]
pub struct Nav {
    pub pathname: Signal<String>,
    pub search: Signal<String>,
}

/// A hosted island's location: fixed for the island's life, since every navigation out of it
/// is a page load.
#[derive(Clone, Copy)]
pub(crate) struct IslandNav(pub Nav);

/// The location of the page the component is on.
pub fn use_nav() -> Nav {
    if let Some(IslandNav(nav)) = use_context::<IslandNav>() {
        return nav;
    }
    #[cfg(not(feature = "islands"))]
    {
        let location = leptos_router::hooks::use_location();
        Nav {
            pathname: location.pathname.into(),
            search: location.search.into(),
        }
    }
    #[cfg(feature = "islands")]
    {
        // (An island always provides its location; this is the browser's, for completeness.)
        let (pathname, search) = page_location();
        Nav {
            pathname: Signal::stored(pathname),
            search: Signal::stored(search),
        }
    }
}

/// A function that navigates to `to` (replacing the history entry when asked): the router's
/// client-side navigation, or a full page load inside a hosted island. Call it where the hook
/// can read the context (a component's body), use the function later.
pub fn use_go() -> impl Fn(&str, bool) + Clone + 'static {
    // (An island's own URL is not loaded again: the answer's snapshot already shows the state.)
    let here = island_url();
    #[cfg(not(feature = "islands"))]
    let router = here.is_none().then(leptos_router::hooks::use_navigate);
    move |to: &str, replace: bool| {
        if here.as_deref() == Some(to) {
            return;
        }
        if served_elsewhere(to) {
            page_load(to, replace);
            return;
        }
        #[cfg(not(feature = "islands"))]
        if let Some(navigate) = &router {
            navigate(
                to,
                leptos_router::NavigateOptions {
                    replace,
                    ..Default::default()
                },
            );
            return;
        }
        page_load(to, replace);
    }
}

/// A function that says whether going to `to` (see [`use_go`]) leaves the page with a page load:
/// in a hosted island, to any same-origin URL but the island's own; where a router runs, to a
/// page this bundle does not render.
pub fn use_leaves() -> impl Fn(&str) -> bool + Clone + 'static {
    let here = island_url();
    move |to: &str| {
        let load = match &here {
            Some(here) => here != to,
            None => served_elsewhere(to),
        };
        load && crate::domain::redirect::safe_redirect(to).is_some()
    }
}

/// A hosted island's URL (path and query); `None` where a router runs.
fn island_url() -> Option<String> {
    use_context::<IslandNav>().map(|IslandNav(nav)| {
        format!(
            "{}{}",
            nav.pathname.get_untracked(),
            nav.search.get_untracked()
        )
    })
}

/// Sends the browser to `to` with a page load — only to a same-origin path, as the router would
/// stay on the site. The next page's island moves the focus to its heading, as a client-side
/// navigation does (see [`take_arrival`]).
fn page_load(to: &str, replace: bool) {
    let Some(to) = crate::domain::redirect::safe_redirect(to) else {
        return;
    };
    #[cfg(feature = "hydrate")]
    if let Some(window) = web_sys::window() {
        mark_arrival();
        LEAVING.with(|l| l.set(true));
        // (A page the browser shows again from its back-forward cache is no longer leaving.)
        let _ = window_event_listener(leptos::ev::pageshow, |_| {
            LEAVING.with(|l| l.set(false));
        });
        let location = window.location();
        let _ = if replace {
            location.replace(&to)
        } else {
            location.assign(&to)
        };
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (to, replace);
}

thread_local! {
    static LEAVING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether this page has started loading another one (see [`page_load`]): what it would load
/// for itself now, no one would see — and it could take what the next page is to show once
/// (new backup codes).
pub(crate) fn leaving() -> bool {
    LEAVING.with(std::cell::Cell::get)
}

#[cfg(feature = "hydrate")]
const ARRIVAL_KEY: &str = "vestibule.arrived-by-flow";

/// Tells the next page it was reached by an in-app navigation (see [`take_arrival`]).
#[cfg(feature = "hydrate")]
fn mark_arrival() {
    if let Some(storage) = web_sys::window().and_then(|w| w.session_storage().ok().flatten()) {
        let _ = storage.set_item(ARRIVAL_KEY, "1");
    }
}

/// Whether this page was reached by a flow's navigation (a page load from [`use_go`] in an
/// island), forgetting it.
pub(crate) fn take_arrival() -> bool {
    #[cfg(feature = "hydrate")]
    if let Some(storage) = web_sys::window().and_then(|w| w.session_storage().ok().flatten()) {
        let arrived = storage.get_item(ARRIVAL_KEY).ok().flatten().is_some();
        let _ = storage.remove_item(ARRIVAL_KEY);
        return arrived;
    }
    false
}

/// The browser's path and query.
#[cfg(feature = "islands")]
fn page_location() -> (String, String) {
    #[cfg(feature = "hydrate")]
    if let Some(location) = web_sys::window().map(|w| w.location()) {
        return (
            location.pathname().unwrap_or_default(),
            location.search().unwrap_or_default(),
        );
    }
    (String::new(), String::new())
}

/// Leaves the page for `to` once the browser runs it (replacing the history entry); renders
/// nothing. The router's `Redirect` where a router runs (it also answers a server-side render
/// with a redirect), a page load inside a hosted island.
pub fn redirect_view(to: String) -> AnyView {
    // (On the server the router's answers a render with a redirect, in an island too.)
    #[cfg(not(feature = "islands"))]
    if cfg!(feature = "ssr") || (use_context::<IslandNav>().is_none() && !served_elsewhere(&to)) {
        return view! { <leptos_router::components::Redirect path=to/> }.into_any();
    }
    let go = use_go();
    Effect::new(move |_| go(&to, true));
    ().into_any()
}

/// Whether `to` is a page this bundle does not render, so that going there is a page load: a
/// hosted flow page, in an app bundle built with `no-hosted-flows` (the server serves those
/// pages as islands).
fn served_elsewhere(to: &str) -> bool {
    #[cfg(all(
        feature = "no-hosted-flows",
        feature = "hydrate",
        not(feature = "islands")
    ))]
    {
        let path = to.split(['?', '#']).next().unwrap_or_default();
        return crate::domain::guard::is_hosted_flow_path(path);
    }
    #[allow(unreachable_code)]
    {
        let _ = to;
        false
    }
}

/// In an app bundle built with `no-hosted-flows`, keeps the router from taking a click on a
/// link to a hosted flow page, so that the browser follows it with a page load (the server
/// serves the page with its island, which then focuses its heading as an in-app navigation
/// would). Installed once, by the `AuthGuard`.
#[cfg(all(
    feature = "no-hosted-flows",
    feature = "hydrate",
    not(feature = "islands")
))]
pub(crate) fn load_hosted_links() {
    use wasm_bindgen::{closure::Closure, JsCast};
    thread_local! {
        static INSTALLED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }
    if INSTALLED.with(|i| i.replace(true)) {
        return;
    }
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    // (On the document, bubbling: after the link's own handlers, before the router's on the
    // window.)
    let handler = Closure::<dyn Fn(web_sys::MouseEvent)>::new(|ev: web_sys::MouseEvent| {
        if ev.default_prevented()
            || ev.button() != 0
            || ev.meta_key()
            || ev.alt_key()
            || ev.ctrl_key()
            || ev.shift_key()
        {
            return;
        }
        let Some(link) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|e| e.closest("a[href]").ok().flatten())
        else {
            return;
        };
        let href = link.get_attribute("href").unwrap_or_default();
        let target = link.get_attribute("target").unwrap_or_default();
        if !target.is_empty() || link.has_attribute("download") || !href.starts_with('/') {
            return;
        }
        if served_elsewhere(&href) && crate::domain::redirect::safe_redirect(&href).is_some() {
            ev.stop_propagation();
            mark_arrival();
        }
    });
    let _ = document.add_event_listener_with_callback("click", handler.as_ref().unchecked_ref());
    handler.forget();
}

/// For a page this bundle does not render (a hosted flow page in an app bundle built with
/// `no-hosted-flows`): after a client-side navigation to it, loads it from the server, which
/// serves it with its island; renders nothing. The router puts the new URL in the address bar
/// only once the page has rendered, so this waits for it and then replaces that history entry
/// (one entry for the page, as a client-side navigation has). Never when it is the document's own
/// URL — the server rendered this page for this bundle, and loading it again would loop: the
/// app bundle and the server's islands setting disagree.
#[cfg(all(
    feature = "no-hosted-flows",
    feature = "hydrate",
    not(feature = "islands")
))]
pub(crate) fn load_from_server() -> AnyView {
    let location = leptos_router::hooks::use_location();
    let path = location.pathname.get_untracked();
    let query = location.search.get_untracked();
    let query = query.trim_start_matches('?');
    let target = match query {
        "" => path.clone(),
        q => format!("{path}?{q}"),
    };
    Effect::new(move |_| load_when_shown(path.clone(), target.clone(), 0));
    ().into_any()
}

/// Loads `target` once the address bar shows `path` (the router's URL, exactly as the browser
/// encodes it); with a new history entry if it never does.
#[cfg(all(
    feature = "no-hosted-flows",
    feature = "hydrate",
    not(feature = "islands")
))]
fn load_when_shown(path: String, target: String, tries: u32) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let location = window.location();
    let shown = location.pathname().unwrap_or_default();
    if shown != path {
        if tries < 40 {
            let again = move || load_when_shown(path, target, tries + 1);
            set_timeout(again, std::time::Duration::from_millis(25));
        } else {
            page_load(&target, false);
        }
        return;
    }
    let here = format!("{shown}{}", location.search().unwrap_or_default());
    let origin = location.origin().unwrap_or_default();
    let document = document_url().map(|u| {
        let u = u.strip_prefix(origin.as_str()).unwrap_or(&u).to_string();
        u.split('#').next().unwrap_or_default().to_string()
    });
    if document.as_deref() == Some(here.as_str()) {
        leptos::logging::error!(
            "this page was rendered to hydrate whole, but this bundle was built with \
             `no-hosted-flows`: serve the hosted flow pages with `hosted_islands`"
        );
        return;
    }
    page_load(&here, true);
}

/// The URL the document was loaded from (its navigation entry's), whatever the router did since.
#[cfg(all(
    feature = "no-hosted-flows",
    feature = "hydrate",
    not(feature = "islands")
))]
fn document_url() -> Option<String> {
    use wasm_bindgen::JsCast;
    let entries = web_sys::window()?
        .performance()?
        .get_entries_by_type("navigation");
    let entry = entries
        .get(0)
        .dyn_into::<web_sys::PerformanceEntry>()
        .ok()?;
    Some(entry.name())
}
