//! Session tasks and the pending state (README, "Session tasks for app developers").

use crate::helpers::*;

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
    // (Leptos marks text nodes with empty comments, `<!>`, for hydration.)
    let html = page.text().await.unwrap().replace("<!>", "");
    assert!(html.contains("<h1>Admin</h1>"), "{html}");
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

#[tokio::test]
async fn app_task_handler_completes_only_the_task_whose_page_it_is() {
    // `dpa` has a page of another handler's, which records what it asks; the demo's handler
    // (for `/onboarding/...` pages) must not complete it, whatever the form names.
    let config = "[[tasks.custom]]\nkey = \"dpa\"\ntitle = \"DPA\"\nurl = \"/legal/dpa\"\napplies = \"all_users\"\n\
                  [[tasks.custom]]\nkey = \"survey\"\ntitle = \"Survey\"\nurl = \"/onboarding/survey\"\napplies = \"all_users\"\n";
    let app = spawn_app(config).await;
    app.create_user("dpa@example.com", PW).await;
    let c = app.signed_in("dpa@example.com").await;
    for form in [vec![], vec![("key", "dpa")], vec![("key", "survey")]] {
        let (status, b) = app.call(&c, "demo/finish_task", &form).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{form:?}: {b}");
        assert_eq!(b["code"], "forbidden");
    }
    assert_eq!(
        app.location(&c, "/dashboard").await.as_deref(),
        Some("/legal/dpa?redirect_url=/dashboard"),
        "still owes the agreement"
    );
}
