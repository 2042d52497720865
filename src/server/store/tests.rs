//! The store's contract: one suite over `&dyn Store`, run against SQLite always and against
//! PostgreSQL whenever a server is reachable (each test in a fresh database). The races are the
//! invariants several instances rely on: each must hold under PostgreSQL's READ COMMITTED.

use super::scratch::ScratchDatabase;
use super::*;
use crate::domain::sign_in::{Intent, SignInState};
use crate::domain::verification::{CodePurpose, CODE_TTL_SECS};
use std::sync::Arc;
use std::time::Duration;

type Shared = Arc<dyn Store>;

/// What keeps a test's database alive until the test ends.
#[allow(dead_code)]
enum Keep {
    File(tempfile::TempDir),
    Server(ScratchDatabase),
}

fn pool() -> PoolSettings {
    PoolSettings {
        max_connections: 8,
        acquire_timeout: Duration::from_secs(10),
    }
}

async fn sqlite() -> (Shared, Keep) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let store = sqlite::SqliteStore::connect(&url, &pool()).await.unwrap();
    (Arc::new(store), Keep::File(dir))
}

async fn postgres() -> Option<(Shared, Keep)> {
    let server = ScratchDatabase::server().await?;
    let db = ScratchDatabase::create(&server).await.unwrap();
    let store = postgres::PgStore::connect(db.url(), &pool()).await.unwrap();
    Some((Arc::new(store), Keep::Server(db)))
}

/// Each contract test, once per engine.
macro_rules! contract {
    ($($name:ident),* $(,)?) => {
        mod on_sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                let (store, _keep) = super::sqlite().await;
                super::$name(store).await;
            })*
        }
        mod on_postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                let Some((store, _keep)) = super::postgres().await else { return };
                super::$name(store).await;
            })*
        }
    };
}

contract!(
    users_are_unique_by_email,
    user_flags_round_trip,
    failures_lock_at_the_maximum_and_restart_the_count,
    codes_are_bound_judged_at_most_five_times_and_single_use,
    send_intervals_are_claimed_once,
    rate_limit_windows_count_and_reset,
    concurrent_hits_are_all_counted,
    change_password_revokes_other_clients,
    one_attempt_completes_into_one_session,
    activations_order_the_client_sessions,
    outbox_lists_the_newest_first,
    slugs_are_taken_once,
    the_last_admin_survives_concurrent_demotions,
    the_last_admin_survives_concurrent_removals,
    an_invitation_is_accepted_once,
    one_second_factor_is_enabled_at_a_time,
    a_backup_code_is_used_once,
    regenerated_codes_are_taken_once,
    a_totp_step_is_accepted_once,
    health_pings,
);

fn new_user(email: &str) -> NewUser {
    NewUser {
        email: email.into(),
        email_verified: true,
        phone: None,
        password_hash: Some("h".into()),
        totp_secret: None,
    }
}

fn new_session(user_id: &str, client_id: &str) -> NewSession {
    NewSession {
        user_id: user_id.into(),
        client_id: client_id.into(),
        tasks: vec![],
        active_organization_id: None,
        user_agent: None,
        ip: None,
        expire_at: 1000,
        client_token_hash: format!("rotated-{client_id}-{}", crate::server::tokens::new_token()),
        replace_client_sessions: false,
        second_factor: false,
        password_change: None,
        completes_attempt: None,
    }
}

/// Runs `n` copies of `f` at once and collects their results.
async fn race<T, F, Fut>(n: usize, f: F) -> Vec<T>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = T> + Send + 'static,
{
    let mut set = tokio::task::JoinSet::new();
    for i in 0..n {
        set.spawn(f(i));
    }
    set.join_all().await
}

async fn users_are_unique_by_email(s: Shared) {
    let u = s.create_user(new_user("a@b.co"), 1).await.unwrap();
    assert_eq!(s.user_by_email("a@b.co").await.unwrap().unwrap().id, u.id);
    assert!(matches!(
        s.create_user(new_user("a@b.co"), 1).await,
        Err(StoreError::Conflict(Conflict::Email))
    ));
}

async fn user_flags_round_trip(s: Shared) {
    let u = s.create_user(new_user("a@b.co"), 1).await.unwrap();
    assert!(u.email_verified && !u.password_compromised && !u.locked && !u.sms_mfa);
    s.set_compromised(&u.id, true, 2).await.unwrap();
    s.set_locked(&u.id, true, 3).await.unwrap();
    let u = s.user_by_id(&u.id).await.unwrap().unwrap();
    assert!(u.password_compromised && u.locked);
    assert_eq!(u.updated_at, 3);
    s.set_locked(&u.id, false, 4).await.unwrap();
    assert!(!s.user_by_id(&u.id).await.unwrap().unwrap().locked);
}

