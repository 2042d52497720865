//! Hosted pages: the account portal, the organization pages and the invitation landing, the route
//! group that mounts them with the sign-in and sign-up steps, and what an app's document needs.

pub mod account;
pub mod hosted;
pub mod organization;
mod routes;
pub mod verify;

pub use crate::components::NotFound as NotFoundPage;
pub use hosted::{HostedIslands, VestibuleHydrationScripts};
pub use routes::VestibuleRoutes;

/// Call in the app's `shell` (the HTML document): on the server it sets the page's
/// Content-Security-Policy with this response's nonce (scripts only from this origin or carrying
/// the nonce). Without it a page gets the strict policy every other response has, and its scripts
/// do not run.
pub fn apply_page_csp() {
    #[cfg(feature = "ssr")]
    if let (Some(nonce), Some(res)) = (
        leptos::nonce::use_nonce(),
        leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
    ) {
        if let Ok(v) =
            http::HeaderValue::from_str(&crate::server::http::page_csp(&nonce.to_string()))
        {
            res.insert_header(http::header::CONTENT_SECURITY_POLICY, v);
        }
    }
}
