//! The account portal `/user` (README, "Hosted pages").

use crate::helpers::*;

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
    let (c, b) = app.signed_in_with_totp("f2@example.com", clock.now()).await;
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
    let (status, b) = app
        .call(
            &c,
            "account/sms/start",
            &[("phone", "+15550100123"), ("current_password", PW)],
        )
        .await;
    assert_eq!(
        (status, b["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("reverification_required")),
        "strict: the password alone is not enough for a user with a second factor"
    );
    let code = vestibule::server::mfa::code_at(TOTP_SECRET, clock.now()).unwrap();
    let (_, b) = app
        .call(
            &c,
            "user/verify/code",
            &[("strategy", "totp"), ("code", &code), ("dialog", "true")],
        )
        .await;
    assert_eq!(b["next"], "", "{b}");
    let (_, b) = app
        .call(&c, "account/sms/start", &[("phone", "+15550100123")])
        .await;
    assert_eq!(
        b["next"], "",
        "the password and the second factor are fresh: {b}"
    );
    let sms = app.latest_code("%2B15550100123").await;
    let (_, b) = app.call(&c, "account/sms/confirm", &[("code", &sms)]).await;
    assert_eq!(
        b["next"], "/user?factor_changed=1",
        "a factor change offers to sign out other devices: {b}"
    );
    let (_, account) = app.call(&c, "account", &[]).await;
    assert_eq!(account["sms_phone"], "+15550100123");

    // The password just entered renews the window; once that is old too, it is asked again.
    clock.advance(11 * 60);
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
    assert_eq!(
        b["code"], "reverification_required",
        "the second factor is stale"
    );
    let code = vestibule::server::mfa::code_at(TOTP_SECRET, clock.now()).unwrap();
    let (_, b) = app
        .call(
            &c,
            "user/verify/code",
            &[("strategy", "totp"), ("code", &code), ("dialog", "true")],
        )
        .await;
    assert_eq!(b["next"], "", "{b}");
    let (_, b) = app
        .call(&c, "account/factor/remove", &[("factor", "totp")])
        .await;
    assert_eq!(b["next"], "/user?factor_changed=1", "{b}");
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
