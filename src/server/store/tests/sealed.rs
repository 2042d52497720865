//! Secrets at rest (README, "Encryption at rest"), on both engines: what the raw columns hold
//! — read with plain SQL, past the store — and how the re-seal pass moves them to a new key.
//! These tests reopen one database under several keyrings, so they hold its URL rather than a
//! store.

use super::*;
use crate::server::secrets::Keyring;

const TOTP: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
const PENDING: &str = "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU";
const UNSEEN: &str = "[\"unseen-codes1\"]";
const REGENERATED: &str = "[\"regen-codes22\"]";
const PRIVATE: &str = "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgPRIVATE";

fn ring(current: u8, previous: &[u8]) -> Arc<Keyring> {
    let previous: Vec<[u8; 32]> = previous.iter().map(|b| [*b; 32]).collect();
    Arc::new(Keyring::new(&[current; 32], &previous).unwrap())
}

/// A test's database, reopened as each test needs.
struct Db {
    url: String,
    _keep: Keep,
}

impl Db {
    async fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("s.db").display());
        Self {
            url,
            _keep: Keep::File(dir),
        }
    }

    async fn postgres() -> Option<Self> {
        let server = ScratchDatabase::server().await?;
        let db = ScratchDatabase::create(&server).await.unwrap();
        Some(Self {
            url: db.url().to_string(),
            _keep: Keep::Server(db),
        })
    }

    /// The store under `keyring` (migrating the database the first time).
    async fn store(&self, keyring: Arc<Keyring>) -> Shared {
        connect(&self.url, Some(4), Duration::from_secs(10), keyring)
            .await
            .unwrap()
    }

    /// One text value by plain SQL (`$1` bound to `arg`), past the store.
    async fn raw(&self, sql: &str, arg: &str) -> Option<String> {
        match Engine::of_url(&self.url).unwrap() {
            Engine::Sqlite => {
                let pool = sqlx::SqlitePool::connect(&self.url).await.unwrap();
                let v = sqlx::query_scalar(sql).bind(arg).fetch_one(&pool).await;
                pool.close().await;
                v.unwrap()
            }
            Engine::Postgres => {
                let pool = sqlx::PgPool::connect(&self.url).await.unwrap();
                let v = sqlx::query_scalar(sql).bind(arg).fetch_one(&pool).await;
                pool.close().await;
                v.unwrap()
            }
        }
    }

    /// Runs a statement by plain SQL (`$1`, `$2` bound to `a`, `b`).
    async fn exec(&self, sql: &str, a: &str, b: &str) {
        match Engine::of_url(&self.url).unwrap() {
            Engine::Sqlite => {
                let pool = sqlx::SqlitePool::connect(&self.url).await.unwrap();
                sqlx::query(sql)
                    .bind(a)
                    .bind(b)
                    .execute(&pool)
                    .await
                    .unwrap();
                pool.close().await;
            }
            Engine::Postgres => {
                let pool = sqlx::PgPool::connect(&self.url).await.unwrap();
                sqlx::query(sql)
                    .bind(a)
                    .bind(b)
                    .execute(&pool)
                    .await
                    .unwrap();
                pool.close().await;
            }
        }
    }

    async fn column(&self, column: &str, user_id: &str) -> String {
        self.raw(
            &format!("SELECT {column} FROM users WHERE id = $1"),
            user_id,
        )
        .await
        .unwrap_or_else(|| panic!("{column} is set"))
    }

    async fn private_key(&self, kid: &str) -> String {
        self.raw("SELECT private_key FROM signing_keys WHERE kid = $1", kid)
            .await
            .unwrap()
    }
}

fn signing_key(kid: &str) -> NewSigningKey {
    NewSigningKey {
        kid: kid.into(),
        private_key: PRIVATE.into(),
        public_x: "x".into(),
        public_y: "y".into(),
    }
}

/// A user with an authenticator secret and unseen backup codes from an enrolment, another with
/// an enrolment in progress and regenerated codes, and a signing key — every sealed column.
async fn fill(s: &Shared) -> (User, User) {
    let mut with_totp = new_user("totp@b.co");
    with_totp.totp_secret = Some(TOTP.into());
    let a = s.create_user(with_totp, 1).await.unwrap();
    let b = s.create_user(new_user("b@b.co"), 1).await.unwrap();
    s.enable_factor(
        &b.id,
        "sess_b",
        NewFactor::Totp {
            secret: TOTP.into(),
            step: 1,
        },
        false,
        Some(BackupCodeSet {
            codes: &[],
            unseen: UNSEEN,
            session_id: "sess_b",
        }),
        2,
    )
    .await
    .unwrap();
    s.set_totp_pending(&a.id, "sess_a", PENDING).await.unwrap();
    s.regenerate_backup_codes(&a.id, "sess_a", &[], REGENERATED)
        .await
        .unwrap();
    assert!(s
        .rotate_signing_key(&signing_key("key_1"), 10, 10)
        .await
        .unwrap());
    (a, b)
}

/// Whether `stored` is sealed under `keyring`'s current key.
fn under(keyring: &Keyring, stored: &str) -> bool {
    stored.starts_with(&format!("enc:v1:{}:", keyring.current_id()))
}

