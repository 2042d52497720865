//! The SQLite store: one file in WAL mode, created on first start, migrations applied on start.
//! Queries use `$N` placeholders, which SQLite and PostgreSQL both read.

use super::*;
use crate::domain::session::live_status;
use crate::domain::verification::{
    CODE_MAX_ATTEMPTS, CODE_RESEND_AFTER_SECS, CODE_TTL_SECS, SECOND_FACTOR_MAX_JUDGEMENTS,
};
use crate::server::tokens::new_id;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{Row, SqlitePool};
use std::str::FromStr;

#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `url` and applies the migrations.
    pub async fn connect(url: &str) -> Result<Self, sqlx::Error> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // WAL + NORMAL: commits are atomic and survive a crash of the process; only an OS crash
            // or power loss can drop the last commits (SQLite's recommended pairing).
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(std::time::Duration::from_secs(5))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        Ok(Self { pool })
    }
}

/// The user columns, in the order the `users` table defines them.
const USER_FIELDS: [&str; 20] = [
    "id",
    "email",
    "email_verified",
    "phone",
    "password_hash",
    "password_compromised",
    "totp_secret",
    "sms_mfa",
    "totp_last_step",
    "totp_pending_secret",
    "sms_pending_phone",
    "backup_codes_unseen",
    "locked",
    "failed_attempts",
    "lockout_until",
    "created_at",
    "updated_at",
    "backup_codes_session",
    "totp_pending_session",
    "sms_pending_session",
];

/// The user columns for a plain `users` query.
fn user_cols() -> String {
    USER_FIELDS.join(", ")
}

/// The user columns for a join on `u`, each aliased `u_<name>`.
fn user_cols_joined() -> String {
    USER_FIELDS
        .iter()
        .map(|f| format!("u.{f} AS u_{f}"))
        .collect::<Vec<_>>()
        .join(", ")
}

const SESSION_COLS: &str = "s.id, s.user_id, s.client_id, s.status, s.tasks, \
    s.active_organization_id, s.user_agent, s.ip, s.created_at, s.last_active_at, s.expire_at, \
    s.first_factor_at, s.second_factor_at";

/// Reads a user from a row whose user columns carry `prefix` (empty for a plain `users` row).
fn user_from_prefixed(row: &SqliteRow, prefix: &str) -> StoreResult<User> {
    let col = |name: &str| format!("{prefix}{name}");
    Ok(User {
        id: row.try_get(col("id").as_str())?,
        email: row.try_get(col("email").as_str())?,
        email_verified: row.try_get(col("email_verified").as_str())?,
        phone: row.try_get(col("phone").as_str())?,
        password_hash: row.try_get(col("password_hash").as_str())?,
        password_compromised: row.try_get(col("password_compromised").as_str())?,
        totp_secret: row.try_get(col("totp_secret").as_str())?,
        sms_mfa: row.try_get(col("sms_mfa").as_str())?,
        totp_last_step: row.try_get(col("totp_last_step").as_str())?,
        totp_pending_secret: row.try_get(col("totp_pending_secret").as_str())?,
        sms_pending_phone: row.try_get(col("sms_pending_phone").as_str())?,
        backup_codes_unseen: row.try_get(col("backup_codes_unseen").as_str())?,
        locked: row.try_get(col("locked").as_str())?,
        failed_attempts: row.try_get::<i64, _>(col("failed_attempts").as_str())? as u32,
        lockout_until: row.try_get(col("lockout_until").as_str())?,
        created_at: row.try_get(col("created_at").as_str())?,
        updated_at: row.try_get(col("updated_at").as_str())?,
        backup_codes_session: row.try_get(col("backup_codes_session").as_str())?,
        totp_pending_session: row.try_get(col("totp_pending_session").as_str())?,
        sms_pending_session: row.try_get(col("sms_pending_session").as_str())?,
    })
}

fn user_from(row: &SqliteRow) -> StoreResult<User> {
    user_from_prefixed(row, "")
}

fn session_from(row: &SqliteRow) -> StoreResult<Session> {
    let status: String = row.try_get("status")?;
    Ok(Session {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        client_id: row.try_get("client_id")?,
        status: SessionStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("session status {status}")))?,
        tasks: tasks_from_text(&row.try_get::<String, _>("tasks")?),
        active_organization_id: row.try_get("active_organization_id")?,
        user_agent: row.try_get("user_agent")?,
        ip: row.try_get("ip")?,
        created_at: row.try_get("created_at")?,
        last_active_at: row.try_get("last_active_at")?,
        expire_at: row.try_get("expire_at")?,
        first_factor_at: row.try_get("first_factor_at")?,
        second_factor_at: row.try_get("second_factor_at")?,
    })
}

/// Inserts a user (a taken email is `Conflict("email")`) and answers its id.
async fn insert_user(
    conn: &mut sqlx::SqliteConnection,
    new: &NewUser,
    now: i64,
) -> StoreResult<String> {
    let id = new_id("user");
    sqlx::query(
        "INSERT INTO users (id, email, email_verified, phone, password_hash, totp_secret, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
    )
    .bind(&id)
    .bind(&new.email)
    .bind(new.email_verified)
    .bind(&new.phone)
    .bind(&new.password_hash)
    .bind(&new.totp_secret)
    .bind(now)
    .execute(conn)
    .await
    .map_err(|e| conflict_or(e, "email"))?;
    Ok(id)
}

/// Forgets the plaintext backup codes of user `$1` (their enrolling session ended).
const FORGET_UNSEEN_CODES_OF_USER: &str =
    "UPDATE users SET backup_codes_unseen = NULL, backup_codes_session = NULL WHERE id = $1";

/// Forgets plaintext backup codes whose enrolling session is no longer signed in — after
/// statements that end several sessions at once (a partial index keeps it cheap).
const FORGET_ORPHANED_CODES: &str = "UPDATE users SET backup_codes_unseen = NULL, \
    backup_codes_session = NULL WHERE backup_codes_session IS NOT NULL \
    AND backup_codes_session NOT IN (SELECT id FROM sessions WHERE status IN ('active', 'pending'))";

/// Marks session `$1` of client `$2` as the client's most recently activated one.
const ACTIVATE: &str = "UPDATE sessions SET activation = \
    (SELECT COALESCE(MAX(activation), 0) + 1 FROM sessions WHERE client_id = $2) WHERE id = $1";

fn conflict_or(e: sqlx::Error, what: &'static str) -> StoreError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(what),
        _ => StoreError::Db(e),
    }
}

#[async_trait]
impl HealthStore for SqliteStore {
    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}

