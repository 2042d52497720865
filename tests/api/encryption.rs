//! Secrets at rest (README, "Encryption at rest"): what the database holds, read past the
//! server with plain SQL, and the key rotation across restarts on one database.

use crate::helpers::*;
use vestibule::server::clock::{Clock, ManualClock};
use vestibule::server::secrets::Keyring;

const OPEN: &str = "[rate_limits]\nenabled = false\n";

/// One user's column, read with plain SQL.
async fn column(app: &TestApp, column: &str, email: &str) -> String {
    let sql = format!("SELECT {column} FROM users WHERE email = $1");
    let mut values = raw(&app.database, &sql, email).await;
    assert_eq!(values.len(), 1, "{column} of {email} is set");
    values.remove(0)
}

/// The id sealed values under `key` carry.
fn key_id(key: &str) -> String {
    Keyring::from_encoded(key, &[])
        .unwrap()
        .current_id()
        .to_string()
}

/// Whether `stored` is sealed under `key`.
fn sealed_under(key: &str, stored: &str) -> bool {
    stored.starts_with(&format!("enc:v1:{}:", key_id(key)))
}

/// Makes the instance create its signing key, and answers the private keys as stored.
async fn stored_private_keys(app: &TestApp) -> Vec<String> {
    let res = client()
        .get(format!("{}/.well-known/jwks.json", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let keys = raw(
        &app.database,
        "SELECT private_key FROM signing_keys WHERE kid <> $1",
        "",
    )
    .await;
    assert!(!keys.is_empty());
    keys
}

#[tokio::test]
async fn totp_secret_is_not_stored_in_clear() {
    let app = spawn_app(&format!("{OPEN}[mfa]\nrequired = true\n")).await;
    // An enrolment through the setup-mfa task: the secret being enrolled, then the factor and
    // the backup codes not yet confirmed.
    app.create_user("enrol@example.com", PW).await;
    let c = app.signed_in("enrol@example.com").await;
    let (_, snap) = app.call(&c, "client", &[]).await;
    let secret = snap["mfa_setup"]["totp_secret"]
        .as_str()
        .unwrap()
        .to_string();
    let pending = column(&app, "totp_pending_secret", "enrol@example.com").await;
    assert!(!pending.contains(&secret), "{pending}");
    assert!(sealed_under(ENCRYPTION_KEY, &pending), "{pending}");
    let code = vestibule::server::mfa::code_at(&secret, unix_now()).unwrap();
    let (status, b) = app.call(&c, "tasks/mfa/totp", &[("code", &code)]).await;
    assert_eq!(status, StatusCode::OK, "{b}");
    let (_, snap) = app.call(&c, "client", &[]).await;
    let backup = snap["mfa_setup"]["backup_codes"][0]
        .as_str()
        .unwrap()
        .to_string();
    let stored = column(&app, "totp_secret", "enrol@example.com").await;
    assert!(!stored.contains(&secret), "{stored}");
    assert!(sealed_under(ENCRYPTION_KEY, &stored), "{stored}");
    let unseen = column(&app, "backup_codes_unseen", "enrol@example.com").await;
    assert!(!unseen.contains(&backup), "{unseen}");
    assert!(sealed_under(ENCRYPTION_KEY, &unseen), "{unseen}");
    app.call(&c, "tasks/mfa/done", &[]).await;

    // A secret an operator imports through the Backend API.
    app.totp_user("imported@example.com").await;
    let stored = column(&app, "totp_secret", "imported@example.com").await;
    assert!(!stored.contains(TOTP_SECRET), "{stored}");
    assert!(sealed_under(ENCRYPTION_KEY, &stored), "{stored}");
    // What is sealed opens where it is used: the imported secret signs the user in.
    let (_, b) = app
        .signed_in_with_totp("imported@example.com", unix_now())
        .await;
    assert_eq!(b["next"], "/dashboard", "{b}");

    // The signing keys' private halves (base64 PKCS#8 of a P-256 key starts with "MIG").
    for key in stored_private_keys(&app).await {
        assert!(sealed_under(ENCRYPTION_KEY, &key), "{key}");
        assert!(!key.contains("MIG"), "{key}");
    }
}

#[tokio::test]
async fn an_emailed_code_is_stored_as_a_keyed_mac() {
    let app = spawn_app(OPEN).await;
    let c = browser();
    let (status, b) = app
        .call(
            &c,
            "sign_up/create",
            &[("email", "mac@example.com"), ("password", PW)],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    let code = app.latest_code("mac@example.com").await;
    let stored = raw(
        &app.database,
        "SELECT code_hash FROM verification_codes WHERE recipient = $1",
        "mac@example.com",
    )
    .await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].len(), 64);
    assert_ne!(stored[0], vestibule::server::tokens::hash(&code));
    let (_, b) = app.call(&c, "sign_up/verify", &[("code", &code)]).await;
    assert_eq!(b["next"], "/dashboard", "{b}");
}

/// Key A, then B with A as a previous key, then B alone, then C: the same database throughout.
#[tokio::test]
async fn rotated_key_still_opens_and_reseals() {
    const A: &str = ENCRYPTION_KEY;
    const B: &str = "kD3nXk2tC7t8vJ3b2m1PqS9v7XfV6Hc0Ue2yJ4rWq8Y=";
    const C: &str = "3f1c5a7e9b2d4f6081a3c5e7f9b1d3f5a7c9e1b3d5f7092b4d6f8a0c2e4f6a8b";
    // One clock for the three servers, moved on between sign-ins: each authenticator code is
    // of a later time step than the one before (each step is accepted once).
    let clock = ManualClock::new(unix_now());
    let start = |keys: EncryptionKeys, database: Arc<Database>| {
        let clock = Arc::new(clock.clone());
        async move { start_on(database, OPEN, clock, true, &keys).await }
    };
    let keys = |current: &str, previous: &[&str]| EncryptionKeys {
        current: current.to_string(),
        previous: previous.iter().map(|k| k.to_string()).collect(),
    };

    let a = start(keys(A, &[]), Arc::new(Database::fresh().await))
        .await
        .unwrap();
    a.totp_user("rotate@example.com").await;
    let (_, b) = a
        .signed_in_with_totp("rotate@example.com", clock.now())
        .await;
    assert_eq!(b["next"], "/dashboard", "{b}");
    let under_a = column(&a, "totp_secret", "rotate@example.com").await;
    assert!(sealed_under(A, &under_a), "{under_a}");
    assert!(stored_private_keys(&a)
        .await
        .iter()
        .all(|k| sealed_under(A, k)));
    // A code sent under key A, redeemed after the restart.
    let signing_up = browser();
    a.call(
        &signing_up,
        "sign_up/create",
        &[("email", "midway@example.com"), ("password", PW)],
    )
    .await;
    let code = a.latest_code("midway@example.com").await;

    clock.advance(60);
    // The new key, the old one as a previous key: the start re-seals everything under B.
    let b_app = start(keys(B, &[A]), a.database.clone()).await.unwrap();
    let under_b = column(&b_app, "totp_secret", "rotate@example.com").await;
    assert!(sealed_under(B, &under_b), "{under_b}");
    assert!(!under_b.contains(TOTP_SECRET));
    assert!(stored_private_keys(&b_app)
        .await
        .iter()
        .all(|k| sealed_under(B, k)));
    let (_, b) = b_app
        .signed_in_with_totp("rotate@example.com", clock.now())
        .await;
    assert_eq!(b["next"], "/dashboard", "{b}");
    let (_, b) = b_app
        .call(&signing_up, "sign_up/verify", &[("code", &code)])
        .await;
    assert_eq!(
        b["next"], "/dashboard",
        "a code sent before the rotation: {b}"
    );

    clock.advance(60);
    // Once every value is under B, the old key can go.
    let b_only = start(keys(B, &[]), a.database.clone()).await.unwrap();
    let (_, b) = b_only
        .signed_in_with_totp("rotate@example.com", clock.now())
        .await;
    assert_eq!(b["next"], "/dashboard", "{b}");

    // A key that sealed none of it: the start is refused, naming the key it needs.
    let refused = start(keys(C, &[]), a.database.clone())
        .await
        .err()
        .expect("refused");
    let said = refused.to_string();
    assert!(
        said.contains(&key_id(B)) && said.contains("VESTIBULE_ENCRYPTION_KEYS_PREVIOUS"),
        "{said}"
    );
    // …and changed nothing.
    let still = column(&b_only, "totp_secret", "rotate@example.com").await;
    assert!(sealed_under(B, &still), "{still}");
}
