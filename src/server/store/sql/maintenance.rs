//! One-off upgrades of stored data (each recorded in `maintenance` once done).

macro_rules! impl_maintenance {
    ($store:ident, $db:ty) => {
        const _: () = {
            use $crate::server::store::*;

            /// The task `normalise_addresses` records.
            const ADDRESSES: &str = "normalise-addresses-v1";

            #[async_trait::async_trait]
            impl MaintenanceStore for $store {
                async fn normalise_addresses(
                    &self,
                    normal: &(dyn for<'s> Fn(&'s str) -> Option<String> + Sync),
                    now: i64,
                ) -> StoreResult<AddressRewrite> {
                    let done: Option<(String,)> =
                        sqlx::query_as("SELECT task FROM maintenance WHERE task = $1")
                            .bind(ADDRESSES)
                            .fetch_optional(&self.pool)
                            .await?;
                    let mut report = AddressRewrite::default();
                    if done.is_some() {
                        return Ok(report);
                    }
                    let users: Vec<(String, String)> =
                        sqlx::query_as("SELECT id, email FROM users")
                            .fetch_all(&self.pool)
                            .await?;
                    for (id, email) in users {
                        let Some(n) = normal(&email).filter(|n| *n != email) else {
                            continue;
                        };
                        let changed = sqlx::query(
                            "UPDATE users SET email = $1 WHERE id = $2 AND email = $3 \
                             AND NOT EXISTS (SELECT 1 FROM users o WHERE o.email = $1)",
                        )
                        .bind(&n)
                        .bind(&id)
                        .bind(&email)
                        .execute(&self.pool)
                        .await?
                        .rows_affected();
                        if changed == 1 {
                            report.rewritten += 1;
                        } else {
                            report.collisions.push(id);
                        }
                    }
                    let invitations: Vec<(String, String, String)> = sqlx::query_as(
                        "SELECT id, organization_id, email FROM invitations \
                         WHERE status = 'pending'",
                    )
                    .fetch_all(&self.pool)
                    .await?;
                    for (id, organization_id, email) in invitations {
                        let Some(n) = normal(&email).filter(|n| *n != email) else {
                            continue;
                        };
                        report.rewritten += sqlx::query(
                            "UPDATE invitations SET email = $1 WHERE id = $2 AND email = $3 \
                             AND NOT EXISTS (SELECT 1 FROM invitations o WHERE o.email = $1 \
                               AND o.organization_id = $4 AND o.status = 'pending')",
                        )
                        .bind(&n)
                        .bind(&id)
                        .bind(&email)
                        .bind(&organization_id)
                        .execute(&self.pool)
                        .await?
                        .rows_affected();
                    }
                    sqlx::query(
                        "INSERT INTO maintenance (task, done_at) VALUES ($1, $2) \
                         ON CONFLICT (task) DO NOTHING",
                    )
                    .bind(ADDRESSES)
                    .bind(now)
                    .execute(&self.pool)
                    .await?;
                    Ok(report)
                }
            }
        };
    };
}
pub(crate) use impl_maintenance;
