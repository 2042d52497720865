//! The contract for users, lockout, codes, rate limits, sessions and the outbox.

use super::*;

pub(super) async fn users_are_unique_by_email(s: Shared) {
    let u = s.create_user(new_user("a@b.co"), 1).await.unwrap();
    assert_eq!(s.user_by_email("a@b.co").await.unwrap().unwrap().id, u.id);
    assert!(matches!(
        s.create_user(new_user("a@b.co"), 1).await,
        Err(StoreError::Conflict(Conflict::Email))
    ));
}

pub(super) async fn user_flags_round_trip(s: Shared) {
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

pub(super) async fn failures_lock_at_the_maximum_and_restart_the_count(s: Shared) {
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

pub(super) async fn guesses_sent_together_are_claimed_at_most_max_times(s: Shared) {
    let u = s.create_user(new_user("a@b.co"), 1).await.unwrap();
    let claims = race(30, |_| {
        let s = s.clone();
        let id = u.id.clone();
        async move { s.claim_guess(&id, 3, 10).await.unwrap() }
    })
    .await;
    assert_eq!(claims.iter().filter(|c| **c).count(), 3, "{claims:?}");
    // A right guess is given back; a wrong one locks once three are counted.
    assert_eq!(s.settle_guess(&u.id, true, 3, 500, 11).await.unwrap(), None);
    assert!(s.claim_guess(&u.id, 3, 12).await.unwrap());
    assert_eq!(
        s.settle_guess(&u.id, false, 3, 500, 13).await.unwrap(),
        Some(500)
    );
    let locked = s.user_by_id(&u.id).await.unwrap().unwrap();
    assert_eq!(
        (locked.locked_for(13), locked.failed_attempts),
        (Some(487), 0)
    );
    // The others settle wrong later: the lock stands, nothing more is counted.
    assert_eq!(
        s.settle_guess(&u.id, false, 3, 900, 14).await.unwrap(),
        None
    );
    assert!(!s.claim_guess(&u.id, 3, 499).await.unwrap(), "locked");
    assert!(
        s.claim_guess(&u.id, 3, 500).await.unwrap(),
        "the lock is over"
    );
    let u = s.user_by_id(&u.id).await.unwrap().unwrap();
    assert_eq!((u.locked_for(500), u.failed_attempts), (None, 1));
}

pub(super) async fn address_guesses_sent_together_are_claimed_as_a_users_are(s: Shared) {
    let claims = race(30, |_| {
        let s = s.clone();
        async move { s.claim_address_guess("nobody@b.co", 3, 10).await.unwrap() }
    })
    .await;
    assert_eq!(claims.iter().filter(|c| **c).count(), 3, "{claims:?}");
    // Given back when the hasher could not judge it; else the third counted one locks.
    let settle = |give_back, until, now| {
        let s = s.clone();
        async move {
            (s.settle_address_guess("nobody@b.co", give_back, 3, until, now))
                .await
                .unwrap()
        }
    };
    assert_eq!(settle(true, 500, 11).await, None);
    assert!(s.claim_address_guess("nobody@b.co", 3, 12).await.unwrap());
    assert_eq!(settle(false, 500, 13).await, Some(500));
    assert_eq!(
        s.address_locked_until("nobody@b.co", 13).await.unwrap(),
        Some(500)
    );
    assert_eq!(settle(false, 900, 14).await, None, "the lock stands");
    assert!(!s.claim_address_guess("nobody@b.co", 3, 499).await.unwrap());
    assert!(s.claim_address_guess("nobody@b.co", 3, 500).await.unwrap());
    // Another address counts apart.
    assert!(s.claim_address_guess("other@b.co", 3, 500).await.unwrap());
}

pub(super) async fn stored_addresses_are_rewritten_once_and_collisions_left(s: Shared) {
    let normal = |e: &str| {
        crate::domain::email::EmailAddress::parse(e)
            .ok()
            .map(|a| a.to_string())
    };
    let old = s
        .create_user(new_user("victim@exämple.com"), 1)
        .await
        .unwrap();
    let kept = s
        .create_user(new_user("ada@xn--exmple-cua.com"), 1)
        .await
        .unwrap();
    let twin = s.create_user(new_user("ada@exämple.com"), 1).await.unwrap();
    let report = s.normalise_addresses(&normal, 2).await.unwrap();
    assert_eq!(report.rewritten, 1, "{report:?}");
    assert_eq!(report.collisions, vec![twin.id.clone()]);
    let read = |id: String| {
        let s = s.clone();
        async move { s.user_by_id(&id).await.unwrap().unwrap().email }
    };
    assert_eq!(read(old.id.clone()).await, "victim@xn--exmple-cua.com");
    assert_eq!(read(kept.id).await, "ada@xn--exmple-cua.com");
    assert_eq!(
        read(twin.id).await,
        "ada@exämple.com",
        "left for the operator"
    );
    // Once per database: a later start leaves even a new odd spelling alone.
    s.create_user(new_user("late@exämple.com"), 3)
        .await
        .unwrap();
    let again = s.normalise_addresses(&normal, 4).await.unwrap();
    assert_eq!(again, AddressRewrite::default());
}

fn binding(attempt: &str, user: &str) -> CodeBinding {
    CodeBinding {
        purpose: CodePurpose::SignInEmail,
        attempt_id: attempt.into(),
        user_id: user.into(),
        recipient: "a@b.co".into(),
    }
}

pub(super) async fn codes_are_bound_judged_at_most_five_times_and_single_use(s: Shared) {
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

pub(super) async fn send_intervals_are_claimed_once(s: Shared) {
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

pub(super) async fn rate_limit_windows_count_and_reset(s: Shared) {
    assert_eq!(s.hit("ip:1", 0).await.unwrap(), 1);
    assert_eq!(s.hit("ip:1", 0).await.unwrap(), 2);
    assert_eq!(s.hit("ip:1", 10).await.unwrap(), 1);
    assert_eq!(s.hit("ip:2", 10).await.unwrap(), 1);
}

pub(super) async fn concurrent_hits_are_all_counted(s: Shared) {
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

pub(super) async fn change_password_revokes_other_clients(s: Shared) {
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

pub(super) async fn one_attempt_completes_into_one_session(s: Shared) {
    let u = s.create_user(new_user("a@b.co"), 1).await.unwrap();
    let c = s.create_client("t1", 1).await.unwrap();
    let attempt = new_attempt("sia_race", &c.id);
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

pub(super) async fn activations_order_the_client_sessions(s: Shared) {
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

pub(super) async fn outbox_lists_the_newest_first(s: Shared) {
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

pub(super) async fn anonymous_leftovers_are_purged_and_devices_kept(s: Shared) {
    // Left behind by anonymous requests long ago: a counter and a client that never signed in.
    s.hit("start:203.0.113.9", 100).await.unwrap();
    s.create_client("idle-token", 100).await.unwrap();
    // A device that signed in (its sessions ended since) and a fresh anonymous client stay.
    let u = s.create_user(new_user("kept@b.co"), 100).await.unwrap();
    let device = s.create_client("device-token", 100).await.unwrap();
    let session = s
        .create_session(new_session(&u.id, &device.id), 100)
        .await
        .unwrap();
    s.create_client("fresh-token", 5_000).await.unwrap();
    assert!(s.purge_anonymous(1_000, 1_000).await.unwrap() >= 2);
    assert_eq!(
        s.hit("start:203.0.113.9", 100).await.unwrap(),
        1,
        "the old counter started over"
    );
    assert!(s
        .client_by_token_hash("idle-token")
        .await
        .unwrap()
        .is_none());
    assert!(
        s.session_by_id(&session.id).await.unwrap().is_some(),
        "the device and its sessions stay"
    );
    let kept = s.purge_anonymous(1_000, 1_000).await.unwrap();
    assert_eq!(kept, 1, "only the counter hit again goes: {kept}");
    assert!(s
        .client_by_token_hash("fresh-token")
        .await
        .unwrap()
        .is_some());
}
