//! Codes on the way out: the resend timer, the send throttle, the outbox at rest, and clients
//! behind a proxy.

use super::*;
use vestibule::server::clock::ManualClock;

#[tokio::test]
async fn resend_answers_the_same_for_known_and_unknown_addresses() {
    let clock = ManualClock::new(unix_now());
    let app = spawn_app_with_clock(NO_LIMITS, Arc::new(clock.clone())).await;
    app.create_user("known@example.com", PW).await;
    let sign_in = |email: &'static str| {
        let app = &app;
        async move {
            let c = browser();
            app.call(
                &c,
                "sign_in/start",
                &[("email", email), ("action", "another_method")],
            )
            .await;
            let (status, _) = app.call(&c, "sign_in/email_code", &[]).await;
            assert_eq!(status, StatusCode::OK);
            c
        }
    };
    let known = sign_in("known@example.com").await;
    let unknown = sign_in("unknown@example.com").await;
    let (sk, bk) = app.call(&known, "sign_in/resend", &[]).await;
    let (su, bu) = app.call(&unknown, "sign_in/resend", &[]).await;
    assert_eq!((sk, &bk), (su, &bu));
    assert_eq!(bk["code"], "code_resend_too_soon");
    clock.advance(31);
    let (sk, bk) = app.call(&known, "sign_in/resend", &[]).await;
    let (su, bu) = app.call(&unknown, "sign_in/resend", &[]).await;
    assert_eq!(sk, StatusCode::OK, "{bk}");
    assert_eq!((sk, &bk["next"]), (su, &bu["next"]));

    let sign_up = |email: &'static str| {
        let app = &app;
        async move {
            let c = browser();
            let (status, b) = app
                .call(&c, "sign_up/create", &[("email", email), ("password", PW)])
                .await;
            assert_eq!(status, StatusCode::OK, "{b}");
            c
        }
    };
    let existing = sign_up("known@example.com").await;
    let fresh = sign_up("fresh@example.com").await;
    let (se, be) = app.call(&existing, "sign_up/resend", &[]).await;
    let (sf, bf) = app.call(&fresh, "sign_up/resend", &[]).await;
    assert_eq!((se, &be), (sf, &bf));
    assert_eq!(be["code"], "code_resend_too_soon");
    clock.advance(31);
    let (se, _) = app.call(&existing, "sign_up/resend", &[]).await;
    let (sf, _) = app.call(&fresh, "sign_up/resend", &[]).await;
    assert_eq!((se, sf), (StatusCode::OK, StatusCode::OK));
}

