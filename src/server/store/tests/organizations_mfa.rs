//! The contract for organizations (slugs, the last admin, invitations), second factors and the
//! database's health.

use super::*;

pub(super) async fn slugs_are_taken_once(s: Shared) {
    let made = race(6, |i| {
        let s = s.clone();
        async move {
            s.create_organization(&format!("Acme {i}"), "acme", None, &[], 1)
                .await
        }
    })
    .await;
    assert_eq!(made.iter().filter(|m| m.is_ok()).count(), 1);
    assert!(made
        .iter()
        .filter_map(|m| m.as_ref().err())
        .all(|e| matches!(e, StoreError::Conflict(Conflict::Slug))));
    let other = s
        .create_organization("Other", "other", None, &[], 1)
        .await
        .unwrap();
    assert!(matches!(
        s.rename_organization(&other.id, "Acme", "acme").await,
        Err(StoreError::Conflict(Conflict::Slug))
    ));
}

/// An organization `slug` with `n` admins; answers it and their user ids.
async fn admins(s: &Shared, n: usize, slug: &str) -> (Organization, Vec<String>) {
    let mut members = Vec::new();
    for i in 0..n {
        let u = s
            .create_user(new_user(&format!("admin{i}@{slug}.co")), 1)
            .await
            .unwrap();
        members.push((u.id, "org:admin".to_string()));
    }
    let org = s
        .create_organization("Acme", slug, None, &members, 1)
        .await
        .unwrap();
    (org, members.into_iter().map(|(id, _)| id).collect())
}

async fn admin_count(s: &Shared, org: &Organization) -> usize {
    let members = s.organization_members(&org.id).await.unwrap();
    members.iter().filter(|m| m.role == "org:admin").count()
}

pub(super) async fn the_last_admin_survives_concurrent_demotions(s: Shared) {
    for round in 0..5 {
        let (org, ids) = admins(&s, 2, &format!("acme-{round}")).await;
        let done = race(2, |i| {
            let (s, org, id) = (s.clone(), org.id.clone(), ids[i].clone());
            async move { s.set_member_role(&org, &id, "org:member").await }
        })
        .await;
        assert_eq!(done.iter().filter(|d| d.is_ok()).count(), 1, "{done:?}");
        assert!(matches!(
            done.iter().find_map(|d| d.as_ref().err()),
            Some(StoreError::Conflict(Conflict::LastAdmin))
        ));
        assert_eq!(admin_count(&s, &org).await, 1);
    }
}

pub(super) async fn the_last_admin_survives_concurrent_removals(s: Shared) {
    for round in 0..5 {
        let (org, ids) = admins(&s, 3, &format!("acme-{round}")).await;
        let done = race(3, |i| {
            let (s, org, id) = (s.clone(), org.id.clone(), ids[i].clone());
            async move { s.remove_member(&org, &id).await }
        })
        .await;
        assert_eq!(done.iter().filter(|d| d.is_ok()).count(), 2, "{done:?}");
        assert_eq!(admin_count(&s, &org).await, 1);
        assert!(matches!(
            s.remove_member(&org.id, "user_unknown").await,
            Err(StoreError::NotFound)
        ));
    }
}

pub(super) async fn the_last_admin_survives_concurrent_deletions(s: Shared) {
    for round in 0..6 {
        let (org, ids) = admins(&s, 2, &format!("gone-{round}")).await;
        let member = s
            .create_user(new_user(&format!("member@gone-{round}.co")), 1)
            .await
            .unwrap();
        s.add_membership(&org.id, &member.id, "org:member", 1)
            .await
            .unwrap();
        // Two admins deleted at once, or one deleted while the other is demoted.
        let demote = round % 2 == 1;
        let done = race(2, |i| {
            let (s, org, id) = (s.clone(), org.id.clone(), ids[i].clone());
            async move {
                if demote && i == 1 {
                    s.set_member_role(&org, &id, "org:member").await
                } else {
                    s.delete_user(&id).await
                }
            }
        })
        .await;
        assert_eq!(done.iter().filter(|d| d.is_ok()).count(), 1, "{done:?}");
        assert_eq!(admin_count(&s, &org).await, 1, "round {round}");
    }
}

