//! Storage behind narrow traits, one per aggregate; `Store` is all of them. Two engines implement
//! them — `sqlite` (the embedded default) and `postgres` (several instances) — with one shared
//! body per query (`sql/`, written once for both) and each engine's own migrations folder.

pub mod postgres;
mod records;
mod rows;
pub mod scratch;
mod sealed;
mod sql;
pub mod sqlite;
#[cfg(test)]
mod tests;
mod traits;

pub use records::*;
pub use sealed::*;
pub use traits::*;

use crate::domain::session::TaskKey;
use std::sync::Arc;

/// What a guarded write refused: the unique or invariant it would have broken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Conflict {
    /// The email address is taken.
    Email,
    /// The organization slug is taken.
    Slug,
    /// The user is a member already.
    Membership,
    /// A pending invitation exists already, or the invitation is no longer usable.
    Invitation,
    /// The organization would be left without an admin.
    LastAdmin,
    /// The sign-in attempt a session was to complete is gone (another request completed it).
    Attempt,
    /// The user has a second factor already (another session enrolled one first).
    Factor,
    /// The client has as many signed-in sessions as it may.
    SessionCap,
}

impl Conflict {
    /// The name an error's detail gives it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Slug => "slug",
            Self::Membership => "membership",
            Self::Invitation => "invitation",
            Self::LastAdmin => "last_admin",
            Self::Attempt => "attempt",
            Self::Factor => "factor",
            Self::SessionCap => "sessions",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("conflict: {0:?}")]
    Conflict(Conflict),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("corrupt row: {0}")]
    Corrupt(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// How an engine sizes its connection pool (`[database]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolSettings {
    pub max_connections: u32,
    pub acquire_timeout: std::time::Duration,
}

/// The engine a `DATABASE_URL` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    /// `sqlite:` or `postgres://` / `postgresql://`; anything else is refused with the scheme.
    pub fn of_url(url: &str) -> Result<Self, String> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else {
            let scheme = url.split_once(':').map_or(url, |(s, _)| s);
            Err(format!(
                "DATABASE_URL: unsupported scheme `{scheme}` (expected sqlite: or postgres://)"
            ))
        }
    }

    /// The pool size when `[database] max_connections` is unset.
    pub fn default_max_connections(self) -> u32 {
        match self {
            Self::Sqlite => 8,
            Self::Postgres => 10,
        }
    }
}

/// Connects to (and migrates) the database `url` names; `keyring` seals and opens the columns
/// that hold secrets (README, "Encryption at rest").
pub async fn connect(
    url: &str,
    max_connections: Option<u32>,
    acquire_timeout: std::time::Duration,
    keyring: Arc<crate::server::secrets::Keyring>,
) -> Result<Arc<dyn Store>, ConnectError> {
    let engine = Engine::of_url(url).map_err(ConnectError::Url)?;
    let settings = PoolSettings {
        max_connections: max_connections.unwrap_or(engine.default_max_connections()),
        acquire_timeout,
    };
    Ok(match engine {
        Engine::Sqlite => Arc::new(sqlite::SqliteStore::connect(url, &settings, keyring).await?),
        Engine::Postgres => Arc::new(postgres::PgStore::connect(url, &settings, keyring).await?),
    })
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("{0}")]
    Url(String),
    #[error("{0}")]
    Db(#[from] sqlx::Error),
}

/// Everything the services need.
pub trait Store:
    HealthStore
    + SealStore
    + TaskStore
    + SigningKeyStore
    + UserStore
    + ClientStore
    + SessionStore
    + AttemptStore
    + CodeStore
    + OutboxStore
    + RateLimitStore
    + AddressLockoutStore
    + MaintenanceStore
    + OrganizationStore
    + MfaStore
{
}

impl<T> Store for T where
    T: HealthStore
        + SealStore
        + TaskStore
        + SigningKeyStore
        + UserStore
        + OrganizationStore
        + MfaStore
        + ClientStore
        + SessionStore
        + AttemptStore
        + CodeStore
        + OutboxStore
        + RateLimitStore
        + AddressLockoutStore
        + MaintenanceStore
{
}

pub(crate) fn tasks_to_text(tasks: &[TaskKey]) -> String {
    tasks
        .iter()
        .map(|t| t.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

pub(crate) fn tasks_from_text(text: &str) -> Vec<TaskKey> {
    text.split(',').filter_map(TaskKey::parse).collect()
}
