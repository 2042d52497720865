//! Building a Vestibule server — the one entry the bundled demo (`main.rs`), the tests and any
//! app that embeds Vestibule use (zero2prod's `Application::build`): settings, the store
//! (connected and migrated), the hasher and delivery become an [`AppState`]; the pieces an axum
//! router needs come out of it — the context for `leptos_routes_with_context`, the routes
//! Vestibule owns, and the layers around everything.
//!
//! ```text
//! let vestibule = Vestibule::builder()
//!     .config_file("Leptos.toml")   // and VESTIBULE_ENCRYPTION_KEY in the environment
//!     .urls(AuthUrls { after_sign_in_url: "/projects".into(), ..Default::default() })
//!     .protect(["/projects"])
//!     .build()
//!     .await?;
//! let app = vestibule.router(App, shell);
//! vestibule.serve(app).await?;
//! ```

use super::clock::{Clock, SystemClock};
use super::delivery::{Delivery, DeliveryError};
use super::password::{HashError, Hasher};
use super::secrets::{KeyError, Keyring};
use super::settings::{Settings, SettingsError};
use super::state::{AppState, AppStateParts, Site};
use super::store::{self, ConnectError, StoreError};
use super::{api_v1, http, protect, testing_api};
use crate::domain::guard::{AuthUrls, ORGANIZATION_PROFILE_PATH, USER_PROFILE_PATH};
use crate::pages::HostedIslands;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use leptos::config::LeptosOptions;
use leptos::prelude::{provide_context, IntoView};
use leptos_axum::LeptosRoutes;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Why a server could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// No encryption key, or one that is not 32 bytes of base64 or hex.
    #[error(transparent)]
    EncryptionKey(#[from] KeyError),
    /// The re-seal pass met a value that no key of the keyring opens.
    #[error(
        "cannot re-seal the stored secrets under the current encryption key: {0}. Start with \
         the key they were sealed under in VESTIBULE_ENCRYPTION_KEYS_PREVIOUS (README, \
         \"Encryption at rest\")"
    )]
    Reseal(String),
    #[error("{0}")]
    DatabaseUrl(String),
    #[error("cannot open the database: {0}")]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Hasher(#[from] HashError),
    #[error(transparent)]
    Delivery(#[from] DeliveryError),
    #[error("leptos configuration: {0}")]
    Leptos(String),
    #[error("cannot record the custom tasks: {0}")]
    Tasks(String),
    #[error(
        "testing.enabled is on, but the testing endpoints sign anyone in and show every code: \
         start with --allow-testing-endpoints (VestibuleBuilder::allow_testing_endpoints) to \
         confirm this instance is for tests"
    )]
    TestingNotAllowed,
}

/// Where the settings come from.
#[derive(Clone, Debug)]
enum Source {
    File { path: PathBuf, optional: bool },
    Toml(String),
}

/// Configures a [`Vestibule`]; every part has a default.
#[derive(Default)]
pub struct VestibuleBuilder {
    source: Option<Source>,
    env: Option<Vec<(String, String)>>,
    database_url: Option<String>,
    clock: Option<Arc<dyn Clock>>,
    leptos_options: Option<LeptosOptions>,
    urls: Option<AuthUrls>,
    protected: Option<Vec<String>>,
    role_pages: Vec<(String, String)>,
    hash_concurrency: Option<usize>,
    hosted_islands: HostedIslands,
    allow_testing: bool,
    encryption_key: Option<zeroize::Zeroizing<String>>,
    previous_encryption_keys: Option<Vec<zeroize::Zeroizing<String>>>,
}