pub(super) async fn an_invitation_is_accepted_once(s: Shared) {
    let (org, _) = admins(&s, 1, "acme").await;
    let invited = s.create_user(new_user("new@b.co"), 1).await.unwrap();
    let new = NewInvitation {
        organization_id: org.id.clone(),
        email: "new@b.co".into(),
        role: "org:member".into(),
        token_hash: "tok".into(),
        invited_by: None,
        expires_at: 1000,
    };
    let invitation = s.create_invitation(new.clone(), 2).await.unwrap();
    assert!(matches!(
        s.create_invitation(
            NewInvitation {
                token_hash: "tok2".into(),
                ..new.clone()
            },
            2
        )
        .await,
        Err(StoreError::Conflict(Conflict::Invitation))
    ));
    let accepted = race(4, |_| {
        let (s, id, user) = (s.clone(), invitation.id.clone(), invited.id.clone());
        async move { s.accept_invitation(&id, &user, 3).await }
    })
    .await;
    assert_eq!(accepted.iter().filter(|a| a.is_ok()).count(), 1);
    assert_eq!(s.user_memberships(&invited.id).await.unwrap().len(), 1);
    assert!(matches!(
        s.create_invitation(
            NewInvitation {
                token_hash: "tok3".into(),
                ..new
            },
            4
        )
        .await,
        Err(StoreError::Conflict(Conflict::Membership))
    ));
}

pub(super) async fn one_second_factor_is_enabled_at_a_time(s: Shared) {
    let u = s.create_user(new_user("a@b.co"), 1).await.unwrap();
    let done = race(2, |i| {
        let (s, user) = (s.clone(), u.id.clone());
        let factor = if i == 0 {
            NewFactor::Totp {
                secret: "SECRET".into(),
                step: 1,
            }
        } else {
            NewFactor::Sms {
                phone: "+15555550100".into(),
            }
        };
        async move {
            s.enable_factor(&user, "sess_x", factor, true, None, 2)
                .await
        }
    })
    .await;
    assert_eq!(done.iter().filter(|d| d.is_ok()).count(), 1, "{done:?}");
    assert!(matches!(
        done.iter().find_map(|d| d.as_ref().err()),
        Some(StoreError::Conflict(Conflict::Factor))
    ));
    let u = s.user_by_id(&u.id).await.unwrap().unwrap();
    assert!(u.totp_secret.is_some() ^ u.sms_mfa);
    s.disable_factor(&u.id, FactorKind::Sms, false, 3)
        .await
        .unwrap();
    s.disable_factor(&u.id, FactorKind::Totp, true, 3)
        .await
        .unwrap();
    let u = s.user_by_id(&u.id).await.unwrap().unwrap();
    assert!(u.totp_secret.is_none() && !u.sms_mfa);
}

pub(super) async fn a_backup_code_is_used_once(s: Shared) {
    let u = s.create_user(new_user("a@b.co"), 1).await.unwrap();
    let codes = [NewBackupCode {
        selector: "ab".into(),
        hash: "$argon2id$x".into(),
    }];
    s.regenerate_backup_codes(&u.id, "sess_x", &codes, "[]")
        .await
        .unwrap();
    let found = s.backup_code_candidates(&u.id, "ab").await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].hash, "$argon2id$x");
    assert!(s
        .backup_code_candidates(&u.id, "cd")
        .await
        .unwrap()
        .is_empty());
    let used = race(6, |_| {
        let (s, id) = (s.clone(), found[0].id.clone());
        async move { s.use_backup_code(&id, 2).await.unwrap() }
    })
    .await;
    assert_eq!(used.iter().filter(|u| **u).count(), 1);
    assert_eq!(s.backup_codes_left(&u.id).await.unwrap(), 0);
}

