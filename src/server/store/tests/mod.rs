//! The store's contract: one suite over `&dyn Store`, run against SQLite always and against
//! PostgreSQL whenever a server is reachable (each test in a fresh database). The races are the
//! invariants several instances rely on: each must hold under PostgreSQL's READ COMMITTED.

use super::scratch::ScratchDatabase;
use super::*;
use crate::domain::session::SessionStatus;
use crate::domain::sign_in::{Intent, SignInState};
use crate::domain::verification::{CodePurpose, CODE_TTL_SECS};
use std::sync::Arc;
use std::time::Duration;

mod accounts;
mod organizations_mfa;
mod sealed;
mod tasks;
use accounts::*;
use organizations_mfa::*;
use tasks::*;

type Shared = Arc<dyn Store>;

/// What keeps a test's database alive until the test ends.
#[allow(dead_code)]
enum Keep {
    File(tempfile::TempDir),
    Server(ScratchDatabase),
}

/// The keyring of the contract suite's stores.
fn keyring() -> Arc<crate::server::secrets::Keyring> {
    Arc::new(crate::server::secrets::Keyring::new(&[0x5e; 32], &[]).unwrap())
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
    let store = sqlite::SqliteStore::connect(&url, &pool(), keyring())
        .await
        .unwrap();
    (Arc::new(store), Keep::File(dir))
}

async fn postgres() -> Option<(Shared, Keep)> {
    let server = ScratchDatabase::server().await?;
    let db = ScratchDatabase::create(&server).await.unwrap();
    let store = postgres::PgStore::connect(db.url(), &pool(), keyring())
        .await
        .unwrap();
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
    guesses_sent_together_are_claimed_at_most_max_times,
    address_guesses_sent_together_are_claimed_as_a_users_are,
    stored_addresses_are_rewritten_once_and_collisions_left,
    codes_are_bound_judged_at_most_five_times_and_single_use,
    send_intervals_are_claimed_once,
    rate_limit_windows_count_and_reset,
    anonymous_leftovers_are_purged_and_devices_kept,
    concurrent_hits_are_all_counted,
    change_password_revokes_other_clients,
    one_attempt_completes_into_one_session,
    activations_order_the_client_sessions,
    outbox_lists_the_newest_first,
    slugs_are_taken_once,
    the_last_admin_survives_concurrent_demotions,
    the_last_admin_survives_concurrent_removals,
    the_last_admin_survives_concurrent_deletions,
    an_invitation_is_accepted_once,
    one_second_factor_is_enabled_at_a_time,
    a_backup_code_is_used_once,
    regenerated_codes_are_taken_once,
    a_totp_step_is_accepted_once,
    the_client_is_read_with_what_it_holds,
    health_pings,
    requested_and_completed_tasks_are_read_with_the_user,
    an_organization_requirement_is_read_with_the_client,
    signing_keys_rotate_once_when_due,
);

fn new_user(email: &str) -> NewUser {
    NewUser {
        email: email.into(),
        email_verified: true,
        phone: None,
        password_hash: Some("h".into()),
        totp_secret: None,
        legal_accepted: false,
        terms_version: None,
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
        max_client_sessions: None,
    }
}

/// A sign-in attempt `id` of `client_id` at its first screen.
fn new_attempt(id: &str, client_id: &str) -> SignInAttempt {
    SignInAttempt {
        id: id.into(),
        client_id: client_id.into(),
        version: 0,
        state: SignInState::NeedsIdentifier {
            intent: Intent::AnotherMethod,
        },
        redirect_url: None,
        code_sent_at: None,
        expires_at: 1000,
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
