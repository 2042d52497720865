//! `OutboxStore`.

use super::super::*;
use async_trait::async_trait;

/// Delivered messages and rate-limit counters.
#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// Records a message and, in the same transaction, purges messages sent before
    /// `purge_before` (the retention period).
    async fn push_message(&self, message: &OutboxMessage, purge_before: i64) -> StoreResult<()>;
    async fn messages_to(&self, to: &str) -> StoreResult<Vec<OutboxMessage>>;
    /// Purges messages sent before `before`; answers how many went. Run on a timer as well, so an
    /// instance that sends nothing keeps nothing past the retention either.
    async fn purge_messages(&self, before: i64) -> StoreResult<u64>;
}
