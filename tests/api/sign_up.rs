//! Sign-up: the emailed code, the settings, and how many code guesses an address gets.

use crate::helpers::*;

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
async fn sign_up_code_guesses_for_one_address_are_bounded_alike_for_taken_addresses() {
    use vestibule::server::clock::ManualClock;
    let hour = unix_now() - unix_now().rem_euclid(3_600);
    let clock = ManualClock::new(hour + 60);
    let app = spawn_app_with_clock("[rate_limits]\nenabled = false\n", Arc::new(clock)).await;
    app.create_user("taken@example.com", PW).await;
    let cap = vestibule::server::flows::sign_up::SIGN_UP_CODES_PER_ADDRESS_PER_HOUR;
    let mut seen = Vec::new();
    for email in ["guess@example.com", "taken@example.com"] {
        let c = browser();
        let (status, b) = app
            .call(&c, "sign_up/create", &[("email", email), ("password", PW)])
            .await;
        assert_eq!(status, StatusCode::OK, "{b}");
        // (No code goes to an address that has an account.)
        let right = app.outbox(email).await.as_array().and_then(|m| {
            m.first()
                .and_then(|m| m["code"].as_str().map(str::to_string))
        });
        let wrong = match right.as_deref() {
            Some("000000") => "111111",
            _ => "000000",
        };
        let mut answers = Vec::new();
        for _ in 0..cap {
            let (_, b) = app.call(&c, "sign_up/verify", &[("code", wrong)]).await;
            answers.push(b["code"].as_str().unwrap_or_default().to_string());
        }
        assert!(
            answers.iter().all(|a| a == "form_code_incorrect"),
            "{answers:?}"
        );
        // Past the allowance, not even the right code is judged.
        let last = right.unwrap_or_else(|| wrong.to_string());
        let (status, b) = app.call(&c, "sign_up/verify", &[("code", &last)]).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{email}: {b}");
        seen.push(b["code"].clone());
    }
    assert_eq!(seen[0], seen[1], "the same answers for both addresses");
}