#[tokio::test]
async fn the_outbox_keeps_bodies_only_in_testing_and_purges_old_messages() {
    let clock = ManualClock::new(unix_now());
    // Delivery configured and testing off: only recipient, channel, template and time remain.
    let app = spawn_app_with(
        "[email]\nsmtp_url = \"smtp://127.0.0.1:9\"\noutbox_retention = \"1h\"\n",
        Arc::new(clock.clone()),
        false,
    )
    .await;
    let (status, _) = app
        .call(
            &browser(),
            "sign_up/create",
            &[("email", "kept@example.com"), ("password", PW)],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let messages = app.store.messages_to("kept@example.com").await.unwrap();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].template, "sign_up_code");
    assert_eq!(messages[0].body, "");
    assert_eq!(messages[0].code, None);
    let res = client()
        .get(format!("{}/__testing/outbox?to=kept@example.com", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    clock.advance(2 * 3_600);
    app.call(
        &browser(),
        "sign_up/create",
        &[("email", "later@example.com"), ("password", PW)],
    )
    .await;
    assert!(
        app.store
            .messages_to("kept@example.com")
            .await
            .unwrap()
            .is_empty(),
        "purged after the retention period"
    );
}

#[tokio::test]
async fn code_sends_are_throttled_per_recipient_across_attempts() {
    let app = spawn_app(NO_LIMITS).await;
    app.create_user("bomb@example.com", PW).await;
    // "Email code" in a loop, each time in a fresh attempt.
    let c = browser();
    for i in 0..2 {
        app.call(
            &c,
            "sign_in/start",
            &[("email", "bomb@example.com"), ("action", "another_method")],
        )
        .await;
        let (status, b) = app.call(&c, "sign_in/email_code", &[]).await;
        if i == 0 {
            assert_eq!(status, StatusCode::OK, "{b}");
        } else {
            assert_eq!(b["code"], "code_resend_too_soon", "{b}");
        }
    }
    // Forgot password in a loop, and for an address without an account alike.
    for email in ["bomb@example.com", "ghost@example.com"] {
        for i in 0..2 {
            let (_, b) = app
                .call(
                    &browser(),
                    "sign_in/start",
                    &[("email", email), ("action", "forgot_password")],
                )
                .await;
            if i == 1 {
                assert_eq!(b["code"], "code_resend_too_soon", "{email}: {b}");
            }
        }
    }
    let emails = app.outbox("bomb@example.com").await;
    assert_eq!(emails.as_array().unwrap().len(), 2, "{emails}");

    // The phone of the setup-mfa task and of the portal.
    let mfa = spawn_app(&format!(
        "{NO_LIMITS}[mfa]\nrequired = true\nmethods = [\"sms\"]\n"
    ))
    .await;
    mfa.create_user("phone@example.com", PW).await;
    let p = mfa.signed_in("phone@example.com").await;
    let (status, _) = mfa
        .call(&p, "tasks/mfa/phone", &[("phone", "+15550100222")])
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, b) = mfa
        .call(&p, "tasks/mfa/phone", &[("phone", "+15550100222")])
        .await;
    assert_eq!(b["code"], "code_resend_too_soon");
    let portal = app.signed_in("bomb@example.com").await;
    for i in 0..2 {
        let (_, b) = app
            .call(&portal, "account/sms/start", &[("phone", "+15550100333")])
            .await;
        if i == 1 {
            assert_eq!(b["code"], "code_resend_too_soon", "{b}");
        }
    }
    // The SMS second factor at sign-in.
    app.sms_user("texts@example.com", "+15550100444").await;
    let t = app.at_second_factor("texts@example.com").await;
    let (_, b) = app.call(&t, "sign_in/sms_code", &[]).await;
    assert_eq!(b["code"], "code_resend_too_soon", "{b}");
}

#[tokio::test]
async fn one_ip_has_a_budget_of_code_sends_and_portal_passwords_are_rate_limited() {
    // Start at the beginning of a 10-minute send window, so all of it falls into one.
    let t0 = unix_now() - unix_now().rem_euclid(600) + 600;
    let clock = ManualClock::new(t0);
    let app = spawn_app_with_clock("", Arc::new(clock.clone())).await;
    let mut refused = None;
    for i in 0..25 {
        if i % 5 == 4 {
            clock.advance(10); // stay under the per-10 s start limit
        }
        let email = format!("spray{i}@example.com");
        let (status, b) = app
            .call(
                &browser(),
                "sign_in/start",
                &[("email", email.as_str()), ("action", "forgot_password")],
            )
            .await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            refused = Some((i, b));
            break;
        }
    }
    let (i, b) = refused.expect("the per-IP send budget holds");
    assert_eq!(i, 20, "twenty sends are allowed: {b}");
    assert_eq!(b["code"], "too_many_requests");

    app.create_user("limited@example.com", PW).await;
    clock.advance(600);
    let c = app.signed_in("limited@example.com").await;
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let (status, _) = app
            .call(
                &c,
                "account/totp/start",
                &[("current_password", "wrong-pass-1")],
            )
            .await;
        statuses.push(status);
    }
    assert_eq!(statuses[3], StatusCode::TOO_MANY_REQUESTS, "{statuses:?}");
}

