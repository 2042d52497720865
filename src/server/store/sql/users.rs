//! Users, their credentials and lockout; clients (browsers).

macro_rules! impl_users {
    ($store:ident, $db:ty) => {
        impl $store {
            /// Inserts a user (a taken email is `Conflict(Email)`) and answers its id.
            async fn insert_user(
                conn: &mut <$db as sqlx::Database>::Connection,
                keyring: &$crate::server::secrets::Keyring,
                new: &$crate::server::store::NewUser,
                now: i64,
            ) -> $crate::server::store::StoreResult<String> {
                let id = $crate::server::tokens::new_id("user");
                sqlx::query(
                    "INSERT INTO users (id, email, email_verified, phone, password_hash, \
                     totp_secret, password_compromised, sms_mfa, locked, failed_attempts, \
                     created_at, updated_at, terms_version, legal_accepted_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $7, 0, $8, $8, $9, $10)",
                )
                .bind(&id)
                .bind(&new.email)
                .bind(new.email_verified)
                .bind(&new.phone)
                .bind(&new.password_hash)
                .bind($crate::server::store::TOTP_SECRET.seal_opt(
                    keyring,
                    &id,
                    new.totp_secret.as_deref(),
                ))
                .bind(false)
                .bind(now)
                .bind(new.terms_version.as_deref().filter(|_| new.legal_accepted))
                .bind(new.legal_accepted.then_some(now))
                .execute(&mut *conn)
                .await
                .map_err(|e| {
                    $crate::server::store::rows::conflict_or(
                        e,
                        $crate::server::store::Conflict::Email,
                    )
                })?;
                Ok(id)
            }
        }

        #[async_trait::async_trait]
        impl $crate::server::store::UserStore for $store {
            async fn create_user(
                &self,
                new: $crate::server::store::NewUser,
                now: i64,
            ) -> $crate::server::store::StoreResult<$crate::server::store::User> {
                let mut conn = self.pool.acquire().await?;
                let id = Self::insert_user(&mut conn, &self.keyring, &new, now).await?;
                drop(conn);
                self.user_by_id(&id)
                    .await?
                    .ok_or($crate::server::store::StoreError::NotFound)
            }

            async fn user_by_id(
                &self,
                id: &str,
            ) -> $crate::server::store::StoreResult<Option<$crate::server::store::User>> {
                let row: Option<$crate::server::store::rows::UserRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM users WHERE id = $1",
                    $crate::server::store::rows::USER_COLUMNS
                ))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                row.map(|r| r.open(&self.keyring)).transpose()
            }

            async fn user_by_email(
                &self,
                email: &str,
            ) -> $crate::server::store::StoreResult<Option<$crate::server::store::User>> {
                let row: Option<$crate::server::store::rows::UserRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM users WHERE email = $1",
                    $crate::server::store::rows::USER_COLUMNS
                ))
                .bind(email)
                .fetch_optional(&self.pool)
                .await?;
                row.map(|r| r.open(&self.keyring)).transpose()
            }

            async fn delete_user(&self, id: &str) -> $crate::server::store::StoreResult<()> {
                use $crate::server::store::{Conflict, StoreError};
                let mut tx = self.pool.begin().await?;
                // A write first: SQLite takes its one write lock now rather than upgrading a
                // read later (which fails when another writer went first).
                sqlx::query("UPDATE users SET updated_at = updated_at WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                // Every organization the user belongs to is locked next (in one order, so two
                // deletions never wait on each other), as a demotion or a removal locks its
                // organization: a concurrent change to the other admins waits for this one, and
                // the guard below sees it. Any role: a promotion that lands between this read
                // and the guard takes the same lock.
                let administered: Vec<(String,)> = sqlx::query_as(
                    "SELECT organization_id FROM memberships \
                     WHERE user_id = $1 ORDER BY organization_id",
                )
                .bind(id)
                .fetch_all(&mut *tx)
                .await?;
                for (organization_id,) in &administered {
                    Self::lock_organization(&mut tx, organization_id).await?;
                }
                // Guarded in the one statement: not while the user is the only admin of an
                // organization that has other members.
                let done = sqlx::query(
                    "DELETE FROM users WHERE id = $1 AND NOT EXISTS ( \
                       SELECT 1 FROM memberships m WHERE m.user_id = $1 \
                         AND m.role = 'org:admin' \
                         AND NOT EXISTS (SELECT 1 FROM memberships a \
                           WHERE a.organization_id = m.organization_id \
                             AND a.role = 'org:admin' AND a.user_id <> $1) \
                         AND EXISTS (SELECT 1 FROM memberships o \
                           WHERE o.organization_id = m.organization_id AND o.user_id <> $1))",
                )
                .bind(id)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 1 {
                    tx.commit().await?;
                    return Ok(());
                }
                let exists: Option<(String,)> = sqlx::query_as("SELECT id FROM users WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
                Err(match exists {
                    Some(_) => StoreError::Conflict(Conflict::LastAdmin),
                    None => StoreError::NotFound,
                })
            }

            async fn set_compromised(
                &self,
                id: &str,
                compromised: bool,
                now: i64,
            ) -> $crate::server::store::StoreResult<()> {
                let done = sqlx::query(
                    "UPDATE users SET password_compromised = $1, updated_at = $2 WHERE id = $3",
                )
                .bind(compromised)
                .bind(now)
                .bind(id)
                .execute(&self.pool)
                .await?;
                if done.rows_affected() == 0 {
                    return Err($crate::server::store::StoreError::NotFound);
                }
                Ok(())
            }

            async fn set_locked(
                &self,
                id: &str,
                locked: bool,
                now: i64,
            ) -> $crate::server::store::StoreResult<()> {
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
                    return Err($crate::server::store::StoreError::NotFound);
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
                    sqlx::query(
                        "UPDATE users SET backup_codes_unseen = NULL, \
                         backup_codes_session = NULL WHERE id = $1",
                    )
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
            ) -> $crate::server::store::StoreResult<Option<i64>> {
                let until: Option<Option<i64>> = sqlx::query_scalar(
                    "UPDATE users SET \
                       lockout_until = CASE WHEN failed_attempts + 1 >= $1 THEN $2 \
                                       ELSE lockout_until END, \
                       failed_attempts = CASE WHEN failed_attempts + 1 >= $1 THEN 0 \
                                         ELSE failed_attempts + 1 END, \
                       updated_at = $3 \
                     WHERE id = $4 RETURNING lockout_until",
                )
                .bind(max as i64)
                .bind(lock_until)
                .bind(now)
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                Ok(until.flatten().filter(|u| *u == lock_until))
            }

            async fn claim_guess(
                &self,
                id: &str,
                max: u32,
                now: i64,
            ) -> $crate::server::store::StoreResult<bool> {
                let done = sqlx::query(
                    "UPDATE users SET \
                       failed_attempts = CASE WHEN failed_attempts < $2 \
                                         THEN failed_attempts + 1 ELSE $2 END, \
                       guess_claimed_at = $3, updated_at = $3 \
                     WHERE id = $1 \
                       AND (lockout_until IS NULL OR lockout_until <= $3) \
                       AND (failed_attempts < $2 OR guess_claimed_at IS NULL \
                            OR guess_claimed_at <= $4)",
                )
                .bind(id)
                .bind(max as i64)
                .bind(now)
                .bind(now - $crate::server::store::GUESS_SETTLES_WITHIN)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn settle_guess(
                &self,
                id: &str,
                right: bool,
                max: u32,
                lock_until: i64,
                now: i64,
            ) -> $crate::server::store::StoreResult<Option<i64>> {
                if right {
                    sqlx::query(
                        "UPDATE users SET failed_attempts = failed_attempts - 1 \
                         WHERE id = $1 AND failed_attempts > 0",
                    )
                    .bind(id)
                    .execute(&self.pool)
                    .await?;
                    return Ok(None);
                }
                let until: Option<Option<i64>> = sqlx::query_scalar(
                    "UPDATE users SET lockout_until = $2, failed_attempts = 0, updated_at = $3 \
                     WHERE id = $1 AND failed_attempts >= $4 RETURNING lockout_until",
                )
                .bind(id)
                .bind(lock_until)
                .bind(now)
                .bind(max as i64)
                .fetch_optional(&self.pool)
                .await?;
                Ok(until.flatten())
            }

            async fn clear_failures(&self, id: &str) -> $crate::server::store::StoreResult<()> {
                sqlx::query(
                    "UPDATE users SET failed_attempts = 0 WHERE id = $1 AND failed_attempts <> 0",
                )
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
            ) -> $crate::server::store::StoreResult<()> {
                let mut tx = self.pool.begin().await?;
                let done = sqlx::query(
                    "UPDATE users SET password_hash = $1, password_compromised = $2, \
                     updated_at = $3 WHERE id = $4",
                )
                .bind(password_hash)
                .bind(false)
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 0 {
                    return Err($crate::server::store::StoreError::NotFound);
                }
                // A new password is what a requested reset-password asked for.
                sqlx::query($crate::server::store::sql::RESET_DONE)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
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
                    sqlx::query($crate::server::store::sql::FORGET_ORPHANED_CODES)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(())
            }
        }

        #[async_trait::async_trait]
        impl $crate::server::store::ClientStore for $store {
            async fn create_client(
                &self,
                token_hash: &str,
                now: i64,
            ) -> $crate::server::store::StoreResult<$crate::server::store::Client> {
                let id = $crate::server::tokens::new_id("client");
                sqlx::query(
                    "INSERT INTO clients (id, token_hash, activations, created_at, updated_at) \
                     VALUES ($1, $2, 0, $3, $3)",
                )
                .bind(&id)
                .bind(token_hash)
                .bind(now)
                .execute(&self.pool)
                .await?;
                Ok($crate::server::store::Client {
                    id,
                    last_active_session_id: None,
                })
            }

            async fn client_by_token_hash(
                &self,
                token_hash: &str,
            ) -> $crate::server::store::StoreResult<Option<$crate::server::store::ClientRecord>>
            {
                use sqlx::Row;
                use $crate::server::store::rows::SessionDetailRow;
                // One row per live session, or one row of NULL session columns for a client
                // without any.
                let rows = sqlx::query(&format!(
                    "SELECT c.id AS c_id, c.last_active_session_id AS c_last, \
                     EXISTS (SELECT 1 FROM sign_in_attempts a WHERE a.client_id = c.id) \
                       AS c_sign_in, \
                     EXISTS (SELECT 1 FROM sign_up_attempts a WHERE a.client_id = c.id) \
                       AS c_sign_up, {}, {} \
                     FROM clients c \
                     LEFT JOIN sessions s ON s.client_id = c.id \
                       AND s.status IN ('active', 'pending') \
                     LEFT JOIN users ON users.id = s.user_id \
                     LEFT JOIN organizations o ON o.id = s.active_organization_id \
                     LEFT JOIN memberships m ON m.organization_id = o.id \
                       AND m.user_id = s.user_id \
                     WHERE c.token_hash = $1 \
                     ORDER BY s.activation DESC, s.last_active_at DESC, s.created_at DESC",
                    $crate::server::store::rows::USER_COLUMNS,
                    $crate::server::store::rows::SESSION_DETAIL_COLUMNS
                ))
                .bind(token_hash)
                .fetch_all(&self.pool)
                .await?;
                let Some(first) = rows.first() else {
                    return Ok(None);
                };
                let mut record = $crate::server::store::ClientRecord {
                    client: $crate::server::store::Client {
                        id: first.try_get("c_id")?,
                        last_active_session_id: first.try_get("c_last")?,
                    },
                    sessions: Vec::with_capacity(rows.len()),
                    has_sign_in: first.try_get("c_sign_in")?,
                    has_sign_up: first.try_get("c_sign_up")?,
                };
                for row in &rows {
                    if row.try_get::<Option<String>, _>("s_id")?.is_some() {
                        let detail: SessionDetailRow = sqlx::FromRow::from_row(row)?;
                        record.sessions.push(detail.open(&self.keyring)?);
                    }
                }
                Ok(Some(record))
            }

            async fn set_last_active_session(
                &self,
                id: &str,
                session_id: Option<&str>,
            ) -> $crate::server::store::StoreResult<()> {
                let mut tx = self.pool.begin().await?;
                sqlx::query("UPDATE clients SET last_active_session_id = $1 WHERE id = $2")
                    .bind(session_id)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                if let Some(session_id) = session_id {
                    sqlx::query($crate::server::store::sql::COUNT_ACTIVATION)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query($crate::server::store::sql::ACTIVATE)
                        .bind(session_id)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn rotate_client_token(
                &self,
                id: &str,
                presented_hash: &str,
                token_hash: &str,
                now: i64,
            ) -> $crate::server::store::StoreResult<bool> {
                let done = sqlx::query(
                    "UPDATE clients SET token_hash = $1, updated_at = $2 \
                     WHERE id = $3 AND token_hash = $4",
                )
                .bind(token_hash)
                .bind(now)
                .bind(id)
                .bind(presented_hash)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn client_knows_user(
                &self,
                client_id: &str,
                user_id: &str,
            ) -> $crate::server::store::StoreResult<bool> {
                let row: Option<(String,)> = sqlx::query_as(
                    "SELECT user_id FROM client_users WHERE client_id = $1 AND user_id = $2",
                )
                .bind(client_id)
                .bind(user_id)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.is_some())
            }
        }
    };
}
pub(crate) use impl_users;
