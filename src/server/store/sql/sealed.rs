//! The re-seal pass (README, "Encryption at rest"): every sealed column, read in batches of rows
//! not sealed under the current key, each rewritten with a guarded update.

macro_rules! impl_sealed {
    ($store:ident, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::server::store::SealStore for $store {
            async fn reseal_secrets(&self) -> $crate::server::store::StoreResult<u64> {
                use $crate::server::store::{RESEAL_BATCH, SEALED_COLUMNS};
                let pattern = self.keyring.current_pattern();
                let mut resealed = 0u64;
                for col in SEALED_COLUMNS {
                    let (table, key, column) = (col.table, col.row_key, col.column);
                    let select = format!(
                        "SELECT {key}, {column} FROM {table} WHERE {key} > $1 \
                         AND {column} IS NOT NULL AND {column} NOT LIKE $2 \
                         ORDER BY {key} LIMIT {RESEAL_BATCH}"
                    );
                    let update = format!(
                        "UPDATE {table} SET {column} = $1 WHERE {key} = $2 AND {column} = $3"
                    );
                    let mut after = String::new();
                    loop {
                        let rows: Vec<(String, String)> = sqlx::query_as(&select)
                            .bind(&after)
                            .bind(&pattern)
                            .fetch_all(&self.pool)
                            .await?;
                        let full = rows.len() as i64 == RESEAL_BATCH;
                        for (row, stored) in rows {
                            let fresh = self
                                .keyring
                                .reseal(col.name, &row, &stored)
                                .map_err(|e| col.unopened(&row, e))?;
                            if let Some(fresh) = fresh {
                                let done = sqlx::query(&update)
                                    .bind(fresh)
                                    .bind(&row)
                                    .bind(&stored)
                                    .execute(&self.pool)
                                    .await?;
                                resealed += done.rows_affected();
                            }
                            after = row;
                        }
                        if !full {
                            break;
                        }
                    }
                }
                Ok(resealed)
            }
        }
    };
}
pub(crate) use impl_sealed;
