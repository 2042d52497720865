//! One rule for every credential change: a session task that sets a password or enrols a factor
//! asks a session whose factors are old to prove itself again, as the portal does (the password
//! being replaced cannot serve: an emailed code does), and nothing a stolen session can do makes
//! that enrolment appear for itself.

use crate::helpers::*;
use vestibule::server::clock::{Clock, ManualClock};

const NO_LIMITS: &str = "[rate_limits]\nenabled = false\n";
const NEW_PW: &str = "Fresh-staple-orbit-42";

async fn app_with_clock(extra: &str) -> (TestApp, ManualClock) {
    let clock = ManualClock::new(unix_now());
    let app = spawn_app_with_clock(&format!("{NO_LIMITS}{extra}"), Arc::new(clock.clone())).await;
    (app, clock)
}

fn id(user: &Value) -> &str {
    user["id"].as_str().unwrap()
}

async fn mark_compromised(app: &TestApp, user: &Value) {
    let (status, b) = app
        .post_json(
            &format!("/v1/users/{}/password_compromised", id(user)),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
}

async fn reset(app: &TestApp, c: &Client) -> (StatusCode, Value) {
    app.call(
        c,
        "tasks/reset_password",
        &[("password", NEW_PW), ("confirm_password", NEW_PW)],
    )
    .await
}

fn needs_reverification(status: StatusCode, b: &Value) {
    assert_eq!(status, StatusCode::FORBIDDEN, "{b}");
    assert_eq!(
        (b["code"].as_str(), b["detail"].as_str()),
        (Some("reverification_required"), Some("strict")),
        "{b}"
    );
}

async fn password_works(app: &TestApp, email: &str, password: &str) -> bool {
    let (_, b) = app
        .call(
            &browser(),
            "sign_in/start",
            &[("email", email), ("password", password)],
        )
        .await;
    b["code"] != "form_password_incorrect"
}

/// The session proves its first factor with an emailed code.
async fn verify_by_email_code(app: &TestApp, c: &Client, email: &str) {
    let (status, b) = app
        .call(
            c,
            "user/verify/send_code",
            &[("channel", "email"), ("dialog", "true")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    let code = app.latest_code(email).await;
    let (status, b) = app
        .call(
            c,
            "user/verify/code",
            &[
                ("strategy", "email_code"),
                ("code", &code),
                ("dialog", "true"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
}

#[tokio::test]
async fn stale_session_cannot_reset_password_without_email_code() {
    let (app, clock) = app_with_clock("").await;
    let email = "stale@example.com";
    let user = app.create_user(email, PW).await;
    let c = app.signed_in(email).await;
    clock.advance(11 * 60);
    mark_compromised(&app, &user).await;

    let (status, b) = reset(&app, &c).await;
    needs_reverification(status, &b);
    assert!(password_works(&app, email, PW).await, "nothing changed");

    // The password under suspicion cannot prove anything; the page offers the email code.
    let (_, view) = app.call(&c, "user/verify", &[("level", "strict")]).await;
    assert_eq!(
        (&view["needed"], &view["has_password"]),
        (&json!("first"), &json!(false)),
        "{view}"
    );
    let (status, b) = app
        .call(&c, "user/verify/password", &[("password", PW)])
        .await;
    assert_eq!(
        b["code"], "strategy_for_user_invalid",
        "{status} {b}: the compromised password is no proof"
    );
    let (status, b) = reset(&app, &c).await;
    needs_reverification(status, &b);

    verify_by_email_code(&app, &c, email).await;
    let (status, b) = reset(&app, &c).await;
    assert_eq!(status, StatusCode::OK, "{b}");
    assert!(password_works(&app, email, NEW_PW).await);
}

#[tokio::test]
async fn stale_session_of_a_user_with_a_second_factor_proves_both_before_a_reset() {
    let (app, clock) = app_with_clock("").await;
    let email = "stale2fa@example.com";
    let user = app.totp_user(email).await;
    let (c, b) = app.signed_in_with_totp(email, clock.now()).await;
    assert_eq!(b["next"], "/dashboard", "{b}");
    clock.advance(20 * 60);
    mark_compromised(&app, &user).await;

    verify_by_email_code(&app, &c, email).await;
    let (status, b) = reset(&app, &c).await;
    needs_reverification(status, &b);
    let (_, view) = app.call(&c, "user/verify", &[]).await;
    assert_eq!(view["needed"], "second", "{view}");

    let code = vestibule::server::mfa::code_at(TOTP_SECRET, clock.now()).unwrap();
    let (status, b) = app
        .call(
            &c,
            "user/verify/code",
            &[("strategy", "totp"), ("code", &code), ("dialog", "true")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    let (status, b) = reset(&app, &c).await;
    assert_eq!(status, StatusCode::OK, "{b}");
}

#[tokio::test]
async fn a_fresh_sign_in_resets_the_password_at_once() {
    let (app, _clock) = app_with_clock("").await;
    let email = "fresh@example.com";
    let user = app.create_user(email, PW).await;
    mark_compromised(&app, &user).await;
    // The compromised password leads to the email code; the session it makes is fresh.
    let c = browser();
    let (_, b) = app
        .call(&c, "sign_in/start", &[("email", email), ("password", PW)])
        .await;
    assert_eq!(b["next"], "/sign-in/factor-one", "{b}");
    let (_, b) = app.call(&c, "sign_in/email_code", &[]).await;
    assert!(b["code"].is_null(), "{b}");
    let code = app.latest_code(email).await;
    let (_, b) = app.call(&c, "sign_in/code", &[("code", &code)]).await;
    assert_eq!(b["next"], "/sign-in/tasks/reset-password", "{b}");
    let (status, b) = reset(&app, &c).await;
    assert_eq!(status, StatusCode::OK, "{b}");
}

#[tokio::test]
async fn stale_session_cannot_enrol_a_factor_through_setup_mfa() {
    let (app, clock) = app_with_clock("").await;
    let email = "enrol@example.com";
    let user = app.create_user(email, PW).await;
    let c = app.signed_in(email).await;
    clock.advance(11 * 60);
    // An operator's required action (a stolen session could summon the same through an
    // organization that requires a second factor).
    let (status, b) = app
        .post_json(
            &format!("/v1/users/{}/tasks", id(&user)),
            json!({ "key": "setup-mfa" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    let (_, snap) = app.call(&c, "client", &[]).await;
    let secret = snap["mfa_setup"]["totp_secret"]
        .as_str()
        .expect("the task shows a secret")
        .to_string();
    let code = vestibule::server::mfa::code_at(&secret, clock.now()).unwrap();
    let (status, b) = app.call(&c, "tasks/mfa/totp", &[("code", &code)]).await;
    needs_reverification(status, &b);
    let (status, b) = app
        .call(&c, "tasks/mfa/phone", &[("phone", "+15555550100")])
        .await;
    needs_reverification(status, &b);
    let (_, u) = app
        .api(reqwest::Method::GET, &format!("/v1/users/{}", id(&user)))
        .await;
    assert_eq!(u["two_factor_enabled"], false, "nothing was enrolled");

    // The owner proves the password (it is not under suspicion here) and enrols.
    let (status, b) = app
        .call(
            &c,
            "user/verify/password",
            &[("password", PW), ("dialog", "true")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    let (status, b) = app.call(&c, "tasks/mfa/totp", &[("code", &code)]).await;
    assert_eq!(status, StatusCode::OK, "{b}");
    let (_, u) = app
        .api(reqwest::Method::GET, &format!("/v1/users/{}", id(&user)))
        .await;
    assert_eq!(u["two_factor_enabled"], true);
}

#[tokio::test]
async fn a_pending_session_verifies_itself_only_for_a_credential_task() {
    let (app, clock) = app_with_clock(ORGS_REQUIRED).await;
    let email = "pending@example.com";
    let user = app.create_user(email, PW).await;
    let c = app.signed_in(email).await;
    // Owes choose-organization only: the verification page is not for it.
    assert_eq!(
        app.location(&c, "/user/verify").await.as_deref(),
        Some("/sign-in/tasks/choose-organization?redirect_url=/user/verify")
    );
    let (status, _) = app.call(&c, "user/verify", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    clock.advance(11 * 60);
    mark_compromised(&app, &user).await;
    assert_eq!(app.location(&c, "/user/verify?level=strict").await, None);
    let (status, view) = app.call(&c, "user/verify", &[]).await;
    assert_eq!((status, &view["needed"]), (StatusCode::OK, &json!("first")));
}

#[tokio::test]
async fn requiring_a_second_factor_in_an_organization_needs_a_recent_verification() {
    let (app, clock) = app_with_clock("[organizations]\nenabled = true\n").await;
    let admin = app.create_user("owner@example.com", PW).await;
    let org = app.organization("Strict Co", &admin, &[]).await;
    let c = app.in_org("owner@example.com", &org).await;
    clock.advance(11 * 60);
    let rename = |on: &'static str| {
        let c = c.clone();
        let app = &app;
        async move {
            app.call(
                &c,
                "organizations/rename",
                &[
                    ("name", "Strict Co"),
                    ("slug", ""),
                    ("mfa_setting", "true"),
                    ("require_mfa", on),
                ],
            )
            .await
        }
    };
    let (status, b) = rename("true").await;
    needs_reverification(status, &b);
    let (_, o) = app
        .api(
            reqwest::Method::GET,
            &format!("/v1/organizations/{}", org["id"].as_str().unwrap()),
        )
        .await;
    assert_ne!(o["require_mfa"], true, "{o}");
    // Renaming alone needs nothing more.
    let (status, b) = app
        .call(
            &c,
            "organizations/rename",
            &[("name", "Strict Company"), ("slug", "")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    let (status, b) = app
        .call(
            &c,
            "user/verify/password",
            &[("password", PW), ("dialog", "true")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    let (status, b) = rename("true").await;
    assert_eq!(status, StatusCode::OK, "{b}");
}

#[tokio::test]
async fn organization_creation_is_limited_per_user() {
    let (app, clock) = app_with_clock("[organizations]\nenabled = true\n").await;
    app.create_user("maker@example.com", PW).await;
    let c = app.signed_in("maker@example.com").await;
    for i in 0..10 {
        let name = format!("Org {i}");
        let (status, b) = app
            .call(&c, "organizations/create", &[("name", &name)])
            .await;
        assert_eq!(status, StatusCode::OK, "{i}: {b}");
    }
    let (status, b) = app
        .call(&c, "organizations/create", &[("name", "One Too Many")])
        .await;
    assert_eq!(
        (status, b["code"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("too_many_requests")),
        "{b}"
    );
    // Another user is not held back by it, and the allowance comes back with the hour.
    app.create_user("other@example.com", PW).await;
    let d = app.signed_in("other@example.com").await;
    let (status, _) = app
        .call(&d, "organizations/create", &[("name", "Other Org")])
        .await;
    assert_eq!(status, StatusCode::OK);
    clock.advance(3_600);
    let (status, b) = app
        .call(&c, "organizations/create", &[("name", "Next Hour")])
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
}

/// A request carrying `token` as the client cookie, as a browser with a planted cookie sends it;
/// answers the status, the body and the token a `Set-Cookie` gave instead.
async fn with_cookie(
    app: &TestApp,
    token: &str,
    endpoint: &str,
    form: &[(&str, &str)],
) -> (StatusCode, Value, Option<String>) {
    let res = client()
        .post(format!("{}/api/{endpoint}", app.base))
        .header(header::ACCEPT, "application/json")
        .header(header::COOKIE, format!("__client={token}"))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let set = res
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("__client="))
        .map(|v| v.split(';').next().unwrap_or_default().to_string());
    (status, res.json().await.unwrap_or(Value::Null), set)
}

#[tokio::test]
async fn a_planted_client_cookie_cannot_finish_someone_elses_reset() {
    let (app, _clock) = app_with_clock("").await;
    let email = "victim@example.com";
    app.create_user(email, PW).await;
    // The attacker gets a client of their own and plants its cookie in the victim's browser.
    let (_, _, planted) = with_cookie(
        &app,
        "unknown",
        "sign_in/start",
        &[
            ("email", "attacker@example.com"),
            ("action", "forgot_password"),
        ],
    )
    .await;
    let planted = planted.expect("a client cookie");
    // The victim asks for a reset and proves the emailed code with the planted cookie.
    let (status, b, _) = with_cookie(
        &app,
        &planted,
        "sign_in/start",
        &[("email", email), ("action", "forgot_password")],
    )
    .await;
    assert_eq!(
        (status, b["next"].as_str()),
        (StatusCode::OK, Some("/sign-in/reset-password")),
        "{b}"
    );
    let code = app.latest_code(email).await;
    let (status, b, rotated) =
        with_cookie(&app, &planted, "sign_in/code", &[("code", &code)]).await;
    assert_eq!(status, StatusCode::OK, "{b}");
    let rotated = rotated.expect("proving the code gives the client a new token");
    assert_ne!(rotated, planted);

    // The attacker's copy no longer finds the attempt; the victim's browser goes on.
    let (status, b, _) = with_cookie(
        &app,
        &planted,
        "sign_in/new_password",
        &[("password", NEW_PW), ("confirm_password", NEW_PW)],
    )
    .await;
    assert_ne!(status, StatusCode::OK, "{b}");
    assert!(
        password_works(&app, email, PW).await,
        "the password is unchanged"
    );
    let (status, b, _) = with_cookie(
        &app,
        &rotated,
        "sign_in/new_password",
        &[("password", NEW_PW), ("confirm_password", NEW_PW)],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    assert!(password_works(&app, email, NEW_PW).await);
}
