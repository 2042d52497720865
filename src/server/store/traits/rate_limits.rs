//! `RateLimitStore`.

use super::super::*;
use async_trait::async_trait;

#[async_trait]
pub trait RateLimitStore: Send + Sync {
    /// Counts a hit in `bucket`'s fixed window starting at `window_start`; returns the hits so far.
    async fn hit(&self, bucket: &str, window_start: i64) -> StoreResult<u32>;
    /// Claims `bucket` for `interval` seconds from `now` in one guarded statement: `None` when
    /// claimed, else the seconds until it may be claimed again.
    async fn claim_interval(
        &self,
        bucket: &str,
        now: i64,
        interval: i64,
    ) -> StoreResult<Option<i64>>;
    /// Purges what anonymous requests leave behind: rate-limit counters whose window began before
    /// `rows_before`, sign-in and sign-up attempts and codes that expired before it, and clients
    /// last changed before `clients_before` that never held a session nor remembered a user.
    /// Answers how many rows went.
    async fn purge_anonymous(&self, rows_before: i64, clients_before: i64) -> StoreResult<u64>;
}
