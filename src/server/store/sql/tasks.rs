//! Tasks beyond the built-in three (README, "Custom tasks"): what the instance knows of app-defined
//! tasks, tasks operators request of users, completions, terms acceptance and organizations that
//! require a second factor.

macro_rules! impl_tasks {
    ($store:ident, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::server::store::TaskStore for $store {
            async fn register_tasks(
                &self,
                keys: &[String],
                now: i64,
            ) -> $crate::server::store::StoreResult<std::collections::HashMap<String, i64>> {
                let mut tx = self.pool.begin().await?;
                let mut added = std::collections::HashMap::new();
                for key in keys {
                    sqlx::query(
                        "INSERT INTO task_definitions (task_key, added_at) VALUES ($1, $2) \
                         ON CONFLICT (task_key) DO NOTHING",
                    )
                    .bind(key)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                    let at: i64 = sqlx::query_scalar(
                        "SELECT added_at FROM task_definitions WHERE task_key = $1",
                    )
                    .bind(key)
                    .fetch_one(&mut *tx)
                    .await?;
                    added.insert(key.clone(), at);
                }
                tx.commit().await?;
                Ok(added)
            }

            async fn request_task(
                &self,
                user_id: &str,
                key: &str,
                now: i64,
            ) -> $crate::server::store::StoreResult<()> {
                // One statement: the user must exist (an unknown id changes nothing).
                let done = sqlx::query(
                    "INSERT INTO user_tasks (user_id, task_key, requested_at) \
                     SELECT id, $2, $3 FROM users WHERE id = $1 \
                     ON CONFLICT (user_id, task_key) DO UPDATE SET requested_at = $3",
                )
                .bind(user_id)
                .bind(key)
                .bind(now)
                .execute(&self.pool)
                .await?;
                if done.rows_affected() == 0 {
                    return Err($crate::server::store::StoreError::NotFound);
                }
                Ok(())
            }

            async fn withdraw_task(
                &self,
                user_id: &str,
                key: &str,
            ) -> $crate::server::store::StoreResult<bool> {
                let done = sqlx::query(
                    "UPDATE user_tasks SET requested_at = NULL \
                     WHERE user_id = $1 AND task_key = $2 AND requested_at IS NOT NULL",
                )
                .bind(user_id)
                .bind(key)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn complete_task(
                &self,
                user_id: &str,
                key: &str,
                now: i64,
            ) -> $crate::server::store::StoreResult<()> {
                let done = sqlx::query(
                    "INSERT INTO user_tasks (user_id, task_key, completed_at) \
                     SELECT id, $2, $3 FROM users WHERE id = $1 \
                     ON CONFLICT (user_id, task_key) DO UPDATE \
                     SET completed_at = $3, requested_at = NULL",
                )
                .bind(user_id)
                .bind(key)
                .bind(now)
                .execute(&self.pool)
                .await?;
                if done.rows_affected() == 0 {
                    return Err($crate::server::store::StoreError::NotFound);
                }
                Ok(())
            }

            async fn accept_terms(
                &self,
                user_id: &str,
                version: Option<&str>,
                now: i64,
            ) -> $crate::server::store::StoreResult<()> {
                let mut tx = self.pool.begin().await?;
                let done = sqlx::query(
                    "UPDATE users SET terms_version = $1, legal_accepted_at = $2, updated_at = $2 \
                     WHERE id = $3",
                )
                .bind(version)
                .bind(now)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 0 {
                    return Err($crate::server::store::StoreError::NotFound);
                }
                sqlx::query(
                    "UPDATE user_tasks SET requested_at = NULL \
                     WHERE user_id = $1 AND task_key = 'accept-terms'",
                )
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn set_organization_require_mfa(
                &self,
                organization_id: &str,
                on: bool,
            ) -> $crate::server::store::StoreResult<()> {
                let done = sqlx::query("UPDATE organizations SET require_mfa = $1 WHERE id = $2")
                    .bind(on)
                    .bind(organization_id)
                    .execute(&self.pool)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err($crate::server::store::StoreError::NotFound);
                }
                Ok(())
            }

            async fn organization_requires_mfa(
                &self,
                organization_id: &str,
            ) -> $crate::server::store::StoreResult<bool> {
                let on: Option<bool> =
                    sqlx::query_scalar("SELECT require_mfa FROM organizations WHERE id = $1")
                        .bind(organization_id)
                        .fetch_optional(&self.pool)
                        .await?;
                on.ok_or($crate::server::store::StoreError::NotFound)
            }
        }
    };
}
pub(crate) use impl_tasks;
