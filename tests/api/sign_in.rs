//! Sign-in with a password, lockout, forgot password and sign-out.

use crate::helpers::*;

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
    let forged = client()
        .post(format!("{}/api/app/whoami", app.base))
        .header(header::ACCEPT, "application/json")
        .header(header::COOKIE, format!("__client={}", "a".repeat(64)))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_address_in_another_unicode_spelling_is_the_same_account() {
    let app = spawn_app("[rate_limits]\nenabled = false\n").await;
    let user = app.create_user("victim@exämple.com", PW).await;
    assert_eq!(user["email"], "victim@xn--exmple-cua.com", "{user}");
    for spelling in [
        "victim@xn--exmple-cua.com",
        "VICTIM@EXÄMPLE.COM",
        "victim@exa\u{308}mple.com",
        "\u{ff56}ictim@exämple.com",
    ] {
        let (status, b) = app
            .call(
                &browser(),
                "sign_in/start",
                &[("email", spelling), ("password", PW)],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{spelling:?}: {b}");
        assert_eq!(b["next"], "/dashboard", "{spelling:?}: {b}");
    }
    // Nobody registers the same address again in another spelling.
    let (status, b) = app
        .call(
            &browser(),
            "sign_up/create",
            &[
                ("email", "victim@xn--exmple-cua.com"),
                ("password", "Another-Pass-55"),
                ("legal_accepted", "true"),
            ],
        )
        .await;
    assert!(
        status == StatusCode::CONFLICT || b["next"] == "/sign-up/verify-email-address",
        "{b}"
    );
    let (_, list) = app
        .api(
            reqwest::Method::GET,
            "/v1/users?email=VICTIM@EX%C3%84MPLE.COM",
        )
        .await;
    assert_eq!(list["total_count"], 1, "{list}");
}
