//! `TaskStore`.

use super::super::*;
use async_trait::async_trait;

/// Tasks beyond the built-in three (README, "Custom tasks").
#[async_trait]
pub trait TaskStore: Send + Sync {
    /// Records when the instance first saw each app-defined task (a key seen before keeps its
    /// date) and answers every key's date.
    async fn register_tasks(
        &self,
        keys: &[String],
        now: i64,
    ) -> StoreResult<std::collections::HashMap<String, i64>>;
    /// Requires task `key` of the user from now on (`NotFound` for an unknown user).
    async fn request_task(&self, user_id: &str, key: &str, now: i64) -> StoreResult<()>;
    /// Withdraws a request; `false` when there was none.
    async fn withdraw_task(&self, user_id: &str, key: &str) -> StoreResult<bool>;
    /// Marks an app-defined task done for the user and clears its request.
    async fn complete_task(&self, user_id: &str, key: &str, now: i64) -> StoreResult<()>;
    /// The user accepted terms `version` now; a requested `accept-terms` is done. One transaction.
    async fn accept_terms(&self, user_id: &str, version: Option<&str>, now: i64)
        -> StoreResult<()>;
    async fn set_organization_require_mfa(
        &self,
        organization_id: &str,
        on: bool,
    ) -> StoreResult<()>;
    async fn organization_requires_mfa(&self, organization_id: &str) -> StoreResult<bool>;
}
