//! The queries, written once for both engines. Each file holds the bodies of one aggregate as a
//! macro that an engine module instantiates for its store type and `sqlx::Database`:
//! placeholders are `$N`, booleans are bound as parameters, counters are updated in place (no
//! `MAX() + 1`), and every invariant is one guarded statement or one transaction. What differs
//! between the engines — connecting, migrating, locking a row — lives in `sqlite.rs` and
//! `postgres.rs`, as the `Engine` methods each store type provides.

pub mod attempts;
pub mod lockouts;
pub mod maintenance;
pub mod mfa;
pub mod organizations;
pub mod outbox;
pub mod sealed;
pub mod sessions;
pub mod signing_keys;
pub mod tasks;
pub mod users;

/// Every aggregate's implementation for `$store` over `$db`.
macro_rules! impl_store {
    ($store:ident, $db:ty) => {
        $crate::server::store::sql::users::impl_users!($store, $db);
        $crate::server::store::sql::sessions::impl_sessions!($store, $db);
        $crate::server::store::sql::attempts::impl_attempts!($store, $db);
        $crate::server::store::sql::organizations::impl_organizations!($store, $db);
        $crate::server::store::sql::mfa::impl_mfa!($store, $db);
        $crate::server::store::sql::outbox::impl_outbox!($store, $db);
        $crate::server::store::sql::tasks::impl_tasks!($store, $db);
        $crate::server::store::sql::signing_keys::impl_signing_keys!($store, $db);
        $crate::server::store::sql::sealed::impl_sealed!($store, $db);
        $crate::server::store::sql::lockouts::impl_lockouts!($store, $db);
        $crate::server::store::sql::maintenance::impl_maintenance!($store, $db);
    };
}
pub(crate) use impl_store;

/// Forgets plaintext backup codes whose enrolling session is no longer signed in — after
/// statements that end several sessions at once (a partial index keeps it cheap).
pub const FORGET_ORPHANED_CODES: &str = "UPDATE users SET backup_codes_unseen = NULL, \
    backup_codes_session = NULL WHERE backup_codes_session IS NOT NULL \
    AND backup_codes_session NOT IN (SELECT id FROM sessions WHERE status IN ('active', 'pending'))";

/// Makes session `$1` the most recently activated one of its client (`$2`): the client's counter
/// goes up in place, so concurrent activations never share a number.
pub const ACTIVATE: &str = "UPDATE sessions SET activation = \
    (SELECT activations FROM clients WHERE id = $2) WHERE id = $1";
pub const COUNT_ACTIVATION: &str = "UPDATE clients SET activations = activations + 1 WHERE id = $1";

/// A new password for user `$1` does what a requested `reset-password` asked.
pub const RESET_DONE: &str = "UPDATE user_tasks SET requested_at = NULL \
    WHERE user_id = $1 AND task_key = 'reset-password'";