impl VestibuleBuilder {
    /// The instance settings file (`Leptos.toml`); a missing file is an error.
    pub fn config_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.source = Some(Source::File {
            path: path.into(),
            optional: false,
        });
        self
    }

    /// The settings file if it exists (the binary's default `Leptos.toml`).
    pub fn config_file_if_present(mut self, path: impl Into<PathBuf>) -> Self {
        self.source = Some(Source::File {
            path: path.into(),
            optional: true,
        });
        self
    }

    /// The settings as TOML text.
    pub fn config_toml(mut self, text: impl Into<String>) -> Self {
        self.source = Some(Source::Toml(text.into()));
        self
    }

    /// `VESTIBULE_<SECTION>__<KEY>` overrides (default: the process environment).
    pub fn env(mut self, vars: impl IntoIterator<Item = (String, String)>) -> Self {
        self.env = Some(vars.into_iter().collect());
        self
    }

    /// The database (default: `DATABASE_URL`, else `sqlite://vestibule.db`).
    pub fn database_url(mut self, url: impl Into<String>) -> Self {
        self.database_url = Some(url.into());
        self
    }

    /// The clock (default: the system clock; tests pass a manual one).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Leptos's site options (default: `get_configuration(None)`, i.e. the `LEPTOS_*`
    /// environment).
    pub fn leptos_options(mut self, options: LeptosOptions) -> Self {
        self.leptos_options = Some(options);
        self
    }

    /// The app's URLs — the same its `AuthProvider` is given. Task URLs left empty come from
    /// `[app] task_urls`.
    pub fn urls(mut self, urls: AuthUrls) -> Self {
        self.urls = Some(urls);
        self
    }

    /// The app's path patterns that need a signed-in, active session (the hosted portal pages
    /// are always protected). Default: `[app] protected`.
    pub fn protect<I, S>(mut self, patterns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.protected = Some(patterns.into_iter().map(Into::into).collect());
        self
    }

    /// A page that needs `role` in the active organization; anyone else gets a 404.
    pub fn require_role(mut self, path: impl Into<String>, role: impl Into<String>) -> Self {
        self.role_pages.push((path.into(), role.into()));
        self
    }

    /// How many passwords are hashed at once (default: the cores).
    pub fn hash_concurrency(mut self, n: usize) -> Self {
        self.hash_concurrency = Some(n);
        self
    }

    /// Serves the hosted sign-in, sign-up and task pages in islands mode: the sign-in steps and
    /// sign-up pages load only the `flows` bundle, the task pages only the `tasks` bundle
    /// (`/pkg/<name>.js` and `.wasm`: this crate's library built with the `islands-flows` and
    /// `islands-tasks` features, `scripts/build-islands.sh`), and only the flow hydrates (see
    /// `pages::hosted`). The shell must use `VestibuleHydrationScripts`. Default: every page
    /// hydrates whole from the app's bundle.
    pub fn hosted_islands(mut self, flows: impl Into<String>, tasks: impl Into<String>) -> Self {
        self.hosted_islands.flows = Some(flows.into());
        self.hosted_islands.tasks = Some(tasks.into());
        self
    }

    /// Serves the portal pages of `VestibuleRoutes` (`/user`, `/user/verify`, `/organization`,
    /// `/organization/new`, `/invitation`) in islands mode: a page loaded from the server loads
    /// only the `portal` bundle (this crate's library built with `islands-portal`,
    /// `scripts/build-islands.sh`), and only the page's content hydrates — its header's menus
    /// included, its links page loads. A client-side navigation to one of them still renders it
    /// with the app's bundle. The shell must use `VestibuleHydrationScripts`.
    pub fn hosted_portal_island(mut self, portal: impl Into<String>) -> Self {
        self.hosted_islands.portal = Some(portal.into());
        self
    }

    /// Confirms, from outside the settings file, that this instance may serve the testing
    /// endpoints (`[testing] enabled`): they sign anyone in and show every code sent, so a
    /// settings file alone — copied from a test setup, or overridden through the environment —
    /// never turns them on. Test harnesses pass it (the binary's `--allow-testing-endpoints`).
    pub fn allow_testing_endpoints(mut self, allow: bool) -> Self {
        self.allow_testing = allow;
        self
    }

    /// The key-encryption key: 32 random bytes, base64 or hex (`openssl rand -base64 32`).
    /// Default: `VESTIBULE_ENCRYPTION_KEY`, or the file `VESTIBULE_ENCRYPTION_KEY_FILE` names,
    /// from [`env`](Self::env) (the process environment by default). Without one the build
    /// fails (README, "Encryption at rest").
    pub fn encryption_key(mut self, key: impl Into<String>) -> Self {
        self.encryption_key = Some(zeroize::Zeroizing::new(key.into()));
        self
    }

    /// The keys the current one replaced, which still open what was sealed under them until
    /// the re-seal pass at start has moved it to the current key. Default:
    /// `VESTIBULE_ENCRYPTION_KEYS_PREVIOUS` (comma-separated).
    pub fn previous_encryption_keys<I, S>(mut self, keys: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.previous_encryption_keys = Some(
            keys.into_iter()
                .map(|k| zeroize::Zeroizing::new(k.into()))
                .collect(),
        );
        self
    }

    /// Loads the settings and the encryption keys, connects and migrates the store, re-seals
    /// what is not sealed under the current key, sizes the hasher.
    pub async fn build(self) -> Result<Vestibule, BuildError> {
        let env = self
            .env
            .clone()
            .unwrap_or_else(|| std::env::vars().collect::<Vec<_>>());
        let keyring = Arc::new(Keyring::from_sources(
            &env,
            self.encryption_key.as_deref().map(String::as_str),
            self.previous_encryption_keys.as_deref(),
        )?);
        let settings = match self.source {
            Some(Source::File { path, optional }) => Settings::load(&path, optional, env)?,
            Some(Source::Toml(text)) => Settings::from_toml(&text, env)?,
            None => Settings::load(&PathBuf::from("Leptos.toml"), true, env)?,
        };
        if settings.testing.enabled && !self.allow_testing {
            return Err(BuildError::TestingNotAllowed);
        }
        let database_url = self
            .database_url
            .or_else(|| std::env::var("DATABASE_URL").ok())
            .unwrap_or_else(|| "sqlite://vestibule.db".into());
        let store = store::connect(
            &database_url,
            settings.database.max_connections,
            settings
                .database
                .acquire_timeout
                .0
                .unwrap_or(Duration::from_secs(5)),
            keyring.clone(),
        )
        .await
        .map_err(|e| match e {
            ConnectError::Url(message) => BuildError::DatabaseUrl(message),
            ConnectError::Db(e) => BuildError::Database(e),
        })?;
        let clock = self.clock.clone().unwrap_or_else(|| Arc::new(SystemClock));
        super::upgrade::after_migrations(store.as_ref(), &keyring, clock.now())
            .await
            .map_err(|e| match e {
                StoreError::Db(e) => BuildError::Database(e),
                StoreError::Corrupt(message) => BuildError::Reseal(message),
                other => BuildError::Reseal(other.to_string()),
            })?;
        let leptos_options = match self.leptos_options {
            Some(o) => o,
            None => {
                leptos::config::get_configuration(None)
                    .map_err(|e| BuildError::Leptos(e.to_string()))?
                    .leptos_options
            }
        };
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        let mut urls = self.urls.unwrap_or_default();
        for (key, url) in &settings.app.task_urls {
            urls.task_urls
                .entry(key.clone())
                .or_insert_with(|| url.clone());
        }
        // A custom task's own `url`, unless the app's provider or `[app] task_urls` names one.
        // (Every custom task is listed, a hosted one with its hosted page: the guard knows it.)
        for task in &settings.tasks.custom {
            let url = task
                .url
                .clone()
                .unwrap_or_else(|| format!("{}/{}", urls.tasks_url(), task.key));
            urls.task_urls.entry(task.key.clone()).or_insert(url);
        }
        let keys: Vec<String> = settings
            .tasks
            .custom
            .iter()
            .map(|t| t.key.clone())
            .collect();
        let added = store
            .register_tasks(&keys, clock.now())
            .await
            .map_err(|e| BuildError::Tasks(e.to_string()))?;
        let tasks = settings.task_settings(&added, clock.now());
        let mut protected = self
            .protected
            .unwrap_or_else(|| settings.app.protected.clone());
        for hosted in [USER_PROFILE_PATH, ORGANIZATION_PROFILE_PATH] {
            if !protected.iter().any(|p| p == hosted) {
                protected.push(hosted.to_string());
            }
        }
        let state = AppState::new(AppStateParts {
            delivery: Delivery::new(store.clone(), &settings)?,
            settings: Arc::new(settings),
            site: Arc::new(Site {
                urls,
                protected,
                role_pages: self.role_pages,
            }),
            store,
            tasks,
            clock,
            hasher: Hasher::new(self.hash_concurrency.unwrap_or(cores))?,
            leptos_options,
            signing: Default::default(),
            keyring,
        });
        Ok(Vestibule {
            state,
            islands: (self.hosted_islands != HostedIslands::default())
                .then_some(self.hosted_islands),
        })
    }
}

