//! Attempts that cannot be re-pointed or guessed at: codes and factors are bound to the user the
//! attempt names, and every judgement is counted where it cannot be raced.

use super::*;

#[tokio::test]
async fn attempt_cannot_be_repointed_after_code_sent() {
    let app = spawn_app(NO_LIMITS).await;
    let victim = app.create_user("victim@example.com", PW).await;
    // Both ways of reaching the email code: with the address on the first screen, and without.
    for with_address in [true, false] {
        let email = if with_address {
            "attacker1@example.com"
        } else {
            "attacker2@example.com"
        };
        let attacker = app.create_user(email, PW).await;
        let c = browser();
        if with_address {
            app.call(
                &c,
                "sign_in/start",
                &[("email", email), ("action", "another_method")],
            )
            .await;
        } else {
            app.call(
                &c,
                "sign_in/start",
                &[("email", ""), ("action", "another_method")],
            )
            .await;
            let (status, b) = app.call(&c, "sign_in/identify", &[("email", email)]).await;
            assert_eq!(status, StatusCode::OK, "{b}");
        }
        let (status, b) = app.call(&c, "sign_in/email_code", &[]).await;
        assert_eq!(status, StatusCode::OK, "{b}");
        let code = app.latest_code(email).await;
        let (status, b) = app
            .call(&c, "sign_in/identify", &[("email", "victim@example.com")])
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{b}");
        assert_eq!(b["code"], "sign_in_step_invalid");
        app.call(&c, "sign_in/code", &[("code", &code)]).await;
        assert_eq!(
            whoami(&app, &c).await.as_deref(),
            attacker["id"].as_str(),
            "the code signs in only the account it was sent for"
        );
        app.call(&c, "sessions/sign_out", &[]).await;
    }
    assert_eq!(live_sessions_of(&app, &victim).await, 0);
}

#[tokio::test]
async fn reset_code_cannot_be_repointed_to_another_account() {
    let app = spawn_app(NO_LIMITS).await;
    app.create_user("attacker@example.com", PW).await;
    let victim = app.create_user("victim@example.com", PW).await;
    let c = browser();
    app.call(
        &c,
        "sign_in/start",
        &[
            ("email", "attacker@example.com"),
            ("action", "forgot_password"),
        ],
    )
    .await;
    let code = app.latest_code("attacker@example.com").await;
    let (status, b) = app
        .call(&c, "sign_in/identify", &[("email", "victim@example.com")])
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{b}");
    app.call(&c, "sign_in/code", &[("code", &code)]).await;
    let (_, b) = app
        .call(
            &c,
            "sign_in/new_password",
            &[
                ("password", "Taken-Over-77"),
                ("confirm_password", "Taken-Over-77"),
            ],
        )
        .await;
    assert_eq!(b["next"], "/dashboard", "{b}");
    // The victim's password is untouched; the attacker only changed their own.
    let (status, _) = app
        .call(
            &browser(),
            "sign_in/start",
            &[("email", "victim@example.com"), ("password", PW)],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, b) = app
        .call(
            &browser(),
            "sign_in/start",
            &[
                ("email", "victim@example.com"),
                ("password", "Taken-Over-77"),
            ],
        )
        .await;
    assert_eq!(b["code"], "form_password_incorrect");
    assert_eq!(live_sessions_of(&app, &victim).await, 1);
}

#[tokio::test]
async fn device_trust_code_cannot_be_repointed() {
    let app = spawn_app(&format!("{NO_LIMITS}[client_trust]\nenabled = true\n")).await;
    let attacker = app.create_user("attacker@example.com", PW).await;
    let victim = app.create_user("victim@example.com", PW).await;
    let c = browser();
    let (_, b) = app
        .call(
            &c,
            "sign_in/start",
            &[("email", "attacker@example.com"), ("password", PW)],
        )
        .await;
    assert_eq!(b["next"], "/sign-in/client-trust");
    let code = app.latest_code("attacker@example.com").await;
    let (status, _) = app
        .call(&c, "sign_in/identify", &[("email", "victim@example.com")])
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    app.call(&c, "sign_in/code", &[("code", &code)]).await;
    assert_eq!(whoami(&app, &c).await.as_deref(), attacker["id"].as_str());
    assert_eq!(live_sessions_of(&app, &victim).await, 0);
}

