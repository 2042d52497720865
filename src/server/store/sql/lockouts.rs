//! Lockout counters for addresses without an account (each change one guarded upsert).

macro_rules! impl_lockouts {
    ($store:ident, $db:ty) => {
        const _: () = {
            use $crate::server::store::*;

            #[async_trait::async_trait]
            impl AddressLockoutStore for $store {
                async fn address_locked_until(
                    &self,
                    address: &str,
                    now: i64,
                ) -> StoreResult<Option<i64>> {
                    let until: Option<Option<i64>> = sqlx::query_scalar(
                        "SELECT lockout_until FROM address_lockouts \
                         WHERE address = $1 AND lockout_until > $2",
                    )
                    .bind(address)
                    .bind(now)
                    .fetch_optional(&self.pool)
                    .await?;
                    Ok(until.flatten())
                }

                async fn record_address_failure(
                    &self,
                    address: &str,
                    max: u32,
                    lock_until: i64,
                    now: i64,
                ) -> StoreResult<Option<i64>> {
                    // The same arithmetic as a user's own counter: the `max`-th wrong guess
                    // locks and starts the count over; while locked, nothing is counted.
                    let until: Option<Option<i64>> = sqlx::query_scalar(
                        "INSERT INTO address_lockouts \
                           (address, failed_attempts, lockout_until, updated_at) \
                         VALUES ($1, CASE WHEN $2 <= 1 THEN 0 ELSE 1 END, \
                                 CASE WHEN $2 <= 1 THEN $3 ELSE NULL END, $4) \
                         ON CONFLICT (address) DO UPDATE SET \
                           lockout_until = CASE \
                             WHEN address_lockouts.lockout_until > $4 \
                               THEN address_lockouts.lockout_until \
                             WHEN address_lockouts.failed_attempts + 1 >= $2 THEN $3 \
                             ELSE address_lockouts.lockout_until END, \
                           failed_attempts = CASE \
                             WHEN address_lockouts.lockout_until > $4 \
                               THEN address_lockouts.failed_attempts \
                             WHEN address_lockouts.failed_attempts + 1 >= $2 THEN 0 \
                             ELSE address_lockouts.failed_attempts + 1 END, \
                           updated_at = $4 \
                         RETURNING lockout_until",
                    )
                    .bind(address)
                    .bind(max as i64)
                    .bind(lock_until)
                    .bind(now)
                    .fetch_optional(&self.pool)
                    .await?;
                    Ok(until.flatten().filter(|u| *u == lock_until))
                }

                async fn claim_address_guess(
                    &self,
                    address: &str,
                    max: u32,
                    now: i64,
                ) -> StoreResult<bool> {
                    let done = sqlx::query(
                        "INSERT INTO address_lockouts \
                           (address, failed_attempts, lockout_until, updated_at, guess_claimed_at) \
                         VALUES ($1, 1, NULL, $3, $3) \
                         ON CONFLICT (address) DO UPDATE SET \
                           failed_attempts = CASE WHEN address_lockouts.failed_attempts < $2 \
                             THEN address_lockouts.failed_attempts + 1 ELSE $2 END, \
                           guess_claimed_at = $3, updated_at = $3 \
                         WHERE (address_lockouts.lockout_until IS NULL \
                                OR address_lockouts.lockout_until <= $3) \
                           AND (address_lockouts.failed_attempts < $2 \
                                OR address_lockouts.guess_claimed_at IS NULL \
                                OR address_lockouts.guess_claimed_at <= $4)",
                    )
                    .bind(address)
                    .bind(max as i64)
                    .bind(now)
                    .bind(now - GUESS_SETTLES_WITHIN)
                    .execute(&self.pool)
                    .await?;
                    Ok(done.rows_affected() == 1)
                }

                async fn settle_address_guess(
                    &self,
                    address: &str,
                    give_back: bool,
                    max: u32,
                    lock_until: i64,
                    now: i64,
                ) -> StoreResult<Option<i64>> {
                    if give_back {
                        sqlx::query(
                            "UPDATE address_lockouts SET failed_attempts = failed_attempts - 1 \
                             WHERE address = $1 AND failed_attempts > 0",
                        )
                        .bind(address)
                        .execute(&self.pool)
                        .await?;
                        return Ok(None);
                    }
                    let until: Option<Option<i64>> = sqlx::query_scalar(
                        "UPDATE address_lockouts SET lockout_until = $2, failed_attempts = 0, \
                           updated_at = $3 \
                         WHERE address = $1 AND failed_attempts >= $4 RETURNING lockout_until",
                    )
                    .bind(address)
                    .bind(lock_until)
                    .bind(now)
                    .bind(max as i64)
                    .fetch_optional(&self.pool)
                    .await?;
                    Ok(until.flatten())
                }

                async fn purge_address_lockouts(&self, before: i64) -> StoreResult<u64> {
                    let done = sqlx::query(
                        "DELETE FROM address_lockouts WHERE updated_at < $1 \
                         AND (lockout_until IS NULL OR lockout_until < $1)",
                    )
                    .bind(before)
                    .execute(&self.pool)
                    .await?;
                    Ok(done.rows_affected())
                }
            }
        };
    };
}
pub(crate) use impl_lockouts;
