//! The hosted flow as an island, to keep the page's bundle small (README, "Front-end weight"): on a
//! page served in islands mode only this part of the page hydrates, from its own small bundle,
//! where the rest of the page stays the server's HTML. An island gets no context from the page in
//! the browser, so the server hands it what its components would read there — the client snapshot,
//! the provider's URLs, the page's path and query — and it provides them itself, in the same shape
//! the whole-page mode has. Every navigation out of it is a page load (see [`super::nav`]), and the
//! server's guard decides it.

use super::auth_provider::{focus_heading_soon, AuthContext};
use super::nav::{take_arrival, IslandNav, Nav};
#[cfg(any(feature = "ssr", feature = "islands-tasks"))]
use super::{tasks::HostedTask, NotFound};
#[cfg(any(feature = "ssr", feature = "islands-flows"))]
use super::{SignIn, SignUp};
use crate::domain::guard::AuthUrls;
use crate::domain::redirect::last_query_param;
use crate::domain::snapshot::ClientSnapshot;
use leptos::prelude::*;
use leptos::server::ServerActionError;
use serde::{Deserialize, Serialize};

/// Which hosted flow a page shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum HostedFlow {
    SignIn,
    SignUp,
}

/// What the server gives a hosted island: which page it is (`W`: a [`HostedFlow`], or a portal
/// page), and all its components read from the provider and the router when the page hydrates
/// whole.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IslandPage<W> {
    pub which: W,
    pub snapshot: ClientSnapshot,
    /// The provider's URLs, resolved.
    pub urls: AuthUrls,
    pub path: String,
    /// The query, `?a=b` or empty.
    pub search: String,
}

/// `SignIn` or `SignUp` as an island, for the hosted sign-in steps and sign-up pages in islands
/// mode (the `vestibule_islands` bundle: `islands-flows`). Not in the app's whole-page bundle:
/// an island's hydration function is exported from the wasm, so it would keep the flow there.
#[cfg(any(feature = "ssr", feature = "islands-flows"))]
#[island]
pub fn HostedIsland(page: IslandPage<HostedFlow>) -> impl IntoView {
    let flow = page.which;
    island_frame(page, move || match flow {
        HostedFlow::SignIn => view! { <SignIn/> }.into_any(),
        HostedFlow::SignUp => view! { <SignUp/> }.into_any(),
    })
}

/// A hosted task page (`/sign-in/tasks/<key>`) as an island, in islands mode (the
/// `vestibule_tasks` bundle: `islands-tasks`). The key is the page's.
#[cfg(any(feature = "ssr", feature = "islands-tasks"))]
#[island]
pub fn HostedTaskIsland(page: IslandPage<HostedFlow>) -> impl IntoView {
    let key = page.urls.task_of_path(&page.path);
    island_frame(page, move || match key {
        Some(key) => view! { <HostedTask key=key/> }.into_any(),
        None => view! { <NotFound/> }.into_any(),
    })
}

/// Provides what an island's components read (see the module's note) and renders `body` in the
/// frame the tests and the focus handling rely on.
#[allow(dead_code)] // (in a bundle built with no island's feature)
pub(crate) fn island_frame<W>(
    page: IslandPage<W>,
    body: impl FnOnce() -> AnyView,
) -> impl IntoView {
    let IslandPage {
        snapshot,
        urls,
        path,
        search,
        ..
    } = page;
    provide_context(AuthContext::fixed(snapshot, urls));
    // The error a plain form post left in the URL (what the router provides otherwise; a later
    // post's error is appended after the earlier one's, and wins).
    let query = search.trim_start_matches('?');
    let last = |name| last_query_param(query, name);
    if let (Some(err), Some(at)) = (last("__err"), last("__path")) {
        provide_context(ServerActionError::new(&at, &err));
    }
    provide_context(IslandNav(Nav {
        pathname: Signal::stored(path),
        search: Signal::stored(search),
    }));
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| {
        hydrated.set(true);
        if take_arrival() {
            focus_heading_soon();
        }
    });
    view! {
        <div class="hosted-island" data-hydrated=move || hydrated.get().to_string()>
            {body()}
        </div>
    }
}
