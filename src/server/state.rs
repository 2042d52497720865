//! The application state every handler and server function sees.

use super::clock::Clock;
use super::delivery::Delivery;
use super::password::Hasher;
use super::settings::Settings;
use super::store::Store;
use crate::domain::guard::AuthUrls;
use crate::domain::session::TaskSettings;
use crate::domain::snapshot::{CustomTaskView, PublicSettings};
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use std::sync::Arc;

/// How the app that embeds Vestibule is laid out: its URLs (the same as its `AuthProvider`'s),
/// the path patterns protected before rendering, and the pages that need a role.
#[derive(Clone, Debug, Default)]
pub struct Site {
    pub urls: AuthUrls,
    pub protected: Vec<String>,
    /// `(path, role)`: the page answers 404 to anyone without the role in the active
    /// organization.
    pub role_pages: Vec<(String, String)>,
}

/// The state, shared: a clone is one reference count (every middleware layer and server function
/// takes one per request).
#[derive(Clone)]
pub struct AppState(Arc<AppStateParts>);

impl AppState {
    pub fn new(parts: AppStateParts) -> Self {
        Self(Arc::new(parts))
    }
}

impl std::ops::Deref for AppState {
    type Target = AppStateParts;
    fn deref(&self) -> &AppStateParts {
        &self.0
    }
}

/// What the state holds.
pub struct AppStateParts {
    pub settings: Arc<Settings>,
    pub site: Arc<Site>,
    pub store: Arc<dyn Store>,
    /// What the task list depends on (settings, and when each custom task was added).
    pub tasks: TaskSettings,
    pub clock: Arc<dyn Clock>,
    pub hasher: Hasher,
    pub delivery: Delivery,
    pub leptos_options: LeptosOptions,
    /// The key session tokens are signed with, as this instance last read it.
    pub signing: super::key_cache::SigningKeys,
    /// The key-encryption keys: the store seals secrets with them, and the one-time codes are
    /// authenticated with them (README, "Encryption at rest").
    pub keyring: Arc<super::secrets::Keyring>,
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

    /// The app's URLs (after sign-in, task pages, …).
    pub fn urls(&self) -> &AuthUrls {
        &self.site.urls
    }

    /// The settings the browser needs to render the flows.
    pub fn public(&self) -> PublicSettings {
        let s = &self.settings;
        PublicSettings {
            instance_name: s.instance.name.clone(),
            multi_session: s.sessions.multi_session,
            sign_up_enabled: s.sign_up.enabled,
            legal_consent: s.sign_up.legal_consent,
            organizations_enabled: s.organizations.enabled,
            allow_personal_accounts: s.organizations.allow_personal_accounts,
            organization_creation_enabled: s.organizations.creation_enabled,
            min_password_length: s.password.min_length,
            urls: self.site.urls.clone(),
            protected: self.site.protected.clone(),
            custom_tasks: s
                .tasks
                .custom
                .iter()
                .map(|t| CustomTaskView {
                    key: t.key.clone(),
                    title: t.title.clone(),
                    description: t.description.clone(),
                })
                .collect(),
        }
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
