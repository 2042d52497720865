//! `SessionStore`.

use super::super::*;
use crate::domain::session::SessionStatus;
use crate::domain::session::TaskKey;
use async_trait::async_trait;

/// Sessions.
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Creates a session (ending the client's others when asked), makes it the client's active one,
    /// rotates the client's token, remembers the user on the client and removes the client's
    /// sign-in and sign-up attempts. One transaction.
    async fn create_session(&self, new: NewSession, now: i64) -> StoreResult<Session>;
    async fn session_by_id(&self, id: &str) -> StoreResult<Option<Session>>;
    /// The client's signed-in sessions with user and organization, most recently active first.
    async fn client_sessions(&self, client_id: &str) -> StoreResult<Vec<SessionDetail>>;
    async fn user_sessions(&self, user_id: &str) -> StoreResult<Vec<Session>>;
    /// Stores recomputed tasks (and the status that follows from them) of a live session.
    async fn set_session_tasks(&self, id: &str, tasks: &[TaskKey]) -> StoreResult<()>;
    /// Records activity: at most once a minute (a guarded update), so reads stay cheap.
    async fn touch_session(&self, id: &str, now: i64) -> StoreResult<()>;
    /// The session proved the first factor again (the password re-entered).
    async fn set_first_factor_verified(&self, id: &str, now: i64) -> StoreResult<()>;
    /// The session proved a second factor again (README, "Reverification").
    async fn set_second_factor_verified(&self, id: &str, now: i64) -> StoreResult<()>;
    /// Ends a live session with `status` (ended, revoked, expired).
    async fn end_session(&self, id: &str, status: SessionStatus, now: i64) -> StoreResult<bool>;
    /// Ends every live session of a client; returns how many.
    async fn end_client_sessions(&self, client_id: &str, now: i64) -> StoreResult<u64>;
}
