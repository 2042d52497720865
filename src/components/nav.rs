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
    let island = use_context::<IslandNav>();
    // (An island's own URL is not loaded again: the answer's snapshot already shows the state.)
    let here = island.map(|IslandNav(nav)| {
        format!(
            "{}{}",
            nav.pathname.get_untracked(),
            nav.search.get_untracked()
        )
    });
    #[cfg(not(feature = "islands"))]
    let router = island.is_none().then(leptos_router::hooks::use_navigate);
    move |to: &str, replace: bool| {
        if here.as_deref() == Some(to) {
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

/// Sends the browser to `to` with a page load — only to a same-origin path, as the router would
/// stay on the site. The next page's island moves the focus to its heading, as a client-side
/// navigation does (see [`take_arrival`]).
fn page_load(to: &str, replace: bool) {
    let Some(to) = crate::domain::redirect::safe_redirect(to) else {
        return;
    };
    #[cfg(feature = "hydrate")]
    if let Some(window) = web_sys::window() {
        if let Ok(Some(storage)) = window.session_storage() {
            let _ = storage.set_item(ARRIVAL_KEY, "1");
        }
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

#[cfg(feature = "hydrate")]
const ARRIVAL_KEY: &str = "vestibule.arrived-by-flow";

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
    if cfg!(feature = "ssr") || use_context::<IslandNav>().is_none() {
        return view! { <leptos_router::components::Redirect path=to/> }.into_any();
    }
    let go = use_go();
    Effect::new(move |_| go(&to, true));
    ().into_any()
}
