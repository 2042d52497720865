//! `ClientStore`.

use super::super::*;
use async_trait::async_trait;

/// Browsers (clients) and their tokens.
#[async_trait]
pub trait ClientStore: Send + Sync {
    async fn create_client(&self, token_hash: &str, now: i64) -> StoreResult<Client>;
    /// The client whose token hashes to `token_hash`, with its live sessions (their users and
    /// organizations) and whether attempts are in progress: what every request reads, in one
    /// query.
    async fn client_by_token_hash(&self, token_hash: &str) -> StoreResult<Option<ClientRecord>>;
    async fn set_last_active_session(&self, id: &str, session_id: Option<&str>) -> StoreResult<()>;
    /// Gives the client a new token, if `presented_hash` is still its token (compare-and-set:
    /// of two requests rotating at once, one wins and the other is told). The old token, and
    /// whoever else holds it, no longer finds the client. Whether it rotated.
    async fn rotate_client_token(
        &self,
        id: &str,
        presented_hash: &str,
        token_hash: &str,
        now: i64,
    ) -> StoreResult<bool>;
    async fn client_knows_user(&self, client_id: &str, user_id: &str) -> StoreResult<bool>;
}
