//! Several instances on one PostgreSQL database behave as one
//! (README, "Running several instances"): requests alternate between two servers, as a load
//! balancer without sticky sessions sends them.

use crate::helpers::*;

const NO_LIMITS: &str = "[rate_limits]\nenabled = false\n";

#[tokio::test]
async fn a_session_made_on_one_instance_is_recognised_and_ended_on_the_other() {
    let apps = spawn_instances(2, NO_LIMITS).await;
    let (a, b) = (&apps[0], &apps[1]);
    let user = a.create_user("two@example.com", PW).await;
    let c = a.signed_in("two@example.com").await;
    let (status, me) = b.call(&c, "app/whoami", &[]).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["user_id"], user["id"]);
    let (status, _) = a.call(&c, "sessions/sign_out", &[]).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = b.call(&c, "app/whoami", &[]).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "signed out everywhere at once"
    );
    assert_eq!(
        b.location(&c, "/dashboard").await.as_deref(),
        Some("/sign-in?redirect_url=/dashboard")
    );
}

#[tokio::test]
async fn the_per_ip_rate_limit_counts_across_instances() {
    let apps = spawn_instances(2, "").await;
    let c = browser();
    // Fixed 10 s windows: of 11 quick starts, at least 6 fall into one window, whichever
    // instance each one reaches.
    let mut limited = None;
    for i in 0..11 {
        let (status, _) = apps[i % 2]
            .call(
                &c,
                "sign_in/start",
                &[("email", "x@example.com"), ("password", "whatever-1")],
            )
            .await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(i);
            break;
        }
    }
    let at = limited.expect("the sixth start within 10 s is refused");
    assert!(
        at >= 5,
        "the first five starts are allowed (refused at {at})"
    );
}

#[tokio::test]
async fn the_account_lockout_counts_across_instances() {
    let apps = spawn_instances(
        2,
        "[rate_limits]\nenabled = false\n[lockout]\nmax_attempts = 4\n",
    )
    .await;
    apps[0].create_user("lock@example.com", PW).await;
    for i in 0..4 {
        let (_, b) = apps[i % 2]
            .call(
                &browser(),
                "sign_in/start",
                &[
                    ("email", "lock@example.com"),
                    ("password", "Wrong-password-1"),
                ],
            )
            .await;
        let expected = if i < 3 {
            "form_password_incorrect"
        } else {
            "user_locked"
        };
        assert_eq!(b["code"], expected, "failure {i}: {b}");
    }
    for app in &apps {
        let (_, b) = app
            .call(
                &browser(),
                "sign_in/start",
                &[("email", "lock@example.com"), ("password", PW)],
            )
            .await;
        assert_eq!(b["code"], "user_locked", "{b}");
    }
}

#[tokio::test]
async fn a_totp_code_accepted_on_one_instance_is_a_replay_on_the_other() {
    let apps = spawn_instances(2, NO_LIMITS).await;
    let (a, b) = (&apps[0], &apps[1]);
    a.totp_user("totp@example.com").await;
    let first = a.at_second_factor("totp@example.com").await;
    let second = b.at_second_factor("totp@example.com").await;
    let code = vestibule::server::mfa::code_at(TOTP_SECRET, unix_now()).unwrap();
    let form = [("method", "totp"), ("code", code.as_str())];
    let (_, r) = a.call(&first, "sign_in/second_factor", &form).await;
    assert_eq!(r["next"], "/dashboard", "{r}");
    let (_, r) = b.call(&second, "sign_in/second_factor", &form).await;
    assert_eq!(r["code"], "form_code_incorrect", "{r}");
}

#[tokio::test]
async fn a_backup_code_raced_on_two_instances_is_accepted_once() {
    let apps = spawn_instances(
        2,
        "[rate_limits]\nenabled = false\n[mfa]\nrequired = true\n",
    )
    .await;
    let (a, b) = (&apps[0], &apps[1]);
    a.create_user("bk@example.com", PW).await;
    let c = a.signed_in("bk@example.com").await;
    let (_, snap) = b.call(&c, "client", &[]).await;
    let secret = snap["mfa_setup"]["totp_secret"]
        .as_str()
        .unwrap()
        .to_string();
    let code = vestibule::server::mfa::code_at(&secret, unix_now()).unwrap();
    let (status, r) = b.call(&c, "tasks/mfa/totp", &[("code", &code)]).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "an enrolment started on A finishes on B: {r}"
    );
    let (_, snap) = a.call(&c, "client", &[]).await;
    let backup = snap["mfa_setup"]["backup_codes"][0]
        .as_str()
        .unwrap()
        .to_string();
    a.call(&c, "tasks/mfa/done", &[]).await;

    for round in 0..3 {
        let on_a = a.at_second_factor("bk@example.com").await;
        let on_b = b.at_second_factor("bk@example.com").await;
        let form = [("method", "backup_code"), ("code", backup.as_str())];
        let ((_, ra), (_, rb)) = tokio::join!(
            a.call(&on_a, "sign_in/second_factor", &form),
            b.call(&on_b, "sign_in/second_factor", &form)
        );
        let wins = [&ra, &rb]
            .iter()
            .filter(|r| r["next"] == "/dashboard")
            .count();
        assert_eq!(wins, usize::from(round == 0), "round {round}: {ra} {rb}");
    }
}

#[tokio::test]
async fn the_same_slug_created_on_two_instances_at_once_exists_once() {
    let apps = spawn_instances(2, "[organizations]\nenabled = true\n").await;
    let admin = apps[0].create_user("admin@example.com", PW).await;
    let body = |name: &str| json!({ "name": name, "slug": "acme", "created_by": admin["id"] });
    let ((sa, ra), (sb, rb)) = tokio::join!(
        apps[0].post_json("/v1/organizations", body("Acme A")),
        apps[1].post_json("/v1/organizations", body("Acme B"))
    );
    let mut statuses = [sa, sb];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::OK, StatusCode::CONFLICT],
        "{ra} {rb}"
    );
    let loser = if sa == StatusCode::CONFLICT { ra } else { rb };
    assert_eq!(
        loser["errors"][0]["code"], "organization_slug_taken",
        "{loser}"
    );
}
