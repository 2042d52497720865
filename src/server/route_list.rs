//! The route list of an app, generated once per app type in a process.
//!
//! Leptos lists an app's routes by rendering it once with resource loading turned off in the
//! whole process, not only on the thread doing it (`SuppressResourceLoad`, leptos#4773). A
//! resource first polled by another server's page render in that window never loads, and that
//! response never ends. Every Vestibule server built in a process (several in one test binary,
//! or an app that builds a router while another serves) therefore takes its routes from here:
//! the first router of an app type generates them, before any server built from them serves a
//! page, and every later one reuses them without rendering anything.

use leptos::prelude::IntoView;
use leptos_axum::{generate_route_list, AxumRouteListing};
use std::any::TypeId;
use std::collections::HashMap;
use std::sync::{LazyLock, Mutex, PoisonError};

static ROUTES: LazyLock<Mutex<HashMap<TypeId, Vec<AxumRouteListing>>>> =
    LazyLock::new(Default::default);

/// The routes of `app`, generated the first time an app of this type asks. An app's routes must
/// depend only on its type (a component function, or a closure that captures nothing that changes
/// them), as they do for any app written with `<Routes>`.
pub fn of<A, AV>(app: A) -> Vec<AxumRouteListing>
where
    A: Fn() -> AV + Clone + Send + Sync + 'static,
    AV: IntoView + 'static,
{
    // Held while generating, so that routers of one type built at once generate the list once.
    // (The first router of another type, built while a server serves, still opens the window.)
    let mut routes = ROUTES.lock().unwrap_or_else(PoisonError::into_inner);
    routes
        .entry(TypeId::of::<A>())
        .or_insert_with(|| generate_route_list(app))
        .clone()
}

#[cfg(all(test, feature = "demo"))]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    static RENDERS: AtomicUsize = AtomicUsize::new(0);

    fn counted_app() -> impl leptos::prelude::IntoView {
        RENDERS.fetch_add(1, Ordering::SeqCst);
        crate::demo::App()
    }

    #[tokio::test]
    async fn an_apps_routes_are_generated_once_and_reused() {
        let first = super::of(counted_app);
        assert_eq!(
            RENDERS.load(Ordering::SeqCst),
            1,
            "generating renders the app"
        );
        assert!(first.iter().any(|r| r.path() == "/sign-in"), "{first:?}");
        let again = super::of(counted_app);
        assert_eq!(
            RENDERS.load(Ordering::SeqCst),
            1,
            "reused: no second render"
        );
        let paths = |l: &[leptos_axum::AxumRouteListing]| {
            l.iter().map(|r| r.path().to_string()).collect::<Vec<_>>()
        };
        assert_eq!(paths(&first), paths(&again));
    }
}
