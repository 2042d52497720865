//! What keeps an organization usable and its members' inboxes quiet: it never loses its last
//! admin to an account deletion, and a member sends a bounded number of invitations.

use crate::helpers::*;

#[tokio::test]
async fn deleting_an_organizations_only_admin_is_refused_while_others_remain() {
    let app = spawn_app(ORGS_OPEN).await;
    let admin = app.create_user("only-admin@example.com", PW).await;
    let member = app.create_user("member-left@example.com", PW).await;
    let org = app.organization("Kept Co", &admin, &[&member]).await;
    let admin_id = admin["id"].as_str().unwrap();
    let (status, b) = app
        .api(reqwest::Method::DELETE, &format!("/v1/users/{admin_id}"))
        .await;
    assert_eq!(
        (status, b["errors"][0]["code"].as_str()),
        (StatusCode::CONFLICT, Some("last_admin_required")),
        "{b}"
    );
    let (status, _) = app
        .api(reqwest::Method::GET, &format!("/v1/users/{admin_id}"))
        .await;
    assert_eq!(status, StatusCode::OK, "the admin is still there");
    // With another admin named, the first may go; a member may go at any time.
    let member_id = member["id"].as_str().unwrap();
    let org_id = org["id"].as_str().unwrap();
    let second = app.create_user("second-admin@example.com", PW).await;
    let (status, b) = app
        .post_json(
            &format!("/v1/organizations/{org_id}/memberships"),
            json!({ "user_id": second["id"], "role": "org:admin" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    for id in [admin_id, member_id] {
        let (status, b) = app
            .api(reqwest::Method::DELETE, &format!("/v1/users/{id}"))
            .await;
        assert!(status.is_success(), "{status} {b}");
    }
}

#[tokio::test]
async fn a_member_sends_a_bounded_number_of_invitations_an_hour() {
    use vestibule::server::clock::ManualClock;
    let hour = unix_now() - unix_now().rem_euclid(3_600);
    let clock = ManualClock::new(hour + 60);
    let app = spawn_app_with_clock(ORGS_OPEN, Arc::new(clock.clone())).await;
    let admin = app.create_user("inviter@example.com", PW).await;
    let org = app.organization("Mailers", &admin, &[]).await;
    let c = app.in_org("inviter@example.com", &org).await;
    let cap = vestibule::server::flows::organizations::INVITATIONS_PER_HOUR;
    let invite = |n: u32| {
        let email = format!("guest{n}@example.com");
        let c = c.clone();
        let app = &app;
        async move {
            app.call(
                &c,
                "organizations/invitations/create",
                &[("email", &email), ("role", "org:member")],
            )
            .await
        }
    };
    for n in 0..cap {
        let (status, b) = invite(n).await;
        assert_eq!(status, StatusCode::OK, "invitation {n}: {b}");
    }
    let (status, b) = invite(cap).await;
    assert_eq!(
        (status, b["code"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("too_many_requests")),
        "{b}"
    );
    clock.advance(3_600);
    let (status, b) = invite(cap + 1).await;
    assert_eq!(status, StatusCode::OK, "the next hour: {b}");
}

#[tokio::test]
async fn organization_named_like_a_link_cannot_reach_an_invitation_email() {
    let app = spawn_app(ORGS_OPEN).await;
    let admin = app.create_user("phish-admin@example.com", PW).await;
    let c = app.signed_in("phish-admin@example.com").await;
    let lure = "Verify your account at evil.example";
    let (status, b) = app
        .call(&c, "organizations/create", &[("name", lure)])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let (status, b) = app
        .post_json(
            "/v1/organizations",
            json!({ "name": "https://evil.example", "created_by": admin["id"] }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    // Nor by renaming an organization that had a plain name.
    let org = app.organization("Plain Co", &admin, &[]).await;
    let c = app.in_org("phish-admin@example.com", &org).await;
    let (status, b) = app
        .call(&c, "organizations/rename", &[("name", lure)])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let (status, b) = app.invite(&org, "victim@example.com", "org:member").await;
    assert_eq!(status, StatusCode::OK, "{b}");
    let mail = app.outbox("victim@example.com").await.to_string();
    assert!(
        mail.contains("Plain Co") && !mail.contains("evil"),
        "{mail}"
    );
}
