//! Integration tests: the real server (the same router the binary serves) on a random port
//! against a fresh SQLite database.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test crate: failed setup should panic

use reqwest::{header, redirect::Policy, Client, StatusCode};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::Arc;
use vestibule::server::{
    clock::SystemClock, delivery::Delivery, password::Hasher, settings::Settings, state::AppState,
    store::sqlite::SqliteStore,
};

const KEY: &str = "sk_test_integration_0123456789";

struct TestApp {
    base: String,
    _dir: tempfile::TempDir,
}

async fn spawn_app(extra_toml: &str) -> TestApp {
    spawn_app_with_clock(extra_toml, Arc::new(SystemClock)).await
}

async fn spawn_app_with_clock(
    extra_toml: &str,
    clock: Arc<dyn vestibule::server::clock::Clock>,
) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let toml =
        format!("[testing]\nenabled = true\n[backend]\nsecret_key = \"{KEY}\"\n{extra_toml}");
    let settings = Settings::from_toml(&toml, Vec::<(String, String)>::new()).unwrap();
    let url = format!("sqlite://{}", dir.path().join("test.db").display());
    let store: Arc<dyn vestibule::server::store::Store> =
        Arc::new(SqliteStore::connect(&url).await.unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut options = leptos::config::get_configuration(None)
        .unwrap()
        .leptos_options;
    options.site_addr = addr;
    let state = AppState {
        delivery: Delivery::new(
            store.clone(),
            None,
            &settings.email.from,
            settings.sms.webhook_url.as_deref(),
        )
        .unwrap(),
        settings: Arc::new(settings),
        store,
        clock,
        hasher: Hasher::new(2).unwrap(),
        leptos_options: options,
    };
    let app = vestibule::server::router(state);
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    TestApp {
        base: format!("http://{addr}"),
        _dir: dir,
    }
}

fn browser() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .unwrap()
}

