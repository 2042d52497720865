//! Shared helpers of the integration tests: `spawn_app` starts the real server (the same router
//! the binary serves) on a random port against a fresh database, and `TestApp` drives it like a
//! browser and an operator would. The engine is SQLite, or PostgreSQL with
//! `VESTIBULE_TEST_ENGINE=postgres` (`make test` runs the suite once on each); `spawn_instances`
//! starts several servers on one PostgreSQL database.

pub use reqwest::{header, redirect::Policy, Client, StatusCode};
pub use serde_json::{json, Value};
use std::net::SocketAddr;
pub use std::sync::Arc;
use vestibule::demo;
use vestibule::server::clock::SystemClock;
pub use vestibule::server::store::scratch::ScratchDatabase;

pub const KEY: &str = "sk_test_integration_0123456789";

/// The encryption key test servers start with (32 bytes, base64; for tests only).
pub const ENCRYPTION_KEY: &str = "WAnAJgD8SiSJXJ6uuFvkuqCVLfo7B5qsrxoFHl0IeHs=";

/// The encryption keys a test server is given: the current one and the ones it replaced.
#[derive(Clone, Debug)]
pub struct EncryptionKeys {
    pub current: String,
    pub previous: Vec<String>,
}

impl Default for EncryptionKeys {
    fn default() -> Self {
        Self {
            current: ENCRYPTION_KEY.to_string(),
            previous: Vec::new(),
        }
    }
}

pub struct TestApp {
    pub base: String,
    /// The server's store, for the few checks no endpoint shows (what is kept at rest).
    pub store: Arc<dyn vestibule::server::store::Store>,
    /// Its database, which another server may be started on (`start_on`).
    pub database: Arc<Database>,
}

/// A test's fresh database, removed when the last server on it is dropped.
pub enum Database {
    Sqlite(tempfile::TempDir),
    Postgres(ScratchDatabase),
}

impl Database {
    /// A fresh database on the engine `VESTIBULE_TEST_ENGINE` names (default SQLite).
    pub async fn fresh() -> Self {
        match std::env::var("VESTIBULE_TEST_ENGINE").as_deref() {
            Ok("postgres") => Self::postgres().await,
            Ok("sqlite") | Err(_) => Self::Sqlite(tempfile::tempdir().unwrap()),
            Ok(other) => panic!("VESTIBULE_TEST_ENGINE: unknown engine `{other}`"),
        }
    }

    /// A fresh PostgreSQL database; the server must be reachable.
    pub async fn postgres() -> Self {
        let server = match ScratchDatabase::server().await {
            Some(url) => url,
            None => panic!("these tests need PostgreSQL (TEST_DATABASE_URL)"),
        };
        Self::Postgres(ScratchDatabase::create(&server).await.unwrap())
    }

    pub fn url(&self) -> String {
        match self {
            Self::Sqlite(dir) => format!("sqlite://{}", dir.path().join("test.db").display()),
            Self::Postgres(db) => db.url().to_string(),
        }
    }
}

pub async fn spawn_app(extra_toml: &str) -> TestApp {
    spawn_app_with_clock(extra_toml, Arc::new(SystemClock)).await
}

pub async fn spawn_app_with_clock(
    extra_toml: &str,
    clock: Arc<dyn vestibule::server::clock::Clock>,
) -> TestApp {
    spawn_app_with(extra_toml, clock, true).await
}

/// The server with `extra_toml` (after `[backend]` and, with `testing`, `[testing]`).
pub async fn spawn_app_with(
    extra_toml: &str,
    clock: Arc<dyn vestibule::server::clock::Clock>,
    testing: bool,
) -> TestApp {
    let database = Arc::new(Database::fresh().await);
    serve(database, extra_toml, clock, testing).await
}

/// `n` servers on one fresh PostgreSQL database, as several instances behind a load balancer.
/// They start at once, so their migrations race (and take turns under the advisory lock).
pub async fn spawn_instances(n: usize, extra_toml: &str) -> Vec<TestApp> {
    let database = Arc::new(Database::postgres().await);
    let mut starting = tokio::task::JoinSet::new();
    for _ in 0..n {
        let (database, toml) = (database.clone(), extra_toml.to_string());
        starting.spawn(async move { serve(database, &toml, Arc::new(SystemClock), true).await });
    }
    starting.join_all().await
}