pub(super) async fn regenerated_codes_are_taken_once(s: Shared) {
    let u = s.create_user(new_user("a@b.co"), 1).await.unwrap();
    s.regenerate_backup_codes(&u.id, "sess_x", &[], "[\"c\"]")
        .await
        .unwrap();
    assert_eq!(
        s.take_regenerated_codes(&u.id, "sess_y").await.unwrap(),
        None
    );
    let taken = race(4, |_| {
        let (s, user) = (s.clone(), u.id.clone());
        async move { s.take_regenerated_codes(&user, "sess_x").await.unwrap() }
    })
    .await;
    assert_eq!(taken.iter().flatten().collect::<Vec<_>>(), ["[\"c\"]"]);
}

pub(super) async fn a_totp_step_is_accepted_once(s: Shared) {
    let u = s.create_user(new_user("a@b.co"), 1).await.unwrap();
    let accepted = race(6, |_| {
        let (s, user) = (s.clone(), u.id.clone());
        async move { s.record_totp_step(&user, 100).await.unwrap() }
    })
    .await;
    assert_eq!(accepted.iter().filter(|a| **a).count(), 1);
    assert!(
        !s.record_totp_step(&u.id, 99).await.unwrap(),
        "older steps too"
    );
    assert!(s.record_totp_step(&u.id, 101).await.unwrap());
}

pub(super) async fn health_pings(s: Shared) {
    s.ping().await.unwrap();
}

/// What every request reads in its one query: the client by its token's hash, its live sessions
/// in activation order, and whether there is anything else to read (attempts, memberships,
/// invitations).
pub(super) async fn the_client_is_read_with_what_it_holds(s: Shared) {
    assert_eq!(s.client_by_token_hash("nobody").await.unwrap(), None);
    let c = s.create_client("t1", 1).await.unwrap();
    let empty = s.client_by_token_hash("t1").await.unwrap().unwrap();
    assert_eq!(empty.client, c);
    assert!(empty.sessions.is_empty() && !empty.has_sign_in && !empty.has_sign_up);

    let (org, admins) = admins(&s, 1, "acme").await;
    let member = s.user_by_id(&admins[0]).await.unwrap().unwrap();
    let loner = s.create_user(new_user("loner@b.co"), 1).await.unwrap();
    for u in [&member.id, &loner.id] {
        s.create_session(new_session(u, &c.id), 2).await.unwrap();
    }
    // A second organization of the member: still one row per session.
    s.create_organization(
        "Other",
        "other",
        None,
        &[(member.id.clone(), "org:member".to_string())],
        2,
    )
    .await
    .unwrap();
    // An ended session is not listed (the client still is).
    let gone = s.create_user(new_user("gone@b.co"), 1).await.unwrap();
    let new = new_session(&gone.id, &c.id);
    // Each session rotates the client's token: the last one is the client's.
    let token = new.client_token_hash.clone();
    let ended = s.create_session(new, 2).await.unwrap();
    s.end_session(&ended.id, SessionStatus::Ended, 3)
        .await
        .unwrap();
    s.create_invitation(
        NewInvitation {
            organization_id: org.id.clone(),
            email: "loner@b.co".into(),
            role: "org:member".into(),
            token_hash: "inv".into(),
            invited_by: None,
            expires_at: 1000,
        },
        2,
    )
    .await
    .unwrap();
    let attempt = new_attempt("sia_read", &c.id);
    s.create_sign_in(&attempt, 3).await.unwrap();

    let read = s.client_by_token_hash(&token).await.unwrap().unwrap();
    assert_eq!(read.client.id, c.id);
    assert!(read.has_sign_in && !read.has_sign_up);
    assert_eq!(read.sessions, s.client_sessions(&c.id).await.unwrap());
    let flags: Vec<(&str, bool, bool)> = read
        .sessions
        .iter()
        .map(|d| (d.user.email.as_str(), d.has_memberships, d.has_invitations))
        .collect();
    assert_eq!(
        flags,
        [
            ("loner@b.co", false, true),
            (member.email.as_str(), true, false)
        ]
    );
    assert_eq!(s.client_by_token_hash("t1").await.unwrap(), None, "rotated");
}