/// A built server: its state, and the pieces of an axum router.
#[derive(Clone)]
pub struct Vestibule {
    state: AppState,
    islands: Option<HostedIslands>,
}

impl Vestibule {
    pub fn builder() -> VestibuleBuilder {
        VestibuleBuilder::default()
    }

    /// The state every handler and server function sees (also what the `context` provides).
    pub fn state(&self) -> AppState {
        self.state.clone()
    }

    /// The additional context for `leptos_routes_with_context` and the file-and-error handler:
    /// the state for server functions, and the nonce of the page's CSP.
    pub fn context(&self) -> impl Fn() + Clone + Send + Sync + 'static {
        let state = self.state.clone();
        let islands = self.islands.clone();
        move || {
            provide_context(state.clone());
            leptos::nonce::provide_nonce();
            if let Some(islands) = &islands {
                provide_context(islands.clone());
            }
        }
    }

    /// The routes Vestibule owns besides the pages and server functions: the Backend API, the
    /// testing endpoints (when enabled) and the health checks.
    pub fn routes(&self) -> Router<AppState> {
        let mut routes = Router::new()
            .merge(api_v1::routes(self.state.clone()))
            .route("/healthz", get(|| async { "ok" }))
            .route("/readyz", get(ready))
            .route(http::JWKS_PATH, get(api_v1::jwks));
        if self.state.settings.testing.enabled {
            routes = routes.merge(testing_api::routes());
        }
        routes
    }

    /// The layers around the whole app: route protection, CSRF, the error status of malformed
    /// server-function calls, security headers and the body limit. Rate limits are declared by
    /// each server function.
    pub fn layer(&self, router: Router<AppState>) -> Router {
        let state = self.state.clone();
        router
            .layer(from_fn_with_state(state.clone(), protect::protect_pages))
            .layer(from_fn_with_state(state.clone(), http::csrf_guard))
            .layer(from_fn(http::malformed_is_bad_request))
            .layer(from_fn_with_state(state.clone(), http::security_headers))
            .layer(tower_http::limit::RequestBodyLimitLayer::new(64 * 1024))
            .with_state(state)
    }

    /// The whole HTTP surface for an app whose root component is `app` and whose document is
    /// `shell`: its pages (with Vestibule's route group inside its `<Routes>`), every server
    /// function, Vestibule's routes, static files, and the layers. The route list of `app` is
    /// generated once per app type in the process (see `route_list`): build the first router of
    /// an app before serving, as `main.rs` does.
    pub fn router<A, AV, S, SV>(&self, app: A, shell: S) -> Router
    where
        A: Fn() -> AV + Clone + Send + Sync + 'static,
        AV: IntoView + 'static,
        S: Fn(LeptosOptions) -> SV + Clone + Send + Sync + 'static,
        SV: IntoView + 'static,
    {
        let routes = super::route_list::of(app);
        let options = self.state.leptos_options.clone();
        let page_shell = {
            let shell = shell.clone();
            move || shell(options.clone())
        };
        let router = Router::new()
            .leptos_routes_with_context(&self.state, routes, self.context(), page_shell)
            .merge(self.routes())
            .nest_service(&format!("/{}", self.pkg_dir()), self.assets())
            .fallback(leptos_axum::file_and_error_handler_with_context::<
                AppState,
                _,
            >(self.context(), shell));
        self.layer(router)
    }

    /// The site's package directory below its root (`pkg`): the wasm, its JavaScript glue and
    /// the stylesheet.
    fn pkg_dir(&self) -> String {
        self.state
            .leptos_options
            .site_pkg_dir
            .trim_matches('/')
            .to_string()
    }

    /// `/pkg/*` as files, each served precompressed (`.br`, else `.gz`, made by
    /// `cargo leptos build --release --precompress`) to a browser that accepts it, else as is.
    /// Only these static files are compressed: pages carry secrets beside reflected input (BREACH).
    pub fn assets(&self) -> tower_http::services::ServeDir {
        let dir = std::path::Path::new(&*self.state.leptos_options.site_root).join(self.pkg_dir());
        tower_http::services::ServeDir::new(dir)
            .precompressed_br()
            .precompressed_gzip()
    }

    /// What the operator should know at start (logged as warnings).
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        if self.state.delivery.is_development() {
            warnings.push(
                "no email.smtp_url and no sms.webhook_url: messages are not delivered, only logged \
                 (with their codes) — for development only"
                    .to_string(),
            );
        }
        if self.state.settings.testing.enabled {
            let https = if self.state.https() {
                " (and public_url is https: is this a production instance?)"
            } else {
                ""
            };
            warnings.push(format!(
                "testing.enabled is on: /__testing/sign-in signs anyone in and /__testing/outbox \
                 shows every code sent — for tests only{https}"
            ));
        }
        if let Some(islands) = &self.islands {
            let options = &self.state.leptos_options;
            let bundles = [&islands.flows, &islands.tasks, &islands.portal];
            for bundle in bundles.into_iter().flatten() {
                let wasm = PathBuf::from(options.site_root.as_ref())
                    .join(options.site_pkg_dir.as_ref())
                    .join(format!("{bundle}.wasm"));
                if !wasm.exists() {
                    warnings.push(format!(
                        "no {}: the hosted pages served as islands work only without \
                         JavaScript until the islands bundles are built (make build)",
                        wasm.display()
                    ));
                }
            }
        }
        warnings
    }

    /// Starts the work that runs beside the requests: purging the outbox of what is past its
    /// retention, every ten minutes. [`serve`](Self::serve) does this itself; an app that serves
    /// the router with its own `axum::serve` calls it once (abort the handle to stop it).
    pub fn spawn_background_tasks(&self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(purge_outbox(self.state.clone()))
    }

    /// Serves `router` on the configured address until SIGTERM or Ctrl-C; requests in flight
    /// finish first.
    pub async fn serve(&self, router: Router) -> std::io::Result<()> {
        let addr = self.state.leptos_options.site_addr;
        let listener = tokio::net::TcpListener::bind(addr).await?;
        tracing::info!("Vestibule listening on http://{addr}");
        let purging = self.spawn_background_tasks();
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown_signal())
        .await?;
        purging.abort();
        Ok(())
    }
}

