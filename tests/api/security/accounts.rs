//! Accounts and sessions: locks, backup codes, idle sessions, re-verification, headers.

use super::*;
use vestibule::server::clock::{Clock, ManualClock};

#[tokio::test]
async fn locking_a_user_revokes_their_sessions_and_failures_show_as_locked() {
    let app = spawn_app(NO_LIMITS).await;
    let user = app.create_user("lockme@example.com", PW).await;
    let id = user["id"].as_str().unwrap();
    let c = app.signed_in("lockme@example.com").await;
    assert!(whoami(&app, &c).await.is_some());
    let (status, u) = app
        .api(reqwest::Method::POST, &format!("/v1/users/{id}/lock"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(u["locked"], true);
    assert_eq!(u["lockout_expires_in_seconds"], Value::Null);
    assert_eq!(
        whoami(&app, &c).await,
        None,
        "signed out at the next request"
    );
    let statuses: Vec<Value> = sessions_of(&app, &user)
        .await
        .iter()
        .map(|s| s["status"].clone())
        .collect();
    assert_eq!(statuses, vec![json!("revoked")]);
    app.api(reqwest::Method::POST, &format!("/v1/users/{id}/unlock"))
        .await;

    for _ in 0..10 {
        app.call(
            &browser(),
            "sign_in/start",
            &[
                ("email", "lockme@example.com"),
                ("password", "wrong-password-1"),
            ],
        )
        .await;
    }
    let (_, u) = app
        .api(reqwest::Method::GET, &format!("/v1/users/{id}"))
        .await;
    assert_eq!(u["locked"], true, "locked by failures: {u}");
    assert!(u["lockout_expires_in_seconds"].as_i64().unwrap() > 3_500);
}

#[tokio::test]
async fn a_verified_factor_applies_at_sign_in_before_its_backup_codes_are_seen() {
    let app = spawn_app(&format!("{NO_LIMITS}[mfa]\nrequired = true\n")).await;
    let user = app.create_user("unseen@example.com", PW).await;
    let first = app.signed_in("unseen@example.com").await;
    let (_, snap) = app.call(&first, "client", &[]).await;
    let secret = snap["mfa_setup"]["totp_secret"]
        .as_str()
        .unwrap()
        .to_string();
    let code = vestibule::server::mfa::code_at(&secret, unix_now()).unwrap();
    app.call(&first, "tasks/mfa/totp", &[("code", &code)]).await;
    let (_, snap) = app.call(&first, "client", &[]).await;
    assert_eq!(
        snap["mfa_setup"]["backup_codes"].as_array().unwrap().len(),
        10
    );

    // Another browser: the password alone no longer signs in.
    let second = app.at_second_factor("unseen@example.com").await;
    let code = vestibule::server::mfa::code_at(&secret, unix_now() + 30).unwrap();
    let (_, b) = app
        .call(
            &second,
            "sign_in/second_factor",
            &[("method", "totp"), ("code", &code)],
        )
        .await;
    assert_eq!(b["next"], "/dashboard", "{b}");
    let (_, snap) = app.call(&second, "client", &[]).await;
    assert_eq!(snap["sessions"][0]["status"], "active", "{snap}");
    assert_eq!(
        snap["mfa_setup"],
        Value::Null,
        "codes are shown only where they were made"
    );

    // Stored salted; the plaintext goes when the enrolling session ends.
    let id = user["id"].as_str().unwrap();
    let stored = app.store.backup_code_candidates(id, "").await.unwrap();
    assert!(stored.is_empty(), "every code has a selector");
    let codes: Vec<String> = serde_json::from_str(
        &app.store
            .user_by_id(id)
            .await
            .unwrap()
            .unwrap()
            .backup_codes_unseen
            .unwrap(),
    )
    .unwrap();
    let normal = vestibule::server::mfa::normalize_backup_code(&codes[0]);
    let row = app
        .store
        .backup_code_candidates(id, &vestibule::server::mfa::backup_code_selector(&normal))
        .await
        .unwrap();
    assert!(
        row.iter().all(|c| c.hash.starts_with("$argon2id$")),
        "{row:?}"
    );
    app.call(&first, "sessions/sign_out", &[]).await;
    let after = app.store.user_by_id(id).await.unwrap().unwrap();
    assert_eq!(after.backup_codes_unseen, None);
}

#[tokio::test]
async fn idle_sessions_expire_and_activity_is_recorded() {
    let clock = ManualClock::new(unix_now());
    let app = spawn_app_with_clock(
        &format!("{NO_LIMITS}[sessions]\ninactivity_timeout = \"10m\"\n"),
        Arc::new(clock.clone()),
    )
    .await;
    let user = app.create_user("idle@example.com", PW).await;
    let c = app.signed_in("idle@example.com").await;
    let started = clock.now();
    clock.advance(5 * 60);
    assert!(whoami(&app, &c).await.is_some());
    let last = sessions_of(&app, &user).await[0]["last_active_at"].clone();
    assert_eq!(
        last,
        json!(vestibule::server::clock::rfc3339(started + 5 * 60)),
        "activity is recorded"
    );
    clock.advance(6 * 60);
    assert!(whoami(&app, &c).await.is_some(), "active 6 minutes ago");
    clock.advance(11 * 60);
    assert_eq!(whoami(&app, &c).await, None, "idle for 11 minutes");
    assert_eq!(sessions_of(&app, &user).await[0]["status"], "expired");
}

#[tokio::test]
async fn device_sign_out_needs_recent_verification_and_factor_changes_offer_it() {
    let clock = ManualClock::new(unix_now());
    let app = spawn_app_with_clock(NO_LIMITS, Arc::new(clock.clone())).await;
    let user = app.create_user("devices@example.com", PW).await;
    let here = app.signed_in("devices@example.com").await;
    let there = app.signed_in("devices@example.com").await;
    clock.advance(11 * 60);
    let (_, account) = app.call(&here, "account", &[]).await;
    assert_eq!(account["reverification_needed"], true);
    let other = account["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["this_device"] == false)
        .unwrap()["session_id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, b) = app
        .call(&here, "account/devices/sign_out", &[("session_id", &other)])
        .await;
    assert_eq!(b["code"], "reverification_required", "{status} {b}");
    assert!(whoami(&app, &there).await.is_some());
    let (_, b) = app
        .call(
            &here,
            "account/devices/sign_out",
            &[("session_id", &other), ("current_password", PW)],
        )
        .await;
    assert_eq!(b["next"], "", "{b}");
    assert_eq!(whoami(&app, &there).await, None);

    // Adding a factor lands on the offer to sign out of the other devices.
    let third = app.signed_in("devices@example.com").await;
    app.call(&here, "account/totp/start", &[]).await;
    let (_, account) = app.call(&here, "account", &[]).await;
    let secret = account["totp_setup"][0].as_str().unwrap().to_string();
    let code = vestibule::server::mfa::code_at(&secret, clock.now()).unwrap();
    let (_, b) = app
        .call(&here, "account/totp/confirm", &[("code", &code)])
        .await;
    assert_eq!(b["next"], "/user?factor_changed=1", "{b}");
    let (_, b) = app
        .call(&here, "account/devices/sign_out_others", &[])
        .await;
    assert_eq!(b["next"], "/user", "{b}");
    assert_eq!(whoami(&app, &third).await, None);
    assert!(whoami(&app, &here).await.is_some());
    assert_eq!(live_sessions_of(&app, &user).await, 1);
}

#[tokio::test]
async fn pending_sessions_create_organizations_only_at_choose_organization() {
    let app = spawn_app(&format!(
        "{NO_LIMITS}[mfa]\nrequired = true\n[organizations]\nenabled = true\nallow_personal_accounts = false\n"
    ))
    .await;
    app.create_user("early@example.com", PW).await;
    let c = app.signed_in("early@example.com").await;
    let (_, snap) = app.call(&c, "client", &[]).await;
    assert_eq!(
        snap["sessions"][0]["tasks"],
        json!(["setup-mfa", "choose-organization"])
    );
    let (status, b) = app
        .call(&c, "organizations/create", &[("name", "Too Early")])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{b}");
    assert_eq!(b["code"], "task_not_current");
}

#[tokio::test]
async fn pages_are_not_cached_and_https_instances_send_hsts() {
    let app = spawn_app("[instance]\npublic_url = \"https://auth.example.com\"\n").await;
    for path in ["/sign-in", "/", "/sign-up"] {
        let res = browser()
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(res.headers()[header::CACHE_CONTROL], "no-store", "{path}");
        assert!(res.headers()[header::STRICT_TRANSPORT_SECURITY]
            .to_str()
            .unwrap()
            .starts_with("max-age="));
    }
    let plain = spawn_app("").await;
    let res = browser()
        .get(format!("{}/sign-in", plain.base))
        .send()
        .await
        .unwrap();
    assert!(res
        .headers()
        .get(header::STRICT_TRANSPORT_SECURITY)
        .is_none());
}

#[tokio::test]
async fn a_password_only_session_never_sees_or_finishes_another_sessions_enrolment() {
    let app = spawn_app(&format!("{NO_LIMITS}[mfa]\nrequired = true\n")).await;
    app.create_user("two-tabs@example.com", PW).await;
    let owner = app.signed_in("two-tabs@example.com").await;
    let intruder = app.signed_in("two-tabs@example.com").await;
    let secret_of = |c: Client| {
        let app = &app;
        async move {
            let (_, snap) = app.call(&c, "client", &[]).await;
            snap["mfa_setup"]["totp_secret"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    let first = secret_of(owner.clone()).await;
    let theirs = secret_of(intruder.clone()).await;
    assert_ne!(
        first, theirs,
        "a session never sees another session's secret"
    );
    // The intruder's enrolment replaced the owner's, which starts over with a fresh secret.
    let stale = vestibule::server::mfa::code_at(&first, unix_now()).unwrap();
    let (_, b) = app
        .call(&owner, "tasks/mfa/totp", &[("code", &stale)])
        .await;
    assert_eq!(b["code"], "task_not_current", "{b}");
    let mine = secret_of(owner.clone()).await;
    assert_ne!(mine, theirs);
    assert_ne!(mine, first);
    // The intruder cannot finish the owner's enrolment with the owner's code.
    let code = vestibule::server::mfa::code_at(&mine, unix_now()).unwrap();
    let (_, b) = app
        .call(&intruder, "tasks/mfa/totp", &[("code", &code)])
        .await;
    assert_eq!(b["code"], "task_not_current", "{b}");
    let (_, b) = app.call(&owner, "tasks/mfa/totp", &[("code", &code)]).await;
    assert_eq!(b["snapshot"]["sessions"][0]["status"], "pending", "{b}");
    // The owner has a factor now: the password-only session is signed out, not promoted.
    let (_, snap) = app.call(&intruder, "client", &[]).await;
    assert_eq!(snap["sessions"], json!([]), "{snap}");
    assert_eq!(whoami(&app, &intruder).await, None);
}

#[tokio::test]
async fn portal_enrolments_and_fresh_codes_belong_to_the_session_that_started_them() {
    let app = spawn_app(NO_LIMITS).await;
    app.totp_user("portal-two@example.com").await;
    let sign_in = |at: i64| {
        let app = &app;
        async move {
            let (c, b) = app.signed_in_with_totp("portal-two@example.com", at).await;
            assert_eq!(b["next"], "/dashboard", "{b}");
            c
        }
    };
    let here = sign_in(unix_now() - 30).await;
    let there = sign_in(unix_now()).await;
    let (_, b) = app
        .call(&here, "account/backup_codes", &[("current_password", "")])
        .await;
    assert_eq!(b["next"], "", "{b}");
    let (_, elsewhere) = app.call(&there, "account", &[]).await;
    assert_eq!(elsewhere["new_backup_codes"], Value::Null, "{elsewhere}");
    let (_, mine) = app.call(&here, "account", &[]).await;
    assert_eq!(mine["new_backup_codes"].as_array().unwrap().len(), 10);

    app.call(&here, "account/sms/start", &[("phone", "+15550100555")])
        .await;
    let (_, elsewhere) = app.call(&there, "account", &[]).await;
    assert_eq!(elsewhere["pending_phone"], Value::Null, "{elsewhere}");
    let code = app.latest_code("%2B15550100555").await;
    let (status, b) = app
        .call(&there, "account/sms/confirm", &[("code", &code)])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{b}");
    let (_, b) = app
        .call(&here, "account/sms/confirm", &[("code", &code)])
        .await;
    assert_eq!(b["next"], "/user?factor_changed=1", "{b}");
}

#[tokio::test]
async fn portal_reverification_respects_the_lockout() {
    let app = spawn_app(NO_LIMITS).await;
    app.create_user("locked-out@example.com", PW).await;
    let c = app.signed_in("locked-out@example.com").await;
    for _ in 0..10 {
        app.call(
            &browser(),
            "sign_in/start",
            &[
                ("email", "locked-out@example.com"),
                ("password", "wrong-password-1"),
            ],
        )
        .await;
    }
    let (_, b) = app
        .call(
            &c,
            "account/password",
            &[
                ("current_password", PW),
                ("password", "Another-Pass-55"),
                ("confirm_password", "Another-Pass-55"),
            ],
        )
        .await;
    assert_eq!(b["code"], "user_locked", "{b}");
}

#[tokio::test]
async fn unsettled_password_guesses_do_not_lock_a_user_forever() {
    let clock = ManualClock::new(unix_now());
    let app = spawn_app_with_clock(
        &format!("{NO_LIMITS}[lockout]\nmax_attempts = 3\n"),
        Arc::new(clock.clone()),
    )
    .await;
    let user = app.create_user("stuck@example.com", PW).await;
    let id = user["id"].as_str().unwrap();
    // Three guesses counted whose requests never settled them (a process that stopped while
    // they waited for the hasher).
    for _ in 0..3 {
        assert!(app.store.claim_guess(id, 3, clock.now()).await.unwrap());
    }
    let sign_in = || async {
        app.call(
            &browser(),
            "sign_in/start",
            &[("email", "stuck@example.com"), ("password", PW)],
        )
        .await
    };
    // While they may still be in flight, no fourth guess is judged.
    let (_, b) = sign_in().await;
    assert_eq!(b["code"], "user_locked", "{b}");
    // Once they cannot be, they no longer hold the allowance: the right password signs in, and
    // the user was never reported locked.
    clock.advance(vestibule::server::store::GUESS_SETTLES_WITHIN + 1);
    let (_, u) = app
        .api(reqwest::Method::GET, &format!("/v1/users/{id}"))
        .await;
    assert_eq!(u["locked"], false, "{u}");
    let (status, b) = sign_in().await;
    assert_eq!(status, StatusCode::OK, "{b}");
    assert!(b["code"].is_null(), "{b}");
}

#[tokio::test]
async fn a_plain_http_origin_is_refused_for_an_https_site() {
    let app = spawn_app(&format!(
        "{NO_LIMITS}[instance]\npublic_url = \"https://auth.example.com\"\n"
    ))
    .await;
    let post = |origin: &'static str| {
        let base = app.base.clone();
        async move {
            browser()
                .post(format!("{base}/api/sign_in/start"))
                .header(header::ORIGIN, origin)
                .form(&[("email", "x@example.com"), ("password", "whatever-1")])
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    // The same host name over http is a network attacker's page, not the site.
    assert_eq!(post("http://auth.example.com").await, StatusCode::FORBIDDEN);
    assert_ne!(
        post("https://auth.example.com").await,
        StatusCode::FORBIDDEN
    );
}
