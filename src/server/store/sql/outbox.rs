//! The outbox of sent messages, the rate-limit counters (each one upsert) and the health probe.

macro_rules! impl_outbox {
    ($store:ident, $db:ty) => {
        const _: () = {
            use $crate::server::store::*;

            #[async_trait::async_trait]
            impl OutboxStore for $store {
                async fn push_message(
                    &self,
                    m: &OutboxMessage,
                    purge_before: i64,
                ) -> StoreResult<()> {
                    let mut tx = self.pool.begin().await?;
                    sqlx::query("DELETE FROM outbox WHERE sent_at < $1")
                        .bind(purge_before)
                        .execute(&mut *tx)
                        .await?;
                    // `seq` is the engine's own sequence: concurrent sends never share a number.
                    sqlx::query(
                        "INSERT INTO outbox (id, channel, to_addr, template, subject, body, code, \
                         sent_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    )
                    .bind($crate::server::tokens::new_id("msg"))
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

                async fn purge_messages(&self, before: i64) -> StoreResult<u64> {
                    let done = sqlx::query("DELETE FROM outbox WHERE sent_at < $1")
                        .bind(before)
                        .execute(&self.pool)
                        .await?;
                    Ok(done.rows_affected())
                }

                async fn messages_to(&self, to: &str) -> StoreResult<Vec<OutboxMessage>> {
                    let rows: Vec<rows::OutboxRow> = sqlx::query_as(
                        "SELECT channel, to_addr, template, subject, body, code, sent_at \
                         FROM outbox WHERE to_addr = $1 ORDER BY seq DESC LIMIT 100",
                    )
                    .bind(to)
                    .fetch_all(&self.pool)
                    .await?;
                    Ok(rows.into_iter().map(Into::into).collect())
                }
            }

            #[async_trait::async_trait]
            impl RateLimitStore for $store {
                async fn hit(&self, bucket: &str, window_start: i64) -> StoreResult<u32> {
                    let hits: i64 = sqlx::query_scalar(
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
                    Ok(u32::try_from(hits).unwrap_or(u32::MAX))
                }

                async fn claim_interval(
                    &self,
                    bucket: &str,
                    now: i64,
                    interval: i64,
                ) -> StoreResult<Option<i64>> {
                    let claimed: Option<i64> = sqlx::query_scalar(
                        "INSERT INTO rate_limits (bucket, window_start, hits) VALUES ($1, $2, 1) \
                         ON CONFLICT (bucket) DO UPDATE SET window_start = excluded.window_start, \
                         hits = 1 WHERE rate_limits.window_start <= $3 RETURNING hits",
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

                async fn purge_anonymous(
                    &self,
                    rows_before: i64,
                    clients_before: i64,
                ) -> StoreResult<u64> {
                    let mut gone = 0;
                    for sql in [
                        "DELETE FROM rate_limits WHERE window_start < $1",
                        "DELETE FROM sign_in_attempts WHERE expires_at < $1",
                        "DELETE FROM sign_up_attempts WHERE expires_at < $1",
                        "DELETE FROM verification_codes WHERE expires_at < $1",
                    ] {
                        gone += sqlx::query(sql)
                            .bind(rows_before)
                            .execute(&self.pool)
                            .await?
                            .rows_affected();
                    }
                    gone += sqlx::query(
                        "DELETE FROM clients WHERE updated_at < $1 \
                         AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.client_id = clients.id) \
                         AND NOT EXISTS (SELECT 1 FROM client_users u \
                                         WHERE u.client_id = clients.id) \
                         AND NOT EXISTS (SELECT 1 FROM sign_in_attempts a \
                                         WHERE a.client_id = clients.id) \
                         AND NOT EXISTS (SELECT 1 FROM sign_up_attempts a \
                                         WHERE a.client_id = clients.id)",
                    )
                    .bind(clients_before)
                    .execute(&self.pool)
                    .await?
                    .rows_affected();
                    Ok(gone)
                }
            }

            #[async_trait::async_trait]
            impl HealthStore for $store {
                async fn ping(&self) -> StoreResult<()> {
                    let _: i64 = sqlx::query_scalar("SELECT CAST(1 AS BIGINT)")
                        .fetch_one(&self.pool)
                        .await?;
                    Ok(())
                }
            }
        };
    };
}
pub(crate) use impl_outbox;
