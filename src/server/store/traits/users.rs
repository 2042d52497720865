//! `UserStore`.

use super::super::*;
use async_trait::async_trait;

/// Users and their credentials.
#[async_trait]
pub trait UserStore: Send + Sync {
    async fn create_user(&self, new: NewUser, now: i64) -> StoreResult<User>;
    async fn user_by_id(&self, id: &str) -> StoreResult<Option<User>>;
    async fn user_by_email(&self, email: &str) -> StoreResult<Option<User>>;
    /// Deletes the user (their sessions, factors and memberships go with them), unless they are
    /// the only admin of an organization that has other members (`Conflict::LastAdmin`): one
    /// guarded statement.
    async fn delete_user(&self, id: &str) -> StoreResult<()>;
    async fn set_compromised(&self, id: &str, compromised: bool, now: i64) -> StoreResult<()>;
    /// Locks (or unlocks) the user and clears failures. Locking revokes every live session of the
    /// user in the same transaction.
    async fn set_locked(&self, id: &str, locked: bool, now: i64) -> StoreResult<()>;
    /// Counts a failed attempt; at `max` failures the user is locked until `lock_until` and the
    /// counter restarts. Returns the lockout end, if this failure locked the user.
    async fn record_failure(
        &self,
        id: &str,
        max: u32,
        lock_until: i64,
        now: i64,
    ) -> StoreResult<Option<i64>>;
    async fn clear_failures(&self, id: &str) -> StoreResult<()>;
    /// Counts a password guess before it is checked, unless the user is locked at `now` or `max`
    /// guesses are counted already — one guarded statement, so guesses sent together cannot all
    /// pass one lockout check while each waits for the hasher. Whether the guess may be checked.
    /// Counted guesses that no request settled within `GUESS_SETTLES_WITHIN` seconds of the last
    /// claim (a process that stopped mid-check) no longer hold the allowance: the claim goes
    /// ahead, the count staying at `max`, so its settlement locks the user or gives one back.
    async fn claim_guess(&self, id: &str, max: u32, now: i64) -> StoreResult<bool>;
    /// Settles a claimed guess: a right one is given back; a wrong one stays counted, and once
    /// `max` are counted it locks the user until `lock_until` and restarts the count. Returns the
    /// lockout end, if this settlement locked the user.
    async fn settle_guess(
        &self,
        id: &str,
        right: bool,
        max: u32,
        lock_until: i64,
        now: i64,
    ) -> StoreResult<Option<i64>>;
    /// Sets a new password hash and clears the compromised flag; with `end_other_sessions`, every
    /// live session of the user except those on `keep_client` is revoked. One transaction.
    async fn change_password(
        &self,
        id: &str,
        password_hash: &str,
        end_other_sessions: bool,
        keep_client: Option<&str>,
        now: i64,
    ) -> StoreResult<()>;
}

/// How long a counted password guess may wait for its settlement before it stops holding the
/// user's allowance (far above the hasher's queue timeout).
pub const GUESS_SETTLES_WITHIN: i64 = 120;
