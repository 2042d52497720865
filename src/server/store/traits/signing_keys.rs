//! `SigningKeyStore`.

use super::super::*;
use async_trait::async_trait;

/// The keys session tokens are signed with (README, "Session tokens for other services"), shared by
/// every instance.
#[async_trait]
pub trait SigningKeyStore: Send + Sync {
    /// The newest `limit` keys, newest first.
    async fn signing_keys(&self, limit: i64) -> StoreResult<Vec<SigningKey>>;
    /// Adds `key` as the next generation when the last rotation was at or before `due_at` (one
    /// guarded update decides, so concurrent instances add one key between them); `false` when
    /// none was due. Keeps the three newest keys.
    async fn rotate_signing_key(
        &self,
        key: &NewSigningKey,
        now: i64,
        due_at: i64,
    ) -> StoreResult<bool>;
    /// Removes every key older than `generation` (a leaked key must stop verifying at once).
    async fn revoke_signing_keys_before(&self, generation: i64) -> StoreResult<u64>;
}
