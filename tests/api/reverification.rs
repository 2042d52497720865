//! Reverification (README, "Reverification"): sensitive actions need the session's factors verified
//! in the last 10 minutes (`strict`), answer 403 `reverification_required` otherwise (a plain form
//! post goes to `/user/verify` and comes back), and the session verifies again with its password or
//! an email code, then its second factor.

use crate::helpers::*;
use vestibule::server::clock::{Clock, ManualClock};

const NO_LIMITS: &str = "[rate_limits]\nenabled = false\n";

async fn whoami(app: &TestApp, c: &Client) -> Option<String> {
    let (status, me) = app.call(c, "app/whoami", &[]).await;
    (status == StatusCode::OK).then(|| me["user_id"].as_str().unwrap().to_string())
}

async fn app_with_clock(extra: &str) -> (TestApp, ManualClock) {
    let clock = ManualClock::new(unix_now());
    let app = spawn_app_with_clock(&format!("{NO_LIMITS}{extra}"), Arc::new(clock.clone())).await;
    (app, clock)
}

async fn signed_in_by_testing(app: &TestApp, email: &str) -> Client {
    let c = browser();
    let res = c
        .post(format!("{}/__testing/sign-in", app.base))
        .json(&json!({ "email": email }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    c
}

#[tokio::test]
async fn deleting_the_account_needs_a_recent_password_then_removes_everything() {
    let (app, clock) = app_with_clock("").await;
    let user = app.create_user("delete-me@example.com", PW).await;
    let c = app.signed_in("delete-me@example.com").await;
    clock.advance(11 * 60);
    let (status, b) = app.call(&c, "account/delete", &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{b}");
    assert_eq!(
        (b["code"].as_str(), b["detail"].as_str()),
        (Some("reverification_required"), Some("strict"))
    );
    let (_, view) = app.call(&c, "user/verify", &[("level", "strict")]).await;
    assert_eq!(view["needed"], "first", "{view}");
    assert_eq!(view["has_password"], true);

    let (status, b) = app
        .call(
            &c,
            "user/verify/password",
            &[("password", "Wrong-password-9"), ("dialog", "true")],
        )
        .await;
    assert_eq!(
        (status, b["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("form_password_incorrect")
        )
    );
    let (_, b) = app.call(&c, "account/delete", &[]).await;
    assert_eq!(
        b["code"], "reverification_required",
        "a wrong password verifies nothing"
    );

    let (_, b) = app
        .call(
            &c,
            "user/verify/password",
            &[("password", PW), ("redirect_url", "/user")],
        )
        .await;
    assert_eq!(
        b["next"], "/user",
        "the page returns where the action was: {b}"
    );
    let (_, view) = app.call(&c, "user/verify", &[]).await;
    assert_eq!(view["needed"], Value::Null);
    let (status, b) = app
        .call(&c, "account/delete", &[("user_id", "user_someone_else")])
        .await;
    assert_eq!(
        (status, b["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
    let uid = user["id"].as_str().unwrap();
    let (status, b) = app.call(&c, "account/delete", &[("user_id", uid)]).await;
    assert_eq!(status, StatusCode::OK, "{b}");
    assert_eq!(b["next"], "/", "the after-sign-out URL");
    assert_eq!(whoami(&app, &c).await, None, "signed out with the account");
    let (status, _) = app
        .api(
            reqwest::Method::GET,
            &format!("/v1/users/{}", user["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_plain_form_post_goes_to_the_verify_page_and_back() {
    let (app, clock) = app_with_clock("").await;
    app.create_user("nojs-verify@example.com", PW).await;
    let c = app.signed_in("nojs-verify@example.com").await;
    clock.advance(11 * 60);
    let res = c
        .post(format!("{}/api/account/delete", app.base))
        .header(header::ACCEPT, "text/html")
        .header(header::REFERER, format!("{}/user?tab=security", app.base))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .send()
        .await
        .unwrap();
    assert!(res.status().is_redirection(), "{}", res.status());
    assert_eq!(
        res.headers()[header::LOCATION],
        "/user/verify?level=strict&redirect_url=/user%3Ftab%3Dsecurity"
    );
    // Another site's page as the Referer never becomes the way back.
    let res = c
        .post(format!("{}/api/account/delete", app.base))
        .header(header::ACCEPT, "text/html")
        .header(header::REFERER, "https://evil.example/steal")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::FORBIDDEN,
        "csrf_guard refuses another site's referer"
    );
    let page = c
        .get(format!(
            "{}/user/verify?level=strict&redirect_url=%2Fuser",
            app.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("Verify your identity"), "{html}");
    assert!(whoami(&app, &c).await.is_some(), "nothing was deleted");
}

#[tokio::test]
async fn a_user_with_a_second_factor_verifies_both_and_codes_are_single_use() {
    let (app, clock) = app_with_clock("").await;
    app.totp_user("strict-2fa@example.com").await;
    let c = app.at_second_factor("strict-2fa@example.com").await;
    let code = vestibule::server::mfa::code_at(TOTP_SECRET, clock.now()).unwrap();
    let (_, b) = app
        .call(
            &c,
            "sign_in/second_factor",
            &[("method", "totp"), ("code", &code)],
        )
        .await;
    assert_eq!(b["snapshot"]["sessions"][0]["status"], "active", "{b}");
    // Fresh sign-in: both factors count.
    let (_, b) = app
        .call(&c, "account/backup_codes", &[("current_password", "")])
        .await;
    assert_eq!(b["next"], "", "{b}");

    clock.advance(11 * 60);
    let (_, view) = app.call(&c, "user/verify", &[]).await;
    assert_eq!(view["needed"], "first");
    let (_, b) = app
        .call(
            &c,
            "user/verify/password",
            &[("password", PW), ("dialog", "true")],
        )
        .await;
    assert_eq!(b["next"], "", "{b}");
    let (_, view) = app.call(&c, "user/verify", &[]).await;
    assert_eq!(view["needed"], "second", "{view}");
    assert_eq!(view["second_factors"], json!(["totp", "backup_code"]));
    let (_, view) = app.call(&c, "user/verify", &[("level", "moderate")]).await;
    assert_eq!(view["needed"], Value::Null, "moderate asks one factor");

    // The time step used at sign-in cannot be replayed.
    let (_, b) = app
        .call(
            &c,
            "user/verify/code",
            &[("strategy", "totp"), ("code", &code), ("dialog", "true")],
        )
        .await;
    assert_eq!(b["code"], "form_code_incorrect", "{b}");
    let (_, b) = app
        .call(
            &c,
            "user/verify/code",
            &[("strategy", "sms"), ("code", "123456"), ("dialog", "true")],
        )
        .await;
    assert_eq!(
        b["code"], "form_code_incorrect",
        "no phone: nothing to match"
    );
    let (_, b) = app
        .call(
            &c,
            "user/verify/code",
            &[("strategy", "email_code"), ("code", "123456")],
        )
        .await;
    assert_eq!(
        b["code"], "strategy_for_user_invalid",
        "a user with a password verifies with it"
    );

    let fresh = vestibule::server::mfa::code_at(TOTP_SECRET, clock.now()).unwrap();
    let (_, b) = app
        .call(
            &c,
            "user/verify/code",
            &[
                ("strategy", "totp"),
                ("code", &fresh),
                ("redirect_url", "/user"),
            ],
        )
        .await;
    assert_eq!(b["next"], "/user", "{b}");
    let (_, b) = app.call(&c, "account/devices/sign_out_others", &[]).await;
    assert_eq!(b["next"], "/user", "{b}");
}

#[tokio::test]
async fn a_user_without_a_password_verifies_with_an_email_code_bound_to_the_session() {
    let (app, clock) = app_with_clock("").await;
    let (status, _) = app
        .post_json(
            "/v1/users",
            json!({ "email": "nopw@example.com", "email_verified": true }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let a = signed_in_by_testing(&app, "nopw@example.com").await;
    let b_device = signed_in_by_testing(&app, "nopw@example.com").await;
    clock.advance(11 * 60);
    let (_, view) = app.call(&a, "user/verify", &[]).await;
    assert_eq!(
        (view["needed"].as_str(), view["has_password"].as_bool()),
        (Some("first"), Some(false))
    );
    let (_, b) = app
        .call(&a, "user/verify/password", &[("password", PW)])
        .await;
    assert_eq!(b["code"], "strategy_for_user_invalid");

    let (_, b) = app
        .call(
            &a,
            "user/verify/send_code",
            &[("channel", "email"), ("redirect_url", "/user")],
        )
        .await;
    assert_eq!(
        b["next"], "/user/verify?level=strict&step=email_code&redirect_url=/user",
        "{b}"
    );
    let code = app.latest_code("nopw@example.com").await;
    // The code is bound to the session that asked for it.
    let (_, b) = app
        .call(
            &b_device,
            "user/verify/code",
            &[("strategy", "email_code"), ("code", &code)],
        )
        .await;
    assert_eq!(b["code"], "form_code_incorrect", "{b}");
    let (_, b) = app
        .call(
            &a,
            "user/verify/code",
            &[
                ("strategy", "email_code"),
                ("code", &code),
                ("redirect_url", "/user"),
            ],
        )
        .await;
    assert_eq!(b["next"], "/user", "{b}");
    let (_, b) = app
        .call(
            &a,
            "user/verify/code",
            &[("strategy", "email_code"), ("code", &code)],
        )
        .await;
    assert_eq!(b["code"], "form_code_incorrect", "single use");
    let (status, _) = app.call(&a, "account/delete", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        whoami(&app, &b_device).await,
        None,
        "every session ends with the account"
    );
}

#[tokio::test]
async fn leaving_an_organization_needs_a_recent_verification() {
    let (app, clock) = app_with_clock("[organizations]\nenabled = true\n").await;
    let admin = app.create_user("leave-admin@example.com", PW).await;
    let member = app.create_user("leave-member@example.com", PW).await;
    let org = app.organization("Leavers", &admin, &[&member]).await;
    let c = app.in_org("leave-member@example.com", &org).await;
    clock.advance(11 * 60);
    let (status, b) = app.call(&c, "organizations/leave", &[]).await;
    assert_eq!(
        (status, b["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("reverification_required"))
    );
    app.call(
        &c,
        "user/verify/password",
        &[("password", PW), ("dialog", "true")],
    )
    .await;
    let (status, b) = app.call(&c, "organizations/leave", &[]).await;
    assert_eq!(status, StatusCode::OK, "{b}");
}

#[tokio::test]
async fn an_admin_removing_themselves_needs_a_recent_verification() {
    let (app, clock) = app_with_clock("[organizations]\nenabled = true\n").await;
    let admin = app.create_user("self-remove-admin@example.com", PW).await;
    let other = app.create_user("self-remove-other@example.com", PW).await;
    let org = app.organization("Selfless", &admin, &[&other]).await;
    let a = app.in_org("self-remove-admin@example.com", &org).await;
    let (admin_id, other_id) = (admin["id"].as_str().unwrap(), other["id"].as_str().unwrap());
    // A second admin, so that the last-admin rule is not what refuses.
    let (status, b) = app
        .call(
            &a,
            "organizations/members/role",
            &[("user_id", other_id), ("role", "org:admin")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    clock.advance(11 * 60);
    // Removing yourself is leaving (README, "Reverification"), whichever form it comes from.
    let (status, b) = app
        .call(&a, "organizations/members/remove", &[("user_id", admin_id)])
        .await;
    assert_eq!(
        (status, b["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("reverification_required"))
    );
    let (_, me) = app.call(&a, "app/whoami", &[]).await;
    assert_eq!(me["org_id"], org["id"], "still a member: {me}");
    app.call(
        &a,
        "user/verify/password",
        &[("password", PW), ("dialog", "true")],
    )
    .await;
    let (status, b) = app
        .call(&a, "organizations/members/remove", &[("user_id", admin_id)])
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    let (_, me) = app.call(&a, "app/whoami", &[]).await;
    assert_eq!(me["org_id"], Value::Null, "{me}");
}

#[tokio::test]
async fn verification_needs_a_signed_in_active_session() {
    let app = spawn_app(&format!("{NO_LIMITS}{ORGS_REQUIRED}")).await;
    let anonymous = browser();
    assert_eq!(
        app.call(&anonymous, "user/verify", &[]).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (status, _) = app
        .call(&anonymous, "user/verify/password", &[("password", PW)])
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    app.create_user("pending-verify@example.com", PW).await;
    let pending = app.signed_in("pending-verify@example.com").await;
    let (status, _) = app
        .call(&pending, "user/verify/password", &[("password", PW)])
        .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a pending session is signed out"
    );
    let (status, b) = app.call(&pending, "account/delete", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{b}");
}

#[tokio::test]
async fn an_admin_deletes_the_organization_after_a_recent_verification() {
    let (app, clock) = app_with_clock("[organizations]\nenabled = true\n").await;
    let admin = app.create_user("del-org-admin@example.com", PW).await;
    let member = app.create_user("del-org-member@example.com", PW).await;
    let org = app.organization("Doomed", &admin, &[&member]).await;
    let m = app.in_org("del-org-member@example.com", &org).await;
    let (status, b) = app.call(&m, "organizations/delete", &[]).await;
    assert_eq!(
        (status, b["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden")),
        "members cannot"
    );
    let a = app.in_org("del-org-admin@example.com", &org).await;
    // A form shown for another organization never deletes the active one.
    let (status, b) = app
        .call(
            &a,
            "organizations/delete",
            &[("organization_id", "org_other")],
        )
        .await;
    assert_eq!(
        (status, b["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
    let (status, _) = app
        .call(
            &a,
            "organizations/leave",
            &[("organization_id", "org_other")],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    clock.advance(11 * 60);
    let (status, b) = app.call(&a, "organizations/delete", &[]).await;
    assert_eq!(
        (status, b["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("reverification_required"))
    );
    app.call(
        &a,
        "user/verify/password",
        &[("password", PW), ("dialog", "true")],
    )
    .await;
    let (status, b) = app.call(&a, "organizations/delete", &[]).await;
    assert_eq!(status, StatusCode::OK, "{b}");
    let org_id = org["id"].as_str().unwrap();
    assert_eq!(
        app.api(reqwest::Method::GET, &format!("/v1/organizations/{org_id}"))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    // The member's session is back in its personal account.
    let (_, me) = app.call(&m, "app/whoami", &[]).await;
    assert_eq!(me["org_id"], Value::Null, "{me}");
    let (status, _) = app
        .api(
            reqwest::Method::DELETE,
            &format!("/v1/organizations/{org_id}"),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "already gone");
}
