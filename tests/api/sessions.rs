//! Several accounts on one browser (README, "Several accounts on one browser").

use crate::helpers::*;

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

#[tokio::test]
async fn a_session_cannot_mint_tokens_in_a_loop() {
    // Time stands still, so every token falls in one window.
    let clock = vestibule::server::clock::ManualClock::new(unix_now());
    let app = spawn_app_with_clock("", Arc::new(clock)).await;
    app.create_user("minter@example.com", PW).await;
    let c = app.signed_in("minter@example.com").await;
    let mut statuses = Vec::new();
    for _ in 0..=vestibule::server::http::TOKENS_PER_SESSION_PER_10S {
        statuses.push(app.call(&c, "sessions/token", &[]).await.0);
    }
    let (last, rest) = statuses.split_last().unwrap();
    assert!(rest.iter().all(|s| *s == StatusCode::OK), "{statuses:?}");
    assert_eq!(*last, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn sign_up_respects_the_session_cap_of_the_browser() {
    let app = spawn_app(
        "[rate_limits]\nenabled = false\n[sessions]\nmulti_session = true\nmax_per_client = 1\n",
    )
    .await;
    app.create_user("first@example.com", PW).await;
    let c = app.signed_in("first@example.com").await;
    let (status, b) = app
        .call(
            &c,
            "sign_up/create",
            &[("email", "second@example.com"), ("password", PW)],
        )
        .await;
    assert_eq!(
        (status, b["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("too_many_sessions")),
        "{b}"
    );
    let (_, list) = app
        .api(reqwest::Method::GET, "/v1/users?email=second@example.com")
        .await;
    assert_eq!(list["total_count"], 0, "no account was made: {list}");
}
