//! The contract of the task store (README, "Custom tasks"): what the user read carries of requests,
//! completions and terms, and an organization's MFA requirement on the client read.

use super::*;

pub async fn requested_and_completed_tasks_are_read_with_the_user(store: Shared) {
    let u = store
        .create_user(new_user("tasks@example.com"), 1)
        .await
        .unwrap();
    assert!(u.requested_tasks.is_empty() && u.completed_tasks.is_empty());
    let added = store
        .register_tasks(&["dpa".to_string(), "tour".to_string()], 10)
        .await
        .unwrap();
    assert_eq!(added["dpa"], 10);
    let again = store
        .register_tasks(&["dpa".to_string()], 99)
        .await
        .unwrap();
    assert_eq!(again["dpa"], 10, "a task seen before keeps its date");
    store.request_task(&u.id, "dpa", 11).await.unwrap();
    store.request_task(&u.id, "dpa", 12).await.unwrap();
    store
        .request_task(&u.id, "reset-password", 12)
        .await
        .unwrap();
    assert!(matches!(
        store.request_task("user_ghost", "dpa", 12).await,
        Err(StoreError::NotFound)
    ));
    let read = store.user_by_id(&u.id).await.unwrap().unwrap();
    let mut requested: Vec<_> = read.requested_tasks.iter().map(|k| k.to_string()).collect();
    requested.sort();
    assert_eq!(requested, ["dpa", "reset-password"]);
    store.complete_task(&u.id, "dpa", 13).await.unwrap();
    store.complete_task(&u.id, "tour", 13).await.unwrap();
    let read = store
        .user_by_email("tasks@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        read.requested_tasks,
        vec![crate::domain::session::TaskKey::ResetPassword]
    );
    let mut completed = read.completed_tasks.clone();
    completed.sort();
    assert_eq!(completed, ["dpa", "tour"]);
    assert!(store.withdraw_task(&u.id, "reset-password").await.unwrap());
    assert!(!store.withdraw_task(&u.id, "reset-password").await.unwrap());
    // A new password does what a requested reset asked.
    store
        .request_task(&u.id, "reset-password", 14)
        .await
        .unwrap();
    store
        .change_password(&u.id, "h2", false, None, 15)
        .await
        .unwrap();
    let read = store.user_by_id(&u.id).await.unwrap().unwrap();
    assert!(
        read.requested_tasks.is_empty(),
        "{:?}",
        read.requested_tasks
    );
    // Terms: the version and when, and a requested accept-terms is done with them.
    store.request_task(&u.id, "accept-terms", 16).await.unwrap();
    store.accept_terms(&u.id, Some("v2"), 17).await.unwrap();
    let read = store.user_by_id(&u.id).await.unwrap().unwrap();
    assert_eq!(read.terms_version.as_deref(), Some("v2"));
    assert_eq!(read.legal_accepted_at, Some(17));
    assert!(read.requested_tasks.is_empty());
    assert!(matches!(
        store.accept_terms("user_ghost", None, 1).await,
        Err(StoreError::NotFound)
    ));
}

pub async fn an_organization_requirement_is_read_with_the_client(store: Shared) {
    let u = store
        .create_user(new_user("strict@example.com"), 1)
        .await
        .unwrap();
    let org = store
        .create_organization(
            "Strict",
            "strict",
            Some(&u.id),
            &[(u.id.clone(), "org:admin".into())],
            1,
        )
        .await
        .unwrap();
    assert!(!store.organization_requires_mfa(&org.id).await.unwrap());
    let client = store.create_client("strict-token", 1).await.unwrap();
    let mut s = new_session(&u.id, &client.id);
    s.active_organization_id = Some(org.id.clone());
    s.client_token_hash = "strict-token-2".into();
    store.create_session(s, 2).await.unwrap();
    let read = |store: Shared| async move {
        let record = store
            .client_by_token_hash("strict-token-2")
            .await
            .unwrap()
            .unwrap();
        record.sessions[0]
            .organization
            .as_ref()
            .unwrap()
            .require_mfa
    };
    assert!(!read(store.clone()).await);
    store
        .set_organization_require_mfa(&org.id, true)
        .await
        .unwrap();
    assert!(read(store.clone()).await);
    assert!(store.organization_requires_mfa(&org.id).await.unwrap());
    assert!(matches!(
        store.set_organization_require_mfa("org_ghost", true).await,
        Err(StoreError::NotFound)
    ));
}

fn signing_key(kid: &str) -> NewSigningKey {
    NewSigningKey {
        kid: kid.into(),
        private_key: format!("private-{kid}"),
        public_x: "x".into(),
        public_y: "y".into(),
    }
}

/// Session-token keys (README, "Session tokens for other services"): a rotation happens once it is
/// due, concurrent instances add one key between them, and the three newest are kept.
pub async fn signing_keys_rotate_once_when_due(store: Shared) {
    assert!(store.signing_keys(2).await.unwrap().is_empty());
    let wins = race(6, |i| {
        let store = store.clone();
        async move {
            store
                .rotate_signing_key(&signing_key(&format!("k{i}")), 100, 100 - 30)
                .await
                .unwrap()
        }
    })
    .await;
    assert_eq!(wins.iter().filter(|w| **w).count(), 1, "one rotation wins");
    let keys = store.signing_keys(5).await.unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!((keys[0].generation, keys[0].created_at), (1, 100));
    let first = keys[0].kid.clone();
    // Not due yet: the last rotation (100) is after the cut-off (129 - 30).
    assert!(!store
        .rotate_signing_key(&signing_key("early"), 129, 129 - 30)
        .await
        .unwrap());
    assert!(store
        .rotate_signing_key(&signing_key("due"), 130, 130 - 30)
        .await
        .unwrap());
    let keys = store.signing_keys(2).await.unwrap();
    assert_eq!(
        keys.iter().map(|k| k.kid.as_str()).collect::<Vec<_>>(),
        ["due", first.as_str()],
        "newest first"
    );
    assert_eq!(keys[0].private_key, "private-due");
    for (i, now) in [131, 132, 133].into_iter().enumerate() {
        let kid = format!("forced{i}");
        assert!(store
            .rotate_signing_key(&signing_key(&kid), now, now)
            .await
            .unwrap());
    }
    let keys = store.signing_keys(10).await.unwrap();
    assert_eq!(
        keys.iter().map(|k| k.generation).collect::<Vec<_>>(),
        [5, 4, 3],
        "only the three newest are kept"
    );
    assert_eq!(store.revoke_signing_keys_before(5).await.unwrap(), 2);
    let keys = store.signing_keys(10).await.unwrap();
    assert_eq!(keys.iter().map(|k| k.generation).collect::<Vec<_>>(), [5]);
}
