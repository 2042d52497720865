//! The application state every handler and server function sees.

use super::clock::Clock;
use super::delivery::Delivery;
use super::password::Hasher;
use super::settings::Settings;
use super::store::Store;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub hasher: Hasher,
    pub delivery: Delivery,
    pub leptos_options: LeptosOptions,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

impl AppState {
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Cookies get `Secure` and the `__Host-` prefix when the instance is served over https.
    pub fn https(&self) -> bool {
        self.settings
            .instance
            .public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))
    }

    /// The absolute base URL links in emails and API answers use.
    pub fn public_url(&self) -> String {
        match &self.settings.instance.public_url {
            Some(u) => u.trim_end_matches('/').to_string(),
            None => format!("http://{}", self.leptos_options.site_addr),
        }
    }
}