/// Starts a server on `database` with `extra_toml`.
async fn serve(
    database: Arc<Database>,
    extra_toml: &str,
    clock: Arc<dyn vestibule::server::clock::Clock>,
    testing: bool,
) -> TestApp {
    start_on(
        database,
        extra_toml,
        clock,
        testing,
        &EncryptionKeys::default(),
    )
    .await
    .unwrap()
}

/// Starts a server on `database` with `extra_toml` and the encryption keys `keys`, or says why
/// it would not start.
pub async fn start_on(
    database: Arc<Database>,
    extra_toml: &str,
    clock: Arc<dyn vestibule::server::clock::Clock>,
    testing: bool,
    keys: &EncryptionKeys,
) -> Result<TestApp, vestibule::server::BuildError> {
    let toml =
        format!("[testing]\nenabled = {testing}\n[backend]\nsecret_key = \"{KEY}\"\n{extra_toml}");
    let url = database.url();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut options = leptos::config::get_configuration(None)
        .unwrap()
        .leptos_options;
    options.site_addr = addr;
    // The demo server, built through the same entry `main.rs` uses.
    let vestibule = demo::builder()
        .config_toml(toml)
        .env(Vec::new())
        .database_url(url)
        .clock(clock)
        .leptos_options(options)
        .hash_concurrency(2)
        .allow_testing_endpoints(testing)
        .encryption_key(keys.current.clone())
        .previous_encryption_keys(keys.previous.clone())
        .build()
        .await?;
    let store = vestibule.state().store.clone();
    let app = vestibule.router(demo::App, demo::shell);
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    Ok(TestApp {
        base: format!("http://{addr}"),
        store,
        database,
    })
}

/// How long a test request waits for its whole answer: a response that never ends fails its test
/// at the request's line instead of holding up the whole run.
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// A client without cookies.
pub fn client() -> Client {
    Client::builder().timeout(REQUEST_TIMEOUT).build().unwrap()
}

pub fn browser() -> Client {
    Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .unwrap()
}

