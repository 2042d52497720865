//! Sessions: created at the end of a sign-in (with everything that goes with it, in one
//! transaction), read for every request, touched, ended.

macro_rules! impl_sessions {
    ($store:ident, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::server::store::SessionStore for $store {
            async fn create_session(
                &self,
                new: $crate::server::store::NewSession,
                now: i64,
            ) -> $crate::server::store::StoreResult<$crate::server::store::Session> {
                use $crate::server::store::{Conflict, Session, StoreError};
                let id = $crate::server::tokens::new_id("sess");
                let status = $crate::domain::session::live_status(&new.tasks);
                let second_factor_at = new.second_factor.then_some(now);
                let mut tx = self.pool.begin().await?;
                if let Some(attempt) = &new.completes_attempt {
                    // One attempt, one session: whoever deletes it completes it.
                    let done =
                        sqlx::query("DELETE FROM sign_in_attempts WHERE id = $1 AND client_id = $2")
                            .bind(attempt)
                            .bind(&new.client_id)
                            .execute(&mut *tx)
                            .await?;
                    if done.rows_affected() == 0 {
                        return Err(StoreError::Conflict(Conflict::Attempt));
                    }
                    sqlx::query("DELETE FROM verification_codes WHERE attempt_id = $1")
                        .bind(attempt)
                        .execute(&mut *tx)
                        .await?;
                }
                if let Some(change) = &new.password_change {
                    let done = sqlx::query(
                        "UPDATE users SET password_hash = $1, password_compromised = $2, \
                         updated_at = $3 WHERE id = $4",
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
                    sqlx::query($crate::server::store::sql::RESET_DONE)
                        .bind(&new.user_id)
                        .execute(&mut *tx)
                        .await?;
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
                if let Some(max) = new.max_client_sessions {
                    // The client's row lock first: sessions started together on one client
                    // take turns here, so each counts the others.
                    sqlx::query("UPDATE clients SET updated_at = $1 WHERE id = $2")
                        .bind(now)
                        .bind(&new.client_id)
                        .execute(&mut *tx)
                        .await?;
                    let live: i64 = sqlx::query_scalar(
                        "SELECT COUNT(*) FROM sessions WHERE client_id = $1 \
                         AND status IN ('active', 'pending') AND expire_at > $2",
                    )
                    .bind(&new.client_id)
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await?;
                    if live >= max as i64 {
                        return Err(StoreError::Conflict(Conflict::SessionCap));
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
                    "INSERT INTO sessions (id, user_id, client_id, status, tasks, \
                     active_organization_id, user_agent, ip, created_at, last_active_at, \
                     expire_at, first_factor_at, second_factor_at, activation) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $9, $11, 0)",
                )
                .bind(&id)
                .bind(&new.user_id)
                .bind(&new.client_id)
                .bind(status.as_str())
                .bind($crate::server::store::tasks_to_text(&new.tasks))
                .bind(&new.active_organization_id)
                .bind(&new.user_agent)
                .bind(&new.ip)
                .bind(now)
                .bind(new.expire_at)
                .bind(second_factor_at)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "UPDATE clients SET last_active_session_id = $1, token_hash = $2, \
                     updated_at = $3 WHERE id = $4",
                )
                .bind(&id)
                .bind(&new.client_token_hash)
                .bind(now)
                .bind(&new.client_id)
                .execute(&mut *tx)
                .await?;
                sqlx::query($crate::server::store::sql::COUNT_ACTIVATION)
                    .bind(&new.client_id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query($crate::server::store::sql::ACTIVATE)
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
                for table in ["sign_in_attempts", "sign_up_attempts"] {
                    Self::drop_attempt(&mut tx, table, &new.client_id).await?;
                }
                sqlx::query($crate::server::store::sql::FORGET_ORPHANED_CODES)
                    .execute(&mut *tx)
                    .await?;
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

            async fn session_by_id(
                &self,
                id: &str,
            ) -> $crate::server::store::StoreResult<Option<$crate::server::store::Session>> {
                let row: Option<$crate::server::store::rows::SessionRow> =
                    sqlx::query_as(&format!(
                        "SELECT {} FROM sessions WHERE id = $1",
                        $crate::server::store::rows::SESSION_COLUMNS
                    ))
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(TryInto::try_into).transpose()
            }

            async fn client_sessions(
                &self,
                client_id: &str,
            ) -> $crate::server::store::StoreResult<Vec<$crate::server::store::SessionDetail>>
            {
                let rows: Vec<$crate::server::store::rows::SessionDetailRow> =
                    sqlx::query_as(&format!(
                        "SELECT {}, {} FROM sessions s JOIN users ON users.id = s.user_id \
                         LEFT JOIN organizations o ON o.id = s.active_organization_id \
                         LEFT JOIN memberships m ON m.organization_id = o.id \
                           AND m.user_id = s.user_id \
                         WHERE s.client_id = $1 AND s.status IN ('active', 'pending') \
                         ORDER BY s.activation DESC, s.last_active_at DESC, s.created_at DESC",
                        $crate::server::store::rows::USER_COLUMNS,
                        $crate::server::store::rows::SESSION_DETAIL_COLUMNS
                    ))
                    .bind(client_id)
                    .fetch_all(&self.pool)
                    .await?;
                rows.into_iter().map(|r| r.open(&self.keyring)).collect()
            }

            async fn user_sessions(
                &self,
                user_id: &str,
            ) -> $crate::server::store::StoreResult<Vec<$crate::server::store::Session>> {
                let rows: Vec<$crate::server::store::rows::SessionRow> =
                    sqlx::query_as(&format!(
                        "SELECT {} FROM sessions WHERE user_id = $1 ORDER BY created_at DESC, id",
                        $crate::server::store::rows::SESSION_COLUMNS
                    ))
                    .bind(user_id)
                    .fetch_all(&self.pool)
                    .await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            async fn set_session_tasks(
                &self,
                id: &str,
                tasks: &[$crate::domain::session::TaskKey],
            ) -> $crate::server::store::StoreResult<()> {
                sqlx::query(
                    "UPDATE sessions SET tasks = $1, status = $2 WHERE id = $3 \
                     AND status IN ('active', 'pending')",
                )
                .bind($crate::server::store::tasks_to_text(tasks))
                .bind($crate::domain::session::live_status(tasks).as_str())
                .bind(id)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn touch_session(
                &self,
                id: &str,
                now: i64,
            ) -> $crate::server::store::StoreResult<()> {
                sqlx::query(
                    "UPDATE sessions SET last_active_at = $1 WHERE id = $2 \
                     AND last_active_at <= $3",
                )
                .bind(now)
                .bind(id)
                .bind(now - 60)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn set_first_factor_verified(
                &self,
                id: &str,
                now: i64,
            ) -> $crate::server::store::StoreResult<()> {
                sqlx::query("UPDATE sessions SET first_factor_at = $1 WHERE id = $2")
                    .bind(now)
                    .bind(id)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn set_second_factor_verified(
                &self,
                id: &str,
                now: i64,
            ) -> $crate::server::store::StoreResult<()> {
                sqlx::query("UPDATE sessions SET second_factor_at = $1 WHERE id = $2")
                    .bind(now)
                    .bind(id)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn end_session(
                &self,
                id: &str,
                status: $crate::domain::session::SessionStatus,
                now: i64,
            ) -> $crate::server::store::StoreResult<bool> {
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

            async fn end_client_sessions(
                &self,
                client_id: &str,
                now: i64,
            ) -> $crate::server::store::StoreResult<u64> {
                let mut tx = self.pool.begin().await?;
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
                sqlx::query($crate::server::store::sql::FORGET_ORPHANED_CODES)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(done.rows_affected())
            }
        }
    };
}
pub(crate) use impl_sessions;