impl TestApp {
    async fn create_user(&self, email: &str, password: &str) -> Value {
        let res = Client::new()
            .post(format!("{}/v1/users", self.base))
            .bearer_auth(KEY)
            .json(&json!({ "email": email, "password": password, "email_verified": true }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        res.json().await.unwrap()
    }

    async fn call(&self, c: &Client, endpoint: &str, form: &[(&str, &str)]) -> (StatusCode, Value) {
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
    async fn api(&self, method: reqwest::Method, path: &str) -> (StatusCode, Value) {
        let res = Client::new()
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(KEY)
            .send()
            .await
            .unwrap();
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    async fn latest_code(&self, to: &str) -> String {
        let list: Value = Client::new()
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

const PW: &str = "Tr1cky-horse-battery";

#[tokio::test]
async fn sign_up_verifies_the_email_and_signs_in_with_a_safe_cookie() {
    let app = spawn_app("").await;
    let c = browser();
    let res = c
        .post(format!("{}/api/sign_up/create", app.base))
        .header(header::ACCEPT, "application/json")
        .form(&[("email", "new@example.com"), ("password", PW)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = res
        .headers()
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(cookie.starts_with("__client="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/")
    );
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["next"], "/sign-up/verify-email-address");
    assert_eq!(
        body["snapshot"]["sign_up"]["status"],
        "missing_requirements"
    );

    let (status, body) = app.call(&c, "sign_up/verify", &[("code", "000000")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["code"], "form_code_incorrect");

    let code = app.latest_code("new@example.com").await;
    let (status, body) = app.call(&c, "sign_up/verify", &[("code", &code)]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["next"], "/dashboard");
    assert_eq!(body["snapshot"]["sessions"][0]["status"], "active");
    let (status, me) = app.call(&c, "app/whoami", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(me["user_id"].as_str().unwrap().starts_with("user_"));
}

#[tokio::test]
async fn unknown_email_and_wrong_password_look_the_same() {
    let app = spawn_app("").await;
    app.create_user("known@example.com", PW).await;
    let (s1, b1) = app
        .call(
            &browser(),
            "sign_in/start",
            &[
                ("email", "known@example.com"),
                ("password", "wrong-password-1"),
            ],
        )
        .await;
    let (s2, b2) = app
        .call(
            &browser(),
            "sign_in/start",
            &[
                ("email", "nobody@example.com"),
                ("password", "wrong-password-1"),
            ],
        )
        .await;
    assert_eq!(s1, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!((s1, &b1), (s2, &b2));
    assert_eq!(b1["code"], "form_password_incorrect");
}

#[tokio::test]
async fn ten_failures_lock_the_account() {
    let app = spawn_app("[rate_limits]\nenabled = false\n").await;
    app.create_user("lock@example.com", PW).await;
    let c = browser();
    for i in 0..9 {
        let (_, b) = app
            .call(
                &c,
                "sign_in/start",
                &[("email", "lock@example.com"), ("password", "nope-nope-1")],
            )
            .await;
        assert_eq!(b["code"], "form_password_incorrect", "attempt {i}");
    }
    let (_, b) = app
        .call(
            &c,
            "sign_in/start",
            &[("email", "lock@example.com"), ("password", "nope-nope-1")],
        )
        .await;
    assert_eq!(b["code"], "user_locked");
    assert_eq!(b["n"], 60);
    let (_, b) = app
        .call(
            &c,
            "sign_in/start",
            &[("email", "lock@example.com"), ("password", PW)],
        )
        .await;
    assert_eq!(
        b["code"], "user_locked",
        "the right password is refused while locked"
    );
}

#[tokio::test]
async fn attempt_starts_are_rate_limited_per_ip() {
    let app = spawn_app("").await;
    let c = browser();
    // Fixed 10 s windows: of 11 quick starts, at least 6 fall into one window.
    let mut limited = None;
    for i in 0..11 {
        let res = c
            .post(format!("{}/api/sign_in/start", app.base))
            .header(header::ACCEPT, "application/json")
            .form(&[("email", "x@example.com"), ("password", "whatever-1")])
            .send()
            .await
            .unwrap();
        if res.status() == StatusCode::TOO_MANY_REQUESTS {
            assert!(i >= 5, "the first five starts are allowed");
            limited = Some(res);
            break;
        }
    }
    let res = limited.expect("the sixth start within 10 s is refused");
    let retry: u64 = res.headers()[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=10).contains(&retry));
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["errors"][0]["code"], "too_many_requests");
}

#[tokio::test]
async fn foreign_origins_are_refused() {
    let app = spawn_app("").await;
    let res = browser()
        .post(format!("{}/api/sign_in/start", app.base))
        .header(header::ORIGIN, "http://evil.example")
        .form(&[("email", "x@example.com"), ("password", "whatever-1")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["errors"][0]["code"], "origin_mismatch");
    let res = browser()
        .post(format!("{}/api/sign_in/start", app.base))
        .header(header::REFERER, "http://evil.example/page")
        .form(&[("email", "x@example.com"), ("password", "whatever-1")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn protected_pages_redirect_and_open_redirects_are_refused() {
    let app = spawn_app("").await;
    app.create_user("r@example.com", PW).await;
    let c = browser();
    let res = c
        .get(format!("{}/dashboard?tab=1", app.base))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_redirection());
    assert_eq!(
        res.headers()[header::LOCATION],
        "/sign-in?redirect_url=/dashboard%3Ftab%3D1"
    );
    let (_, b) = app
        .call(
            &c,
            "sign_in/start",
            &[
                ("email", "r@example.com"),
                ("password", PW),
                ("redirect_url", "https://evil.example"),
            ],
        )
        .await;
    assert_eq!(b["next"], "/dashboard");
    let res = c.get(format!("{}/sign-in", app.base)).send().await.unwrap();
    assert_eq!(
        res.headers()[header::LOCATION],
        "/dashboard",
        "single-session: signed in goes on"
    );
    let (_, b) = app
        .call(
            &c,
            "sign_in/start",
            &[("email", "r@example.com"), ("password", PW)],
        )
        .await;
    assert_eq!(b["code"], "session_exists");
    let page = c
        .get(format!("{}/dashboard", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK, "{:?}", page.headers());
    let csp = page.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("'nonce-"),
        "{csp}"
    );
    assert_eq!(page.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
}

#[tokio::test]
async fn a_compromised_password_makes_the_session_pending() {
    let app = spawn_app("").await;
    let user = app.create_user("p@example.com", PW).await;
    let c = browser();
    let (_, b) = app
        .call(
            &c,
            "sign_in/start",
            &[("email", "p@example.com"), ("password", PW)],
        )
        .await;
    assert_eq!(b["snapshot"]["sessions"][0]["status"], "active");
    let path = format!(
        "/v1/users/{}/password_compromised",
        user["id"].as_str().unwrap()
    );
    let (status, _) = app.api(reqwest::Method::POST, &path).await;
    assert_eq!(status, StatusCode::OK);
    let res = c
        .get(format!("{}/dashboard", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()[header::LOCATION],
        "/sign-in/tasks/reset-password?redirect_url=/dashboard",
        "the next request sees the task"
    );
    let (status, b) = app.call(&c, "app/whoami", &[]).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "app data refuses a pending session: {b}"
    );
}

#[tokio::test]
async fn backend_api_authenticates_and_validates() {
    let app = spawn_app("").await;
    let url = format!("{}/v1/users", app.base);
    let anon = Client::new()
        .post(&url)
        .json(&json!({"email": "a@example.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(anon.status(), StatusCode::UNAUTHORIZED);
    let wrong = Client::new()
        .post(&url)
        .bearer_auth("sk_wrong_key_000000000")
        .json(&json!({"email": "a@example.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let k = || Client::new().post(&url).bearer_auth(KEY);
    let malformed = k()
        .header(header::CONTENT_TYPE, "application/json")
        .body("{nope")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    let wrong_type = k().json(&json!({"email": 42})).send().await.unwrap();
    assert_eq!(wrong_type.status(), StatusCode::BAD_REQUEST);
    let bad_email = k()
        .json(&json!({"email": "not an email"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad_email.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = bad_email.json().await.unwrap();
    assert_eq!(body["errors"][0]["code"], "form_param_format_invalid");
    let long = k()
        .json(&json!({"email": format!("{}@example.com", "a".repeat(300))}))
        .send()
        .await
        .unwrap();
    assert_eq!(long.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let (_, listed) = app
        .api(reqwest::Method::GET, "/v1/users?email=a@example.com")
        .await;
    assert_eq!(
        listed["total_count"], 0,
        "nothing was written by bad requests"
    );
    let created = app.create_user("a@example.com", PW).await;
    assert_eq!(created["has_password"], true);
    let dup = k()
        .json(&json!({"email": "a@example.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(dup.status(), StatusCode::CONFLICT);
    let (missing, _) = app.api(reqwest::Method::GET, "/v1/users/user_nope").await;
    assert_eq!(missing, StatusCode::NOT_FOUND);
    let id = created["id"].as_str().unwrap();
    let (_, locked) = app
        .api(reqwest::Method::POST, &format!("/v1/users/{id}/lock"))
        .await;
    assert_eq!(locked["locked"], true);
    let (_, b) = app
        .call(
            &browser(),
            "sign_in/start",
            &[("email", "a@example.com"), ("password", PW)],
        )
        .await;
    assert_eq!(b["code"], "user_locked");
    let (_, unlocked) = app
        .api(reqwest::Method::POST, &format!("/v1/users/{id}/unlock"))
        .await;
    assert_eq!(unlocked["locked"], false);
    let c = browser();
    let (_, b) = app
        .call(
            &c,
            "sign_in/start",
            &[("email", "a@example.com"), ("password", PW)],
        )
        .await;
    let sid = b["snapshot"]["sessions"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, revoked) = app
        .api(reqwest::Method::POST, &format!("/v1/sessions/{sid}/revoke"))
        .await;
    assert_eq!(revoked["status"], "revoked");
    let (status, _) = app.call(&c, "app/whoami", &[]).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a revoked session is signed out"
    );
    let (_, sessions) = app
        .api(reqwest::Method::GET, &format!("/v1/users/{id}/sessions"))
        .await;
    assert_eq!(sessions["total_count"], 1);
}

#[tokio::test]
async fn forgot_password_resets_and_signs_in() {
    let app = spawn_app("[rate_limits]\nenabled = false\n").await;
    app.create_user("f@example.com", PW).await;
    let c = browser();
    let (_, b) = app
        .call(
            &c,
            "sign_in/start",
            &[("email", "f@example.com"), ("action", "forgot_password")],
        )
        .await;
    assert_eq!(b["next"], "/sign-in/reset-password");
    let code = app.latest_code("f@example.com").await;
    let (_, b) = app.call(&c, "sign_in/code", &[("code", &code)]).await;
    assert_eq!(b["snapshot"]["sign_in"]["status"], "needs_new_password");
    let (_, b) = app
        .call(
            &c,
            "sign_in/new_password",
            &[("password", PW), ("confirm_password", PW)],
        )
        .await;
    assert_eq!(b["code"], "form_new_password_matches_current");
    let (_, b) = app
        .call(
            &c,
            "sign_in/new_password",
            &[
                ("password", "password123"),
                ("confirm_password", "password123"),
            ],
        )
        .await;
    assert_eq!(b["code"], "form_password_pwned");
    let (_, b) = app
        .call(
            &c,
            "sign_in/new_password",
            &[
                ("password", "An0ther-good-one"),
                ("confirm_password", "An0ther-good-one"),
                ("sign_out_others", "true"),
            ],
        )
        .await;
    assert_eq!(b["next"], "/dashboard", "{b}");
    let (_, b) = app
        .call(
            &browser(),
            "sign_in/start",
            &[("email", "f@example.com"), ("password", PW)],
        )
        .await;
    assert_eq!(
        b["code"], "form_password_incorrect",
        "the old password no longer works"
    );
}

#[tokio::test]
async fn sign_up_settings_are_enforced() {
    let app =
        spawn_app("[sign_up]\nlegal_consent = true\n[sign_in]\nenumeration_protection = false\n")
            .await;
    let c = browser();
    let (status, b) = app
        .call(
            &c,
            "sign_up/create",
            &[("email", "l@example.com"), ("password", PW)],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(b["code"], "form_legal_consent_missing");
    let (status, b) = app
        .call(
            &c,
            "sign_up/create",
            &[
                ("email", "l@example.com"),
                ("password", PW),
                ("legal_accepted", "true"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    app.create_user("taken@example.com", PW).await;
    let (status, b) = app
        .call(
            &browser(),
            "sign_up/create",
            &[
                ("email", "taken@example.com"),
                ("password", PW),
                ("legal_accepted", "true"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(
        b["code"], "form_identifier_exists",
        "without enumeration protection it is said"
    );
    let (_, b) = app
        .call(
            &browser(),
            "sign_in/start",
            &[("email", "nobody@example.com"), ("password", PW)],
        )
        .await;
    assert_eq!(b["code"], "form_identifier_not_found");

    let closed = spawn_app("[sign_up]\nenabled = false\n").await;
    let (_, b) = closed
        .call(
            &browser(),
            "sign_up/create",
            &[("email", "x@example.com"), ("password", PW)],
        )
        .await;
    assert_eq!(b["code"], "sign_up_disabled");
}

#[tokio::test]
async fn sign_out_ends_the_session_and_a_forged_cookie_is_nobody() {
    let app = spawn_app("").await;
    app.create_user("o@example.com", PW).await;
    let c = browser();
    app.call(
        &c,
        "sign_in/start",
        &[("email", "o@example.com"), ("password", PW)],
    )
    .await;
    let (status, _) = app.call(&c, "app/whoami", &[]).await;
    assert_eq!(status, StatusCode::OK);
    let (_, b) = app.call(&c, "sessions/sign_out", &[]).await;
    assert_eq!(b["next"], "/");
    assert_eq!(b["snapshot"]["sessions"].as_array().unwrap().len(), 0);
    let (status, _) = app.call(&c, "app/whoami", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let forged = Client::new()
        .post(format!("{}/api/app/whoami", app.base))
        .header(header::ACCEPT, "application/json")
        .header(header::COOKIE, format!("__client={}", "a".repeat(64)))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
}

const ORGS_REQUIRED: &str = "[organizations]\nenabled = true\nallow_personal_accounts = false\n";

impl TestApp {
    async fn post_json(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let res = Client::new()
            .post(format!("{}{path}", self.base))
            .bearer_auth(KEY)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    async fn signed_in(&self, email: &str) -> Client {
        let c = browser();
        let (status, b) = self
            .call(&c, "sign_in/start", &[("email", email), ("password", PW)])
            .await;
        assert_eq!(status, StatusCode::OK, "{b}");
        c
    }

    async fn location(&self, c: &Client, path: &str) -> Option<String> {
        let res = c.get(format!("{}{path}", self.base)).send().await.unwrap();
        res.headers()
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap().to_string())
    }
}

#[tokio::test]
async fn a_pending_session_is_signed_out_unless_the_caller_opts_in() {
    let app = spawn_app(ORGS_REQUIRED).await;
    app.create_user("t@example.com", PW).await;
    let c = browser();
    let (_, b) = app
        .call(
            &c,
            "sign_in/start",
            &[("email", "t@example.com"), ("password", PW)],
        )
        .await;
    assert_eq!(b["next"], "/sign-in/tasks/choose-organization");
    assert_eq!(b["snapshot"]["sessions"][0]["status"], "pending");
    let (status, _) = app.call(&c, "app/whoami", &[]).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "app data refuses a pending session"
    );
    // Task steps opt in: the memberships read answers for the pending session.
    // The snapshot still shows the pending session with its task and (empty) memberships.
    let (status, snap) = app.call(&c, "client", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(snap["sessions"][0]["tasks"], json!(["choose-organization"]));
    assert_eq!(snap["sessions"][0]["memberships"], json!([]));
    // A step for another task is refused: a task cannot be skipped through the API.
    let (status, b) = app
        .call(
            &c,
            "tasks/reset_password",
            &[
                ("password", "N3w-pass-word"),
                ("confirm_password", "N3w-pass-word"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(b["code"], "task_not_current");
}

#[tokio::test]
async fn protection_sends_pending_users_straight_to_their_task() {
    let app = spawn_app(ORGS_REQUIRED).await;
    app.create_user("g@example.com", PW).await;
    let c = app.signed_in("g@example.com").await;
    assert_eq!(
        app.location(&c, "/dashboard?x=1").await.as_deref(),
        Some("/sign-in/tasks/choose-organization?redirect_url=/dashboard%3Fx%3D1")
    );
    assert_eq!(
        app.location(&c, "/sign-in/tasks").await.as_deref(),
        Some("/sign-in/tasks/choose-organization")
    );
    assert_eq!(
        app.location(&c, "/sign-in/tasks/setup-mfa?redirect_url=/admin")
            .await
            .as_deref(),
        Some("/sign-in/tasks/choose-organization?redirect_url=/admin"),
        "a task page that is not current goes to the current one"
    );
    assert_eq!(
        app.location(&c, "/sign-in/tasks/choose-organization").await,
        None
    );
    assert_eq!(
        app.location(&browser(), "/sign-in/tasks/choose-organization")
            .await
            .as_deref(),
        Some("/sign-in"),
        "no session: sign in"
    );
    assert_eq!(
        app.location(
            &c,
            "/sign-in/tasks/choose-organization?redirect_url=https://evil.example"
        )
        .await,
        None
    );
    // Completing the task with an off-site redirect_url lands on the after-sign-in URL.
    let (_, b) = app
        .call(
            &c,
            "organizations/create",
            &[
                ("name", "Good Co"),
                ("redirect_url", "https://evil.example"),
            ],
        )
        .await;
    assert_eq!(b["next"], "/dashboard", "{b}");
    assert_eq!(b["snapshot"]["sessions"][0]["status"], "active");
    assert_eq!(
        b["snapshot"]["sessions"][0]["organization"]["slug"],
        "good-co"
    );
    assert_eq!(
        b["snapshot"]["sessions"][0]["organization"]["role"],
        "org:admin"
    );
    assert_eq!(
        app.location(&c, "/sign-in/tasks/choose-organization?redirect_url=/admin")
            .await
            .as_deref(),
        Some("/admin"),
        "an active session on a task page goes to its redirect_url"
    );
    let admin = c.get(format!("{}/admin", app.base)).send().await.unwrap();
    assert_eq!(admin.status(), StatusCode::OK);
}

#[tokio::test]
async fn choosing_an_existing_membership_and_the_admin_page() {
    let app = spawn_app(ORGS_REQUIRED).await;
    let admin = app.create_user("boss@example.com", PW).await;
    let member = app.create_user("m@example.com", PW).await;
    let (status, org) = app
        .post_json(
            "/v1/organizations",
            json!({ "name": "Acme", "created_by": admin["id"], "members": [{ "user_id": member["id"], "role": "org:member" }] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{org}");
    assert_eq!(org["slug"], "acme");
    let (status, _) = app
        .post_json("/v1/organizations", json!({ "name": "Acme" }))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "slug taken");
    let (status, _) = app
        .post_json(
            "/v1/organizations",
            json!({ "name": "X", "slug": "Bad Slug" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    let c = app.signed_in("m@example.com").await;
    let (_, snap) = app.call(&c, "client", &[]).await;
    assert_eq!(snap["sessions"][0]["memberships"][0]["name"], "Acme");
    let (status, b) = app
        .call(&c, "sessions/set_active", &[("organization", "org_nope")])
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{b}");
    let (status, b) = app
        .call(&c, "sessions/set_active", &[("personal", "true")])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(b["code"], "personal_workspace_disabled");
    let (_, b) = app
        .call(
            &c,
            "sessions/set_active",
            &[("organization", "acme"), ("redirect_url", "/admin")],
        )
        .await;
    assert_eq!(b["next"], "/admin");
    assert_eq!(
        b["snapshot"]["sessions"][0]["organization"]["role"],
        "org:member"
    );
    let page = c.get(format!("{}/admin", app.base)).send().await.unwrap();
    assert_eq!(
        page.status(),
        StatusCode::NOT_FOUND,
        "a member gets the 404 page"
    );
    assert!(page.text().await.unwrap().contains("Page not found"));
    let (status, me) = app.call(&c, "app/whoami", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["org_slug"], "acme");

    let boss = app.signed_in("boss@example.com").await;
    app.call(
        &boss,
        "sessions/set_active",
        &[("organization", org["id"].as_str().unwrap())],
    )
    .await;
    let page = boss
        .get(format!("{}/admin", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("<h1>Admin</h1>"));
}

#[tokio::test]
async fn creation_disabled_leaves_a_member_less_user_pending() {
    let app = spawn_app(&format!("{ORGS_REQUIRED}creation_enabled = false\n")).await;
    app.create_user("lonely@example.com", PW).await;
    let c = app.signed_in("lonely@example.com").await;
    let (status, b) = app
        .call(&c, "organizations/create", &[("name", "Mine")])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(b["code"], "organization_creation_disabled");
    let (status, _) = app.call(&c, "app/whoami", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn reset_password_then_choose_organization_in_order() {
    let app = spawn_app(&format!("{ORGS_REQUIRED}[rate_limits]\nenabled = false\n")).await;
    let user = app.create_user("rp@example.com", PW).await;
    let id = user["id"].as_str().unwrap();
    let other_device = app.signed_in("rp@example.com").await;
    app.api(
        reqwest::Method::POST,
        &format!("/v1/users/{id}/password_compromised"),
    )
    .await;
    // The right but compromised password continues with an email code.
    let c = browser();
    let (_, b) = app
        .call(
            &c,
            "sign_in/start",
            &[("email", "rp@example.com"), ("password", PW)],
        )
        .await;
    assert_eq!(b["next"], "/sign-in/factor-one");
    assert_eq!(b["snapshot"]["sign_in"]["password_compromised"], true);
    app.call(&c, "sign_in/email_code", &[]).await;
    let code = app.latest_code("rp@example.com").await;
    let (_, b) = app.call(&c, "sign_in/code", &[("code", &code)]).await;
    assert_eq!(
        b["snapshot"]["sessions"][0]["tasks"],
        json!(["reset-password", "choose-organization"])
    );
    assert_eq!(b["next"], "/sign-in/tasks/reset-password");
    for (pw, code) in [
        (PW, "form_new_password_matches_current"),
        ("password123", "form_password_pwned"),
        ("short", "form_password_length_too_short"),
    ] {
        let (_, b) = app
            .call(
                &c,
                "tasks/reset_password",
                &[("password", pw), ("confirm_password", pw)],
            )
            .await;
        assert_eq!(b["code"], code);
    }
    let (_, b) = app
        .call(
            &c,
            "tasks/reset_password",
            &[
                ("password", "Fresh-Pass-77"),
                ("confirm_password", "Fresh-Pass-77"),
                ("redirect_url", "/dashboard"),
            ],
        )
        .await;
    assert_eq!(
        b["next"],
        "/sign-in/tasks/choose-organization?redirect_url=/dashboard"
    );
    let (_, u) = app
        .api(reqwest::Method::GET, &format!("/v1/users/{id}"))
        .await;
    assert_eq!(u["password_compromised"], false);
    let (status, _) = app.call(&other_device, "app/whoami", &[]).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the other client's session was ended"
    );
}

#[tokio::test]
async fn setup_mfa_with_an_authenticator_app() {
    let app = spawn_app("[mfa]\nrequired = true\n").await;
    let user = app.create_user("mfa@example.com", PW).await;
    let c = app.signed_in("mfa@example.com").await;
    let (_, snap) = app.call(&c, "client", &[]).await;
    let setup = &snap["mfa_setup"];
    let secret = setup["totp_secret"].as_str().unwrap().to_string();
    assert!(setup["totp_qr_png_base64"].as_str().unwrap().len() > 100);
    let (_, b) = app.call(&c, "tasks/mfa/totp", &[("code", "000000")]).await;
    assert_eq!(b["code"], "form_code_incorrect");
    let (_, u) = app
        .api(
            reqwest::Method::GET,
            &format!("/v1/users/{}", user["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(
        u["two_factor_enabled"], false,
        "a wrong code enrols nothing"
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let code = vestibule::server::mfa::code_at(&secret, now as i64).unwrap();
    let (_, b) = app.call(&c, "tasks/mfa/totp", &[("code", &code)]).await;
    assert_eq!(
        b["snapshot"]["sessions"][0]["status"], "pending",
        "backup codes not shown yet"
    );
    let (_, snap) = app.call(&c, "client", &[]).await;
    let codes = snap["mfa_setup"]["backup_codes"].as_array().unwrap();
    assert_eq!(codes.len(), 10);
    let (_, b) = app.call(&c, "tasks/mfa/done", &[]).await;
    assert_eq!(b["snapshot"]["sessions"][0]["status"], "active");
    assert_eq!(b["next"], "/dashboard");
    assert_eq!(
        b["snapshot"]["mfa_setup"],
        Value::Null,
        "the codes are never shown again"
    );
    let (status, b) = app.call(&c, "tasks/mfa/done", &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{b}");
}

#[tokio::test]
async fn setup_mfa_with_sms() {
    let app = spawn_app("[mfa]\nrequired = true\nmethods = [\"sms\"]\n").await;
    app.create_user("sms@example.com", PW).await;
    let c = app.signed_in("sms@example.com").await;
    let (status, b) = app.call(&c, "tasks/mfa/phone", &[("phone", "12345")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let (_, b) = app
        .call(&c, "tasks/mfa/phone", &[("phone", "+1 555 010 0199")])
        .await;
    assert_eq!(b["next"], "");
    let code = app.latest_code("%2B15550100199").await;
    let (_, b) = app
        .call(&c, "tasks/mfa/phone_code", &[("code", "999999")])
        .await;
    assert_eq!(b["code"], "form_code_incorrect");
    app.call(&c, "tasks/mfa/phone_code", &[("code", &code)])
        .await;
    let (_, b) = app.call(&c, "tasks/mfa/done", &[]).await;
    assert_eq!(b["snapshot"]["sessions"][0]["status"], "active", "{b}");
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

const TOTP_SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

impl TestApp {
    /// A user with an authenticator app (created through the Backend API).
    async fn totp_user(&self, email: &str) -> Value {
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

    /// Password sign-in that stops at the second factor.
    async fn at_second_factor(&self, email: &str) -> Client {
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

#[tokio::test]
async fn totp_at_sign_in_and_replay_refused() {
    let app = spawn_app("[rate_limits]\nenabled = false\n").await;
    app.totp_user("totp@example.com").await;
    let c = app.at_second_factor("totp@example.com").await;
    let (_, snap) = app.call(&c, "client", &[]).await;
    assert_eq!(
        snap["sign_in"]["second_factors"],
        json!(["totp", "backup_code"])
    );
    let code = vestibule::server::mfa::code_at(TOTP_SECRET, unix_now()).unwrap();
    let (_, b) = app
        .call(
            &c,
            "sign_in/second_factor",
            &[("method", "totp"), ("code", &code)],
        )
        .await;
    assert_eq!(b["next"], "/dashboard", "{b}");
    // The same code on another browser is refused: each time step is accepted once.
    let other = app.at_second_factor("totp@example.com").await;
    let (_, b) = app
        .call(
            &other,
            "sign_in/second_factor",
            &[("method", "totp"), ("code", &code)],
        )
        .await;
    assert_eq!(b["code"], "form_code_incorrect");
}

#[tokio::test]
async fn failed_totp_codes_lock_the_account() {
    let app = spawn_app("[rate_limits]\nenabled = false\n[lockout]\nmax_attempts = 3\n").await;
    app.totp_user("lt@example.com").await;
    let c = app.at_second_factor("lt@example.com").await;
    let good = vestibule::server::mfa::code_at(TOTP_SECRET, unix_now()).unwrap();
    let bad = if good == "123456" { "654321" } else { "123456" };
    for _ in 0..2 {
        let (_, b) = app
            .call(
                &c,
                "sign_in/second_factor",
                &[("method", "totp"), ("code", bad)],
            )
            .await;
        assert_eq!(b["code"], "form_code_incorrect");
    }
    let (_, b) = app
        .call(
            &c,
            "sign_in/second_factor",
            &[("method", "totp"), ("code", bad)],
        )
        .await;
    assert_eq!(b["code"], "user_locked");
    let (_, b) = app
        .call(
            &c,
            "sign_in/second_factor",
            &[("method", "totp"), ("code", &good)],
        )
        .await;
    assert_eq!(
        b["code"], "user_locked",
        "even the right code waits for the lockout"
    );
}

#[tokio::test]
async fn a_backup_code_works_exactly_once_even_concurrently() {
    let app = spawn_app("[rate_limits]\nenabled = false\n[mfa]\nrequired = true\n").await;
    app.create_user("bk@example.com", PW).await;
    let c = app.signed_in("bk@example.com").await;
    let (_, snap) = app.call(&c, "client", &[]).await;
    let secret = snap["mfa_setup"]["totp_secret"]
        .as_str()
        .unwrap()
        .to_string();
    let code = vestibule::server::mfa::code_at(&secret, unix_now()).unwrap();
    app.call(&c, "tasks/mfa/totp", &[("code", &code)]).await;
    let (_, snap) = app.call(&c, "client", &[]).await;
    let backup = snap["mfa_setup"]["backup_codes"][0]
        .as_str()
        .unwrap()
        .to_string();
    app.call(&c, "tasks/mfa/done", &[]).await;

    let a = app.at_second_factor("bk@example.com").await;
    let b = app.at_second_factor("bk@example.com").await;
    let form = [("method", "backup_code"), ("code", backup.as_str())];
    let ((_, ra), (_, rb)) = tokio::join!(
        app.call(&a, "sign_in/second_factor", &form),
        app.call(&b, "sign_in/second_factor", &form)
    );
    let wins = [&ra, &rb]
        .iter()
        .filter(|r| r["next"] == "/dashboard")
        .count();
    assert_eq!(wins, 1, "exactly one use succeeds: {ra} {rb}");
    let third = app.at_second_factor("bk@example.com").await;
    let (_, r) = app.call(&third, "sign_in/second_factor", &form).await;
    assert_eq!(r["code"], "form_code_incorrect");
}

#[tokio::test]
async fn a_password_reset_does_not_bypass_mfa() {
    let app = spawn_app("[rate_limits]\nenabled = false\n").await;
    app.totp_user("rm@example.com").await;
    let c = browser();
    app.call(
        &c,
        "sign_in/start",
        &[("email", "rm@example.com"), ("action", "forgot_password")],
    )
    .await;
    let code = app.latest_code("rm@example.com").await;
    app.call(&c, "sign_in/code", &[("code", &code)]).await;
    let (_, b) = app
        .call(
            &c,
            "sign_in/new_password",
            &[
                ("password", "Brand-New-Pass-9"),
                ("confirm_password", "Brand-New-Pass-9"),
            ],
        )
        .await;
    assert_eq!(b["next"], "/sign-in/factor-two", "{b}");
    assert_eq!(b["snapshot"]["sessions"], json!([]));
}

#[tokio::test]
async fn device_trust_challenges_a_new_browser_only() {
    let app = spawn_app("[rate_limits]\nenabled = false\n[client_trust]\nenabled = true\n").await;
    app.create_user("dt@example.com", PW).await;
    let c = browser();
    let (_, b) = app
        .call(
            &c,
            "sign_in/start",
            &[("email", "dt@example.com"), ("password", PW)],
        )
        .await;
    assert_eq!(b["next"], "/sign-in/client-trust");
    assert_eq!(
        b["snapshot"]["sessions"],
        json!([]),
        "signed out until the code"
    );
    let (_, b) = app.call(&c, "sign_in/code", &[("code", "000000")]).await;
    assert_eq!(b["code"], "form_code_incorrect");
    let code = app.latest_code("dt@example.com").await;
    let (_, b) = app.call(&c, "sign_in/code", &[("code", &code)]).await;
    assert_eq!(b["next"], "/dashboard", "{b}");
    app.call(&c, "sessions/sign_out", &[]).await;
    let (_, b) = app
        .call(
            &c,
            "sign_in/start",
            &[("email", "dt@example.com"), ("password", PW)],
        )
        .await;
    assert_eq!(b["next"], "/dashboard", "the same browser is trusted now");
    // An MFA user gets the second factor instead.
    app.totp_user("dt-mfa@example.com").await;
    app.at_second_factor("dt-mfa@example.com").await;
}

#[tokio::test]
async fn the_portal_needs_the_password_for_security_changes() {
    let app = spawn_app("[rate_limits]\nenabled = false\n").await;
    app.totp_user("portal@example.com").await;
    let sign_in = |c: &Client| {
        let c = c.clone();
        let app = &app;
        async move {
            app.call(
                &c,
                "sign_in/start",
                &[("email", "portal@example.com"), ("password", PW)],
            )
            .await;
            let code = vestibule::server::mfa::code_at(TOTP_SECRET, unix_now() + 30).unwrap();
            let (_, b) = app
                .call(
                    &c,
                    "sign_in/second_factor",
                    &[("method", "totp"), ("code", &code)],
                )
                .await;
            assert_eq!(b["next"], "/dashboard", "{b}");
        }
    };
    let here = browser();
    sign_in(&here).await;
    let (status, account) = app.call(&here, "account", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(account["authenticator_app"], true);
    assert_eq!(account["devices"].as_array().unwrap().len(), 1);

    // Regenerating backup codes needs the password.
    let (_, b) = app
        .call(
            &here,
            "account/backup_codes",
            &[("current_password", "wrong-one-1")],
        )
        .await;
    assert_eq!(b["code"], "form_password_incorrect");
    let (_, b) = app
        .call(&here, "account/backup_codes", &[("current_password", PW)])
        .await;
    assert_eq!(b["next"], "");
    let (_, account) = app.call(&here, "account", &[]).await;
    let first = account["new_backup_codes"][0].as_str().unwrap().to_string();
    assert_eq!(account["backup_codes_left"], 10);
    let (_, again) = app.call(&here, "account", &[]).await;
    assert_eq!(again["new_backup_codes"], Value::Null, "shown once");
    app.call(&here, "account/backup_codes", &[("current_password", PW)])
        .await;
    let other = app.at_second_factor("portal@example.com").await;
    let (_, b) = app
        .call(
            &other,
            "sign_in/second_factor",
            &[("method", "backup_code"), ("code", &first)],
        )
        .await;
    assert_eq!(
        b["code"], "form_code_incorrect",
        "regenerated codes replace the old ones"
    );

    // Another device, signed out from here.
    let phone = browser();
    let res = phone
        .post(format!("{}/__testing/sign-in", app.base))
        .json(&json!({ "email": "portal@example.com" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let (_, account) = app.call(&here, "account", &[]).await;
    let devices = account["devices"].as_array().unwrap().clone();
    assert_eq!(devices.len(), 2);
    let other_id = devices.iter().find(|d| d["this_device"] == false).unwrap()["session_id"]
        .as_str()
        .unwrap()
        .to_string();
    app.call(
        &here,
        "account/devices/sign_out",
        &[("session_id", &other_id)],
    )
    .await;
    let (status, _) = app.call(&phone, "app/whoami", &[]).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "that device is signed out"
    );

    // Changing the password needs the current one and keeps this device.
    let (_, b) = app
        .call(
            &here,
            "account/password",
            &[
                ("current_password", "nope-nope-1"),
                ("password", "Another-Pass-55"),
                ("confirm_password", "Another-Pass-55"),
            ],
        )
        .await;
    assert_eq!(b["code"], "form_password_incorrect");
    let (status, b) = app
        .call(
            &here,
            "account/password",
            &[
                ("current_password", PW),
                ("password", "Another-Pass-55"),
                ("confirm_password", "Another-Pass-55"),
                ("sign_out_others", "true"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    let (status, _) = app.call(&here, "app/whoami", &[]).await;
    assert_eq!(status, StatusCode::OK);
    let (_, outbox) = app
        .api(
            reqwest::Method::GET,
            "/__testing/outbox?to=portal@example.com",
        )
        .await;
    assert!(outbox.as_array().unwrap().iter().any(|m| m["subject"]
        .as_str()
        .unwrap()
        .contains("password was changed")));
}

#[tokio::test]
async fn the_portal_refuses_a_pending_session() {
    let app = spawn_app(ORGS_REQUIRED).await;
    app.create_user("pp@example.com", PW).await;
    let c = app.signed_in("pp@example.com").await;
    let (status, _) = app.call(&c, "account", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.location(&c, "/user").await.as_deref(),
        Some("/sign-in/tasks/choose-organization?redirect_url=/user")
    );
}

#[tokio::test]
async fn factor_changes_need_a_recent_sign_in_or_the_password() {
    let clock = vestibule::server::clock::ManualClock::new(unix_now());
    let app = spawn_app_with_clock(
        "[rate_limits]\nenabled = false\n[mfa]\nrequired = true\n",
        Arc::new(clock.clone()),
    )
    .await;
    use vestibule::server::clock::Clock;
    app.totp_user("f2@example.com").await;
    let c = app.at_second_factor("f2@example.com").await;
    let code = vestibule::server::mfa::code_at(TOTP_SECRET, clock.now()).unwrap();
    let (_, b) = app
        .call(
            &c,
            "sign_in/second_factor",
            &[("method", "totp"), ("code", &code)],
        )
        .await;
    assert_eq!(b["snapshot"]["sessions"][0]["status"], "active", "{b}");

    let (_, b) = app
        .call(&c, "account/factor/remove", &[("factor", "totp")])
        .await;
    assert_eq!(b["code"], "last_factor_required");

    clock.advance(11 * 60);
    let (_, b) = app
        .call(&c, "account/sms/start", &[("phone", "+15550100123")])
        .await;
    assert_eq!(
        b["code"], "reverification_required",
        "the sign-in is older than 10 minutes"
    );
    let (_, b) = app
        .call(
            &c,
            "account/sms/start",
            &[("phone", "+15550100123"), ("current_password", PW)],
        )
        .await;
    assert_eq!(b["next"], "", "{b}");
    let sms = app.latest_code("%2B15550100123").await;
    let (_, b) = app.call(&c, "account/sms/confirm", &[("code", &sms)]).await;
    assert_eq!(b["next"], "", "{b}");
    let (_, account) = app.call(&c, "account", &[]).await;
    assert_eq!(account["sms_phone"], "+15550100123");

    let (_, b) = app
        .call(&c, "account/factor/remove", &[("factor", "totp")])
        .await;
    assert_eq!(b["code"], "reverification_required");
    let (_, b) = app
        .call(
            &c,
            "account/factor/remove",
            &[("factor", "totp"), ("current_password", PW)],
        )
        .await;
    assert_eq!(b["next"], "", "{b}");
    let (_, account) = app.call(&c, "account", &[]).await;
    assert_eq!(account["authenticator_app"], false);
    let (_, mail) = app
        .api(reqwest::Method::GET, "/__testing/outbox?to=f2@example.com")
        .await;
    let subjects: Vec<&str> = mail
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["subject"].as_str().unwrap())
        .collect();
    assert!(
        subjects
            .iter()
            .filter(|s| s.contains("Two-step verification changed"))
            .count()
            >= 2,
        "{subjects:?}"
    );
    assert!(
        subjects.iter().any(|s| s.contains("New sign-in")),
        "{subjects:?}"
    );
}

#[tokio::test]
async fn sms_goes_to_the_webhook_when_configured() {
    use axum::{routing::post, Json, Router};
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Value>();
    let hook = Router::new().route(
        "/sms",
        post(move |Json(body): Json<Value>| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(body);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook_addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, hook).await.unwrap() });

    let app = spawn_app(&format!(
        "[mfa]\nrequired = true\nmethods = [\"sms\"]\n[sms]\nwebhook_url = \"http://{hook_addr}/sms\"\n"
    ))
    .await;
    app.create_user("hook@example.com", PW).await;
    let c = app.signed_in("hook@example.com").await;
    app.call(&c, "tasks/mfa/phone", &[("phone", "+15550100777")])
        .await;
    let got = tokio::time::timeout(std::time::Duration::from_secs(5), rx.recv())
        .await
        .expect("the webhook is called")
        .unwrap();
    assert_eq!(got["to"], "+15550100777");
    let code = app.latest_code("%2B15550100777").await;
    assert!(got["body"].as_str().unwrap().contains(&code));
}

#[tokio::test]
async fn several_accounts_on_one_browser() {
    let app = spawn_app(
        "[rate_limits]\nenabled = false\n[sessions]\nmulti_session = true\nmax_per_client = 2\n",
    )
    .await;
    for e in ["one@example.com", "two@example.com", "three@example.com"] {
        app.create_user(e, PW).await;
    }
    let c = app.signed_in("one@example.com").await;
    let (_, b) = app
        .call(
            &c,
            "sign_in/start",
            &[("email", "two@example.com"), ("password", PW)],
        )
        .await;
    let sessions = b["snapshot"]["sessions"].as_array().unwrap().clone();
    assert_eq!(sessions.len(), 2, "a second account is added");
    let active = b["snapshot"]["last_active_session_id"].clone();
    let two = sessions
        .iter()
        .find(|s| s["user"]["email"] == "two@example.com")
        .unwrap();
    let one = sessions
        .iter()
        .find(|s| s["user"]["email"] == "one@example.com")
        .unwrap();
    assert_eq!(active, two["id"]);

    // Signing in an account that is already signed in switches to it.
    let (_, b) = app
        .call(
            &c,
            "sign_in/start",
            &[("email", "one@example.com"), ("password", "whatever-9")],
        )
        .await;
    assert_eq!(
        b["snapshot"]["sessions"].as_array().unwrap().len(),
        2,
        "no duplicate session"
    );
    assert_eq!(b["snapshot"]["last_active_session_id"], one["id"]);

    // The cap.
    let (_, b) = app
        .call(
            &c,
            "sign_in/start",
            &[("email", "three@example.com"), ("password", PW)],
        )
        .await;
    assert_eq!(b["code"], "too_many_sessions");
    assert_eq!(b["n"], 2);

    // Switch, then sign out the active one: the other becomes active.
    let (_, b) = app
        .call(
            &c,
            "sessions/set_active",
            &[("session_id", two["id"].as_str().unwrap())],
        )
        .await;
    assert_eq!(b["snapshot"]["last_active_session_id"], two["id"]);
    let (_, b) = app.call(&c, "sessions/sign_out", &[]).await;
    assert_eq!(
        b["snapshot"]["last_active_session_id"], one["id"],
        "falls back to the other account"
    );
    assert_eq!(b["next"], "/dashboard");
    let (_, b) = app.call(&c, "sessions/sign_out", &[("all", "true")]).await;
    assert_eq!(b["snapshot"]["sessions"], json!([]));
    assert_eq!(b["next"], "/");
}

const ORGS_OPEN: &str = "[rate_limits]\nenabled = false\n[organizations]\nenabled = true\n";

impl TestApp {
    /// An organization made through the Backend API with `admin` as its admin and `members` as
    /// `org:member`.
    async fn organization(&self, name: &str, admin: &Value, members: &[&Value]) -> Value {
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
    async fn in_org(&self, email: &str, org: &Value) -> Client {
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

    async fn members(&self, c: &Client) -> Vec<(String, String)> {
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

    async fn invite(&self, org: &Value, email: &str, role: &str) -> (StatusCode, Value) {
        self.post_json(
            &format!(
                "/v1/organizations/{}/invitations",
                org["id"].as_str().unwrap()
            ),
            json!({ "email": email, "role": role }),
        )
        .await
    }

    async fn outbox(&self, to: &str) -> Value {
        Client::new()
            .get(format!("{}/__testing/outbox?to={to}", self.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    async fn invitation_page(&self, c: &Client, token: &str) -> Value {
        let (status, v) = self
            .call(c, "invitations/lookup", &[("token", token)])
            .await;
        assert_eq!(status, StatusCode::OK, "{v}");
        v
    }
}

fn token_of(url: &Value) -> String {
    let url = url.as_str().unwrap();
    url.split_once("/invitation?token=")
        .expect("an invitation link")
        .1
        .to_string()
}

#[tokio::test]
async fn members_cannot_call_admin_functions_and_the_last_admin_stays() {
    let app = spawn_app(ORGS_OPEN).await;
    let boss = app.create_user("boss@example.com", PW).await;
    let m = app.create_user("m@example.com", PW).await;
    let org = app.organization("Acme", &boss, &[&m]).await;
    let other = app
        .organization("Other", &app.create_user("o@example.com", PW).await, &[])
        .await;

    let anon = browser();
    let (status, _) = app.call(&anon, "organizations/profile", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let member = app.in_org("m@example.com", &org).await;
    let before = app.members(&member).await;
    assert_eq!(
        before,
        vec![
            ("boss@example.com".into(), "org:admin".into()),
            ("m@example.com".into(), "org:member".into())
        ]
    );
    let boss_id = boss["id"].as_str().unwrap();
    let m_id = m["id"].as_str().unwrap();
    let (_, invite) = app.invite(&org, "later@example.com", "org:member").await;
    let invitation_id = invite["id"].as_str().unwrap();
    for (endpoint, form) in [
        (
            "organizations/members/role",
            vec![("user_id", m_id), ("role", "org:admin")],
        ),
        (
            "organizations/members/role",
            vec![("user_id", boss_id), ("role", "org:member")],
        ),
        ("organizations/members/remove", vec![("user_id", boss_id)]),
        (
            "organizations/invitations/create",
            vec![("email", "x@example.com"), ("role", "org:admin")],
        ),
        (
            "organizations/invitations/revoke",
            vec![("invitation_id", invitation_id)],
        ),
        ("organizations/rename", vec![("name", "Mine now")]),
    ] {
        let (status, b) = app.call(&member, endpoint, &form).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{endpoint}: {b}");
        assert_eq!(b["code"], "forbidden");
    }
    assert_eq!(app.members(&member).await, before, "nothing changed");
    let (_, p) = app.call(&member, "organizations/profile", &[]).await;
    assert_eq!(
        p["invitations"],
        json!([]),
        "members do not see invitations"
    );
    assert_eq!(p["organization"]["name"], "Acme");
    assert!(app
        .outbox("x@example.com")
        .await
        .as_array()
        .unwrap()
        .is_empty());

    let admin = app.in_org("boss@example.com", &org).await;
    let (_, p) = app.call(&admin, "organizations/profile", &[]).await;
    assert_eq!(p["invitations"][0]["email"], "later@example.com");
    // The last admin can be neither demoted nor removed, nor leave.
    for (endpoint, form) in [
        (
            "organizations/members/role",
            vec![("user_id", boss_id), ("role", "org:member")],
        ),
        ("organizations/members/remove", vec![("user_id", boss_id)]),
        ("organizations/leave", vec![]),
    ] {
        let (status, b) = app.call(&admin, endpoint, &form).await;
        assert_eq!(status, StatusCode::CONFLICT, "{endpoint}: {b}");
        assert_eq!(b["code"], "last_admin_required");
    }
    // Bad input changes nothing.
    let (status, _) = app
        .call(
            &admin,
            "organizations/members/role",
            &[("user_id", m_id), ("role", "owner")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = app
        .call(
            &admin,
            "organizations/members/remove",
            &[("user_id", "user_unknown")],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, b) = app
        .call(
            &admin,
            "organizations/rename",
            &[("name", "Acme"), ("slug", other["slug"].as_str().unwrap())],
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{b}");
    assert_eq!(app.members(&admin).await, before);

    // Promote the member; now the first admin may step down, and the change is seen at once.
    let (status, _) = app
        .call(
            &admin,
            "organizations/members/role",
            &[("user_id", m_id), ("role", "org:admin")],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, me) = app.call(&member, "app/whoami", &[]).await;
    assert_eq!(me["org_role"], "org:admin");
    let (status, _) = app
        .call(
            &member,
            "organizations/rename",
            &[("name", "Acme Two"), ("slug", "acme-two")],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, b) = app.call(&admin, "organizations/leave", &[]).await;
    assert_eq!(status, StatusCode::OK, "{b}");
    assert_eq!(
        b["snapshot"]["sessions"][0]["organization"],
        Value::Null,
        "personal workspace after leaving"
    );
    let (_, me) = app.call(&member, "app/whoami", &[]).await;
    assert_eq!(me["org_slug"], "acme-two");
    assert_eq!(
        app.members(&member).await,
        vec![("m@example.com".into(), "org:admin".into())]
    );
}

#[tokio::test]
async fn removing_a_member_makes_their_session_pending_again() {
    let app = spawn_app(&format!("[rate_limits]\nenabled = false\n{ORGS_REQUIRED}")).await;
    let boss = app.create_user("boss@example.com", PW).await;
    let m = app.create_user("m@example.com", PW).await;
    let org = app.organization("Acme", &boss, &[&m]).await;
    let member = app.in_org("m@example.com", &org).await;
    let (status, me) = app.call(&member, "app/whoami", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["org_role"], "org:member");

    let admin = app.in_org("boss@example.com", &org).await;
    let (status, _) = app
        .call(
            &admin,
            "organizations/members/remove",
            &[("user_id", m["id"].as_str().unwrap())],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app.call(&member, "app/whoami", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "pending is signed out");
    let (_, snap) = app.call(&member, "client", &[]).await;
    let s = &snap["sessions"][0];
    assert_eq!(s["status"], "pending");
    assert_eq!(s["tasks"], json!(["choose-organization"]));
    assert_eq!(s["organization"], Value::Null);
    assert_eq!(s["memberships"], json!([]));
    assert_eq!(
        app.location(&member, "/dashboard").await.as_deref(),
        Some("/sign-in/tasks/choose-organization?redirect_url=/dashboard")
    );
    // The Backend API agrees.
    let (_, sessions) = app
        .api(
            reqwest::Method::GET,
            &format!("/v1/users/{}/sessions", m["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(sessions["data"][0]["status"], "pending");
    assert_eq!(sessions["data"][0]["active_organization_id"], Value::Null);
}

#[tokio::test]
async fn invitations_work_once_expire_and_join_new_and_existing_users() {
    let clock = vestibule::server::clock::ManualClock::new(unix_now());
    let app = spawn_app_with_clock(
        &format!("{ORGS_OPEN}[instance]\npublic_url = \"http://vestibule.test\"\n"),
        Arc::new(clock.clone()),
    )
    .await;
    let boss = app.create_user("boss@example.com", PW).await;
    app.create_user("known@example.com", PW).await;
    let org = app.organization("Acme", &boss, &[]).await;

    // The Backend API validates and answers the link.
    assert_eq!(
        app.invite(&org, "not-an-email", "org:member").await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        app.invite(&org, "new@example.com", "owner").await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        app.post_json(
            "/v1/organizations/org_nope/invitations",
            json!({ "email": "new@example.com", "role": "org:member" })
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.invite(&org, "boss@example.com", "org:member").await.0,
        StatusCode::CONFLICT,
        "already a member"
    );
    let (status, inv) = app.invite(&org, "new@example.com", "org:member").await;
    assert_eq!(status, StatusCode::OK, "{inv}");
    assert_eq!(inv["status"], "pending");
    assert!(inv["url"]
        .as_str()
        .unwrap()
        .starts_with("http://vestibule.test/invitation?token="));
    assert_eq!(
        app.invite(&org, "new@example.com", "org:admin").await.0,
        StatusCode::CONFLICT,
        "one pending invitation per address"
    );
    let mail = app.outbox("new@example.com").await;
    assert!(mail[0]["body"]
        .as_str()
        .unwrap()
        .contains(inv["url"].as_str().unwrap()));

    // A new address: the link leads to sign-up, which needs no code and joins.
    let token = token_of(&inv["url"]);
    let c = browser();
    let to = app
        .location(&c, &format!("/invitation?token={token}"))
        .await
        .unwrap();
    assert!(
        to.starts_with("/sign-up?invitation=") && to.ends_with("&email=new%40example.com"),
        "{to}"
    );
    let (status, b) = app
        .call(
            &c,
            "sign_up/create",
            &[
                ("email", "someone-else@example.com"),
                ("password", PW),
                ("invitation", &token),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["code"], "invitation_email_mismatch");
    let (status, b) = app
        .call(
            &c,
            "sign_up/create",
            &[
                ("email", "new@example.com"),
                ("password", PW),
                ("invitation", &token),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    assert_eq!(b["next"], "/dashboard");
    let s = &b["snapshot"]["sessions"][0];
    assert_eq!(s["status"], "active");
    assert_eq!(s["organization"]["name"], "Acme");
    assert_eq!(s["organization"]["role"], "org:member");
    assert_eq!(
        app.outbox("new@example.com")
            .await
            .as_array()
            .unwrap()
            .len(),
        1,
        "no code was sent"
    );
    // Single use.
    let again = browser();
    assert_eq!(
        app.location(&again, &format!("/invitation?token={token}"))
            .await,
        None
    );
    assert_eq!(
        app.invitation_page(&again, &token).await["status"],
        "accepted"
    );
    let (_, b) = app
        .call(
            &again,
            "sign_up/create",
            &[
                ("email", "new@example.com"),
                ("password", PW),
                ("invitation", &token),
            ],
        )
        .await;
    assert_eq!(b["code"], "invitation_invalid");

    // An existing account: the link leads to sign-in, and signing in joins.
    let (_, inv) = app.invite(&org, "known@example.com", "org:admin").await;
    let token = token_of(&inv["url"]);
    let here = format!("/invitation?token={token}");
    let c = browser();
    let to = app.location(&c, &here).await.unwrap();
    assert_eq!(
        to,
        format!("/sign-in?redirect_url=/invitation%3Ftoken%3D{token}")
    );
    let (status, b) = app
        .call(
            &c,
            "sign_in/start",
            &[
                ("email", "known@example.com"),
                ("password", PW),
                ("redirect_url", &here),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    assert_eq!(b["next"], "/dashboard");
    assert_eq!(
        b["snapshot"]["sessions"][0]["organization"]["role"],
        "org:admin"
    );

    // A signed-in invitee joins directly; another account is told, and nothing changes.
    let (_, org2) = app
        .post_json("/v1/organizations", json!({ "name": "Beta" }))
        .await;
    let (_, inv) = app.invite(&org2, "known@example.com", "org:member").await;
    let token = token_of(&inv["url"]);
    let wrong = app.signed_in("boss@example.com").await;
    assert_eq!(
        app.location(&wrong, &format!("/invitation?token={token}"))
            .await,
        None
    );
    let page = app.invitation_page(&wrong, &token).await;
    assert_eq!(page["status"], "pending");
    assert_eq!(page["signed_in_as"], "boss@example.com");
    assert_eq!(page["email"], "known@example.com");
    let (status, b) = app
        .call(&wrong, "invitations/accept", &[("token", &token)])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(b["code"], "invitation_email_mismatch");
    let known = app.signed_in("known@example.com").await;
    assert_eq!(
        app.location(&known, &format!("/invitation?token={token}"))
            .await
            .as_deref(),
        Some("/dashboard")
    );
    let (_, me) = app.call(&known, "app/whoami", &[]).await;
    assert_eq!(me["org_id"], org2["id"]);

    // Revoked and expired links.
    let admin = app.in_org("boss@example.com", &org).await;
    let (status, _) = app
        .call(
            &admin,
            "organizations/invitations/create",
            &[("email", "late@example.com"), ("role", "org:member")],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, p) = app.call(&admin, "organizations/profile", &[]).await;
    let invitation_id = p["invitations"][0]["id"].as_str().unwrap().to_string();
    let mail = app.outbox("late@example.com").await;
    let body = mail[0]["body"].as_str().unwrap();
    let late_token = body
        .split("/invitation?token=")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    let (status, _) = app
        .call(
            &admin,
            "organizations/invitations/revoke",
            &[("invitation_id", &invitation_id)],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        app.invitation_page(&browser(), &late_token).await["status"],
        "revoked"
    );
    let (_, inv) = app.invite(&org, "late@example.com", "org:member").await;
    let token = token_of(&inv["url"]);
    clock.advance(8 * 86_400);
    let c = browser();
    assert_eq!(
        app.location(&c, &format!("/invitation?token={token}"))
            .await,
        None
    );
    assert_eq!(app.invitation_page(&c, &token).await["status"], "expired");
    let (_, b) = app
        .call(
            &c,
            "sign_up/create",
            &[
                ("email", "late@example.com"),
                ("password", PW),
                ("invitation", &token),
            ],
        )
        .await;
    assert_eq!(b["code"], "invitation_invalid");
    let (_, users) = app
        .api(reqwest::Method::GET, "/v1/users?email=late@example.com")
        .await;
    assert_eq!(
        users["total_count"], 0,
        "no account without a usable invitation"
    );
    assert_eq!(
        app.invitation_page(&c, "made-up").await["status"],
        "invalid"
    );
}

#[tokio::test]
async fn organization_list_pages_by_ten_and_sessions_keep_their_own_organization() {
    let app = spawn_app(&format!("{ORGS_OPEN}[sessions]\nmulti_session = true\n")).await;
    let u = app.create_user("many@example.com", PW).await;
    let v = app.create_user("v@example.com", PW).await;
    let w = app.create_user("w@example.com", PW).await;
    let mut orgs = Vec::new();
    for i in 0..12 {
        orgs.push(app.organization(&format!("Org {i:02}"), &u, &[&v]).await);
    }
    app.invite(&orgs[0], "w@example.com", "org:member").await;
    let c = app.signed_in("many@example.com").await;
    let (_, p0) = app.call(&c, "organizations/list", &[("page", "0")]).await;
    assert_eq!(p0["memberships"].as_array().unwrap().len(), 10);
    assert_eq!(p0["total_memberships"], 12);
    assert_eq!(p0["memberships"][0]["name"], "Org 00");
    let (_, p1) = app.call(&c, "organizations/list", &[("page", "1")]).await;
    assert_eq!(p1["memberships"].as_array().unwrap().len(), 2);
    assert_eq!(p1["memberships"][1]["name"], "Org 11");
    let (status, _) = app.call(&c, "organizations/list", &[("page", "x")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Three accounts on one browser, each with its own active organization.
    let pick = |org: &Value| org["id"].as_str().unwrap().to_string();
    app.call(
        &c,
        "sessions/set_active",
        &[("organization", &pick(&orgs[1]))],
    )
    .await;
    app.call(
        &c,
        "sign_in/start",
        &[("email", "v@example.com"), ("password", PW)],
    )
    .await;
    app.call(
        &c,
        "sessions/set_active",
        &[("organization", &pick(&orgs[2]))],
    )
    .await;
    let (_, b) = app
        .call(
            &c,
            "sign_in/start",
            &[("email", "w@example.com"), ("password", PW)],
        )
        .await;
    let sessions = b["snapshot"]["sessions"].as_array().unwrap().clone();
    let id_of = |email: &str| {
        sessions
            .iter()
            .find(|s| s["user"]["email"] == email)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let w_session = &sessions
        .iter()
        .find(|s| s["user"]["email"] == "w@example.com")
        .unwrap();
    assert_eq!(w_session["invitations"][0]["organization_name"], "Org 00");
    let (u_id, v_id) = (id_of("many@example.com"), id_of("v@example.com"));
    // Switch to the first account, then back to the last: signing that one out falls back to
    // the most recently active other account (the first), not the second.
    app.call(&c, "sessions/set_active", &[("session_id", &u_id)])
        .await;
    let (_, me) = app.call(&c, "app/whoami", &[]).await;
    assert_eq!(me["org_id"], orgs[1]["id"]);
    app.call(&c, "sessions/set_active", &[("session_id", &v_id)])
        .await;
    let (_, me) = app.call(&c, "app/whoami", &[]).await;
    assert_eq!(me["org_id"], orgs[2]["id"], "each session keeps its own");
    app.call(&c, "sessions/set_active", &[("session_id", &u_id)])
        .await;
    app.call(
        &c,
        "sessions/set_active",
        &[("session_id", &id_of("w@example.com"))],
    )
    .await;
    // w joins through the invitation it sees.
    let (status, b) = app
        .call(
            &c,
            "invitations/join",
            &[(
                "invitation_id",
                w_session["invitations"][0]["id"].as_str().unwrap(),
            )],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    let (_, me) = app.call(&c, "app/whoami", &[]).await;
    assert_eq!(me["org_id"], orgs[0]["id"]);
    let (_, b) = app.call(&c, "sessions/sign_out", &[]).await;
    assert_eq!(b["snapshot"]["last_active_session_id"], u_id.as_str());
    let _ = w;
}

#[tokio::test]
async fn organization_pages_are_not_found_while_organizations_are_off() {
    let app = spawn_app("[rate_limits]\nenabled = false\n").await;
    app.create_user("solo@example.com", PW).await;
    let c = app.signed_in("solo@example.com").await;
    for path in ["/organization", "/organization/new", "/invitation?token=x"] {
        let res = c.get(format!("{}{path}", app.base)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let (status, b) = app.call(&c, "organizations/profile", &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{b}");
}