#[tokio::test]
async fn sms_second_factor_cannot_be_repointed_and_foreign_methods_are_refused() {
    let app = spawn_app(NO_LIMITS).await;
    let attacker = app.sms_user("attacker@example.com", "+15550100111").await;
    let victim = app.totp_user("victim@example.com").await;
    let c = app.at_second_factor("attacker@example.com").await;
    let code = app.latest_code("%2B15550100111").await;
    let (status, _) = app
        .call(&c, "sign_in/identify", &[("email", "victim@example.com")])
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    app.call(
        &c,
        "sign_in/second_factor",
        &[("method", "sms"), ("code", &code)],
    )
    .await;
    assert_eq!(whoami(&app, &c).await.as_deref(), attacker["id"].as_str());
    assert_eq!(live_sessions_of(&app, &victim).await, 0);

    // The victim has no phone: SMS (and backup codes, which they have none of) are refused.
    let v = app.at_second_factor("victim@example.com").await;
    for (endpoint, form) in [
        ("sign_in/sms_code", vec![]),
        (
            "sign_in/second_factor",
            vec![("method", "sms"), ("code", "123456")],
        ),
        (
            "sign_in/second_factor",
            vec![("method", "backup_code"), ("code", "abcde-fghjk")],
        ),
    ] {
        let (status, b) = app.call(&v, endpoint, &form).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{endpoint}: {b}");
        assert_eq!(b["code"], "strategy_for_user_invalid");
    }
}

