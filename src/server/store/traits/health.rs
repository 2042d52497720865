//! `HealthStore`.

use super::super::*;
use async_trait::async_trait;

/// The database itself.
#[async_trait]
pub trait HealthStore: Send + Sync {
    /// Answers when the database does (`/readyz`).
    async fn ping(&self) -> StoreResult<()>;
}
