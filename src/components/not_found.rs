//! The "not found" view the hosted pages show (a server answers it with status 404).

use leptos::prelude::*;

/// Heading "Page not found" and a link home.
#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <h1>"Page not found"</h1>
        <p><a href="/">"Go home"</a></p>
    }
}
