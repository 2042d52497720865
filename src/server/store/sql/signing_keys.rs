//! The keys session tokens are signed with (README, "Session tokens for other services"). One row
//! of `signing_state` decides each rotation: the instance whose guarded update moves the generation
//! on adds the key, in the same transaction, so concurrent instances never add two keys for one
//! rotation. The private half is sealed, bound to its `kid` (README, "Encryption at rest").

macro_rules! impl_signing_keys {
    ($store:ident, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::server::store::SigningKeyStore for $store {
            async fn signing_keys(
                &self,
                limit: i64,
            ) -> $crate::server::store::StoreResult<Vec<$crate::server::store::SigningKey>> {
                let rows: Vec<(i64, String, String, String, String, i64)> = sqlx::query_as(
                    "SELECT generation, kid, private_key, public_x, public_y, created_at \
                     FROM signing_keys ORDER BY generation DESC LIMIT $1",
                )
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map(
                        |(generation, kid, private_key, public_x, public_y, created_at)| {
                            let private_key = $crate::server::store::SIGNING_PRIVATE_KEY.open(
                                &self.keyring,
                                &kid,
                                &private_key,
                            )?;
                            Ok($crate::server::store::SigningKey {
                                generation,
                                kid,
                                private_key,
                                public_x,
                                public_y,
                                created_at,
                            })
                        },
                    )
                    .collect()
            }

            async fn rotate_signing_key(
                &self,
                key: &$crate::server::store::NewSigningKey,
                now: i64,
                due_at: i64,
            ) -> $crate::server::store::StoreResult<bool> {
                let mut tx = self.pool.begin().await?;
                let generation: Option<i64> = sqlx::query_scalar(
                    "UPDATE signing_state SET generation = generation + 1, rotated_at = $1 \
                     WHERE id = 1 AND rotated_at <= $2 RETURNING generation",
                )
                .bind(now)
                .bind(due_at)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(generation) = generation else {
                    return Ok(false);
                };
                sqlx::query(
                    "INSERT INTO signing_keys \
                     (generation, kid, private_key, public_x, public_y, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(generation)
                .bind(&key.kid)
                .bind($crate::server::store::SIGNING_PRIVATE_KEY.seal(
                    &self.keyring,
                    &key.kid,
                    &key.private_key,
                ))
                .bind(&key.public_x)
                .bind(&key.public_y)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                sqlx::query("DELETE FROM signing_keys WHERE generation < $1")
                    .bind(generation - 2)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn revoke_signing_keys_before(
                &self,
                generation: i64,
            ) -> $crate::server::store::StoreResult<u64> {
                let done = sqlx::query("DELETE FROM signing_keys WHERE generation < $1")
                    .bind(generation)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected())
            }
        }
    };
}
pub(crate) use impl_signing_keys;
