//! Tasks beyond the three (README, "Custom tasks"): app-defined tasks, tasks an operator requires
//! of a user, terms versions and organizations that require a second factor.

use crate::helpers::*;

const DPA: &str = "[[tasks.custom]]\nkey = \"accept-dpa\"\ntitle = \"Accept the data processing agreement\"\ndescription = \"Read it first.\"\n";

async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = client()
        .request(method, format!("{}{path}", app.base))
        .bearer_auth(KEY);
    if let Some(body) = body {
        req = req.json(&body);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn require(app: &TestApp, user: &Value, key: &str) -> (StatusCode, Value) {
    let path = format!("/v1/users/{}/tasks", user["id"].as_str().unwrap());
    send(
        app,
        reqwest::Method::POST,
        &path,
        Some(json!({ "key": key })),
    )
    .await
}

fn keys(list: &Value) -> Vec<String> {
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["key"].as_str().unwrap().to_string())
        .collect()
}

async fn status_of(app: &TestApp, c: &Client) -> (String, Value) {
    let (_, snap) = app.call(c, "client", &[]).await;
    (
        snap["sessions"][0]["status"]
            .as_str()
            .unwrap_or("none")
            .to_string(),
        snap["sessions"][0]["tasks"].clone(),
    )
}

#[tokio::test]
async fn requesting_a_task_turns_a_live_session_pending_at_its_next_request() {
    let app = spawn_app(DPA).await;
    let user = app.create_user("req@example.com", PW).await;
    let c = app.signed_in("req@example.com").await;
    assert_eq!(
        status_of(&app, &c).await.0,
        "active",
        "on_request: nobody owes it yet"
    );
    let (status, list) = require(&app, &user, "accept-dpa").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(
        list["data"],
        json!([{ "object": "user_task", "key": "accept-dpa", "requested": true }])
    );
    assert_eq!(
        app.location(&c, "/dashboard").await.as_deref(),
        Some("/sign-in/tasks/accept-dpa?redirect_url=/dashboard"),
        "the next request sees the task, one hop to its page"
    );
    let (status, _) = app.call(&c, "app/whoami", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "pending is signed out");
    let (status, b) = app
        .call(
            &c,
            "tasks/complete",
            &[("key", "accept-dpa"), ("redirect_url", "/dashboard")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    assert_eq!(b["next"], "/dashboard");
    assert_eq!(b["snapshot"]["sessions"][0]["status"], "active");
    let (_, list) = send(
        &app,
        reqwest::Method::GET,
        &format!("/v1/users/{}/tasks", user["id"].as_str().unwrap()),
        None,
    )
    .await;
    assert_eq!(list["total_count"], 0, "done: {list}");
    // Completing it again is refused: it is no longer the current task.
    let (status, b) = app
        .call(&c, "tasks/complete", &[("key", "accept-dpa")])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{b}");
    assert_eq!(b["code"], "task_not_current");
}

#[tokio::test]
async fn only_the_current_task_can_be_completed() {
    let config = "[[tasks.custom]]\nkey = \"first\"\ntitle = \"First\"\napplies = \"all_users\"\n\
                  [[tasks.custom]]\nkey = \"second\"\ntitle = \"Second\"\napplies = \"all_users\"\n";
    let app = spawn_app(config).await;
    app.create_user("order@example.com", PW).await;
    let stranger = browser();
    let (status, _) = app
        .call(&stranger, "tasks/complete", &[("key", "first")])
        .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "no session, no completion"
    );
    let c = app.signed_in("order@example.com").await;
    assert_eq!(
        status_of(&app, &c).await,
        ("pending".to_string(), json!(["first", "second"]))
    );
    for key in [
        "second",
        "setup-mfa",
        "accept-terms",
        "nope",
        "",
        "../first",
    ] {
        let (status, b) = app.call(&c, "tasks/complete", &[("key", key)]).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{key}: {b}");
        assert_eq!(b["code"], "task_not_current", "{key}");
    }
    // The app's own server function does not complete a task whose page is the hosted one.
    let (status, b) = app.call(&c, "demo/finish_task", &[("key", "first")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{b}");
    assert_eq!(b["code"], "forbidden");
    let (status, b) = app.call(&c, "tasks/complete", &[("key", "first")]).await;
    assert_eq!(status, StatusCode::OK, "{b}");
    assert_eq!(b["next"], "/sign-in/tasks/second");
    let (status, b) = app.call(&c, "tasks/complete", &[("key", "second")]).await;
    assert_eq!(status, StatusCode::OK, "{b}");
    assert_eq!(
        b["next"], "/dashboard",
        "the last task sends on to after-sign-in"
    );
    // Done once is done for good: a new session does not owe them again.
    app.call(&c, "sessions/sign_out", &[]).await;
    let again = app.signed_in("order@example.com").await;
    assert_eq!(status_of(&app, &again).await.0, "active");
}

#[tokio::test]
async fn the_backend_api_refuses_bad_task_requests_and_changes_nothing() {
    let app = spawn_app(DPA).await;
    let user = app.create_user("bad@example.com", PW).await;
    let id = user["id"].as_str().unwrap();
    // Unknown keys, and built-in tasks this instance cannot ask (no organizations, no terms).
    for key in [
        "unknown-task",
        "Accept DPA",
        "",
        &"a".repeat(65),
        "choose-organization",
        "accept-terms",
    ] {
        let (status, b) = require(&app, &user, key).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{key}: {b}");
        assert!(
            b["errors"][0]["code"]
                .as_str()
                .unwrap()
                .starts_with("form_param"),
            "{b}"
        );
    }
    let ghost = json!({ "id": "user_ghost" });
    let (status, b) = require(&app, &ghost, "accept-dpa").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{b}");
    let (status, _) = send(
        &app,
        reqwest::Method::GET,
        "/v1/users/user_ghost/tasks",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let path = format!("/v1/users/{id}/tasks");
    let (status, b) = send(
        &app,
        reqwest::Method::POST,
        &path,
        Some(json!({ "key": 7 })),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{b}");
    let (status, _) = send(
        &app,
        reqwest::Method::POST,
        &path,
        Some(json!({ "key": "accept-dpa", "x": 1 })),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = client()
        .post(format!("{}{path}", app.base))
        .json(&json!({ "key": "accept-dpa" }))
        .send()
        .await
        .map(|r| (r.status(), ()))
        .unwrap();
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the secret key is required"
    );
    let (_, list) = send(&app, reqwest::Method::GET, &path, None).await;
    assert_eq!(list["total_count"], 0, "nothing was written: {list}");
    // Withdrawing what was never asked is 404; withdrawing a request works once.
    let (status, _) = send(
        &app,
        reqwest::Method::DELETE,
        &format!("{path}/accept-dpa"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    require(&app, &user, "accept-dpa").await;
    let c = app.signed_in("bad@example.com").await;
    assert_eq!(status_of(&app, &c).await.0, "pending");
    let (status, list) = send(
        &app,
        reqwest::Method::DELETE,
        &format!("{path}/accept-dpa"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["total_count"], 0);
    assert_eq!(
        status_of(&app, &c).await.0,
        "active",
        "withdrawn: the session is active again"
    );
    let (status, _) = send(
        &app,
        reqwest::Method::DELETE,
        &format!("{path}/accept-dpa"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // An operator completes an app-defined task for the user; a built-in one is done by its facts.
    require(&app, &user, "accept-dpa").await;
    assert_eq!(status_of(&app, &c).await.0, "pending");
    let (status, b) = send(
        &app,
        reqwest::Method::POST,
        &format!("{path}/reset-password/complete"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let (status, list) = send(
        &app,
        reqwest::Method::POST,
        &format!("{path}/accept-dpa/complete"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["total_count"], 0);
    assert_eq!(status_of(&app, &c).await.0, "active");
}

#[tokio::test]
async fn a_requested_reset_password_forces_a_new_password_once() {
    let app = spawn_app("").await;
    let user = app.create_user("force@example.com", PW).await;
    let (status, list) = require(&app, &user, "reset-password").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(keys(&list), ["reset-password"]);
    let c = app.signed_in("force@example.com").await;
    assert_eq!(
        status_of(&app, &c).await,
        ("pending".to_string(), json!(["reset-password"]))
    );
    let (status, b) = app
        .call(
            &c,
            "tasks/reset_password",
            &[
                ("password", "Br4nd-new-passphrase"),
                ("confirm_password", "Br4nd-new-passphrase"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    assert_eq!(b["snapshot"]["sessions"][0]["status"], "active");
    let (_, list) = send(
        &app,
        reqwest::Method::GET,
        &format!("/v1/users/{}/tasks", user["id"].as_str().unwrap()),
        None,
    )
    .await;
    assert_eq!(list["total_count"], 0, "the request is done: {list}");
}

#[tokio::test]
async fn a_requested_setup_mfa_applies_with_mfa_optional() {
    let app = spawn_app("").await;
    let user = app.create_user("mfa1@example.com", PW).await;
    let c = app.signed_in("mfa1@example.com").await;
    require(&app, &user, "setup-mfa").await;
    assert_eq!(
        status_of(&app, &c).await,
        ("pending".to_string(), json!(["setup-mfa"]))
    );
    let other = app.create_user("mfa2@example.com", PW).await;
    let c2 = app.signed_in("mfa2@example.com").await;
    assert_eq!(
        status_of(&app, &c2).await.0,
        "active",
        "only that user: {other}"
    );
}

#[tokio::test]
async fn users_owe_the_current_terms_version() {
    let config = "[sign_up]\nlegal_consent = true\nterms_version = \"2026-12-01\"\n";
    let app = spawn_app(config).await;
    let user = app.create_user("terms@example.com", PW).await;
    assert_eq!(user["terms_version"], Value::Null);
    let id = user["id"].as_str().unwrap();
    // An older acceptance counts as none.
    app.store
        .accept_terms(id, Some("2026-01-01"), unix_now())
        .await
        .unwrap();
    let c = app.signed_in("terms@example.com").await;
    assert_eq!(
        status_of(&app, &c).await,
        ("pending".to_string(), json!(["accept-terms"]))
    );
    let (status, b) = app.call(&c, "tasks/accept_terms", &[]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["code"], "form_legal_consent_missing");
    let (status, b) = app
        .call(&c, "tasks/accept_terms", &[("legal_accepted", "true")])
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    assert_eq!(b["snapshot"]["sessions"][0]["status"], "active");
    let (_, user) = app
        .api(reqwest::Method::GET, &format!("/v1/users/{id}"))
        .await;
    assert_eq!(user["terms_version"], "2026-12-01");
    assert!(user["legal_accepted_at"].is_string(), "{user}");
    // Signing up accepts the current version: a new user owes nothing.
    let fresh = browser();
    let (status, b) = app
        .call(
            &fresh,
            "sign_up/create",
            &[
                ("email", "new-terms@example.com"),
                ("password", PW),
                ("legal_accepted", "true"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    let code = app.latest_code("new-terms@example.com").await;
    let (status, b) = app.call(&fresh, "sign_up/verify", &[("code", &code)]).await;
    assert_eq!(status, StatusCode::OK, "{b}");
    assert_eq!(b["snapshot"]["sessions"][0]["status"], "active", "{b}");
}

#[tokio::test]
async fn an_organization_requiring_mfa_asks_only_while_it_is_active() {
    let app = spawn_app(ORGS_OPEN).await;
    let admin = app.create_user("strict-admin@example.com", PW).await;
    let member = app.create_user("strict-member@example.com", PW).await;
    let strict = app.organization("Strict", &admin, &[&member]).await;
    let relaxed = app.organization("Relaxed", &admin, &[&member]).await;
    let path = format!("/v1/organizations/{}", strict["id"].as_str().unwrap());
    let (status, org) = send(
        &app,
        reqwest::Method::PATCH,
        &path,
        Some(json!({ "require_mfa": true })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{org}");
    assert_eq!(org["require_mfa"], true);
    let (status, _) = send(
        &app,
        reqwest::Method::PATCH,
        &path,
        Some(json!({ "require_mfa": "yes" })),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = send(
        &app,
        reqwest::Method::PATCH,
        "/v1/organizations/org_ghost",
        Some(json!({ "require_mfa": true })),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let c = app.in_org("strict-member@example.com", &strict).await;
    assert_eq!(
        status_of(&app, &c).await,
        ("pending".to_string(), json!(["setup-mfa"]))
    );
    // Never locked out of the others: switching away is allowed and leaves nothing owed.
    let (status, b) = app
        .call(
            &c,
            "sessions/set_active",
            &[("organization", relaxed["id"].as_str().unwrap())],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    assert_eq!(status_of(&app, &c).await.0, "active");
    let (status, _) = app
        .call(&c, "sessions/set_active", &[("personal", "true")])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(status_of(&app, &c).await.0, "active");
    // Back in the strict organization, the task is owed again.
    let (status, _) = app
        .call(
            &c,
            "sessions/set_active",
            &[("organization", strict["id"].as_str().unwrap())],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(status_of(&app, &c).await.1, json!(["setup-mfa"]));
    // Turning the requirement off releases the member at the next request.
    send(
        &app,
        reqwest::Method::PATCH,
        &path,
        Some(json!({ "require_mfa": false })),
    )
    .await;
    assert_eq!(status_of(&app, &c).await.0, "active");
}

#[tokio::test]
async fn an_admin_sets_the_requirement_in_the_organization_portal() {
    let app = spawn_app(ORGS_OPEN).await;
    let admin = app.create_user("portal-admin@example.com", PW).await;
    let member = app.create_user("portal-member@example.com", PW).await;
    let org = app.organization("Portal", &admin, &[&member]).await;
    let m = app.in_org("portal-member@example.com", &org).await;
    let fields = [
        ("name", "Portal"),
        ("slug", ""),
        ("mfa_setting", "true"),
        ("require_mfa", "true"),
    ];
    let (status, b) = app.call(&m, "organizations/rename", &fields).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a member may not: {b}");
    assert_eq!(status_of(&app, &m).await.0, "active");
    let a = app.in_org("portal-admin@example.com", &org).await;
    let (status, b) = app.call(&a, "organizations/rename", &fields).await;
    assert_eq!(status, StatusCode::OK, "{b}");
    assert_eq!(status_of(&app, &m).await.1, json!(["setup-mfa"]));
    assert_eq!(
        status_of(&app, &a).await.1,
        json!(["setup-mfa"]),
        "the admin has no factor either"
    );
    let (_, org_now) = app
        .api(
            reqwest::Method::GET,
            &format!("/v1/organizations/{}", org["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(org_now["require_mfa"], true);
}

#[tokio::test]
async fn a_task_with_a_page_of_the_apps_own_is_done_only_by_the_app() {
    let config = "[[tasks.custom]]\nkey = \"survey\"\ntitle = \"Survey\"\nurl = \"/onboarding/survey\"\napplies = \"all_users\"\n";
    let app = spawn_app(config).await;
    app.create_user("survey@example.com", PW).await;
    let c = app.signed_in("survey@example.com").await;
    assert_eq!(
        app.location(&c, "/dashboard").await.as_deref(),
        Some("/onboarding/survey?redirect_url=/dashboard"),
        "the task's own url"
    );
    // The hosted "Continue" would skip whatever the app's page asks for.
    let (status, b) = app.call(&c, "tasks/complete", &[("key", "survey")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{b}");
    assert_eq!(b["code"], "forbidden");
    assert_eq!(status_of(&app, &c).await.0, "pending");
    // The app's server function completes it, and the destination the page was opened with
    // (its Referer) is honoured.
    let res = c
        .post(format!("{}/api/demo/finish_task", app.base))
        .header(header::ACCEPT, "text/html")
        .header(
            header::REFERER,
            format!("{}/onboarding/survey?redirect_url=/user", app.base),
        )
        .form(&[("key", "ignored")])
        .send()
        .await
        .unwrap();
    assert!(
        res.status().is_redirection(),
        "a plain form post is redirected: {}",
        res.status()
    );
    assert_eq!(res.headers()[header::LOCATION], "/user");
    assert_eq!(status_of(&app, &c).await.0, "active");
}

#[tokio::test]
async fn only_configured_custom_tasks_have_pages() {
    let app = spawn_app(DPA).await;
    let c = browser();
    let res = c
        .get(format!("{}/sign-in/tasks/not-configured", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        app.location(&c, "/sign-in/tasks/accept-dpa")
            .await
            .as_deref(),
        Some("/sign-in"),
        "a known task page sends a visitor without a session to sign in"
    );
}

#[tokio::test]
async fn a_requested_organization_choice_is_done_once_one_is_active() {
    let app = spawn_app(ORGS_OPEN).await;
    let admin = app.create_user("choose-admin@example.com", PW).await;
    let user = app.create_user("choose@example.com", PW).await;
    let org = app.organization("Chosen", &admin, &[&user]).await;
    let c = app.signed_in("choose@example.com").await;
    require(&app, &user, "choose-organization").await;
    assert_eq!(status_of(&app, &c).await.1, json!(["choose-organization"]));
    let (status, b) = app
        .call(
            &c,
            "sessions/set_active",
            &[("organization", org["id"].as_str().unwrap())],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    assert_eq!(status_of(&app, &c).await.0, "active");
    let (_, list) = send(
        &app,
        reqwest::Method::GET,
        &format!("/v1/users/{}/tasks", user["id"].as_str().unwrap()),
        None,
    )
    .await;
    assert_eq!(
        list["total_count"], 0,
        "the request is done, not a standing rule: {list}"
    );
    let (status, _) = app
        .call(&c, "sessions/set_active", &[("personal", "true")])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(status_of(&app, &c).await.0, "active");
}
