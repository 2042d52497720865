//! `AddressLockoutStore`.

use super::super::*;
use async_trait::async_trait;

/// Wrong guesses for addresses without an account, kept as a user's own counter is (README,
/// "Security defaults"): the same maximum, the same lock, so the answers are the same.
#[async_trait]
pub trait AddressLockoutStore: Send + Sync {
    /// When the lock on `address` ends, if it is locked at `now`.
    async fn address_locked_until(&self, address: &str, now: i64) -> StoreResult<Option<i64>>;
    /// Counts a wrong guess for `address` in one guarded statement: the `max`-th locks it until
    /// `lock_until` (answered) and starts the count over; a locked address counts nothing.
    async fn record_address_failure(
        &self,
        address: &str,
        max: u32,
        lock_until: i64,
        now: i64,
    ) -> StoreResult<Option<i64>>;
    /// Counts a password guess for `address` before it is hashed, as `claim_guess` does for a
    /// user: false while the address is locked, or while `max` guesses are counted and the
    /// last was claimed less than `GUESS_SETTLES_WITHIN` ago.
    async fn claim_address_guess(&self, address: &str, max: u32, now: i64) -> StoreResult<bool>;
    /// Settles a claimed guess as `settle_guess` does: given back when `give_back` (the hasher
    /// could not judge it), else the address is locked until `lock_until` (answered) once `max`
    /// guesses are counted.
    async fn settle_address_guess(
        &self,
        address: &str,
        give_back: bool,
        max: u32,
        lock_until: i64,
        now: i64,
    ) -> StoreResult<Option<i64>>;
    /// Forgets counters untouched since `before` whose lock (if any) has ended.
    async fn purge_address_lockouts(&self, before: i64) -> StoreResult<u64>;
}