async fn secrets_are_not_stored_in_clear(db: Db) {
    let keys = ring(1, &[]);
    let s = db.store(keys.clone()).await;
    let (a, b) = fill(&s).await;
    let raw = [
        (db.column("totp_secret", &a.id).await, TOTP),
        (db.column("totp_secret", &b.id).await, TOTP),
        (db.column("totp_pending_secret", &a.id).await, PENDING),
        (db.column("backup_codes_unseen", &b.id).await, UNSEEN),
        (
            db.column("regenerated_codes_unseen", &a.id).await,
            REGENERATED,
        ),
        (db.private_key("key_1").await, PRIVATE),
    ];
    for (stored, plain) in &raw {
        assert!(!stored.contains(plain), "{stored} holds its plaintext");
        assert!(!stored.contains("unseen-codes") && !stored.contains("regen-codes"));
        assert!(under(&keys, stored), "{stored}");
    }
    // The same secret in two rows seals to two different values.
    assert_ne!(raw[0].0, raw[1].0);
    // Through the store, the services see plaintext.
    let a = s.user_by_id(&a.id).await.unwrap().unwrap();
    assert_eq!(a.totp_secret.as_deref(), Some(TOTP));
    assert_eq!(a.totp_pending_for("sess_a"), Some(PENDING));
    let b = s.user_by_id(&b.id).await.unwrap().unwrap();
    assert_eq!(b.totp_secret.as_deref(), Some(TOTP));
    assert_eq!(b.backup_codes_unseen.as_deref(), Some(UNSEEN));
    assert_eq!(
        s.take_regenerated_codes(&a.id, "sess_a").await.unwrap(),
        Some(REGENERATED.to_string())
    );
    assert_eq!(s.signing_keys(1).await.unwrap()[0].private_key, PRIVATE);
    // A sealed value copied to another user's row does not open there.
    db.exec(
        "UPDATE users SET totp_secret = (SELECT totp_secret FROM users WHERE id = $1) \
         WHERE id = $2",
        &b.id,
        &a.id,
    )
    .await;
    assert!(matches!(
        s.user_by_id(&a.id).await,
        Err(StoreError::Corrupt(m)) if m.contains("users.totp_secret") && !m.contains(TOTP)
    ));
}

async fn the_reseal_moves_every_value_to_the_current_key(db: Db) {
    let old = ring(1, &[]);
    let s = db.store(old.clone()).await;
    let (a, b) = fill(&s).await;
    // A value from before sealing existed: plaintext.
    db.exec(
        "UPDATE users SET totp_secret = $1 WHERE id = $2",
        "LEGACYLEGACYLEGACYLEGACY",
        &a.id,
    )
    .await;
    assert_eq!(
        db.column("totp_secret", &a.id).await,
        "LEGACYLEGACYLEGACYLEGACY"
    );
    // The new key, with the old one as a previous key: everything still opens…
    let new = ring(2, &[1]);
    let s = db.store(new.clone()).await;
    let user = s.user_by_id(&b.id).await.unwrap().unwrap();
    assert_eq!(user.totp_secret.as_deref(), Some(TOTP));
    // …and the pass moves all six values, the plaintext one included, then nothing.
    assert_eq!(s.reseal_secrets().await.unwrap(), 6);
    assert_eq!(s.reseal_secrets().await.unwrap(), 0);
    for stored in [
        db.column("totp_secret", &a.id).await,
        db.column("totp_secret", &b.id).await,
        db.column("totp_pending_secret", &a.id).await,
        db.column("backup_codes_unseen", &b.id).await,
        db.column("regenerated_codes_unseen", &a.id).await,
        db.private_key("key_1").await,
    ] {
        assert!(under(&new, &stored), "{stored}");
        assert!(!stored.contains("LEGACY") && !stored.contains(TOTP));
    }
    // Without the old key from now on.
    let s = db.store(ring(2, &[])).await;
    assert_eq!(s.reseal_secrets().await.unwrap(), 0);
    let user = s.user_by_id(&a.id).await.unwrap().unwrap();
    assert_eq!(
        user.totp_secret.as_deref(),
        Some("LEGACYLEGACYLEGACYLEGACY")
    );
    assert_eq!(user.totp_pending_for("sess_a"), Some(PENDING));
    assert_eq!(s.signing_keys(1).await.unwrap()[0].private_key, PRIVATE);
    // A key that never sealed them opens nothing, and the pass says which key is missing.
    let stranger = db.store(ring(3, &[])).await;
    let err = stranger.reseal_secrets().await.unwrap_err();
    assert!(
        matches!(&err, StoreError::Corrupt(m) if m.contains(new.current_id())),
        "{err}"
    );
    assert!(stranger.user_by_id(&a.id).await.is_err());
    assert!(stranger.signing_keys(1).await.is_err());
    // And it changed nothing.
    assert!(under(&new, &db.column("totp_secret", &a.id).await));
}

/// Each test, once per engine.
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        mod sealed_on_sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                super::$name(super::Db::sqlite().await).await;
            })*
        }
        mod sealed_on_postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let Some(db) = super::Db::postgres().await else { return };
                super::$name(db).await;
            })*
        }
    };
}

on_both!(
    secrets_are_not_stored_in_clear,
    the_reseal_moves_every_value_to_the_current_key,
);
