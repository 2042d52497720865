//! Sign-in and sign-up attempts (compare-and-set transitions, the resend timer, the
//! second-factor judgements) and the one-time codes bound to them.

macro_rules! impl_attempts {
    ($store:ident, $db:ty) => {
        impl $store {
            /// Inside a transaction: removes the client's attempt in `table` and the codes sent
            /// in it.
            async fn drop_attempt(
                conn: &mut <$db as sqlx::Database>::Connection,
                table: &str,
                client_id: &str,
            ) -> $crate::server::store::StoreResult<()> {
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
        }

        #[async_trait::async_trait]
        impl $crate::server::store::AttemptStore for $store {
            async fn create_sign_in(
                &self,
                a: &$crate::server::store::SignInAttempt,
                now: i64,
            ) -> $crate::server::store::StoreResult<()> {
                let state = $crate::server::store::rows::state_json(&a.state)?;
                let mut tx = self.pool.begin().await?;
                Self::drop_attempt(&mut tx, "sign_in_attempts", &a.client_id).await?;
                sqlx::query(
                    "INSERT INTO sign_in_attempts (id, client_id, version, state, redirect_url, \
                     code_sent_at, second_factor_judgements, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8)",
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

            async fn sign_in_for_client(
                &self,
                client_id: &str,
            ) -> $crate::server::store::StoreResult<Option<$crate::server::store::SignInAttempt>>
            {
                let row: Option<$crate::server::store::rows::SignInRow> = sqlx::query_as(
                    "SELECT id, client_id, version, state, redirect_url, code_sent_at, \
                     expires_at FROM sign_in_attempts WHERE client_id = $1",
                )
                .bind(client_id)
                .fetch_optional(&self.pool)
                .await?;
                row.map(TryInto::try_into).transpose()
            }

            async fn advance_sign_in(
                &self,
                id: &str,
                version: i64,
                state: &$crate::domain::sign_in::SignInState,
                send: $crate::server::store::CodeSend,
            ) -> $crate::server::store::StoreResult<bool> {
                use $crate::server::store::CodeSend;
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
                .bind($crate::server::store::rows::state_json(state)?)
                .bind(send_at)
                .bind(id)
                .bind(version)
                .bind($crate::domain::verification::CODE_RESEND_AFTER_SECS)
                .bind(guarded)
                .bind(false)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn judge_second_factor(
                &self,
                id: &str,
            ) -> $crate::server::store::StoreResult<bool> {
                let done = sqlx::query(
                    "UPDATE sign_in_attempts \
                     SET second_factor_judgements = second_factor_judgements + 1 \
                     WHERE id = $1 AND second_factor_judgements < $2",
                )
                .bind(id)
                .bind($crate::domain::verification::SECOND_FACTOR_MAX_JUDGEMENTS as i64)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn delete_sign_in(&self, client_id: &str) -> $crate::server::store::StoreResult<()> {
                let mut tx = self.pool.begin().await?;
                Self::drop_attempt(&mut tx, "sign_in_attempts", client_id).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn create_sign_up(
                &self,
                a: &$crate::server::store::SignUpAttempt,
                now: i64,
            ) -> $crate::server::store::StoreResult<()> {
                let state = $crate::server::store::rows::state_json(&a.state)?;
                let mut tx = self.pool.begin().await?;
                Self::drop_attempt(&mut tx, "sign_up_attempts", &a.client_id).await?;
                sqlx::query(
                    "INSERT INTO sign_up_attempts (id, client_id, state, redirect_url, \
                     code_sent_at, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
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

            async fn sign_up_for_client(
                &self,
                client_id: &str,
            ) -> $crate::server::store::StoreResult<Option<$crate::server::store::SignUpAttempt>>
            {
                let row: Option<$crate::server::store::rows::SignUpRow> = sqlx::query_as(
                    "SELECT id, client_id, state, redirect_url, code_sent_at, expires_at \
                     FROM sign_up_attempts WHERE client_id = $1",
                )
                .bind(client_id)
                .fetch_optional(&self.pool)
                .await?;
                row.map(TryInto::try_into).transpose()
            }

            async fn claim_sign_up_send(
                &self,
                id: &str,
                now: i64,
            ) -> $crate::server::store::StoreResult<bool> {
                let done = sqlx::query(
                    "UPDATE sign_up_attempts SET code_sent_at = $1 WHERE id = $2 \
                     AND (code_sent_at IS NULL OR code_sent_at <= $3)",
                )
                .bind(now)
                .bind(id)
                .bind(now - $crate::domain::verification::CODE_RESEND_AFTER_SECS)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn delete_sign_up(&self, client_id: &str) -> $crate::server::store::StoreResult<()> {
                let mut tx = self.pool.begin().await?;
                Self::drop_attempt(&mut tx, "sign_up_attempts", client_id).await?;
                tx.commit().await?;
                Ok(())
            }
        }

        #[async_trait::async_trait]
        impl $crate::server::store::CodeStore for $store {
            async fn issue_code(
                &self,
                b: &$crate::server::store::CodeBinding,
                code_hash: &str,
                now: i64,
            ) -> $crate::server::store::StoreResult<()> {
                sqlx::query(
                    "INSERT INTO verification_codes (id, purpose, attempt_id, user_id, recipient, \
                     code_hash, judgements, consumed, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8, $9) \
                     ON CONFLICT (purpose, attempt_id, user_id) DO UPDATE SET id = excluded.id, \
                     recipient = excluded.recipient, code_hash = excluded.code_hash, \
                     judgements = 0, consumed = excluded.consumed, \
                     created_at = excluded.created_at, expires_at = excluded.expires_at",
                )
                .bind($crate::server::tokens::new_id("code"))
                .bind(b.purpose.as_str())
                .bind(&b.attempt_id)
                .bind(&b.user_id)
                .bind(&b.recipient)
                .bind(code_hash)
                .bind(false)
                .bind(now)
                .bind(now + $crate::domain::verification::CODE_TTL_SECS)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn judge_code(
                &self,
                b: &$crate::server::store::CodeBinding,
                now: i64,
            ) -> $crate::server::store::StoreResult<Option<$crate::server::store::JudgedCode>> {
                Ok(sqlx::query_as(
                    "UPDATE verification_codes SET judgements = judgements + 1 \
                     WHERE purpose = $1 AND attempt_id = $2 AND user_id = $3 AND recipient = $4 \
                     AND judgements < $5 AND consumed = $6 AND expires_at > $7 \
                     RETURNING id, code_hash",
                )
                .bind(b.purpose.as_str())
                .bind(&b.attempt_id)
                .bind(&b.user_id)
                .bind(&b.recipient)
                .bind($crate::domain::verification::CODE_MAX_ATTEMPTS as i64)
                .bind(false)
                .bind(now)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn consume_code(
                &self,
                id: &str,
                now: i64,
            ) -> $crate::server::store::StoreResult<bool> {
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
    };
}
pub(crate) use impl_attempts;
