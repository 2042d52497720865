//! Server side (feature `ssr`): settings, storage, services and HTTP plumbing.

pub mod api_v1;
pub mod auth;
pub mod breached;
pub mod client;
pub mod client_ip;
pub mod clock;
pub mod cookies;
pub mod delivery;
pub mod flows;
pub mod http;
pub mod messages;
pub mod mfa;
pub mod password;
pub mod protect;
pub mod settings;
pub mod state;
pub mod store;
pub mod testing_api;
pub mod tokens;
pub mod views;

use axum::middleware::{from_fn, from_fn_with_state};
use axum::Router;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};

/// The whole HTTP surface: pages, server functions, the Backend API, the testing endpoints (when
/// enabled), static assets, and the middleware around them.
pub fn router(state: state::AppState) -> Router {
    let routes = generate_route_list(crate::app::App);
    let context_state = state.clone();
    let context = move || {
        provide_context(context_state.clone());
        leptos::nonce::provide_nonce();
    };
    let leptos_options = state.leptos_options.clone();
    let mut app = Router::new()
        .leptos_routes_with_context(&state, routes, context.clone(), {
            let options = leptos_options.clone();
            move || crate::app::shell(options.clone())
        })
        .merge(api_v1::routes(state.clone()));
    if state.settings.testing.enabled {
        app = app.merge(testing_api::routes());
    }
    app.fallback(leptos_axum::file_and_error_handler_with_context::<
        state::AppState,
        _,
    >(context, crate::app::shell))
        .layer(from_fn_with_state(state.clone(), protect::protect_pages))
        .layer(from_fn_with_state(state.clone(), http::csrf_guard))
        .layer(from_fn(http::malformed_is_bad_request))
        .layer(from_fn_with_state(state.clone(), http::security_headers))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(64 * 1024))
        .with_state(state)
}