#[tokio::test]
async fn behind_a_trusted_proxy_limits_key_on_the_forwarded_client() {
    let app = spawn_app("[http]\ntrusted_proxies = [\"127.0.0.1/32\"]\n").await;
    let start = |ip: &'static str| {
        let app = &app;
        async move {
            browser()
                .post(format!("{}/api/sign_in/start", app.base))
                .header(header::ACCEPT, "application/json")
                .header("x-forwarded-for", format!("198.51.100.9, {ip}"))
                .form(&[("email", "x@example.com"), ("password", "whatever-1")])
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    // Fixed 10 s windows: within 11 quick starts from one client, one is refused.
    let mut refused = false;
    for _ in 0..11 {
        if start("203.0.113.7").await == StatusCode::TOO_MANY_REQUESTS {
            refused = true;
            break;
        }
    }
    assert!(refused, "one client is limited");
    assert_ne!(
        start("203.0.113.8").await,
        StatusCode::TOO_MANY_REQUESTS,
        "another client behind the same proxy is not"
    );
    // IPv6 clients share a bucket per /64.
    let mut refused = false;
    for i in 0..11 {
        let ip = if i % 2 == 0 {
            "2001:db8:0:1::1"
        } else {
            "2001:db8:0:1::2"
        };
        if start(ip).await == StatusCode::TOO_MANY_REQUESTS {
            refused = true;
            break;
        }
    }
    assert!(refused, "one /64 is one client");

    // Without trusted proxies the header is ignored: everyone shares the peer's bucket.
    let direct = spawn_app("").await;
    let mut statuses = Vec::new();
    for i in 0..11 {
        let res = browser()
            .post(format!("{}/api/sign_in/start", direct.base))
            .header(header::ACCEPT, "application/json")
            .header("x-forwarded-for", format!("203.0.113.{i}"))
            .form(&[("email", "x@example.com"), ("password", "whatever-1")])
            .send()
            .await
            .unwrap();
        statuses.push(res.status());
    }
    assert!(
        statuses.contains(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
}

#[tokio::test]
async fn portal_invitations_cannot_flood_an_inbox() {
    // The per-recipient rule holds with rate limits off too (ORGS_OPEN turns them off).
    let clock = ManualClock::new(unix_now());
    let app = spawn_app_with_clock(ORGS_OPEN, Arc::new(clock.clone())).await;
    let boss = app.create_user("boss@example.com", PW).await;
    let org = app.organization("Acme", &boss, &[]).await;
    let admin = app.in_org("boss@example.com", &org).await;
    let invite = |email: &'static str| {
        let (app, admin) = (&app, &admin);
        async move {
            app.call(
                admin,
                "organizations/invitations/create",
                &[("email", email), ("role", "org:member")],
            )
            .await
        }
    };
    // How many messages the target has been sent.
    let sent = || async {
        app.outbox("target@example.com")
            .await
            .as_array()
            .map(Vec::len)
    };
    let (status, b) = invite("target@example.com").await;
    assert_eq!(status, StatusCode::OK, "{b}");
    let (_, p) = app.call(&admin, "organizations/profile", &[]).await;
    let id = p["invitations"][0]["id"].as_str().unwrap().to_string();
    let (status, _) = app
        .call(
            &admin,
            "organizations/invitations/revoke",
            &[("invitation_id", id.as_str())],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // Revoke and invite again at once: the address was sent to less than 30 s ago.
    let (status, b) = invite("target@example.com").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["code"], "code_resend_too_soon");
    assert_eq!(sent().await, Some(1));
    // Another address is not held up, and the same one is welcome again after 30 s.
    assert_eq!(invite("other@example.com").await.0, StatusCode::OK);
    clock.advance(31);
    assert_eq!(invite("target@example.com").await.0, StatusCode::OK);
    assert_eq!(sent().await, Some(2));
}

#[tokio::test]
async fn one_phone_receives_a_bounded_number_of_texts_a_day() {
    // An hour into a day, so the test's sends share it.
    let day = unix_now() - unix_now().rem_euclid(86_400);
    let clock = ManualClock::new(day + 3_600);
    let app = spawn_app_with_clock(NO_LIMITS, Arc::new(clock.clone())).await;
    app.create_user("texts@example.com", PW).await;
    let c = app.signed_in("texts@example.com").await;
    let cap = vestibule::server::flows::codes::SMS_PER_PHONE_PER_DAY;
    let start = || app.call(&c, "account/sms/start", &[("phone", "+15555550123")]);
    for i in 0..cap {
        let (status, b) = start().await;
        assert_eq!(status, StatusCode::OK, "text {i}: {b}");
        clock.advance(31);
    }
    let (status, b) = start().await;
    assert_eq!(
        (status, b["code"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("too_many_requests")),
        "{b}"
    );
    let sent = app.outbox("%2B15555550123").await;
    assert_eq!(sent.as_array().unwrap().len(), cap as usize);
}
