//! `AttemptStore`.

use super::super::*;
use crate::domain::sign_in::SignInState;
use async_trait::async_trait;

/// Sign-in and sign-up attempts, one of each per client.
#[async_trait]
pub trait AttemptStore: Send + Sync {
    /// Starts a sign-in attempt, replacing the client's earlier one; the earlier attempt's codes
    /// die with it. One transaction.
    async fn create_sign_in(&self, attempt: &SignInAttempt, now: i64) -> StoreResult<()>;
    async fn sign_in_for_client(&self, client_id: &str) -> StoreResult<Option<SignInAttempt>>;
    /// Moves the attempt from `version` to `state` (compare-and-set), recording `send`. False
    /// when another request moved the attempt first, or a claimed send was refused.
    async fn advance_sign_in(
        &self,
        id: &str,
        version: i64,
        state: &SignInState,
        send: CodeSend,
    ) -> StoreResult<bool>;
    /// Counts one second-factor judgement of the attempt; false when it already had
    /// `SECOND_FACTOR_MAX_JUDGEMENTS` (one guarded statement).
    async fn judge_second_factor(&self, id: &str) -> StoreResult<bool>;
    /// Removes the client's sign-in attempt and its codes.
    async fn delete_sign_in(&self, client_id: &str) -> StoreResult<()>;
    /// Starts a sign-up attempt, replacing the client's earlier one and its codes.
    async fn create_sign_up(&self, attempt: &SignUpAttempt, now: i64) -> StoreResult<()>;
    async fn sign_up_for_client(&self, client_id: &str) -> StoreResult<Option<SignUpAttempt>>;
    /// Claims a code send for the sign-up attempt at `now` (refused within 30 s of the last).
    async fn claim_sign_up_send(&self, id: &str, now: i64) -> StoreResult<bool>;
    async fn delete_sign_up(&self, client_id: &str) -> StoreResult<()>;
}
