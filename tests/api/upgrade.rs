//! What a start does to data an earlier version stored.

use crate::helpers::*;
use vestibule::server::clock::SystemClock;
use vestibule::server::store::NewUser;

#[tokio::test]
async fn addresses_stored_before_normalisation_are_rewritten_at_the_next_start() {
    let database = Arc::new(Database::fresh().await);
    let keys = EncryptionKeys {
        current: ENCRYPTION_KEY.to_string(),
        previous: Vec::new(),
    };
    let first = start_on(database.clone(), "", Arc::new(SystemClock), true, &keys)
        .await
        .unwrap();
    // As an earlier version stored it (the store keeps an address as given), on a database this
    // version has not upgraded yet.
    let old = NewUser {
        email: "old@exämple.com".into(),
        email_verified: true,
        phone: None,
        password_hash: None,
        totp_secret: None,
        legal_accepted: false,
        terms_version: None,
    };
    first.store.create_user(old, unix_now()).await.unwrap();
    raw(&database, "DELETE FROM maintenance WHERE task <> $1", "").await;
    let (_, list) = first
        .api(reqwest::Method::GET, "/v1/users?email=old@exämple.com")
        .await;
    assert_eq!(
        list["total_count"], 0,
        "not found before the upgrade: {list}"
    );

    let second = start_on(database, "", Arc::new(SystemClock), true, &keys)
        .await
        .unwrap();
    let (_, list) = second
        .api(reqwest::Method::GET, "/v1/users?email=OLD@EXÄMPLE.COM")
        .await;
    assert_eq!(list["total_count"], 1, "{list}");
    assert_eq!(list["data"][0]["email"], "old@xn--exmple-cua.com");
}