/// Every ten minutes (and at start), purges outbox messages past their retention, so an idle
/// instance keeps no message body or code longer than it should, and what anonymous requests
/// left behind (README, "Security defaults").
async fn purge_outbox(state: AppState) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(600));
    loop {
        every.tick().await;
        let now = state.now();
        if let Err(e) = state.delivery.purge(now).await {
            tracing::warn!(error = %e, "outbox purge failed");
        }
        // What anonymous requests leave: counters and attempts two days past (the longest
        // window is a day), clients that never signed in after 30 days.
        if let Err(e) = state
            .store
            .purge_anonymous(now - 2 * 86_400, now - 30 * 86_400)
            .await
        {
            tracing::warn!(error = %e, "purge of anonymous rows failed");
        }
        // Lockout counters of addresses without an account, untouched for 30 days.
        if let Err(e) = state.store.purge_address_lockouts(now - 30 * 86_400).await {
            tracing::warn!(error = %e, "purge of address lockouts failed");
        }
    }
}

/// `GET /readyz`: the database answers (its migrations ran before the server started).
async fn ready(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> axum::response::Response {
    match state.store.ping().await {
        Ok(()) => "ready".into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (
                ::http::StatusCode::SERVICE_UNAVAILABLE,
                "database unavailable",
            )
                .into_response()
        }
    }
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
