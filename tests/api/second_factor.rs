//! Second factors and device trust at sign-in.

use crate::helpers::*;

#[tokio::test]
async fn totp_at_sign_in_and_replay_refused() {
    let app = spawn_app("[rate_limits]\nenabled = false\n").await;
    app.totp_user("totp@example.com").await;
    let c = app.at_second_factor("totp@example.com").await;
    let (_, snap) = app.call(&c, "client", &[]).await;
    assert_eq!(
        snap["sign_in"]["second_factors"],
        json!(["totp"]),
        "a user made with an authenticator app through the API has no backup codes to offer"
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