#[tokio::test]
async fn second_factor_guessing_locks_across_password_reentries() {
    let app = spawn_app(NO_LIMITS).await;
    let user = app.totp_user("guess@example.com").await;
    let good = vestibule::server::mfa::code_at(TOTP_SECRET, unix_now()).unwrap();
    let bad = if good == "123456" { "654321" } else { "123456" };
    let mut last = Value::Null;
    // Two rounds of "password, five wrong codes": ten failures lock the account even though the
    // password was right every time.
    for round in 0..2 {
        let c = app.at_second_factor("guess@example.com").await;
        for i in 0..5 {
            let (_, b) = app
                .call(
                    &c,
                    "sign_in/second_factor",
                    &[("method", "totp"), ("code", bad)],
                )
                .await;
            last = b.clone();
            if round == 0 {
                assert_eq!(b["code"], "form_code_incorrect", "round {round} try {i}");
            }
        }
        // Five judgements per attempt: the attempt is abandoned, even the right code now fails.
        let (_, b) = app
            .call(
                &c,
                "sign_in/second_factor",
                &[("method", "totp"), ("code", &good)],
            )
            .await;
        assert_ne!(b["next"], "/dashboard", "round {round}: {b}");
    }
    assert_eq!(last["code"], "user_locked", "{last}");
    let (_, u) = app
        .api(
            reqwest::Method::GET,
            &format!("/v1/users/{}", user["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(u["locked"], true, "{u}");
    let left = u["lockout_expires_in_seconds"].as_i64().unwrap();
    assert!((3_500..=3_600).contains(&left), "{u}");
    assert_eq!(live_sessions_of(&app, &user).await, 0);
}

#[tokio::test]
async fn two_hundred_concurrent_guesses_get_at_most_five_judgements() {
    // Six failures would lock the user: at most five judgements keep it unlocked.
    let app = spawn_app(&format!("{NO_LIMITS}[lockout]\nmax_attempts = 6\n")).await;
    let user = app.create_user("race@example.com", PW).await;
    let c = browser();
    app.call(
        &c,
        "sign_in/start",
        &[("email", "race@example.com"), ("action", "another_method")],
    )
    .await;
    app.call(&c, "sign_in/email_code", &[]).await;
    let code = app.latest_code("race@example.com").await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let wave = |guesses: Vec<String>| {
        let mut set = tokio::task::JoinSet::new();
        for g in guesses {
            let (c, url) = (c.clone(), format!("{}/api/sign_in/code", app.base));
            set.spawn(async move {
                let res = c
                    .post(url)
                    .header(header::ACCEPT, "application/json")
                    .form(&[("code", g.as_str())])
                    .send()
                    .await
                    .unwrap();
                res.json::<Value>().await.unwrap()
            });
        }
        set.join_all()
    };
    let first = wave(vec![wrong.to_string(); 100]).await;
    let mut second: Vec<String> = vec![wrong.to_string(); 99];
    second.insert(50, code.clone());
    let second = wave(second).await;
    for b in first.iter().chain(&second) {
        assert_eq!(b["code"], "form_code_incorrect", "{b}");
    }
    let (_, u) = app
        .api(
            reqwest::Method::GET,
            &format!("/v1/users/{}", user["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(
        u["locked"], false,
        "more than five guesses were judged: {u}"
    );
    assert_eq!(whoami(&app, &c).await, None);
    assert_eq!(live_sessions_of(&app, &user).await, 0);
}

#[tokio::test]
async fn password_guesses_sent_together_are_judged_at_most_up_to_the_lockout() {
    // Three failures lock the user: twenty wrong passwords sent at once, each waiting for the
    // hasher, must not all pass the lockout check before the first is counted.
    let app = spawn_app(&format!("{NO_LIMITS}[lockout]\nmax_attempts = 3\n")).await;
    let user = app.create_user("burst@example.com", PW).await;
    let mut set = tokio::task::JoinSet::new();
    for i in 0..20 {
        let url = format!("{}/api/sign_in/start", app.base);
        set.spawn(async move {
            let res = browser()
                .post(url)
                .header(header::ACCEPT, "application/json")
                .form(&[
                    ("email", "burst@example.com"),
                    ("password", format!("Wrong-password-{i}").as_str()),
                ])
                .send()
                .await
                .unwrap();
            res.json::<Value>().await.unwrap()["code"].clone()
        });
    }
    let codes = set.join_all().await;
    let incorrect = codes
        .iter()
        .filter(|c| *c == "form_password_incorrect")
        .count();
    let locked = codes.iter().filter(|c| *c == "user_locked").count();
    assert_eq!((incorrect, locked), (2, 18), "{codes:?}");
    // Only three were judged: none was hashed and counted after the lock (a count restarted by
    // the lock stays at zero).
    let id = user["id"].as_str().unwrap();
    let stored = app.store.user_by_id(id).await.unwrap().unwrap();
    assert_eq!(stored.failed_attempts, 0, "guesses judged after the lock");
    assert!(stored.locked_for(unix_now()).is_some());
    // The right password waits for the lockout too.
    let c = browser();
    let (_, b) = app
        .call(
            &c,
            "sign_in/start",
            &[("email", "burst@example.com"), ("password", PW)],
        )
        .await;
    assert_eq!(b["code"], "user_locked", "{b}");
    assert_eq!(live_sessions_of(&app, &user).await, 0);
}

#[tokio::test]
async fn forgot_password_with_mfa_changes_the_password_only_after_the_second_factor() {
    let app = spawn_app(NO_LIMITS).await;
    app.totp_user("mfa-reset@example.com").await;
    let c = browser();
    app.call(
        &c,
        "sign_in/start",
        &[
            ("email", "mfa-reset@example.com"),
            ("action", "forgot_password"),
        ],
    )
    .await;
    let code = app.latest_code("mfa-reset@example.com").await;
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
    // Not yet: the old password still works, the new one does not.
    app.at_second_factor("mfa-reset@example.com").await;
    let (_, b) = app
        .call(
            &browser(),
            "sign_in/start",
            &[
                ("email", "mfa-reset@example.com"),
                ("password", "Brand-New-Pass-9"),
            ],
        )
        .await;
    assert_eq!(b["code"], "form_password_incorrect");
    let totp = vestibule::server::mfa::code_at(TOTP_SECRET, unix_now()).unwrap();
    let (_, b) = app
        .call(
            &c,
            "sign_in/second_factor",
            &[("method", "totp"), ("code", &totp)],
        )
        .await;
    assert_eq!(b["next"], "/dashboard", "{b}");
    let (_, b) = app
        .call(
            &browser(),
            "sign_in/start",
            &[("email", "mfa-reset@example.com"), ("password", PW)],
        )
        .await;
    assert_eq!(
        b["code"], "form_password_incorrect",
        "the old password is gone"
    );
}

#[tokio::test]
async fn one_attempt_completes_once_even_with_two_valid_factors_at_once() {
    let app = spawn_app(&format!("{NO_LIMITS}[mfa]\nrequired = true\n")).await;
    let user = app.create_user("twice@example.com", PW).await;
    let c = app.signed_in("twice@example.com").await;
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
    app.call(&c, "sessions/sign_out", &[]).await;

    let s = app.at_second_factor("twice@example.com").await;
    let totp = vestibule::server::mfa::code_at(&secret, unix_now() + 30).unwrap();
    let by_totp = [("method", "totp"), ("code", totp.as_str())];
    let by_backup = [("method", "backup_code"), ("code", backup.as_str())];
    let ((_, a), (_, b)) = tokio::join!(
        app.call(&s, "sign_in/second_factor", &by_totp),
        app.call(&s, "sign_in/second_factor", &by_backup)
    );
    let wins = [&a, &b]
        .iter()
        .filter(|r| r["next"] == "/dashboard")
        .count();
    assert_eq!(wins, 1, "{a} {b}");
    assert_eq!(live_sessions_of(&app, &user).await, 1);
}
