//! Second factors: pending enrolments (bound to the enrolling session), enabling one factor at a
//! time under a guard in the update itself, backup codes and the TOTP replay guard. The secrets
//! and the unseen backup codes are sealed as they are written (README, "Encryption at rest").

macro_rules! impl_mfa {
    ($store:ident, $db:ty) => {
        const _: () = {
            use $crate::server::store::*;
            use $crate::server::tokens::new_id;

            type Conn = <$db as sqlx::Database>::Connection;

            impl $store {
                /// Inside a transaction: replaces a user's backup codes (the old ones stop
                /// working).
                async fn replace_backup_codes(
                    conn: &mut Conn,
                    user_id: &str,
                    codes: &[NewBackupCode],
                ) -> StoreResult<()> {
                    sqlx::query("DELETE FROM backup_codes WHERE user_id = $1")
                        .bind(user_id)
                        .execute(&mut *conn)
                        .await?;
                    for c in codes {
                        sqlx::query(
                            "INSERT INTO backup_codes (id, user_id, code_hash, selector) \
                             VALUES ($1, $2, $3, $4)",
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
            }

            #[async_trait::async_trait]
            impl MfaStore for $store {
                async fn set_totp_pending(
                    &self,
                    user_id: &str,
                    session_id: &str,
                    secret: &str,
                ) -> StoreResult<()> {
                    sqlx::query(
                        "UPDATE users SET totp_pending_secret = $1, totp_pending_session = $2 \
                         WHERE id = $3",
                    )
                    .bind(TOTP_PENDING_SECRET.seal(&self.keyring, user_id, secret))
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
                        "UPDATE users SET sms_pending_phone = $1, sms_pending_session = $2 \
                         WHERE id = $3",
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
                    // With `only_if_none`, the guard is in the update itself: of two sessions
                    // enrolling at once, one enables its factor and the other changes nothing.
                    let done = match &factor {
                        NewFactor::Totp { secret, step } => {
                            sqlx::query(
                                "UPDATE users SET totp_secret = $1, totp_last_step = $2, \
                                 totp_pending_secret = NULL, totp_pending_session = NULL, \
                                 updated_at = $3 WHERE id = $4 \
                                 AND ($5 = $6 OR (totp_secret IS NULL AND sms_mfa = $6))",
                            )
                            .bind(TOTP_SECRET.seal(&self.keyring, user_id, secret))
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
                                "UPDATE users SET phone = $1, sms_mfa = $2, \
                                 sms_pending_phone = NULL, sms_pending_session = NULL, \
                                 updated_at = $3 WHERE id = $4 \
                                 AND ($5 = $6 OR (totp_secret IS NULL AND sms_mfa = $6))",
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
                        let exists: Option<String> =
                            sqlx::query_scalar("SELECT id FROM users WHERE id = $1")
                                .bind(user_id)
                                .fetch_optional(&mut *tx)
                                .await?;
                        return Err(match exists {
                            Some(_) => StoreError::Conflict(Conflict::Factor),
                            None => StoreError::NotFound,
                        });
                    }
                    sqlx::query(
                        "UPDATE sessions SET second_factor_at = $1 WHERE id = $2 AND user_id = $3",
                    )
                    .bind(now)
                    .bind(session_id)
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
                    // Other sessions still waiting to set up a factor were started before this
                    // one existed: they sign in again and prove it.
                    sqlx::query(
                        "UPDATE sessions SET status = 'revoked', ended_at = $1 WHERE user_id = $2 \
                         AND id <> $3 AND status = 'pending' AND second_factor_at IS NULL \
                         AND (',' || tasks || ',') LIKE '%,setup-mfa,%'",
                    )
                    .bind(now)
                    .bind(user_id)
                    .bind(session_id)
                    .execute(&mut *tx)
                    .await?;
                    if let Some(set) = backup {
                        Self::replace_backup_codes(&mut tx, user_id, set.codes).await?;
                        sqlx::query(
                            "UPDATE users SET backup_codes_unseen = $1, \
                             backup_codes_session = $2 WHERE id = $3",
                        )
                        .bind(BACKUP_CODES_UNSEEN.seal(&self.keyring, user_id, set.unseen))
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
                    let query = match factor {
                        FactorKind::Totp => sqlx::query(
                            "UPDATE users SET totp_secret = NULL, totp_pending_secret = NULL, \
                             totp_pending_session = NULL, updated_at = $1 WHERE id = $2",
                        ),
                        FactorKind::Sms => sqlx::query(
                            "UPDATE users SET sms_mfa = $3, sms_pending_phone = NULL, \
                             sms_pending_session = NULL, updated_at = $1 WHERE id = $2",
                        ),
                    };
                    let query = query.bind(now).bind(user_id);
                    let query = match factor {
                        FactorKind::Totp => query,
                        FactorKind::Sms => query.bind(false),
                    };
                    query.execute(&mut *tx).await?;
                    if last {
                        sqlx::query("DELETE FROM backup_codes WHERE user_id = $1")
                            .bind(user_id)
                            .execute(&mut *tx)
                            .await?;
                    }
                    tx.commit().await?;
                    Ok(())
                }

                async fn mark_backup_codes_seen(
                    &self,
                    user_id: &str,
                    session_id: &str,
                ) -> StoreResult<bool> {
                    let done = sqlx::query(
                        "UPDATE users SET backup_codes_unseen = NULL, backup_codes_session = NULL \
                         WHERE id = $1 AND backup_codes_session = $2 \
                         AND backup_codes_unseen IS NOT NULL",
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
                    Ok(sqlx::query_as(
                        "SELECT id, code_hash AS hash FROM backup_codes WHERE user_id = $1 \
                         AND used_at IS NULL AND (selector = $2 OR selector IS NULL)",
                    )
                    .bind(user_id)
                    .bind(selector)
                    .fetch_all(&self.pool)
                    .await?)
                }

                async fn use_backup_code(&self, id: &str, now: i64) -> StoreResult<bool> {
                    let done = sqlx::query(
                        "UPDATE backup_codes SET used_at = $1 WHERE id = $2 AND used_at IS NULL",
                    )
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
                    Self::replace_backup_codes(&mut tx, user_id, codes).await?;
                    sqlx::query(
                        "UPDATE users SET regenerated_codes_unseen = $1, \
                         regenerated_codes_session = $2 WHERE id = $3",
                    )
                    .bind(REGENERATED_CODES_UNSEEN.seal(&self.keyring, user_id, unseen))
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
                    let stored: Option<String> = sqlx::query_scalar(
                        "SELECT regenerated_codes_unseen FROM users WHERE id = $1 \
                         AND regenerated_codes_session = $2",
                    )
                    .bind(user_id)
                    .bind(session_id)
                    .fetch_optional(&self.pool)
                    .await?
                    .flatten();
                    let Some(stored) = stored else {
                        return Ok(None);
                    };
                    let codes = REGENERATED_CODES_UNSEEN.open(&self.keyring, user_id, &stored)?;
                    // Compare-and-set: of two requests, one takes the codes.
                    let done = sqlx::query(
                        "UPDATE users SET regenerated_codes_unseen = NULL, \
                         regenerated_codes_session = NULL WHERE id = $1 \
                         AND regenerated_codes_session = $2 AND regenerated_codes_unseen = $3",
                    )
                    .bind(user_id)
                    .bind(session_id)
                    .bind(&stored)
                    .execute(&self.pool)
                    .await?;
                    Ok((done.rows_affected() == 1).then_some(codes))
                }

                async fn backup_codes_left(&self, user_id: &str) -> StoreResult<u32> {
                    let n: i64 = sqlx::query_scalar(
                        "SELECT COUNT(*) FROM backup_codes WHERE user_id = $1 AND used_at IS NULL",
                    )
                    .bind(user_id)
                    .fetch_one(&self.pool)
                    .await?;
                    Ok(n.max(0) as u32)
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
        };
    };
}
pub(crate) use impl_mfa;