async fn failures_lock_at_the_maximum_and_restart_the_count(s: Shared) {
    let u = s.create_user(new_user("a@b.co"), 1).await.unwrap();
    for _ in 0..2 {
        assert_eq!(s.record_failure(&u.id, 3, 500, 10).await.unwrap(), None);
    }
    assert_eq!(
        s.record_failure(&u.id, 3, 500, 10).await.unwrap(),
        Some(500)
    );
    let u = s.user_by_id(&u.id).await.unwrap().unwrap();
    assert_eq!(u.locked_for(10), Some(490));
    assert_eq!(u.failed_attempts, 0);
    assert_eq!(u.locked_for(500), None);
}

fn binding(attempt: &str, user: &str) -> CodeBinding {
    CodeBinding {
        purpose: CodePurpose::SignInEmail,
        attempt_id: attempt.into(),
        user_id: user.into(),
        recipient: "a@b.co".into(),
    }
}

async fn codes_are_bound_judged_at_most_five_times_and_single_use(s: Shared) {
    let b = binding("sia_1", "user_1");
    s.issue_code(&b, "hash", 100).await.unwrap();
    for other in [
        binding("sia_2", "user_1"),
        binding("sia_1", "user_2"),
        CodeBinding {
            recipient: "x@b.co".into(),
            ..b.clone()
        },
        CodeBinding {
            purpose: CodePurpose::ResetPassword,
            ..b.clone()
        },
    ] {
        assert_eq!(s.judge_code(&other, 101).await.unwrap(), None, "{other:?}");
    }
    // 100 concurrent judgements: exactly five are counted.
    let judged = race(100, |_| {
        let (s, b) = (s.clone(), b.clone());
        async move { s.judge_code(&b, 101).await.unwrap() }
    })
    .await;
    assert_eq!(judged.iter().filter(|j| j.is_some()).count(), 5);
    assert_eq!(s.judge_code(&b, 101).await.unwrap(), None);

    s.issue_code(&b, "hash2", 200).await.unwrap();
    let code = s.judge_code(&b, 201).await.unwrap().unwrap();
    assert_eq!(code.code_hash, "hash2", "a new code replaces the old one");
    let consumed = race(8, |_| {
        let (s, id) = (s.clone(), code.id.clone());
        async move { s.consume_code(&id, 201).await.unwrap() }
    })
    .await;
    assert_eq!(
        consumed.iter().filter(|c| **c).count(),
        1,
        "one consumer wins"
    );
    assert_eq!(s.judge_code(&b, 202).await.unwrap(), None, "consumed");
    s.issue_code(&b, "hash3", 300).await.unwrap();
    assert_eq!(
        s.judge_code(&b, 300 + CODE_TTL_SECS).await.unwrap(),
        None,
        "expired codes are refused"
    );
}

async fn send_intervals_are_claimed_once(s: Shared) {
    let claims = race(8, |_| {
        let s = s.clone();
        async move { s.claim_interval("send:x", 100, 30).await.unwrap() }
    })
    .await;
    assert_eq!(claims.iter().filter(|c| c.is_none()).count(), 1);
    assert_eq!(s.claim_interval("send:x", 110, 30).await.unwrap(), Some(20));
    assert_eq!(s.claim_interval("send:y", 110, 30).await.unwrap(), None);
    assert_eq!(s.claim_interval("send:x", 130, 30).await.unwrap(), None);
}

async fn rate_limit_windows_count_and_reset(s: Shared) {
    assert_eq!(s.hit("ip:1", 0).await.unwrap(), 1);
    assert_eq!(s.hit("ip:1", 0).await.unwrap(), 2);
    assert_eq!(s.hit("ip:1", 10).await.unwrap(), 1);
    assert_eq!(s.hit("ip:2", 10).await.unwrap(), 1);
}

async fn concurrent_hits_are_all_counted(s: Shared) {
    let mut hits = race(40, |_| {
        let s = s.clone();
        async move { s.hit("ip:9", 0).await.unwrap() }
    })
    .await;
    hits.sort_unstable();
    assert_eq!(
        hits,
        (1..=40).collect::<Vec<u32>>(),
        "every hit has its own count"
    );
}

