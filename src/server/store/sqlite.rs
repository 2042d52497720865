//! The SQLite store: one file in WAL mode, created on first start, migrations applied on start.
//! The queries are the shared ones (`sql/`); SQLite serializes writers, so the organization
//! lock the PostgreSQL store takes is not needed here.

use super::sql::impl_store;
use super::{PoolSettings, StoreResult};
use crate::server::secrets::Keyring;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use std::str::FromStr;
use std::sync::Arc;

#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// Seals and opens the columns that hold secrets (`super::sealed`).
    keyring: Arc<Keyring>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `url` and applies the migrations.
    pub async fn connect(
        url: &str,
        settings: &PoolSettings,
        keyring: Arc<Keyring>,
    ) -> Result<Self, sqlx::Error> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // WAL + NORMAL: commits are atomic and survive a crash of the process; only an OS crash
            // or power loss can drop the last commits (SQLite's recommended pairing).
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(settings.acquire_timeout)
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(settings.max_connections)
            // The database is in the process: a ping before each use would only add a round trip
            // to the connection's thread (a failed connection is still dropped when used).
            .test_before_acquire(false)
            .acquire_timeout(settings.acquire_timeout)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        Ok(Self { pool, keyring })
    }

    /// SQLite has one writer at a time: a transaction's guarded statements already see every
    /// committed change, so there is nothing to lock.
    async fn lock_organization(
        _conn: &mut sqlx::SqliteConnection,
        _organization_id: &str,
    ) -> StoreResult<()> {
        Ok(())
    }
}

impl_store!(SqliteStore, sqlx::Sqlite);
