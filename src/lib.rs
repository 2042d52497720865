//! Vestibule: self-hosted authentication with session tasks for Leptos apps.
//!
//! `domain` holds pure types and state machines shared by server and browser; `server` (feature
//! `ssr`) holds storage, services and HTTP plumbing, with `server::Vestibule::builder()` as the
//! entry an app builds its server through; `api` the server functions (and `api::auth()` for the
//! app's own); `components` the kit; `pages` the hosted pages and their route group
//! `<VestibuleRoutes/>`; `demo` (feature `demo`) the bundled demo app.
#![recursion_limit = "256"]

pub mod api;
pub mod components;
#[cfg(feature = "demo")]
pub mod demo;
pub mod domain;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod server;
#[cfg(feature = "verify")]
pub mod verify;

/// The demo's browser entry. An app that embeds Vestibule has its own (and leaves `demo` off).
#[cfg(all(feature = "hydrate", feature = "demo"))]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(demo::App);
}

/// The islands bundle's browser entry (feature `islands`, without `demo`): the page's islands
/// hydrate themselves (Leptos's island script calls this first, then each island's function).
#[cfg(all(feature = "hydrate", feature = "islands", not(feature = "demo")))]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