impl TestApp {
    pub async fn create_user(&self, email: &str, password: &str) -> Value {
        let res = client()
            .post(format!("{}/v1/users", self.base))
            .bearer_auth(KEY)
            .json(&json!({ "email": email, "password": password, "email_verified": true }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        res.json().await.unwrap()
    }

    pub async fn call(
        &self,
        c: &Client,
        endpoint: &str,
        form: &[(&str, &str)],
    ) -> (StatusCode, Value) {
        let res = c
            .post(format!("{}/api/{endpoint}", self.base))
            .header(header::ACCEPT, "application/json")
            .form(form)
            .send()
            .await
            .unwrap();
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// Calls the Backend API with the secret key; answers the status and JSON body.
    pub async fn api(&self, method: reqwest::Method, path: &str) -> (StatusCode, Value) {
        let res = client()
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(KEY)
            .send()
            .await
            .unwrap();
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    pub async fn latest_code(&self, to: &str) -> String {
        let list: Value = client()
            .get(format!("{}/__testing/outbox?to={to}", self.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        list[0]["code"]
            .as_str()
            .expect("a code was sent")
            .to_string()
    }
}

pub const PW: &str = "Tr1cky-horse-battery";

pub const ORGS_REQUIRED: &str =
    "[organizations]\nenabled = true\nallow_personal_accounts = false\n";

impl TestApp {
    pub async fn post_json(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let res = client()
            .post(format!("{}{path}", self.base))
            .bearer_auth(KEY)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    pub async fn signed_in(&self, email: &str) -> Client {
        let c = browser();
        let (status, b) = self
            .call(&c, "sign_in/start", &[("email", email), ("password", PW)])
            .await;
        assert_eq!(status, StatusCode::OK, "{b}");
        c
    }

    pub async fn location(&self, c: &Client, path: &str) -> Option<String> {
        let res = c.get(format!("{}{path}", self.base)).send().await.unwrap();
        res.headers()
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap().to_string())
    }
}

pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

pub const TOTP_SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

impl TestApp {
    /// A user with an authenticator app (created through the Backend API).
    pub async fn totp_user(&self, email: &str) -> Value {
        let (status, user) = self
            .post_json(
                "/v1/users",
                json!({ "email": email, "password": PW, "email_verified": true, "totp_secret": TOTP_SECRET }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{user}");
        assert_eq!(user["two_factor_enabled"], true);
        user
    }

    /// A user whose second factor is an SMS phone, enrolled through the portal.
    pub async fn sms_user(&self, email: &str, phone: &str) -> Value {
        let user = self.create_user(email, PW).await;
        let c = self.signed_in(email).await;
        let (status, b) = self
            .call(&c, "account/sms/start", &[("phone", phone)])
            .await;
        assert_eq!(status, StatusCode::OK, "{b}");
        let code = self.latest_code(&phone.replace('+', "%2B")).await;
        let (status, b) = self
            .call(&c, "account/sms/confirm", &[("code", &code)])
            .await;
        assert_eq!(status, StatusCode::OK, "{b}");
        self.call(&c, "sessions/sign_out", &[]).await;
        user
    }

    /// Password sign-in finished with the authenticator code of the time step at `at` (a user of
    /// [`TestApp::totp_user`]); the client and the second factor's answer.
    pub async fn signed_in_with_totp(&self, email: &str, at: i64) -> (Client, Value) {
        let c = self.at_second_factor(email).await;
        let code = vestibule::server::mfa::code_at(TOTP_SECRET, at).unwrap();
        let (_, b) = self
            .call(
                &c,
                "sign_in/second_factor",
                &[("method", "totp"), ("code", &code)],
            )
            .await;
        (c, b)
    }

    /// Password sign-in that stops at the second factor.
    pub async fn at_second_factor(&self, email: &str) -> Client {
        let c = browser();
        let (_, b) = self
            .call(&c, "sign_in/start", &[("email", email), ("password", PW)])
            .await;
        assert_eq!(b["next"], "/sign-in/factor-two", "{b}");
        assert_eq!(
            b["snapshot"]["sessions"],
            json!([]),
            "no session before the second factor"
        );
        c
    }
}

pub const ORGS_OPEN: &str = "[rate_limits]\nenabled = false\n[organizations]\nenabled = true\n";

impl TestApp {
    /// An organization made through the Backend API with `admin` as its admin and `members` as
    /// `org:member`.
    pub async fn organization(&self, name: &str, admin: &Value, members: &[&Value]) -> Value {
        let members: Vec<Value> = members
            .iter()
            .map(|m| json!({ "user_id": m["id"], "role": "org:member" }))
            .collect();
        let (status, org) = self
            .post_json(
                "/v1/organizations",
                json!({ "name": name, "created_by": admin["id"], "members": members }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{org}");
        org
    }

    /// Signs `email` in and makes `org` the active organization.
    pub async fn in_org(&self, email: &str, org: &Value) -> Client {
        let c = self.signed_in(email).await;
        let (status, b) = self
            .call(
                &c,
                "sessions/set_active",
                &[("organization", org["id"].as_str().unwrap())],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{b}");
        c
    }

    pub async fn members(&self, c: &Client) -> Vec<(String, String)> {
        let (status, p) = self.call(c, "organizations/profile", &[]).await;
        assert_eq!(status, StatusCode::OK, "{p}");
        p["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m["email"].as_str().unwrap().to_string(),
                    m["role"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }

    pub async fn invite(&self, org: &Value, email: &str, role: &str) -> (StatusCode, Value) {
        self.post_json(
            &format!(
                "/v1/organizations/{}/invitations",
                org["id"].as_str().unwrap()
            ),
            json!({ "email": email, "role": role }),
        )
        .await
    }

    pub async fn outbox(&self, to: &str) -> Value {
        client()
            .get(format!("{}/__testing/outbox?to={to}", self.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    pub async fn invitation_page(&self, c: &Client, token: &str) -> Value {
        let (status, v) = self
            .call(c, "invitations/lookup", &[("token", token)])
            .await;
        assert_eq!(status, StatusCode::OK, "{v}");
        v
    }
}

pub fn token_of(url: &Value) -> String {
    let url = url.as_str().unwrap();
    url.split_once("/invitation?token=")
        .expect("an invitation link")
        .1
        .to_string()
}

/// Every text value `sql` selects (`$1` bound to `arg`), read with plain SQL.
pub async fn raw(database: &Database, sql: &str, arg: &str) -> Vec<String> {
    let url = database.url();
    let values: Vec<Option<String>> = if url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
        let v = sqlx::query_scalar(sql).bind(arg).fetch_all(&pool).await;
        pool.close().await;
        v.unwrap()
    } else {
        let pool = sqlx::PgPool::connect(&url).await.unwrap();
        let v = sqlx::query_scalar(sql).bind(arg).fetch_all(&pool).await;
        pool.close().await;
        v.unwrap()
    };
    values.into_iter().flatten().collect()
}
