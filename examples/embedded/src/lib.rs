//! Acme Projects: an app of its own that embeds Vestibule through its public API alone — its own
//! layout and pages, Vestibule's hosted pages mounted under that layout, its own URL for one
//! session task, and a protected page whose server function asks `vestibule::api::auth()` who is
//! calling.
#![recursion_limit = "256"]

pub mod app;
pub mod projects;

/// The browser entry: hydrates this app (Vestibule's own demo entry is not linked in).
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