#[async_trait]
impl UserStore for SqliteStore {
    async fn create_user(&self, new: NewUser, now: i64) -> StoreResult<User> {
        let mut conn = self.pool.acquire().await?;
        let id = insert_user(&mut conn, &new, now).await?;
        drop(conn);
        self.user_by_id(&id).await?.ok_or(StoreError::NotFound)
    }

    async fn user_by_id(&self, id: &str) -> StoreResult<Option<User>> {
        let row = sqlx::query(&format!("SELECT {} FROM users WHERE id = $1", user_cols()))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from).transpose()
    }

    async fn user_by_email(&self, email: &str) -> StoreResult<Option<User>> {
        let row = sqlx::query(&format!(
            "SELECT {} FROM users WHERE email = $1",
            user_cols()
        ))
        .bind(email)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(user_from).transpose()
    }

    async fn delete_user(&self, id: &str) -> StoreResult<()> {
        let done = sqlx::query("DELETE FROM users WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn set_compromised(&self, id: &str, compromised: bool, now: i64) -> StoreResult<()> {
        let done = sqlx::query(
            "UPDATE users SET password_compromised = $1, updated_at = $2 WHERE id = $3",
        )
        .bind(compromised)
        .bind(now)
        .bind(id)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn set_locked(&self, id: &str, locked: bool, now: i64) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE users SET locked = $1, failed_attempts = 0, lockout_until = NULL, \
             updated_at = $2 WHERE id = $3",
        )
        .bind(locked)
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        if locked {
            sqlx::query(
                "UPDATE sessions SET status = 'revoked', ended_at = $1 \
                 WHERE user_id = $2 AND status IN ('active', 'pending')",
            )
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            sqlx::query(FORGET_UNSEEN_CODES_OF_USER)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn record_failure(
        &self,
        id: &str,
        max: u32,
        lock_until: i64,
        now: i64,
    ) -> StoreResult<Option<i64>> {
        let row = sqlx::query(
            "UPDATE users SET \
               lockout_until = CASE WHEN failed_attempts + 1 >= $1 THEN $2 ELSE lockout_until END, \
               failed_attempts = CASE WHEN failed_attempts + 1 >= $1 THEN 0 ELSE failed_attempts + 1 END, \
               updated_at = $3 \
             WHERE id = $4 RETURNING lockout_until",
        )
        .bind(max as i64)
        .bind(lock_until)
        .bind(now)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        let until: Option<i64> = match row {
            Some(r) => r.try_get("lockout_until")?,
            None => None,
        };
        Ok(until.filter(|u| *u == lock_until))
    }

    async fn clear_failures(&self, id: &str) -> StoreResult<()> {
        sqlx::query("UPDATE users SET failed_attempts = 0 WHERE id = $1 AND failed_attempts <> 0")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn change_password(
        &self,
        id: &str,
        password_hash: &str,
        end_other_sessions: bool,
        keep_client: Option<&str>,
        now: i64,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE users SET password_hash = $1, password_compromised = 0, updated_at = $2 \
             WHERE id = $3",
        )
        .bind(password_hash)
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        if end_other_sessions {
            sqlx::query(
                "UPDATE sessions SET status = 'revoked', ended_at = $1 \
                 WHERE user_id = $2 AND status IN ('active', 'pending') \
                 AND ($3 IS NULL OR client_id <> $3)",
            )
            .bind(now)
            .bind(id)
            .bind(keep_client)
            .execute(&mut *tx)
            .await?;
            sqlx::query(FORGET_ORPHANED_CODES).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

#[async_trait]
impl ClientStore for SqliteStore {
    async fn create_client(&self, token_hash: &str, now: i64) -> StoreResult<Client> {
        let id = new_id("client");
        sqlx::query(
            "INSERT INTO clients (id, token_hash, created_at, updated_at) VALUES ($1, $2, $3, $3)",
        )
        .bind(&id)
        .bind(token_hash)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(Client {
            id,
            last_active_session_id: None,
        })
    }

    async fn client_by_token_hash(&self, token_hash: &str) -> StoreResult<Option<Client>> {
        let row =
            sqlx::query("SELECT id, last_active_session_id FROM clients WHERE token_hash = $1")
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await?;
        row.map(|r| {
            Ok(Client {
                id: r.try_get("id")?,
                last_active_session_id: r.try_get("last_active_session_id")?,
            })
        })
        .transpose()
    }

    async fn set_last_active_session(&self, id: &str, session_id: Option<&str>) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE clients SET last_active_session_id = $1 WHERE id = $2")
            .bind(session_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if let Some(session_id) = session_id {
            sqlx::query(ACTIVATE)
                .bind(session_id)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn client_knows_user(&self, client_id: &str, user_id: &str) -> StoreResult<bool> {
        let row = sqlx::query("SELECT 1 FROM client_users WHERE client_id = $1 AND user_id = $2")
            .bind(client_id)
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }
}

#[async_trait]
impl SessionStore for SqliteStore {
    async fn create_session(&self, new: NewSession, now: i64) -> StoreResult<Session> {
        let id = new_id("sess");
        let status = live_status(&new.tasks);
        let second_factor_at = new.second_factor.then_some(now);
        let mut tx = self.pool.begin().await?;
        if let Some(change) = &new.password_change {
            let done = sqlx::query(
                "UPDATE users SET password_hash = $1, password_compromised = $2, updated_at = $3 \
                 WHERE id = $4",
            )
            .bind(&change.hash)
            .bind(false)
            .bind(now)
            .bind(&new.user_id)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            if change.end_other_sessions {
                sqlx::query(
                    "UPDATE sessions SET status = 'revoked', ended_at = $1 \
                     WHERE user_id = $2 AND status IN ('active', 'pending')",
                )
                .bind(now)
                .bind(&new.user_id)
                .execute(&mut *tx)
                .await?;
            }
        }
        if new.replace_client_sessions {
            sqlx::query(
                "UPDATE sessions SET status = 'ended', ended_at = $1 WHERE client_id = $2 \
                 AND status IN ('active', 'pending')",
            )
            .bind(now)
            .bind(&new.client_id)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "INSERT INTO sessions (id, user_id, client_id, status, tasks, active_organization_id, \
             user_agent, ip, created_at, last_active_at, expire_at, first_factor_at, \
             second_factor_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $9, $11)",
        )
        .bind(&id)
        .bind(&new.user_id)
        .bind(&new.client_id)
        .bind(status.as_str())
        .bind(tasks_to_text(&new.tasks))
        .bind(&new.active_organization_id)
        .bind(&new.user_agent)
        .bind(&new.ip)
        .bind(now)
        .bind(new.expire_at)
        .bind(second_factor_at)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE clients SET last_active_session_id = $1, token_hash = $2, updated_at = $3 \
             WHERE id = $4",
        )
        .bind(&id)
        .bind(&new.client_token_hash)
        .bind(now)
        .bind(&new.client_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(ACTIVATE)
            .bind(&id)
            .bind(&new.client_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO client_users (client_id, user_id, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
        )
        .bind(&new.client_id)
        .bind(&new.user_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if let Some(attempt) = &new.completes_attempt {
            let done = sqlx::query("DELETE FROM sign_in_attempts WHERE id = $1 AND client_id = $2")
                .bind(attempt)
                .bind(&new.client_id)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::Conflict("attempt"));
            }
            sqlx::query("DELETE FROM verification_codes WHERE attempt_id = $1")
                .bind(attempt)
                .execute(&mut *tx)
                .await?;
        }
        for table in ["sign_in_attempts", "sign_up_attempts"] {
            drop_attempt(&mut tx, table, &new.client_id).await?;
        }
        sqlx::query(FORGET_ORPHANED_CODES).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(Session {
            id,
            user_id: new.user_id,
            client_id: new.client_id,
            status,
            tasks: new.tasks,
            active_organization_id: new.active_organization_id,
            user_agent: new.user_agent,
            ip: new.ip,
            created_at: now,
            last_active_at: now,
            expire_at: new.expire_at,
            first_factor_at: now,
            second_factor_at,
        })
    }

    async fn session_by_id(&self, id: &str) -> StoreResult<Option<Session>> {
        let row = sqlx::query(&format!(
            "SELECT {SESSION_COLS} FROM sessions s WHERE s.id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(session_from).transpose()
    }

    async fn client_sessions(&self, client_id: &str) -> StoreResult<Vec<SessionDetail>> {
        let rows = sqlx::query(&format!(
            "SELECT {SESSION_COLS}, {}, \
             o.name AS org_name, o.slug AS org_slug, m.role AS org_role \
             FROM sessions s JOIN users u ON u.id = s.user_id \
             LEFT JOIN organizations o ON o.id = s.active_organization_id \
             LEFT JOIN memberships m ON m.organization_id = o.id AND m.user_id = s.user_id \
             WHERE s.client_id = $1 AND s.status IN ('active', 'pending') \
             ORDER BY s.activation DESC, s.last_active_at DESC, s.created_at DESC",
            user_cols_joined()
        ))
        .bind(client_id)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let session = session_from(row)?;
            let user = user_from_prefixed(row, "u_")?;
            let organization = match (
                &session.active_organization_id,
                row.try_get::<Option<String>, _>("org_name")?,
                row.try_get::<Option<String>, _>("org_role")?,
            ) {
                (Some(org_id), Some(name), Some(role)) => Some(OrganizationMembership {
                    organization_id: org_id.clone(),
                    name,
                    slug: row
                        .try_get::<Option<String>, _>("org_slug")?
                        .unwrap_or_default(),
                    role,
                }),
                _ => None,
            };
            out.push(SessionDetail {
                session,
                user,
                organization,
            });
        }
        Ok(out)
    }

    async fn user_sessions(&self, user_id: &str) -> StoreResult<Vec<Session>> {
        let rows = sqlx::query(&format!(
            "SELECT {SESSION_COLS} FROM sessions s WHERE s.user_id = $1 ORDER BY s.created_at DESC"
        ))
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(session_from).collect()
    }

    async fn set_session_tasks(&self, id: &str, tasks: &[TaskKey]) -> StoreResult<()> {
        sqlx::query(
            "UPDATE sessions SET tasks = $1, status = $2 WHERE id = $3 \
             AND status IN ('active', 'pending')",
        )
        .bind(tasks_to_text(tasks))
        .bind(live_status(tasks).as_str())
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn touch_session(&self, id: &str, now: i64) -> StoreResult<()> {
        sqlx::query(
            "UPDATE sessions SET last_active_at = $1 WHERE id = $2 AND last_active_at <= $3",
        )
        .bind(now)
        .bind(id)
        .bind(now - 60)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn set_first_factor_verified(&self, id: &str, now: i64) -> StoreResult<()> {
        sqlx::query("UPDATE sessions SET first_factor_at = $1 WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn end_session(&self, id: &str, status: SessionStatus, now: i64) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE sessions SET status = $1, ended_at = $2 WHERE id = $3 \
             AND status IN ('active', 'pending')",
        )
        .bind(status.as_str())
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE users SET backup_codes_unseen = NULL, backup_codes_session = NULL \
             WHERE backup_codes_session = $1",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    async fn end_client_sessions(&self, client_id: &str, now: i64) -> StoreResult<u64> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE users SET backup_codes_unseen = NULL, backup_codes_session = NULL \
             WHERE backup_codes_session IN (SELECT id FROM sessions WHERE client_id = $1)",
        )
        .bind(client_id)
        .execute(&mut *tx)
        .await?;
        let done = sqlx::query(
            "UPDATE sessions SET status = 'ended', ended_at = $1 WHERE client_id = $2 \
             AND status IN ('active', 'pending')",
        )
        .bind(now)
        .bind(client_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE clients SET last_active_session_id = NULL WHERE id = $1")
            .bind(client_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }
}

fn state_from<T: serde::de::DeserializeOwned>(row: &SqliteRow) -> StoreResult<T> {
    let json: String = row.try_get("state")?;
    serde_json::from_str(&json).map_err(|e| StoreError::Corrupt(format!("attempt state: {e}")))
}

fn state_json<T: serde::Serialize>(state: &T) -> StoreResult<String> {
    serde_json::to_string(state).map_err(|e| StoreError::Corrupt(format!("attempt state: {e}")))
}

/// Inside a transaction: removes the client's attempt in `table` and the codes sent in it.
async fn drop_attempt(
    conn: &mut sqlx::SqliteConnection,
    table: &str,
    client_id: &str,
) -> StoreResult<()> {
    sqlx::query(&format!(
        "DELETE FROM verification_codes WHERE attempt_id IN \
         (SELECT id FROM {table} WHERE client_id = $1)"
    ))
    .bind(client_id)
    .execute(&mut *conn)
    .await?;
    sqlx::query(&format!("DELETE FROM {table} WHERE client_id = $1"))
        .bind(client_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

#[async_trait]
impl AttemptStore for SqliteStore {
    async fn create_sign_in(&self, a: &SignInAttempt, now: i64) -> StoreResult<()> {
        let state = state_json(&a.state)?;
        let mut tx = self.pool.begin().await?;
        drop_attempt(&mut tx, "sign_in_attempts", &a.client_id).await?;
        sqlx::query(
            "INSERT INTO sign_in_attempts (id, client_id, version, state, redirect_url, \
             code_sent_at, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&a.id)
        .bind(&a.client_id)
        .bind(a.version)
        .bind(state)
        .bind(&a.redirect_url)
        .bind(a.code_sent_at)
        .bind(now)
        .bind(a.expires_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn sign_in_for_client(&self, client_id: &str) -> StoreResult<Option<SignInAttempt>> {
        let row = sqlx::query(
            "SELECT id, client_id, version, state, redirect_url, code_sent_at, expires_at \
             FROM sign_in_attempts WHERE client_id = $1",
        )
        .bind(client_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(SignInAttempt {
                id: r.try_get("id")?,
                client_id: r.try_get("client_id")?,
                version: r.try_get("version")?,
                state: state_from(&r)?,
                redirect_url: r.try_get("redirect_url")?,
                code_sent_at: r.try_get("code_sent_at")?,
                expires_at: r.try_get("expires_at")?,
            })
        })
        .transpose()
    }

    async fn advance_sign_in(
        &self,
        id: &str,
        version: i64,
        state: &SignInState,
        send: CodeSend,
    ) -> StoreResult<bool> {
        let (send_at, guarded) = match send {
            CodeSend::None => (None, false),
            CodeSend::Claim(at) => (Some(at), true),
            CodeSend::Record(at) => (Some(at), false),
        };
        let done = sqlx::query(
            "UPDATE sign_in_attempts SET state = $1, version = version + 1, \
             code_sent_at = COALESCE($2, code_sent_at) \
             WHERE id = $3 AND version = $4 \
             AND ($6 = $7 OR code_sent_at IS NULL OR code_sent_at <= $2 - $5)",
        )
        .bind(state_json(state)?)
        .bind(send_at)
        .bind(id)
        .bind(version)
        .bind(CODE_RESEND_AFTER_SECS)
        .bind(guarded)
        .bind(false)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn judge_second_factor(&self, id: &str) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE sign_in_attempts SET second_factor_judgements = second_factor_judgements + 1 \
             WHERE id = $1 AND second_factor_judgements < $2",
        )
        .bind(id)
        .bind(SECOND_FACTOR_MAX_JUDGEMENTS as i64)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn delete_sign_in(&self, client_id: &str) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        drop_attempt(&mut tx, "sign_in_attempts", client_id).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn create_sign_up(&self, a: &SignUpAttempt, now: i64) -> StoreResult<()> {
        let state = state_json(&a.state)?;
        let mut tx = self.pool.begin().await?;
        drop_attempt(&mut tx, "sign_up_attempts", &a.client_id).await?;
        sqlx::query(
            "INSERT INTO sign_up_attempts (id, client_id, state, redirect_url, code_sent_at, \
             created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&a.id)
        .bind(&a.client_id)
        .bind(state)
        .bind(&a.redirect_url)
        .bind(a.code_sent_at)
        .bind(now)
        .bind(a.expires_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn sign_up_for_client(&self, client_id: &str) -> StoreResult<Option<SignUpAttempt>> {
        let row = sqlx::query(
            "SELECT id, client_id, state, redirect_url, code_sent_at, expires_at \
             FROM sign_up_attempts WHERE client_id = $1",
        )
        .bind(client_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(SignUpAttempt {
                id: r.try_get("id")?,
                client_id: r.try_get("client_id")?,
                state: state_from(&r)?,
                redirect_url: r.try_get("redirect_url")?,
                code_sent_at: r.try_get("code_sent_at")?,
                expires_at: r.try_get("expires_at")?,
            })
        })
        .transpose()
    }

    async fn claim_sign_up_send(&self, id: &str, now: i64) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE sign_up_attempts SET code_sent_at = $1 WHERE id = $2 \
             AND (code_sent_at IS NULL OR code_sent_at <= $3)",
        )
        .bind(now)
        .bind(id)
        .bind(now - CODE_RESEND_AFTER_SECS)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn delete_sign_up(&self, client_id: &str) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        drop_attempt(&mut tx, "sign_up_attempts", client_id).await?;
        tx.commit().await?;
        Ok(())
    }
}

#[async_trait]
impl CodeStore for SqliteStore {
    async fn issue_code(&self, b: &CodeBinding, code_hash: &str, now: i64) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO verification_codes (id, purpose, attempt_id, user_id, recipient, \
             code_hash, judgements, consumed, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8, $9) \
             ON CONFLICT (purpose, attempt_id, user_id) DO UPDATE SET id = excluded.id, \
             recipient = excluded.recipient, code_hash = excluded.code_hash, judgements = 0, \
             consumed = excluded.consumed, created_at = excluded.created_at, \
             expires_at = excluded.expires_at",
        )
        .bind(new_id("code"))
        .bind(b.purpose.as_str())
        .bind(&b.attempt_id)
        .bind(&b.user_id)
        .bind(&b.recipient)
        .bind(code_hash)
        .bind(false)
        .bind(now)
        .bind(now + CODE_TTL_SECS)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn judge_code(&self, b: &CodeBinding, now: i64) -> StoreResult<Option<JudgedCode>> {
        let row = sqlx::query(
            "UPDATE verification_codes SET judgements = judgements + 1 \
             WHERE purpose = $1 AND attempt_id = $2 AND user_id = $3 AND recipient = $4 \
             AND judgements < $5 AND consumed = $6 AND expires_at > $7 \
             RETURNING id, code_hash",
        )
        .bind(b.purpose.as_str())
        .bind(&b.attempt_id)
        .bind(&b.user_id)
        .bind(&b.recipient)
        .bind(CODE_MAX_ATTEMPTS as i64)
        .bind(false)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(JudgedCode {
                id: r.try_get("id")?,
                code_hash: r.try_get("code_hash")?,
            })
        })
        .transpose()
    }

    async fn consume_code(&self, id: &str, now: i64) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE verification_codes SET consumed = $1 WHERE id = $2 AND consumed = $3 \
             AND expires_at > $4",
        )
        .bind(true)
        .bind(id)
        .bind(false)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}

#[async_trait]
impl OutboxStore for SqliteStore {
    async fn push_message(&self, m: &OutboxMessage, purge_before: i64) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM outbox WHERE sent_at < $1")
            .bind(purge_before)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO outbox (id, channel, to_addr, template, subject, body, code, sent_at, seq) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, \
             (SELECT COALESCE(MAX(seq), 0) + 1 FROM outbox))",
        )
        .bind(new_id("msg"))
        .bind(&m.channel)
        .bind(&m.to)
        .bind(&m.template)
        .bind(&m.subject)
        .bind(&m.body)
        .bind(&m.code)
        .bind(m.sent_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn messages_to(&self, to: &str) -> StoreResult<Vec<OutboxMessage>> {
        let rows = sqlx::query(
            "SELECT channel, to_addr, template, subject, body, code, sent_at FROM outbox \
             WHERE to_addr = $1 ORDER BY seq DESC LIMIT 100",
        )
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(OutboxMessage {
                    to: r.try_get("to_addr")?,
                    channel: r.try_get("channel")?,
                    template: r.try_get("template")?,
                    subject: r.try_get("subject")?,
                    body: r.try_get("body")?,
                    code: r.try_get("code")?,
                    sent_at: r.try_get("sent_at")?,
                })
            })
            .collect()
    }
}

#[async_trait]
impl RateLimitStore for SqliteStore {
    async fn hit(&self, bucket: &str, window_start: i64) -> StoreResult<u32> {
        let row = sqlx::query(
            "INSERT INTO rate_limits (bucket, window_start, hits) VALUES ($1, $2, 1) \
             ON CONFLICT (bucket) DO UPDATE SET \
               hits = CASE WHEN rate_limits.window_start = excluded.window_start \
                      THEN rate_limits.hits + 1 ELSE 1 END, \
               window_start = excluded.window_start \
             RETURNING hits",
        )
        .bind(bucket)
        .bind(window_start)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get::<i64, _>("hits")? as u32)
    }

    async fn claim_interval(
        &self,
        bucket: &str,
        now: i64,
        interval: i64,
    ) -> StoreResult<Option<i64>> {
        let claimed = sqlx::query(
            "INSERT INTO rate_limits (bucket, window_start, hits) VALUES ($1, $2, 1) \
             ON CONFLICT (bucket) DO UPDATE SET window_start = excluded.window_start, hits = 1 \
             WHERE rate_limits.window_start <= $3 RETURNING hits",
        )
        .bind(bucket)
        .bind(now)
        .bind(now - interval)
        .fetch_optional(&self.pool)
        .await?;
        if claimed.is_some() {
            return Ok(None);
        }
        let since: Option<i64> =
            sqlx::query_scalar("SELECT window_start FROM rate_limits WHERE bucket = $1")
                .bind(bucket)
                .fetch_optional(&self.pool)
                .await?;
        Ok(Some(since.map_or(1, |t| (t + interval - now).max(1))))
    }
}

fn organization_from(row: &SqliteRow, prefix: &str) -> StoreResult<Organization> {
    let col = |name: &str| format!("{prefix}{name}");
    Ok(Organization {
        id: row.try_get(col("id").as_str())?,
        name: row.try_get(col("name").as_str())?,
        slug: row.try_get(col("slug").as_str())?,
        created_at: row.try_get(col("created_at").as_str())?,
    })
}

#[async_trait]
impl OrganizationStore for SqliteStore {
    async fn create_organization(
        &self,
        name: &str,
        slug: &str,
        created_by: Option<&str>,
        members: &[(String, String)],
        now: i64,
    ) -> StoreResult<Organization> {
        let id = new_id("org");
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO organizations (id, name, slug, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&id)
        .bind(name)
        .bind(slug)
        .bind(created_by)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| conflict_or(e, "slug"))?;
        for (user_id, role) in members {
            sqlx::query(
                "INSERT INTO memberships (id, organization_id, user_id, role, created_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(new_id("mem"))
            .bind(&id)
            .bind(user_id)
            .bind(role)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(|e| conflict_or(e, "membership"))?;
        }
        tx.commit().await?;
        Ok(Organization {
            id,
            name: name.to_string(),
            slug: slug.to_string(),
            created_at: now,
        })
    }

    async fn organization_by_id(&self, id: &str) -> StoreResult<Option<Organization>> {
        let row = sqlx::query("SELECT id, name, slug, created_at FROM organizations WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(|r| organization_from(r, "")).transpose()
    }

    async fn organization_by_slug(&self, slug: &str) -> StoreResult<Option<Organization>> {
        let row =
            sqlx::query("SELECT id, name, slug, created_at FROM organizations WHERE slug = $1")
                .bind(slug)
                .fetch_optional(&self.pool)
                .await?;
        row.as_ref().map(|r| organization_from(r, "")).transpose()
    }

    async fn add_membership(
        &self,
        organization_id: &str,
        user_id: &str,
        role: &str,
        now: i64,
    ) -> StoreResult<Membership> {
        let organization = self
            .organization_by_id(organization_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let id = new_id("mem");
        sqlx::query(
            "INSERT INTO memberships (id, organization_id, user_id, role, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&id)
        .bind(organization_id)
        .bind(user_id)
        .bind(role)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => StoreError::NotFound,
            _ => conflict_or(e, "membership"),
        })?;
        Ok(Membership {
            id,
            organization,
            user_id: user_id.to_string(),
            role: role.to_string(),
        })
    }

    async fn user_memberships(&self, user_id: &str) -> StoreResult<Vec<Membership>> {
        let rows = sqlx::query(
            "SELECT m.id AS m_id, m.role AS m_role, o.id AS o_id, o.name AS o_name, \
             o.slug AS o_slug, o.created_at AS o_created_at \
             FROM memberships m JOIN organizations o ON o.id = m.organization_id \
             WHERE m.user_id = $1 ORDER BY o.name, o.id",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Membership {
                    id: r.try_get("m_id")?,
                    organization: organization_from(r, "o_")?,
                    user_id: user_id.to_string(),
                    role: r.try_get("m_role")?,
                })
            })
            .collect()
    }

    async fn set_session_organization(
        &self,
        session_id: &str,
        organization_id: Option<&str>,
    ) -> StoreResult<()> {
        sqlx::query("UPDATE sessions SET active_organization_id = $1 WHERE id = $2")
            .bind(organization_id)
            .bind(session_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn organization_members(&self, organization_id: &str) -> StoreResult<Vec<Member>> {
        let rows = sqlx::query(
            "SELECT m.id, m.user_id, u.email, m.role, m.created_at \
             FROM memberships m JOIN users u ON u.id = m.user_id \
             WHERE m.organization_id = $1 ORDER BY m.created_at, u.email",
        )
        .bind(organization_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Member {
                    membership_id: r.try_get("id")?,
                    user_id: r.try_get("user_id")?,
                    email: r.try_get("email")?,
                    role: r.try_get("role")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }

    async fn set_member_role(
        &self,
        organization_id: &str,
        user_id: &str,
        role: &str,
    ) -> StoreResult<()> {
        // An admin may always stay or become admin; a demotion needs another admin.
        let done = sqlx::query(&format!(
            "UPDATE memberships SET role = $3 WHERE organization_id = $1 AND user_id = $2 \
             AND ($3 = 'org:admin' OR {NOT_LAST_ADMIN})"
        ))
        .bind(organization_id)
        .bind(user_id)
        .bind(role)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(self.member_change_refused(organization_id, user_id).await);
        }
        Ok(())
    }

    async fn remove_member(&self, organization_id: &str, user_id: &str) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(&format!(
            "DELETE FROM memberships WHERE organization_id = $1 AND user_id = $2 \
             AND {NOT_LAST_ADMIN}"
        ))
        .bind(organization_id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            tx.rollback().await?;
            return Err(self.member_change_refused(organization_id, user_id).await);
        }
        sqlx::query(
            "UPDATE sessions SET active_organization_id = NULL \
             WHERE user_id = $2 AND active_organization_id = $1",
        )
        .bind(organization_id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn rename_organization(
        &self,
        organization_id: &str,
        name: &str,
        slug: &str,
    ) -> StoreResult<Organization> {
        let done = sqlx::query("UPDATE organizations SET name = $2, slug = $3 WHERE id = $1")
            .bind(organization_id)
            .bind(name)
            .bind(slug)
            .execute(&self.pool)
            .await
            .map_err(|e| conflict_or(e, "slug"))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        self.organization_by_id(organization_id)
            .await?
            .ok_or(StoreError::NotFound)
    }

    async fn create_invitation(&self, new: NewInvitation, now: i64) -> StoreResult<Invitation> {
        let organization = self
            .organization_by_id(&new.organization_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let mut tx = self.pool.begin().await?;
        let member = sqlx::query(
            "SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id \
             WHERE m.organization_id = $1 AND u.email = $2",
        )
        .bind(&new.organization_id)
        .bind(&new.email)
        .fetch_optional(&mut *tx)
        .await?;
        if member.is_some() {
            return Err(StoreError::Conflict("membership"));
        }
        sqlx::query(
            "UPDATE invitations SET status = 'revoked', updated_at = $3 \
             WHERE organization_id = $1 AND email = $2 AND status = 'pending' AND expires_at <= $3",
        )
        .bind(&new.organization_id)
        .bind(&new.email)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let id = new_id("orginv");
        sqlx::query(
            "INSERT INTO invitations (id, organization_id, email, role, status, token_hash, \
             invited_by, created_at, expires_at, updated_at) \
             VALUES ($1, $2, $3, $4, 'pending', $5, $6, $7, $8, $7)",
        )
        .bind(&id)
        .bind(&new.organization_id)
        .bind(&new.email)
        .bind(&new.role)
        .bind(&new.token_hash)
        .bind(&new.invited_by)
        .bind(now)
        .bind(new.expires_at)
        .execute(&mut *tx)
        .await
        .map_err(|e| conflict_or(e, "invitation"))?;
        tx.commit().await?;
        Ok(Invitation {
            id,
            organization,
            email: new.email,
            role: new.role,
            status: "pending".into(),
            created_at: now,
            expires_at: new.expires_at,
        })
    }

    async fn pending_invitations(
        &self,
        organization_id: &str,
        now: i64,
    ) -> StoreResult<Vec<Invitation>> {
        let rows = sqlx::query(&format!(
            "SELECT {INVITATION_COLS} FROM invitations i \
             JOIN organizations o ON o.id = i.organization_id \
             WHERE i.organization_id = $1 AND i.status = 'pending' AND i.expires_at > $2 \
             ORDER BY i.created_at DESC, i.id"
        ))
        .bind(organization_id)
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(invitation_from).collect()
    }

    async fn invitations_for_email(&self, email: &str, now: i64) -> StoreResult<Vec<Invitation>> {
        let rows = sqlx::query(&format!(
            "SELECT {INVITATION_COLS} FROM invitations i \
             JOIN organizations o ON o.id = i.organization_id \
             WHERE i.email = $1 AND i.status = 'pending' AND i.expires_at > $2 \
             ORDER BY i.created_at DESC, i.id"
        ))
        .bind(email)
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(invitation_from).collect()
    }

    async fn invitation_by_token_hash(&self, token_hash: &str) -> StoreResult<Option<Invitation>> {
        self.invitation_where("i.token_hash = $1", token_hash).await
    }

    async fn invitation_by_id(&self, id: &str) -> StoreResult<Option<Invitation>> {
        self.invitation_where("i.id = $1", id).await
    }

    async fn revoke_invitation(
        &self,
        organization_id: &str,
        invitation_id: &str,
        now: i64,
    ) -> StoreResult<()> {
        let done = sqlx::query(
            "UPDATE invitations SET status = 'revoked', updated_at = $3 \
             WHERE id = $1 AND organization_id = $2 AND status = 'pending'",
        )
        .bind(invitation_id)
        .bind(organization_id)
        .bind(now)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn accept_invitation(
        &self,
        invitation_id: &str,
        user_id: &str,
        now: i64,
    ) -> StoreResult<Membership> {
        let invitation = self
            .invitation_where("i.id = $1", invitation_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let mut tx = self.pool.begin().await?;
        let membership = accept_in(&mut tx, invitation, user_id, now).await?;
        tx.commit().await?;
        Ok(membership)
    }

    async fn create_invited_user(
        &self,
        new: NewUser,
        invitation_id: &str,
        now: i64,
    ) -> StoreResult<(User, Membership)> {
        let invitation = self
            .invitation_where("i.id = $1", invitation_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let mut tx = self.pool.begin().await?;
        let id = insert_user(&mut tx, &new, now).await?;
        let membership = accept_in(&mut tx, invitation, &id, now).await?;
        tx.commit().await?;
        let user = self.user_by_id(&id).await?.ok_or(StoreError::NotFound)?;
        Ok((user, membership))
    }
}

/// Inside a transaction: marks a pending, unexpired invitation accepted (the guarded update is
/// what makes a link single use) and adds the membership, keeping an existing one.
async fn accept_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    invitation: Invitation,
    user_id: &str,
    now: i64,
) -> StoreResult<Membership> {
    let done = sqlx::query(
        "UPDATE invitations SET status = 'accepted', updated_at = $2 \
         WHERE id = $1 AND status = 'pending' AND expires_at > $2",
    )
    .bind(&invitation.id)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Conflict("invitation"));
    }
    sqlx::query(
        "INSERT INTO memberships (id, organization_id, user_id, role, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (organization_id, user_id) DO NOTHING",
    )
    .bind(new_id("mem"))
    .bind(&invitation.organization.id)
    .bind(user_id)
    .bind(&invitation.role)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    let row =
        sqlx::query("SELECT id, role FROM memberships WHERE organization_id = $1 AND user_id = $2")
            .bind(&invitation.organization.id)
            .bind(user_id)
            .fetch_one(&mut **tx)
            .await?;
    Ok(Membership {
        id: row.try_get("id")?,
        organization: invitation.organization,
        user_id: user_id.to_string(),
        role: row.try_get("role")?,
    })
}

const INVITATION_COLS: &str = "i.id AS i_id, i.email AS i_email, i.role AS i_role, \
    i.status AS i_status, i.created_at AS i_created_at, i.expires_at AS i_expires_at, \
    o.id AS o_id, o.name AS o_name, o.slug AS o_slug, o.created_at AS o_created_at";

fn invitation_from(row: &SqliteRow) -> StoreResult<Invitation> {
    Ok(Invitation {
        id: row.try_get("i_id")?,
        organization: organization_from(row, "o_")?,
        email: row.try_get("i_email")?,
        role: row.try_get("i_role")?,
        status: row.try_get("i_status")?,
        created_at: row.try_get("i_created_at")?,
        expires_at: row.try_get("i_expires_at")?,
    })
}

impl SqliteStore {
    async fn invitation_where(
        &self,
        condition: &str,
        arg: &str,
    ) -> StoreResult<Option<Invitation>> {
        let row = sqlx::query(&format!(
            "SELECT {INVITATION_COLS} FROM invitations i \
             JOIN organizations o ON o.id = i.organization_id WHERE {condition}"
        ))
        .bind(arg)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(invitation_from).transpose()
    }

    /// Why a guarded membership change touched no row: the member is unknown, or is the last
    /// admin.
    async fn member_change_refused(&self, organization_id: &str, user_id: &str) -> StoreError {
        match sqlx::query("SELECT 1 FROM memberships WHERE organization_id = $1 AND user_id = $2")
            .bind(organization_id)
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await
        {
            Ok(Some(_)) => StoreError::Conflict("last_admin"),
            Ok(None) => StoreError::NotFound,
            Err(e) => StoreError::Db(e),
        }
    }
}

/// Inside a transaction: replaces a user's backup codes (the old ones stop working).
async fn replace_backup_codes(
    conn: &mut sqlx::SqliteConnection,
    user_id: &str,
    codes: &[NewBackupCode],
) -> StoreResult<()> {
    sqlx::query("DELETE FROM backup_codes WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    for c in codes {
        sqlx::query(
            "INSERT INTO backup_codes (id, user_id, code_hash, selector) VALUES ($1, $2, $3, $4)",
        )
        .bind(new_id("bkp"))
        .bind(user_id)
        .bind(&c.hash)
        .bind(&c.selector)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The condition that keeps an organization's last admin: the member is not an admin, or
/// another admin exists. `$1` is the organization, `$2` the user.
const NOT_LAST_ADMIN: &str = "(role <> 'org:admin' OR (SELECT COUNT(*) FROM memberships \
    WHERE organization_id = $1 AND role = 'org:admin') > 1)";

#[async_trait]
impl MfaStore for SqliteStore {
    async fn set_totp_pending(
        &self,
        user_id: &str,
        session_id: &str,
        secret: &str,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE users SET totp_pending_secret = $1, totp_pending_session = $2 WHERE id = $3",
        )
        .bind(secret)
        .bind(session_id)
        .bind(user_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn set_sms_pending(
        &self,
        user_id: &str,
        session_id: &str,
        phone: &str,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE users SET sms_pending_phone = $1, sms_pending_session = $2 WHERE id = $3",
        )
        .bind(phone)
        .bind(session_id)
        .bind(user_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn enable_factor(
        &self,
        user_id: &str,
        session_id: &str,
        factor: NewFactor,
        only_if_none: bool,
        backup: Option<BackupCodeSet<'_>>,
        now: i64,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        // With `only_if_none`, the guard is in the update itself: of two sessions enrolling at
        // once, one enables its factor and the other changes nothing.
        let done = match &factor {
            NewFactor::Totp { secret, step } => {
                sqlx::query(
                    "UPDATE users SET totp_secret = $1, totp_last_step = $2, \
                     totp_pending_secret = NULL, totp_pending_session = NULL, updated_at = $3 \
                     WHERE id = $4 AND ($5 = $6 OR (totp_secret IS NULL AND sms_mfa = $6))",
                )
                .bind(secret)
                .bind(step)
                .bind(now)
                .bind(user_id)
                .bind(only_if_none)
                .bind(false)
                .execute(&mut *tx)
                .await?
            }
            NewFactor::Sms { phone } => {
                sqlx::query(
                    "UPDATE users SET phone = $1, sms_mfa = $2, sms_pending_phone = NULL, \
                     sms_pending_session = NULL, updated_at = $3 \
                     WHERE id = $4 AND ($5 = $6 OR (totp_secret IS NULL AND sms_mfa = $6))",
                )
                .bind(phone)
                .bind(true)
                .bind(now)
                .bind(user_id)
                .bind(only_if_none)
                .bind(false)
                .execute(&mut *tx)
                .await?
            }
        };
        if done.rows_affected() == 0 {
            let exists: Option<i64> = sqlx::query_scalar("SELECT 1 FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_optional(&mut *tx)
                .await?;
            return Err(match exists {
                Some(_) => StoreError::Conflict("factor"),
                None => StoreError::NotFound,
            });
        }
        sqlx::query("UPDATE sessions SET second_factor_at = $1 WHERE id = $2 AND user_id = $3")
            .bind(now)
            .bind(session_id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE sessions SET status = 'revoked', ended_at = $1 WHERE user_id = $2 \
             AND id <> $3 AND status = 'pending' AND second_factor_at IS NULL \
             AND tasks LIKE '%setup-mfa%'",
        )
        .bind(now)
        .bind(user_id)
        .bind(session_id)
        .execute(&mut *tx)
        .await?;
        if let Some(set) = backup {
            replace_backup_codes(&mut tx, user_id, set.codes).await?;
            sqlx::query(
                "UPDATE users SET backup_codes_unseen = $1, backup_codes_session = $2 WHERE id = $3",
            )
            .bind(set.unseen)
            .bind(set.session_id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn disable_factor(
        &self,
        user_id: &str,
        factor: FactorKind,
        last: bool,
        now: i64,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        let sql = match factor {
            FactorKind::Totp => {
                "UPDATE users SET totp_secret = NULL, totp_pending_secret = NULL, updated_at = $1 \
                 WHERE id = $2"
            }
            FactorKind::Sms => {
                "UPDATE users SET sms_mfa = 0, sms_pending_phone = NULL, updated_at = $1 \
                 WHERE id = $2"
            }
        };
        sqlx::query(sql)
            .bind(now)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        if last {
            sqlx::query("DELETE FROM backup_codes WHERE user_id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn mark_backup_codes_seen(&self, user_id: &str, session_id: &str) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE users SET backup_codes_unseen = NULL, backup_codes_session = NULL \
             WHERE id = $1 AND backup_codes_session = $2 AND backup_codes_unseen IS NOT NULL",
        )
        .bind(user_id)
        .bind(session_id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn backup_code_candidates(
        &self,
        user_id: &str,
        selector: &str,
    ) -> StoreResult<Vec<StoredBackupCode>> {
        let rows = sqlx::query(
            "SELECT id, code_hash FROM backup_codes WHERE user_id = $1 AND used_at IS NULL \
             AND (selector = $2 OR selector IS NULL)",
        )
        .bind(user_id)
        .bind(selector)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(StoredBackupCode {
                    id: r.try_get("id")?,
                    hash: r.try_get("code_hash")?,
                })
            })
            .collect()
    }

    async fn use_backup_code(&self, id: &str, now: i64) -> StoreResult<bool> {
        let done =
            sqlx::query("UPDATE backup_codes SET used_at = $1 WHERE id = $2 AND used_at IS NULL")
                .bind(now)
                .bind(id)
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn regenerate_backup_codes(
        &self,
        user_id: &str,
        session_id: &str,
        codes: &[NewBackupCode],
        unseen: &str,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        replace_backup_codes(&mut tx, user_id, codes).await?;
        sqlx::query(
            "UPDATE users SET regenerated_codes_unseen = $1, regenerated_codes_session = $2 \
             WHERE id = $3",
        )
        .bind(unseen)
        .bind(session_id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn take_regenerated_codes(
        &self,
        user_id: &str,
        session_id: &str,
    ) -> StoreResult<Option<String>> {
        let mut tx = self.pool.begin().await?;
        let codes: Option<String> = sqlx::query_scalar(
            "SELECT regenerated_codes_unseen FROM users WHERE id = $1 \
             AND regenerated_codes_session = $2",
        )
        .bind(user_id)
        .bind(session_id)
        .fetch_optional(&mut *tx)
        .await?
        .flatten();
        if codes.is_some() {
            sqlx::query(
                "UPDATE users SET regenerated_codes_unseen = NULL, \
                 regenerated_codes_session = NULL WHERE id = $1",
            )
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(codes)
    }

    async fn backup_codes_left(&self, user_id: &str) -> StoreResult<u32> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM backup_codes WHERE user_id = $1 AND used_at IS NULL",
        )
        .bind(user_id)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get::<i64, _>("n")? as u32)
    }

    async fn record_totp_step(&self, user_id: &str, step: i64) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE users SET totp_last_step = $1 WHERE id = $2 \
             AND (totp_last_step IS NULL OR totp_last_step < $1)",
        )
        .bind(step)
        .bind(user_id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn store() -> (SqliteStore, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        (SqliteStore::connect(&url).await.unwrap(), dir)
    }

    fn new_user(email: &str) -> NewUser {
        NewUser {
            email: email.into(),
            email_verified: true,
            phone: None,
            password_hash: Some("h".into()),
            totp_secret: None,
        }
    }

    #[tokio::test]
    async fn users_are_unique_by_email() {
        let (s, _d) = store().await;
        let u = s.create_user(new_user("a@b.co"), 1).await.unwrap();
        assert_eq!(s.user_by_email("a@b.co").await.unwrap().unwrap().id, u.id);
        assert!(matches!(
            s.create_user(new_user("a@b.co"), 1).await,
            Err(StoreError::Conflict("email"))
        ));
    }

    #[tokio::test]
    async fn failures_lock_at_the_maximum_and_restart_the_count() {
        let (s, _d) = store().await;
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

    fn binding(attempt: &str, user: &str) -> CodeBinding {
        CodeBinding {
            purpose: CodePurpose::SignInEmail,
            attempt_id: attempt.into(),
            user_id: user.into(),
            recipient: "a@b.co".into(),
        }
    }

    #[tokio::test]
    async fn codes_are_bound_judged_at_most_five_times_and_single_use() {
        let (s, _d) = store().await;
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
        // 200 concurrent judgements: exactly five are counted.
        let judged = futures_judge(&s, &b, 200).await;
        assert_eq!(judged.iter().filter(|j| j.is_some()).count(), 5);
        assert_eq!(s.judge_code(&b, 101).await.unwrap(), None);

        s.issue_code(&b, "hash2", 200).await.unwrap();
        let code = s.judge_code(&b, 201).await.unwrap().unwrap();
        assert_eq!(code.code_hash, "hash2", "a new code replaces the old one");
        let (x, y) = tokio::join!(s.consume_code(&code.id, 201), s.consume_code(&code.id, 201));
        assert!(x.unwrap() ^ y.unwrap(), "exactly one consumer wins");
        assert_eq!(s.judge_code(&b, 202).await.unwrap(), None, "consumed");
        s.issue_code(&b, "hash3", 300).await.unwrap();
        assert_eq!(
            s.judge_code(&b, 300 + CODE_TTL_SECS).await.unwrap(),
            None,
            "expired codes are refused"
        );
    }

    async fn futures_judge(s: &SqliteStore, b: &CodeBinding, n: usize) -> Vec<Option<JudgedCode>> {
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..n {
            let (s, b) = (s.clone(), b.clone());
            set.spawn(async move { s.judge_code(&b, 101).await.unwrap() });
        }
        set.join_all().await
    }

    #[tokio::test]
    async fn send_intervals_are_claimed_once() {
        let (s, _d) = store().await;
        assert_eq!(s.claim_interval("send:x", 100, 30).await.unwrap(), None);
        assert_eq!(s.claim_interval("send:x", 110, 30).await.unwrap(), Some(20));
        assert_eq!(s.claim_interval("send:y", 110, 30).await.unwrap(), None);
        assert_eq!(s.claim_interval("send:x", 130, 30).await.unwrap(), None);
    }

    #[tokio::test]
    async fn rate_limit_windows_count_and_reset() {
        let (s, _d) = store().await;
        assert_eq!(s.hit("ip:1", 0).await.unwrap(), 1);
        assert_eq!(s.hit("ip:1", 0).await.unwrap(), 2);
        assert_eq!(s.hit("ip:1", 10).await.unwrap(), 1);
        assert_eq!(s.hit("ip:2", 10).await.unwrap(), 1);
    }

    #[tokio::test]
    async fn sessions_change_password_revokes_other_clients() {
        let (s, _d) = store().await;
        let u = s.create_user(new_user("a@b.co"), 1).await.unwrap();
        let c1 = s.create_client("t1", 1).await.unwrap();
        let c2 = s.create_client("t2", 1).await.unwrap();
        let mk = |client: &str| NewSession {
            user_id: u.id.clone(),
            client_id: client.into(),
            tasks: vec![],
            active_organization_id: None,
            user_agent: None,
            ip: None,
            expire_at: 1000,
            client_token_hash: format!("rotated-{client}"),
            replace_client_sessions: true,
            second_factor: false,
            password_change: None,
            completes_attempt: None,
        };
        let s1 = s.create_session(mk(&c1.id), 2).await.unwrap();
        let s2 = s.create_session(mk(&c2.id), 2).await.unwrap();
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
    }
}
