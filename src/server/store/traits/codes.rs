//! `CodeStore`.

use super::super::*;
use async_trait::async_trait;

/// One-time codes.
#[async_trait]
pub trait CodeStore: Send + Sync {
    /// Issues a code for `binding`, replacing any earlier one with the same purpose, attempt and
    /// user.
    async fn issue_code(&self, binding: &CodeBinding, code_hash: &str, now: i64)
        -> StoreResult<()>;
    /// Counts one judgement of the current code for `binding` and answers it — in one guarded
    /// statement that only counts an unconsumed, unexpired code with fewer than
    /// `CODE_MAX_ATTEMPTS` judgements, so concurrent guesses get at most that many.
    async fn judge_code(&self, binding: &CodeBinding, now: i64) -> StoreResult<Option<JudgedCode>>;
    /// Marks the code used; false if another request used it first (single use under races).
    async fn consume_code(&self, id: &str, now: i64) -> StoreResult<bool>;
}
