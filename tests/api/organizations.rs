//! Organizations, roles and invitations (README, "Organizations, the switcher and invitations").

use crate::helpers::*;

#[tokio::test]
async fn members_cannot_call_admin_functions_and_the_last_admin_stays() {
    let app = spawn_app(ORGS_OPEN).await;
    let boss = app.create_user("boss@example.com", PW).await;
    let m = app.create_user("m@example.com", PW).await;
    let org = app.organization("Acme", &boss, &[&m]).await;
    let other = app
        .organization("Other", &app.create_user("o@example.com", PW).await, &[])
        .await;

    let anon = browser();
    let (status, _) = app.call(&anon, "organizations/profile", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let member = app.in_org("m@example.com", &org).await;
    let before = app.members(&member).await;
    assert_eq!(
        before,
        vec![
            ("boss@example.com".into(), "org:admin".into()),
            ("m@example.com".into(), "org:member".into())
        ]
    );
    let boss_id = boss["id"].as_str().unwrap();
    let m_id = m["id"].as_str().unwrap();
    let (_, invite) = app.invite(&org, "later@example.com", "org:member").await;
    let invitation_id = invite["id"].as_str().unwrap();
    for (endpoint, form) in [
        (
            "organizations/members/role",
            vec![("user_id", m_id), ("role", "org:admin")],
        ),
        (
            "organizations/members/role",
            vec![("user_id", boss_id), ("role", "org:member")],
        ),
        ("organizations/members/remove", vec![("user_id", boss_id)]),
        (
            "organizations/invitations/create",
            vec![("email", "x@example.com"), ("role", "org:admin")],
        ),
        (
            "organizations/invitations/revoke",
            vec![("invitation_id", invitation_id)],
        ),
        ("organizations/rename", vec![("name", "Mine now")]),
    ] {
        let (status, b) = app.call(&member, endpoint, &form).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{endpoint}: {b}");
        assert_eq!(b["code"], "forbidden");
    }
    assert_eq!(app.members(&member).await, before, "nothing changed");
    let (_, p) = app.call(&member, "organizations/profile", &[]).await;
    assert_eq!(
        p["invitations"],
        json!([]),
        "members do not see invitations"
    );
    assert_eq!(p["organization"]["name"], "Acme");
    assert!(app
        .outbox("x@example.com")
        .await
        .as_array()
        .unwrap()
        .is_empty());

    let admin = app.in_org("boss@example.com", &org).await;
    let (_, p) = app.call(&admin, "organizations/profile", &[]).await;
    assert_eq!(p["invitations"][0]["email"], "later@example.com");
    // The last admin can be neither demoted nor removed, nor leave.
    for (endpoint, form) in [
        (
            "organizations/members/role",
            vec![("user_id", boss_id), ("role", "org:member")],
        ),
        ("organizations/members/remove", vec![("user_id", boss_id)]),
        ("organizations/leave", vec![]),
    ] {
        let (status, b) = app.call(&admin, endpoint, &form).await;
        assert_eq!(status, StatusCode::CONFLICT, "{endpoint}: {b}");
        assert_eq!(b["code"], "last_admin_required");
    }
    // Bad input changes nothing.
    let (status, _) = app
        .call(
            &admin,
            "organizations/members/role",
            &[("user_id", m_id), ("role", "owner")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = app
        .call(
            &admin,
            "organizations/members/remove",
            &[("user_id", "user_unknown")],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, b) = app
        .call(
            &admin,
            "organizations/rename",
            &[("name", "Acme"), ("slug", other["slug"].as_str().unwrap())],
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{b}");
    assert_eq!(app.members(&admin).await, before);

    // Promote the member; now the first admin may step down, and the change is seen at once.
    let (status, _) = app
        .call(
            &admin,
            "organizations/members/role",
            &[("user_id", m_id), ("role", "org:admin")],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, me) = app.call(&member, "app/whoami", &[]).await;
    assert_eq!(me["org_role"], "org:admin");
    let (status, _) = app
        .call(
            &member,
            "organizations/rename",
            &[("name", "Acme Two"), ("slug", "acme-two")],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, b) = app.call(&admin, "organizations/leave", &[]).await;
    assert_eq!(status, StatusCode::OK, "{b}");
    assert_eq!(
        b["snapshot"]["sessions"][0]["organization"],
        Value::Null,
        "personal workspace after leaving"
    );
    let (_, me) = app.call(&member, "app/whoami", &[]).await;
    assert_eq!(me["org_slug"], "acme-two");
    assert_eq!(
        app.members(&member).await,
        vec![("m@example.com".into(), "org:admin".into())]
    );
}

#[tokio::test]
async fn removing_a_member_makes_their_session_pending_again() {
    let app = spawn_app(&format!("[rate_limits]\nenabled = false\n{ORGS_REQUIRED}")).await;
    let boss = app.create_user("boss@example.com", PW).await;
    let m = app.create_user("m@example.com", PW).await;
    let org = app.organization("Acme", &boss, &[&m]).await;
    let member = app.in_org("m@example.com", &org).await;
    let (status, me) = app.call(&member, "app/whoami", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["org_role"], "org:member");

    let admin = app.in_org("boss@example.com", &org).await;
    let (status, _) = app
        .call(
            &admin,
            "organizations/members/remove",
            &[("user_id", m["id"].as_str().unwrap())],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app.call(&member, "app/whoami", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "pending is signed out");
    let (_, snap) = app.call(&member, "client", &[]).await;
    let s = &snap["sessions"][0];
    assert_eq!(s["status"], "pending");
    assert_eq!(s["tasks"], json!(["choose-organization"]));
    assert_eq!(s["organization"], Value::Null);
    assert_eq!(s["memberships"], json!([]));
    assert_eq!(
        app.location(&member, "/dashboard").await.as_deref(),
        Some("/sign-in/tasks/choose-organization?redirect_url=/dashboard")
    );
    // The Backend API agrees.
    let (_, sessions) = app
        .api(
            reqwest::Method::GET,
            &format!("/v1/users/{}/sessions", m["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(sessions["data"][0]["status"], "pending");
    assert_eq!(sessions["data"][0]["active_organization_id"], Value::Null);
}

#[tokio::test]
async fn invitations_work_once_expire_and_join_new_and_existing_users() {
    let clock = vestibule::server::clock::ManualClock::new(unix_now());
    let app = spawn_app_with_clock(
        &format!("{ORGS_OPEN}[instance]\npublic_url = \"http://vestibule.test\"\n"),
        Arc::new(clock.clone()),
    )
    .await;
    let boss = app.create_user("boss@example.com", PW).await;
    app.create_user("known@example.com", PW).await;
    let org = app.organization("Acme", &boss, &[]).await;

    // The Backend API validates and answers the link.
    assert_eq!(
        app.invite(&org, "not-an-email", "org:member").await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        app.invite(&org, "new@example.com", "owner").await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        app.post_json(
            "/v1/organizations/org_nope/invitations",
            json!({ "email": "new@example.com", "role": "org:member" })
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.invite(&org, "boss@example.com", "org:member").await.0,
        StatusCode::CONFLICT,
        "already a member"
    );
    let (status, inv) = app.invite(&org, "new@example.com", "org:member").await;
    assert_eq!(status, StatusCode::OK, "{inv}");
    assert_eq!(inv["status"], "pending");
    assert!(inv["url"]
        .as_str()
        .unwrap()
        .starts_with("http://vestibule.test/invitation?token="));
    assert_eq!(
        app.invite(&org, "new@example.com", "org:admin").await.0,
        StatusCode::CONFLICT,
        "one pending invitation per address"
    );
    let mail = app.outbox("new@example.com").await;
    assert!(mail[0]["body"]
        .as_str()
        .unwrap()
        .contains(inv["url"].as_str().unwrap()));

    // A new address: the link leads to sign-up, which needs no code and joins.
    let token = token_of(&inv["url"]);
    let c = browser();
    let to = app
        .location(&c, &format!("/invitation?token={token}"))
        .await
        .unwrap();
    assert!(
        to.starts_with("/sign-up?invitation=") && to.ends_with("&email=new%40example.com"),
        "{to}"
    );
    let (status, b) = app
        .call(
            &c,
            "sign_up/create",
            &[
                ("email", "someone-else@example.com"),
                ("password", PW),
                ("invitation", &token),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["code"], "invitation_email_mismatch");
    let (status, b) = app
        .call(
            &c,
            "sign_up/create",
            &[
                ("email", "new@example.com"),
                ("password", PW),
                ("invitation", &token),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    assert_eq!(b["next"], "/dashboard");
    let s = &b["snapshot"]["sessions"][0];
    assert_eq!(s["status"], "active");
    assert_eq!(s["organization"]["name"], "Acme");
    assert_eq!(s["organization"]["role"], "org:member");
    assert_eq!(
        app.outbox("new@example.com")
            .await
            .as_array()
            .unwrap()
            .len(),
        1,
        "no code was sent"
    );
    // Single use.
    let again = browser();
    assert_eq!(
        app.location(&again, &format!("/invitation?token={token}"))
            .await,
        None
    );
    assert_eq!(
        app.invitation_page(&again, &token).await["status"],
        "accepted"
    );
    let (_, b) = app
        .call(
            &again,
            "sign_up/create",
            &[
                ("email", "new@example.com"),
                ("password", PW),
                ("invitation", &token),
            ],
        )
        .await;
    assert_eq!(b["code"], "invitation_invalid");

    // An existing account: the link leads to sign-in, and signing in joins.
    let (_, inv) = app.invite(&org, "known@example.com", "org:admin").await;
    let token = token_of(&inv["url"]);
    let here = format!("/invitation?token={token}");
    let c = browser();
    let to = app.location(&c, &here).await.unwrap();
    assert_eq!(
        to,
        format!("/sign-in?redirect_url=/invitation%3Ftoken%3D{token}")
    );
    let (status, b) = app
        .call(
            &c,
            "sign_in/start",
            &[
                ("email", "known@example.com"),
                ("password", PW),
                ("redirect_url", &here),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    assert_eq!(b["next"], "/dashboard");
    assert_eq!(
        b["snapshot"]["sessions"][0]["organization"]["role"],
        "org:admin"
    );

    // A signed-in invitee joins directly; another account is told, and nothing changes.
    let (_, org2) = app
        .post_json("/v1/organizations", json!({ "name": "Beta" }))
        .await;
    let (_, inv) = app.invite(&org2, "known@example.com", "org:member").await;
    let token = token_of(&inv["url"]);
    let wrong = app.signed_in("boss@example.com").await;
    assert_eq!(
        app.location(&wrong, &format!("/invitation?token={token}"))
            .await,
        None
    );
    let page = app.invitation_page(&wrong, &token).await;
    assert_eq!(page["status"], "pending");
    assert_eq!(page["signed_in_as"], "boss@example.com");
    assert_eq!(page["email"], "known@example.com");
    let (status, b) = app
        .call(&wrong, "invitations/accept", &[("token", &token)])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(b["code"], "invitation_email_mismatch");
    let known = app.signed_in("known@example.com").await;
    assert_eq!(
        app.location(&known, &format!("/invitation?token={token}"))
            .await
            .as_deref(),
        Some("/dashboard")
    );
    let (_, me) = app.call(&known, "app/whoami", &[]).await;
    assert_eq!(me["org_id"], org2["id"]);

    // Revoked and expired links.
    let admin = app.in_org("boss@example.com", &org).await;
    let (status, _) = app
        .call(
            &admin,
            "organizations/invitations/create",
            &[("email", "late@example.com"), ("role", "org:member")],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, p) = app.call(&admin, "organizations/profile", &[]).await;
    let invitation_id = p["invitations"][0]["id"].as_str().unwrap().to_string();
    let mail = app.outbox("late@example.com").await;
    let body = mail[0]["body"].as_str().unwrap();
    let late_token = body
        .split("/invitation?token=")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    let (status, _) = app
        .call(
            &admin,
            "organizations/invitations/revoke",
            &[("invitation_id", &invitation_id)],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        app.invitation_page(&browser(), &late_token).await["status"],
        "revoked"
    );
    let (_, inv) = app.invite(&org, "late@example.com", "org:member").await;
    let token = token_of(&inv["url"]);
    clock.advance(8 * 86_400);
    let c = browser();
    assert_eq!(
        app.location(&c, &format!("/invitation?token={token}"))
            .await,
        None
    );
    assert_eq!(app.invitation_page(&c, &token).await["status"], "expired");
    let (_, b) = app
        .call(
            &c,
            "sign_up/create",
            &[
                ("email", "late@example.com"),
                ("password", PW),
                ("invitation", &token),
            ],
        )
        .await;
    assert_eq!(b["code"], "invitation_invalid");
    let (_, users) = app
        .api(reqwest::Method::GET, "/v1/users?email=late@example.com")
        .await;
    assert_eq!(
        users["total_count"], 0,
        "no account without a usable invitation"
    );
    assert_eq!(
        app.invitation_page(&c, "made-up").await["status"],
        "invalid"
    );
}

#[tokio::test]
async fn organization_list_pages_by_ten_and_sessions_keep_their_own_organization() {
    let app = spawn_app(&format!("{ORGS_OPEN}[sessions]\nmulti_session = true\n")).await;
    let u = app.create_user("many@example.com", PW).await;
    let v = app.create_user("v@example.com", PW).await;
    let w = app.create_user("w@example.com", PW).await;
    let mut orgs = Vec::new();
    for i in 0..12 {
        orgs.push(app.organization(&format!("Org {i:02}"), &u, &[&v]).await);
    }
    app.invite(&orgs[0], "w@example.com", "org:member").await;
    let c = app.signed_in("many@example.com").await;
    let (_, p0) = app.call(&c, "organizations/list", &[("page", "0")]).await;
    assert_eq!(p0["memberships"].as_array().unwrap().len(), 10);
    assert_eq!(p0["total_memberships"], 12);
    assert_eq!(p0["memberships"][0]["name"], "Org 00");
    let (_, p1) = app.call(&c, "organizations/list", &[("page", "1")]).await;
    assert_eq!(p1["memberships"].as_array().unwrap().len(), 2);
    assert_eq!(p1["memberships"][1]["name"], "Org 11");
    let (status, _) = app.call(&c, "organizations/list", &[("page", "x")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Three accounts on one browser, each with its own active organization.
    let pick = |org: &Value| org["id"].as_str().unwrap().to_string();
    app.call(
        &c,
        "sessions/set_active",
        &[("organization", &pick(&orgs[1]))],
    )
    .await;
    app.call(
        &c,
        "sign_in/start",
        &[("email", "v@example.com"), ("password", PW)],
    )
    .await;
    app.call(
        &c,
        "sessions/set_active",
        &[("organization", &pick(&orgs[2]))],
    )
    .await;
    let (_, b) = app
        .call(
            &c,
            "sign_in/start",
            &[("email", "w@example.com"), ("password", PW)],
        )
        .await;
    let sessions = b["snapshot"]["sessions"].as_array().unwrap().clone();
    let id_of = |email: &str| {
        sessions
            .iter()
            .find(|s| s["user"]["email"] == email)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let w_session = &sessions
        .iter()
        .find(|s| s["user"]["email"] == "w@example.com")
        .unwrap();
    assert_eq!(w_session["invitations"][0]["organization_name"], "Org 00");
    let (u_id, v_id) = (id_of("many@example.com"), id_of("v@example.com"));
    // Switch to the first account, then back to the last: signing that one out falls back to
    // the most recently active other account (the first), not the second.
    app.call(&c, "sessions/set_active", &[("session_id", &u_id)])
        .await;
    let (_, me) = app.call(&c, "app/whoami", &[]).await;
    assert_eq!(me["org_id"], orgs[1]["id"]);
    app.call(&c, "sessions/set_active", &[("session_id", &v_id)])
        .await;
    let (_, me) = app.call(&c, "app/whoami", &[]).await;
    assert_eq!(me["org_id"], orgs[2]["id"], "each session keeps its own");
    app.call(&c, "sessions/set_active", &[("session_id", &u_id)])
        .await;
    app.call(
        &c,
        "sessions/set_active",
        &[("session_id", &id_of("w@example.com"))],
    )
    .await;
    // w joins through the invitation it sees.
    let (status, b) = app
        .call(
            &c,
            "invitations/join",
            &[(
                "invitation_id",
                w_session["invitations"][0]["id"].as_str().unwrap(),
            )],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    let (_, me) = app.call(&c, "app/whoami", &[]).await;
    assert_eq!(me["org_id"], orgs[0]["id"]);
    let (_, b) = app.call(&c, "sessions/sign_out", &[]).await;
    assert_eq!(b["snapshot"]["last_active_session_id"], u_id.as_str());
    let _ = w;
}

#[tokio::test]
async fn organization_pages_are_not_found_while_organizations_are_off() {
    let app = spawn_app("[rate_limits]\nenabled = false\n").await;
    app.create_user("solo@example.com", PW).await;
    let c = app.signed_in("solo@example.com").await;
    for path in ["/organization", "/organization/new", "/invitation?token=x"] {
        let res = c.get(format!("{}{path}", app.base)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let (status, b) = app.call(&c, "organizations/profile", &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{b}");
}
