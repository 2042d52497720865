//! The PostgreSQL store, for several instances sharing one database. The queries are the shared
//! ones (`sql/`); migrations run on start under sqlx's advisory lock, so instances starting
//! together apply them once.

use super::sql::impl_store;
use super::{PoolSettings, StoreResult};
use crate::server::secrets::Keyring;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use std::str::FromStr;
use std::sync::Arc;

#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
    /// Seals and opens the columns that hold secrets (`super::sealed`).
    keyring: Arc<Keyring>,
}

impl PgStore {
    /// Connects to the database at `url` (`postgres://…`) and applies the migrations.
    pub async fn connect(
        url: &str,
        settings: &PoolSettings,
        keyring: Arc<Keyring>,
    ) -> Result<Self, sqlx::Error> {
        let options = PgConnectOptions::from_str(url)?.application_name("vestibule");
        let pool = PgPoolOptions::new()
            .max_connections(settings.max_connections)
            // No ping before each use (a round trip per query); a connection the server dropped
            // fails its next query and is closed, and idle ones are recycled after 10 minutes.
            .test_before_acquire(false)
            .acquire_timeout(settings.acquire_timeout)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        Ok(Self { pool, keyring })
    }

    /// Locks the organization's row until the transaction ends. Under READ COMMITTED, two
    /// instances demoting the last two admins at once would each still count the other; with the
    /// row locked, the second one counts after the first has committed.
    async fn lock_organization(
        conn: &mut sqlx::PgConnection,
        organization_id: &str,
    ) -> StoreResult<()> {
        sqlx::query("SELECT id FROM organizations WHERE id = $1 FOR NO KEY UPDATE")
            .bind(organization_id)
            .execute(conn)
            .await?;
        Ok(())
    }
}

impl_store!(PgStore, sqlx::Postgres);