async fn change_password_revokes_other_clients(s: Shared) {
    let u = s.create_user(new_user("a@b.co"), 1).await.unwrap();
    let c1 = s.create_client("t1", 1).await.unwrap();
    let c2 = s.create_client("t2", 1).await.unwrap();
    let s1 = s
        .create_session(new_session(&u.id, &c1.id), 2)
        .await
        .unwrap();
    let s2 = s
        .create_session(new_session(&u.id, &c2.id), 2)
        .await
        .unwrap();
    s.change_password(&u.id, "new", true, Some(&c1.id), 3)
        .await
        .unwrap();
    assert_eq!(
        s.session_by_id(&s1.id).await.unwrap().unwrap().status,
        SessionStatus::Active
    );
    assert_eq!(
        s.session_by_id(&s2.id).await.unwrap().unwrap().status,
        SessionStatus::Revoked
    );
    assert_eq!(s.client_sessions(&c1.id).await.unwrap().len(), 1);
    assert!(s.client_knows_user(&c1.id, &u.id).await.unwrap());
    assert_eq!(
        s.user_by_id(&u.id)
            .await
            .unwrap()
            .unwrap()
            .password_hash
            .as_deref(),
        Some("new")
    );
}

async fn one_attempt_completes_into_one_session(s: Shared) {
    let u = s.create_user(new_user("a@b.co"), 1).await.unwrap();
    let c = s.create_client("t1", 1).await.unwrap();
    let attempt = SignInAttempt {
        id: "sia_race".into(),
        client_id: c.id.clone(),
        version: 0,
        state: SignInState::NeedsIdentifier {
            intent: Intent::AnotherMethod,
        },
        redirect_url: None,
        code_sent_at: None,
        expires_at: 1000,
    };
    s.create_sign_in(&attempt, 1).await.unwrap();
    let made = race(6, |_| {
        let (s, mut new) = (s.clone(), new_session(&u.id, &c.id));
        new.completes_attempt = Some("sia_race".into());
        async move { s.create_session(new, 2).await }
    })
    .await;
    assert_eq!(made.iter().filter(|m| m.is_ok()).count(), 1);
    assert!(made
        .iter()
        .filter_map(|m| m.as_ref().err())
        .all(|e| matches!(e, StoreError::Conflict(Conflict::Attempt))));
    assert_eq!(s.client_sessions(&c.id).await.unwrap().len(), 1);
    assert_eq!(s.sign_in_for_client(&c.id).await.unwrap(), None);
}

async fn activations_order_the_client_sessions(s: Shared) {
    let c = s.create_client("t1", 1).await.unwrap();
    let mut ids = Vec::new();
    for n in 0..3 {
        let u = s
            .create_user(new_user(&format!("u{n}@b.co")), 1)
            .await
            .unwrap();
        ids.push(
            s.create_session(new_session(&u.id, &c.id), 5)
                .await
                .unwrap()
                .id,
        );
    }
    // All in the same second: the order still follows the activations.
    let listed: Vec<String> = s
        .client_sessions(&c.id)
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.session.id)
        .collect();
    ids.reverse();
    assert_eq!(listed, ids, "most recently activated first");
}

async fn outbox_lists_the_newest_first(s: Shared) {
    for n in 0..3 {
        let m = OutboxMessage {
            to: "a@b.co".into(),
            channel: "email".into(),
            template: format!("t{n}"),
            subject: "s".into(),
            body: String::new(),
            code: None,
            sent_at: 50,
        };
        s.push_message(&m, 0).await.unwrap();
    }
    let old = OutboxMessage {
        to: "old@b.co".into(),
        channel: "email".into(),
        template: "old".into(),
        subject: "s".into(),
        body: String::new(),
        code: None,
        sent_at: 10,
    };
    s.push_message(&old, 0).await.unwrap();
    let templates: Vec<String> = s
        .messages_to("a@b.co")
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.template)
        .collect();
    assert_eq!(templates, ["t2", "t1", "t0"]);
    // A later send purges what is past the retention.
    s.push_message(
        &OutboxMessage {
            sent_at: 60,
            ..old.clone()
        },
        20,
    )
    .await
    .unwrap();
    assert_eq!(s.messages_to("old@b.co").await.unwrap().len(), 1);
    // And the timer purges without a send.
    assert_eq!(s.purge_messages(55).await.unwrap(), 3);
    assert_eq!(s.messages_to("a@b.co").await.unwrap().len(), 0);
    assert_eq!(s.messages_to("old@b.co").await.unwrap().len(), 1);
}

async fn slugs_are_taken_once(s: Shared) {
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

async fn the_last_admin_survives_concurrent_demotions(s: Shared) {
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

async fn the_last_admin_survives_concurrent_removals(s: Shared) {
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

async fn an_invitation_is_accepted_once(s: Shared) {
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

async fn one_second_factor_is_enabled_at_a_time(s: Shared) {
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

async fn a_backup_code_is_used_once(s: Shared) {
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

async fn regenerated_codes_are_taken_once(s: Shared) {
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

async fn a_totp_step_is_accepted_once(s: Shared) {
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

async fn health_pings(s: Shared) {
    s.ping().await.unwrap();
}
