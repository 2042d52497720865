//! Vestibule: self-hosted authentication with session tasks for Leptos apps.
//!
//! `domain` holds pure types and state machines shared by server and browser; `server` (feature
//! `ssr`) holds storage, services and HTTP plumbing; `api` the server functions; `components` the
//! kit; `pages` the hosted pages and the demo app.
#![recursion_limit = "256"]

pub mod api;
pub mod app;
pub mod components;
pub mod domain;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod server;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
